//! The one layer around every route: what each request gets before its handler runs and
//! what each response gets after, in a single pass.
//!
//! Before: a request id (the client's, or a new UUID), the request's tracing span,
//! credentials marked sensitive, the content coding chosen (406 when `Accept-Encoding`
//! excludes every coding offered, before any handler can store anything), load shedding
//! (503 beyond the requests allowed in flight), a deadline on the request body.
//!
//! After: the handler's deadline (503) and panics (500) turned into answers; every error
//! turned into a problem document (R-5023-5.5-a) with the request id; a body not already
//! coded compressed in the chosen coding, with an ETag specific to that coding
//! (RFC 9110 §8.8.3); the request id echoed; pages' security headers; one access-log line
//! (`access_log`), with the client a trusted proxy forwarded for.
//!
//! One hand-written layer instead of a stack of a dozen generic ones: each of those cloned
//! and boxed the service behind it and allocated per request, which halved the throughput
//! of the cached read path (a 304 from memory: 32k/s through the stack, 60k/s without it, on
//! the two-core machine of `bench/RESULTS.md`).

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{MatchedPath, Request};
use axum::response::{IntoResponse, Response};
use futures::FutureExt;
use http::header::{
    ACCEPT_ENCODING, ACCEPT_RANGES, AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH, CONTENT_RANGE,
    CONTENT_TYPE, COOKIE, ETAG, PROXY_AUTHORIZATION, VARY, WWW_AUTHENTICATE,
};
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use http_body::Body as _;
use http_body_util::BodyExt;
use rolie_model::Problem;
use rolie_model::vocabulary::media_type;
use tokio::sync::Semaphore;
use tower::{Layer, Service, ServiceExt};
use tracing::Instrument;

use crate::access_log;
use crate::caller::AuditSubject;
use crate::encode::{self, Effort, MIN_COMPRESSED_BYTES};
use crate::error::{ApiError, InternalCause, UnavailableCause};
use crate::html;
use crate::negotiate::{self, Coding};
use crate::state::AppState;

/// The request id header, set on every request and echoed on every response.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Longest request id taken from a client; a longer one is replaced by our own.
const MAX_REQUEST_ID_BYTES: usize = 256;

/// The [`Envelope`] layer.
#[derive(Clone)]
pub struct EnvelopeLayer {
    shared: Arc<Shared>,
}

struct Shared {
    state: AppState,
    in_flight: Semaphore,
    timeout: Duration,
}

impl EnvelopeLayer {
    /// The layer for `state`'s configuration (requests in flight, request timeout).
    pub fn new(state: AppState) -> Self {
        let in_flight = Semaphore::new(state.config.max_concurrent_requests);
        let timeout = state.config.request_timeout;
        EnvelopeLayer {
            shared: Arc::new(Shared {
                state,
                in_flight,
                timeout,
            }),
        }
    }
}

impl<S> Layer<S> for EnvelopeLayer {
    type Service = Envelope<S>;

    fn layer(&self, inner: S) -> Envelope<S> {
        Envelope {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// A route wrapped in everything every request and response get (see the module).
#[derive(Clone)]
pub struct Envelope<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> Service<Request> for Envelope<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // Readiness is awaited per request below, on the clone that serves it.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let inner = self.inner.clone();
        let shared = self.shared.clone();
        Box::pin(async move { Ok(shared.handle(inner, request).await) })
    }
}

/// What the response step needs to know of the request.
struct Asked {
    method: Method,
    /// The request's URI: a reference-counted clone, no copy of the path per request.
    uri: http::Uri,
    request_id: HeaderValue,
    coding: Coding,
    /// The request's `Accept` values, weighed only when there is a problem to write.
    accept: Vec<HeaderValue>,
    /// TLS, or behind the declared TLS proxy (an error page offers signing in only then).
    secure: bool,
}

impl Shared {
    async fn handle<S>(&self, inner: S, mut request: Request) -> Response
    where
        S: Service<Request, Response = Response, Error = Infallible> + Send + 'static,
        S::Future: Send + 'static,
    {
        let request_id = request_id(&mut request);
        mark_sensitive(request.headers_mut());
        let config = &self.state.config;
        let peer = request
            .extensions()
            .get::<crate::caller::ConnectionInfo>()
            .map(|c| c.peer.ip());
        let client = peer.map(|peer| {
            if config.trusted_proxies.is_empty() {
                peer
            } else {
                access_log::client_address(peer, request.headers(), &config.trusted_proxies)
            }
        });
        if let Some(client) = client.filter(|_| !config.trusted_proxies.is_empty()) {
            request
                .extensions_mut()
                .insert(access_log::ClientAddress(client));
        }
        let matched = request.extensions().get::<MatchedPath>().cloned();
        let route = matched.as_ref().map_or("unrouted", MatchedPath::as_str);
        // The caller fills the slot once authenticated; the access log reads it.
        let logged = config.access_log.then(|| {
            let slot = AuditSubject::default();
            request.extensions_mut().insert(slot.clone());
            slot
        });
        let span = {
            // At debug level: formatting a span's fields for every request cost a tenth of
            // a cached answer's time, and the events that matter at info and above name
            // the request id themselves.
            tracing::debug_span!(
                "request",
                http.method = request.method().as_str(),
                http.route = route,
                request.id = request_id.to_str().unwrap_or("-"),
            )
        };
        let chosen = negotiate::choose_coding(request.headers());
        let asked = Asked {
            method: request.method().clone(),
            uri: request.uri().clone(),
            request_id,
            coding: chosen.unwrap_or(Coding::Identity),
            accept: request
                .headers()
                .get_all(http::header::ACCEPT)
                .iter()
                .cloned()
                .collect(),
            secure: crate::caller::is_secure(request.extensions(), config),
        };
        let started = Instant::now();
        let id = asked.request_id.to_str().unwrap_or("-");
        let response = async {
            let Some(coding) = chosen else {
                return ApiError::NotAcceptable(
                    "the Accept-Encoding header excludes every content coding this server offers (br, gzip, deflate, identity)".into(),
                )
                .into_response();
            };
            // Handlers read the chosen coding from the one token left here.
            request
                .headers_mut()
                .insert(ACCEPT_ENCODING, HeaderValue::from_static(coding.token()));
            let Ok(_permit) = self.in_flight.try_acquire() else {
                return ApiError::Unavailable("the server is at its request limit".into())
                    .into_response();
            };
            if !request.body().is_end_stream() {
                let timeout = self.timeout;
                request = request.map(|body| {
                    Body::new(tower_http::timeout::TimeoutBody::new(timeout, body))
                });
            }
            let handled = AssertUnwindSafe(inner.oneshot(request)).catch_unwind();
            match tokio::time::timeout(self.timeout, handled).await {
                Ok(Ok(Ok(response))) => response,
                Ok(Ok(Err(never))) => match never {},
                Ok(Err(_panic)) => {
                    tracing::error!(request.id = id, "a handler panicked");
                    ApiError::Internal("panic".into()).into_response()
                }
                Err(_elapsed) => bare(StatusCode::SERVICE_UNAVAILABLE),
            }
        }
        .instrument(span.clone())
        .await;
        let response = self.finish(response, &asked).instrument(span.clone()).await;
        let elapsed = started.elapsed();
        self.state.metrics.request(
            &asked.method,
            route,
            response.status().as_u16(),
            elapsed.as_secs_f64(),
        );
        if let Some(slot) = logged {
            let subject = slot.0.lock().ok().and_then(|s| s.clone());
            let bytes = response.body().size_hint().exact().or_else(|| {
                response
                    .headers()
                    .get(CONTENT_LENGTH)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse().ok())
            });
            tracing::info!(
                target: "rolie::access",
                method = asked.method.as_str(),
                route,
                status = response.status().as_u16(),
                bytes = bytes.unwrap_or(0),
                latency_ms = elapsed.as_secs_f64() * 1e3,
                request_id = asked.request_id.to_str().unwrap_or("-"),
                principal = subject.as_deref().unwrap_or("-"),
                client = %client.map_or_else(|| "-".to_owned(), |ip| ip.to_string()),
                "request"
            );
        }
        let _entered = span.enter();
        tracing::debug!(
            status = response.status().as_u16(),
            latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "answered"
        );
        response
    }

    /// The response step: problem documents, compression, coding-specific ETags, request id.
    async fn finish(&self, response: Response, asked: &Asked) -> Response {
        let status = response.status();
        let mut response = if status.is_client_error() || status.is_server_error() {
            self.problem(response, asked)
        } else {
            response
        };
        if !response.headers().contains_key(CONTENT_ENCODING) {
            response = compress(response, asked.coding).await;
        }
        if let Some(tag) = coded_tag(response.headers()) {
            response.headers_mut().insert(ETAG, tag);
        }
        let headers = response.headers_mut();
        html::secure(headers);
        headers.insert(REQUEST_ID, asked.request_id.clone());
        response
    }

    /// `response` with a problem document for its status: the handler's problem when it
    /// left one, else one describing the status (a router's 404 or 405, a timeout's 503).
    /// Logs each 5xx cause once.
    fn problem(&self, response: Response, asked: &Asked) -> Response {
        let status = response.status();
        let (method, path) = (&asked.method, asked.uri.path());
        let id = asked.request_id.to_str().unwrap_or("-");
        let problem = match response.extensions().get::<Problem>() {
            Some(problem) => problem.clone(),
            None => {
                let detail = match status {
                    StatusCode::NOT_FOUND => format!("there is no resource at {path}"),
                    StatusCode::METHOD_NOT_ALLOWED => {
                        format!("{method} is not allowed on {path}; see the Allow header")
                    }
                    StatusCode::SERVICE_UNAVAILABLE => {
                        "the server is overloaded or timed out; retry later".to_owned()
                    }
                    StatusCode::REQUEST_TIMEOUT => {
                        "the request did not complete in time".to_owned()
                    }
                    StatusCode::PAYLOAD_TOO_LARGE => "the request body is too large".to_owned(),
                    other => other.canonical_reason().unwrap_or("error").to_owned(),
                };
                Problem::new(
                    "about:blank",
                    status.as_u16(),
                    status.canonical_reason().unwrap_or("Error"),
                )
                .with_detail(detail)
            }
        };
        if let Some(InternalCause(cause)) = response.extensions().get::<InternalCause>() {
            tracing::error!(http.method = %method, http.path = %path, request.id = id, "request failed: {cause}");
        } else if let Some(UnavailableCause(cause)) =
            response.extensions().get::<UnavailableCause>()
        {
            tracing::warn!(http.method = %method, http.path = %path, request.id = id, "storage unavailable: {cause}");
        } else if status.is_server_error() {
            tracing::warn!(http.method = %method, http.path = %path, request.id = id, status = status.as_u16(), "request not served");
        } else {
            tracing::debug!(http.method = %method, http.path = %path, status = status.as_u16(), "request refused");
        }
        let problem = match asked.request_id.to_str() {
            Ok(id) => problem.with_extension("request_id", id.to_owned()),
            Err(_) => problem,
        };
        let mut accept = HeaderMap::new();
        for value in &asked.accept {
            accept.append(http::header::ACCEPT, value.clone());
        }
        let page = if negotiate::prefers_html_problems(&accept) {
            self.error_page(&problem, asked.secure)
        } else {
            None
        };
        let (body, content_type): (Body, &'static str) = match page {
            Some(page) => (Body::from(page), html::HTML),
            None if negotiate::prefers_xml_problems(&accept) => {
                (Body::from(problem.to_xml()), media_type::PROBLEM_XML)
            }
            None => (Body::from(problem.to_json()), media_type::PROBLEM_JSON),
        };
        let (mut parts, _) = response.into_parts();
        parts
            .headers
            .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        parts.headers.remove(CONTENT_LENGTH);
        // The body is new: no coding the handler may have applied describes it.
        parts.headers.remove(CONTENT_ENCODING);
        if status == StatusCode::SERVICE_UNAVAILABLE
            && !parts.headers.contains_key(http::header::RETRY_AFTER)
        {
            parts.headers.insert(
                http::header::RETRY_AFTER,
                HeaderValue::from(crate::error::RETRY_AFTER_SECONDS),
            );
        }
        if status == StatusCode::UNAUTHORIZED && !parts.headers.contains_key(WWW_AUTHENTICATE) {
            for challenge in self.state.authn.challenges() {
                parts
                    .headers
                    .append(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
            }
        }
        parts.extensions.insert(problem);
        Response::from_parts(parts, body)
    }
}

impl Shared {
    /// The problem as a page, for browsers (`None` if the page fails to render, and the
    /// problem document is sent instead).
    fn error_page(&self, problem: &Problem, secure: bool) -> Option<bytes::Bytes> {
        html::render(
            "error.html",
            &serde_json::json!({
                "frame": html::Frame::for_error(&self.state, secure),
                "problem": serde_json::json!({
                    "status": problem.status,
                    "title": problem.title.clone(),
                    "detail": problem.detail.clone().unwrap_or_default(),
                    "request_id": problem
                        .extensions
                        .get("request_id")
                        .and_then(serde_json::Value::as_str)
                        .map(str::to_owned),
                }),
            }),
        )
        .ok()
    }
}

/// A response with `status` and no body (the problem step gives it one).
fn bare(status: StatusCode) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = status;
    response
}

/// The request's id: the client's `X-Request-Id` when it is short enough to log, else a new
/// UUID, set on the request for handlers and the audit log.
fn request_id(request: &mut Request) -> HeaderValue {
    if let Some(id) = request.headers().get(&REQUEST_ID)
        && !id.is_empty()
        && id.len() <= MAX_REQUEST_ID_BYTES
    {
        return id.clone();
    }
    let mut buffer = uuid::Uuid::encode_buffer();
    let text = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer);
    let id = HeaderValue::from_str(text).unwrap_or_else(|_| HeaderValue::from_static("-"));
    request.headers_mut().insert(REQUEST_ID, id.clone());
    id
}

/// Marks credentials so that no log of the headers shows them.
fn mark_sensitive(headers: &mut HeaderMap) {
    for name in [AUTHORIZATION, PROXY_AUTHORIZATION, COOKIE] {
        if let http::header::Entry::Occupied(mut entry) = headers.entry(name) {
            for value in entry.iter_mut() {
                value.set_sensitive(true);
            }
        }
    }
}

/// Whether a body of this type gains from compression (what tower-http's default predicate
/// excludes: images but SVG, event streams, gRPC).
fn compressible(headers: &HeaderMap) -> bool {
    let Some(content_type) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let content_type = content_type.trim_start().to_ascii_lowercase();
    !((content_type.starts_with("image/") && !content_type.starts_with("image/svg+xml"))
        || content_type.starts_with("text/event-stream")
        || content_type.starts_with("application/grpc"))
}

/// `response` with its body in `coding` when the body is worth compressing, and
/// `Vary: Accept-Encoding` whenever the coding could have changed it (RFC 9110 §12.5.5).
/// Bodies here are whole in memory; one of unknown length is sent as it is.
async fn compress(response: Response, coding: Coding) -> Response {
    let status = response.status();
    if status == StatusCode::NO_CONTENT
        || status == StatusCode::NOT_MODIFIED
        || status.is_informational()
        || response.headers().contains_key(CONTENT_RANGE)
        || !compressible(response.headers())
    {
        return response;
    }
    let Some(length) = response.body().size_hint().exact() else {
        return response;
    };
    if usize::try_from(length).is_ok_and(|l| l < MIN_COMPRESSED_BYTES) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    if !parts
        .headers
        .get_all(VARY)
        .iter()
        .any(|v| contains_ignore_case(v.as_bytes(), b"accept-encoding"))
    {
        parts
            .headers
            .append(VARY, HeaderValue::from_static("accept-encoding"));
    }
    if coding == Coding::Identity {
        return Response::from_parts(parts, body);
    }
    // A body with a known length is a whole buffer: collecting it does not wait.
    let bytes = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        Err(e) => {
            tracing::warn!("could not read a response body to compress it: {e}");
            return Response::from_parts(parts, Body::empty());
        }
    };
    match encode::encode(coding, &bytes, Effort::Once) {
        Ok(Some(coded)) => {
            parts.headers.remove(CONTENT_LENGTH);
            parts.headers.remove(ACCEPT_RANGES);
            parts
                .headers
                .insert(CONTENT_ENCODING, HeaderValue::from_static(coding.token()));
            Response::from_parts(parts, Body::from(coded))
        }
        Ok(None) => Response::from_parts(parts, Body::from(bytes)),
        Err(e) => {
            tracing::error!("compressing a response failed: {e}");
            Response::from_parts(parts, Body::from(bytes))
        }
    }
}

fn contains_ignore_case(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window.eq_ignore_ascii_case(needle))
}

/// The ETag made specific to the response's coding (`"tag-gzip"`), when the body is coded
/// and its tag does not say so yet (RFC 9110 §8.8.3: a gzip body is a different
/// representation from the identity one).
fn coded_tag(headers: &HeaderMap) -> Option<HeaderValue> {
    let coding = headers.get(CONTENT_ENCODING)?.to_str().ok()?;
    let tag = headers.get(ETAG)?.to_str().ok()?;
    let inner = tag.strip_prefix('"')?.strip_suffix('"')?;
    let suffix = format!("-{coding}");
    if inner.ends_with(&suffix) {
        return None;
    }
    HeaderValue::from_str(&format!("\"{inner}{suffix}\"")).ok()
}
