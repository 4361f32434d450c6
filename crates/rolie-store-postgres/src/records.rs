//! The shared row types, with PostgreSQL's `uuid` ids; JSON columns are selected as text.

use rolie_store::backend;
use uuid::Uuid;

pub(crate) use rolie_store::backend::{AuditRow, CollectionRow};

/// Columns selected for an entry, in this order, by every entry query.
pub(crate) const ENTRY_COLUMNS: &str = "e.id, e.collection, e.publisher, e.edited, e.etag, e.data::text as data, \
     e.content_kind, e.content_type, e.content_src, e.content_hash, e.content_size";

pub(crate) type EntryRow = backend::EntryRow<Uuid>;
pub(crate) type ChangeRow = backend::ChangeRow<Uuid>;
pub(crate) type SyncRow = backend::SyncRow<Uuid>;
pub(crate) type TokenRow = backend::TokenRow<Uuid>;
