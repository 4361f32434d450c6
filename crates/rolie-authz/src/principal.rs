//! Who is asking: the one identity type every authenticator produces.

use std::collections::BTreeSet;
use std::fmt;

use rolie_model::Restriction;

/// Scope granting read access to every collection.
pub const SCOPE_READ: &str = "rolie:read";
/// Scope granting write access to every collection.
pub const SCOPE_WRITE: &str = "rolie:write";
/// Scope granting administration (collections, tokens, audit).
pub const SCOPE_ADMIN: &str = "rolie:admin";

/// Parsed `scope` claim: global grants plus collection-narrowed ones
/// (`rolie:read:<collection>`, `rolie:write:<collection>`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Scopes {
    /// `rolie:read`.
    pub read_all: bool,
    /// `rolie:write`.
    pub write_all: bool,
    /// `rolie:admin`.
    pub admin: bool,
    /// Collections readable through `rolie:read:<name>`.
    pub read: BTreeSet<String>,
    /// Collections writable through `rolie:write:<name>`.
    pub write: BTreeSet<String>,
}

impl Scopes {
    /// Parses a space-separated scope string; unknown scopes are ignored (other services may
    /// share the token).
    pub fn parse(scope: &str) -> Self {
        let mut scopes = Scopes::default();
        for item in scope.split_ascii_whitespace() {
            match item {
                SCOPE_READ => scopes.read_all = true,
                SCOPE_WRITE => scopes.write_all = true,
                SCOPE_ADMIN => scopes.admin = true,
                _ => {
                    if let Some(c) = item.strip_prefix("rolie:read:") {
                        scopes.read.insert(c.to_owned());
                    } else if let Some(c) = item.strip_prefix("rolie:write:") {
                        scopes.write.insert(c.to_owned());
                    }
                }
            }
        }
        scopes
    }

    /// Whether the scopes let the holder read `collection` (writing implies reading).
    pub fn may_read(&self, collection: &str) -> bool {
        self.admin || self.read_all || self.read.contains(collection) || self.may_write(collection)
    }

    /// Whether the scopes let the holder write `collection`.
    pub fn may_write(&self, collection: &str) -> bool {
        self.admin || self.write_all || self.write.contains(collection)
    }
}

impl fmt::Display for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut items: Vec<String> = Vec::new();
        if self.read_all {
            items.push(SCOPE_READ.into());
        }
        if self.write_all {
            items.push(SCOPE_WRITE.into());
        }
        if self.admin {
            items.push(SCOPE_ADMIN.into());
        }
        items.extend(self.read.iter().map(|c| format!("rolie:read:{c}")));
        items.extend(self.write.iter().map(|c| format!("rolie:write:{c}")));
        f.write_str(&items.join(" "))
    }
}

/// How a principal proved who it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthMethod {
    /// No credentials.
    Anonymous,
    /// A JWT bearer token.
    Bearer,
    /// A verified TLS client certificate (R-8322-5.3-e).
    ClientCertificate,
    /// A feed-reader token sent with HTTP Basic.
    FeedToken,
}

/// An authenticated (or anonymous) caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// Stable subject identifier (`sub`, mapped certificate name, token subject).
    pub subject: String,
    /// Human-readable name, when known.
    pub display_name: Option<String>,
    /// Granted scopes.
    pub scopes: Scopes,
    /// Highest restriction level the caller may see (R-PROF-AUTHZ-c).
    pub clearance: Restriction,
    /// How it authenticated.
    pub method: AuthMethod,
}

impl Principal {
    /// The caller without credentials: no scopes, public clearance.
    pub fn anonymous() -> Self {
        Principal {
            subject: "anonymous".into(),
            display_name: None,
            scopes: Scopes::default(),
            clearance: Restriction::Public,
            method: AuthMethod::Anonymous,
        }
    }

    /// Whether the caller presented no credentials.
    pub fn is_anonymous(&self) -> bool {
        self.method == AuthMethod::Anonymous
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_global_and_narrowed_grants() {
        let s = Scopes::parse("openid rolie:read:incidents rolie:write:indicators");
        assert!(s.may_read("incidents"));
        assert!(!s.may_write("incidents"));
        assert!(s.may_write("indicators"));
        assert!(s.may_read("indicators"), "writing implies reading");
        assert!(!s.may_read("other"));
        assert_eq!(s.to_string(), "rolie:read:incidents rolie:write:indicators");
    }

    #[test]
    fn admin_may_do_everything() {
        let s = Scopes::parse("rolie:admin");
        assert!(s.may_read("x") && s.may_write("x"));
    }
}
