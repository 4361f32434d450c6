#![doc = include_str!("../README.md")]

pub mod bootstrap;
pub mod cli;
mod commands;
mod private_files;
pub mod settings;
mod telemetry;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::settings::Settings;

/// Runs the command line; returns the process exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // A health check only talks to a server: it must not depend on (or fail with) the
    // configuration that server was started with.
    if let Some(Command::Healthcheck(args)) = &cli.command {
        return commands::healthcheck::run(args);
    }
    // So do the clients of other servers.
    match cli.command {
        Some(Command::Pull(args)) => return commands::remote::pull(args),
        Some(Command::Push(args)) => return commands::remote::push(args),
        Some(Command::Check(args)) => return commands::remote::check(args),
        Some(Command::Admin(args)) => return commands::admin::run(args),
        _ => {}
    }
    let settings = match Settings::load(&cli.settings) {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("rolie: configuration error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let serving = matches!(cli.command, None | Some(Command::Serve));
    if serving && let Err(e) = settings.token_keys() {
        eprintln!("rolie: configuration error: {e:#}");
        return ExitCode::from(2);
    }
    telemetry::init(settings.log_format, serving);
    // One crypto provider for rustls, installed explicitly (CRATES.md: two providers in the
    // tree make ServerConfig::builder panic).
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("rolie: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => commands::serve::run(settings).await,
            Command::Migrate(args) if args.status => commands::migrate::status(settings).await,
            Command::Migrate(_) => commands::migrate::run(settings).await,
            Command::Token(args) => commands::token::run(settings, args).await,
            Command::Import(args) => commands::import::run(settings, args).await,
            Command::Audit(args) => commands::audit::run(settings, args).await,
            Command::Backup(args) => commands::backup::run(settings, &args.file).await,
            Command::Export(args) => {
                commands::archive::export(settings, &args.collection, &args.dir).await
            }
            Command::Restore(args) => commands::archive::restore(settings, &args.dir).await,
            Command::Config(cli::ConfigCommand::Check) => commands::config::check(&settings),
            Command::Healthcheck(_)
            | Command::Pull(_)
            | Command::Push(_)
            | Command::Check(_)
            | Command::Admin(_) => {
                unreachable!("answered before the settings are loaded")
            }
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("rolie: {e:#}");
            ExitCode::FAILURE
        }
    }
}
