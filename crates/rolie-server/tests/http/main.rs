//! HTTP tests: the real server on a real socket, a real client, SQLite always and
//! PostgreSQL when `ROLIE_TEST_DATABASE_URL` is set. Doc comments cite the requirement each
//! test checks (shared/spec/spec-rolie.md).

mod admin;
mod authz;
mod caching;
mod codings;
mod connections;
mod disclosure;
mod discovery;
mod entries;
mod errors;
mod feeds;
mod metrics;
mod openapi;
mod pages;
mod profile;
mod publishing;
mod robustness;
mod search;
mod sync;
mod unauthenticated;
