//! `rolie config check`: loads the configuration as `rolie serve` would (file, environment,
//! flags), checks it, and prints the effective values with every secret masked. It opens
//! no database and binds no port.

use std::process::ExitCode;

use anyhow::Result;
use serde_json::{Value, json};

use crate::commands::migrate::redact;
use crate::settings::Settings;

fn masked(set: bool) -> Value {
    if set { json!("***") } else { Value::Null }
}

/// The effective configuration, secrets masked.
pub fn effective(settings: &Settings) -> Value {
    let jwt = &settings.jwt;
    json!({
        "listen": settings.listen.to_string(),
        "base_url": settings.base_url,
        "database_url": redact(&settings.database_url),
        "data_dir": settings.data_dir,
        "allow_plain_http": settings.allow_plain_http,
        "behind_tls_proxy": settings.behind_tls_proxy,
        "trusted_proxies": settings.trusted_proxies.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "organization": settings.organization,
        "max_body_bytes": settings.max_body_bytes,
        "page_size": settings.page_size,
        "max_page_size": settings.max_page_size,
        "require_if_match": settings.require_if_match,
        "log_format": format!("{:?}", settings.log_format).to_lowercase(),
        "access_log": settings.access_log,
        "request_timeout_seconds": settings.request_timeout.as_secs(),
        "max_connections": settings.max_connections,
        "max_connections_per_address": settings.max_connections_per_address,
        "max_concurrent_requests": settings.max_concurrent_requests,
        "header_timeout_seconds": settings.header_timeout.as_secs(),
        "idle_timeout_seconds": settings.idle_timeout.as_secs(),
        "render_cache_bytes": settings.render_cache_bytes,
        "render_cache_entries": settings.render_cache_entries,
        "change_log_retention_days": settings.change_log_retention.map_or(0, |d| d.as_secs() / 86_400),
        "head_tombstone_days": settings.head_tombstone_window.map_or(0, |d| d.as_secs() / 86_400),
        "shutdown_grace_seconds": settings.shutdown_grace.as_secs(),
        "tls": {
            "cert": settings.tls.cert,
            "key": settings.tls.key,
            "client_ca": settings.tls.client_ca,
        },
        "jwt": {
            "hs256_secret": masked(settings.hs256_secret.is_some()),
            "public_keys": jwt.public_keys.iter().map(|k| json!({"path": k.path, "algorithm": k.algorithm, "kid": k.kid})).collect::<Vec<_>>(),
            "jwks_file": jwt.jwks_file,
            "issuers": jwt.issuers,
            "audiences": jwt.audiences,
            "leeway_seconds": jwt.leeway_seconds,
        },
        "client_certificates": settings.client_certificates.len(),
        "policy": format!("{:?}", settings.policy),
        "restriction": format!("{:?}", settings.restriction),
        "rate_limits": format!("{:?}", settings.rate_limits),
        "postgres": format!("{:?}", settings.postgres),
        "collections": settings.collections,
    })
}

/// Prints the effective configuration; start-up would refuse what `token_keys` refuses,
/// so that is checked too.
pub fn check(settings: &Settings) -> Result<ExitCode> {
    settings.token_keys()?;
    println!(
        "{}",
        serde_json::to_string_pretty(&effective(settings)).unwrap_or_default()
    );
    eprintln!("rolie config check: the configuration is valid");
    Ok(ExitCode::SUCCESS)
}
