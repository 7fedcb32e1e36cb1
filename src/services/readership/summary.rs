//! What the desk shows of the counts: a period's views and visitors day by
//! day (or month by month), its most read stories, the sites readers came
//! from, the sections and the pages newsletter sign-ups came from, for the
//! whole site, one person's own pieces or one piece.
//!
//! Everything is read from the daily and monthly totals, never from single
//! views, so a year of ten million views is a few thousand rows.

use serde::Serialize;

use super::chart::{self, Bar};
use super::counting::{date_of, month_of};
use crate::store::readership::{ReadershipLine, ReadershipScope, Slice};
use crate::store::{Store, StoreResult};

/// The periods the desk offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Period {
    Week,
    Month,
    Quarter,
    Year,
}

impl Period {
    pub const ALL: [Period; 4] = [Period::Week, Period::Month, Period::Quarter, Period::Year];

    /// As written in addresses: `7d`, `30d`, `90d`, `12m`.
    pub fn code(self) -> &'static str {
        match self {
            Period::Week => "7d",
            Period::Month => "30d",
            Period::Quarter => "90d",
            Period::Year => "12m",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Period::Week => "Last 7 days",
            Period::Month => "Last 30 days",
            Period::Quarter => "Last 90 days",
            Period::Year => "Last 12 months",
        }
    }

    pub fn parse(code: &str) -> Option<Period> {
        Period::ALL.into_iter().find(|p| p.code() == code)
    }

    /// "day" or "month": what its totals are kept by.
    pub fn grain(self) -> &'static str {
        match self {
            Period::Year => "month",
            _ => "day",
        }
    }

    /// Its totals of `dimension` for `scope`, ending `today`.
    pub fn slice<'a>(
        self,
        today: i64,
        dimension: &'static str,
        scope: &'a ReadershipScope,
    ) -> Slice<'a> {
        let (from, to) = self.range(today);
        Slice {
            grain: self.grain(),
            dimension,
            from,
            to,
            scope,
        }
    }

    /// Its first and last period number, ending `today`.
    pub fn range(self, today: i64) -> (i64, i64) {
        match self {
            Period::Week => (today - 6, today),
            Period::Month => (today - 29, today),
            Period::Quarter => (today - 89, today),
            Period::Year => (month_of(today) - 11, month_of(today)),
        }
    }
}

/// How a period number reads: "7 Dec" or "Dec 2026"; and as ISO.
pub fn period_label(grain: &str, period: i64) -> (String, String) {
    if grain == "month" {
        let year = period.div_euclid(12);
        let month = period.rem_euclid(12) + 1;
        let date = jiff::civil::date(year as i16, month as i8, 1);
        (
            date.strftime("%b %Y").to_string(),
            date.strftime("%Y-%m").to_string(),
        )
    } else {
        let date = date_of(period);
        (date.strftime("%-d %b").to_string(), date.to_string())
    }
}

/// One period's figures.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub label: String,
    pub iso: String,
    pub views: i64,
    pub visitors: i64,
}

/// A line of a list: what it is, where it leads, its figures.
#[derive(Debug, Clone, Serialize)]
pub struct Line {
    pub name: String,
    /// The public address (a page) or none.
    pub url: Option<String>,
    /// The story or brief it concerns.
    pub piece: String,
    pub views: i64,
    pub visitors: i64,
}

/// Everything the readership page shows for a period.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub period: Period,
    /// "Last 30 days".
    pub period_label: &'static str,
    pub points: Vec<Point>,
    pub views: i64,
    pub visitors: i64,
    /// The totals as read: "12,345".
    pub views_text: String,
    pub visitors_text: String,
    pub signups_text: String,
    pub top: Vec<Line>,
    pub referrers: Vec<Line>,
    /// Only for the whole site (empty otherwise).
    pub sections: Vec<Line>,
    pub signups: Vec<Line>,
    pub signup_total: i64,
    /// The bar chart of views, as SVG.
    pub chart: String,
}

/// Lines each list shows.
const LIST: i64 = 10;

/// The figures of `scope` over `period`, ending `today` (a day number).
pub async fn summarize(
    store: &Store,
    scope: &ReadershipScope,
    period: Period,
    today: i64,
) -> StoreResult<Summary> {
    let grain = period.grain();
    let range = period.range(today);
    let site = matches!(scope, ReadershipScope::Site);
    // The whole site's visitors are its own (a reader of two stories is
    // one); a person's or a piece's are its pages' added up.
    let series_of = if site { "site" } else { "page" };
    let slice = |dimension| period.slice(today, dimension, scope);
    let (of_series, of_pages, of_referrers) = (slice(series_of), slice("page"), slice("referrer"));
    // Sections and sign-ups are the whole site's only.
    let site_only = |dimension, limit| async move {
        match site {
            true => store.readership_top(&slice(dimension), false, limit).await,
            false => Ok(Vec::new()),
        }
    };
    let (series, top, referrers, sections, signups) = tokio::try_join!(
        store.readership_series(&of_series),
        store.readership_top(&of_pages, true, LIST),
        store.readership_top(&of_referrers, false, LIST),
        site_only("section", LIST),
        site_only("signup", 1000),
    )?;
    let ids: Vec<String> = top.iter().map(|l| l.piece.clone()).collect();
    let headlines = store.piece_headlines(&ids).await?;
    let section_names: std::collections::HashMap<String, String> = if sections.is_empty() {
        Default::default()
    } else {
        store
            .sections()
            .await?
            .into_iter()
            .map(|s| (s.slug, s.name))
            .collect()
    };
    let points: Vec<Point> = (range.0..=range.1)
        .map(|period| {
            let (label, iso) = period_label(grain, period);
            let found = series.iter().find(|p| p.period == period);
            Point {
                label,
                iso,
                views: found.map_or(0, |p| p.views),
                visitors: found.map_or(0, |p| p.visitors),
            }
        })
        .collect();
    let views = points.iter().map(|p| p.views).sum();
    let visitors = points.iter().map(|p| p.visitors).sum();
    let busiest = points.iter().max_by_key(|p| p.views);
    let title = match busiest {
        Some(b) if views > 0 => format!(
            "Views {} ({}): {} in all, most on {} ({})",
            if grain == "month" {
                "per month"
            } else {
                "per day"
            },
            period.label().to_lowercase(),
            chart::thousands(views),
            b.label,
            chart::thousands(b.views)
        ),
        _ => format!("No views counted ({})", period.label().to_lowercase()),
    };
    let chart = chart::bars(
        "views-chart",
        &title,
        &points
            .iter()
            .map(|p| Bar {
                label: p.label.clone(),
                value: p.views,
            })
            .collect::<Vec<_>>(),
    );
    let signup_total = signups.iter().map(|l| l.views).sum();
    let line = |l: ReadershipLine, name: String, url: Option<String>| Line {
        name,
        url,
        piece: l.piece,
        views: l.views,
        visitors: l.visitors,
    };
    Ok(Summary {
        period,
        period_label: period.label(),
        views,
        visitors,
        views_text: chart::thousands(views),
        visitors_text: chart::thousands(visitors),
        signups_text: chart::thousands(signup_total),
        chart,
        points,
        top: top
            .into_iter()
            .map(|l| {
                let name = headlines
                    .get(&l.piece)
                    .cloned()
                    .unwrap_or_else(|| format!("{} (deleted since)", l.item));
                let url = Some(l.item.clone());
                line(l, name, url)
            })
            .collect(),
        referrers: referrers
            .into_iter()
            .map(|l| {
                let name = l.item.clone();
                line(l, name, None)
            })
            .collect(),
        sections: sections
            .into_iter()
            .map(|l| {
                let name = section_names
                    .get(&l.item)
                    .cloned()
                    .unwrap_or_else(|| format!("{} (removed since)", l.item));
                let url = Some(crate::urls::section(&l.item));
                line(l, name, url)
            })
            .collect(),
        signups: signups
            .into_iter()
            .take(LIST as usize)
            .map(|l| {
                let (name, url) = if l.item.is_empty() {
                    ("The sign-up page or elsewhere".to_string(), None)
                } else {
                    (l.item.clone(), Some(l.item.clone()))
                };
                line(l, name, url)
            })
            .collect(),
        signup_total,
    })
}

/// Every page's figures over `period`, period by period, as CSV: `period,
/// page, title, views, visitors`.
pub async fn export(
    store: &Store,
    scope: &ReadershipScope,
    period: Period,
    today: i64,
) -> anyhow::Result<String> {
    let grain = period.grain();
    let lines = store
        .readership_lines(&period.slice(today, "page", scope))
        .await?;
    let mut ids: Vec<String> = lines
        .iter()
        .map(|l| l.2.clone())
        .filter(|p| !p.is_empty())
        .collect();
    ids.sort();
    ids.dedup();
    let headlines = store.piece_headlines(&ids).await?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record([grain, "page", "title", "views", "visitors"])?;
    for (period, item, piece, views, visitors) in lines {
        let title = headlines.get(&piece).map(String::as_str).unwrap_or("");
        csv.write_record([
            period_label(grain, period).1.as_str(),
            &item,
            &inert_cell(title),
            &views.to_string(),
            &visitors.to_string(),
        ])?;
    }
    Ok(String::from_utf8(csv.into_inner()?)?)
}

/// A cell a spreadsheet will not run: text starting with `=`, `+`, `-`,
/// `@` or a control character would be read as a formula, so it gets a
/// leading apostrophe (what spreadsheets take as "this is text").
fn inert_cell(text: &str) -> String {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}"),
        _ => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods() {
        let today = super::super::counting::day_number(jiff::civil::date(2026, 12, 7));
        assert_eq!(Period::parse("30d"), Some(Period::Month));
        assert_eq!(Period::parse("30"), None);
        assert_eq!(Period::Week.range(today), (today - 6, today));
        let (from, to) = Period::Year.range(today);
        assert_eq!(period_label("month", from).1, "2026-01");
        assert_eq!(
            period_label("month", to),
            ("Dec 2026".into(), "2026-12".into())
        );
        assert_eq!(
            period_label("day", today),
            ("7 Dec".into(), "2026-12-07".into())
        );
    }

    #[test]
    fn exported_cells_are_not_formulas() {
        assert_eq!(inert_cell("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(inert_cell("-5 degrees"), "'-5 degrees");
        assert_eq!(inert_cell("The vote"), "The vote");
    }
}
