//! End-to-end tests of the built `rolie` binary, run as a separate process: first run,
//! configuration errors, token keys, TLS, graceful shutdown, SIGKILL durability, replicas,
//! the health check, the clients people run; and the files that tell how to run it: the
//! container deployment and the README.

mod access_log;
mod admin_cli;
mod backup;
mod browser;
mod clients;
mod config;
mod deployment;
mod durability;
mod first_run;
mod healthcheck;
mod keys;
mod readme;
mod remote;
mod replicas;
mod schemas;
mod shutdown;
mod soak;
mod support;
mod tls;
