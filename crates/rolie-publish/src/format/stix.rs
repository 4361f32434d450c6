//! STIX 2.1 bundles (R-CSIRT-STIX-a): checked enough to trust what the entry says about
//! them (every object typed and identified, 2.1 only, timestamps that parse), with the
//! TLP markings deciding the entry's level.

use std::collections::HashMap;

use bytes::Bytes;
use rolie_model::vocabulary::{format, media_type, property, scheme};
use rolie_model::{
    Category, MediaType, Restriction, RestrictionPolicy, RolieFormat, RolieProperty, timestamp,
};
use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::{ContentFormat, Document, Fits, Offered, clean, level_or_default, push_new};
use crate::error::PublishError;

/// A STIX 2.1 bundle.
pub struct Stix;

/// The TLP 1.0 markings STIX 2.1 predefines (§7.2.1.4) and the TLP 2.0 markings of the
/// OASIS extension definition, by id.
const TLP_MARKINGS: [(&str, Restriction, &str); 9] = [
    (
        "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9",
        Restriction::Public,
        "white",
    ),
    (
        "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
        Restriction::Partner,
        "green",
    ),
    (
        "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82",
        Restriction::NeedToKnow,
        "amber",
    ),
    (
        "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed",
        Restriction::Private,
        "red",
    ),
    (
        "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        Restriction::Public,
        "clear",
    ),
    (
        "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
        Restriction::Partner,
        "green",
    ),
    (
        "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
        Restriction::NeedToKnow,
        "amber",
    ),
    (
        "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
        Restriction::NeedToKnow,
        "amber+strict",
    ),
    (
        "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
        Restriction::Private,
        "red",
    ),
];

/// The TLP 2.0 extension definition, whose `tlp_2_0` property names the colour.
const TLP_2_EXTENSION: &str = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d";

/// Object types whose `name` makes the best title, best first.
const TITLE_TYPES: [&str; 9] = [
    "report",
    "incident",
    "grouping",
    "campaign",
    "intrusion-set",
    "threat-actor",
    "malware",
    "attack-pattern",
    "indicator",
];

/// Object types that make a bundle an indicator record (R-CSIRT-TYPE-a).
const INDICATOR_TYPES: [&str; 3] = ["indicator", "observed-data", "sighting"];

/// Longest title and summary text kept, in characters.
const TITLE_CHARS: usize = 160;
const SUMMARY_CHARS: usize = 1000;

/// Whether `media` is STIX's own type, `application/stix+json` (any `version`).
pub(crate) fn is_stix_type(media: &MediaType) -> bool {
    media.essence == media_type::STIX
}

impl ContentFormat for Stix {
    fn name(&self) -> &'static str {
        "STIX 2.1 bundle"
    }

    fn claims(&self, offered: &Offered<'_>) -> bool {
        is_stix_type(offered.media)
            || (offered.media.essence == media_type::JSON
                && offered
                    .json_top()
                    .is_some_and(|top| top.kind.as_deref() == Some("bundle")))
    }

    fn read(&self, body: Bytes, policy: &RestrictionPolicy) -> Result<Document, PublishError> {
        let text = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&body);
        let value: Value = serde_json::from_slice(text).map_err(|e| {
            PublishError::Malformed(format!("the STIX bundle is not valid JSON: {e}"))
        })?;
        let bundle = Bundle::read(&value)?;
        Ok(bundle.document(body, policy))
    }
}

/// What is read from a bundle.
struct Bundle<'a> {
    id: &'a str,
    objects: Vec<&'a Map<String, Value>>,
    /// Each object type with its count, in first-seen order.
    types: Vec<(&'a str, usize)>,
    created: Option<OffsetDateTime>,
    modified: Option<OffsetDateTime>,
    /// Ids of the marking definitions referenced by any object.
    markings: Vec<&'a str>,
    /// TLP colours of marking definitions inside the bundle, by id.
    local_tlp: HashMap<&'a str, String>,
}

impl<'a> Bundle<'a> {
    fn read(value: &'a Value) -> Result<Self, PublishError> {
        let Some(top) = value.as_object() else {
            return Err(PublishError::invalid_at(
                "/",
                "a STIX bundle is a JSON object (R-CSIRT-STIX-a)",
            ));
        };
        let kind = top.get("type").and_then(Value::as_str);
        if kind != Some("bundle") {
            return Err(PublishError::invalid_at(
                "/type",
                format!(
                    "only STIX bundles are published, and this is {}: wrap the objects in a bundle (\"type\": \"bundle\") (R-CSIRT-STIX-a)",
                    kind.map_or_else(|| "not typed".to_owned(), |k| format!("a {k}"))
                ),
            ));
        }
        let id = stix_id(top, "bundle", "")?;
        if top.contains_key("spec_version") {
            return Err(PublishError::invalid_at(
                "/spec_version",
                "a bundle with spec_version is STIX 2.0; only STIX 2.1 is published (2.1 bundles carry spec_version on their objects)",
            ));
        }
        let Some(items) = top.get("objects").and_then(Value::as_array) else {
            return Err(PublishError::invalid_at(
                "/objects",
                "a published bundle needs an objects array with at least one object",
            ));
        };
        if items.is_empty() {
            return Err(PublishError::invalid_at(
                "/objects",
                "the bundle holds no objects: there is nothing to publish",
            ));
        }
        let mut bundle = Bundle {
            id,
            objects: Vec::with_capacity(items.len()),
            types: Vec::new(),
            created: None,
            modified: None,
            markings: Vec::new(),
            local_tlp: HashMap::new(),
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("/objects/{i}");
            let Some(object) = item.as_object() else {
                return Err(PublishError::invalid_at(
                    path,
                    "a STIX object is a JSON object",
                ));
            };
            bundle.object(object, &path)?;
        }
        Ok(bundle)
    }

    fn object(&mut self, object: &'a Map<String, Value>, path: &str) -> Result<(), PublishError> {
        let Some(kind) = object.get("type").and_then(Value::as_str) else {
            return Err(PublishError::invalid_at(
                format!("{path}/type"),
                "every STIX object has a type (STIX 2.1 §3.1)",
            ));
        };
        if kind.is_empty()
            || !kind
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(PublishError::invalid_at(
                format!("{path}/type"),
                format!(
                    "\"{kind}\" is not a STIX type name: lower-case letters, digits and hyphens (STIX 2.1 §3.1)"
                ),
            ));
        }
        let id = stix_id(object, kind, path)?;
        match object.get("spec_version") {
            None => {}
            Some(Value::String(v)) if v == "2.1" => {}
            Some(other) => {
                return Err(PublishError::invalid_at(
                    format!("{path}/spec_version"),
                    format!("spec_version {other} is not 2.1; only STIX 2.1 objects are published"),
                ));
            }
        }
        for (name, slot) in [
            ("created", &mut self.created),
            ("modified", &mut self.modified),
        ] {
            if let Some(value) = object.get(name) {
                let at = value
                    .as_str()
                    .and_then(|s| timestamp::parse(s).ok())
                    .ok_or_else(|| {
                        PublishError::invalid_at(
                            format!("{path}/{name}"),
                            format!("{value} is not an RFC 3339 timestamp (STIX 2.1 §3.2)"),
                        )
                    })?;
                *slot = Some(match (*slot, name) {
                    (Some(seen), "created") => seen.min(at),
                    (Some(seen), _) => seen.max(at),
                    (None, _) => at,
                });
            }
        }
        if let Some(refs) = object.get("object_marking_refs").and_then(Value::as_array) {
            self.markings.extend(refs.iter().filter_map(Value::as_str));
        }
        if let Some(granular) = object.get("granular_markings").and_then(Value::as_array) {
            self.markings.extend(
                granular
                    .iter()
                    .filter_map(|g| g.get("marking_ref").and_then(Value::as_str)),
            );
        }
        if kind == "marking-definition"
            && let Some(colour) = tlp_definition(object)
        {
            self.local_tlp.insert(id, colour);
        }
        match self.types.iter_mut().find(|(t, _)| *t == kind) {
            Some((_, count)) => *count += 1,
            None => self.types.push((kind, 1)),
        }
        self.objects.push(object);
        Ok(())
    }

    /// The strictest TLP marking referenced, with its colour as written.
    fn marking(&self) -> Option<(Restriction, String)> {
        self.markings
            .iter()
            .filter_map(|id| {
                TLP_MARKINGS
                    .iter()
                    .find(|(known, ..)| known == id)
                    .map(|(_, level, colour)| (*level, (*colour).to_owned()))
                    .or_else(|| {
                        let colour = self.local_tlp.get(id)?;
                        Some((Restriction::from_label(colour)?, colour.clone()))
                    })
            })
            .max_by_key(|(level, _)| *level)
    }

    fn named(&self) -> Option<(&'a str, &'a str)> {
        TITLE_TYPES.iter().find_map(|kind| {
            self.objects.iter().find_map(|o| {
                let name = o.get("name").and_then(Value::as_str)?.trim();
                (o.get("type").and_then(Value::as_str) == Some(kind) && !name.is_empty())
                    .then_some((*kind, name))
            })
        })
    }

    /// Who made the bundle: the identity named by the first `created_by_ref`.
    fn author(&self) -> Option<String> {
        let by = self
            .objects
            .iter()
            .find_map(|o| o.get("created_by_ref").and_then(Value::as_str))?;
        self.objects
            .iter()
            .find(|o| o.get("id").and_then(Value::as_str) == Some(by))
            .and_then(|o| o.get("name").and_then(Value::as_str))
            .map(|n| clean(n, TITLE_CHARS))
    }

    fn document(&self, bytes: Bytes, policy: &RestrictionPolicy) -> Document {
        let mut warnings = Vec::new();
        let (restriction, colour) = level_or_default(
            self.marking(),
            policy,
            "the bundle references no TLP marking",
            &mut warnings,
        );
        let count = self.objects.len();
        let lead = match self.named() {
            Some((_, name)) => clean(name, TITLE_CHARS),
            None => format!("STIX bundle {}", self.id),
        };
        let title = format!(
            "{lead} (STIX 2.1 bundle, {count} {})",
            if count == 1 { "object" } else { "objects" }
        );
        let types: Vec<String> = self
            .types
            .iter()
            .map(|(kind, n)| format!("{n} {kind}"))
            .collect();
        let mut summary = format!(
            "STIX 2.1 bundle {} with {count} {} ({}), marked TLP:{}",
            self.id,
            if count == 1 { "object" } else { "objects" },
            types.join(", "),
            colour.to_uppercase()
        );
        let description = self.objects.iter().find_map(|o| {
            let d = o.get("description").and_then(Value::as_str)?.trim();
            (!d.is_empty()).then_some(d)
        });
        if let Some(description) = description {
            summary.push_str(": ");
            summary.push_str(&clean(description, SUMMARY_CHARS));
        } else {
            summary.push('.');
        }
        let mut properties = vec![RolieProperty::new(property::CONTENT_ID, self.id)];
        if let Some(at) = self.created {
            properties.push(RolieProperty::new(
                property::CONTENT_PUBLISHED_DATE,
                timestamp::format(at),
            ));
        }
        if let Some(at) = self.modified.or(self.created) {
            properties.push(RolieProperty::new(
                property::CONTENT_UPDATED_DATE,
                timestamp::format(at),
            ));
        }
        if let Some(author) = self.author() {
            properties.push(RolieProperty::new(property::CONTENT_AUTHOR_NAME, author));
        }
        let mut categories = vec![Category::new(scheme::IODEF_RESTRICTION, colour.clone())];
        let mut kinds = Vec::new();
        for (kind, _) in &self.types {
            push_new(&mut kinds, kind);
        }
        categories.extend(
            kinds
                .into_iter()
                .map(|k| Category::new(scheme::STIX_TYPE, k)),
        );
        let indicator = self
            .types
            .iter()
            .any(|(kind, _)| INDICATOR_TYPES.contains(kind));
        Document {
            format_name: "STIX 2.1 bundle",
            media_type: media_type::JSON,
            format: RolieFormat {
                ns: format::STIX_2_1.to_owned(),
                version: Some("2.1".to_owned()),
                schema_location: Some(format::STIX_2_1_BUNDLE_SCHEMA.to_owned()),
                schema_type: Some("application/schema+json".to_owned()),
            },
            title,
            summary,
            restriction,
            categories,
            properties,
            key: format!("stix\n{}", self.id),
            fits: Fits {
                incident: true,
                indicator,
            },
            warnings,
            bytes,
        }
    }
}

/// The object's `id`, checked to be `<type>--<UUID>` (STIX 2.1 §2.9).
fn stix_id<'a>(
    object: &'a Map<String, Value>,
    kind: &str,
    path: &str,
) -> Result<&'a str, PublishError> {
    let id = object.get("id").and_then(Value::as_str);
    let well_formed = id.is_some_and(|id| {
        id.strip_prefix(kind)
            .and_then(|rest| rest.strip_prefix("--"))
            .is_some_and(|uuid| uuid::Uuid::try_parse(uuid).is_ok())
    });
    match id {
        Some(id) if well_formed => Ok(id),
        _ => Err(PublishError::invalid_at(
            format!("{path}/id"),
            format!(
                "{} is not a STIX identifier: expected \"{kind}--\" and a UUID (STIX 2.1 §2.9)",
                id.map_or_else(|| "a missing id".to_owned(), |id| format!("\"{id}\""))
            ),
        )),
    }
}

/// The TLP colour a marking definition in the bundle states: TLP 1.0 `definition.tlp`, the
/// TLP 2.0 extension's `tlp_2_0`, or a `TLP:` name.
fn tlp_definition(object: &Map<String, Value>) -> Option<String> {
    let stated = object
        .get("definition")
        .and_then(|d| d.get("tlp"))
        .or_else(|| {
            object
                .get("extensions")
                .and_then(|e| e.get(TLP_2_EXTENSION))
                .and_then(|e| e.get("tlp_2_0"))
        })
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            let name = object.get("name").and_then(Value::as_str)?;
            name.to_ascii_lowercase()
                .strip_prefix("tlp:")
                .map(str::to_owned)
        })?;
    let colour = stated.trim().to_ascii_lowercase();
    Restriction::from_label(&colour).map(|_| colour)
}

#[cfg(test)]
mod tests {
    use super::*;

    const C2: &str = include_str!("../../../../tests/corpus/stix/indicator-for-c2-ip-address.json");

    fn read(body: &str) -> Result<Document, PublishError> {
        Stix.read(Bytes::from(body.to_owned()), &RestrictionPolicy::default())
    }

    /// R-CSIRT-STIX-a: content-id is the bundle's id.
    #[test]
    fn an_oasis_example_bundle_is_read() {
        let document = read(C2).unwrap();
        assert!(
            document
                .title
                .starts_with("IP Address for known C2 channel")
        );
        assert_eq!(document.properties[0].name, property::CONTENT_ID);
        assert_eq!(
            document.properties[0].value,
            "bundle--44af6c39-c09b-49c5-9de2-394224b04982"
        );
        assert!(document.fits.indicator);
        assert_eq!(
            document.restriction,
            Restriction::Private,
            "unmarked: the default"
        );
        assert_eq!(document.warnings.len(), 1);
    }

    #[test]
    fn the_strictest_tlp_marking_decides_the_level() {
        let green = C2.replace(
            "\"spec_version\": \"2.1\",",
            "\"spec_version\": \"2.1\", \"object_marking_refs\": [\"marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb\"],",
        );
        let document = read(&green).unwrap();
        assert_eq!(document.restriction, Restriction::Partner);
        assert!(document.warnings.is_empty());
        assert!(
            document
                .categories
                .iter()
                .any(|c| c.is(scheme::IODEF_RESTRICTION, "green"))
        );
    }

    #[test]
    fn malformed_identifiers_and_stix_2_0_are_refused_with_their_path() {
        let bad_id = C2.replace("indicator--33fe3b22", "malware--33fe3b22");
        let err = read(&bad_id).unwrap_err();
        assert!(
            matches!(&err, PublishError::Invalid { path: Some(p), .. } if p == "/objects/0/id"),
            "{err:?}"
        );
        let v20 = C2.replace("\"objects\"", "\"spec_version\": \"2.0\", \"objects\"");
        assert!(read(&v20).unwrap_err().to_string().contains("STIX 2.0"));
        let object =
            r#"{"type": "indicator", "id": "indicator--33fe3b22-0201-47cf-85d0-97c02164528d"}"#;
        assert!(
            read(object)
                .unwrap_err()
                .to_string()
                .contains("only STIX bundles")
        );
        assert!(matches!(read("{").unwrap_err(), PublishError::Malformed(_)));
    }
}
