//! The accept loop: TCP, optional TLS with optional client certificates, HTTP/1.1 and
//! HTTP/2, bounded connections (in all and per address), deadlines for silent and idle
//! connections, graceful shutdown.
//!
//! We own this loop (rather than axum-server) because handlers need the verified client
//! certificate of the connection (R-8322-5.3-e).

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use rolie_authz::ClientCertificate;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::WebPkiClientVerifier;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::caller::ConnectionInfo;

/// Certificates and keys for TLS.
pub struct TlsMaterial {
    /// Server certificate chain, leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The leaf's private key.
    pub key: PrivateKeyDer<'static>,
    /// CA certificates client certificates are verified against; none means the server does
    /// not ask for client certificates.
    pub client_ca: Vec<CertificateDer<'static>>,
}

/// A rustls configuration: TLS 1.2 and 1.3 only (R-8322-5.3-a/c, R-HTTP-tls-a), aws-lc-rs
/// as the one crypto provider, ALPN for h2 and http/1.1, no 0-RTT (R-8322-5.3-d), client
/// certificates requested but optional when a CA is configured (spec-rolie A13).
///
/// # Errors
/// A message naming what is wrong with the material.
pub fn tls_config(material: TlsMaterial) -> Result<Arc<rustls::ServerConfig>, String> {
    reloadable_tls_config(material).map(|(config, _)| config)
}

/// The server's certificate and key, replaceable while serving: new handshakes get the
/// new one, connections already open keep theirs (nothing is dropped).
#[derive(Debug)]
pub struct ServerCertificate {
    current: std::sync::RwLock<Arc<rustls::sign::CertifiedKey>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertificate {
    fn certified(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        provider: &rustls::crypto::CryptoProvider,
    ) -> Result<Arc<rustls::sign::CertifiedKey>, String> {
        if chain.is_empty() {
            return Err("no certificate".into());
        }
        rustls::sign::CertifiedKey::from_der(chain, key, provider)
            .map(Arc::new)
            .map_err(|e| format!("server certificate and key: {e}"))
    }

    /// Replaces the certificate and key; on an error (a key that does not match the
    /// certificate, say) the current pair stays.
    ///
    /// # Errors
    /// What is wrong with the new pair.
    pub fn replace(
        &self,
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
    ) -> Result<(), String> {
        let certified = Self::certified(chain, key, &self.provider)?;
        if let Ok(mut current) = self.current.write() {
            *current = certified;
        }
        Ok(())
    }
}

impl rustls::server::ResolvesServerCert for ServerCertificate {
    fn resolve(
        &self,
        _hello: rustls::server::ClientHello<'_>,
    ) -> Option<Arc<rustls::sign::CertifiedKey>> {
        self.current.read().ok().map(|current| current.clone())
    }
}

/// [`tls_config`], with the handle that replaces the certificate while serving.
///
/// # Errors
/// Unusable certificates, keys or client CAs.
pub fn reloadable_tls_config(
    material: TlsMaterial,
) -> Result<(Arc<rustls::ServerConfig>, Arc<ServerCertificate>), String> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certificate = Arc::new(ServerCertificate {
        current: std::sync::RwLock::new(ServerCertificate::certified(
            material.chain,
            material.key,
            &provider,
        )?),
        provider: provider.clone(),
    });
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| format!("TLS versions: {e}"))?;
    let builder = if material.client_ca.is_empty() {
        builder.with_no_client_auth()
    } else {
        let mut roots = rustls::RootCertStore::empty();
        for ca in material.client_ca {
            roots
                .add(ca)
                .map_err(|e| format!("client CA certificate: {e}"))?;
        }
        let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
            .allow_unauthenticated()
            .build()
            .map_err(|e| format!("client certificate verifier: {e}"))?;
        builder.with_client_cert_verifier(verifier)
    };
    let mut config = builder.with_cert_resolver(certificate.clone());
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    config.max_early_data_size = 0;
    Ok((Arc::new(config), certificate))
}

/// Connection-level settings.
#[derive(Clone)]
pub struct ServeOptions {
    /// TLS, or plain HTTP when `None`.
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// Most connections open at once; further ones are closed at once.
    pub max_connections: usize,
    /// Most connections open at once from one IP address, so that one address cannot hold
    /// every slot; further ones from it are closed at once.
    pub max_connections_per_address: usize,
    /// Longest TLS handshake.
    pub handshake_timeout: Duration,
    /// Longest time from accepting a connection to a complete first request head (TLS
    /// handshake and protocol detection included), and longest time to receive any later
    /// request's head (slow-header clients).
    pub header_read_timeout: Duration,
    /// How long a connection with no request in flight stays open (HTTP/1.1 keep-alive and
    /// HTTP/2 alike).
    pub idle_timeout: Duration,
    /// How long in-flight requests may finish after shutdown starts.
    pub shutdown_grace: Duration,
    /// The gauge of connections open (the server's metrics), if any.
    pub connections: Option<prometheus_client::metrics::gauge::Gauge>,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            tls: None,
            max_connections: 1024,
            max_connections_per_address: 128,
            handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(20),
            connections: None,
        }
    }
}

fn builder(options: &ServeOptions) -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(options.header_read_timeout)
        .max_buf_size(64 * 1024)
        .max_headers(100);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(128)
        .max_header_list_size(64 * 1024)
        .keep_alive_interval(Some(Duration::from_secs(30)));
    builder
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets in-flight requests
/// finish for at most the grace period.
///
/// # Errors
/// Counts a connection out of the open-connections gauge when its task ends.
struct OpenConnection(prometheus_client::metrics::gauge::Gauge);

impl Drop for OpenConnection {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// An I/O error of the listener.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    options: ServeOptions,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    let builder = Arc::new(builder(&options));
    let (stop, stopping) = watch::channel(false);
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let per_address = Arc::new(AddressSlots::new(options.max_connections_per_address));
    let acceptor = options.tls.clone().map(TlsAcceptor::from);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Running out of file descriptors must not end the server.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(address_slot) = per_address.try_acquire(peer.ip()) else {
            tracing::debug!(peer = %peer, "connection limit per address reached; closing a new connection");
            drop(stream);
            continue;
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::warn!(peer = %peer, "connection limit reached; closing a new connection");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            app: app.clone(),
            builder: builder.clone(),
            info: ConnectionInfo {
                peer,
                tls: acceptor.is_some(),
            },
            activity: Arc::new(Activity::new()),
            header_read_timeout: options.header_read_timeout,
            idle_timeout: options.idle_timeout,
            stopping: stopping.clone(),
        };
        let acceptor = acceptor.clone();
        let handshake_timeout = options.handshake_timeout;
        let open = options.connections.clone();
        if let Some(open) = &open {
            open.inc();
        }
        tokio::spawn(async move {
            let _slots = (slot, address_slot);
            let _open = open.map(OpenConnection);
            match acceptor {
                None => connection.run(TokioIo::new(stream), None).await,
                Some(acceptor) => {
                    let tls = match tokio::time::timeout(handshake_timeout, acceptor.accept(stream))
                        .await
                    {
                        Ok(Ok(tls)) => tls,
                        Ok(Err(e)) => {
                            tracing::debug!(peer = %peer, "TLS handshake failed: {e}");
                            return;
                        }
                        Err(_) => {
                            tracing::debug!(peer = %peer, "TLS handshake timed out");
                            return;
                        }
                    };
                    let certificate = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|chain| chain.first())
                        .map(|leaf| ClientCertificate::from_der(leaf.to_vec()));
                    connection.run(TokioIo::new(tls), certificate).await;
                }
            }
        });
    }
    drop(listener);
    tracing::info!("no longer accepting connections; finishing requests in flight");
    let _ = stop.send(true);
    // Every connection holds a slot until it ends: all slots back means all are done.
    let all = u32::try_from(options.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(options.shutdown_grace, slots.acquire_many(all))
        .await
        .is_err()
    {
        tracing::warn!("requests still running after the grace period were cut off");
    }
    Ok(())
}

/// One accepted connection and what it needs to serve requests.
struct Connection {
    app: Router,
    builder: Arc<Builder<TokioExecutor>>,
    info: ConnectionInfo,
    activity: Arc<Activity>,
    header_read_timeout: Duration,
    idle_timeout: Duration,
    stopping: watch::Receiver<bool>,
}

impl Connection {
    /// Serves requests until the client leaves, the connection idles out (no complete
    /// request head within the header timeout of accepting it, or no request in flight
    /// for the idle timeout), or the server shuts down. Idling out and shutting down are
    /// graceful: a request in flight is finished first; HTTP/2 clients get GOAWAY.
    async fn run<I>(mut self, io: TokioIo<I>, certificate: Option<ClientCertificate>)
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let peer = self.info.peer;
        let service = service(
            self.app.clone(),
            self.info,
            certificate,
            self.activity.clone(),
        );
        let builder = self.builder.clone();
        let connection = builder.serve_connection_with_upgrades(io, service);
        tokio::pin!(connection);
        let mut closing = false;
        // A client told to go away may ignore it (an HTTP/2 client that never answers the
        // PING of a graceful GOAWAY holds the connection forever); once nothing is in
        // flight for a while after that, the connection is dropped.
        let linger = self.header_read_timeout;
        loop {
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(peer = %peer, "connection ended: {e}");
                    }
                    return;
                }
                () = self.activity.idle(self.header_read_timeout, self.idle_timeout), if !closing => {
                    tracing::debug!(peer = %peer, "closing an idle connection");
                    closing = true;
                    self.activity.touch();
                    connection.as_mut().graceful_shutdown();
                }
                changed = self.stopping.changed(), if !closing => {
                    if changed.is_err() || *self.stopping.borrow() {
                        closing = true;
                        self.activity.touch();
                        connection.as_mut().graceful_shutdown();
                    }
                }
                () = self.activity.idle(linger, linger), if closing => {
                    tracing::debug!(peer = %peer, "dropping a connection that did not close");
                    return;
                }
            }
        }
    }
}

/// The router as a hyper service, with the connection's facts added to every request and
/// its requests counted for the idle timeout.
fn service(
    app: Router,
    info: ConnectionInfo,
    certificate: Option<ClientCertificate>,
    activity: Arc<Activity>,
) -> impl hyper::service::Service<
    http::Request<Incoming>,
    Response = axum::response::Response,
    Error = std::convert::Infallible,
    Future = impl Future<Output = Result<axum::response::Response, std::convert::Infallible>>
             + Send
             + 'static,
> + Clone
+ Send
+ 'static {
    hyper::service::service_fn(move |request: http::Request<Incoming>| {
        let app = app.clone();
        let activity = activity.clone();
        let certificate = certificate.clone();
        async move {
            let _busy = activity.begin();
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(info);
            request.extensions_mut().insert(ConnectInfo(info.peer));
            if let Some(certificate) = certificate {
                request.extensions_mut().insert(certificate);
            }
            app.oneshot(request).await
        }
    })
}

/// What a connection is doing, for the idle timeout.
struct Activity {
    opened: Instant,
    state: Mutex<ActivityState>,
}

#[derive(Clone, Copy)]
struct ActivityState {
    in_flight: usize,
    requests: u64,
    last: Instant,
}

impl Activity {
    fn new() -> Self {
        let now = Instant::now();
        Activity {
            opened: now,
            state: Mutex::new(ActivityState {
                in_flight: 0,
                requests: 0,
                last: now,
            }),
        }
    }

    fn snapshot(&self) -> ActivityState {
        *self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn update(&self, change: impl FnOnce(&mut ActivityState)) {
        let mut state = self
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        change(&mut state);
        state.last = Instant::now();
    }

    /// Restarts the idle clock (and ends the wait for a first request head).
    fn touch(&self) {
        self.update(|s| s.requests = s.requests.max(1));
    }

    /// A request has a complete head and is being served until the guard drops.
    fn begin(self: &Arc<Self>) -> Busy {
        self.update(|s| {
            s.in_flight += 1;
            s.requests += 1;
        });
        Busy(self.clone())
    }

    /// Resolves when the connection is idle: no complete request head within
    /// `first_head` of opening, or nothing in flight for `idle` since the last request.
    async fn idle(&self, first_head: Duration, idle: Duration) {
        loop {
            let state = self.snapshot();
            let deadline = if state.requests == 0 {
                self.opened + first_head
            } else {
                state.last + idle
            };
            if state.in_flight == 0 && Instant::now() >= deadline {
                return;
            }
            let wake = if state.in_flight > 0 {
                Instant::now() + idle.min(first_head)
            } else {
                deadline
            };
            tokio::time::sleep_until(wake).await;
        }
    }
}

/// A request in flight on a connection.
struct Busy(Arc<Activity>);

impl Drop for Busy {
    fn drop(&mut self) {
        self.0
            .update(|s| s.in_flight = s.in_flight.saturating_sub(1));
    }
}

/// Open connections per IP address, capped.
struct AddressSlots {
    limit: usize,
    open: Mutex<HashMap<IpAddr, usize>>,
}

impl AddressSlots {
    fn new(limit: usize) -> Self {
        AddressSlots {
            limit: limit.max(1),
            open: Mutex::new(HashMap::new()),
        }
    }

    /// A slot for one more connection from `ip`, or `None` at the limit.
    fn try_acquire(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        let mut open = self
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let count = open.entry(ip).or_insert(0);
        if *count >= self.limit {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            slots: self.clone(),
            ip,
        })
    }
}

/// One connection's share of its address's slots, given back on drop.
struct AddressSlot {
    slots: Arc<AddressSlots>,
    ip: IpAddr,
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut open = self
            .slots
            .open
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(count) = open.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                open.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_holds_at_most_its_share_and_gets_it_back() {
        let slots = Arc::new(AddressSlots::new(2));
        let one: IpAddr = [127, 0, 0, 1].into();
        let two: IpAddr = [127, 0, 0, 2].into();
        let a = slots.try_acquire(one).expect("first");
        let b = slots.try_acquire(one).expect("second");
        assert!(slots.try_acquire(one).is_none());
        assert!(slots.try_acquire(two).is_some());
        drop(a);
        assert!(slots.try_acquire(one).is_some());
        drop(b);
    }
}
