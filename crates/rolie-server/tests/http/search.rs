//! OpenSearch 1.1 on every feed: autodiscovery, a description whose template the feed
//! really serves, and the feed head naming its collection.

use rolie_model::vocabulary::{media_type, ns, rel};
use rolie_model::{Restriction, opensearch};
use rolie_testkit::{Backend, TestApp, fixtures, on_both_backends, oracle, spec};

on_both_backends!(
    every_feed_page_links_a_description_that_passes_the_opensearch_rules,
    a_template_filled_in_by_a_client_returns_the_matching_entries,
    the_feed_head_says_where_to_post,
    a_collection_the_caller_cannot_read_has_no_description_for_it,
    entries_are_found_by_property_and_by_words_of_their_document,
    search_results_count_only_what_the_caller_may_read,
);

/// The description of the incidents feed, found the way a client finds it.
async fn description(app: &TestApp, token: &str) -> (String, String) {
    let feed = oracle::feed(&app.get("/rolie/feeds/incidents", Some(token)).await.body);
    let link = feed
        .link(rel::SEARCH)
        .expect("R-OS11-auto-a: a search link");
    assert_eq!(link.media_type.as_deref(), Some(media_type::OPENSEARCH));
    let response = app.get(&link.href, Some(token)).await;
    response.assert_status(200);
    assert_eq!(
        response.header("content-type"),
        Some("application/opensearchdescription+xml;charset=utf-8"),
        "R-OS11-type-a"
    );
    (link.href.clone(), response.text())
}

/// R-OS11-auto-a, R-OS11-ns-a, R-OS11-desc-a, R-OS11-desc-b
async fn every_feed_page_links_a_description_that_passes_the_opensearch_rules(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let (_, text) = description(&app, &token).await;
    let document = roxmltree::Document::parse(&text).expect("well-formed");
    let root = document.root_element();
    assert_eq!(root.tag_name().name(), "OpenSearchDescription");
    assert_eq!(root.tag_name().namespace(), Some(ns::OPENSEARCH));
    let children = |name: &str| {
        root.children()
            .filter(|c| c.is_element() && c.tag_name().name() == name)
            .collect::<Vec<_>>()
    };
    let short = children("ShortName");
    assert_eq!(short.len(), 1);
    assert!(short[0].text().unwrap_or("").chars().count() <= 16);
    assert_eq!(children("Description").len(), 1);
    let urls = children("Url");
    assert!(!urls.is_empty());
    let atom = urls
        .iter()
        .find(|u| u.attribute("type") == Some(media_type::ATOM_FEED))
        .expect("an Atom results template");
    let template = atom.attribute("template").expect("template");
    assert!(template.contains("{searchTerms}"));
    for prefix in ["time:", "rs:"] {
        let (declared, _) = prefix.split_at(prefix.len() - 1);
        assert!(
            !template.contains(&format!("{{{prefix}"))
                || root.lookup_namespace_uri(Some(declared)).is_some(),
            "prefix {declared} is declared"
        );
    }
    assert_eq!(
        root.lookup_namespace_uri(Some("time")),
        Some(opensearch::TIME_EXTENSION)
    );
}

/// Replaces every template parameter: the search terms by `terms`, the optional ones by
/// nothing, as OpenSearch clients do (R-OS11-tmpl-a).
fn fill(template: &str, terms: &str) -> String {
    let mut url = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        url.push_str(&rest[..open]);
        let close = rest[open..].find('}').expect("closed parameter") + open;
        if &rest[open + 1..close] == "searchTerms" {
            url.push_str(terms);
        }
        rest = &rest[close + 1..];
    }
    url.push_str(rest);
    url
}

/// R-OS11-tmpl-a, R-OS11-resp-a: the filled template is a feed of the matching entries.
async fn a_template_filled_in_by_a_client_returns_the_matching_entries(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    for (id, text) in [("S-1", "phishing wave against banks"), ("S-2", "port scan")] {
        app.publish("incidents", &fixtures::incident(id, "green", text))
            .await
            .assert_status(201);
    }
    let (_, text) = description(&app, &token).await;
    let document = roxmltree::Document::parse(&text).expect("well-formed");
    let template = document
        .descendants()
        .find(|n| n.tag_name().name() == "Url")
        .and_then(|u| u.attribute("template"))
        .expect("template")
        .to_owned();
    let response = app.get(&fill(&template, "phishing"), Some(&token)).await;
    response.assert_status(200);
    let feed = oracle::feed(&response.body);
    assert_eq!(feed.entries.len(), 1);
    assert!(feed.entries[0].title.as_plain().contains("phishing"));
}

/// R-5023-8-e: the feed head carries app:collection with the feed's POST target.
async fn the_feed_head_says_where_to_post(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let body = app.get("/rolie/feeds/incidents", Some(&token)).await.text();
    let document = roxmltree::Document::parse(&body).expect("well-formed");
    let collection = document
        .root_element()
        .children()
        .find(|c| {
            c.is_element()
                && c.tag_name().namespace() == Some(ns::APP)
                && c.tag_name().name() == "collection"
        })
        .expect("app:collection in the feed head");
    assert_eq!(
        collection.attribute("href"),
        Some(app.url("/rolie/feeds/incidents").as_str())
    );
    let accepts: Vec<&str> = collection
        .children()
        .filter(|c| c.tag_name().name() == "accept")
        .filter_map(|c| c.text())
        .collect();
    assert!(accepts.contains(&media_type::XML), "{accepts:?}");
}

/// A description says a collection exists: a caller who may not read it gets the same
/// answer as for a collection that does not exist.
async fn a_collection_the_caller_cannot_read_has_no_description_for_it(backend: Backend) {
    let app = TestApp::builder(backend)
        .collection(spec("secret", "incident", Restriction::Private, false))
        .spawn()
        .await;
    let narrow = app.token("narrow", "rolie:read:incidents", Restriction::Private);
    let hidden = app.get("/rolie/opensearch/secret", Some(&narrow)).await;
    let absent = app
        .get("/rolie/opensearch/nothing-here", Some(&narrow))
        .await;
    assert_eq!(hidden.status, absent.status);
    assert_eq!(hidden.status, 404);
    app.get("/rolie/opensearch/incidents", Some(&narrow))
        .await
        .assert_status(200);
}

/// Search by `content-id` (the IncidentID) and by a word that appears only inside the IODEF
/// document, as a poller looking for one incident would.
async fn entries_are_found_by_property_and_by_words_of_their_document(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    for (id, text) in [("FIND-1", "credential stuffing"), ("FIND-2", "port scan")] {
        app.publish("incidents", &fixtures::incident(id, "green", text))
            .await
            .assert_status(201);
    }
    let found = |query: &str| {
        let app = &app;
        let token = token.clone();
        let query = query.to_owned();
        async move {
            let response = app
                .get(&format!("/rolie/feeds/incidents?{query}"), Some(&token))
                .await;
            response.assert_status(200);
            oracle::feed(&response.body)
                .entries
                .iter()
                .flat_map(|e| {
                    e.property_values(rolie_model::vocabulary::property::CONTENT_ID)
                        .map(str::to_owned)
                        .collect::<Vec<_>>()
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        found("property=urn%3Aietf%3Aparams%3Arolie%3Aproperty%3Acontent-id&property-value=FIND-2")
            .await,
        ["FIND-2"]
    );
    // "EmailTo" is an element of the document, not of the title or summary.
    assert_eq!(found("q=stuffing").await, ["FIND-1"]);
    assert_eq!(found("q=emailto&limit=10").await.len(), 2);
    app.get("/rolie/feeds/incidents?property=urn%3Ax", Some(&token))
        .await
        .assert_problem(400, "property and property-value go together");
}

/// The `opensearch:` element `local` of a feed document, if there is one.
fn opensearch_value(body: &[u8], local: &str) -> Option<String> {
    let text = std::str::from_utf8(body).expect("UTF-8");
    let document = roxmltree::Document::parse(text).expect("XML");
    document
        .root_element()
        .children()
        .find(|n| n.tag_name().namespace() == Some(ns::OPENSEARCH) && n.tag_name().name() == local)
        .and_then(|n| n.text().map(str::to_owned))
}

/// Issue (search, R-OS11): search results carry `opensearch:totalResults`, the number of
/// matching entries on every page together, counted as the caller sees them: a reader
/// cleared for green is never told how many red entries match (R-PROF-AUTHZ-b). Plain feed
/// pages carry none.
async fn search_results_count_only_what_the_caller_may_read(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for (id, level) in [
        ("COUNT-1", "green"),
        ("COUNT-2", "green"),
        ("COUNT-3", "green"),
        ("COUNT-4", "red"),
        ("COUNT-5", "red"),
    ] {
        app.publish(
            "incidents",
            &fixtures::incident(id, level, "Credential phishing wave"),
        )
        .await
        .assert_status(201);
    }
    app.publish(
        "incidents",
        &fixtures::incident("OTHER-1", "green", "Unrelated"),
    )
    .await
    .assert_status(201);
    let admin = app.admin_token();
    let green = app.token("reader", "rolie:read", Restriction::Partner);
    let search = "/rolie/feeds/incidents?q=phishing&limit=2";
    for (token, expected) in [(&admin, "5"), (&green, "3")] {
        let response = app.get(search, Some(token)).await;
        response.assert_status(200);
        oracle::feed(&response.body);
        assert_eq!(
            opensearch_value(&response.body, "totalResults").as_deref(),
            Some(expected)
        );
        assert_eq!(
            opensearch_value(&response.body, "itemsPerPage").as_deref(),
            Some("2")
        );
        // The second page says the same.
        let first = oracle::feed(&response.body);
        let next = &first.link(rel::NEXT).expect("a second page").href;
        let next = app
            .get(&next[next.find("/rolie/").expect("a path")..], Some(token))
            .await;
        assert_eq!(
            opensearch_value(&next.body, "totalResults").as_deref(),
            Some(expected)
        );
    }
    let plain = app.get("/rolie/feeds/incidents", Some(&admin)).await;
    assert_eq!(opensearch_value(&plain.body, "totalResults"), None);
}
