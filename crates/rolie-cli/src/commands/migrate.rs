//! `rolie migrate`: apply migrations and exit.

use std::process::ExitCode;

use anyhow::Result;

use crate::bootstrap;
use crate::settings::Settings;

/// Opens the database (which applies pending migrations) and reports.
pub async fn run(settings: Settings) -> Result<ExitCode> {
    let store = bootstrap::open_store(&settings).await?;
    store
        .ping()
        .await
        .map_err(|e| anyhow::anyhow!("ROLIE_DATABASE_URL: {e}"))?;
    println!("database at {} is migrated", redact(&settings.database_url));
    Ok(ExitCode::SUCCESS)
}

/// Prints each migration of this build as applied or pending for the configured
/// database, migrating nothing; exit 0 when none is pending, 1 otherwise.
pub async fn status(settings: Settings) -> Result<ExitCode> {
    let states = if settings.is_postgres() {
        Some(
            rolie_store_postgres::PgStore::migration_status(&settings.database_url)
                .await
                .map_err(|e| anyhow::anyhow!("ROLIE_DATABASE_URL: {e}"))?,
        )
    } else {
        rolie_store_sqlite::SqliteStore::migration_status(&settings.database_url)
            .await
            .map_err(|e| anyhow::anyhow!("ROLIE_DATABASE_URL: {e}"))?
    };
    let url = redact(&settings.database_url);
    let Some(states) = states else {
        println!("database at {url} does not exist yet: every migration is pending");
        return Ok(ExitCode::from(1));
    };
    for state in &states {
        println!(
            "{:<8} {:>4}  {}",
            if state.applied { "applied" } else { "pending" },
            state.version,
            state.description
        );
    }
    let pending = states.iter().filter(|s| !s.applied).count();
    println!(
        "database at {url}: {} applied, {pending} pending",
        states.len() - pending
    );
    Ok(if pending == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A database URL without its password.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let userinfo = &url[scheme + 3..at];
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{}{user}:***{}", &url[..scheme + 3], &url[at..])
        }
        _ => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://u:secret@h/db"),
            "postgres://u:***@h/db"
        );
        assert_eq!(super::redact("sqlite://x.db"), "sqlite://x.db");
    }
}
