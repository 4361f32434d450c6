//! Several stateless replicas on one PostgreSQL (the docker-compose topology, as processes):
//! a write on one is read on the other, and validators agree, so pollers may hit any replica.

use std::collections::HashMap;

use rolie_testkit::{TestDb, fixtures};

use crate::support::{SECRET, Server, free_port, post_incident, postgres_db, token};

/// Two replicas on one fresh database, with one public name, as behind a load balancer.
struct Replicas {
    a: Server,
    b: Server,
    _dirs: (tempfile::TempDir, tempfile::TempDir),
    _db: TestDb,
}

impl Replicas {
    /// `None` (the skip said where CI shows it) without a PostgreSQL to test on.
    async fn start(test: &str) -> Option<Replicas> {
        let db = postgres_db(test).await?;
        let dirs = (
            tempfile::tempdir().expect("dir"),
            tempfile::tempdir().expect("dir"),
        );
        let env = [
            ("ROLIE_DATABASE_URL", db.url.clone()),
            ("ROLIE_JWT_HS256_SECRET", SECRET.to_owned()),
            ("ROLIE_BASE_URL", "https://rolie.example".to_owned()),
        ];
        // Both at once on the fresh database: their migrations race, and the advisory lock
        // the migrator takes must let both come up.
        let (a, b) = tokio::join!(
            Server::start(dirs.0.path(), free_port(), &env),
            Server::start(dirs.1.path(), free_port(), &env)
        );
        Some(Replicas {
            a,
            b,
            _dirs: dirs,
            _db: db,
        })
    }
}

#[tokio::test]
async fn two_replicas_on_one_database_serve_the_same_feed_and_validators() {
    let Some(Replicas { a, b, _dirs, _db }) = Replicas::start("the replica test").await else {
        return;
    };
    let http = reqwest::Client::new();
    let admin = token("admin", "rolie:admin rolie:read rolie:write");
    let post = |server: &Server, id: &str, description: &str| {
        post_incident(
            &http,
            &server.base_url,
            &admin,
            fixtures::incident(id, "green", description),
        )
        .send()
    };
    let posted = post(&a, "REPLICA-1", "written on A")
        .await
        .expect("POST on A");
    assert_eq!(posted.status(), 201);
    let feed = |server: &Server| {
        http.get(format!("{}/rolie/feeds/incidents", server.base_url))
            .bearer_auth(&admin)
    };
    let on_a = feed(&a).send().await.expect("GET A");
    let on_b = feed(&b).send().await.expect("GET B");
    let tag_a = on_a.headers()["etag"].to_str().expect("etag").to_owned();
    let tag_b = on_b.headers()["etag"].to_str().expect("etag").to_owned();
    assert_eq!(tag_a, tag_b, "replicas agree on the validator");
    let body_a = on_a.text().await.expect("body");
    let body_b = on_b.text().await.expect("body");
    assert!(body_b.contains("REPLICA-1"));
    assert_eq!(body_a, body_b, "replicas render the same feed");
    let revalidated = feed(&b)
        .header("if-none-match", &tag_a)
        .send()
        .await
        .expect("conditional GET on B");
    assert_eq!(revalidated.status(), 304, "A's ETag is good on B");
    post(&b, "REPLICA-2", "written on B")
        .await
        .expect("POST on B");
    let stale = feed(&a)
        .header("if-none-match", &tag_a)
        .send()
        .await
        .expect("conditional GET on A");
    assert_eq!(
        stale.status(),
        200,
        "a write on B invalidates the ETag on A"
    );
    a.kill();
    b.kill();
}

/// Each replica keeps what it read while nothing changed, and learns of the other's writes
/// through `LISTEN/NOTIFY`; a notification arrives after its commit, so a replica that
/// answered from what it kept could answer 304 for a feed that changed. A client that
/// writes through one replica and at once revalidates through the other must always see
/// its write (a write, then a conditional GET, thirty times in a row, both ways).
#[tokio::test]
async fn a_write_through_one_replica_is_seen_at_once_through_the_other() {
    let Some(Replicas { a, b, _dirs, _db }) = Replicas::start("the replica freshness test").await
    else {
        return;
    };
    let http = reqwest::Client::new();
    let admin = token("admin", "rolie:admin rolie:read rolie:write");
    let feed_url = |server: &Server| format!("{}/rolie/feeds/incidents", server.base_url);
    let mut tags = HashMap::new();
    for server in [&a, &b] {
        let first = http
            .get(feed_url(server))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("GET");
        tags.insert(
            server.base_url.clone(),
            first.headers()["etag"].to_str().expect("etag").to_owned(),
        );
    }
    for round in 0..30 {
        let (writer, reader) = if round % 2 == 0 { (&a, &b) } else { (&b, &a) };
        // Warm the reader's memory of this feed, then write through the other replica.
        let tag = tags[&reader.base_url].clone();
        let warm = http
            .get(feed_url(reader))
            .bearer_auth(&admin)
            .header("if-none-match", &tag)
            .send()
            .await
            .expect("conditional GET");
        assert_eq!(warm.status(), 304, "round {round}: nothing changed yet");
        let id = format!("FRESH-{round}");
        let posted = post_incident(
            &http,
            &writer.base_url,
            &admin,
            fixtures::incident(&id, "green", "written on the other replica"),
        )
        .send()
        .await
        .expect("POST");
        assert_eq!(posted.status(), 201, "round {round}");
        let after = http
            .get(feed_url(reader))
            .bearer_auth(&admin)
            .header("if-none-match", &tag)
            .send()
            .await
            .expect("conditional GET after the write");
        assert_eq!(
            after.status(),
            200,
            "round {round}: the other replica's write is seen at once"
        );
        let new_tag = after.headers()["etag"].to_str().expect("etag").to_owned();
        assert!(
            after.text().await.expect("body").contains(&id),
            "round {round}"
        );
        tags.insert(reader.base_url.clone(), new_tag);
        // The writer's own tag moved too; refresh it for its turn as reader.
        let own = http
            .get(feed_url(writer))
            .bearer_auth(&admin)
            .send()
            .await
            .expect("GET");
        tags.insert(
            writer.base_url.clone(),
            own.headers()["etag"].to_str().expect("etag").to_owned(),
        );
    }
    a.kill();
    b.kill();
}

/// A poller keeps its sync token whichever replica answers: the token is sealed with a key
/// both replicas read from the database, and the window it names is the same log.
#[tokio::test]
async fn a_sync_token_from_one_replica_works_on_the_other() {
    let Some(Replicas { a, b, _dirs, _db }) = Replicas::start("the replica sync test").await else {
        return;
    };
    let http = reqwest::Client::new();
    let admin = token("admin", "rolie:admin rolie:read rolie:write");
    let head = http
        .get(format!("{}/rolie/feeds/incidents", a.base_url))
        .bearer_auth(&admin)
        .send()
        .await
        .expect("GET");
    let head = rolie_testkit::oracle::feed(&head.bytes().await.expect("body"));
    // The replicas share one public base URL; ask replica b itself.
    let href = &head
        .link(rolie_model::vocabulary::rel::SYNC)
        .expect("a sync link")
        .href;
    let sync = format!(
        "{}{}",
        b.base_url,
        &href[href.find("/rolie/feeds/").expect("a feed href")..]
    );
    let posted = post_incident(
        &http,
        &a.base_url,
        &admin,
        fixtures::incident("SYNCED-1", "green", "written on replica a"),
    )
    .send()
    .await
    .expect("POST");
    assert_eq!(posted.status(), 201);
    let changes = http
        .get(&sync)
        .bearer_auth(&admin)
        .send()
        .await
        .expect("sync on replica b");
    assert_eq!(changes.status(), 200, "replica b opens replica a's token");
    let changes = rolie_testkit::oracle::feed(&changes.bytes().await.expect("body"));
    assert_eq!(changes.entries.len(), 1);
    assert!(changes.entries[0].title.as_plain().contains("SYNCED-1"));
    a.kill();
    b.kill();
}

/// Issue (replicas): two replicas started together on a fresh database both come up (the
/// migrations' advisory lock), take concurrent writes through both, agree on the result,
/// and the survivor keeps reading and writing when the other is killed.
#[tokio::test]
async fn replicas_take_concurrent_writes_and_one_survives_the_other() {
    let Some(Replicas { a, b, _dirs, _db }) = Replicas::start("the replica failover test").await
    else {
        return;
    };
    let http = reqwest::Client::new();
    let admin = token("admin", "rolie:admin rolie:read rolie:write");
    let writes = (0..20).map(|n| {
        let server = if n % 2 == 0 { &a } else { &b };
        post_incident(
            &http,
            &server.base_url,
            &admin,
            fixtures::incident(&format!("BOTH-{n}"), "green", "written concurrently"),
        )
        .send()
    });
    for response in futures::future::join_all(writes).await {
        assert_eq!(response.expect("POST").status(), 201);
    }
    let feed = |server: &Server| {
        http.get(format!(
            "{}/rolie/feeds/incidents?limit=50",
            server.base_url
        ))
        .bearer_auth(&admin)
        .send()
    };
    let (on_a, on_b) = (
        feed(&a).await.expect("GET A"),
        feed(&b).await.expect("GET B"),
    );
    assert_eq!(on_a.headers()["etag"], on_b.headers()["etag"]);
    let body = on_b.text().await.expect("body");
    for n in 0..20 {
        assert!(body.contains(&format!("\"BOTH-{n}\"")), "BOTH-{n} on B");
    }
    a.kill();
    let after = feed(&b).await.expect("GET B after A is gone");
    assert_eq!(after.status(), 200);
    let posted = post_incident(
        &http,
        &b.base_url,
        &admin,
        fixtures::incident("AFTER-KILL", "green", "written on the survivor"),
    )
    .send()
    .await
    .expect("POST on B");
    assert_eq!(posted.status(), 201);
    b.kill();
}
