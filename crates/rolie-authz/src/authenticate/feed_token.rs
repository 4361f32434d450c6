//! Feed-reader tokens over HTTP Basic: many feed readers send Basic but not Bearer, so
//! `rolie token --feed-reader` issues a read-only credential (id as user name, a random
//! secret as password). Only a SHA-256 of the secret is stored; revocation is a database row,
//! checked on every request. Basic is refused without TLS (R-5023-14-a).

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use rand::RngCore;
use rolie_model::Restriction;
use rolie_store::{NewFeedToken, Store, StoreError};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{AuthError, Authenticator, credentials_for};
use crate::{AuthMethod, Credentials, Principal, Scopes};

/// SHA-256 of a token secret, hex.
fn hash_secret(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A freshly generated secret (shown once, never stored).
pub struct FeedTokenSecret(pub String);

/// What a new feed-reader credential grants.
pub struct FeedTokenGrant {
    /// Who reads with it.
    pub subject: String,
    /// A note for administrators.
    pub label: String,
    /// Its clearance.
    pub clearance: Restriction,
    /// The collections it may read; empty for all.
    pub collections: Vec<String>,
    /// When it stops working, if ever.
    pub expires: Option<OffsetDateTime>,
}

impl FeedTokenSecret {
    /// 32 random bytes, base64url.
    fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        FeedTokenSecret(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A new credential for `grant`: the token to store, which holds only a hash of the
    /// secret, and the secret to hand out once.
    pub fn issue(grant: FeedTokenGrant) -> (NewFeedToken, FeedTokenSecret) {
        let secret = FeedTokenSecret::generate();
        let token = NewFeedToken {
            id: Uuid::new_v4(),
            subject: grant.subject,
            label: grant.label,
            clearance: grant.clearance,
            collections: grant.collections,
            secret_hash: hash_secret(&secret.0),
            expires: grant.expires,
        };
        (token, secret)
    }
}

/// Authenticates `Authorization: Basic` feed tokens against the store.
pub struct FeedTokenAuthenticator {
    store: Arc<dyn Store>,
}

impl FeedTokenAuthenticator {
    /// An authenticator reading tokens from `store`.
    pub fn new(store: Arc<dyn Store>) -> Self {
        FeedTokenAuthenticator { store }
    }
}

#[async_trait]
impl Authenticator for FeedTokenAuthenticator {
    async fn authenticate(
        &self,
        credentials: &Credentials<'_>,
    ) -> Result<Option<Principal>, AuthError> {
        let Some(encoded) = credentials_for(credentials.authorization, "Basic") else {
            return Ok(None);
        };
        if !credentials.secure {
            return Err(AuthError::Invalid(
                "HTTP Basic credentials are only accepted over TLS".into(),
            ));
        }
        let invalid = || AuthError::Invalid("invalid feed token".into());
        let decoded = STANDARD.decode(encoded).map_err(|_| invalid())?;
        let decoded = String::from_utf8(decoded).map_err(|_| invalid())?;
        let (id, secret) = decoded.split_once(':').ok_or_else(invalid)?;
        let id = Uuid::parse_str(id).map_err(|_| invalid())?;
        let token = match self.store.get_feed_token(id).await {
            Ok(token) => token,
            Err(StoreError::NotFound) => {
                // Spend the same hashing work as for a known id, so timing does not tell
                // which token ids exist.
                let _ = hash_secret(secret);
                return Err(invalid());
            }
            Err(e) => return Err(AuthError::Unavailable(e.to_string())),
        };
        let presented = hash_secret(secret);
        let matches: bool = presented
            .as_bytes()
            .ct_eq(token.token.secret_hash.as_bytes())
            .into();
        if !matches {
            return Err(invalid());
        }
        if token.revoked.is_some() {
            return Err(AuthError::Invalid("the feed token has been revoked".into()));
        }
        if token
            .token
            .expires
            .is_some_and(|e| e <= OffsetDateTime::now_utc())
        {
            return Err(AuthError::Invalid("the feed token has expired".into()));
        }
        let scopes = Scopes {
            read_all: token.token.collections.is_empty(),
            read: token.token.collections.iter().cloned().collect(),
            ..Scopes::default()
        };
        Ok(Some(Principal {
            subject: token.token.subject.clone(),
            display_name: Some(token.token.label.clone()),
            scopes,
            clearance: token.token.clearance,
            method: AuthMethod::FeedToken,
        }))
    }

    fn challenge(&self) -> Option<&'static str> {
        Some("Basic realm=\"rolie feeds\", charset=\"UTF-8\"")
    }
}
