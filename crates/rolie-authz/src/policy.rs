//! Who may do what: the `Authorizer` trait and the built-in policy read from configuration.

use std::collections::BTreeMap;

use rolie_model::Restriction;
use rolie_store::CollectionSpec;
use serde::Deserialize;

use crate::Principal;

/// What a caller wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Read a collection's feed, entries and content, or see it in the service document.
    Read,
    /// Create, replace or delete entries of a collection.
    Write,
    /// Manage collections, tokens and the audit log (or one collection, when given).
    Administer,
}

/// What it wants to do it to.
#[derive(Debug, Clone, Copy)]
pub enum Resource<'a> {
    /// One collection.
    Collection(&'a CollectionSpec),
    /// The server as a whole (collections list, tokens, audit).
    Server,
}

/// The answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Go ahead.
    Allow,
    /// Refused.
    Deny,
}

/// Decides requests. Implementations may call out to a policy service; they must be quick,
/// since every request asks.
pub trait Authorizer: Send + Sync {
    /// Decides whether `principal` may perform `action` on `resource`.
    fn decide(&self, principal: &Principal, action: Action, resource: Resource<'_>) -> Decision;
}

/// Per-collection grants by subject, on top of token scopes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollectionGrants {
    /// Subjects that may read.
    #[serde(default)]
    pub readers: Vec<String>,
    /// Subjects that may write (and read).
    #[serde(default)]
    pub writers: Vec<String>,
    /// Subjects that may administer the collection (and read and write it).
    #[serde(default)]
    pub admins: Vec<String>,
}

/// The built-in policy's configuration (`[policy]` in the TOML file).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// Clearance of bearer tokens that carry no `clearance` claim.
    #[serde(default = "default_clearance")]
    pub default_clearance: Restriction,
    /// Subjects that administer the whole server, besides holders of `rolie:admin`.
    #[serde(default)]
    pub admins: Vec<String>,
    /// Grants per collection name.
    #[serde(default)]
    pub collections: BTreeMap<String, CollectionGrants>,
}

fn default_clearance() -> Restriction {
    Restriction::Public
}

impl Default for PolicyConfig {
    fn default() -> Self {
        PolicyConfig {
            default_clearance: default_clearance(),
            admins: Vec::new(),
            collections: BTreeMap::new(),
        }
    }
}

/// Scopes from the token, grants from the configuration, anonymous reads of public
/// collections (R-8322-5.4-b).
#[derive(Debug, Clone, Default)]
pub struct PolicyAuthorizer {
    config: PolicyConfig,
}

impl PolicyAuthorizer {
    /// The policy of `config`.
    pub fn new(config: PolicyConfig) -> Self {
        PolicyAuthorizer { config }
    }

    fn server_admin(&self, principal: &Principal) -> bool {
        !principal.is_anonymous()
            && (principal.scopes.admin || self.config.admins.contains(&principal.subject))
    }
}

impl Authorizer for PolicyAuthorizer {
    fn decide(&self, principal: &Principal, action: Action, resource: Resource<'_>) -> Decision {
        let allowed = match resource {
            Resource::Server => action == Action::Administer && self.server_admin(principal),
            Resource::Collection(spec) => {
                let name = spec.name.as_str();
                let grants = self.config.collections.get(name);
                let listed = |pick: fn(&CollectionGrants) -> &Vec<String>| {
                    grants.is_some_and(|g| pick(g).contains(&principal.subject))
                };
                let collection_admin = self.server_admin(principal)
                    || (!principal.is_anonymous() && listed(|g| &g.admins));
                let writer = collection_admin
                    || (!principal.is_anonymous()
                        && (principal.scopes.may_write(name) || listed(|g| &g.writers)));
                match action {
                    Action::Administer => collection_admin,
                    Action::Write => writer,
                    Action::Read => {
                        spec.public
                            || writer
                            || (!principal.is_anonymous()
                                && (principal.scopes.may_read(name) || listed(|g| &g.readers)))
                    }
                }
            }
        };
        if allowed {
            Decision::Allow
        } else {
            Decision::Deny
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AuthMethod, Scopes};
    use rolie_store::CollectionName;

    fn spec(name: &str, public: bool) -> CollectionSpec {
        CollectionSpec {
            name: CollectionName::parse(name).unwrap(),
            title: name.into(),
            information_type: "incident".into(),
            workspace: "w".into(),
            accept: vec![],
            max_restriction: Restriction::Private,
            public,
        }
    }

    fn principal(subject: &str, scope: &str) -> Principal {
        Principal {
            subject: subject.into(),
            display_name: None,
            scopes: Scopes::parse(scope),
            clearance: Restriction::Public,
            method: AuthMethod::Bearer,
        }
    }

    #[test]
    fn anonymous_callers_read_public_collections_only() {
        let policy = PolicyAuthorizer::default();
        let anon = Principal::anonymous();
        assert_eq!(
            policy.decide(
                &anon,
                Action::Read,
                Resource::Collection(&spec("open", true))
            ),
            Decision::Allow
        );
        assert_eq!(
            policy.decide(
                &anon,
                Action::Read,
                Resource::Collection(&spec("closed", false))
            ),
            Decision::Deny
        );
        assert_eq!(
            policy.decide(
                &anon,
                Action::Write,
                Resource::Collection(&spec("open", true))
            ),
            Decision::Deny
        );
    }

    #[test]
    fn narrowed_scopes_grant_one_collection() {
        let policy = PolicyAuthorizer::default();
        let p = principal("w", "rolie:write:incidents");
        assert_eq!(
            policy.decide(
                &p,
                Action::Write,
                Resource::Collection(&spec("incidents", false))
            ),
            Decision::Allow
        );
        assert_eq!(
            policy.decide(
                &p,
                Action::Write,
                Resource::Collection(&spec("indicators", false))
            ),
            Decision::Deny
        );
        assert_eq!(
            policy.decide(&p, Action::Administer, Resource::Server),
            Decision::Deny
        );
    }

    #[test]
    fn configured_grants_apply_by_subject() {
        let mut config = PolicyConfig::default();
        config.collections.insert(
            "incidents".into(),
            CollectionGrants {
                readers: vec!["r".into()],
                writers: vec![],
                admins: vec!["ca".into()],
            },
        );
        config.admins.push("boss".into());
        let policy = PolicyAuthorizer::new(config);
        let s = spec("incidents", false);
        assert_eq!(
            policy.decide(&principal("r", ""), Action::Read, Resource::Collection(&s)),
            Decision::Allow
        );
        assert_eq!(
            policy.decide(&principal("r", ""), Action::Write, Resource::Collection(&s)),
            Decision::Deny
        );
        assert_eq!(
            policy.decide(
                &principal("ca", ""),
                Action::Administer,
                Resource::Collection(&s)
            ),
            Decision::Allow
        );
        assert_eq!(
            policy.decide(&principal("ca", ""), Action::Administer, Resource::Server),
            Decision::Deny
        );
        assert_eq!(
            policy.decide(&principal("boss", ""), Action::Administer, Resource::Server),
            Decision::Allow
        );
    }
}
