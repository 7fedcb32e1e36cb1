//! The search page: the query and its filters from the address, results
//! with marked snippets, paging, and advice when nothing is found.
//! Results are for one reader: kept out of the shared page cache (a
//! crawler walking queries would push real pages out of it).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use serde::Serialize;

use super::views::{Chrome, LinkView, Presenter, Teaser};
use super::{PageResult, html};
use crate::services::search::{self, Filters, Fragment};
use crate::urls;
use crate::web::{App, SiteError};

const PER_PAGE: i64 = 10;
/// Pages of results offered at most (deeper pages answer 404).
const MAX_PAGE: u32 = 50;

/// The address's parameters, first of each name; unknown ones ignored.
#[derive(Debug, Default, Clone)]
struct Asked {
    q: String,
    section: String,
    label: String,
    author: String,
    from: String,
    to: String,
    page: String,
}

impl Asked {
    fn read(pairs: Vec<(String, String)>) -> Asked {
        let mut asked = Asked::default();
        for (name, value) in pairs {
            let slot = match name.as_str() {
                "q" => &mut asked.q,
                "section" => &mut asked.section,
                "label" => &mut asked.label,
                "author" => &mut asked.author,
                "from" => &mut asked.from,
                "to" => &mut asked.to,
                "page" => &mut asked.page,
                _ => continue,
            };
            if slot.is_empty() {
                *slot = value.trim().to_string();
            }
        }
        asked
    }

    /// This search's address at another page (or with changes).
    fn url(&self, page: u32) -> String {
        let page = if page > 1 {
            page.to_string()
        } else {
            String::new()
        };
        urls::with_query(
            &urls::search(),
            &[
                ("q", &self.q),
                ("section", &self.section),
                ("label", &self.label),
                ("author", &self.author),
                ("from", &self.from),
                ("to", &self.to),
                ("page", &page),
            ],
        )
    }

    fn has_filters(&self) -> bool {
        [
            &self.section,
            &self.label,
            &self.author,
            &self.from,
            &self.to,
        ]
        .iter()
        .any(|f| !f.is_empty())
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    name: String,
    selected: bool,
}

#[derive(Serialize)]
struct ResultView {
    teaser: Teaser,
    headline: Vec<Fragment>,
    snippet: Vec<Fragment>,
}

#[derive(Serialize)]
struct SearchView {
    chrome: Chrome,
    q: String,
    from: String,
    to: String,
    sections: Vec<Choice>,
    labels: Vec<Choice>,
    authors: Vec<Choice>,
    searched: bool,
    results: Vec<ResultView>,
    broadened: bool,
    notes: Vec<String>,
    page: u32,
    prev_url: Option<String>,
    next_url: Option<String>,
    /// The search without each of its words (when nothing was found).
    fewer_words: Vec<LinkView>,
    without_filters: Option<String>,
    latest: minijinja::Value,
}

pub(super) async fn page(
    State(app): State<Arc<App>>,
    Query(pairs): Query<Vec<(String, String)>>,
) -> PageResult {
    let asked = Asked::read(pairs);
    let p = Presenter::new(&app).await?;
    let page = match asked.page.as_str() {
        "" => 1,
        raw if !raw.bytes().all(|b| b.is_ascii_digit())
            || raw.trim_start_matches('0').is_empty() =>
        {
            return Err(SiteError::BadRequest(format!(
                "\u{201c}{raw}\u{201d} is not a page number: pages are numbered from 1."
            )));
        }
        raw => match raw.parse::<u32>() {
            Ok(n) if n <= MAX_PAGE => n,
            _ => return Err(SiteError::NotFound),
        },
    };
    let filters = filters(&p, &asked)?;
    let query = search::parse(&asked.q);
    let results = search::search(&app.store, &query, &filters, p.now, page, PER_PAGE).await?;
    if page > 1 && results.found.is_empty() {
        return Err(SiteError::NotFound);
    }
    let ids: Vec<String> = results.found.iter().map(|f| f.story_id.clone()).collect();
    let summaries = app.store.public_story_summaries(&ids, p.now).await?;
    let views: Vec<ResultView> = results
        .found
        .into_iter()
        .filter_map(|found| {
            let summary = summaries.iter().find(|s| s.id == found.story_id)?;
            Some(ResultView {
                teaser: p.site.teaser(summary),
                headline: found.headline,
                snippet: found.snippet,
            })
        })
        .collect();
    let searched = !query.is_empty();
    let fewer_words = if searched && views.is_empty() && query.terms.len() > 1 {
        (0..query.terms.len())
            .map(|skip| {
                let words: Vec<String> = query
                    .terms
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| *i != skip)
                    .map(|(_, t)| quoted(t))
                    .collect();
                let q = words.join(" ");
                let link = Asked {
                    q: q.clone(),
                    page: String::new(),
                    ..asked.clone()
                };
                LinkView {
                    name: q,
                    url: link.url(1),
                }
            })
            .collect()
    } else {
        vec![]
    };
    let without_filters = (searched && views.is_empty() && asked.has_filters()).then(|| {
        Asked {
            q: asked.q.clone(),
            ..Asked::default()
        }
        .url(1)
    });
    let title = if searched {
        format!("Search: {}", asked.q.chars().take(80).collect::<String>())
    } else {
        "Search".to_string()
    };
    let mut chrome = p.chrome(
        Some(&title),
        &format!("Search the stories of {}", p.settings().title),
        &urls::search(),
    );
    let prev_url = (page > 1).then(|| asked.url(page - 1));
    let next_url = (results.has_next && page < MAX_PAGE).then(|| asked.url(page + 1));
    chrome.prev_url = prev_url.clone();
    chrome.next_url = next_url.clone();
    chrome.robots = Some("noindex, follow");
    p.listing_meta(&mut chrome.meta, "search", "Search", &urls::search());
    let view = SearchView {
        chrome,
        q: asked.q.clone(),
        from: asked.from.clone(),
        to: asked.to.clone(),
        sections: p
            .site
            .sections
            .iter()
            .map(|s| Choice {
                selected: s.slug == asked.section,
                value: s.slug.clone(),
                name: s.name.clone(),
            })
            .collect(),
        labels: p
            .site
            .search_labels
            .iter()
            .map(|l| Choice {
                selected: *l == asked.label,
                value: l.clone(),
                name: l.clone(),
            })
            .collect(),
        authors: p
            .author_list()
            .into_iter()
            .map(|(slug, name, _)| Choice {
                selected: slug == asked.author,
                value: slug,
                name,
            })
            .collect(),
        searched,
        results: views,
        broadened: results.broadened,
        notes: query.notes,
        page,
        prev_url,
        next_url,
        fewer_words,
        without_filters,
        latest: p.latest(),
    };
    let mut response = html(p.render("search.html", view)?);
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("private, max-age=60"),
    );
    Ok(response.into_response())
}

fn quoted(term: &[String]) -> String {
    if term.len() > 1 {
        format!("\"{}\"", term.join(" "))
    } else {
        term.join(" ")
    }
}

/// The filters the address asks for; an unknown section or author, or a
/// date that is not one, is a clear 400.
fn filters(p: &Presenter<'_>, asked: &Asked) -> Result<Filters, SiteError> {
    let mut filters = Filters::default();
    if !asked.section.is_empty() {
        let section = p
            .site
            .sections
            .iter()
            .find(|s| s.slug == asked.section)
            .ok_or_else(|| {
                SiteError::BadRequest(format!(
                    "There is no section \u{201c}{}\u{201d} to search in. Choose one from the list, or search every section.",
                    asked.section
                ))
            })?;
        filters.section_id = Some(section.id.clone());
    }
    if !asked.author.is_empty() {
        let author = p
            .author_list()
            .into_iter()
            .find(|(slug, _, _)| slug == &asked.author)
            .ok_or_else(|| {
                SiteError::BadRequest(format!(
                    "There is no author \u{201c}{}\u{201d}. Choose one from the list, or search every author.",
                    asked.author
                ))
            })?;
        filters.author_id = Some(author.2);
    }
    if !asked.label.is_empty() {
        filters.label = Some(asked.label.clone());
    }
    let day = |raw: &str, what: &str| -> Result<Option<i64>, SiteError> {
        if raw.is_empty() {
            return Ok(None);
        }
        p.day_start(raw).map(Some).ok_or_else(|| {
            SiteError::BadRequest(format!(
                "The {what} date \u{201c}{raw}\u{201d} is not a date: write it as year-month-day, such as 2026-03-31."
            ))
        })
    };
    filters.from = day(&asked.from, "from")?;
    // Up to the end of the "to" day.
    filters.until = day(&asked.to, "to")?.map(|start| start + 86_400);
    if let (Some(from), Some(until)) = (filters.from, filters.until)
        && from >= until
    {
        return Err(SiteError::BadRequest(
            "The from date is after the to date: swap them to search between the two.".into(),
        ));
    }
    Ok(filters)
}
