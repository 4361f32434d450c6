//! MISP events (R-CSIRT-MISP-a): `{"Event": {…}}` as MISP exports and feeds write them,
//! with the manifest fields required (uuid, info, Orgc, timestamp, date) and exposed as
//! local properties, tags as categories and the strictest `tlp:` tag as the level.

use bytes::Bytes;
use rolie_model::vocabulary::{format, media_type, property, scheme};
use rolie_model::{
    Category, Restriction, RestrictionPolicy, RolieFormat, RolieProperty, timestamp,
};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use time::macros::format_description;

use super::{ContentFormat, Document, Fits, Offered, clean, level_or_default, push_new};
use crate::error::PublishError;

/// A MISP event.
pub struct Misp;

/// Longest title and summary text kept, in characters.
const TITLE_CHARS: usize = 160;

impl ContentFormat for Misp {
    fn name(&self) -> &'static str {
        "MISP event"
    }

    fn claims(&self, offered: &Offered<'_>) -> bool {
        offered.media.essence == media_type::JSON
            && offered.json_top().is_some_and(|top| top.event.is_some())
    }

    fn read(&self, body: Bytes, policy: &RestrictionPolicy) -> Result<Document, PublishError> {
        let text = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&body);
        let value: Value = serde_json::from_slice(text).map_err(|e| {
            PublishError::Malformed(format!("the MISP event is not valid JSON: {e}"))
        })?;
        let Some(event) = value.get("Event").and_then(Value::as_object) else {
            return Err(PublishError::invalid_at(
                "/Event",
                "a MISP event is {\"Event\": {…}} with an object inside",
            ));
        };
        let event = Event::read(event)?;
        Ok(event.document(body, policy))
    }
}

/// The manifest fields and what else an entry takes from an event.
struct Event<'a> {
    uuid: &'a str,
    info: &'a str,
    orgc: &'a str,
    orgc_uuid: Option<&'a str>,
    timestamp: (&'a str, OffsetDateTime),
    date: (&'a str, OffsetDateTime),
    published: Option<OffsetDateTime>,
    analysis: Option<&'a str>,
    threat_level: Option<&'a str>,
    tags: Vec<String>,
    /// Tags of attributes and objects: they can raise the level, like IODEF's nested
    /// restrictions.
    inner_tags: Vec<String>,
    attributes: usize,
    objects: usize,
}

impl<'a> Event<'a> {
    fn read(event: &'a Map<String, Value>) -> Result<Self, PublishError> {
        let uuid = required(event, "uuid")?;
        if uuid::Uuid::try_parse(uuid).is_err() {
            return Err(PublishError::invalid_at(
                "/Event/uuid",
                format!("\"{uuid}\" is not a UUID (MISP core format §2.1)"),
            ));
        }
        let info = required(event, "info")?;
        let Some(orgc) = event.get("Orgc").and_then(Value::as_object) else {
            return Err(missing("Orgc"));
        };
        let Some(orgc_name) = orgc
            .get("name")
            .and_then(Value::as_str)
            .filter(|n| !n.trim().is_empty())
        else {
            return Err(PublishError::invalid_at(
                "/Event/Orgc/name",
                "the creating organisation needs a name (manifest field Orgc, R-CSIRT-MISP-a)",
            ));
        };
        let stamp = unix_time(event, "timestamp")?.ok_or_else(|| missing("timestamp"))?;
        let date_text = required(event, "date")?;
        let date = time::Date::parse(date_text, format_description!("[year]-[month]-[day]"))
            .map_err(|_| {
                PublishError::invalid_at(
                    "/Event/date",
                    format!("\"{date_text}\" is not a date written YYYY-MM-DD (MISP core format)"),
                )
            })?
            .midnight()
            .assume_utc();
        let published = unix_time(event, "publish_timestamp")?.map(|(_, at)| at);
        let tag_names = |value: Option<&'a Value>| -> Vec<String> {
            value
                .and_then(Value::as_array)
                .map(|tags| {
                    tags.iter()
                        .filter_map(|t| t.get("name").and_then(Value::as_str))
                        .map(|n| n.trim().to_owned())
                        .filter(|n| !n.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        let mut tags = Vec::new();
        for tag in tag_names(event.get("Tag")) {
            push_new(&mut tags, &tag);
        }
        let attributes = event.get("Attribute").and_then(Value::as_array);
        let objects = event.get("Object").and_then(Value::as_array);
        let mut inner_tags = Vec::new();
        let object_attributes = objects
            .into_iter()
            .flatten()
            .filter_map(|o| o.get("Attribute").and_then(Value::as_array))
            .flatten();
        for item in attributes.into_iter().flatten().chain(object_attributes) {
            inner_tags.extend(tag_names(item.get("Tag")));
        }
        Ok(Event {
            uuid,
            info,
            orgc: orgc_name,
            orgc_uuid: orgc.get("uuid").and_then(Value::as_str),
            timestamp: stamp,
            date: (date_text, date),
            published,
            analysis: optional_text(event, "analysis"),
            threat_level: optional_text(event, "threat_level_id"),
            tags,
            inner_tags,
            attributes: attributes.map_or(0, Vec::len),
            objects: objects.map_or(0, Vec::len),
        })
    }

    /// The strictest `tlp:` tag on the event, its attributes and objects, with the colour.
    fn marking(&self) -> Option<(Restriction, String)> {
        self.tags
            .iter()
            .chain(&self.inner_tags)
            .filter_map(|tag| {
                let colour = tag
                    .to_ascii_lowercase()
                    .strip_prefix("tlp:")?
                    .trim()
                    .to_owned();
                Some((Restriction::from_label(&colour)?, colour))
            })
            .max_by_key(|(level, _)| *level)
    }

    fn document(&self, bytes: Bytes, policy: &RestrictionPolicy) -> Document {
        let mut warnings = Vec::new();
        let (restriction, colour) = level_or_default(
            self.marking(),
            policy,
            "the event carries no tlp: tag",
            &mut warnings,
        );
        let threat = self.threat_level.map(threat_level_name);
        let title = format!(
            "{} (MISP event from {})",
            clean(self.info, TITLE_CHARS),
            clean(self.orgc, TITLE_CHARS)
        );
        let mut facts = vec![format!("dated {}", self.date.0)];
        if let Some(threat) = threat {
            facts.push(format!("threat level {threat}"));
        }
        if let Some(analysis) = self.analysis {
            facts.push(format!("analysis {}", analysis_name(analysis)));
        }
        facts.push(format!("marked TLP:{}", colour.to_uppercase()));
        let summary = format!(
            "MISP event {} from {} ({}): {} {}, {} {}.",
            self.uuid,
            clean(self.orgc, TITLE_CHARS),
            facts.join(", "),
            self.attributes,
            if self.attributes == 1 {
                "attribute"
            } else {
                "attributes"
            },
            self.objects,
            if self.objects == 1 {
                "object"
            } else {
                "objects"
            },
        );
        let mut properties = vec![
            RolieProperty::new(property::CONTENT_ID, self.uuid),
            RolieProperty::new(
                property::CONTENT_PUBLISHED_DATE,
                timestamp::format(self.published.unwrap_or(self.date.1)),
            ),
            RolieProperty::new(
                property::CONTENT_UPDATED_DATE,
                timestamp::format(self.timestamp.1),
            ),
            RolieProperty::new(property::CONTENT_AUTHOR_NAME, clean(self.orgc, TITLE_CHARS)),
            RolieProperty::new(property::MISP_INFO, self.info),
            RolieProperty::new(property::MISP_ORGC, self.orgc),
        ];
        if let Some(uuid) = self.orgc_uuid {
            properties.push(RolieProperty::new(property::MISP_ORGC_UUID, uuid));
        }
        properties.push(RolieProperty::new(property::MISP_DATE, self.date.0));
        properties.push(RolieProperty::new(
            property::MISP_TIMESTAMP,
            self.timestamp.0,
        ));
        if let Some(analysis) = self.analysis {
            properties.push(RolieProperty::new(property::MISP_ANALYSIS, analysis));
        }
        if let Some(level) = self.threat_level {
            properties.push(RolieProperty::new(property::MISP_THREAT_LEVEL_ID, level));
        }
        let mut categories = vec![Category::new(scheme::IODEF_RESTRICTION, colour)];
        if let Some(threat) = threat {
            categories.push(Category::new(scheme::MISP_THREAT_LEVEL, threat));
        }
        categories.extend(
            self.tags
                .iter()
                .map(|t| Category::new(scheme::MISP_TAG, t.clone())),
        );
        Document {
            format_name: "MISP event",
            media_type: media_type::JSON,
            format: RolieFormat {
                ns: format::MISP_CORE.to_owned(),
                version: None,
                schema_location: None,
                schema_type: None,
            },
            title,
            summary,
            restriction,
            categories,
            properties,
            key: format!("misp\n{}", self.uuid.to_ascii_lowercase()),
            // R-CSIRT-MISP-a: a MISP event is an indicator record.
            fits: Fits {
                incident: false,
                indicator: true,
            },
            warnings,
            bytes,
        }
    }
}

fn missing(name: &str) -> PublishError {
    PublishError::invalid_at(
        format!("/Event/{name}"),
        format!("the manifest field {name} is required (MISP core format, R-CSIRT-MISP-a)"),
    )
}

/// A required non-empty string member.
fn required<'a>(event: &'a Map<String, Value>, name: &str) -> Result<&'a str, PublishError> {
    event
        .get(name)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| missing(name))
}

/// A string or number member, as written (MISP writes numbers as strings).
fn optional_text<'a>(event: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    match event.get(name)? {
        Value::String(s) => Some(s.trim()).filter(|s| !s.is_empty()),
        _ => None,
    }
}

/// A Unix time in seconds, written as a string (as MISP does) or a number.
fn unix_time<'a>(
    event: &'a Map<String, Value>,
    name: &str,
) -> Result<Option<(&'a str, OffsetDateTime)>, PublishError> {
    let Some(value) = event.get(name) else {
        return Ok(None);
    };
    let seconds = match value {
        Value::String(s) => s.trim().parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    };
    let at = seconds.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok());
    match (at, value) {
        (Some(at), Value::String(s)) => Ok(Some((s.trim(), at))),
        // A number has no text to keep: MISP itself always writes strings.
        (Some(at), _) => Ok(Some(("", at))),
        (None, _) => Err(PublishError::invalid_at(
            format!("/Event/{name}"),
            format!("{value} is not a Unix time in seconds (MISP core format)"),
        )),
    }
}

fn threat_level_name(id: &str) -> &'static str {
    match id {
        "1" => "high",
        "2" => "medium",
        "3" => "low",
        _ => "undefined",
    }
}

fn analysis_name(id: &str) -> &'static str {
    match id {
        "0" => "initial",
        "1" => "ongoing",
        "2" => "complete",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CIRCL: &str =
        include_str!("../../../../tests/corpus/misp/57c4445b-c548-4654-af0b-4be3950d210f.json");

    fn read(body: &str) -> Result<Document, PublishError> {
        Misp.read(Bytes::from(body.to_owned()), &RestrictionPolicy::default())
    }

    /// R-CSIRT-MISP-a: content-id is the uuid, the manifest fields are properties.
    #[test]
    fn a_circl_feed_event_exposes_its_manifest() {
        let document = read(CIRCL).unwrap();
        let value = |name: &str| {
            document
                .properties
                .iter()
                .find(|p| p.name == name)
                .map(|p| p.value.clone())
        };
        assert_eq!(
            value(property::CONTENT_ID).as_deref(),
            Some("57c4445b-c548-4654-af0b-4be3950d210f")
        );
        assert_eq!(
            value(property::MISP_INFO).as_deref(),
            Some("Ransomware - Xorist")
        );
        assert_eq!(value(property::MISP_ORGC).as_deref(), Some("CIRCL"));
        assert_eq!(value(property::MISP_DATE).as_deref(), Some("2016-08-29"));
        assert_eq!(
            value(property::MISP_TIMESTAMP).as_deref(),
            Some("1472541011")
        );
        assert_eq!(value(property::MISP_ANALYSIS).as_deref(), Some("2"));
        assert_eq!(value(property::MISP_THREAT_LEVEL_ID).as_deref(), Some("3"));
        assert_eq!(
            value(property::CONTENT_UPDATED_DATE).as_deref(),
            Some("2016-08-30T07:10:11Z")
        );
        assert_eq!(document.restriction, Restriction::Public, "tlp:white");
        assert!(
            document
                .categories
                .iter()
                .any(|c| c.is(scheme::MISP_THREAT_LEVEL, "low"))
        );
        assert!(document.title.starts_with("Ransomware - Xorist"));
        assert!(!document.fits.incident && document.fits.indicator);
    }

    #[test]
    fn a_missing_manifest_field_is_named() {
        let without_date = CIRCL.replace("\"date\": \"2016-08-29\", ", "");
        let err = read(&without_date).unwrap_err();
        assert!(
            matches!(&err, PublishError::Invalid { path: Some(p), .. } if p == "/Event/date"),
            "{err:?}"
        );
        let bad_uuid = CIRCL.replace(
            "\"uuid\": \"57c4445b-c548-4654-af0b-4be3950d210f\"",
            "\"uuid\": \"x\"",
        );
        assert!(
            read(&bad_uuid)
                .unwrap_err()
                .to_string()
                .contains("not a UUID")
        );
    }

    #[test]
    fn an_attribute_tag_can_raise_the_level() {
        let red = CIRCL.replacen(
            "\"to_ids\": false,",
            "\"to_ids\": false, \"Tag\": [{\"name\": \"tlp:red\"}],",
            1,
        );
        assert_eq!(read(&red).unwrap().restriction, Restriction::Private);
    }
}
