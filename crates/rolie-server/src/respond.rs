//! Building responses for representations: headers every cacheable document carries.

use axum::body::Body;
use axum::response::Response;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use http::{HeaderMap, HeaderValue, StatusCode};

use crate::conditional::{self, Validators};
use crate::negotiate::Coding;
use crate::render_cache::Rendered;

/// A representation ready to send.
pub struct Representation {
    /// `Content-Type`.
    pub content_type: HeaderValue,
    /// Body bytes.
    pub body: Bytes,
    /// Validators.
    pub validators: Validators,
    /// `Vary` (besides `Accept-Encoding`, which the envelope adds).
    pub vary: &'static str,
    /// `Cache-Control`.
    pub cache_control: &'static str,
}

/// Cache policy of documents that depend on who asks: stored only by the client, always
/// revalidated (pollers get cheap 304s instead of stale feeds).
pub const PRIVATE: &str = "private, no-cache";
/// Cache policy of documents anyone may see.
pub const PUBLIC: &str = "public, no-cache";

/// `Content-Type` for an XML document type of ours, UTF-8 declared.
pub fn xml_type(media_type: &str) -> HeaderValue {
    HeaderValue::from_str(&format!("{media_type};charset=utf-8"))
        .unwrap_or_else(|_| HeaderValue::from_static("application/xml"))
}

fn common(
    headers: &mut HeaderMap,
    validators: &Validators,
    vary: &'static str,
    cache_control: &'static str,
) {
    validators.apply(headers);
    headers.insert(VARY, HeaderValue::from_static(vary));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache_control));
}

impl Representation {
    /// 200 with the body, or 304 when the request's validators still match (computed before
    /// the caller rendered anything when it used [`check`]).
    pub fn into_response(self, request: &HeaderMap) -> Response {
        if let Some(tag) = conditional::not_modified(request, &self.validators) {
            return not_modified(tag, &self.validators, self.vary, self.cache_control);
        }
        self.ok(StatusCode::OK)
    }

    /// The representation with `status`, unconditionally.
    pub fn ok(self, status: StatusCode) -> Response {
        let mut response = Response::new(Body::from(self.body));
        *response.status_mut() = status;
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, self.content_type);
        common(headers, &self.validators, self.vary, self.cache_control);
        response
    }
}

/// How a cacheable representation is answered: its validators and the headers that go
/// with them.
pub struct Cacheable<'a> {
    /// Validators; their tag is the cache key.
    pub validators: &'a Validators,
    /// `Vary` (besides `Accept-Encoding`).
    pub vary: &'static str,
    /// `Cache-Control`.
    pub cache_control: &'static str,
}

impl Cacheable<'_> {
    /// 304 when the request's validators match, else the bytes held in the render cache
    /// under the validators' tag; `None` when neither (the caller renders, then calls
    /// [`Cacheable::render`]). Nothing is read from the store for either answer.
    pub fn held(&self, state: &crate::state::AppState, request: &HeaderMap) -> Option<Response> {
        if let Some(not_modified) = check(request, self.validators, self.vary, self.cache_control) {
            return Some(not_modified);
        }
        let rendered = state.cache.get(&self.validators.tag)?;
        Some(self.send(&rendered, request))
    }

    /// Keeps the rendered `body` in the cache and answers with it.
    pub fn render(
        &self,
        state: &crate::state::AppState,
        request: &HeaderMap,
        content_type: HeaderValue,
        body: Bytes,
    ) -> Response {
        let rendered = state.cache.insert(&self.validators.tag, content_type, body);
        self.send(&rendered, request)
    }

    /// 304, or the held bytes, or `render`'s, all without the store.
    pub fn answer(
        &self,
        state: &crate::state::AppState,
        request: &HeaderMap,
        content_type: HeaderValue,
        render: impl FnOnce() -> Bytes,
    ) -> Response {
        self.held(state, request)
            .unwrap_or_else(|| self.render(state, request, content_type, render()))
    }

    /// The body in the coding the request chose (the envelope left that one coding in
    /// `Accept-Encoding`), compressed at most once per coding.
    fn send(&self, rendered: &Rendered, request: &HeaderMap) -> Response {
        let wanted = crate::negotiate::choose_coding(request).unwrap_or(Coding::Identity);
        let (body, coding) = rendered.body(wanted);
        let mut response = Response::new(Body::from(body));
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, rendered.content_type.clone());
        common(headers, self.validators, self.vary, self.cache_control);
        // The envelope leaves a body with a Content-Encoding alone and then adds no Vary of
        // its own, so it is said here (RFC 9110 §12.5.5).
        headers.append(VARY, HeaderValue::from_static("accept-encoding"));
        if coding != Coding::Identity {
            headers.insert(CONTENT_ENCODING, HeaderValue::from_static(coding.token()));
        }
        response
    }
}

/// A 304 for `validators`, echoing the client's matching `tag`.
pub fn not_modified(
    tag: HeaderValue,
    validators: &Validators,
    vary: &'static str,
    cache_control: &'static str,
) -> Response {
    let mut response = Response::new(Body::empty());
    *response.status_mut() = StatusCode::NOT_MODIFIED;
    let headers = response.headers_mut();
    common(headers, validators, vary, cache_control);
    headers.insert(http::header::ETAG, tag);
    response
}

/// 304 when `validators` match the request, before any rendering.
pub fn check(
    request: &HeaderMap,
    validators: &Validators,
    vary: &'static str,
    cache_control: &'static str,
) -> Option<Response> {
    conditional::not_modified(request, validators)
        .map(|tag| not_modified(tag, validators, vary, cache_control))
}

/// The response header that carries what the server decided on a publisher's behalf.
pub const WARNING_HEADER: &str = "rolie-warning";

/// Adds one `Rolie-Warning` header per warning of the IODEF reader (the HTTP `Warning`
/// field is obsolete, RFC 9111 §5.5). Characters a header cannot carry become `?`.
pub fn add_warnings(response: &mut Response, warnings: &[String]) {
    for warning in warnings {
        let text: String = warning
            .chars()
            .map(|c| {
                if c == ' ' || c.is_ascii_graphic() {
                    c
                } else {
                    '?'
                }
            })
            .take(512)
            .collect();
        if let Ok(value) = HeaderValue::from_str(&text) {
            response.headers_mut().append(WARNING_HEADER, value);
        }
    }
}
