//! Value rules shared by the XML and JSON bindings: enumerations per IODEF version, the
//! `ext-value` mechanism, restriction levels and DATETIME reporting.
//!
//! The bindings know where a value sits; this module knows what values are allowed, so the
//! two bindings cannot drift apart on what they accept.

use rolie_model::{Restriction, RestrictionPolicy};
use time::OffsetDateTime;

use crate::datetime;
use crate::error::IodefError;
use crate::path::Path;
use crate::text::{shown, trim};
use crate::warnings::Warnings;

/// Which data model's vocabulary applies. JSON IODEF is a binding of the v2 model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dialect {
    /// RFC 5070.
    V1,
    /// RFC 7970 (XML) and RFC 8727 (JSON).
    V2,
}

impl Dialect {
    /// The rule citation for a section of this version's RFC: `IODEF v2 §3.4`.
    pub(crate) fn rule(self, v1_section: &str, v2_section: &str) -> String {
        match self {
            Dialect::V1 => format!("IODEF v1 §{v1_section}"),
            Dialect::V2 => format!("IODEF v2 §{v2_section}"),
        }
    }

    /// Incident `purpose` values: RFC 5070 §3.2, RFC 7970 §3.2 (adds `watch`).
    pub(crate) fn purposes(self) -> &'static [&'static str] {
        match self {
            Dialect::V1 => &["traceback", "mitigation", "reporting", "other", "ext-value"],
            Dialect::V2 => &[
                "traceback",
                "mitigation",
                "reporting",
                "watch",
                "other",
                "ext-value",
            ],
        }
    }

    /// `restriction` values: RFC 5070 has four, RFC 7970 §3.3.1 adds `partner`, the TLP
    /// colours and `ext-value`.
    pub(crate) fn restrictions(self) -> &'static [&'static str] {
        match self {
            Dialect::V1 => &["public", "need-to-know", "private", "default"],
            Dialect::V2 => &[
                "public",
                "partner",
                "need-to-know",
                "private",
                "default",
                "white",
                "green",
                "amber",
                "red",
                "ext-value",
            ],
        }
    }

    /// Contact `role` values: RFC 5070 §3.7; RFC 7970 §3.9, where the prose says
    /// `vendor-support` and the XSD `vendor-services`, so both are accepted (spec-iodef §3.9).
    pub(crate) fn contact_roles(self) -> &'static [&'static str] {
        match self {
            Dialect::V1 => &["creator", "admin", "tech", "irt", "cc", "ext-value"],
            Dialect::V2 => &[
                "creator",
                "reporter",
                "admin",
                "tech",
                "provider",
                "user",
                "billing",
                "legal",
                "abuse",
                "irt",
                "cc",
                "cc-irt",
                "leo",
                "vendor",
                "vendor-services",
                "vendor-support",
                "victim",
                "victim-notified",
                "ext-value",
            ],
        }
    }
}

/// Incident `status` values, v2 only (RFC 7970 §3.2).
pub(crate) const STATUSES: &[&str] = &[
    "new",
    "in-progress",
    "forwarded",
    "resolved",
    "future",
    "ext-value",
];

/// Incident children (JSON: members) holding a DATETIME, the same in both versions.
pub(crate) const INCIDENT_TIMES: &[&str] = &[
    "DetectTime",
    "StartTime",
    "EndTime",
    "RecoveryTime",
    "ReportTime",
    "GenerationTime",
];

/// Contact `type` values, the same in both versions.
pub(crate) const CONTACT_TYPES: &[&str] = &["person", "organization", "ext-value"];

/// What to do with `foo="ext-value"` when `ext-foo` is missing or empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExtPolicy {
    /// Refuse: the value is needed (Incident `purpose` and `status` become categories).
    Require,
    /// Warn: the WG's LongLong example does this on Contact and IncidentID attributes and
    /// must be accepted.
    Tolerate,
}

/// One extensible enumerated attribute: `foo` and its `ext-foo` sibling (IODEF-EXT-1/-2).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Extensible<'a> {
    /// Attribute name, e.g. `purpose`.
    pub(crate) name: &'a str,
    /// Its value, if written.
    pub(crate) value: Option<&'a str>,
    /// The `ext-foo` value, if written.
    pub(crate) ext: Option<&'a str>,
}

impl Extensible<'_> {
    /// Checks the value against `allowed` and the `ext-value` rules.
    ///
    /// Returns the effective value: the `ext-foo` text for `ext-value`, else the value;
    /// `None` when the attribute is absent.
    ///
    /// # Errors
    /// [`IodefError::Invalid`] for a value outside `allowed`, or a missing `ext-foo` under
    /// [`ExtPolicy::Require`].
    pub(crate) fn check(
        &self,
        allowed: &[&str],
        ext_policy: ExtPolicy,
        path: &Path,
        rule: &str,
        warnings: &mut Warnings,
    ) -> Result<Option<String>, IodefError> {
        let ext = self.ext.map(trim).filter(|e| !e.is_empty());
        let Some(raw) = self.value else {
            if self.ext.is_some() {
                warnings.push(format!(
                    "{path}: ext-{name} is set without {name}=\"ext-value\"; ignored (IODEF-EXT-1)",
                    name = self.name
                ));
            }
            return Ok(None);
        };
        // NMTOKEN values are whitespace-collapsed by the XSD.
        let value = trim(raw);
        if !allowed.contains(&value) {
            return Err(IodefError::invalid(
                path,
                rule,
                format!(
                    "{} is not a valid {}; expected one of {}",
                    shown(raw),
                    self.name,
                    allowed.join(", ")
                ),
            ));
        }
        if value != "ext-value" {
            if self.ext.is_some() {
                warnings.push(format!(
                    "{path}: ext-{name} is set although {name} is \"{value}\", not \"ext-value\"; ignored (IODEF-EXT-1)",
                    name = self.name
                ));
            }
            return Ok(Some(value.to_owned()));
        }
        match ext {
            Some(ext) => Ok(Some(ext.to_owned())),
            None if ext_policy == ExtPolicy::Require => Err(IodefError::invalid(
                path,
                "IODEF-EXT-1",
                format!(
                    "{name}=\"ext-value\" requires a non-empty ext-{name} attribute",
                    name = self.name
                ),
            )),
            None => {
                warnings.push(format!(
                    "{path}: {name}=\"ext-value\" without ext-{name} (IODEF-EXT-1)",
                    name = self.name
                ));
                Ok(Some(value.to_owned()))
            }
        }
    }
}

/// A `restriction` attribute checked and resolved to a level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Level {
    /// As written, or the `ext-restriction` value for `ext-value`.
    pub(crate) label: String,
    /// The level under the server's policy.
    pub(crate) restriction: Restriction,
}

impl Level {
    /// An Incident's level when it has no `restriction`: the XSD default, `private`
    /// (RFC 7970 §3.2, IODEF-RES-1).
    pub(crate) fn incident_default() -> Self {
        Level {
            label: "private".to_owned(),
            restriction: Restriction::Private,
        }
    }
}

/// A `restriction` inside a document that is stricter than the Incident it sits in (or, on
/// the document's own AdditionalData, than every Incident), and where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stricter {
    /// The element (JSON: object) carrying it.
    pub(crate) path: Path,
    /// Its level.
    pub(crate) level: Level,
}

impl Stricter {
    /// Keeps `level`, found at `path`, in `found` when it is stricter than `baseline` and
    /// than anything found before; on a tie the earlier one in document order stays.
    pub(crate) fn keep(
        found: &mut Option<Stricter>,
        baseline: Restriction,
        level: Level,
        path: impl FnOnce() -> Path,
    ) {
        let floor = found.as_ref().map_or(baseline, |f| f.level.restriction);
        if level.restriction > floor {
            *found = Some(Stricter {
                path: path(),
                level,
            });
        }
    }
}

/// The strictest restriction found inside a document's Incidents and on its own
/// AdditionalData, above the level of what contains it.
///
/// RFC 7970 §3.3.1 lets any element tighten its parent's restriction. The server publishes
/// whole documents, so publishing at the Incident's level would hand a `red` Contact to
/// every `green` reader of the feed; the entry takes the strictest level found instead, and
/// a warning says where it comes from. This departs from IODEF-RES-2's "report, do not act",
/// erring towards hiding rather than leaking (spec-iodef §10, 9).
#[derive(Debug, Default)]
pub(crate) struct NestedRestrictions {
    strictest: Option<Level>,
}

impl NestedRestrictions {
    /// Records `found`, which is stricter than `above` (e.g. `its Incident ("green")`),
    /// and says so in `warnings`.
    pub(crate) fn record(&mut self, found: Stricter, above: &str, warnings: &mut Warnings) {
        warnings.push(format!(
            "{}: restriction {} is stricter than {above}; the entry is published at the strictest level found in the document ({}) (RFC 7970 §3.3.1)",
            found.path,
            shown(&found.level.label),
            found.level.restriction.term()
        ));
        if self
            .strictest
            .as_ref()
            .is_none_or(|s| found.level.restriction > s.restriction)
        {
            self.strictest = Some(found.level);
        }
    }

    /// The strictest level recorded, if any.
    pub(crate) fn finish(self) -> Option<Level> {
        self.strictest
    }
}

/// Checks and resolves `restriction`/`ext-restriction` on one element (IODEF-RES-1).
///
/// `None` when the element has no `restriction`; only Incident has a default
/// ([`Level::incident_default`]).
///
/// # Errors
/// [`IodefError::Invalid`] for a value outside the version's enumeration.
pub(crate) fn restriction(
    dialect: Dialect,
    attribute: Extensible<'_>,
    ext_policy: ExtPolicy,
    policy: &RestrictionPolicy,
    path: &Path,
    warnings: &mut Warnings,
) -> Result<Option<Level>, IodefError> {
    let rule = dialect.rule("3.2", "3.3.1");
    let checked = attribute.check(dialect.restrictions(), ext_policy, path, &rule, warnings)?;
    // `check` has a label only for a written value.
    let (Some(label), Some(written)) = (checked, attribute.value) else {
        return Ok(None);
    };
    let restriction = policy
        .resolve(trim(written), attribute.ext.map(trim))
        .map_err(|e| IodefError::invalid(path, &rule, e.to_string()))?;
    Ok(Some(Level { label, restriction }))
}

/// Parses a DATETIME element value, recording the liberties taken.
///
/// # Errors
/// [`IodefError::Invalid`] naming the value, rule IODEF-DT-3.
pub(crate) fn datetime(
    value: &str,
    path: &Path,
    warnings: &mut Warnings,
) -> Result<OffsetDateTime, IodefError> {
    let parsed = datetime::parse(value).map_err(|reason| {
        IodefError::invalid(
            path,
            "IODEF-DT-3",
            format!(
                "{} is not an IODEF DATETIME (RFC 3339 / xs:dateTime): {reason}",
                shown(value)
            ),
        )
    })?;
    if parsed.space_separator {
        warnings.push(format!(
            "{path}: a space stands where 'T' belongs in {}; read as RFC 3339 (IODEF-DT-4)",
            shown(value)
        ));
    }
    if parsed.assumed_utc {
        warnings.push(format!(
            "{path}: {} has no zone; taken as UTC (IODEF-DT-1)",
            shown(value)
        ));
    }
    Ok(parsed.at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(
        name: &str,
        value: Option<&str>,
        ext: Option<&str>,
        allowed: &[&str],
        ext_policy: ExtPolicy,
    ) -> (Result<Option<String>, IodefError>, Vec<String>) {
        let mut warnings = Warnings::default();
        let result = Extensible { name, value, ext }.check(
            allowed,
            ext_policy,
            &Path::root().indexed("Incident", 1),
            "IODEF v2 §3.2",
            &mut warnings,
        );
        (result, warnings.finish())
    }

    #[test]
    fn v1_purposes_do_not_include_watch() {
        assert!(!Dialect::V1.purposes().contains(&"watch"));
        assert!(Dialect::V2.purposes().contains(&"watch"));
    }

    #[test]
    fn a_value_outside_the_enumeration_is_invalid_and_lists_the_allowed_ones() {
        let (result, _) = check(
            "purpose",
            Some("attack"),
            None,
            Dialect::V2.purposes(),
            ExtPolicy::Require,
        );
        let message = result.unwrap_err().to_string();
        assert!(
            message.contains("\"attack\" is not a valid purpose"),
            "{message}"
        );
        assert!(message.contains("watch"), "{message}");
    }

    /// IODEF-EXT-1: `ext-value` resolves to the `ext-*` text.
    #[test]
    fn ext_value_takes_the_ext_attribute() {
        let (result, warnings) = check(
            "purpose",
            Some("ext-value"),
            Some(" new-purpose "),
            Dialect::V1.purposes(),
            ExtPolicy::Require,
        );
        assert_eq!(result.unwrap().as_deref(), Some("new-purpose"));
        assert!(warnings.is_empty());
    }

    /// IODEF-EXT-1: `ext-value` without its `ext-*` is refused where the value matters.
    #[test]
    fn ext_value_without_ext_attribute_is_invalid_when_required() {
        let (result, _) = check(
            "purpose",
            Some("ext-value"),
            Some("  "),
            Dialect::V2.purposes(),
            ExtPolicy::Require,
        );
        let error = result.unwrap_err();
        assert!(matches!(&error, IodefError::Invalid { rule, .. } if rule == "IODEF-EXT-1"));
    }

    /// IODEF-EXT-1, tolerated where the WG's own LongLong example breaks it.
    #[test]
    fn ext_value_without_ext_attribute_is_a_warning_when_tolerated() {
        let (result, warnings) = check(
            "role",
            Some("ext-value"),
            None,
            Dialect::V2.contact_roles(),
            ExtPolicy::Tolerate,
        );
        assert_eq!(result.unwrap().as_deref(), Some("ext-value"));
        assert_eq!(warnings.len(), 1);
    }

    /// IODEF-EXT-1: `ext-*` next to an ordinary value is ignored with a warning (the XSD
    /// accepts it and the LongLong example does it).
    #[test]
    fn ext_attribute_without_ext_value_is_ignored_with_a_warning() {
        let (result, warnings) = check("status", None, Some("tic"), STATUSES, ExtPolicy::Require);
        assert_eq!(result.unwrap(), None);
        assert!(warnings[0].contains("ext-status"), "{warnings:?}");
        let (result, warnings) = check(
            "restriction",
            Some("white"),
            Some("tic"),
            Dialect::V2.restrictions(),
            ExtPolicy::Require,
        );
        assert_eq!(result.unwrap().as_deref(), Some("white"));
        assert_eq!(warnings.len(), 1);
    }

    #[test]
    fn both_vendor_role_spellings_are_accepted_in_v2() {
        let roles = Dialect::V2.contact_roles();
        assert!(roles.contains(&"vendor-services") && roles.contains(&"vendor-support"));
        assert!(!Dialect::V1.contact_roles().contains(&"vendor"));
    }

    fn resolve(
        dialect: Dialect,
        value: Option<&str>,
        ext: Option<&str>,
    ) -> Result<Option<Level>, IodefError> {
        restriction(
            dialect,
            Extensible {
                name: "restriction",
                value,
                ext,
            },
            ExtPolicy::Require,
            &RestrictionPolicy::default(),
            &Path::root().indexed("Incident", 1),
            &mut Warnings::default(),
        )
    }

    /// IODEF-RES-1: TLP colours resolve to the older terms' levels; labels stay as written.
    #[test]
    fn restriction_labels_are_kept_and_levels_resolved() {
        let level = resolve(Dialect::V2, Some("amber"), None).unwrap().unwrap();
        assert_eq!(level.label, "amber");
        assert_eq!(level.restriction, Restriction::NeedToKnow);
        let level = resolve(Dialect::V2, Some("ext-value"), Some("tic"))
            .unwrap()
            .unwrap();
        assert_eq!(level.label, "tic");
        assert_eq!(level.restriction, Restriction::Private);
        assert_eq!(resolve(Dialect::V2, None, None).unwrap(), None);
    }

    /// RFC 5070 knows neither partner nor the TLP colours.
    #[test]
    fn v1_refuses_v2_only_restrictions() {
        assert!(resolve(Dialect::V1, Some("amber"), None).is_err());
        assert!(resolve(Dialect::V1, Some("partner"), None).is_err());
        let level = resolve(Dialect::V1, Some("need-to-know"), None)
            .unwrap()
            .unwrap();
        assert_eq!(level.restriction, Restriction::NeedToKnow);
    }

    /// IODEF-DT-3: the error names the value and the rule.
    #[test]
    fn a_bad_datetime_names_value_and_rule() {
        let error = datetime(
            "0(2015-10-02T11:18:00-05:00)",
            &Path::root().indexed("Incident", 1).child("GenerationTime"),
            &mut Warnings::default(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            error.starts_with(
                "/IODEF-Document/Incident[1]/GenerationTime: \"0(2015-10-02T11:18:00-05:00)\""
            ),
            "{error}"
        );
        assert!(error.ends_with("(IODEF-DT-3)"), "{error}");
    }
}
