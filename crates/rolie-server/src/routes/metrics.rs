//! `/metrics`: Prometheus metrics (`metrics`), for administrators only: they reveal how
//! many entries each collection holds at each level.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::HeaderValue;
use http::header::{CACHE_CONTROL, CONTENT_TYPE};

use crate::caller::Caller;
use crate::error::ApiError;
use crate::state::AppState;

/// `/metrics`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(get_metrics))
}

async fn get_metrics(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Response, ApiError> {
    let administrator = state.gate.administrator(&principal)?;
    let mut counts = Vec::new();
    for collection in administrator.collections().await? {
        let levels = administrator
            .entries_by_level(&collection.spec.name)
            .await?;
        counts.push((collection.spec.name.to_string(), levels));
    }
    state.metrics.set_entries(&counts);
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static(
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
            ),
            (CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        state.metrics.encode(),
    )
        .into_response())
}
