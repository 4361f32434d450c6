//! `Store` for `PgStore`: one pool for reads and writes.

rolie_store::impl_store!(crate::PgStore, read: pool, write: pool);
