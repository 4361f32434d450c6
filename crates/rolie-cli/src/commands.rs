//! One module per subcommand.

pub mod admin;
pub mod archive;
pub mod audit;
pub mod backup;
pub mod config;
pub mod healthcheck;
pub mod import;
pub mod migrate;
pub mod remote;
pub mod serve;
pub mod token;

use rolie_authz::{AuthMethod, Principal, Scopes};
use rolie_model::Restriction;

/// The principal command-line tools act as: they run with the operator's access to the
/// database, so they hold every right.
pub fn operator(subject: &str) -> Principal {
    Principal {
        subject: subject.to_owned(),
        display_name: Some("rolie command line".to_owned()),
        scopes: Scopes::parse(rolie_authz::SCOPE_ADMIN),
        clearance: Restriction::Private,
        method: AuthMethod::Bearer,
    }
}
