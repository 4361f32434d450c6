//! Liveness and readiness for orchestrators and load balancers.

use axum::Router;
use axum::extract::State;
use axum::response::IntoResponse;
use axum::routing::get;
use http::StatusCode;

use crate::error::ApiError;
use crate::state::AppState;

/// `/healthz` and `/readyz`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(get_health))
        .route("/readyz", get(get_readiness))
}

/// The process is up.
async fn get_health() -> impl IntoResponse {
    (StatusCode::OK, "ok\n")
}

/// The database answers; 503 with Retry-After when it does not.
async fn get_readiness(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    state.gate.ping().await?;
    Ok((StatusCode::OK, "ready\n"))
}
