//! Collection feeds: the ROLIE feed head, paging, feed `updated`, conditional GET,
//! negotiation, compression, filters.

use std::collections::{HashMap, HashSet};
use std::io::Read;

use reqwest::Method;
use rolie_model::vocabulary::{rel, scheme};
use rolie_model::{Feed, Restriction};
use rolie_testkit::{Backend, TestApp, fixtures, on_both_backends, oracle};

on_both_backends!(
    a_feed_is_a_rolie_feed_with_service_and_paging_links,
    feed_updated_is_the_last_change_and_moves_on_every_write,
    a_page_walk_with_concurrent_posts_sees_each_older_entry_exactly_once,
    paging_links_chain_both_ways,
    bad_limits_and_forged_cursors_are_400,
    a_matching_etag_gets_304_without_a_body,
    head_answers_with_the_headers_of_get,
    compressed_bodies_carry_coding_specific_etags,
    an_accept_naming_nothing_served_gets_the_default_and_an_exclusion_gets_406,
    filters_select_in_the_query,
);

async fn feed(app: &TestApp, path: &str, token: &str) -> Feed {
    let response = app.get(path, Some(token)).await;
    response.assert_status(200);
    assert_eq!(
        response.header("content-type"),
        Some("application/atom+xml;type=feed;charset=utf-8")
    );
    oracle::feed(&response.body)
}

fn link(feed: &Feed, relation: &str) -> Option<String> {
    feed.link(relation).map(|l| l.href.clone())
}

/// R-8322-6.1-a, R-8322-6.1-c, R-8322-6.1.2-a, R-4287-4.1.1-b/c, R-PROF-PAGE-a, A26
async fn a_feed_is_a_rolie_feed_with_service_and_paging_links(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.publish("incidents", &fixtures::incident("F-1", "green", "first"))
        .await
        .assert_status(201);
    let token = app.admin_token();
    let f = feed(&app, "/rolie/feeds/incidents", &token).await;
    assert!(f.id.starts_with("urn:uuid:"));
    let types: Vec<_> = f
        .categories
        .iter()
        .filter(|c| c.scheme.as_deref() == Some(scheme::INFORMATION_TYPE))
        .collect();
    assert_eq!(types.len(), 1);
    assert_eq!(types[0].term, "incident");
    assert_eq!(
        link(&f, rel::SERVICE),
        Some(format!("{}/rolie/servicedocument", app.base_url))
    );
    assert_eq!(
        link(&f, rel::SELF),
        Some(format!("{}/rolie/feeds/incidents", app.base_url))
    );
    assert!(link(&f, rel::FIRST).is_some() && link(&f, rel::LAST).is_some());
    assert!(link(&f, rel::NEXT).is_none() && link(&f, rel::PREVIOUS).is_none());
    assert!(!f.authors.is_empty());
    assert!(f.generator.is_some());
    assert_eq!(f.entries.len(), 1);
    let e = &f.entries[0];
    assert_eq!(
        e.category_terms(scheme::INFORMATION_TYPE)
            .collect::<Vec<_>>(),
        ["incident"],
        "A8: entries carry the type in feeds too"
    );
    assert!(e.summary.is_some(), "R-4287-4.1.2-c");
    assert!(e.link(rel::EDIT).is_some() && e.link(rel::COLLECTION).is_some());
    // The same id on every page (A10).
    let second = feed(&app, &link(&f, rel::LAST).expect("last"), &token).await;
    assert_eq!(second.id, f.id);
}

/// R-8322-6.1.3-a, R-PROF-TIME-a
async fn feed_updated_is_the_last_change_and_moves_on_every_write(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let u0 = feed(&app, "/rolie/feeds/incidents", &token).await.updated;
    assert_eq!(
        feed(&app, "/rolie/feeds/incidents", &token).await.updated,
        u0,
        "not \"now\""
    );
    let created = app
        .publish("incidents", &fixtures::incident("U-1", "green", "x"))
        .await;
    created.assert_status(201);
    let u1 = feed(&app, "/rolie/feeds/incidents", &token).await.updated;
    assert!(u1 > u0);
    let location = created.location();
    let entry = app.get(&location, Some(&token)).await;
    let put = app
        .put(
            &location,
            "application/atom+xml;type=entry",
            entry.body.clone(),
            Some(&token),
        )
        .await;
    put.assert_status(200);
    let u2 = feed(&app, "/rolie/feeds/incidents", &token).await.updated;
    assert!(u2 > u1, "PUT moves the feed");
    app.delete(&location, Some(&token)).await.assert_status(204);
    let f = feed(&app, "/rolie/feeds/incidents", &token).await;
    assert!(f.updated > u2, "DELETE moves the feed");
    assert!(f.entries.is_empty());
}

/// R-PROF-PAGE-a, R-PROF-PAGE-b, R-5023-10-a, R-8322-6.1.2-c
async fn a_page_walk_with_concurrent_posts_sees_each_older_entry_exactly_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    for i in 0..30 {
        app.publish(
            "incidents",
            &fixtures::incident(&format!("W-{i}"), "green", "before the walk"),
        )
        .await
        .assert_status(201);
    }
    let before: HashSet<String> = collect_ids(&app, &token).await.into_iter().collect();
    assert_eq!(before.len(), 30);
    let writer = {
        let token = token.clone();
        let base = app.base_url.clone();
        let client = app.client().clone();
        tokio::spawn(async move {
            for i in 0..20 {
                let response = client
                    .post(format!("{base}/rolie/feeds/incidents"))
                    .bearer_auth(&token)
                    .header("content-type", "application/xml")
                    .body(fixtures::incident(
                        &format!("N-{i}"),
                        "green",
                        "during the walk",
                    ))
                    .send()
                    .await
                    .expect("post");
                assert_eq!(response.status(), 201);
            }
        })
    };
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut next = Some("/rolie/feeds/incidents?limit=7".to_owned());
    let mut last_edited = None;
    while let Some(path) = next {
        let page = feed(&app, &path, &token).await;
        for e in &page.entries {
            *seen.entry(e.id.clone()).or_default() += 1;
            if before.contains(&e.id) {
                if let (Some(previous), Some(edited)) = (last_edited, e.edited) {
                    assert!(edited <= previous, "non-increasing app:edited across pages");
                }
                last_edited = e.edited;
            }
        }
        next = link(&page, rel::NEXT);
        tokio::task::yield_now().await;
    }
    writer.await.expect("writer");
    for id in &before {
        assert_eq!(seen.get(id), Some(&1), "{id} must be seen exactly once");
    }
    assert!(seen.values().all(|n| *n == 1), "no entry twice");
}

async fn collect_ids(app: &TestApp, token: &str) -> Vec<String> {
    let mut ids = Vec::new();
    let mut next = Some("/rolie/feeds/incidents?limit=50".to_owned());
    while let Some(path) = next {
        let page = feed(app, &path, token).await;
        ids.extend(page.entries.iter().map(|e| e.id.clone()));
        next = link(&page, rel::NEXT);
    }
    ids
}

/// R-8322-6.1.2-b, R-5005-3-a, A4 (`previous`, never `prev`)
async fn paging_links_chain_both_ways(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    for i in 0..11 {
        app.publish(
            "incidents",
            &fixtures::incident(&format!("P-{i}"), "green", "page"),
        )
        .await
        .assert_status(201);
    }
    let first = feed(&app, "/rolie/feeds/incidents?limit=4", &token).await;
    assert!(link(&first, rel::PREVIOUS).is_none() && link(&first, rel::NEXT).is_some());
    assert!(link(&first, "prev").is_none());
    let middle = feed(&app, &link(&first, rel::NEXT).expect("next"), &token).await;
    for r in [rel::FIRST, rel::LAST, rel::PREVIOUS, rel::NEXT] {
        assert!(link(&middle, r).is_some(), "middle page has {r}");
    }
    assert!(
        link(&middle, rel::NEXT).expect("next").contains("limit=4"),
        "paging links keep the limit"
    );
    let last = feed(&app, &link(&first, rel::LAST).expect("last"), &token).await;
    assert!(link(&last, rel::NEXT).is_none() && link(&last, rel::PREVIOUS).is_some());
    assert_eq!(last.entries.len(), 4);
    let mut backwards = Vec::new();
    let mut page = last;
    loop {
        backwards.splice(0..0, page.entries.iter().map(|e| e.id.clone()));
        match link(&page, rel::PREVIOUS) {
            Some(previous) => page = feed(&app, &previous, &token).await,
            None => break,
        }
    }
    let mut forwards = Vec::new();
    let mut page = first;
    loop {
        forwards.extend(page.entries.iter().map(|e| e.id.clone()));
        match link(&page, rel::NEXT) {
            Some(next) => page = feed(&app, &next, &token).await,
            None => break,
        }
    }
    assert_eq!(forwards.len(), 11);
    assert_eq!(backwards, forwards);
}

/// R-PROF-POST-c (400), robustness of query parameters
async fn bad_limits_and_forged_cursors_are_400(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    for query in [
        "limit=0",
        "limit=100000",
        "limit=-1",
        "limit=abc",
        "cursor=AAAA",
        "cursor=%00%27%3B",
        "updated-since=yesterday",
        "category-scheme=x",
    ] {
        app.get(&format!("/rolie/feeds/incidents?{query}"), Some(&token))
            .await
            .assert_status(400);
    }
    app.get(
        "/rolie/feeds/incidents?limit=500&unknown=ignored",
        Some(&token),
    )
    .await
    .assert_status(200);
}

/// R-HTTP-cond-a on the service document, feeds, entries and content
async fn a_matching_etag_gets_304_without_a_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let created = app
        .publish("incidents", &fixtures::incident("C-1", "green", "cond"))
        .await;
    let entry = created.location();
    let content = oracle::entry(&created.body)
        .link(rel::EDIT_MEDIA)
        .expect("edit-media")
        .href
        .clone();
    for path in [
        "/rolie/servicedocument",
        "/rolie/feeds/incidents",
        entry.as_str(),
        content.as_str(),
    ] {
        let first = app.get(path, Some(&token)).await;
        first.assert_status(200);
        let etag = first.header("etag").expect("etag").to_owned();
        assert!(
            etag.starts_with('"') && !etag.starts_with("W/"),
            "strong ETag on {path}"
        );
        let again = app
            .send(
                app.request(Method::GET, path, Some(&token))
                    .header("if-none-match", &etag),
            )
            .await;
        again.assert_status(304);
        assert!(again.body.is_empty());
        assert_eq!(again.header("etag"), Some(etag.as_str()));
        if let Some(modified) = first.header("last-modified") {
            let by_date = app
                .send(
                    app.request(Method::GET, path, Some(&token))
                        .header("if-modified-since", modified),
                )
                .await;
            by_date.assert_status(304);
        }
    }
    let feed_etag = app
        .get("/rolie/feeds/incidents", Some(&token))
        .await
        .header("etag")
        .expect("etag")
        .to_owned();
    app.publish("incidents", &fixtures::incident("C-2", "green", "change"))
        .await
        .assert_status(201);
    let after = app
        .send(
            app.request(Method::GET, "/rolie/feeds/incidents", Some(&token))
                .header("if-none-match", &feed_etag),
        )
        .await;
    after.assert_status(200);
    // Another caller's ETag is another representation.
    let reader = app.token("reader", "rolie:read", Restriction::Public);
    let theirs = app.get("/rolie/feeds/incidents", Some(&reader)).await;
    assert_ne!(theirs.header("etag"), after.header("etag"));
}

/// R-HTTP-head-a
async fn head_answers_with_the_headers_of_get(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let created = app
        .publish("incidents", &fixtures::incident("H-1", "green", "head"))
        .await;
    let entry = created.location();
    let content = oracle::entry(&created.body)
        .link(rel::EDIT_MEDIA)
        .expect("edit-media")
        .href
        .clone();
    for path in [
        "/rolie/servicedocument",
        "/rolie/feeds/incidents",
        entry.as_str(),
        content.as_str(),
        "/rolie/categories/iodef-purpose",
    ] {
        // Compared without content coding: HEAD has no body to compress.
        let get = app
            .send(
                app.request(Method::GET, path, Some(&token))
                    .header("accept-encoding", "identity"),
            )
            .await;
        let head = app
            .send(
                app.request(Method::HEAD, path, Some(&token))
                    .header("accept-encoding", "identity"),
            )
            .await;
        head.assert_status(200);
        assert!(head.body.is_empty());
        for name in [
            "content-type",
            "etag",
            "last-modified",
            "cache-control",
            "vary",
            "x-content-type-options",
        ] {
            assert_eq!(
                head.header_all(name),
                get.header_all(name),
                "{name} on {path}"
            );
        }
        assert_eq!(
            head.header("content-length"),
            Some(get.body.len().to_string().as_str()),
            "content-length on {path}"
        );
    }
}

/// RFC 9110 §8.8.3: a compressed body has its own strong ETag; gzip decodes to the identity
/// body; the coded tag revalidates.
async fn compressed_bodies_carry_coding_specific_etags(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    for i in 0..5 {
        app.publish(
            "incidents",
            &fixtures::incident(&format!("Z-{i}"), "green", "compress me please"),
        )
        .await;
    }
    // The bytes on the wire: the raw client decodes nothing.
    let raw = app.raw_client();
    let url = app.url("/rolie/feeds/incidents");
    let plain = app.send(raw.get(&url).bearer_auth(&token)).await;
    let gzip = app
        .send(
            raw.get(&url)
                .bearer_auth(&token)
                .header("accept-encoding", "gzip"),
        )
        .await;
    gzip.assert_status(200);
    assert_eq!(gzip.header("content-encoding"), Some("gzip"));
    let plain_tag = plain.header("etag").expect("etag");
    let gzip_tag = gzip.header("etag").expect("etag");
    assert_eq!(
        gzip_tag,
        format!("{}-gzip\"", plain_tag.trim_end_matches('"'))
    );
    assert!(
        gzip.header_all("vary")
            .iter()
            .any(|v| v.eq_ignore_ascii_case("accept-encoding"))
    );
    let mut decoded = Vec::new();
    flate2::read::GzDecoder::new(&gzip.body[..])
        .read_to_end(&mut decoded)
        .expect("gzip");
    assert_eq!(decoded, plain.body);
    let revalidated = app
        .send(
            raw.get(&url)
                .bearer_auth(&token)
                .header("accept-encoding", "gzip")
                .header("if-none-match", gzip_tag),
        )
        .await;
    revalidated.assert_status(304);
    let br = app
        .send(
            raw.get(&url)
                .bearer_auth(&token)
                .header("accept-encoding", "br"),
        )
        .await;
    assert_eq!(br.header("content-encoding"), Some("br"));
    assert!(br.header("etag").expect("etag").ends_with("-br\""));
}

/// R-HTTP-neg-a, A22; RFC 9110 §12.5.1: an `Accept` naming nothing we serve gets the
/// feed anyway, with `Vary: Accept` (golie sends only `application/json`); a client that
/// excludes Atom explicitly gets 406.
async fn an_accept_naming_nothing_served_gets_the_default_and_an_exclusion_gets_406(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    for accept in ["application/atom+xml;q=0", "application/json, */*;q=0"] {
        let response = app
            .send(
                app.request(Method::GET, "/rolie/feeds/incidents", Some(&token))
                    .header("accept", accept),
            )
            .await;
        response.assert_problem(406, "application/atom+xml");
    }
    for accept in [
        "application/json",
        "application/atom+xml;type=entry",
        "application/atom+xml",
        "application/atom+xml;type=feed",
        "*/*",
    ] {
        let response = app
            .send(
                app.request(Method::GET, "/rolie/feeds/incidents", Some(&token))
                    .header("accept", accept),
            )
            .await;
        response.assert_status(200);
        assert!(
            response
                .header("content-type")
                .unwrap_or_default()
                .starts_with("application/atom+xml"),
            "{accept}"
        );
        assert!(
            response
                .header("vary")
                .unwrap_or_default()
                .contains("Accept"),
            "{accept}"
        );
    }
    // A client that prefers HTML gets the feed's page, also when it excludes Atom
    // (docs/pages.md).
    for accept in [
        "text/html",
        "text/html, application/*;q=0.5",
        "text/html, application/*;q=0",
    ] {
        let response = app
            .send(
                app.request(Method::GET, "/rolie/feeds/incidents", Some(&token))
                    .header("accept", accept),
            )
            .await;
        response.assert_status(200);
        assert_eq!(
            response.header("content-type"),
            Some("text/html; charset=utf-8"),
            "{accept}"
        );
    }
    for path in ["/rolie/servicedocument", "/rolie/categories/iodef-purpose"] {
        let response = app
            .send(
                app.request(Method::GET, path, Some(&token))
                    .header("accept", "application/json"),
            )
            .await;
        response.assert_status(200);
    }
}

async fn filters_select_in_the_query(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    app.publish(
        "incidents",
        &fixtures::incident("Q-1", "green", "Phishing wave against webmail"),
    )
    .await
    .assert_status(201);
    app.publish(
        "incidents",
        &fixtures::incident("Q-2", "amber", "Ransomware at the hospital"),
    )
    .await
    .assert_status(201);
    let phishing = feed(&app, "/rolie/feeds/incidents?q=phishing", &token).await;
    assert_eq!(phishing.entries.len(), 1);
    assert!(phishing.entries[0].title.as_plain().contains("Phishing"));
    let amber = feed(&app, "/rolie/feeds/incidents?category=amber&category-scheme=urn:ietf:params:rolie:category:csirt:iodef:restriction", &token).await;
    assert_eq!(amber.entries.len(), 1);
    assert!(
        link(&amber, rel::SELF)
            .expect("self")
            .contains("category=amber")
    );
    let future = feed(
        &app,
        "/rolie/feeds/incidents?updated-since=2999-01-01T00:00:00Z",
        &token,
    )
    .await;
    assert!(future.entries.is_empty());
}
