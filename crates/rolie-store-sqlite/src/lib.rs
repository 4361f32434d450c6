#![doc = include_str!("../README.md")]

mod collections;
mod entries;
mod error;
mod feed;
mod records;
mod store;
mod write;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use rolie_store::StoreError;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

/// The store on one SQLite database file.
///
/// Writes go through a pool of exactly one connection, so the server's own writers queue in
/// the pool instead of meeting `database is locked`; `busy_timeout` covers other processes
/// (e.g. `rolie import` next to a running server). Reads use their own pool and, thanks to
/// WAL, never wait for writers.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    writer: SqlitePool,
    reader: SqlitePool,
}

/// How long a write may wait for the database before the caller gets `Unavailable`.
const WRITE_WAIT: Duration = Duration::from_secs(10);

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://path` or a plain path)
    /// and applies pending migrations.
    ///
    /// # Errors
    /// `Unavailable` when the file cannot be opened or migrated.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = if url.starts_with("sqlite:") {
            SqliteConnectOptions::from_str(url)
                .map_err(|e| StoreError::Unavailable(format!("bad SQLite URL: {e}")))?
        } else {
            SqliteConnectOptions::new().filename(Path::new(url))
        }
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // FULL also under WAL: an acknowledged write survives power loss (STYLE §5).
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .after_release(write::roll_back_on_release)
            .acquire_timeout(WRITE_WAIT)
            .connect_with(options.clone())
            .await
            .map_err(error::map)?;
        let store_writer = writer.clone();
        sqlx::migrate!("../../migrations/sqlite")
            .run(&store_writer)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migrating the SQLite database: {e}")))?;
        let reader = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(5))
            .connect_with(options.read_only(true))
            .await
            .map_err(error::map)?;
        Ok(SqliteStore { writer, reader })
    }

    /// Applies pending migrations (also done by [`SqliteStore::open`]) and returns how many
    /// are applied in total.
    ///
    /// # Errors
    /// `Unavailable` when migrating fails.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let migrator = sqlx::migrate!("../../migrations/sqlite");
        migrator
            .run(&self.writer)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migrating the SQLite database: {e}")))?;
        Ok(migrator.iter().count())
    }

    /// Closes both pools, waiting for connections to finish.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}
