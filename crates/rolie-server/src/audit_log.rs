//! The audit log's writer: records of concurrent requests are committed together.
//!
//! Every write request leaves an audit record (R-8322-9-a), and on SQLite each record was a
//! commit of its own on the one writer connection, as costly as the publication it records.
//! Here one task takes every record waiting when it gets to them and appends them in one
//! statement; each request still waits until its record is committed, so an acknowledged
//! write's record survives a crash as the write does. Alone, a record goes at once; under
//! load, records share commits.

use rolie_authz::Gate;
use rolie_store::{AuditRecord, StoreError, StoreResult};
use tokio::sync::{mpsc, oneshot};

/// Records waiting at most (further requests wait for room: back-pressure, not loss).
const QUEUE: usize = 1024;
/// Records committed together at most.
const BATCH: usize = 256;

type Waiting = (AuditRecord, oneshot::Sender<StoreResult<()>>);

/// A handle to the writer; cloned into every request.
#[derive(Clone)]
pub struct AuditLog {
    queue: Option<mpsc::Sender<Waiting>>,
    gate: Gate,
}

impl AuditLog {
    /// Starts the writer on the current Tokio runtime; without one (a test building state
    /// outside a runtime), records are written one by one by the caller.
    pub fn start(gate: Gate) -> Self {
        let queue = tokio::runtime::Handle::try_current().ok().map(|runtime| {
            let (sender, receiver) = mpsc::channel(QUEUE);
            runtime.spawn(write(gate.clone(), receiver));
            sender
        });
        AuditLog { queue, gate }
    }

    /// Appends `record`; returns once it is committed.
    ///
    /// # Errors
    /// The store's, or `Unavailable` when the writer is gone.
    pub async fn record(&self, record: AuditRecord) -> StoreResult<()> {
        let Some(queue) = &self.queue else {
            return self.gate.record(&record).await;
        };
        let (done, committed) = oneshot::channel();
        queue
            .send((record, done))
            .await
            .map_err(|_| StoreError::Unavailable("the audit writer has stopped".into()))?;
        committed
            .await
            .map_err(|_| StoreError::Unavailable("the audit writer has stopped".into()))?
    }
}

/// Takes what is waiting, commits it in one go, answers every waiter; ends when every
/// handle is gone.
async fn write(gate: Gate, mut receiver: mpsc::Receiver<Waiting>) {
    let mut batch = Vec::with_capacity(BATCH);
    while receiver.recv_many(&mut batch, BATCH).await > 0 {
        let (records, waiters): (Vec<AuditRecord>, Vec<oneshot::Sender<StoreResult<()>>>) =
            batch.drain(..).unzip();
        let result = gate.record_all(&records).await;
        for waiter in waiters {
            let _ = waiter.send(result.clone());
        }
    }
}
