//! Several stateless replicas on one PostgreSQL (the docker-compose topology, as processes):
//! a write on one is read on the other, and validators agree, so pollers may hit any replica.

use rolie_testkit::fixtures;

use crate::support::{SECRET, Server, free_port, post_incident, postgres_db, token};

#[tokio::test]
async fn two_replicas_on_one_database_serve_the_same_feed_and_validators() {
    let Some(db) = postgres_db("the replica test").await else {
        return;
    };
    let (dir_a, dir_b) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let env = [
        ("ROLIE_DATABASE_URL", db.url.clone()),
        ("ROLIE_JWT_HS256_SECRET", SECRET.to_owned()),
        // One public name for both, as behind a load balancer.
        ("ROLIE_BASE_URL", "https://rolie.example".to_owned()),
    ];
    let a = Server::start(dir_a.path(), free_port(), &env).await;
    let b = Server::start(dir_b.path(), free_port(), &env).await;
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
