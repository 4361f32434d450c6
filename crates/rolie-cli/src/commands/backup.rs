//! `rolie backup FILE`: a consistent copy of the embedded database, taken while serving.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use rolie_store_sqlite::SqliteStore;

use crate::settings::Settings;

/// Copies the SQLite database to `target` (which must not exist). PostgreSQL has its own
/// tools for this, and the message says which.
pub async fn run(settings: Settings, target: &Path) -> Result<ExitCode> {
    if settings.is_postgres() {
        eprintln!(
            "rolie backup: the database is PostgreSQL; back it up with its own tools, e.g. \
             pg_dump --format=custom --file=rolie.dump \"$ROLIE_DATABASE_URL\" \
             (restore with pg_restore --clean --dbname=...)"
        );
        return Ok(ExitCode::from(2));
    }
    SqliteStore::backup(&settings.database_url, target)
        .await
        .map_err(|e| anyhow!("rolie backup: {e}"))?;
    let size = std::fs::metadata(target).map(|m| m.len()).unwrap_or(0);
    println!(
        "rolie backup: {} written ({size} bytes); restore by pointing ROLIE_DATABASE_URL at it, or by copying it over the database file while no server runs",
        target.display()
    );
    Ok(ExitCode::SUCCESS)
}
