//! Media resources: the IODEF documents, served byte-exact (R-8322-6.2.1-d, R-5023-9.6-c).

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use http::header::{CONTENT_SECURITY_POLICY, X_CONTENT_TYPE_OPTIONS};
use http::{HeaderMap, HeaderValue, StatusCode};
use rolie_store::ContentInfo;

use crate::body::read_bounded;
use crate::caller::Caller;
use crate::conditional::{IfMatch, Validators};
use crate::error::ApiError;
use crate::negotiate::{self, content_type};
use crate::respond::{self, PRIVATE, Representation};
use crate::routes::EntryPath;
use crate::state::AppState;
use rolie_publish as publish;

/// `/rolie/content/{id}`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/rolie/content/{id}", get(get_content).put(replace_content))
}

const VARY: &str = "Accept, Authorization";

fn validators(hash: &str, modified: Option<time::OffsetDateTime>) -> Validators {
    Validators {
        tag: format!("c{}", &hash[..hash.len().min(32)]),
        last_modified: modified,
    }
}

/// Hardening for documents from other organisations: no sniffing, and a browser that
/// opens one runs nothing in it (IODEF-SEC-6, R-PROF-SAFE-a).
fn harden(headers: &mut HeaderMap) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
}

/// RFC 9530 §3: the digest of the selected representation, whatever content coding
/// carries it.
const REPR_DIGEST: http::HeaderName = http::HeaderName::from_static("repr-digest");

/// `sha-256=:BASE64:` from the stored hex digest.
fn repr_digest(hex_digest: &str) -> Option<HeaderValue> {
    use base64::Engine as _;
    let bytes = hex::decode(hex_digest).ok()?;
    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
    HeaderValue::from_str(&format!("sha-256=:{encoded}:")).ok()
}

/// The stored document, with its media type, byte for byte, and its digest (RFC 9530).
async fn get_content(
    State(state): State<AppState>,
    Caller(principal): Caller,
    EntryPath(id): EntryPath,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let content = state.gate.reader(&principal).content(id).await?;
    negotiate::choose(&headers, &[content.media_type.as_str()])?;
    let content_type = HeaderValue::from_str(&content.media_type)
        .map_err(|_| ApiError::Internal("stored media type is not a header value".into()))?;
    let representation = Representation {
        content_type,
        body: content.bytes,
        validators: validators(&content.hash, Some(content.modified)),
        vary: VARY,
        cache_control: PRIVATE,
    };
    let mut response = representation.into_response(&headers);
    if let Some(digest) = repr_digest(&content.hash) {
        response.headers_mut().insert(REPR_DIGEST, digest);
    }
    harden(response.headers_mut());
    Ok(response)
}

/// Replaces the document; the entry's derived metadata, `updated` and `app:edited` follow
/// (R-5023-9.6-c, R-5023-10.2-a).
async fn replace_content(
    State(state): State<AppState>,
    Caller(principal): Caller,
    EntryPath(id): EntryPath,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let writer = state.gate.entry_writer(&principal, id).await?;
    let current = writer.entry();
    let ContentInfo::Stored { hash, .. } = &current.content else {
        return Err(ApiError::not_found(
            "a media resource for this entry (its content is elsewhere)",
        ));
    };
    IfMatch::from_headers(&headers)
        .check(&validators(hash, None).tag, state.config.require_if_match)?;
    let spec = &writer.collection().spec;
    let media = content_type(&headers)?;
    if !publish::accepted_by(&spec.accept, &media) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "collection {} accepts {}, not {}",
            spec.name,
            spec.accept.join(", "),
            media.essence
        )));
    }
    let bytes: Bytes = read_bounded(&headers, body, state.config.max_body_bytes).await?;
    let document = publish::read_document(&media, bytes, &state.config.restriction_policy)?;
    let settings = state.config.publish_settings();
    let warnings = document.warnings.clone();
    let (data, content) = publish::replaced_content(spec, current, document, &settings)?;
    let new_tag = validators(&content.hash(), None).etag();
    writer
        .update_content(Some(&current.etag), content, data)
        .await?;
    tracing::info!(entry.id = %id, principal.sub = %principal.subject, "content replaced");
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(http::header::ETAG, new_tag);
    respond::add_warnings(&mut response, &warnings);
    Ok(response)
}
