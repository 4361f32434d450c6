//! Requests without working credentials: challenged wherever something is not public, and
//! unable to fill the audit log (R-PROF-AUTHZ-b, R-8322-9-a).

use reqwest::Method;
use rolie_model::vocabulary::media_type;
use rolie_server::rate_limit::RateLimit;
use rolie_testkit::{Backend, TestApp, fixtures, on_both_backends};

on_both_backends!(
    anonymous_requests_for_entries_are_challenged_whether_they_exist_or_not,
    unrouted_and_long_requests_do_not_fill_the_audit_log,
    unauthenticated_floods_are_rate_limited_by_address,
);

/// Anything that is not public answers 401 with the challenges to a caller without
/// credentials, read or write, existing or not. Before, an entry or its content answered
/// 404 while its feed answered 401, so clients that send credentials only when challenged
/// could not log in, and the difference told an existing id from a made-up one.
async fn anonymous_requests_for_entries_are_challenged_whether_they_exist_or_not(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .publish("incidents", &fixtures::incident("ANON-1", "green", "x"))
        .await;
    created.assert_status(201);
    let entry = created.location();
    let content = entry.replace("/rolie/entries/", "/rolie/content/");
    let made_up = "/rolie/entries/01890000-0000-7000-8000-000000000000";
    let made_up_content = "/rolie/content/01890000-0000-7000-8000-000000000000";
    for (method, path) in [
        (Method::GET, entry.as_str()),
        (Method::HEAD, entry.as_str()),
        (Method::DELETE, entry.as_str()),
        (Method::GET, content.as_str()),
        (Method::GET, made_up),
        (Method::DELETE, made_up),
        (Method::GET, made_up_content),
        (Method::GET, "/rolie/feeds/incidents"),
        (Method::GET, "/rolie/feeds/no-such-feed"),
    ] {
        let response = app.send(app.request(method.clone(), path, None)).await;
        assert_eq!(response.status.as_u16(), 401, "{method} {path}");
        assert!(
            response.challenges("Bearer"),
            "{method} {path}: no challenge"
        );
    }
    for path in [entry.as_str(), made_up] {
        let response = app
            .put(path, media_type::ATOM_ENTRY, "<entry/>", None)
            .await;
        assert_eq!(response.status.as_u16(), 401, "PUT {path}");
    }
    assert_eq!(app.entry_count("incidents").await, 1, "nothing was deleted");
}

/// A write to a path no route serves leaves no audit record; a long path or request id is
/// cut before it is stored.
async fn unrouted_and_long_requests_do_not_fill_the_audit_log(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let before = app.store.list_audit(None, 1000).await.expect("audit").len();
    for i in 0..20 {
        app.send(app.request(Method::POST, &format!("/no/route/{i}"), None))
            .await
            .assert_status(404);
    }
    assert_eq!(
        app.store.list_audit(None, 1000).await.expect("audit").len(),
        before,
        "unrouted writes were recorded"
    );
    let long_id = "0".repeat(5000);
    let long = format!("/rolie/entries/{}", "a".repeat(5000));
    app.send(
        app.request(Method::DELETE, &long, Some(&app.admin_token()))
            .header("x-request-id", &long_id),
    )
    .await;
    let records = app.store.list_audit(None, 10).await.expect("audit");
    let last = &records[0].record;
    assert!(
        last.resource.chars().count() <= 256,
        "{}",
        last.resource.len()
    );
    assert!(
        last.request_id.as_deref().unwrap_or("").chars().count() <= 256,
        "request id kept whole"
    );
}

/// Requests without working credentials are limited per address: a flood of bad tokens
/// gets 429 after the burst, and only what passed the limit is recorded.
async fn unauthenticated_floods_are_rate_limited_by_address(backend: Backend) {
    let app = TestApp::builder(backend)
        .configure(|c| {
            c.anonymous_rate_limit = Some(RateLimit {
                per_minute: 1,
                burst: 5,
            });
        })
        .spawn()
        .await;
    let before = app.store.list_audit(None, 1000).await.expect("audit").len();
    let mut statuses = Vec::new();
    for i in 0..20 {
        let token = if i % 2 == 0 {
            Some("not-a-token")
        } else {
            None
        };
        let response = app
            .post(
                "/rolie/feeds/incidents",
                media_type::XML,
                fixtures::incident("FLOOD", "green", "x"),
                token,
            )
            .await;
        statuses.push(response.status.as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 401).count(),
        5,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        15,
        "{statuses:?}"
    );
    let recorded = app.store.list_audit(None, 1000).await.expect("audit").len() - before;
    assert_eq!(
        recorded, 5,
        "only the requests within the limit are recorded"
    );
    // An authenticated caller from the same address is not held back by it.
    app.publish("incidents", &fixtures::incident("AFTER", "green", "x"))
        .await
        .assert_status(201);
}
