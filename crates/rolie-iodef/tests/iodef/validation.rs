//! Well-formed documents that break an IODEF rule are Invalid (422) with the element path
//! and the rule; tolerated defects are warnings.

use bytes::Bytes;
use rolie_iodef::{IodefDocument, IodefError, Syntax};
use rolie_model::RestrictionPolicy;

const V2: &str = "urn:ietf:params:xml:ns:iodef-2.0";

/// A v2 document around `incidents` (each a full `<Incident>` element).
fn v2(incidents: &str) -> String {
    format!(
        r#"<IODEF-Document version="2.00" xml:lang="en" xmlns="{V2}">{incidents}</IODEF-Document>"#
    )
}

/// A valid v2 Incident with `attributes` on it and `extra` children after Contact.
fn incident(attributes: &str, extra: &str) -> String {
    format!(
        r#"<Incident purpose="reporting" {attributes}>
  <IncidentID name="csirt.example.com">1</IncidentID>
  <GenerationTime>2024-01-01T00:00:00Z</GenerationTime>
  <Contact role="creator" type="organization"><ContactName>C</ContactName></Contact>{extra}
</Incident>"#
    )
}

fn parse(text: &str, syntax: Syntax) -> Result<IodefDocument, IodefError> {
    rolie_iodef::parse(
        Bytes::from(text.to_owned()),
        syntax,
        &RestrictionPolicy::default(),
    )
}

/// `(path, rule, message)` of an Invalid result.
fn invalid(text: &str, syntax: Syntax) -> (String, String, String) {
    match parse(text, syntax) {
        Err(IodefError::Invalid {
            path,
            rule,
            message,
        }) => (path, rule, message),
        other => panic!("expected Invalid, got {other:?}"),
    }
}

fn accepted(text: &str, syntax: Syntax) -> IodefDocument {
    parse(text, syntax).unwrap_or_else(|e| panic!("refused: {e}\n{text}"))
}

#[test]
fn a_valid_template_is_accepted() {
    accepted(&v2(&incident("", "")), Syntax::Xml);
}

/// RFC 7970 §3.4: the message names the element path with 1-based indexes.
#[test]
fn incident_id_without_name_names_the_second_incident() {
    let text = v2(&format!(
        "{}{}",
        incident("", ""),
        incident("", "").replace(r#" name="csirt.example.com""#, "")
    ));
    let error = parse(&text, Syntax::Xml).unwrap_err();
    assert_eq!(
        error.to_string(),
        "/IODEF-Document/Incident[2]/IncidentID: missing required attribute \"name\" (IODEF v2 §3.4)"
    );
}

/// IODEF-ID-2: an IncidentID that is only whitespace identifies nothing.
#[test]
fn blank_incident_id_is_invalid() {
    let text = v2(&incident("", "").replace(">1<", ">\n  <"));
    let (path, _, message) = invalid(&text, Syntax::Xml);
    assert_eq!(path, "/IODEF-Document/Incident[1]/IncidentID");
    assert!(message.contains("empty"), "{message}");
}

/// IODEF-NS-1: no namespace, or another one, is not IODEF.
#[test]
fn root_outside_the_iodef_namespaces_is_invalid_and_names_the_namespace() {
    let (_, rule, message) = invalid(
        r#"<IODEF-Document version="2.00"><Incident purpose="reporting"/></IODEF-Document>"#,
        Syntax::Xml,
    );
    assert_eq!(rule, "IODEF-NS-1");
    assert!(message.contains("no namespace"), "{message}");
    let (path, _, message) = invalid(
        r#"<feed xmlns="http://www.w3.org/2005/Atom"/>"#,
        Syntax::Xml,
    );
    assert_eq!(path, "/feed");
    assert!(message.contains("http://www.w3.org/2005/Atom"), "{message}");
}

/// IODEF-NS-1: `version` must agree with the namespace; missing is invalid too.
#[test]
fn version_must_match_the_namespace() {
    let text = v2(&incident("", "")).replace(r#"version="2.00""#, r#"version="1.00""#);
    let (path, rule, message) = invalid(&text, Syntax::Xml);
    assert_eq!(
        (path.as_str(), rule.as_str()),
        ("/IODEF-Document", "IODEF-NS-1")
    );
    assert!(message.contains("\"2.00\""), "{message}");
    let text = v2(&incident("", "")).replace(r#"version="2.00""#, "");
    let (_, rule, message) = invalid(&text, Syntax::Xml);
    assert_eq!(rule, "IODEF v2 §3.1");
    assert!(message.contains("version"), "{message}");
}

/// IODEF-NS-2: a v1 root with v2 children is not mixed and matched.
#[test]
fn v1_root_with_v2_children_is_invalid() {
    let text = format!(
        r#"<i1:IODEF-Document version="1.00" lang="en" xmlns:i1="urn:ietf:params:xml:ns:iodef-1.0">{}</i1:IODEF-Document>"#,
        incident("", "").replace("<Incident ", &format!(r#"<Incident xmlns="{V2}" "#))
    );
    let (path, _, message) = invalid(&text, Syntax::Xml);
    assert_eq!(path, "/IODEF-Document/Incident");
    assert!(message.contains(V2), "{message}");
}

/// RFC 7970 §3.1: at least one Incident.
#[test]
fn document_without_incidents_is_invalid() {
    let (path, _, message) = invalid(&v2(""), Syntax::Xml);
    assert_eq!(path, "/IODEF-Document");
    assert!(message.contains("at least one Incident"), "{message}");
}

/// RFC 7970 §3.2: purpose is required and enumerated; v2 adds `watch`, v1 lacks it.
#[test]
fn purpose_is_required_and_enumerated() {
    let (_, _, message) = invalid(
        &v2(&incident("", "").replace(r#"purpose="reporting""#, "")),
        Syntax::Xml,
    );
    assert!(message.contains("\"purpose\""), "{message}");
    let (path, rule, message) = invalid(
        &v2(&incident("", "").replace("reporting", "attack")),
        Syntax::Xml,
    );
    assert_eq!(path, "/IODEF-Document/Incident[1]");
    assert_eq!(rule, "IODEF v2 §3.2");
    assert!(
        message.contains("\"attack\" is not a valid purpose"),
        "{message}"
    );
}

/// IODEF-EXT-1: `ext-value` needs its `ext-purpose`; `ext-*` beside a plain value warns.
#[test]
fn ext_purpose_rules() {
    let (_, rule, _) = invalid(
        &v2(&incident("", "").replace("reporting", "ext-value")),
        Syntax::Xml,
    );
    assert_eq!(rule, "IODEF-EXT-1");
    let document = accepted(
        &v2(&incident(r#"ext-purpose="phish-takedown""#, "").replace("reporting", "ext-value")),
        Syntax::Xml,
    );
    assert_eq!(document.incidents[0].purpose, "phish-takedown");
    let document = accepted(&v2(&incident(r#"ext-purpose="x""#, "")), Syntax::Xml);
    assert_eq!(document.incidents[0].purpose, "reporting");
    assert!(document.warnings.iter().any(|w| w.contains("IODEF-EXT-1")));
}

/// RFC 7970 §3.2: status is enumerated.
#[test]
fn status_is_enumerated() {
    let (_, _, message) = invalid(&v2(&incident(r#"status="closed""#, "")), Syntax::Xml);
    assert!(message.contains("status"), "{message}");
    let document = accepted(&v2(&incident(r#"status="resolved""#, "")), Syntax::Xml);
    assert_eq!(document.incidents[0].status.as_deref(), Some("resolved"));
}

/// RFC 7970 §3.3.1: restriction values are checked on Incident and inside it.
#[test]
fn restriction_values_are_checked_everywhere_in_the_incident() {
    let (path, rule, message) = invalid(&v2(&incident(r#"restriction="secret""#, "")), Syntax::Xml);
    assert_eq!(path, "/IODEF-Document/Incident[1]");
    assert_eq!(rule, "IODEF v2 §3.3.1");
    assert!(message.contains("\"secret\""), "{message}");
    let nested = incident(
        "",
        r#"<EventData><Flow><System category="source" restriction="tlp:amber"><Node/></System></Flow></EventData>"#,
    );
    let (path, _, _) = invalid(&v2(&nested), Syntax::Xml);
    assert_eq!(
        path,
        "/IODEF-Document/Incident[1]/EventData[1]/Flow[1]/System[1]"
    );
}

/// IODEF-EXT-3: content inside AdditionalData is opaque, even with IODEF names.
#[test]
fn additional_data_content_is_not_checked() {
    let extra = r#"<AdditionalData dtype="xml"><Contact restriction="anything"/></AdditionalData>"#;
    accepted(&v2(&incident("", extra)), Syntax::Xml);
}

/// RFC 5070 has no TLP colours.
#[test]
fn v1_refuses_tlp_restrictions() {
    let text = r#"<IODEF-Document version="1.00" lang="en" xmlns="urn:ietf:params:xml:ns:iodef-1.0">
  <Incident purpose="reporting" restriction="amber">
    <IncidentID name="c.example">1</IncidentID>
    <ReportTime>2009-01-01T00:00:00Z</ReportTime>
    <Assessment><Impact type="dos"/></Assessment>
    <Contact role="creator" type="organization"/>
  </Incident></IODEF-Document>"#;
    let (_, rule, _) = invalid(text, Syntax::Xml);
    assert_eq!(rule, "IODEF v1 §3.2");
    // The v1 XSD accepts an empty Contact: a warning, not a refusal.
    let document = accepted(&text.replace("amber", "private"), Syntax::Xml);
    assert!(
        document
            .warnings
            .iter()
            .any(|w| w.contains("no child element"))
    );
}

/// RFC 5070 §3.2: ReportTime and Assessment are required in v1.
#[test]
fn v1_requires_report_time_and_assessment() {
    let text = r#"<IODEF-Document version="1.00" lang="en" xmlns="urn:ietf:params:xml:ns:iodef-1.0">
  <Incident purpose="reporting">
    <IncidentID name="c.example">1</IncidentID>
    <Assessment><Impact type="dos"/></Assessment>
    <Contact role="creator" type="organization"><ContactName>C</ContactName></Contact>
  </Incident></IODEF-Document>"#;
    let (_, _, message) = invalid(text, Syntax::Xml);
    assert!(
        message.contains("missing required element ReportTime"),
        "{message}"
    );
}

/// RFC 7970 §3.2: GenerationTime exactly once, Contact at least once, order as the XSD.
#[test]
fn incident_children_follow_cardinality_and_order() {
    let (_, _, message) = invalid(
        &v2(&incident("", "").replace("<GenerationTime>2024-01-01T00:00:00Z</GenerationTime>", "")),
        Syntax::Xml,
    );
    assert!(
        message.contains("missing required element GenerationTime"),
        "{message}"
    );
    let (path, _, message) = invalid(
        &v2(&incident(
            "",
            "<GenerationTime>2024-01-01T00:00:00Z</GenerationTime>",
        )),
        Syntax::Xml,
    );
    assert_eq!(path, "/IODEF-Document/Incident[1]/GenerationTime");
    assert!(message.contains("only once"), "{message}");
    let (path, _, message) = invalid(
        &v2(&incident(
            "",
            "<ReportTime>2024-01-01T00:00:00Z</ReportTime>",
        )),
        Syntax::Xml,
    );
    assert_eq!(path, "/IODEF-Document/Incident[1]/ReportTime");
    assert!(message.contains("out of order"), "{message}");
    let (_, _, message) = invalid(
        &v2(&incident("", "").replace(
            r#"<Contact role="creator" type="organization"><ContactName>C</ContactName></Contact>"#,
            "",
        )),
        Syntax::Xml,
    );
    assert!(
        message.contains("missing required element Contact"),
        "{message}"
    );
}

/// spec-iodef §7 layer 4: an unknown IODEF element directly under Incident is refused.
#[test]
fn unknown_element_under_incident_is_invalid() {
    let (path, _, message) = invalid(&v2(&incident("", "<Severity>high</Severity>")), Syntax::Xml);
    assert_eq!(path, "/IODEF-Document/Incident[1]/Severity");
    assert!(message.contains("unexpected element Severity"), "{message}");
}

/// IODEF-IND-1: an Incident inside an Indicator's Observable is not a document incident.
#[test]
fn incidents_inside_observables_are_not_counted() {
    let inner = incident("", "").replace("csirt.example.com", "inner.example");
    let extra = format!(
        r#"<IndicatorData><Indicator><IndicatorID name="x" version="1">i1</IndicatorID><Observable>{inner}</Observable></Indicator></IndicatorData>"#
    );
    let document = accepted(&v2(&incident("", &extra)), Syntax::Xml);
    assert_eq!(document.incidents.len(), 1);
    assert_eq!(document.incidents[0].indicator_count, 1);
}

/// RFC 7970 §3.9: role and type are required and enumerated, in nested Contacts too;
/// both spellings of the vendor role are accepted (spec-iodef §3.9).
#[test]
fn contact_role_and_type_are_checked_recursively() {
    let nested = |inner: &str| {
        v2(&incident("", "").replace(
            "<ContactName>C</ContactName>",
            &format!("<ContactName>C</ContactName>{inner}"),
        ))
    };
    let (path, rule, message) = invalid(&nested(r#"<Contact role="tech"/>"#), Syntax::Xml);
    assert_eq!(path, "/IODEF-Document/Incident[1]/Contact[1]/Contact[1]");
    assert_eq!(rule, "IODEF v2 §3.9");
    assert!(message.contains("\"type\""), "{message}");
    let (_, _, message) = invalid(
        &nested(r#"<Contact role="hacker" type="person"><ContactName>x</ContactName></Contact>"#),
        Syntax::Xml,
    );
    assert!(
        message.contains("\"hacker\" is not a valid role"),
        "{message}"
    );
    for role in ["vendor-services", "vendor-support"] {
        accepted(
            &nested(&format!(
                r#"<Contact role="{role}" type="organization"><ContactName>x</ContactName></Contact>"#
            )),
            Syntax::Xml,
        );
    }
}

/// IODEF-DT-3, IODEF-DT-1: bad values are refused naming element and value; a missing
/// zone is a warning.
#[test]
fn datetime_values_are_checked() {
    let text = v2(&incident("", "")).replace("2024-01-01T00:00:00Z", "2024-01-01T24:00:00Z");
    let (path, rule, message) = invalid(&text, Syntax::Xml);
    assert_eq!(path, "/IODEF-Document/Incident[1]/GenerationTime");
    assert_eq!(rule, "IODEF-DT-3");
    assert!(message.contains("2024-01-01T24:00:00Z"), "{message}");
    let text = v2(&incident("", "")).replace("2024-01-01T00:00:00Z", "2024-01-01 00:00:00");
    let document = accepted(&text, Syntax::Xml);
    assert!(document.warnings.iter().any(|w| w.contains("IODEF-DT-1")));
    assert!(document.warnings.iter().any(|w| w.contains("IODEF-DT-4")));
    let history =
        r#"<History><HistoryItem action="other"><DateTime>soon</DateTime></HistoryItem></History>"#;
    let (path, _, _) = invalid(&v2(&incident("", history)), Syntax::Xml);
    assert_eq!(
        path,
        "/IODEF-Document/Incident[1]/History/HistoryItem[1]/DateTime"
    );
}

/// JSON: the same rules, reported with XML-like paths (spec-iodef §4).
#[test]
fn json_rules_report_xml_like_paths() {
    let base = r#"{"version": "2.00", "lang": "en", "Incident": [{
        "purpose": "reporting",
        "IncidentID": {"id": "1", "name": "csirt.example.com"},
        "GenerationTime": "2024-01-01T00:00:00Z",
        "Contact": [{"role": "creator", "type": "organization", "ContactName": ["C"]}]}]}"#;
    accepted(base, Syntax::Json);
    let (path, _, message) = invalid(
        &base.replace(r#""name": "csirt.example.com""#, r#""x": "y""#),
        Syntax::Json,
    );
    assert_eq!(path, "/IODEF-Document/Incident[1]/IncidentID");
    assert!(message.contains("\"name\""), "{message}");
    let (path, _, message) = invalid(
        &base.replace(r#""GenerationTime": "2024-01-01T00:00:00Z","#, ""),
        Syntax::Json,
    );
    assert_eq!(path, "/IODEF-Document/Incident[1]");
    assert!(message.contains("GenerationTime"), "{message}");
    let (path, _, _) = invalid(
        &base.replace(r#""type": "organization""#, r#""type": "robot""#),
        Syntax::Json,
    );
    assert_eq!(path, "/IODEF-Document/Incident[1]/Contact[1]");
    let (_, rule, _) = invalid(&base.replace("2.00", "2.1"), Syntax::Json);
    assert_eq!(rule, "IODEF-JSON-1");
    let (_, _, message) = invalid(
        &base.replace(r#""purpose": "reporting","#, r#""purpose": 7,"#),
        Syntax::Json,
    );
    assert!(message.contains("must be a string"), "{message}");
    let (path, _, _) = invalid(
        &base.replace(
            r#""ContactName": ["C"]"#,
            r#""Contact": [{"role": "tech", "type": "person", "restriction": "secret"}]"#,
        ),
        Syntax::Json,
    );
    assert_eq!(path, "/IODEF-Document/Incident[1]/Contact[1]/Contact[1]");
    let (_, _, message) = invalid(r#"[1, 2]"#, Syntax::Json);
    assert!(message.contains("object"), "{message}");
    let (_, _, message) = invalid(r#"{"version": "2.0", "Incident": []}"#, Syntax::Json);
    assert!(message.contains("at least one Incident"), "{message}");
}

/// spec-iodef §4: additional members beyond the JSON schema are not refused.
#[test]
fn json_unknown_members_are_accepted() {
    let text = r#"{"version": "2.0", "lang": "en", "x-vendor": {"a": 1}, "Incident": [{
        "purpose": "watch", "restriction": "white", "x-note": true,
        "IncidentID": {"id": "7", "name": "n.example"},
        "GenerationTime": "2024-01-01T00:00:00Z",
        "Contact": [{"role": "creator", "type": "person", "ContactName": [{"value": "Ann", "lang": "en"}]}]}]}"#;
    let document = accepted(text, Syntax::Json);
    assert_eq!(document.incidents[0].creator.as_deref(), Some("Ann"));
    assert_eq!(document.restriction, rolie_model::Restriction::Public);
}
