//! The query parameters of both APIs, read as Ghost reads them: the first
//! of a repeated parameter wins (the official client repeats `slug=` on
//! reads by slug), unknown ones are ignored, bad values are a 4xx that
//! says what would do.

use crate::model::nql;
use crate::services::ghost::{Formats, Include};
use crate::store::browse::Order;

use super::ApiError;

/// A page holds this many rows unless the client asks otherwise.
const DEFAULT_LIMIT: i64 = 15;
/// The most rows a numbered limit may ask for (`limit=all` has no bound).
const MAX_LIMIT: i64 = 1000;

#[derive(Debug, Clone)]
pub struct Params {
    pub key: Option<String>,
    pub include: Include,
    /// Empty: every field.
    pub fields: Vec<String>,
    pub formats: Formats,
    /// None: `limit=all`.
    pub limit: Option<i64>,
    pub page: i64,
    pub order: Vec<Order>,
    pub filter: Option<nql::Filter>,
    /// `source=html` on Admin API writes.
    pub source: Option<String>,
}

impl Params {
    /// Reads a query string; `include` is what is included when the
    /// client names nothing.
    pub fn read(query: Option<&str>, include: Include) -> Result<Params, ApiError> {
        let mut first = std::collections::HashMap::new();
        for (name, value) in url::form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
            first.entry(name.into_owned()).or_insert(value.into_owned());
        }
        let get = |name: &str| first.get(name).map(String::as_str);
        let list = |name: &str| -> Vec<String> {
            get(name)
                .unwrap_or("")
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let include = match get("include") {
            Some(_) => {
                let named = list("include");
                Include {
                    tags: named.iter().any(|n| n == "tags"),
                    authors: named.iter().any(|n| n == "authors"),
                    count_posts: named.iter().any(|n| n == "count.posts"),
                }
            }
            None => include,
        };
        let formats = match get("formats") {
            Some(_) => {
                let named = list("formats");
                Formats {
                    html: named.iter().any(|n| n == "html"),
                    plaintext: named.iter().any(|n| n == "plaintext"),
                }
            }
            None => Formats::default(),
        };
        let limit = match get("limit").map(str::trim) {
            None | Some("") => Some(DEFAULT_LIMIT),
            Some("all") => None,
            Some(n) => match n.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => Some(n),
                _ => {
                    return Err(ApiError::validation(format!(
                        "limit must be a whole number from 1 to {MAX_LIMIT}, or \"all\" (it was {n:?})."
                    )));
                }
            },
        };
        let page = match get("page").map(str::trim) {
            None | Some("") => 1,
            Some(n) => match n.parse::<i64>() {
                Ok(n) if (1..=1_000_000).contains(&n) => n,
                _ => {
                    return Err(ApiError::validation(format!(
                        "page must be a whole number from 1 (it was {n:?})."
                    )));
                }
            },
        };
        let filter = nql::parse(get("filter").unwrap_or(""))
            .map_err(|e| ApiError::bad_request(e.to_string()))?;
        Ok(Params {
            key: get("key").map(str::to_string),
            include,
            fields: list("fields"),
            formats,
            limit,
            page,
            order: read_order(get("order").unwrap_or(""))?,
            filter,
            source: get("source").map(str::to_string),
        })
    }
}

/// `published_at desc, title asc` → fields and directions (the fields are
/// checked against the resource by the store).
fn read_order(text: &str) -> Result<Vec<Order>, ApiError> {
    let mut order = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut words = part.split_whitespace();
        let field = words.next().unwrap_or_default().to_ascii_lowercase();
        let descending = match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => false,
            Some("desc") => true,
            Some(other) => {
                return Err(ApiError::bad_request(format!(
                    "order: {other:?} is no direction; write \"{field} asc\" or \"{field} desc\"."
                )));
            }
        };
        if words.next().is_some() || order.len() >= 5 {
            return Err(ApiError::bad_request(
                "order takes up to five \"field direction\" pairs separated by commas, e.g. \"published_at desc\".",
            ));
        }
        order.push(Order { field, descending });
    }
    Ok(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_of_a_repeated_parameter_wins_and_unknown_ones_are_ignored() {
        let p = Params::read(
            Some("slug=a&slug=a&key=k1&key=k2&utm_source=x&limit=all&page=2"),
            Include::default(),
        )
        .unwrap();
        assert_eq!(p.key.as_deref(), Some("k1"));
        assert_eq!(p.limit, None);
        assert_eq!(p.page, 2);
    }

    #[test]
    fn include_formats_and_fields_are_lists() {
        let p = Params::read(
            Some("include=tags,count.posts&formats=plaintext&fields=id,Title"),
            Include::default(),
        )
        .unwrap();
        assert!(p.include.tags && p.include.count_posts && !p.include.authors);
        assert!(p.formats.plaintext && !p.formats.html);
        assert_eq!(p.fields, ["id", "title"]);
    }

    #[test]
    fn bad_values_are_refused_with_advice() {
        for query in ["limit=0", "limit=abc", "limit=5000", "page=0", "page=-1"] {
            let e = Params::read(Some(query), Include::default()).unwrap_err();
            assert_eq!(e.status.as_u16(), 422, "{query}");
        }
        let e = Params::read(Some("filter=tag:"), Include::default()).unwrap_err();
        assert_eq!(e.kind, "BadRequestError");
        assert!(e.message.contains("character"), "{}", e.message);
        let e = Params::read(Some("order=title+sideways"), Include::default()).unwrap_err();
        assert!(e.message.contains("direction"));
    }

    #[test]
    fn order_reads_fields_and_directions() {
        let p = Params::read(Some("order=published_at%20DESC,title"), Include::default()).unwrap();
        assert_eq!(
            p.order,
            [
                Order {
                    field: "published_at".into(),
                    descending: true
                },
                Order {
                    field: "title".into(),
                    descending: false
                }
            ]
        );
    }
}
