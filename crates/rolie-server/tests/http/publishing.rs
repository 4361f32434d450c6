//! Publishing: POST of IODEF XML, JSON IODEF and Atom entries; every refusal leaves the store
//! unchanged.

use reqwest::Method;
use rolie_model::vocabulary::{media_type, property, rel, scheme};
use rolie_model::{Content, Restriction};
use rolie_testkit::{Backend, TestApp, fixtures, on_both_backends, oracle, spec};

on_both_backends!(
    a_bare_iodef_document_becomes_a_media_resource_and_its_entry,
    json_iodef_is_published_with_its_own_media_type,
    an_atom_entry_with_inline_iodef_keeps_everything_the_client_added,
    an_atom_entry_pointing_elsewhere_is_recorded_not_fetched,
    the_slug_is_kept_as_a_hint,
    the_server_sets_id_and_dates,
    every_refusal_names_the_fault_and_stores_nothing,
    bodies_over_the_limit_are_413_while_streaming,
);

/// R-5023-9.6-a/b/c, R-PROF-POST-a, R-PROF-POST-b, R-8322-6.2.1-a..d, R-CSIRT-IODEF-b/c,
/// R-CSIRT-FMT-a, R-8322-6.2.3-b
async fn a_bare_iodef_document_becomes_a_media_resource_and_its_entry(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let response = app
        .post(
            "/rolie/feeds/incidents",
            media_type::XML,
            fixtures::RICH_V2,
            Some(&token),
        )
        .await;
    response.assert_status(201);
    let location = response.header("location").expect("Location");
    assert_eq!(
        response.header("content-location"),
        Some(location),
        "R-5023-9.2-d"
    );
    assert!(location.starts_with(&format!("{}/rolie/entries/", app.base_url)));
    assert!(response.header("etag").is_some());
    assert_eq!(
        response.header("content-type"),
        Some("application/atom+xml;type=entry;charset=utf-8")
    );
    let entry = oracle::entry(&response.body);
    assert!(entry.id.starts_with("urn:uuid:"));
    assert!(!entry.title.as_plain().is_empty() && entry.summary.is_some());
    assert_eq!(
        entry.link(rel::EDIT).map(|l| l.href.as_str()),
        Some(location)
    );
    let format = entry.format.as_ref().expect("rolie:format");
    assert_eq!(format.ns, rolie_model::vocabulary::ns::IODEF_2);
    assert!(
        entry.property_values(property::CONTENT_ID).count() >= 2,
        "one content-id per incident"
    );
    let Some(Content::OutOfLine {
        media_type: Some(kind),
        src,
    }) = &entry.content
    else {
        panic!("out-of-line content expected");
    };
    assert_eq!(kind, media_type::XML);
    assert_eq!(
        entry.link(rel::EDIT_MEDIA).map(|l| l.href.as_str()),
        Some(src.as_str())
    );
    let content = app.get(src, Some(&token)).await;
    content.assert_status(200);
    assert_eq!(content.body, fixtures::RICH_V2.as_bytes(), "byte-exact");
    assert_eq!(content.header("content-type"), Some(media_type::XML));
    assert_eq!(content.header("x-content-type-options"), Some("nosniff"));
    // The GET of the member is the same entry (R-5023-9.2-b).
    let again = oracle::entry(&app.get(location, Some(&token)).await.body);
    assert_eq!(again, entry);
}

/// R-CSIRT-FMT-c: JSON IODEF keeps its media type; rolie:format names the IODEF v2 model.
async fn json_iodef_is_published_with_its_own_media_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let response = app
        .post(
            "/rolie/feeds/incidents",
            media_type::JSON,
            fixtures::JSON,
            Some(&token),
        )
        .await;
    response.assert_status(201);
    let entry = oracle::entry(&response.body);
    let Some(Content::OutOfLine {
        media_type: Some(kind),
        src,
    }) = &entry.content
    else {
        panic!("out-of-line content expected");
    };
    assert_eq!(kind, media_type::JSON);
    assert_eq!(
        entry.format.expect("format").ns,
        rolie_model::vocabulary::ns::IODEF_2
    );
    let content = app.get(src, Some(&token)).await;
    assert_eq!(content.body, fixtures::JSON.as_bytes());
    assert_eq!(content.header("content-type"), Some(media_type::JSON));
}

/// R-5023-9.2-a, R-8322-6.1.2-f, R-8322-7.1-a, R-8322-7.4-b, R-8322-6.2.4-d, R-4287-6-a,
/// R-CSIRT-LINK-a
async fn an_atom_entry_with_inline_iodef_keeps_everything_the_client_added(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let iodef = fixtures::incident("A-1", "amber", "inline document");
    let body = format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<a:entry xmlns:a="http://www.w3.org/2005/Atom" xmlns:r="urn:ietf:params:xml:ns:rolie-1.0" xmlns:ex="urn:example:ext">
  <a:id>client-chosen-id</a:id>
  <a:title type="html">&lt;b&gt;Client&lt;/b&gt; title</a:title>
  <a:updated>2001-01-01T00:00:00Z</a:updated>
  <a:link rel="urn:example:rel" href="https://elsewhere.example/x" ex:flag="on"/>
  <a:link rel="indicators" href="https://elsewhere.example/indicators"/>
  <a:category scheme="urn:example:scheme" term="custom"/>
  <r:property name="urn:ietf:params:rolie:property:local:ticket" value="T-42"/>
  <r:property name="urn:example:unregistered" value="kept"/>
  <ex:note lang="de">Grüße <ex:b>fett</ex:b></ex:note>
  <a:content type="application/xml">{}</a:content>
</a:entry>"#,
        iodef.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
    );
    let response = app
        .post(
            "/rolie/feeds/incidents",
            media_type::ATOM_ENTRY,
            body,
            Some(&token),
        )
        .await;
    response.assert_status(201);
    let location = response.location();
    let entry = oracle::entry(&app.get(&location, Some(&token)).await.body);
    assert_ne!(entry.id, "client-chosen-id", "the server sets the id (A3)");
    assert_eq!(
        entry.title,
        rolie_model::Text::Html("<b>Client</b> title".into())
    );
    assert!(
        entry
            .links
            .iter()
            .any(|l| l.rel.as_deref() == Some("urn:example:rel") && l.extra.len() == 1)
    );
    assert!(
        entry
            .links
            .iter()
            .any(|l| l.rel.as_deref() == Some("indicators"))
    );
    assert!(
        entry
            .categories
            .iter()
            .any(|c| c.is("urn:example:scheme", "custom"))
    );
    assert_eq!(
        entry
            .property_values("urn:ietf:params:rolie:property:local:ticket")
            .collect::<Vec<_>>(),
        ["T-42"]
    );
    assert_eq!(
        entry
            .property_values("urn:example:unregistered")
            .collect::<Vec<_>>(),
        ["kept"]
    );
    assert_eq!(
        entry
            .property_values(property::CONTENT_ID)
            .collect::<Vec<_>>(),
        ["A-1"]
    );
    assert_eq!(entry.extensions.len(), 1);
    assert_eq!(entry.extensions[0].text(), "Grüße ");
    assert_eq!(
        entry
            .category_terms(scheme::IODEF_RESTRICTION)
            .collect::<Vec<_>>(),
        ["amber"]
    );
    // The inline document was stored as a media resource, parsed (never unparsed).
    let src = entry
        .link(rel::EDIT_MEDIA)
        .expect("edit-media")
        .href
        .clone();
    let content = app.get(&src, Some(&token)).await;
    assert!(
        content
            .text()
            .contains("<IncidentID name=\"csirt.example.test\">A-1</IncidentID>"),
        "{}",
        content.text()
    );
}

/// spec-rolie A28: content elsewhere is recorded as given and never fetched.
async fn an_atom_entry_pointing_elsewhere_is_recorded_not_fetched(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let body = r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:rolie="urn:ietf:params:xml:ns:rolie-1.0"><title>Partner report</title>
        <category scheme="urn:ietf:params:rolie:category:csirt:iodef:restriction" term="green"/>
        <rolie:format ns="urn:ietf:params:xml:ns:iodef-2.0"/>
        <rolie:property name="urn:ietf:params:rolie:property:content-id" value="PARTNER-7"/>
        <content type="application/xml" src="http://127.0.0.1:9/never-fetched.xml"/></entry>"#;
    let response = app
        .post(
            "/rolie/feeds/incidents",
            media_type::ATOM_ENTRY,
            body,
            Some(&token),
        )
        .await;
    response.assert_status(201);
    let entry = oracle::entry(&response.body);
    assert_eq!(
        entry.content,
        Some(Content::OutOfLine {
            media_type: Some(media_type::XML.into()),
            src: "http://127.0.0.1:9/never-fetched.xml".into()
        })
    );
    assert!(entry.link(rel::EDIT_MEDIA).is_none());
    let green = app.token("green", "rolie:read", Restriction::Partner);
    app.get(response.header("location").expect("location"), Some(&green))
        .await
        .assert_status(200);
}

/// R-5023-9.7-a
async fn the_slug_is_kept_as_a_hint(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let response = app
        .send(
            app.request(Method::POST, "/rolie/feeds/incidents", Some(&token))
                .header("content-type", media_type::XML)
                .header("slug", "CSIRT-2024-0117%20%E2%80%94%20phishing")
                .body(fixtures::MINIMAL_V2),
        )
        .await;
    response.assert_status(201);
    let entry = oracle::entry(&response.body);
    assert_eq!(
        entry.property_values(property::SLUG).collect::<Vec<_>>(),
        ["CSIRT-2024-0117 — phishing"]
    );
}

/// R-PROF-TIME-a, R-4287-4.2.6-a
async fn the_server_sets_id_and_dates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before = time::OffsetDateTime::now_utc() - time::Duration::seconds(1);
    let response = app.publish("incidents", fixtures::MINIMAL_V1).await;
    response.assert_status(201);
    let entry = oracle::entry(&response.body);
    assert_eq!(entry.published, Some(entry.updated));
    assert_eq!(entry.edited, Some(entry.updated));
    assert!(entry.updated >= before);
    assert_eq!(
        entry.format.expect("format").ns,
        rolie_model::vocabulary::ns::IODEF_1
    );
}

/// R-PROF-POST-c, R-5023-9.2-e, R-CSIRT-SEC-b, R-8322-6.1.1-a, IODEF-SEC-1: each refusal
/// with its status and a problem document; nothing stored.
async fn every_refusal_names_the_fault_and_stores_nothing(backend: Backend) {
    let app = TestApp::builder(backend)
        .collection(spec("public", "incident", Restriction::Public, true))
        .spawn()
        .await;
    let admin = app.admin_token();
    app.publish("incidents", &fixtures::incident("DUP-1", "green", "first"))
        .await
        .assert_status(201);
    let reader = app.token("reader", "rolie:read", Restriction::Private);
    let invalid_iodef =
        fixtures::incident("X", "green", "x").replace(" name=\"csirt.example.test\"", "");
    let not_iodef =
        "<?xml version=\"1.0\"?><html xmlns=\"http://www.w3.org/1999/xhtml\"><body/></html>";
    let doctype =
        "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
    let other_type_entry = r#"<entry xmlns="http://www.w3.org/2005/Atom"><title>t</title>
        <category scheme="urn:ietf:params:rolie:category:information-type" term="vulnerability"/>
        <content type="application/xml" src="https://x.example/a.xml"/></entry>"#;
    // (collection, content type, token, body, expected status, fragment of the detail)
    type Case<'a> = (&'a str, &'a str, Option<String>, String, u16, &'a str);
    let cases: Vec<Case<'_>> = vec![
        (
            "incidents",
            media_type::XML,
            Some(admin.clone()),
            "<IODEF-Document".into(),
            400,
            "malformed",
        ),
        (
            "incidents",
            media_type::XML,
            Some(admin.clone()),
            doctype.into(),
            400,
            "DOCTYPE",
        ),
        (
            "incidents",
            media_type::XML,
            Some(admin.clone()),
            not_iodef.into(),
            422,
            "IODEF-Document",
        ),
        (
            "incidents",
            media_type::XML,
            Some(admin.clone()),
            invalid_iodef,
            422,
            "/IODEF-Document/Incident[1]/IncidentID",
        ),
        (
            "incidents",
            media_type::JSON,
            Some(admin.clone()),
            "{\"version\": \"2.0\", \"Incident\": [".into(),
            400,
            "",
        ),
        (
            "incidents",
            "text/plain",
            Some(admin.clone()),
            "hello".into(),
            415,
            "text/plain",
        ),
        (
            "incidents",
            "application/atom+xml;type=feed",
            Some(admin.clone()),
            "<feed/>".into(),
            415,
            "",
        ),
        (
            "incidents",
            "application/xml; charset=iso-8859-1",
            Some(admin.clone()),
            fixtures::MINIMAL_V2.into(),
            415,
            "charset",
        ),
        (
            "incidents",
            media_type::XML,
            Some(admin.clone()),
            fixtures::incident("DUP-1", "green", "again"),
            409,
            "DUP-1",
        ),
        (
            "incidents",
            media_type::ATOM_ENTRY,
            Some(admin.clone()),
            other_type_entry.into(),
            409,
            "vulnerability",
        ),
        (
            "indicators",
            media_type::XML,
            Some(admin.clone()),
            fixtures::incident("I-1", "green", "no indicators"),
            409,
            "Indicator",
        ),
        (
            "public",
            media_type::XML,
            Some(admin.clone()),
            fixtures::incident("P-1", "red", "secret"),
            422,
            "restricted to private",
        ),
        (
            "incidents",
            media_type::XML,
            None,
            fixtures::incident("N-1", "green", "x"),
            401,
            "credentials",
        ),
        (
            "incidents",
            media_type::XML,
            Some(reader),
            fixtures::incident("N-2", "green", "x"),
            403,
            "may not publish",
        ),
        (
            "incidents",
            media_type::XML,
            Some("not.a.token".into()),
            fixtures::incident("N-3", "green", "x"),
            401,
            "bearer token",
        ),
    ];
    for (collection, content_type, token, body, status, fragment) in cases {
        let before = app.freshness(collection).await;
        let response = app
            .post(
                &format!("/rolie/feeds/{collection}"),
                content_type,
                body,
                token.as_deref(),
            )
            .await;
        response.assert_problem(status, fragment);
        assert_eq!(
            app.freshness(collection).await,
            before,
            "{status} {fragment}: nothing stored"
        );
    }
    let missing_type = app
        .send(
            app.request(Method::POST, "/rolie/feeds/incidents", Some(&admin))
                .body(fixtures::MINIMAL_V2),
        )
        .await;
    missing_type.assert_problem(415, "Content-Type");
    app.post(
        "/rolie/feeds/nope",
        media_type::XML,
        fixtures::MINIMAL_V2,
        Some(&admin),
    )
    .await
    .assert_status(404);
}

/// R-PROF-SAFE-a, IODEF-SEC-3: 413 from Content-Length at once, and while streaming a body
/// that announces no length.
async fn bodies_over_the_limit_are_413_while_streaming(backend: Backend) {
    let app = TestApp::builder(backend)
        .configure(|c| c.max_body_bytes = 4096)
        .spawn()
        .await;
    let token = app.admin_token();
    let big = fixtures::incident("BIG", "green", &"x".repeat(10_000));
    app.post(
        "/rolie/feeds/incidents",
        media_type::XML,
        big.clone(),
        Some(&token),
    )
    .await
    .assert_problem(413, "4096");
    let stream = futures::stream::iter(
        (0..100).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from(vec![b' '; 1000]))),
    );
    let response = app
        .send(
            app.request(Method::POST, "/rolie/feeds/incidents", Some(&token))
                .header("content-type", media_type::XML)
                .body(reqwest::Body::wrap_stream(stream)),
        )
        .await;
    response.assert_problem(413, "4096");
    assert_eq!(app.entry_count("incidents").await, 0);
}
