//! Work the server does for itself while serving: removing change-log rows older than the
//! configured retention (`change_log_retention_days`). Every replica runs it; removing the
//! same rows twice is harmless.

use std::time::Duration;

use crate::state::AppState;

/// How often old changes are removed.
const EVERY: Duration = Duration::from_secs(3600);

/// Starts the housekeeping task: once at start, then every hour. Nothing to do when the
/// change log is kept forever.
pub fn spawn(state: AppState) -> Option<tokio::task::JoinHandle<()>> {
    let retention = state.config.change_log_retention?;
    Some(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(EVERY);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            let before = rolie_model::timestamp::now() - retention;
            match state.gate.prune_changes(before).await {
                Ok(0) => {}
                Ok(removed) => tracing::info!(removed, "removed change-log rows past retention"),
                Err(e) => tracing::warn!("could not remove old change-log rows: {e}"),
            }
        }
    }))
}
