//! Hostile input, abuse of HTTP, outages and overload: each refusal names its fault, the
//! store is unchanged, nothing is read or fetched, and the server keeps answering.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::Method;
use rolie_model::vocabulary::{media_type, rel};
use rolie_testkit::{
    Backend, Response, TcpProxy, TestApp, TestDb, fixtures, on_both_backends, oracle, postgres_url,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

on_both_backends!(
    hostile_xml_is_refused_and_nothing_is_read_or_fetched,
    hostile_json_is_refused,
    sql_metacharacters_and_path_tricks_are_plain_data,
    sixteen_concurrent_writers_lose_no_update,
);

const CANARY: &str = "CANARY-8f3c-never-to-be-served";

/// Counts TCP connections to a port that a payload names: none may ever arrive.
async fn tripwire() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind tripwire");
    let port = listener.local_addr().expect("address").port();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            drop(socket);
        }
    });
    (port, hits)
}

async fn post_and_check_unchanged(app: &TestApp, content_type: &str, body: Vec<u8>) -> Response {
    let before = app.change_seq("incidents").await;
    let response = app
        .post(
            "/rolie/feeds/incidents",
            content_type,
            body,
            Some(&app.admin_token()),
        )
        .await;
    assert_eq!(
        app.change_seq("incidents").await,
        before,
        "refused input stored something: {}",
        response.text()
    );
    app.get("/healthz", None).await.assert_status(200);
    response
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes
}

/// R-PROF-SAFE-a, IODEF-SEC-1, IODEF-SEC-2, IODEF-SEC-4, IODEF-SEC-5
async fn hostile_xml_is_refused_and_nothing_is_read_or_fetched(backend: Backend) {
    let app = TestApp::builder(backend)
        .configure(|c| c.max_body_bytes = 16 * 1024 * 1024)
        .spawn()
        .await;
    let canary_dir = tempfile::tempdir().expect("temporary directory");
    let canary = canary_dir.path().join("canary.txt");
    std::fs::write(&canary, CANARY).expect("write canary");
    let canary = canary.display().to_string();
    let (port, hits) = tripwire().await;
    let iodef = |inner: &str| {
        fixtures::incident("H-1", "green", "x").replace("<Description>x</Description>", inner)
    };
    let laughs = {
        let mut dtd = String::from("<!ENTITY lol \"lol\">");
        for i in 1..10 {
            let previous = if i == 1 {
                "lol".to_owned()
            } else {
                format!("lol{}", i - 1)
            };
            dtd.push_str(&format!(
                "<!ENTITY lol{i} \"{}\">",
                format!("&{previous};").repeat(10)
            ));
        }
        format!("<?xml version=\"1.0\"?><!DOCTYPE lolz [{dtd}]><lolz>&lol9;</lolz>")
    };
    let quadratic = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE k [<!ENTITY a \"{}\">]><k>{}</k>",
        "x".repeat(50_000),
        "&a;".repeat(20_000)
    );
    let deep = format!("{}{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    let attributes: String = (0..1_000_000).map(|i| format!(" a{i}=\"\"")).collect();
    let refused: Vec<(&str, Vec<u8>, &str)> = vec![
        ("external entity (file)", format!("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file://{canary}\">]><r>&x;</r>").into_bytes(), "DOCTYPE"),
        ("external entity (http)", format!("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"http://127.0.0.1:{port}/x\">]><r>&x;</r>").into_bytes(), "DOCTYPE"),
        ("parameter entity", format!("<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY % p SYSTEM \"http://127.0.0.1:{port}/dtd\"> %p;]><r/>").into_bytes(), "DOCTYPE"),
        ("external DTD", format!("<?xml version=\"1.0\"?><!DOCTYPE IODEF-Document SYSTEM \"http://127.0.0.1:{port}/iodef.dtd\"><IODEF-Document/>").into_bytes(), "DOCTYPE"),
        ("billion laughs", laughs.into_bytes(), "DOCTYPE"),
        ("quadratic blowup", quadratic.into_bytes(), "DOCTYPE"),
        ("100k-deep nesting", deep.into_bytes(), "deeper than"),
        ("1M attributes", format!("<r{attributes}/>").into_bytes(), "attributes"),
        ("huge text node", iodef(&format!("<Description>{}</Description>", "t".repeat(6 * 1024 * 1024))).into_bytes(), "character data"),
        ("invalid UTF-8", b"<?xml version=\"1.0\"?>\n<r>\xff\xfe\xfd</r>".to_vec(), "line 2"),
        ("UTF-16 without BOM", fixtures::MINIMAL_V2.encode_utf16().flat_map(u16::to_le_bytes).collect(), "byte order mark"),
        ("declared encoding differs", fixtures::MINIMAL_V2.replace("encoding=\"UTF-8\"", "encoding=\"ISO-8859-1\"").into_bytes(), "ISO-8859-1"),
        ("unterminated", b"<IODEF-Document xmlns=\"urn:ietf:params:xml:ns:iodef-2.0\">".to_vec(), "malformed"),
    ];
    for (name, body, fragment) in refused {
        let response = post_and_check_unchanged(&app, media_type::XML, body).await;
        response.assert_problem(400, fragment);
        assert!(
            !response.text().contains(CANARY),
            "{name}: the canary leaked"
        );
    }
    // A bomb inside an Atom entry's inline content is refused the same way.
    let bomb_entry = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY x SYSTEM \"file://{canary}\">]><entry xmlns=\"http://www.w3.org/2005/Atom\"><title>&x;</title></entry>"
    );
    post_and_check_unchanged(&app, media_type::ATOM_ENTRY, bomb_entry.into_bytes())
        .await
        .assert_problem(400, "DOCTYPE");
    // The HTTP charset must agree with the bytes.
    post_and_check_unchanged(
        &app,
        "application/xml; charset=utf-16",
        fixtures::MINIMAL_V2.as_bytes().to_vec(),
    )
    .await
    .assert_problem(400, "charset");
    // Accepted: UTF-16 with a BOM, byte-exact; schema locations and XInclude are data, never followed.
    let utf16 = utf16le_with_bom(
        &fixtures::MINIMAL_V2.replace("encoding=\"UTF-8\"", "encoding=\"UTF-16\""),
    );
    let created = app
        .post(
            "/rolie/feeds/incidents",
            media_type::XML,
            utf16.clone(),
            Some(&app.admin_token()),
        )
        .await;
    created.assert_status(201);
    let src = oracle::entry(&created.body)
        .link(rel::EDIT_MEDIA)
        .expect("edit-media")
        .href
        .clone();
    assert_eq!(app.get(&src, Some(&app.admin_token())).await.body, utf16);
    let linked = fixtures::incident("H-2", "green", "links").replace(
        "<IODEF-Document ",
        &format!("<IODEF-Document xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:schemaLocation=\"urn:ietf:params:xml:ns:iodef-2.0 http://127.0.0.1:{port}/iodef.xsd\" "),
    ).replace(
        "</Incident>",
        &format!("<AdditionalData dtype=\"xml\"><xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"file://{canary}\"/><xi:include xmlns:xi=\"http://www.w3.org/2001/XInclude\" href=\"http://127.0.0.1:{port}/x\"/></AdditionalData></Incident>"),
    );
    let response = app
        .post(
            "/rolie/feeds/incidents",
            media_type::XML,
            linked,
            Some(&app.admin_token()),
        )
        .await;
    response.assert_status(201);
    assert!(!response.text().contains(CANARY));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the server connected out");
}

/// IODEF-JSON-2: deep nesting, huge numbers, duplicate keys, invalid UTF-8.
async fn hostile_json_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let minimal = r#"{"version":"2.0","Incident":[{"purpose":"reporting","IncidentID":{"id":"J-1","name":"csirt.example.test"},"GenerationTime":"2024-03-05T09:30:12Z","Contact":[{"role":"creator","type":"organization"}]}]}"#;
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("deep nesting", "[".repeat(100_000).into_bytes(), 400),
        (
            "deep object nesting",
            format!("{}{}", "{\"a\":".repeat(50_000), "}".repeat(50_000)).into_bytes(),
            400,
        ),
        (
            "huge number",
            minimal.replace("\"2.0\"", "1e999999").into_bytes(),
            400,
        ),
        (
            "duplicate keys",
            minimal
                .replace(
                    "{\"version\":\"2.0\",",
                    "{\"version\":\"2.0\",\"version\":\"2.00\",",
                )
                .into_bytes(),
            400,
        ),
        (
            "invalid UTF-8",
            minimal
                .as_bytes()
                .iter()
                .copied()
                .chain([0xff, 0xfe])
                .collect(),
            400,
        ),
        ("not an object", b"[1, 2, 3]".to_vec(), 422),
    ];
    for (name, body, status) in cases {
        let response = post_and_check_unchanged(&app, media_type::JSON, body).await;
        assert_eq!(
            response.status.as_u16(),
            status,
            "{name}: {}",
            response.text()
        );
        assert!(
            response
                .header("content-type")
                .unwrap_or_default()
                .starts_with("application/problem+"),
            "{name}"
        );
    }
    app.post(
        "/rolie/feeds/incidents",
        media_type::JSON,
        minimal,
        Some(&app.admin_token()),
    )
    .await
    .assert_status(201);
}

/// SQL metacharacters in every query parameter and path segment are data; traversal and
/// percent-encoding tricks find nothing.
async fn sql_metacharacters_and_path_tricks_are_plain_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    app.publish(
        "incidents",
        &fixtures::incident(
            "SQL-1",
            "green",
            "it's a \"quoted\"; DROP TABLE entries; --",
        ),
    )
    .await
    .assert_status(201);
    let sql = [
        "' OR '1'='1",
        "\"; DROP TABLE entries; --",
        "%' --",
        "\\",
        "1; select pg_sleep(10)",
    ];
    for value in sql {
        let encoded: String = url_encode(value);
        for param in [
            "q",
            "category",
            "category-scheme&category=x",
            "updated-since",
            "cursor",
            "limit",
        ] {
            let response = app
                .get(
                    &format!("/rolie/feeds/incidents?{param}={encoded}"),
                    Some(&token),
                )
                .await;
            assert!(
                matches!(response.status.as_u16(), 200 | 400),
                "{param}={value}: {}",
                response.status
            );
        }
        for path in [
            format!("/rolie/feeds/{encoded}"),
            format!("/rolie/entries/{encoded}"),
            format!("/rolie/content/{encoded}"),
            format!("/rolie/categories/{encoded}"),
        ] {
            app.get(&path, Some(&token)).await.assert_status(404);
        }
    }
    let found = oracle::feed(
        &app.get("/rolie/feeds/incidents?q=DROP%20TABLE", Some(&token))
            .await
            .body,
    );
    assert_eq!(found.entries.len(), 1, "the quoted text is found as text");
    for path in [
        "/rolie/feeds/..%2F..%2Fadmin",
        "/rolie/feeds/%2e%2e",
        "/rolie/entries/..%2F..%2F..%2Fetc%2Fpasswd",
        "/rolie/content/%00",
        "/rolie//feeds/incidents",
    ] {
        let status = app.get(path, Some(&token)).await.status.as_u16();
        assert!(matches!(status, 400 | 404), "{path}: {status}");
    }
    assert_eq!(app.entry_count("incidents").await, 1, "nothing was dropped");
}

fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// No update is lost under 16 concurrent read-modify-write clients using If-Match.
async fn sixteen_concurrent_writers_lose_no_update(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let created = app
        .publish(
            "incidents",
            &fixtures::incident("RMW-1", "green", "contended"),
        )
        .await;
    let location = created.location();
    let writers: Vec<_> = (0..16)
        .map(|i| {
            let (client, location, token) =
                (app.client().clone(), location.clone(), app.admin_token());
            tokio::spawn(async move {
                loop {
                    let current = client
                        .get(&location)
                        .bearer_auth(&token)
                        .send()
                        .await
                        .expect("GET");
                    let etag = current.headers()["etag"].to_str().expect("etag").to_owned();
                    let body = current.text().await.expect("body");
                    let changed = body.replace(
                        "</entry>",
                        &format!(
                            "<link rel=\"related\" href=\"https://writer.example/{i}\"/></entry>"
                        ),
                    );
                    let put = client
                        .put(&location)
                        .bearer_auth(&token)
                        .header("content-type", media_type::ATOM_ENTRY)
                        .header("if-match", etag)
                        .body(changed)
                        .send()
                        .await
                        .expect("PUT");
                    match put.status().as_u16() {
                        200 => return,
                        412 => continue,
                        other => panic!("unexpected {other}"),
                    }
                }
            })
        })
        .collect();
    for writer in writers {
        writer.await.expect("writer");
    }
    let entry = oracle::entry(&app.get(&location, Some(&app.admin_token())).await.body);
    let related: Vec<_> = entry
        .links
        .iter()
        .filter(|l| l.relation() == "related")
        .collect();
    assert_eq!(related.len(), 16, "every writer's link is there");
}

/// Requests whose bodies never end are cut off by the deadline; headers that never end are
/// cut off too; a header flood is refused; the server keeps serving others meanwhile.
#[tokio::test]
async fn slow_and_endless_requests_are_cut_off() {
    let app = TestApp::builder(Backend::Sqlite)
        .configure(|c| c.request_timeout = Duration::from_secs(2))
        .serve_options(|o| o.header_read_timeout = Duration::from_secs(1))
        .spawn()
        .await;
    let address = app.address;
    // A chunked body that never ends.
    let (sender, body) = rolie_testkit::channel_body();
    let keep = tokio::spawn(async move {
        loop {
            if sender
                .send(Ok(bytes::Bytes::from_static(b" ")))
                .await
                .is_err()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    let endless = app
        .send(
            app.request(
                Method::POST,
                "/rolie/feeds/incidents",
                Some(&app.admin_token()),
            )
            .header("content-type", media_type::XML)
            .body(body),
        )
        .await;
    assert!(
        matches!(endless.status.as_u16(), 408 | 503),
        "endless body: {}",
        endless.status
    );
    keep.abort();
    // Headers that never end: the server hangs up.
    let mut slow = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .expect("write");
    let mut buffer = [0u8; 256];
    let read = tokio::time::timeout(Duration::from_secs(10), slow.read(&mut buffer))
        .await
        .expect("server hung up in time");
    let n = read.as_ref().map_or(0, |n| *n);
    let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
    assert!(n == 0 || text.contains("408"), "slow headers: {text}");
    // A header flood.
    let mut flood = app.request(Method::GET, "/healthz", None);
    for i in 0..200 {
        flood = flood.header(format!("x-flood-{i}"), "x");
    }
    // A closed connection is a refusal too; an answer must be 431.
    if let Ok(response) = flood.send().await {
        assert_eq!(response.status().as_u16(), 431);
    }
    app.get("/healthz", None).await.assert_status(200);
}

/// A slowloris client holds at most the configured number of connections; the others it
/// opens are closed at once, and idle ones are closed by the header timeout.
#[tokio::test]
async fn a_slowloris_client_cannot_hold_more_than_the_connection_limit() {
    let app = TestApp::builder(Backend::Sqlite)
        .serve_options(|o| {
            o.max_connections = 8;
            o.header_read_timeout = Duration::from_secs(2);
        })
        .spawn()
        .await;
    let address = app.address;
    let mut held = Vec::new();
    for _ in 0..8 {
        let mut socket = tokio::net::TcpStream::connect(&address)
            .await
            .expect("connect");
        socket
            .write_all(b"GET /healthz HTTP/1.1\r\n")
            .await
            .expect("write");
        held.push(socket);
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut extra = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let _ = extra
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let mut buffer = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), extra.read(&mut buffer))
        .await
        .expect("closed at once")
        .unwrap_or(0);
    assert_eq!(
        n, 0,
        "a connection over the limit is closed without an answer"
    );
    // After the header timeout the slow connections are gone and service resumes.
    tokio::time::sleep(Duration::from_secs(3)).await;
    app.get("/healthz", None).await.assert_status(200);
    drop(held);
}

/// Load shedding: beyond the in-flight limit, 503 with Retry-After at once.
#[tokio::test]
async fn requests_beyond_the_in_flight_limit_are_shed_with_503() {
    let app = TestApp::builder(Backend::Sqlite)
        .configure(|c| c.max_concurrent_requests = 2)
        .spawn()
        .await;
    let mut gates = Vec::new();
    let mut uploads = Vec::new();
    for i in 0..2 {
        let (sender, body) = rolie_testkit::channel_body();
        let document = fixtures::incident(&format!("SHED-{i}"), "green", "held open");
        let request = app
            .request(
                Method::POST,
                "/rolie/feeds/incidents",
                Some(&app.admin_token()),
            )
            .header("content-type", media_type::XML)
            .body(body);
        let (head, tail) = document.split_at(20);
        sender
            .send(Ok(bytes::Bytes::from(head.to_owned())))
            .await
            .expect("send head");
        gates.push((sender, tail.to_owned()));
        uploads.push(tokio::spawn(request.send()));
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let shed = app.get("/healthz", None).await;
    shed.assert_problem(503, "limit");
    assert!(shed.header("retry-after").is_some());
    for (sender, tail) in gates {
        sender
            .send(Ok(bytes::Bytes::from(tail)))
            .await
            .expect("send tail");
    }
    for upload in uploads {
        assert_eq!(upload.await.expect("task").expect("upload").status(), 201);
    }
    app.get("/healthz", None).await.assert_status(200);
}

/// Per-principal rate limits: 429 with Retry-After; other principals are unaffected;
/// collection limits apply to their collection.
#[tokio::test]
async fn a_principal_over_its_rate_limit_gets_429_with_retry_after() {
    let app = TestApp::builder(Backend::Sqlite)
        .configure(|c| {
            c.rate_limit = Some(rolie_server::rate_limit::RateLimit {
                per_minute: 60,
                burst: 5,
            });
            c.collection_rate_limits.insert(
                "indicators".into(),
                rolie_server::rate_limit::RateLimit {
                    per_minute: 1,
                    burst: 1,
                },
            );
        })
        .spawn()
        .await;
    let alice = app.token("alice", "rolie:read", rolie_model::Restriction::Public);
    let bob = app.token("bob", "rolie:read", rolie_model::Restriction::Public);
    for _ in 0..5 {
        app.get("/rolie/feeds/incidents", Some(&alice))
            .await
            .assert_status(200);
    }
    let limited = app.get("/rolie/feeds/incidents", Some(&alice)).await;
    limited.assert_problem(429, "too many requests");
    let retry: u64 = limited
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!(retry >= 1);
    app.get("/rolie/feeds/incidents", Some(&bob))
        .await
        .assert_status(200);
    app.get("/rolie/feeds/indicators", Some(&bob))
        .await
        .assert_status(200);
    app.get("/rolie/feeds/indicators", Some(&bob))
        .await
        .assert_status(429);
}

/// Database outage: requests fail fast with 503 and Retry-After, /readyz says so, and
/// service resumes by itself when the database returns.
#[tokio::test]
async fn a_database_outage_gives_503_and_service_resumes() {
    let Some(admin_url) = postgres_url() else {
        rolie_testkit::skip("skipped: set ROLIE_TEST_DATABASE_URL to run the outage test");
        return;
    };
    let target: std::net::SocketAddr = {
        let authority = admin_url
            .split("://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .expect("host:port");
        let host_port = authority.rsplit('@').next().expect("host:port");
        tokio::net::lookup_host(host_port)
            .await
            .expect("resolve")
            .next()
            .expect("address")
    };
    let proxy = Arc::new(TcpProxy::start(target).await);
    let db = TestDb::create(Backend::Postgres).await;
    let via = proxy.address;
    let app = TestApp::builder(Backend::Postgres)
        .database(db)
        .reach_database(move |url| {
            url.replacen(&target.to_string(), &via.to_string(), 1)
                .replacen("127.0.0.1:5432", &via.to_string(), 1)
                .replacen("localhost:5432", &via.to_string(), 1)
        })
        .spawn()
        .await;
    app.publish("incidents", &fixtures::incident("OUT-1", "green", "before"))
        .await
        .assert_status(201);
    assert!(
        proxy.accepted() > 0,
        "the server reaches the database through the proxy"
    );
    proxy.cut();
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client");
    let token = app.admin_token();
    for _ in 0..3 {
        let response = client
            .get(app.url("/rolie/feeds/incidents"))
            .bearer_auth(&token)
            .send()
            .await
            .expect("no hang");
        assert_eq!(response.status(), 503);
        assert!(response.headers().contains_key("retry-after"));
    }
    let ready = client.get(app.url("/readyz")).send().await.expect("readyz");
    assert_eq!(ready.status(), 503);
    let write = client
        .post(app.url("/rolie/feeds/incidents"))
        .bearer_auth(&token)
        .header("content-type", media_type::XML)
        .body(fixtures::incident("OUT-2", "green", "during"))
        .send()
        .await
        .expect("no hang");
    assert_eq!(write.status(), 503);
    proxy.restore();
    let mut resumed = false;
    for _ in 0..60 {
        if client
            .get(app.url("/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            resumed = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(resumed, "service resumes when the database returns");
    app.publish("incidents", &fixtures::incident("OUT-3", "green", "after"))
        .await
        .assert_status(201);
    assert_eq!(app.entry_count("incidents").await, 2);
}

/// A full disk: writes answer 503 with a clear problem, reads keep working, and writes work
/// again once space returns (needs root to mount a small tmpfs). The failed transactions must
/// not leave the writer connection unusable.
#[tokio::test]
async fn a_full_disk_refuses_writes_and_keeps_reads() {
    let mount = tempfile::tempdir().expect("temporary directory");
    let path = mount.path().display().to_string();
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=3m", "tmpfs", &path])
        .status();
    if !mounted.is_ok_and(|s| s.success()) {
        rolie_testkit::skip("skipped: mounting a small tmpfs needs root");
        return;
    }
    let _unmount = Unmount(path.clone());
    let app = TestApp::builder(Backend::Sqlite)
        .database(TestDb::sqlite_in(mount.path()))
        .spawn()
        .await;
    let token = app.admin_token();
    app.publish("incidents", &fixtures::incident("DISK-0", "green", "fits"))
        .await
        .assert_status(201);
    // Fill the file system, leaving a few KiB.
    let filler = mount.path().join("filler");
    let free = || {
        let out = std::process::Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(mount.path())
            .output()
            .expect("df");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .and_then(|l| l.trim().parse::<u64>().ok())
            .unwrap_or(0)
    };
    let size = free().saturating_sub(8 * 1024);
    std::fs::write(&filler, vec![0u8; usize::try_from(size).expect("size")]).expect("fill");
    let mut refused = None;
    for i in 0..200 {
        let response = app
            .publish(
                "incidents",
                &fixtures::incident(&format!("DISK-{}", i + 1), "green", &"padding ".repeat(500)),
            )
            .await;
        match response.status.as_u16() {
            201 => continue,
            _ => {
                refused = Some(response);
                break;
            }
        }
    }
    let refused = refused.expect("the disk filled up");
    // The cause (the full disk) is the operator's, in the log; the client learns to retry.
    refused.assert_problem(503, "storage is unavailable; retry later");
    assert!(!refused.text().contains("full"), "{}", refused.text());
    assert!(refused.header("retry-after").is_some());
    app.get("/rolie/feeds/incidents", Some(&token))
        .await
        .assert_status(200);
    let location_entries = oracle::feed(
        &app.get("/rolie/feeds/incidents?limit=1", Some(&token))
            .await
            .body,
    );
    assert!(
        !location_entries.entries.is_empty(),
        "reads keep working on a full disk"
    );
    std::fs::remove_file(&filler).expect("free space");
    app.publish(
        "incidents",
        &fixtures::incident("DISK-AFTER", "green", "room again"),
    )
    .await
    .assert_status(201);
    app.stop().await;
}

/// A file system that the kernel turns read-only under a running server (ext4
/// `errors=remount-ro` and `trigger_fs_error`, as after a disk fault): writes answer 503 with a
/// problem naming it, reads and readiness keep working. Needs root and loop devices; skips
/// otherwise.
#[tokio::test]
async fn a_database_whose_file_system_turns_read_only_refuses_writes_and_keeps_reads() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let image = dir.path().join("fs.img");
    let mount = dir.path().join("mnt");
    std::fs::create_dir(&mount).expect("mount point");
    std::fs::write(&image, vec![0u8; 32 * 1024 * 1024]).expect("image");
    let run = |program: &str, args: &[&str]| {
        std::process::Command::new(program)
            .args(args)
            .output()
            .is_ok_and(|o| o.status.success())
    };
    let (image_path, mount_path) = (image.display().to_string(), mount.display().to_string());
    if !run("mkfs.ext4", &["-q", "-F", &image_path])
        || !run(
            "mount",
            &["-o", "loop,errors=remount-ro", &image_path, &mount_path],
        )
    {
        rolie_testkit::skip("skipped: needs root, mkfs.ext4 and loop devices");
        return;
    }
    let _unmount = Unmount(mount_path.clone());
    let mounts = std::fs::read_to_string("/proc/mounts").expect("/proc/mounts");
    let device = mounts
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some(mount_path.as_str()))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|d| d.strip_prefix("/dev/"))
        .expect("loop device of the mount")
        .to_owned();
    let trigger = format!("/sys/fs/ext4/{device}/trigger_fs_error");
    if !std::path::Path::new(&trigger).exists() {
        rolie_testkit::skip("skipped: this kernel cannot trigger an ext4 error");
        return;
    }
    let app = TestApp::builder(Backend::Sqlite)
        .database(TestDb::sqlite_in(&mount))
        .spawn()
        .await;
    let token = app.admin_token();
    app.publish("incidents", &fixtures::incident("RO-0", "green", "before"))
        .await
        .assert_status(201);
    std::fs::write(&trigger, "1").expect("trigger an ext4 error");
    let mounts = std::fs::read_to_string("/proc/mounts").expect("/proc/mounts");
    assert!(
        mounts
            .lines()
            .any(|l| l.contains(&mount_path) && l.contains("ro")),
        "the file system is read-only now"
    );
    let refused = app
        .publish("incidents", &fixtures::incident("RO-1", "green", "after"))
        .await;
    // Why (a read-only file system) is the operator's, in the log; the client retries.
    refused.assert_problem(503, "storage is unavailable; retry later");
    assert!(!refused.text().contains("read-only"), "{}", refused.text());
    assert!(refused.header("retry-after").is_some());
    let feed = oracle::feed(&app.get("/rolie/feeds/incidents", Some(&token)).await.body);
    assert_eq!(feed.entries.len(), 1, "reads keep working");
    app.get("/readyz", None).await.assert_status(200);
    app.stop().await;
}

/// Unmounts a test file system when the test ends, lazily when a connection
/// the server has not closed yet still holds it busy.
struct Unmount(String);

impl Drop for Unmount {
    fn drop(&mut self) {
        let unmounted = std::process::Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !unmounted {
            let _ = std::process::Command::new("umount")
                .args(["-l", &self.0])
                .status();
        }
    }
}
