//! The corpus of real IODEF documents in `tests/corpus/iodef` gives the outcome its README
//! states: every v1, v2 and JSON document is accepted except two negative samples.
//! Extractions asserted here were read off the files by hand.

use rolie_iodef::{Format, IncidentId, IodefError};
use rolie_model::vocabulary::{information_type, ns, property, scheme};
use rolie_model::{Restriction, RestrictionPolicy};
use time::macros::datetime;

use crate::support::{corpus_accepted, corpus_root, parse_corpus, parse_corpus_with};

/// Corpus README "Expected outcome": every file in v1/, v2/ and json/ is accepted except
/// `v1/xml-iodef-pod-doctype.xml` and `json/cddl-validator-failed-campaign.json`.
#[test]
fn every_corpus_document_gets_the_outcome_the_readme_states() {
    let mut checked = 0;
    for folder in ["v1", "v2", "json"] {
        let mut names: Vec<String> = std::fs::read_dir(corpus_root().join(folder))
            .expect("corpus folders are readable")
            .map(|e| {
                e.expect("directory entries are readable")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        names.sort();
        for name in names {
            let relative = format!("{folder}/{name}");
            let result = parse_corpus(&relative);
            match relative.as_str() {
                "v1/xml-iodef-pod-doctype.xml" | "json/cddl-validator-failed-campaign.json" => {
                    assert!(result.is_err(), "{relative} was accepted");
                }
                _ => {
                    let document = result.unwrap_or_else(|e| panic!("{relative} was refused: {e}"));
                    assert!(!document.incidents.is_empty());
                    assert!(!document.title().is_empty(), "{relative}");
                    assert!(!document.summary().is_empty(), "{relative}");
                }
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 8 + 11 + 9, "the corpus README lists 28 documents");
}

/// IODEF-SEC-1: the DTD-era sample is refused before any IODEF rule, as Malformed (400).
#[test]
fn doctype_sample_is_malformed_and_says_doctype() {
    let error = parse_corpus("v1/xml-iodef-pod-doctype.xml").unwrap_err();
    assert!(error.is_malformed(), "{error}");
    assert!(error.to_string().contains("DOCTYPE"), "{error}");
}

/// IODEF-DT-3: a CBOR tag prefix around GenerationTime is not a DATETIME (422).
#[test]
fn cbor_tagged_generation_time_is_invalid_and_named() {
    let error = parse_corpus("json/cddl-validator-failed-campaign.json").unwrap_err();
    let IodefError::Invalid {
        path,
        rule,
        message,
    } = &error
    else {
        panic!("expected Invalid, got {error}");
    };
    assert_eq!(path, "/IODEF-Document/Incident[1]/GenerationTime");
    assert_eq!(rule, "IODEF-DT-3");
    assert!(
        message.contains("0(2015-10-02T11:18:00-05:00)"),
        "{message}"
    );
}

/// RFC 7970 §7.1 minimal document: the mandatory parts only.
#[test]
fn rfc7970_minimal_document_yields_its_identity_and_dates() {
    let document = corpus_accepted("v2/rfc7970-7.1-minimal.xml");
    assert_eq!(document.format, Format::XmlV2);
    assert_eq!(document.version, "2.00");
    assert_eq!(document.lang.as_deref(), Some("en"));
    let incident = &document.incidents[0];
    assert_eq!(
        incident.id,
        IncidentId {
            name: "csirt.example.com".into(),
            id: "492382".into(),
            instance: None
        }
    );
    assert_eq!(incident.purpose, "reporting");
    assert_eq!(incident.restriction_label, "private");
    assert_eq!(document.restriction, Restriction::Private);
    assert_eq!(
        incident.generation_time,
        Some(datetime!(2015-07-18 14:00:00 UTC))
    );
    assert_eq!(incident.report_time, None);
    assert_eq!(incident.creator, None);
    assert_eq!(document.information_type, information_type::INCIDENT);
    assert_eq!(
        document.title(),
        "reporting incident (492382 from csirt.example.com)"
    );
    // R-CSIRT-PROP-b: no ReportTime, so GenerationTime is also the published date.
    assert_eq!(document.published(), incident.generation_time);
    assert_eq!(document.author_name().as_deref(), Some("csirt.example.com"));
    assert!(document.warnings.is_empty(), "{:?}", document.warnings);
}

/// RFC 7970 §7.2 campaign: TLP green resolves to partner; indicators only → indicator feed.
#[test]
fn campaign_document_is_partner_level_indicator_content() {
    let document = corpus_accepted("v2/rfc7970-7.2-campaign-indicators.xml");
    let incident = &document.incidents[0];
    assert_eq!(incident.purpose, "watch");
    assert_eq!(incident.restriction_label, "green");
    assert_eq!(document.restriction, Restriction::Partner);
    assert_eq!(incident.indicator_count, 1);
    assert_eq!(incident.event_count, 0);
    assert_eq!(document.information_type, information_type::INDICATOR);
    assert_eq!(incident.creator.as_deref(), Some("CSIRT for example.com"));
    assert!(
        document
            .categories()
            .iter()
            .any(|c| c.is(scheme::IODEF_RESTRICTION, "green"))
    );
    assert!(
        document
            .title()
            .starts_with("Summarizes the Indicators of Compromise for the Orange Giraffe campaign")
    );
}

/// IODEF-NS-2: prefixes do not matter, so the prefixed rewrite reads like the original
/// (whitespace in the description is collapsed).
#[test]
fn prefixed_campaign_reads_the_same_as_the_default_namespace_one() {
    let plain = corpus_accepted("v2/rfc7970-7.2-campaign-indicators.xml");
    let prefixed = corpus_accepted("v2/rfc7970-7.2-campaign-indicators-prefixed.xml");
    assert_eq!(plain.incidents, prefixed.incidents);
}

/// IODEF-ID-2: the five guidance examples pad their IncidentIDs; identity is trimmed.
#[test]
fn guidance_incident_ids_are_trimmed() {
    for (file, id) in [
        ("v2/guidance-ddos.xml", "189701"),
        ("v2/guidance-spear-phishing.xml", "189601"),
        ("v2/guidance-malware.xml", "189234"),
        ("v2/guidance-malware-delivery-url.xml", "189801"),
        ("v2/guidance-iot-malware.xml", "189802"),
    ] {
        let document = corpus_accepted(file);
        assert_eq!(document.incidents[0].id.id, id, "{file}");
        assert_eq!(document.incidents[0].id.name, "csirt.example.com", "{file}");
        // IODEF-PROC-3: none of them states a language.
        assert_eq!(document.lang, None, "{file}");
        assert!(
            document.warnings.iter().any(|w| w.contains("xml:lang")),
            "{file}: {:?}",
            document.warnings
        );
    }
}

/// IODEF-RES-1: `restriction="default"` follows the server's policy.
#[test]
fn default_restriction_follows_the_configured_policy() {
    let strict = corpus_accepted("v2/guidance-ddos.xml");
    assert_eq!(strict.incidents[0].restriction_label, "default");
    assert_eq!(strict.restriction, Restriction::Private);
    let policy = RestrictionPolicy {
        default_level: Restriction::Partner,
        ..RestrictionPolicy::default()
    };
    let relaxed = parse_corpus_with("v2/guidance-ddos.xml", &policy).unwrap();
    assert_eq!(relaxed.restriction, Restriction::Partner);
}

/// R-CSIRT-PROP-b with ReportTime and GenerationTime both present, and IODEF-DT-2
/// fractional seconds.
#[test]
fn guidance_documents_publish_at_report_time() {
    let ddos = corpus_accepted("v2/guidance-ddos.xml");
    assert_eq!(ddos.published(), Some(datetime!(2013-02-05 01:34:45 UTC)));
    assert_eq!(ddos.updated(), Some(datetime!(2013-02-05 01:15:45 UTC)));
    let malware = corpus_accepted("v2/guidance-malware.xml");
    assert_eq!(
        malware.incidents[0].report_time,
        Some(datetime!(2013-03-07 10:44:56.757 UTC))
    );
    assert_eq!(
        malware.incidents[0].creator.as_deref(),
        Some("example.com CSIRT")
    );
}

/// IODEF-ID-3 and IODEF-RES-1 on the WG LongLong example: four incidents, repeated ids,
/// `ext-value` restrictions resolve to private without configuration.
#[test]
fn longlong_example_has_four_incidents_with_repeated_ids() {
    let document = corpus_accepted("v2/longlong-example.xml");
    assert_eq!(document.incidents.len(), 4);
    let ids: Vec<&str> = document
        .incidents
        .iter()
        .map(|i| i.id.id.as_str())
        .collect();
    assert_eq!(ids, ["dgtac", "dgtoe", "dgtac", "dgtac"]);
    assert_eq!(document.incidents[0].purpose, "toe");
    assert_eq!(document.incidents[0].restriction_label, "tic");
    assert_eq!(document.incidents[3].restriction, Restriction::Public);
    assert_eq!(document.restriction, Restriction::Private);
    let content_ids: Vec<String> = document
        .properties()
        .into_iter()
        .filter(|p| p.name == property::CONTENT_ID)
        .map(|p| p.value)
        .collect();
    // The distinct IncidentIDs, then the IndicatorIDs (R-CSIRT-IODEF-c).
    assert_eq!(
        content_ids,
        ["dgtac", "dgtoe", "dgV", "dgOAuNFp", "dgUa", "dgfSTv"]
    );
    assert!(
        document.title().ends_with("and 3 more"),
        "{}",
        document.title()
    );
}

/// The JSON counterpart of LongLong gives the same incidents' identities.
#[test]
fn longlong_json_agrees_with_the_xml() {
    let xml = corpus_accepted("v2/longlong-example.xml");
    let json = corpus_accepted("json/converter-longlong-example.json");
    let ids = |d: &rolie_iodef::IodefDocument| {
        d.incidents.iter().map(|i| i.id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&xml), ids(&json));
    assert_eq!(json.restriction, xml.restriction);
}

/// IODEF-ID-3: iodeflib's file concatenates the four RFC 5070 examples, two sharing an id.
#[test]
fn iodeflib_file_has_four_incidents_and_a_duplicate_id() {
    let document = corpus_accepted("v1/iodeflib-four-incidents.xml");
    assert_eq!(document.format, Format::XmlV1);
    assert_eq!(document.format.rolie_format().ns, ns::IODEF_1);
    let ids: Vec<&str> = document
        .incidents
        .iter()
        .map(|i| i.id.id.as_str())
        .collect();
    assert_eq!(ids, ["189493", "59334", "908711", "908711"]);
    // R-CSIRT-PROP-b, v1: earliest and latest ReportTime.
    assert_eq!(
        document.published(),
        Some(datetime!(2001-09-13 23:19:24 UTC))
    );
    assert_eq!(document.updated(), Some(datetime!(2006-08-02 10:54:02 UTC)));
    let content_ids = document
        .properties()
        .into_iter()
        .filter(|p| p.name == property::CONTENT_ID)
        .count();
    assert_eq!(content_ids, 3, "identical ids are listed once");
}

/// IODEF-EXT-1: v1 private enum extensions resolve to their `ext-*` values.
#[test]
fn v1_extension_values_resolve_to_their_ext_attributes() {
    let document = corpus_accepted("v1/xmpp-ftw-readme-extensions.xml");
    let incident = &document.incidents[0];
    assert_eq!(incident.purpose, "new-purpose");
    assert_eq!(incident.restriction, Restriction::NeedToKnow);
    assert_eq!(incident.id.instance.as_deref(), Some("5"));
    assert_eq!(incident.id.name, "cert.example.com");
    // IODEF-PROC-1: no XML declaration.
    assert!(
        document
            .warnings
            .iter()
            .any(|w| w.contains("XML declaration"))
    );
}

/// The JSON minimal example reads like its XML original (spec-iodef §4).
#[test]
fn json_minimal_agrees_with_the_xml_minimal() {
    let xml = corpus_accepted("v2/rfc7970-7.1-minimal.xml");
    for file in ["json/jsoniodef-minimal.json", "json/converter-minimal.json"] {
        let json = corpus_accepted(file);
        assert_eq!(json.format, Format::Json);
        assert_eq!(json.incidents, xml.incidents, "{file}");
    }
    assert_eq!(
        corpus_accepted("json/jsoniodef-minimal.json").version,
        "2.0"
    );
    assert_eq!(
        corpus_accepted("json/converter-minimal.json").version,
        "2.00"
    );
}

/// ML_STRING as `{value}` objects, and a document without `lang` (IODEF-PROC-3).
#[test]
fn converted_malware_json_reads_object_descriptions() {
    let document = corpus_accepted("json/converter-malware1-from-xml.json");
    let incident = &document.incidents[0];
    assert_eq!(
        incident.descriptions,
        ["Malware and related indicators identified"]
    );
    assert_eq!(incident.indicator_count, 1);
    assert_eq!(incident.event_count, 2);
    assert_eq!(document.lang, None);
}

/// R-CSIRT-CAT-b: Expectation@action and Assessment/*Impact@type become categories, in
/// JSON IODEF as in XML (RFC 8727 writes the impacts directly under Assessment).
#[test]
fn expectations_and_impacts_of_a_json_document_become_categories() {
    let document = corpus_accepted("json/jsoniodef-long-example.json");
    let categories = document.categories();
    let terms = |wanted: &str| -> Vec<String> {
        categories
            .iter()
            .filter(|c| c.scheme.as_deref() == Some(wanted))
            .map(|c| c.term.clone())
            .collect()
    };
    assert_eq!(terms(scheme::IODEF_EXPECTATION), ["investigate"]);
    assert_eq!(
        terms(scheme::IODEF_IMPACT),
        ["unknown", "breach-proprietary"]
    );
}
