//! The render cache: representations are kept under their validator, so a cached page is
//! never served after a change its caller can see, never crosses from one caller's view to
//! another's, and decodes to the same bytes in every coding.

use reqwest::Method;
use rolie_model::Restriction;
use rolie_model::vocabulary::media_type;
use rolie_testkit::{Backend, TestApp, fixtures, on_both_backends, oracle};

on_both_backends!(
    a_cached_feed_is_never_served_after_a_visible_write,
    cached_feeds_do_not_cross_between_views,
    a_cached_entry_follows_its_revisions_in_every_coding,
);

/// What this process keeps between requests (collections, each view's change counters) is
/// dropped when another process writes the database: a second connection, as `rolie
/// import` next to a running server would be, publishes an entry, and the feed shows it
/// within the watch interval (100 ms) instead of answering 304 for ever.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_process_writing_the_database_is_noticed() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.admin_token();
    app.publish("incidents", &fixtures::incident("P-1", "green", "first"))
        .await
        .assert_status(201);
    let first = app.get("/rolie/feeds/incidents", Some(&token)).await;
    let etag = first.header("etag").expect("ETag").to_owned();
    // Warm what the server keeps.
    let again = app
        .send(
            app.request(Method::GET, "/rolie/feeds/incidents", Some(&token))
                .header("if-none-match", &etag),
        )
        .await;
    again.assert_status(304);
    let other = app.db.open().await;
    let mut entry = rolie_store::conformance::sample_entry("incidents", 7);
    entry.data.restriction = Restriction::Partner;
    other
        .create_entry(entry)
        .await
        .expect("written by another connection");
    let mut seen = false;
    for _ in 0..50 {
        let response = app
            .send(
                app.request(Method::GET, "/rolie/feeds/incidents", Some(&token))
                    .header("if-none-match", &etag),
            )
            .await;
        if response.status.as_u16() == 200 {
            assert_eq!(oracle::feed(&response.body).entries.len(), 2);
            seen = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(seen, "the other connection's entry never showed");
}

/// The feed as `token` sees it, decoded, with its ETag.
async fn feed(app: &TestApp, token: &str, coding: &str) -> (Vec<u8>, String) {
    let response = app
        .send(
            app.raw_client()
                .get(app.url("/rolie/feeds/incidents"))
                .bearer_auth(token)
                .header("accept-encoding", coding),
        )
        .await;
    response.assert_status(200);
    let etag = response.header("etag").expect("ETag").to_owned();
    (response.decoded().expect("decodes"), etag)
}

/// R-8322-6.1.3-a, R-HTTP-cond-a: the second request is answered from the cache with the
/// same bytes; a publication moves the validator, and the next request shows it.
async fn a_cached_feed_is_never_served_after_a_visible_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    app.publish("incidents", &fixtures::incident("C-1", "green", "first"))
        .await
        .assert_status(201);
    let first = feed(&app, &token, "gzip").await;
    assert_eq!(
        feed(&app, &token, "gzip").await,
        first,
        "same state, same bytes"
    );
    let plain = feed(&app, &token, "identity").await;
    assert_eq!(plain.0, first.0, "gzip decodes to the identity bytes");
    let second = app
        .publish("incidents", &fixtures::incident("C-2", "green", "second"))
        .await;
    second.assert_status(201);
    let after = feed(&app, &token, "gzip").await;
    assert_ne!(after.1, first.1);
    assert_eq!(oracle::feed(&after.0).entries.len(), 2);
    app.delete(&second.location(), Some(&token))
        .await
        .assert_status(204);
    let gone = feed(&app, &token, "br").await;
    assert_eq!(oracle::feed(&gone.0).entries.len(), 1, "the deletion shows");
}

/// R-PROF-AUTHZ-c: a green reader and a red reader asking for the same page at the same
/// moment get their own pages, however the cache is filled.
async fn cached_feeds_do_not_cross_between_views(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.publish("incidents", &fixtures::incident("V-1", "green", "open"))
        .await
        .assert_status(201);
    app.publish("incidents", &fixtures::incident("V-2", "red", "secret"))
        .await
        .assert_status(201);
    let red = app.token("red", "rolie:read", Restriction::Private);
    let green = app.token("green", "rolie:read", Restriction::Partner);
    for _ in 0..2 {
        let (red_feed, _) = feed(&app, &red, "gzip").await;
        let (green_feed, _) = feed(&app, &green, "gzip").await;
        assert_eq!(oracle::feed(&red_feed).entries.len(), 2);
        let green_entries = oracle::feed(&green_feed).entries;
        assert_eq!(green_entries.len(), 1);
        assert!(!String::from_utf8_lossy(&green_feed).contains("secret"));
    }
}

/// An entry document is rendered once for everyone who may see it, and a revision is
/// served at once in every coding.
async fn a_cached_entry_follows_its_revisions_in_every_coding(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let created = app
        .publish("incidents", &fixtures::incident("E-1", "green", "before"))
        .await;
    created.assert_status(201);
    let location = created.location();
    let media = location.replace("/rolie/entries/", "/rolie/content/");
    let get = |coding: &'static str| {
        let app = &app;
        let token = token.clone();
        let location = location.clone();
        async move {
            let response = app
                .send(
                    app.raw_client()
                        .get(app.url(&location))
                        .bearer_auth(&token)
                        .header("accept-encoding", coding),
                )
                .await;
            response.assert_status(200);
            String::from_utf8(response.decoded().expect("decodes")).expect("UTF-8")
        }
    };
    for coding in ["identity", "gzip", "br", "deflate"] {
        assert!(get(coding).await.contains("before"), "{coding}");
    }
    let etag = app
        .send(
            app.request(Method::GET, &media, Some(&token))
                .header("accept-encoding", "identity"),
        )
        .await
        .header("etag")
        .expect("ETag")
        .to_owned();
    app.send(
        app.request(Method::PUT, &media, Some(&token))
            .header("content-type", media_type::XML)
            .header("if-match", etag)
            .body(fixtures::incident("E-1", "green", "after")),
    )
    .await
    .assert_status(204);
    for coding in ["identity", "gzip", "br", "deflate"] {
        let text = get(coding).await;
        assert!(
            text.contains("after") && !text.contains("before"),
            "{coding}: {text}"
        );
    }
}
