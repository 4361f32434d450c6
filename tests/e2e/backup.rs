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

/// Everything a caller with every right sees of `path`, with what is expected to differ
/// between two databases taken out: the ETag is a header, and the sync token in the
/// `rel-sync` href is sealed with a key of each database.
async fn observed(base: &str, admin: &str, path: &str) -> String {
    let body = reqwest::Client::new()
        .get(format!("{base}{path}"))
        .bearer_auth(admin)
        .header("accept", "application/atom+xml")
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    body.lines()
        .map(|line| match line.find("since=") {
            Some(at) => format!("{}since=…", &line[..at]),
            None => line.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Issue (backup and restore): `rolie export` writes a collection as an Atom archive with
/// its content while the server runs; `rolie restore` recreates it in a fresh database
/// (SQLite, and PostgreSQL when configured: a move between backends), and a server on the
/// restored database serves the same feed, entries and content, byte for byte, ETags and
/// sync tokens aside: every level, drafts, revised entries, publisher titles.
#[tokio::test]
async fn an_exported_collection_restores_into_a_fresh_database_with_identical_feeds() {
    let original_dir = tempfile::tempdir().expect("temporary directory");
    let base_url = "https://rolie.example".to_owned();
    let env = [
        ("ROLIE_JWT_HS256_SECRET", SECRET.to_owned()),
        ("ROLIE_BASE_URL", base_url.clone()),
    ];
    let original = Server::start(original_dir.path(), free_port(), &env).await;
    let admin = token("admin", "rolie:admin rolie:read rolie:write");
    let http = reqwest::Client::new();
    let local = original.base_url.clone();
    for (id, level) in [("EX-1", "green"), ("EX-2", "amber"), ("EX-3", "red")] {
        let response = post_incident(
            &http,
            &local,
            &admin,
            rolie_testkit::fixtures::incident(id, level, &format!("exported {id}")),
        )
        .send()
        .await
        .expect("publish");
        assert_eq!(response.status(), 201);
    }
    // A draft, an Atom entry with the publisher's own title, and a revised document.
    let draft = http
        .post(format!("{local}/rolie/feeds/incidents"))
        .bearer_auth(&admin)
        .header("content-type", "application/atom+xml;type=entry")
        .body(rolie_testkit::fixtures::draft_entry(
            &rolie_testkit::fixtures::incident("EX-DRAFT", "green", "not yet"),
        ))
        .send()
        .await
        .expect("draft");
    assert_eq!(draft.status(), 201);
    let revised = post_incident(
        &http,
        &local,
        &admin,
        rolie_testkit::fixtures::incident("EX-4", "green", "first version"),
    )
    .send()
    .await
    .expect("publish");
    let entry = revised.headers()["location"]
        .to_str()
        .expect("location")
        .replace(&base_url, &local);
    let media = entry.replace("/rolie/entries/", "/rolie/content/");
    let etag = http
        .get(&media)
        .bearer_auth(&admin)
        .send()
        .await
        .expect("content")
        .headers()["etag"]
        .to_str()
        .expect("etag")
        .to_owned();
    let put = http
        .put(&media)
        .bearer_auth(&admin)
        .header("content-type", "application/xml")
        .header("if-match", etag)
        .body(rolie_testkit::fixtures::incident(
            "EX-4",
            "green",
            "second version",
        ))
        .send()
        .await
        .expect("revise");
    assert!(put.status().is_success(), "{}", put.status());

    let archive = original_dir.path().join("archive");
    let exported = command(original_dir.path())
        .args(["export", "incidents", archive.to_str().expect("path")])
        .output()
        .expect("rolie export");
    assert!(
        exported.status.success(),
        "{}",
        String::from_utf8_lossy(&exported.stderr)
    );
    assert!(String::from_utf8_lossy(&exported.stdout).contains("5 entries"));
    let entry_path = &entry[entry.find("/rolie/").expect("path")..];
    let paths = [
        "/rolie/feeds/incidents".to_owned(),
        "/rolie/feeds/incidents?limit=2".to_owned(),
        entry_path.to_owned(),
        entry_path.replace("/rolie/entries/", "/rolie/content/"),
    ];
    let mut before = Vec::new();
    for path in &paths {
        before.push(observed(&local, &admin, path).await);
    }
    assert!(before[0].contains("EX-DRAFT") && before[3].contains("second version"));

    let mut targets = vec![None];
    let pg = crate::support::postgres_db("the export and restore test on PostgreSQL").await;
    if let Some(db) = &pg {
        targets.push(Some(db.url.clone()));
    }
    for database in targets {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut restore = command(dir.path());
        restore.args(["restore", archive.to_str().expect("path")]);
        let mut env = env.to_vec();
        if let Some(url) = &database {
            restore.env("ROLIE_DATABASE_URL", url);
            env.push(("ROLIE_DATABASE_URL", url.clone()));
        }
        let restored = restore.output().expect("rolie restore");
        assert!(
            restored.status.success(),
            "{}",
            String::from_utf8_lossy(&restored.stderr)
        );
        let server = Server::start(dir.path(), free_port(), &env).await;
        for (path, expected) in paths.iter().zip(&before) {
            let after = observed(&server.base_url, &admin, path).await;
            assert_eq!(&after, expected, "{path} on {database:?}");
        }
        // A second restore into the same database is refused, naming the collection.
        let mut again = command(dir.path());
        again.args(["restore", archive.to_str().expect("path")]);
        if let Some(url) = &database {
            again.env("ROLIE_DATABASE_URL", url);
        }
        let again = again.output().expect("rolie restore");
        assert_eq!(again.status.code(), Some(1));
        assert!(String::from_utf8_lossy(&again.stderr).contains("collection incidents exists"));
        server.kill();
    }
    original.kill();
}
