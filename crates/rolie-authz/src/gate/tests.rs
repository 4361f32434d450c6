//! The gate with feed-reader credentials: a real SQLite store in a temporary directory, and
//! principals made by the real authenticator.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rolie_model::Restriction;
use rolie_store::{CollectionName, CollectionSpec};

use super::*;
use crate::authenticate::{FeedTokenAuthenticator, FeedTokenGrant, FeedTokenSecret};
use crate::{Authenticator, CollectionGrants, Credentials, PolicyAuthorizer, PolicyConfig, Scopes};

/// A collection spec for these tests.
fn collection(name: &str, public: bool) -> CollectionSpec {
    CollectionSpec {
        name: CollectionName::parse(name).expect("name"),
        title: name.into(),
        information_type: "incident".into(),
        workspace: "w".into(),
        accept: vec![],
        max_restriction: Restriction::Private,
        public,
    }
}

fn name(name: &str) -> CollectionName {
    CollectionName::parse(name).expect("name")
}

/// A policy that makes `admin` a server administrator and lists it as reader, writer
/// and administrator of every collection, so only the credential can narrow it.
fn generous_policy() -> PolicyConfig {
    let grants = CollectionGrants {
        readers: vec!["admin".into()],
        writers: vec!["admin".into()],
        admins: vec!["admin".into()],
    };
    let mut config = PolicyConfig {
        admins: vec!["admin".into()],
        ..PolicyConfig::default()
    };
    for c in ["incidents", "indicators", "open"] {
        config.collections.insert(c.into(), grants.clone());
    }
    config
}

/// A gate over `incidents`, `indicators` and the public `open` in a fresh SQLite database
/// (the directory goes when the returned guard drops), and the principal of a
/// feed token issued for `admin` naming `collections`, authenticated the way the server
/// does it (HTTP Basic over TLS).
async fn feed_reader(collections: &[&str]) -> (Gate, Principal, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("gate.db");
    let store: Arc<dyn Store> = Arc::new(
        rolie_store_sqlite::SqliteStore::open(path.to_str().expect("UTF-8 path"))
            .await
            .expect("SQLite store"),
    );
    for (name, public) in [("incidents", false), ("indicators", false), ("open", true)] {
        store
            .create_collection(&collection(name, public))
            .await
            .expect("collection");
    }
    let (token, secret) = FeedTokenSecret::issue(FeedTokenGrant {
        subject: "admin".into(),
        label: "feed reader".into(),
        clearance: Restriction::Private,
        collections: collections.iter().map(|c| (*c).to_owned()).collect(),
        expires: None,
    });
    store.create_feed_token(&token).await.expect("stored");
    let header = format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", token.id, secret.0))
    );
    let principal = FeedTokenAuthenticator::new(store.clone())
        .authenticate(&Credentials {
            authorization: Some(&header),
            client_certificate: None,
            secure: true,
        })
        .await
        .expect("accepted")
        .expect("a feed token");
    let gate = Gate::new(store, Arc::new(PolicyAuthorizer::new(generous_policy())));
    (gate, principal, dir)
}

fn forbidden<T>(result: Result<T, AccessError>) -> bool {
    matches!(result, Err(AccessError::Forbidden(_)))
}

/// RFC 5023 §14, spec-rolie A14: a feed token is read-only even when its subject is a
/// server administrator and every collection's writer and administrator.
#[tokio::test]
async fn a_feed_token_of_an_administrator_cannot_write_or_administer() {
    let (gate, principal, _dir) = feed_reader(&["incidents"]).await;
    assert_eq!(principal.subject, "admin");
    assert_eq!(principal.method, AuthMethod::FeedToken);
    assert!(forbidden(
        gate.collection_writer(&principal, &name("incidents")).await
    ));
    assert!(forbidden(gate.administrator(&principal)));
    assert!(forbidden(
        gate.collection_administrator(&principal, &name("incidents"))
            .await
    ));
    assert_eq!(
        gate.reader(&principal).visibility().drafts,
        DraftVisibility::OwnedBy("admin".into()),
        "not every publisher's drafts, as the administrator's bearer tokens see"
    );
}

/// R-PROF-AUTHZ-b: a feed token reads only the collections it names; the others,
/// public ones included, are hidden as if they did not exist, whatever the policy
/// grants its subject.
#[tokio::test]
async fn a_feed_token_reads_only_the_collections_it_names() {
    let (gate, principal, _dir) = feed_reader(&["incidents"]).await;
    let reader = gate.reader(&principal);
    assert!(reader.collection(&name("incidents")).await.is_ok());
    for hidden in ["indicators", "open"] {
        assert!(
            matches!(
                reader.collection(&name(hidden)).await,
                Err(AccessError::Store(StoreError::NotFound))
            ),
            "{hidden}"
        );
    }
    let listed: Vec<String> = reader
        .collections()
        .await
        .expect("collections")
        .iter()
        .map(|c| c.collection().spec.name.to_string())
        .collect();
    assert_eq!(listed, ["incidents"]);
}

/// A feed token that names no collection reads every collection, and still only reads.
#[tokio::test]
async fn a_feed_token_naming_no_collection_reads_all_and_writes_none() {
    let (gate, principal, _dir) = feed_reader(&[]).await;
    assert_eq!(
        principal.scopes,
        Scopes {
            read_all: true,
            ..Scopes::default()
        }
    );
    assert_eq!(
        gate.reader(&principal)
            .collections()
            .await
            .expect("collections")
            .len(),
        3
    );
    for c in ["incidents", "indicators", "open"] {
        assert!(forbidden(
            gate.collection_writer(&principal, &name(c)).await
        ));
    }
}

/// The bound is on the credential, not the subject: a bearer token of the same
/// subject keeps what the policy grants it.
#[tokio::test]
async fn a_bearer_token_of_the_same_subject_keeps_its_grants() {
    let (gate, feed, _dir) = feed_reader(&["incidents"]).await;
    let bearer = Principal {
        method: AuthMethod::Bearer,
        scopes: Scopes::default(),
        ..feed
    };
    assert!(
        gate.collection_writer(&bearer, &name("indicators"))
            .await
            .is_ok()
    );
    assert!(gate.administrator(&bearer).is_ok());
}
