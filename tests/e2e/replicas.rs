//! Several stateless replicas on one PostgreSQL (the docker-compose topology, as processes):
//! a write on one is read on the other, and validators agree, so pollers may hit any replica.

use rolie_testkit::{Backend, TestDb, postgres_url};

use crate::support::{SECRET, Server, free_port, token};

#[tokio::test]
async fn two_replicas_on_one_database_serve_the_same_feed_and_validators() {
    if postgres_url().is_none() {
        eprintln!("skipped: set ROLIE_TEST_DATABASE_URL to run the replica test");
        return;
    }
    let db = TestDb::create(Backend::Postgres).await;
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let env = |port: u16| {
        vec![
            ("ROLIE_DATABASE_URL", db.url.clone()),
            ("ROLIE_JWT_HS256_SECRET", SECRET.to_owned()),
            // One public name for both, as behind a load balancer.
            ("ROLIE_BASE_URL", "https://rolie.example".to_owned()),
            ("ROLIE_LISTEN", format!("127.0.0.1:{port}")),
        ]
    };
    let (port_a, port_b) = (free_port(), free_port());
    let a = Server::start(dir_a.path(), port_a, &env(port_a)).await;
    let b = Server::start(dir_b.path(), port_b, &env(port_b)).await;
    let http = reqwest::Client::new();
    let admin = token("admin", "rolie:admin rolie:read rolie:write");
    let posted = http
        .post(format!("{}/rolie/feeds/incidents", a.base_url))
        .bearer_auth(&admin)
        .header("content-type", "application/xml")
        .body(rolie_testkit::fixtures::incident(
            "REPLICA-1",
            "green",
            "written on A",
        ))
        .send()
        .await
        .expect("POST on A");
    assert_eq!(posted.status(), 201);
    let feed = |server: &Server| {
        http.get(format!("{}/rolie/feeds/incidents", server.base_url))
            .bearer_auth(&admin)
            .send()
    };
    let on_a = feed(&a).await.expect("GET A");
    let on_b = feed(&b).await.expect("GET B");
    let tag_a = on_a.headers()["etag"].to_str().expect("etag").to_owned();
    let tag_b = on_b.headers()["etag"].to_str().expect("etag").to_owned();
    assert_eq!(tag_a, tag_b, "replicas agree on the validator");
    let body_a = on_a.text().await.expect("body");
    let body_b = on_b.text().await.expect("body");
    assert!(body_b.contains("REPLICA-1"));
    assert_eq!(body_a, body_b, "replicas render the same feed");
    let revalidated = http
        .get(format!("{}/rolie/feeds/incidents", b.base_url))
        .bearer_auth(&admin)
        .header("if-none-match", &tag_a)
        .send()
        .await
        .expect("conditional GET on B");
    assert_eq!(revalidated.status(), 304, "A's ETag is good on B");
    http.post(format!("{}/rolie/feeds/incidents", b.base_url))
        .bearer_auth(&admin)
        .header("content-type", "application/xml")
        .body(rolie_testkit::fixtures::incident(
            "REPLICA-2",
            "green",
            "written on B",
        ))
        .send()
        .await
        .expect("POST on B");
    let stale = http
        .get(format!("{}/rolie/feeds/incidents", a.base_url))
        .bearer_auth(&admin)
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
