//! What readers type into the search box, and what they get back.
//!
//! A query is read forgivingly: words are found wherever letters and digits
//! are, "quoted words" must follow each other, a hyphenated or apostrophised
//! word is a phrase ("e-bike", "port's"), `-word` leaves stories with that
//! word out, and everything else (operators, brackets, stray quotes) is
//! ignored rather than refused. Only clean, folded words reach the store,
//! which writes each engine's query language from them. Over-long queries
//! are cut, with a note saying so.
//!
//! Every term must match; when nothing matches every term, the search
//! broadens to any term and says so. Results carry snippets with the
//! matching words marked, matched by stem ("strikes" marks "striking").

use std::collections::HashSet;

use crate::model::{UnixTime, words};
use crate::store::{SearchHit, SearchRequest, Store, StoreResult};

/// Characters of a query that are read; the rest is cut off (with a note).
pub const MAX_QUERY_CHARS: usize = 300;
/// Words searched for at most.
pub const MAX_WORDS: usize = 10;
/// Words in a result's snippet.
const SNIPPET_WORDS: usize = 32;
/// How far into a body a snippet is looked for (a long read's later
/// matches are not worth reading the whole text for, ten times a page).
const SNIPPET_REACH: usize = 6_000;

/// A reader's query, cleaned.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    /// Each a word, or a phrase of words that must follow each other.
    pub terms: Vec<Vec<String>>,
    pub excluded: Vec<Vec<String>>,
    /// The whole query's words (for an exact headline match).
    pub key: String,
    /// What was changed in reading it, said to the reader.
    pub notes: Vec<String>,
}

impl Query {
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The stems of every word looked for (to mark them in results).
    pub fn stems(&self) -> HashSet<String> {
        self.terms
            .iter()
            .flatten()
            .map(|w| words::stem(w))
            .collect()
    }
}

/// Reads a query as described at the top of this module.
pub fn parse(input: &str) -> Query {
    let mut query = Query::default();
    let mut input = input.trim();
    if input.chars().count() > MAX_QUERY_CHARS {
        let cut = input
            .char_indices()
            .nth(MAX_QUERY_CHARS)
            .map_or(input.len(), |(i, _)| i);
        input = &input[..cut];
        query.notes.push(format!(
            "Your search was long, so only its first {MAX_QUERY_CHARS} characters were used."
        ));
    }
    let mut budget = MAX_WORDS;
    let mut cut_short = false;
    let mut take = |term: Vec<String>, excluded: bool, query: &mut Query| {
        if term.is_empty() {
            return;
        }
        if term.len() > budget {
            cut_short = true;
            return;
        }
        budget -= term.len();
        if excluded {
            query.excluded.push(term);
        } else {
            query.terms.push(term);
        }
    };
    // Outside quotes at even positions, inside at odd ones (an unclosed
    // quote runs to the end).
    for (i, part) in input.split('"').enumerate() {
        if i % 2 == 1 {
            let phrase = folded_words(part);
            take(phrase, false, &mut query);
            continue;
        }
        for token in part.split_whitespace() {
            if matches!(token, "AND" | "OR" | "NOT" | "NEAR") {
                continue;
            }
            let excluded = token.starts_with('-') && token.len() > 1;
            take(folded_words(token), excluded, &mut query);
        }
    }
    if cut_short {
        query.notes.push(format!(
            "Only the first {MAX_WORDS} words of your search were used."
        ));
    }
    if query.terms.is_empty() && !query.excluded.is_empty() {
        query.notes.push(
            "Say what to look for as well as what to leave out: a search of only -words finds nothing."
                .to_string(),
        );
        query.excluded.clear();
    }
    // An exact headline is one with every word and nothing left out.
    if query.excluded.is_empty() {
        query.key = words::key(input);
    }
    query
}

fn folded_words(text: &str) -> Vec<String> {
    words::words(text).into_iter().map(|w| w.folded).collect()
}

/// Filters besides the words.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    pub section_id: Option<String>,
    pub label: Option<String>,
    pub author_id: Option<String>,
    pub from: Option<UnixTime>,
    pub until: Option<UnixTime>,
}

/// A piece of text, marked where it matched.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Fragment {
    pub text: String,
    pub hit: bool,
}

/// One story found.
#[derive(Debug, Clone)]
pub struct Found {
    pub story_id: String,
    pub headline: Vec<Fragment>,
    pub snippet: Vec<Fragment>,
}

/// A page of results.
#[derive(Debug, Clone, Default)]
pub struct Results {
    pub found: Vec<Found>,
    pub has_next: bool,
    /// Nothing matched every word, so these match some of them.
    pub broadened: bool,
}

/// Runs a search for page `page` (from 1) of `per_page` results.
pub async fn search(
    store: &Store,
    query: &Query,
    filters: &Filters,
    now: UnixTime,
    page: u32,
    per_page: i64,
) -> StoreResult<Results> {
    if query.is_empty() {
        return Ok(Results::default());
    }
    let mut request = SearchRequest {
        terms: query.terms.clone(),
        excluded: query.excluded.clone(),
        any: false,
        headline_key: query.key.clone(),
        section_id: filters.section_id.clone(),
        label: filters.label.clone(),
        author_id: filters.author_id.clone(),
        from: filters.from,
        until: filters.until,
        exclude_story: None,
        now,
        // One more than a page: whether another page follows.
        limit: per_page + 1,
        offset: i64::from(page.max(1) - 1) * per_page,
    };
    let mut hits = store.search(&request).await?;
    let mut broadened = false;
    if hits.is_empty() && page <= 1 && query.terms.len() > 1 {
        request.any = true;
        hits = store.search(&request).await?;
        broadened = !hits.is_empty();
    }
    let has_next = hits.len() as i64 > per_page;
    hits.truncate(per_page as usize);
    let stems = query.stems();
    let found = hits.iter().map(|hit| found(hit, &stems)).collect();
    Ok(Results {
        found,
        has_next,
        broadened,
    })
}

fn found(hit: &SearchHit, stems: &HashSet<String>) -> Found {
    let body = if hit.body.trim().is_empty() {
        &hit.dek
    } else {
        &hit.body
    };
    Found {
        story_id: hit.story_id.clone(),
        headline: mark(&hit.headline, stems),
        snippet: snippet(body, stems, SNIPPET_WORDS),
    }
}

/// The whole of `text`, with the words whose stems are in `stems` marked.
pub fn mark(text: &str, stems: &HashSet<String>) -> Vec<Fragment> {
    fragments(text, 0..text.len(), stems)
}

/// About `length` words of `text` around where most of the words looked
/// for are, marked; "…" where the text was cut.
pub fn snippet(text: &str, stems: &HashSet<String>, length: usize) -> Vec<Fragment> {
    let reach = text
        .char_indices()
        .map(|(i, _)| i)
        .find(|i| *i >= SNIPPET_REACH)
        .unwrap_or(text.len());
    let cut = reach < text.len();
    let text = &text[..reach];
    let found = words::words(text);
    if found.is_empty() {
        return vec![];
    }
    let hits: Vec<bool> = found.iter().map(|w| is_hit(&w.folded, stems)).collect();
    // The window of `length` words holding the most hits (the first such).
    let length = length.min(found.len());
    let mut in_window: usize = hits[..length].iter().filter(|h| **h).count();
    let (mut best, mut best_start) = (in_window, 0);
    for start in 1..=found.len() - length {
        in_window += usize::from(hits[start + length - 1]);
        in_window -= usize::from(hits[start - 1]);
        if in_window > best {
            (best, best_start) = (in_window, start);
        }
    }
    // Start a word or two before the first hit, for context.
    let first_hit = (best_start..best_start + length).find(|i| hits[*i]);
    let start = first_hit.map_or(best_start, |i| i.saturating_sub(3).max(best_start));
    let end = (start + length).min(found.len());
    let from = if start == 0 { 0 } else { found[start].at.start };
    let to = if end == found.len() {
        text.len()
    } else {
        found[end - 1].at.end
    };
    let mut out = fragments(text, from..to, stems);
    if start > 0 {
        out.insert(0, plain("\u{2026}"));
    }
    if end < found.len() || cut {
        out.push(plain("\u{2026}"));
    }
    out
}

/// Whether a folded word has one of the stems looked for. A word starts
/// with its stem but for the stem's last letter ("happy", "happi"), so
/// only words that could match are stemmed (stemming every word of ten
/// bodies was most of a search's time).
fn is_hit(folded: &str, stems: &HashSet<String>) -> bool {
    let could = stems.iter().any(|stem| {
        let cut = stem.char_indices().last().map_or(0, |(i, _)| i);
        folded.starts_with(&stem[..cut])
    });
    could && stems.contains(&words::stem(folded))
}

fn plain(text: &str) -> Fragment {
    Fragment {
        text: text.to_string(),
        hit: false,
    }
}

/// `text[range]` cut into runs of unmarked and marked words (whitespace
/// between lines folded to spaces).
fn fragments(text: &str, range: std::ops::Range<usize>, stems: &HashSet<String>) -> Vec<Fragment> {
    let part = &text[range.clone()];
    let mut out: Vec<Fragment> = Vec::new();
    let mut push = |piece: &str, hit: bool| {
        let piece = piece.replace(['\n', '\r', '\t'], " ");
        if piece.is_empty() {
            return;
        }
        match out.last_mut() {
            Some(last) if last.hit == hit => last.text.push_str(&piece),
            _ => out.push(Fragment { text: piece, hit }),
        }
    };
    let mut at = 0;
    for w in words::words(part) {
        if is_hit(&w.folded, stems) {
            push(&part[at..w.at.start], false);
            push(&part[w.at.clone()], true);
            at = w.at.end;
        }
    }
    push(&part[at..], false);
    out
}

/// Stories per transaction in a reindex.
const REINDEX_BATCH: i64 = 500;

/// Every story's id, a batch at a time, in id order.
struct StoryBatches<'a> {
    store: &'a Store,
    after: String,
}

impl<'a> StoryBatches<'a> {
    fn new(store: &'a Store) -> Self {
        StoryBatches {
            store,
            after: String::new(),
        }
    }

    async fn next(&mut self) -> StoreResult<Option<Vec<String>>> {
        let ids = self
            .store
            .story_ids_after(&self.after, REINDEX_BATCH)
            .await?;
        Ok(ids.last().cloned().map(|last| {
            self.after = last;
            ids
        }))
    }
}

/// Rebuilds every story's search document (published ones are indexed,
/// others dropped), a batch per transaction; `progress` hears how many
/// stories are done.
pub async fn reindex(store: &Store, mut progress: impl FnMut(usize)) -> StoreResult<usize> {
    let mut batches = StoryBatches::new(store);
    let mut done = 0;
    while let Some(ids) = batches.next().await? {
        store.reindex_stories(&ids).await?;
        done += ids.len();
        progress(done);
    }
    store.optimize().await?;
    Ok(done)
}

/// Rewrites the search documents marked stale (a section, tag or author
/// they show was renamed or removed), a batch per transaction, until none
/// is left.
pub async fn reindex_stale(store: &Store) -> StoreResult<usize> {
    // Small batches: this runs beside the newsroom's own saves, and a
    // batch's rows stay locked until it commits.
    const STALE_BATCH: i64 = 100;
    let mut done = 0;
    loop {
        let ids = store.stale_search_documents(STALE_BATCH).await?;
        if ids.is_empty() {
            return Ok(done);
        }
        done += ids.len();
        store.reindex_stories(&ids).await?;
    }
}

/// Works out the related stories of every story (see `related::compute`).
pub async fn relate_all(store: &Store, mut progress: impl FnMut(usize)) -> StoreResult<usize> {
    let mut batches = StoryBatches::new(store);
    let mut done = 0;
    while let Some(ids) = batches.next().await? {
        for id in &ids {
            super::related::compute(store, id).await?;
            done += 1;
            if done % 100 == 0 {
                progress(done);
            }
        }
    }
    progress(done);
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(q: &Query) -> Vec<String> {
        q.terms.iter().map(|t| t.join(" ")).collect()
    }

    #[test]
    fn queries_are_read_forgivingly() {
        let q = parse(r#"  Port STRIKE "day two" -Rotterdam e-bikes (NEAR) AND café's "#);
        assert_eq!(
            terms(&q),
            ["port", "strike", "day two", "e bikes", "near", "cafe s"]
        );
        assert_eq!(q.excluded, [vec!["rotterdam".to_string()]]);
        assert!(q.notes.is_empty());

        // operators and stray punctuation only: nothing to look for
        for junk in ["", "   ", "\"\"", "AND OR NOT", "*** ((( ::", "-"] {
            assert!(parse(junk).is_empty(), "{junk:?}");
        }
        // an unclosed quote runs to the end
        assert_eq!(terms(&parse("\"harbour strike")), ["harbour strike"]);
        // only exclusions: said, and nothing searched
        let q = parse("-tax -strike");
        assert!(q.is_empty() && q.excluded.is_empty());
        assert_eq!(q.notes.len(), 1);
    }

    #[test]
    fn huge_queries_are_cut_with_a_note() {
        let q = parse(&"harbour ".repeat(10_000));
        assert_eq!(q.terms.len(), MAX_WORDS);
        assert_eq!(q.notes.len(), 2, "{:?}", q.notes);
        let q = parse(&"x".repeat(100_000));
        assert_eq!(q.terms, [vec!["x".repeat(MAX_QUERY_CHARS)]]);
    }

    #[test]
    fn snippets_mark_words_by_stem_around_the_hits() {
        let stems = parse("strike").stems();
        let text = format!(
            "{} Dockers were striking again on Tuesday. {}",
            "Filler words come first here. ".repeat(10),
            "More words follow afterwards. ".repeat(10)
        );
        let s = snippet(&text, &stems, 12);
        assert_eq!(s.first().map(|f| f.text.as_str()), Some("\u{2026}"));
        assert_eq!(s.last().map(|f| f.text.as_str()), Some("\u{2026}"));
        let marked: Vec<&str> = s
            .iter()
            .filter(|f| f.hit)
            .map(|f| f.text.as_str())
            .collect();
        assert_eq!(marked, ["striking"]);
        let all: String = s.iter().map(|f| f.text.as_str()).collect();
        assert!(all.contains("Dockers were striking again"), "{all}");

        let headline = mark("Strikes close the port", &stems);
        assert_eq!(
            headline[0],
            Fragment {
                text: "Strikes".into(),
                hit: true
            }
        );
        assert_eq!(headline[1].text, " close the port");
        // a short text is shown whole, without ellipses
        let short = snippet("The strike ended.", &stems, 32);
        assert_eq!(short.len(), 3);
    }
}
