//! The access log: one line per request at `info`, with the matched route, status, bytes,
//! duration, request id, principal and client address; the client named by a forwarding
//! header only when the request came through a trusted proxy.

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::{SECRET, command, free_port, token};

/// Starts `rolie` listening on `port` with `env`, its standard error read line by line
/// into the returned list as it is written.
fn spawn_with_log(
    dir: &std::path::Path,
    port: u16,
    env: &[(&str, &str)],
) -> (std::process::Child, Arc<Mutex<Vec<String>>>) {
    let mut command = command(dir);
    command
        .env("ROLIE_LISTEN", format!("127.0.0.1:{port}"))
        .env("ROLIE_JWT_HS256_SECRET", SECRET);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rolie");
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let kept = lines.clone();
    let stderr = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            kept.lock().expect("lines").push(line);
        }
    });
    (child, lines)
}

#[tokio::test]
async fn every_request_is_one_access_log_line_naming_route_principal_and_client() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = free_port();
    let (mut child, lines) = spawn_with_log(
        dir.path(),
        port,
        &[
            ("ROLIE_LOG_FORMAT", "json"),
            ("ROLIE_TRUSTED_PROXIES", "127.0.0.1/32"),
            ("RUST_LOG", "warn,rolie::access=info"),
        ],
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !http
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        assert!(Instant::now() < deadline, "rolie did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let feed = http
        .get(format!("{base}/rolie/feeds/incidents"))
        .bearer_auth(token("reader", "rolie:read"))
        .header("x-forwarded-for", "203.0.113.5")
        .header("x-request-id", "access-log-test-1")
        .send()
        .await
        .expect("GET feed");
    assert_eq!(feed.status(), 200);
    let missing = http
        .get(format!("{base}/rolie/feeds/nothing"))
        .header("x-request-id", "access-log-test-2")
        .send()
        .await
        .expect("GET missing");
    assert_eq!(missing.status(), 401);
    let find = |id: &str| -> Option<serde_json::Value> {
        lines
            .lock()
            .expect("lines")
            .iter()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .find(|v| v["target"] == "rolie::access" && v["fields"]["request_id"] == id)
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while (find("access-log-test-1").is_none() || find("access-log-test-2").is_none())
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let line =
        find("access-log-test-1").unwrap_or_else(|| panic!("{:?}", lines.lock().expect("lines")));
    assert_eq!(line["level"], "INFO");
    let fields = &line["fields"];
    assert_eq!(fields["method"], "GET");
    assert_eq!(fields["route"], "/rolie/feeds/{collection}");
    assert_eq!(fields["status"], 200);
    assert_eq!(fields["principal"], "reader");
    assert_eq!(
        fields["client"], "203.0.113.5",
        "named by the trusted proxy"
    );
    assert!(fields["bytes"].as_u64().is_some_and(|b| b > 0));
    assert!(fields["latency_ms"].as_f64().is_some());
    let refused = find("access-log-test-2").expect("the refusal is logged too");
    assert_eq!(refused["fields"]["status"], 401);
    assert_eq!(refused["fields"]["principal"], "anonymous");
    assert_eq!(
        refused["fields"]["client"], "127.0.0.1",
        "no forwarding header"
    );
}

/// The human-readable log written to a file or a pipe (a journal, `docker logs`) holds no
/// terminal escape codes: they are noise to every reader and parser of it.
#[tokio::test]
async fn a_log_that_is_not_a_terminal_has_no_escape_codes() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = free_port();
    let (mut child, lines) = spawn_with_log(dir.path(), port, &[("RUST_LOG", "info")]);
    let http = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let answered = http
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200);
        let logged = lines
            .lock()
            .expect("lines")
            .iter()
            .any(|l| l.contains("rolie::access"));
        if answered && logged {
            break;
        }
        assert!(Instant::now() < deadline, "no access-log line");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    let lines = lines.lock().expect("lines");
    assert!(
        lines.iter().all(|l| !l.contains('\u{1b}')),
        "escape codes in {lines:?}"
    );
}
