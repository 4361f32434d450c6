//! The state every handler shares.

use std::sync::Arc;

use rolie_authz::{AuthenticatorChain, Gate};

use crate::audit_log::AuditLog;
use crate::config::ServerConfig;
use crate::metrics::Metrics;
use crate::rate_limit::RateLimits;
use crate::render_cache::RenderCache;
use crate::urls::Urls;

/// Shared by all handlers; cloning it (which every middleware layer does, per request) is
/// one reference-count increment.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;

    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// What [`AppState`] shares.
pub struct Shared {
    /// The only way to the store (STYLE §2: handlers hold capabilities, not the store).
    pub gate: Gate,
    /// Turns credentials into principals.
    pub authn: AuthenticatorChain,
    /// Settings.
    pub config: Arc<ServerConfig>,
    /// URL builder.
    pub urls: Urls,
    /// Rate limiters.
    pub limits: Arc<RateLimits>,
    /// Rendered representations by validator.
    pub cache: Arc<RenderCache>,
    /// The audit log's writer.
    pub audit: AuditLog,
    /// Prometheus metrics (`/metrics`).
    pub metrics: Arc<Metrics>,
    /// The keys that seal sync tokens, read from the database on first use.
    sync_key: tokio::sync::OnceCell<crate::sync_token::SyncKey>,
}

impl AppState {
    /// State over `gate` and `authn` with `config`, and metrics of its own.
    pub fn new(gate: Gate, authn: AuthenticatorChain, config: ServerConfig) -> Self {
        Self::with_metrics(gate, authn, config, Arc::new(Metrics::new()))
    }

    /// State reporting to `metrics`, which the gate's store may already report to
    /// (store latency: [`rolie_store::observed::Observed`]).
    pub fn with_metrics(
        gate: Gate,
        authn: AuthenticatorChain,
        config: ServerConfig,
        metrics: Arc<Metrics>,
    ) -> Self {
        let urls = Urls::new(&config.base_url);
        let limits = Arc::new(RateLimits::with_anonymous(
            config.rate_limit,
            &config.collection_rate_limits,
            config.anonymous_rate_limit,
        ));
        let cache = Arc::new(
            RenderCache::new(config.render_cache_bytes, config.render_cache_entries)
                .counting(metrics.cache_hits.clone(), metrics.cache_misses.clone()),
        );
        let audit = AuditLog::start(gate.clone());
        AppState(Arc::new(Shared {
            gate,
            authn,
            config: Arc::new(config),
            urls,
            limits,
            cache,
            audit,
            metrics,
            sync_key: tokio::sync::OnceCell::new(),
        }))
    }
}

impl Shared {
    /// Reads, or creates on a first start, what the server keeps in the database for
    /// itself, so that later reads never have to write (on a full or read-only disk they
    /// keep working). A failure here is retried on first use.
    ///
    /// # Errors
    /// The store is unavailable.
    pub async fn prepare(&self) -> Result<(), crate::error::ApiError> {
        self.sync_key().await.map(|_| ())
    }

    /// The keys that seal sync tokens: the database's secret, created by whichever process
    /// asks first, so that tokens open on every replica and after restarts.
    ///
    /// # Errors
    /// The store is unavailable.
    pub(crate) async fn sync_key(
        &self,
    ) -> Result<&crate::sync_token::SyncKey, crate::error::ApiError> {
        use crate::sync_token::{KEY_NAME, SyncKey};
        self.sync_key
            .get_or_try_init(|| async {
                let secret = self
                    .gate
                    .server_key(KEY_NAME, &SyncKey::candidate_secret())
                    .await?;
                Ok(SyncKey::from_secret(&secret))
            })
            .await
    }
}
