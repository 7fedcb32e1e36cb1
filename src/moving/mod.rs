//! Moving a publication in and out: importers from other platforms
//! (`wordpress`, `ghost`), the lossless export (`masthead_format`), backups
//! and copies between databases (`backup`). What the importers share is
//! here: ids that stay the same from one run to the next (so a second run
//! updates rather than duplicates), bodies turned into the Markdown the desk
//! edits, names resolved to sections, tags and authors, and the report.

pub mod archive;
pub mod backup;
pub mod ghost;
pub mod ghost_documents;
pub mod ghost_export;
pub mod masthead_format;
pub mod media;
pub mod wordpress;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::fs::File;
use std::io::BufWriter;

use sha2::{Digest, Sha256};

use crate::model::Document;
use crate::model::{Author, Section, Tag, slug};
use crate::store::redirects::PathRedirect;
use crate::store::{SlugKind, Store, StoreResult, StoryWrite};

pub use media::MediaSource;

/// What an importer needs besides its file.
pub struct Options {
    pub media: MediaSource,
    /// Read everything and report, writing nothing.
    pub dry_run: bool,
}

/// Runs `consume` on a blocking thread over the store's dump (see
/// `store::dump`): how every export is written.
pub async fn from_dump<T: Send + 'static>(
    store: &Store,
    consume: impl FnOnce(tokio::sync::mpsc::Receiver<crate::store::dump::DumpItem>) -> anyhow::Result<T>
    + Send
    + 'static,
) -> anyhow::Result<T> {
    let (sender, receiver) = tokio::sync::mpsc::channel(4);
    let writer = tokio::task::spawn_blocking(move || consume(receiver));
    let dumped = store.dump(sender).await;
    let written = writer
        .await
        .map_err(|e| anyhow::anyhow!("the export writer stopped: {e}"))?;
    // A writer that failed (a full disk) stops the dump: its reason first.
    let written = written?;
    dumped?;
    Ok(written)
}

/// Writes a file through `write`: to `path.partial` first, renamed once
/// complete, so a failed export never leaves a file that looks whole.
pub async fn to_file<T>(
    path: &std::path::Path,
    write: impl AsyncFnOnce(BufWriter<File>) -> anyhow::Result<(BufWriter<File>, T)>,
) -> anyhow::Result<T> {
    let partial = path.with_extension("partial");
    let file = File::create(&partial)
        .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", partial.display()))?;
    let written = async {
        let (mut out, written) = write(BufWriter::new(file)).await?;
        std::io::Write::flush(&mut out)?;
        std::fs::rename(&partial, path)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
        Ok(written)
    }
    .await;
    if written.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    written
}

/// An id derived from where a thing came from: the same on every run.
pub fn stable_id(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..16])
}

/// A stable id for a piece first written at `at` (Unix seconds): shaped
/// like Masthead's own (UUIDv7, so ids sort by time and a chronological
/// import appends to the indexes rather than writing all over them), the
/// rest derived from its source as `stable_id` is.
pub fn stable_id_at(at: crate::model::UnixTime, parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    let digest = hasher.finalize();
    let mut tail = [0u8; 10];
    tail.copy_from_slice(&digest[..10]);
    let millis = u64::try_from(at.max(0)).unwrap_or(0).saturating_mul(1000);
    uuid::Builder::from_unix_timestamp_millis(millis, &tail)
        .into_uuid()
        .simple()
        .to_string()
}

/// HTML from another platform as a document (every visible word kept).
pub fn body_from_html(html: &str) -> Document {
    Document::from_html(html)
}

/// A page as an importer makes it: published or a draft, out of the
/// navigation (an editor places it), at position 0, by its authors on the
/// other platform (none: credited to an owner when read).
pub fn imported_page(
    id: String,
    slug: String,
    title: String,
    body: Document,
    status: crate::model::Status,
    (created_at, updated_at): (crate::model::UnixTime, crate::model::UnixTime),
    author_ids: &[String],
) -> crate::model::Page {
    use crate::model::Status;
    crate::model::Page {
        id,
        slug,
        title,
        body,
        hero_image_id: None,
        status: if status == Status::Published {
            Status::Published
        } else {
            Status::Draft
        },
        in_navigation: false,
        in_footer: false,
        position: 0,
        created_at,
        updated_at,
        created_by: None,
        revision: 1,
        authors: crate::model::Page::authors_json(author_ids),
    }
}

/// A slug for an imported thing: its own when well formed, else one made
/// from its name, else `fallback`.
pub fn slug_for(own: &str, name: &str, fallback: &str) -> String {
    let own = own.trim().to_lowercase();
    if slug::is_valid(&own) {
        return own;
    }
    let made = slug::slugify(name);
    if made != "untitled" {
        made
    } else {
        fallback.to_string()
    }
}

/// What an import read, wrote and passed over.
#[derive(Debug, Default)]
pub struct Report {
    pub dry_run: bool,
    /// What the file holds, by kind.
    pub read: BTreeMap<&'static str, usize>,
    /// What was written (or, in a dry run, would be), by kind.
    pub written: BTreeMap<&'static str, usize>,
    /// Things passed over or changed on the way, one line each.
    pub notes: Vec<String>,
    /// Notes beyond the first `MAX_NOTES`, only counted.
    pub more_notes: usize,
}

const MAX_NOTES: usize = 200;

impl Report {
    pub fn read(&mut self, kind: &'static str) {
        *self.read.entry(kind).or_default() += 1;
    }
    pub fn wrote(&mut self, kind: &'static str, n: usize) {
        *self.written.entry(kind).or_default() += n;
    }
    /// A note said once however often it applies.
    pub fn note_once(&mut self, line: &str) {
        if !self.notes.iter().any(|n| n == line) {
            self.note(line);
        }
    }
    pub fn note(&mut self, line: impl Into<String>) {
        if self.notes.len() < MAX_NOTES {
            self.notes.push(line.into());
        } else {
            self.more_notes += 1;
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |m: &BTreeMap<&str, usize>| {
            m.iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if self.read.is_empty() {
            writeln!(
                f,
                "Read nothing: the file holds no posts, pages, authors, categories, tags or media that this importer knows."
            )?;
        } else {
            writeln!(f, "Read: {}.", list(&self.read))?;
        }
        let verb = if self.dry_run {
            "Would write (dry run, nothing was written)"
        } else {
            "Wrote"
        };
        if self.written.is_empty() {
            writeln!(f, "{verb}: nothing.")?;
        } else {
            writeln!(f, "{verb}: {}.", list(&self.written))?;
        }
        for note in &self.notes {
            writeln!(f, "  - {note}")?;
        }
        if self.more_notes > 0 {
            writeln!(f, "  … and {} more notes like these.", self.more_notes)?;
        }
        Ok(())
    }
}

/// Sections, tags and authors by slug: those the publication has, and
/// those an import adds (saved before the stories that name them).
#[derive(Default)]
pub struct Names {
    pub sections: HashMap<String, Section>,
    pub tags: HashMap<String, Tag>,
    pub authors: HashMap<String, Author>,
    new_sections: Vec<Section>,
    new_tags: Vec<Tag>,
    new_authors: Vec<Author>,
}

impl Names {
    pub async fn load(store: &Store) -> StoreResult<Names> {
        let mut names = Names::default();
        for s in store.sections().await? {
            names.sections.insert(s.slug.clone(), s);
        }
        for t in store.tags().await? {
            names.tags.insert(t.slug.clone(), t);
        }
        for a in store.authors().await? {
            names.authors.insert(a.slug.clone(), a);
        }
        Ok(names)
    }

    /// The section with this slug, added when new; answers its id.
    pub fn section(&mut self, source: &str, slug: &str, name: &str, description: &str) -> String {
        if let Some(s) = self.sections.get(slug) {
            return s.id.clone();
        }
        let section = Section {
            id: stable_id(&[source, "section", slug]),
            slug: slug.to_string(),
            name: name.trim().to_string(),
            description: description.trim().to_string(),
            position: self.sections.len() as i32,
        };
        self.new_sections.push(section.clone());
        self.sections.insert(slug.to_string(), section.clone());
        section.id
    }

    pub fn tag(&mut self, source: &str, slug: &str, name: &str, description: &str) -> String {
        if let Some(t) = self.tags.get(slug) {
            return t.id.clone();
        }
        let tag = Tag {
            id: stable_id(&[source, "tag", slug]),
            slug: slug.to_string(),
            name: name.trim().to_string(),
            description: description.trim().to_string(),
        };
        self.new_tags.push(tag.clone());
        self.tags.insert(slug.to_string(), tag.clone());
        tag.id
    }

    pub fn author(&mut self, source: &str, slug: &str, name: &str, bio: &str) -> String {
        if let Some(a) = self.authors.get(slug) {
            return a.id.clone();
        }
        let author = Author {
            id: stable_id(&[source, "author", slug]),
            slug: slug.to_string(),
            name: name.trim().to_string(),
            bio: bio.trim().to_string(),
            role_line: String::new(),
            photo_id: None,
            links: "[]".to_string(),
        };
        self.new_authors.push(author.clone());
        self.authors.insert(slug.to_string(), author.clone());
        author.id
    }

    /// An author this import added and has not saved yet, to fill in.
    pub fn new_author_mut(&mut self, id: &str) -> Option<&mut Author> {
        self.new_authors.iter_mut().find(|a| a.id == id)
    }

    /// Saves what was added since the last call; answers how many of each.
    pub async fn save_new(&mut self, store: &Store, report: &mut Report) -> StoreResult<()> {
        report.wrote("sections", self.new_sections.len());
        report.wrote("tags", self.new_tags.len());
        report.wrote("authors", self.new_authors.len());
        if report.dry_run {
            self.new_sections.clear();
            self.new_tags.clear();
            self.new_authors.clear();
            return Ok(());
        }
        for s in self.new_sections.drain(..) {
            store.save_section(&s).await?;
        }
        for t in self.new_tags.drain(..) {
            store.save_tag(&t).await?;
        }
        for a in self.new_authors.drain(..) {
            store.save_author(&a).await?;
        }
        Ok(())
    }
}

/// Slugs handed out by one import run, so two imported pieces never get
/// the same one and a piece keeps its slug when imported again.
#[derive(Default)]
pub struct Slugs {
    used: HashSet<(u8, String)>,
}

impl Slugs {
    pub async fn claim(
        &mut self,
        store: &Store,
        kind: SlugKind,
        wanted: &str,
        id: &str,
    ) -> StoreResult<String> {
        let tag = kind as u8;
        for candidate in slug::candidates(wanted) {
            // A page at an address the site answers itself (an imported
            // "Corrections" page at /corrections/) could never be reached.
            let reserved =
                kind == SlugKind::Page && crate::urls::RESERVED.contains(&candidate.as_str());
            if reserved || self.used.contains(&(tag, candidate.clone())) {
                continue;
            }
            if !store.slug_taken(kind, &candidate, id).await? {
                self.used.insert((tag, candidate.clone()));
                return Ok(candidate);
            }
        }
        // The candidates never end; this only satisfies the compiler.
        Ok(wanted.to_string())
    }
}

impl Slugs {
    /// Slugs for many pieces at once (`(wanted, id)`, answered in order):
    /// one query for the usual case, where the wanted slug is free or the
    /// piece's own; the rest are claimed one by one.
    pub async fn claim_all(
        &mut self,
        store: &Store,
        kind: SlugKind,
        wanted: &[(String, String)],
    ) -> StoreResult<Vec<String>> {
        let slugs: Vec<String> = wanted.iter().map(|(slug, _)| slug.clone()).collect();
        let mut holders: HashMap<String, Vec<String>> = HashMap::new();
        for (slug, id) in store.slug_holders(kind, &slugs).await? {
            holders.entry(slug).or_default().push(id);
        }
        let mut claimed = Vec::with_capacity(wanted.len());
        for (slug, id) in wanted {
            let free = holders
                .get(slug)
                .is_none_or(|ids| ids.iter().all(|h| h == id));
            if free && self.used.insert((kind as u8, slug.clone())) {
                claimed.push(slug.clone());
            } else {
                claimed.push(self.claim(store, kind, slug, id).await?);
            }
        }
        Ok(claimed)
    }
}

/// What every importer writes through: names, slugs, the report, and the
/// stories and old addresses it gathers, saved a batch at a time.
pub struct Saver<'a> {
    pub store: &'a Store,
    media: media::Media<'a>,
    pub names: Names,
    pub slugs: Slugs,
    pub report: Report,
    stories: Vec<StoryWrite>,
    pub redirects: Vec<PathRedirect>,
    /// Old addresses given in this run: the first piece to claim one keeps it.
    addresses: std::collections::HashSet<String>,
    /// Items' identities seen in this run (kind and key), with how many times.
    identities: HashMap<(&'static str, String), usize>,
    load: crate::store::BulkLoad,
}

/// Stories saved per transaction.
const BATCH: usize = 500;

impl<'a> Saver<'a> {
    pub async fn new(
        store: &'a Store,
        library: &'a crate::services::media::Library,
        options: &Options,
    ) -> StoreResult<Saver<'a>> {
        Ok(Saver {
            store,
            media: media::Media::new(options.media.clone(), library),
            names: Names::load(store).await?,
            slugs: Slugs::default(),
            report: Report {
                dry_run: options.dry_run,
                ..Default::default()
            },
            stories: Vec::new(),
            load: Default::default(),
            redirects: Vec::new(),
            addresses: Default::default(),
            identities: HashMap::new(),
        })
    }

    /// What identifies an item of the other platform here: its key, or for
    /// a second item with the same key (merged or repaired sites' exports
    /// have them: WordPress ids, Ghost uuids) the key and its place among
    /// them, so both are kept, the report says so, and a second run finds
    /// each again.
    pub fn identity(&mut self, kind: &'static str, key: &str, title: &str) -> String {
        let seen = self.identities.entry((kind, key.to_string())).or_insert(0);
        *seen += 1;
        if *seen == 1 {
            return key.to_string();
        }
        let n = *seen;
        self.report.note(format!(
            "{kind} {title:?} has the same id as an earlier one ({key}): both kept, this one as a piece of its own"
        ));
        format!("{key}#{n}")
    }

    pub fn dry_run(&self) -> bool {
        self.report.dry_run
    }

    /// Whether images are imported at all.
    pub fn imports_media(&self) -> bool {
        self.media.enabled()
    }

    /// Brings an image into the library (see `Media::bring`).
    pub async fn image(&mut self, image: media::ImageFrom<'_>) -> anyhow::Result<bool> {
        self.media.bring(self.store, image, &mut self.report).await
    }

    /// Adds a story, its slug still the one wanted (made unique on saving).
    pub async fn story(&mut self, write: StoryWrite) -> anyhow::Result<()> {
        self.stories.push(write);
        if self.stories.len() >= BATCH {
            self.flush().await?;
        }
        Ok(())
    }

    /// Saves a page (its slug made unique first).
    pub async fn page(&mut self, mut page: crate::model::Page) -> anyhow::Result<()> {
        page.slug = self
            .slugs
            .claim(self.store, SlugKind::Page, &page.slug, &page.id)
            .await?;
        self.report.wrote("pages", 1);
        if !self.dry_run() {
            self.store.save_page(&page, None).await?;
        }
        Ok(())
    }

    /// Saves the stories and old addresses gathered so far, with the
    /// names they use.
    pub async fn flush(&mut self) -> anyhow::Result<()> {
        let mut stories = std::mem::take(&mut self.stories);
        let mut redirects = std::mem::take(&mut self.redirects);
        redirects.retain(|r| self.addresses.insert(r.path.clone()));
        let wanted: Vec<(String, String)> = stories
            .iter()
            .map(|w| (w.story.slug.clone(), w.story.id.clone()))
            .collect();
        let slugs = self
            .slugs
            .claim_all(self.store, SlugKind::Story, &wanted)
            .await?;
        for (write, slug) in stories.iter_mut().zip(slugs) {
            if write.redirect_from.as_ref() == Some(&slug) {
                write.redirect_from = None;
            }
            write.story.slug = slug;
        }
        self.report.wrote("stories", stories.len());
        self.report.wrote("old addresses", redirects.len());
        self.names.save_new(self.store, &mut self.report).await?;
        if self.dry_run() {
            return Ok(());
        }
        // Saved slugs are the database's to tell from now on.
        self.slugs.used.clear();
        if !stories.is_empty() {
            self.store
                .save_stories(&stories)
                .await
                .map_err(|e| anyhow::anyhow!("cannot save stories: {e}"))?;
            self.store.bulk_wrote(&mut self.load, stories.len()).await?;
        }
        if !redirects.is_empty() {
            self.store.save_path_redirects(&redirects).await?;
        }
        Ok(())
    }

    /// Saves what is left and refreshes the planner's statistics.
    pub async fn finish(mut self) -> anyhow::Result<Report> {
        self.flush().await?;
        if !self.dry_run() {
            self.store.optimize().await?;
        }
        Ok(self.report)
    }
}

/// A reader that refuses to hand out more than `limit` bytes between two
/// calls of `reset`: a parser reading one huge element (a 1 GB line) stops
/// with an error instead of buffering all of it.
pub struct Bounded<R> {
    inner: R,
    since_reset: u64,
    limit: u64,
    pub total: u64,
}

impl<R> Bounded<R> {
    pub fn new(inner: R, limit: u64) -> Bounded<R> {
        Bounded {
            inner,
            since_reset: 0,
            limit,
            total: 0,
        }
    }
    pub fn reset(&mut self) {
        self.since_reset = 0;
    }
}

impl<R: std::io::BufRead> std::io::Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let available = std::io::BufRead::fill_buf(self)?;
        let n = available.len().min(buf.len());
        buf[..n].copy_from_slice(&available[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

impl<R: std::io::BufRead> std::io::BufRead for Bounded<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.since_reset >= self.limit {
            return Err(std::io::Error::other(format!(
                "one element is larger than {} MiB: the file is damaged or hostile",
                self.limit >> 20
            )));
        }
        self.inner.fill_buf()
    }
    fn consume(&mut self, n: usize) {
        self.since_reset += n as u64;
        self.total += n as u64;
        self.inner.consume(n);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_imported_page_never_takes_an_address_the_site_answers() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::connect(&url).await.unwrap();
        store.migrate().await.unwrap();
        let mut slugs = Slugs::default();
        let page = slugs
            .claim(&store, SlugKind::Page, "corrections", "p1")
            .await
            .unwrap();
        assert_eq!(page, "corrections-2");
        let story = slugs
            .claim(&store, SlugKind::Story, "corrections", "s1")
            .await
            .unwrap();
        assert_eq!(story, "corrections", "stories live under /stories/");
    }
}
