//! The shared row types, with ids as SQLite keeps them: hyphenated text.

use rolie_store::backend;
use uuid::fmt::Hyphenated;

pub(crate) use rolie_store::backend::{AuditRow, CollectionRow};

/// Columns selected for an entry, in this order, by every entry query.
pub(crate) const ENTRY_COLUMNS: &str = "e.id, e.collection, e.publisher, e.edited, e.etag, e.data, \
     e.content_kind, e.content_type, e.content_src, e.content_hash, e.content_size";

pub(crate) type EntryRow = backend::EntryRow<Hyphenated>;
pub(crate) type ChangeRow = backend::ChangeRow<Hyphenated>;
pub(crate) type SyncRow = backend::SyncRow<Hyphenated>;
pub(crate) type TokenRow = backend::TokenRow<Hyphenated>;
