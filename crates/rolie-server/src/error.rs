//! One error type for every handler, rendered as an RFC 9457 problem document.
//!
//! The body is JSON here; `problem::negotiate` turns it into XML for clients that prefer it
//! and adds the request id. 5xx answers carry a generic detail; the cause goes to the log
//! once, from the response extension `InternalCause`.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode, header};
use rolie_authz::{AccessError, AuthError};
use rolie_model::Problem;
use rolie_model::vocabulary::media_type;
use rolie_store::StoreError;

/// What went wrong, in terms of the HTTP answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 400: the request is malformed (bad XML/JSON, bad query parameter).
    #[error("{0}")]
    BadRequest(String),
    /// 401: no or unacceptable credentials.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: authenticated but not allowed.
    #[error("{0}")]
    Forbidden(String),
    /// 404.
    #[error("{0}")]
    NotFound(String),
    /// 406: no acceptable representation.
    #[error("{0}")]
    NotAcceptable(String),
    /// 405: the method is not allowed on this resource; `allow` lists those that are.
    #[error("{detail}")]
    MethodNotAllowed {
        /// Why.
        detail: String,
        /// The `Allow` header value.
        allow: &'static str,
    },
    /// 410: what was asked for is no longer kept (a sync token older than the change log's
    /// retention).
    #[error("{0}")]
    Gone(String),
    /// 409: duplicate id, information-type mismatch, collection not empty.
    #[error("{0}")]
    Conflict(String),
    /// 409: the entry is published already, at `existing` (the caller can see it: see
    /// `publish::atom_id_for`), named in the problem's `existing` member for clients that
    /// revise it (`rolie push --update`).
    #[error("{detail}")]
    Duplicate {
        /// What is in the way.
        detail: String,
        /// The entry's URI.
        existing: Option<String>,
    },
    /// 412: If-Match does not match.
    #[error("{0}")]
    PreconditionFailed(String),
    /// 408: the request body did not arrive in time.
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    /// 413: body over the limit.
    #[error("the request body is larger than the limit of {0} bytes")]
    PayloadTooLarge(usize),
    /// 415: media type not accepted here.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// 422: well-formed but invalid (not IODEF, restriction over the collection's cap).
    #[error("{detail}")]
    Unprocessable {
        /// What is wrong.
        detail: String,
        /// Element path of the fault, for IODEF validation errors.
        path: Option<String>,
    },
    /// 429: the caller's rate limit is exhausted; the value is the seconds to wait.
    #[error("too many requests; retry in {0} seconds")]
    TooManyRequests(u64),
    /// 428: If-Match required.
    #[error("this server requires If-Match on PUT and DELETE; GET the resource for its ETag first")]
    PreconditionRequired,
    /// 503: the server cannot serve now (overload, a deadline); retry later.
    #[error("{0}")]
    Unavailable(String),
    /// 503: the database cannot be reached or written. The cause (a full disk, a refused
    /// connection) is logged for the operator; the client learns only to retry.
    #[error("the server's storage is unavailable; retry later")]
    StorageUnavailable(String),
    /// 500: a bug. The message is logged, never sent.
    #[error("{0}")]
    Internal(String),
}

/// The hidden cause of a 5xx, for the logging middleware.
#[derive(Debug, Clone)]
pub struct InternalCause(pub String);

/// Why the storage is unavailable, for the logging middleware (never sent).
#[derive(Debug, Clone)]
pub struct UnavailableCause(pub String);

/// The `WWW-Authenticate` challenges of the server, set by the authentication layer.
#[derive(Debug, Clone)]
pub struct Challenges(pub Vec<&'static str>);

/// Seconds a client should wait after a 503.
pub const RETRY_AFTER_SECONDS: u32 = 5;

impl ApiError {
    /// The status code.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::Conflict(_) | ApiError::Duplicate { .. } => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) | ApiError::StorageUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let status = self.status();
        let title = status.canonical_reason().unwrap_or("Error");
        let problem = Problem::new("about:blank", status.as_u16(), title);
        match self {
            ApiError::Internal(_) => problem
                .with_detail("the server failed to handle the request; the failure was logged"),
            ApiError::Unprocessable {
                detail,
                path: Some(path),
            } => problem
                .with_detail(detail.clone())
                .with_extension("path", path.clone()),
            ApiError::Duplicate {
                detail,
                existing: Some(existing),
            } => problem
                .with_detail(detail.clone())
                .with_extension("existing", existing.clone()),
            other => problem.with_detail(other.to_string()),
        }
    }

    /// A 422 for a fault without an element path.
    pub fn unprocessable(detail: impl Into<String>) -> Self {
        ApiError::Unprocessable {
            detail: detail.into(),
            path: None,
        }
    }

    /// A 404 for a resource named `what`.
    pub fn not_found(what: impl std::fmt::Display) -> Self {
        ApiError::NotFound(format!("{what} does not exist"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let mut response = (self.status(), problem.to_json()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static(media_type::PROBLEM_JSON),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        match &self {
            ApiError::Unavailable(_) | ApiError::StorageUnavailable(_) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECONDS));
            }
            ApiError::TooManyRequests(seconds) => {
                headers.insert(header::RETRY_AFTER, HeaderValue::from((*seconds).max(1)));
            }
            ApiError::MethodNotAllowed { allow, .. } => {
                headers.insert(header::ALLOW, HeaderValue::from_static(allow));
            }
            _ => {}
        }
        response.extensions_mut().insert(problem);
        match self {
            ApiError::Internal(cause) => {
                response.extensions_mut().insert(InternalCause(cause));
            }
            ApiError::StorageUnavailable(cause) => {
                response.extensions_mut().insert(UnavailableCause(cause));
            }
            _ => {}
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound("the resource does not exist".into()),
            StoreError::Conflict(conflict) => ApiError::Conflict(conflict.to_string()),
            StoreError::PreconditionFailed => ApiError::PreconditionFailed(
                "the resource changed since the ETag in If-Match was issued".into(),
            ),
            StoreError::Unavailable(message) => ApiError::StorageUnavailable(message),
            StoreError::Internal(message) => ApiError::Internal(message),
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(error: AccessError) -> Self {
        match error {
            AccessError::Unauthenticated => {
                ApiError::Unauthorized("this resource needs credentials".into())
            }
            AccessError::Forbidden(message) => ApiError::Forbidden(message),
            AccessError::Store(e) => e.into(),
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::Invalid(message) => ApiError::Unauthorized(message),
            AuthError::Unavailable(message) => ApiError::StorageUnavailable(message),
        }
    }
}

impl From<rolie_publish::PublishError> for ApiError {
    fn from(error: rolie_publish::PublishError) -> Self {
        use rolie_publish::PublishError;
        match error {
            PublishError::Malformed(detail) => ApiError::BadRequest(detail),
            PublishError::Unsupported(detail) => ApiError::UnsupportedMediaType(detail),
            PublishError::Invalid { detail, path } => ApiError::Unprocessable { detail, path },
            PublishError::Conflict(detail) => ApiError::Conflict(detail),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let problem = ApiError::Internal("password=hunter2 in SQL".into()).problem();
        assert!(!problem.detail.unwrap().contains("hunter2"));
    }

    #[test]
    fn store_errors_map_to_statuses() {
        assert_eq!(
            ApiError::from(StoreError::NotFound).status(),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            ApiError::from(StoreError::Conflict(rolie_store::Conflict::Unique {
                constraint: "x".into()
            }))
            .status(),
            StatusCode::CONFLICT
        );
        assert_eq!(
            ApiError::from(StoreError::PreconditionFailed).status(),
            StatusCode::PRECONDITION_FAILED
        );
        assert_eq!(
            ApiError::from(StoreError::Unavailable("x".into())).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    /// Operations: why the storage failed is the operator's (logged), not the client's.
    #[test]
    fn storage_causes_are_logged_not_sent() {
        let error = ApiError::from(StoreError::Unavailable(
            "database connection: Connection refused (os error 111) at 10.1.2.3:5432".into(),
        ));
        let detail = error.problem().detail.unwrap_or_default();
        assert!(
            !detail.contains("10.1.2.3") && !detail.contains("refused"),
            "{detail}"
        );
        let response = error.into_response();
        let cause = response
            .extensions()
            .get::<UnavailableCause>()
            .expect("the cause travels to the log");
        assert!(cause.0.contains("10.1.2.3"));
    }
}
