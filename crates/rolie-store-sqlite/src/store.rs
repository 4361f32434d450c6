//! `Store` for `SqliteStore`: reads on the reader pool, writes on the single writer.

rolie_store::impl_store!(crate::SqliteStore, read: reader, write: writer);
