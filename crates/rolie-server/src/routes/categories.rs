//! Category documents for the information types and the entry-level schemes
//! (R-8322-5.2-a, R-5023-7-c). They name vocabularies only, so anyone may read them.

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use http::HeaderMap;
use rolie_model::vocabulary::media_type;

use crate::conditional::Validators;
use crate::error::ApiError;
use crate::respond::{self, PUBLIC, Representation};
use crate::state::AppState;
use crate::{negotiate, present};

/// `/rolie/categories/{name}`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/rolie/categories/{name}", get(get_category_document))
}

async fn get_category_document(
    State(_state): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let document = present::category_document(&name)
        .ok_or_else(|| ApiError::not_found(format!("category document {name:?}")))?;
    negotiate::choose(&headers, &[media_type::ATOM_CATEGORIES])?;
    let body = document.to_xml();
    let validators = Validators::hashed("k", &[&body], None);
    Ok(Representation {
        content_type: respond::xml_type(media_type::ATOM_CATEGORIES),
        body: Bytes::from(body),
        validators,
        vary: "Accept",
        cache_control: PUBLIC,
    }
    .into_response(&headers))
}
