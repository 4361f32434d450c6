//! Soak: readers, pollers and writers against the real binary for a bounded time (15 s by
//! default, `ROLIE_SOAK_SECONDS` for long runs via `scripts/soak.sh`). Loopback only, stops
//! by itself. Checks: no 5xx at all, server memory flat, every acknowledged write visible
//! afterwards and every deleted one gone. Prints its figures.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rand::Rng;
use rolie_model::xml::Limits;
use rolie_testkit::{Backend, TestDb, postgres_url};

use crate::support::{SECRET, Server, free_port, post_incident, token};

#[derive(Default)]
struct Stats {
    by_kind: BTreeMap<&'static str, Vec<Duration>>,
    statuses: BTreeMap<u16, u64>,
    server_errors: Vec<String>,
}

impl Stats {
    fn record(&mut self, kind: &'static str, status: u16, took: Duration, what: &str) {
        self.by_kind.entry(kind).or_default().push(took);
        *self.statuses.entry(status).or_default() += 1;
        if status >= 500 {
            self.server_errors.push(format!("{kind} {what}: {status}"));
        }
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

#[tokio::test]
async fn soak_readers_pollers_and_writers_see_no_5xx_and_flat_memory() {
    let seconds: u64 = std::env::var("ROLIE_SOAK_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let use_postgres = std::env::var("ROLIE_SOAK_BACKEND").is_ok_and(|b| b == "postgres")
        && postgres_url().is_some();
    let db = if use_postgres {
        Some(TestDb::create(Backend::Postgres).await)
    } else {
        None
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut env = vec![("ROLIE_JWT_HS256_SECRET", SECRET.to_owned())];
    if let Some(db) = &db {
        env.push(("ROLIE_DATABASE_URL", db.url.clone()));
    }
    let server = Server::start(dir.path(), free_port(), &env).await;
    let base = server.base_url.clone();
    let admin = token("soak", "rolie:admin rolie:read rolie:write");
    let stats = Arc::new(Mutex::new(Stats::default()));
    let live: Arc<Mutex<HashMap<String, String>>> = Arc::new(Mutex::new(HashMap::new()));
    let deleted: Arc<Mutex<HashSet<String>>> = Arc::new(Mutex::new(HashSet::new()));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(64)
        .build()
        .expect("client");
    let mut tasks = Vec::new();
    for writer in 0..4 {
        let (http, base, admin, stats, live, deleted) = (
            http.clone(),
            base.clone(),
            admin.clone(),
            stats.clone(),
            live.clone(),
            deleted.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let mut n = 0;
            while Instant::now() < deadline {
                n += 1;
                let id = format!("SOAK-{writer}-{n}");
                let started = Instant::now();
                let document =
                    rolie_testkit::fixtures::incident(&id, "green", &format!("soak entry {id}"));
                let response = post_incident(&http, &base, &admin, document)
                    .send()
                    .await
                    .expect("POST");
                let status = response.status().as_u16();
                let location = response
                    .headers()
                    .get("location")
                    .and_then(|l| l.to_str().ok())
                    .map(str::to_owned);
                stats
                    .lock()
                    .expect("stats")
                    .record("post", status, started.elapsed(), &id);
                let Some(location) = location else { continue };
                live.lock()
                    .expect("live")
                    .insert(id.clone(), location.clone());
                if n % 5 == 0 {
                    // Every fifth entry is edited, every tenth deleted.
                    let started = Instant::now();
                    let current = http
                        .get(&location)
                        .bearer_auth(&admin)
                        .send()
                        .await
                        .expect("GET");
                    let etag = current.headers()["etag"].to_str().expect("etag").to_owned();
                    let body = current.text().await.expect("body").replace(
                        "</entry>",
                        "<link rel=\"related\" href=\"https://soak.example/\"/></entry>",
                    );
                    let put = http
                        .put(&location)
                        .bearer_auth(&admin)
                        .header("content-type", "application/atom+xml;type=entry")
                        .header("if-match", etag)
                        .body(body)
                        .send()
                        .await
                        .expect("PUT");
                    stats.lock().expect("stats").record(
                        "put",
                        put.status().as_u16(),
                        started.elapsed(),
                        &id,
                    );
                }
                if n % 10 == 0 {
                    let started = Instant::now();
                    let delete = http
                        .delete(&location)
                        .bearer_auth(&admin)
                        .send()
                        .await
                        .expect("DELETE");
                    stats.lock().expect("stats").record(
                        "delete",
                        delete.status().as_u16(),
                        started.elapsed(),
                        &id,
                    );
                    if delete.status() == 204 {
                        live.lock().expect("live").remove(&id);
                        deleted.lock().expect("deleted").insert(id);
                    }
                }
            }
        }));
    }
    for _ in 0..8 {
        let (http, base, admin, stats) = (http.clone(), base.clone(), admin.clone(), stats.clone());
        tasks.push(tokio::spawn(async move {
            let mut etag = String::new();
            while Instant::now() < deadline {
                let started = Instant::now();
                let response = http
                    .get(format!("{base}/rolie/feeds/incidents"))
                    .bearer_auth(&admin)
                    .header("if-none-match", &etag)
                    .send()
                    .await
                    .expect("poll");
                let status = response.status().as_u16();
                if let Some(tag) = response.headers().get("etag").and_then(|t| t.to_str().ok()) {
                    etag = tag.to_owned();
                }
                let _ = response.bytes().await;
                stats.lock().expect("stats").record(
                    if status == 304 {
                        "poll-304"
                    } else {
                        "poll-200"
                    },
                    status,
                    started.elapsed(),
                    "feed",
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }
    for _ in 0..4 {
        let (http, base, admin, stats, live) = (
            http.clone(),
            base.clone(),
            admin.clone(),
            stats.clone(),
            live.clone(),
        );
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let started = Instant::now();
                let page = http
                    .get(format!("{base}/rolie/feeds/incidents?limit=50&cursor=last"))
                    .bearer_auth(&admin)
                    .send()
                    .await
                    .expect("page");
                let status = page.status().as_u16();
                let _ = page.bytes().await;
                stats
                    .lock()
                    .expect("stats")
                    .record("page", status, started.elapsed(), "last page");
                let pick = {
                    let live = live.lock().expect("live");
                    let n = live.len();
                    if n == 0 {
                        None
                    } else {
                        live.values().nth(rand::rng().random_range(0..n)).cloned()
                    }
                };
                if let Some(location) = pick {
                    let started = Instant::now();
                    let entry = http
                        .get(&location)
                        .bearer_auth(&admin)
                        .send()
                        .await
                        .expect("entry");
                    let status = entry.status().as_u16();
                    let _ = entry.bytes().await;
                    // A concurrent delete may make it 404; that is not an error.
                    stats.lock().expect("stats").record(
                        "entry",
                        status,
                        started.elapsed(),
                        &location,
                    );
                }
            }
        }));
    }
    let pid = server.pid();
    let mut memory = Vec::new();
    while Instant::now() < deadline {
        if let Some(kib) = rss_kib(pid) {
            memory.push(kib);
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    for task in tasks {
        task.await.expect("soak task");
    }
    // Every acknowledged, undeleted write is in the feed; every deleted one is not.
    let mut seen = HashSet::new();
    let mut next = Some(format!("{base}/rolie/feeds/incidents?limit=500"));
    while let Some(url) = next {
        let body = http
            .get(&url)
            .bearer_auth(&admin)
            .send()
            .await
            .expect("feed")
            .bytes()
            .await
            .expect("body");
        let feed = rolie_model::read_feed(&body, &Limits::default()).expect("feed parses");
        seen.extend(feed.entries.iter().filter_map(|e| {
            e.property_values(rolie_model::vocabulary::property::CONTENT_ID)
                .next()
                .map(str::to_owned)
        }));
        next = feed.link("next").map(|l| l.href.clone());
    }
    let live = live.lock().expect("live").clone();
    let deleted = deleted.lock().expect("deleted").clone();
    let stats = stats.lock().expect("stats");
    println!(
        "soak: {seconds} s on {}",
        if use_postgres { "PostgreSQL" } else { "SQLite" }
    );
    println!(
        "{:<10} {:>8} {:>10} {:>10}",
        "kind", "count", "p50 ms", "p99 ms"
    );
    for (kind, times) in &stats.by_kind {
        let mut sorted = times.clone();
        sorted.sort();
        println!(
            "{kind:<10} {:>8} {:>10.1} {:>10.1}",
            sorted.len(),
            percentile(&sorted, 0.5).as_secs_f64() * 1e3,
            percentile(&sorted, 0.99).as_secs_f64() * 1e3
        );
    }
    println!("statuses: {:?}", stats.statuses);
    let quarter = memory.len() / 4;
    let early = memory
        .get(quarter..2 * quarter)
        .and_then(|m| m.iter().max().copied())
        .unwrap_or(0);
    let late = memory
        .get(3 * quarter..)
        .and_then(|m| m.iter().max().copied())
        .unwrap_or(0);
    println!(
        "server RSS: first {} KiB, second quarter max {early} KiB, last quarter max {late} KiB, samples {}",
        memory.first().copied().unwrap_or(0),
        memory.len()
    );
    println!(
        "writes: {} live, {} deleted, {} in the feed",
        live.len(),
        deleted.len(),
        seen.len()
    );
    assert!(
        stats.server_errors.is_empty(),
        "5xx answers: {:?}",
        stats.server_errors
    );
    for id in live.keys() {
        assert!(
            seen.contains(id),
            "acknowledged write {id} missing after the soak"
        );
    }
    for id in &deleted {
        assert!(!seen.contains(id), "deleted entry {id} still in the feed");
    }
    assert!(
        live.len() + deleted.len() > 20,
        "the soak wrote too little to mean anything"
    );
    // Flat memory: the last quarter stays within 50% (+16 MiB of slack) of the second.
    assert!(
        late <= early + early / 2 + 16 * 1024,
        "server memory grew from {early} KiB to {late} KiB"
    );
    server.kill();
}
