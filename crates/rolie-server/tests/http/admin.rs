//! Administration over JSON: who may reach it, collections (create, change, delete) and the
//! audit log of write attempts.

use reqwest::Method;
use rolie_model::Restriction;
use rolie_model::vocabulary::media_type;
use rolie_testkit::{Backend, Response, TestApp, fixtures, on_both_backends, oracle};
use serde_json::{Value, json};

on_both_backends!(
    only_administrators_reach_the_admin_routes,
    a_new_collection_is_served_at_once,
    collections_change_only_when_it_is_safe,
    the_audit_log_records_every_write_attempt_without_bodies,
    concurrent_writes_each_leave_their_audit_record,
);

/// A collection definition as the admin API takes it.
fn collection(name: &str, title: &str, information_type: &str) -> Value {
    json!({
        "name": name,
        "title": title,
        "information_type": information_type,
        "workspace": "Shared",
        "accept": ["application/xml", "application/atom+xml;type=entry"],
        "max_restriction": "amber",
        "public": false,
    })
}

/// The collection names in the service document `token` sees.
async fn service_document_names(app: &TestApp, token: &str) -> Vec<String> {
    let response = app.get("/rolie/servicedocument", Some(token)).await;
    response.assert_status(200);
    oracle::collection_names(&response.body)
}

/// R-8322-5.4-d, R-PROF-AUTHZ-b: every `/admin` route is 403 for readers and writers and 401
/// (with a challenge) for anonymous callers, whatever the body, and none of them changes
/// anything.
async fn only_administrators_reach_the_admin_routes(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token();
    let issued = app
        .send_json(
            Method::POST,
            "/admin/feed-tokens",
            &json!({"subject": "analyst", "clearance": "green"}),
            Some(&admin),
        )
        .await;
    issued.assert_status(201);
    let token_id = issued.json()["id"].as_str().expect("id").to_owned();
    let renamed = collection("incidents", "Taken over", "incident");
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/admin/collections".into(), None),
        (
            Method::POST,
            "/admin/collections".into(),
            Some(collection("sneaky", "Sneaky", "incident")),
        ),
        (Method::GET, "/admin/collections/incidents".into(), None),
        (
            Method::PUT,
            "/admin/collections/incidents".into(),
            Some(renamed),
        ),
        (Method::DELETE, "/admin/collections/incidents".into(), None),
        (Method::GET, "/admin/feed-tokens".into(), None),
        (
            Method::POST,
            "/admin/feed-tokens".into(),
            Some(json!({"subject": "mallory", "clearance": "red"})),
        ),
        (
            Method::DELETE,
            format!("/admin/feed-tokens/{token_id}"),
            None,
        ),
        (Method::GET, "/admin/audit".into(), None),
    ];
    let reader = app.token("reader", "rolie:read", Restriction::Private);
    let writer = app.token("writer", "rolie:write:incidents", Restriction::Private);
    for (who, token, status) in [
        ("reader", Some(reader.as_str()), 403),
        ("writer", Some(writer.as_str()), 403),
        ("anonymous", None, 401),
    ] {
        for (method, path, body) in &routes {
            let response = match body {
                Some(body) => app.send_json(method.clone(), path, body, token).await,
                None => app.send(app.request(method.clone(), path, token)).await,
            };
            assert_eq!(
                response.status,
                status,
                "{who}: {method} {path}: {}",
                response.text()
            );
            if status == 401 {
                assert!(
                    response.challenges("Bearer"),
                    "{who}: {method} {path}: a Bearer challenge"
                );
            } else {
                response.assert_problem(403, who);
            }
        }
    }
    // Nothing changed.
    let incidents = app.get("/admin/collections/incidents", Some(&admin)).await;
    incidents.assert_status(200);
    assert_eq!(incidents.json()["title"], "incidents collection");
    app.get("/admin/collections/sneaky", Some(&admin))
        .await
        .assert_status(404);
    let tokens = app.get("/admin/feed-tokens", Some(&admin)).await.json();
    let tokens = tokens.as_array().expect("a list");
    assert_eq!(tokens.len(), 1, "no token issued: {tokens:?}");
    assert!(tokens[0]["revoked"].is_null(), "not revoked");
}

/// R-PROF-AUTHZ-a, R-5023-8-c: a collection created over the admin API is 201 with its
/// Location, is in the service document of the readers who may read it at once, takes
/// entries up to its cap; duplicate names are 409, invalid definitions 400/422, other media
/// types 415.
async fn a_new_collection_is_served_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token();
    let reader = app.token("reader", "rolie:read", Restriction::Private);
    assert!(
        !service_document_names(&app, &reader)
            .await
            .contains(&"phishing".to_owned())
    );
    let definition = collection("phishing", "Phishing reports", "incident");
    let created = app
        .send_json(
            Method::POST,
            "/admin/collections",
            &definition,
            Some(&admin),
        )
        .await;
    created.assert_status(201);
    let location = created.location();
    assert_eq!(
        location,
        format!("{}/admin/collections/phishing", app.base_url)
    );
    let body = created.json();
    assert_eq!(body["name"], "phishing");
    assert_eq!(body["title"], "Phishing reports");
    assert_eq!(body["max_restriction"], "need-to-know");
    assert_eq!(
        body["href"],
        format!("{}/rolie/feeds/phishing", app.base_url)
    );
    app.get(&location, Some(&admin)).await.assert_status(200);
    for token in [&admin, &reader] {
        assert!(
            service_document_names(&app, token)
                .await
                .contains(&"phishing".to_owned()),
            "listed at once"
        );
    }
    app.publish(
        "phishing",
        &fixtures::incident("PH-1", "amber", "Phishing wave"),
    )
    .await
    .assert_status(201);
    app.publish(
        "phishing",
        &fixtures::incident("PH-2", "red", "Phishing, red"),
    )
    .await
    .assert_problem(422, "accepts at most need-to-know");
    let feed = app.get("/rolie/feeds/phishing", Some(&reader)).await;
    feed.assert_status(200);
    assert_eq!(oracle::feed(&feed.body).entries.len(), 1);

    app.send_json(
        Method::POST,
        "/admin/collections",
        &collection("phishing", "Again", "incident"),
        Some(&admin),
    )
    .await
    .assert_problem(409, "phishing");
    // An invalid name fails while the JSON body is read: 400.
    app.send_json(
        Method::POST,
        "/admin/collections",
        &collection("Not Valid!", "Bad name", "incident"),
        Some(&admin),
    )
    .await
    .assert_problem(400, "collection name");
    // A well-formed definition with unusable values: 422.
    app.send_json(
        Method::POST,
        "/admin/collections",
        &collection("untitled", " ", "incident"),
        Some(&admin),
    )
    .await
    .assert_problem(422, "title");
    app.post(
        "/admin/collections",
        "text/plain",
        definition.to_string(),
        Some(&admin),
    )
    .await
    .assert_problem(415, "application/json");
    app.get("/admin/collections/untitled", Some(&admin))
        .await
        .assert_status(404);
}

/// A collection's title can change at any time (the feed follows); its information type only
/// while it is empty (R-8322-6.1.1-a); a collection is deleted only when empty, and is gone
/// afterwards.
async fn collections_change_only_when_it_is_safe(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token();
    app.send_json(
        Method::POST,
        "/admin/collections",
        &collection("reports", "Reports", "incident"),
        Some(&admin),
    )
    .await
    .assert_status(201);
    let created = app
        .publish("reports", &fixtures::incident("R-1", "green", "a report"))
        .await;
    created.assert_status(201);
    let entry = created.location();

    let retitled = app
        .send_json(
            Method::PUT,
            "/admin/collections/reports",
            &collection("reports", "Incident reports", "incident"),
            Some(&admin),
        )
        .await;
    retitled.assert_status(200);
    assert_eq!(retitled.json()["title"], "Incident reports");
    let feed = app.get("/rolie/feeds/reports", Some(&admin)).await;
    assert_eq!(
        oracle::feed(&feed.body).title.as_plain(),
        "Incident reports"
    );

    app.send_json(
        Method::PUT,
        "/admin/collections/reports",
        &collection("reports", "Incident reports", "indicator"),
        Some(&admin),
    )
    .await
    .assert_problem(409, "cannot become indicator");
    app.send_json(
        Method::PUT,
        "/admin/collections/reports",
        &collection("other", "Incident reports", "incident"),
        Some(&admin),
    )
    .await
    .assert_problem(422, "the body names collection other");
    app.delete("/admin/collections/reports", Some(&admin))
        .await
        .assert_problem(409, "still holds 1 entries");
    app.get("/rolie/feeds/reports", Some(&admin))
        .await
        .assert_status(200);

    // Emptied by deleting its entry, it may change type and be deleted.
    app.delete(&entry, Some(&admin)).await.assert_status(204);
    app.send_json(
        Method::PUT,
        "/admin/collections/reports",
        &collection("reports", "Incident reports", "indicator"),
        Some(&admin),
    )
    .await
    .assert_status(200);
    app.delete("/admin/collections/reports", Some(&admin))
        .await
        .assert_status(204);
    app.get("/admin/collections/reports", Some(&admin))
        .await
        .assert_status(404);
    app.get("/rolie/feeds/reports", Some(&admin))
        .await
        .assert_status(404);
    assert!(
        !service_document_names(&app, &admin)
            .await
            .contains(&"reports".to_owned())
    );
    app.delete("/admin/collections/reports", Some(&admin))
        .await
        .assert_status(404);

    // An empty collection straight away.
    app.send_json(
        Method::POST,
        "/admin/collections",
        &collection("scratch", "Scratch", "incident"),
        Some(&admin),
    )
    .await
    .assert_status(201);
    app.delete("/admin/collections/scratch", Some(&admin))
        .await
        .assert_status(204);
    app.get("/admin/collections/scratch", Some(&admin))
        .await
        .assert_status(404);
}

/// A string that is only ever in request bodies.
const MARKER: &str = "Marker-of-a-secret-body-5d1c";

/// POSTs an incident whose description carries [`MARKER`].
async fn post_marked(app: &TestApp, id: &str, token: Option<&str>) -> Response {
    app.post(
        "/rolie/feeds/incidents",
        media_type::XML,
        fixtures::incident(id, "green", &format!("{MARKER} {id}")),
        token,
    )
    .await
}

/// R-8322-9-a: every write attempt is in the audit log, newest first, with who, what, the
/// outcome, the status and the request id the client saw; request bodies never are.
async fn the_audit_log_records_every_write_attempt_without_bodies(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token();
    let reader = app.token("reader", "rolie:read", Restriction::Private);
    let allowed = post_marked(&app, "AUD-1", Some(&admin)).await;
    allowed.assert_status(201);
    let refused = post_marked(&app, "AUD-2", Some(&reader)).await;
    refused.assert_status(403);
    let anonymous = post_marked(&app, "AUD-3", None).await;
    anonymous.assert_status(401);
    let forged = post_marked(&app, "AUD-4", Some("not.a.token")).await;
    forged.assert_status(401);
    // Reads are not write attempts.
    app.get("/rolie/feeds/incidents", Some(&admin))
        .await
        .assert_status(200);

    let log = app.get("/admin/audit?limit=4", Some(&admin)).await;
    log.assert_status(200);
    let records = log.json();
    let records = records.as_array().expect("a list");
    assert_eq!(records.len(), 4);
    let expected = [
        (&forged, "unauthenticated", "denied", 401),
        (&anonymous, "anonymous", "denied", 401),
        (&refused, "reader", "denied", 403),
        (&allowed, "admin", "allowed", 201),
    ];
    for (record, (response, subject, outcome, status)) in records.iter().zip(expected) {
        assert_eq!(record["subject"], subject, "{record}");
        assert_eq!(
            record["action"], "POST /rolie/feeds/{collection}",
            "{record}"
        );
        assert_eq!(record["resource"], "/rolie/feeds/incidents", "{record}");
        assert_eq!(record["outcome"], outcome, "{record}");
        assert_eq!(record["status"], status, "{record}");
        let request_id = response.header("x-request-id").expect("x-request-id");
        assert_eq!(record["request_id"], request_id, "{record}");
        assert!(record["at"].is_string(), "{record}");
    }
    let seqs: Vec<i64> = records
        .iter()
        .map(|r| r["seq"].as_i64().expect("seq"))
        .collect();
    assert!(
        seqs.windows(2).all(|w| w[0] > w[1]),
        "newest first: {seqs:?}"
    );

    let everything = app.get("/admin/audit?limit=500", Some(&admin)).await;
    everything.assert_status(200);
    assert!(
        !everything.text().contains(MARKER),
        "the audit log holds no request body"
    );
    assert!(
        !everything.text().contains("not.a.token"),
        "nor credentials"
    );
}

/// R-8322-9-a: records of concurrent writes are committed together, and each write still
/// has its own, with its request id, once its answer has arrived.
async fn concurrent_writes_each_leave_their_audit_record(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let before = app.store.list_audit(None, 1000).await.expect("audit").len();
    let writes = (0..32).map(|i| {
        let app = &app;
        let token = token.clone();
        async move {
            app.send(
                app.request(Method::POST, "/rolie/feeds/incidents", Some(&token))
                    .header("content-type", media_type::XML)
                    .header("x-request-id", format!("batch-{i}"))
                    .body(fixtures::incident(&format!("AUDIT-{i}"), "green", "x")),
            )
            .await
        }
    });
    for response in futures::future::join_all(writes).await {
        response.assert_status(201);
    }
    let records = app.store.list_audit(None, 1000).await.expect("audit");
    assert_eq!(records.len() - before, 32);
    let mut ids: Vec<String> = records
        .iter()
        .filter_map(|r| r.record.request_id.clone())
        .filter(|id| id.starts_with("batch-"))
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 32, "one record per request: {ids:?}");
}
