#![doc = include_str!("../README.md")]

mod batch;
mod collections;
mod entries;
mod error;
mod feed;
mod records;
mod store;
mod write;

use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rolie_store::StoreError;
use sqlx::SqliteConnection;
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
    writer: Writer,
    reader: SqlitePool,
    /// Moves after this process's writes and when another process's commit is noticed
    /// ([`watch_other_writers`]); see `Store::change_counter`.
    changes: Arc<AtomicU64>,
}

/// The writer pool and the committer that batches entry creations on it ([`batch`]).
/// Derefs to the pool, for the writes that run one at a time.
#[derive(Debug, Clone)]
pub(crate) struct Writer {
    pool: SqlitePool,
    committer: batch::Committer,
}

impl std::ops::Deref for Writer {
    type Target = SqlitePool;

    fn deref(&self) -> &SqlitePool {
        &self.pool
    }
}

/// How long a write may wait for the database before the caller gets `Unavailable`.
const WRITE_WAIT: Duration = Duration::from_secs(10);

/// How often another process's commits are looked for (`rolie import` next to a running
/// server): the longest a cache of this process may lag behind them.
const OTHER_WRITERS_POLL: Duration = Duration::from_millis(100);

/// The counters every write of collections or entries moves in its own transaction (the
/// collections' `change_seq`, their number, `store_state.collections_version`).
/// `PRAGMA data_version` would be the cheaper signal, but through sqlx's cached statements
/// it did not move here.
async fn write_marks(connection: &mut SqliteConnection) -> Result<(i64, i64, i64), sqlx::Error> {
    sqlx::query_as(
        "select count(*), coalesce(sum(change_seq), 0), \
         (select collections_version from store_state where id = 1) from collections",
    )
    .fetch_one(connection)
    .await
}

/// Moves `changes` whenever another connection's commit moved the write marks since
/// `baseline`, which was read before the store was handed out, so nothing a cache kept can
/// predate it. Ends when the store is gone.
async fn watch_other_writers(
    mut connection: SqliteConnection,
    baseline: (i64, i64, i64),
    changes: std::sync::Weak<AtomicU64>,
) {
    let mut last = baseline;
    loop {
        tokio::time::sleep(OTHER_WRITERS_POLL).await;
        let Some(changes) = changes.upgrade() else {
            return;
        };
        match write_marks(&mut connection).await {
            Ok(now) if now == last => {}
            Ok(now) => {
                last = now;
                changes.fetch_add(1, Ordering::Release);
            }
            // Not knowing is treated as a change.
            Err(_) => {
                changes.fetch_add(1, Ordering::Release);
            }
        }
    }
}

/// Connection options for `url` (`sqlite://path` or a plain path).
fn connect_options(url: &str) -> Result<SqliteConnectOptions, StoreError> {
    Ok(if url.starts_with("sqlite:") {
        SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Unavailable(format!("bad SQLite URL: {e}")))?
    } else {
        SqliteConnectOptions::new().filename(Path::new(url))
    })
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite://path` or a plain path)
    /// and applies pending migrations.
    ///
    /// # Errors
    /// `Unavailable` when the file cannot be opened or migrated.
    pub async fn open(url: &str) -> Result<Self, StoreError> {
        let options = connect_options(url)?
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
            .connect_with(options.clone().read_only(true))
            .await
            .map_err(error::map)?;
        let changes = Arc::new(AtomicU64::new(0));
        let mut watcher = sqlx::ConnectOptions::connect(&options.read_only(true))
            .await
            .map_err(error::map)?;
        let baseline = write_marks(&mut watcher).await.map_err(error::map)?;
        tokio::spawn(watch_other_writers(
            watcher,
            baseline,
            Arc::downgrade(&changes),
        ));
        let committer = batch::Committer::start(writer.clone());
        Ok(SqliteStore {
            writer: Writer {
                pool: writer,
                committer,
            },
            reader,
            changes,
        })
    }

    /// Applies pending migrations (also done by [`SqliteStore::open`]) and returns how many
    /// are applied in total.
    ///
    /// # Errors
    /// `Unavailable` when migrating fails.
    pub async fn migrate(&self) -> Result<usize, StoreError> {
        let migrator = sqlx::migrate!("../../migrations/sqlite");
        migrator
            .run(&self.writer.pool)
            .await
            .map_err(|e| StoreError::Unavailable(format!("migrating the SQLite database: {e}")))?;
        Ok(migrator.iter().count())
    }

    /// Writes a consistent copy of the database at `url` to `target`, which must not exist,
    /// while servers may be using it: `VACUUM INTO` reads one snapshot on a read-only
    /// connection (under WAL it blocks no writer) and writes a compact database file,
    /// which is durable when this returns.
    ///
    /// # Errors
    /// `Unavailable` when the database cannot be read or `target` cannot be written.
    pub async fn backup(url: &str, target: &Path) -> Result<(), StoreError> {
        if target.exists() {
            return Err(StoreError::Unavailable(format!(
                "{} exists; a backup never overwrites a file",
                target.display()
            )));
        }
        let target = target.to_str().ok_or_else(|| {
            StoreError::Unavailable(format!("{} is not a UTF-8 path", target.display()))
        })?;
        let options = connect_options(url)?
            .create_if_missing(false)
            .read_only(true)
            .busy_timeout(Duration::from_secs(30));
        let mut connection = sqlx::ConnectOptions::connect(&options)
            .await
            .map_err(error::map)?;
        sqlx::query("vacuum into ?")
            .bind(target)
            .execute(&mut connection)
            .await
            .map_err(|e| StoreError::Unavailable(format!("backing up into {target}: {e}")))?;
        sqlx::Connection::close(connection)
            .await
            .map_err(error::map)?;
        Ok(())
    }

    /// The migrations this build has and which of them the database at `url` has, read
    /// without migrating anything (`None`: there is no database file yet).
    ///
    /// # Errors
    /// `Unavailable` when the database cannot be read.
    pub async fn migration_status(
        url: &str,
    ) -> Result<Option<Vec<rolie_store::backend::MigrationState>>, StoreError> {
        let options = connect_options(url)?
            .create_if_missing(false)
            .read_only(true);
        let mut connection = match sqlx::ConnectOptions::connect(&options).await {
            Ok(connection) => connection,
            Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("14") => return Ok(None),
            Err(e) => return Err(error::map(e)),
        };
        let recorded: bool = sqlx::query_scalar(
            "select count(*) > 0 from sqlite_master where type = 'table' and name = '_sqlx_migrations'",
        )
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
        Ok(Some(rolie_store::backend::migration_states(
            &sqlx::migrate!("../../migrations/sqlite"),
            &applied,
        )))
    }

    /// Closes both pools, waiting for connections to finish.
    pub async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}
