//! `rolie serve`: the server.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow};
use rolie_authz::{SCOPE_ADMIN, SCOPE_READ, SCOPE_WRITE};
use rolie_model::Restriction;
use rolie_server::metrics::Metrics;
use rolie_server::urls::Urls;
use rolie_server::{AppState, ServeOptions, ServerCertificate, ServerConfig, TlsMaterial};
use rolie_store::Store;
use rolie_store::observed::Observed;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio::net::TcpListener;

use crate::bootstrap;
use crate::settings::Settings;

/// The certificate chain and key in `cert` and `key` (PEM).
fn read_pair(
    cert: &Path,
    key: &Path,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>)> {
    let chain = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("ROLIE_TLS_CERT: cannot read {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| anyhow!("ROLIE_TLS_CERT {}: {e}", cert.display()))?;
    if chain.is_empty() {
        return Err(anyhow!(
            "ROLIE_TLS_CERT {}: no certificate in the file",
            cert.display()
        ));
    }
    let key = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| anyhow!("ROLIE_TLS_KEY {}: {e}", key.display()))?;
    Ok((chain, key))
}

fn load_tls(settings: &Settings) -> Result<Option<TlsMaterial>> {
    let (Some(cert), Some(key)) = (&settings.tls.cert, &settings.tls.key) else {
        return Ok(None);
    };
    let (chain, key) = read_pair(cert, key)?;
    let client_ca = match &settings.tls.client_ca {
        Some(path) => CertificateDer::pem_file_iter(path)
            .with_context(|| format!("ROLIE_TLS_CLIENT_CA: cannot read {}", path.display()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| anyhow!("ROLIE_TLS_CLIENT_CA {}: {e}", path.display()))?,
        None => Vec::new(),
    };
    Ok(Some(TlsMaterial {
        chain,
        key,
        client_ca,
    }))
}

/// When the certificate files were last changed (either of them).
fn modified(cert: &Path, key: &Path) -> Option<std::time::SystemTime> {
    let time = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    time(cert).max(time(key))
}

/// How often the certificate files are looked at for a change.
const CERTIFICATE_POLL: std::time::Duration = std::time::Duration::from_secs(10);

/// Replaces the served certificate when its files change or on SIGHUP: renewed
/// certificates (ACME, a CA's rotation) take effect without a restart, and connections
/// open keep theirs. A pair that cannot be read or does not match keeps the old one.
async fn reload_certificate(cert: PathBuf, key: PathBuf, certificate: Arc<ServerCertificate>) {
    #[cfg(unix)]
    let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let mut seen = modified(&cert, &key);
    loop {
        #[cfg(unix)]
        let signalled = async {
            match hangup.as_mut() {
                Some(signal) => {
                    signal.recv().await;
                }
                None => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let signalled = std::future::pending::<()>();
        let cause = tokio::select! {
            () = signalled => "SIGHUP",
            () = tokio::time::sleep(CERTIFICATE_POLL) => {
                let now = modified(&cert, &key);
                if now == seen {
                    continue;
                }
                seen = now;
                "a change of its files"
            }
        };
        match read_pair(&cert, &key)
            .and_then(|(chain, key)| certificate.replace(chain, key).map_err(|e| anyhow!(e)))
        {
            Ok(()) => tracing::info!("TLS certificate reloaded after {cause}"),
            Err(e) => tracing::warn!(
                "TLS certificate not reloaded after {cause}, the old one stays: {e:#}"
            ),
        }
    }
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested");
}

/// Serves until SIGINT or SIGTERM.
pub async fn run(mut settings: Settings) -> Result<ExitCode> {
    let tls = load_tls(&settings)?;
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("ROLIE_LISTEN: cannot listen on {}", settings.listen))?;
    let local = listener.local_addr()?;
    if settings.listen.port() == 0 && settings.base_url.ends_with(":0") {
        // An ephemeral port was asked for and the base URL derived from it: use the real one.
        let scheme = if tls.is_some() { "https" } else { "http" };
        settings.base_url = format!("{scheme}://{local}");
    }
    let secret = bootstrap::hs256_secret(&settings)?;
    let metrics = Arc::new(Metrics::new());
    let store: Arc<dyn Store> = Arc::new(Observed::new(
        bootstrap::open_store(&settings).await?,
        metrics.clone(),
    ));
    let collections = bootstrap::ensure_collections(store.as_ref(), &settings).await?;
    let authn = bootstrap::authenticators(&settings, secret.as_ref(), store.clone())?;
    let gate = bootstrap::gate(&settings, store.clone());
    let mut config = ServerConfig::new(&settings.base_url);
    config.organization = settings.organization.clone();
    config.max_body_bytes = settings.max_body_bytes;
    config.default_page_size = settings.page_size;
    config.max_page_size = settings.max_page_size;
    config.require_if_match = settings.require_if_match;
    config.restriction_policy = settings.restriction_policy();
    config.behind_tls_proxy = settings.behind_tls_proxy;
    config.request_timeout = settings.request_timeout;
    config.max_concurrent_requests = settings.max_concurrent_requests;
    config.render_cache_bytes = settings.render_cache_bytes;
    config.render_cache_entries = settings.render_cache_entries;
    config.change_log_retention = settings.change_log_retention;
    config.head_tombstone_window = settings.head_tombstone_window;
    config.fingerprint = settings.fingerprint.clone();
    config.access_log = settings.access_log;
    config.trusted_proxies = settings.trusted_proxies.clone();
    config.rate_limit = match (settings.rate_limits.per_minute, settings.rate_limits.burst) {
        (Some(per_minute), Some(burst)) => {
            Some(rolie_server::rate_limit::RateLimit { per_minute, burst })
        }
        _ => None,
    };
    config.collection_rate_limits = settings.rate_limits.collections.clone();
    if let Some(anonymous) = settings.rate_limits.anonymous {
        config.anonymous_rate_limit = Some(anonymous);
    }
    let state = AppState::with_metrics(gate, authn, config, metrics);
    if let Err(e) = state.prepare().await {
        tracing::warn!("the server's keys could not be read yet, retrying on first use: {e}");
    }
    let _housekeeping = rolie_server::housekeeping::spawn(state.clone());
    let connections = state.metrics.connections.clone();
    let app = rolie_server::app(state);
    let (tls, certificate) = match tls {
        Some(material) => {
            let (config, certificate) =
                rolie_server::reloadable_tls_config(material).map_err(|e| anyhow!("TLS: {e}"))?;
            (Some(config), Some(certificate))
        }
        None => (None, None),
    };
    let _reload = match (certificate, &settings.tls.cert, &settings.tls.key) {
        (Some(certificate), Some(cert), Some(key)) => Some(tokio::spawn(reload_certificate(
            cert.clone(),
            key.clone(),
            certificate,
        ))),
        _ => None,
    };
    let options = ServeOptions {
        tls,
        max_connections: settings.max_connections,
        max_connections_per_address: settings.max_connections_per_address,
        header_read_timeout: settings.header_timeout,
        idle_timeout: settings.idle_timeout,
        shutdown_grace: settings.shutdown_grace,
        connections: Some(connections),
        ..ServeOptions::default()
    };
    for change in &collections.updated {
        tracing::info!(collection = %change, "updated collection to match the configuration");
    }
    for name in &collections.created {
        tracing::info!(collection.name = %name, "created collection");
    }
    let service = Urls::new(&settings.base_url).service_document();
    println!("rolie {} listening on {local}", env!("CARGO_PKG_VERSION"));
    println!("service document: {service}");
    if let Some(secret) = secret.filter(|s| s.development) {
        // Development mode only (Settings::token_keys): print a fresh administrator token so
        // a newcomer can start.
        let token = bootstrap::mint(
            &settings,
            &secret.bytes,
            "admin".into(),
            format!("{SCOPE_ADMIN} {SCOPE_READ} {SCOPE_WRITE}"),
            Restriction::Private,
            time::Duration::days(30),
        )?;
        println!(
            "admin token (signed with the development secret in {}, valid 30 days):",
            settings
                .data_dir
                .join(bootstrap::DEVELOPMENT_SECRET_FILE)
                .display()
        );
        println!("  {token}");
        println!("try:");
        println!("  curl -H 'Authorization: Bearer {token}' {service}");
    }
    rolie_server::serve(listener, app, options, shutdown_signal())
        .await
        .context("serving")?;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}
