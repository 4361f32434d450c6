//! `rolie backup`: a consistent copy of the embedded database taken while the server runs
//! and publishes, which a second server opens with identical feeds.

use rolie_model::read_feed;
use rolie_model::xml::Limits;

use crate::support::{SECRET, Server, command, free_port, post_incident, token};

async fn feed_entries(base: &str, admin: &str) -> Vec<(String, String)> {
    let body = reqwest::Client::new()
        .get(format!("{base}/rolie/feeds/incidents?limit=500"))
        .bearer_auth(admin)
        .send()
        .await
        .expect("GET feed")
        .bytes()
        .await
        .expect("body");
    let feed = read_feed(&body, &Limits::default()).expect("a feed");
    feed.entries
        .iter()
        .map(|e| (e.id.clone(), rolie_model::timestamp::format(e.updated)))
        .collect()
}

/// Issue (backup and restore): the copy is taken while writes go on, opens in a second
/// server, and serves the same entries as the original did when nothing more was written;
/// an existing file is never overwritten.
#[tokio::test]
async fn a_backup_taken_while_serving_restores_identical_feeds() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = free_port();
    let original = Server::start(
        dir.path(),
        port,
        &[("ROLIE_JWT_HS256_SECRET", SECRET.to_owned())],
    )
    .await;
    let admin = token("admin", "rolie:admin rolie:read rolie:write");
    let http = reqwest::Client::new();
    for i in 0..5 {
        let response = post_incident(
            &http,
            &original.base_url,
            &admin,
            rolie_testkit::fixtures::incident(&format!("BK-{i}"), "green", "before"),
        )
        .send()
        .await
        .expect("publish");
        assert_eq!(response.status(), 201);
    }
    // Writes go on while the copy is taken.
    let writer = {
        let (http, base, admin) = (http.clone(), original.base_url.clone(), admin.clone());
        tokio::spawn(async move {
            for i in 0..20 {
                let _ = post_incident(
                    &http,
                    &base,
                    &admin,
                    rolie_testkit::fixtures::incident(&format!("BK-W{i}"), "green", "during"),
                )
                .send()
                .await;
            }
        })
    };
    let backup = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || {
            command(&dir)
                .args(["backup", "copy.db"])
                .output()
                .expect("run rolie backup")
        }
    })
    .await
    .expect("backup");
    assert!(
        backup.status.success(),
        "{}",
        String::from_utf8_lossy(&backup.stderr)
    );
    writer.await.expect("writer");

    let port = free_port();
    let restored = Server::start(
        dir.path(),
        port,
        &[
            ("ROLIE_JWT_HS256_SECRET", SECRET.to_owned()),
            (
                "ROLIE_DATABASE_URL",
                format!("sqlite://{}", dir.path().join("copy.db").display()),
            ),
        ],
    )
    .await;
    let copied = feed_entries(&restored.base_url, &admin).await;
    let now = feed_entries(&original.base_url, &admin).await;
    assert!(
        (5..=25).contains(&copied.len()),
        "{} entries copied",
        copied.len()
    );
    // The copy is one snapshot: exactly the oldest entries of the original, unchanged.
    assert_eq!(
        copied[..],
        now[now.len() - copied.len()..],
        "a consistent prefix of the history"
    );

    let again = command(dir.path())
        .args(["backup", "copy.db"])
        .output()
        .expect("run rolie backup");
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwrites"));
}
