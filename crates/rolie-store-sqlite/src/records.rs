//! Row types and their conversion into store values.

use rolie_model::timestamp;
use rolie_store::backend;
use rolie_store::{
    AuditEntry, AuditRecord, Change, Collection, CollectionName, CollectionSpec, FeedToken,
    NewFeedToken, StoreError, StoredEntry,
};
use uuid::Uuid;

/// Columns selected for an entry, in this order, by every entry query.
pub(crate) const ENTRY_COLUMNS: &str = "e.id, e.collection, e.publisher, e.edited, e.etag, e.data, \
     e.content_kind, e.content_type, e.content_src, e.content_hash, e.content_size";

fn uuid(text: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(text).map_err(|e| StoreError::Internal(format!("bad stored id {text}: {e}")))
}

fn name(text: String) -> Result<CollectionName, StoreError> {
    CollectionName::parse(&text).map_err(StoreError::Internal)
}

#[derive(sqlx::FromRow)]
pub(crate) struct EntryRow {
    id: String,
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

impl EntryRow {
    pub(crate) fn into_entry(self) -> Result<StoredEntry, StoreError> {
        Ok(StoredEntry {
            id: uuid(&self.id)?,
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

#[derive(sqlx::FromRow)]
pub(crate) struct CollectionRow {
    name: String,
    title: String,
    information_type: String,
    workspace: String,
    accept: String,
    max_restriction: i64,
    public: bool,
    created: i64,
    feed_id: String,
}

impl CollectionRow {
    pub(crate) fn into_collection(self) -> Result<Collection, StoreError> {
        Ok(Collection {
            spec: CollectionSpec {
                name: name(self.name)?,
                title: self.title,
                information_type: self.information_type,
                workspace: self.workspace,
                accept: serde_json::from_str(&self.accept)
                    .map_err(|e| StoreError::Internal(format!("bad accept list: {e}")))?,
                max_restriction: backend::restriction(self.max_restriction)?,
                public: self.public,
            },
            created: timestamp::from_micros(self.created),
            feed_id: format!("urn:uuid:{}", self.feed_id),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ChangeRow {
    seq: i64,
    kind: String,
    entry_id: String,
    atom_id: String,
    at: i64,
}

impl ChangeRow {
    pub(crate) fn into_change(self) -> Result<Change, StoreError> {
        Ok(Change {
            seq: self.seq,
            kind: backend::change_kind(&self.kind)?,
            entry_id: uuid(&self.entry_id)?,
            atom_id: self.atom_id,
            at: timestamp::from_micros(self.at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct TokenRow {
    id: String,
    subject: String,
    label: String,
    clearance: i64,
    collections: String,
    secret_hash: String,
    expires: Option<i64>,
    created: i64,
    revoked: Option<i64>,
}

impl TokenRow {
    pub(crate) fn into_token(self) -> Result<FeedToken, StoreError> {
        Ok(FeedToken {
            token: NewFeedToken {
                id: uuid(&self.id)?,
                subject: self.subject,
                label: self.label,
                clearance: backend::restriction(self.clearance)?,
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

#[derive(sqlx::FromRow)]
pub(crate) struct AuditRow {
    seq: i64,
    at: i64,
    subject: String,
    action: String,
    resource: String,
    outcome: String,
    status: i64,
    request_id: Option<String>,
    detail: Option<String>,
}

impl AuditRow {
    pub(crate) fn into_entry(self) -> AuditEntry {
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
