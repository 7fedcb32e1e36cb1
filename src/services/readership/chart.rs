//! A bar chart drawn on the server as SVG: readable without JavaScript,
//! sized by its box (a `viewBox`, so it fits a phone and a desktop), its
//! figures also in a table beside it for screen readers (the desk page
//! puts one there; the chart's own title sums it up).

use std::fmt::Write;

/// One bar: its label (shown under some bars) and its height.
pub struct Bar {
    pub label: String,
    pub value: i64,
}

const WIDTH: f64 = 720.0;
const HEIGHT: f64 = 220.0;
/// Room for the scale on the left and the labels below.
const LEFT: f64 = 48.0;
const BOTTOM: f64 = 24.0;
const TOP: f64 = 8.0;

/// The chart, as an `<svg>` element with a title (`id` ties the title to
/// it for assistive technology).
pub fn bars(id: &str, title: &str, bars: &[Bar]) -> String {
    let most = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let scale = nice_ceiling(most);
    let plot_w = WIDTH - LEFT;
    let plot_h = HEIGHT - BOTTOM - TOP;
    let slot = plot_w / bars.len().max(1) as f64;
    let gap = (slot * 0.2).min(4.0);
    let mut svg = String::with_capacity(256 + bars.len() * 160);
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{id}-title" preserveAspectRatio="none" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    // The scale: zero, half and the top, with faint rules.
    for step in [0, 1, 2] {
        let value = scale * step / 2;
        let y = TOP + plot_h - plot_h * (value as f64 / scale as f64);
        let _ = write!(
            svg,
            r#"<line class="rule" x1="{LEFT}" x2="{WIDTH}" y1="{y:.1}" y2="{y:.1}"/><text class="scale" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            y + 4.0,
            short(value)
        );
    }
    // Labels under at most about eight bars, evenly spread.
    let label_every = bars.len().div_ceil(8).max(1);
    for (i, bar) in bars.iter().enumerate() {
        let h = plot_h * (bar.value as f64 / scale as f64);
        let x = LEFT + slot * i as f64 + gap / 2.0;
        let _ = write!(
            svg,
            r#"<rect class="bar" x="{x:.1}" y="{:.1}" width="{:.1}" height="{h:.1}"><title>{}: {}</title></rect>"#,
            TOP + plot_h - h,
            (slot - gap).max(0.5),
            escape(&bar.label),
            thousands(bar.value)
        );
        if i % label_every == 0 {
            let _ = write!(
                svg,
                r#"<text class="label" x="{:.1}" y="{:.1}">{}</text>"#,
                x,
                HEIGHT - 6.0,
                escape(&bar.label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

/// The smallest round number (1, 2 or 5 times a power of ten) at or above
/// `n`: the chart's top.
fn nice_ceiling(n: i64) -> i64 {
    let mut power = 1i64;
    loop {
        for step in [1, 2, 5] {
            if step * power >= n {
                return step * power;
            }
        }
        power = power.saturating_mul(10);
    }
}

/// 1200 → "1.2k", 3400000 → "3.4M" (the scale's labels).
fn short(n: i64) -> String {
    match n {
        n if n >= 1_000_000 => format!("{}M", trim(n as f64 / 1e6)),
        n if n >= 1_000 => format!("{}k", trim(n as f64 / 1e3)),
        n => n.to_string(),
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// 1234567 → "1,234,567".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_is_round() {
        assert_eq!(nice_ceiling(1), 1);
        assert_eq!(nice_ceiling(3), 5);
        assert_eq!(nice_ceiling(1234), 2000);
        assert_eq!(nice_ceiling(5000), 5000);
        assert_eq!(short(2500), "2.5k");
        assert_eq!(short(3_000_000), "3M");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(thousands(12), "12");
    }

    #[test]
    fn bars_are_as_tall_as_their_share_and_labels_are_escaped() {
        let svg = bars(
            "c",
            "Views <per> day",
            &[
                Bar {
                    label: "1 Dec".into(),
                    value: 10,
                },
                Bar {
                    label: "2 <Dec>".into(),
                    value: 5,
                },
            ],
        );
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("Views &lt;per&gt; day"));
        assert!(svg.contains("2 &lt;Dec&gt;: 5"));
        assert!(!svg.contains("<Dec>"));
        // Ten is the top of the scale: the first bar fills the plot, the
        // second half of it.
        let plot = HEIGHT - BOTTOM - TOP;
        assert!(svg.contains(&format!("height=\"{plot:.1}\"")));
        assert!(svg.contains(&format!("height=\"{:.1}\"", plot / 2.0)));
    }
}
