//! Nested restrictions (RFC 7970 §3.3.1): an element inside an Incident, or an
//! AdditionalData of the document, may be stricter than the Incident. The entry takes the
//! strictest level found anywhere in the document, and a warning says where it comes from.

use std::collections::BTreeMap;

use bytes::Bytes;
use rolie_iodef::{IodefDocument, Syntax};
use rolie_model::vocabulary::scheme;
use rolie_model::{Restriction, RestrictionPolicy};

use crate::support::accepted;

fn restriction_terms(document: &IodefDocument) -> Vec<String> {
    document
        .categories()
        .into_iter()
        .filter(|c| c.scheme.as_deref() == Some(scheme::IODEF_RESTRICTION))
        .map(|c| c.term)
        .collect()
}

/// The warnings that explain a raised level.
fn raised(document: &IodefDocument) -> Vec<&String> {
    document
        .warnings
        .iter()
        .filter(|w| w.contains("RFC 7970 §3.3.1"))
        .collect()
}

fn parse_with(text: &str, syntax: Syntax, policy: &RestrictionPolicy) -> IodefDocument {
    rolie_iodef::parse(Bytes::from(text.to_owned()), syntax, policy)
        .unwrap_or_else(|e| panic!("refused: {e}\n{text}"))
}

fn parse(text: &str, syntax: Syntax) -> IodefDocument {
    parse_with(text, syntax, &RestrictionPolicy::default())
}

/// A v2 document: one Incident with `attributes` and `extra` children after Contact, then
/// `after` (AdditionalData of the document).
fn v2(attributes: &str, extra: &str, after: &str) -> String {
    format!(
        r#"<IODEF-Document version="2.00" xml:lang="en" xmlns="urn:ietf:params:xml:ns:iodef-2.0">
<Incident purpose="reporting" {attributes}>
  <IncidentID name="csirt.example.com">1</IncidentID>
  <GenerationTime>2024-01-01T00:00:00Z</GenerationTime>
  <Contact role="creator" type="organization"><ContactName>C</ContactName></Contact>{extra}
</Incident>{after}</IODEF-Document>"#
    )
}

/// A JSON document: one Incident with `members` added, then `root` members.
fn json(members: &str, root: &str) -> String {
    format!(
        r#"{{"version": "2.0", "lang": "en", "Incident": [{{"purpose": "reporting",
  "IncidentID": {{"id": "1", "name": "csirt.example.com"}},
  "GenerationTime": "2024-01-01T00:00:00Z",
  "Contact": [{{"role": "creator", "type": "organization", "ContactName": ["C"]}}]{members}}}]{root}}}"#
    )
}

/// IODEF v2: a red RecordItem and an amber System inside a green Incident make the entry
/// red; the Incident keeps its own label, the restriction category says red, and one
/// warning names the RecordItem.
#[test]
fn a_red_element_inside_a_green_v2_incident_makes_the_entry_red() {
    let document = accepted("nested-restriction-v2.xml", Syntax::Xml);
    let incident = &document.incidents[0];
    assert_eq!(
        (incident.restriction_label.as_str(), incident.restriction),
        ("green", Restriction::Partner)
    );
    assert_eq!(document.restriction, Restriction::Private);
    assert_eq!(document.restriction_label, "red");
    assert_eq!(restriction_terms(&document), ["red"]);
    assert!(
        document.summary().contains("restriction red"),
        "{}",
        document.summary()
    );
    assert_eq!(
        raised(&document),
        [
            "/IODEF-Document/Incident[1]/EventData[2]/Record[1]/RecordData[1]/RecordItem[1]: restriction \"red\" is stricter than its Incident's \"green\"; the entry is published at the strictest level found in the document (private) (RFC 7970 §3.3.1)"
        ]
    );
}

/// IODEF v1: a need-to-know Contact and a private AdditionalData inside a public Incident
/// make the entry private.
#[test]
fn a_private_additional_data_inside_a_public_v1_incident_makes_the_entry_private() {
    let document = accepted("nested-restriction-v1.xml", Syntax::Xml);
    assert_eq!(document.incidents[0].restriction, Restriction::Public);
    assert_eq!(document.restriction, Restriction::Private);
    assert_eq!(restriction_terms(&document), ["private"]);
    let warnings = raised(&document);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0]
            .starts_with("/IODEF-Document/Incident[1]/AdditionalData[1]: restriction \"private\""),
        "{warnings:?}"
    );
}

/// JSON IODEF: a red AdditionalData and an amber EventData inside a green Incident make
/// the entry red, as in XML.
#[test]
fn a_red_member_inside_a_green_json_incident_makes_the_entry_red() {
    let document = accepted("nested-restriction.json", Syntax::Json);
    assert_eq!(document.incidents[0].restriction, Restriction::Partner);
    assert_eq!(document.restriction, Restriction::Private);
    assert_eq!(restriction_terms(&document), ["red"]);
    let warnings = raised(&document);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with(
            "/IODEF-Document/Incident[1]/AdditionalData[1]: restriction \"red\" is stricter than its Incident's \"green\""
        ),
        "{warnings:?}"
    );
}

/// AdditionalData and RecordItem count by their own `restriction`, at any depth, in both
/// syntaxes.
#[test]
fn additional_data_and_record_items_count_by_their_own_restriction() {
    let cases = [
        (
            "AdditionalData of the Incident",
            r#"<AdditionalData dtype="string" restriction="amber">x</AdditionalData>"#,
        ),
        (
            "AdditionalData of a Contact",
            r#"<Contact role="tech" type="person"><ContactName>T</ContactName><AdditionalData dtype="string" restriction="amber">x</AdditionalData></Contact>"#,
        ),
        (
            "RecordItem",
            r#"<EventData><Record><RecordData><RecordItem dtype="string" restriction="amber">x</RecordItem></RecordData></Record></EventData>"#,
        ),
    ];
    for (case, extra) in cases {
        let document = parse(&v2(r#"restriction="white""#, extra, ""), Syntax::Xml);
        assert_eq!(document.restriction, Restriction::NeedToKnow, "{case}");
        assert_eq!(
            raised(&document).len(),
            1,
            "{case}: {:?}",
            document.warnings
        );
    }
    let document = parse(
        &json(
            r#", "restriction": "white",
  "EventData": [{"Record": {"RecordData": [{"RecordItem": [{"dtype": "string", "restriction": "amber", "value": "x"}]}]}}]"#,
            "",
        ),
        Syntax::Json,
    );
    assert_eq!(document.restriction, Restriction::NeedToKnow);
    assert_eq!(raised(&document).len(), 1, "{:?}", document.warnings);
}

/// The document's own AdditionalData sits beside the Incidents: one stricter than every
/// Incident raises the entry too, in both syntaxes.
#[test]
fn additional_data_of_the_document_counts_too() {
    let document = parse(
        &v2(
            r#"restriction="green""#,
            "",
            r#"<AdditionalData dtype="string" restriction="red">x</AdditionalData>"#,
        ),
        Syntax::Xml,
    );
    assert_eq!(document.restriction, Restriction::Private);
    assert_eq!(
        raised(&document),
        [
            "/IODEF-Document/AdditionalData[1]: restriction \"red\" is stricter than every Incident of the document; the entry is published at the strictest level found in the document (private) (RFC 7970 §3.3.1)"
        ]
    );
    let document = parse(
        &json(
            r#", "restriction": "green""#,
            r#", "AdditionalData": [{"dtype": "string", "restriction": "red", "value": "x"}]"#,
        ),
        Syntax::Json,
    );
    assert_eq!(document.restriction, Restriction::Private);
    assert_eq!(raised(&document).len(), 1, "{:?}", document.warnings);
}

/// Children may relax their Incident too (RFC 7970 §3.3.1): that never lowers the entry,
/// and nothing is reported when no element is stricter.
#[test]
fn less_strict_elements_change_nothing() {
    let document = parse(
        &v2(
            r#"restriction="amber""#,
            r#"<AdditionalData dtype="string" restriction="white">x</AdditionalData>"#,
            "",
        ),
        Syntax::Xml,
    );
    assert_eq!(document.restriction, Restriction::NeedToKnow);
    assert_eq!(document.restriction_label, "amber");
    assert!(raised(&document).is_empty(), "{:?}", document.warnings);
}

/// Each Incident reports its strictest element once; the entry takes the strictest of all.
#[test]
fn each_incident_reports_its_strictest_element_once() {
    let extra = r#"<EventData restriction="amber"><Flow><System category="source" restriction="red"><Node/></System></Flow></EventData><AdditionalData dtype="string" restriction="red">x</AdditionalData>"#;
    let incident = |attributes: &str| {
        let text = v2(attributes, extra, "");
        let start = text.find("<Incident").expect("incident");
        let end = text.find("</Incident>").expect("end") + "</Incident>".len();
        text[start..end].to_owned()
    };
    let text = v2(r#"restriction="green""#, extra, "").replace(
        "</Incident>",
        &format!("</Incident>{}", incident(r#"restriction="white""#)),
    );
    let document = parse(&text, Syntax::Xml);
    assert_eq!(document.restriction, Restriction::Private);
    let warnings = raised(&document);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with(
            "/IODEF-Document/Incident[1]/EventData[1]/Flow[1]/System[1]: restriction \"red\" is stricter than its Incident's \"green\""
        ),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with("/IODEF-Document/Incident[2]/EventData[1]/Flow[1]/System[1]"),
        "{warnings:?}"
    );
}

/// `default` and `ext-value` on a nested element resolve under the same policy as on the
/// Incident (IODEF-RES-1): the configured default level, the configured `ext-restriction`
/// levels, private for unknown names; in XML and in JSON.
#[test]
fn default_and_ext_values_inside_follow_the_incidents_policy() {
    let policy = RestrictionPolicy {
        default_level: Restriction::Partner,
        extensions: BTreeMap::from([
            ("internal".to_owned(), Restriction::NeedToKnow),
            ("tlp-clear".to_owned(), Restriction::Public),
        ]),
    };
    let values = [
        (r#"restriction="default""#, r#""restriction": "default""#),
        (
            r#"restriction="ext-value" ext-restriction="internal""#,
            r#""restriction": "ext-value", "ext-restriction": "internal""#,
        ),
        (
            r#"restriction="ext-value" ext-restriction="tlp-clear""#,
            r#""restriction": "ext-value", "ext-restriction": "tlp-clear""#,
        ),
        (
            r#"restriction="ext-value" ext-restriction="unheard-of""#,
            r#""restriction": "ext-value", "ext-restriction": "unheard-of""#,
        ),
    ];
    for policy in [RestrictionPolicy::default(), policy] {
        for (xml_value, json_value) in values {
            // The level the value has on the Incident itself.
            let on_incident = parse_with(&v2(xml_value, "", ""), Syntax::Xml, &policy);
            let expected = on_incident.restriction;
            let label = on_incident.incidents[0].restriction_label.clone();
            // The same value inside a white Incident, in XML and in JSON.
            let xml = parse_with(
                &v2(
                    r#"restriction="white""#,
                    &format!(r#"<AdditionalData dtype="string" {xml_value}>x</AdditionalData>"#),
                    "",
                ),
                Syntax::Xml,
                &policy,
            );
            let json = parse_with(
                &json(
                    &format!(
                        r#", "restriction": "white", "AdditionalData": [{{"dtype": "string", {json_value}, "value": "x"}}]"#
                    ),
                    "",
                ),
                Syntax::Json,
                &policy,
            );
            for (syntax, document) in [("XML", &xml), ("JSON", &json)] {
                assert_eq!(
                    document.restriction, expected,
                    "{syntax} {xml_value} under {policy:?}"
                );
                let is_raised = expected > Restriction::Public;
                assert_eq!(
                    raised(document).len(),
                    usize::from(is_raised),
                    "{syntax} {xml_value}: {:?}",
                    document.warnings
                );
                if is_raised {
                    assert_eq!(document.restriction_label, label, "{syntax} {xml_value}");
                }
            }
        }
    }
}
