//! The shared storage conformance suite on a fresh PostgreSQL database per test.
//!
//! Needs `ROLIE_TEST_DATABASE_URL` (e.g. `postgres://postgres@127.0.0.1:5432/test`); without
//! it every test prints why it skipped.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use rolie_store::Store;
use rolie_store::conformance::{Harness, sample_entry, sample_spec};
use rolie_store_postgres::{PgSettings, PgStore};
use sqlx::Connection;

/// Drops the per-test database when the test ends, from a thread of its own because `Drop`
/// cannot await. The store is not closed first: closing waits for its listener connection,
/// whose task cannot run while the test's runtime waits for this thread; `with (force)`
/// ends every connection instead.
struct TempDatabase {
    admin_url: String,
    name: String,
    _store: PgStore,
}

impl Drop for TempDatabase {
    fn drop(&mut self) {
        let (admin_url, name) = (self.admin_url.clone(), self.name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(async move {
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
    fresh_at().await.map(|(harness, _)| harness)
}

/// A fresh database, its store and its URL (for a second store on the same database).
async fn fresh_at() -> Option<(Harness, String)> {
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
    Some((
        Harness {
            store: Arc::new(store.clone()),
            guard: Box::new(TempDatabase {
                admin_url,
                name,
                _store: store,
            }),
        },
        url,
    ))
}

rolie_store::conformance_tests!(fresh);

/// Two stores on one database stand for two replicas. B keeps what it read while its change
/// counter stays put, and hears of A's commits through `LISTEN/NOTIFY`, which arrive some
/// time after the commit. Once `caught_up` says yes, B has counted every commit A made
/// before the call, so nothing B kept from before A's write is used after it.
#[tokio::test]
async fn a_replica_caught_up_has_counted_every_earlier_commit() {
    let Some((harness, url)) = fresh_at().await else {
        return;
    };
    let a = harness.store.clone();
    let b = PgStore::connect(&url, &PgSettings::default())
        .await
        .expect("a second store on the database");
    let counter = b.change_counter().expect("PostgreSQL has a change counter");
    a.create_collection(&sample_spec("replicated"))
        .await
        .expect("collection");
    for round in 0..50 {
        let before = counter.load(Ordering::Acquire);
        a.create_entry(sample_entry("replicated", round))
            .await
            .expect("create on A");
        assert!(b.caught_up().await, "round {round}: B's barrier came back");
        assert!(
            counter.load(Ordering::Acquire) > before,
            "round {round}: B counted A's commit before saying it caught up"
        );
    }
    b.close().await;
}
