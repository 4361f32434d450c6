//! Authorization: the access matrix (principal × action × collection), restriction-aware
//! visibility, collection caps, drafts, bearer-token checks, client certificates and
//! feed-reader credentials over HTTP Basic.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use rolie_authz::authenticate::{CertificateMapping, JwtAuthenticator, JwtKey, JwtSettings};
use rolie_model::Restriction;
use rolie_model::vocabulary::{media_type, rel};
use rolie_testkit::rcgen::{KeyPair, SigningKey};
use rolie_testkit::{
    Backend, Response, TEST_SECRET, TestApp, TestCa, fixtures, on_both_backends, oracle, spec,
};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

on_both_backends!(
    the_access_matrix_answers_every_principal_action_and_collection,
    each_clearance_sees_exactly_the_entries_at_or_below_it,
    content_above_a_collections_cap_is_422_and_stores_nothing,
    drafts_are_seen_only_by_their_publisher_and_administrators,
    feed_reader_credentials_work_over_basic_on_tls_only,
);

const ENTRY_TYPE: &str = "application/atom+xml;type=entry";

/// A published entry: its edit URI, its media resource and its `atom:id`.
#[derive(Debug, Clone)]
struct Published {
    location: String,
    src: String,
    atom_id: String,
}

/// Publishes `fixtures::incident(id, level, description)` to `collection` as the
/// administrator.
async fn publish(
    app: &TestApp,
    collection: &str,
    id: &str,
    level: &str,
    description: &str,
) -> Published {
    let response = app
        .publish(collection, &fixtures::incident(id, level, description))
        .await;
    response.assert_status(201);
    let entry = oracle::entry(&response.body);
    Published {
        location: response.location(),
        src: entry
            .link(rel::EDIT_MEDIA)
            .expect("edit-media")
            .href
            .clone(),
        atom_id: entry.id,
    }
}

/// The problem detail of a response, or its status line when it has none.
fn detail(response: &Response) -> String {
    serde_json::from_slice::<Value>(&response.body)
        .ok()
        .and_then(|v| v["detail"].as_str().map(str::to_owned))
        .unwrap_or_else(|| response.status.to_string())
}

/// Every entry id of a feed, following `next` links; also the size of each page.
async fn walk(app: &TestApp, first: &str, token: Option<&str>) -> (Vec<String>, Vec<usize>) {
    let mut ids = Vec::new();
    let mut sizes = Vec::new();
    let mut next = Some(first.to_owned());
    while let Some(path) = next {
        let response = app.get(&path, token).await;
        response.assert_status(200);
        let page = oracle::feed(&response.body);
        sizes.push(page.entries.len());
        ids.extend(page.entries.iter().map(|e| e.id.clone()));
        next = page.link(rel::NEXT).map(|l| l.href.clone());
    }
    (ids, sizes)
}

// ---------------------------------------------------------------------------------------
// 1. The matrix
// ---------------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    ReaderGreen,
    ReaderRed,
    Writer,
    Admin,
}

/// What one principal gets on one collection.
struct Row {
    who: Who,
    collection: &'static str,
    /// Whether the service document (200 for everyone: one collection is public) lists it.
    listed: bool,
    /// GET feed, GET entry, GET content, search (`?q=`).
    reads: [u16; 4],
    /// POST, PUT, DELETE.
    writes: [u16; 3],
    /// GET `/admin/collections/{collection}`.
    admin: u16,
}

const READABLE: [u16; 4] = [200; 4];

/// The expected answers, as the policy is designed: anonymous callers read public
/// collections only and are asked for credentials (401) for everything else, entries
/// included, existing or not (so nothing is revealed and clients that log in only when
/// challenged can); known callers without the right scope get 403; a narrowed write scope
/// reads and writes its own collection only.
const MATRIX: [Row; 10] = [
    Row {
        who: Who::Anonymous,
        collection: "public",
        listed: true,
        reads: READABLE,
        writes: [401, 401, 401],
        admin: 401,
    },
    Row {
        who: Who::Anonymous,
        collection: "restricted",
        listed: false,
        reads: [401, 401, 401, 401],
        writes: [401, 401, 401],
        admin: 401,
    },
    Row {
        who: Who::ReaderGreen,
        collection: "public",
        listed: true,
        reads: READABLE,
        writes: [403, 403, 403],
        admin: 403,
    },
    Row {
        who: Who::ReaderGreen,
        collection: "restricted",
        listed: true,
        reads: READABLE,
        writes: [403, 403, 403],
        admin: 403,
    },
    Row {
        who: Who::ReaderRed,
        collection: "public",
        listed: true,
        reads: READABLE,
        writes: [403, 403, 403],
        admin: 403,
    },
    Row {
        who: Who::ReaderRed,
        collection: "restricted",
        listed: true,
        reads: READABLE,
        writes: [403, 403, 403],
        admin: 403,
    },
    Row {
        who: Who::Writer,
        collection: "public",
        listed: true,
        reads: READABLE,
        writes: [403, 403, 403],
        admin: 403,
    },
    Row {
        who: Who::Writer,
        collection: "restricted",
        listed: true,
        reads: READABLE,
        writes: [201, 200, 204],
        admin: 403,
    },
    Row {
        who: Who::Admin,
        collection: "public",
        listed: true,
        reads: READABLE,
        writes: [201, 200, 204],
        admin: 200,
    },
    Row {
        who: Who::Admin,
        collection: "restricted",
        listed: true,
        reads: READABLE,
        writes: [201, 200, 204],
        admin: 200,
    },
];

/// Records a mismatch for `cell` unless `response` has `expected`; says whether it had.
fn check(mismatches: &mut Vec<String>, cell: &str, response: &Response, expected: u16) -> bool {
    let actual = response.status.as_u16();
    if actual != expected {
        mismatches.push(format!(
            "{cell}: expected {expected}, got {actual} ({})",
            detail(response)
        ));
    }
    actual == expected
}

/// Issue acceptance, R-8322-5.4-a/b/d, R-PROF-AUTHZ-a/b, R-5023-9.2/9.3/9.4: principals
/// {anonymous, reader green, reader red, writer of one collection, admin} × actions {service
/// document, feed, entry, content, search, POST, PUT, DELETE, admin} × collections {public,
/// restricted}. Every refused write changes nothing.
async fn the_access_matrix_answers_every_principal_action_and_collection(backend: Backend) {
    let app = TestApp::builder(backend)
        .collection(spec("public", "incident", Restriction::Public, true))
        .collection(spec("restricted", "incident", Restriction::Private, false))
        .spawn()
        .await;
    let admin = app.admin_token();
    let level = |collection: &str| {
        if collection == "public" {
            "white"
        } else {
            "green"
        }
    };
    let mut seeds = BTreeMap::new();
    for collection in ["public", "restricted"] {
        let id = format!("SEED-{collection}");
        let seed = publish(
            &app,
            collection,
            &id,
            level(collection),
            "zephyr matrix seed",
        )
        .await;
        seeds.insert(collection, seed);
    }
    let token_of = |who: Who| match who {
        Who::Anonymous => None,
        Who::ReaderGreen => Some(app.token("reader-green", "rolie:read", Restriction::Partner)),
        Who::ReaderRed => Some(app.token("reader-red", "rolie:read", Restriction::Private)),
        Who::Writer => Some(app.token("writer", "rolie:write:restricted", Restriction::Partner)),
        Who::Admin => Some(admin.clone()),
    };
    let mut mismatches = Vec::new();
    let mut serial = 0;
    for row in &MATRIX {
        let token = token_of(row.who);
        let token = token.as_deref();
        let c = row.collection;
        let seed = &seeds[c];
        let cell = |action: &str| format!("{:?} × {action} × {c}", row.who);

        let svc = app.get("/rolie/servicedocument", token).await;
        if check(&mut mismatches, &cell("service document"), &svc, 200)
            && oracle::collection_names(&svc.body).iter().any(|n| n == c) != row.listed
        {
            mismatches.push(format!(
                "{}: listed {:?}, expected {c} {}",
                cell("service document"),
                oracle::collection_names(&svc.body),
                if row.listed { "listed" } else { "absent" }
            ));
        }
        let feed = app.get(&format!("/rolie/feeds/{c}"), token).await;
        check(&mut mismatches, &cell("feed"), &feed, row.reads[0]);
        let entry = app.get(&seed.location, token).await;
        check(&mut mismatches, &cell("entry"), &entry, row.reads[1]);
        let content = app.get(&seed.src, token).await;
        check(&mut mismatches, &cell("content"), &content, row.reads[2]);
        let search = app.get(&format!("/rolie/feeds/{c}?q=zephyr"), token).await;
        if check(&mut mismatches, &cell("search"), &search, row.reads[3]) && search.status == 200 {
            let hits = oracle::feed(&search.body).entries.len();
            if hits != 1 {
                mismatches.push(format!("{}: {hits} hits, expected 1", cell("search")));
            }
        }

        serial += 1;
        let before = app.change_seq(c).await;
        let post = app
            .post(
                &format!("/rolie/feeds/{c}"),
                media_type::XML,
                fixtures::incident(&format!("MX-{serial}"), level(c), "matrix post"),
                token,
            )
            .await;
        check(&mut mismatches, &cell("POST"), &post, row.writes[0]);
        if row.writes[0] >= 400 && app.change_seq(c).await != before {
            mismatches.push(format!("{}: refused but stored", cell("POST")));
        }

        let current = app.get(&seed.location, Some(&admin)).await;
        current.assert_status(200);
        let before = app.change_seq(c).await;
        let put = app
            .put(&seed.location, ENTRY_TYPE, current.body.clone(), token)
            .await;
        check(&mut mismatches, &cell("PUT"), &put, row.writes[1]);
        if row.writes[1] >= 400 && app.change_seq(c).await != before {
            mismatches.push(format!("{}: refused but stored", cell("PUT")));
        }

        let fresh = publish(&app, c, &format!("MD-{serial}"), level(c), "matrix delete").await;
        let before = app.change_seq(c).await;
        let delete = app.delete(&fresh.location, token).await;
        check(&mut mismatches, &cell("DELETE"), &delete, row.writes[2]);
        if row.writes[2] >= 400 && app.change_seq(c).await != before {
            mismatches.push(format!("{}: refused but deleted", cell("DELETE")));
        }

        let administer = app.get(&format!("/admin/collections/{c}"), token).await;
        check(&mut mismatches, &cell("admin"), &administer, row.admin);
    }
    assert!(
        mismatches.is_empty(),
        "cells that differ from the matrix:\n{}",
        mismatches.join("\n")
    );
}

// ---------------------------------------------------------------------------------------
// 2. Restriction-aware visibility
// ---------------------------------------------------------------------------------------

/// R-PROF-AUTHZ-c, R-PROF-AUTHZ-b, R-PROF-AUTHZ-a: in a collection holding white, green, amber
/// and red entries, each clearance pages through exactly the entries at or below it (full
/// pages: filtering happens in the query, not after it), searches find only those, a hidden
/// entry is indistinguishable from one that does not exist, and the service document does
/// not depend on the clearance. A writer cannot touch what it cannot see.
async fn each_clearance_sees_exactly_the_entries_at_or_below_it(backend: Backend) {
    let app = TestApp::builder(backend)
        .collection(spec("restricted", "incident", Restriction::Private, false))
        .spawn()
        .await;
    let mut published: Vec<(Restriction, Published)> = Vec::new();
    for round in 0..3 {
        for level in Restriction::ALL {
            let tlp = level.tlp();
            let entry = publish(
                &app,
                "restricted",
                &format!("VIS-{tlp}-{round}"),
                tlp,
                &format!("Quasar sighting {round}"),
            )
            .await;
            published.push((level, entry));
        }
    }
    let unknown_entry = "/rolie/entries/01890000-0000-7000-8000-000000000000";
    let unknown_content = "/rolie/content/01890000-0000-7000-8000-000000000000";
    let mut service_documents = Vec::new();
    for clearance in Restriction::ALL {
        let who = format!("reader-{}", clearance.tlp());
        let token = app.token(&who, "rolie:read", clearance);
        let visible: HashSet<String> = published
            .iter()
            .filter(|(level, _)| *level <= clearance)
            .map(|(_, e)| e.atom_id.clone())
            .collect();

        let (ids, sizes) = walk(&app, "/rolie/feeds/restricted?limit=2", Some(&token)).await;
        assert_eq!(
            ids.len(),
            visible.len(),
            "{who}: no entry twice, none missing"
        );
        assert_eq!(
            ids.iter().cloned().collect::<HashSet<_>>(),
            visible,
            "{who}"
        );
        let (last, full) = sizes.split_last().expect("at least one page");
        assert!(
            full.iter().all(|n| *n == 2) && (1..=2).contains(last),
            "{who}: pages of 2 but for the last, got {sizes:?}"
        );

        let search = app
            .get("/rolie/feeds/restricted?q=quasar&limit=50", Some(&token))
            .await;
        search.assert_status(200);
        let hits: HashSet<String> = oracle::feed(&search.body)
            .entries
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(hits, visible, "{who}: search hits");
        for level in Restriction::ALL {
            let narrow = app
                .get(
                    &format!("/rolie/feeds/restricted?q={}", level.tlp()),
                    Some(&token),
                )
                .await;
            let expected = if level <= clearance { 3 } else { 0 };
            assert_eq!(
                oracle::feed(&narrow.body).entries.len(),
                expected,
                "{who}: search for {}",
                level.tlp()
            );
        }

        let absent_entry = app.get(unknown_entry, Some(&token)).await;
        let absent_content = app.get(unknown_content, Some(&token)).await;
        absent_entry.assert_status(404);
        absent_content.assert_status(404);
        for (level, entry) in &published {
            let (got_entry, got_content) = (
                app.get(&entry.location, Some(&token)).await,
                app.get(&entry.src, Some(&token)).await,
            );
            if *level <= clearance {
                got_entry.assert_status(200);
                got_content.assert_status(200);
                continue;
            }
            for (hidden, absent, what) in [
                (&got_entry, &absent_entry, "entry"),
                (&got_content, &absent_content, "content"),
            ] {
                hidden.assert_status(404);
                for field in ["type", "title", "status", "detail"] {
                    assert_eq!(
                        hidden.json()[field],
                        absent.json()[field],
                        "{who}: a hidden {} {what} differs from an absent one in {field}",
                        level.tlp()
                    );
                }
            }
        }

        let svc = app.get("/rolie/servicedocument", Some(&token)).await;
        svc.assert_status(200);
        service_documents.push((who, svc.body));
    }
    // Every reader is shown the same collections; only when each last changed for it
    // (rs:last-change, the newest change it can see) differs.
    let without_last_change = |body: &[u8]| {
        let mut document = oracle::service_document(body);
        for collection in document
            .workspaces
            .iter_mut()
            .flat_map(|w| &mut w.collections)
        {
            collection.last_change = None;
        }
        document
    };
    let (first_who, first) = &service_documents[0];
    for (who, body) in &service_documents[1..] {
        assert_eq!(
            without_last_change(body),
            without_last_change(first),
            "the service document of {who} and {first_who}"
        );
    }

    // A green writer of the collection neither reads nor changes a red entry: 404 all along.
    let writer = app.token("writer", "rolie:write:restricted", Restriction::Partner);
    let admin = app.admin_token();
    let (_, red) = published
        .iter()
        .find(|(level, _)| *level == Restriction::Private)
        .expect("a red entry");
    let document = app.get(&red.location, Some(&admin)).await;
    let before = app.change_seq("restricted").await;
    app.get(&red.location, Some(&writer))
        .await
        .assert_status(404);
    app.get(&red.src, Some(&writer)).await.assert_status(404);
    app.put(
        &red.location,
        ENTRY_TYPE,
        document.body.clone(),
        Some(&writer),
    )
    .await
    .assert_status(404);
    app.put(
        &red.src,
        media_type::XML,
        fixtures::incident("VIS-red-0", "green", "downgraded"),
        Some(&writer),
    )
    .await
    .assert_status(404);
    app.delete(&red.location, Some(&writer))
        .await
        .assert_status(404);
    assert_eq!(
        app.change_seq("restricted").await,
        before,
        "nothing changed"
    );
    app.get(&red.location, Some(&admin))
        .await
        .assert_status(200);
}

// ---------------------------------------------------------------------------------------
// 3. Collection cap
// ---------------------------------------------------------------------------------------

/// R-PROF-AUTHZ-c, R-CSIRT-SEC-b: a public collection takes only public (white) material;
/// anything stricter is 422 naming the restriction, and nothing is stored. An Atom entry
/// pointing elsewhere with no restriction category is private (IODEF's default), so it is
/// refused too.
async fn content_above_a_collections_cap_is_422_and_stores_nothing(backend: Backend) {
    let app = TestApp::builder(backend)
        .collection(spec("public", "incident", Restriction::Public, true))
        .spawn()
        .await;
    let admin = app.admin_token();
    for (level, term) in [
        ("green", "partner"),
        ("amber", "need-to-know"),
        ("red", "private"),
    ] {
        let before = app.freshness("public").await;
        app.post(
            "/rolie/feeds/public",
            media_type::XML,
            fixtures::incident(&format!("CAP-{level}"), level, "over the cap"),
            Some(&admin),
        )
        .await
        .assert_problem(422, &format!("restricted to {term} ({level})"))
        .assert_problem(422, "accepts at most public");
        assert_eq!(
            app.freshness("public").await,
            before,
            "{level}: nothing stored"
        );
    }
    let external = r#"<entry xmlns="http://www.w3.org/2005/Atom"><title>Elsewhere</title>
        <content type="application/xml" src="https://partner.example/report.xml"/></entry>"#;
    let before = app.change_seq("public").await;
    app.post(
        "/rolie/feeds/public",
        media_type::ATOM_ENTRY,
        external,
        Some(&admin),
    )
    .await
    .assert_problem(422, "restricted to private");
    assert_eq!(app.change_seq("public").await, before);
    // The control: white is welcome.
    publish(&app, "public", "CAP-white", "white", "within the cap").await;
    assert_eq!(app.entry_count("public").await, 1);
}

// ---------------------------------------------------------------------------------------
// 4. Drafts
// ---------------------------------------------------------------------------------------

/// R-PROF-DRAFT-a, R-5023-13-a: `app:draft` `yes` hides the entry from everyone but its
/// publisher and administrators: 404 and absent from the feed for a red reader and for
/// another writer of the same collection.
async fn drafts_are_seen_only_by_their_publisher_and_administrators(backend: Backend) {
    let app = TestApp::builder(backend)
        .collection(spec("restricted", "incident", Restriction::Private, false))
        .spawn()
        .await;
    let writer = app.token("writer", "rolie:write:restricted", Restriction::Partner);
    let other_writer = app.token(
        "other-writer",
        "rolie:write:restricted",
        Restriction::Private,
    );
    let reader = app.token("reader-red", "rolie:read", Restriction::Private);
    let admin = app.admin_token();
    let body = fixtures::draft_entry(&fixtures::incident(
        "DRAFT-1",
        "green",
        "Draft: still being written",
    ));
    let created = app
        .post(
            "/rolie/feeds/restricted",
            media_type::ATOM_ENTRY,
            body,
            Some(&writer),
        )
        .await;
    created.assert_status(201);
    let entry = oracle::entry(&created.body);
    assert!(entry.is_draft(), "the entry says it is a draft");
    let location = created.location();
    let src = entry
        .link(rel::EDIT_MEDIA)
        .expect("edit-media")
        .href
        .clone();
    let published = publish(&app, "restricted", "FINAL-1", "green", "published").await;

    for (who, token, sees) in [
        ("writer", &writer, true),
        ("admin", &admin, true),
        ("reader-red", &reader, false),
        ("other-writer", &other_writer, false),
    ] {
        let token = token.as_str();
        let expected = if sees { 200 } else { 404 };
        let got = app.get(&location, Some(token)).await;
        assert_eq!(got.status, expected, "{who}: GET the draft entry");
        let got = app.get(&src, Some(token)).await;
        assert_eq!(got.status, expected, "{who}: GET the draft's content");
        let (ids, _) = walk(&app, "/rolie/feeds/restricted", Some(token)).await;
        assert_eq!(
            ids.contains(&entry.id),
            sees,
            "{who}: the draft in the feed"
        );
        assert!(ids.contains(&published.atom_id), "{who}: the published one");
    }
}

// ---------------------------------------------------------------------------------------
// 5. Bearer tokens (SQLite: nothing here touches the store)
// ---------------------------------------------------------------------------------------

/// HMAC-SHA256 (RFC 2104), written out so that the tokens below do not come from the library
/// the server verifies them with.
fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut block = [0u8; 64];
    if key.len() > block.len() {
        let digest = Sha256::digest(key);
        block[..digest.len()].copy_from_slice(&digest);
    } else {
        block[..key.len()].copy_from_slice(key);
    }
    let inner = Sha256::new()
        .chain_update(block.map(|b| b ^ 0x36))
        .chain_update(message)
        .finalize();
    Sha256::new()
        .chain_update(block.map(|b| b ^ 0x5c))
        .chain_update(inner)
        .finalize()
        .to_vec()
}

/// An ECDSA signature in DER (what the key pair gives) as JWS wants it: r ‖ s, 32 bytes each.
fn raw_ecdsa_signature(der: &[u8]) -> Vec<u8> {
    assert_eq!(der[0], 0x30, "a DER SEQUENCE");
    let mut at = 2;
    let mut raw = Vec::with_capacity(64);
    for _ in 0..2 {
        assert_eq!(der[at], 0x02, "a DER INTEGER");
        let len = usize::from(der[at + 1]);
        let value = &der[at + 2..at + 2 + len];
        let value = &value[value.len().saturating_sub(32)..];
        raw.extend(std::iter::repeat_n(0u8, 32 - value.len()));
        raw.extend_from_slice(value);
        at += 2 + len;
    }
    raw
}

enum Signer<'a> {
    Hs256(&'a [u8]),
    Es256(&'a KeyPair),
    Unsigned,
}

/// A compact JWS of `header` and `claims`.
fn jws(header: &Value, claims: &Value, signer: Signer<'_>) -> String {
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature = match signer {
        Signer::Hs256(key) => hmac_sha256(key, input.as_bytes()),
        Signer::Es256(key) => raw_ecdsa_signature(&key.sign(input.as_bytes()).expect("sign")),
        Signer::Unsigned => Vec::new(),
    };
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Claims of a reader of every collection, valid for an hour, for audience `aud`.
fn claims(aud: &str) -> Value {
    json!({
        "sub": "token-tester",
        "scope": "rolie:read",
        "clearance": "green",
        "iat": now(),
        "exp": now() + 3600,
        "aud": aud,
    })
}

fn es256_header(kid: &str) -> Value {
    json!({"alg": "ES256", "typ": "JWT", "kid": kid})
}

fn hs256_header() -> Value {
    json!({"alg": "HS256", "typ": "JWT"})
}

/// A public JWK of a P-256 key pair.
fn jwk(key: &KeyPair, kid: &str) -> Value {
    let point = key.public_key_raw();
    assert_eq!(point.len(), 65, "an uncompressed P-256 point");
    json!({
        "kty": "EC",
        "crv": "P-256",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
        "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        "kid": kid,
        "alg": "ES256",
        "use": "sig",
    })
}

fn audience_rolie() -> JwtSettings {
    JwtSettings {
        audiences: vec!["rolie".into()],
        ..JwtSettings::default()
    }
}

async fn assert_refused(app: &TestApp, case: &str, token: &str, fragment: &str) {
    let response = app.get("/rolie/feeds/incidents", Some(token)).await;
    assert_eq!(response.status, 401, "{case}: {}", response.text());
    assert!(
        detail(&response).contains(fragment),
        "{case}: detail {:?} lacks {fragment:?}",
        detail(&response)
    );
    assert!(response.challenges("Bearer"), "{case}: Bearer challenge");
}

/// R-8322-5.4-a, R-8322-9-b: the algorithm is pinned per key; expired, not-yet-valid,
/// forged, unknown-key, `alg: none`, HS/RS-confused and wrong-audience tokens are each 401
/// with a Bearer challenge; the correct ES256 and HS256 tokens are accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bearer_tokens_are_checked_against_pinned_keys() {
    let es_key = KeyPair::generate().expect("P-256 key");
    let public_pem = es_key.public_key_pem();
    let keys = vec![
        JwtKey::hs256(TEST_SECRET.as_bytes(), None),
        JwtKey::from_pem(
            // jsonwebtoken's `Algorithm`, named through the parameter's type.
            "ES256".parse().expect("ES256"),
            public_pem.as_bytes(),
            Some("k1".into()),
        )
        .expect("ES256 public key"),
    ];
    let app = TestApp::builder(Backend::Sqlite)
        .jwt(JwtAuthenticator::new(keys, None, audience_rolie()).expect("authenticator"))
        .spawn()
        .await;
    let secret = TEST_SECRET.as_bytes();
    let other_key = KeyPair::generate().expect("another P-256 key");

    let mut expired = claims("rolie");
    expired["iat"] = json!(now() - 7200);
    expired["exp"] = json!(now() - 3600);
    let mut immature = claims("rolie");
    immature["nbf"] = json!(now() + 3600);
    immature["exp"] = json!(now() + 7200);
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "expired",
            jws(&hs256_header(), &expired, Signer::Hs256(secret)),
            "expired",
        ),
        (
            "not yet valid (nbf in the future)",
            jws(&hs256_header(), &immature, Signer::Hs256(secret)),
            "not valid yet",
        ),
        (
            "HS256 signed with another secret",
            jws(
                &hs256_header(),
                &claims("rolie"),
                Signer::Hs256(b"another-secret-0123456789abcdef0123456789"),
            ),
            "signature",
        ),
        (
            "ES256 with kid k1 signed by another key",
            jws(
                &es256_header("k1"),
                &claims("rolie"),
                Signer::Es256(&other_key),
            ),
            "signature",
        ),
        (
            "ES256 whose kid names no key",
            jws(
                &es256_header("k2"),
                &claims("rolie"),
                Signer::Es256(&es_key),
            ),
            "no key",
        ),
        (
            "alg none",
            jws(
                &json!({"alg": "none", "typ": "JWT"}),
                &claims("rolie"),
                Signer::Unsigned,
            ),
            "malformed or unsupported algorithm",
        ),
        (
            "HS256 keyed with the ES256 public key PEM, kid k1",
            jws(
                &json!({"alg": "HS256", "typ": "JWT", "kid": "k1"}),
                &claims("rolie"),
                Signer::Hs256(public_pem.as_bytes()),
            ),
            "no key",
        ),
        (
            "HS256 keyed with the ES256 public key PEM, no kid",
            jws(
                &hs256_header(),
                &claims("rolie"),
                Signer::Hs256(public_pem.as_bytes()),
            ),
            "signature",
        ),
        (
            "ES256 for another audience",
            jws(
                &es256_header("k1"),
                &claims("other"),
                Signer::Es256(&es_key),
            ),
            "wrong audience",
        ),
        (
            "HS256 for another audience",
            jws(&hs256_header(), &claims("other"), Signer::Hs256(secret)),
            "wrong audience",
        ),
    ];
    for (case, token, fragment) in &cases {
        assert_refused(&app, case, token, fragment).await;
    }
    // The positive controls (they also show the tokens above were well made).
    for (case, token) in [
        (
            "ES256 with kid k1 for rolie",
            jws(
                &es256_header("k1"),
                &claims("rolie"),
                Signer::Es256(&es_key),
            ),
        ),
        (
            "HS256 with the test secret for rolie",
            jws(&hs256_header(), &claims("rolie"), Signer::Hs256(secret)),
        ),
    ] {
        let response = app.get("/rolie/feeds/incidents", Some(&token)).await;
        assert_eq!(response.status, 200, "{case}: {}", response.text());
    }
}

/// Removes a file when dropped.
struct TempFile(PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn write_jwks(path: &Path, keys: &[Value]) {
    std::fs::write(path, json!({ "keys": keys }).to_string()).expect("write the JWKS file");
}

/// A JWKS file is read at start and again when it changes: after a key rotation the old key's
/// tokens are 401 and the new key's are accepted, without a restart.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rotated_jwks_file_is_reloaded() {
    let jwks = TempFile(
        std::env::temp_dir().join(format!("rolie-jwks-{}.json", uuid::Uuid::new_v4().simple())),
    );
    let old_key = KeyPair::generate().expect("P-256 key");
    let new_key = KeyPair::generate().expect("P-256 key");
    write_jwks(&jwks.0, &[jwk(&old_key, "j1")]);
    let app = TestApp::builder(Backend::Sqlite)
        .jwt(
            JwtAuthenticator::new(Vec::new(), Some(jwks.0.clone()), audience_rolie())
                .expect("authenticator"),
        )
        .spawn()
        .await;
    let old_token = jws(
        &es256_header("j1"),
        &claims("rolie"),
        Signer::Es256(&old_key),
    );
    let new_token = jws(
        &es256_header("j1"),
        &claims("rolie"),
        Signer::Es256(&new_key),
    );
    app.get("/rolie/feeds/incidents", Some(&old_token))
        .await
        .assert_status(200);
    assert_refused(&app, "the new key before rotation", &new_token, "signature").await;
    // A different modification time, even on file systems with one-second resolution.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    write_jwks(&jwks.0, &[jwk(&new_key, "j1")]);
    assert_refused(&app, "the old key after rotation", &old_token, "signature").await;
    app.get("/rolie/feeds/incidents", Some(&new_token))
        .await
        .assert_status(200);
}

// ---------------------------------------------------------------------------------------
// 6. Client certificates (SQLite)
// ---------------------------------------------------------------------------------------

/// R-8322-5.3-e: a certificate from the configured CA that the table maps reads what the
/// mapping grants at its clearance; a certificate from that CA with an unmapped name is 401;
/// a certificate from another CA is refused in the handshake; without certificate and token
/// it is 401; a bearer token over the same mutual-TLS server still works.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mapped_client_certificates_authenticate_and_others_do_not() {
    let app = TestApp::builder(Backend::Sqlite)
        .client_certificates(vec![CertificateMapping {
            common_name: Some("partner-csirt".into()),
            san: None,
            subject: "partner".into(),
            scope: "rolie:read:restricted".into(),
            clearance: Restriction::Partner,
        }])
        .collection(spec("restricted", "incident", Restriction::Private, false))
        .spawn()
        .await;
    let ca = app.ca.clone().expect("a TLS test app has a CA");
    let green = publish(&app, "restricted", "CERT-G", "green", "for partners").await;
    let red = publish(&app, "restricted", "CERT-R", "red", "not for partners").await;
    let feed = app.url("/rolie/feeds/restricted");

    let partner = app.client_with(&ca.client("partner-csirt", None));
    let response = app.send(partner.get(&feed)).await;
    response.assert_status(200);
    let ids: Vec<String> = oracle::feed(&response.body)
        .entries
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert!(ids.contains(&green.atom_id), "the green entry is visible");
    assert!(!ids.contains(&red.atom_id), "the red entry is hidden");
    app.send(partner.get(&green.location))
        .await
        .assert_status(200);
    // A collection the principal may not read is hidden like one that does not exist
    // (R-PROF-AUTHZ-b).
    app.send(partner.get(app.url("/rolie/feeds/incidents")))
        .await
        .assert_problem(404, "does not exist");

    let stranger = app.client_with(&ca.client("stranger", None));
    let response = app.send(stranger.get(&feed)).await;
    response.assert_problem(401, "is not mapped");
    assert!(
        detail(&response).contains("stranger"),
        "{}",
        detail(&response)
    );

    let rogue_ca = TestCa::new("untrusted test CA");
    let rogue = app.client_with(&rogue_ca.client("partner-csirt", None));
    let refused = rogue.get(&feed).send().await;
    assert!(
        refused.is_err(),
        "a certificate from another CA must fail the handshake, got {:?}",
        refused.map(|r| r.status())
    );

    app.get("/rolie/feeds/restricted", None)
        .await
        .assert_problem(401, "credentials");
    let bearer = app.token("reader", "rolie:read", Restriction::Partner);
    app.get("/rolie/feeds/restricted", Some(&bearer))
        .await
        .assert_status(200);
}

// ---------------------------------------------------------------------------------------
// 7. Feed-reader credentials over Basic
// ---------------------------------------------------------------------------------------

async fn issue_feed_token(app: &TestApp) -> Value {
    let response = app
        .post(
            "/admin/feed-tokens",
            media_type::JSON,
            json!({
                "subject": "analyst",
                "label": "Thunderbird",
                "clearance": "green",
                "collections": ["restricted"],
            })
            .to_string(),
            Some(&app.admin_token()),
        )
        .await;
    response.assert_status(201);
    let token = response.json();
    assert!(token["username"].is_string() && token["password"].is_string());
    token
}

fn basic(app: &TestApp, path: &str, token: &Value) -> reqwest::RequestBuilder {
    app.client().get(app.url(path)).basic_auth(
        token["username"].as_str().expect("username"),
        token["password"].as_str(),
    )
}

/// R-5023-14-a, spec-rolie A14: an administrator issues a read-only credential for feed
/// readers that only speak Basic; over TLS it reads its collections at its clearance and
/// nothing else; revoked, it is 401; the secret is shown once and never listed; over plain
/// HTTP, Basic is refused.
async fn feed_reader_credentials_work_over_basic_on_tls_only(backend: Backend) {
    let app = TestApp::builder(backend)
        .tls()
        .collection(spec("restricted", "incident", Restriction::Private, false))
        .spawn()
        .await;
    let green = publish(&app, "restricted", "FT-G", "green", "for the analyst").await;
    let red = publish(&app, "restricted", "FT-R", "red", "not for the analyst").await;
    let token = issue_feed_token(&app).await;
    let id = token["id"].as_str().expect("id").to_owned();
    let password = token["password"].as_str().expect("password").to_owned();

    let response = app
        .send(basic(&app, "/rolie/feeds/restricted", &token))
        .await;
    response.assert_status(200);
    let ids: Vec<String> = oracle::feed(&response.body)
        .entries
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert!(ids.contains(&green.atom_id) && !ids.contains(&red.atom_id));
    // Outside the credential's collections: hidden, not forbidden (R-PROF-AUTHZ-b).
    app.send(basic(&app, "/rolie/feeds/incidents", &token))
        .await
        .assert_problem(404, "does not exist");

    let admin = app.admin_token();
    app.send(app.request(
        Method::DELETE,
        &format!("/admin/feed-tokens/{id}"),
        Some(&admin),
    ))
    .await
    .assert_status(204);
    let revoked = app
        .send(basic(&app, "/rolie/feeds/restricted", &token))
        .await;
    revoked.assert_problem(401, "revoked");
    assert!(revoked.challenges("Basic"), "a Basic challenge");

    let listing = app.get("/admin/feed-tokens", Some(&admin)).await;
    listing.assert_status(200);
    assert!(
        !listing.text().contains(&password),
        "the secret is never listed"
    );
    let tokens = listing.json();
    let listed = tokens
        .as_array()
        .expect("a list")
        .iter()
        .find(|t| t["id"] == id.as_str())
        .expect("the token is listed");
    assert!(listed["revoked"].is_string(), "revoked is set: {listed}");
    assert_eq!(listed["subject"], "analyst");
    assert_eq!(listed["label"], "Thunderbird");
    assert!(
        listed
            .as_object()
            .expect("an object")
            .keys()
            .all(|k| !k.contains("password") && !k.contains("secret")),
        "{listed}"
    );

    let plain = TestApp::builder(backend)
        .collection(spec("restricted", "incident", Restriction::Private, false))
        .spawn()
        .await;
    let token = issue_feed_token(&plain).await;
    plain
        .send(basic(&plain, "/rolie/feeds/restricted", &token))
        .await
        .assert_problem(401, "only accepted over TLS");
}

// ---------------------------------------------------------------------------------------
// 8. Feed-reader credentials only read, whatever their subject may do
// ---------------------------------------------------------------------------------------

mod feed_reader_bounds {
    use rolie_authz::PolicyConfig;

    use super::*;

    on_both_backends!(a_feed_token_for_an_administrator_only_reads_the_collections_it_names);

    /// RFC 5023 §14, spec-rolie A14, R-PROF-AUTHZ-b: a feed-reader credential issued for a
    /// subject the policy makes a server administrator reads the collections it names and
    /// nothing else: every write and every administration request is 403, other
    /// collections are hidden (404), and the entry it could not delete is still there.
    async fn a_feed_token_for_an_administrator_only_reads_the_collections_it_names(
        backend: Backend,
    ) {
        let policy = PolicyConfig {
            admins: vec!["admin".into()],
            ..PolicyConfig::default()
        };
        let app = TestApp::builder(backend)
            .tls()
            .policy(policy)
            .collection(spec("restricted", "incident", Restriction::Private, false))
            .spawn()
            .await;
        let entry = publish(&app, "restricted", "FB-1", "green", "kept").await;
        // The subject administers the server through the policy alone, scopes or not.
        let bearer = app.token("admin", "", Restriction::Private);
        app.get("/admin/feed-tokens", Some(&bearer))
            .await
            .assert_status(200);
        let token = app
            .send_json(
                Method::POST,
                "/admin/feed-tokens",
                &json!({
                    "subject": "admin",
                    "label": "feed reader of an administrator",
                    "clearance": "red",
                    "collections": ["restricted"],
                }),
                Some(&app.admin_token()),
            )
            .await;
        token.assert_status(201);
        let token = token.json();
        let basic = |method: Method, path: &str| {
            app.request(method, path, None).basic_auth(
                token["username"].as_str().expect("username"),
                token["password"].as_str(),
            )
        };

        app.send(basic(Method::GET, "/rolie/feeds/restricted"))
            .await
            .assert_status(200);
        app.send(basic(Method::GET, &entry.location))
            .await
            .assert_status(200);
        app.send(basic(Method::GET, "/rolie/feeds/incidents"))
            .await
            .assert_problem(404, "does not exist");

        let writes = [
            (
                "POST a document",
                basic(Method::POST, "/rolie/feeds/restricted")
                    .header("content-type", media_type::XML)
                    .body(fixtures::incident("FB-2", "green", "not published")),
            ),
            (
                "PUT the document",
                basic(Method::PUT, &entry.src)
                    .header("content-type", media_type::XML)
                    .body(fixtures::incident("FB-1", "white", "not replaced")),
            ),
            ("DELETE the entry", basic(Method::DELETE, &entry.location)),
            ("list feed tokens", basic(Method::GET, "/admin/feed-tokens")),
            (
                "issue itself a feed token",
                basic(Method::POST, "/admin/feed-tokens")
                    .header("content-type", media_type::JSON)
                    .body(json!({"subject": "admin", "clearance": "red"}).to_string()),
            ),
            ("list collections", basic(Method::GET, "/admin/collections")),
            (
                "administer its collection",
                basic(Method::GET, "/admin/collections/restricted"),
            ),
            ("read the audit log", basic(Method::GET, "/admin/audit")),
        ];
        for (case, request) in writes {
            let response = app.send(request).await;
            assert_eq!(response.status, 403, "{case}: {}", response.text());
        }

        let kept = app.get(&entry.location, Some(&app.admin_token())).await;
        kept.assert_status(200);
        assert_eq!(oracle::entry(&kept.body).id, entry.atom_id);
        assert_eq!(app.entry_count("restricted").await, 1);
    }
}

// ---------------------------------------------------------------------------------------
// 9. Restrictions nested inside an incident
// ---------------------------------------------------------------------------------------

mod nested_restrictions {
    use rolie_model::vocabulary::scheme;

    use super::*;

    on_both_backends!(an_incident_holding_a_red_element_is_hidden_from_green_readers);

    /// RFC 7970 §3.3.1, R-PROF-AUTHZ-c, R-PROF-AUTHZ-b: a green Incident holding a red
    /// AdditionalData is published at red, and the publisher is told why in a
    /// `Rolie-Warning` header: its restriction category says red, a green reader finds
    /// neither the entry nor its content (404, and not in the feed), a red reader reads
    /// both.
    async fn an_incident_holding_a_red_element_is_hidden_from_green_readers(backend: Backend) {
        let app = TestApp::spawn(backend).await;
        let document = fixtures::incident("NR-1", "green", "web shell on a partner's server")
            .replace(
                "</Contact>",
                "</Contact>\n    <AdditionalData dtype=\"string\" restriction=\"red\">j.doe@victim.example</AdditionalData>",
            );
        let response = app.publish("incidents", &document).await;
        response.assert_status(201);
        let warnings = response.header_all("rolie-warning");
        assert!(
            warnings
                .iter()
                .any(|w| w.contains("AdditionalData") && w.contains("red")),
            "the publisher is told why: {warnings:?}"
        );
        let entry = oracle::entry(&response.body);
        assert_eq!(
            entry
                .category_terms(scheme::IODEF_RESTRICTION)
                .collect::<Vec<_>>(),
            ["red"]
        );
        let location = response.location();
        let src = entry
            .link(rel::EDIT_MEDIA)
            .expect("edit-media")
            .href
            .clone();

        let green = app.token("reader", "rolie:read", Restriction::Partner);
        app.get(&location, Some(&green)).await.assert_status(404);
        app.get(&src, Some(&green)).await.assert_status(404);
        let (ids, _) = walk(&app, "/rolie/feeds/incidents", Some(&green)).await;
        assert!(!ids.contains(&entry.id), "{ids:?}");

        let red = app.token("reader", "rolie:read", Restriction::Private);
        app.get(&location, Some(&red)).await.assert_status(200);
        app.get(&src, Some(&red)).await.assert_status(200);
        let (ids, _) = walk(&app, "/rolie/feeds/incidents", Some(&red)).await;
        assert!(ids.contains(&entry.id), "{ids:?}");
    }
}
