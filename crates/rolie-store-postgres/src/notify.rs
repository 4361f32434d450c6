//! What other replicas wrote, learnt through `LISTEN/NOTIFY`, so readers may keep what they
//! read while nothing changed, without trusting a notification to arrive in time.
//!
//! Every transaction that changes the `collections` table (every entry write moves its
//! collection's counters there) sends a notification on [`CHANGES`] when it commits
//! (migration 0004). A listener connection per process moves the change counter on each.
//!
//! A notification arrives some time after its commit, and the cross-replica promise is
//! exact: a client that wrote through one replica and then asks another must not get an
//! answer from before its write. So a reader does not trust the counter alone: it first
//! waits for a barrier ([`Changes::caught_up`]), a notification this process sends to
//! itself after the reader arrived. PostgreSQL delivers notifications to a listener in
//! commit order, so when the barrier comes back every commit that completed before the
//! reader arrived has moved the counter. One barrier serves every reader that arrived
//! before it was sent, so under load it costs one round trip per batch of readers, not one
//! database read per request. When no barrier comes back in time (the listener lost its
//! connection, the database is down) the reader reads the database, as without a counter.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;
use tokio::sync::{Notify, watch};

/// The channel every commit that changed collections or entries notifies.
pub(crate) const CHANGES: &str = "rolie_changes";

/// How long a reader waits for a barrier before reading the database instead.
const BARRIER_WAIT: Duration = Duration::from_millis(500);

/// How long the listener waits before connecting again after a failure.
const RETRY: Duration = Duration::from_millis(200);

/// The change counter and its barriers.
#[derive(Debug)]
pub(crate) struct Changes {
    counter: Arc<AtomicU64>,
    /// This process's barrier channel: `rolie_barrier_<random>`.
    barrier_channel: String,
    /// Barriers whose sending has begun.
    started: Arc<AtomicU64>,
    /// The latest barrier the listener has received.
    reached: watch::Receiver<u64>,
    /// Wakes the barrier sender.
    wanted: Arc<Notify>,
    /// Stops both tasks when sent to or dropped.
    stop: watch::Sender<()>,
}

impl Changes {
    /// Starts the listener and the barrier sender on `pool`'s database. Both stop when the
    /// returned value is dropped.
    pub(crate) fn start(pool: PgPool) -> Arc<Changes> {
        let (reached_tx, reached) = watch::channel(0);
        let (stop, stopped) = watch::channel(());
        let changes = Arc::new(Changes {
            counter: Arc::new(AtomicU64::new(0)),
            barrier_channel: format!("rolie_barrier_{}", uuid::Uuid::new_v4().simple()),
            started: Arc::new(AtomicU64::new(0)),
            reached,
            wanted: Arc::new(Notify::new()),
            stop,
        });
        tokio::spawn(until_stopped(
            stopped.clone(),
            listen(
                pool.clone(),
                changes.counter.clone(),
                changes.barrier_channel.clone(),
                reached_tx,
            ),
        ));
        tokio::spawn(until_stopped(
            stopped,
            send_barriers(
                pool,
                changes.wanted.clone(),
                changes.started.clone(),
                changes.barrier_channel.clone(),
            ),
        ));
        changes
    }

    /// Stops listening and sending barriers, giving their connections back to the pool
    /// (closing the pool waits for them).
    pub(crate) fn stop(&self) {
        self.stop.send_replace(());
    }

    /// The counter: moves on every change this process hears of.
    pub(crate) fn counter(&self) -> Arc<AtomicU64> {
        self.counter.clone()
    }

    /// Moves the counter after one of this process's own writes returned.
    pub(crate) fn wrote(&self) {
        self.counter.fetch_add(1, Ordering::Release);
    }

    /// Waits until the counter reflects every commit that completed before this call began;
    /// `false` when that could not be established in time.
    pub(crate) async fn caught_up(&self) -> bool {
        // A barrier whose sending begins after this load was sent after this call began.
        let needed = self.started.load(Ordering::SeqCst) + 1;
        self.wanted.notify_one();
        let mut reached = self.reached.clone();
        matches!(
            tokio::time::timeout(BARRIER_WAIT, reached.wait_for(|r| *r >= needed)).await,
            Ok(Ok(_))
        )
    }
}

/// Runs `task` until the [`Changes`] it serves is dropped.
async fn until_stopped(mut stopped: watch::Receiver<()>, task: impl Future<Output = ()>) {
    tokio::select! {
        _ = stopped.changed() => {}
        () = task => {}
    }
}

/// Sends a barrier whenever a reader waits for one, one at a time: every reader that
/// arrives while one is on its way shares the next. (Several in flight at once cost more
/// database and listener work per reader than they saved in waiting, on two cores.)
async fn send_barriers(
    pool: PgPool,
    wanted: Arc<Notify>,
    started: Arc<AtomicU64>,
    channel: String,
) {
    loop {
        wanted.notified().await;
        let number = started.fetch_add(1, Ordering::SeqCst) + 1;
        if let Err(e) = sqlx::query("select pg_notify($1, $2)")
            .bind(&channel)
            .bind(number.to_string())
            .execute(&pool)
            .await
        {
            tracing::debug!("could not send a change barrier: {e}");
            tokio::time::sleep(RETRY).await;
        }
    }
}

/// Moves the counter on every change notification and publishes every barrier received.
async fn listen(
    pool: PgPool,
    counter: Arc<AtomicU64>,
    barrier_channel: String,
    reached: watch::Sender<u64>,
) {
    // Set when notifications may have been missed: the next one heard (on a connection that
    // listens again) first moves the counter, covering whatever was missed.
    let mut missed = true;
    let mut listener: Option<PgListener> = None;
    loop {
        let active = match listener.as_mut() {
            Some(active) => active,
            None => match connect(&pool, &barrier_channel).await {
                Ok(connected) => listener.insert(connected),
                Err(e) => {
                    tracing::warn!("cannot listen for other replicas' changes: {e}");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            },
        };
        match active.try_recv().await {
            Ok(Some(notification)) => {
                if std::mem::take(&mut missed) {
                    counter.fetch_add(1, Ordering::Release);
                }
                if notification.channel() == CHANGES {
                    counter.fetch_add(1, Ordering::Release);
                } else if let Ok(number) = notification.payload().parse::<u64>() {
                    reached.send_if_modified(|latest| {
                        let newer = number > *latest;
                        if newer {
                            *latest = number;
                        }
                        newer
                    });
                }
            }
            Ok(None) => {
                tracing::warn!("lost the connection listening for other replicas' changes");
                missed = true;
                counter.fetch_add(1, Ordering::Release);
            }
            Err(e) => {
                tracing::warn!("listening for other replicas' changes failed: {e}");
                missed = true;
                counter.fetch_add(1, Ordering::Release);
                listener = None;
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

async fn connect(pool: &PgPool, barrier_channel: &str) -> Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen_all([CHANGES, barrier_channel]).await?;
    Ok(listener)
}
