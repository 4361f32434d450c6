//! The parsed document and what a ROLIE entry takes from it: title, summary, dates,
//! author, `rolie:format`, `rolie:property` and categories (spec-iodef §8, §9.2).
//!
//! Everything here is derived from fields filled by the bindings; nothing re-reads the
//! bytes, so deriving an entry costs nothing next to parsing.

use std::collections::HashSet;
use std::fmt;

use bytes::Bytes;
use rolie_model::vocabulary::{format, information_type, media_type, ns, property, scheme};
use rolie_model::{Category, Restriction, RolieFormat, RolieProperty};
use time::OffsetDateTime;

use crate::rules::Level;
use crate::text;

/// The serialisation a client says it sent (from `Content-Type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    /// IODEF v1 or v2 XML; the namespace decides which (IODEF-NS-1).
    Xml,
    /// JSON IODEF (RFC 8727).
    Json,
}

impl Syntax {
    /// The syntax for a request media type: `application/xml`, `text/xml`, the unregistered
    /// `application/iodef+xml` alias (spec-iodef §1) and `application/json`; parameters
    /// are ignored. `None` for anything else (the server answers 415).
    pub fn for_media_type(media_type: &str) -> Option<Syntax> {
        let essence = media_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/xml" | "text/xml" | "application/iodef+xml" => Some(Syntax::Xml),
            "application/json" => Some(Syntax::Json),
            _ => None,
        }
    }
}

/// What was actually parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// IODEF v1 XML (RFC 5070, `urn:ietf:params:xml:ns:iodef-1.0`).
    XmlV1,
    /// IODEF v2 XML (RFC 7970, `urn:ietf:params:xml:ns:iodef-2.0`).
    XmlV2,
    /// JSON IODEF (RFC 8727), a binding of the v2 model.
    Json,
}

impl Format {
    /// The media type the document is served with: `application/xml` or
    /// `application/json` (no IODEF media type is registered; spec-iodef §1).
    pub fn media_type(self) -> &'static str {
        match self {
            Format::XmlV1 | Format::XmlV2 => media_type::XML,
            Format::Json => media_type::JSON,
        }
    }

    /// The entry's `rolie:format` (R-CSIRT-FMT-a, R-CSIRT-FMT-c).
    ///
    /// Versions are written `2.0`/`1.0` as in RFC 8322's example, not as the documents'
    /// `2.00` (spec-rolie A30). JSON shares the v2 namespace, since `rolie:format` names
    /// the data model and `content/@type` the serialisation, and has no schema location
    /// because no JSON schema is published at a stable URL (spec-rolie A16).
    pub fn rolie_format(self) -> RolieFormat {
        match self {
            Format::XmlV2 => RolieFormat {
                ns: ns::IODEF_2.to_owned(),
                version: Some("2.0".to_owned()),
                schema_location: Some(format::IODEF_2_SCHEMA.to_owned()),
                schema_type: Some(media_type::XML.to_owned()),
            },
            Format::Json => RolieFormat {
                ns: ns::IODEF_2.to_owned(),
                version: Some("2.0".to_owned()),
                schema_location: None,
                schema_type: None,
            },
            Format::XmlV1 => RolieFormat {
                ns: ns::IODEF_1.to_owned(),
                version: Some("1.0".to_owned()),
                schema_location: None,
                schema_type: None,
            },
        }
    }

    /// Whether the v1 vocabulary and date rules apply.
    pub fn is_v1(self) -> bool {
        self == Format::XmlV1
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::XmlV1 => "IODEF v1",
            Format::XmlV2 => "IODEF v2",
            Format::Json => "JSON IODEF",
        })
    }
}

/// The identity of an incident: issuing CSIRT, its tracking number and the optional
/// instance (IODEF-ID-1). Values are trimmed of surrounding whitespace (IODEF-ID-2); the
/// original stays in the stored bytes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IncidentId {
    /// `IncidentID/@name`: the issuing CSIRT, usually an FQDN.
    pub name: String,
    /// The IncidentID text (XML) or `IncidentID.id` (JSON).
    pub id: String,
    /// `instance`, when present and not empty.
    pub instance: Option<String>,
}

/// One `Incident` directly under the root (IODEF-IND-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    /// Its identity.
    pub id: IncidentId,
    /// `purpose`, or the `ext-purpose` value when `purpose="ext-value"`.
    pub purpose: String,
    /// `status` (v2 and JSON only), `ext-status` resolved the same way.
    pub status: Option<String>,
    /// `restriction` as written (`amber`, `default`, an `ext-restriction` value, ...),
    /// `private` when absent (IODEF-RES-1).
    pub restriction_label: String,
    /// The level the label resolves to under the server's policy.
    pub restriction: Restriction,
    /// `ReportTime`, in UTC.
    pub report_time: Option<OffsetDateTime>,
    /// `GenerationTime` (v2 and JSON), in UTC.
    pub generation_time: Option<OffsetDateTime>,
    /// `Description` texts in document order, whitespace collapsed, empty ones left out.
    pub descriptions: Vec<String>,
    /// `ContactName` of the first `Contact role="creator"` that has one.
    pub creator: Option<String>,
    /// `IndicatorData/Indicator` (XML) or `Indicator` items (JSON).
    pub indicator_count: usize,
    /// Direct `EventData` children.
    pub event_count: usize,
    /// What the reporter asks for: each `Expectation@action` anywhere in the incident
    /// (`ext-action` when the action is `ext-value`), in document order, repeats kept out.
    pub expectations: Vec<String>,
    /// The kinds of impact assessed: `@type` of each `Assessment/*Impact` (v2 SystemImpact,
    /// BusinessImpact, IntendedImpact; v1 Impact; `ext-type` for `ext-value`).
    pub impacts: Vec<String>,
    /// `IndicatorData/Indicator/IndicatorID` texts (JSON `Indicator[].IndicatorID.id`),
    /// trimmed, in document order, repeats kept out.
    pub indicator_ids: Vec<String>,
}

/// A validated IODEF document and what was read from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IodefDocument {
    /// What was parsed.
    pub format: Format,
    /// The `version` as written (`2.00`, `1.00`, `2.0`, ...).
    pub version: String,
    /// The document language (`xml:lang`, v1 `lang`, JSON `lang`).
    pub lang: Option<String>,
    /// The incidents, at least one.
    pub incidents: Vec<Incident>,
    /// The level the entry is published at: the strictest `restriction` anywhere in the
    /// document, on its Incidents (IODEF-RES-2) and on any element inside them or on the
    /// document's own AdditionalData (RFC 7970 §3.3.1). A level above every Incident's is
    /// explained in `warnings`.
    pub restriction: Restriction,
    /// The `restriction` label that gave `restriction`, as written (`amber`, `red`,
    /// `default`, an `ext-restriction` value): the first Incident at that level, else the
    /// first element that set it.
    pub restriction_label: String,
    /// `information_type::INDICATOR` when every incident carries indicators and no
    /// EventData, else `information_type::INCIDENT` (R-CSIRT-TYPE-a).
    pub information_type: &'static str,
    /// Tolerated defects, for the server to log or show.
    pub warnings: Vec<String>,
    /// The submitted bytes, untouched: the server stores and serves these.
    pub bytes: Bytes,
}

/// Longest description kept in a title, in characters.
const TITLE_DESCRIPTION_CHARS: usize = 160;
/// Longest identifier or name kept in a title, in characters.
const TITLE_ID_CHARS: usize = 80;
/// Most `IndicatorID`s listed as `content-id` properties of one entry: past this, the
/// entry would outgrow its document; the document itself keeps every one.
pub const MAX_INDICATOR_IDS: usize = 100;
/// Longest run of descriptions kept in a summary, in characters.
const SUMMARY_DESCRIPTION_CHARS: usize = 1000;
/// Longest list of purposes or statuses kept in a summary, in characters.
const SUMMARY_LIST_CHARS: usize = 200;

impl IodefDocument {
    /// Puts a document together once a binding has read its incidents (at least one) and
    /// the strictest restriction found inside them or on the document's AdditionalData
    /// (`nested`, when stricter than the Incident holding it).
    pub(crate) fn assemble(
        format: Format,
        version: String,
        lang: Option<String>,
        incidents: Vec<Incident>,
        nested: Option<Level>,
        warnings: Vec<String>,
        bytes: Bytes,
    ) -> Self {
        // IODEF-RES-2: the whole document is published at its strictest incident's level,
        // or stricter when an element inside says so (RFC 7970 §3.3.1; rules::NestedRestrictions).
        let strictest_incident = incidents
            .iter()
            .fold(None::<&Incident>, |strictest, i| match strictest {
                Some(s) if s.restriction >= i.restriction => Some(s),
                _ => Some(i),
            })
            .map_or_else(Level::incident_default, |i| Level {
                label: i.restriction_label.clone(),
                restriction: i.restriction,
            });
        let Level {
            label: restriction_label,
            restriction,
        } = match nested {
            Some(nested) if nested.restriction > strictest_incident.restriction => nested,
            _ => strictest_incident,
        };
        let mut warnings = warnings;
        let indicator_ids: usize = incidents.iter().map(|i| i.indicator_ids.len()).sum();
        if indicator_ids > MAX_INDICATOR_IDS {
            warnings.push(format!(
                "the document names {indicator_ids} IndicatorIDs; the entry lists the first {MAX_INDICATOR_IDS} as content-id properties"
            ));
        }
        let indicators_only = incidents
            .iter()
            .all(|i| i.indicator_count > 0 && i.event_count == 0);
        let information_type = if indicators_only {
            information_type::INDICATOR
        } else {
            information_type::INCIDENT
        };
        IodefDocument {
            format,
            version,
            lang,
            incidents,
            restriction,
            restriction_label,
            information_type,
            warnings,
            bytes,
        }
    }

    fn first(&self) -> &Incident {
        // The bindings refuse documents without incidents.
        &self.incidents[0]
    }

    /// A one-line title from the first incident: its first Description (cut to about 160
    /// characters) or "`<purpose>` incident", then "(`<id>` from `<name>`)", and
    /// "and N more" for further incidents. Never empty (Atom requires a title).
    pub fn title(&self) -> String {
        let first = self.first();
        let lead = match first.descriptions.first() {
            Some(description) => text::cut(description, TITLE_DESCRIPTION_CHARS),
            None => format!("{} incident", text::clean(&first.purpose)),
        };
        let mut title = format!(
            "{lead} ({} from {})",
            text::cut(&text::clean(&first.id.id), TITLE_ID_CHARS),
            text::cut(&text::clean(&first.id.name), TITLE_ID_CHARS)
        );
        let more = self.incidents.len() - 1;
        if more > 0 {
            title.push_str(&format!(" and {more} more"));
        }
        title
    }

    /// A plain-text summary: format, incident count, purposes, restriction and statuses,
    /// the descriptions (cut to about 1000 characters), and indicator and event counts.
    pub fn summary(&self) -> String {
        let count = self.incidents.len();
        let mut facts = vec![format!(
            "purpose {}",
            text::cut(&self.purposes().join(", "), SUMMARY_LIST_CHARS)
        )];
        facts.push(format!(
            "restriction {}",
            text::clean(&self.restriction_label)
        ));
        let statuses = self.statuses();
        if !statuses.is_empty() {
            facts.push(format!(
                "status {}",
                text::cut(&statuses.join(", "), SUMMARY_LIST_CHARS)
            ));
        }
        let mut summary = format!(
            "{} document with {count} {} ({})",
            self.format,
            plural(count, "incident", "incidents"),
            facts.join(", ")
        );
        let mut joined = String::new();
        let descriptions = self.incidents.iter().flat_map(|i| &i.descriptions);
        for description in descriptions {
            // Stop early: the text is cut below anyway, however many incidents there are.
            if joined.len() > 4 * SUMMARY_DESCRIPTION_CHARS {
                break;
            }
            if !joined.is_empty() {
                joined.push_str("; ");
            }
            joined.push_str(description);
        }
        if !joined.is_empty() {
            summary.push_str(": ");
            // The counts follow after "; ", so a final full stop would read twice.
            summary.push_str(&text::cut(
                joined.trim_end_matches('.'),
                SUMMARY_DESCRIPTION_CHARS,
            ));
        }
        let indicators: usize = self.incidents.iter().map(|i| i.indicator_count).sum();
        let events: usize = self.incidents.iter().map(|i| i.event_count).sum();
        summary.push_str(&format!(
            "; {indicators} {}, {events} {}.",
            plural(indicators, "indicator", "indicators"),
            plural(events, "event", "events")
        ));
        summary
    }

    /// When the content was first published (R-CSIRT-PROP-b): v1 the earliest
    /// ReportTime; v2 and JSON per incident ReportTime, else GenerationTime, earliest.
    pub fn published(&self) -> Option<OffsetDateTime> {
        self.incidents
            .iter()
            .filter_map(|i| {
                if self.format.is_v1() {
                    i.report_time
                } else {
                    i.report_time.or(i.generation_time)
                }
            })
            .min()
    }

    /// When the content was last updated (R-CSIRT-PROP-b): v2 and JSON the latest
    /// GenerationTime, v1 the latest ReportTime.
    pub fn updated(&self) -> Option<OffsetDateTime> {
        self.incidents
            .iter()
            .filter_map(|i| {
                if self.format.is_v1() {
                    i.report_time
                } else {
                    i.generation_time
                }
            })
            .max()
    }

    /// Who wrote the content (R-8322-7.4-c): the first incident's creator, else the CSIRT
    /// named in its IncidentID.
    pub fn author_name(&self) -> Option<String> {
        let first = self.first();
        first
            .creator
            .clone()
            .or_else(|| Some(text::clean(&first.id.name)).filter(|n| !n.is_empty()))
    }

    /// The entry's `rolie:property` list: one `content-id` per distinct IncidentID text and
    /// per distinct IndicatorID, at most [`MAX_INDICATOR_IDS`] of those (R-CSIRT-IODEF-c),
    /// one local `iodef-incidentid-name` per distinct name
    /// (R-CSIRT-PROP-c), `content-published-date` and `content-updated-date` in RFC 3339
    /// UTC (R-8322-7.4-e/-f, R-CSIRT-PROP-b), and `content-author-name` (R-8322-7.4-c).
    pub fn properties(&self) -> Vec<RolieProperty> {
        let mut ids = distinct(self.incidents.iter().map(|i| i.id.id.as_str()));
        let indicator_ids = distinct(
            self.incidents
                .iter()
                .flat_map(|i| i.indicator_ids.iter().map(String::as_str)),
        );
        ids.extend(
            indicator_ids
                .into_iter()
                .filter(|id| !ids.contains(id))
                .take(MAX_INDICATOR_IDS)
                .collect::<Vec<_>>(),
        );
        let names = distinct(self.incidents.iter().map(|i| i.id.name.as_str()));
        let mut properties: Vec<RolieProperty> = ids
            .into_iter()
            .map(|id| RolieProperty::new(property::CONTENT_ID, id))
            .chain(
                names
                    .into_iter()
                    .map(|name| RolieProperty::new(property::IODEF_INCIDENT_ID_NAME, name)),
            )
            .collect();
        if let Some(at) = self.published() {
            properties.push(RolieProperty::new(
                property::CONTENT_PUBLISHED_DATE,
                rolie_model::timestamp::format(at),
            ));
        }
        if let Some(at) = self.updated() {
            properties.push(RolieProperty::new(
                property::CONTENT_UPDATED_DATE,
                rolie_model::timestamp::format(at),
            ));
        }
        if let Some(author) = self.author_name() {
            properties.push(RolieProperty::new(property::CONTENT_AUTHOR_NAME, author));
        }
        properties
    }

    /// The entry's IODEF categories: each distinct purpose and the label of the document's
    /// restriction (R-CSIRT-CAT-a), each distinct status, expectation and impact
    /// (R-CSIRT-CAT-b).
    pub fn categories(&self) -> Vec<Category> {
        let mut categories: Vec<Category> = self
            .purposes()
            .into_iter()
            .map(|p| Category::new(scheme::IODEF_PURPOSE, p))
            .collect();
        categories.push(Category::new(
            scheme::IODEF_RESTRICTION,
            text::clean(&self.restriction_label),
        ));
        categories.extend(
            self.statuses()
                .into_iter()
                .map(|s| Category::new(scheme::IODEF_STATUS, s)),
        );
        let expectations = distinct(
            self.incidents
                .iter()
                .flat_map(|i| i.expectations.iter().map(String::as_str)),
        );
        categories.extend(
            expectations
                .into_iter()
                .map(|e| Category::new(scheme::IODEF_EXPECTATION, e)),
        );
        let impacts = distinct(
            self.incidents
                .iter()
                .flat_map(|i| i.impacts.iter().map(String::as_str)),
        );
        categories.extend(
            impacts
                .into_iter()
                .map(|i| Category::new(scheme::IODEF_IMPACT, i)),
        );
        categories
    }

    fn purposes(&self) -> Vec<String> {
        distinct(self.incidents.iter().map(|i| i.purpose.as_str()))
    }

    fn statuses(&self) -> Vec<String> {
        distinct(self.incidents.iter().filter_map(|i| i.status.as_deref()))
    }
}

/// Cleaned values in first-seen order, without repeats.
fn distinct<'a>(values: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut seen = HashSet::new();
    values
        .map(text::clean)
        .filter(|v| seen.insert(v.clone()))
        .collect()
}

fn plural(n: usize, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}
