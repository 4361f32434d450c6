//! Administration over JSON, for `rolie:admin` (and collection administrators where noted):
//! collections, feed-reader tokens and the audit log.

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use http::header::{CONTENT_TYPE, LOCATION};
use http::{HeaderMap, HeaderValue, StatusCode};
use rolie_authz::authenticate::{FeedTokenGrant, FeedTokenSecret};
use rolie_model::Restriction;
use rolie_model::timestamp;
use rolie_model::vocabulary::media_type;
use rolie_store::{Collection, CollectionName, CollectionSpec, FeedToken};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::body::read_bounded;
use crate::caller::Caller;
use crate::error::ApiError;
use crate::negotiate::content_type;
use crate::routes::CollectionPath;
use crate::state::AppState;

/// `/admin/...`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/collections",
            get(list_collections).post(create_collection),
        )
        .route(
            "/admin/collections/{collection}",
            get(get_collection)
                .put(replace_collection)
                .delete(delete_collection),
        )
        .route(
            "/admin/feed-tokens",
            get(list_feed_tokens).post(create_feed_token),
        )
        .route("/admin/feed-tokens/{id}", delete(revoke_feed_token))
        .route("/admin/audit", get(list_audit))
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    let mut response = (status, value.to_string()).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

async fn json_body<T: for<'de> Deserialize<'de>>(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<T, ApiError> {
    let media = content_type(headers)?;
    if media.essence != media_type::JSON {
        return Err(ApiError::UnsupportedMediaType(
            "administration requests are application/json".into(),
        ));
    }
    let bytes = read_bounded(headers, body, state.config.max_body_bytes).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
}

fn collection_json(state: &AppState, c: &Collection) -> Value {
    json!({
        "name": c.spec.name,
        "title": c.spec.title,
        "information_type": c.spec.information_type,
        "workspace": c.spec.workspace,
        "accept": c.spec.accept,
        "max_restriction": c.spec.max_restriction,
        "public": c.spec.public,
        "feed_id": c.feed_id,
        "created": timestamp::format(c.created),
        "href": state.urls.feed(&c.spec.name),
    })
}

async fn list_collections(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Response, ApiError> {
    let admin = state.gate.administrator(&principal)?;
    let collections = admin.collections().await?;
    let list: Vec<Value> = collections
        .iter()
        .map(|c| collection_json(&state, c))
        .collect();
    Ok(json_response(StatusCode::OK, &Value::Array(list)))
}

/// Creates a collection; it is in the service document at once (R-PROF-AUTHZ-a).
async fn create_collection(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let admin = state.gate.administrator(&principal)?;
    let spec: CollectionSpec = json_body(&state, &headers, body).await?;
    validate_spec(&spec)?;
    let created = admin.create_collection(&spec).await?;
    let mut response = json_response(StatusCode::CREATED, &collection_json(&state, &created));
    if let Ok(location) = HeaderValue::from_str(&state.urls.admin_collection(&spec.name)) {
        response.headers_mut().insert(LOCATION, location);
    }
    Ok(response)
}

fn validate_spec(spec: &CollectionSpec) -> Result<(), ApiError> {
    spec.validate()
        .map_err(|e| ApiError::unprocessable(e.to_string()))
}

async fn get_collection(
    State(state): State<AppState>,
    Caller(principal): Caller,
    CollectionPath(name): CollectionPath,
) -> Result<Response, ApiError> {
    let admin = state
        .gate
        .collection_administrator(&principal, &name)
        .await?;
    Ok(json_response(
        StatusCode::OK,
        &collection_json(&state, admin.collection()),
    ))
}

async fn replace_collection(
    State(state): State<AppState>,
    Caller(principal): Caller,
    CollectionPath(name): CollectionPath,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let admin = state
        .gate
        .collection_administrator(&principal, &name)
        .await?;
    let spec: CollectionSpec = json_body(&state, &headers, body).await?;
    if spec.name != name {
        return Err(ApiError::unprocessable(format!(
            "the body names collection {}, the URI {name}",
            spec.name
        )));
    }
    validate_spec(&spec)?;
    let updated = admin.update(spec).await?;
    Ok(json_response(
        StatusCode::OK,
        &collection_json(&state, &updated),
    ))
}

async fn delete_collection(
    State(state): State<AppState>,
    Caller(principal): Caller,
    CollectionPath(name): CollectionPath,
) -> Result<Response, ApiError> {
    let admin = state
        .gate
        .collection_administrator(&principal, &name)
        .await?;
    admin.delete().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn token_json(token: &FeedToken) -> Value {
    json!({
        "id": token.token.id,
        "subject": token.token.subject,
        "label": token.token.label,
        "clearance": token.token.clearance,
        "collections": token.token.collections,
        "created": timestamp::format(token.created),
        "expires": token.token.expires.map(timestamp::format),
        "revoked": token.revoked.map(timestamp::format),
    })
}

async fn list_feed_tokens(
    State(state): State<AppState>,
    Caller(principal): Caller,
) -> Result<Response, ApiError> {
    let admin = state.gate.administrator(&principal)?;
    let tokens = admin.feed_tokens().await?;
    Ok(json_response(
        StatusCode::OK,
        &Value::Array(tokens.iter().map(token_json).collect()),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTokenRequest {
    subject: String,
    #[serde(default)]
    label: String,
    clearance: Restriction,
    #[serde(default)]
    collections: Vec<CollectionName>,
    #[serde(default)]
    expires_in_days: Option<u32>,
}

/// Issues a read-only feed token; the secret is in this response only.
async fn create_feed_token(
    State(state): State<AppState>,
    Caller(principal): Caller,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let admin = state.gate.administrator(&principal)?;
    let request: NewTokenRequest = json_body(&state, &headers, body).await?;
    if request.subject.trim().is_empty() {
        return Err(ApiError::unprocessable("subject must not be empty"));
    }
    let (token, secret) = FeedTokenSecret::issue(FeedTokenGrant {
        subject: request.subject,
        label: request.label,
        clearance: request.clearance,
        collections: request
            .collections
            .iter()
            .map(ToString::to_string)
            .collect(),
        expires: request
            .expires_in_days
            .map(|d| timestamp::now() + time::Duration::days(i64::from(d))),
    });
    let token = admin.create_feed_token(&token).await?;
    let mut body = token_json(&token);
    body["username"] = json!(token.token.id);
    body["password"] = json!(secret.0);
    Ok(json_response(StatusCode::CREATED, &body))
}

async fn revoke_feed_token(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let admin = state.gate.administrator(&principal)?;
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::NotFound("no such feed token".into()))?;
    admin.revoke_feed_token(id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The audit log, newest first; `before` pages back, `limit` at most 500.
async fn list_audit(
    State(state): State<AppState>,
    Caller(principal): Caller,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let admin = state.gate.administrator(&principal)?;
    let mut before = None;
    let mut limit = 100u32;
    for (name, value) in form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
        match name.as_ref() {
            "before" => {
                before =
                    Some(value.parse::<i64>().map_err(|_| {
                        ApiError::BadRequest("before must be a sequence number".into())
                    })?)
            }
            "limit" => {
                limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|l| (1..=500).contains(l))
                    .ok_or_else(|| {
                        ApiError::BadRequest("limit must be a whole number from 1 to 500".into())
                    })?;
            }
            _ => {}
        }
    }
    let records = admin.audit(before, limit).await?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::to_value(&records).map_err(|e| ApiError::Internal(e.to_string()))?,
    ))
}
