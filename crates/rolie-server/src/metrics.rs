//! Prometheus metrics, served at `/metrics` to administrators (OpenMetrics text).
//!
//! | metric | type | labels | what |
//! |---|---|---|---|
//! | `rolie_http_requests_total` | counter | `method`, `route`, `status` | requests answered, by matched route |
//! | `rolie_http_request_duration_seconds` | histogram | `method`, `route` | time to answer |
//! | `rolie_http_connections_open` | gauge | | connections open now |
//! | `rolie_render_cache_hits_total`, `rolie_render_cache_misses_total` | counter | | rendered documents served from the cache, or rendered |
//! | `rolie_authentication_failures_total` | counter | `reason` (`invalid`, `unavailable`) | credentials refused |
//! | `rolie_rate_limited_total` | counter | | requests refused with 429 |
//! | `rolie_entries` | gauge | `collection`, `level` | entries stored, read at each scrape |
//! | `rolie_store_operation_duration_seconds` | histogram | `operation` | time of each store call, by [`rolie_store::Store`] method |
//! | `rolie_store_failures_total` | counter | `operation` | store calls the database could not answer |
//!
//! A registry per server (no global recorder): tests run many servers in one process.

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

// Labels are `&'static str`: counting a request allocates nothing.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: &'static str,
}

/// The label of a method: the standard ones by name, anything else `other`.
fn method_label(method: &http::Method) -> &'static str {
    use http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// The label of a matched route: its entry in the path table, or `unrouted`.
fn route_label(route: &str) -> &'static str {
    crate::PATHS
        .iter()
        .copied()
        .find(|path| *path == route)
        .unwrap_or("unrouted")
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EntryLabels {
    collection: String,
    level: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OperationLabels {
    operation: &'static str,
}

type Durations = Family<RouteLabels, Histogram, fn() -> Histogram>;
type StoreDurations = Family<OperationLabels, Histogram, fn() -> Histogram>;

fn durations() -> Histogram {
    // 0.25 ms to about 4 s.
    Histogram::new(exponential_buckets(0.000_25, 2.0, 15))
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Durations,
    /// Connections open now (the accept loop moves it).
    pub connections: Gauge,
    /// Rendered documents served from the render cache.
    pub cache_hits: Counter,
    /// Rendered documents rendered (not in the cache).
    pub cache_misses: Counter,
    auth_failures: Family<ReasonLabels, Counter>,
    rate_limited: Counter,
    entries: Family<EntryLabels, Gauge>,
    store_latency: StoreDurations,
    store_failures: Family<OperationLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// A registry with every metric at zero.
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("rolie");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Durations = Family::new_with_constructor(durations);
        let connections = Gauge::default();
        let cache_hits = Counter::default();
        let cache_misses = Counter::default();
        let auth_failures = Family::<ReasonLabels, Counter>::default();
        let rate_limited = Counter::default();
        let entries = Family::<EntryLabels, Gauge>::default();
        let store_latency: StoreDurations = Family::new_with_constructor(durations);
        let store_failures = Family::<OperationLabels, Counter>::default();
        registry.register(
            "http_requests",
            "Requests answered, by matched route",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by matched route",
            latency.clone(),
        );
        registry.register(
            "http_connections_open",
            "Connections open now",
            connections.clone(),
        );
        registry.register(
            "render_cache_hits",
            "Rendered documents served from the cache",
            cache_hits.clone(),
        );
        registry.register(
            "render_cache_misses",
            "Documents rendered because the cache did not hold them",
            cache_misses.clone(),
        );
        registry.register(
            "authentication_failures",
            "Credentials refused, by reason",
            auth_failures.clone(),
        );
        registry.register(
            "rate_limited",
            "Requests refused with 429",
            rate_limited.clone(),
        );
        registry.register(
            "entries",
            "Entries stored, by collection and restriction level",
            entries.clone(),
        );
        registry.register(
            "store_operation_duration_seconds",
            "Time of a store call, by operation",
            store_latency.clone(),
        );
        registry.register(
            "store_failures",
            "Store calls the database could not answer, by operation",
            store_failures.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            connections,
            cache_hits,
            cache_misses,
            auth_failures,
            rate_limited,
            entries,
            store_latency,
            store_failures,
        }
    }

    /// Counts one answered request.
    pub fn request(&self, method: &http::Method, route: &str, status: u16, seconds: f64) {
        let (method, route) = (method_label(method), route_label(route));
        self.latency
            .get_or_create(&RouteLabels { method, route })
            .observe(seconds);
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
        if status == 429 {
            self.rate_limited.inc();
        }
    }

    /// Counts refused credentials.
    pub fn authentication_failed(&self, error: &rolie_authz::AuthError) {
        let reason = match error {
            rolie_authz::AuthError::Invalid(_) => "invalid",
            rolie_authz::AuthError::Unavailable(_) => "unavailable",
        };
        self.auth_failures
            .get_or_create(&ReasonLabels { reason })
            .inc();
    }

    /// Sets the entry gauges: `counts` holds, per collection, the entries at each level.
    pub fn set_entries(&self, counts: &[(String, [i64; 4])]) {
        self.entries.clear();
        for (collection, levels) in counts {
            for (level, count) in rolie_model::Restriction::ALL.iter().zip(levels) {
                self.entries
                    .get_or_create(&EntryLabels {
                        collection: collection.clone(),
                        level: level.term(),
                    })
                    .set(*count);
            }
        }
    }

    /// The OpenMetrics text of every metric.
    pub fn encode(&self) -> String {
        let mut text = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}

/// Store calls are timed by wrapping the store ([`rolie_store::observed::Observed`]) with
/// the server's metrics as the observer.
impl rolie_store::observed::StoreObserver for Metrics {
    fn observe(
        &self,
        operation: &'static str,
        elapsed: std::time::Duration,
        outcome: rolie_store::observed::Outcome,
    ) {
        let labels = OperationLabels { operation };
        self.store_latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        if outcome == rolie_store::observed::Outcome::Failed {
            self.store_failures.get_or_create(&labels).inc();
        }
    }
}

/// Shared handle.
pub type SharedMetrics = Arc<Metrics>;
