//! The `Caller` extractor: authenticates every request that asks for it.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::extract::FromRequestParts;
use http::header::AUTHORIZATION;
use http::request::Parts;
use rolie_authz::{ClientCertificate, Credentials, Principal};

use crate::error::ApiError;
use crate::state::AppState;

/// Facts about the connection a request came on, set by the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionInfo {
    /// Remote address.
    pub peer: SocketAddr,
    /// Whether the connection is TLS.
    pub tls: bool,
}

/// Whether a request came over TLS, or through the TLS-terminating proxy the operator
/// declared: where HTTP Basic is accepted (R-5023-14-a) and a browser may sign in.
pub fn is_secure(extensions: &http::Extensions, config: &crate::config::ServerConfig) -> bool {
    extensions.get::<ConnectionInfo>().is_some_and(|c| c.tls) || config.behind_tls_proxy
}

/// Where the audit layer learns who made a write (set once authentication succeeded).
#[derive(Debug, Clone, Default)]
pub struct AuditSubject(pub Arc<Mutex<Option<String>>>);

/// The authenticated caller (anonymous when no credentials were sent). Extracting it also
/// counts the request against the caller's rate limit.
#[derive(Debug, Clone)]
pub struct Caller(pub Principal);

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let authorization = match parts.headers.get(AUTHORIZATION) {
            Some(value) => Some(value.to_str().map_err(|_| {
                ApiError::Unauthorized("the Authorization header is not valid text".into())
            })?),
            None => None,
        };
        let connection = parts.extensions.get::<ConnectionInfo>().copied();
        let credentials = Credentials {
            authorization,
            client_certificate: parts.extensions.get::<ClientCertificate>(),
            secure: is_secure(&parts.extensions, &state.config),
        };
        // Behind a trusted proxy, the address it forwarded for (see `access_log`).
        let client = parts
            .extensions
            .get::<crate::access_log::ClientAddress>()
            .map(|c| c.0)
            .or(connection.map(|c| c.peer.ip()));
        let address = format!(
            "anonymous@{}",
            client.map(|ip| ip.to_string()).unwrap_or_default()
        );
        // Requests without working credentials count against their address's limit, so a
        // flood of them (each one an audit record when it is a write) is bounded.
        let principal = match state.authn.authenticate(&credentials).await {
            Ok(principal) => principal,
            Err(e) => {
                state.metrics.authentication_failed(&e);
                state.limits.check_anonymous(&address)?;
                return Err(e.into());
            }
        };
        let key = if principal.is_anonymous() {
            state.limits.check_anonymous(&address)?;
            address
        } else {
            principal.subject.clone()
        };
        state.limits.check(&key)?;
        if let Some(slot) = parts.extensions.get::<AuditSubject>()
            && let Ok(mut subject) = slot.0.lock()
        {
            *subject = Some(principal.subject.clone());
        }
        Ok(Caller(principal))
    }
}
