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
