//! Connection hygiene against hostile networks: silent sockets, half-sent prefaces, idle
//! HTTP/2 connections and one address holding every slot (R-PROF-SAFE-a).

use std::sync::Arc;
use std::time::Duration;

use rolie_testkit::{Backend, TestApp};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Reads until the server closes the connection; `None` when it is still open after
/// `within`. Returns everything read.
async fn closed_within<S: tokio::io::AsyncRead + Unpin>(
    stream: &mut S,
    within: Duration,
) -> Option<Vec<u8>> {
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    let read_all = async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => seen.extend_from_slice(&buffer[..n]),
            }
        }
    };
    tokio::time::timeout(within, read_all).await.ok()?;
    Some(seen)
}

/// A TCP connection to the server from `local` (any port).
async fn connect_from(local: [u8; 4], server: std::net::SocketAddr) -> std::io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind((local, 0).into())?;
    socket.connect(server).await
}

/// The reproduction: silent connections from one address filled every slot and the server
/// answered nobody while they were held. Now one address holds at most its share, and a
/// client on another address is served at once.
#[tokio::test]
async fn silent_connections_from_one_address_cannot_starve_another() {
    let app = TestApp::builder(Backend::Sqlite)
        .serve_options(|o| {
            o.max_connections = 64;
            o.max_connections_per_address = 16;
            // Long enough that none of them is closed by the deadline during the test.
            o.header_read_timeout = Duration::from_secs(60);
        })
        .spawn()
        .await;
    let mut held = Vec::new();
    for _ in 0..80 {
        held.push(
            connect_from([127, 0, 0, 1], app.address)
                .await
                .expect("connect"),
        );
    }
    // Every connection past the address's share is closed by the server at once.
    let mut closed = 0;
    for socket in &mut held {
        if closed_within(socket, Duration::from_millis(100))
            .await
            .is_some()
        {
            closed += 1;
        }
    }
    assert_eq!(
        closed,
        80 - 16,
        "connections closed over the per-address cap"
    );
    let other = reqwest::Client::builder()
        .no_proxy()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .expect("client");
    let url = format!("http://127.0.0.1:{}/healthz", app.address.port());
    let response = tokio::time::timeout(Duration::from_secs(5), other.get(&url).send())
        .await
        .expect("a client on 127.0.0.2 is served within seconds")
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    drop(held);
}

/// A connection that never completes a request head is closed after the header timeout,
/// whether it sends nothing (the protocol is never detected), part of the HTTP/2 preface,
/// or part of an HTTP/1.1 head.
#[tokio::test]
async fn connections_without_a_request_head_are_closed_after_the_header_timeout() {
    let app = TestApp::builder(Backend::Sqlite)
        .serve_options(|o| o.header_read_timeout = Duration::from_secs(1))
        .spawn()
        .await;
    for (case, sent) in [
        ("nothing", &b""[..]),
        ("half an HTTP/2 preface", &b"PRI * HTTP/2.0\r\n"[..]),
        ("one byte", &b"G"[..]),
        (
            "half an HTTP/1.1 head",
            &b"GET /healthz HTTP/1.1\r\nHost: x\r\n"[..],
        ),
    ] {
        let mut socket = TcpStream::connect(app.address).await.expect("connect");
        socket.write_all(sent).await.expect("write");
        assert!(
            closed_within(&mut socket, Duration::from_secs(6))
                .await
                .is_some(),
            "{case}: still open"
        );
    }
    app.get("/healthz", None).await.assert_status(200);
}

/// The same after a completed TLS handshake: the deadline counts from the accept, not from
/// the first byte of HTTP.
#[tokio::test]
async fn a_silent_connection_after_the_tls_handshake_is_closed() {
    let app = TestApp::builder(Backend::Sqlite)
        .tls()
        .serve_options(|o| o.header_read_timeout = Duration::from_secs(1))
        .spawn()
        .await;
    let ca = app.ca.clone().expect("TLS test CA");
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.cert_der()).expect("CA");
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    for alpn in [&b"h2"[..], &b"http/1.1"[..]] {
        config.alpn_protocols = vec![alpn.to_vec()];
        let connector = tokio_rustls::TlsConnector::from(Arc::new(config.clone()));
        let tcp = TcpStream::connect(app.address).await.expect("connect");
        let name = rustls::pki_types::ServerName::try_from("localhost").expect("name");
        let mut tls = connector.connect(name, tcp).await.expect("handshake");
        assert!(
            closed_within(&mut tls, Duration::from_secs(6))
                .await
                .is_some(),
            "{}: still open",
            String::from_utf8_lossy(alpn)
        );
    }
}

/// An HTTP/2 connection that sends its preface and settings and then nothing is told
/// GOAWAY and closed; an HTTP/1.1 connection idle after its request is closed too.
#[tokio::test]
async fn idle_connections_are_closed() {
    let app = TestApp::builder(Backend::Sqlite)
        .serve_options(|o| {
            o.header_read_timeout = Duration::from_secs(1);
            o.idle_timeout = Duration::from_secs(1);
        })
        .spawn()
        .await;
    // HTTP/2 with prior knowledge: preface, then an empty SETTINGS frame.
    let mut h2 = TcpStream::connect(app.address).await.expect("connect");
    h2.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00")
        .await
        .expect("preface");
    let frames = closed_within(&mut h2, Duration::from_secs(6))
        .await
        .expect("an idle HTTP/2 connection is closed");
    assert!(has_goaway(&frames), "no GOAWAY before the close");
    // HTTP/1.1 keep-alive after one request.
    let mut h1 = TcpStream::connect(app.address).await.expect("connect");
    h1.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("request");
    let answer = closed_within(&mut h1, Duration::from_secs(6))
        .await
        .expect("an idle HTTP/1.1 connection is closed");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 200"));
}

/// Whether a stream of HTTP/2 frames holds a GOAWAY (type 7).
fn has_goaway(mut frames: &[u8]) -> bool {
    while frames.len() >= 9 {
        let length =
            usize::from(frames[0]) << 16 | usize::from(frames[1]) << 8 | usize::from(frames[2]);
        if frames[3] == 7 {
            return true;
        }
        frames = frames.get(9 + length..).unwrap_or(&[]);
    }
    false
}
