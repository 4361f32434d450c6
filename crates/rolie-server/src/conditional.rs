//! Conditional requests: validators, 304 Not Modified, If-Match (RFC 9110 §13).
//!
//! Pollers hit these paths every few seconds, so validators are computed from the store's
//! cheap values (change sequence, entry ETag, content hash) and never from a rendered body.
//! ETags are strong and opaque; when a body is compressed, the envelope (or the render cache) appends
//! the coding (`"…-gzip"`), so each encoding has its own strong tag (RFC 9110 §8.8.3). Incoming
//! tags are compared without that suffix.

use http::header::{ETAG, IF_MATCH, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use http::{HeaderMap, HeaderValue};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::error::ApiError;

/// Content codings that may be appended to an ETag.
const CODINGS: [&str; 4] = ["-gzip", "-br", "-deflate", "-zstd"];

/// The validators of one representation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validators {
    /// Opaque tag without quotes (hex and letters only, so a coding suffix is unambiguous).
    pub tag: String,
    /// Last modification, if meaningful.
    pub last_modified: Option<OffsetDateTime>,
}

impl Validators {
    /// A tag of `prefix` plus a hash of `parts`.
    pub fn hashed(prefix: &str, parts: &[&[u8]], last_modified: Option<OffsetDateTime>) -> Self {
        let mut hasher = Sha256::new();
        for part in parts {
            hasher.update((part.len() as u64).to_be_bytes());
            hasher.update(part);
        }
        let digest = hasher.finalize();
        Validators {
            tag: format!("{prefix}{}", hex::encode(&digest[..12])),
            last_modified,
        }
    }

    /// The `ETag` header value.
    pub fn etag(&self) -> HeaderValue {
        HeaderValue::from_str(&format!("\"{}\"", self.tag))
            .unwrap_or_else(|_| HeaderValue::from_static("\"invalid\""))
    }

    /// Sets `ETag` and `Last-Modified`.
    pub fn apply(&self, headers: &mut HeaderMap) {
        headers.insert(ETAG, self.etag());
        if let Some(at) = self.last_modified
            && let Ok(value) = HeaderValue::from_str(&http_date(at))
        {
            headers.insert(LAST_MODIFIED, value);
        }
    }
}

/// An HTTP-date (IMF-fixdate).
pub fn http_date(at: OffsetDateTime) -> String {
    let seconds = u64::try_from(at.unix_timestamp()).unwrap_or(0);
    httpdate::fmt_http_date(std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds))
}

/// An entity tag from a header list item, without `W/`, quotes and coding suffix.
fn opaque(tag: &str) -> Option<&str> {
    let tag = tag.trim();
    let tag = tag.strip_prefix("W/").unwrap_or(tag);
    let inner = tag.strip_prefix('"')?.strip_suffix('"')?;
    Some(
        CODINGS
            .iter()
            .find_map(|c| inner.strip_suffix(c))
            .unwrap_or(inner),
    )
}

/// The items of a conditional header's list, trimmed; `None` when it is absent (or not
/// text).
fn items(headers: &HeaderMap, name: http::HeaderName) -> Option<Vec<&str>> {
    let mut found: Option<Vec<&str>> = None;
    for value in headers.get_all(name) {
        let Ok(value) = value.to_str() else { continue };
        found
            .get_or_insert_with(Vec::new)
            .extend(value.split(',').map(str::trim));
    }
    found
}

/// Whether a GET may answer 304 (RFC 9110 §13.2.2: `If-None-Match` takes precedence over
/// `If-Modified-Since`; weak comparison). Returns the tag to send with the 304: the client's
/// own when it matched, so a coding-specific tag is echoed back unchanged.
pub fn not_modified(headers: &HeaderMap, current: &Validators) -> Option<HeaderValue> {
    if let Some(items) = items(headers, IF_NONE_MATCH) {
        if let Some(matched) = items
            .iter()
            .find(|item| opaque(item) == Some(current.tag.as_str()))
        {
            return HeaderValue::from_str(matched.trim_start_matches("W/"))
                .ok()
                .or_else(|| Some(current.etag()));
        }
        return items.contains(&"*").then(|| current.etag());
    }
    let since = headers.get(IF_MODIFIED_SINCE)?.to_str().ok()?;
    let since = httpdate::parse_http_date(since).ok()?;
    let last = current.last_modified?;
    let since = since.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    (u64::try_from(last.unix_timestamp()).ok()? <= since).then(|| current.etag())
}

/// What `If-Match` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IfMatch {
    /// No header.
    Absent,
    /// `*`: any current representation.
    Any,
    /// One of these opaque tags.
    Tags(Vec<String>),
}

impl IfMatch {
    /// Reads `If-Match`.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        match items(headers, IF_MATCH) {
            None => IfMatch::Absent,
            Some(items) if items.contains(&"*") => IfMatch::Any,
            // Weak tags never match strongly, so they are left out.
            Some(items) => IfMatch::Tags(
                items
                    .into_iter()
                    .filter(|item| !item.starts_with("W/"))
                    .filter_map(opaque)
                    .map(str::to_owned)
                    .collect(),
            ),
        }
    }

    /// Checks the precondition against the current tag; `required` makes an absent header
    /// a 428 (A29).
    ///
    /// # Errors
    /// 412 when no tag matches (strong comparison: weak tags never match), 428 when required
    /// and absent.
    pub fn check(&self, current: &str, required: bool) -> Result<(), ApiError> {
        match self {
            IfMatch::Absent if required => Err(ApiError::PreconditionRequired),
            IfMatch::Absent | IfMatch::Any => Ok(()),
            IfMatch::Tags(list) if list.iter().any(|t| t == current) => Ok(()),
            IfMatch::Tags(_) => Err(ApiError::PreconditionFailed(
                "If-Match does not match the current ETag: the resource changed; GET it again"
                    .into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn headers(name: http::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    fn current() -> Validators {
        Validators {
            tag: "fabc".into(),
            last_modified: Some(datetime!(2024-03-05 09:30:12.5 UTC)),
        }
    }

    /// R-HTTP-cond-a
    #[test]
    fn matching_if_none_match_gives_304_with_the_clients_tag() {
        let h = headers(IF_NONE_MATCH, "\"x\", \"fabc-gzip\"");
        assert_eq!(
            not_modified(&h, &current()),
            Some(HeaderValue::from_static("\"fabc-gzip\""))
        );
        assert!(not_modified(&headers(IF_NONE_MATCH, "W/\"fabc\""), &current()).is_some());
        assert!(not_modified(&headers(IF_NONE_MATCH, "*"), &current()).is_some());
        assert!(not_modified(&headers(IF_NONE_MATCH, "\"other\""), &current()).is_none());
    }

    #[test]
    fn if_none_match_takes_precedence_over_if_modified_since() {
        let mut h = headers(IF_NONE_MATCH, "\"other\"");
        h.insert(
            IF_MODIFIED_SINCE,
            HeaderValue::from_static("Tue, 05 Mar 2024 09:30:12 GMT"),
        );
        assert!(not_modified(&h, &current()).is_none());
    }

    #[test]
    fn if_modified_since_compares_whole_seconds() {
        let h = headers(IF_MODIFIED_SINCE, "Tue, 05 Mar 2024 09:30:12 GMT");
        assert!(not_modified(&h, &current()).is_some());
        let h = headers(IF_MODIFIED_SINCE, "Tue, 05 Mar 2024 09:30:11 GMT");
        assert!(not_modified(&h, &current()).is_none());
    }

    /// R-5023-9.5-a
    #[test]
    fn if_match_is_strong_and_ignores_the_coding_suffix() {
        assert!(
            IfMatch::from_headers(&headers(IF_MATCH, "\"fabc-br\""))
                .check("fabc", false)
                .is_ok()
        );
        assert!(
            IfMatch::from_headers(&headers(IF_MATCH, "\"old\""))
                .check("fabc", false)
                .is_err()
        );
        assert!(
            IfMatch::from_headers(&headers(IF_MATCH, "*"))
                .check("fabc", false)
                .is_ok()
        );
        assert!(
            IfMatch::from_headers(&headers(IF_MATCH, "W/\"fabc\""))
                .check("fabc", false)
                .is_err()
        );
        assert_eq!(
            IfMatch::Absent.check("fabc", true),
            Err(ApiError::PreconditionRequired)
        );
    }
}
