//! The one typed configuration: defaults < TOML file < `ROLIE_*` environment < flags.
//! Everything is checked here, at start, and a bad value fails with the key named.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};
use bytesize::ByteSize;
use figment::Figment;
use figment::providers::{Env, Serialized};
use rolie_authz::PolicyConfig;
use rolie_authz::authenticate::CertificateMapping;
use rolie_model::Restriction;
use rolie_server::config;
use rolie_store::CollectionSpec;
use serde::Deserialize;

use crate::cli::SettingArgs;

/// Log output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable (development).
    Pretty,
    /// One JSON object per line (production).
    Json,
}

/// A secret from the configuration: its `Debug` is `"***"` and it has no `Display`, so no
/// log line or error message can print it. (A newtype, not the `secrecy` crate: the key
/// lives for the whole process, so zeroizing it on drop buys nothing here.)
#[derive(Clone, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("\"***\"")
    }
}

/// `[tls]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSection {
    /// Certificate chain (PEM).
    pub cert: Option<PathBuf>,
    /// Private key (PEM).
    pub key: Option<PathBuf>,
    /// CA for client certificates (PEM).
    pub client_ca: Option<PathBuf>,
}

/// A public key for bearer tokens.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicKey {
    /// PEM file.
    pub path: PathBuf,
    /// RS256, ES256 or EdDSA.
    pub algorithm: String,
    /// Key id the tokens name.
    pub kid: Option<String>,
}

/// `[jwt]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSection {
    /// HS256 secret.
    pub hs256_secret: Option<Secret>,
    /// File holding the HS256 secret.
    pub hs256_secret_file: Option<PathBuf>,
    /// Public keys (RS256/ES256/EdDSA).
    #[serde(default)]
    pub public_keys: Vec<PublicKey>,
    /// Local JWKS file, reloaded when it changes.
    pub jwks_file: Option<PathBuf>,
    /// Accepted issuers.
    #[serde(default)]
    pub issuers: Vec<String>,
    /// Accepted audiences.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Clock skew tolerated, seconds.
    #[serde(default)]
    pub leeway_seconds: u64,
}

/// `[postgres]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostgresSection {
    /// Pool size.
    pub max_connections: Option<u32>,
    /// Statement timeout, milliseconds.
    pub statement_timeout_ms: Option<u64>,
    /// Wait for a connection, milliseconds.
    pub acquire_timeout_ms: Option<u64>,
}

/// `[restriction]`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RestrictionSection {
    /// Level of `restriction="default"` (RFC 7970 §3.3.1) [default: private].
    pub default: Option<Restriction>,
    /// Levels of `ext-restriction` values.
    #[serde(default)]
    pub extensions: BTreeMap<String, Restriction>,
}

/// `[rate_limits]`: per principal, and per collection under `collections.<name>`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSection {
    /// Requests per minute per principal.
    pub per_minute: Option<u32>,
    /// Burst per principal.
    pub burst: Option<u32>,
    /// Feed reads and writes per principal, by collection.
    #[serde(default)]
    pub collections: BTreeMap<String, rolie_server::rate_limit::RateLimit>,
    /// Unauthenticated requests per address (default 600 a minute, burst 120).
    pub anonymous: Option<rolie_server::rate_limit::RateLimit>,
}

/// The TOML file.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    listen: Option<String>,
    base_url: Option<String>,
    database_url: Option<Secret>,
    database_url_file: Option<PathBuf>,
    data_dir: Option<PathBuf>,
    allow_plain_http: Option<bool>,
    behind_tls_proxy: Option<bool>,
    organization: Option<String>,
    max_body_bytes: Option<ByteSize>,
    page_size: Option<u32>,
    max_page_size: Option<u32>,
    require_if_match: Option<bool>,
    log_format: Option<LogFormat>,
    request_timeout_seconds: Option<u64>,
    max_connections: Option<usize>,
    max_connections_per_address: Option<usize>,
    header_timeout_seconds: Option<u64>,
    idle_timeout_seconds: Option<u64>,
    max_concurrent_requests: Option<usize>,
    render_cache_bytes: Option<ByteSize>,
    render_cache_entries: Option<u64>,
    change_log_retention_days: Option<u64>,
    head_tombstone_days: Option<u64>,
    shutdown_grace_seconds: Option<u64>,
    access_log: Option<bool>,
    trusted_proxies: Option<Vec<String>>,
    #[serde(default)]
    tls: TlsSection,
    #[serde(default)]
    jwt: JwtSection,
    #[serde(default)]
    client_certificates: Vec<CertificateMapping>,
    #[serde(default)]
    policy: Option<PolicyConfig>,
    #[serde(default)]
    postgres: PostgresSection,
    #[serde(default)]
    restriction: RestrictionSection,
    #[serde(default)]
    collections: Vec<CollectionSpec>,
    #[serde(default)]
    rate_limits: RateLimitSection,
}

/// The trusted proxies: `--trusted-proxies`/`ROLIE_TRUSTED_PROXIES` (comma-separated), else
/// the file's `trusted_proxies`; addresses or CIDR ranges.
fn trusted_proxies(flag: Option<&str>, file: Option<Vec<String>>) -> Result<Vec<ipnet::IpNet>> {
    let (key, items): (&str, Vec<String>) = match flag {
        Some(list) => (
            "ROLIE_TRUSTED_PROXIES",
            list.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
        ),
        None => ("trusted_proxies", file.unwrap_or_default()),
    };
    items
        .iter()
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| anyhow!("{key}: {item:?} is not an IP address or CIDR range"))
        })
        .collect()
}

/// Top-level keys of the file that have no flag (and so no variable) of their own. Keys
/// with a flag are read from the environment through it (`ROLIE_LISTEN` for `listen`).
const KEYS_WITHOUT_FLAGS: &[&str] = &[
    "page_size",
    "max_page_size",
    "require_if_match",
    "request_timeout_seconds",
    "max_connections",
    "header_timeout_seconds",
    "idle_timeout_seconds",
    "max_concurrent_requests",
    "render_cache_bytes",
    "render_cache_entries",
    "change_log_retention_days",
    "head_tombstone_days",
    "shutdown_grace_seconds",
];

/// The variables that address keys of the file, so that every setting can come from the
/// environment (containers, systemd units): `ROLIE_SECTION__KEY` for a key of a section,
/// `__` between levels at any depth (`ROLIE_POLICY__DEFAULT_CLEARANCE=green`,
/// `ROLIE_RATE_LIMITS__COLLECTIONS__INCIDENTS__PER_MINUTE=600`), and `ROLIE_KEY` for the
/// top-level keys of [`KEYS_WITHOUT_FLAGS`]. Values are read as TOML-like literals (numbers,
/// booleans, `[arrays]`, `{tables}`), else as strings. A variable naming no key is an error,
/// as a misspelt key in the file is.
fn environment() -> Env {
    Env::prefixed("ROLIE_")
        .filter(|key| {
            key.as_str().contains("__")
                || KEYS_WITHOUT_FLAGS
                    .iter()
                    .any(|k| key.as_str().eq_ignore_ascii_case(k))
        })
        .split("__")
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address.
    pub listen: SocketAddr,
    /// Public base URL, no trailing slash.
    pub base_url: String,
    /// Database URL.
    pub database_url: String,
    /// Whether the database is the embedded default (SQLite in the data directory).
    pub embedded_database: bool,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Plain HTTP on a non-loopback address is allowed.
    pub allow_plain_http: bool,
    /// Requests arrive through a TLS-terminating proxy.
    pub behind_tls_proxy: bool,
    /// Feed author.
    pub organization: String,
    /// Body limit.
    pub max_body_bytes: usize,
    /// Default page size.
    pub page_size: u32,
    /// Page size cap.
    pub max_page_size: u32,
    /// If-Match required on writes.
    pub require_if_match: bool,
    /// Log format.
    pub log_format: LogFormat,
    /// Request timeout.
    pub request_timeout: Duration,
    /// Connection cap.
    pub max_connections: usize,
    /// Connection cap per client IP address.
    pub max_connections_per_address: usize,
    /// Longest wait for a request head, from the accept for the first one.
    pub header_timeout: Duration,
    /// Longest time a connection stays open with no request in flight.
    pub idle_timeout: Duration,
    /// Bytes of rendered representations kept for reuse.
    pub render_cache_bytes: u64,
    /// Rendered representations kept for reuse, at most.
    pub render_cache_entries: u64,
    /// How long the change log keeps a change for sync (`None`: forever).
    pub change_log_retention: Option<Duration>,
    /// How far back a feed's head page shows tombstones (`None`: none).
    pub head_tombstone_window: Option<Duration>,
    /// How long open requests may run on after a shutdown signal.
    pub shutdown_grace: Duration,
    /// In-flight request cap.
    pub max_concurrent_requests: usize,
    /// One access-log line per request.
    pub access_log: bool,
    /// Proxies whose forwarding headers name the client.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// TLS.
    pub tls: TlsSection,
    /// Bearer tokens.
    pub jwt: JwtSection,
    /// HS256 secret given by configuration (None: only public keys or a JWKS file, or
    /// development mode; see [`Settings::token_keys`]).
    pub hs256_secret: Option<Secret>,
    /// Client certificate table.
    pub client_certificates: Vec<CertificateMapping>,
    /// Policy.
    pub policy: PolicyConfig,
    /// PostgreSQL pool.
    pub postgres: PostgresSection,
    /// Restriction policy.
    pub restriction: RestrictionSection,
    /// Collections to create when missing.
    pub collections: Vec<CollectionSpec>,
    /// Rate limits.
    pub rate_limits: RateLimitSection,
    /// Digest of the settings that shape what callers see.
    pub fingerprint: String,
}

fn is_loopback(address: &SocketAddr) -> bool {
    address.ip().is_loopback()
}

/// Seconds open requests may run on after a shutdown signal: below the 10 s a container
/// runtime waits by default (`docker stop`, Compose) before it kills the process, so a
/// drained shutdown finishes before the kill.
pub const DEFAULT_SHUTDOWN_GRACE_SECONDS: u64 = 8;

/// Shortest HS256 secret accepted, in bytes: RFC 7518 §3.2 wants a key at least as long as
/// the hash output (256 bits), and a short secret can be guessed offline from any token.
pub const MIN_HS256_SECRET_BYTES: usize = 32;

/// Where the keys that verify bearer tokens come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKeys {
    /// An HS256 secret, public keys or a JWKS file are configured; nothing else is added.
    Configured,
    /// Development mode: plain HTTP on a loopback address and no key configured. An HS256
    /// secret is generated in the data directory and `rolie serve` prints an administrator
    /// token signed with it.
    Development,
}

impl Settings {
    /// Reads the file named by `--config`/`ROLIE_CONFIG` (if any), lays the `ROLIE_*`
    /// variables that address its keys over it ([`environment`]), then applies the flags.
    ///
    /// # Errors
    /// A message naming the setting that is wrong.
    pub fn load(args: &SettingArgs) -> Result<Self> {
        let mut layers = Figment::new();
        let mut file = FileConfig::default();
        if let Some(path) = &args.config {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("ROLIE_CONFIG: cannot read {}", path.display()))?;
            // The file on its own first, so that its mistakes are reported with their line.
            file = toml::from_str::<FileConfig>(&text)
                .map_err(|e| anyhow!("ROLIE_CONFIG {}: {e}", path.display()))?;
            let table: toml::Table = toml::from_str(&text)
                .map_err(|e| anyhow!("ROLIE_CONFIG {}: {e}", path.display()))?;
            layers = layers.merge(Serialized::defaults(table));
        }
        let variables = environment();
        if variables.iter().next().is_some() {
            file = layers.merge(variables).extract().map_err(|e| {
                anyhow!("ROLIE_* variables (ROLIE_SECTION__KEY for a key of a section): {e}")
            })?;
        }
        Self::resolve(file, args)
    }

    /// Layers `args` over `file` over the defaults and validates the result.
    ///
    /// # Errors
    /// A message naming the setting that is wrong.
    pub fn resolve(file: FileConfig, args: &SettingArgs) -> Result<Self> {
        let listen_text = args
            .listen
            .clone()
            .or(file.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".to_owned());
        let listen: SocketAddr = listen_text
            .parse()
            .map_err(|_| anyhow!("ROLIE_LISTEN (--listen, listen): \"{listen_text}\" is not an address such as 127.0.0.1:8080"))?;
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("rolie-data"));
        // A URL with a password is a secret: it may come from a file (`*_FILE`), and the
        // command line and environment come before the configuration file.
        let database = match (
            &args.database_url,
            &args.database_url_file,
            &file.database_url,
            &file.database_url_file,
        ) {
            (Some(url), _, _, _) => Some(url.clone()),
            (None, Some(path), _, _) => Some(non_empty(
                read_secret(path, "ROLIE_DATABASE_URL_FILE (--database-url-file)")?,
                "ROLIE_DATABASE_URL_FILE (--database-url-file)",
            )?),
            (None, None, Some(url), _) => Some(url.expose().to_owned()),
            (None, None, None, Some(path)) => Some(non_empty(
                read_secret(path, "database_url_file")?,
                "database_url_file",
            )?),
            (None, None, None, None) => None,
        };
        let embedded_database = database.is_none();
        let database_url = match database {
            Some(url) => url,
            None => format!("sqlite://{}", data_dir.join("rolie.db").display()),
        };
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!(
                "ROLIE_DATABASE_URL (--database-url, database_url): must start with sqlite:// or postgres://"
            );
        }
        let mut tls = file.tls;
        tls.cert = args.tls_cert.clone().or(tls.cert);
        tls.key = args.tls_key.clone().or(tls.key);
        tls.client_ca = args.tls_client_ca.clone().or(tls.client_ca);
        match (&tls.cert, &tls.key) {
            (Some(_), None) | (None, Some(_)) => {
                bail!("ROLIE_TLS_CERT and ROLIE_TLS_KEY (tls.cert, tls.key): give both or neither")
            }
            _ => {}
        }
        if tls.client_ca.is_some() && tls.cert.is_none() {
            bail!(
                "ROLIE_TLS_CLIENT_CA (tls.client_ca): client certificates need TLS; set ROLIE_TLS_CERT and ROLIE_TLS_KEY"
            );
        }
        let allow_plain_http = match &args.allow_plain_http {
            Some(v) => *v,
            None => file.allow_plain_http.unwrap_or(false),
        };
        if tls.cert.is_none() && !is_loopback(&listen) && !allow_plain_http {
            bail!(
                "ROLIE_LISTEN (--listen): refusing plain HTTP on {listen}, which is not a loopback address; \
                 configure TLS (ROLIE_TLS_CERT, ROLIE_TLS_KEY) or pass --allow-plain-http behind a TLS-terminating proxy"
            );
        }
        let scheme = if tls.cert.is_some() { "https" } else { "http" };
        let base_url = args
            .base_url
            .clone()
            .or(file.base_url)
            .unwrap_or_else(|| format!("{scheme}://{listen}"))
            .trim_end_matches('/')
            .to_owned();
        if !(base_url.starts_with("http://") || base_url.starts_with("https://"))
            || base_url.contains(char::is_whitespace)
        {
            bail!("ROLIE_BASE_URL (--base-url, base_url): \"{base_url}\" is not an http(s) URL");
        }
        let log_format = args
            .log_format
            .or(file.log_format)
            .unwrap_or(LogFormat::Pretty);
        let max_body_bytes = match &args.max_body_bytes {
            Some(v) => v.trim().parse::<ByteSize>().map_err(|_| {
                anyhow!(
                    "ROLIE_MAX_BODY_BYTES (--max-body-bytes): \"{v}\" is not a size such as 4MiB, 512KiB or 1048576"
                )
            })?,
            None => file
                .max_body_bytes
                .unwrap_or(ByteSize::b(config::DEFAULT_MAX_BODY_BYTES as u64)),
        };
        let max_body_bytes = usize::try_from(max_body_bytes.as_u64()).unwrap_or(usize::MAX);
        if !(1024..=256 * 1024 * 1024).contains(&max_body_bytes) {
            bail!(
                "ROLIE_MAX_BODY_BYTES (max_body_bytes): {max_body_bytes} is outside 1 KiB .. 256 MiB"
            );
        }
        let defaults = rolie_server::ServeOptions::default();
        let max_connections = file
            .max_connections
            .unwrap_or(defaults.max_connections)
            .max(1);
        let max_page_size = file.max_page_size.unwrap_or(rolie_store::MAX_PAGE_SIZE);
        if !(1..=rolie_store::MAX_PAGE_SIZE).contains(&max_page_size) {
            bail!("max_page_size: must be 1 .. {}", rolie_store::MAX_PAGE_SIZE);
        }
        let page_size = file.page_size.unwrap_or(rolie_store::DEFAULT_PAGE_SIZE);
        if !(1..=max_page_size).contains(&page_size) {
            bail!("page_size: must be 1 .. max_page_size ({max_page_size})");
        }
        let jwt = file.jwt;
        // The command line and environment first, then the file; a secret before a file.
        // Each source is named in messages as the operator wrote it.
        let hs256_secret = match (
            &args.jwt_hs256_secret,
            &args.jwt_hs256_secret_file,
            &jwt.hs256_secret,
            &jwt.hs256_secret_file,
        ) {
            (Some(s), _, _, _) => Some(checked_secret(
                s.clone(),
                "ROLIE_JWT_HS256_SECRET (--jwt-hs256-secret)",
            )?),
            (None, Some(path), _, _) => Some(checked_secret(
                read_secret(
                    path,
                    "ROLIE_JWT_HS256_SECRET_FILE (--jwt-hs256-secret-file)",
                )?,
                &format!(
                    "ROLIE_JWT_HS256_SECRET_FILE (--jwt-hs256-secret-file) {}",
                    path.display()
                ),
            )?),
            (None, None, Some(s), _) => {
                Some(checked_secret(s.expose().to_owned(), "jwt.hs256_secret")?)
            }
            (None, None, None, Some(path)) => Some(checked_secret(
                read_secret(path, "jwt.hs256_secret_file")?,
                &format!("jwt.hs256_secret_file {}", path.display()),
            )?),
            (None, None, None, None) => None,
        };
        let organization = args
            .organization
            .clone()
            .or(file.organization)
            .unwrap_or_else(|| config::DEFAULT_ORGANIZATION.to_owned());
        let policy = file.policy.unwrap_or_default();
        for collection in &file.collections {
            collection
                .validate()
                .map_err(|e| anyhow::anyhow!("[[collections]]: {e}"))?;
        }
        if file.rate_limits.per_minute.is_some() != file.rate_limits.burst.is_some() {
            bail!("rate_limits: give per_minute and burst together");
        }
        if file.rate_limits.per_minute == Some(0)
            || file
                .rate_limits
                .collections
                .values()
                .any(|l| l.per_minute == 0 || l.burst == 0)
        {
            bail!("rate_limits: per_minute and burst must be at least 1");
        }
        let fingerprint = format!(
            "{:?}|{:?}|{:?}",
            policy, file.client_certificates, file.restriction.default
        );
        let fingerprint = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            fingerprint.as_bytes(),
        ));
        Ok(Settings {
            listen,
            base_url,
            database_url,
            embedded_database,
            data_dir,
            allow_plain_http,
            behind_tls_proxy: args
                .behind_tls_proxy
                .or(file.behind_tls_proxy)
                .unwrap_or(false),
            organization,
            max_body_bytes,
            page_size,
            max_page_size,
            require_if_match: file.require_if_match.unwrap_or(false),
            log_format,
            request_timeout: Duration::from_secs(
                file.request_timeout_seconds
                    .unwrap_or(config::DEFAULT_REQUEST_TIMEOUT_SECONDS)
                    .clamp(1, 3600),
            ),
            max_connections,
            max_connections_per_address: args
                .max_connections_per_address
                .or(file.max_connections_per_address)
                .unwrap_or(defaults.max_connections_per_address)
                .clamp(1, max_connections),
            header_timeout: Duration::from_secs(
                file.header_timeout_seconds
                    .unwrap_or(defaults.header_read_timeout.as_secs())
                    .clamp(1, 3600),
            ),
            render_cache_bytes: file
                .render_cache_bytes
                .map_or(rolie_server::config::DEFAULT_RENDER_CACHE_BYTES, |size| {
                    size.as_u64()
                }),
            head_tombstone_window: match file
                .head_tombstone_days
                .unwrap_or(rolie_server::config::DEFAULT_HEAD_TOMBSTONE_DAYS)
            {
                0 => None,
                days => Some(Duration::from_secs(days.saturating_mul(86_400))),
            },
            shutdown_grace: Duration::from_secs(
                file.shutdown_grace_seconds
                    .unwrap_or(DEFAULT_SHUTDOWN_GRACE_SECONDS)
                    .clamp(1, 3600),
            ),
            render_cache_entries: file
                .render_cache_entries
                .unwrap_or(rolie_server::config::DEFAULT_RENDER_CACHE_ENTRIES),
            change_log_retention: match file
                .change_log_retention_days
                .unwrap_or(rolie_server::config::DEFAULT_CHANGE_LOG_RETENTION_DAYS)
            {
                0 => None,
                days => Some(Duration::from_secs(days.saturating_mul(86_400))),
            },
            idle_timeout: Duration::from_secs(
                file.idle_timeout_seconds
                    .unwrap_or(defaults.idle_timeout.as_secs())
                    .clamp(1, 86400),
            ),
            max_concurrent_requests: file
                .max_concurrent_requests
                .unwrap_or(config::DEFAULT_MAX_CONCURRENT_REQUESTS)
                .max(1),
            access_log: args.access_log.or(file.access_log).unwrap_or(true),
            trusted_proxies: trusted_proxies(
                args.trusted_proxies.as_deref(),
                file.trusted_proxies,
            )?,
            tls,
            jwt,
            hs256_secret,
            client_certificates: file.client_certificates,
            policy,
            postgres: file.postgres,
            restriction: file.restriction,
            collections: file.collections,
            rate_limits: file.rate_limits,
            fingerprint,
        })
    }

    /// Where bearer-token keys come from: configured, or generated because this is
    /// development mode.
    ///
    /// Development mode is plain HTTP (no TLS, no TLS-terminating proxy) on a loopback
    /// address with no HS256 secret, public key or JWKS file configured: the README's first
    /// command. A configured public key or JWKS file never brings an HS256 key with it.
    ///
    /// # Errors
    /// Outside development mode with no key configured, naming the settings to set: a
    /// reachable server must not sign its own administrator tokens with a secret lying in
    /// its data directory.
    pub fn token_keys(&self) -> Result<TokenKeys> {
        if self.hs256_secret.is_some()
            || !self.jwt.public_keys.is_empty()
            || self.jwt.jwks_file.is_some()
        {
            return Ok(TokenKeys::Configured);
        }
        let why = if !is_loopback(&self.listen) {
            format!(
                "it listens on {}, which is not a loopback address",
                self.listen
            )
        } else if self.tls.cert.is_some() {
            "it serves TLS".to_owned()
        } else if self.behind_tls_proxy {
            "it runs behind a TLS-terminating proxy".to_owned()
        } else {
            return Ok(TokenKeys::Development);
        };
        bail!(
            "no key to verify bearer tokens: a development secret is only generated for plain \
             HTTP on a loopback address, and {why}. Set ROLIE_JWT_HS256_SECRET or \
             ROLIE_JWT_HS256_SECRET_FILE (jwt.hs256_secret, jwt.hs256_secret_file; at least \
             {MIN_HS256_SECRET_BYTES} bytes), or jwt.public_keys or jwt.jwks_file"
        )
    }

    /// Whether the database is PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres")
    }

    /// The restriction policy.
    pub fn restriction_policy(&self) -> rolie_model::RestrictionPolicy {
        rolie_model::RestrictionPolicy {
            default_level: self.restriction.default.unwrap_or(Restriction::Private),
            extensions: self.restriction.extensions.clone(),
        }
    }
}

/// The secret in the file at `path` (surrounding whitespace, such as a final newline, is not
/// part of it); `key` names the setting in messages.
/// `value` unless it is empty (an empty file or variable is a mistake, never a default).
fn non_empty(value: String, source: &str) -> Result<String> {
    if value.is_empty() {
        bail!("{source}: empty");
    }
    Ok(value)
}

fn read_secret(path: &Path, key: &str) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("{key}: cannot read {}", path.display()))?;
    Ok(text.trim().to_owned())
}

/// `secret` if it is long enough; otherwise an error naming `source`, the setting it came
/// from (an empty variable or file is a mistake, not a request for development mode).
fn checked_secret(secret: String, source: &str) -> Result<Secret> {
    match secret.len() {
        0 => bail!("{source}: the HS256 secret is empty"),
        n if n < MIN_HS256_SECRET_BYTES => bail!(
            "{source}: the HS256 secret is {n} bytes; it must be at least \
             {MIN_HS256_SECRET_BYTES} (for example, openssl rand -hex 32)"
        ),
        _ => Ok(Secret(secret)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of a struct's fields: the destructuring stops compiling when a field is
    /// added and not listed, so a new setting cannot be left out of the example.
    macro_rules! fields {
        ($($ty:ident)::+ { $($field:ident),* $(,)? }) => {{
            #[allow(unused_variables)]
            let $($ty)::+ { $($field),* } = $($ty)::+::default();
            [$(stringify!($field)),*]
        }};
    }

    #[test]
    fn the_example_configuration_names_every_key_and_loads() {
        let text = include_str!("../../../rolie.example.toml");
        let file: FileConfig = toml::from_str(text).expect("the example parses");
        let settings = Settings::resolve(file, &args()).expect("the example is valid");
        assert_eq!(
            settings.collections,
            crate::bootstrap::default_collections(),
            "the example's collections are the built-in ones"
        );
        let named = |key: &str| {
            text.lines().any(|line| {
                let line = line.trim_start_matches('#').trim();
                line.starts_with(&format!("{key} ="))
                    || line.starts_with(&format!("[{key}"))
                    || line.starts_with(&format!("[[{key}"))
                    || line.contains(&format!(".{key}]"))
            })
        };
        let keys = fields!(FileConfig {
            listen,
            base_url,
            database_url,
            database_url_file,
            data_dir,
            allow_plain_http,
            behind_tls_proxy,
            organization,
            max_body_bytes,
            page_size,
            max_page_size,
            require_if_match,
            log_format,
            request_timeout_seconds,
            max_connections,
            max_connections_per_address,
            header_timeout_seconds,
            idle_timeout_seconds,
            max_concurrent_requests,
            render_cache_bytes,
            render_cache_entries,
            change_log_retention_days,
            head_tombstone_days,
            shutdown_grace_seconds,
            access_log,
            trusted_proxies,
            tls,
            jwt,
            client_certificates,
            policy,
            postgres,
            restriction,
            collections,
            rate_limits,
        })
        .into_iter()
        .chain(fields!(TlsSection {
            cert,
            key,
            client_ca
        }))
        .chain(fields!(JwtSection {
            hs256_secret,
            hs256_secret_file,
            public_keys,
            jwks_file,
            issuers,
            audiences,
            leeway_seconds,
        }))
        .chain(fields!(PostgresSection {
            max_connections,
            statement_timeout_ms,
            acquire_timeout_ms,
        }))
        .chain(fields!(RestrictionSection {
            default,
            extensions
        }))
        .chain(fields!(RateLimitSection {
            per_minute,
            burst,
            collections,
            anonymous,
        }))
        .chain(fields!(PolicyConfig {
            default_clearance,
            admins,
            collections,
        }))
        .chain(fields!(rolie_authz::CollectionGrants {
            readers,
            writers,
            admins,
        }))
        // No Default to destructure: listed by hand.
        .chain(["path", "algorithm", "kid"])
        .chain(["common_name", "san", "subject", "scope", "clearance"])
        .chain([
            "name",
            "title",
            "information_type",
            "workspace",
            "accept",
            "max_restriction",
            "public",
        ]);
        for key in keys {
            assert!(named(key), "rolie.example.toml does not show {key}");
        }
    }

    fn args() -> SettingArgs {
        SettingArgs::default()
    }

    #[test]
    fn defaults_run_on_loopback_with_embedded_sqlite() {
        let s = Settings::resolve(FileConfig::default(), &args()).unwrap();
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(s.base_url, "http://127.0.0.1:8080");
        assert!(s.embedded_database);
        assert_eq!(s.database_url, "sqlite://rolie-data/rolie.db");
    }

    #[test]
    fn flags_win_over_the_file() {
        let file: FileConfig =
            toml::from_str("listen = \"127.0.0.1:9000\"\norganization = \"File CSIRT\"").unwrap();
        let mut a = args();
        a.listen = Some("127.0.0.1:9100".into());
        let s = Settings::resolve(file, &a).unwrap();
        assert_eq!(s.listen.port(), 9100);
        assert_eq!(s.organization, "File CSIRT");
    }

    #[test]
    fn bad_values_name_their_key() {
        let mut a = args();
        a.listen = Some("nowhere".into());
        let err = Settings::resolve(FileConfig::default(), &a)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ROLIE_LISTEN"), "{err}");
        let mut a = args();
        a.database_url = Some("mysql://x".into());
        let err = Settings::resolve(FileConfig::default(), &a)
            .unwrap_err()
            .to_string();
        assert!(err.contains("ROLIE_DATABASE_URL"), "{err}");
        let err = toml::from_str::<FileConfig>("lisen = 1")
            .unwrap_err()
            .to_string();
        assert!(err.contains("lisen"), "{err}");
    }

    #[test]
    fn plain_http_on_a_public_address_needs_an_explicit_flag() {
        let mut a = args();
        a.listen = Some("0.0.0.0:8080".into());
        let err = Settings::resolve(FileConfig::default(), &a)
            .unwrap_err()
            .to_string();
        assert!(err.contains("--allow-plain-http"), "{err}");
        a.allow_plain_http = Some(true);
        assert!(Settings::resolve(FileConfig::default(), &a).is_ok());
    }

    #[test]
    fn short_secrets_are_refused() {
        let mut a = args();
        a.jwt_hs256_secret = Some("short".into());
        assert!(
            Settings::resolve(FileConfig::default(), &a)
                .unwrap_err()
                .to_string()
                .contains("ROLIE_JWT_HS256_SECRET")
        );
    }

    /// RFC 7518 §3.2: an empty or short secret from a file is refused, naming the file's
    /// setting, whichever way the file was given.
    #[test]
    fn empty_or_short_secret_files_are_refused_naming_their_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret");
        for (text, says) in [("\n", "is empty"), ("0123456789\n", "is 10 bytes")] {
            std::fs::write(&path, text).unwrap();
            let mut a = args();
            a.jwt_hs256_secret_file = Some(path.clone());
            let err = Settings::resolve(FileConfig::default(), &a)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("ROLIE_JWT_HS256_SECRET_FILE") && err.contains(says),
                "{err}"
            );
            let file: FileConfig = toml::from_str(&format!(
                "jwt.hs256_secret_file = {:?}",
                path.display().to_string()
            ))
            .unwrap();
            let err = Settings::resolve(file, &args()).unwrap_err().to_string();
            assert!(
                err.starts_with("jwt.hs256_secret_file") && err.contains(says),
                "{err}"
            );
        }
        std::fs::write(&path, "0123456789abcdef0123456789abcdef\n").unwrap();
        let mut a = args();
        a.jwt_hs256_secret_file = Some(path);
        let s = Settings::resolve(FileConfig::default(), &a).unwrap();
        assert_eq!(
            s.hs256_secret.as_ref().map(Secret::expose),
            Some("0123456789abcdef0123456789abcdef")
        );
        // No debug print shows it (operations: secrets never in a log line).
        assert!(!format!("{s:?}").contains("0123456789abcdef"), "{s:?}");
    }

    #[test]
    fn an_empty_secret_is_refused() {
        let mut a = args();
        a.jwt_hs256_secret = Some(String::new());
        let err = Settings::resolve(FileConfig::default(), &a)
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("ROLIE_JWT_HS256_SECRET") && err.contains("empty"),
            "{err}"
        );
    }

    #[test]
    fn the_defaults_are_development_mode() {
        let s = Settings::resolve(FileConfig::default(), &args()).unwrap();
        assert_eq!(s.token_keys().unwrap(), TokenKeys::Development);
    }

    /// Off loopback, with TLS or behind a TLS proxy, nothing is generated: start-up needs a
    /// configured key and says which settings give one.
    #[test]
    fn outside_development_mode_a_key_must_be_configured() {
        let mut public = args();
        public.listen = Some("0.0.0.0:8080".into());
        public.allow_plain_http = Some(true);
        let mut tls = args();
        tls.tls_cert = Some("cert.pem".into());
        tls.tls_key = Some("key.pem".into());
        let mut proxied = args();
        proxied.behind_tls_proxy = Some(true);
        for (case, a) in [("public", public), ("tls", tls), ("proxied", proxied)] {
            let s = Settings::resolve(FileConfig::default(), &a).unwrap();
            let err = s.token_keys().unwrap_err().to_string();
            for key in [
                "ROLIE_JWT_HS256_SECRET",
                "ROLIE_JWT_HS256_SECRET_FILE",
                "jwt.public_keys",
                "jwt.jwks_file",
            ] {
                assert!(err.contains(key), "{case}: {err}");
            }
            let mut a = a;
            a.jwt_hs256_secret = Some("0123456789abcdef0123456789abcdef".into());
            let s = Settings::resolve(FileConfig::default(), &a).unwrap();
            assert_eq!(s.token_keys().unwrap(), TokenKeys::Configured, "{case}");
        }
    }

    /// A JWKS file or public key alone is a configuration, not development mode, even on
    /// loopback.
    #[test]
    fn public_keys_alone_are_a_configuration() {
        for text in [
            "[jwt]\njwks_file = \"jwks.json\"",
            "[[jwt.public_keys]]\npath = \"key.pem\"\nalgorithm = \"ES256\"",
        ] {
            let file: FileConfig = toml::from_str(text).unwrap();
            let s = Settings::resolve(file, &args()).unwrap();
            assert_eq!(s.hs256_secret, None);
            assert_eq!(s.token_keys().unwrap(), TokenKeys::Configured, "{text}");
        }
    }
}
