//! `/login`: where a browser signs in. A feed reader's credential (a feed token over HTTP
//! Basic, R-5023-14-a) is what a browser can send; the browser asks for it when it gets a
//! Basic challenge, and sends it with every later request to this server.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use http::HeaderValue;
use http::header::WWW_AUTHENTICATE;

use crate::caller::Caller;
use crate::error::ApiError;
use crate::html::{self, Browser, LOGIN_PATH};
use crate::state::AppState;

/// `/login`.
pub fn routes() -> Router<AppState> {
    Router::new().route(LOGIN_PATH, get(get_login))
}

/// Signed in: back to the home page. Anonymous: the Basic challenge (only Basic, so the
/// browser shows its password prompt). Where passwords are refused (plain HTTP without a
/// TLS proxy, or no feed tokens configured), the page says so instead of prompting for a
/// password that cannot work.
async fn get_login(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Browser(browser): Browser,
) -> Result<Response, ApiError> {
    if !principal.is_anonymous() {
        return Ok(Redirect::to(&state.urls.absolute("/")).into_response());
    }
    let Some(challenge) = html::basic_challenge(&state).filter(|_| browser.secure) else {
        return Err(ApiError::Forbidden(if html::basic_offered(&state) {
            "signing in with a password needs HTTPS; this address is plain HTTP".into()
        } else {
            "this server takes no passwords: programs sign in with a bearer token or a client certificate".into()
        }));
    };
    let mut response = ApiError::Unauthorized(
        "sign in with a feed token: its id as the user name, its secret as the password".into(),
    )
    .into_response();
    response
        .headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static(challenge));
    Ok(response)
}
