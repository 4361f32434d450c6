//! Member entries: GET, PUT, DELETE on the edit URI (R-5023-9.1-a, 9.3, 9.4).

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, StatusCode};
use rolie_model::vocabulary::media_type;
use rolie_store::{ContentInfo, StoredEntry};

use crate::body::read_bounded;
use crate::caller::Caller;
use crate::conditional::{IfMatch, Validators};
use crate::error::ApiError;
use crate::html::document::DocumentView;
use crate::html::{self, Browser, PageRequest, views};
use crate::negotiate::content_type;
use crate::present;
use crate::respond::{self, PRIVATE, Representation};
use crate::routes::{EntryPath, view_key};
use crate::state::AppState;
use rolie_publish as publish;

/// `/rolie/entries/{id}`.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/rolie/entries/{id}",
        get(get_entry).put(replace_entry).delete(delete_entry),
    )
}

const VARY: &str = "Accept, Authorization";

/// Validators of an entry document: the store's entry ETag plus what else shapes the
/// rendering (base URL, organisation).
pub fn validators(state: &AppState, entry: &StoredEntry) -> Validators {
    Validators::hashed(
        "e",
        &[
            entry.etag.as_bytes(),
            state.urls.base().as_bytes(),
            state.config.organization.as_bytes(),
            present::REVISION,
        ],
        Some(entry.edited),
    )
}

/// The entry document of `entry`, rendered.
fn document(state: &AppState, entry: &StoredEntry) -> Bytes {
    Bytes::from(present::entry(&state.urls, entry).to_xml())
}

/// The entry document of `entry`.
pub fn representation(state: &AppState, entry: &StoredEntry) -> Representation {
    Representation {
        content_type: respond::xml_type(media_type::ATOM_ENTRY),
        body: document(state, entry),
        validators: validators(state, entry),
        vary: VARY,
        cache_control: PRIVATE,
    }
}

/// Write access to an entry whose current ETag satisfies the request's If-Match
/// (R-5023-9.5-a; 428 when configured to require it, A29).
async fn writable<'a>(
    state: &'a AppState,
    principal: &'a rolie_authz::Principal,
    id: uuid::Uuid,
    headers: &HeaderMap,
) -> Result<rolie_authz::EntryWriter<'a>, ApiError> {
    let writer = state.gate.entry_writer(principal, id).await?;
    IfMatch::from_headers(headers).check(
        &validators(state, writer.entry()).tag,
        state.config.require_if_match,
    )?;
    Ok(writer)
}

/// The entry (R-5023-9.1-a); entries the caller may not see are 404 (R-PROF-AUTHZ-b).
async fn get_entry(
    State(state): State<AppState>,
    Caller(principal): Caller,
    EntryPath(id): EntryPath,
    Browser(browser): Browser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if browser.wants_html(&headers, media_type::ATOM_ENTRY, true)? {
        return entry_page(&state, &principal, id, browser, &headers).await;
    }
    let (entry, _) = state.gate.reader(&principal).entry(id).await?;
    // The entry document is the same for every caller who may see it: one rendering
    // serves them all.
    let validators = validators(&state, &entry);
    Ok(respond::Cacheable {
        validators: &validators,
        vary: VARY,
        cache_control: PRIVATE,
    }
    .answer(
        &state,
        &headers,
        respond::xml_type(media_type::ATOM_ENTRY),
        || document(&state, &entry),
    ))
}

/// The entry as a page: its metadata, and its document as a readable tree. The page shows
/// who is signed in, so its validators include the caller's view.
async fn entry_page(
    state: &AppState,
    principal: &rolie_authz::Principal,
    id: uuid::Uuid,
    browser: PageRequest,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let reader = state.gate.reader(principal);
    let (entry, collection) = reader.entry(id).await?;
    let validators = Validators::hashed(
        "eh",
        &[
            entry.etag.as_bytes(),
            state.urls.base().as_bytes(),
            state.config.organization.as_bytes(),
            present::REVISION,
            view_key(principal).as_bytes(),
            &[u8::from(browser.secure)],
        ],
        Some(entry.edited),
    );
    let answer = respond::Cacheable {
        validators: &validators,
        vary: VARY,
        cache_control: PRIVATE,
    };
    if let Some(held) = answer.held(state, headers) {
        return Ok(held);
    }
    let document = match &entry.content {
        ContentInfo::Stored { .. } => {
            let content = reader.content(id).await?;
            DocumentView::of(&content.media_type, &content.bytes)
        }
        ContentInfo::External { .. } => {
            DocumentView::note("The document is kept elsewhere; follow its link above.")
        }
    };
    let body = html::render(
        "entry.html",
        &serde_json::json!({
            "frame": html::Frame::new(state, Some(principal), browser.secure),
            "collection": views::CollectionHead::of(&state.urls, collection.collection()),
            "entry": views::EntryView::of(&state.urls, &entry),
            "document": document,
        }),
    )?;
    Ok(answer.render(state, headers, HeaderValue::from_static(html::HTML), body))
}

/// Replaces the entry's metadata with the client's full representation (R-5023-9.3-a);
/// server-derived parts and the content stay (R-5023-9.3-b).
async fn replace_entry(
    State(state): State<AppState>,
    Caller(principal): Caller,
    EntryPath(id): EntryPath,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let writer = writable(&state, &principal, id, &headers).await?;
    let current = writer.entry();
    let media = content_type(&headers)?;
    if !publish::is_atom_entry_type(&media) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "an entry is replaced with {}; the content is replaced at its edit-media URI",
            media_type::ATOM_ENTRY
        )));
    }
    let bytes = read_bounded(&headers, body, state.config.max_body_bytes).await?;
    let submitted = publish::read_atom_entry(&bytes)?;
    let settings = state.config.publish_settings();
    let data = publish::replaced_entry(&writer.collection().spec, current, submitted, &settings)?;
    let updated = writer.update(Some(&current.etag), data).await?;
    tracing::info!(entry.id = %id, principal.sub = %principal.subject, "entry replaced");
    Ok(representation(&state, &updated)
        .ok(StatusCode::OK)
        .into_response())
}

/// Deletes the entry and its media resource (R-5023-9.4-a/b); a tombstone stays in the
/// change log and the feed's `updated` moves (R-8322-6.1.3-a).
async fn delete_entry(
    State(state): State<AppState>,
    Caller(principal): Caller,
    EntryPath(id): EntryPath,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let writer = writable(&state, &principal, id, &headers).await?;
    writer.delete(Some(&writer.entry().etag)).await?;
    tracing::info!(entry.id = %id, principal.sub = %principal.subject, "entry deleted");
    Ok(StatusCode::NO_CONTENT.into_response())
}
