#![doc = include_str!("../README.md")]

pub mod authenticate;
mod credentials;
mod gate;
mod policy;
mod principal;

pub use authenticate::{AuthError, Authenticator, AuthenticatorChain};
pub use credentials::{CertificateNames, ClientCertificate, Credentials};
pub use gate::{
    AccessError, Administrator, CollectionAdministrator, CollectionWriter, EntryWriter, Gate,
    ReadableCollection, Reader,
};
pub use policy::{
    Action, Authorizer, CollectionGrants, Decision, PolicyAuthorizer, PolicyConfig, Resource,
};
pub use principal::{AuthMethod, Principal, SCOPE_ADMIN, SCOPE_READ, SCOPE_WRITE, Scopes};
