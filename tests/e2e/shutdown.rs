//! Graceful shutdown: on SIGTERM the server stops accepting, finishes what is in flight,
//! and exits.

use std::time::Duration;

use crate::support::{SECRET, Server, free_port, post_incident, token};

#[tokio::test]
async fn sigterm_finishes_requests_in_flight_then_exits() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = free_port();
    let server = Server::start(
        dir.path(),
        port,
        &[("ROLIE_JWT_HS256_SECRET", SECRET.to_owned())],
    )
    .await;
    let document = rolie_testkit::fixtures::incident("SHUTDOWN-1", "green", "sent slowly");
    let (head, tail) = document.split_at(document.len() / 2);
    let (head, tail) = (head.to_owned(), tail.to_owned());
    let (gate, opened) = tokio::sync::oneshot::channel::<()>();
    let body = paused_body(head, tail, opened);
    let base = server.base_url.clone();
    let upload = tokio::spawn(async move {
        post_incident(
            &reqwest::Client::new(),
            &base,
            &token("admin", "rolie:write"),
            body,
        )
        .send()
        .await
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    server.terminate();
    // New connections are refused once the listener is closed.
    let mut refused = false;
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(refused, "the listener closes on SIGTERM");
    let _ = gate.send(());
    let response = upload
        .await
        .expect("task")
        .expect("the request in flight completes");
    assert_eq!(response.status(), 201);
    let status = server.wait_exit(Duration::from_secs(30));
    assert!(status.success(), "clean exit: {status:?}");
}

/// A body that sends `head`, waits for `open`, then sends `tail`.
fn paused_body(
    head: String,
    tail: String,
    open: tokio::sync::oneshot::Receiver<()>,
) -> reqwest::Body {
    let (sender, body) = rolie_testkit::channel_body();
    tokio::spawn(async move {
        let _ = sender.send(Ok(bytes::Bytes::from(head))).await;
        let _ = open.await;
        let _ = sender.send(Ok(bytes::Bytes::from(tail))).await;
    });
    body
}
