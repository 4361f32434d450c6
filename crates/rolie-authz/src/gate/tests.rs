//! The gate with feed-reader credentials: a store of collections and tokens in memory, and
//! principals made by the real authenticator.

use std::sync::Mutex;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rolie_model::Restriction;
use rolie_store::{Collection, CollectionName, CollectionSpec, FeedToken, NewFeedToken};
use time::OffsetDateTime;

use super::*;
use crate::authenticate::{FeedTokenAuthenticator, FeedTokenGrant, FeedTokenSecret};
use crate::{Authenticator, CollectionGrants, Credentials, PolicyAuthorizer, PolicyConfig, Scopes};

/// Collections and feed tokens in memory; what the gate does not ask for here fails.
#[derive(Default)]
struct Fixture {
    collections: Vec<Collection>,
    tokens: Mutex<Vec<FeedToken>>,
}

fn unused<T>() -> StoreResult<T> {
    Err(StoreError::Internal("not used by these tests".into()))
}

#[async_trait]
impl Store for Fixture {
    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }
    async fn list_collections(&self) -> StoreResult<Vec<Collection>> {
        Ok(self.collections.clone())
    }
    async fn get_collection(&self, name: &CollectionName) -> StoreResult<Collection> {
        self.collections
            .iter()
            .find(|c| &c.spec.name == name)
            .cloned()
            .ok_or(StoreError::NotFound)
    }
    async fn create_collection(&self, _: &CollectionSpec) -> StoreResult<Collection> {
        unused()
    }
    async fn update_collection(&self, _: &CollectionSpec) -> StoreResult<Collection> {
        unused()
    }
    async fn delete_collection(&self, _: &CollectionName) -> StoreResult<()> {
        unused()
    }
    async fn collections_version(&self) -> StoreResult<i64> {
        unused()
    }
    async fn freshness(&self, _: &CollectionName) -> StoreResult<Freshness> {
        unused()
    }
    async fn create_entry(&self, _: NewEntry) -> StoreResult<StoredEntry> {
        unused()
    }
    async fn get_entry(&self, _: Uuid, _: &Visibility) -> StoreResult<StoredEntry> {
        unused()
    }
    async fn get_content(&self, _: Uuid, _: &Visibility) -> StoreResult<StoredContent> {
        unused()
    }
    async fn update_entry(
        &self,
        _: Uuid,
        _: Option<&str>,
        _: EntryData,
    ) -> StoreResult<StoredEntry> {
        unused()
    }
    async fn update_content(
        &self,
        _: Uuid,
        _: Option<&str>,
        _: NewContent,
        _: EntryData,
    ) -> StoreResult<StoredEntry> {
        unused()
    }
    async fn delete_entry(&self, _: Uuid, _: Option<&str>) -> StoreResult<Change> {
        unused()
    }
    async fn list_entries(&self, _: &FeedQuery) -> StoreResult<FeedPage> {
        unused()
    }
    async fn changes_since(&self, _: &CollectionName, _: i64, _: u32) -> StoreResult<Vec<Change>> {
        unused()
    }
    async fn create_feed_token(&self, token: &NewFeedToken) -> StoreResult<FeedToken> {
        let token = FeedToken {
            token: token.clone(),
            created: OffsetDateTime::now_utc(),
            revoked: None,
        };
        self.tokens.lock().expect("tokens").push(token.clone());
        Ok(token)
    }
    async fn get_feed_token(&self, id: Uuid) -> StoreResult<FeedToken> {
        self.tokens
            .lock()
            .expect("tokens")
            .iter()
            .find(|t| t.token.id == id)
            .cloned()
            .ok_or(StoreError::NotFound)
    }
    async fn list_feed_tokens(&self) -> StoreResult<Vec<FeedToken>> {
        unused()
    }
    async fn revoke_feed_token(&self, _: Uuid) -> StoreResult<FeedToken> {
        unused()
    }
    async fn append_audit(&self, _: &AuditRecord) -> StoreResult<()> {
        unused()
    }
    async fn list_audit(&self, _: Option<i64>, _: u32) -> StoreResult<Vec<AuditEntry>> {
        unused()
    }
}

fn collection(name: &str, public: bool) -> Collection {
    Collection {
        spec: CollectionSpec {
            name: CollectionName::parse(name).expect("name"),
            title: name.into(),
            information_type: "incident".into(),
            workspace: "w".into(),
            accept: vec![],
            max_restriction: Restriction::Private,
            public,
        },
        created: OffsetDateTime::now_utc(),
        feed_id: format!("urn:uuid:{}", Uuid::new_v4()),
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

/// A gate over `incidents`, `indicators` and the public `open`, and the principal of a
/// feed token issued for `admin` naming `collections`, authenticated the way the server
/// does it (HTTP Basic over TLS).
async fn feed_reader(collections: &[&str]) -> (Gate, Principal) {
    let store = Arc::new(Fixture {
        collections: vec![
            collection("incidents", false),
            collection("indicators", false),
            collection("open", true),
        ],
        ..Fixture::default()
    });
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
    (gate, principal)
}

fn forbidden<T>(result: Result<T, AccessError>) -> bool {
    matches!(result, Err(AccessError::Forbidden(_)))
}

/// RFC 5023 §14, spec-rolie A14: a feed token is read-only even when its subject is a
/// server administrator and every collection's writer and administrator.
#[tokio::test]
async fn a_feed_token_of_an_administrator_cannot_write_or_administer() {
    let (gate, principal) = feed_reader(&["incidents"]).await;
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
    let (gate, principal) = feed_reader(&["incidents"]).await;
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
    let (gate, principal) = feed_reader(&[]).await;
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
    let (gate, feed) = feed_reader(&["incidents"]).await;
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
