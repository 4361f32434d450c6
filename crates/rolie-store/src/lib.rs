#![doc = include_str!("../README.md")]

mod audit;
pub mod backend;
mod collection;
mod entry;
mod error;
pub mod observed;
mod paging;
mod sync;
mod token;

#[cfg(feature = "testing")]
pub mod conformance;

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

pub use audit::{AuditEntry, AuditRecord};
pub use collection::{
    Collection, CollectionName, CollectionSpec, Freshness, InvalidCollection, VisibleFreshness,
};
pub use entry::{
    Change, ChangeKind, ContentInfo, DraftVisibility, EntryData, EntryExtras, NewContent, NewEntry,
    NewEntryContent, StoredContent, StoredEntry, Visibility,
};
pub use error::{Conflict, StoreError};
pub use paging::{
    DEFAULT_PAGE_SIZE, EntryFilter, FeedPage, FeedQuery, InvalidCursor, MAX_PAGE_SIZE, PageKey,
    PagePosition,
};
pub use sync::{MAX_SYNC_PAGE, SyncItem, SyncPage, SyncQuery, SyncState};
pub use token::{FeedToken, NewFeedToken};

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Persistent state of the server. Every write is one transaction, committed before the call
/// returns; every method is safe to call concurrently.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Whether the database answers (`/readyz`).
    async fn ping(&self) -> StoreResult<()>;

    /// All collections, by name.
    async fn list_collections(&self) -> StoreResult<Vec<Collection>>;

    /// One collection.
    async fn get_collection(&self, name: &CollectionName) -> StoreResult<Collection>;

    /// Creates a collection; `Conflict` when the name is taken.
    async fn create_collection(&self, spec: &CollectionSpec) -> StoreResult<Collection>;

    /// Creates a collection whose feed keeps the `atom:id` `urn:uuid:{feed_id}` it had, when
    /// restoring an archive (pollers know a feed by its id); `Conflict` when the name is
    /// taken.
    async fn restore_collection(
        &self,
        spec: &CollectionSpec,
        feed_id: Uuid,
    ) -> StoreResult<Collection>;

    /// Replaces a collection's definition; `Conflict` when the information type would change
    /// while it holds entries (its entries are records of the old type, R-8322-6.1.1-a).
    async fn update_collection(&self, spec: &CollectionSpec) -> StoreResult<Collection>;

    /// Deletes a collection; `Conflict` while it holds entries.
    async fn delete_collection(&self, name: &CollectionName) -> StoreResult<()>;

    /// A number that changes whenever any collection is created, changed or deleted: the
    /// service document's validator.
    async fn collections_version(&self) -> StoreResult<i64>;

    /// The collection's change counters, in one cheap query.
    async fn freshness(&self, name: &CollectionName) -> StoreResult<Freshness>;

    /// A counter that moves whenever collections or entries may have changed: at once after
    /// this process's own writes return, and after another process's commit once the
    /// backend hears of it (SQLite: a watcher polling the database; PostgreSQL:
    /// `LISTEN/NOTIFY`). A reader may keep what it read while the counter stays put, once
    /// [`Store::caught_up`] said yes. `None` when the backend cannot tell, and then nothing
    /// read may be kept across requests.
    fn change_counter(&self) -> Option<std::sync::Arc<std::sync::atomic::AtomicU64>> {
        None
    }

    /// Whether [`Store::change_counter`] now reflects every commit that completed before this
    /// call began, on any process writing the database; waits a little for that when the
    /// backend must (PostgreSQL: a notification sent to itself, which arrives after every
    /// earlier commit's). `false`: read the store instead of anything kept.
    async fn caught_up(&self) -> bool {
        true
    }

    /// The change counters of a collection as `visibility` sees them (`NotFound` when the
    /// collection does not exist).
    async fn visible_freshness(
        &self,
        name: &CollectionName,
        visibility: &Visibility,
    ) -> StoreResult<VisibleFreshness>;

    /// How many entries of a collection `visibility` sees (0 when the collection does not
    /// exist). Pages for people show it; pollers never need it, so it is counted on demand
    /// rather than kept per audience by every write.
    async fn count_entries(
        &self,
        name: &CollectionName,
        visibility: &Visibility,
    ) -> StoreResult<i64>;

    /// Creates an entry and its content. `Conflict` when the collection already holds an
    /// entry with the same `atom:id`; `NotFound` when the collection does not exist.
    async fn create_entry(&self, entry: NewEntry) -> StoreResult<StoredEntry>;

    /// An entry, if it exists and `visibility` allows it (`NotFound` otherwise).
    async fn get_entry(&self, id: Uuid, visibility: &Visibility) -> StoreResult<StoredEntry>;

    /// The stored content of an entry, under the same visibility rule.
    async fn get_content(&self, id: Uuid, visibility: &Visibility) -> StoreResult<StoredContent>;

    /// Replaces an entry's metadata, keeping its content. With `expected_etag`, fails with
    /// `PreconditionFailed` unless it is the current ETag.
    async fn update_entry(
        &self,
        id: Uuid,
        expected_etag: Option<&str>,
        data: EntryData,
    ) -> StoreResult<StoredEntry>;

    /// Replaces an entry's content and metadata together (a PUT of the media resource).
    async fn update_content(
        &self,
        id: Uuid,
        expected_etag: Option<&str>,
        content: NewContent,
        data: EntryData,
    ) -> StoreResult<StoredEntry>;

    /// Deletes an entry and its content, leaving a tombstone in the change log.
    async fn delete_entry(&self, id: Uuid, expected_etag: Option<&str>) -> StoreResult<Change>;

    /// One feed page.
    async fn list_entries(&self, query: &FeedQuery) -> StoreResult<FeedPage>;

    /// How many entries `query` matches as its caller sees them, on every page together
    /// (its position aside): filtered by clearance, drafts and the query's filters in SQL,
    /// like its pages, so it never counts an entry the caller could not read.
    async fn count_matching(&self, query: &FeedQuery) -> StoreResult<i64>;

    /// One page of a sync window as the query's caller sees it (see [`SyncQuery`]):
    /// entries whose last change in the window is after `query.after`, oldest first.
    /// [`SyncPage::Expired`] when the window starts before changes the log no longer holds.
    async fn sync(&self, query: &SyncQuery) -> StoreResult<SyncPage>;

    /// The entries of a collection that `visibility` could see at some time since `since`
    /// and no longer sees (deleted, raised above its level, made a draft), newest first, at
    /// most `limit`: the RFC 6721 tombstones of a feed's head page. Only what the change
    /// log still holds is known.
    async fn recent_tombstones(
        &self,
        name: &CollectionName,
        visibility: &Visibility,
        since: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<SyncItem>>;

    /// Removes change-log rows older than `before` from every collection, remembering per
    /// collection the newest sequence number removed; returns how many rows went.
    async fn prune_changes(&self, before: OffsetDateTime) -> StoreResult<u64>;

    /// The server's secret named `name`: `candidate` is stored if there is none yet, and
    /// the stored one is returned either way, so every process on the database agrees.
    async fn server_key(&self, name: &str, candidate: &[u8]) -> StoreResult<Vec<u8>>;

    /// The raw change log of a collection above `after`, oldest first, whoever could see
    /// each entry: for the server's own bookkeeping and tests, never for a caller.
    async fn changes_since(
        &self,
        collection: &CollectionName,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<Change>>;

    /// Stores a feed-reader token.
    async fn create_feed_token(&self, token: &NewFeedToken) -> StoreResult<FeedToken>;

    /// A feed-reader token by id, revoked ones included.
    async fn get_feed_token(&self, id: Uuid) -> StoreResult<FeedToken>;

    /// All feed-reader tokens, newest first.
    async fn list_feed_tokens(&self) -> StoreResult<Vec<FeedToken>>;

    /// Revokes a token; revoking twice keeps the first time.
    async fn revoke_feed_token(&self, id: Uuid) -> StoreResult<FeedToken>;

    /// Appends to the audit log.
    async fn append_audit(&self, record: &AuditRecord) -> StoreResult<()>;

    /// Appends several records at once, committed together (one flush to disk for all).
    async fn append_audits(&self, records: &[AuditRecord]) -> StoreResult<()> {
        for record in records {
            self.append_audit(record).await?;
        }
        Ok(())
    }

    /// Audit records with `seq` below `before` (all when `None`), newest first.
    async fn list_audit(&self, before: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEntry>>;
}
