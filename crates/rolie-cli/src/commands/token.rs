//! `rolie token`: mint a bearer token, or issue a feed-reader credential.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use rolie_authz::authenticate::{FeedTokenSecret, TokenIssuer, TokenRequest, hash_secret};
use rolie_model::Restriction;
use rolie_store::NewFeedToken;
use uuid::Uuid;

use crate::bootstrap;
use crate::cli::TokenArgs;
use crate::settings::Settings;

fn clearance(settings: &Settings, label: Option<&str>) -> Result<Restriction> {
    match label {
        Some(label) => Restriction::from_label(label)
            .ok_or_else(|| anyhow!("--clearance: \"{label}\" is not a restriction level")),
        None => Ok(settings.policy.default_clearance),
    }
}

/// Prints a token on standard output (and nothing else there, for scripts).
pub async fn run(settings: Settings, args: TokenArgs) -> Result<ExitCode> {
    let clearance = clearance(&settings, args.clearance.as_deref())?;
    if args.feed_reader {
        let store = bootstrap::open_store(&settings).await?;
        let secret = FeedTokenSecret::generate();
        let token = store
            .create_feed_token(&NewFeedToken {
                id: Uuid::new_v4(),
                subject: args.subject.clone(),
                label: args.label.clone(),
                clearance,
                collections: args.collections.clone(),
                secret_hash: hash_secret(&secret.0),
                expires: Some(
                    rolie_model::timestamp::now() + time::Duration::days(i64::from(args.days)),
                ),
            })
            .await
            .map_err(|e| anyhow!("storing the feed token: {e}"))?;
        println!("{}:{}", token.token.id, secret.0);
        eprintln!(
            "feed-reader credential for {} (clearance {}); user name and password above, shown once.\n\
             Use it over HTTPS with HTTP Basic, e.g. curl -u '{}:{}' {}/rolie/feeds/incidents\n\
             Revoke it with DELETE {}/admin/feed-tokens/{}",
            args.subject,
            clearance.tlp(),
            token.token.id,
            secret.0,
            settings.base_url,
            settings.base_url,
            token.token.id
        );
        return Ok(ExitCode::SUCCESS);
    }
    let (secret, _) = bootstrap::hs256_secret(&settings)?;
    let token = TokenIssuer::hs256(&secret)
        .mint(&TokenRequest {
            subject: args.subject,
            scope: args.scope,
            clearance: Some(clearance),
            lifetime: time::Duration::days(i64::from(args.days)),
            issuer: settings.jwt.issuers.first().cloned(),
            audience: settings.jwt.audiences.first().cloned(),
        })
        .map_err(|e| anyhow!("signing the token: {e}"))?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
