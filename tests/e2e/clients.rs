//! The clients people run, against the real binary: `curl --compressed`, and Python
//! `requests` + `feedparser` (tests/e2e/clients.py). Both ask for compression and decode it;
//! every document and every error status must come out readable.

use std::path::Path;
use std::process::Command;

use crate::support::{SECRET, Server, free_port, post_incident, token};

/// The incident the tests publish (and post again for a 409).
fn incident() -> String {
    rolie_testkit::fixtures::incident("CLIENTS-1", "green", "Seen by the clients people run")
}

/// A server with a known secret and a small body limit, holding one incident; returns the
/// server, the admin token and the entry's and content's URLs.
async fn server_with_an_incident(dir: &Path) -> (Server, String, String, String) {
    let server = Server::start(
        dir,
        free_port(),
        &[
            ("ROLIE_JWT_HS256_SECRET", SECRET.to_owned()),
            ("ROLIE_MAX_BODY_BYTES", "65536".to_owned()),
        ],
    )
    .await;
    let admin = token("admin", "rolie:admin rolie:read rolie:write");
    let created = post_incident(
        &reqwest::Client::new(),
        &server.base_url,
        &admin,
        incident(),
    )
    .send()
    .await
    .expect("POST");
    assert_eq!(created.status().as_u16(), 201);
    let entry = created
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .expect("Location")
        .to_owned();
    let content = entry.replace("/rolie/entries/", "/rolie/content/");
    (server, admin, entry, content)
}

/// `curl --compressed` (it asks for every coding it supports and fails with exit code 61
/// when a body is not what `Content-Encoding` says) reads every document and error.
#[tokio::test]
async fn curl_compressed_reads_every_document_and_error() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (server, admin, entry, content) = server_with_an_incident(dir.path()).await;
    let base = server.base_url.clone();
    let auth = format!("Authorization: Bearer {admin}");
    let cases: Vec<(&str, Vec<String>, u16)> = vec![
        (
            "service document",
            vec![
                format!("{base}/rolie/servicedocument"),
                "-H".into(),
                auth.clone(),
            ],
            200,
        ),
        (
            "feed",
            vec![
                format!("{base}/rolie/feeds/incidents"),
                "-H".into(),
                auth.clone(),
            ],
            200,
        ),
        ("entry", vec![entry.clone(), "-H".into(), auth.clone()], 200),
        (
            "content",
            vec![content.clone(), "-H".into(), auth.clone()],
            200,
        ),
        ("401", vec![format!("{base}/rolie/feeds/incidents")], 401),
        (
            "404",
            vec![format!("{base}/nothing/here"), "-H".into(), auth.clone()],
            404,
        ),
        (
            "409",
            vec![
                format!("{base}/rolie/feeds/incidents"),
                "-H".into(),
                auth.clone(),
                "-H".into(),
                "Content-Type: application/xml".into(),
                "--data-binary".into(),
                incident(),
            ],
            409,
        ),
    ];
    for (name, args, status) in cases {
        let body = dir.path().join("body");
        let headers = dir.path().join("headers");
        let output = Command::new("curl")
            .args(["--compressed", "-s", "-S", "-o"])
            .arg(&body)
            .arg("-D")
            .arg(&headers)
            .args(["-w", "%{http_code}"])
            .args(&args)
            .output()
            .expect("run curl");
        assert!(
            output.status.success(),
            "{name}: curl failed ({:?}): {}",
            output.status.code(),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&output.stdout),
            status.to_string(),
            "{name}"
        );
        let headers = std::fs::read_to_string(&headers)
            .expect("headers")
            .to_ascii_lowercase();
        assert!(
            headers.contains("content-encoding: "),
            "{name}: curl asked for compression and got none: {headers}"
        );
        let body = std::fs::read(&body).expect("body");
        if status >= 400 {
            let problem: serde_json::Value =
                serde_json::from_slice(&body).expect("a decoded JSON problem document");
            assert_eq!(problem["status"], status, "{name}");
        } else if name == "content" {
            assert_eq!(body, incident().as_bytes(), "{name}");
        } else {
            assert!(
                body.starts_with(b"<?xml"),
                "{name}: {}",
                String::from_utf8_lossy(&body)
            );
        }
    }
    server.kill();
}

/// Python `requests` raised `ContentDecodingError` on the first 401; now every document and
/// every error status decodes, and `feedparser` reads the feed with `bozo == 0`.
#[tokio::test]
async fn python_requests_and_feedparser_read_every_document_and_error() {
    let Some(python) = crate::support::python_with("requests, feedparser") else {
        rolie_testkit::skip(
            "clients::python_requests_and_feedparser_read_every_document_and_error: skipped: set ROLIE_TEST_PYTHON to a Python with requests and feedparser (.ci/run does)",
        );
        return;
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let (server, admin, entry, content) = server_with_an_incident(dir.path()).await;
    let incident_file = dir.path().join("incident.xml");
    std::fs::write(&incident_file, incident()).expect("write incident");
    let base = server.base_url.clone();
    let stdout = crate::support::run_python_check(
        python,
        "clients.py",
        vec![
            ("ROLIE_BASE", base),
            ("ROLIE_TOKEN", admin),
            ("ROLIE_READER", token("reader", "rolie:read")),
            ("ROLIE_ENTRY", entry),
            ("ROLIE_CONTENT", content),
            ("ROLIE_INCIDENT_FILE", incident_file.display().to_string()),
        ],
    )
    .await;
    assert!(stdout.contains("0 failed"), "{stdout}");
    server.kill();
}
