//! The audit layer: every write attempt, allowed or refused, recorded (R-8322-9-a).
//!
//! It sits inside the router, where the matched route is known. Reads pass straight through
//! to the route, with no allocation of their own.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::{MatchedPath, Request};
use axum::response::Response;
use futures::future::Either;
use http::{Method, StatusCode};
use rolie_model::Problem;
use rolie_store::AuditRecord;
use tower::{Layer, Service, ServiceExt};

use crate::caller::AuditSubject;
use crate::state::AppState;

/// The [`Audit`] layer.
#[derive(Clone)]
pub struct AuditLayer {
    state: AppState,
}

impl AuditLayer {
    /// Records into `state`'s audit log.
    pub fn new(state: AppState) -> Self {
        AuditLayer { state }
    }
}

impl<S> Layer<S> for AuditLayer {
    type Service = Audit<S>;

    fn layer(&self, inner: S) -> Audit<S> {
        Audit {
            inner,
            state: self.state.clone(),
        }
    }
}

/// A route whose write attempts are recorded.
#[derive(Clone)]
pub struct Audit<S> {
    inner: S,
    state: AppState,
}

type Recording = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

impl<S> Service<Request> for Audit<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, Recording>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        if !matches!(
            *request.method(),
            Method::POST | Method::PUT | Method::DELETE | Method::PATCH
        ) {
            return Either::Left(self.inner.call(request));
        }
        // The clone serves this request; the service made ready by `poll_ready` stays.
        let inner = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, inner);
        let state = self.state.clone();
        Either::Right(Box::pin(
            async move { Ok(audit(state, inner, request).await) },
        ))
    }
}

/// Records every write attempt, allowed or refused, in the audit log (R-8322-9-a), with who,
/// what, when, outcome and request id. Request bodies are never recorded.
async fn audit<S>(state: AppState, inner: S, mut request: Request) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible> + Send + 'static,
    S::Future: Send + 'static,
{
    // A path no route serves changes nothing: recording it would let anyone fill the log.
    let Some(route) = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
    else {
        return run(inner, request).await;
    };
    // The envelope's slot when it keeps an access log, so both learn the subject.
    let subject = request
        .extensions()
        .get::<AuditSubject>()
        .cloned()
        .unwrap_or_default();
    request.extensions_mut().insert(subject.clone());
    let action = format!("{} {route}", request.method());
    let resource = capped(request.uri().path(), AUDIT_FIELD_CHARS);
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(|id| capped(id, AUDIT_FIELD_CHARS));
    let response = run(inner, request).await;
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
    let (action, status, id) = (
        record.action.clone(),
        record.status,
        record.request_id.clone().unwrap_or_default(),
    );
    if let Err(e) = state.audit.record(record).await {
        tracing::error!(
            request.id = id,
            "could not write the audit record for {action} {status}: {e}"
        );
    }
    response
}

async fn run<S>(inner: S, request: Request) -> Response
where
    S: Service<Request, Response = Response, Error = Infallible>,
{
    match inner.oneshot(request).await {
        Ok(response) => response,
        Err(never) => match never {},
    }
}

/// Longest text kept in an audit field that a client chooses (path, request id, subject).
const AUDIT_FIELD_CHARS: usize = 256;

/// `text` cut to at most `chars` characters.
fn capped(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}
