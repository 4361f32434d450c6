//! What readers read that stays true while the store's change counter stays put: the
//! collections and each view's change counters. A poller's 304 then needs no database at
//! all. With a store that has no counter (PostgreSQL: another replica may write at any
//! time) nothing is kept and every read goes to the store, as before.
//!
//! The counter is read before the store, and an answer is kept under the value read then:
//! a write that commits meanwhile moves the counter after it commits, so the kept answer is
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

    fn now(&self) -> Option<u64> {
        self.counter.as_ref().map(|c| c.load(Ordering::Acquire))
    }

    /// Every collection, from memory while nothing changed.
    pub(super) async fn collections(&self, store: &dyn Store) -> StoreResult<Arc<Vec<Collection>>> {
        let Some(stamp) = self.now() else {
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
        name: &CollectionName,
    ) -> StoreResult<Collection> {
        if self.counter.is_none() {
            return store.get_collection(name).await;
        }
        self.collections(store)
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
        name: &CollectionName,
        visibility: &Visibility,
    ) -> StoreResult<VisibleFreshness> {
        let Some(stamp) = self.now() else {
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
        id: Uuid,
        visibility: &Visibility,
    ) -> StoreResult<StoredEntry> {
        let Some(stamp) = self.now() else {
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
