//! `rolie pull`, `rolie push` and `rolie check`: clients of any ROLIE server (this one or
//! another), on `rolie-client`. They need no configuration of a server of their own.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rolie_client::check::{CheckOptions, Severity};
use rolie_client::mirror::{PullOptions, PullReport};
use rolie_client::push::{Outcome, PushOptions};
use rolie_client::{Auth, Client, ClientConfig, ClientError};

use crate::cli::{CheckArgs, PullArgs, PushArgs, RemoteArgs};

/// Exit code when the command worked but found faults (refused files, check errors).
const FOUND: u8 = 1;
/// Exit code when the command could not do its work.
const FAILED: u8 = 2;

pub(crate) fn runtime() -> Option<tokio::runtime::Runtime> {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| eprintln!("rolie: cannot start the runtime: {e}"))
        .ok()
}

fn read(path: &PathBuf, what: &str) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("the {what} {}: {e}", path.display()))
}

pub(crate) fn client(url: &str, remote: &RemoteArgs) -> Result<Client, String> {
    let auth = match (&remote.token, &remote.user, &remote.password) {
        (Some(token), None, None) => Auth::Bearer(token.clone()),
        (None, Some(user), Some(password)) => Auth::Basic {
            user: user.clone(),
            password: password.clone(),
        },
        (None, None, None) => Auth::None,
        _ => {
            return Err("give either --token, or --user with --password, or neither".to_owned());
        }
    };
    let config = ClientConfig {
        auth,
        identity_pem: remote
            .client_cert
            .as_ref()
            .map(|p| read(p, "client certificate"))
            .transpose()?,
        ca_pem: remote
            .ca
            .as_ref()
            .map(|p| read(p, "CA certificate"))
            .transpose()?,
        min_interval: if remote.rate > 0.0 {
            Duration::from_secs_f64(1.0 / remote.rate)
        } else {
            Duration::ZERO
        },
        timeout: Duration::from_secs(remote.timeout.max(1)),
        any_origin: remote.any_origin,
        ..ClientConfig::default()
    };
    Client::new(url, config).map_err(|e| e.to_string())
}

/// A progress bar on standard error for long runs: drawn only when standard error is a
/// terminal (indicatif's rule), never with `--json`, so scripts and logs never see it.
fn progress_bar(json: bool, template: &str) -> ProgressBar {
    if json {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

fn print_pull(report: &PullReport, json: bool) {
    if json {
        println!("{}", serde_json::to_string(report).unwrap_or_default());
        return;
    }
    println!(
        "rolie pull: {} collections, {} entries written, {} unchanged, {} deleted, {} not modified (304){}",
        report.collections,
        report.written,
        report.unchanged,
        report.deleted,
        report.not_modified,
        if report.synced > 0 {
            format!(", {} by incremental sync", report.synced)
        } else {
            String::new()
        }
    );
    for problem in &report.problems {
        eprintln!("rolie pull: {problem}");
    }
}

/// `rolie pull URL DIR [--watch SECONDS]`.
pub fn pull(args: PullArgs) -> ExitCode {
    let client = match client(&args.url, &args.remote) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("rolie pull: {e}");
            return ExitCode::from(FAILED);
        }
    };
    let Some(runtime) = runtime() else {
        return ExitCode::from(FAILED);
    };
    let options = PullOptions {
        collections: args.collection.clone(),
        progress: progress_bar(
            args.remote.json,
            "{spinner} {msg}: {pos}/{len} entries [{elapsed}]",
        ),
    };
    runtime.block_on(async {
        let Some(every) = args.watch else {
            let pulled = rolie_client::mirror::pull(&client, &args.url, &args.dir, &options).await;
            options.progress.finish_and_clear();
            return match pulled {
                Ok(report) => {
                    print_pull(&report, args.remote.json);
                    if report.problems.is_empty() {
                        ExitCode::SUCCESS
                    } else {
                        ExitCode::from(FOUND)
                    }
                }
                Err(e) => {
                    eprintln!("rolie pull: {e}");
                    ExitCode::from(FAILED)
                }
            };
        };
        let every = Duration::from_secs(every.max(1));
        let mut wait = every;
        loop {
            options.progress.reset();
            options.progress.set_length(0);
            let pulled = rolie_client::mirror::pull(&client, &args.url, &args.dir, &options).await;
            options.progress.finish_and_clear();
            match pulled {
                Ok(report) => {
                    print_pull(&report, args.remote.json);
                    wait = every;
                }
                Err(e) => {
                    eprintln!("rolie pull: {e}");
                    // Back off: double the wait up to ten intervals, or as the server asks.
                    wait = e
                        .retry_after()
                        .unwrap_or_else(|| (wait * 2).min(every * 10))
                        .max(every);
                }
            }
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                _ = tokio::signal::ctrl_c() => return ExitCode::SUCCESS,
            }
        }
    })
}

/// `rolie push FILES… COLLECTION-URL`.
pub fn push(args: PushArgs) -> ExitCode {
    let mut paths = args.paths.clone();
    let Some(collection) = paths.pop() else {
        return ExitCode::from(FAILED);
    };
    let files =
        match rolie_client::push::documents(&paths.iter().map(PathBuf::from).collect::<Vec<_>>()) {
            Ok(files) => files,
            Err(e) => {
                eprintln!("rolie push: {e}");
                return ExitCode::from(FAILED);
            }
        };
    let client = match client(&collection, &args.remote) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("rolie push: {e}");
            return ExitCode::from(FAILED);
        }
    };
    let Some(runtime) = runtime() else {
        return ExitCode::from(FAILED);
    };
    let options = PushOptions {
        update: args.update,
        dry_run: args.dry_run,
        concurrency: args.concurrency,
        progress: progress_bar(args.remote.json, "{bar:40} {pos}/{len} files [{elapsed}]"),
    };
    let report = runtime.block_on(rolie_client::push::push(
        &client,
        &collection,
        files,
        &options,
    ));
    options.progress.finish_and_clear();
    if args.remote.json {
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else {
        for file in &report.files {
            let path = file.path.display();
            match &file.outcome {
                Outcome::Created { entry } => println!("created   {path} -> {entry}"),
                Outcome::Updated { entry } => println!("updated   {path} -> {entry}"),
                Outcome::Unchanged { entry } => println!("unchanged {path} = {entry}"),
                Outcome::Valid => println!("valid     {path}"),
                Outcome::Refused { reason } => println!("refused   {path}: {reason}"),
            }
            for warning in &file.warnings {
                println!("          warning: {warning}");
            }
        }
        println!(
            "rolie push: {} created, {} updated, {} unchanged, {} valid, {} refused",
            report.created(),
            report.updated(),
            report.unchanged(),
            report.valid(),
            report.refused()
        );
    }
    if report.refused() > 0 {
        ExitCode::from(FOUND)
    } else {
        ExitCode::SUCCESS
    }
}

/// `rolie check URL`.
pub fn check(args: CheckArgs) -> ExitCode {
    let client = match client(&args.url, &args.remote) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("rolie check: {e}");
            return ExitCode::from(FAILED);
        }
    };
    let Some(runtime) = runtime() else {
        return ExitCode::from(FAILED);
    };
    let options = CheckOptions {
        max_pages: args.max_pages,
        max_entries: args.max_entries,
        write: args.write,
        xmllint: args.xmllint.clone(),
    };
    let report = match runtime.block_on(rolie_client::check::check(&client, &args.url, &options)) {
        Ok(report) => report,
        Err(e @ ClientError::Status { .. }) | Err(e @ ClientError::Transport { .. }) => {
            eprintln!("rolie check: the service document cannot be read: {e}");
            return ExitCode::from(FAILED);
        }
        Err(e) => {
            eprintln!("rolie check: {e}");
            return ExitCode::from(FAILED);
        }
    };
    if args.remote.json {
        println!("{}", serde_json::to_string(&report).unwrap_or_default());
    } else {
        for (severity, heading) in [(Severity::Error, "Errors"), (Severity::Warning, "Warnings")] {
            let found: Vec<_> = report
                .findings
                .iter()
                .filter(|f| f.severity == severity)
                .collect();
            if found.is_empty() {
                continue;
            }
            println!("{heading} ({}):", found.len());
            for finding in found {
                println!(
                    "  [{}] {}: {}",
                    finding.requirement, finding.url, finding.message
                );
            }
        }
        println!("rolie check: {}", report.schemas);
        println!(
            "rolie check: {} collections, {} feed pages, {} entries, {} content resources read, {} write probes; {} errors, {} warnings",
            report.collections,
            report.pages,
            report.entries,
            report.contents,
            report.writes,
            report
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .count(),
            report
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Warning)
                .count()
        );
    }
    if report.failed() {
        ExitCode::from(FOUND)
    } else {
        ExitCode::SUCCESS
    }
}
