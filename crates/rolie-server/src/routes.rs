//! Resources, one module each, with their handlers next to their routes (STYLE §2).

pub mod admin;
pub mod assets;
pub mod categories;
pub mod content;
pub mod entries;
pub mod feeds;
pub mod health;
pub mod home;
pub mod login;
pub mod metrics;
pub mod search;
pub mod service_document;

use axum::extract::{FromRequestParts, Path};
use http::request::Parts;
use rolie_store::CollectionName;
use uuid::Uuid;

use crate::error::ApiError;

/// A collection name from the path; names that cannot exist are 404 (not 400), like any
/// other unknown collection.
pub struct CollectionPath(pub CollectionName);

impl<S: Send + Sync> FromRequestParts<S> for CollectionPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(name) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound("no such collection".into()))?;
        CollectionName::parse(&name)
            .map(CollectionPath)
            .map_err(|_| ApiError::not_found(format!("collection {name:?}")))
    }
}

/// An entry id from the path; anything but a UUID is 404.
pub struct EntryPath(pub Uuid);

impl<S: Send + Sync> FromRequestParts<S> for EntryPath {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(id) = Path::<String>::from_request_parts(parts, state)
            .await
            .map_err(|_| ApiError::NotFound("no such entry".into()))?;
        Uuid::parse_str(&id)
            .map(EntryPath)
            .map_err(|_| ApiError::NotFound("no such entry".into()))
    }
}

/// What in a principal decides which documents it sees: part of every ETag of a document
/// that is filtered per caller, so one caller's 304 is never another's stale copy.
pub fn view_key(principal: &rolie_authz::Principal) -> String {
    format!(
        "{}|{}|{}|{}",
        principal.subject,
        principal.scopes,
        principal.clearance.level(),
        principal.is_anonymous()
    )
}
