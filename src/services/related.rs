//! What "related" means: the stories offered to a reader at the end of one.
//!
//! Worked out when a story is saved (a job, `compute`), from its text and
//! its tags: the stories the search index finds for its most telling words
//! (words rare in the archive but present in it), and those sharing its
//! tags and section, newer ones preferred. The editors' pins come first and
//! their exclusions never show. Rendering reads the stored list.
//!
//! Until a story's list is worked out (an archive just loaded, before
//! `masthead search reindex --related`), pages rank from tags alone: those
//! that share the most of its tags come first, then those of its section,
//! then the newest. Only the newest public stories of each tag are weighed
//! (`store::TAG_WINDOW` of them), so choosing costs the same in a small
//! magazine and a deep archive, and the windows can be kept and shared by
//! every story under the same tag. When tags give too few, the newest
//! stories of its section fill the rest. Never the story itself, never one
//! readers cannot see (windows and listings hold public stories only).

use std::collections::{HashMap, HashSet};

use crate::model::{Story, StoryFilter, UnixTime, words};
use crate::store::{Store, StoreResult, TagWindowEntry};

/// Stories kept in a computed list.
pub const KEPT: usize = 8;
/// Stories whose lists are worked out again when a story finds them
/// related (they may now have it as related in turn).
pub const NEIGHBOURS_UPDATED: usize = 3;
/// Words of a story weighed for its telling ones.
const CANDIDATE_WORDS: usize = 16;
/// Stories the words offer, looked up for the final ranking.
const TEXT_CANDIDATES: usize = 30;
/// Words that count: the rarest candidates.
const TELLING_WORDS: usize = 8;
/// A word in more stories than this says little about a subject (and
/// looking it up stops here: the cost never grows with the archive).
const COMMON_AFTER: i64 = 400;

/// Works out and stores the related stories of a story; returns them.
/// Public stories only, never the story itself; nothing for a story that
/// is not public.
///
/// Its telling words are those of its headline, dek and most frequent body
/// words that appear in other stories, but rarely (each looked up in the
/// index, at most `COMMON_AFTER` matches); the rarest count. Each story
/// sharing them scores the sum of their rarity (ln of how much rarer than
/// common they are), so two stories sharing "saltmarsh" and "redshank"
/// outrank two sharing "wall" however often it is repeated. The same on
/// both engines: only "which stories have this word" is asked of them.
pub async fn compute(store: &Store, story_id: &str) -> StoreResult<Vec<String>> {
    let now = store.clock().now();
    let Some(card) = store
        .story_cards_by_ids(&[story_id.to_string()])
        .await?
        .pop()
    else {
        return Ok(vec![]);
    };
    let story = &card.story;
    if !story.is_public(now) {
        keep(store, story_id, &[]).await?;
        return Ok(vec![]);
    }
    let mut words = candidate_words(story);
    // Words the statistics know to be common are not telling: looking
    // each up would read a few hundred rows to find it out (PostgreSQL;
    // SQLite's statistics are empty and its look-ups cheap).
    let frequencies = store.word_frequencies().await;
    words.retain(|w| !frequencies.surely_in_more_than(w, COMMON_AFTER));
    // Found in one story only (this one), or in too many: not telling.
    let mut telling: Vec<Vec<i64>> = store
        .word_matches(&words, COMMON_AFTER + 1)
        .await?
        .into_iter()
        .filter(|matches| (2..=COMMON_AFTER as usize).contains(&matches.len()))
        .collect();
    telling.sort_by_key(Vec::len);
    telling.truncate(TELLING_WORDS);
    let mut scores: HashMap<i64, f64> = HashMap::new();
    for matches in &telling {
        let rarity = ((COMMON_AFTER + 1) as f64 / matches.len() as f64).ln();
        for doc in matches {
            *scores.entry(*doc).or_default() += rarity;
        }
    }
    // The best few (and the story itself, to leave out) looked up.
    let mut best: Vec<(i64, f64)> = scores.into_iter().collect();
    best.sort_by(|a, b| b.1.total_cmp(&a.1).then(b.0.cmp(&a.0)));
    best.truncate(TEXT_CANDIDATES);
    let docs: Vec<i64> = best.iter().map(|(doc, _)| *doc).collect();
    let text: Vec<TextMatch> = store
        .search_documents(&docs)
        .await?
        .into_iter()
        .filter(|m| m.story_id != story.id)
        .filter_map(|m| {
            let score = best.iter().find(|(doc, _)| *doc == m.doc)?.1;
            Some(TextMatch {
                story_id: m.story_id,
                section_id: m.section_id,
                published_at: m.published_at,
                score,
            })
        })
        .collect();
    let tags: Vec<String> = card.tag_ids.iter().take(TAGS_WEIGHED).cloned().collect();
    let windows = store.tag_windows(&tags, now).await?;
    let windows: Vec<&[TagWindowEntry]> = windows.values().map(|w| w.as_slice()).collect();
    let ranked = combine(story, &text, &windows, now, KEPT);
    keep(store, story_id, &ranked).await?;
    Ok(ranked)
}

/// Stores a computed list, unless it is the one stored: an unchanged list
/// must not move the content version (every cached page would go).
async fn keep(store: &Store, story_id: &str, ranked: &[String]) -> StoreResult<()> {
    if store.related_lists(story_id).await?.computed != ranked {
        store.set_related_stories(story_id, ranked).await?;
    }
    Ok(())
}

/// A story sharing telling words, with how telling they are together.
#[derive(Debug, Clone)]
pub struct TextMatch {
    pub story_id: String,
    pub section_id: String,
    pub published_at: UnixTime,
    pub score: f64,
}

/// Scores candidates: shared words (up to 4 points for the best text
/// match, the rest in proportion), one point a shared tag, half a point
/// for the same section, all divided down with age (a story two years
/// older needs twice the score). Never the story itself.
pub fn combine(
    story: &Story,
    text: &[TextMatch],
    windows: &[&[TagWindowEntry]],
    now: UnixTime,
    limit: usize,
) -> Vec<String> {
    struct Candidate {
        score: f64,
        section_id: String,
        published_at: UnixTime,
    }
    let mut candidates: HashMap<String, Candidate> = HashMap::new();
    let best = text.iter().map(|m| m.score).fold(0.0, f64::max);
    for m in text {
        candidates.insert(
            m.story_id.clone(),
            Candidate {
                score: if best > 0.0 {
                    4.0 * m.score / best
                } else {
                    0.0
                },
                section_id: m.section_id.clone(),
                published_at: m.published_at,
            },
        );
    }
    for entry in windows.iter().flat_map(|w| w.iter()) {
        candidates
            .entry(entry.story_id.clone())
            .or_insert(Candidate {
                score: 0.0,
                section_id: entry.section_id.clone(),
                published_at: entry.published_at,
            })
            .score += 1.0;
    }
    candidates.remove(&story.id);
    let year = 365.0 * 86_400.0;
    let mut ranked: Vec<(f64, String)> = candidates
        .into_iter()
        .map(|(id, c)| {
            let section = if c.section_id == story.section_id {
                0.5
            } else {
                0.0
            };
            let age_years = (now - c.published_at).max(0) as f64 / year;
            ((c.score + section) / (1.0 + age_years / 2.0), id)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    ranked.into_iter().take(limit).map(|(_, id)| id).collect()
}

/// Words that might say what a story is about: those of its headline and
/// dek, then its body's most frequent, once each by stem, without
/// stopwords, numbers or very short words.
fn candidate_words(story: &Story) -> Vec<String> {
    let useful = |w: &String| {
        w.chars().count() >= 3 && !words::is_stopword(w) && !w.chars().all(|c| c.is_numeric())
    };
    let mut seen = HashSet::new();
    let mut chosen = Vec::new();
    let lead = format!("{} {}", story.headline, story.dek);
    for w in words::words(&lead).into_iter().map(|w| w.folded) {
        if useful(&w) && seen.insert(words::stem(&w)) {
            chosen.push(w);
        }
    }
    let mut counts: HashMap<String, (usize, String)> = HashMap::new();
    for w in words::words(&story.body.plain_text()) {
        if useful(&w.folded) {
            let entry = counts
                .entry(words::stem(&w.folded))
                .or_insert((0, w.folded.clone()));
            entry.0 += 1;
        }
    }
    let mut frequent: Vec<(usize, String, String)> =
        counts.into_iter().map(|(s, (n, w))| (n, s, w)).collect();
    frequent.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    for (_, stem, word) in frequent {
        if chosen.len() >= CANDIDATE_WORDS {
            break;
        }
        if seen.insert(stem) {
            chosen.push(word);
        }
    }
    chosen.truncate(CANDIDATE_WORDS);
    chosen
}

/// Tags beyond this many do not widen the search.
pub const TAGS_WEIGHED: usize = 8;

/// The ids of the first `limit` stories related to `story`, from the
/// windows of its tags.
pub fn rank(story: &Story, windows: &[&[TagWindowEntry]], limit: usize) -> Vec<String> {
    // Shared tags, same section, newness: compared in that order.
    type Score = (usize, bool, UnixTime);
    // Hundreds of candidates a render: foldhash rather than SipHash.
    let mut scores: HashMap<&str, Score, foldhash::fast::RandomState> = HashMap::default();
    for entry in windows.iter().flat_map(|w| w.iter()) {
        if entry.story_id == story.id {
            continue;
        }
        let score = scores.entry(&entry.story_id).or_insert((
            0,
            entry.section_id == story.section_id,
            entry.published_at,
        ));
        score.0 += 1;
    }
    let mut ranked: Vec<(&str, Score)> = scores.into_iter().collect();
    let order = |(a_id, a): &(&str, Score), (b_id, b): &(&str, Score)| {
        b.cmp(a).then_with(|| b_id.cmp(a_id))
    };
    // Only the first few are shown, of hundreds of candidates: chosen
    // first, then put in order (a page renders this while lists are not
    // worked out).
    if ranked.len() > limit {
        ranked.select_nth_unstable_by(limit, order);
        ranked.truncate(limit);
    }
    ranked.sort_by(order);
    ranked.into_iter().map(|(id, _)| id.to_string()).collect()
}

/// Where to find more when tags gave too few: the newest of the story's
/// section, except the story and those already chosen.
pub fn fill_from_section(story: &Story, chosen: &[String]) -> StoryFilter {
    let mut exclude = chosen.to_vec();
    exclude.push(story.id.clone());
    StoryFilter {
        section_id: Some(story.section_id.clone()),
        exclude_ids: exclude,
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    fn entry(id: &str, section: &str, published_at: UnixTime) -> TagWindowEntry {
        TagWindowEntry {
            story_id: id.into(),
            section_id: section.into(),
            published_at,
        }
    }

    fn story() -> Story {
        Story {
            id: "me".into(),
            slug: "me".into(),
            headline: "Me".into(),
            dek: String::new(),
            label: "News".into(),
            section_id: "europe".into(),
            body: Default::default(),
            custom_excerpt: None,
            hero_image_id: None,
            status: Status::Published,
            featured: false,
            published_at: Some(1),
            created_at: 1,
            updated_at: 1,
            reading_minutes: 1,
            seo_title: None,
            seo_description: None,
            hero_alt: None,
            hero_caption: None,
            hero_credit: None,
            created_by: None,
            revision: 1,
        }
    }

    #[test]
    fn more_shared_tags_beat_section_and_recency() {
        let water = [
            entry("newest-elsewhere", "asia", 950),
            entry("me", "europe", 920),
            entry("new-same-section", "europe", 900),
            entry("older-same-section", "europe", 500),
            entry("two-tags", "asia", 100),
        ];
        let ports = [entry("me", "europe", 920), entry("two-tags", "asia", 100)];
        let windows: [&[TagWindowEntry]; 2] = [&water, &ports];
        assert_eq!(
            rank(&story(), &windows, 3),
            ["two-tags", "new-same-section", "older-same-section"]
        );
        let all = rank(&story(), &windows, 10);
        assert_eq!(all.len(), 4, "each story once, never the story itself");
        assert!(!all.contains(&"me".to_string()));
        assert!(rank(&story(), &[], 4).is_empty());
        // However few are asked for, they are the first of the full order.
        for limit in 0..=5 {
            assert_eq!(
                rank(&story(), &windows, limit),
                all[..limit.min(4)],
                "{limit}"
            );
        }
    }

    #[test]
    fn the_section_fills_in_without_repeating() {
        let filter = fill_from_section(&story(), &["a".into()]);
        assert_eq!(filter.section_id.as_deref(), Some("europe"));
        assert_eq!(filter.exclude_ids, ["a", "me"]);
    }
}
