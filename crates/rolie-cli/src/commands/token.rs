//! `rolie token`: mint a bearer token, or issue a feed-reader credential.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use rolie_authz::authenticate::{FeedTokenGrant, FeedTokenSecret};
use rolie_model::Restriction;

use crate::bootstrap;
use crate::cli::{Clearance, TokenArgs};
use crate::settings::Settings;

fn clearance(settings: &Settings, chosen: Option<Clearance>) -> Restriction {
    chosen.map_or(settings.policy.default_clearance, Restriction::from)
}

/// Prints a token on standard output (and nothing else there, for scripts).
pub async fn run(settings: Settings, args: TokenArgs) -> Result<ExitCode> {
    let clearance = clearance(&settings, args.clearance);
    if args.feed_reader {
        let store = bootstrap::open_store(&settings).await?;
        let (token, secret) = FeedTokenSecret::issue(FeedTokenGrant {
            subject: args.subject.clone(),
            label: args.label.clone(),
            clearance,
            collections: args.collections.clone(),
            expires: Some(
                rolie_model::timestamp::now() + time::Duration::days(i64::from(args.days)),
            ),
        });
        let token = store
            .create_feed_token(&token)
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
    let secret = bootstrap::hs256_secret(&settings)?.ok_or_else(|| {
        anyhow!(
            "rolie token signs with an HS256 secret, and none is configured: this server \
             verifies tokens with jwt.public_keys or jwt.jwks_file, so mint them where the \
             private keys are, or set ROLIE_JWT_HS256_SECRET or ROLIE_JWT_HS256_SECRET_FILE"
        )
    })?;
    let token = bootstrap::mint(
        &settings,
        &secret.bytes,
        args.subject,
        args.scope,
        clearance,
        time::Duration::days(i64::from(args.days)),
    )?;
    println!("{token}");
    Ok(ExitCode::SUCCESS)
}
