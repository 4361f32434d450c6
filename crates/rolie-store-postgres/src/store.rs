//! `Store` for `PgStore`: one pool for reads and writes.

use std::sync::Arc;
use std::sync::atomic::AtomicU64;

rolie_store::impl_store!(crate::PgStore, read: pool, write: pool);

impl crate::PgStore {
    /// Nothing to note: other replicas write the same database at any time, so nothing
    /// read may be kept across requests.
    fn wrote(&self) {}

    /// `None`: this process cannot see other replicas' commits as they happen.
    fn counter(&self) -> Option<Arc<AtomicU64>> {
        None
    }
}
