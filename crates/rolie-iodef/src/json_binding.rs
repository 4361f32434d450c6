//! JSON IODEF (RFC 8727; spec-iodef §4): the same model as v2 XML with members for
//! attributes and children, arrays for everything repeatable, IncidentID as `{id, name}`,
//! ML_STRING as a string or `{value, lang}`, Indicator directly under Incident.
//!
//! Deliberately not enforced: `additionalProperties: false` of the draft's JSON schema.
//! Three of the WG's own nine samples drift from that schema and must be accepted (corpus
//! README); the server only needs the members read here.
//!
//! Errors use XML-like paths (`/IODEF-Document/Incident[1]/GenerationTime`), so one
//! message format serves both bindings. Recursion (nested Contact, the restriction sweep)
//! is bounded by serde_json's 128-level limit on the parsed value.

mod sweep;
mod value;

use bytes::Bytes;
use rolie_model::xml::Position;
use rolie_model::{Restriction, RestrictionPolicy};

use crate::document::{Format, Incident, IncidentId, IodefDocument};
use crate::error::IodefError;
use crate::path::Path;
use crate::rules::{
    self, CONTACT_TYPES, Dialect, ExtPolicy, Extensible, Level, NestedRestrictions, STATUSES,
};
use crate::text::{clean, push_new, resolve_extensible, shown, trim};
use crate::warnings::Warnings;
use value::Json;

const DIALECT: Dialect = Dialect::V2;

/// Reads and validates a JSON IODEF document.
///
/// # Errors
/// [`IodefError::Malformed`] for bytes that are not UTF-8 JSON (with position), too deep
/// nesting or a duplicate member; [`IodefError::Invalid`] for the IODEF rules.
pub(crate) fn read(bytes: Bytes, policy: &RestrictionPolicy) -> Result<IodefDocument, IodefError> {
    let mut warnings = Warnings::default();
    let body: &[u8] = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => {
            // RFC 8259 §8.1: senders must not add a BOM, receivers may ignore one.
            warnings.push("the JSON text starts with a byte order mark; ignored");
            rest
        }
        None => &bytes,
    };
    let text = std::str::from_utf8(body).map_err(|e| {
        IodefError::malformed(
            "the body is not valid UTF-8",
            Some(Position::at_bytes(body, e.valid_up_to())),
        )
    })?;
    let root: Json = serde_json::from_str(text).map_err(json_error)?;
    let mut reader = Reader {
        policy,
        warnings,
        nested: NestedRestrictions::default(),
    };
    let (version, lang, incidents) = reader.root(&root)?;
    let strictest_incident = incidents.iter().map(|i| i.restriction).max();
    reader.check_root_restrictions(&root, strictest_incident.unwrap_or(Restriction::Private))?;
    let warnings = reader.warnings.finish();
    Ok(IodefDocument::assemble(
        Format::Json,
        version,
        lang,
        incidents,
        reader.nested.finish(),
        warnings,
        bytes,
    ))
}

/// serde_json's message without its own " at line L column C" suffix; the position goes
/// into the error's fields.
fn json_error(error: serde_json::Error) -> IodefError {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full);
    let position = (error.line() > 0).then(|| Position {
        line: u32::try_from(error.line()).unwrap_or(u32::MAX),
        column: u32::try_from(error.column()).unwrap_or(u32::MAX),
    });
    IodefError::malformed(format!("not valid JSON: {message}"), position)
}

struct Reader<'p> {
    policy: &'p RestrictionPolicy,
    warnings: Warnings,
    nested: NestedRestrictions,
}

type Root = (String, Option<String>, Vec<Incident>);

impl Reader<'_> {
    /// IODEF-JSON-1: an object with a `version` string ("2.0" as in RFC 8727's examples,
    /// "2.00" as the WG's tools write) and a non-empty `Incident` array.
    fn root(&mut self, root: &Json) -> Result<Root, IodefError> {
        let path = Path::root();
        if !matches!(root, Json::Object(_)) {
            return Err(IodefError::invalid(
                &path,
                "IODEF-JSON-1",
                format!("a JSON IODEF document is an object, not {}", root.kind()),
            ));
        }
        let version = required_str(root, "version", &path, "IODEF-JSON-1")?;
        let version = trim(version);
        if !matches!(version, "2.0" | "2.00") {
            return Err(IodefError::invalid(
                &path,
                "IODEF-JSON-1",
                format!(
                    "version {} is not a JSON IODEF version: expected \"2.0\" or \"2.00\"",
                    shown(version)
                ),
            ));
        }
        let lang = optional_str(root, "lang", &path)?
            .map(trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned);
        if lang.is_none() {
            self.warnings.push(
                "the document has no lang; RFC 7970 §6 requires every document to state its language (IODEF-PROC-3)",
            );
        }
        let items = match root.get("Incident") {
            Some(Json::Array(items)) if !items.is_empty() => items,
            Some(Json::Array(_)) | None => {
                return Err(IodefError::invalid(
                    &path,
                    "IODEF v2 §3.1",
                    "an IODEF-Document needs at least one Incident",
                ));
            }
            Some(other) => {
                return Err(IodefError::invalid(
                    &path.child("Incident"),
                    "IODEF-JSON-1",
                    format!("Incident must be an array, not {}", other.kind()),
                ));
            }
        };
        let mut incidents = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            incidents.push(self.incident(item, &path.indexed("Incident", i + 1))?);
        }
        Ok((version.to_owned(), lang, incidents))
    }

    fn incident(&mut self, node: &Json, path: &Path) -> Result<Incident, IodefError> {
        let rule = DIALECT.rule("3.2", "3.2");
        expect_object(node, path)?;
        let purpose = required_str(node, "purpose", path, &rule)?;
        let purpose = Extensible {
            name: "purpose",
            value: Some(purpose),
            ext: optional_str(node, "ext-purpose", path)?,
        }
        .check(
            DIALECT.purposes(),
            ExtPolicy::Require,
            path,
            &rule,
            &mut self.warnings,
        )?
        .unwrap_or_default();
        let status = Extensible {
            name: "status",
            value: optional_str(node, "status", path)?,
            ext: optional_str(node, "ext-status", path)?,
        }
        .check(
            STATUSES,
            ExtPolicy::Require,
            path,
            &rule,
            &mut self.warnings,
        )?;
        let level = rules::restriction(
            DIALECT,
            Extensible {
                name: "restriction",
                value: optional_str(node, "restriction", path)?,
                ext: optional_str(node, "ext-restriction", path)?,
            },
            ExtPolicy::Require,
            self.policy,
            path,
            &mut self.warnings,
        )?;
        let Level {
            label: restriction_label,
            restriction,
        } = level.unwrap_or_else(Level::incident_default);
        let id = self.incident_id(node, path)?;
        let (mut report_time, mut generation_time) = (None, None);
        for name in rules::INCIDENT_TIMES {
            if let Some(value) = optional_str(node, name, path)? {
                let at = rules::datetime(value, &path.child(name), &mut self.warnings)?;
                match *name {
                    "ReportTime" => report_time = Some(at),
                    "GenerationTime" => generation_time = Some(at),
                    _ => {}
                }
            }
        }
        if generation_time.is_none() {
            return Err(IodefError::invalid(
                path,
                &rule,
                "missing required member \"GenerationTime\"",
            ));
        }
        let descriptions = self.descriptions(node, path)?;
        let creator = self.contacts(node, path)?;
        if let Some(history) = node.get("History") {
            self.history(history, &path.child("History"))?;
        }
        self.check_restrictions(node, path, &restriction_label, restriction)?;
        let mut triage = Triage::default();
        triage.walk(node, false);
        Ok(Incident {
            id,
            purpose,
            status,
            restriction_label,
            restriction,
            report_time,
            generation_time,
            descriptions,
            creator,
            indicator_count: count(node, "Indicator"),
            event_count: count(node, "EventData"),
            expectations: triage.expectations,
            impacts: triage.impacts,
            indicator_ids: triage.indicator_ids,
        })
    }

    /// `IncidentID: {id, name, instance?}` (RFC 8727 mapping of RFC 7970 §3.4).
    fn incident_id(
        &mut self,
        incident: &Json,
        incident_path: &Path,
    ) -> Result<IncidentId, IodefError> {
        let rule = DIALECT.rule("3.3", "3.4");
        let path = incident_path.child("IncidentID");
        let Some(node) = incident.get("IncidentID") else {
            return Err(IodefError::invalid(
                incident_path,
                &DIALECT.rule("3.2", "3.2"),
                "missing required member \"IncidentID\"",
            ));
        };
        expect_object(node, &path)?;
        let name = trim(required_str(node, "name", &path, &rule)?);
        if name.is_empty() {
            return Err(IodefError::invalid(
                &path,
                &rule,
                "member \"name\" is empty; it names the issuing CSIRT",
            ));
        }
        let id = trim(required_str(node, "id", &path, &rule)?);
        if id.is_empty() {
            return Err(IodefError::invalid(&path, &rule, "the IncidentID is empty"));
        }
        let instance = optional_str(node, "instance", &path)?
            .map(trim)
            .filter(|i| !i.is_empty())
            .map(str::to_owned);
        Ok(IncidentId {
            name: name.to_owned(),
            id: id.to_owned(),
            instance,
        })
    }

    /// `Description`: an array of ML_STRING, each a string or `{value, lang}`; a lone
    /// string or object is accepted too, as drifted samples write it.
    fn descriptions(&mut self, incident: &Json, path: &Path) -> Result<Vec<String>, IodefError> {
        let items = incident.get("Description").map_or(&[][..], Json::items);
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let text = ml_string(item).ok_or_else(|| {
                IodefError::invalid(
                    &path.indexed("Description", i + 1),
                    "IODEF-JSON-1",
                    format!(
                        "an ML_STRING is a string or an object with a string \"value\", not {}",
                        item.kind()
                    ),
                )
            })?;
            let text = clean(text);
            if !text.is_empty() {
                out.push(text);
            }
        }
        Ok(out)
    }

    /// `Contact`: a non-empty array (RFC 7970 §3.2); returns the creator's name.
    fn contacts(&mut self, incident: &Json, path: &Path) -> Result<Option<String>, IodefError> {
        let rule = DIALECT.rule("3.2", "3.2");
        let contacts = match incident.get("Contact") {
            Some(Json::Array(items)) if !items.is_empty() => items,
            Some(Json::Array(_)) | None => {
                return Err(IodefError::invalid(
                    path,
                    &rule,
                    "an Incident needs at least one Contact",
                ));
            }
            Some(other) => {
                return Err(IodefError::invalid(
                    &path.child("Contact"),
                    "IODEF-JSON-1",
                    format!("Contact must be an array, not {}", other.kind()),
                ));
            }
        };
        let mut creator = None;
        for (i, contact) in contacts.iter().enumerate() {
            let role = self.contact(contact, &path.indexed("Contact", i + 1))?;
            if role.as_deref() == Some("creator") && creator.is_none() {
                creator = contact_name(contact);
            }
        }
        Ok(creator)
    }

    /// Contact: `role` and `type` with their enumerations, nested Contacts too
    /// (RFC 7970 §3.9). Returns the effective role.
    fn contact(&mut self, node: &Json, path: &Path) -> Result<Option<String>, IodefError> {
        let rule = DIALECT.rule("3.7", "3.9");
        expect_object(node, path)?;
        let role = required_str(node, "role", path, &rule)?;
        let kind = required_str(node, "type", path, &rule)?;
        let role = Extensible {
            name: "role",
            value: Some(role),
            ext: optional_str(node, "ext-role", path)?,
        }
        .check(
            DIALECT.contact_roles(),
            ExtPolicy::Tolerate,
            path,
            &rule,
            &mut self.warnings,
        )?;
        Extensible {
            name: "type",
            value: Some(kind),
            ext: optional_str(node, "ext-type", path)?,
        }
        .check(
            CONTACT_TYPES,
            ExtPolicy::Tolerate,
            path,
            &rule,
            &mut self.warnings,
        )?;
        if let Json::Object(members) = node {
            let attributes = [
                "role",
                "ext-role",
                "type",
                "ext-type",
                "restriction",
                "ext-restriction",
            ];
            if members
                .iter()
                .all(|(k, _)| attributes.contains(&k.as_str()))
            {
                self.warnings.push(format!(
                    "{path}: the Contact has no child member, so it says nothing about whom to contact"
                ));
            }
        }
        match node.get("Contact") {
            None => {}
            Some(Json::Array(nested)) => {
                for (i, child) in nested.iter().enumerate() {
                    self.contact(child, &path.indexed("Contact", i + 1))?;
                }
            }
            Some(single) => {
                self.contact(single, &path.child("Contact"))?;
            }
        }
        Ok(role)
    }

    /// `History.HistoryItem[].DateTime` values are DATETIMEs too (IODEF-DT-3).
    fn history(&mut self, history: &Json, path: &Path) -> Result<(), IodefError> {
        let Some(Json::Array(items)) = history.get("HistoryItem") else {
            return Ok(());
        };
        for (i, item) in items.iter().enumerate() {
            let item_path = path.indexed("HistoryItem", i + 1);
            if let Some(value) = optional_str(item, "DateTime", &item_path)? {
                rules::datetime(value, &item_path.child("DateTime"), &mut self.warnings)?;
            }
        }
        Ok(())
    }
}

fn expect_object(node: &Json, path: &Path) -> Result<(), IodefError> {
    match node {
        Json::Object(_) => Ok(()),
        other => Err(IodefError::invalid(
            path,
            "IODEF-JSON-1",
            format!("expected an object, not {}", other.kind()),
        )),
    }
}

/// A member that must be present and a string.
fn required_str<'a>(
    node: &'a Json,
    name: &str,
    path: &Path,
    rule: &str,
) -> Result<&'a str, IodefError> {
    optional_str(node, name, path)?.ok_or_else(|| {
        IodefError::invalid(path, rule, format!("missing required member \"{name}\""))
    })
}

/// A member that, when present, must be a string.
fn optional_str<'a>(
    node: &'a Json,
    name: &str,
    path: &Path,
) -> Result<Option<&'a str>, IodefError> {
    match node.get(name) {
        None => Ok(None),
        Some(Json::String(s)) => Ok(Some(s)),
        Some(other) => Err(IodefError::invalid(
            path,
            "IODEF-JSON-1",
            format!("member \"{name}\" must be a string, not {}", other.kind()),
        )),
    }
}

/// ML_STRING: a plain string or `{ "value": ... }` (spec-iodef §4).
fn ml_string(node: &Json) -> Option<&str> {
    match node {
        Json::String(s) => Some(s),
        Json::Object(_) => node.get("value").and_then(Json::as_str),
        _ => None,
    }
}

/// The first non-empty `ContactName` of a Contact object.
fn contact_name(contact: &Json) -> Option<String> {
    contact
        .get("ContactName")?
        .items()
        .iter()
        .filter_map(ml_string)
        .map(clean)
        .find(|n| !n.is_empty())
}

/// Items of a repeatable member: array length, 1 for a lone object.
/// The facts clients triage by (R-CSIRT-CAT-b) and the indicator ids (R-CSIRT-IODEF-c),
/// read from an incident the binding has already checked.
#[derive(Default)]
struct Triage {
    expectations: Vec<String>,
    impacts: Vec<String>,
    indicator_ids: Vec<String>,
}

impl Triage {
    /// Walks every member below `node`; `in_assessment` once inside an `Assessment`.
    fn walk(&mut self, node: &Json, in_assessment: bool) {
        match node {
            Json::Array(items) => {
                for item in items {
                    self.walk(item, in_assessment);
                }
            }
            Json::Object(members) => {
                for (name, value) in members {
                    match name.as_str() {
                        "Expectation" => {
                            for item in value.items() {
                                let action = extensible(item, "action", "ext-action");
                                push_new(&mut self.expectations, action.unwrap_or("other"));
                            }
                        }
                        impact if in_assessment && impact.ends_with("Impact") => {
                            for item in value.items() {
                                if let Some(kind) = extensible(item, "type", "ext-type") {
                                    push_new(&mut self.impacts, kind);
                                }
                            }
                        }
                        "Indicator" => {
                            for item in value.items() {
                                let id = item.get("IndicatorID").and_then(|i| i.get("id"));
                                if let Some(id) = id.and_then(Json::as_str) {
                                    push_new(&mut self.indicator_ids, id.trim());
                                }
                            }
                        }
                        _ => {}
                    }
                    self.walk(value, in_assessment || name == "Assessment");
                }
            }
            _ => {}
        }
    }
}

/// An enumerated member, with its `ext-` sibling standing in for `ext-value`.
fn extensible<'a>(node: &'a Json, name: &str, ext: &str) -> Option<&'a str> {
    resolve_extensible(
        node.get(name).and_then(Json::as_str),
        node.get(ext).and_then(Json::as_str),
    )
}

fn count(node: &Json, name: &str) -> usize {
    match node.get(name) {
        Some(Json::Array(items)) => items.len(),
        Some(Json::Object(_)) => 1,
        _ => 0,
    }
}
