//! The CSIRT profile beyond IODEF: STIX 2.1 bundles and MISP events as entries, the
//! Expectation and Impact categories, indicator ids, and the strict entry rules. Public
//! example documents come from `tests/corpus/stix` and `tests/corpus/misp`.

use rolie_model::vocabulary::information_type;
use rolie_model::vocabulary::{format, media_type, property, rel, scheme};
use rolie_model::{Content, Restriction, read_category_document};
use rolie_testkit::{Backend, TestApp, fixtures, on_both_backends, oracle, spec};

on_both_backends!(
    a_stix_bundle_is_an_indicator_entry_served_back_byte_exact,
    the_tlp_marking_of_a_bundle_decides_who_sees_it,
    a_misp_event_exposes_its_manifest_and_is_an_indicator_record,
    expectation_and_impact_categories_are_documented_and_filter_feeds,
    indicator_ids_are_content_ids,
    entries_pointing_elsewhere_must_describe_their_content,
    property_names_are_absolute_uris,
    a_collection_with_an_empty_accept_list_takes_no_post,
    category_documents_are_fixed_only_when_closed,
);

const STIX_C2: &str = include_str!("../../../../tests/corpus/stix/indicators-for-C2-with-COA.json");
const STIX_ONE: &str =
    include_str!("../../../../tests/corpus/stix/indicator-for-c2-ip-address.json");
const MISP_CIRCL: &str =
    include_str!("../../../../tests/corpus/misp/57c4445b-c548-4654-af0b-4be3950d210f.json");

/// The `src` of an entry's out-of-line content, and its type.
fn content_of(entry: &rolie_model::Entry) -> (String, String) {
    match &entry.content {
        Some(Content::OutOfLine {
            media_type: Some(kind),
            src,
        }) => (src.clone(), kind.clone()),
        other => panic!("out-of-line content with a type expected, got {other:?}"),
    }
}

/// R-CSIRT-STIX-a, R-8322-6.2.3-a/b: content-id = the bundle's id, content type JSON,
/// rolie:format names STIX 2.1, the bytes come back unchanged; STIX's registered media
/// type is accepted where JSON is.
async fn a_stix_bundle_is_an_indicator_entry_served_back_byte_exact(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let entry = app
        .created_entry("indicators", media_type::JSON, STIX_C2)
        .await;
    assert_eq!(
        entry
            .property_values(property::CONTENT_ID)
            .collect::<Vec<_>>(),
        ["bundle--63fe3b22-0201-47cf-85d0-97c02164528d"]
    );
    let format = entry.format.clone().expect("rolie:format");
    assert_eq!(format.ns, format::STIX_2_1);
    assert_eq!(format.version.as_deref(), Some("2.1"));
    assert!(
        entry.title.as_plain().starts_with("Poison Ivy"),
        "{:?}",
        entry.title
    );
    assert_eq!(
        entry
            .property_values(property::CONTENT_AUTHOR_NAME)
            .collect::<Vec<_>>(),
        ["The MITRE Corporation - DHS Support Team"]
    );
    assert!(
        entry
            .category_terms(scheme::STIX_TYPE)
            .any(|t| t == "indicator")
    );
    let (src, kind) = content_of(&entry);
    assert_eq!(kind, media_type::JSON);
    assert_eq!(
        entry.link(rel::EDIT_MEDIA).map(|l| l.href.as_str()),
        Some(src.as_str())
    );
    let content = app.get(&src, Some(&token)).await;
    content.assert_status(200);
    assert_eq!(content.body, STIX_C2.as_bytes(), "byte-exact");
    assert_eq!(content.header("content-type"), Some(media_type::JSON));
    // The same bundle again at the same level is the same entry, which the problem names
    // in its `existing` member (for clients that revise it: `rolie push --update`).
    let again = app
        .post(
            "/rolie/feeds/indicators",
            media_type::JSON,
            STIX_C2,
            Some(&token),
        )
        .await;
    again.assert_problem(409, "already published");
    let own = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some("edit"))
        .expect("edit link");
    assert_eq!(again.json()["existing"].as_str(), Some(own.href.as_str()));
    app.post(
        "/rolie/feeds/indicators",
        "application/stix+json;version=2.1",
        STIX_ONE,
        Some(&token),
    )
    .await
    .assert_status(201);
}

/// R-CSIRT-STIX-a, R-PROF-AUTHZ-c: the strictest TLP marking is the entry's level; a reader
/// below it never sees the bundle.
async fn the_tlp_marking_of_a_bundle_decides_who_sees_it(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let mark = |colour_id: &str| {
        STIX_ONE.replace(
            "\"spec_version\": \"2.1\",",
            &format!("\"spec_version\": \"2.1\", \"object_marking_refs\": [\"{colour_id}\"],"),
        )
    };
    // TLP 2.0 green, then TLP 1.0 amber under another bundle id.
    let green = mark("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb");
    let amber = mark("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82")
        .replace("bundle--44af6c39", "bundle--55af6c39");
    let green_entry = app
        .post(
            "/rolie/feeds/indicators",
            media_type::JSON,
            green,
            Some(&token),
        )
        .await;
    green_entry.assert_status(201);
    assert_eq!(
        oracle::entry(&green_entry.body)
            .category_terms(scheme::IODEF_RESTRICTION)
            .collect::<Vec<_>>(),
        ["green"]
    );
    app.post(
        "/rolie/feeds/indicators",
        media_type::JSON,
        amber,
        Some(&token),
    )
    .await
    .assert_status(201);
    let reader = app.token("partner", "rolie:read", Restriction::Partner);
    let feed = oracle::feed(&app.get("/rolie/feeds/indicators", Some(&reader)).await.body);
    let ids: Vec<&str> = feed
        .entries
        .iter()
        .flat_map(|e| e.property_values(property::CONTENT_ID))
        .collect();
    assert_eq!(ids, ["bundle--44af6c39-c09b-49c5-9de2-394224b04982"]);
    // An unmarked bundle takes the server's default level and says so.
    let unmarked = STIX_ONE.replace("bundle--44af6c39", "bundle--66af6c39");
    let response = app
        .post(
            "/rolie/feeds/indicators",
            media_type::JSON,
            unmarked,
            Some(&token),
        )
        .await;
    response.assert_status(201);
    assert!(
        response
            .header_all("warning")
            .iter()
            .chain(response.header_all("rolie-warning").iter())
            .any(|w| w.contains("no TLP marking")),
        "a warning names the default: {:?}",
        response.headers
    );
}

/// R-CSIRT-MISP-a: content-id = the event uuid, the manifest fields as local properties,
/// type indicator (an incident collection refuses it with 409), bytes unchanged.
async fn a_misp_event_exposes_its_manifest_and_is_an_indicator_record(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    app.post(
        "/rolie/feeds/incidents",
        media_type::JSON,
        MISP_CIRCL,
        Some(&token),
    )
    .await
    .assert_problem(409, "R-CSIRT-MISP-a");
    let response = app
        .post(
            "/rolie/feeds/indicators",
            media_type::JSON,
            MISP_CIRCL,
            Some(&token),
        )
        .await;
    response.assert_status(201);
    let entry = oracle::entry(&response.body);
    let one = |name: &'static str| entry.property_values(name).collect::<Vec<_>>();
    assert_eq!(
        one(property::CONTENT_ID),
        ["57c4445b-c548-4654-af0b-4be3950d210f"]
    );
    assert_eq!(one(property::MISP_INFO), ["Ransomware - Xorist"]);
    assert_eq!(one(property::MISP_ORGC), ["CIRCL"]);
    assert_eq!(one(property::MISP_TIMESTAMP), ["1472541011"]);
    assert_eq!(one(property::MISP_DATE), ["2016-08-29"]);
    assert_eq!(one(property::MISP_ANALYSIS), ["2"]);
    assert_eq!(one(property::MISP_THREAT_LEVEL_ID), ["3"]);
    assert!(
        entry
            .category_terms(scheme::MISP_TAG)
            .any(|t| t == "tlp:white")
    );
    assert_eq!(
        entry.format.clone().expect("rolie:format").ns,
        format::MISP_CORE
    );
    let (src, _) = content_of(&entry);
    assert_eq!(
        app.get(&src, Some(&token)).await.body,
        MISP_CIRCL.as_bytes()
    );
    // tlp:white: a public-clearance reader sees it.
    let public = app.token("anyone", "rolie:read", Restriction::Public);
    let feed = oracle::feed(&app.get("/rolie/feeds/indicators", Some(&public)).await.body);
    assert_eq!(feed.entries.len(), 1);
}

/// R-CSIRT-CAT-b: Expectation@action and Assessment/*Impact@type are categories, listed in
/// category documents the service document points at, and usable as feed filters.
async fn expectation_and_impact_categories_are_documented_and_filter_feeds(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    for document in [fixtures::RICH_V2, fixtures::MINIMAL_V2] {
        app.post(
            "/rolie/feeds/incidents",
            media_type::XML,
            document,
            Some(&token),
        )
        .await
        .assert_status(201);
    }
    for (scheme_uri, term) in [
        (scheme::IODEF_EXPECTATION, "block-host"),
        (scheme::IODEF_IMPACT, "breach-privacy"),
    ] {
        let url = format!(
            "/rolie/feeds/incidents?category={term}&category-scheme={}",
            percent(scheme_uri)
        );
        let feed = oracle::feed(&app.get(&url, Some(&token)).await.body);
        assert_eq!(feed.entries.len(), 1, "{url}");
        assert!(
            feed.entries[0]
                .category_terms(scheme_uri)
                .any(|t| t == term)
        );
    }
    let service = app.get("/rolie/servicedocument", Some(&token)).await;
    let text = service.text();
    for name in [
        "iodef-expectation",
        "iodef-impact",
        "stix-type",
        "misp-threat-level",
    ] {
        assert!(
            text.contains(&format!("/rolie/categories/{name}")),
            "{name} referenced"
        );
        let document = app
            .get(&format!("/rolie/categories/{name}"), Some(&token))
            .await;
        document.assert_status(200);
        read_category_document(&document.body, &Default::default()).expect("a category document");
    }
}

fn percent(value: &str) -> String {
    value.replace(':', "%3A")
}

/// R-CSIRT-IODEF-c: an indicator entry carries its IndicatorIDs as content-id.
async fn indicator_ids_are_content_ids(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let entry = app
        .created_entry("indicators", media_type::JSON, fixtures::JSON)
        .await;
    let ids: Vec<&str> = entry.property_values(property::CONTENT_ID).collect();
    for id in ["ind-1", "ind-2", "ind-3"] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
}

/// R-CSIRT-IODEF-c, R-CSIRT-FMT-a, R-8322-6.2.1-a: an entry whose content is elsewhere
/// supplies a type, content-id and rolie:format in a CSIRT collection; the 422 names what
/// is missing and nothing is stored.
async fn entries_pointing_elsewhere_must_describe_their_content(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let without_type = r#"<entry xmlns="http://www.w3.org/2005/Atom"><title>t</title>
        <content src="https://elsewhere.example/doc.xml"/></entry>"#;
    app.post(
        "/rolie/feeds/incidents",
        media_type::ATOM_ENTRY,
        without_type,
        Some(&token),
    )
    .await
    .assert_problem(422, "needs a type");
    let undescribed = r#"<entry xmlns="http://www.w3.org/2005/Atom"><title>t</title>
        <content type="application/xml" src="https://elsewhere.example/doc.xml"/></entry>"#;
    let response = app
        .post(
            "/rolie/feeds/incidents",
            media_type::ATOM_ENTRY,
            undescribed,
            Some(&token),
        )
        .await;
    response.assert_problem(422, property::CONTENT_ID);
    response.assert_problem(422, "rolie:format");
    // Outside the CSIRT information types the rule does not apply.
    let other = TestApp::builder(backend)
        .collection(spec("advisories", "csaf", Restriction::Private, false))
        .spawn()
        .await;
    let token = other.admin_token();
    other
        .post(
            "/rolie/feeds/advisories",
            media_type::ATOM_ENTRY,
            undescribed,
            Some(&token),
        )
        .await
        .assert_status(201);
    assert_eq!(app.entry_count("incidents").await, 0);
    let _ = information_type::INCIDENT;
}

/// R-8322-6.2.4-b: a property name that is not an absolute URI is refused.
async fn property_names_are_absolute_uris(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let body = format!(
        r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:r="urn:ietf:params:xml:ns:rolie-1.0"><title>t</title>
        <r:property name="ticket" value="T-1"/>
        <content type="application/xml">{}</content></entry>"#,
        fixtures::MINIMAL_V2.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
    );
    app.post(
        "/rolie/feeds/incidents",
        media_type::ATOM_ENTRY,
        body,
        Some(&token),
    )
    .await
    .assert_problem(422, "not an absolute URI");
    assert_eq!(app.entry_count("incidents").await, 0);
}

/// RFC 5023 §8.3.4: an empty accept list is advertised as an empty app:accept, and a POST
/// is 405 with Allow.
async fn a_collection_with_an_empty_accept_list_takes_no_post(backend: Backend) {
    let mut closed = spec(
        "archive",
        information_type::INCIDENT,
        Restriction::Private,
        false,
    );
    closed.accept.clear();
    let app = TestApp::builder(backend).collection(closed).spawn().await;
    let token = app.admin_token();
    let service = app.get("/rolie/servicedocument", Some(&token)).await;
    let document = oracle::service_document(&service.body);
    let archive = document
        .workspaces
        .iter()
        .flat_map(|w| &w.collections)
        .find(|c| c.href.ends_with("/rolie/feeds/archive"))
        .expect("the archive collection");
    assert!(archive.accept.is_empty());
    assert!(
        service.text().contains("<accept></accept>") || service.text().contains("<accept/>"),
        "an empty app:accept element"
    );
    let response = app
        .post(
            "/rolie/feeds/archive",
            media_type::XML,
            fixtures::MINIMAL_V2,
            Some(&token),
        )
        .await;
    response.assert_problem(405, "takes no new members");
    assert_eq!(response.header("allow"), Some("GET, HEAD"));
}

/// RFC 5023 §7.2.1: `fixed="yes"` only where the list is every term the server emits.
async fn category_documents_are_fixed_only_when_closed(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    for (name, fixed) in [
        ("iodef-purpose", false),
        ("iodef-restriction", false),
        ("iodef-status", false),
        ("information-type", false),
        ("misp-threat-level", true),
    ] {
        let body = app
            .get(&format!("/rolie/categories/{name}"), Some(&token))
            .await
            .body;
        let document = read_category_document(&body, &Default::default()).expect(name);
        assert_eq!(document.fixed, Some(fixed), "{name}");
    }
}
