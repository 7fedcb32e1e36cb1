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

/// The plot's own units: one bar slot is 10 wide, the plot 100 high
/// (stretched to its box: it holds no text, which stretching would warp).
const SLOT: f64 = 10.0;
const PLOT: f64 = 100.0;

/// The chart: the scale and the first, middle and last labels as HTML
/// (they stay legible at any width), the bars as an `<svg>` image whose
/// title sums them up (`id` ties the title to it for assistive technology).
pub fn bars(id: &str, title: &str, bars: &[Bar]) -> String {
    let most = bars.iter().map(|b| b.value).max().unwrap_or(0).max(1);
    let scale = nice_ceiling(most);
    let width = SLOT * bars.len().max(1) as f64;
    let gap = SLOT * 0.2;
    let mut html = String::with_capacity(512 + bars.len() * 160);
    let _ = write!(
        html,
        r#"<div class="chart"><div class="chart-scale" aria-hidden="true"><span>{}</span><span>{}</span><span>0</span></div>"#,
        short(scale),
        short(scale / 2)
    );
    let _ = write!(
        html,
        r#"<svg viewBox="0 0 {width} {PLOT}" preserveAspectRatio="none" role="img" aria-labelledby="{id}-title" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title>"#,
        escape(title)
    );
    for y in [0.0, PLOT / 2.0, PLOT] {
        let _ = write!(
            html,
            r#"<line class="rule" x1="0" x2="{width}" y1="{y}" y2="{y}" vector-effect="non-scaling-stroke"/>"#
        );
    }
    for (i, bar) in bars.iter().enumerate() {
        let h = PLOT * (bar.value as f64 / scale as f64);
        let _ = write!(
            html,
            r#"<rect class="bar" x="{:.1}" y="{:.2}" width="{:.1}" height="{h:.2}"><title>{}: {}</title></rect>"#,
            SLOT * i as f64 + gap / 2.0,
            PLOT - h,
            SLOT - gap,
            escape(&bar.label),
            thousands(bar.value)
        );
    }
    html.push_str(r#"</svg><div class="chart-axis" aria-hidden="true">"#);
    if let (Some(first), Some(last)) = (bars.first(), bars.last()) {
        let middle = &bars[bars.len() / 2];
        for bar in [first, middle, last] {
            let _ = write!(html, "<span>{}</span>", escape(&bar.label));
        }
    }
    html.push_str("</div></div>");
    html
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
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
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
        assert!(svg.contains("<svg") && svg.ends_with("</div></div>"));
        assert!(svg.contains("Views &lt;per&gt; day"));
        assert!(svg.contains("2 &lt;Dec&gt;: 5"));
        assert!(!svg.contains("<Dec>"));
        // Ten is the top of the scale: the first bar fills the plot, the
        // second half of it.
        assert!(svg.contains(r#"height="100.00""#));
        assert!(svg.contains(r#"height="50.00""#));
        assert!(svg.contains("<span>10</span><span>5</span><span>0</span>"));
    }
}
