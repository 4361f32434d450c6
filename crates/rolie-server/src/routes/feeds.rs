//! Collection feeds: GET a page (R-5023-5.2-a, R-8322-6.1), POST a new member (R-5023-9.2).

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bytes::Bytes;
use http::header::{CONTENT_LOCATION, LOCATION};
use http::{HeaderMap, HeaderValue, StatusCode};
use rolie_authz::{AccessError, ReadableCollection, Reader};
use rolie_model::timestamp;
use rolie_model::vocabulary::{media_type, property};
use rolie_model::{Feed, Restriction};
use rolie_store::{
    CollectionName, Conflict, EntryFilter, PagePosition, StoreError, SyncPage, SyncState,
    VisibleFreshness,
};
use time::OffsetDateTime;

use crate::body::read_bounded;
use crate::caller::Caller;
use crate::conditional::Validators;
use crate::error::ApiError;
use crate::html::{self, Browser, PageRequest, views};
use crate::negotiate::content_type;
use crate::present::{self, PageLinks, SyncLinks, SyncedEntry};
use crate::respond::{self, PRIVATE, PUBLIC};
use crate::routes::{CollectionPath, entries, view_key};
use crate::state::AppState;
use crate::sync_token::{SyncKey, SyncToken};
use rolie_publish as publish;

/// `/rolie/feeds/{collection}`.
pub fn routes() -> Router<AppState> {
    Router::new().route(
        "/rolie/feeds/{collection}",
        get(list_entries).post(create_entry),
    )
}

const VARY: &str = "Accept, Authorization";

/// Query parameters of a feed request.
struct FeedParams {
    position: PagePosition,
    limit: u32,
    filter: EntryFilter,
    /// Parameters to repeat in paging links (all but the cursor).
    carried: Vec<(&'static str, String)>,
    /// A `since` token: the request is for incremental sync (`docs/sync.md`).
    since: Option<String>,
}

impl FeedParams {
    /// Whether any filter is set: the request is a search.
    fn is_search(&self) -> bool {
        self.filter != EntryFilter::default()
    }
}

fn parse_time(name: &str, value: &str) -> Result<OffsetDateTime, ApiError> {
    timestamp::parse(value).map_err(|e| ApiError::BadRequest(format!("{name}: {e}")))
}

fn feed_params(query: Option<&str>, state: &AppState) -> Result<FeedParams, ApiError> {
    let mut params = FeedParams {
        position: PagePosition::First,
        limit: state.config.default_page_size,
        filter: EntryFilter::default(),
        carried: Vec::new(),
        since: None,
    };
    let mut scheme = None;
    let mut term = None;
    let mut property = None;
    let mut property_value = None;
    for (name, value) in form_urlencoded::parse(query.unwrap_or("").as_bytes()) {
        // An empty parameter is an absent one: OpenSearch clients fill optional template
        // parameters they do not use with nothing (R-OS11-tmpl-a).
        if value.is_empty() {
            continue;
        }
        let value = value.into_owned();
        match name.as_ref() {
            "cursor" => {
                params.position = PagePosition::decode(&value)
                    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
            }
            "limit" => {
                let limit: u32 = value
                    .parse()
                    .ok()
                    .filter(|l| (1..=state.config.max_page_size).contains(l))
                    .ok_or_else(|| {
                        ApiError::BadRequest(format!(
                            "limit must be a whole number from 1 to {}",
                            state.config.max_page_size
                        ))
                    })?;
                params.limit = limit;
                params.carried.push(("limit", value));
            }
            "updated-since" => {
                params.filter.updated_since = Some(parse_time("updated-since", &value)?);
                params.carried.push(("updated-since", value));
            }
            "updated-before" => {
                params.filter.updated_before = Some(parse_time("updated-before", &value)?);
                params.carried.push(("updated-before", value));
            }
            "category" => {
                term = Some(value.clone());
                params.carried.push(("category", value));
            }
            "category-scheme" => {
                scheme = Some(value.clone());
                params.carried.push(("category-scheme", value));
            }
            "since" => params.since = Some(value),
            "property" => {
                property = Some(value.clone());
                params.carried.push(("property", value));
            }
            "property-value" => {
                property_value = Some(value.clone());
                params.carried.push(("property-value", value));
            }
            "q" => {
                if value.chars().count() > 256 {
                    return Err(ApiError::BadRequest(
                        "q is longer than 256 characters".into(),
                    ));
                }
                if !value.trim().is_empty() {
                    params.filter.text = Some(value.clone());
                }
                params.carried.push(("q", value));
            }
            _ => {}
        }
    }
    match (scheme, term) {
        (scheme, Some(term)) => params.filter.category = Some((scheme, term)),
        (Some(_), None) => {
            return Err(ApiError::BadRequest(
                "category-scheme needs category".into(),
            ));
        }
        (None, None) => {}
    }
    match (property, property_value) {
        (Some(name), Some(value)) => params.filter.property = Some((name, value)),
        (None, None) => {}
        _ => {
            return Err(ApiError::BadRequest(
                "property and property-value go together: the property's name (a URI) and its value".into(),
            ));
        }
    }
    if params.since.is_some() && (params.position != PagePosition::First || params.is_search()) {
        return Err(ApiError::BadRequest(
            "since takes no cursor or filter: a sync page links to the next one itself".into(),
        ));
    }
    Ok(params)
}

/// A feed page, newest `app:edited` first (R-5023-10-a), with paging links (R-8322-6.1.2-b),
/// validated by the collection's change counters before anything is rendered.
async fn list_entries(
    State(state): State<AppState>,
    Caller(principal): Caller,
    CollectionPath(name): CollectionPath,
    Browser(browser): Browser,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    state
        .limits
        .check_collection(name.as_str(), &principal.subject)?;
    let params = feed_params(query.as_deref(), &state)?;
    // Sync pages are for programs: always Atom.
    let html = browser.wants_html(&headers, media_type::ATOM_FEED, params.since.is_none())?;
    let reader = state.gate.reader(&principal);
    let collection = reader.collection(&name).await?;
    // Freshness first, page second: a write in between only costs one extra 200 later,
    // never a 304 for content the client has not seen.
    let freshness = reader.freshness(&collection).await?;
    let cache_control = if collection.collection().spec.public && principal.is_anonymous() {
        PUBLIC
    } else {
        PRIVATE
    };
    let validators = Validators::hashed(
        if html { "fh" } else { "f" },
        &[
            collection.collection().feed_id.as_bytes(),
            &freshness.change_seq.to_be_bytes(),
            view_key(&principal).as_bytes(),
            query.as_deref().unwrap_or("").as_bytes(),
            state.urls.base().as_bytes(),
            state.config.organization.as_bytes(),
            present::REVISION,
            &[u8::from(html && browser.secure)],
        ],
        Some(freshness.last_change),
    );
    let answer = respond::Cacheable {
        validators: &validators,
        vary: VARY,
        cache_control,
    };
    if let Some(held) = answer.held(&state, &headers) {
        return Ok(held);
    }
    let view = view_key(&principal);
    let key = state.sync_key().await?;
    if let Some(since) = &params.since {
        let feed = sync_page(
            &state,
            &reader,
            &collection,
            &freshness,
            SyncRequest {
                since,
                view: &view,
                key,
            },
            &params,
        )
        .await?;
        return Ok(answer.render(
            &state,
            &headers,
            respond::xml_type(media_type::ATOM_FEED),
            Bytes::from(feed.to_xml()),
        ));
    }
    let page = reader
        .page(
            &collection,
            params.limit,
            params.position,
            params.filter.clone(),
        )
        .await?;
    let spec = &collection.collection().spec;
    let link = |position: PagePosition| state.urls.feed_page(&spec.name, position, &params.carried);
    if html {
        let body = feed_page(
            &state,
            &principal,
            &collection,
            &browser,
            &params,
            &page,
            &link,
        )?;
        return Ok(answer.render(&state, &headers, HeaderValue::from_static(html::HTML), body));
    }
    let links = PageLinks {
        this: link(params.position),
        first: link(PagePosition::First),
        last: link(PagePosition::Last),
        previous: page.previous.map(link),
        next: page.next.map(link),
        sync: sync_link(
            &state,
            &spec.name,
            SyncToken::at(freshness.change_seq),
            &view,
            key,
        ),
    };
    // Tombstones on the head page of the unfiltered feed only: a search result or an older
    // page is not where a feed reader looks for what went away.
    let head = params.position == PagePosition::First && !params.is_search();
    let tombstones = match state.config.head_tombstone_window {
        Some(window) if head => reader
            .recent_tombstones(
                &collection,
                rolie_model::timestamp::now() - window,
                crate::config::HEAD_TOMBSTONES,
            )
            .await?
            .into_iter()
            .map(|item| (item.atom_id, item.at))
            .collect(),
        _ => Vec::new(),
    };
    // Search results say how many entries match, counted as the caller sees them
    // (opensearch:totalResults), so the number never includes what it may not read.
    let results = if params.is_search() {
        let total = reader
            .count_matching(&collection, params.filter.clone())
            .await?;
        Some((total, params.limit))
    } else {
        None
    };
    let feed = present::feed(
        &state.urls,
        collection.collection(),
        &freshness,
        &page,
        links,
        present::PageNotes {
            tombstones,
            results,
        },
        &state.config.organization,
    );
    Ok(answer.render(
        &state,
        &headers,
        respond::xml_type(media_type::ATOM_FEED),
        Bytes::from(feed.to_xml()),
    ))
}

/// A feed page for people: the entries of `page` as rows, paging links that keep the
/// query, and the search form filled in with it.
fn feed_page(
    state: &AppState,
    principal: &rolie_authz::Principal,
    collection: &ReadableCollection,
    request: &PageRequest,
    params: &FeedParams,
    page: &rolie_store::FeedPage,
    link: &dyn Fn(PagePosition) -> String,
) -> Result<Bytes, ApiError> {
    let level_term = match &params.filter.category {
        Some((None, term)) => Some(term.as_str()),
        _ => None,
    };
    let levels: Vec<_> = Restriction::ALL
        .iter()
        .map(|level| {
            serde_json::json!({
                "term": level.term(),
                "label": format!("TLP:{} ({})", level.tlp().to_uppercase(), level.term()),
                "selected": level_term == Some(level.term()),
            })
        })
        .collect();
    html::render(
        "feed.html",
        &serde_json::json!({
            "frame": html::Frame::new(state, Some(principal), request.secure),
            "collection": views::CollectionHead::of(&state.urls, collection.collection()),
            "entries": page.entries.iter().map(|e| views::EntryRow::of(&state.urls, e)).collect::<Vec<_>>(),
            "search": serde_json::json!({
                "q": params.filter.text.clone().unwrap_or_default(),
                "levels": levels,
                "active": params.is_search(),
            }),
            "paging": serde_json::json!({
                "first": link(PagePosition::First),
                "last": link(PagePosition::Last),
                "previous": page.previous.map(link),
                "next": page.next.map(link),
            }),
        }),
    )
}

/// The feed URI that continues sync at `token`.
fn sync_link(
    state: &AppState,
    name: &CollectionName,
    token: SyncToken,
    view: &str,
    key: &SyncKey,
) -> String {
    state.urls.feed_page(
        name,
        PagePosition::First,
        &[("since", token.encode(key, name.as_str(), view))],
    )
}

/// A sync request: the token as sent, and what it is opened with.
struct SyncRequest<'a> {
    since: &'a str,
    view: &'a str,
    key: &'a SyncKey,
}

/// A page of incremental sync (`docs/sync.md`). A token whose window was served in full
/// opens the next window, up to the newest change the caller can see; one in the middle
/// of a window continues it. Entries come oldest change first, each as the caller sees it
/// now, and tombstones for entries it no longer sees.
async fn sync_page(
    state: &AppState,
    reader: &Reader<'_>,
    collection: &ReadableCollection,
    freshness: &VisibleFreshness,
    request: SyncRequest<'_>,
    params: &FeedParams,
) -> Result<Feed, ApiError> {
    let SyncRequest { since, view, key } = request;
    let spec = &collection.collection().spec;
    let token = SyncToken::decode(since, key, spec.name.as_str(), view)
        .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let window = if token.is_complete() {
        SyncToken {
            since: token.upto,
            upto: freshness.change_seq.max(token.upto),
            after: token.upto,
        }
    } else {
        token
    };
    // The store pages by at most MAX_SYNC_PAGE; a page of that many has more after it.
    let limit = params.limit.clamp(1, rolie_store::MAX_SYNC_PAGE);
    let page = reader
        .sync(collection, window.since, window.upto, window.after, limit)
        .await?;
    let items = match page {
        SyncPage::Items(items) => items,
        SyncPage::Expired { .. } => {
            return Err(ApiError::Gone(format!(
                "the since token is older than the change log kept here ({}); read the feed again from its head and keep the new sync link",
                match state.config.change_log_retention {
                    Some(kept) => format!("{} days", kept.as_secs() / 86_400),
                    None => "removed under an earlier setting".to_owned(),
                }
            )));
        }
    };
    let full = items.len() >= limit as usize;
    let mut synced = Vec::with_capacity(items.len());
    for item in &items {
        let gone = || SyncedEntry::Gone {
            atom_id: item.atom_id.clone(),
            when: item.at,
        };
        synced.push(match item.state {
            SyncState::Gone => gone(),
            // Read as the caller sees it now; if a later change took it out of view, the
            // caller saw it at the end of the window, so a tombstone tells nothing new.
            SyncState::Present => match reader.entry_now(collection, item.entry_id).await? {
                Some(stored) => SyncedEntry::Present(Box::new(stored)),
                None => gone(),
            },
        });
    }
    // A full page has a next one in the window; the last page says where the next sync
    // starts.
    let (next, sync) = match items.last() {
        Some(last) if full => (
            Some(SyncToken {
                after: last.seq,
                ..window
            }),
            None,
        ),
        _ => (None, Some(SyncToken::at(window.upto))),
    };
    let link = |token: SyncToken| sync_link(state, &spec.name, token, view, key);
    let links = SyncLinks {
        this: link(window),
        first: state.urls.feed(&spec.name),
        next: next.map(link),
        sync: sync.map(link),
    };
    Ok(present::sync_feed(
        &state.urls,
        collection.collection(),
        freshness,
        &synced,
        links,
        &state.config.organization,
    ))
}

/// "incident X from Y" for the first incident of an entry's content, if any.
fn incident_label(data: &rolie_store::EntryData) -> Option<String> {
    let id = data
        .properties
        .iter()
        .find(|p| p.name == property::CONTENT_ID)?;
    let name = data
        .properties
        .iter()
        .find(|p| p.name == property::IODEF_INCIDENT_ID_NAME);
    Some(match name {
        Some(name) => format!("incident {} from {}", id.value, name.value),
        None => format!("incident {}", id.value),
    })
}

/// Creates a member from an IODEF document (a media resource and its entry, R-5023-9.6-a)
/// or from an Atom entry (R-5023-9.2-a). 201 with `Location` = `Content-Location` = the
/// entry's edit URI, its ETag and the entry (R-PROF-POST-a).
async fn create_entry(
    State(state): State<AppState>,
    Caller(principal): Caller,
    CollectionPath(name): CollectionPath,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    state
        .limits
        .check_collection(name.as_str(), &principal.subject)?;
    let writer = state.gate.collection_writer(&principal, &name).await?;
    let spec = &writer.collection().spec;
    if spec.accept.is_empty() {
        // RFC 5023 §8.3.4: an empty accept list means nothing may be posted here.
        return Err(ApiError::MethodNotAllowed {
            detail: format!(
                "collection {} takes no new members (its service document entry has an empty app:accept)",
                spec.name
            ),
            allow: "GET, HEAD",
        });
    }
    let media = content_type(&headers)?;
    if !publish::accepted_by(&spec.accept, &media) {
        return Err(ApiError::UnsupportedMediaType(format!(
            "collection {} accepts {}, not {} (R-5023-8-d)",
            spec.name,
            spec.accept.join(", "),
            media.essence
        )));
    }
    let bytes = read_bounded(&headers, body, state.config.max_body_bytes).await?;
    let submission = publish::read_submission(&media, bytes, &state.config.restriction_policy)?;
    let slug = publish::slug(headers.get("slug").and_then(|v| v.to_str().ok()));
    let settings = state.config.publish_settings();
    let warnings = submission.warnings().to_vec();
    let (data, content) =
        publish::new_entry(spec, submission, slug, &principal.subject, &settings)?;
    let incident = incident_label(&data);
    // The entry in the way is one the caller can see: same incident, same restriction
    // level (at most the caller's clearance) and, for drafts, the caller's own (see
    // `publish::atom_id_for`). So naming it reveals nothing.
    let stored = writer
        .create_entry(data, content)
        .await
        .map_err(|e| match e {
            AccessError::Store(StoreError::Conflict(Conflict::DuplicateEntry {
                existing, ..
            })) => {
                let what = incident.unwrap_or_else(|| "this entry".to_owned());
                let existing = existing.map(|id| state.urls.entry(id));
                let entry = existing
                    .as_ref()
                    .map_or_else(String::new, |uri| format!(" as {uri}"));
                ApiError::Duplicate {
                    detail: format!(
                        "{what} is already published in collection {name} at this restriction level{entry}; to revise it, PUT the new document to that entry's edit-media URI"
                    ),
                    existing,
                }
            }
            e => e.into(),
        })?;
    tracing::info!(entry.id = %stored.id, collection.name = %spec.name, principal.sub = %principal.subject, "entry created");
    let location = state.urls.entry(stored.id);
    let mut response = entries::representation(&state, &stored).ok(StatusCode::CREATED);
    respond::add_warnings(&mut response, &warnings);
    if let Ok(value) = HeaderValue::from_str(&location) {
        response.headers_mut().insert(LOCATION, value.clone());
        response.headers_mut().insert(CONTENT_LOCATION, value);
    }
    Ok(response.into_response())
}
