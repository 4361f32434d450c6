//! `Store` for `SqliteStore`: reads on the reader pool, writes on the single writer.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

rolie_store::impl_store!(crate::SqliteStore, read: reader, write: writer);

impl crate::SqliteStore {
    /// Moves the change counter after one of this process's writes returned (committed or
    /// not: a failed write costs a cache a reload, never a stale answer).
    fn wrote(&self) {
        self.changes.fetch_add(1, Ordering::Release);
    }

    fn counter(&self) -> Option<Arc<AtomicU64>> {
        Some(self.changes.clone())
    }

    /// Always: this process's writes move the counter before they return, and another
    /// process's (`rolie import` next to a running server) within the watcher's poll.
    async fn catch_up(&self) -> bool {
        true
    }
}
