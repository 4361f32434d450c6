//! Temporary databases: a SQLite file in a temporary directory, or a fresh PostgreSQL
//! database created from `ROLIE_TEST_DATABASE_URL` and dropped afterwards.

use std::sync::Arc;

use rolie_store::Store;
use rolie_store_postgres::{PgSettings, PgStore};
use rolie_store_sqlite::SqliteStore;
use sqlx::Connection;

/// Which backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default.
    Sqlite,
    /// PostgreSQL from `ROLIE_TEST_DATABASE_URL`.
    Postgres,
}

/// The PostgreSQL server for tests, if configured.
pub fn postgres_url() -> Option<String> {
    std::env::var("ROLIE_TEST_DATABASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
}

/// A database that lives as long as this value.
pub struct TestDb {
    /// Its URL.
    pub url: String,
    /// The backend.
    pub backend: Backend,
    dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// A fresh database on `backend`.
    ///
    /// # Panics
    /// For PostgreSQL when `ROLIE_TEST_DATABASE_URL` is not set or the server refuses.
    pub async fn create(backend: Backend) -> Self {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                let url = format!("sqlite://{}", dir.path().join("rolie.db").display());
                TestDb {
                    url,
                    backend,
                    dir: Some(dir),
                    postgres: None,
                }
            }
            Backend::Postgres => {
                let admin = postgres_url().expect("ROLIE_TEST_DATABASE_URL is set");
                let name = format!("rolie_test_{}", uuid::Uuid::new_v4().simple());
                let mut connection = sqlx::PgConnection::connect(&admin)
                    .await
                    .expect("connect to ROLIE_TEST_DATABASE_URL");
                sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
                    .execute(&mut connection)
                    .await
                    .expect("create test database");
                let base = admin
                    .rsplit_once('/')
                    .map(|(b, _)| b.to_owned())
                    .expect("database URL with a path");
                TestDb {
                    url: format!("{base}/{name}"),
                    backend,
                    dir: None,
                    postgres: Some((admin, name)),
                }
            }
        }
    }

    /// The directory of a SQLite database.
    pub fn dir(&self) -> Option<&std::path::Path> {
        self.dir.as_ref().map(tempfile::TempDir::path)
    }

    /// Opens the store (migrating it).
    pub async fn open(&self) -> Arc<dyn Store> {
        self.open_at(&self.url).await
    }

    /// Opens the store at `url` (this database reached another way, e.g. through a proxy).
    pub async fn open_at(&self, url: &str) -> Arc<dyn Store> {
        match self.backend {
            Backend::Sqlite => Arc::new(SqliteStore::open(url).await.expect("open SQLite")),
            Backend::Postgres => Arc::new(
                PgStore::connect(url, &PgSettings::default())
                    .await
                    .expect("connect PostgreSQL"),
            ),
        }
    }

    /// A SQLite database in `dir` (which the caller owns), e.g. on a small file system.
    pub fn sqlite_in(dir: &std::path::Path) -> Self {
        TestDb {
            url: format!("sqlite://{}", dir.join("rolie.db").display()),
            backend: Backend::Sqlite,
            dir: None,
            postgres: None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin, name)) = self.postgres.take() else {
            return;
        };
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async move {
                let mut connection = sqlx::PgConnection::connect(&admin).await.ok()?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "drop database if exists {name} with (force)"
                )))
                .execute(&mut connection)
                .await
                .ok()
            })
        })
        .join();
    }
}
