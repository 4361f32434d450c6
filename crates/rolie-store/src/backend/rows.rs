//! Rows as both SQL backends select them, and their conversion into store values.
//!
//! The backends' columns hold the same values in different types: PostgreSQL has `uuid`
//! columns, SQLite keeps ids as hyphenated text. Rows are generic over the id type, so
//! each backend names its own (`Uuid`, `uuid::fmt::Hyphenated`) and shares the rest;
//! small integers are decoded at the narrowest width both databases store.

use rolie_model::timestamp;
use uuid::Uuid;

use crate::backend;
use crate::{
    AuditEntry, AuditRecord, Change, Collection, CollectionName, CollectionSpec, FeedToken,
    NewFeedToken, StoreError, StoredEntry,
};

fn name(text: String) -> Result<CollectionName, StoreError> {
    CollectionName::parse(&text).map_err(StoreError::Internal)
}

/// An entry row; every entry query selects these columns in this order.
#[derive(sqlx::FromRow)]
pub struct EntryRow<Id> {
    id: Id,
    collection: String,
    publisher: String,
    edited: i64,
    etag: String,
    data: String,
    content_kind: String,
    content_type: Option<String>,
    content_src: Option<String>,
    content_hash: Option<String>,
    content_size: Option<i64>,
}

impl<Id: Into<Uuid>> EntryRow<Id> {
    /// The stored entry.
    ///
    /// # Errors
    /// `Internal` for a corrupt row.
    pub fn into_entry(self) -> Result<StoredEntry, StoreError> {
        Ok(StoredEntry {
            id: self.id.into(),
            collection: name(self.collection)?,
            publisher: self.publisher,
            data: backend::decode_data(&self.data)?,
            edited: timestamp::from_micros(self.edited),
            etag: self.etag,
            content: backend::content_info(
                &self.content_kind,
                self.content_type,
                self.content_src,
                self.content_hash,
                self.content_size,
            )?,
        })
    }
}

/// A collection row (`accept` and `feed_id` selected as text).
#[derive(sqlx::FromRow)]
pub struct CollectionRow {
    name: String,
    title: String,
    information_type: String,
    workspace: String,
    accept: String,
    max_restriction: i16,
    public: bool,
    created: i64,
    feed_id: String,
}

impl CollectionRow {
    /// The collection.
    ///
    /// # Errors
    /// `Internal` for a corrupt row.
    pub fn into_collection(self) -> Result<Collection, StoreError> {
        Ok(Collection {
            spec: CollectionSpec {
                name: name(self.name)?,
                title: self.title,
                information_type: self.information_type,
                workspace: self.workspace,
                accept: serde_json::from_str(&self.accept)
                    .map_err(|e| StoreError::Internal(format!("bad accept list: {e}")))?,
                max_restriction: backend::restriction(i64::from(self.max_restriction))?,
                public: self.public,
            },
            created: timestamp::from_micros(self.created),
            feed_id: backend::feed_id(&self.feed_id),
        })
    }
}

/// A change log row.
#[derive(sqlx::FromRow)]
pub struct ChangeRow<Id> {
    seq: i64,
    kind: String,
    entry_id: Id,
    atom_id: String,
    at: i64,
}

impl<Id: Into<Uuid>> ChangeRow<Id> {
    /// The change.
    ///
    /// # Errors
    /// `Internal` for a corrupt row.
    pub fn into_change(self) -> Result<Change, StoreError> {
        Ok(Change {
            seq: self.seq,
            kind: backend::change_kind(&self.kind)?,
            entry_id: self.entry_id.into(),
            atom_id: self.atom_id,
            at: timestamp::from_micros(self.at),
        })
    }
}

/// A sync row: an entry's last change in the window and whether the caller sees it now.
#[derive(sqlx::FromRow)]
pub struct SyncRow<Id> {
    seq: i64,
    entry_id: Id,
    atom_id: String,
    at: i64,
    present: bool,
}

impl<Id: Into<Uuid>> SyncRow<Id> {
    /// The sync item.
    pub fn into_item(self) -> crate::SyncItem {
        crate::SyncItem {
            seq: self.seq,
            entry_id: self.entry_id.into(),
            atom_id: self.atom_id,
            at: timestamp::from_micros(self.at),
            state: if self.present {
                crate::SyncState::Present
            } else {
                crate::SyncState::Gone
            },
        }
    }
}

/// A feed token row (`collections` selected as text).
#[derive(sqlx::FromRow)]
pub struct TokenRow<Id> {
    id: Id,
    subject: String,
    label: String,
    clearance: i16,
    collections: String,
    secret_hash: String,
    expires: Option<i64>,
    created: i64,
    revoked: Option<i64>,
}

impl<Id: Into<Uuid>> TokenRow<Id> {
    /// The feed token.
    ///
    /// # Errors
    /// `Internal` for a corrupt row.
    pub fn into_token(self) -> Result<FeedToken, StoreError> {
        Ok(FeedToken {
            token: NewFeedToken {
                id: self.id.into(),
                subject: self.subject,
                label: self.label,
                clearance: backend::restriction(i64::from(self.clearance))?,
                collections: serde_json::from_str(&self.collections)
                    .map_err(|e| StoreError::Internal(format!("bad token collections: {e}")))?,
                secret_hash: self.secret_hash,
                expires: self.expires.map(timestamp::from_micros),
            },
            created: timestamp::from_micros(self.created),
            revoked: self.revoked.map(timestamp::from_micros),
        })
    }
}

/// An audit log row.
#[derive(sqlx::FromRow)]
pub struct AuditRow {
    seq: i64,
    at: i64,
    subject: String,
    action: String,
    resource: String,
    outcome: String,
    status: i32,
    request_id: Option<String>,
    detail: Option<String>,
}

impl AuditRow {
    /// The audit entry.
    pub fn into_entry(self) -> AuditEntry {
        AuditEntry {
            seq: self.seq,
            record: AuditRecord {
                at: timestamp::from_micros(self.at),
                subject: self.subject,
                action: self.action,
                resource: self.resource,
                outcome: self.outcome,
                status: u16::try_from(self.status).unwrap_or(0),
                request_id: self.request_id,
                detail: self.detail,
            },
        }
    }
}
