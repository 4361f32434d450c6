//! IODEF DATETIME values: `xs:dateTime` in v2, the RFC 3339 profile in v1.
//!
//! What is accepted, and why:
//! - RFC 3339 / `xs:dateTime` with any number of fractional digits and any offset up to
//!   ±14:00, odd ones included (`-01:05` occurs in the WG long example; IODEF-DT-2). Values
//!   are normalised to UTC so that ordering and Atom output need no further care.
//! - No zone at all: valid `xs:dateTime`, taken as UTC and reported as a warning
//!   (IODEF-DT-1).
//! - One space instead of `T`: WG JSON samples do this and the corpus README requires such
//!   documents to be accepted, which overrides IODEF-DT-4; normalised, with a warning.
//! - Everything else is refused (IODEF-DT-3): years outside 0001–9999 (the date library and
//!   Atom cannot carry them), `24:00:00`, leap seconds, prefixes such as the CBOR tag in
//!   `0(2015-10-02T11:18:00-05:00)`.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// A DATETIME that was accepted, with the liberties taken to accept it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTime {
    /// The instant, in UTC.
    pub(crate) at: OffsetDateTime,
    /// No zone was written; UTC was assumed (IODEF-DT-1).
    pub(crate) assumed_utc: bool,
    /// A space stood where `T` belongs.
    pub(crate) space_separator: bool,
}

/// Parses one DATETIME value; surrounding XML whitespace is ignored (`xs:dateTime`
/// collapses it).
///
/// # Errors
/// A message saying what is wrong with the value; the caller adds element and rule.
pub(crate) fn parse(value: &str) -> Result<DateTime, String> {
    let text = crate::text::trim(value);
    let mut cursor = Cursor {
        bytes: text.as_bytes(),
        at: 0,
    };
    if matches!(cursor.peek(), Some(b'-' | b'+')) {
        return Err("years before 0001 are not accepted".into());
    }
    let year_digits = cursor.count_digits();
    if year_digits > 4 {
        return Err("years after 9999 are not accepted".into());
    }
    let year = cursor.digits(4, "a four-digit year")?;
    cursor.expect(b'-', "'-' after the year")?;
    let month = cursor.digits(2, "a two-digit month")?;
    cursor.expect(b'-', "'-' after the month")?;
    let day = cursor.digits(2, "a two-digit day")?;
    let space_separator = match cursor.next() {
        Some(b'T' | b't') => false,
        Some(b' ') => true,
        _ => return Err("expected 'T' between date and time".into()),
    };
    let hour = cursor.digits(2, "a two-digit hour")?;
    cursor.expect(b':', "':' after the hour")?;
    let minute = cursor.digits(2, "two-digit minutes")?;
    cursor.expect(b':', "':' after the minutes")?;
    let second = cursor.digits(2, "two-digit seconds")?;
    let mut nanosecond = 0u32;
    if cursor.peek() == Some(b'.') {
        cursor.at += 1;
        let start = cursor.at;
        let count = cursor.count_digits();
        if count == 0 {
            return Err("expected digits after the decimal point".into());
        }
        // Digits beyond nanoseconds carry no information the server keeps.
        for (i, digit) in text.as_bytes()[start..start + count.min(9)]
            .iter()
            .enumerate()
        {
            nanosecond += u32::from(digit - b'0') * 10u32.pow(8 - u32::try_from(i).unwrap_or(8));
        }
        cursor.at = start + count;
    }
    let offset = match cursor.next() {
        None => None,
        Some(b'Z' | b'z') => Some(UtcOffset::UTC),
        Some(sign @ (b'+' | b'-')) => {
            let hours = cursor.digits(2, "a two-digit offset hour")?;
            cursor.expect(b':', "':' in the offset")?;
            let minutes = cursor.digits(2, "two-digit offset minutes")?;
            if hours > 14 || minutes > 59 || (hours == 14 && minutes > 0) {
                return Err("the offset is outside -14:00..+14:00".into());
            }
            let (h, m) = (i8::try_from(hours), i8::try_from(minutes));
            let (Ok(h), Ok(m)) = (h, m) else {
                return Err("the offset is outside -14:00..+14:00".into());
            };
            let (h, m) = if sign == b'-' { (-h, -m) } else { (h, m) };
            Some(UtcOffset::from_hms(h, m, 0).map_err(|e| e.to_string())?)
        }
        Some(_) => return Err("unexpected text after the time".into()),
    };
    if cursor.peek().is_some() {
        return Err("unexpected text after the zone".into());
    }
    if year == 0 {
        return Err("year 0000 is not accepted".into());
    }
    if hour == 24 {
        return Err("24:00:00 is not accepted; write 00:00:00 of the next day".into());
    }
    if second == 60 {
        return Err("leap seconds are not accepted".into());
    }
    let month = u8::try_from(month)
        .ok()
        .and_then(|m| Month::try_from(m).ok())
        .ok_or("the month is outside 01-12")?;
    let date = Date::from_calendar_date(
        i32::try_from(year).unwrap_or(i32::MAX),
        month,
        u8::try_from(day).unwrap_or(u8::MAX),
    )
    .map_err(|_| format!("day {day:02} does not exist in that month"))?;
    let time = Time::from_hms_nano(
        u8::try_from(hour).unwrap_or(u8::MAX),
        u8::try_from(minute).unwrap_or(u8::MAX),
        u8::try_from(second).unwrap_or(u8::MAX),
        nanosecond,
    )
    .map_err(|_| "the time of day is out of range".to_owned())?;
    let local = PrimitiveDateTime::new(date, time);
    let at = local
        .assume_offset(offset.unwrap_or(UtcOffset::UTC))
        .to_offset(UtcOffset::UTC);
    Ok(DateTime {
        at,
        assumed_utc: offset.is_none(),
        space_separator,
    })
}

struct Cursor<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let byte = self.peek()?;
        self.at += 1;
        Some(byte)
    }

    fn count_digits(&self) -> usize {
        self.bytes[self.at..]
            .iter()
            .take_while(|b| b.is_ascii_digit())
            .count()
    }

    fn digits(&mut self, n: usize, what: &str) -> Result<u32, String> {
        let slice = self
            .bytes
            .get(self.at..self.at + n)
            .filter(|s| s.iter().all(u8::is_ascii_digit))
            .ok_or_else(|| format!("expected {what}"))?;
        self.at += n;
        Ok(slice
            .iter()
            .fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
    }

    fn expect(&mut self, byte: u8, what: &str) -> Result<(), String> {
        if self.next() == Some(byte) {
            Ok(())
        } else {
            Err(format!("expected {what}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn at(value: &str) -> OffsetDateTime {
        parse(value).unwrap().at
    }

    /// IODEF-DT-2: offsets are normalised to UTC.
    #[test]
    fn offsets_are_normalised_to_utc() {
        assert_eq!(
            at("2015-07-18T09:00:00-05:00"),
            datetime!(2015-07-18 14:00:00 UTC)
        );
        assert_eq!(
            at("2016-06-01T18:05:33-01:05"),
            datetime!(2016-06-01 19:10:33 UTC)
        );
        assert_eq!(
            at("2013-02-05T01:15:45Z"),
            datetime!(2013-02-05 01:15:45 UTC)
        );
    }

    /// IODEF-DT-2: fractional seconds of any length are kept to the nanosecond.
    #[test]
    fn fractional_seconds_are_accepted() {
        assert_eq!(
            at("2013-03-07T16:14:56.757+05:30"),
            datetime!(2013-03-07 10:44:56.757 UTC)
        );
        assert_eq!(
            at("2013-03-07T16:14:56.1234567891234Z"),
            datetime!(2013-03-07 16:14:56.123456789 UTC)
        );
    }

    /// IODEF-DT-1: no zone is read as UTC and flagged.
    #[test]
    fn a_missing_zone_is_taken_as_utc_and_flagged() {
        let parsed = parse("2015-07-18T09:00:00").unwrap();
        assert!(parsed.assumed_utc);
        assert_eq!(parsed.at, datetime!(2015-07-18 09:00:00 UTC));
    }

    /// IODEF-DT-4 is overridden by the corpus README: one space for `T` is accepted, flagged.
    #[test]
    fn a_space_instead_of_t_is_normalised_and_flagged() {
        let parsed = parse("2016-06-01 18:05:33").unwrap();
        assert!(parsed.space_separator && parsed.assumed_utc);
        assert_eq!(parsed.at, datetime!(2016-06-01 18:05:33 UTC));
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        assert!(
            !parse("\n   2013-01-04T09:10:24+00:00\n   ")
                .unwrap()
                .assumed_utc
        );
    }

    /// IODEF-DT-3: what the date library or Atom cannot represent is refused.
    #[test]
    fn unrepresentable_and_foreign_values_are_refused() {
        for bad in [
            "0(2015-10-02T11:18:00-05:00)",
            "10000-01-01T00:00:00Z",
            "-0001-01-01T00:00:00Z",
            "0000-01-01T00:00:00Z",
            "2015-10-02T24:00:00Z",
            "2015-12-31T23:59:60Z",
            "2015-02-30T00:00:00Z",
            "2015-13-01T00:00:00Z",
            "2015-10-02T11:18:00+15:00",
            "2015-10-02T11:18:00+05",
            "2015-10-02T11:18Z",
            "2015-10-02T11:18:00.Z",
            "2015-10-02  11:18:00Z",
            "2015-10-02T11:18:00Z trailing",
            "",
            "yesterday",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn refusals_say_what_is_wrong() {
        assert!(
            parse("2015-10-02T24:00:00Z")
                .unwrap_err()
                .contains("24:00:00")
        );
        assert!(parse("12015-10-02T00:00:00Z").unwrap_err().contains("9999"));
    }

    proptest::proptest! {
        /// IODEF-DT-2: every RFC 3339 rendering of an instant reads back as that instant.
        #[test]
        fn rfc3339_renderings_read_back_as_the_same_instant(
            seconds in 0i64..253_402_300_799,
            nanos in 0u32..1_000_000_000,
            offset_minutes in -839i32..=839,
        ) {
            let offset = time::UtcOffset::from_whole_seconds(offset_minutes * 60).unwrap();
            let at = OffsetDateTime::from_unix_timestamp(seconds).unwrap()
                + time::Duration::nanoseconds(i64::from(nanos));
            let local = at.to_offset(offset);
            proptest::prop_assume!((1..=9999).contains(&local.year()));
            let text = rolie_model::timestamp::format(local);
            proptest::prop_assert_eq!(parse(&text).unwrap().at, at);
        }
    }
}
