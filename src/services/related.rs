//! What "related" means: the stories offered to a reader at the end of one.
//!
//! Those that share the most of its tags come first, then those of its
//! section, then the newest. Only the newest public stories of each tag are
//! weighed (`store::TAG_WINDOW` of them), so choosing costs the same in a
//! small magazine and a deep archive, and the windows can be kept and shared
//! by every story under the same tag. When tags give too few, the newest
//! stories of its section fill the rest. Never the story itself, never one
//! readers cannot see (windows and listings hold public stories only).

use std::collections::HashMap;

use crate::model::{Story, StoryFilter, UnixTime};
use crate::store::TagWindowEntry;

/// Tags beyond this many do not widen the search.
pub const TAGS_WEIGHED: usize = 8;

/// The ids of the first `limit` stories related to `story`, from the
/// windows of its tags.
pub fn rank(story: &Story, windows: &[&[TagWindowEntry]], limit: usize) -> Vec<String> {
    let mut scores: HashMap<&str, (usize, bool, UnixTime)> = HashMap::new();
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
    let mut ranked: Vec<(&str, (usize, bool, UnixTime))> = scores.into_iter().collect();
    ranked.sort_by(|(a_id, a), (b_id, b)| b.cmp(a).then_with(|| b_id.cmp(a_id)));
    ranked
        .into_iter()
        .take(limit)
        .map(|(id, _)| id.to_string())
        .collect()
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
    use crate::model::{SafeHtml, Status};

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
            body_md: String::new(),
            body_html: SafeHtml::default(),
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
    }

    #[test]
    fn the_section_fills_in_without_repeating() {
        let filter = fill_from_section(&story(), &["a".into()]);
        assert_eq!(filter.section_id.as_deref(), Some("europe"));
        assert_eq!(filter.exclude_ids, ["a", "me"]);
    }
}
