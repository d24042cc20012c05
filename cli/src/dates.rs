//! Calendar dates in tollgate's inputs, on `time`: `YYYY-MM-DD`, or the
//! date part of an RFC 3339 date-time. A day the month does not have
//! (`2026-02-31`) is an error, never rolled over or let through.

use time::{Date, Month, OffsetDateTime};

/// Why a text is not a date.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DateError {
    #[error("`{0}` is not a YYYY-MM-DD date")]
    Format(String),
    #[error("`{0}` is not a date in the calendar")]
    Calendar(String),
    #[error("{0} seconds since 1970 is not a time between the years 1 and 9999")]
    OutOfRange(i64),
}

/// A Unix time as RFC 3339 in UTC, to the second (`2026-01-01T00:00:00Z`):
/// every timestamp tollgate writes.
pub fn rfc3339(unix: i64) -> Result<String, DateError> {
    let t = utc(unix)?;
    Ok(format!(
        "{}T{:02}:{:02}:{:02}Z",
        ymd(t.date()),
        t.hour(),
        t.minute(),
        t.second()
    ))
}

/// The `YYYY-MM-DD` (UTC) of a Unix time.
pub fn date_of(unix: i64) -> Result<String, DateError> {
    Ok(ymd(utc(unix)?.date()))
}

fn utc(unix: i64) -> Result<OffsetDateTime, DateError> {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .filter(|t| t.year() >= 1)
        .ok_or(DateError::OutOfRange(unix))
}

fn ymd(date: Date) -> String {
    format!(
        "{:04}-{:02}-{:02}",
        date.year(),
        u8::from(date.month()),
        date.day()
    )
}

/// `YYYY-MM-DD` (a date-time's `THH:MM:SS...` tail is allowed and ignored).
pub fn parse_date(text: &str) -> Result<Date, DateError> {
    let format = || DateError::Format(text.to_string());
    let date = match text.get(..10) {
        Some(date) if text.len() == 10 || matches!(text.as_bytes()[10], b'T' | b't' | b' ') => date,
        _ => return Err(format()),
    };
    let mut parts = date.split('-');
    let (Some(y), Some(m), Some(d), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format());
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(format());
    }
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if !(digits(y) && digits(m) && digits(d)) {
        return Err(format());
    }
    let (Ok(year), Ok(month), Ok(day)) = (y.parse::<i32>(), m.parse::<u8>(), d.parse::<u8>())
    else {
        return Err(format());
    };
    let month = Month::try_from(month).map_err(|_| DateError::Calendar(text.to_string()))?;
    Date::from_calendar_date(year, month, day).map_err(|_| DateError::Calendar(text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_dates_parse() {
        let d = parse_date("2024-02-29").unwrap_or(Date::MIN);
        assert_eq!((d.year(), d.month(), d.day()), (2024, Month::February, 29));
        assert!(parse_date("2026-12-31T23:59:59Z").is_ok());
    }

    #[test]
    fn days_the_month_lacks_are_rejected() {
        for text in [
            "2026-02-31",
            "2025-02-29",
            "2026-04-31",
            "2026-13-01",
            "2026-00-10",
        ] {
            assert_eq!(
                parse_date(text),
                Err(DateError::Calendar(text.into())),
                "{text}"
            );
        }
    }

    #[test]
    fn unix_times_format_as_rfc3339() {
        assert_eq!(rfc3339(0).ok().as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(
            rfc3339(1_767_225_600).ok().as_deref(),
            Some("2026-01-01T00:00:00Z")
        );
        // A leap day, and the last second of a day.
        assert_eq!(
            rfc3339(1_709_251_199).ok().as_deref(),
            Some("2024-02-29T23:59:59Z")
        );
        assert_eq!(date_of(-86_400).ok().as_deref(), Some("1969-12-31"));
        for out_of_range in [i64::MAX, i64::MIN, 253_402_300_800] {
            assert_eq!(
                rfc3339(out_of_range),
                Err(DateError::OutOfRange(out_of_range))
            );
        }
    }

    #[test]
    fn malformed_text_is_rejected() {
        for text in [
            "",
            "2026-2-01",
            "26-02-01",
            "2026/02/01",
            "2026-02-01x",
            "next week",
        ] {
            assert_eq!(
                parse_date(text),
                Err(DateError::Format(text.into())),
                "{text}"
            );
        }
    }
}

/// Why a text is not a duration.
#[derive(Debug, thiserror::Error)]
#[error("`{text}` is not a duration like `7d`, `36h` or `2w`: {reason}")]
pub struct DurationError {
    text: String,
    reason: String,
}

/// A duration as people write it (`36h`, `7d`, `2w`, `1d 12h`; humantime's
/// units); a bare number is days, as `--max-db-age 7` always was.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, DurationError> {
    let trimmed = text.trim();
    if !trimmed.is_empty() && trimmed.bytes().all(|b| b.is_ascii_digit()) {
        let days: u64 = trimmed
            .parse()
            .map_err(|e: std::num::ParseIntError| DurationError {
                text: text.to_string(),
                reason: e.to_string(),
            })?;
        return days
            .checked_mul(86_400)
            .map(std::time::Duration::from_secs)
            .ok_or_else(|| DurationError {
                text: text.to_string(),
                reason: "too long".into(),
            });
    }
    humantime::parse_duration(trimmed).map_err(|e| DurationError {
        text: text.to_string(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod duration_tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn hours_are_hours() {
        let parsed = |t: &str| parse_duration(t).ok();
        assert_eq!(parsed("36h"), Some(Duration::from_secs(36 * 3_600)));
        assert_eq!(parsed("7d"), Some(Duration::from_secs(7 * 86_400)));
        assert_eq!(parsed("2w"), Some(Duration::from_secs(14 * 86_400)));
        assert_eq!(parsed("1d 12h"), Some(Duration::from_secs(36 * 3_600)));
        assert_eq!(parsed("7"), Some(Duration::from_secs(7 * 86_400)));
    }

    #[test]
    fn nonsense_is_an_error() {
        for text in ["", "d", "7 fortnights", "-3d", "1.5.2h"] {
            assert!(parse_duration(text).is_err(), "{text}");
        }
    }
}
