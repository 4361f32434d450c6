//! A client for any ROLIE (RFC 8322) server, shared by `rolie pull`, `rolie push` and
//! `rolie check`.
//!
//! - [`Client`]: HTTP with the credentials a ROLIE server takes (bearer token, HTTP Basic,
//!   client certificate, a private CA), bodies bounded in size, requests spaced by a rate
//!   limit, and links followed on the server's own origin only unless told otherwise.
//! - [`mirror`]: mirrors collections into a directory, with conditional GET always and
//!   incremental sync where the server offers it.
//! - [`push`]: validates documents with the server's own publishing rules and publishes them.
//! - [`check`]: walks a server and reports what it observes against the ROLIE requirements.
//!
//! A hostile server cannot make it panic or exhaust memory: every body is bounded, every
//! document is read with the hardened readers of `rolie-model`, and every failure is a
//! [`ClientError`].

pub mod check;
mod client;
mod error;
pub mod mirror;
pub mod push;

pub use client::{Auth, Client, ClientConfig, Fetched, Response};
pub use error::ClientError;
