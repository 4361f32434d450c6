//! End-to-end tests of the built `rolie` binary, run as a separate process: first run,
//! configuration errors, token keys, TLS, graceful shutdown, SIGKILL durability, replicas.

mod config;
mod durability;
mod first_run;
mod keys;
mod replicas;
mod shutdown;
mod soak;
mod support;
mod tls;
