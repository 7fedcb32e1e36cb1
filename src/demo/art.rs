//! Illustrations for the demo publication, drawn as SVG from a seed: layered
//! landscapes, skylines, harbours and charts in the theme's palette. Small,
//! sharp at any size, and entirely our own.

use std::fmt::Write;

pub const WIDTH: i32 = 1200;
pub const HEIGHT: i32 = 675;

/// A tiny deterministic generator (xorshift) so the same seed draws the same picture.
struct Rng(u64);

impl Rng {
    fn new(seed: &str) -> Rng {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for b in seed.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
        }
        Rng(h | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn range(&mut self, lo: i32, hi: i32) -> i32 {
        lo + (self.next() % (hi - lo + 1) as u64) as i32
    }
}

const PALETTES: [[&str; 5]; 6] = [
    ["#f3e9dc", "#c97b63", "#8c4a3c", "#4a2c2a", "#e8b04b"],
    ["#dfe9f0", "#7ea6c4", "#3f6e8f", "#1d3547", "#f2c14e"],
    ["#e9efe4", "#93b48b", "#55775a", "#2b3f2f", "#f0a35e"],
    ["#f1e4e8", "#c48ba4", "#7d4b6a", "#3b2435", "#9fd3c7"],
    ["#f4efe1", "#d9b56b", "#a0743a", "#4d3a1f", "#5f8fa8"],
    ["#e6e6ee", "#9b9fc4", "#5a5f92", "#272a4a", "#e07a5f"],
];

/// Draws one illustration. `kind`: hills, skyline, harbour, chart, fields.
pub fn illustration(kind: &str, seed: &str) -> String {
    let mut rng = Rng::new(seed);
    let p = PALETTES[(rng.next() % PALETTES.len() as u64) as usize];
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\">\
         <rect width=\"{WIDTH}\" height=\"{HEIGHT}\" fill=\"{}\"/>",
        p[0]
    );
    let sun_x = rng.range(150, 1050);
    let _ = write!(
        svg,
        "<circle cx=\"{sun_x}\" cy=\"{}\" r=\"{}\" fill=\"{}\" opacity=\"0.9\"/>",
        rng.range(110, 220),
        rng.range(50, 90),
        p[4]
    );
    match kind {
        "skyline" => {
            for layer in 0..3 {
                let mut x = -20;
                while x < WIDTH {
                    let w = rng.range(40, 110);
                    let h = rng.range(120, 380) - layer * 60;
                    let _ = write!(
                        svg,
                        "<rect x=\"{x}\" y=\"{}\" width=\"{w}\" height=\"{h}\" fill=\"{}\"/>",
                        HEIGHT - h,
                        p[1 + layer as usize]
                    );
                    x += w + rng.range(0, 14);
                }
            }
        }
        "harbour" => {
            let _ = write!(
                svg,
                "<rect y=\"430\" width=\"{WIDTH}\" height=\"245\" fill=\"{}\"/>",
                p[2]
            );
            for i in 0..6 {
                let y = 460 + i * 36;
                let _ = write!(
                    svg,
                    "<path d=\"M0 {y} Q300 {} 600 {y} T1200 {y}\" stroke=\"{}\" stroke-width=\"4\" fill=\"none\" opacity=\"0.5\"/>",
                    y - 14,
                    p[0]
                );
            }
            for _ in 0..4 {
                let x = rng.range(60, 1000);
                let _ = write!(
                    svg,
                    "<path d=\"M{x} 430 l150 0 l-25 38 l-100 0 z\" fill=\"{}\"/><rect x=\"{}\" y=\"330\" width=\"6\" height=\"100\" fill=\"{}\"/>",
                    p[3],
                    x + 70,
                    p[3]
                );
            }
        }
        "chart" => {
            for i in 0..12 {
                let h = rng.range(80, 420);
                let _ = write!(
                    svg,
                    "<rect x=\"{}\" y=\"{}\" width=\"60\" height=\"{h}\" fill=\"{}\"/>",
                    90 + i * 88,
                    600 - h,
                    p[1 + (i % 3) as usize]
                );
            }
            let _ = write!(
                svg,
                "<rect x=\"60\" y=\"600\" width=\"1080\" height=\"6\" fill=\"{}\"/>",
                p[3]
            );
        }
        "fields" => {
            for i in 0..7 {
                let y = 330 + i * 50;
                let _ = write!(
                    svg,
                    "<path d=\"M0 {y} L{WIDTH} {} L{WIDTH} {HEIGHT} L0 {HEIGHT} z\" fill=\"{}\"/>",
                    y - rng.range(-40, 60),
                    p[1 + (i % 3) as usize]
                );
            }
        }
        _ => {
            for layer in 0..3 {
                let base = 380 + layer * 90;
                let mut d = format!("M0 {HEIGHT} L0 {base}");
                let mut x = 0;
                while x < WIDTH {
                    x += rng.range(80, 200);
                    let _ = write!(d, " L{x} {}", base - rng.range(-30, 140));
                }
                let _ = write!(d, " L{WIDTH} {HEIGHT} z");
                let _ = write!(svg, "<path d=\"{d}\" fill=\"{}\"/>", p[1 + layer as usize]);
            }
        }
    }
    svg.push_str("</svg>");
    svg
}

/// A portrait placeholder: initials on a coloured disc.
pub fn portrait(name: &str) -> String {
    let mut rng = Rng::new(name);
    let p = PALETTES[(rng.next() % PALETTES.len() as u64) as usize];
    let initials: String = name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect();
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 400 400\" width=\"400\" height=\"400\">\
         <rect width=\"400\" height=\"400\" fill=\"{}\"/><circle cx=\"200\" cy=\"200\" r=\"170\" fill=\"{}\"/>\
         <text x=\"200\" y=\"200\" dy=\"0.35em\" text-anchor=\"middle\" font-family=\"Georgia, serif\" \
         font-size=\"150\" fill=\"{}\">{initials}</text></svg>",
        p[0], p[2], p[0]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drawings_are_deterministic_svg() {
        for kind in ["hills", "skyline", "harbour", "chart", "fields"] {
            let a = illustration(kind, "seed");
            assert!(a.starts_with("<svg") && a.ends_with("</svg>"));
            assert_eq!(a, illustration(kind, "seed"));
        }
        assert_ne!(illustration("hills", "a"), illustration("hills", "b"));
        assert!(portrait("Ines Marlow").contains(">IM<"));
    }
}
