//! `/`: the page people land on (R-PROF-DISC-b): what this server is, what the visitor
//! can do here, and the collections it may read.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use http::header::LINK;
use http::{HeaderMap, HeaderValue};

use crate::caller::Caller;
use crate::error::ApiError;
use crate::html::Browser;
use crate::routes::service_document::{CollectionsPage, collections_page, listing};
use crate::state::AppState;

/// `/`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(get_home))
}

/// Always a page (every client gets HTML here); the `Link` header points programs to the
/// service document. A visitor with nothing to read is told how to sign in, not refused.
async fn get_home(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Browser(page): Browser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let reader = state.gate.reader(&principal);
    let listing = listing(&reader).await?;
    let mut response = collections_page(
        &state,
        &reader,
        &listing,
        CollectionsPage {
            prefix: "hh",
            heading: "Collections",
            intro: true,
            request: page,
        },
        &headers,
    )
    .await?;
    if let Ok(link) = HeaderValue::from_str(&format!(
        "<{}>; rel=\"service\"; type=\"application/atomsvc+xml\"",
        state.urls.service_document()
    )) {
        response.headers_mut().insert(LINK, link);
    }
    Ok(response)
}
