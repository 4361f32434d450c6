//! The append-only audit log of writes and refused writes (R-8322-9-a).

use time::OffsetDateTime;

/// One audit record to append.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditRecord {
    /// When.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// Who (principal subject, `anonymous` when none).
    pub subject: String,
    /// What was attempted (`create_entry`, `delete_collection`, ...).
    pub action: String,
    /// The resource acted on (a path).
    pub resource: String,
    /// `allowed`, `denied` or `failed`.
    pub outcome: String,
    /// HTTP status answered.
    pub status: u16,
    /// Request id, to correlate with logs.
    pub request_id: Option<String>,
    /// Short reason, never request bodies.
    pub detail: Option<String>,
}

/// A stored audit record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    /// Position in the log.
    pub seq: i64,
    /// The record.
    #[serde(flatten)]
    pub record: AuditRecord,
}
