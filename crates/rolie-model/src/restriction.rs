//! The one total order over IODEF restriction values and TLP colours.
//!
//! `public` = `white` = `clear` < `partner` = `green` < `need-to-know` = `amber` <
//! `private` = `red` (RFC 7970 §3.3.1 gives the colours as synonyms; IODEF-RES-1). Every
//! entry gets an effective level, every caller a clearance; a caller sees an entry only when
//! its clearance is at least the entry's level (R-PROF-AUTHZ-c).

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

/// A restriction level, ordered from least to most restrictive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Restriction {
    /// `public`, TLP `white` / `clear`.
    Public,
    /// `partner`, TLP `green`.
    Partner,
    /// `need-to-know`, TLP `amber` (and `amber+strict`).
    NeedToKnow,
    /// `private`, TLP `red`.
    Private,
}

impl Restriction {
    /// All levels from least to most restrictive.
    pub const ALL: [Restriction; 4] = [
        Restriction::Public,
        Restriction::Partner,
        Restriction::NeedToKnow,
        Restriction::Private,
    ];

    /// The numeric level stored in the database (0 = public .. 3 = private).
    pub fn level(self) -> i16 {
        match self {
            Restriction::Public => 0,
            Restriction::Partner => 1,
            Restriction::NeedToKnow => 2,
            Restriction::Private => 3,
        }
    }

    /// The level for a stored number.
    pub fn from_level(level: i64) -> Option<Self> {
        Restriction::ALL
            .into_iter()
            .find(|r| i64::from(r.level()) == level)
    }

    /// The IODEF term (`public`, `partner`, `need-to-know`, `private`).
    pub fn term(self) -> &'static str {
        match self {
            Restriction::Public => "public",
            Restriction::Partner => "partner",
            Restriction::NeedToKnow => "need-to-know",
            Restriction::Private => "private",
        }
    }

    /// The TLP colour of the level.
    pub fn tlp(self) -> &'static str {
        match self {
            Restriction::Public => "white",
            Restriction::Partner => "green",
            Restriction::NeedToKnow => "amber",
            Restriction::Private => "red",
        }
    }

    /// Parses an IODEF term or a TLP colour, case-insensitively, with or without a `tlp:`
    /// prefix. `default` and `ext-value` need a [`RestrictionPolicy`] and are not accepted
    /// here.
    pub fn from_label(label: &str) -> Option<Self> {
        let lower = label.trim().to_ascii_lowercase();
        let lower = lower.strip_prefix("tlp:").unwrap_or(&lower);
        match lower {
            "public" | "white" | "clear" => Some(Restriction::Public),
            "partner" | "green" => Some(Restriction::Partner),
            "need-to-know" | "amber" | "amber+strict" => Some(Restriction::NeedToKnow),
            "private" | "red" => Some(Restriction::Private),
            _ => None,
        }
    }
}

impl fmt::Display for Restriction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.term())
    }
}

/// The label is not a restriction term or TLP colour.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "\"{0}\" is not a restriction: expected public, partner, need-to-know, private or a TLP colour (white, green, amber, red)"
)]
pub struct UnknownRestriction(pub String);

impl FromStr for Restriction {
    type Err = UnknownRestriction;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Restriction::from_label(s).ok_or_else(|| UnknownRestriction(s.to_owned()))
    }
}

impl serde::Serialize for Restriction {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.term())
    }
}

impl<'de> serde::Deserialize<'de> for Restriction {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// How the values that carry no level of their own are resolved.
///
/// `default` means "the policy pre-arranged between the parties" (RFC 7970 §3.3.1): the
/// server's configured level, `private` unless configured otherwise. `ext-value` is looked up
/// by its `ext-restriction` name; unknown names are `private` (IODEF-RES-1). Erring towards
/// the stricter level means a misconfiguration hides data rather than leaking it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestrictionPolicy {
    /// Level for `restriction="default"`.
    pub default_level: Restriction,
    /// Levels for `restriction="ext-value"` by `ext-restriction`.
    pub extensions: BTreeMap<String, Restriction>,
}

impl Default for RestrictionPolicy {
    fn default() -> Self {
        RestrictionPolicy {
            default_level: Restriction::Private,
            extensions: BTreeMap::new(),
        }
    }
}

impl RestrictionPolicy {
    /// Resolves an IODEF `restriction` attribute and its `ext-restriction` sibling.
    ///
    /// # Errors
    /// [`UnknownRestriction`] for a value outside the IODEF v2 enumeration.
    pub fn resolve(
        &self,
        value: &str,
        ext: Option<&str>,
    ) -> Result<Restriction, UnknownRestriction> {
        match value {
            "default" => Ok(self.default_level),
            "ext-value" => Ok(ext
                .and_then(|name| self.extensions.get(name).copied())
                .unwrap_or(Restriction::Private)),
            other => match other {
                "public" | "white" | "partner" | "green" | "need-to-know" | "amber" | "private"
                | "red" => Restriction::from_label(other)
                    .ok_or_else(|| UnknownRestriction(other.to_owned())),
                _ => Err(UnknownRestriction(other.to_owned())),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_runs_from_public_to_private() {
        assert!(Restriction::Public < Restriction::Partner);
        assert!(Restriction::Partner < Restriction::NeedToKnow);
        assert!(Restriction::NeedToKnow < Restriction::Private);
    }

    #[test]
    fn tlp_colours_are_synonyms_of_iodef_terms() {
        for (colour, term) in [
            ("white", "public"),
            ("clear", "public"),
            ("green", "partner"),
            ("amber", "need-to-know"),
            ("red", "private"),
        ] {
            assert_eq!(
                Restriction::from_label(colour),
                Restriction::from_label(term)
            );
        }
        assert_eq!(
            Restriction::from_label("TLP:AMBER"),
            Some(Restriction::NeedToKnow)
        );
    }

    #[test]
    fn stored_levels_round_trip() {
        for r in Restriction::ALL {
            assert_eq!(Restriction::from_level(i64::from(r.level())), Some(r));
        }
        assert_eq!(Restriction::from_level(9), None);
    }

    #[test]
    fn default_resolves_to_the_configured_level_and_private_otherwise() {
        let policy = RestrictionPolicy::default();
        assert_eq!(policy.resolve("default", None), Ok(Restriction::Private));
        let policy = RestrictionPolicy {
            default_level: Restriction::Partner,
            ..RestrictionPolicy::default()
        };
        assert_eq!(policy.resolve("default", None), Ok(Restriction::Partner));
    }

    #[test]
    fn unknown_extension_values_are_private() {
        let mut policy = RestrictionPolicy::default();
        assert_eq!(
            policy.resolve("ext-value", Some("x")),
            Ok(Restriction::Private)
        );
        policy.extensions.insert("x".into(), Restriction::Public);
        assert_eq!(
            policy.resolve("ext-value", Some("x")),
            Ok(Restriction::Public)
        );
    }

    #[test]
    fn values_outside_the_enumeration_are_errors() {
        assert!(
            RestrictionPolicy::default()
                .resolve("secret", None)
                .is_err()
        );
        assert!(RestrictionPolicy::default().resolve("clear", None).is_err());
    }
}
