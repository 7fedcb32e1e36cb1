//! Dates as readers see them: in the site's time zone, in its format. A
//! format that cannot be used never stops a page: it falls back to ISO dates.

use jiff::tz::TimeZone;

use super::UnixTime;

/// A sample instant to try formats on.
const PROBE: UnixTime = 1_700_000_000;

/// Whether `format` is a strftime pattern jiff can write.
pub fn check_format(format: &str) -> Result<(), String> {
    let zoned = jiff::Timestamp::from_second(PROBE)
        .expect("a valid instant")
        .to_zoned(TimeZone::UTC);
    jiff::fmt::strtime::format(format, &zoned)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// `t` in zone `tz` as `format`, or as YYYY-MM-DD when the format fails.
pub fn format(t: UnixTime, tz: &TimeZone, format: &str) -> String {
    let zoned = jiff::Timestamp::from_second(t)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone());
    jiff::fmt::strtime::format(format, &zoned)
        .unwrap_or_else(|_| zoned.strftime("%Y-%m-%d").to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_format_falls_back_instead_of_panicking() {
        assert!(check_format("%-d %B %Y").is_ok());
        assert!(check_format("%K").is_err());
        assert_eq!(format(PROBE, &TimeZone::UTC, "%K"), "2023-11-14");
        assert_eq!(
            format(PROBE, &TimeZone::UTC, "%-d %B %Y"),
            "14 November 2023"
        );
    }
}
