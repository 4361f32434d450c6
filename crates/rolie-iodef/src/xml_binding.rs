//! IODEF v1 and v2 XML: dialect by namespace, structure of the root and of each Incident,
//! the attributes a receiver relies on, and the fields of the entry (spec-iodef §7 layers
//! 3–7, as far as they concern what the server uses).
//!
//! Bytes go through `rolie_model::xml` only, which refuses DTDs and bounds depth, nodes
//! and attribute sizes before a tree exists (IODEF-SEC-1, IODEF-SEC-4); nothing is fetched
//! (IODEF-SEC-2, `xsi:schemaLocation` is never read). Recursion below (nested Contact) is
//! bounded by that depth limit.

use bytes::Bytes;
use rolie_model::vocabulary::ns;
use rolie_model::xml::Limits;
use rolie_model::{Restriction, RestrictionPolicy};
use roxmltree::Node;

use crate::document::{Format, Incident, IncidentId, IodefDocument};
use crate::error::IodefError;
use crate::path::Path;
use crate::rules::{
    self, CONTACT_TYPES, Dialect, ExtPolicy, Extensible, Level, NestedRestrictions, STATUSES,
};
use crate::text::{clean, push_new, resolve_extensible, shown, trim};
use crate::warnings::Warnings;

mod sweep;

/// One child of Incident in schema order: name, required, repeatable.
struct Slot {
    name: &'static str,
    required: bool,
    repeatable: bool,
}

const fn slot(name: &'static str, required: bool, repeatable: bool) -> Slot {
    Slot {
        name,
        required,
        repeatable,
    }
}

/// Incident children per RFC 7970 §3.2 (the XSD sequence).
const V2_INCIDENT: &[Slot] = &[
    slot("IncidentID", true, false),
    slot("AlternativeID", false, false),
    slot("RelatedActivity", false, true),
    slot("DetectTime", false, false),
    slot("StartTime", false, false),
    slot("EndTime", false, false),
    slot("RecoveryTime", false, false),
    slot("ReportTime", false, false),
    slot("GenerationTime", true, false),
    slot("Description", false, true),
    slot("Discovery", false, true),
    slot("Assessment", false, true),
    slot("Method", false, true),
    slot("Contact", true, true),
    slot("EventData", false, true),
    slot("IndicatorData", false, false),
    slot("History", false, false),
    slot("AdditionalData", false, true),
];

/// Incident children per RFC 5070 §3.2: ReportTime and Assessment required, no
/// GenerationTime, RecoveryTime, Discovery or IndicatorData, one RelatedActivity at most.
const V1_INCIDENT: &[Slot] = &[
    slot("IncidentID", true, false),
    slot("AlternativeID", false, false),
    slot("RelatedActivity", false, false),
    slot("DetectTime", false, false),
    slot("StartTime", false, false),
    slot("EndTime", false, false),
    slot("ReportTime", true, false),
    slot("Description", false, true),
    slot("Assessment", true, true),
    slot("Method", false, true),
    slot("Contact", true, true),
    slot("EventData", false, true),
    slot("History", false, false),
    slot("AdditionalData", false, true),
];

/// The Incident children of `dialect`, in schema order.
fn incident_slots(dialect: Dialect) -> &'static [Slot] {
    match dialect {
        Dialect::V1 => V1_INCIDENT,
        Dialect::V2 => V2_INCIDENT,
    }
}

/// What every check needs to know about the document being read.
struct Reader<'p> {
    dialect: Dialect,
    namespace: &'static str,
    policy: &'p RestrictionPolicy,
    warnings: Warnings,
    nested: NestedRestrictions,
}

/// Reads and validates an IODEF XML document.
///
/// # Errors
/// [`IodefError::Malformed`] from the hardened reader, [`IodefError::Invalid`] for the
/// IODEF rules.
pub(crate) fn read(bytes: Bytes, policy: &RestrictionPolicy) -> Result<IodefDocument, IodefError> {
    let text = rolie_model::xml::decode(&bytes)?;
    let document = rolie_model::xml::parse(&text, &Limits::default())?;
    let root = document.root_element();
    let (format, dialect, namespace) = dialect_of(root)?;
    let mut reader = Reader {
        dialect,
        namespace,
        policy,
        warnings: Warnings::default(),
        nested: NestedRestrictions::default(),
    };
    if !text.starts_with("<?xml") {
        reader.warnings.push(
            "the document has no XML declaration, which RFC 7970 §4.1 requires (IODEF-PROC-1)",
        );
    }
    let version = reader.version(root)?;
    let lang = reader.lang(root);
    let incidents = reader.root_children(root)?;
    let mut read = Vec::with_capacity(incidents.len());
    for (i, node) in incidents.into_iter().enumerate() {
        read.push(reader.incident(node, &Path::root().indexed("Incident", i + 1))?);
    }
    let strictest_incident = read.iter().map(|i| i.restriction).max();
    reader.check_root_restrictions(root, strictest_incident.unwrap_or(Restriction::Private))?;
    let warnings = reader.warnings.finish();
    Ok(IodefDocument::assemble(
        format,
        version,
        lang,
        read,
        reader.nested.finish(),
        warnings,
        bytes,
    ))
}

/// IODEF-NS-1/-2: the root's namespace decides the version; prefixes do not matter.
fn dialect_of(root: Node<'_, '_>) -> Result<(Format, Dialect, &'static str), IodefError> {
    let name = root.tag_name();
    let expected = format!(
        "expected IODEF-Document in {} (v2) or {} (v1)",
        ns::IODEF_2,
        ns::IODEF_1
    );
    let path = Path::named_root(name.name());
    let found = match name.namespace() {
        Some(ns::IODEF_2) if name.name() == "IODEF-Document" => {
            return Ok((Format::XmlV2, Dialect::V2, ns::IODEF_2));
        }
        Some(ns::IODEF_1) if name.name() == "IODEF-Document" => {
            return Ok((Format::XmlV1, Dialect::V1, ns::IODEF_1));
        }
        Some(namespace) => format!(
            "the root element {} is in namespace \"{namespace}\"",
            name.name()
        ),
        None => format!("the root element {} is in no namespace", name.name()),
    };
    Err(IodefError::invalid(
        &path,
        "IODEF-NS-1",
        format!("{found}; {expected}"),
    ))
}

impl Reader<'_> {
    fn is(&self, node: Node<'_, '_>, local: &str) -> bool {
        is_named(node, self.namespace, local)
    }

    /// An element name as shown in messages: local for our namespace, expanded otherwise.
    fn display(&self, node: Node<'_, '_>) -> String {
        match node.tag_name().namespace() {
            Some(n) if n == self.namespace => node.tag_name().name().to_owned(),
            Some(n) => format!("{{{n}}}{}", node.tag_name().name()),
            None => format!("{} (no namespace)", node.tag_name().name()),
        }
    }

    /// `version` must agree with the namespace (IODEF-NS-1; required by RFC 7970 §3.1
    /// prose although the XSD makes it optional).
    fn version(&self, root: Node<'_, '_>) -> Result<String, IodefError> {
        let expected = match self.dialect {
            Dialect::V1 => "1.00",
            Dialect::V2 => "2.00",
        };
        let path = Path::root();
        match root.attribute("version") {
            None => Err(IodefError::invalid(
                &path,
                &self.dialect.rule("3.1", "3.1"),
                format!("missing required attribute \"version\" (expected \"{expected}\")"),
            )),
            Some(v) if trim(v) == expected => Ok(trim(v).to_owned()),
            Some(v) => Err(IodefError::invalid(
                &path,
                "IODEF-NS-1",
                format!(
                    "version {} does not match the namespace {}: expected \"{expected}\"",
                    shown(v),
                    self.namespace
                ),
            )),
        }
    }

    /// The document language: v2 `xml:lang`, v1 `lang`; missing is tolerated with a
    /// warning (IODEF-PROC-3: all five guidance examples omit it).
    fn lang(&mut self, root: Node<'_, '_>) -> Option<String> {
        let xml_lang = root.attribute((ns::XML, "lang"));
        let plain_lang = root.attribute("lang");
        let lang = match self.dialect {
            Dialect::V2 => {
                if xml_lang.is_none() && plain_lang.is_some() {
                    self.warnings.push(
                        "the root carries lang instead of xml:lang (RFC 7970 declares only xml:lang); used as the document language",
                    );
                }
                xml_lang.or(plain_lang)
            }
            Dialect::V1 => plain_lang.or(xml_lang),
        };
        let lang = lang.map(trim).filter(|l| !l.is_empty()).map(str::to_owned);
        if lang.is_none() {
            self.warnings.push(match self.dialect {
                Dialect::V2 => "the root has no xml:lang; RFC 7970 §6 requires every document to state its language (IODEF-PROC-3)",
                Dialect::V1 => "the root has no lang attribute, which RFC 5070 §3.1 requires (IODEF-PROC-3)",
            });
        }
        lang
    }

    /// Root children: Incident 1..*, then AdditionalData 0..* (RFC 7970 §3.1, RFC 5070
    /// §3.1). Only direct children are incidents (IODEF-IND-1).
    fn root_children<'a, 'input>(
        &self,
        root: Node<'a, 'input>,
    ) -> Result<Vec<Node<'a, 'input>>, IodefError> {
        let rule = self.dialect.rule("3.1", "3.1");
        let mut incidents = Vec::new();
        let mut additional = 0usize;
        for child in root.children().filter(Node::is_element) {
            if self.is(child, "Incident") {
                if additional > 0 {
                    return Err(IodefError::invalid(
                        &Path::root().indexed("Incident", incidents.len() + 1),
                        &rule,
                        "Incident must come before AdditionalData",
                    ));
                }
                incidents.push(child);
            } else if self.is(child, "AdditionalData") {
                additional += 1;
            } else {
                return Err(IodefError::invalid(
                    &Path::root().child(child.tag_name().name()),
                    &rule,
                    format!(
                        "unexpected element {} in IODEF-Document; expected Incident or AdditionalData",
                        self.display(child)
                    ),
                ));
            }
        }
        if incidents.is_empty() {
            return Err(IodefError::invalid(
                &Path::root(),
                &rule,
                "an IODEF-Document needs at least one Incident",
            ));
        }
        Ok(incidents)
    }

    fn incident(&mut self, node: Node<'_, '_>, path: &Path) -> Result<Incident, IodefError> {
        let rule = self.dialect.rule("3.2", "3.2");
        let Some(purpose) = node.attribute("purpose") else {
            return Err(IodefError::invalid(
                path,
                &rule,
                "missing required attribute \"purpose\"",
            ));
        };
        let purpose = Extensible {
            name: "purpose",
            value: Some(purpose),
            ext: node.attribute("ext-purpose"),
        }
        .check(
            self.dialect.purposes(),
            ExtPolicy::Require,
            path,
            &rule,
            &mut self.warnings,
        )?
        .unwrap_or_default();
        let status = match self.dialect {
            Dialect::V2 => Extensible {
                name: "status",
                value: node.attribute("status"),
                ext: node.attribute("ext-status"),
            }
            .check(
                STATUSES,
                ExtPolicy::Require,
                path,
                &rule,
                &mut self.warnings,
            )?,
            Dialect::V1 => None,
        };
        let level = rules::restriction(
            self.dialect,
            Extensible {
                name: "restriction",
                value: node.attribute("restriction"),
                ext: node.attribute("ext-restriction"),
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
        let mut incident = Incident {
            id: IncidentId {
                name: String::new(),
                id: String::new(),
                instance: None,
            },
            purpose,
            status,
            restriction_label,
            restriction,
            report_time: None,
            generation_time: None,
            descriptions: Vec::new(),
            creator: None,
            indicator_count: 0,
            event_count: 0,
            expectations: Vec::new(),
            impacts: Vec::new(),
            indicator_ids: Vec::new(),
        };
        self.incident_children(node, path, &mut incident)?;
        self.triage(node, &mut incident);
        self.check_restrictions(node, path, &incident)?;
        Ok(incident)
    }

    /// Children in schema order with their cardinalities; fills the incident's fields.
    fn incident_children(
        &mut self,
        node: Node<'_, '_>,
        path: &Path,
        incident: &mut Incident,
    ) -> Result<(), IodefError> {
        let rule = self.dialect.rule("3.2", "3.2");
        let slots = incident_slots(self.dialect);
        let mut counts = vec![0usize; slots.len()];
        let mut last = 0usize;
        for child in node.children().filter(Node::is_element) {
            let local = child.tag_name().name();
            let position = slots.iter().position(|s| s.name == local);
            let ours = child.tag_name().namespace() == Some(self.namespace);
            let (Some(position), true) = (position, ours) else {
                return Err(IodefError::invalid(
                    &path.child(local),
                    &rule,
                    format!("unexpected element {} in Incident", self.display(child)),
                ));
            };
            let slot = &slots[position];
            counts[position] += 1;
            let child_path = if slot.repeatable {
                path.indexed(local, counts[position])
            } else {
                path.child(local)
            };
            if !slot.repeatable && counts[position] > 1 {
                return Err(IodefError::invalid(
                    &child_path,
                    &rule,
                    format!("{local} may occur only once in an Incident"),
                ));
            }
            if position < last {
                return Err(IodefError::invalid(
                    &child_path,
                    &rule,
                    format!(
                        "{local} is out of order: it must come before {}",
                        slots[last].name
                    ),
                ));
            }
            last = position;
            self.incident_child(child, local, &child_path, incident)?;
        }
        for (slot, count) in slots.iter().zip(&counts) {
            if slot.required && *count == 0 {
                return Err(IodefError::invalid(
                    path,
                    &rule,
                    format!("missing required element {}", slot.name),
                ));
            }
        }
        Ok(())
    }

    fn incident_child(
        &mut self,
        child: Node<'_, '_>,
        local: &str,
        path: &Path,
        incident: &mut Incident,
    ) -> Result<(), IodefError> {
        match local {
            "IncidentID" => incident.id = self.incident_id(child, path)?,
            "Description" => {
                let text = clean(&text_of(child));
                if !text.is_empty() {
                    incident.descriptions.push(text);
                }
            }
            "Contact" => {
                let role = self.contact(child, path)?;
                if role.as_deref() == Some("creator") && incident.creator.is_none() {
                    incident.creator = self.contact_name(child);
                }
            }
            "EventData" => incident.event_count += 1,
            "IndicatorData" => {
                incident.indicator_count = child
                    .children()
                    .filter(|c| self.is(*c, "Indicator"))
                    .count();
            }
            "History" => self.history(child, path)?,
            time if rules::INCIDENT_TIMES.contains(&time) => {
                let at = rules::datetime(&text_of(child), path, &mut self.warnings)?;
                match time {
                    "ReportTime" => incident.report_time = Some(at),
                    "GenerationTime" => incident.generation_time = Some(at),
                    _ => {}
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// The facts clients triage by (R-CSIRT-CAT-b) and the indicator ids (R-CSIRT-IODEF-c),
    /// read from the whole incident once its structure has been checked.
    fn triage(&self, node: Node<'_, '_>, incident: &mut Incident) {
        for element in node.descendants().filter(Node::is_element) {
            if element.tag_name().namespace() != Some(self.namespace) {
                continue;
            }
            match element.tag_name().name() {
                "Expectation" => {
                    let action = extensible(element, "action", "ext-action");
                    push_new(&mut incident.expectations, action.unwrap_or("other"));
                }
                name if name.ends_with("Impact")
                    && element
                        .ancestors()
                        .skip(1)
                        .take_while(|a| *a != node)
                        .any(|a| self.is(a, "Assessment")) =>
                {
                    if let Some(kind) = extensible(element, "type", "ext-type") {
                        push_new(&mut incident.impacts, kind);
                    }
                }
                "IndicatorID" if element.parent().is_some_and(|p| self.is(p, "Indicator")) => {
                    push_new(&mut incident.indicator_ids, text_of(element).trim());
                }
                _ => {}
            }
        }
    }

    /// IncidentID: `name` required, content not empty once trimmed (RFC 7970 §3.4,
    /// RFC 5070 §3.3; IODEF-ID-1/-2).
    fn incident_id(&mut self, node: Node<'_, '_>, path: &Path) -> Result<IncidentId, IodefError> {
        let rule = self.dialect.rule("3.3", "3.4");
        let name = match node.attribute("name").map(trim) {
            None => {
                return Err(IodefError::invalid(
                    path,
                    &rule,
                    "missing required attribute \"name\"",
                ));
            }
            Some("") => {
                return Err(IodefError::invalid(
                    path,
                    &rule,
                    "attribute \"name\" is empty; it names the issuing CSIRT",
                ));
            }
            Some(name) => name.to_owned(),
        };
        let content = text_of(node);
        let id = trim(&content);
        if id.is_empty() {
            return Err(IodefError::invalid(path, &rule, "the IncidentID is empty"));
        }
        let instance = node
            .attribute("instance")
            .map(trim)
            .filter(|i| !i.is_empty())
            .map(str::to_owned);
        Ok(IncidentId {
            name,
            id: id.to_owned(),
            instance,
        })
    }

    /// Contact: `role` and `type` required with their enumerations, nested Contacts too
    /// (RFC 7970 §3.9, RFC 5070 §3.7). Returns the effective role.
    fn contact(&mut self, node: Node<'_, '_>, path: &Path) -> Result<Option<String>, IodefError> {
        let rule = self.dialect.rule("3.7", "3.9");
        for required in ["role", "type"] {
            if node.attribute(required).is_none() {
                return Err(IodefError::invalid(
                    path,
                    &rule,
                    format!("missing required attribute \"{required}\""),
                ));
            }
        }
        let role = Extensible {
            name: "role",
            value: node.attribute("role"),
            ext: node.attribute("ext-role"),
        }
        .check(
            self.dialect.contact_roles(),
            ExtPolicy::Tolerate,
            path,
            &rule,
            &mut self.warnings,
        )?;
        Extensible {
            name: "type",
            value: node.attribute("type"),
            ext: node.attribute("ext-type"),
        }
        .check(
            CONTACT_TYPES,
            ExtPolicy::Tolerate,
            path,
            &rule,
            &mut self.warnings,
        )?;
        let mut nested = 0usize;
        let mut children = 0usize;
        for child in node.children().filter(Node::is_element) {
            children += 1;
            if self.is(child, "Contact") {
                nested += 1;
                self.contact(child, &path.indexed("Contact", nested))?;
            }
        }
        if children == 0 {
            // The XSDs accept `<Contact/>` though the v2 prose wants a child; the v1
            // Atom-entry sample has one. Not a reason to refuse a report.
            self.warnings.push(format!(
                "{path}: the Contact has no child element, so it says nothing about whom to contact"
            ));
        }
        Ok(role)
    }

    /// The first non-empty ContactName of a Contact.
    fn contact_name(&self, node: Node<'_, '_>) -> Option<String> {
        node.children()
            .filter(|c| self.is(*c, "ContactName"))
            .map(|c| clean(&text_of(c)))
            .find(|n| !n.is_empty())
    }

    /// HistoryItem/DateTime values are DATETIMEs too (IODEF-DT-3).
    fn history(&mut self, node: Node<'_, '_>, path: &Path) -> Result<(), IodefError> {
        let namespace = self.namespace;
        let items = node
            .children()
            .filter(|c| is_named(*c, namespace, "HistoryItem"));
        for (i, item) in items.enumerate() {
            let item_path = path.indexed("HistoryItem", i + 1);
            let dates = item
                .children()
                .filter(|c| is_named(*c, namespace, "DateTime"));
            for date in dates {
                rules::datetime(
                    &text_of(date),
                    &item_path.child("DateTime"),
                    &mut self.warnings,
                )?;
            }
        }
        Ok(())
    }
}

/// Whether `node` is the element `local` of `namespace`.
fn is_named(node: Node<'_, '_>, namespace: &str, local: &str) -> bool {
    node.tag_name().namespace() == Some(namespace) && node.tag_name().name() == local
}

/// An enumerated attribute, with its `ext-` sibling standing in for `ext-value`.
fn extensible<'a>(node: Node<'a, '_>, name: &str, ext: &str) -> Option<&'a str> {
    resolve_extensible(node.attribute(name), node.attribute(ext))
}

/// All character data directly inside `node` (text split by comments included).
fn text_of(node: Node<'_, '_>) -> String {
    let mut text = String::new();
    for child in node.children().filter(Node::is_text) {
        text.push_str(child.text().unwrap_or(""));
    }
    text
}
