//! Collections: the feeds of the server and their policy fields.

use std::fmt;

use rolie_model::vocabulary::scheme;
use rolie_model::{Category, Restriction};
use time::OffsetDateTime;

/// A collection name: the path segment of its feed URI (`/rolie/feeds/{name}`).
///
/// Lower-case ASCII letters, digits, `-` and `_`, 1 to 64 characters, starting with a letter
/// or digit, so it is safe in URIs, file names and SQL without quoting.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct CollectionName(String);

impl CollectionName {
    /// Checks `name`.
    ///
    /// # Errors
    /// A message saying which rule `name` breaks.
    pub fn parse(name: &str) -> Result<Self, String> {
        let valid_start = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let valid_rest = name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
        if name.is_empty() || name.len() > 64 || !valid_start || !valid_rest {
            return Err(format!(
                "collection name \"{name}\" must be 1-64 characters of a-z, 0-9, '-' and '_', starting with a letter or digit"
            ));
        }
        Ok(CollectionName(name.to_owned()))
    }

    /// The name as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CollectionName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for CollectionName {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        CollectionName::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// What a collection is and who may put what into it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CollectionSpec {
    /// Path name.
    pub name: CollectionName,
    /// Human-readable title (service document, feed title).
    pub title: String,
    /// ROLIE information type term (`incident`, `indicator`, ...), R-8322-5.1.2-a.
    pub information_type: String,
    /// Workspace title the collection is listed under (R-8322-5.1.1-a).
    pub workspace: String,
    /// Media types that may be POSTed (R-5023-8-d).
    pub accept: Vec<String>,
    /// Most restrictive level the collection takes; stricter content is refused
    /// (R-CSIRT-SEC-b, R-PROF-AUTHZ-c).
    pub max_restriction: Restriction,
    /// Whether callers without credentials may read it (R-8322-5.4-b).
    pub public: bool,
}

/// A collection definition that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("collection {name}: {reason}")]
pub struct InvalidCollection {
    /// The collection.
    pub name: String,
    /// The rule it breaks.
    pub reason: String,
}

impl CollectionSpec {
    /// Checks the rules every definition follows, wherever it comes from (the
    /// configuration file, the administration API): a title and a workspace, a one-token
    /// information type, media ranges in `accept`. The name was checked when parsed.
    ///
    /// # Errors
    /// [`InvalidCollection`] naming the first rule broken.
    pub fn validate(&self) -> Result<(), InvalidCollection> {
        let fail = |reason: &str| {
            Err(InvalidCollection {
                name: self.name.to_string(),
                reason: reason.to_owned(),
            })
        };
        if self.title.trim().is_empty() || self.workspace.trim().is_empty() {
            return fail("title and workspace must not be empty");
        }
        // A ROLIE information type is one token (the registry allows single spaces, we do
        // not generate them, spec-rolie A18).
        if self.information_type.is_empty()
            || !self.information_type.chars().all(|c| c.is_ascii_graphic())
        {
            return fail("information_type must be a non-empty printable ASCII term");
        }
        if self
            .accept
            .iter()
            .any(|a| rolie_model::MediaType::parse(a).is_none())
        {
            return fail("every accept item must be a media range (an empty list takes no POST)");
        }
        Ok(())
    }
}

/// A stored collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    /// Its definition.
    pub spec: CollectionSpec,
    /// When it was created.
    pub created: OffsetDateTime,
    /// The `atom:id` of its feed, `urn:uuid:` form; minted at creation, never changed.
    pub feed_id: String,
}

/// The cheap per-collection values conditional GET is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// Sequence number of the latest change (create, update or delete); 0 when none.
    pub change_seq: i64,
    /// Time of the latest change: the feed's `atom:updated` (R-8322-6.1.3-a). The creation
    /// time of the collection while it has never changed.
    pub last_change: OffsetDateTime,
    /// Number of entries, all restriction levels and drafts included.
    pub entry_count: i64,
}

/// A collection's change counters as one caller sees them: only writes to entries that
/// caller can read (at or below its clearance; published, or drafts it may see) move them,
/// so the feed's `ETag`, `Last-Modified` and `atom:updated` tell a caller nothing about
/// entries hidden from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VisibleFreshness {
    /// Sequence number of the latest change the caller can see; 0 when none.
    pub change_seq: i64,
    /// Time of that change; the collection's creation time when none.
    pub last_change: OffsetDateTime,
}

impl CollectionSpec {
    /// Whether content of `restriction` may be stored in this collection.
    pub fn accepts(&self, restriction: Restriction) -> bool {
        restriction <= self.max_restriction
    }

    /// The information-type category of the feed and of every entry in it
    /// (R-8322-5.1.2-a, R-8322-6.1.1-a).
    pub fn information_type_category(&self) -> Category {
        Category::new(scheme::INFORMATION_TYPE, self.information_type.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_uri_safe() {
        assert!(CollectionName::parse("incidents").is_ok());
        assert!(CollectionName::parse("tlp-red_2024").is_ok());
        for bad in ["", "Incidents", "-x", "a/b", "a b", "é", &"x".repeat(65)] {
            assert!(CollectionName::parse(bad).is_err(), "{bad}");
        }
    }
}
