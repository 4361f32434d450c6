//! Pages for people: the home page, the service document, feeds and entries as HTML when
//! the client prefers `text/html` (browsers), from server-side templates.
//!
//! Feed readers and scripts keep getting Atom: a page is served only when `Accept` weighs
//! `text/html` above the Atom type (`*/*` alone is Atom), and `?format=atom` always gets
//! Atom. Pages have their own validators (every ETag prefix here ends in `h`), so a 304
//! for a page never stands for the Atom document or the other way round; both vary on
//! `Accept`. Templates escape every value (IODEF text is written by whoever reported the
//! incident); the pages carry no script, and a strict content security policy says so.

pub mod document;
pub mod views;

use std::sync::LazyLock;

use axum::extract::FromRequestParts;
use bytes::Bytes;
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue};
use rolie_authz::Principal;
use serde::Serialize;

use crate::error::ApiError;
use crate::negotiate;
use crate::state::AppState;

/// `Content-Type` of every page.
pub const HTML: &str = "text/html; charset=utf-8";

/// The stylesheet, served at [`stylesheet_path`] for a year.
pub const STYLESHEET: &str = include_str!("../templates/style.css");

/// Where the stylesheet is: its name carries a hash of its bytes, so a new version is a
/// new URL and the old one may be cached forever.
pub fn stylesheet_path() -> &'static str {
    static PATH: LazyLock<String> = LazyLock::new(|| {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(STYLESHEET.as_bytes());
        format!("/assets/style-{}.css", hex::encode(&digest[..6]))
    });
    &PATH
}

/// Headers of every page (and of nothing else, so feeds and entries stay as lean as they
/// were): no script at all, styles from this origin only, no framing, no referrer beyond
/// this origin (feed URLs may carry search terms).
pub const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (
        http::header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    (http::header::X_FRAME_OPTIONS, "DENY"),
    (http::header::REFERRER_POLICY, "same-origin"),
    (http::header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
];

/// Adds [`SECURITY_HEADERS`] when `headers` describe a page.
pub fn secure(headers: &mut HeaderMap) {
    let is_page = headers
        .get(http::header::CONTENT_TYPE)
        .is_some_and(|t| t.as_bytes().starts_with(b"text/html"));
    if is_page {
        for (name, value) in SECURITY_HEADERS {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
}

static TEMPLATES: LazyLock<minijinja::Environment<'static>> = LazyLock::new(|| {
    let mut env = minijinja::Environment::new();
    // A misspelt field fails the render (and the tests) instead of printing nothing.
    env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
    // Escapes the five characters that matter in HTML text and quoted attributes, and no
    // more: the default also escapes `/`, which turns every URL on a page into `&#x2f;`
    // soup for anyone reading the source or copying it.
    env.set_formatter(|out, state, value| {
        let plain = matches!(state.auto_escape(), minijinja::AutoEscape::Html)
            && !value.is_safe()
            && !value.is_none()
            && !value.is_undefined();
        if !plain {
            return minijinja::escape_formatter(out, state, value);
        }
        out.write_str(&escape(&value.to_string()))
            .map_err(|_| minijinja::Error::from(minijinja::ErrorKind::WriteFailure))
    });
    for (name, source) in [
        ("macros.html", include_str!("../templates/macros.html")),
        ("base.html", include_str!("../templates/base.html")),
        (
            "collections.html",
            include_str!("../templates/collections.html"),
        ),
        ("feed.html", include_str!("../templates/feed.html")),
        ("entry.html", include_str!("../templates/entry.html")),
        ("error.html", include_str!("../templates/error.html")),
    ] {
        if let Err(e) = env.add_template(name, source) {
            // The templates are part of the binary; the tests render every one.
            tracing::error!("template {name} does not compile: {e}");
        }
    }
    env
});

/// `text` with `&`, `<`, `>`, `"` and `'` as character references.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders the template `name` with `context`.
///
/// # Errors
/// 500 when the template fails (a bug: every template is rendered by the tests).
pub fn render(name: &str, context: &impl Serialize) -> Result<Bytes, ApiError> {
    TEMPLATES
        .get_template(name)
        .and_then(|template| template.render(minijinja::value::Serde(context)))
        .map(Bytes::from)
        .map_err(|e| ApiError::Internal(format!("page {name}: {e:#}")))
}

/// What a request says about the page it may get: whether it asked for Atom outright,
/// and whether it came over a channel where the browser may send a password.
#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    /// `?format=atom`: Atom whatever `Accept` says.
    pub forced_atom: bool,
    /// TLS, or behind the TLS proxy the operator declared: HTTP Basic is accepted.
    pub secure: bool,
}

impl PageRequest {
    /// Reads `parts`.
    pub fn of(parts: &Parts, state: &AppState) -> Self {
        PageRequest {
            forced_atom: parts.uri.query().is_some_and(|query| {
                form_urlencoded::parse(query.as_bytes()).any(|(n, v)| n == "format" && v == "atom")
            }),
            secure: crate::caller::is_secure(&parts.extensions, &state.config),
        }
    }

    /// Whether to answer with a page rather than `atom`, reading `Accept` once
    /// ([`negotiate::page_or`]); `pages` false, or `format=atom`, offers Atom alone.
    ///
    /// # Errors
    /// 406 when `Accept` excludes what is offered.
    pub fn wants_html(
        &self,
        headers: &HeaderMap,
        atom: &'static str,
        pages: bool,
    ) -> Result<bool, ApiError> {
        if pages && !self.forced_atom {
            negotiate::page_or(headers, atom)
        } else {
            negotiate::choose(headers, &[atom]).map(|_| false)
        }
    }
}

/// What a request says about pages (see [`PageRequest`]).
pub struct Browser(pub PageRequest);

impl FromRequestParts<AppState> for Browser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Browser(PageRequest::of(parts, state)))
    }
}

/// What the frame of every page shows: who is signed in, and where to go.
#[derive(Debug, Serialize)]
pub struct Frame {
    organization: String,
    home: String,
    service: String,
    service_atom: String,
    stylesheet: String,
    login: String,
    signed_in: bool,
    subject: String,
    clearance: views::Level,
    can_sign_in: bool,
}

impl Frame {
    /// The frame for `principal` (`None`: unknown, as on error pages).
    pub fn new(state: &AppState, principal: Option<&Principal>, secure: bool) -> Self {
        let signed_in = principal.is_some_and(|p| !p.is_anonymous());
        let service = state.urls.service_document();
        Frame {
            organization: state.config.organization.clone(),
            home: state.urls.absolute("/"),
            service_atom: format!("{service}?format=atom"),
            service,
            stylesheet: state.urls.absolute(stylesheet_path()),
            login: state.urls.absolute(LOGIN_PATH),
            signed_in,
            subject: principal.map(|p| p.subject.clone()).unwrap_or_default(),
            clearance: views::Level::of(
                principal.map_or(rolie_model::Restriction::Public, |p| p.clearance),
            ),
            can_sign_in: !signed_in && principal.is_some() && secure && basic_offered(state),
        }
    }

    /// The frame of an error page, which knows nothing of the caller; it offers signing in
    /// where that is possible, for 401 pages.
    pub fn for_error(state: &AppState, secure: bool) -> Self {
        let mut frame = Frame::new(state, None, secure);
        frame.can_sign_in = secure && basic_offered(state);
        frame
    }
}

/// Where a browser signs in (HTTP Basic with a feed token).
pub const LOGIN_PATH: &str = "/login";

/// The HTTP Basic challenge of a configured authenticator, if one takes Basic.
pub fn basic_challenge(state: &AppState) -> Option<&'static str> {
    state
        .authn
        .challenges()
        .into_iter()
        .find(|c| c.len() >= 6 && c[..6].eq_ignore_ascii_case("basic "))
}

/// Whether a browser can sign in at all: a configured authenticator takes HTTP Basic.
pub fn basic_offered(state: &AppState) -> bool {
    basic_challenge(state).is_some()
}
