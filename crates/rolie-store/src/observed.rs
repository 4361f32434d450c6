//! A store that reports how long each operation took: wraps any [`Store`] and tells a
//! [`StoreObserver`] the operation's name, its duration and whether the database failed
//! (metrics, logs). The answers are the wrapped store's, untouched.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    AuditEntry, AuditRecord, Change, Collection, CollectionName, CollectionSpec, EntryData,
    FeedPage, FeedQuery, FeedToken, Freshness, NewContent, NewEntry, NewFeedToken, Store,
    StoreError, StoreResult, StoredContent, StoredEntry, SyncItem, SyncPage, SyncQuery, Visibility,
    VisibleFreshness,
};

/// How an operation ended, for an observer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It answered: a result, or a refusal that is the answer (not found, conflict,
    /// precondition failed).
    Answered,
    /// The database could not answer (unavailable, or an internal error).
    Failed,
}

/// Told of every operation of an [`Observed`] store.
pub trait StoreObserver: Send + Sync + 'static {
    /// `operation` (the [`Store`] method's name) took `elapsed` and ended as `outcome`.
    fn observe(&self, operation: &'static str, elapsed: Duration, outcome: Outcome);
}

/// `inner`, timed.
pub struct Observed {
    inner: Arc<dyn Store>,
    observer: Arc<dyn StoreObserver>,
}

impl Observed {
    /// Wraps `inner`, reporting to `observer`.
    pub fn new(inner: Arc<dyn Store>, observer: Arc<dyn StoreObserver>) -> Self {
        Observed { inner, observer }
    }

    fn report<T>(&self, operation: &'static str, start: Instant, result: &StoreResult<T>) {
        let outcome = match result {
            Err(StoreError::Unavailable(_) | StoreError::Internal(_)) => Outcome::Failed,
            _ => Outcome::Answered,
        };
        self.observer.observe(operation, start.elapsed(), outcome);
    }
}

/// Times one call of the wrapped store.
macro_rules! timed {
    ($self:ident, $operation:ident ( $($arg:expr),* )) => {{
        let start = Instant::now();
        let result = $self.inner.$operation($($arg),*).await;
        $self.report(stringify!($operation), start, &result);
        result
    }};
}

#[async_trait]
impl Store for Observed {
    async fn ping(&self) -> StoreResult<()> {
        timed!(self, ping())
    }

    async fn list_collections(&self) -> StoreResult<Vec<Collection>> {
        timed!(self, list_collections())
    }

    async fn get_collection(&self, name: &CollectionName) -> StoreResult<Collection> {
        timed!(self, get_collection(name))
    }

    async fn create_collection(&self, spec: &CollectionSpec) -> StoreResult<Collection> {
        timed!(self, create_collection(spec))
    }

    async fn restore_collection(
        &self,
        spec: &CollectionSpec,
        feed_id: Uuid,
    ) -> StoreResult<Collection> {
        timed!(self, restore_collection(spec, feed_id))
    }

    async fn update_collection(&self, spec: &CollectionSpec) -> StoreResult<Collection> {
        timed!(self, update_collection(spec))
    }

    async fn delete_collection(&self, name: &CollectionName) -> StoreResult<()> {
        timed!(self, delete_collection(name))
    }

    async fn collections_version(&self) -> StoreResult<i64> {
        timed!(self, collections_version())
    }

    async fn freshness(&self, name: &CollectionName) -> StoreResult<Freshness> {
        timed!(self, freshness(name))
    }

    fn change_counter(&self) -> Option<Arc<AtomicU64>> {
        self.inner.change_counter()
    }

    async fn caught_up(&self) -> bool {
        self.inner.caught_up().await
    }

    async fn visible_freshness(
        &self,
        name: &CollectionName,
        visibility: &Visibility,
    ) -> StoreResult<VisibleFreshness> {
        timed!(self, visible_freshness(name, visibility))
    }

    async fn count_entries(
        &self,
        name: &CollectionName,
        visibility: &Visibility,
    ) -> StoreResult<i64> {
        timed!(self, count_entries(name, visibility))
    }

    async fn create_entry(&self, entry: NewEntry) -> StoreResult<StoredEntry> {
        timed!(self, create_entry(entry))
    }

    async fn get_entry(&self, id: Uuid, visibility: &Visibility) -> StoreResult<StoredEntry> {
        timed!(self, get_entry(id, visibility))
    }

    async fn get_content(&self, id: Uuid, visibility: &Visibility) -> StoreResult<StoredContent> {
        timed!(self, get_content(id, visibility))
    }

    async fn update_entry(
        &self,
        id: Uuid,
        expected_etag: Option<&str>,
        data: EntryData,
    ) -> StoreResult<StoredEntry> {
        timed!(self, update_entry(id, expected_etag, data))
    }

    async fn update_content(
        &self,
        id: Uuid,
        expected_etag: Option<&str>,
        content: NewContent,
        data: EntryData,
    ) -> StoreResult<StoredEntry> {
        timed!(self, update_content(id, expected_etag, content, data))
    }

    async fn delete_entry(&self, id: Uuid, expected_etag: Option<&str>) -> StoreResult<Change> {
        timed!(self, delete_entry(id, expected_etag))
    }

    async fn list_entries(&self, query: &FeedQuery) -> StoreResult<FeedPage> {
        timed!(self, list_entries(query))
    }

    async fn count_matching(&self, query: &FeedQuery) -> StoreResult<i64> {
        timed!(self, count_matching(query))
    }

    async fn sync(&self, query: &SyncQuery) -> StoreResult<SyncPage> {
        timed!(self, sync(query))
    }

    async fn recent_tombstones(
        &self,
        name: &CollectionName,
        visibility: &Visibility,
        since: OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<SyncItem>> {
        timed!(self, recent_tombstones(name, visibility, since, limit))
    }

    async fn prune_changes(&self, before: OffsetDateTime) -> StoreResult<u64> {
        timed!(self, prune_changes(before))
    }

    async fn server_key(&self, name: &str, candidate: &[u8]) -> StoreResult<Vec<u8>> {
        timed!(self, server_key(name, candidate))
    }

    async fn changes_since(
        &self,
        collection: &CollectionName,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<Change>> {
        timed!(self, changes_since(collection, after, limit))
    }

    async fn create_feed_token(&self, token: &NewFeedToken) -> StoreResult<FeedToken> {
        timed!(self, create_feed_token(token))
    }

    async fn get_feed_token(&self, id: Uuid) -> StoreResult<FeedToken> {
        timed!(self, get_feed_token(id))
    }

    async fn list_feed_tokens(&self) -> StoreResult<Vec<FeedToken>> {
        timed!(self, list_feed_tokens())
    }

    async fn revoke_feed_token(&self, id: Uuid) -> StoreResult<FeedToken> {
        timed!(self, revoke_feed_token(id))
    }

    async fn append_audit(&self, record: &AuditRecord) -> StoreResult<()> {
        timed!(self, append_audit(record))
    }

    async fn append_audits(&self, records: &[AuditRecord]) -> StoreResult<()> {
        timed!(self, append_audits(records))
    }

    async fn list_audit(&self, before: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        timed!(self, list_audit(before, limit))
    }
}
