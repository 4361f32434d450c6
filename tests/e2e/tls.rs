//! TLS from certificate files: HTTP/2 by ALPN, TLS 1.2 and 1.3 only (R-8322-5.3-a/c,
//! R-HTTP-tls-a).

use std::process::Command;
use std::time::{Duration, Instant};

use rolie_testkit::TestCa;

use crate::support::{SECRET, Server, client_trusting, free_port, start_tls, token};

fn openssl_handshake(port: u16, version_flag: &str, ca: &std::path::Path) -> Option<bool> {
    let output = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{port}"),
            version_flag,
            "-CAfile",
        ])
        .arg(ca)
        .stdin(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    Some(output.status.success() && text.contains("Verify return code: 0"))
}

#[tokio::test]
async fn tls_serves_http2_and_refuses_old_protocol_versions() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let ca = TestCa::new("e2e CA");
    let (cert, key) = ca.server_pem();
    std::fs::write(dir.path().join("server.crt"), cert).expect("write");
    std::fs::write(dir.path().join("server.key"), key).expect("write");
    std::fs::write(dir.path().join("ca.crt"), ca.cert_pem()).expect("write");
    let port = free_port();
    let server = Server::start(
        dir.path(),
        port,
        &[
            ("ROLIE_TLS_CERT", "server.crt".to_owned()),
            ("ROLIE_TLS_KEY", "server.key".to_owned()),
            ("ROLIE_JWT_HS256_SECRET", SECRET.to_owned()),
            ("ROLIE_BASE_URL", format!("https://localhost:{port}")),
        ],
    )
    .await;
    let root = reqwest::Certificate::from_pem(ca.cert_pem().as_bytes()).expect("CA");
    let client = reqwest::Client::builder()
        .tls_certs_only([root.clone()])
        .no_proxy()
        .build()
        .expect("client");
    let url = format!("https://localhost:{port}/rolie/servicedocument");
    let deadline = Instant::now() + Duration::from_secs(60);
    let response = loop {
        match client
            .get(&url)
            .bearer_auth(token("admin", "rolie:read"))
            .send()
            .await
        {
            Ok(response) => break response,
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "no TLS answer: {e}; output {:?}",
                    server.lines()
                );
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.version(),
        reqwest::Version::HTTP_2,
        "ALPN negotiates h2"
    );
    let tls12 = reqwest::Client::builder()
        .tls_certs_only([root])
        .max_tls_version(reqwest::tls::Version::TLS_1_2)
        .no_proxy()
        .build()
        .expect("client");
    assert_eq!(
        tls12
            .get(&url)
            .bearer_auth(token("admin", "rolie:read"))
            .send()
            .await
            .expect("TLS 1.2")
            .status(),
        200
    );
    let ca_file = dir.path().join("ca.crt");
    match openssl_handshake(port, "-tls1_1", &ca_file) {
        Some(accepted) => {
            assert!(!accepted, "TLS 1.1 must be refused (R-HTTP-tls-a)");
            assert_eq!(
                openssl_handshake(port, "-tls1_3", &ca_file),
                Some(true),
                "TLS 1.3 (R-8322-5.3-c)"
            );
            assert_eq!(
                openssl_handshake(port, "-tls1_2", &ca_file),
                Some(true),
                "TLS 1.2 (R-8322-5.3-a)"
            );
        }
        None => rolie_testkit::skip(
            "skipped: openssl not installed, TLS version checks beyond the Rust client",
        ),
    }
    server.kill();
}

/// Operations: a renewed certificate written over the files is served after SIGHUP,
/// without a restart and without dropping the connections already open.
#[tokio::test]
async fn a_renewed_certificate_is_served_after_sighup_and_open_connections_stay() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let first = TestCa::new("first CA");
    let (server, base) = start_tls(dir.path(), &first, &[]).await;
    let url = format!("{base}/readyz");
    let before = client_trusting(&first);
    assert_eq!(before.get(&url).send().await.expect("GET").status(), 200);
    let second = TestCa::new("second CA");
    let (cert, key) = second.server_pem();
    std::fs::write(dir.path().join("server.crt"), cert).expect("write");
    std::fs::write(dir.path().join("server.key"), key).expect("write");
    let status = Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .expect("kill -HUP");
    assert!(status.success());
    let renewed = client_trusting(&second);
    let deadline = Instant::now() + Duration::from_secs(15);
    while !renewed
        .get(&url)
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        assert!(
            Instant::now() < deadline,
            "the renewed certificate is not served"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The connection opened under the first certificate is still served.
    let kept = before
        .get(&url)
        .send()
        .await
        .expect("the open connection still answers");
    assert_eq!(kept.status(), 200);
    // A new connection trusting only the first CA no longer gets through.
    assert!(client_trusting(&first).get(&url).send().await.is_err());
}
