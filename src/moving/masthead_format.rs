//! Masthead's own export format: every table of the publication as JSON,
//! written and read as a stream (a large archive never sits in memory).
//!
//! ```text
//! {"format":"masthead-export","format_version":1,"schema_version":16,"exported_at":"…","made_by":"masthead 0.1.0",
//! "tables":[
//! {"name":"settings","columns":["key","value"],"rows":[
//! ["site","{…}"]]},
//! …]}
//! ```
//!
//! The first line is the header; from the second line on, the file depends
//! only on the publication, so two exports of the same content are equal
//! after their first line. Each table lists its columns (sorted by name)
//! and its rows in primary-key order; values are JSON null, booleans,
//! whole numbers (times are Unix seconds) and strings. See docs/export-format.md.

use std::fmt;
use std::io::{BufRead, Write};

use anyhow::{Context, anyhow, bail};
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use tokio::sync::mpsc;

use crate::store::dump::{DumpItem, Value};
use crate::store::{Store, migrations};

pub const FORMAT: &str = "masthead-export";
pub const FORMAT_VERSION: i64 = 1;

use crate::store::dump::ENDED_EARLY;

/// What was written, table by table.
#[derive(Debug, Default)]
pub struct Written {
    pub tables: Vec<(String, usize)>,
}

impl Written {
    pub fn rows(&self) -> usize {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// Writes the store's publication to `out` in the export format. With
/// `header` false only the tables are written (what comparisons hash).
pub async fn export<W: Write + Send + 'static>(
    store: &Store,
    out: W,
    header: bool,
) -> anyhow::Result<(W, Written)> {
    super::from_dump(store, move |items| write_items(items, out, header)).await
}

/// Writes the export to `path` (see `moving::to_file`).
pub async fn export_to_file(store: &Store, path: &std::path::Path) -> anyhow::Result<Written> {
    super::to_file(path, async |out| export(store, out, true).await).await
}

fn header_line() -> String {
    let at = jiff::Timestamp::now()
        .round(jiff::Unit::Second)
        .unwrap_or(jiff::Timestamp::now());
    serde_json::json!({
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "schema_version": migrations::latest_version(),
        "exported_at": at.to_string(),
        "made_by": concat!("masthead ", env!("CARGO_PKG_VERSION")),
    })
    .to_string()
}

fn write_items<W: Write>(
    mut receiver: mpsc::Receiver<DumpItem>,
    mut out: W,
    header: bool,
) -> anyhow::Result<(W, Written)> {
    let mut written = Written::default();
    if header {
        let line = header_line();
        // The header's fields, then the tables, in one JSON object.
        write!(out, "{},\n\"tables\":[", line.trim_end_matches('}'))?;
    } else {
        out.write_all(b"[")?;
    }
    let mut first_table = true;
    let mut first_row = true;
    let mut ended = false;
    while let Some(item) = receiver.blocking_recv() {
        match item {
            DumpItem::Table { name, columns } => {
                if !first_table {
                    out.write_all(b"]}")?;
                }
                out.write_all(if first_table { b"\n" } else { b",\n" })?;
                first_table = false;
                first_row = true;
                write!(
                    out,
                    "{{\"name\":{},\"columns\":{},\"rows\":[",
                    serde_json::to_string(&name)?,
                    serde_json::to_string(&columns)?
                )?;
                written.tables.push((name, 0));
            }
            DumpItem::Rows(rows) => {
                for row in rows {
                    out.write_all(if first_row { b"\n" } else { b",\n" })?;
                    first_row = false;
                    serde_json::to_writer(&mut out, &row)?;
                    if let Some(last) = written.tables.last_mut() {
                        last.1 += 1;
                    }
                }
            }
            DumpItem::End => {
                ended = true;
                break;
            }
        }
    }
    if !ended {
        bail!("the export stopped before its end");
    }
    if !first_table {
        out.write_all(b"]}")?;
    }
    out.write_all(if header { b"]}\n" } else { b"]\n" })?;
    out.flush()?;
    Ok((out, written))
}

/// Reads an export file into `sender`, as a stream. Runs on a blocking
/// thread; errors name what is wrong with the file.
pub fn read(input: impl BufRead, sender: mpsc::Sender<DumpItem>) -> anyhow::Result<()> {
    let mut de = serde_json::Deserializer::from_reader(input);
    let read = FileSeed { sender: &sender }.deserialize(&mut de);
    match read {
        Ok(()) => {
            de.end().context("there is more after the export's end")?;
            sender
                .blocking_send(DumpItem::End)
                .map_err(|_| anyhow!("the import stopped"))
        }
        Err(e) => Err(anyhow!("{e}")),
    }
}

struct FileSeed<'a> {
    sender: &'a mpsc::Sender<DumpItem>,
}

impl<'de> DeserializeSeed<'de> for FileSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for FileSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a Masthead export (a JSON object whose \"format\" is \"masthead-export\")")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut format_seen = false;
        let mut tables_seen = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "format" => {
                    let format: String = map.next_value()?;
                    if format != FORMAT {
                        return Err(de::Error::custom(format!(
                            "this is not a Masthead export (its format is {format:?})"
                        )));
                    }
                    format_seen = true;
                }
                "schema_version" => {
                    let version: i64 = map.next_value()?;
                    if version > migrations::latest_version() {
                        return Err(de::Error::custom(format!(
                            "this export was made by a newer Masthead (schema {version}; this one knows {}): upgrade first",
                            migrations::latest_version()
                        )));
                    }
                }
                "tables" => {
                    if !format_seen {
                        return Err(de::Error::custom(
                            "this is not a Masthead export: \"format\" must come before \"tables\"",
                        ));
                    }
                    map.next_value_seed(TablesSeed {
                        sender: self.sender,
                    })?;
                    tables_seen = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        if !tables_seen {
            return Err(de::Error::custom(
                "this is not a Masthead export: it has no \"tables\"",
            ));
        }
        Ok(())
    }
}

struct TablesSeed<'a> {
    sender: &'a mpsc::Sender<DumpItem>,
}

impl<'de> DeserializeSeed<'de> for TablesSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for TablesSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of tables")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while seq
            .next_element_seed(TableSeed {
                sender: self.sender,
            })?
            .is_some()
        {}
        Ok(())
    }
}

struct TableSeed<'a> {
    sender: &'a mpsc::Sender<DumpItem>,
}

fn send<E: de::Error>(sender: &mpsc::Sender<DumpItem>, item: DumpItem) -> Result<(), E> {
    sender
        .blocking_send(item)
        .map_err(|_| E::custom("the import stopped"))
}

impl<'de> DeserializeSeed<'de> for TableSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TableSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a table: {\"name\", \"columns\", \"rows\"}")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut name: Option<String> = None;
        let mut columns: Option<Vec<String>> = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => name = Some(map.next_value()?),
                "columns" => columns = Some(map.next_value()?),
                "rows" => {
                    let (Some(name), Some(columns)) = (name.take(), columns.take()) else {
                        return Err(de::Error::custom(
                            "a table's \"name\" and \"columns\" must come before its \"rows\"",
                        ));
                    };
                    send(self.sender, DumpItem::Table { name, columns })?;
                    map.next_value_seed(RowsSeed {
                        sender: self.sender,
                    })?;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

struct RowsSeed<'a> {
    sender: &'a mpsc::Sender<DumpItem>,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let mut batch = Vec::with_capacity(crate::store::dump::BATCH);
        while let Some(row) = seq.next_element::<Vec<Value>>()? {
            batch.push(row);
            if batch.len() == crate::store::dump::BATCH {
                send(self.sender, DumpItem::Rows(std::mem::take(&mut batch)))?;
            }
        }
        if !batch.is_empty() {
            send(self.sender, DumpItem::Rows(batch))?;
        }
        Ok(())
    }
}

/// Loads an export file into an empty store: the file is read on a
/// blocking thread while the rows go in.
pub async fn import(
    store: &Store,
    input: impl BufRead + Send + 'static,
    progress: impl FnMut(&str, usize),
) -> anyhow::Result<crate::store::dump::LoadReport> {
    let (sender, receiver) = mpsc::channel(4);
    let reader = tokio::task::spawn_blocking(move || read(input, sender));
    let loaded = store.load(receiver, progress).await;
    let read = reader
        .await
        .map_err(|e| anyhow!("the export reader stopped: {e}"))?;
    match (read, loaded) {
        // The load refused: the reader only saw it stop listening.
        (Err(_), Err(refused)) if refused.to_string() != ENDED_EARLY => Err(refused),
        // The file's own error says more than the load's "ended early".
        (Err(e), _) => Err(e.context("the file cannot be read as a Masthead export")),
        (Ok(()), loaded) => loaded,
    }
}
