//! The complete path table and the middleware stack.
//!
//! | path | methods |
//! |---|---|
//! | `/` | GET |
//! | `/healthz`, `/readyz` | GET |
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

use std::sync::Arc;

use axum::Router;
use axum::middleware::{from_fn, from_fn_with_state};
use http::StatusCode;
use http::header::{AUTHORIZATION, COOKIE, PROXY_AUTHORIZATION};
use tokio::sync::Semaphore;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::{RequestBodyDeadlineLayer, TimeoutLayer};
use tower_http::trace::TraceLayer;

use crate::error::ApiError;
use crate::layers;
use crate::routes::{admin, categories, content, entries, feeds, health, home, service_document};
use crate::state::AppState;

/// Every path template the router serves (the OpenAPI test checks `openapi/openapi.yaml`
/// against this list and against the methods each path answers).
pub const PATHS: &[&str] = &[
    "/",
    "/healthz",
    "/readyz",
    crate::urls::SERVICE_DOCUMENT_PATH,
    "/rolie/categories/{name}",
    "/rolie/feeds/{collection}",
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

fn span(request: &http::Request<axum::body::Body>) -> tracing::Span {
    let route = request
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map_or("unrouted", |m| m.as_str());
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!("request", http.method = %request.method(), http.route = route, request.id = id)
}

/// The application: every route and layer, ready to serve.
pub fn app(state: AppState) -> Router {
    let limit = Arc::new(Semaphore::new(state.config.max_concurrent_requests));
    let timeout = state.config.request_timeout;
    Router::new()
        .merge(home::routes())
        .merge(health::routes())
        .merge(service_document::routes())
        .merge(categories::routes())
        .merge(feeds::routes())
        .merge(entries::routes())
        .merge(content::routes())
        .merge(admin::routes())
        .fallback(fallback)
        // Innermost first: these run after routing, so the matched route is known.
        .layer(from_fn_with_state(state.clone(), layers::audit))
        .layer(RequestBodyDeadlineLayer::new(timeout))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            timeout,
        ))
        .layer(from_fn_with_state(limit, layers::shed_load))
        .layer(CatchPanicLayer::custom(|_| {
            tracing::error!("a handler panicked");
            axum::response::IntoResponse::into_response(ApiError::Internal("panic".into()))
        }))
        .layer(from_fn(layers::refuse_unacceptable_coding))
        // Every body is final below this point, error documents included, so the
        // compression layer sees exactly what is sent and `Content-Encoding` always
        // describes the body.
        .layer(from_fn_with_state(state.clone(), layers::problems))
        .layer(CompressionLayer::new())
        .layer(from_fn(layers::coding_specific_etags))
        .layer(from_fn(layers::content_coding))
        .layer(SetSensitiveRequestHeadersLayer::new([
            AUTHORIZATION,
            PROXY_AUTHORIZATION,
            COOKIE,
        ]))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http().make_span_with(span))
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}
