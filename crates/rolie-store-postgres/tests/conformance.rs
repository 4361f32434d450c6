//! The shared storage conformance suite on a fresh PostgreSQL database per test.
//!
//! Needs `ROLIE_TEST_DATABASE_URL` (e.g. `postgres://postgres@127.0.0.1:5432/test`); without
//! it every test prints why it skipped.

use std::io::Write;
use std::sync::Arc;

use rolie_store::conformance::Harness;
use rolie_store_postgres::{PgSettings, PgStore};
use sqlx::Connection;

/// Drops the per-test database when the test ends, from a thread of its own because `Drop`
/// cannot await.
struct TempDatabase {
    admin_url: String,
    name: String,
    store: PgStore,
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let (admin_url, name, store) = (
            self.admin_url.clone(),
            self.name.clone(),
            self.store.clone(),
        );
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
                store.close().await;
                let mut admin = sqlx::PgConnection::connect(&admin_url)
                    .await
                    .map_err(std::io::Error::other)?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "drop database if exists {name} with (force)"
                )))
                .execute(&mut admin)
                .await
                .map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("could not drop test database {}", self.name);
        }
    }
}

async fn fresh() -> Option<Harness> {
    let Ok(admin_url) = std::env::var("ROLIE_TEST_DATABASE_URL") else {
        // Written to the process's standard error, which the test harness does not capture,
        // so the skip shows in `cargo test` output instead of passing as a silent "ok".
        let _ = writeln!(
            std::io::stderr(),
            "skipped: set ROLIE_TEST_DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/test) to run the PostgreSQL conformance suite"
        );
        return None;
    };
    let name = format!("rolie_test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&admin_url)
        .await
        .expect("connect to ROLIE_TEST_DATABASE_URL");
    sqlx::query(sqlx::AssertSqlSafe(format!("create database {name}")))
        .execute(&mut admin)
        .await
        .expect("create test database");
    let url = match admin_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => panic!("ROLIE_TEST_DATABASE_URL has no database path"),
    };
    let store = PgStore::connect(&url, &PgSettings::default())
        .await
        .expect("connect to test database");
    Some(Harness {
        store: Arc::new(store.clone()),
        guard: Box::new(TempDatabase {
            admin_url,
            name,
            store,
        }),
    })
}

rolie_store::conformance_tests!(fresh);
