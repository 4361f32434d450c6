//! The state every handler shares.

use std::sync::Arc;

use rolie_authz::{AuthenticatorChain, Gate};

use crate::audit_log::AuditLog;
use crate::config::ServerConfig;
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
}

impl AppState {
    /// State over `gate` and `authn` with `config`.
    pub fn new(gate: Gate, authn: AuthenticatorChain, config: ServerConfig) -> Self {
        let urls = Urls::new(&config.base_url);
        let limits = Arc::new(RateLimits::with_anonymous(
            config.rate_limit,
            &config.collection_rate_limits,
            config.anonymous_rate_limit,
        ));
        let cache = Arc::new(RenderCache::new(
            config.render_cache_bytes,
            config.render_cache_entries,
        ));
        let audit = AuditLog::start(gate.clone());
        AppState(Arc::new(Shared {
            gate,
            authn,
            config: Arc::new(config),
            urls,
            limits,
            cache,
            audit,
        }))
    }
}
