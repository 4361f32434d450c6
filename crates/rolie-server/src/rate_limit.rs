//! Per-principal rate limits: 429 with Retry-After instead of letting one caller starve the
//! others. One limit for every request of a principal, and optional tighter or looser limits
//! per collection for its feed reads and writes.
//!
//! Limits are kept in memory per process: with N replicas behind a load balancer the
//! effective limit is up to N times the configured one.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::error::ApiError;

/// A rate: sustained requests per minute and the burst allowed on top.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests per minute, sustained.
    pub per_minute: u32,
    /// Requests allowed at once.
    pub burst: u32,
}

impl RateLimit {
    fn limiter(self) -> DefaultKeyedRateLimiter<String> {
        let per_minute = NonZeroU32::new(self.per_minute.max(1)).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(self.burst.max(1)).unwrap_or(NonZeroU32::MIN);
        RateLimiter::keyed(Quota::per_minute(per_minute).allow_burst(burst))
    }
}

/// What callers without credentials (and callers whose credentials fail) may send per IP
/// address by default: enough for a browser or a public-feed poller, not for a flood that
/// fills the audit log.
pub const DEFAULT_ANONYMOUS: RateLimit = RateLimit {
    per_minute: 600,
    burst: 120,
};

/// The server's limiters.
pub struct RateLimits {
    principal: Option<DefaultKeyedRateLimiter<String>>,
    anonymous: Option<DefaultKeyedRateLimiter<String>>,
    collections: BTreeMap<String, DefaultKeyedRateLimiter<String>>,
    checks: AtomicU64,
    clock: DefaultClock,
}

/// Forget idle keys every this many checks, so anonymous callers' addresses do not pile up.
const PRUNE_EVERY: u64 = 10_000;

impl RateLimits {
    /// Limiters for `per_principal` (none: unlimited) and per collection name.
    pub fn new(
        per_principal: Option<RateLimit>,
        per_collection: &BTreeMap<String, RateLimit>,
    ) -> Self {
        Self::with_anonymous(per_principal, per_collection, None)
    }

    /// As [`RateLimits::new`], with a limit per address for unauthenticated requests
    /// (none: unlimited).
    pub fn with_anonymous(
        per_principal: Option<RateLimit>,
        per_collection: &BTreeMap<String, RateLimit>,
        anonymous: Option<RateLimit>,
    ) -> Self {
        RateLimits {
            principal: per_principal.map(RateLimit::limiter),
            anonymous: anonymous.map(RateLimit::limiter),
            collections: per_collection
                .iter()
                .map(|(name, limit)| (name.clone(), limit.limiter()))
                .collect(),
            checks: AtomicU64::new(0),
            clock: DefaultClock::default(),
        }
    }

    fn check_with(
        &self,
        limiter: &DefaultKeyedRateLimiter<String>,
        key: &str,
    ) -> Result<(), ApiError> {
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter.check_key(&key.to_owned()).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::TooManyRequests(wait.as_secs() + u64::from(wait.subsec_nanos() > 0))
        })
    }

    /// Counts one request of `key` (a principal, or an address for anonymous callers).
    ///
    /// # Errors
    /// 429 with the seconds to wait.
    pub fn check(&self, key: &str) -> Result<(), ApiError> {
        match &self.principal {
            Some(limiter) => self.check_with(limiter, key),
            None => Ok(()),
        }
    }

    /// Counts one unauthenticated request (no credentials, or credentials that failed) from
    /// the address `key`.
    ///
    /// # Errors
    /// 429 with the seconds to wait.
    pub fn check_anonymous(&self, key: &str) -> Result<(), ApiError> {
        match &self.anonymous {
            Some(limiter) => self.check_with(limiter, key),
            None => Ok(()),
        }
    }

    /// Counts one request of `key` on `collection`.
    ///
    /// # Errors
    /// 429 with the seconds to wait.
    pub fn check_collection(&self, collection: &str, key: &str) -> Result<(), ApiError> {
        match self.collections.get(collection) {
            Some(limiter) => self.check_with(limiter, key),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_429_says_how_long_to_wait() {
        let limits = RateLimits::new(
            Some(RateLimit {
                per_minute: 60,
                burst: 3,
            }),
            &BTreeMap::new(),
        );
        for _ in 0..3 {
            limits.check("alice").unwrap();
        }
        match limits.check("alice") {
            Err(ApiError::TooManyRequests(seconds)) => {
                assert!((1..=2).contains(&seconds), "{seconds}")
            }
            other => panic!("expected 429, got {other:?}"),
        }
        limits.check("bob").unwrap();
    }

    #[test]
    fn collection_limits_apply_to_their_collection_only() {
        let mut per = BTreeMap::new();
        per.insert(
            "busy".to_owned(),
            RateLimit {
                per_minute: 1,
                burst: 1,
            },
        );
        let limits = RateLimits::new(None, &per);
        limits.check_collection("busy", "alice").unwrap();
        assert!(limits.check_collection("busy", "alice").is_err());
        limits.check_collection("quiet", "alice").unwrap();
        limits.check("alice").unwrap();
    }
}
