//! "What changed since": the change log as one caller sees it.
//!
//! Every change row records who could see the entry before and after it (its restriction
//! level and, while a draft, its publisher). A sync query takes the changes in a window of
//! sequence numbers, folds them per entry, and keeps an entry only when the caller could
//! see it at the start of the window or can see it at the end:
//!
//! - visible at the end: the entry is there for the caller ([`SyncState::Present`]), whether
//!   it was created, changed or has just entered the caller's view;
//! - visible at the start only: it is gone for the caller ([`SyncState::Gone`]), whether it
//!   was deleted, raised above the caller's clearance or made a draft;
//! - neither: the caller never learns the entry existed.
//!
//! The window is fixed for a whole sync (`since`, `upto`], so that paging through it never
//! mixes the audiences of two windows: an entry seen at `since` and hidden by a change
//! inside the window is reported gone on whichever page it falls.

use time::OffsetDateTime;
use uuid::Uuid;

use crate::collection::CollectionName;
use crate::entry::Visibility;

/// Most entries per sync page.
pub const MAX_SYNC_PAGE: u32 = 500;

/// A page of a sync window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncQuery {
    /// Collection.
    pub collection: CollectionName,
    /// Who is asking.
    pub visibility: Visibility,
    /// The window starts after this change sequence number (0: from the beginning).
    pub since: i64,
    /// The window ends with this change sequence number, included.
    pub upto: i64,
    /// Paging inside the window: only entries whose last change in the window is after
    /// this sequence number (`since` for the first page).
    pub after: i64,
    /// Entries per page, clamped to 1..=[`MAX_SYNC_PAGE`].
    pub limit: u32,
}

impl SyncQuery {
    /// The page size actually used.
    pub fn page_size(&self) -> u32 {
        self.limit.clamp(1, MAX_SYNC_PAGE)
    }
}

/// What became of an entry in a sync window, for one caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncState {
    /// The caller sees the entry at the end of the window: read it.
    Present,
    /// The caller saw the entry at the start of the window and no longer does: a tombstone
    /// (RFC 6721).
    Gone,
}

/// One entry's net change in a sync window, oldest last change first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncItem {
    /// Sequence number of the entry's last change in the window: the paging position.
    pub seq: i64,
    /// Entry server id.
    pub entry_id: Uuid,
    /// Entry `atom:id` (a tombstone's `ref`).
    pub atom_id: String,
    /// Time of the last change (a tombstone's `when`).
    pub at: OffsetDateTime,
    /// Present or gone for this caller.
    pub state: SyncState,
}

/// A sync page, or the news that the window starts before what the log still holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncPage {
    /// The entries of the page, oldest last change first.
    Items(Vec<SyncItem>),
    /// Changes up to `floor` were removed from the log (retention): a window starting
    /// before it cannot be answered exactly; the poller starts again from the feed.
    Expired {
        /// The newest sequence number removed.
        floor: i64,
    },
}
