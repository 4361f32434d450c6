//! Member entries and media resources: GET, PUT, DELETE, If-Match.

use reqwest::Method;
use rolie_model::Content;
use rolie_model::vocabulary::{media_type, rel, scheme};
use rolie_testkit::{Backend, Response, TestApp, fixtures, on_both_backends, oracle};

on_both_backends!(
    a_standalone_entry_carries_what_it_needs_on_its_own,
    put_replaces_the_metadata_and_keeps_extensions_and_content,
    a_stale_if_match_is_412_and_changes_nothing,
    if_match_can_be_required,
    of_two_puts_with_the_same_if_match_exactly_one_wins,
    delete_removes_the_entry_and_its_media_resource,
    put_of_the_media_resource_replaces_the_document_and_advances_edited,
    hidden_and_unknown_entries_are_404,
);

async fn create(app: &TestApp, id: &str) -> (String, Response) {
    let response = app
        .publish("incidents", &fixtures::incident(id, "green", "entry test"))
        .await;
    response.assert_status(201);
    (response.location(), response)
}

async fn put_entry(
    app: &TestApp,
    location: &str,
    body: impl Into<reqwest::Body>,
    if_match: Option<&str>,
) -> Response {
    let mut request = app
        .request(Method::PUT, location, Some(&app.admin_token()))
        .header("content-type", media_type::ATOM_ENTRY)
        .body(body);
    if let Some(tag) = if_match {
        request = request.header("if-match", tag);
    }
    app.send(request).await
}

/// R-8322-6.2.5-a/b, R-5023-9.1-a, R-5023-11.1-a, R-4287-4.1.2-b, R-5023-12-a, R-8322-6.2.1-b
async fn a_standalone_entry_carries_what_it_needs_on_its_own(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (location, _) = create(&app, "S-1").await;
    let response = app
        .send(
            app.request(Method::GET, &location, Some(&app.admin_token()))
                .header("accept", media_type::ATOM_ENTRY),
        )
        .await;
    response.assert_status(200);
    assert_eq!(
        response.header("content-type"),
        Some("application/atom+xml;type=entry;charset=utf-8")
    );
    let entry = oracle::entry(&response.body);
    assert!(!entry.authors.is_empty());
    assert_eq!(
        entry
            .links
            .iter()
            .filter(|l| l.relation() == rel::EDIT)
            .count(),
        1
    );
    assert_eq!(
        entry.link(rel::COLLECTION).map(|l| l.href.clone()),
        Some(format!("{}/rolie/feeds/incidents", app.base_url))
    );
    assert_eq!(
        entry.link(rel::SERVICE).map(|l| l.href.clone()),
        Some(format!("{}/rolie/servicedocument", app.base_url))
    );
    assert_eq!(
        entry
            .category_terms(scheme::INFORMATION_TYPE)
            .collect::<Vec<_>>(),
        ["incident"]
    );
    assert!(matches!(entry.content, Some(Content::OutOfLine { .. })));
    assert!(entry.summary.is_some());
}

/// R-5023-9.3-a/b, R-CSIRT-LINK-c, R-4287-4.2.6-a, R-5023-10.2-a
async fn put_replaces_the_metadata_and_keeps_extensions_and_content(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (location, created) = create(&app, "PUT-1").await;
    let etag = created.header("etag").expect("etag").to_owned();
    let original = oracle::entry(&created.body);
    let xml = String::from_utf8(created.body.to_vec()).expect("utf-8");
    let edited = xml
        .replace("<title>", "<title type=\"text\">Renamed: ")
        .replace(
            "</entry>",
            "<link rel=\"incidents\" href=\"https://partner.example/rolie/feeds/incidents\"/>\
             <x:extra xmlns:x=\"urn:example:x\" a=\"1\">kept</x:extra></entry>",
        );
    let response = put_entry(&app, &location, edited, Some(&etag)).await;
    response.assert_status(200);
    assert_ne!(response.header("etag"), Some(etag.as_str()));
    let entry = oracle::entry(&app.get(&location, Some(&app.admin_token())).await.body);
    assert!(entry.title.as_plain().starts_with("Renamed: "));
    assert!(
        entry
            .links
            .iter()
            .any(|l| l.rel.as_deref() == Some("incidents"))
    );
    assert_eq!(entry.extensions.len(), 1);
    assert_eq!(entry.id, original.id);
    assert_eq!(entry.published, original.published);
    assert!(entry.edited > original.edited && entry.updated > original.updated);
    assert_eq!(entry.content, original.content);
    assert_eq!(
        entry
            .properties
            .iter()
            .filter(|p| p.name.ends_with("content-id"))
            .count(),
        1,
        "derived properties stay"
    );
    assert_eq!(
        entry
            .links
            .iter()
            .filter(|l| l.relation() == rel::EDIT)
            .count(),
        1,
        "server links are not doubled"
    );
}

/// R-5023-9.5-a
async fn a_stale_if_match_is_412_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (location, created) = create(&app, "IM-1").await;
    let etag = created.header("etag").expect("etag").to_owned();
    put_entry(&app, &location, created.body.clone(), Some(&etag))
        .await
        .assert_status(200);
    let seq = app.change_seq("incidents").await;
    put_entry(&app, &location, created.body.clone(), Some(&etag))
        .await
        .assert_problem(412, "If-Match");
    let delete = app
        .send(
            app.request(Method::DELETE, &location, Some(&app.admin_token()))
                .header("if-match", &etag),
        )
        .await;
    delete.assert_problem(412, "If-Match");
    let weak = put_entry(
        &app,
        &location,
        created.body.clone(),
        Some(&format!("W/{etag}")),
    )
    .await;
    weak.assert_status(412);
    assert_eq!(app.change_seq("incidents").await, seq, "nothing changed");
    app.get(&location, Some(&app.admin_token()))
        .await
        .assert_status(200);
}

/// spec-rolie A29: with require_if_match, PUT and DELETE without If-Match are 428.
async fn if_match_can_be_required(backend: Backend) {
    let app = TestApp::builder(backend)
        .configure(|c| c.require_if_match = true)
        .spawn()
        .await;
    let (location, created) = create(&app, "REQ-1").await;
    put_entry(&app, &location, created.body.clone(), None)
        .await
        .assert_problem(428, "If-Match");
    app.delete(&location, Some(&app.admin_token()))
        .await
        .assert_status(428);
    let any = put_entry(&app, &location, created.body.clone(), Some("*")).await;
    any.assert_status(200);
}

/// Robustness: two writers holding the same ETag; exactly one wins, the other gets 412.
async fn of_two_puts_with_the_same_if_match_exactly_one_wins(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (location, created) = create(&app, "RACE-1").await;
    let etag = created.header("etag").expect("etag").to_owned();
    let (a, b) = tokio::join!(
        put_entry(&app, &location, created.body.clone(), Some(&etag)),
        put_entry(&app, &location, created.body.clone(), Some(&etag))
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 412]);
}

/// R-5023-9.4-a/b, R-8322-6.1.3-a
async fn delete_removes_the_entry_and_its_media_resource(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (location, created) = create(&app, "DEL-1").await;
    let src = oracle::entry(&created.body)
        .link(rel::EDIT_MEDIA)
        .expect("edit-media")
        .href
        .clone();
    let token = app.admin_token();
    app.delete(&location, Some(&token)).await.assert_status(204);
    app.get(&location, Some(&token)).await.assert_status(404);
    app.get(&src, Some(&token)).await.assert_status(404);
    app.delete(&location, Some(&token)).await.assert_status(404);
    let feed = oracle::feed(&app.get("/rolie/feeds/incidents", Some(&token)).await.body);
    assert!(feed.entries.is_empty());
}

/// R-5023-9.6-c, R-5023-10.2-a
async fn put_of_the_media_resource_replaces_the_document_and_advances_edited(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (location, created) = create(&app, "MEDIA-1").await;
    let before = oracle::entry(&created.body);
    let src = before
        .link(rel::EDIT_MEDIA)
        .expect("edit-media")
        .href
        .clone();
    let token = app.admin_token();
    let content_etag = app
        .get(&src, Some(&token))
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    let revised = fixtures::incident("MEDIA-1", "amber", "Revised: lateral movement found");
    let response = app
        .send(
            app.request(Method::PUT, &src, Some(&token))
                .header("content-type", media_type::XML)
                .header("if-match", &content_etag)
                .body(revised.clone()),
        )
        .await;
    response.assert_status(204);
    let new_tag = response.header("etag").expect("etag").to_owned();
    assert_ne!(new_tag, content_etag);
    // Without content coding, the tag is the one the PUT answered with.
    let content = app
        .send(
            app.request(Method::GET, &src, Some(&token))
                .header("accept-encoding", "identity"),
        )
        .await;
    assert_eq!(content.body, revised.as_bytes());
    assert_eq!(content.header("etag"), Some(new_tag.as_str()));
    let after = oracle::entry(&app.get(&location, Some(&token)).await.body);
    assert!(after.edited > before.edited && after.updated > before.updated);
    assert!(
        after.title.as_plain().contains("Revised"),
        "the derived title follows the content"
    );
    assert_eq!(
        after
            .category_terms(scheme::IODEF_RESTRICTION)
            .collect::<Vec<_>>(),
        ["amber"]
    );
    assert_eq!(after.id, before.id);
    let stale = app
        .send(
            app.request(Method::PUT, &src, Some(&token))
                .header("content-type", media_type::XML)
                .header("if-match", &content_etag)
                .body(revised),
        )
        .await;
    stale.assert_status(412);
    let wrong = app.put(&src, "text/plain", "x", Some(&token)).await;
    wrong.assert_status(415);
}

/// R-PROF-AUTHZ-b: entries above the caller's clearance, and ids that cannot exist, are 404.
async fn hidden_and_unknown_entries_are_404(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .publish("incidents", &fixtures::incident("RED-1", "red", "secret"))
        .await;
    let location = created.location();
    let src = oracle::entry(&created.body)
        .link(rel::EDIT_MEDIA)
        .expect("edit-media")
        .href
        .clone();
    let green = app.token(
        "green-reader",
        "rolie:read",
        rolie_model::Restriction::Partner,
    );
    let hidden = app.get(&location, Some(&green)).await;
    let unknown = app
        .get(
            "/rolie/entries/01890000-0000-7000-8000-000000000000",
            Some(&green),
        )
        .await;
    hidden.assert_status(404);
    unknown.assert_status(404);
    assert_eq!(
        hidden.json()["detail"],
        unknown.json()["detail"],
        "no difference between hidden and absent"
    );
    app.get(&src, Some(&green)).await.assert_status(404);
    for path in [
        "/rolie/entries/not-a-uuid",
        "/rolie/entries/..%2F..%2Fetc%2Fpasswd",
        "/rolie/content/%27%20or%201%3D1",
    ] {
        app.get(path, Some(&green)).await.assert_status(404);
    }
}
