//! `/`: a small page for people, linking the service document (R-PROF-DISC-b).

use axum::Router;
use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use http::HeaderValue;
use http::header::LINK;
use rolie_model::xml::escape_attribute;

use crate::state::AppState;

/// `/`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(get_home))
}

async fn get_home(State(state): State<AppState>) -> impl IntoResponse {
    let service = state.urls.service_document();
    let service = escape_attribute(&service);
    let organization = escape_attribute(&state.config.organization);
    let page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{organization} – ROLIE</title>\
         <link rel=\"service\" type=\"application/atomsvc+xml\" href=\"{service}\"></head>\
         <body><h1>{organization}</h1><p>This is a ROLIE (RFC 8322) repository of security incident reports.</p>\
         <p>Start at the <a href=\"{service}\">service document</a>; feeds need a bearer token.</p></body></html>\n"
    );
    let link = HeaderValue::from_str(&format!(
        "<{}>; rel=\"service\"; type=\"application/atomsvc+xml\"",
        state.urls.service_document()
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""));
    ([(LINK, link)], Html(page))
}
