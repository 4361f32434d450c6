//! Nothing a caller cannot read changes what that caller observes: conflicts on publishing,
//! feed and service-document validators (R-PROF-AUTHZ-b, R-PROF-AUTHZ-c).
//!
//! The rule for incident ids: an IncidentID is unique per collection and restriction level
//! (and, for drafts, per publisher); writers publish at most at their clearance. So the
//! entry a 409 names is always one the writer can read.

use reqwest::Method;
use rolie_model::Restriction;
use rolie_model::vocabulary::{media_type, rel};
use rolie_testkit::{Backend, TestApp, fixtures, on_both_backends, oracle};
use serde_json::json;

on_both_backends!(
    a_conflict_with_an_entry_the_writer_cannot_see_answers_as_if_there_were_none,
    a_visible_conflict_names_the_entry_in_the_way,
    writers_cannot_publish_or_raise_content_above_their_clearance,
    feed_validators_move_only_for_what_the_caller_can_see,
    the_service_document_validator_ignores_hidden_collections,
);

/// A writer cleared for `green` (partner).
fn green_writer(app: &TestApp, subject: &str) -> String {
    app.token(subject, "rolie:read rolie:write", Restriction::Partner)
}

/// The reproduction: an administrator publishes incident X at `red`; a `green` writer who
/// cannot see it posts X and got 409 "… is already published", while a fresh id got 201,
/// which enumerates hidden incidents. Now both get 201, and so does a draft's incident.
async fn a_conflict_with_an_entry_the_writer_cannot_see_answers_as_if_there_were_none(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    app.publish(
        "incidents",
        &fixtures::incident("HIDDEN-1", "red", "secret"),
    )
    .await
    .assert_status(201);
    let writer = green_writer(&app, "green-writer");
    for id in ["HIDDEN-1", "NEVER-SEEN-1"] {
        app.post(
            "/rolie/feeds/incidents",
            media_type::XML,
            fixtures::incident(id, "green", "redacted report"),
            Some(&writer),
        )
        .await
        .assert_status(201);
    }
    // Someone else's draft is hidden too.
    let drafter = green_writer(&app, "drafter");
    let draft = fixtures::draft_entry(&fixtures::incident("DRAFTED-1", "green", "draft"));
    app.post(
        "/rolie/feeds/incidents",
        media_type::ATOM_ENTRY,
        draft,
        Some(&drafter),
    )
    .await
    .assert_status(201);
    app.post(
        "/rolie/feeds/incidents",
        media_type::XML,
        fixtures::incident("DRAFTED-1", "green", "published report"),
        Some(&writer),
    )
    .await
    .assert_status(201);
    // Above its clearance, a hidden id and a fresh id get the same refusal.
    let refusal = |id: &'static str| {
        let writer = writer.clone();
        let app = &app;
        async move {
            let response = app
                .post(
                    "/rolie/feeds/incidents",
                    media_type::XML,
                    fixtures::incident(id, "red", "x"),
                    Some(&writer),
                )
                .await;
            (response.status, response.json()["detail"].clone())
        }
    };
    assert_eq!(refusal("HIDDEN-1").await, refusal("NEVER-SEEN-2").await);
    assert_eq!(refusal("HIDDEN-1").await.0.as_u16(), 403);
}

/// IODEF-ID-1: the same incident at the same level is a 409 that names the entry holding
/// it, so the writer can revise that one instead.
async fn a_visible_conflict_names_the_entry_in_the_way(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = green_writer(&app, "green-writer");
    let first = app
        .post(
            "/rolie/feeds/incidents",
            media_type::XML,
            fixtures::incident("SEEN-1", "green", "x"),
            Some(&writer),
        )
        .await;
    first.assert_status(201);
    let location = first.location();
    // Another writer at the same level sees the entry, so it is told which one it is.
    let other = green_writer(&app, "other-writer");
    app.post(
        "/rolie/feeds/incidents",
        media_type::XML,
        fixtures::incident("SEEN-1", "green", "again"),
        Some(&other),
    )
    .await
    .assert_problem(409, &location);
}

/// R-PROF-AUTHZ-c: a writer cannot publish above its clearance, nor raise an entry it can
/// see above it with a PUT; nothing is stored.
async fn writers_cannot_publish_or_raise_content_above_their_clearance(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let writer = green_writer(&app, "green-writer");
    let before = app.entry_count("incidents").await;
    app.post(
        "/rolie/feeds/incidents",
        media_type::XML,
        fixtures::incident("AMBER-1", "amber", "x"),
        Some(&writer),
    )
    .await
    .assert_problem(403, "green");
    assert_eq!(app.entry_count("incidents").await, before);
    let created = app
        .post(
            "/rolie/feeds/incidents",
            media_type::XML,
            fixtures::incident("GREEN-1", "green", "x"),
            Some(&writer),
        )
        .await;
    created.assert_status(201);
    let entry = oracle::entry(&created.body);
    let media = entry
        .link(rel::EDIT_MEDIA)
        .expect("edit-media")
        .href
        .clone();
    let seq = app.change_seq("incidents").await;
    app.put(
        &media,
        media_type::XML,
        fixtures::incident("GREEN-1", "red", "raised"),
        Some(&writer),
    )
    .await
    .assert_problem(403, "red");
    assert_eq!(
        app.change_seq("incidents").await,
        seq,
        "nothing was written"
    );
}

/// Validators (ETag, Last-Modified, atom:updated) of a `green` reader's feed do not move
/// while `red` entries are created, revised and deleted, and move for a `green` one.
async fn feed_validators_move_only_for_what_the_caller_can_see(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.publish("incidents", &fixtures::incident("G-1", "green", "x"))
        .await
        .assert_status(201);
    let reader = app.token("green-reader", "rolie:read", Restriction::Partner);
    let look = || async {
        let response = app.get("/rolie/feeds/incidents", Some(&reader)).await;
        response.assert_status(200);
        let feed = oracle::feed(&response.body);
        (
            response.header("etag").expect("ETag").to_owned(),
            response
                .header("last-modified")
                .expect("Last-Modified")
                .to_owned(),
            feed.updated,
        )
    };
    let before = look().await;
    // A second apart, so Last-Modified would show a move at HTTP-date precision.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let admin = app.admin_token();
    let red = app
        .publish("incidents", &fixtures::incident("R-1", "red", "secret"))
        .await;
    red.assert_status(201);
    let red_entry = oracle::entry(&red.body);
    let red_media = red_entry
        .link(rel::EDIT_MEDIA)
        .expect("edit-media")
        .href
        .clone();
    app.put(
        &red_media,
        media_type::XML,
        fixtures::incident("R-1", "red", "revised secret"),
        Some(&admin),
    )
    .await
    .assert_status(204);
    app.delete(&red.location(), Some(&admin))
        .await
        .assert_status(204);
    assert_eq!(look().await, before, "hidden writes moved the green feed");
    let revalidated = app
        .send(
            app.request(Method::GET, "/rolie/feeds/incidents", Some(&reader))
                .header("if-none-match", &before.0),
        )
        .await;
    revalidated.assert_status(304);
    app.publish("incidents", &fixtures::incident("G-2", "green", "y"))
        .await
        .assert_status(201);
    let after = look().await;
    assert_ne!(after.0, before.0);
    assert!(after.2 > before.2, "updated moves for a visible write");
}

/// The service document's ETag does not move when a collection the caller cannot read is
/// created, and moves when one it can read is.
async fn the_service_document_validator_ignores_hidden_collections(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token();
    let reader = app.token("narrow", "rolie:read:incidents", Restriction::Private);
    let tag = || async {
        let response = app.get("/rolie/servicedocument", Some(&reader)).await;
        response.assert_status(200);
        response.header("etag").expect("ETag").to_owned()
    };
    let before = tag().await;
    let collection = |name: &str| {
        json!({
            "name": name,
            "title": name,
            "information_type": "incident",
            "workspace": "Shared",
            "accept": ["application/xml"],
            "max_restriction": "amber",
            "public": false,
        })
    };
    app.send_json(
        Method::POST,
        "/admin/collections",
        &collection("hidden-one"),
        Some(&admin),
    )
    .await
    .assert_status(201);
    assert_eq!(tag().await, before, "a hidden collection moved the ETag");
    let public = json!({
        "name": "open",
        "title": "open",
        "information_type": "incident",
        "workspace": "Public",
        "accept": ["application/xml"],
        "max_restriction": "white",
        "public": true,
    });
    app.send_json(Method::POST, "/admin/collections", &public, Some(&admin))
        .await
        .assert_status(201);
    assert_ne!(tag().await, before, "a readable collection must move it");
}
