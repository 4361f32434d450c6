//! Maps PostgreSQL errors onto store errors.

use rolie_store::{Conflict, StoreError};

/// SQLSTATEs we tell apart.
const SERIALIZATION_FAILURE: &str = "40001";
const DEADLOCK_DETECTED: &str = "40P01";
const QUERY_CANCELED: &str = "57014";
const ADMIN_SHUTDOWN: &str = "57P01";
const CANNOT_CONNECT_NOW: &str = "57P03";
const TOO_MANY_CONNECTIONS: &str = "53300";
const DISK_FULL: &str = "53100";
const READ_ONLY_TRANSACTION: &str = "25006";

/// Whether the error is worth retrying the whole transaction for.
pub(crate) fn is_retryable(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(db)
        if matches!(db.code().as_deref(), Some(SERIALIZATION_FAILURE | DEADLOCK_DETECTED)))
}

/// Converts a sqlx error.
pub(crate) fn map(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::RowNotFound => StoreError::NotFound,
        sqlx::Error::PoolTimedOut => {
            StoreError::Unavailable("timed out waiting for a database connection".into())
        }
        sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
            StoreError::Unavailable("the database connection is closed".into())
        }
        sqlx::Error::Io(e) => StoreError::Unavailable(format!("database connection: {e}")),
        sqlx::Error::Tls(e) => StoreError::Unavailable(format!("database TLS: {e}")),
        sqlx::Error::Protocol(e) => StoreError::Unavailable(format!("database protocol: {e}")),
        sqlx::Error::Database(db) => {
            if db.is_unique_violation() {
                return StoreError::Conflict(Conflict::Unique {
                    constraint: db.constraint().unwrap_or(db.message()).to_owned(),
                });
            }
            match db.code().as_deref() {
                Some(SERIALIZATION_FAILURE | DEADLOCK_DETECTED) => {
                    StoreError::Unavailable("concurrent writes kept conflicting".into())
                }
                Some(QUERY_CANCELED) => {
                    StoreError::Unavailable("the database statement timed out".into())
                }
                Some(ADMIN_SHUTDOWN | CANNOT_CONNECT_NOW | TOO_MANY_CONNECTIONS) => {
                    StoreError::Unavailable(db.message().to_owned())
                }
                Some(DISK_FULL) => StoreError::Unavailable("the database disk is full".into()),
                Some(READ_ONLY_TRANSACTION) => {
                    StoreError::Unavailable("the database is read-only".into())
                }
                _ => StoreError::Internal(error.to_string()),
            }
        }
        _ => StoreError::Internal(error.to_string()),
    }
}
