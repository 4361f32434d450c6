//! Pages for people: HTML negotiated for browsers on the service document, feeds and
//! entries, with their own validators, escaped text, the caller's view only, and strict
//! security headers; feed readers and scripts keep Atom.

use reqwest::Method;
use rolie_model::Restriction;
use rolie_model::vocabulary::{media_type, rel};
use rolie_testkit::{Backend, TestApp, fixtures, on_both_backends, oracle, spec};

on_both_backends!(
    browsers_get_pages_and_everyone_else_atom,
    pages_have_their_own_validators_and_revalidate,
    hostile_document_text_renders_as_text,
    a_page_shows_only_what_the_caller_may_see,
    entries_link_their_page_for_feed_readers,
    errors_are_pages_for_browsers_and_problems_for_programs,
    visitors_are_told_how_to_sign_in,
    the_stylesheet_is_cached_for_a_year,
    an_incident_page_shows_the_whole_document,
);

/// What Chromium sends when following a link.
const BROWSER: &str =
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
/// What feedparser sends.
const FEEDPARSER: &str = "application/atom+xml,application/rdf+xml,application/rss+xml,application/x-netcdf,application/xml;q=0.9,text/xml;q=0.2,*/*;q=0.1";

async fn browse(app: &TestApp, path: &str, token: Option<&str>) -> rolie_testkit::Response {
    app.send(
        app.request(Method::GET, path, token)
            .header("accept", BROWSER),
    )
    .await
}

async fn publish(app: &TestApp, id: &str, restriction: &str, description: &str) -> String {
    let entry = app
        .created_entry(
            "incidents",
            media_type::XML,
            fixtures::incident(id, restriction, description),
        )
        .await;
    entry
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some(rel::EDIT))
        .expect("edit link")
        .href
        .clone()
}

fn assert_page(response: &rolie_testkit::Response) {
    response.assert_status(200);
    assert_eq!(
        response.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let csp = response.header("content-security-policy").expect("CSP");
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(response.header("x-frame-options"), Some("DENY"));
    assert!(response.header("referrer-policy").is_some());
    assert!(
        response
            .header_all("vary")
            .iter()
            .any(|v| v.to_ascii_lowercase().contains("accept")),
        "pages vary on Accept"
    );
    let text = response.text();
    assert!(text.starts_with("<!DOCTYPE html>"), "{text}");
    assert!(!text.contains("<script"), "no script on any page");
}

/// Negotiated HTML (R-HTTP-neg-a): Chromium's Accept gets pages of the service document,
/// a feed and an entry; curl's `*/*`, feedparser's and a client naming Atom get Atom, and
/// `?format=atom` gets Atom even in a browser.
async fn browsers_get_pages_and_everyone_else_atom(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let entry = publish(&app, "PG-1", "green", "A phishing wave").await;
    let paths = [
        ("/rolie/servicedocument", media_type::ATOM_SERVICE),
        ("/rolie/feeds/incidents", "application/atom+xml;type=feed"),
        (entry.as_str(), "application/atom+xml;type=entry"),
    ];
    for (path, atom) in paths {
        let page = browse(&app, path, Some(&token)).await;
        assert_page(&page);
        for accept in ["*/*", FEEDPARSER, atom] {
            let response = app
                .send(
                    app.request(Method::GET, path, Some(&token))
                        .header("accept", accept),
                )
                .await;
            response.assert_status(200);
            assert!(
                response
                    .header("content-type")
                    .is_some_and(|t| t.starts_with("application/atom")),
                "{path} with Accept {accept}: {:?}",
                response.header("content-type")
            );
            assert!(response.header("content-security-policy").is_none());
        }
        let separator = if path.contains('?') { '&' } else { '?' };
        let forced = browse(&app, &format!("{path}{separator}format=atom"), Some(&token)).await;
        forced.assert_status(200);
        assert!(
            forced
                .header("content-type")
                .is_some_and(|t| t.starts_with("application/atom")),
            "{path}?format=atom"
        );
    }
}

/// Separate ETags per representation, and 304s for pages too (RFC 9110 §8.8.3,
/// R-5023-9.5-a): a page's ETag never revalidates the Atom document, and a write moves it.
async fn pages_have_their_own_validators_and_revalidate(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    publish(&app, "PG-2", "green", "First").await;
    let path = "/rolie/feeds/incidents";
    let page = browse(&app, path, Some(&token)).await;
    assert_page(&page);
    let page_tag = page.header("etag").expect("page ETag").to_owned();
    let atom = app.get(path, Some(&token)).await;
    let atom_tag = atom.header("etag").expect("Atom ETag").to_owned();
    assert_ne!(page_tag, atom_tag);
    let again = app
        .send(
            app.request(Method::GET, path, Some(&token))
                .header("accept", BROWSER)
                .header("if-none-match", &page_tag),
        )
        .await;
    again.assert_status(304);
    let crossed = app
        .send(
            app.request(Method::GET, path, Some(&token))
                .header("if-none-match", &page_tag),
        )
        .await;
    crossed.assert_status(200);
    publish(&app, "PG-3", "green", "Second").await;
    let moved = app
        .send(
            app.request(Method::GET, path, Some(&token))
                .header("accept", BROWSER)
                .header("if-none-match", &page_tag),
        )
        .await;
    assert_page(&moved);
    assert!(moved.text().contains("Second"));
}

/// IODEF text is written by whoever reported the incident: markup in it is shown, never
/// run or parsed, on the feed page and the incident page.
async fn hostile_document_text_renders_as_text(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let hostile = r#"<script>alert("x")</script><img src=x onerror=alert(1)>"#;
    let entry = publish(&app, "PG-4", "green", &format!("<b>bold</b> {hostile}")).await;
    for path in ["/rolie/feeds/incidents", entry.as_str()] {
        let page = browse(&app, path, Some(&token)).await;
        assert_page(&page);
        let text = page.text();
        assert!(!text.contains("<img"), "{path}: markup survived");
        assert!(!text.contains("<b>bold"), "{path}: markup survived");
        assert!(
            text.contains("&lt;script&gt;"),
            "{path}: the text is shown escaped"
        );
    }
}

/// R-PROF-AUTHZ-b on pages: a green caller's pages show no red entry, no count that
/// includes one, and a red entry's page is a 404 page; a red write does not move the
/// green caller's page ETag.
async fn a_page_shows_only_what_the_caller_may_see(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    publish(&app, "PG-G1", "green", "Visible one").await;
    publish(&app, "PG-G2", "green", "Visible two").await;
    let red = publish(&app, "PG-R1", "red", "Secret operation").await;
    let green = app.token("analyst", "rolie:read", Restriction::Partner);
    let list = browse(&app, "/rolie/servicedocument", Some(&green)).await;
    assert_page(&list);
    let text = list.text();
    assert!(
        text.contains(r#"<td data-label="Entries" class="num">2</td>"#),
        "two entries counted for green: {text}"
    );
    let feed = browse(&app, "/rolie/feeds/incidents", Some(&green)).await;
    assert_page(&feed);
    let tag = feed.header("etag").expect("ETag").to_owned();
    assert!(feed.text().contains("Visible one"));
    assert!(!feed.text().contains("Secret operation") && !feed.text().contains("PG-R1"));
    let hidden = browse(&app, &red, Some(&green)).await;
    hidden.assert_status(404);
    assert!(hidden.text().contains("<!DOCTYPE html>"));
    assert!(!hidden.text().contains("Secret"));
    publish(&app, "PG-R2", "red", "Another secret").await;
    app.send(
        app.request(Method::GET, "/rolie/feeds/incidents", Some(&green))
            .header("accept", BROWSER)
            .header("if-none-match", &tag),
    )
    .await
    .assert_status(304);
    let admin = browse(&app, "/rolie/servicedocument", Some(&app.admin_token())).await;
    assert!(admin.text().contains(r#"class="num">4</td>"#));
}

/// Feed readers open an entry at `rel="alternate" type="text/html"` (RFC 4287 §4.2.7.2):
/// every entry has one, to its own URI, which a browser gets as a page.
async fn entries_link_their_page_for_feed_readers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let entry = app
        .created_entry(
            "incidents",
            media_type::XML,
            fixtures::incident("PG-5", "green", "Linked"),
        )
        .await;
    let alternate = entry
        .links
        .iter()
        .find(|l| l.rel.as_deref() == Some(rel::ALTERNATE))
        .expect("alternate link");
    assert_eq!(alternate.media_type.as_deref(), Some("text/html"));
    let page = browse(&app, &alternate.href, Some(&app.admin_token())).await;
    assert_page(&page);
    let feed = oracle::feed(
        &app.get("/rolie/feeds/incidents", Some(&app.admin_token()))
            .await
            .body,
    );
    assert!(feed.entries.iter().all(|e| {
        e.links
            .iter()
            .any(|l| l.rel.as_deref() == Some(rel::ALTERNATE))
    }));
}

/// R-5023-5.5-a for programs, a readable page for people: the same 404 is a problem
/// document for `*/*` and a page for a browser, with the request id.
async fn errors_are_pages_for_browsers_and_problems_for_programs(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let page = browse(&app, "/rolie/feeds/nothing-here", Some(&token)).await;
    page.assert_status(404);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    assert!(page.header("content-security-policy").is_some());
    let request_id = page.header("x-request-id").expect("request id").to_owned();
    assert!(page.text().contains(&request_id));
    app.get("/rolie/feeds/nothing-here", Some(&token))
        .await
        .assert_problem(404, "");
}

/// A visitor learns what it can do: with nothing public, the home page says so and how to
/// sign in (over plain HTTP: that passwords need HTTPS), and `/login` does not prompt for
/// a password the server would refuse; public collections are listed without signing in.
async fn visitors_are_told_how_to_sign_in(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let home = browse(&app, "/", None).await;
    assert_page(&home);
    assert!(home.text().contains("Nothing here is public"));
    assert!(home.text().contains("needs HTTPS"));
    let login = browse(&app, "/login", None).await;
    login.assert_status(403);
    assert!(login.header("www-authenticate").is_none());
    let open = TestApp::builder(backend)
        .collection(spec("open", "incident", Restriction::Public, true))
        .spawn()
        .await;
    let home = browse(&open, "/", None).await;
    assert_page(&home);
    assert!(home.text().contains("/rolie/feeds/open"));
    assert!(home.text().contains("only public collections"));
    assert!(!home.text().contains("/rolie/feeds/incidents"));
}

/// The stylesheet's name carries its hash: cached for a year, and any other asset name
/// is a 404.
async fn the_stylesheet_is_cached_for_a_year(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let home = browse(&app, "/", None).await;
    let text = home.text();
    let start = text.find("/assets/style-").expect("stylesheet link");
    let end = start + text[start..].find('"').expect("end of href");
    let css = app.get(&text[start..end], None).await;
    css.assert_status(200);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert!(
        css.header("cache-control")
            .is_some_and(|c| c.contains("immutable"))
    );
    app.get("/assets/style-0000.css", None)
        .await
        .assert_status(404);
}

/// The incident page renders the whole IODEF document readably: incidents, contacts,
/// indicators, with every value; JSON IODEF the same way.
async fn an_incident_page_shows_the_whole_document(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let rich = app
        .post(
            "/rolie/feeds/incidents",
            media_type::XML,
            fixtures::RICH_V2.to_owned(),
            Some(&token),
        )
        .await;
    rich.assert_status(201);
    let page = browse(&app, &rich.location(), Some(&token)).await;
    assert_page(&page);
    let text = page.text();
    for shown in ["Incident ID", "Contact", "Generation time", "Document"] {
        assert!(text.contains(shown), "{shown} in {text}");
    }
    let json = app
        .post(
            "/rolie/feeds/incidents",
            "application/json",
            fixtures::JSON.to_owned(),
            Some(&token),
        )
        .await;
    json.assert_status(201);
    let page = browse(&app, &json.location(), Some(&token)).await;
    assert_page(&page);
    assert!(page.text().contains("Incident ID"));
}
