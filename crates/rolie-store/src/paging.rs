//! Keyset paging: opaque cursors over (`app:edited` desc, id desc), never OFFSET.
//!
//! A cursor names a position between two entries, so pages stay stable while entries are
//! added in front of a walk: entries that existed when the walk started and did not change
//! are seen exactly once (R-PROF-PAGE-a, R-PROF-PAGE-b). Deep pages cost what the first
//! page costs: one index seek.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rolie_model::timestamp;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{CollectionName, StoredEntry, Visibility};

/// Default entries per page.
pub const DEFAULT_PAGE_SIZE: u32 = 50;
/// Most entries per page, whatever the client asks for.
pub const MAX_PAGE_SIZE: u32 = 500;

/// The sort key of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PageKey {
    /// `app:edited` in microseconds since the epoch.
    pub edited_micros: i64,
    /// Entry server id (tie-break).
    pub id: Uuid,
}

impl PageKey {
    /// The key of a stored entry.
    pub fn of(entry: &StoredEntry) -> Self {
        PageKey {
            edited_micros: timestamp::to_micros(entry.edited),
            id: entry.id,
        }
    }
}

/// Which page to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PagePosition {
    /// The newest entries.
    First,
    /// Entries older than the key (following `next`).
    After(PageKey),
    /// Entries newer than the key (following `previous`).
    Before(PageKey),
    /// The oldest entries.
    Last,
}

/// A cursor that did not decode.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the paging cursor is not one this server issued")]
pub struct InvalidCursor;

const CURSOR_VERSION: u8 = 1;
const LAST: &str = "last";

impl PagePosition {
    /// The opaque cursor for this position; `None` for the first page, which has none.
    pub fn encode(&self) -> Option<String> {
        let (direction, key) = match self {
            PagePosition::First => return None,
            PagePosition::Last => return Some(LAST.to_owned()),
            PagePosition::After(key) => (0u8, key),
            PagePosition::Before(key) => (1u8, key),
        };
        let mut bytes = Vec::with_capacity(26);
        bytes.push(CURSOR_VERSION);
        bytes.push(direction);
        bytes.extend_from_slice(&key.edited_micros.to_be_bytes());
        bytes.extend_from_slice(key.id.as_bytes());
        Some(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// Decodes a cursor from a query string.
    ///
    /// # Errors
    /// [`InvalidCursor`] for anything this server did not issue (wrong length, version,
    /// direction, alphabet).
    pub fn decode(cursor: &str) -> Result<Self, InvalidCursor> {
        if cursor == LAST {
            return Ok(PagePosition::Last);
        }
        if cursor.len() > 64 {
            return Err(InvalidCursor);
        }
        let bytes = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| InvalidCursor)?;
        let [version, direction, rest @ ..] = bytes.as_slice() else {
            return Err(InvalidCursor);
        };
        if *version != CURSOR_VERSION || rest.len() != 24 {
            return Err(InvalidCursor);
        }
        let (micros, id) = rest.split_at(8);
        let key = PageKey {
            edited_micros: i64::from_be_bytes(micros.try_into().map_err(|_| InvalidCursor)?),
            id: Uuid::from_slice(id).map_err(|_| InvalidCursor)?,
        };
        match direction {
            0 => Ok(PagePosition::After(key)),
            1 => Ok(PagePosition::Before(key)),
            _ => Err(InvalidCursor),
        }
    }
}

/// Filters applied in the query itself, so pages stay full and nothing hidden leaks.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntryFilter {
    /// Only entries with `atom:updated` at or after this instant.
    pub updated_since: Option<OffsetDateTime>,
    /// Only entries with `atom:updated` before this instant.
    pub updated_before: Option<OffsetDateTime>,
    /// Only entries carrying this category term (in this scheme, when given).
    pub category: Option<(Option<String>, String)>,
    /// Only entries whose title, summary or content holds these words (word prefixes, all
    /// required).
    pub text: Option<String>,
    /// Only entries carrying a `rolie:property` with this name and value (`content-id`,
    /// say).
    pub property: Option<(String, String)>,
}

/// A feed page request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedQuery {
    /// Collection.
    pub collection: CollectionName,
    /// Who is asking.
    pub visibility: Visibility,
    /// Entries per page, clamped to 1..=[`MAX_PAGE_SIZE`].
    pub limit: u32,
    /// Which page.
    pub position: PagePosition,
    /// Filters.
    pub filter: EntryFilter,
}

impl FeedQuery {
    /// The page size actually used.
    pub fn page_size(&self) -> u32 {
        self.limit.clamp(1, MAX_PAGE_SIZE)
    }
}

/// One page, newest first, with the positions of its neighbours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedPage {
    /// Entries in (`app:edited` desc, id desc) order.
    pub entries: Vec<StoredEntry>,
    /// The page before this one (newer entries), if any.
    pub previous: Option<PagePosition>,
    /// The page after this one (older entries), if any.
    pub next: Option<PagePosition>,
}

impl FeedPage {
    /// Builds a page from rows fetched in query order with one row of look-ahead.
    ///
    /// `rows` holds up to `size + 1` entries in the order the position's query returns them:
    /// newest first for `First`/`After`, oldest first for `Before`/`Last`.
    pub fn from_rows(position: PagePosition, mut rows: Vec<StoredEntry>, size: usize) -> Self {
        let more = rows.len() > size;
        rows.truncate(size);
        let ascending = matches!(position, PagePosition::Before(_) | PagePosition::Last);
        if ascending {
            rows.reverse();
        }
        let newest = rows.first().map(PageKey::of);
        let oldest = rows.last().map(PageKey::of);
        let (previous, next) = match position {
            PagePosition::First => (
                None,
                more.then_some(()).and(oldest).map(PagePosition::After),
            ),
            PagePosition::After(key) => (
                Some(PagePosition::Before(newest.unwrap_or(key))),
                more.then_some(()).and(oldest).map(PagePosition::After),
            ),
            PagePosition::Before(key) => (
                more.then_some(()).and(newest).map(PagePosition::Before),
                Some(PagePosition::After(oldest.unwrap_or(key))),
            ),
            PagePosition::Last => (
                more.then_some(()).and(newest).map(PagePosition::Before),
                None,
            ),
        };
        FeedPage {
            entries: rows,
            previous,
            next,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: i64) -> PageKey {
        PageKey {
            edited_micros: n,
            id: Uuid::from_u128(n as u128),
        }
    }

    #[test]
    fn cursors_round_trip() {
        for position in [
            PagePosition::After(key(1_700_000_000_000_000)),
            PagePosition::Before(key(-5)),
            PagePosition::Last,
        ] {
            let encoded = position.encode().unwrap();
            assert_eq!(PagePosition::decode(&encoded), Ok(position));
        }
        assert_eq!(PagePosition::First.encode(), None);
    }

    #[test]
    fn forged_cursors_are_refused() {
        for bad in [
            "",
            "x",
            "AAAA",
            "////",
            &"A".repeat(100),
            "bGFzdA",
            "AQIAAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAE",
        ] {
            assert_eq!(PagePosition::decode(bad), Err(InvalidCursor), "{bad}");
        }
    }

    #[test]
    fn cursors_are_url_safe() {
        let encoded = PagePosition::After(key(i64::MAX)).encode().unwrap();
        assert!(
            encoded
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
