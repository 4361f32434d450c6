//! Capabilities: the store is reachable only through values that a positive decision
//! yields, so a handler that forgets to authorize does not compile (STYLE §2).
//!
//! A [`Reader`] bakes the caller's clearance and draft visibility into every query, so no
//! read can forget the restriction filter either.

use std::sync::Arc;

use rolie_store::{
    AuditEntry, AuditRecord, Change, Collection, CollectionName, CollectionSpec, DraftVisibility,
    EntryData, EntryFilter, FeedPage, FeedQuery, FeedToken, NewContent, NewEntry, NewEntryContent,
    NewFeedToken, PagePosition, Store, StoreError, StoreResult, StoredContent, StoredEntry,
    SyncPage, SyncQuery, Visibility, VisibleFreshness,
};
use uuid::Uuid;

use crate::{Action, AuthMethod, Authorizer, Decision, Principal, Resource};

/// Why access was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AccessError {
    /// The caller has no credentials and needs some (401).
    #[error("authentication is required")]
    Unauthenticated,
    /// The caller is known but not allowed (403); the message says what is missing.
    #[error("{0}")]
    Forbidden(String),
    /// The store refused or failed (NotFound also covers what the caller may not see).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The front door to the store.
#[derive(Clone)]
pub struct Gate {
    store: Arc<dyn Store>,
    authorizer: Arc<dyn Authorizer>,
    memo: Arc<memo::Memo>,
}

/// A collection the caller may read. Only a [`Reader`] makes one.
#[derive(Debug, Clone)]
pub struct ReadableCollection(Collection);

impl ReadableCollection {
    /// The collection.
    pub fn collection(&self) -> &Collection {
        &self.0
    }
}

impl Gate {
    /// The server's secret named `name` (see [`Store::server_key`]): the server's own
    /// bookkeeping, open to no caller.
    ///
    /// # Errors
    /// A store failure.
    pub async fn server_key(&self, name: &str, candidate: &[u8]) -> StoreResult<Vec<u8>> {
        self.store.server_key(name, candidate).await
    }

    /// Removes change-log rows older than `before` (the configured retention): the
    /// server's own housekeeping, open to no caller.
    ///
    /// # Errors
    /// A store failure.
    pub async fn prune_changes(&self, before: time::OffsetDateTime) -> StoreResult<u64> {
        self.store.prune_changes(before).await
    }

    /// A gate over `store` deciding with `authorizer`.
    pub fn new(store: Arc<dyn Store>, authorizer: Arc<dyn Authorizer>) -> Self {
        let memo = Arc::new(memo::Memo::new(store.as_ref()));
        Gate {
            store,
            authorizer,
            memo,
        }
    }

    /// The decision for `principal`, `action`, `resource`.
    ///
    /// Feed-reader credentials are bounded here, before any authorizer is asked, so that no
    /// policy can widen them: whatever their subject may do with a bearer token, a password
    /// kept in a feed reader only reads the collections it names.
    fn decide(&self, principal: &Principal, action: Action, resource: Resource<'_>) -> Decision {
        if principal.method == AuthMethod::FeedToken
            && !feed_token_covers(principal, action, resource)
        {
            return Decision::Deny;
        }
        self.authorizer.decide(principal, action, resource)
    }

    /// Read access for `principal`.
    pub fn reader<'a>(&'a self, principal: &'a Principal) -> Reader<'a> {
        Reader {
            gate: self,
            principal,
            stamp: memo::Stamp::default(),
        }
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> StoreResult<()> {
        self.store.ping().await
    }

    /// Appends to the audit log. The server records every write attempt, so this needs no
    /// decision; it cannot change or remove records.
    pub async fn record(&self, record: &AuditRecord) -> StoreResult<()> {
        self.store.append_audit(record).await
    }

    /// Appends several audit records, committed together.
    ///
    /// # Errors
    /// The store's.
    pub async fn record_all(&self, records: &[AuditRecord]) -> StoreResult<()> {
        self.store.append_audits(records).await
    }

    /// A refusal: anonymous callers are asked for credentials, everyone else gets
    /// `otherwise`.
    fn refused(principal: &Principal, otherwise: AccessError) -> AccessError {
        if principal.is_anonymous() {
            AccessError::Unauthenticated
        } else {
            otherwise
        }
    }

    /// The answer about a collection the caller may not even read: whether it exists is not
    /// revealed (R-PROF-AUTHZ-b). Authenticated callers get the same 404 as for a name that
    /// does not exist.
    fn hidden(principal: &Principal) -> AccessError {
        Self::refused(principal, StoreError::NotFound.into())
    }

    /// Allows `action` on `resource`, or refuses saying `what` the caller may not do.
    fn require(
        &self,
        principal: &Principal,
        action: Action,
        resource: Resource<'_>,
        what: impl FnOnce() -> String,
    ) -> Result<(), AccessError> {
        match self.decide(principal, action, resource) {
            Decision::Allow => Ok(()),
            Decision::Deny => Err(Self::refused(principal, AccessError::Forbidden(what()))),
        }
    }

    /// A collection the caller may read, or the hidden answer.
    async fn visible_collection(
        &self,
        principal: &Principal,
        at: &memo::Stamp,
        name: &CollectionName,
    ) -> Result<Collection, AccessError> {
        let collection = match self.memo.collection(self.store.as_ref(), at, name).await {
            Ok(collection) => collection,
            Err(StoreError::NotFound) => return Err(Self::hidden(principal)),
            Err(e) => return Err(e.into()),
        };
        if self.decide(
            principal,
            Action::Read,
            Resource::Collection(&collection.spec),
        ) == Decision::Allow
        {
            Ok(collection)
        } else {
            Err(Self::hidden(principal))
        }
    }

    /// Write access to a collection.
    ///
    /// # Errors
    /// `Store(NotFound)` for a collection that does not exist or that the caller may not
    /// read (`Unauthenticated` for anonymous callers), `Unauthenticated`/`Forbidden` when it
    /// may read but not write it.
    pub async fn collection_writer<'a>(
        &'a self,
        principal: &'a Principal,
        name: &CollectionName,
    ) -> Result<CollectionWriter<'a>, AccessError> {
        let collection = self
            .visible_collection(principal, &memo::Stamp::default(), name)
            .await?;
        self.require(
            principal,
            Action::Write,
            Resource::Collection(&collection.spec),
            || format!("{} may not publish to collection {name}", principal.subject),
        )?;
        Ok(CollectionWriter {
            gate: self,
            principal,
            collection,
        })
    }

    /// Write access to one entry the caller can see.
    ///
    /// # Errors
    /// `Store(NotFound)` when the entry does not exist or is hidden from the caller,
    /// `Unauthenticated`/`Forbidden` when the caller may not write its collection.
    pub async fn entry_writer<'a>(
        &'a self,
        principal: &'a Principal,
        id: Uuid,
    ) -> Result<EntryWriter<'a>, AccessError> {
        let (entry, collection) = self.reader(principal).entry(id).await?;
        let collection = collection.0;
        self.require(
            principal,
            Action::Write,
            Resource::Collection(&collection.spec),
            || {
                format!(
                    "{} may not change entries of collection {}",
                    principal.subject, collection.spec.name
                )
            },
        )?;
        Ok(EntryWriter {
            gate: self,
            principal,
            entry,
            collection,
        })
    }

    /// Server administration.
    ///
    /// # Errors
    /// `Unauthenticated`/`Forbidden` unless the caller administers the server.
    pub fn administrator<'a>(
        &'a self,
        principal: &'a Principal,
    ) -> Result<Administrator<'a>, AccessError> {
        self.require(principal, Action::Administer, Resource::Server, || {
            format!(
                "{} is not an administrator (needs rolie:admin)",
                principal.subject
            )
        })?;
        Ok(Administrator { gate: self })
    }

    /// Administration of one collection (server administrators and the collection's own).
    ///
    /// # Errors
    /// As [`Gate::collection_writer`].
    pub async fn collection_administrator<'a>(
        &'a self,
        principal: &'a Principal,
        name: &CollectionName,
    ) -> Result<CollectionAdministrator<'a>, AccessError> {
        let collection = self
            .visible_collection(principal, &memo::Stamp::default(), name)
            .await?;
        self.require(
            principal,
            Action::Administer,
            Resource::Collection(&collection.spec),
            || format!("{} may not administer collection {name}", principal.subject),
        )?;
        Ok(CollectionAdministrator {
            gate: self,
            collection,
        })
    }
}

/// What a feed-reader credential may ever be used for: reading the collections it names,
/// or every collection when it names none (RFC 5023 §14, spec-rolie A14: Basic credentials
/// are for feed readers, so they are read-only). Publishing, changing entries and
/// administration stay with bearer tokens and client certificates, even when the policy
/// lists the credential's subject as a writer or administrator.
fn feed_token_covers(principal: &Principal, action: Action, resource: Resource<'_>) -> bool {
    match (action, resource) {
        (Action::Read, Resource::Collection(spec)) => {
            principal.scopes.read_all || principal.scopes.read.contains(spec.name.as_str())
        }
        _ => false,
    }
}

/// Reads, filtered to what the principal may see.
pub struct Reader<'a> {
    gate: &'a Gate,
    principal: &'a Principal,
    /// The change counter this request's reads are kept and looked up under.
    stamp: memo::Stamp,
}

impl Reader<'_> {
    /// What the caller sees: its clearance; its own drafts, all drafts for administrators
    /// (R-PROF-DRAFT-a).
    fn visibility(&self) -> Visibility {
        let drafts = if self
            .gate
            .decide(self.principal, Action::Administer, Resource::Server)
            == Decision::Allow
        {
            DraftVisibility::All
        } else if self.principal.is_anonymous() {
            DraftVisibility::None
        } else {
            DraftVisibility::OwnedBy(self.principal.subject.clone())
        };
        Visibility {
            clearance: self.principal.clearance,
            drafts,
        }
    }

    fn may_read(&self, spec: &CollectionSpec) -> bool {
        self.gate
            .decide(self.principal, Action::Read, Resource::Collection(spec))
            == Decision::Allow
    }

    /// The collections the caller may read (R-PROF-AUTHZ-a).
    pub async fn collections(&self) -> StoreResult<Vec<ReadableCollection>> {
        Ok(self
            .gate
            .memo
            .collections(self.gate.store.as_ref(), &self.stamp)
            .await?
            .iter()
            .filter(|c| self.may_read(&c.spec))
            .cloned()
            .map(ReadableCollection)
            .collect())
    }

    /// One collection, if the caller may read it.
    ///
    /// # Errors
    /// `Store(NotFound)` when it does not exist or the caller may not read it (so private
    /// names do not leak); `Unauthenticated` for anonymous callers in both cases.
    pub async fn collection(
        &self,
        name: &CollectionName,
    ) -> Result<ReadableCollection, AccessError> {
        self.gate
            .visible_collection(self.principal, &self.stamp, name)
            .await
            .map(ReadableCollection)
    }

    /// Change counters of a readable collection as the caller sees them: writes to
    /// entries it cannot read do not move them.
    pub async fn freshness(
        &self,
        collection: &ReadableCollection,
    ) -> StoreResult<VisibleFreshness> {
        self.gate
            .memo
            .freshness(
                self.gate.store.as_ref(),
                &self.stamp,
                &collection.0.spec.name,
                &self.visibility(),
            )
            .await
    }

    /// The caller this reader reads for.
    pub fn principal(&self) -> &Principal {
        self.principal
    }

    /// How many entries of a readable collection the caller sees.
    pub async fn count(&self, collection: &ReadableCollection) -> StoreResult<i64> {
        self.gate
            .store
            .count_entries(&collection.0.spec.name, &self.visibility())
            .await
    }

    /// A feed page of a readable collection, filtered by the caller's visibility.
    pub async fn page(
        &self,
        collection: &ReadableCollection,
        limit: u32,
        position: PagePosition,
        filter: EntryFilter,
    ) -> StoreResult<FeedPage> {
        self.gate
            .store
            .list_entries(&FeedQuery {
                collection: collection.0.spec.name.clone(),
                visibility: self.visibility(),
                limit,
                position,
                filter,
            })
            .await
    }

    /// How many entries of a readable collection match `filter` as the caller sees them.
    pub async fn count_matching(
        &self,
        collection: &ReadableCollection,
        filter: EntryFilter,
    ) -> StoreResult<i64> {
        self.gate
            .store
            .count_matching(&FeedQuery {
                collection: collection.0.spec.name.clone(),
                visibility: self.visibility(),
                limit: 1,
                position: PagePosition::First,
                filter,
            })
            .await
    }

    /// The newest entries of a readable collection that the caller could see at some time
    /// since `since` and no longer sees, at most `limit`: a feed head's tombstones. The
    /// change log is filtered by the caller's clearance and drafts in the query, so an
    /// entry it never could see is never named.
    pub async fn recent_tombstones(
        &self,
        collection: &ReadableCollection,
        since: time::OffsetDateTime,
        limit: u32,
    ) -> StoreResult<Vec<rolie_store::SyncItem>> {
        self.gate
            .store
            .recent_tombstones(&collection.0.spec.name, &self.visibility(), since, limit)
            .await
    }

    /// A page of a sync window of a readable collection, filtered by the caller's clearance
    /// and drafts in the query: entries it sees now, and tombstones only for entries it
    /// could see at the window's start (see [`rolie_store::SyncQuery`]).
    pub async fn sync(
        &self,
        collection: &ReadableCollection,
        since: i64,
        upto: i64,
        after: i64,
        limit: u32,
    ) -> StoreResult<SyncPage> {
        self.gate
            .store
            .sync(&SyncQuery {
                collection: collection.0.spec.name.clone(),
                visibility: self.visibility(),
                since,
                upto,
                after,
                limit,
            })
            .await
    }

    /// An entry and its collection. Entries the caller may not see, by clearance, draft
    /// state or collection, are `NotFound`: their existence is not revealed (R-PROF-AUTHZ-b).
    /// An anonymous caller is asked for credentials instead, whether the entry exists or
    /// not, as it is for a collection it may not read: only public entries answer without
    /// them, and clients that send credentials only when challenged can log in.
    ///
    /// # Errors
    /// `Store(NotFound)`, `Unauthenticated` for anonymous callers, or a store failure.
    pub async fn entry(&self, id: Uuid) -> Result<(StoredEntry, ReadableCollection), AccessError> {
        self.entry_as(id, &self.visibility()).await
    }

    async fn entry_as(
        &self,
        id: Uuid,
        visibility: &Visibility,
    ) -> Result<(StoredEntry, ReadableCollection), AccessError> {
        let hidden = || Gate::hidden(self.principal);
        let entry = match self
            .gate
            .memo
            .entry(self.gate.store.as_ref(), &self.stamp, id, visibility)
            .await
        {
            Ok(entry) => entry,
            Err(StoreError::NotFound) => return Err(hidden()),
            Err(e) => return Err(e.into()),
        };
        let collection = self
            .gate
            .memo
            .collection(self.gate.store.as_ref(), &self.stamp, &entry.collection)
            .await?;
        if !self.may_read(&collection.spec) {
            return Err(hidden());
        }
        Ok((entry, ReadableCollection(collection)))
    }

    /// An entry of `collection` as the caller sees it now, read from the store and not from
    /// what earlier requests remembered: a sync page reads its entries after its window
    /// and must never get a state older than the window's end. `None` when the caller
    /// does not see it (any more).
    ///
    /// # Errors
    /// A store failure.
    pub async fn entry_now(
        &self,
        collection: &ReadableCollection,
        id: Uuid,
    ) -> StoreResult<Option<StoredEntry>> {
        match self.gate.store.get_entry(id, &self.visibility()).await {
            Ok(entry) if entry.collection == collection.0.spec.name => Ok(Some(entry)),
            Ok(_) | Err(StoreError::NotFound) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// An entry's stored content, under the same rule as [`Reader::entry`].
    ///
    /// # Errors
    /// As [`Reader::entry`].
    pub async fn content(&self, id: Uuid) -> Result<StoredContent, AccessError> {
        let visibility = self.visibility();
        self.entry_as(id, &visibility).await?;
        match self.gate.store.get_content(id, &visibility).await {
            Ok(content) => Ok(content),
            Err(StoreError::NotFound) => Err(Gate::hidden(self.principal)),
            Err(e) => Err(e.into()),
        }
    }
}

/// Permission to publish into one collection.
pub struct CollectionWriter<'a> {
    gate: &'a Gate,
    principal: &'a Principal,
    collection: Collection,
}

impl CollectionWriter<'_> {
    /// The collection.
    pub fn collection(&self) -> &Collection {
        &self.collection
    }

    /// Creates an entry in this collection, published by the caller, under a new id.
    ///
    /// # Errors
    /// `Forbidden` above the caller's clearance ([`within_clearance`]); the store's errors.
    pub async fn create_entry(
        &self,
        data: EntryData,
        content: NewEntryContent,
    ) -> Result<StoredEntry, AccessError> {
        within_clearance(self.principal, &data)?;
        Ok(self
            .gate
            .store
            .create_entry(NewEntry {
                id: Uuid::now_v7(),
                collection: self.collection.spec.name.clone(),
                publisher: self.principal.subject.clone(),
                data,
                content,
                edited: None,
            })
            .await?)
    }
}

/// A writer publishes at most at its own clearance (R-PROF-AUTHZ-c): what it writes it must
/// be able to read back, and an entry above its clearance could collide with entries it
/// cannot see, so the answer would tell it they exist. No policy lifts this; a writer that
/// must publish `red` needs `red` clearance.
///
/// # Errors
/// `Forbidden` naming both levels.
fn within_clearance(principal: &Principal, data: &EntryData) -> Result<(), AccessError> {
    if data.restriction > principal.clearance {
        return Err(AccessError::Forbidden(format!(
            "{} may publish up to {} ({}), and this content is restricted to {} ({})",
            principal.subject,
            principal.clearance.term(),
            principal.clearance.tlp(),
            data.restriction.term(),
            data.restriction.tlp()
        )));
    }
    Ok(())
}

/// Permission to change one entry.
pub struct EntryWriter<'a> {
    gate: &'a Gate,
    principal: &'a Principal,
    entry: StoredEntry,
    collection: Collection,
}

impl EntryWriter<'_> {
    /// The entry as it was when access was granted.
    pub fn entry(&self) -> &StoredEntry {
        &self.entry
    }

    /// Its collection.
    pub fn collection(&self) -> &Collection {
        &self.collection
    }

    /// Replaces the entry's metadata.
    ///
    /// # Errors
    /// `Forbidden` above the caller's clearance; the store's errors.
    pub async fn update(
        &self,
        expected_etag: Option<&str>,
        data: EntryData,
    ) -> Result<StoredEntry, AccessError> {
        within_clearance(self.principal, &data)?;
        Ok(self
            .gate
            .store
            .update_entry(self.entry.id, expected_etag, data)
            .await?)
    }

    /// Replaces the entry's content and metadata.
    ///
    /// # Errors
    /// `Forbidden` above the caller's clearance; the store's errors.
    pub async fn update_content(
        &self,
        expected_etag: Option<&str>,
        content: NewContent,
        data: EntryData,
    ) -> Result<StoredEntry, AccessError> {
        within_clearance(self.principal, &data)?;
        Ok(self
            .gate
            .store
            .update_content(self.entry.id, expected_etag, content, data)
            .await?)
    }

    /// Deletes the entry.
    pub async fn delete(&self, expected_etag: Option<&str>) -> StoreResult<Change> {
        self.gate
            .store
            .delete_entry(self.entry.id, expected_etag)
            .await
    }
}

/// Server administration.
pub struct Administrator<'a> {
    gate: &'a Gate,
}

impl Administrator<'_> {
    /// All collections.
    pub async fn collections(&self) -> StoreResult<Vec<Collection>> {
        self.gate.store.list_collections().await
    }

    /// The entries of a collection at each restriction level, drafts included (public,
    /// partner, need-to-know, private).
    pub async fn entries_by_level(&self, name: &CollectionName) -> StoreResult<[i64; 4]> {
        let mut at_most = [0i64; 4];
        for (slot, level) in at_most.iter_mut().zip(rolie_model::Restriction::ALL) {
            let visibility = Visibility {
                clearance: level,
                drafts: DraftVisibility::All,
            };
            *slot = self.gate.store.count_entries(name, &visibility).await?;
        }
        let mut levels = at_most;
        for i in (1..4).rev() {
            levels[i] -= at_most[i - 1];
        }
        Ok(levels)
    }

    /// Creates a collection.
    pub async fn create_collection(&self, spec: &CollectionSpec) -> StoreResult<Collection> {
        self.gate.store.create_collection(spec).await
    }

    /// Feed tokens.
    pub async fn feed_tokens(&self) -> StoreResult<Vec<FeedToken>> {
        self.gate.store.list_feed_tokens().await
    }

    /// Stores a feed token.
    pub async fn create_feed_token(&self, token: &NewFeedToken) -> StoreResult<FeedToken> {
        self.gate.store.create_feed_token(token).await
    }

    /// Revokes a feed token.
    pub async fn revoke_feed_token(&self, id: Uuid) -> StoreResult<FeedToken> {
        self.gate.store.revoke_feed_token(id).await
    }

    /// Audit records, newest first.
    pub async fn audit(&self, before: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        self.gate.store.list_audit(before, limit).await
    }
}

/// Administration of one collection.
pub struct CollectionAdministrator<'a> {
    gate: &'a Gate,
    collection: Collection,
}

impl CollectionAdministrator<'_> {
    /// The collection.
    pub fn collection(&self) -> &Collection {
        &self.collection
    }

    /// Replaces its definition (the name stays).
    pub async fn update(&self, mut spec: CollectionSpec) -> StoreResult<Collection> {
        spec.name = self.collection.spec.name.clone();
        self.gate.store.update_collection(&spec).await
    }

    /// Deletes it (only when empty).
    pub async fn delete(&self) -> StoreResult<()> {
        self.gate
            .store
            .delete_collection(&self.collection.spec.name)
            .await
    }
}

mod memo;

#[cfg(test)]
mod tests;
