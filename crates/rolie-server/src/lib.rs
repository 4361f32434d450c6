#![doc = include_str!("../README.md")]

pub mod access_log;
mod audit;
pub mod audit_log;
mod body;
pub mod caller;
pub mod conditional;
pub mod config;
mod encode;
mod envelope;
pub mod error;
pub mod housekeeping;
pub mod html;
pub mod metrics;
pub mod negotiate;
pub mod present;
pub mod rate_limit;
pub mod render_cache;
mod respond;
mod router;
mod routes;
pub mod serve;
pub mod state;
mod sync_token;
pub mod urls;

pub use config::ServerConfig;
pub use router::{PATHS, app};
pub use serve::{
    ServeOptions, ServerCertificate, TlsMaterial, reloadable_tls_config, serve, tls_config,
};
pub use state::AppState;
