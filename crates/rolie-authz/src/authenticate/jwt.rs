//! JWT bearer tokens: HS256 secrets, RS256/ES256/EdDSA public keys from PEM files or a local
//! JWKS file (reloaded when it changes). The algorithm is pinned per key, so a token can
//! never choose how it is checked (no `alg: none`, no HS/RS confusion).

use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

use async_trait::async_trait;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rolie_model::Restriction;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{AuthError, Authenticator, credentials_for};
use crate::{AuthMethod, Credentials, Principal, Scopes};

/// One verification key with its pinned algorithm.
#[derive(Clone)]
pub struct JwtKey {
    /// `kid` the key answers to; keys without one are tried for tokens without a `kid`.
    pub kid: Option<String>,
    /// The only algorithm this key verifies.
    pub algorithm: Algorithm,
    key: DecodingKey,
}

impl std::fmt::Debug for JwtKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtKey")
            .field("kid", &self.kid)
            .field("algorithm", &self.algorithm)
            .finish()
    }
}

impl JwtKey {
    /// An HS256 shared secret.
    pub fn hs256(secret: &[u8], kid: Option<String>) -> Self {
        JwtKey {
            kid,
            algorithm: Algorithm::HS256,
            key: DecodingKey::from_secret(secret),
        }
    }

    /// A public key in PEM for RS256, ES256 or EdDSA.
    ///
    /// # Errors
    /// A message when the PEM does not hold a key for `algorithm`.
    pub fn from_pem(algorithm: Algorithm, pem: &[u8], kid: Option<String>) -> Result<Self, String> {
        let key = match algorithm {
            Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 | Algorithm::PS256 => {
                DecodingKey::from_rsa_pem(pem)
            }
            Algorithm::ES256 | Algorithm::ES384 => DecodingKey::from_ec_pem(pem),
            Algorithm::EdDSA => DecodingKey::from_ed_pem(pem),
            other => return Err(format!("{other:?} keys are not read from PEM")),
        }
        .map_err(|e| format!("not a {algorithm:?} public key: {e}"))?;
        Ok(JwtKey {
            kid,
            algorithm,
            key,
        })
    }
}

/// What a valid token must also satisfy.
#[derive(Debug, Clone, Default)]
pub struct JwtSettings {
    /// Accepted `iss` values. When not empty, a token must carry one of them: a token
    /// without `iss` is refused.
    pub issuers: Vec<String>,
    /// Accepted `aud` values. When not empty, a token must carry one of them: a token
    /// without `aud` is refused. When empty, tokens with `aud` are refused, as jsonwebtoken
    /// does by default.
    pub audiences: Vec<String>,
    /// Clock skew tolerated on `exp`/`nbf`, in seconds.
    pub leeway_seconds: u64,
    /// Clearance of tokens without a `clearance` claim.
    pub default_clearance: Option<Restriction>,
}

#[derive(Debug, Deserialize, Serialize)]
struct Claims {
    sub: String,
    exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iat: Option<i64>,
    #[serde(default)]
    scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    clearance: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    iss: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    aud: Option<String>,
}

struct JwksFile {
    path: PathBuf,
    modified: Option<SystemTime>,
    keys: Vec<JwtKey>,
}

/// Verifies `Authorization: Bearer` tokens.
pub struct JwtAuthenticator {
    static_keys: Vec<JwtKey>,
    jwks: Option<RwLock<JwksFile>>,
    settings: JwtSettings,
    verified: Verified,
}

/// Tokens that verified, by the SHA-256 of their text, until they expire: a poller sends
/// the same token every few seconds, and checking a signature costs more than answering
/// its 304. Every check is still made once per token; a new key set (a reloaded JWKS file)
/// empties it, so a key taken out of the set stops its tokens at once.
struct Verified {
    cache: quick_cache::sync::Cache<[u8; 32], (Principal, i64)>,
}

/// Tokens kept verified at most (an entry is a principal: about 200 bytes).
const VERIFIED_TOKENS: usize = 10_000;

impl Verified {
    fn new() -> Self {
        Verified {
            cache: quick_cache::sync::Cache::new(VERIFIED_TOKENS),
        }
    }

    fn key(token: &str) -> [u8; 32] {
        use sha2::Digest;
        sha2::Sha256::digest(token.as_bytes()).into()
    }

    /// The principal of `token` if it verified before and has not expired since (`exp`
    /// compared without leeway: a cached token never outlives what verifying it again
    /// would allow).
    fn get(&self, token: &str) -> Option<Principal> {
        let (principal, exp) = self.cache.get(&Self::key(token))?;
        (time::OffsetDateTime::now_utc().unix_timestamp() < exp).then_some(principal)
    }

    fn insert(&self, token: &str, principal: &Principal, exp: i64) {
        self.cache
            .insert(Self::key(token), (principal.clone(), exp));
    }
}

fn is_hmac(algorithm: Algorithm) -> bool {
    matches!(
        algorithm,
        Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512
    )
}

fn jwks_keys(path: &PathBuf) -> Result<(Option<SystemTime>, Vec<JwtKey>), String> {
    let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
    let text = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let set: JwkSet = serde_json::from_slice(&text)
        .map_err(|e| format!("{} is not a JWKS: {e}", path.display()))?;
    let mut keys = Vec::new();
    for jwk in &set.keys {
        let Some(algorithm) = jwk
            .common
            .key_algorithm
            .and_then(|a| a.to_string().parse::<Algorithm>().ok())
        else {
            // A key must name its algorithm: we never let the token choose.
            continue;
        };
        if is_hmac(algorithm) {
            continue;
        }
        let key = DecodingKey::from_jwk(jwk)
            .map_err(|e| format!("bad key in {}: {e}", path.display()))?;
        keys.push(JwtKey {
            kid: jwk.common.key_id.clone(),
            algorithm,
            key,
        });
    }
    Ok((modified, keys))
}

impl JwtAuthenticator {
    /// An authenticator over fixed keys and, optionally, a JWKS file.
    ///
    /// # Errors
    /// A message when the JWKS file cannot be read.
    pub fn new(
        keys: Vec<JwtKey>,
        jwks_file: Option<PathBuf>,
        settings: JwtSettings,
    ) -> Result<Self, String> {
        let jwks = match jwks_file {
            Some(path) => {
                let (modified, keys) = jwks_keys(&path)?;
                Some(RwLock::new(JwksFile {
                    path,
                    modified,
                    keys,
                }))
            }
            None => None,
        };
        Ok(JwtAuthenticator {
            static_keys: keys,
            jwks,
            settings,
            verified: Verified::new(),
        })
    }

    /// Reloads the JWKS file when its modification time changed; keeps the old keys if the
    /// new file is broken (logged), so a bad deploy does not lock everyone out.
    fn refresh_jwks(&self) {
        let Some(jwks) = &self.jwks else { return };
        let (path, known) = match jwks.read() {
            Ok(file) => (file.path.clone(), file.modified),
            Err(_) => return,
        };
        let modified = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        if modified == known {
            return;
        }
        match jwks_keys(&path) {
            Ok((modified, keys)) => {
                if let Ok(mut file) = jwks.write() {
                    tracing::info!(key_count = keys.len(), "reloaded the JWKS file");
                    file.modified = modified;
                    file.keys = keys;
                    self.verified.cache.clear();
                }
            }
            Err(e) => tracing::error!("keeping the previous JWKS keys: {e}"),
        }
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut validation = Validation::new(algorithm);
        validation.leeway = self.settings.leeway_seconds;
        validation.validate_nbf = true;
        // jsonwebtoken compares `iss` and `aud` only when the token has them; a configured
        // issuer or audience must also make them required, or a token minted for no
        // audience in particular (or by anyone holding a shared key) passes (RFC 7519
        // §4.1.1, §4.1.3; RFC 8725 §3.8, §3.9).
        let mut required = vec!["exp"];
        if !self.settings.issuers.is_empty() {
            validation.set_issuer(&self.settings.issuers);
            required.push("iss");
        }
        if !self.settings.audiences.is_empty() {
            validation.set_audience(&self.settings.audiences);
            required.push("aud");
        }
        validation.set_required_spec_claims(&required);
        validation
    }

    /// Verifies a bearer token.
    ///
    /// # Errors
    /// [`AuthError::Invalid`] naming the reason (never the token).
    pub fn verify(&self, token: &str) -> Result<Principal, AuthError> {
        // A key set read from a file may have changed: look first, so a removed key's
        // tokens are not answered from the cache.
        self.refresh_jwks();
        if let Some(principal) = self.verified.get(token) {
            return Ok(principal);
        }
        let invalid = |why: &str| AuthError::Invalid(format!("invalid bearer token: {why}"));
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| invalid("malformed or unsupported algorithm"))?;
        let fits = |k: &&JwtKey| {
            k.algorithm == header.alg
                && header
                    .kid
                    .as_deref()
                    .is_none_or(|kid| k.kid.as_deref() == Some(kid))
        };
        // The JWKS holds no HMAC keys, so HMAC tokens never touch it (or its file).
        let jwks = match &self.jwks {
            Some(jwks) if !is_hmac(header.alg) => jwks.read().ok(),
            _ => None,
        };
        let mut keys = self
            .static_keys
            .iter()
            .chain(jwks.iter().flat_map(|file| file.keys.iter()))
            .filter(fits)
            .peekable();
        if keys.peek().is_none() {
            return Err(invalid("no key for its algorithm and key id"));
        }
        let validation = self.validation(header.alg);
        let mut last = invalid("signature does not verify");
        for key in keys {
            match jsonwebtoken::decode::<Claims>(token, &key.key, &validation) {
                Ok(data) => {
                    let exp = data.claims.exp;
                    let principal = self.principal(data.claims)?;
                    self.verified.insert(token, &principal, exp);
                    return Ok(principal);
                }
                Err(e) => {
                    use jsonwebtoken::errors::ErrorKind;
                    last = match e.kind() {
                        ErrorKind::ExpiredSignature => invalid("expired"),
                        ErrorKind::ImmatureSignature => invalid("not valid yet"),
                        ErrorKind::InvalidAudience => invalid("wrong audience"),
                        ErrorKind::InvalidIssuer => invalid("wrong issuer"),
                        ErrorKind::InvalidSignature => invalid("signature does not verify"),
                        ErrorKind::MissingRequiredClaim(c) => {
                            invalid(&format!("missing claim {c}"))
                        }
                        _ => invalid("malformed"),
                    };
                    if !matches!(e.kind(), ErrorKind::InvalidSignature) {
                        return Err(last);
                    }
                }
            }
        }
        Err(last)
    }

    fn principal(&self, claims: Claims) -> Result<Principal, AuthError> {
        if claims.sub.trim().is_empty() {
            return Err(AuthError::Invalid(
                "invalid bearer token: empty subject".into(),
            ));
        }
        let clearance = match claims.clearance.as_deref() {
            Some(label) => Restriction::from_label(label).ok_or_else(|| {
                AuthError::Invalid(format!(
                    "invalid bearer token: unknown clearance \"{label}\""
                ))
            })?,
            None => self
                .settings
                .default_clearance
                .unwrap_or(Restriction::Public),
        };
        Ok(Principal {
            subject: claims.sub,
            display_name: claims.name,
            scopes: Scopes::parse(&claims.scope),
            clearance,
            method: AuthMethod::Bearer,
        })
    }
}

#[async_trait]
impl Authenticator for JwtAuthenticator {
    async fn authenticate(
        &self,
        credentials: &Credentials<'_>,
    ) -> Result<Option<Principal>, AuthError> {
        match credentials_for(credentials.authorization, "Bearer") {
            Some(token) => self.verify(token).map(Some),
            None => Ok(None),
        }
    }

    fn challenge(&self) -> Option<&'static str> {
        Some("Bearer realm=\"rolie\"")
    }
}

/// What a minted token grants.
#[derive(Debug, Clone)]
pub struct TokenRequest {
    /// `sub`.
    pub subject: String,
    /// Space-separated scopes.
    pub scope: String,
    /// `clearance` claim.
    pub clearance: Option<Restriction>,
    /// Lifetime.
    pub lifetime: time::Duration,
    /// `iss`, when the server checks it.
    pub issuer: Option<String>,
    /// `aud`, when the server checks it.
    pub audience: Option<String>,
}

/// Mints HS256 tokens with the server's own secret (`rolie token`, the first-run admin
/// token, tests).
#[derive(Clone)]
pub struct TokenIssuer {
    key: Arc<EncodingKey>,
}

impl TokenIssuer {
    /// An issuer signing with `secret`.
    pub fn hs256(secret: &[u8]) -> Self {
        TokenIssuer {
            key: Arc::new(EncodingKey::from_secret(secret)),
        }
    }

    /// Signs a token.
    ///
    /// # Errors
    /// A message if signing fails.
    pub fn mint(&self, request: &TokenRequest) -> Result<String, String> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let claims = Claims {
            sub: request.subject.clone(),
            exp: now + request.lifetime.whole_seconds(),
            nbf: None,
            iat: Some(now),
            scope: request.scope.clone(),
            clearance: request.clearance.map(|c| c.tlp().to_owned()),
            name: None,
            iss: request.issuer.clone(),
            aud: request.audience.clone(),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn request() -> TokenRequest {
        TokenRequest {
            subject: "alice".into(),
            scope: "rolie:read rolie:write:incidents".into(),
            clearance: Some(Restriction::NeedToKnow),
            lifetime: time::Duration::hours(1),
            issuer: None,
            audience: None,
        }
    }

    fn authenticator(settings: JwtSettings) -> JwtAuthenticator {
        JwtAuthenticator::new(vec![JwtKey::hs256(SECRET, None)], None, settings).unwrap()
    }

    /// A verified token is answered from the cache until it expires, and never after:
    /// the second and later checks of an expired token fail like the first would.
    #[test]
    fn a_cached_token_stops_at_its_expiry() {
        let authenticator = authenticator(JwtSettings {
            leeway_seconds: 0,
            ..JwtSettings::default()
        });
        let mut short = request();
        short.lifetime = time::Duration::seconds(1);
        let token = TokenIssuer::hs256(SECRET).mint(&short).unwrap();
        let first = authenticator.verify(&token).unwrap();
        assert_eq!(
            authenticator.verify(&token).unwrap(),
            first,
            "answered again"
        );
        std::thread::sleep(std::time::Duration::from_millis(2100));
        for _ in 0..2 {
            assert!(matches!(
                authenticator.verify(&token),
                Err(AuthError::Invalid(why)) if why.contains("expired")
            ));
        }
        // A token that never verified is not made valid by the cache of another.
        let dot = token.find('.').unwrap() + 2;
        let swap = if &token[dot..=dot] == "A" { "B" } else { "A" };
        let forged = format!("{}{swap}{}", &token[..dot], &token[dot + 1..]);
        assert!(authenticator.verify(&forged).is_err());
    }

    #[test]
    fn a_minted_token_verifies_into_its_principal() {
        let token = TokenIssuer::hs256(SECRET).mint(&request()).unwrap();
        let p = authenticator(JwtSettings::default())
            .verify(&token)
            .unwrap();
        assert_eq!(p.subject, "alice");
        assert_eq!(p.clearance, Restriction::NeedToKnow);
        assert!(p.scopes.read_all && p.scopes.may_write("incidents") && !p.scopes.may_write("x"));
        assert_eq!(p.method, AuthMethod::Bearer);
    }

    #[test]
    fn expired_tokens_are_refused() {
        let mut r = request();
        r.lifetime = time::Duration::hours(-2);
        let token = TokenIssuer::hs256(SECRET).mint(&r).unwrap();
        let err = authenticator(JwtSettings::default())
            .verify(&token)
            .unwrap_err();
        assert_eq!(
            err,
            AuthError::Invalid("invalid bearer token: expired".into())
        );
    }

    #[test]
    fn a_token_signed_with_another_secret_is_refused() {
        let token = TokenIssuer::hs256(b"another secret of the same length!!")
            .mint(&request())
            .unwrap();
        assert!(
            authenticator(JwtSettings::default())
                .verify(&token)
                .is_err()
        );
    }

    #[test]
    fn the_wrong_audience_is_refused() {
        let mut r = request();
        r.audience = Some("other-service".into());
        let token = TokenIssuer::hs256(SECRET).mint(&r).unwrap();
        let settings = JwtSettings {
            audiences: vec!["rolie".into()],
            ..JwtSettings::default()
        };
        let err = authenticator(settings).verify(&token).unwrap_err();
        assert_eq!(
            err,
            AuthError::Invalid("invalid bearer token: wrong audience".into())
        );
    }

    /// RFC 8725 §3.9: with audiences configured, a token that names none is refused.
    #[test]
    fn a_token_without_audience_is_refused_when_audiences_are_configured() {
        let token = TokenIssuer::hs256(SECRET).mint(&request()).unwrap();
        let settings = JwtSettings {
            audiences: vec!["rolie".into()],
            ..JwtSettings::default()
        };
        let err = authenticator(settings).verify(&token).unwrap_err();
        assert_eq!(
            err,
            AuthError::Invalid("invalid bearer token: missing claim aud".into())
        );
        let mut r = request();
        r.audience = Some("rolie".into());
        let token = TokenIssuer::hs256(SECRET).mint(&r).unwrap();
        let settings = JwtSettings {
            audiences: vec!["rolie".into()],
            ..JwtSettings::default()
        };
        assert!(authenticator(settings).verify(&token).is_ok());
    }

    /// RFC 8725 §3.8: with issuers configured, a token that names none is refused.
    #[test]
    fn a_token_without_issuer_is_refused_when_issuers_are_configured() {
        let token = TokenIssuer::hs256(SECRET).mint(&request()).unwrap();
        let settings = || JwtSettings {
            issuers: vec!["https://idp.example".into()],
            ..JwtSettings::default()
        };
        let err = authenticator(settings()).verify(&token).unwrap_err();
        assert_eq!(
            err,
            AuthError::Invalid("invalid bearer token: missing claim iss".into())
        );
        let mut r = request();
        r.issuer = Some("https://other.example".into());
        let token = TokenIssuer::hs256(SECRET).mint(&r).unwrap();
        assert_eq!(
            authenticator(settings()).verify(&token).unwrap_err(),
            AuthError::Invalid("invalid bearer token: wrong issuer".into())
        );
        r.issuer = Some("https://idp.example".into());
        let token = TokenIssuer::hs256(SECRET).mint(&r).unwrap();
        assert!(authenticator(settings()).verify(&token).is_ok());
    }

    /// Without configured issuers or audiences, tokens need neither.
    #[test]
    fn issuer_and_audience_are_optional_when_not_configured() {
        let token = TokenIssuer::hs256(SECRET).mint(&request()).unwrap();
        assert!(authenticator(JwtSettings::default()).verify(&token).is_ok());
    }

    #[test]
    fn alg_none_is_refused() {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let header = b64.encode(br#"{"alg":"none","typ":"JWT"}"#);
        let claims = b64.encode(br#"{"sub":"mallory","exp":9999999999,"scope":"rolie:admin"}"#);
        let token = format!("{header}.{claims}.");
        assert!(
            authenticator(JwtSettings::default())
                .verify(&token)
                .is_err()
        );
    }

    #[test]
    fn an_unknown_clearance_claim_is_refused() {
        let token = {
            let claims = serde_json::json!({"sub": "a", "exp": OffsetDateTime::now_utc().unix_timestamp() + 60, "clearance": "ultraviolet"});
            jsonwebtoken::encode(
                &Header::new(Algorithm::HS256),
                &claims,
                &EncodingKey::from_secret(SECRET),
            )
            .unwrap()
        };
        assert!(
            authenticator(JwtSettings::default())
                .verify(&token)
                .is_err()
        );
    }
}
