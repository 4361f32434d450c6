//! Settings the HTTP layer needs, already validated by the binary.

use std::time::Duration;

use std::collections::BTreeMap;

use rolie_model::RestrictionPolicy;

use crate::rate_limit::RateLimit;
use rolie_publish::PublishSettings;

/// Feed author when none is configured.
pub const DEFAULT_ORGANIZATION: &str = "ROLIE repository";
/// Largest request body by default.
pub const DEFAULT_MAX_BODY_BYTES: usize = 4 * 1024 * 1024;
/// Longest request by default, in seconds.
pub const DEFAULT_REQUEST_TIMEOUT_SECONDS: u64 = 30;
/// Most requests handled at once by default.
pub const DEFAULT_MAX_CONCURRENT_REQUESTS: usize = 512;

/// Default byte bound of the rendered-representation cache.
pub const DEFAULT_RENDER_CACHE_BYTES: u64 = 64 * 1024 * 1024;
/// Default count bound of the rendered-representation cache.
pub const DEFAULT_RENDER_CACHE_ENTRIES: u64 = 16_384;

/// Runtime settings of the HTTP surface.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Public base URL for absolute hrefs (R-PROF-URI-a), without a trailing slash.
    pub base_url: String,
    /// Author of feeds and of entries whose publisher names none (R-8322-10-a, A24).
    pub organization: String,
    /// Largest request body accepted (413 beyond, enforced while streaming).
    pub max_body_bytes: usize,
    /// Entries per feed page when the client does not ask.
    pub default_page_size: u32,
    /// Most entries per feed page.
    pub max_page_size: u32,
    /// Whether PUT and DELETE must carry If-Match (428 otherwise, A29).
    pub require_if_match: bool,
    /// How `default` and `ext-value` restrictions resolve.
    pub restriction_policy: RestrictionPolicy,
    /// Plain-HTTP requests come through a TLS-terminating proxy the operator trusts, so they
    /// count as secure (HTTP Basic is allowed).
    pub behind_tls_proxy: bool,
    /// Longest time a request may take, body upload included.
    pub request_timeout: Duration,
    /// Most requests handled at once; more are shed with 503.
    pub max_concurrent_requests: usize,
    /// Requests per principal (anonymous callers: per address); `None` for no limit.
    pub rate_limit: Option<RateLimit>,
    /// Per-address limit of unauthenticated requests (`None`: unlimited).
    pub anonymous_rate_limit: Option<RateLimit>,
    /// Feed reads and writes per principal on a collection, by collection name.
    pub collection_rate_limits: BTreeMap<String, RateLimit>,
    /// Bytes of rendered representations kept for reuse (0: none).
    pub render_cache_bytes: u64,
    /// Rendered representations kept for reuse, at most (0: none).
    pub render_cache_entries: u64,
    /// How long the change log keeps a change, for incremental sync; `None` keeps it
    /// forever. Older sync tokens are answered with 410.
    pub change_log_retention: Option<Duration>,
    /// How far back the head page of a feed shows RFC 6721 tombstones of the entries that
    /// left the caller's view (at most [`HEAD_TOMBSTONES`] of them); `None` shows none.
    /// Pollers that sync get every deletion exactly; this is for feed readers that do not.
    pub head_tombstone_window: Option<Duration>,
    /// A digest of the configuration that shapes what callers see (policy, collections);
    /// part of the service document's ETag, so replicas with the same configuration agree.
    pub fingerprint: String,
    /// One access-log line per request at `info` (target `rolie::access`).
    pub access_log: bool,
    /// Proxies whose `Forwarded`/`X-Forwarded-For` name the client (for the access log and
    /// the limits on anonymous callers); anyone else's are ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
}

/// Days the head page of a feed shows tombstones for, by default.
pub const DEFAULT_HEAD_TOMBSTONE_DAYS: u64 = 7;

/// Most tombstones on a head page: the newest.
pub const HEAD_TOMBSTONES: u32 = 100;

/// Days the change log keeps a change by default: a poller may stay away this long and
/// still resume from its token.
pub const DEFAULT_CHANGE_LOG_RETENTION_DAYS: u64 = 90;

impl ServerConfig {
    /// Settings for `base_url` with every other value at its default.
    pub fn new(base_url: &str) -> Self {
        ServerConfig {
            base_url: base_url.trim_end_matches('/').to_owned(),
            organization: DEFAULT_ORGANIZATION.to_owned(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            default_page_size: rolie_store::DEFAULT_PAGE_SIZE,
            max_page_size: rolie_store::MAX_PAGE_SIZE,
            require_if_match: false,
            restriction_policy: RestrictionPolicy::default(),
            behind_tls_proxy: false,
            request_timeout: Duration::from_secs(DEFAULT_REQUEST_TIMEOUT_SECONDS),
            max_concurrent_requests: DEFAULT_MAX_CONCURRENT_REQUESTS,
            rate_limit: None,
            anonymous_rate_limit: Some(crate::rate_limit::DEFAULT_ANONYMOUS),
            collection_rate_limits: BTreeMap::new(),
            render_cache_bytes: DEFAULT_RENDER_CACHE_BYTES,
            render_cache_entries: DEFAULT_RENDER_CACHE_ENTRIES,
            change_log_retention: Some(Duration::from_secs(
                DEFAULT_CHANGE_LOG_RETENTION_DAYS * 86_400,
            )),
            head_tombstone_window: Some(Duration::from_secs(DEFAULT_HEAD_TOMBSTONE_DAYS * 86_400)),
            fingerprint: String::new(),
            access_log: true,
            trusted_proxies: Vec::new(),
        }
    }

    /// What publishing needs from these settings.
    pub fn publish_settings(&self) -> PublishSettings<'_> {
        PublishSettings {
            organization: &self.organization,
            policy: &self.restriction_policy,
        }
    }
}
