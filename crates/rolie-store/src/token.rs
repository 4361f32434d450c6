//! Feed-reader tokens: revocable read-only credentials for clients that can only send HTTP
//! Basic (RFC 5023 §14, spec-rolie A14). Only a hash of the secret is stored.

use rolie_model::Restriction;
use time::OffsetDateTime;
use uuid::Uuid;

/// A token to create. The secret itself never reaches the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFeedToken {
    /// Token id (the Basic user name).
    pub id: Uuid,
    /// Subject the token acts for.
    pub subject: String,
    /// What it is for, shown in listings.
    pub label: String,
    /// Clearance granted.
    pub clearance: Restriction,
    /// Collections it may read; empty means every collection the subject may read.
    pub collections: Vec<String>,
    /// SHA-256 of the secret, hex.
    pub secret_hash: String,
    /// Expiry.
    pub expires: Option<OffsetDateTime>,
}

/// A stored token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedToken {
    /// The token as created.
    pub token: NewFeedToken,
    /// When it was created.
    pub created: OffsetDateTime,
    /// When it was revoked.
    pub revoked: Option<OffsetDateTime>,
}
