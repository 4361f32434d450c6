//! Authenticators turn request credentials into a [`Principal`]; a chain tries them in order.

mod client_cert;
mod feed_token;
mod jwt;

use std::sync::Arc;

use async_trait::async_trait;

pub use client_cert::{CertificateMapping, ClientCertAuthenticator};
pub use feed_token::{FeedTokenAuthenticator, FeedTokenGrant, FeedTokenSecret};
pub use jwt::{JwtAuthenticator, JwtKey, JwtSettings, TokenIssuer, TokenRequest};

use crate::{Credentials, Principal};

/// Why credentials were refused. Every variant becomes 401 with a `WWW-Authenticate`
/// challenge; the message is safe to show (it never echoes the credential).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Malformed, forged, expired or otherwise unacceptable credentials.
    #[error("{0}")]
    Invalid(String),
    /// The authenticator could not check the credentials right now (e.g. the token store is
    /// down); the server answers 503, not 401.
    #[error("cannot check credentials: {0}")]
    Unavailable(String),
}

/// Turns credentials into a principal.
#[async_trait]
pub trait Authenticator: Send + Sync {
    /// `Ok(None)` when the request carries no credentials of this authenticator's kind.
    async fn authenticate(
        &self,
        credentials: &Credentials<'_>,
    ) -> Result<Option<Principal>, AuthError>;

    /// The `WWW-Authenticate` challenge this authenticator offers (`Bearer`, `Basic`).
    fn challenge(&self) -> Option<&'static str> {
        None
    }
}

/// Tries authenticators in order; the first that recognises the credentials decides.
/// Credentials nobody recognises are refused; no credentials at all give the anonymous
/// principal (whom the policy lets read public collections only).
#[derive(Clone, Default)]
pub struct AuthenticatorChain {
    authenticators: Vec<Arc<dyn Authenticator>>,
}

impl AuthenticatorChain {
    /// A chain of `authenticators`.
    pub fn new(authenticators: Vec<Arc<dyn Authenticator>>) -> Self {
        AuthenticatorChain { authenticators }
    }

    /// Authenticates a request.
    ///
    /// # Errors
    /// [`AuthError`] when credentials are present but not acceptable.
    pub async fn authenticate(
        &self,
        credentials: &Credentials<'_>,
    ) -> Result<Principal, AuthError> {
        for authenticator in &self.authenticators {
            if let Some(principal) = authenticator.authenticate(credentials).await? {
                return Ok(principal);
            }
        }
        if let Some(header) = credentials.authorization {
            let scheme = header.split_ascii_whitespace().next().unwrap_or("");
            return Err(AuthError::Invalid(format!(
                "the {scheme} authorization scheme is not accepted here"
            )));
        }
        Ok(Principal::anonymous())
    }

    /// `WWW-Authenticate` challenges, one per scheme offered.
    pub fn challenges(&self) -> Vec<&'static str> {
        let mut challenges: Vec<&'static str> = self
            .authenticators
            .iter()
            .filter_map(|a| a.challenge())
            .collect();
        challenges.dedup();
        challenges
    }
}

/// The part of an `Authorization` header after `scheme` (case-insensitive), if it uses it.
pub(crate) fn credentials_for<'a>(header: Option<&'a str>, scheme: &str) -> Option<&'a str> {
    let header = header?.trim();
    let (given, rest) = header.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| rest.trim())
}
