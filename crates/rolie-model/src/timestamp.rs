//! RFC 3339 date-times as Atom needs them: upper-case `T` and `Z`, a zone always present
//! (R-4287-3.3-a).

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Formats `at` as an RFC 3339 date-time, keeping its offset and sub-second digits.
pub fn format(at: OffsetDateTime) -> String {
    at.format(&Rfc3339).unwrap_or_else(|_| {
        at.to_offset(time::UtcOffset::UTC)
            .unix_timestamp()
            .to_string()
    })
}

/// Parses an RFC 3339 date-time (surrounding whitespace ignored).
///
/// # Errors
/// A message naming the value when it is not an RFC 3339 date-time with a zone.
pub fn parse(value: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(value.trim(), &Rfc3339)
        .map_err(|e| format!("\"{}\" is not an RFC 3339 date-time: {e}", value.trim()))
}

/// Microseconds since the Unix epoch, the unit the store orders by.
pub fn to_micros(at: OffsetDateTime) -> i64 {
    i64::try_from(at.unix_timestamp_nanos() / 1_000).unwrap_or(i64::MAX)
}

/// The instant `micros` microseconds after the Unix epoch, in UTC.
pub fn from_micros(micros: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// The current time truncated to microseconds, so values survive a store round trip.
pub fn now() -> OffsetDateTime {
    from_micros(to_micros(OffsetDateTime::now_utc()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn utc_is_written_with_upper_case_z() {
        assert_eq!(
            format(datetime!(2024-03-05 09:30:12 UTC)),
            "2024-03-05T09:30:12Z"
        );
    }

    #[test]
    fn offsets_and_fractions_survive_a_round_trip() {
        let at = datetime!(2013-03-07 16:14:56.757 +05:30);
        assert_eq!(parse(&format(at)).unwrap(), at);
        assert_eq!(format(at), "2013-03-07T16:14:56.757+05:30");
    }

    #[test]
    fn a_missing_zone_is_refused() {
        assert!(parse("2015-07-18T09:00:00").is_err());
    }

    #[test]
    fn micros_round_trip() {
        let at = datetime!(2024-03-05 09:30:12.123456 UTC);
        assert_eq!(from_micros(to_micros(at)), at);
    }
}
