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

/// The value of a `datetime-local` input for `t` in zone `tz`.
pub fn local_input(t: UnixTime, tz: &TimeZone) -> String {
    format(t, tz, "%Y-%m-%dT%H:%M")
}

/// A `datetime-local` input's value ("2026-05-01T09:30", seconds optional)
/// read as a time in zone `tz`; None when it is not one.
pub fn parse_local_input(input: &str, tz: &TimeZone) -> Option<UnixTime> {
    let input = input.trim();
    let civil = jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M", input)
        .or_else(|_| jiff::civil::DateTime::strptime("%Y-%m-%dT%H:%M:%S", input))
        .ok()?;
    civil
        .to_zoned(tz.clone())
        .ok()
        .map(|z| z.timestamp().as_second())
}

/// A span of time as words for a person, rounded up: "1 minute",
/// "12 minutes", "3 hours".
pub fn span_words(secs: UnixTime) -> String {
    let minutes = (secs.max(1) + 59) / 60;
    if minutes < 120 {
        return format!("{minutes} minute{}", if minutes == 1 { "" } else { "s" });
    }
    let hours = (minutes + 59) / 60;
    format!("{hours} hours")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_inputs_are_read_in_the_sites_zone() {
        let berlin = TimeZone::get("Europe/Berlin").unwrap();
        let t = parse_local_input("2026-07-01T09:30", &berlin).unwrap();
        assert_eq!(t, 1_782_891_000);
        assert_eq!(local_input(t, &berlin), "2026-07-01T09:30");
        assert_eq!(parse_local_input("tomorrow", &berlin), None);
        assert_eq!(parse_local_input("2026-02-30T10:00", &berlin), None);
    }

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

/// One time, written as each format wants it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Dates {
    /// RFC 3339 (Atom, JSON Feed).
    pub rfc3339: String,
    /// RFC 822 (RSS).
    pub rfc822: String,
}

impl Dates {
    pub fn of(t: UnixTime) -> Dates {
        let stamp = jiff::Timestamp::from_second(t).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
        let system = std::time::UNIX_EPOCH + std::time::Duration::from_secs(t.max(0) as u64);
        Dates {
            rfc3339: stamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
            rfc822: httpdate::fmt_http_date(system),
        }
    }
}
