//! Incremental sync (`docs/sync.md`): a poller that keeps the `since` token mirrors exactly
//! what it may see, deletions and changes of view included, and never hears of an entry it
//! could not read.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use rolie_model::vocabulary::{media_type, rel};
use rolie_model::{Feed, Restriction};
use rolie_testkit::{Backend, TestApp, fixtures, on_both_backends, oracle};

on_both_backends!(
    a_poller_mirrors_what_it_may_see_while_writers_work,
    tokens_are_bound_to_their_collection_and_caller,
    a_poll_with_nothing_new_is_empty_and_revalidates,
    content_digests_let_a_mirror_verify_what_it_fetched,
    the_service_document_says_when_each_collection_changed_for_the_caller,
    a_token_older_than_the_change_log_is_410_and_the_head_starts_again,
    the_head_page_names_what_left_the_readers_view,
);

/// The `rel-sync` href of a feed page.
fn sync_href(feed: &Feed) -> String {
    feed.link(rel::SYNC)
        .map(|l| l.href.clone())
        .expect("every feed page carries a sync link")
}

/// What a poller holds: `atom:id` → `atom:updated`.
type Mirror = HashMap<String, String>;

/// Follows a sync from `href` to the end of its window; applies it to `mirror`, records
/// every id heard of, and returns the href of the next poll.
async fn poll(
    app: &TestApp,
    token: &str,
    href: &str,
    mirror: &mut Mirror,
    heard: &mut HashSet<String>,
) -> String {
    let mut href = href.to_owned();
    loop {
        let response = app.get(&href, Some(token)).await;
        response.assert_status(200);
        let feed = oracle::feed(&response.body);
        for (gone, _) in feed.tombstones() {
            heard.insert(gone.to_owned());
            mirror.remove(gone);
        }
        for entry in &feed.entries {
            heard.insert(entry.id.clone());
            mirror.insert(
                entry.id.clone(),
                rolie_model::timestamp::format(entry.updated),
            );
        }
        match feed.link(rel::NEXT) {
            Some(next) => href = next.href.clone(),
            None => return sync_href(&feed),
        }
    }
}

/// The whole feed as `token` pages through it: what the mirror should hold.
async fn head_view(app: &TestApp, token: &str) -> Mirror {
    let mut view = Mirror::new();
    let mut href = "/rolie/feeds/incidents".to_owned();
    loop {
        let feed = oracle::feed(&app.get(&href, Some(token)).await.body);
        for entry in &feed.entries {
            view.insert(
                entry.id.clone(),
                rolie_model::timestamp::format(entry.updated),
            );
        }
        match feed.link(rel::NEXT) {
            Some(next) => href = next.href.clone(),
            None => return view,
        }
    }
}

/// A small deterministic generator, so a failure can be replayed.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        usize::try_from((self.0 >> 33) % below as u64).unwrap_or(0)
    }
}

const LEVELS: [&str; 4] = ["white", "green", "amber", "red"];

/// One writer: creates, changes of restriction (both ways) and deletes. Records which
/// entries were ever visible at green.
async fn writer(
    app: &TestApp,
    seed: u64,
    ever_green: &std::sync::Mutex<HashSet<String>>,
) -> HashSet<String> {
    let token = app.admin_token();
    let mut random = Lcg(seed);
    // (atom id, edit, edit-media, incident)
    let mut live: Vec<(String, String, String, String)> = Vec::new();
    let mut all = HashSet::new();
    for step in 0..30 {
        let choice = if live.is_empty() { 0 } else { random.next(4) };
        let level = LEVELS[random.next(LEVELS.len())];
        match choice {
            0 | 1 => {
                let incident = format!("W{seed}-{step}");
                let response = app
                    .post(
                        "/rolie/feeds/incidents",
                        media_type::XML,
                        fixtures::incident(&incident, level, "sync test"),
                        Some(&token),
                    )
                    .await;
                response.assert_status(201);
                let entry = oracle::entry(&response.body);
                if matches!(level, "white" | "green") {
                    ever_green.lock().expect("lock").insert(entry.id.clone());
                }
                all.insert(entry.id.clone());
                let edit = entry.link(rel::EDIT).expect("edit").href.clone();
                let media = entry
                    .link(rel::EDIT_MEDIA)
                    .expect("edit-media")
                    .href
                    .clone();
                live.push((entry.id, edit, media, incident));
            }
            2 => {
                let (atom_id, _, media, incident) = &live[random.next(live.len())];
                app.put(
                    media,
                    media_type::XML,
                    fixtures::incident(incident, level, "changed"),
                    Some(&token),
                )
                .await
                .assert_status(204);
                if matches!(level, "white" | "green") {
                    ever_green.lock().expect("lock").insert(atom_id.clone());
                }
            }
            _ => {
                let (_, edit, _, _) = live.swap_remove(random.next(live.len()));
                app.delete(&edit, Some(&token)).await.assert_status(204);
            }
        }
    }
    all
}

/// R-PROF-AUTHZ-c, RFC 6721: three writers create, raise, lower and delete entries while a
/// green poller syncs; at the end its mirror equals the feed as it sees it, and it never
/// heard of an entry that was never visible at green, not even through a tombstone.
async fn a_poller_mirrors_what_it_may_see_while_writers_work(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let green = app.token("poller", "rolie:read", Restriction::Partner);
    // Something before the poller starts, so its first read is not empty.
    app.publish(
        "incidents",
        &fixtures::incident("EARLY-1", "green", "before"),
    )
    .await
    .assert_status(201);
    let head = oracle::feed(&app.get("/rolie/feeds/incidents", Some(&green)).await.body);
    let mut mirror: Mirror = head
        .entries
        .iter()
        .map(|e| (e.id.clone(), rolie_model::timestamp::format(e.updated)))
        .collect();
    let mut href = sync_href(&head);
    let mut heard: HashSet<String> = mirror.keys().cloned().collect();
    let ever_green = Arc::new(std::sync::Mutex::new(HashSet::new()));
    let done = AtomicBool::new(false);
    let writers = async {
        let (a, b, c) = tokio::join!(
            writer(&app, 1, &ever_green),
            writer(&app, 2, &ever_green),
            writer(&app, 3, &ever_green)
        );
        done.store(true, Ordering::SeqCst);
        a.into_iter().chain(b).chain(c).collect::<HashSet<_>>()
    };
    let mut polls_during_writes = 0;
    let poller = async {
        while !done.load(Ordering::SeqCst) {
            href = poll(&app, &green, &href, &mut mirror, &mut heard).await;
            polls_during_writes += 1;
            tokio::task::yield_now().await;
        }
        // One more poll after the last write: it brings everything up to date.
        href = poll(&app, &green, &href, &mut mirror, &mut heard).await;
    };
    let (created, ()) = tokio::join!(writers, poller);
    assert!(
        polls_during_writes > 1,
        "the poller synced while the writers worked"
    );
    assert_eq!(
        mirror,
        head_view(&app, &green).await,
        "the mirror is the feed"
    );
    let ever_green = ever_green.lock().expect("lock").clone();
    let never_visible: Vec<&String> = created.difference(&ever_green).collect();
    assert!(!never_visible.is_empty(), "the run hid some entries");
    for id in never_visible {
        assert!(!heard.contains(id), "the poller heard of hidden entry {id}");
    }
    // Nothing new: the next poll is empty and hands back the same token.
    let last = oracle::feed(&app.get(&href, Some(&green)).await.body);
    assert!(last.entries.is_empty() && last.tombstones().next().is_none());
    assert_eq!(sync_href(&last), href);
}

/// A token works only on its collection and for its caller; anything else is a 400.
async fn tokens_are_bound_to_their_collection_and_caller(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let alice = app.token("alice", "rolie:read", Restriction::Private);
    let bob = app.token("bob", "rolie:read", Restriction::Partner);
    let head = oracle::feed(&app.get("/rolie/feeds/incidents", Some(&alice)).await.body);
    let href = sync_href(&head);
    app.get(&href, Some(&alice)).await.assert_status(200);
    // The token says nothing about writes its holder cannot see: a red entry leaves a
    // green reader's sync link as it was.
    let green_link = || async {
        sync_href(&oracle::feed(
            &app.get("/rolie/feeds/incidents", Some(&bob)).await.body,
        ))
    };
    let before = green_link().await;
    app.publish("incidents", &fixtures::incident("RED-1", "red", "hidden"))
        .await
        .assert_status(201);
    assert_eq!(green_link().await, before);
    app.get(&href, Some(&bob))
        .await
        .assert_problem(400, "not issued for this collection and these credentials");
    let other = href.replace("/rolie/feeds/incidents", "/rolie/feeds/indicators");
    app.get(&other, Some(&alice))
        .await
        .assert_problem(400, "not issued for this collection");
    app.get("/rolie/feeds/incidents?since=nonsense", Some(&alice))
        .await
        .assert_problem(400, "start again from the feed's sync link");
    app.get(&format!("{href}&limit=5&category=x"), Some(&alice))
        .await
        .assert_problem(400, "since takes no cursor or filter");
}

/// RFC 9110 §13.1.2: a poll with nothing new is an empty feed with the same token, and a
/// conditional repeat is a 304.
async fn a_poll_with_nothing_new_is_empty_and_revalidates(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.token("poller", "rolie:read", Restriction::Private);
    app.publish("incidents", fixtures::MINIMAL_V2)
        .await
        .assert_status(201);
    let head = oracle::feed(&app.get("/rolie/feeds/incidents", Some(&token)).await.body);
    let href = sync_href(&head);
    let response = app.get(&href, Some(&token)).await;
    response.assert_status(200);
    let feed = oracle::feed(&response.body);
    assert!(feed.entries.is_empty());
    assert_eq!(sync_href(&feed), href);
    let etag = response.header("etag").expect("an ETag").to_owned();
    let again = app
        .send(
            app.request(reqwest::Method::GET, &href, Some(&token))
                .header("if-none-match", etag),
        )
        .await;
    again.assert_status(304);
    // A new entry moves it.
    app.publish("incidents", &fixtures::incident("NEW-1", "green", "new"))
        .await
        .assert_status(201);
    let feed = oracle::feed(&app.get(&href, Some(&token)).await.body);
    assert_eq!(feed.entries.len(), 1);
}

/// RFC 9530: the entry states the SHA-256 of its content, the content response carries it
/// in `Repr-Digest` (the same whatever the content coding), and a publisher cannot set it.
async fn content_digests_let_a_mirror_verify_what_it_fetched(backend: Backend) {
    use base64::Engine as _;
    use sha2::Digest as _;
    let app = TestApp::spawn(backend).await;
    let token = app.admin_token();
    let entry = app
        .created_entry("incidents", media_type::XML, fixtures::RICH_V2)
        .await;
    let digest = sha2::Sha256::digest(fixtures::RICH_V2.as_bytes());
    assert_eq!(
        entry
            .property_values(rolie_model::vocabulary::property::CONTENT_SHA256)
            .collect::<Vec<_>>(),
        [hex::encode(digest)]
    );
    let src = entry
        .link(rel::EDIT_MEDIA)
        .expect("edit-media")
        .href
        .clone();
    let content = app.get(&src, Some(&token)).await;
    assert_eq!(content.body, fixtures::RICH_V2.as_bytes());
    let expected = format!(
        "sha-256=:{}:",
        base64::engine::general_purpose::STANDARD.encode(digest)
    );
    assert_eq!(content.header("repr-digest"), Some(expected.as_str()));
    // A digest sent by the publisher is replaced by the real one.
    let forged = format!(
        r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:r="urn:ietf:params:xml:ns:rolie-1.0"><title>t</title>
        <r:property name="urn:ietf:params:rolie:property:local:content-sha256" value="00"/>
        <content type="application/xml">{}</content></entry>"#,
        fixtures::MINIMAL_V2.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
    );
    let response = app
        .post(
            "/rolie/feeds/incidents",
            media_type::ATOM_ENTRY,
            forged,
            Some(&token),
        )
        .await;
    response.assert_status(201);
    let values: Vec<String> = oracle::entry(&response.body)
        .property_values(rolie_model::vocabulary::property::CONTENT_SHA256)
        .map(str::to_owned)
        .collect();
    assert_eq!(values.len(), 1);
    assert_ne!(values[0], "00");
}

/// "Anything new anywhere?" in one small request: each collection of the service document
/// states when the newest change the caller can see happened, and the document revalidates
/// to a 304 until such a change happens; hidden writes move neither.
async fn the_service_document_says_when_each_collection_changed_for_the_caller(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let green = app.token("poller", "rolie:read", Restriction::Partner);
    let path = "/rolie/servicedocument";
    let first = app.get(path, Some(&green)).await;
    first.assert_status(200);
    assert!(first.text().contains("last-change"), "{}", first.text());
    let last_change = |body: &[u8]| {
        oracle::service_document(body)
            .workspaces
            .iter()
            .flat_map(|w| &w.collections)
            .find(|c| c.href.ends_with("/rolie/feeds/incidents"))
            .and_then(|c| c.last_change)
            .expect("incidents states its last change")
    };
    let before = last_change(&first.body);
    let etag = first.header("etag").expect("ETag").to_owned();
    let revalidate = || async {
        app.send(
            app.request(reqwest::Method::GET, path, Some(&green))
                .header("if-none-match", etag.clone()),
        )
        .await
    };
    app.publish(
        "incidents",
        &fixtures::incident("HIDDEN-1", "red", "hidden"),
    )
    .await
    .assert_status(201);
    revalidate().await.assert_status(304);
    app.publish("incidents", &fixtures::incident("SEEN-1", "green", "seen"))
        .await
        .assert_status(201);
    let after = revalidate().await;
    after.assert_status(200);
    assert!(last_change(&after.body) > before);
}

/// Retention: once changes the poller could see are removed from the log, its old token is
/// answered 410 with a problem document saying to start again from the head, whose new
/// sync link works.
async fn a_token_older_than_the_change_log_is_410_and_the_head_starts_again(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let token = app.token("poller", "rolie:read", Restriction::Private);
    let head = oracle::feed(&app.get("/rolie/feeds/incidents", Some(&token)).await.body);
    let old = sync_href(&head);
    app.publish("incidents", fixtures::MINIMAL_V2)
        .await
        .assert_status(201);
    app.store
        .prune_changes(rolie_model::timestamp::now())
        .await
        .expect("prune");
    let response = app.get(&old, Some(&token)).await;
    response.assert_problem(410, "read the feed again from its head");
    let head = oracle::feed(&app.get("/rolie/feeds/incidents", Some(&token)).await.body);
    let fresh = app.get(&sync_href(&head), Some(&token)).await;
    fresh.assert_status(200);
}

/// Issue (sync, deletions visible): the head page of a feed carries an RFC 6721 tombstone
/// for each entry that left the reader's view in the window: deleted, or raised above its
/// clearance. A reader never hears of an entry it could not see, not even as a tombstone;
/// search results and later pages carry none; a window of 0 days turns them off.
async fn the_head_page_names_what_left_the_readers_view(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.admin_token();
    let green = app.token("reader", "rolie:read", Restriction::Partner);
    let deleted = app
        .created_entry(
            "incidents",
            media_type::XML,
            fixtures::incident("TOMB-GREEN", "green", "deleted later"),
        )
        .await;
    let hidden = app
        .created_entry(
            "incidents",
            media_type::XML,
            fixtures::incident("TOMB-RED", "red", "never seen by green"),
        )
        .await;
    let raised = app
        .created_entry(
            "incidents",
            media_type::XML,
            fixtures::incident("TOMB-RAISED", "green", "raised later"),
        )
        .await;
    for kept in ["TOMB-KEPT-1", "TOMB-KEPT-2"] {
        app.publish("incidents", &fixtures::incident(kept, "green", "kept"))
            .await
            .assert_status(201);
    }
    let path = |entry: &rolie_model::Entry, relation: &str| {
        let href = &entry.link(relation).expect("a link").href;
        href[href.find("/rolie/").expect("a path")..].to_owned()
    };
    for entry in [&deleted, &hidden] {
        app.delete(&path(entry, rel::EDIT), Some(&admin))
            .await
            .assert_status(204);
    }
    app.put(
        &path(&raised, rel::EDIT_MEDIA),
        media_type::XML,
        fixtures::incident("TOMB-RAISED", "red", "raised"),
        Some(&admin),
    )
    .await
    .assert_status(204);
    let tombstones = |feed: &Feed| -> HashSet<String> {
        feed.tombstones().map(|(id, _)| id.to_owned()).collect()
    };
    let head = |token: String, query: &'static str| {
        let app = &app;
        async move {
            let response = app
                .get(&format!("/rolie/feeds/incidents{query}"), Some(&token))
                .await;
            response.assert_status(200);
            oracle::feed(&response.body)
        }
    };
    assert_eq!(
        tombstones(&head(green.clone(), "").await),
        HashSet::from([deleted.id.clone(), raised.id.clone()]),
        "green sees what left its view, and nothing of the red entry"
    );
    assert_eq!(
        tombstones(&head(admin.clone(), "").await),
        HashSet::from([deleted.id.clone(), hidden.id.clone()]),
        "the raised entry is still in the administrator's view"
    );
    let first = head(green.clone(), "?limit=1").await;
    assert_eq!(tombstones(&first).len(), 2, "the first page of any size");
    let next = first.link(rel::NEXT).expect("a next page").href.clone();
    let next = oracle::feed(
        &app.get(&next[next.find("/rolie/").expect("a path")..], Some(&green))
            .await
            .body,
    );
    assert!(tombstones(&next).is_empty(), "not on later pages");
    assert!(
        tombstones(&head(green.clone(), "?q=kept").await).is_empty(),
        "not in search results"
    );

    let off = TestApp::builder(backend)
        .configure(|config| config.head_tombstone_window = None)
        .spawn()
        .await;
    let gone = off
        .created_entry(
            "incidents",
            media_type::XML,
            fixtures::incident("TOMB-OFF", "green", "deleted"),
        )
        .await;
    off.delete(&path(&gone, rel::EDIT), Some(&off.admin_token()))
        .await
        .assert_status(204);
    let feed = oracle::feed(
        &off.get("/rolie/feeds/incidents", Some(&off.admin_token()))
            .await
            .body,
    );
    assert!(tombstones(&feed).is_empty(), "turned off");
}
