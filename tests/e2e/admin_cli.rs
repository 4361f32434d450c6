//! `rolie admin`: collections, feed tokens and the audit log of a running server, over its
//! admin API.

use std::path::Path;
use std::process::Output;

use crate::support::{SECRET, Server, command, free_port, token};

fn admin(dir: &Path, base: &str, token: &str, args: &[&str]) -> Output {
    command(dir)
        .args(["admin", "--server", base, "--token", token])
        .args(args)
        .output()
        .expect("run rolie admin")
}

fn out(output: &Output) -> String {
    format!(
        "status {:?}\n{}{}",
        output.status.code(),
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// Issue (operations, administration CLI): create, change and delete (with confirmation)
/// a collection; issue, list and revoke a feed token that then reads over Basic... only
/// until revoked; read the audit log filtered; a reader's token is refused with the
/// server's reason.
#[tokio::test]
async fn rolie_admin_manages_collections_tokens_and_reads_the_audit_log() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = free_port();
    let server = Server::start(
        dir.path(),
        port,
        &[("ROLIE_JWT_HS256_SECRET", SECRET.to_owned())],
    )
    .await;
    let base = server.base_url.clone();
    let root = token("root", "rolie:admin rolie:read rolie:write");
    let d = dir.path();

    let created = admin(
        d,
        &base,
        &root,
        &[
            "collections",
            "create",
            "notes",
            "--title",
            "Shared notes",
            "--public",
        ],
    );
    assert!(created.status.success(), "{}", out(&created));
    let listed = admin(d, &base, &root, &["--json", "collections", "list"]);
    assert!(listed.status.success(), "{}", out(&listed));
    let list: serde_json::Value = serde_json::from_slice(&listed.stdout).expect("JSON");
    let notes = list
        .as_array()
        .expect("list")
        .iter()
        .find(|c| c["name"] == "notes")
        .expect("the new collection");
    assert_eq!(notes["public"], true);
    let http = reqwest::Client::new();
    assert_eq!(
        http.get(format!("{base}/rolie/feeds/notes"))
            .send()
            .await
            .expect("GET")
            .status(),
        200
    );

    let updated = admin(
        d,
        &base,
        &root,
        &["collections", "update", "notes", "--public", "false"],
    );
    assert!(updated.status.success(), "{}", out(&updated));
    assert_eq!(
        http.get(format!("{base}/rolie/feeds/notes"))
            .send()
            .await
            .expect("GET")
            .status(),
        401
    );

    let unconfirmed = admin(d, &base, &root, &["collections", "delete", "notes"]);
    assert!(!unconfirmed.status.success());
    assert!(out(&unconfirmed).contains("--yes"), "{}", out(&unconfirmed));
    let deleted = admin(
        d,
        &base,
        &root,
        &["collections", "delete", "notes", "--yes"],
    );
    assert!(deleted.status.success(), "{}", out(&deleted));

    let issued = admin(
        d,
        &base,
        &root,
        &[
            "--json",
            "tokens",
            "issue",
            "--subject",
            "analyst",
            "--clearance",
            "green",
            "--label",
            "Thunderbird",
        ],
    );
    assert!(issued.status.success(), "{}", out(&issued));
    let issued: serde_json::Value = serde_json::from_slice(&issued.stdout).expect("JSON");
    let id = issued["username"].as_str().expect("user name").to_owned();
    let listed = admin(d, &base, &root, &["tokens", "list"]);
    assert!(
        out(&listed).contains(&id) && out(&listed).contains("active"),
        "{}",
        out(&listed)
    );
    assert!(
        !out(&listed).contains(issued["password"].as_str().expect("password")),
        "secrets are never listed"
    );
    let revoked = admin(d, &base, &root, &["tokens", "revoke", &id]);
    assert!(revoked.status.success(), "{}", out(&revoked));
    let listed = admin(d, &base, &root, &["tokens", "list"]);
    assert!(out(&listed).contains("revoked"), "{}", out(&listed));

    // The audit log is written behind the answers: give it a moment.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let records = loop {
        let audit = admin(
            d,
            &base,
            &root,
            &[
                "--json",
                "audit",
                "--subject",
                "root",
                "--action",
                "/admin/collections",
            ],
        );
        assert!(audit.status.success(), "{}", out(&audit));
        let records: serde_json::Value = serde_json::from_slice(&audit.stdout).expect("JSON");
        let records = records.as_array().expect("records").clone();
        if records.len() >= 3 || std::time::Instant::now() > deadline {
            break records;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert!(records.len() >= 3, "create, update, delete: {records:?}");
    assert!(records.iter().all(|r| r["subject"] == "root"));

    let reader = token("reader", "rolie:read");
    let refused = admin(d, &base, &reader, &["collections", "list"]);
    assert!(!refused.status.success());
    assert!(
        out(&refused).contains("not an administrator"),
        "{}",
        out(&refused)
    );
}
