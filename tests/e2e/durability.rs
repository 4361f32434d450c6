//! An acknowledged write survives a crash: several clients publish while the server is
//! killed with SIGKILL at random moments; after each restart every write that got a 201 is
//! there byte for byte, and nothing half-written is visible (STYLE §6.4, robustness).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use rolie_model::xml::Limits;

use crate::support::{SECRET, Server, free_port, post_incident, postgres_db, token};

/// Rounds of kill-and-restart (more with `ROLIE_CRASH_ROUNDS`).
fn rounds() -> usize {
    std::env::var("ROLIE_CRASH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(3)
}

async fn crash_rounds(dir: &Path, database_url: Option<String>) {
    let mut env = vec![("ROLIE_JWT_HS256_SECRET", SECRET.to_owned())];
    if let Some(url) = database_url {
        env.push(("ROLIE_DATABASE_URL", url));
    }
    let acknowledged: Arc<Mutex<HashMap<String, String>>> = Arc::new(Mutex::new(HashMap::new()));
    let attempted: Arc<Mutex<HashSet<String>>> = Arc::new(Mutex::new(HashSet::new()));
    let admin = token("admin", "rolie:admin rolie:read rolie:write");
    for round in 0..rounds() {
        let port = free_port();
        let server = Server::start(dir, port, &env).await;
        let base = server.base_url.clone();
        let clients: Vec<_> = (0..4)
            .map(|client| {
                let (base, admin) = (base.clone(), admin.clone());
                let (acknowledged, attempted) = (acknowledged.clone(), attempted.clone());
                tokio::spawn(async move {
                    let http = reqwest::Client::builder()
                        .timeout(Duration::from_secs(5))
                        .build()
                        .expect("client");
                    for n in 0.. {
                        let id = format!("R{round}-C{client}-{n}");
                        let document = rolie_testkit::fixtures::incident(
                            &id,
                            "green",
                            &format!("crash test {id}"),
                        );
                        attempted.lock().expect("lock").insert(id.clone());
                        let sent = post_incident(&http, &base, &admin, document.clone())
                            .send()
                            .await;
                        match sent {
                            Ok(response) if response.status() == 201 => {
                                acknowledged.lock().expect("lock").insert(id, document);
                            }
                            Ok(response) => {
                                panic!("unexpected status {} before the crash", response.status())
                            }
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        let delay = rand::rng().random_range(300..1500);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.kill();
        for client in clients {
            client.await.expect("client task");
        }
        let restarted = Server::start(dir, port, &env).await;
        // Snapshots: the clients are done, and no lock may be held across the awaits below.
        let acknowledged_now = acknowledged.lock().expect("lock").clone();
        let attempted_now = attempted.lock().expect("lock").clone();
        verify(
            &restarted.base_url,
            &admin,
            &acknowledged_now,
            &attempted_now,
        )
        .await;
        restarted.kill();
    }
    assert!(
        acknowledged.lock().expect("lock").len() > 10,
        "the test published too little to mean anything"
    );
}

async fn verify(
    base: &str,
    admin: &str,
    acknowledged: &HashMap<String, String>,
    attempted: &HashSet<String>,
) {
    let http = reqwest::Client::new();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut next = Some(format!("{base}/rolie/feeds/incidents?limit=500"));
    while let Some(url) = next {
        let body = http
            .get(&url)
            .bearer_auth(admin)
            .send()
            .await
            .expect("feed")
            .bytes()
            .await
            .expect("feed body");
        let feed = rolie_model::read_feed(&body, &Limits::default())
            .expect("a well-formed feed after the crash");
        for entry in &feed.entries {
            let id = entry
                .property_values(rolie_model::vocabulary::property::CONTENT_ID)
                .next()
                .expect("content-id")
                .to_owned();
            let Some(rolie_model::Content::OutOfLine { src, .. }) = &entry.content else {
                panic!("entry {id} without content");
            };
            let content = http
                .get(src)
                .bearer_auth(admin)
                .send()
                .await
                .expect("content");
            assert_eq!(
                content.status(),
                200,
                "entry {id} is visible but its content is not: half-written"
            );
            let bytes = content.text().await.expect("content body");
            assert!(
                seen.insert(id.clone(), bytes).is_none(),
                "{id} twice in the feed"
            );
        }
        next = feed.link("next").map(|l| l.href.clone());
    }
    for (id, document) in acknowledged {
        assert_eq!(
            seen.get(id),
            Some(document),
            "acknowledged write {id} lost or changed after the crash"
        );
    }
    for id in seen.keys() {
        assert!(attempted.contains(id), "{id} was never sent");
    }
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill_on_sqlite() {
    let dir = tempfile::tempdir().expect("temporary directory");
    crash_rounds(dir.path(), None).await;
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill_on_postgres() {
    let Some(db) = postgres_db("the crash test on PostgreSQL").await else {
        return;
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    crash_rounds(dir.path(), Some(db.url.clone())).await;
}
