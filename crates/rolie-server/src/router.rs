//! The complete path table and the layers around every route (see `envelope` and `audit`).
//!
//! | path | methods |
//! |---|---|
//! | `/` | GET |
//! | `/login` | GET |
//! | `/assets/{file}` | GET |
//! | `/healthz`, `/readyz` | GET |
//! | `/metrics` | GET (administrators) |
//! | `/rolie/servicedocument` | GET |
//! | `/rolie/categories/{name}` | GET |
//! | `/rolie/feeds/{collection}` | GET, POST |
//! | `/rolie/entries/{id}` | GET, PUT, DELETE |
//! | `/rolie/content/{id}` | GET, PUT |
//! | `/admin/collections` | GET, POST |
//! | `/admin/collections/{collection}` | GET, PUT, DELETE |
//! | `/admin/feed-tokens` | GET, POST |
//! | `/admin/feed-tokens/{id}` | DELETE |
//! | `/admin/audit` | GET |
//!
//! HEAD is answered wherever GET is.

use axum::Router;

use crate::audit::AuditLayer;
use crate::envelope::EnvelopeLayer;
use crate::error::ApiError;
use crate::routes::{
    admin, assets, categories, content, entries, feeds, health, home, login, metrics, search,
    service_document,
};
use crate::state::AppState;

/// Every path template the router serves (the OpenAPI test checks `openapi/openapi.yaml`
/// against this list and against the methods each path answers).
pub const PATHS: &[&str] = &[
    "/",
    crate::html::LOGIN_PATH,
    "/assets/{file}",
    "/healthz",
    "/readyz",
    "/metrics",
    crate::urls::SERVICE_DOCUMENT_PATH,
    "/rolie/categories/{name}",
    "/rolie/feeds/{collection}",
    "/rolie/opensearch/{collection}",
    "/rolie/entries/{id}",
    "/rolie/content/{id}",
    "/admin/collections",
    "/admin/collections/{collection}",
    "/admin/feed-tokens",
    "/admin/feed-tokens/{id}",
    "/admin/audit",
];

async fn fallback(uri: http::Uri) -> ApiError {
    ApiError::NotFound(format!("there is no resource at {}", uri.path()))
}

/// The application: every route and layer, ready to serve.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(home::routes())
        .merge(login::routes())
        .merge(assets::routes())
        .merge(health::routes())
        .merge(metrics::routes())
        .merge(service_document::routes())
        .merge(categories::routes())
        .merge(feeds::routes())
        .merge(search::routes())
        .merge(entries::routes())
        .merge(content::routes())
        .merge(admin::routes())
        .fallback(fallback)
        // Both run after routing, so the matched route is known; the envelope is outermost.
        .layer(AuditLayer::new(state.clone()))
        .layer(EnvelopeLayer::new(state.clone()))
        .with_state(state)
}
