#![doc = include_str!("../README.md")]

mod collections;
mod entries;
mod error;
mod feed;
mod notify;
mod records;
mod store;

use std::str::FromStr;
use std::time::Duration;

use rolie_store::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

/// Connection settings for [`PgStore::connect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgSettings {
    /// Most connections this process opens.
    pub max_connections: u32,
    /// How long to wait for a connection before answering `Unavailable`.
    pub acquire_timeout: Duration,
    /// Server-side limit on any single statement.
    pub statement_timeout: Duration,
}

impl Default for PgSettings {
    fn default() -> Self {
        PgSettings {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(10),
        }
    }
}

/// The store on a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
    /// Other replicas' commits as they are heard of ([`notify`]).
    changes: std::sync::Arc<notify::Changes>,
}

impl PgStore {
    /// Connects to `url` (`postgres://…`) and applies pending migrations.
    ///
    /// # Errors
    /// `Unavailable` when the database cannot be reached or migrated.
    pub async fn connect(url: &str, settings: &PgSettings) -> Result<Self, StoreError> {
        let timeout_ms = settings.statement_timeout.as_millis().to_string();
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad PostgreSQL URL: {e}")))?
            .options([("statement_timeout", timeout_ms.as_str())])
            .application_name("rolie");
        let pool = PgPoolOptions::new()
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            // A lazy pool lets the server start, and answer 503, while the database is down;
            // the first query reports the outage.
            .connect_lazy_with(options);
        let changes = notify::Changes::start(pool.clone());
        let store = PgStore { pool, changes };
        store.migrate().await?;
        Ok(store)
    }

    /// The migrations this build has and which of them the database at `url` has, read
    /// without migrating anything.
    ///
    /// # Errors
    /// `Unavailable` when the database cannot be reached or read.
    pub async fn migration_status(
        url: &str,
    ) -> Result<Vec<rolie_store::backend::MigrationState>, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad PostgreSQL URL: {e}")))?
            .application_name("rolie");
        let mut connection = sqlx::ConnectOptions::connect(&options)
            .await
            .map_err(error::map)?;
        let recorded: bool =
            sqlx::query_scalar("select to_regclass('_sqlx_migrations') is not null")
                .fetch_one(&mut connection)
                .await
                .map_err(error::map)?;
        let applied: Vec<i64> = if recorded {
            sqlx::query_scalar("select version from _sqlx_migrations where success")
                .fetch_all(&mut connection)
                .await
                .map_err(error::map)?
        } else {
            Vec::new()
        };
        let _ = sqlx::Connection::close(connection).await;
        Ok(rolie_store::backend::migration_states(
            &sqlx::migrate!("../../migrations/postgres"),
            &applied,
        ))
    }

    /// Applies pending migrations and returns how many exist.
    ///
    /// # Errors
    /// `Unavailable` when migrating fails.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let migrator = sqlx::migrate!("../../migrations/postgres");
        migrator.run(&self.pool).await.map_err(|e| {
            StoreError::Unavailable(format!("migrating the PostgreSQL database: {e}"))
        })?;
        Ok(migrator.iter().count())
    }

    /// Stops listening for other replicas' changes and closes the pool.
    pub async fn close(&self) {
        self.changes.stop();
        self.pool.close().await;
    }
}
