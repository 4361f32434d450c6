//! Maps SQLite errors onto store errors: constraint violations become `Conflict`, a busy,
//! full or read-only database `Unavailable` (503 with Retry-After), the rest `Internal`.

use rolie_store::{Conflict, StoreError};

/// SQLite primary result codes we tell apart (the low byte of the extended code).
const BUSY: i64 = 5;
const LOCKED: i64 = 6;
const READONLY: i64 = 8;
const IOERR: i64 = 10;
const FULL: i64 = 13;
const CANTOPEN: i64 = 14;

/// Converts a sqlx error.
pub(crate) fn map(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::PoolTimedOut => {
            StoreError::Unavailable("timed out waiting for the database".into())
        }
        sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable("the database connection is closed".into())
        }
        sqlx::Error::Io(e) => StoreError::Unavailable(format!("database I/O: {e}")),
        sqlx::Error::Database(db) => {
            if db.is_unique_violation() {
                // SQLite names no constraint; its message names the columns
                // ("UNIQUE constraint failed: entries.collection, entries.atom_id").
                return StoreError::Conflict(Conflict::Unique {
                    constraint: db.message().to_owned(),
                });
            }
            let code = db
                .code()
                .and_then(|c| c.parse::<i64>().ok())
                .map_or(0, |c| c & 0xff);
            match code {
                BUSY | LOCKED => StoreError::Unavailable("the database is busy".into()),
                FULL => StoreError::Unavailable("the disk holding the database is full".into()),
                READONLY => StoreError::Unavailable("the database is read-only".into()),
                IOERR | CANTOPEN => StoreError::Unavailable(format!(
                    "the database cannot be written (its file system may be read-only or failing): {}",
                    db.message()
                )),
                _ => StoreError::Internal(error.to_string()),
            }
        }
        _ => StoreError::Internal(error.to_string()),
    }
}
