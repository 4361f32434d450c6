//! Start-up work shared by the commands: opening the store, the token secret, the default
//! collections, the authentication chain.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use rand::RngCore;
use rolie_authz::authenticate::{
    ClientCertAuthenticator, FeedTokenAuthenticator, JwtAuthenticator, JwtKey, JwtSettings,
    TokenIssuer, TokenRequest,
};
use rolie_authz::{Authenticator, AuthenticatorChain, Gate, PolicyAuthorizer};
use rolie_model::Restriction;
use rolie_model::vocabulary::{information_type, media_type};
use rolie_store::{CollectionName, CollectionSpec, Store, StoreError};
use rolie_store_postgres::{PgSettings, PgStore};
use rolie_store_sqlite::SqliteStore;

use crate::private_files;
use crate::settings::{MIN_HS256_SECRET_BYTES, Settings, TokenKeys};

/// Opens the configured store and applies migrations.
///
/// # Errors
/// When the database cannot be opened.
pub async fn open_store(settings: &Settings) -> Result<Arc<dyn Store>> {
    if settings.is_postgres() {
        let pg = PgSettings {
            max_connections: settings.postgres.max_connections.unwrap_or(16),
            statement_timeout: Duration::from_millis(
                settings.postgres.statement_timeout_ms.unwrap_or(10_000),
            ),
            acquire_timeout: Duration::from_millis(
                settings.postgres.acquire_timeout_ms.unwrap_or(3_000),
            ),
        };
        let store = PgStore::connect(&settings.database_url, &pg)
            .await
            .map_err(|e| anyhow!("ROLIE_DATABASE_URL: {e}"))?;
        return Ok(Arc::new(store));
    }
    if settings.embedded_database {
        create_data_dir(settings)?;
    }
    // Created owner-only before SQLite opens it: SQLite would create it with the umask's
    // mode, and gives the -wal and -shm files the mode of the database file.
    if let Some(path) = private_files::sqlite_file(&settings.database_url) {
        private_files::create_file(&path)
            .with_context(|| format!("ROLIE_DATABASE_URL: cannot create {}", path.display()))?;
    }
    let store = SqliteStore::open(&settings.database_url)
        .await
        .map_err(|e| anyhow!("ROLIE_DATABASE_URL: {e}"))?;
    Ok(Arc::new(store))
}

/// Creates the data directory, owner-only, unless it exists.
fn create_data_dir(settings: &Settings) -> Result<()> {
    private_files::create_dir(&settings.data_dir).with_context(|| {
        format!(
            "ROLIE_DATA_DIR: cannot create {}",
            settings.data_dir.display()
        )
    })
}

/// A bearer token signed with `secret`, for the first configured issuer and audience (so
/// this server accepts it).
///
/// # Errors
/// When signing fails.
pub fn mint(
    settings: &Settings,
    secret: &[u8],
    subject: String,
    scope: String,
    clearance: Restriction,
    lifetime: time::Duration,
) -> Result<String> {
    TokenIssuer::hs256(secret)
        .mint(&TokenRequest {
            subject,
            scope,
            clearance: Some(clearance),
            lifetime,
            issuer: settings.jwt.issuers.first().cloned(),
            audience: settings.jwt.audiences.first().cloned(),
        })
        .map_err(|e| anyhow!("signing the token: {e}"))
}

/// The HS256 secret bearer tokens are verified with (and `rolie token` signs with).
pub struct Hs256Secret {
    /// The secret.
    pub bytes: Vec<u8>,
    /// Whether it is the development secret generated in the data directory.
    pub development: bool,
}

/// Name of the development secret's file in the data directory.
pub const DEVELOPMENT_SECRET_FILE: &str = "jwt-secret";

/// The HS256 secret: the configured one; in development mode the one generated in the data
/// directory (created on first use); `None` when only public keys or a JWKS file are
/// configured, so that configuring them never brings an HS256 key along.
///
/// # Errors
/// Outside development mode with no key configured ([`Settings::token_keys`]); when the
/// development secret cannot be read or written, or is too short.
pub fn hs256_secret(settings: &Settings) -> Result<Option<Hs256Secret>> {
    if let Some(secret) = &settings.hs256_secret {
        return Ok(Some(Hs256Secret {
            bytes: secret.expose().as_bytes().to_vec(),
            development: false,
        }));
    }
    match settings.token_keys()? {
        TokenKeys::Configured => Ok(None),
        TokenKeys::Development => development_secret(settings).map(Some),
    }
}

fn development_secret(settings: &Settings) -> Result<Hs256Secret> {
    let path = settings.data_dir.join(DEVELOPMENT_SECRET_FILE);
    match std::fs::read_to_string(&path) {
        Ok(existing) => {
            let secret = existing.trim();
            if secret.len() < MIN_HS256_SECRET_BYTES {
                bail!(
                    "{}: the development secret is {} bytes, shorter than {MIN_HS256_SECRET_BYTES}; \
                     delete the file to have a new one generated",
                    path.display(),
                    secret.len()
                );
            }
            return Ok(Hs256Secret {
                bytes: secret.as_bytes().to_vec(),
                development: true,
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    }
    create_data_dir(settings)?;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = hex::encode(bytes);
    write_private(&path, &secret)?;
    Ok(Hs256Secret {
        bytes: secret.into_bytes(),
        development: true,
    })
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut file = private_files::create_file(path)
        .and_then(|file| {
            file.ok_or_else(|| std::io::Error::from(std::io::ErrorKind::AlreadyExists))
        })
        .with_context(|| format!("cannot create {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    Ok(())
}

/// The collections a fresh server starts with (R-CSIRT-TYPE-a).
pub fn default_collections() -> Vec<CollectionSpec> {
    let accept = vec![
        media_type::ATOM_ENTRY.to_owned(),
        media_type::XML.to_owned(),
        media_type::JSON.to_owned(),
    ];
    let spec = |name: &str, title: &str, kind: &str| CollectionSpec {
        name: CollectionName::parse(name).expect("valid built-in name"),
        title: title.to_owned(),
        information_type: kind.to_owned(),
        workspace: "Incident handling".to_owned(),
        accept: accept.clone(),
        max_restriction: Restriction::Private,
        public: false,
    };
    vec![
        spec("incidents", "Incident reports", information_type::INCIDENT),
        spec(
            "indicators",
            "Indicators of compromise",
            information_type::INDICATOR,
        ),
    ]
}

/// What start-up did to the collections.
#[derive(Debug, Default)]
pub struct Reconciled {
    /// Collections created.
    pub created: Vec<String>,
    /// Collections changed to match the configuration, each with what changed.
    pub updated: Vec<String>,
}

/// The fields in which `wanted` differs from `current`, for people.
fn differences(current: &CollectionSpec, wanted: &CollectionSpec) -> Vec<String> {
    let mut changed = Vec::new();
    let mut field = |name: &str, from: String, to: String| {
        if from != to {
            changed.push(format!("{name} {from:?} -> {to:?}"));
        }
    };
    field("title", current.title.clone(), wanted.title.clone());
    field(
        "information_type",
        current.information_type.clone(),
        wanted.information_type.clone(),
    );
    field(
        "workspace",
        current.workspace.clone(),
        wanted.workspace.clone(),
    );
    field("accept", current.accept.join(","), wanted.accept.join(","));
    field(
        "max_restriction",
        current.max_restriction.term().to_owned(),
        wanted.max_restriction.term().to_owned(),
    );
    field(
        "public",
        current.public.to_string(),
        wanted.public.to_string(),
    );
    changed
}

/// Makes the database hold the configured collections: creates those missing and updates
/// those whose settings differ (never deletes one). With no collections configured, a fresh
/// database gets the defaults and an existing one is left alone. A configuration the
/// database cannot take (changing the information type of a collection with entries) stops
/// start-up, naming the difference, instead of serving something else than configured.
///
/// # Errors
/// On store failures and refused updates.
pub async fn ensure_collections(store: &dyn Store, settings: &Settings) -> Result<Reconciled> {
    let existing = store
        .list_collections()
        .await
        .map_err(|e| anyhow!("listing collections: {e}"))?;
    let wanted = if settings.collections.is_empty() {
        if !existing.is_empty() {
            return Ok(Reconciled::default());
        }
        default_collections()
    } else {
        settings.collections.clone()
    };
    let mut done = Reconciled::default();
    for spec in wanted {
        match existing.iter().find(|c| c.spec.name == spec.name) {
            None => match store.create_collection(&spec).await {
                Ok(_) => done.created.push(spec.name.to_string()),
                // Another replica starting at the same time created it.
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(anyhow!("creating collection {}: {e}", spec.name)),
            },
            Some(current) if current.spec == spec => {}
            Some(current) => {
                let changed = differences(&current.spec, &spec).join(", ");
                store.update_collection(&spec).await.map_err(|e| {
                    anyhow!(
                        "collection {}: the configuration changes {changed}, which the database refuses: {e}",
                        spec.name
                    )
                })?;
                done.updated.push(format!("{} ({changed})", spec.name));
            }
        }
    }
    Ok(done)
}

/// The authentication chain: bearer tokens, client certificates, feed-reader tokens.
/// Bearer tokens are verified with `secret` (if any) and the configured public keys.
///
/// # Errors
/// When a key file cannot be read.
pub fn authenticators(
    settings: &Settings,
    secret: Option<&Hs256Secret>,
    store: Arc<dyn Store>,
) -> Result<AuthenticatorChain> {
    let mut keys: Vec<JwtKey> = secret
        .map(|s| JwtKey::hs256(&s.bytes, None))
        .into_iter()
        .collect();
    for key in &settings.jwt.public_keys {
        let algorithm = key
            .algorithm
            .parse::<jsonwebtoken::Algorithm>()
            .map_err(|_| anyhow!("jwt.public_keys: unknown algorithm {}", key.algorithm))?;
        let pem = std::fs::read(&key.path)
            .with_context(|| format!("jwt.public_keys: cannot read {}", key.path.display()))?;
        keys.push(
            JwtKey::from_pem(algorithm, &pem, key.kid.clone())
                .map_err(|e| anyhow!("jwt.public_keys {}: {e}", key.path.display()))?,
        );
    }
    let jwt = JwtAuthenticator::new(
        keys,
        settings.jwt.jwks_file.clone(),
        JwtSettings {
            issuers: settings.jwt.issuers.clone(),
            audiences: settings.jwt.audiences.clone(),
            leeway_seconds: settings.jwt.leeway_seconds,
            default_clearance: Some(settings.policy.default_clearance),
        },
    )
    .map_err(|e| anyhow!("jwt.jwks_file: {e}"))?;
    let mut chain: Vec<Arc<dyn Authenticator>> = vec![Arc::new(jwt)];
    if !settings.client_certificates.is_empty() {
        chain.push(Arc::new(ClientCertAuthenticator::new(
            settings.client_certificates.clone(),
        )));
    }
    chain.push(Arc::new(FeedTokenAuthenticator::new(store)));
    Ok(AuthenticatorChain::new(chain))
}

/// The gate with the configured policy.
pub fn gate(settings: &Settings, store: Arc<dyn Store>) -> Gate {
    Gate::new(
        store,
        Arc::new(PolicyAuthorizer::new(settings.policy.clone())),
    )
}
