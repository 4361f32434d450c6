//! `rolie audit`: the audit log, newest first.

use std::process::ExitCode;

use anyhow::{Result, anyhow};

use crate::bootstrap;
use crate::cli::AuditArgs;
use crate::commands::operator;
use crate::settings::Settings;

/// Prints one line per record.
pub async fn run(settings: Settings, args: AuditArgs) -> Result<ExitCode> {
    let store = bootstrap::open_store(&settings).await?;
    let gate = bootstrap::gate(&settings, store);
    let principal = operator("rolie-audit");
    let admin = gate.administrator(&principal).map_err(|e| anyhow!("{e}"))?;
    let records = admin
        .audit(None, args.limit.clamp(1, 10_000))
        .await
        .map_err(|e| anyhow!("reading the audit log: {e}"))?;
    for entry in records {
        let r = entry.record;
        println!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
            entry.seq,
            rolie_model::timestamp::format(r.at),
            r.subject,
            r.action,
            r.resource,
            r.outcome,
            r.status,
            r.request_id.unwrap_or_default()
        );
    }
    Ok(ExitCode::SUCCESS)
}
