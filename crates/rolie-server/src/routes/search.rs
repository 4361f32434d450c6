//! OpenSearch 1.1 descriptions of the collection feeds (R-OS11-desc-a/b, R-OS11-type-a):
//! the query parameters the feeds really take, as a template.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use bytes::Bytes;
use http::HeaderMap;
use rolie_model::opensearch::OpenSearchDescription;
use rolie_model::vocabulary::media_type;

use crate::caller::Caller;
use crate::conditional::Validators;
use crate::error::ApiError;
use crate::negotiate;
use crate::respond::{self, PRIVATE, PUBLIC};
use crate::routes::{CollectionPath, view_key};
use crate::state::AppState;

/// `/rolie/opensearch/{collection}`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/rolie/opensearch/{collection}", get(get_description))
}

/// The description of a collection the caller may read; others are hidden as the feed is.
async fn get_description(
    State(state): State<AppState>,
    Caller(principal): Caller,
    CollectionPath(name): CollectionPath,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    negotiate::choose(&headers, &[media_type::OPENSEARCH])?;
    let reader = state.gate.reader(&principal);
    let collection = reader.collection(&name).await?;
    let spec = &collection.collection().spec;
    let feed = state.urls.feed(&spec.name);
    // Every parameter but the search terms is optional (`?`): clients leave them empty,
    // and the feed reads an empty parameter as an absent one (R-OS11-tmpl-a).
    let template = format!(
        "{feed}?q={{searchTerms}}&updated-since={{time:start?}}&updated-before={{time:end?}}\
         &category={{rs:category?}}&category-scheme={{rs:category-scheme?}}\
         &property={{rs:property?}}&property-value={{rs:property-value?}}&limit={{count?}}&since={{rs:since?}}"
    );
    let description = format!(
        "Search {}: words in titles, summaries and documents, update times, categories, properties (content-id, say); since continues incremental sync (docs/sync.md)",
        spec.title
    );
    // The validator hashes what the document is made of, so a revalidation renders nothing.
    let validators = Validators::hashed(
        "o",
        &[
            template.as_bytes(),
            description.as_bytes(),
            view_key(&principal).as_bytes(),
        ],
        None,
    );
    let public = spec.public && principal.is_anonymous();
    Ok(respond::Cacheable {
        validators: &validators,
        vary: "Accept, Authorization",
        cache_control: if public { PUBLIC } else { PRIVATE },
    }
    .answer(
        &state,
        &headers,
        respond::xml_type(media_type::OPENSEARCH),
        || {
            let document = OpenSearchDescription {
                short_name: spec.name.to_string(),
                description,
                urls: vec![(media_type::ATOM_FEED.to_owned(), template)],
            };
            Bytes::from(document.to_xml())
        },
    ))
}
