//! Searching the desk: stories, briefs, pages, images, authors, tags and
//! people by their words, each as this person may see them (drafts
//! included where they may open them).

use axum::extract::Query;
use serde::{Deserialize, Serialize};

use super::{DeskResult, Frame, SignedInDesk, render};
use crate::services::permissions::{Action, may};
use crate::store::{PageKey, WorkFilter};
use crate::urls;

/// Results of one kind shown at once.
const PER_KIND: i64 = 10;
/// The longest search the desk reads (a headline is at most 300).
const MAX_WORDS: usize = 200;

#[derive(Deserialize, Default)]
pub(super) struct SearchQuery {
    #[serde(default)]
    q: String,
}

/// One thing found: where it opens and what it is.
#[derive(Serialize)]
struct Found {
    url: String,
    label: String,
    detail: String,
}

/// The things of one kind found.
#[derive(Serialize)]
struct Group {
    heading: &'static str,
    found: Vec<Found>,
}

#[derive(Serialize)]
struct SearchView {
    q: String,
    groups: Vec<Group>,
    searched: bool,
    /// How many things were found, of every kind.
    total: usize,
}

/// Whether `text` holds the words, as the desk's lists compare them.
fn holds(text: &str, words: &str) -> bool {
    text.to_lowercase().contains(words)
}

/// The first things of a list (one the store gives whole, such as the
/// tags) that hold the words in one of their texts, as found.
fn matching<T>(
    all: Vec<T>,
    words: &str,
    texts: impl Fn(&T) -> [&str; 2],
    found: impl Fn(T) -> Found,
) -> Vec<Found> {
    all.into_iter()
        .filter(|item| texts(item).iter().any(|t| holds(t, words)))
        .take(PER_KIND as usize)
        .map(found)
        .collect()
}

pub(super) async fn show(
    SignedInDesk { desk, me }: SignedInDesk,
    Query(query): Query<SearchQuery>,
) -> DeskResult {
    let q: String = query.q.trim().chars().take(MAX_WORDS).collect();
    let mut groups = Vec::new();
    if !q.is_empty() {
        let store = &desk.app.store;
        let words = q.to_lowercase();
        let filter = WorkFilter {
            headline: Some(q.clone()),
            own: super::stories::own_only(&me.user),
            ..Default::default()
        };
        // Published stories by any word of their text, through the site's
        // search index; unpublished ones (the index holds none) by headline.
        let query = crate::services::search::parse(&q);
        let everywhere = crate::services::search::Filters::default();
        let now = store.clock().now();
        let in_text = crate::services::search::search(store, &query, &everywhere, now, 1, PER_KIND);
        let loaded = tokio::try_join!(
            in_text,
            store.work_stories(&filter, &PageKey::Newest, PER_KIND),
            store.work_briefs(&filter, &PageKey::Newest, PER_KIND),
            store.library(Some(&q), PER_KIND),
            store.authors(),
            store.tags(),
            store.pages(),
            store.users(),
        );
        let (in_text, stories, briefs, images, authors, tags, pages, people) = loaded?;
        let (stories, briefs) = (stories.rows, briefs.rows);
        let piece = |url: String, item: crate::store::WorkItem| Found {
            url,
            label: item.headline,
            detail: super::stories::status_label(item.status).to_string(),
        };
        // Stories with only some of the words are no answer here.
        let in_text = if in_text.broadened {
            vec![]
        } else {
            in_text.found
        };
        let mut found_stories: Vec<Found> = in_text
            .iter()
            .map(|f| Found {
                url: urls::desk_story(&f.story_id),
                label: f.headline.iter().map(|part| part.text.as_str()).collect(),
                detail: "Published; the words are in its text".into(),
            })
            .collect();
        for story in stories {
            let url = urls::desk_story(&story.id);
            if found_stories.len() < PER_KIND as usize
                && !found_stories.iter().any(|f| f.url == url)
            {
                found_stories.push(piece(url, story));
            }
        }
        groups.push(Group {
            heading: "Stories",
            found: found_stories,
        });
        groups.push(Group {
            heading: "Briefs",
            found: briefs
                .into_iter()
                .map(|b| piece(urls::desk_brief(&b.id), b))
                .collect(),
        });
        if may(me.user.role, Action::Curate, false) {
            groups.push(Group {
                heading: "Pages",
                found: matching(
                    pages,
                    &words,
                    |p| [&p.title, ""],
                    |p| Found {
                        url: urls::desk_page(&p.id),
                        detail: super::stories::status_label(p.status).to_string(),
                        label: p.title,
                    },
                ),
            });
        }
        groups.push(Group {
            heading: "Images",
            found: images
                .into_iter()
                .map(|entry| Found {
                    url: urls::desk_image(&entry.image.id),
                    label: super::image_label(&entry.image),
                    detail: entry.image.credit,
                })
                .collect(),
        });
        groups.push(Group {
            heading: "Authors",
            found: matching(
                authors,
                &words,
                |a| [&a.name, &a.role_line],
                |a| Found {
                    url: urls::desk_author(&a.id),
                    label: a.name,
                    detail: a.role_line,
                },
            ),
        });
        // A tag opens where this person may change it, else on the site.
        let keeps_tags = may(me.user.role, Action::ManageTaxonomy, false);
        groups.push(Group {
            heading: "Tags",
            found: matching(
                tags,
                &words,
                |t| [&t.name, ""],
                |t| Found {
                    url: if keeps_tags {
                        format!("{}#tag-{}", urls::desk_sections(), t.slug)
                    } else {
                        urls::tag(&t.slug)
                    },
                    label: t.name,
                    detail: String::new(),
                },
            ),
        });
        if may(me.user.role, Action::ManagePeople, false) {
            groups.push(Group {
                heading: "People",
                found: matching(
                    people,
                    &words,
                    |p| [&p.name, &p.email],
                    |p| Found {
                        url: urls::desk_people(),
                        detail: format!("{} · {}", p.email, p.role.label()),
                        label: p.name,
                    },
                ),
            });
        }
    }
    let view = SearchView {
        total: groups.iter().map(|g| g.found.len()).sum(),
        searched: !q.is_empty(),
        q,
        groups,
    };
    render(&desk, Frame::page("desk/search.html", "Search", ""), view).await
}
