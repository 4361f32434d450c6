//! Middleware of our own: problem documents for every error, the audit log of writes, load
//! shedding, the choice of content coding, and coding-specific ETags on compressed bodies.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, ETAG, WWW_AUTHENTICATE};
use http::{HeaderValue, Method, StatusCode};
use rolie_model::Problem;
use rolie_model::vocabulary::media_type;
use rolie_store::AuditRecord;
use tokio::sync::Semaphore;

use crate::caller::AuditSubject;
use crate::error::{ApiError, InternalCause};
use crate::negotiate;
use crate::state::AppState;

/// Turns every error answer into a problem document the client can read (R-5023-5.5-a):
/// XML for clients that prefer it, the request id added, `WWW-Authenticate` on 401, bare
/// router and layer errors (404, 405, 503, 408) given a body; logs each 5xx cause once.
pub async fn problems(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let prefers_xml = negotiate::prefers_xml_problems(request.headers());
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
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
                StatusCode::REQUEST_TIMEOUT => "the request did not complete in time".to_owned(),
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
        tracing::error!(http.method = %method, http.path = %path, request.id = request_id.as_deref().unwrap_or("-"), "request failed: {cause}");
    } else if status.is_server_error() {
        tracing::warn!(http.method = %method, http.path = %path, status = status.as_u16(), "request not served");
    } else {
        tracing::debug!(http.method = %method, http.path = %path, status = status.as_u16(), "request refused");
    }
    let problem = match request_id {
        Some(id) => problem.with_extension("request_id", id),
        None => problem,
    };
    let (body, content_type) = if prefers_xml {
        (problem.to_xml(), media_type::PROBLEM_XML)
    } else {
        (problem.to_json(), media_type::PROBLEM_JSON)
    };
    let (mut parts, _) = response.into_parts();
    parts
        .headers
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    parts.headers.remove(http::header::CONTENT_LENGTH);
    // The body is new: no coding an inner layer may have applied describes it.
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
        for challenge in state.authn.challenges() {
            parts
                .headers
                .append(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
        }
    }
    parts.extensions.insert(problem);
    Response::from_parts(parts, Body::from(body))
}

/// Records every write attempt, allowed or refused, in the audit log (R-8322-9-a), with who,
/// what, when, outcome and request id. Request bodies are never recorded.
pub async fn audit(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    if !matches!(
        *request.method(),
        Method::POST | Method::PUT | Method::DELETE | Method::PATCH
    ) {
        return next.run(request).await;
    }
    // A path no route serves changes nothing: recording it would let anyone fill the log.
    let Some(route) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
    else {
        return next.run(request).await;
    };
    let subject = AuditSubject::default();
    request.extensions_mut().insert(subject.clone());
    let action = format!("{} {route}", request.method());
    let resource = capped(request.uri().path(), AUDIT_FIELD_CHARS);
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(|id| capped(id, AUDIT_FIELD_CHARS));
    let response = next.run(request).await;
    let status = response.status();
    let outcome = match status.as_u16() {
        200..=299 => "allowed",
        401 | 403 => "denied",
        400..=499 => "refused",
        _ => "failed",
    };
    let who = subject.0.lock().ok().and_then(|s| s.clone());
    // An unauthenticated caller turned away by its address's rate limit is not recorded:
    // the limit is what bounds the rows such callers can cause.
    if who.is_none() && status == StatusCode::TOO_MANY_REQUESTS {
        return response;
    }
    let who = who.map_or_else(
        || "unauthenticated".to_owned(),
        |s| capped(&s, AUDIT_FIELD_CHARS),
    );
    let detail = response
        .extensions()
        .get::<Problem>()
        .and_then(|p| p.detail.clone())
        .map(|d| d.chars().take(300).collect());
    let record = AuditRecord {
        at: rolie_model::timestamp::now(),
        subject: who,
        action,
        resource,
        outcome: outcome.to_owned(),
        status: status.as_u16(),
        request_id,
        detail,
    };
    let (action, status) = (record.action.clone(), record.status);
    if let Err(e) = state.audit.record(record).await {
        tracing::error!("could not write the audit record for {action} {status}: {e}");
    }
    response
}

/// Longest text kept in an audit field that a client chooses (path, request id, subject).
const AUDIT_FIELD_CHARS: usize = 256;

/// `text` cut to at most `chars` characters.
fn capped(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// Sheds load beyond the configured number of requests in flight: 503 with Retry-After at
/// once, instead of an unbounded queue.
pub async fn shed_load(
    State(limit): State<Arc<Semaphore>>,
    request: Request,
    next: Next,
) -> Response {
    match limit.try_acquire() {
        Ok(_permit) => next.run(request).await,
        Err(_) => {
            ApiError::Unavailable("the server is at its request limit".into()).into_response()
        }
    }
}

/// Marks a request whose `Accept-Encoding` excludes every coding we offer.
#[derive(Debug, Clone, Copy)]
struct UnacceptableCoding;

/// Chooses the content coding of the response before anything else runs, and leaves only
/// that coding in `Accept-Encoding` for the compression layer to apply. Left to its own
/// choice, the compression layer answers an unsatisfiable `Accept-Encoding` by rewriting the
/// status of the finished response to 406, keeping its body and headers, after a POST
/// may already have stored something. Here the refusal happens before the handler
/// ([`refuse_unacceptable_coding`]).
pub async fn content_coding(mut request: Request, next: Next) -> Response {
    let coding = negotiate::choose_coding(request.headers());
    let token = coding.map_or("identity", negotiate::Coding::token);
    request
        .headers_mut()
        .insert(ACCEPT_ENCODING, HeaderValue::from_static(token));
    if coding.is_none() {
        request.extensions_mut().insert(UnacceptableCoding);
    }
    next.run(request).await
}

/// Answers 406 to a request [`content_coding`] found unsatisfiable, before any handler runs
/// (RFC 9110 §12.5.3).
pub async fn refuse_unacceptable_coding(request: Request, next: Next) -> Response {
    if request.extensions().get::<UnacceptableCoding>().is_some() {
        return ApiError::NotAcceptable(
            "the Accept-Encoding header excludes every content coding this server offers (br, gzip, deflate, identity)".into(),
        )
        .into_response();
    }
    next.run(request).await
}

/// Makes the ETag of a compressed body specific to its coding (RFC 9110 §8.8.3): the
/// compression layer leaves the identity tag on a gzip body, which would be wrong.
pub async fn coding_specific_etags(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let coding = response
        .headers()
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(coding) = coding
        && let Some(tag) = response.headers().get(ETAG).and_then(|v| v.to_str().ok())
        && let Some(inner) = tag.strip_prefix('"').and_then(|t| t.strip_suffix('"'))
        && !inner.ends_with(&format!("-{coding}"))
        && let Ok(value) = HeaderValue::from_str(&format!("\"{inner}-{coding}\""))
    {
        response.headers_mut().insert(ETAG, value);
    }
    response
}
