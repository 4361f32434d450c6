//! What readers read that stays true while the store's change counter stays put: the
//! collections, each view's change counters and entries. A poller's 304 then needs no
//! database query of its own. With a store that has no counter nothing is kept and every
//! read goes to the store.
//!
//! The store is first asked whether its counter has caught up with every commit made before
//! the request (`Store::caught_up`: at once on SQLite, one shared barrier notification on
//! PostgreSQL, where another replica may have written); if it cannot say, the store is read.
//! The counter is read after that and before the store, and an answer is kept under the
//! value read then: a write that commits meanwhile moves the counter, so the kept answer is
//! never used once the write has returned to its client.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use rolie_store::{
    Collection, CollectionName, DraftVisibility, Store, StoreError, StoreResult, StoredEntry,
    Visibility, VisibleFreshness,
};
use uuid::Uuid;

/// Views' change counters kept at most (a view is a collection, a clearance and a draft
/// owner: one per collection and subject that polls).
const FRESHNESS_ENTRIES: usize = 100_000;

/// Entries kept at most (each about the size of its metadata, a few KB at most).
const ENTRIES: usize = 10_000;

/// The counter value one request reads under: asked of the store once, at the request's
/// first read, and used for all its reads (on PostgreSQL each asking waits for a barrier).
#[derive(Debug, Default)]
pub(crate) struct Stamp(tokio::sync::OnceCell<Option<u64>>);

/// Kept answers, each with the counter value it was read under.
pub(super) struct Memo {
    counter: Option<Arc<AtomicU64>>,
    collections: Mutex<Option<(u64, Arc<Vec<Collection>>)>>,
    freshness: quick_cache::sync::Cache<(String, i16, String), (u64, VisibleFreshness)>,
    entries: quick_cache::sync::Cache<Uuid, (u64, Arc<StoredEntry>)>,
}

impl Memo {
    pub(super) fn new(store: &dyn Store) -> Self {
        Memo {
            counter: store.change_counter(),
            collections: Mutex::new(None),
            freshness: quick_cache::sync::Cache::new(FRESHNESS_ENTRIES),
            entries: quick_cache::sync::Cache::new(ENTRIES),
        }
    }

    /// The counter's value, once the store says it reflects every commit made before the
    /// request's first read.
    async fn now(&self, store: &dyn Store, stamp: &Stamp) -> Option<u64> {
        let counter = self.counter.as_ref()?;
        *stamp
            .0
            .get_or_init(|| async {
                if store.caught_up().await {
                    Some(counter.load(Ordering::Acquire))
                } else {
                    None
                }
            })
            .await
    }

    /// Every collection, from memory while nothing changed.
    pub(super) async fn collections(
        &self,
        store: &dyn Store,
        at: &Stamp,
    ) -> StoreResult<Arc<Vec<Collection>>> {
        let Some(stamp) = self.now(store, at).await else {
            return Ok(Arc::new(store.list_collections().await?));
        };
        if let Ok(kept) = self.collections.lock()
            && let Some((kept_stamp, collections)) = kept.as_ref()
            && *kept_stamp == stamp
        {
            return Ok(collections.clone());
        }
        let collections = Arc::new(store.list_collections().await?);
        if let Ok(mut kept) = self.collections.lock() {
            *kept = Some((stamp, collections.clone()));
        }
        Ok(collections)
    }

    /// One collection, from memory while nothing changed.
    pub(super) async fn collection(
        &self,
        store: &dyn Store,
        at: &Stamp,
        name: &CollectionName,
    ) -> StoreResult<Collection> {
        if self.counter.is_none() {
            return store.get_collection(name).await;
        }
        self.collections(store, at)
            .await?
            .iter()
            .find(|c| &c.spec.name == name)
            .cloned()
            .ok_or(StoreError::NotFound)
    }

    /// A view's change counters, from memory while nothing changed.
    pub(super) async fn freshness(
        &self,
        store: &dyn Store,
        at: &Stamp,
        name: &CollectionName,
        visibility: &Visibility,
    ) -> StoreResult<VisibleFreshness> {
        let Some(stamp) = self.now(store, at).await else {
            return store.visible_freshness(name, visibility).await;
        };
        let drafts = match &visibility.drafts {
            DraftVisibility::None => String::new(),
            DraftVisibility::All => "*".to_owned(),
            DraftVisibility::OwnedBy(subject) => format!("={subject}"),
        };
        let key = (
            name.as_str().to_owned(),
            visibility.clearance.level(),
            drafts,
        );
        if let Some((kept_stamp, freshness)) = self.freshness.get(&key)
            && kept_stamp == stamp
        {
            return Ok(freshness);
        }
        let freshness = store.visible_freshness(name, visibility).await?;
        self.freshness.insert(key, (stamp, freshness));
        Ok(freshness)
    }

    /// An entry if `visibility` allows it (`NotFound` otherwise, as the store answers),
    /// from memory while nothing changed. Kept whole and filtered here by the same rule
    /// the store's queries apply ([`Visibility::allows`]), so one copy serves every caller.
    pub(super) async fn entry(
        &self,
        store: &dyn Store,
        at: &Stamp,
        id: Uuid,
        visibility: &Visibility,
    ) -> StoreResult<StoredEntry> {
        let Some(stamp) = self.now(store, at).await else {
            return store.get_entry(id, visibility).await;
        };
        let entry = match self.entries.get(&id) {
            Some((kept_stamp, entry)) if kept_stamp == stamp => entry,
            _ => {
                let entry = Arc::new(store.get_entry(id, &Visibility::everything()).await?);
                self.entries.insert(id, (stamp, entry.clone()));
                entry
            }
        };
        if visibility.allows(entry.data.restriction, entry.data.draft, &entry.publisher) {
            Ok(StoredEntry::clone(&entry))
        } else {
            Err(StoreError::NotFound)
        }
    }
}
