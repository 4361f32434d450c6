//! The service document: the head of the repository (R-8322-5.1-a, R-5023-5.1-a).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use http::HeaderMap;
use rolie_model::vocabulary::media_type;

use crate::caller::Caller;
use crate::conditional::Validators;
use crate::error::ApiError;
use crate::respond::{self, PRIVATE};
use crate::routes::view_key;
use crate::state::AppState;
use crate::urls::SERVICE_DOCUMENT_PATH;
use crate::{negotiate, present};

/// `/rolie/servicedocument`.
pub fn routes() -> Router<AppState> {
    Router::new().route(SERVICE_DOCUMENT_PATH, get(get_service_document))
}

const VARY: &str = "Accept, Authorization";

/// Lists the collections the caller may read (R-PROF-AUTHZ-a, R-CSIRT-SEC-a).
async fn get_service_document(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    negotiate::choose(&headers, &[media_type::ATOM_SERVICE])?;
    let reader = state.gate.reader(&principal);
    // The validator is a hash of what this caller is shown, not of the store-wide
    // collections version: creating or changing a collection the caller cannot read, or
    // an entry it cannot see, must not move its ETag. Listing the collections is one small
    // query and their freshness is answered from memory; nothing is rendered for a 304.
    let collections = reader.collections().await?;
    if collections.is_empty() && principal.is_anonymous() {
        // Nothing is public here: ask for credentials rather than show an empty repository.
        return Err(ApiError::Unauthorized(
            "this repository has no public collections; send credentials".into(),
        ));
    }
    let mut listed = Vec::with_capacity(collections.len());
    let mut last_changes = Vec::with_capacity(collections.len());
    for collection in &collections {
        let c = collection.collection();
        let spec = &c.spec;
        // What the caller can see of each collection's changes: the document states when
        // the newest happened, and the validator moves with them and with nothing else.
        let freshness = reader.freshness(collection).await?;
        last_changes.push(freshness.last_change);
        listed.push(format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
            freshness.change_seq,
            c.feed_id,
            spec.name,
            spec.title,
            spec.information_type,
            spec.workspace,
            spec.accept.join(","),
            spec.max_restriction.level(),
            spec.public
        ));
    }
    let listed = listed.join("\u{1e}");
    let validators = Validators::hashed(
        "s",
        &[
            listed.as_bytes(),
            view_key(&principal).as_bytes(),
            state.urls.base().as_bytes(),
            state.config.fingerprint.as_bytes(),
        ],
        None,
    );
    Ok(respond::Cacheable {
        validators: &validators,
        vary: VARY,
        cache_control: PRIVATE,
    }
    .answer(
        &state,
        &headers,
        respond::xml_type(media_type::ATOM_SERVICE),
        || {
            Bytes::from(
                present::service_document(
                    &state.urls,
                    &collections,
                    &last_changes,
                    &state.config.organization,
                )
                .to_xml(),
            )
        },
    ))
}
