//! Documents we author (always present): specific extractions for each, and the derived
//! entry fields (title, summary, properties, categories, dates).

use rolie_iodef::{Format, IncidentId, Syntax};
use rolie_model::vocabulary::{format, information_type, media_type, ns, property, scheme};
use rolie_model::{Category, Restriction, RolieProperty};
use time::macros::datetime;

use crate::support::accepted;

fn property_values(properties: &[RolieProperty], name: &str) -> Vec<String> {
    properties
        .iter()
        .filter(|p| p.name == name)
        .map(|p| p.value.clone())
        .collect()
}

fn terms(categories: &[Category], scheme: &str) -> Vec<String> {
    categories
        .iter()
        .filter(|c| c.scheme.as_deref() == Some(scheme))
        .map(|c| c.term.clone())
        .collect()
}

/// RFC 5070 v1: `lang`, ReportTime-based dates (R-CSIRT-PROP-b), `rolie:format` for v1
/// (R-CSIRT-FMT-a).
#[test]
fn minimal_v1_document_is_read_with_v1_rules() {
    let document = accepted("minimal-v1.xml", Syntax::Xml);
    assert_eq!(document.format, Format::XmlV1);
    assert_eq!(document.version, "1.00");
    assert_eq!(document.lang.as_deref(), Some("en"));
    let incident = &document.incidents[0];
    assert_eq!(
        incident.id,
        IncidentId {
            name: "cert.example.org".into(),
            id: "CERT-2009-0042".into(),
            instance: None
        }
    );
    assert_eq!(incident.purpose, "mitigation");
    assert_eq!(incident.status, None);
    assert_eq!(incident.restriction, Restriction::NeedToKnow);
    assert_eq!(incident.generation_time, None);
    assert_eq!(
        incident.report_time,
        Some(datetime!(2009-04-01 08:30:00 UTC))
    );
    assert_eq!(document.published(), incident.report_time);
    assert_eq!(document.updated(), incident.report_time);
    assert_eq!(
        document.title(),
        "Open resolver used in a DNS amplification attack (CERT-2009-0042 from cert.example.org)"
    );
    assert_eq!(document.author_name().as_deref(), Some("Example Org CERT"));
    let rolie_format = document.format.rolie_format();
    assert_eq!(rolie_format.ns, ns::IODEF_1);
    assert_eq!(rolie_format.version.as_deref(), Some("1.0"));
    assert_eq!(rolie_format.schema_location, None);
    assert_eq!(document.format.media_type(), media_type::XML);
    assert_eq!(
        terms(&document.categories(), scheme::IODEF_RESTRICTION),
        ["need-to-know"]
    );
    assert!(document.warnings.is_empty(), "{:?}", document.warnings);
}

/// RFC 7970 minimum: Incident restriction defaults to private (IODEF-RES-1), the title
/// falls back to the purpose, the author to the IncidentID name.
#[test]
fn minimal_v2_document_falls_back_for_title_author_and_restriction() {
    let document = accepted("minimal-v2.xml", Syntax::Xml);
    assert_eq!(document.format, Format::XmlV2);
    let incident = &document.incidents[0];
    assert_eq!(incident.restriction_label, "private");
    assert_eq!(document.restriction, Restriction::Private);
    assert_eq!(
        incident.creator, None,
        "the only Contact is an irt, not a creator"
    );
    assert_eq!(
        document.title(),
        "reporting incident (CSIRT-2024-0117 from csirt.example.net)"
    );
    assert_eq!(
        document.summary(),
        "IODEF v2 document with 1 incident (purpose reporting, restriction private); 0 indicators, 0 events."
    );
    // R-CSIRT-PROP-b: no ReportTime, so both dates are the GenerationTime.
    let at = Some(datetime!(2024-03-05 09:28:31 UTC));
    assert_eq!(document.published(), at);
    assert_eq!(document.updated(), at);
    assert_eq!(
        document.properties(),
        vec![
            RolieProperty::new(property::CONTENT_ID, "CSIRT-2024-0117"),
            RolieProperty::new(property::IODEF_INCIDENT_ID_NAME, "csirt.example.net"),
            RolieProperty::new(property::CONTENT_PUBLISHED_DATE, "2024-03-05T09:28:31Z"),
            RolieProperty::new(property::CONTENT_UPDATED_DATE, "2024-03-05T09:28:31Z"),
            RolieProperty::new(property::CONTENT_AUTHOR_NAME, "csirt.example.net"),
        ]
    );
    let rolie_format = document.format.rolie_format();
    assert_eq!(rolie_format.ns, ns::IODEF_2);
    assert_eq!(rolie_format.version.as_deref(), Some("2.0"));
    assert_eq!(
        rolie_format.schema_location.as_deref(),
        Some(format::IODEF_2_SCHEMA)
    );
    assert_eq!(rolie_format.schema_type.as_deref(), Some(media_type::XML));
}

/// IODEF-RES-2, RFC 7970 §3.3.1: with green, amber and white incidents and a red Contact
/// inside the green one, the document is private and its restriction category is the red
/// Contact's label; a warning says where the level comes from.
#[test]
fn rich_document_takes_the_strictest_restriction_in_the_document() {
    let document = accepted("rich-v2.xml", Syntax::Xml);
    let labels: Vec<&str> = document
        .incidents
        .iter()
        .map(|i| i.restriction_label.as_str())
        .collect();
    assert_eq!(labels, ["green", "amber", "white"]);
    assert_eq!(document.restriction, Restriction::Private);
    assert_eq!(
        terms(&document.categories(), scheme::IODEF_RESTRICTION),
        ["red"]
    );
    assert!(
        document.warnings.iter().any(|w| w.starts_with(
            "/IODEF-Document/Incident[1]/Contact[1]/Contact[1]: restriction \"red\" is stricter than its Incident's \"green\""
        )),
        "{:?}",
        document.warnings
    );
}

/// Markup characters arrive unescaped and non-Latin scripts intact; whitespace collapses.
#[test]
fn rich_document_descriptions_keep_markup_characters_and_scripts() {
    let document = accepted("rich-v2.xml", Syntax::Xml);
    assert_eq!(
        document.incidents[0].descriptions,
        [
            "Credential phishing against webmail users & VPN portal: login pages mimic <intranet>",
            "ウェブメール利用者を狙ったフィッシング",
        ]
    );
    assert_eq!(
        document.incidents[1].descriptions,
        [
            "Сканирование SSH из сети партнёра",
            "فحص منافذ SSH من شبكة شريكة"
        ]
    );
    assert_eq!(
        document.title(),
        "Credential phishing against webmail users & VPN portal: login pages mimic <intranet> (CSIRT-2024-0301 from csirt.example.com) and 2 more"
    );
}

/// Counts, creators (nested contacts are not creators of their own), statuses, and the
/// information type of a document mixing events and indicators (R-CSIRT-TYPE-a).
#[test]
fn rich_document_counts_and_creators() {
    let document = accepted("rich-v2.xml", Syntax::Xml);
    let [first, second, third] = &document.incidents[..] else {
        panic!("three incidents expected");
    };
    assert_eq!((first.event_count, first.indicator_count), (2, 2));
    assert_eq!((second.event_count, second.indicator_count), (1, 0));
    assert_eq!((third.event_count, third.indicator_count), (0, 1));
    assert_eq!(first.creator.as_deref(), Some("Example CSIRT"));
    assert_eq!(second.creator, None);
    assert_eq!(third.id.instance.as_deref(), Some("1"));
    assert_eq!(first.status.as_deref(), Some("new"));
    assert_eq!(second.status.as_deref(), Some("in-progress"));
    assert_eq!(document.information_type, information_type::INCIDENT);
}

/// R-CSIRT-PROP-b over several incidents: published is the earliest of ReportTime (else
/// GenerationTime) per incident, updated the latest GenerationTime.
#[test]
fn rich_document_dates_span_all_incidents() {
    let document = accepted("rich-v2.xml", Syntax::Xml);
    assert_eq!(
        document.published(),
        Some(datetime!(2024-02-29 04:30:00 UTC))
    );
    assert_eq!(document.updated(), Some(datetime!(2024-03-03 00:00:00 UTC)));
}

/// R-CSIRT-IODEF-c (IncidentIDs, then IndicatorIDs), R-CSIRT-PROP-c, R-8322-7.4-c/-e/-f.
#[test]
fn rich_document_properties_list_every_incident() {
    let properties = accepted("rich-v2.xml", Syntax::Xml).properties();
    assert_eq!(
        property_values(&properties, property::CONTENT_ID),
        [
            "CSIRT-2024-0301",
            "CSIRT-2024-0302",
            "PW-77",
            "ind-0301-a",
            "ind-0301-b",
            "pw-77-1"
        ]
    );
    assert_eq!(
        property_values(&properties, property::IODEF_INCIDENT_ID_NAME),
        ["csirt.example.com", "partner.example.org"]
    );
    assert_eq!(
        property_values(&properties, property::CONTENT_PUBLISHED_DATE),
        ["2024-02-29T04:30:00Z"]
    );
    assert_eq!(
        property_values(&properties, property::CONTENT_UPDATED_DATE),
        ["2024-03-03T00:00:00Z"]
    );
    assert_eq!(
        property_values(&properties, property::CONTENT_AUTHOR_NAME),
        ["Example CSIRT"]
    );
}

/// R-CSIRT-CAT-a: distinct purposes and statuses in document order.
#[test]
fn rich_document_categories_cover_purposes_and_statuses() {
    let categories = accepted("rich-v2.xml", Syntax::Xml).categories();
    assert_eq!(
        terms(&categories, scheme::IODEF_PURPOSE),
        ["mitigation", "reporting", "watch"]
    );
    assert_eq!(
        terms(&categories, scheme::IODEF_STATUS),
        ["new", "in-progress"]
    );
}

#[test]
fn rich_document_summary_names_format_facts_and_counts() {
    let summary = accepted("rich-v2.xml", Syntax::Xml).summary();
    assert!(
        summary.starts_with(
            "IODEF v2 document with 3 incidents (purpose mitigation, reporting, watch, restriction red, status new, in-progress): Credential phishing"
        ),
        "{summary}"
    );
    assert!(summary.ends_with("; 3 indicators, 3 events."), "{summary}");
}

/// RFC 8727: JSON IODEF with ML_STRING objects and strings, nested contacts, indicators,
/// a padded id (IODEF-ID-2) and a control character in a name (IODEF-JSON-3).
#[test]
fn json_fixture_is_read_like_xml() {
    let document = accepted("incidents.json", Syntax::Json);
    assert_eq!(document.format, Format::Json);
    assert_eq!(document.format.media_type(), media_type::JSON);
    let rolie_format = document.format.rolie_format();
    assert_eq!(rolie_format.ns, ns::IODEF_2);
    assert_eq!(rolie_format.schema_location, None);
    assert_eq!(document.version, "2.0");
    let first = &document.incidents[0];
    assert_eq!(
        first.id,
        IncidentId {
            name: "jpcert.example.jp".into(),
            id: "JP-2024-7781".into(),
            instance: Some("2".into())
        }
    );
    assert_eq!(first.purpose, "mitigation");
    assert_eq!(first.status.as_deref(), Some("in-progress"));
    assert_eq!(first.restriction, Restriction::NeedToKnow);
    assert_eq!(
        first.descriptions,
        [
            "Phishing kit hosted on a compromised CMS & abused <form> handler",
            "フィッシングサイトの停止依頼"
        ]
    );
    assert_eq!(
        first.creator.as_deref(),
        Some("JPCERT Example\u{FFFD} Team")
    );
    assert_eq!((first.event_count, first.indicator_count), (1, 1));
    assert_eq!(document.incidents[1].indicator_count, 2);
    assert_eq!(document.restriction, Restriction::NeedToKnow);
    assert_eq!(
        document.published(),
        Some(datetime!(2024-05-01 23:00:00 UTC))
    );
    assert_eq!(document.updated(), Some(datetime!(2024-05-03 01:00:00 UTC)));
    assert_eq!(
        document.title(),
        "Phishing kit hosted on a compromised CMS & abused <form> handler (JP-2024-7781 from jpcert.example.jp) and 1 more"
    );
    assert!(
        document
            .summary()
            .starts_with("JSON IODEF document with 2 incidents")
    );
    assert_eq!(
        terms(&document.categories(), scheme::IODEF_PURPOSE),
        ["mitigation", "watch"]
    );
}

/// The stored bytes are the submitted bytes, untouched.
#[test]
fn bytes_are_kept_untouched() {
    let bytes = crate::support::fixture("rich-v2.xml");
    let document = rolie_iodef::parse(
        bytes.clone(),
        Syntax::Xml,
        &rolie_model::RestrictionPolicy::default(),
    )
    .unwrap();
    assert_eq!(document.bytes, bytes);
}

/// Atom requires a title: long descriptions are cut on a character boundary.
#[test]
fn long_descriptions_are_cut_in_titles() {
    let description = "Ж".repeat(400);
    let xml = format!(
        r#"<IODEF-Document version="2.00" xml:lang="ru" xmlns="urn:ietf:params:xml:ns:iodef-2.0">
  <Incident purpose="other"><IncidentID name="n.example">1</IncidentID>
    <GenerationTime>2024-01-01T00:00:00Z</GenerationTime><Description>{description}</Description>
    <Contact role="creator" type="person"><ContactName>A</ContactName></Contact></Incident></IODEF-Document>"#
    );
    let document = rolie_iodef::parse(
        bytes::Bytes::from(xml),
        Syntax::Xml,
        &rolie_model::RestrictionPolicy::default(),
    )
    .unwrap();
    let title = document.title();
    assert!(
        title.starts_with(&format!("{}…", "Ж".repeat(160))),
        "{title}"
    );
    assert!(title.ends_with("(1 from n.example)"));
}

/// R-CSIRT-CAT-b: each distinct Expectation@action and Assessment/*Impact@type of every
/// incident, in document order.
#[test]
fn rich_document_expectations_and_impacts_become_categories() {
    let categories = accepted("rich-v2.xml", Syntax::Xml).categories();
    let terms = |wanted: &str| -> Vec<String> {
        categories
            .iter()
            .filter(|c| c.scheme.as_deref() == Some(wanted))
            .map(|c| c.term.clone())
            .collect()
    };
    assert_eq!(
        terms(scheme::IODEF_EXPECTATION),
        ["block-host", "remediate-other"]
    );
    assert_eq!(terms(scheme::IODEF_IMPACT), ["breach-privacy"]);
}
