//! Group commit: concurrent entry creations share one transaction, and so one `fsync`.
//!
//! SQLite has one writer, and a durable commit (`synchronous=FULL`) waits for the disk. One
//! transaction per created entry made publishing wait on the disk once per entry, however
//! many clients published at once. Here every creation is a job sent to one committer task;
//! the committer takes whatever jobs are waiting (at least one, at most [`MAX_BATCH`]), runs
//! each inside a savepoint of one `BEGIN IMMEDIATE` transaction, commits once, and only then
//! answers each job. So:
//!
//! - nothing is acknowledged before its commit is durable;
//! - a job that fails (a duplicate `atom:id`, say) is rolled back to its savepoint alone and
//!   gets its own error, while the others commit;
//! - a failed commit fails every job of the batch, none of which was answered yet;
//! - a client that goes away does not cancel its job mid-transaction: the job runs to its
//!   savepoint's end like any other, and its answer is dropped.
//!
//! There is no waiting for a batch to fill: a batch is what queued while the previous one
//! was committing, so a lone publisher pays nothing for it.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use rolie_store::StoreError;
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::error::map;
use crate::write::WriteTx;

/// Most jobs in one transaction: bounds how long one commit holds the writer.
const MAX_BATCH: usize = 64;

/// Jobs that may wait for the committer; a publisher beyond them waits to send.
const QUEUE: usize = 1024;

type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// What the jobs of one batch share: each collection's latest `app:edited` handed out, so
/// only a batch's first creation in a collection reads it from the database. A value
/// handed to a job that was then rolled back is not reused: `app:edited` stays strictly
/// increasing, with a gap.
#[derive(Debug, Default)]
pub(crate) struct Clock {
    last_edited: HashMap<String, i64>,
}

impl Clock {
    /// The edit time for the next write to `collection` in this batch (`wanted` when
    /// restoring an archive: [`rolie_store::backend::edited_at`]).
    pub(crate) async fn next_edited(
        &mut self,
        connection: &mut SqliteConnection,
        collection: &str,
        wanted: Option<time::OffsetDateTime>,
    ) -> Result<i64, StoreError> {
        let last = match self.last_edited.get(collection) {
            Some(last) => *last,
            None => sqlx::query_scalar("select last_edited from collections where name = ?")
                .bind(collection)
                .fetch_optional(&mut *connection)
                .await
                .map_err(map)?
                .ok_or(StoreError::NotFound)?,
        };
        let edited = rolie_store::backend::edited_at(last, wanted);
        self.last_edited.insert(collection.to_owned(), edited);
        Ok(edited)
    }
}

/// What a job did: whether its writes are kept, and how it answers once the batch's
/// commit is known.
struct Done {
    keep: bool,
    answer: Box<dyn FnOnce(Result<(), StoreError>) + Send>,
}

/// One unit of work for the committer.
trait Job: Send {
    /// Runs the work on the writer connection, inside the batch's transaction.
    fn run<'c>(
        self: Box<Self>,
        connection: &'c mut SqliteConnection,
        clock: &'c mut Clock,
    ) -> BoxFuture<'c, Done>;
    /// Answers without running (the batch could not start).
    fn fail(self: Box<Self>, error: StoreError);
}

/// What a job does: its writes on the writer connection, inside the batch's transaction,
/// with the batch's clock.
pub(crate) trait Work<T>:
    for<'c> FnOnce(&'c mut SqliteConnection, &'c mut Clock) -> BoxFuture<'c, Result<T, StoreError>>
    + Send
    + 'static
{
}

impl<T, F> Work<T> for F where
    F: for<'c> FnOnce(
            &'c mut SqliteConnection,
            &'c mut Clock,
        ) -> BoxFuture<'c, Result<T, StoreError>>
        + Send
        + 'static
{
}

struct Pending<T, F> {
    work: F,
    reply: oneshot::Sender<Result<T, StoreError>>,
}

impl<T, F> Job for Pending<T, F>
where
    T: Send + 'static,
    F: Work<T>,
{
    fn run<'c>(
        self: Box<Self>,
        connection: &'c mut SqliteConnection,
        clock: &'c mut Clock,
    ) -> BoxFuture<'c, Done> {
        let Pending { work, reply } = *self;
        Box::pin(async move {
            let result = work(connection, clock).await;
            Done {
                keep: result.is_ok(),
                answer: Box::new(move |committed| {
                    // A failed job keeps its own error; a kept one gets the commit's.
                    let _ = reply.send(result.and_then(|value| committed.map(|()| value)));
                }),
            }
        })
    }

    fn fail(self: Box<Self>, error: StoreError) {
        let _ = self.reply.send(Err(error));
    }
}

/// The way to the committer task.
#[derive(Debug, Clone)]
pub(crate) struct Committer {
    jobs: mpsc::Sender<Box<dyn Job>>,
}

impl Committer {
    /// Starts the committer on `writer` (the pool of the one writer connection).
    pub(crate) fn start(writer: SqlitePool) -> Committer {
        let (jobs, queue) = mpsc::channel(QUEUE);
        tokio::spawn(commit_batches(writer, queue));
        Committer { jobs }
    }

    /// Runs `work` in the next batch and returns its result once the batch is committed.
    ///
    /// # Errors
    /// The work's own error, the commit's, or `Unavailable` when the committer has stopped.
    pub(crate) async fn run<T, F>(&self, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: Work<T>,
    {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Box::new(Pending { work, reply }))
            .await
            .map_err(|_| StoreError::Unavailable("the database writer has stopped".into()))?;
        answer.await.map_err(|_| {
            StoreError::Unavailable("the database writer stopped before committing".into())
        })?
    }
}

async fn commit_batches(writer: SqlitePool, mut queue: mpsc::Receiver<Box<dyn Job>>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let (size, started) = (batch.len(), std::time::Instant::now());
        commit_batch(&writer, &mut batch).await;
        tracing::debug!(
            jobs = size,
            micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
            "committed a batch"
        );
    }
}

/// Runs `batch` in one transaction and answers every job.
async fn commit_batch(writer: &SqlitePool, batch: &mut Vec<Box<dyn Job>>) {
    let mut tx = match WriteTx::begin(writer).await {
        Ok(tx) => tx,
        Err(e) => {
            for job in batch.drain(..) {
                job.fail(e.clone());
            }
            return;
        }
    };
    // A lone job needs no savepoint: on failure the whole transaction is its own.
    let savepoints = batch.len() > 1;
    let mut done: Vec<Done> = Vec::with_capacity(batch.len());
    let mut jobs = batch.drain(..).peekable();
    let mut broken = None;
    let mut clock = Clock::default();
    if savepoints && let Err(e) = sql(&mut tx, "savepoint job").await {
        broken = Some(e);
    }
    while broken.is_none()
        && let Some(job) = jobs.next()
    {
        let outcome = job.run(&mut tx, &mut clock).await;
        if savepoints {
            // The end of this job's savepoint and the start of the next one's, in one
            // round trip to SQLite.
            let end = match (outcome.keep, jobs.peek().is_some()) {
                (true, true) => "release job; savepoint job",
                (true, false) => "release job",
                (false, true) => "rollback to job; release job; savepoint job",
                (false, false) => "rollback to job; release job",
            };
            // Failing here means SQLite gave up the whole transaction (an I/O error, a full
            // disk): what ran before is gone, and what follows must not run outside it.
            if let Err(e) = sql(&mut tx, end).await {
                broken = Some(e);
            }
        }
        done.push(outcome);
    }
    if let Some(e) = broken {
        for job in jobs {
            job.fail(e.clone());
        }
        drop(tx);
        for outcome in done {
            (outcome.answer)(Err(e.clone()));
        }
        return;
    }
    drop(jobs);
    let committed = if !savepoints && done.iter().all(|d| !d.keep) {
        // The lone job failed: nothing to keep (dropping the transaction rolls it back).
        drop(tx);
        Ok(())
    } else {
        tx.commit().await
    };
    for outcome in done {
        (outcome.answer)(committed.clone());
    }
}

async fn sql(
    connection: &mut SqliteConnection,
    statements: &'static str,
) -> Result<(), StoreError> {
    sqlx::raw_sql(statements)
        .execute(connection)
        .await
        .map_err(map)?;
    Ok(())
}
