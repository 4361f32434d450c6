//! Write transactions on the single writer connection.
//!
//! SQLite rolls a transaction back by itself after some errors (a full disk, an I/O error),
//! and a request can be cancelled mid-transaction. sqlx's `Transaction` then queues a
//! rollback that fails and leaves the connection unusable, so writes manage `BEGIN
//! IMMEDIATE`/`COMMIT` themselves, and the pool rolls back whatever is left open whenever the
//! connection comes back ([`roll_back_on_release`]).

use std::ops::{Deref, DerefMut};

use rolie_store::StoreError;
use sqlx::pool::{PoolConnection, PoolConnectionMetadata};
use sqlx::{Sqlite, SqliteConnection, SqlitePool};

use crate::error::map;

/// The future a pool hook returns.
type BoxFuture<'a, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'a>>;

/// An open write transaction; dropping it without [`WriteTx::commit`] rolls it back (when the
/// connection returns to the pool).
pub(crate) struct WriteTx {
    connection: PoolConnection<Sqlite>,
}

impl WriteTx {
    /// Takes the writer connection and starts an immediate transaction, so the write lock is
    /// held from the start (no lock upgrade that could fail half-way).
    pub(crate) async fn begin(pool: &SqlitePool) -> Result<WriteTx, StoreError> {
        let mut connection = pool.acquire().await.map_err(map)?;
        sqlx::query("begin immediate")
            .execute(&mut *connection)
            .await
            .map_err(map)?;
        Ok(WriteTx { connection })
    }

    /// Commits. On failure SQLite has rolled back or the release hook will.
    pub(crate) async fn commit(mut self) -> Result<(), StoreError> {
        sqlx::query("commit")
            .execute(&mut *self.connection)
            .await
            .map_err(map)?;
        Ok(())
    }
}

impl Deref for WriteTx {
    type Target = SqliteConnection;

    fn deref(&self) -> &SqliteConnection {
        &self.connection
    }
}

impl DerefMut for WriteTx {
    fn deref_mut(&mut self) -> &mut SqliteConnection {
        &mut self.connection
    }
}

/// The writer pool's release hook: roll back any transaction still open. "No transaction is
/// active" is the normal case; any other failure closes the connection so the pool opens a
/// fresh one.
pub(crate) fn roll_back_on_release(
    connection: &mut SqliteConnection,
    _: PoolConnectionMetadata,
) -> BoxFuture<'_, Result<bool, sqlx::Error>> {
    Box::pin(async move {
        match sqlx::query("rollback").execute(&mut *connection).await {
            Ok(_) => Ok(true),
            Err(sqlx::Error::Database(e)) if e.message().contains("no transaction is active") => {
                Ok(true)
            }
            Err(e) => {
                tracing::warn!("closing the writer connection after a failed rollback: {e}");
                Ok(false)
            }
        }
    })
}
