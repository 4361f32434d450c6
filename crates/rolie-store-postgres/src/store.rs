//! `Store` for `PgStore`: one pool for reads and writes; a listener for other replicas' changes.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

rolie_store::impl_store!(crate::PgStore, read: pool, write: pool);

impl crate::PgStore {
    /// Moves the change counter after one of this process's writes returned.
    fn wrote(&self) {
        self.changes.wrote();
    }

    /// The counter moved by every commit heard of through `LISTEN/NOTIFY` ([`crate::notify`]).
    fn counter(&self) -> Option<Arc<AtomicU64>> {
        Some(self.changes.counter())
    }

    /// Waits for a barrier: every commit before this call, on any replica, has then moved
    /// the counter.
    async fn catch_up(&self) -> bool {
        self.changes.caught_up().await
    }
}
