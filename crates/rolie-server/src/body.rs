//! Request bodies: bounded while streaming (413 before the whole body is read).

use axum::body::Body;
use bytes::Bytes;
use http::HeaderMap;
use http::header::CONTENT_LENGTH;
use http_body_util::{BodyExt, LengthLimitError, Limited};

use crate::error::ApiError;

/// Reads a request body of at most `limit` bytes.
///
/// # Errors
/// 413 as soon as `Content-Length` or the bytes received pass `limit`; 400 when the body
/// stream breaks off.
pub async fn read_bounded(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, ApiError> {
    if let Some(length) = headers.get(CONTENT_LENGTH) {
        let length: u64 = length
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .ok_or_else(|| ApiError::BadRequest("Content-Length is not a number".into()))?;
        if length > limit as u64 {
            return Err(ApiError::PayloadTooLarge(limit));
        }
    }
    match Limited::new(body, limit).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(ApiError::PayloadTooLarge(limit)),
        Err(e) => {
            // A limit set by an outer layer (tower-http) surfaces here too.
            let text = e.to_string();
            if text.contains("timeout") || text.contains("timed out") {
                Err(ApiError::RequestTimeout)
            } else if text.contains("length limit") {
                Err(ApiError::PayloadTooLarge(limit))
            } else {
                Err(ApiError::BadRequest(format!(
                    "the request body could not be read: {text}"
                )))
            }
        }
    }
}
