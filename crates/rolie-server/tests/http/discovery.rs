//! Service document, category documents, the home page, health.

use rolie_model::Categories;
use rolie_model::vocabulary::{media_type, ns, scheme};
use rolie_testkit::{Backend, TestApp, on_both_backends, oracle};

on_both_backends!(
    the_service_document_lists_every_collection_with_its_information_type,
    category_documents_are_served_for_every_referenced_href,
    the_home_page_links_the_service_document,
    readiness_reports_the_database,
);

/// R-8322-5.1-a, R-5023-5.1-a, R-5023-8-a/b/c, R-8322-5.1.2-a, R-PROF-URI-a
async fn the_service_document_lists_every_collection_with_its_information_type(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app
        .send(
            app.request(
                reqwest::Method::GET,
                "/rolie/servicedocument",
                Some(&app.admin_token()),
            )
            .header("accept", media_type::ATOM_SERVICE),
        )
        .await;
    response.assert_status(200);
    assert_eq!(
        response.header("content-type"),
        Some("application/atomsvc+xml;charset=utf-8")
    );
    assert!(response.header("etag").is_some());
    assert!(response.text().contains(&format!("xmlns=\"{}\"", ns::APP)));
    let document = oracle::service_document(&response.body);
    let collections: Vec<_> = document
        .workspaces
        .iter()
        .flat_map(|w| w.collections.iter())
        .collect();
    assert_eq!(collections.len(), 2);
    for collection in collections {
        assert!(
            collection.href.starts_with(&app.base_url),
            "absolute href {}",
            collection.href
        );
        let inline: Vec<_> = collection
            .categories
            .iter()
            .filter_map(|c| match c {
                Categories::Inline {
                    categories, fixed, ..
                } => Some((categories, fixed)),
                Categories::OutOfLine { .. } => None,
            })
            .collect();
        assert_eq!(inline.len(), 1);
        let (categories, fixed) = inline[0];
        assert_eq!(*fixed, Some(true));
        let types: Vec<_> = categories
            .iter()
            .filter(|c| c.scheme.as_deref() == Some(scheme::INFORMATION_TYPE))
            .collect();
        assert_eq!(
            types.len(),
            1,
            "exactly one information-type category (R-8322-5.1.2-a)"
        );
        assert!(collection.accept.iter().any(|a| a == media_type::XML));
        // R-8322-5.1.2-c: the collection's categories are the feed's.
        let feed = app.get(&collection.href, Some(&app.admin_token())).await;
        let feed = oracle::feed(&feed.body);
        assert_eq!(feed.categories, *categories);
    }
}

/// R-8322-5.2-a, R-5023-7-b, R-5023-7-c
async fn category_documents_are_served_for_every_referenced_href(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let service = app.get("/rolie/servicedocument", Some(&token)).await;
    let document = oracle::service_document(&service.body);
    let hrefs: Vec<String> = document
        .workspaces
        .iter()
        .flat_map(|w| w.collections.iter())
        .flat_map(|c| c.categories.iter())
        .filter_map(|c| match c {
            Categories::OutOfLine { href } => Some(href.clone()),
            Categories::Inline { .. } => None,
        })
        .collect();
    assert!(!hrefs.is_empty());
    for href in hrefs {
        let response = app.get(&href, None).await;
        response.assert_status(200);
        assert_eq!(
            response.header("content-type"),
            Some("application/atomcat+xml;charset=utf-8")
        );
        let document = rolie_model::read_category_document(&response.body, &Default::default())
            .expect("category document");
        // Fixed or not is stated either way (RFC 5023 §7.2.1); which ones are fixed is
        // checked in `profile::category_documents_are_fixed_only_when_closed`.
        assert!(document.fixed.is_some());
        assert!(!document.categories.is_empty());
    }
    app.get("/rolie/categories/information-type", None)
        .await
        .assert_status(200);
    app.get("/rolie/categories/nope", None)
        .await
        .assert_problem(404, "nope");
}

/// R-PROF-DISC-b
async fn the_home_page_links_the_service_document(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let response = app.get("/", None).await;
    response.assert_status(200);
    assert!(response.text().contains(&format!(
        "<link rel=\"service\" type=\"application/atomsvc+xml\" href=\"{}/rolie/servicedocument\">",
        app.base_url
    )));
}

async fn readiness_reports_the_database(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.get("/healthz", None).await.assert_status(200);
    app.get("/readyz", None).await.assert_status(200);
}
