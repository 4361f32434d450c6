//! The service document: the head of the repository (R-8322-5.1-a, R-5023-5.1-a).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue};
use rolie_authz::{ReadableCollection, Reader};
use rolie_model::vocabulary::media_type;
use rolie_store::VisibleFreshness;

use crate::caller::Caller;
use crate::conditional::Validators;
use crate::error::ApiError;
use crate::html::{self, Browser, PageRequest, views};
use crate::present;
use crate::respond::{self, PRIVATE};
use crate::routes::view_key;
use crate::state::AppState;
use crate::urls::SERVICE_DOCUMENT_PATH;

/// `/rolie/servicedocument`.
pub fn routes() -> Router<AppState> {
    Router::new().route(SERVICE_DOCUMENT_PATH, get(get_service_document))
}

const VARY: &str = "Accept, Authorization";

/// What a caller is shown of the repository: the collections it may read with their
/// freshness as it sees them, and a key of exactly that for validators.
pub struct Listing {
    /// Readable collections.
    pub collections: Vec<ReadableCollection>,
    /// The newest change the caller can see in each.
    pub freshness: Vec<VisibleFreshness>,
    /// Everything listed that shapes a document, joined.
    pub key: String,
}

/// The collections `reader` may read (R-PROF-AUTHZ-a, R-CSIRT-SEC-a). The key is a hash
/// input of what this caller is shown, not of the store-wide collections version: creating
/// or changing a collection the caller cannot read, or an entry it cannot see, must not
/// move its validators. Listing the collections is one small query and their freshness is
/// answered from memory.
pub async fn listing(reader: &Reader<'_>) -> Result<Listing, ApiError> {
    let collections = reader.collections().await?;
    let mut listed = Vec::with_capacity(collections.len());
    let mut freshness = Vec::with_capacity(collections.len());
    for collection in &collections {
        let c = collection.collection();
        let spec = &c.spec;
        let seen = reader.freshness(collection).await?;
        listed.push(format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
            seen.change_seq,
            c.feed_id,
            spec.name,
            spec.title,
            spec.information_type,
            spec.workspace,
            spec.accept.join(","),
            spec.max_restriction.level(),
            spec.public
        ));
        freshness.push(seen);
    }
    Ok(Listing {
        collections,
        freshness,
        key: listed.join("\u{1e}"),
    })
}

/// Lists the collections the caller may read (R-PROF-AUTHZ-a, R-CSIRT-SEC-a); a page of
/// them for a browser.
async fn get_service_document(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Browser(page): Browser,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let html = page.wants_html(&headers, media_type::ATOM_SERVICE, true)?;
    let reader = state.gate.reader(&principal);
    let listing = listing(&reader).await?;
    if listing.collections.is_empty() && principal.is_anonymous() {
        // Nothing is public here: ask for credentials rather than show an empty repository.
        return Err(ApiError::Unauthorized(
            "this repository has no public collections; send credentials".into(),
        ));
    }
    if html {
        return collections_page(
            &state,
            &reader,
            &listing,
            CollectionsPage {
                prefix: "sh",
                heading: "Collections",
                intro: false,
                request: page,
            },
            &headers,
        )
        .await;
    }
    let validators = Validators::hashed(
        "s",
        &[
            listing.key.as_bytes(),
            view_key(&principal).as_bytes(),
            state.urls.base().as_bytes(),
            state.config.fingerprint.as_bytes(),
        ],
        None,
    );
    let last_changes: Vec<_> = listing.freshness.iter().map(|f| f.last_change).collect();
    Ok(respond::Cacheable {
        validators: &validators,
        vary: VARY,
        cache_control: PRIVATE,
    }
    .answer(
        &state,
        &headers,
        respond::xml_type(media_type::ATOM_SERVICE),
        || {
            Bytes::from(
                present::service_document(
                    &state.urls,
                    &listing.collections,
                    &last_changes,
                    &state.config.organization,
                )
                .to_xml(),
            )
        },
    ))
}

/// How a list of collections is shown.
pub struct CollectionsPage {
    /// Validator prefix (one per page that shows the list).
    pub prefix: &'static str,
    /// The page's heading.
    pub heading: &'static str,
    /// Whether to say what this server is (the home page).
    pub intro: bool,
    /// The request.
    pub request: PageRequest,
}

/// The collections a caller may read, as a page with the entries it can see in each. The
/// counts move only with changes the caller can see, which move the listing's key, so the
/// page is validated and cached like the service document.
pub async fn collections_page(
    state: &AppState,
    reader: &Reader<'_>,
    listing: &Listing,
    page: CollectionsPage,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let principal = reader.principal();
    let validators = Validators::hashed(
        page.prefix,
        &[
            listing.key.as_bytes(),
            view_key(principal).as_bytes(),
            state.urls.base().as_bytes(),
            state.config.fingerprint.as_bytes(),
            state.config.organization.as_bytes(),
            &[u8::from(page.request.secure)],
        ],
        None,
    );
    let answer = respond::Cacheable {
        validators: &validators,
        vary: VARY,
        cache_control: PRIVATE,
    };
    if let Some(held) = answer.held(state, headers) {
        return Ok(held);
    }
    let mut rows = Vec::with_capacity(listing.collections.len());
    for (collection, seen) in listing.collections.iter().zip(&listing.freshness) {
        let spec = &collection.collection().spec;
        rows.push(views::CollectionRow {
            href: state.urls.feed(&spec.name),
            title: spec.title.clone(),
            name: spec.name.to_string(),
            information_type: spec.information_type.clone(),
            entries: reader.count(collection).await?,
            last_change: views::When::of(seen.last_change),
            public: spec.public,
        });
    }
    let body = html::render(
        "collections.html",
        &serde_json::json!({
            "frame": html::Frame::new(state, Some(principal), page.request.secure),
            "heading": page.heading,
            "intro": page.intro,
            "collections": rows,
        }),
    )?;
    Ok(answer.render(state, headers, HeaderValue::from_static(html::HTML), body))
}
