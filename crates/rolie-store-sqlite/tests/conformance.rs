//! The shared storage conformance suite on a fresh SQLite file per test.

use std::sync::Arc;

use rolie_store::conformance::Harness;
use rolie_store_sqlite::SqliteStore;

async fn fresh() -> Option<Harness> {
    let dir = tempfile::tempdir().expect("temporary directory");
    let store = SqliteStore::open(dir.path().join("rolie.db").to_str().expect("utf-8 path"))
        .await
        .expect("open SQLite store");
    Some(Harness {
        store: Arc::new(store),
        guard: Box::new(dir),
    })
}

rolie_store::conformance_tests!(fresh);
