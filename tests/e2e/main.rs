//! End-to-end tests of the built `rolie` binary, run as a separate process: first run,
//! configuration errors, TLS, graceful shutdown, SIGKILL durability, replicas, the health
//! check; and the container deployment files that run it.

mod config;
mod deployment;
mod durability;
mod first_run;
mod healthcheck;
mod replicas;
mod shutdown;
mod soak;
mod support;
mod tls;
