//! Content coding as clients see it on the wire: a body is compressed if and only if
//! `Content-Encoding` says so, for every status and every `Accept-Encoding` (RFC 9110 §8.4,
//! §12.5.3), with `Vary` and coding-specific ETags (§8.8.3). These tests read raw bytes; the
//! rest of the suite uses a client that asks for gzip and br and decodes, as browsers do.

use reqwest::{Method, RequestBuilder};
use rolie_model::Restriction;
use rolie_model::vocabulary::media_type;
use rolie_testkit::{Backend, Response, TestApp, fixtures, on_both_backends};

on_both_backends!(
    every_status_is_what_its_content_encoding_says,
    an_unsatisfiable_accept_encoding_is_406_before_anything_is_stored,
    etags_differ_per_coding_and_revalidate,
    a_decoding_client_reads_every_error,
);

/// `Accept-Encoding` values and the coding each must produce on a body of some size.
const CODINGS: [(Option<&str>, &str); 10] = [
    (None, "identity"),
    (Some("identity"), "identity"),
    (Some("gzip"), "gzip"),
    (Some("x-gzip"), "gzip"),
    (Some("br"), "br"),
    (Some("deflate"), "deflate"),
    (Some("gzip;q=0.5, br;q=0.9, identity;q=0.1"), "br"),
    (Some("*"), "br"),
    (Some("gzip, deflate, br, zstd"), "br"),
    (Some("zstd, gzip;q=0"), "identity"),
];

/// Checks one raw response against the rules; returns the decoded body.
#[track_caller]
fn check_wire(response: &Response, expected_coding: &str, what: &str) -> Vec<u8> {
    let encoding = response.header("content-encoding");
    if let Some(length) = response.header("content-length") {
        assert_eq!(
            length.parse::<usize>().ok(),
            Some(response.body.len()),
            "{what}: Content-Length disagrees with the body"
        );
    }
    let decoded = response.decoded().unwrap_or_else(|e| {
        panic!("{what}: body is not what Content-Encoding {encoding:?} says: {e}")
    });
    if response.body.is_empty() {
        assert_eq!(encoding, None, "{what}: an empty body with a coding");
        return decoded;
    }
    let expected = (expected_coding != "identity").then_some(expected_coding);
    assert_eq!(encoding, expected, "{what}: wrong coding");
    if encoding.is_some() {
        let vary = response.header_all("vary").join(",").to_ascii_lowercase();
        assert!(vary.contains("accept-encoding"), "{what}: Vary {vary:?}");
    }
    let content_type = response.header("content-type").unwrap_or_default();
    if content_type.starts_with("application/problem+json") {
        let problem: serde_json::Value = serde_json::from_slice(&decoded)
            .unwrap_or_else(|e| panic!("{what}: decoded problem is not JSON: {e}"));
        assert_eq!(problem["status"], response.status.as_u16(), "{what}");
    } else if content_type.contains("xml") {
        let text = String::from_utf8(decoded.clone()).expect("UTF-8 XML");
        assert!(text.trim_start().starts_with('<'), "{what}: {text}");
    }
    decoded
}

/// R-HTTP-enc-a: each status the server answers, with each coding a client may ask for.
async fn every_status_is_what_its_content_encoding_says(backend: Backend) {
    let app = TestApp::builder(backend)
        .configure(|c| c.max_body_bytes = 16 * 1024)
        .spawn()
        .await;
    let admin = app.admin_token();
    let created = app
        .publish("incidents", &fixtures::incident("enc-0", "green", "coded"))
        .await;
    created.assert_status(201);
    let entry = created.location();
    let etag = created.header("etag").expect("ETag").to_owned();
    let entry_path = entry.trim_start_matches(&app.base_url).to_owned();
    let content_path = entry_path.replace("/entries/", "/content/");
    let raw = app.raw_client();
    let url = |path: &str| app.url(path);
    for (round, (accept_encoding, coding)) in CODINGS.iter().enumerate() {
        // Each case: a request, the status it must get.
        let cases: Vec<(&str, RequestBuilder, u16)> = vec![
            (
                "service document",
                raw.get(url("/rolie/servicedocument")).bearer_auth(&admin),
                200,
            ),
            (
                "feed",
                raw.get(url("/rolie/feeds/incidents")).bearer_auth(&admin),
                200,
            ),
            ("entry", raw.get(url(&entry_path)).bearer_auth(&admin), 200),
            (
                "content",
                raw.get(url(&content_path)).bearer_auth(&admin),
                200,
            ),
            (
                "revalidated entry",
                raw.get(url(&entry_path))
                    .bearer_auth(&admin)
                    .header("if-none-match", &etag),
                304,
            ),
            (
                "new entry",
                raw.post(url("/rolie/feeds/incidents"))
                    .bearer_auth(&admin)
                    .header("content-type", media_type::XML)
                    .body(fixtures::incident(
                        &format!("enc-{}", round + 1),
                        "green",
                        "x",
                    )),
                201,
            ),
            (
                "malformed XML",
                raw.post(url("/rolie/feeds/incidents"))
                    .bearer_auth(&admin)
                    .header("content-type", media_type::XML)
                    .body("<IODEF-Document"),
                400,
            ),
            (
                "no credentials",
                raw.get(url("/rolie/feeds/incidents")),
                401,
            ),
            (
                "not allowed",
                raw.get(url("/rolie/feeds/incidents"))
                    .bearer_auth(app.token(
                        "outsider",
                        "rolie:write:indicators",
                        Restriction::Public,
                    )),
                404,
            ),
            ("unknown path", raw.get(url("/nothing/here")), 404),
            (
                "wrong method",
                raw.request(Method::PATCH, url("/rolie/servicedocument"))
                    .bearer_auth(&admin),
                405,
            ),
            (
                "excluded media type",
                raw.get(url("/rolie/feeds/incidents"))
                    .bearer_auth(&admin)
                    .header("accept", "application/atom+xml;q=0"),
                406,
            ),
            (
                "duplicate incident",
                raw.post(url("/rolie/feeds/incidents"))
                    .bearer_auth(&admin)
                    .header("content-type", media_type::XML)
                    .body(fixtures::incident("enc-0", "green", "coded")),
                409,
            ),
            (
                "stale If-Match",
                raw.delete(url(&entry_path))
                    .bearer_auth(&admin)
                    .header("if-match", "\"stale\""),
                412,
            ),
            (
                "body over the limit",
                raw.post(url("/rolie/feeds/incidents"))
                    .bearer_auth(&admin)
                    .header("content-type", media_type::XML)
                    .body(vec![b' '; 32 * 1024]),
                413,
            ),
            (
                "unsupported media type",
                raw.post(url("/rolie/feeds/incidents"))
                    .bearer_auth(&admin)
                    .header("content-type", "text/plain")
                    .body("hello"),
                415,
            ),
            (
                "not IODEF",
                raw.post(url("/rolie/feeds/incidents"))
                    .bearer_auth(&admin)
                    .header("content-type", media_type::XML)
                    .body("<note>not an incident</note>"),
                422,
            ),
        ];
        for (name, request, status) in cases {
            let request = match accept_encoding {
                Some(value) => request.header("accept-encoding", *value),
                None => request,
            };
            let what = format!("{name} with Accept-Encoding {accept_encoding:?}");
            let response = app.send(request).await;
            assert_eq!(
                response.status.as_u16(),
                status,
                "{what}: {:?}",
                response
                    .decoded()
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            );
            check_wire(&response, coding, &what);
        }
    }
}

/// RFC 9110 §12.5.3: `identity;q=0` with nothing else we offer is 406, answered before the
/// handler runs, so a POST stores nothing (tower-http's compression layer alone would have stored
/// the entry and then turned the 201 into a 406).
async fn an_unsatisfiable_accept_encoding_is_406_before_anything_is_stored(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token();
    let raw = app.raw_client();
    for value in ["identity;q=0", "*;q=0", "zstd, identity;q=0"] {
        let before = app.entry_count("incidents").await;
        let response = app
            .send(
                raw.post(app.url("/rolie/feeds/incidents"))
                    .bearer_auth(&admin)
                    .header("content-type", media_type::XML)
                    .header("accept-encoding", value)
                    .body(fixtures::incident("never-stored", "green", "x")),
            )
            .await;
        response.assert_problem(406, "Accept-Encoding");
        assert_eq!(response.header("content-encoding"), None);
        assert_eq!(app.entry_count("incidents").await, before, "{value}");
    }
}

/// RFC 9110 §8.8.3: a strong ETag names one sequence of bytes, so a gzip body and an
/// identity body have different tags; each revalidates to 304 with its own tag.
async fn etags_differ_per_coding_and_revalidate(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token();
    app.publish("incidents", fixtures::RICH_V2)
        .await
        .assert_status(201);
    let raw = app.raw_client();
    let get = |coding: &'static str, tag: Option<String>| {
        let mut request = raw
            .get(app.url("/rolie/feeds/incidents"))
            .bearer_auth(&admin)
            .header("accept-encoding", coding);
        if let Some(tag) = tag {
            request = request.header("if-none-match", tag);
        }
        app.send(request)
    };
    let mut tags = Vec::new();
    for coding in ["identity", "gzip", "br", "deflate"] {
        let response = get(coding, None).await;
        response.assert_status(200);
        let tag = response.header("etag").expect("ETag").to_owned();
        let again = get(coding, Some(tag.clone())).await;
        again.assert_status(304);
        assert_eq!(again.header("etag"), Some(tag.as_str()), "{coding}");
        assert!(again.body.is_empty());
        tags.push(tag);
    }
    let mut unique = tags.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), tags.len(), "{tags:?}");
}

/// The reproduction: a client that asks for gzip and decodes (Python `requests`, browsers)
/// failed on every error answer, whose JSON body came labelled `Content-Encoding: gzip`.
async fn a_decoding_client_reads_every_error(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    // The test kit's own client asks for gzip and br and decodes.
    app.get("/rolie/servicedocument", None)
        .await
        .assert_problem(401, "credentials");
    app.get("/nothing/here", None)
        .await
        .assert_problem(404, "/nothing/here");
    let response = app
        .send(
            app.client()
                .get(app.url("/rolie/servicedocument"))
                .header("accept-encoding", "gzip"),
        )
        .await;
    response.assert_problem(401, "credentials");
}
