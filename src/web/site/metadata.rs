//! What a page tells machines about itself: OpenGraph and Twitter cards
//! for link previews, and schema.org JSON-LD for search engines
//! (`NewsArticle` on stories and briefs, `Organization` and `WebSite` with
//! a `SearchAction` on the home page, `CollectionPage`, `ProfilePage`,
//! `SearchResultsPage` or `WebPage` elsewhere, `BreadcrumbList` where a
//! page sits under another). Every address is absolute, from the
//! configured public URL, never from the request.

use serde::Serialize;
use serde_json::{Value, json};

use super::views::{ImageView, Presenter};
use crate::urls;

/// The metadata of one page, as the base template writes it.
#[derive(Debug, Clone, Serialize, Default)]
pub struct PageMeta {
    /// OpenGraph type: website, article or profile.
    pub og_type: &'static str,
    /// The page's own title, without the site's name.
    pub title: String,
    pub image: Option<MetaImage>,
    pub article: Option<ArticleMeta>,
    /// JSON-LD documents, serialized and safe inside `<script>`.
    pub json_ld: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MetaImage {
    pub url: String,
    pub width: i32,
    pub height: i32,
    pub alt: String,
}

/// OpenGraph's article properties.
#[derive(Debug, Clone, Serialize)]
pub struct ArticleMeta {
    pub published: String,
    pub modified: String,
    pub section: String,
    pub tags: Vec<String>,
    /// Author pages (absolute).
    pub authors: Vec<String>,
}

/// A story or brief, as `NewsArticle` and OpenGraph describe it.
pub struct Article<'a> {
    pub headline: &'a str,
    pub description: &'a str,
    pub path: &'a str,
    pub image: Option<&'a ImageView>,
    pub published: i64,
    pub modified: i64,
    /// The section's name and path.
    pub section: Option<(&'a str, &'a str)>,
    pub tags: Vec<String>,
    /// Each author's name and path.
    pub authors: Vec<(String, String)>,
    /// Its standing corrections: when each was made, and its text.
    pub corrections: Vec<(i64, &'a str)>,
    /// Its live coverage, when it has had some.
    pub live: Option<LiveMeta>,
}

/// A story's live coverage as `LiveBlogPosting` describes it.
pub struct LiveMeta {
    pub started: i64,
    pub ended: Option<i64>,
    /// Its updates, newest first.
    pub updates: Vec<LiveUpdateMeta>,
}

pub struct LiveUpdateMeta {
    /// The update's permalink (a path with its fragment).
    pub path: String,
    pub posted: i64,
    pub modified: i64,
    /// Its words.
    pub text: String,
    /// Its author's name and page.
    pub author: Option<(String, String)>,
}

/// Updates a page's JSON-LD carries at most (the newest).
const LIVE_UPDATES_IN_JSON_LD: usize = 50;
/// A live update's `headline`: its first words.
const UPDATE_HEADLINE_CHARS: usize = 110;

/// JSON text safe inside a `<script>` element: no `<`, `>` or `&` can end
/// it or start markup.
pub fn script_json(value: &Value) -> String {
    value
        .to_string()
        .replace('<', "\\u003c")
        .replace('>', "\\u003e")
        .replace('&', "\\u0026")
}

fn rfc3339(t: i64) -> String {
    crate::model::dates::Dates::of(t).rfc3339
}

impl Presenter<'_> {
    fn absolute(&self, path: &str) -> String {
        self.app.public_url.absolute(path)
    }

    /// The publication as schema.org's `Organization`, with its logo (the
    /// site's icon when no logo is set).
    fn organization(&self) -> Value {
        let logo = match &self.site_logo() {
            Some(logo) => json!({
                "@type": "ImageObject",
                "url": self.absolute(&logo.src),
                "width": pixels(logo.width),
                "height": pixels(logo.height),
            }),
            None => json!({
                "@type": "ImageObject",
                "url": self.absolute(&self.app.theme.asset_url("favicon.svg").unwrap_or_default()),
            }),
        };
        json!({
            "@type": "Organization",
            "@id": self.absolute(&format!("{}#organization", urls::home())),
            "name": self.settings().title,
            "url": self.absolute(&urls::home()),
            "logo": logo,
        })
    }

    /// The metadata every page starts with: a `WebPage` that is part of
    /// the site.
    pub fn page_meta(&self, title: &str, description: &str, path: &str) -> PageMeta {
        let page = json!({
            "@context": "https://schema.org",
            "@type": "WebPage",
            "name": title,
            "description": description,
            "url": self.absolute(path),
            "inLanguage": self.settings().language,
            "isPartOf": {"@type": "WebSite", "name": self.settings().title, "url": self.absolute(&urls::home())},
        });
        PageMeta {
            og_type: "website",
            title: title.to_string(),
            image: self.site_logo().map(|logo| self.meta_image(&logo)),
            article: None,
            json_ld: vec![script_json(&page)],
        }
    }

    fn meta_image(&self, image: &ImageView) -> MetaImage {
        MetaImage {
            url: self.absolute(&image.src),
            width: image.width,
            height: image.height,
            alt: image.alt.clone(),
        }
    }

    /// The home page: the publication and its site, with the search box
    /// search engines may offer.
    pub fn home_meta(&self, meta: &mut PageMeta) {
        let mut organization = self.organization();
        organization["@context"] = "https://schema.org".into();
        let links: Vec<&str> = self
            .settings()
            .social
            .iter()
            .map(|l| l.url.as_str())
            .collect();
        if !links.is_empty() {
            organization["sameAs"] = json!(links);
        }
        let search = format!(
            "{}?q={{search_term_string}}",
            self.absolute(&urls::search())
        );
        let website = json!({
            "@context": "https://schema.org",
            "@type": "WebSite",
            "name": self.settings().title,
            "description": self.settings().tagline,
            "url": self.absolute(&urls::home()),
            "inLanguage": self.settings().language,
            "publisher": {"@id": self.absolute(&format!("{}#organization", urls::home()))},
            "potentialAction": {
                "@type": "SearchAction",
                "target": {"@type": "EntryPoint", "urlTemplate": search},
                "query-input": "required name=search_term_string",
            },
        });
        meta.json_ld = vec![script_json(&organization), script_json(&website)];
    }

    /// A listing (section, tag, Latest, briefs) or an author's page, under
    /// the home page.
    pub fn listing_meta(&self, meta: &mut PageMeta, kind: &str, name: &str, path: &str) {
        let page_type = match kind {
            "author" => "ProfilePage",
            "search" => "SearchResultsPage",
            _ => "CollectionPage",
        };
        let mut page = json!({
            "@context": "https://schema.org",
            "@type": page_type,
            "name": name,
            "url": self.absolute(path),
            "inLanguage": self.settings().language,
            "isPartOf": {"@type": "WebSite", "name": self.settings().title, "url": self.absolute(&urls::home())},
        });
        if kind == "author" {
            meta.og_type = "profile";
            page["mainEntity"] =
                json!({"@type": "Person", "name": name, "url": self.absolute(path)});
        }
        meta.json_ld = vec![
            script_json(&page),
            script_json(&self.breadcrumbs(&[(name, path)])),
        ];
    }

    /// `BreadcrumbList` from the home page down to `trail`'s last entry.
    fn breadcrumbs(&self, trail: &[(&str, &str)]) -> Value {
        let mut items = vec![json!({
            "@type": "ListItem",
            "position": 1,
            "name": self.settings().title,
            "item": self.absolute(&urls::home()),
        })];
        for (i, (name, path)) in trail.iter().enumerate() {
            items.push(json!({
                "@type": "ListItem",
                "position": i + 2,
                "name": name,
                "item": self.absolute(path),
            }));
        }
        json!({"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": items})
    }

    /// A story or brief: `NewsArticle`, OpenGraph article properties, the
    /// image for link previews, and the breadcrumbs through its section.
    pub fn article_meta(&self, meta: &mut PageMeta, a: &Article<'_>) {
        let authors: Vec<Value> = a
            .authors
            .iter()
            .map(
                |(name, path)| json!({"@type": "Person", "name": name, "url": self.absolute(path)}),
            )
            .collect();
        let mut article = json!({
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": a.headline,
            "description": a.description,
            "url": self.absolute(a.path),
            "mainEntityOfPage": self.absolute(a.path),
            "datePublished": rfc3339(a.published),
            "dateModified": rfc3339(a.modified),
            "inLanguage": self.settings().language,
            "publisher": self.organization(),
        });
        // Readers' sites with no byline (briefs) credit the publication.
        article["author"] = if authors.is_empty() {
            json!([self.organization()])
        } else {
            json!(authors)
        };
        if let Some(image) = a.image {
            article["image"] = json!([{
                "@type": "ImageObject",
                "url": self.absolute(&image.src),
                "width": pixels(image.width),
                "height": pixels(image.height),
                "caption": if image.caption.is_empty() { &image.alt } else { &image.caption },
            }]);
            meta.image = Some(self.meta_image(image));
        }
        if let Some((section, _)) = a.section {
            article["articleSection"] = section.into();
        }
        if !a.tags.is_empty() {
            article["keywords"] = json!(a.tags);
        }
        // schema.org's way for a publisher to say it corrected a piece.
        if !a.corrections.is_empty() {
            let corrections: Vec<Value> = a
                .corrections
                .iter()
                .map(|(at, text)| {
                    json!({"@type": "CorrectionComment", "text": text, "datePublished": rfc3339(*at)})
                })
                .collect();
            article["correction"] = json!(corrections);
        }
        // A story covered live is also schema.org's live blog posting.
        if let Some(live) = &a.live {
            article["@type"] = json!(["NewsArticle", "LiveBlogPosting"]);
            article["coverageStartTime"] = rfc3339(live.started).into();
            if let Some(ended) = live.ended {
                article["coverageEndTime"] = rfc3339(ended).into();
            }
            let updates: Vec<Value> = live
                .updates
                .iter()
                .take(LIVE_UPDATES_IN_JSON_LD)
                .map(|u| {
                    let mut update = json!({
                        "@type": "BlogPosting",
                        "headline": crate::model::text::truncate_words(&u.text, UPDATE_HEADLINE_CHARS),
                        "articleBody": u.text,
                        "url": self.absolute(&u.path),
                        "datePublished": rfc3339(u.posted),
                        "dateModified": rfc3339(u.modified),
                    });
                    if let Some((name, path)) = &u.author {
                        update["author"] =
                            json!({"@type": "Person", "name": name, "url": self.absolute(path)});
                    }
                    update
                })
                .collect();
            article["liveBlogUpdate"] = json!(updates);
        }
        let mut trail: Vec<(&str, &str)> = a.section.into_iter().collect();
        trail.push((a.headline, a.path));
        meta.og_type = "article";
        meta.article = Some(ArticleMeta {
            published: rfc3339(a.published),
            modified: rfc3339(a.modified),
            section: a.section.map(|(s, _)| s.to_string()).unwrap_or_default(),
            tags: a.tags.clone(),
            authors: a
                .authors
                .iter()
                .map(|(_, path)| self.absolute(path))
                .collect(),
        });
        meta.json_ld = vec![
            script_json(&article),
            script_json(&self.breadcrumbs(&trail)),
        ];
    }
}

/// A size in pixels as schema.org's vocabulary has it: `width` and
/// `height` take a `QuantitativeValue` (or a `Distance`), not a bare
/// number; E37 is UN/CEFACT's code for the pixel.
fn pixels(n: impl Into<Value>) -> Value {
    json!({ "@type": "QuantitativeValue", "value": n.into(), "unitCode": "E37" })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_in_a_script_cannot_close_it() {
        let v = json!({"headline": "</script><script>alert(1)</script> & more"});
        let text = script_json(&v);
        assert!(!text.contains('<') && !text.contains('&'), "{text}");
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back, v);
    }
}
