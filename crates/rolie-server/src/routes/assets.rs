//! `/assets/{file}`: the pages' stylesheet. Its name carries a hash of its bytes, so it is
//! cached for a year and a new version arrives under a new name.

use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::HeaderValue;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};

use crate::error::ApiError;
use crate::html;
use crate::state::AppState;

/// `/assets/{file}`.
pub fn routes() -> Router<AppState> {
    Router::new().route("/assets/{file}", get(get_asset))
}

async fn get_asset(Path(file): Path<String>) -> Result<Response, ApiError> {
    let wanted = html::stylesheet_path().trim_start_matches("/assets/");
    if file != wanted {
        return Err(ApiError::NotFound(format!("there is no asset {file}")));
    }
    Ok((
        [
            (
                CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=31536000, immutable"),
            ),
            (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        html::STYLESHEET,
    )
        .into_response())
}
