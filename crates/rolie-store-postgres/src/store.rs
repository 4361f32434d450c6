//! `Store` for `PgStore`: one pool for reads and writes.

use async_trait::async_trait;
use rolie_store::{
    AuditEntry, AuditRecord, Change, Collection, CollectionName, CollectionSpec, EntryData,
    FeedPage, FeedQuery, FeedToken, Freshness, NewContent, NewEntry, NewFeedToken, Store,
    StoreResult, StoredContent, StoredEntry, Visibility,
};
use uuid::Uuid;

use crate::error::map;
use crate::{PgStore, collections, entries, feed};

#[async_trait]
impl Store for PgStore {
    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("select 1")
            .execute(&self.pool)
            .await
            .map_err(map)?;
        Ok(())
    }

    async fn list_collections(&self) -> StoreResult<Vec<Collection>> {
        collections::list(&self.pool).await
    }

    async fn get_collection(&self, name: &CollectionName) -> StoreResult<Collection> {
        collections::get(&self.pool, name).await
    }

    #[tracing::instrument(skip_all, fields(collection.name = %spec.name))]
    async fn create_collection(&self, spec: &CollectionSpec) -> StoreResult<Collection> {
        collections::create(&self.pool, spec).await
    }

    #[tracing::instrument(skip_all, fields(collection.name = %spec.name))]
    async fn update_collection(&self, spec: &CollectionSpec) -> StoreResult<Collection> {
        collections::update(&self.pool, spec).await
    }

    #[tracing::instrument(skip_all, fields(collection.name = %name))]
    async fn delete_collection(&self, name: &CollectionName) -> StoreResult<()> {
        collections::delete(&self.pool, name).await
    }

    async fn collections_version(&self) -> StoreResult<i64> {
        collections::version(&self.pool).await
    }

    async fn freshness(&self, name: &CollectionName) -> StoreResult<Freshness> {
        collections::freshness(&self.pool, name).await
    }

    #[tracing::instrument(skip_all, fields(entry.id = %entry.id, collection.name = %entry.collection))]
    async fn create_entry(&self, entry: NewEntry) -> StoreResult<StoredEntry> {
        entries::create(&self.pool, entry).await
    }

    #[tracing::instrument(skip_all, fields(entry.id = %id))]
    async fn get_entry(&self, id: Uuid, visibility: &Visibility) -> StoreResult<StoredEntry> {
        entries::get(&self.pool, id, visibility).await
    }

    #[tracing::instrument(skip_all, fields(entry.id = %id))]
    async fn get_content(&self, id: Uuid, visibility: &Visibility) -> StoreResult<StoredContent> {
        entries::content(&self.pool, id, visibility).await
    }

    #[tracing::instrument(skip_all, fields(entry.id = %id))]
    async fn update_entry(
        &self,
        id: Uuid,
        expected_etag: Option<&str>,
        data: EntryData,
    ) -> StoreResult<StoredEntry> {
        entries::update(&self.pool, id, expected_etag, data, None).await
    }

    #[tracing::instrument(skip_all, fields(entry.id = %id))]
    async fn update_content(
        &self,
        id: Uuid,
        expected_etag: Option<&str>,
        content: NewContent,
        data: EntryData,
    ) -> StoreResult<StoredEntry> {
        entries::update(&self.pool, id, expected_etag, data, Some(content)).await
    }

    #[tracing::instrument(skip_all, fields(entry.id = %id))]
    async fn delete_entry(&self, id: Uuid, expected_etag: Option<&str>) -> StoreResult<Change> {
        entries::delete(&self.pool, id, expected_etag).await
    }

    #[tracing::instrument(skip_all, fields(collection.name = %query.collection))]
    async fn list_entries(&self, query: &FeedQuery) -> StoreResult<FeedPage> {
        feed::list(&self.pool, query).await
    }

    async fn changes_since(
        &self,
        collection: &CollectionName,
        after: i64,
        limit: u32,
    ) -> StoreResult<Vec<Change>> {
        feed::changes(&self.pool, collection, after, limit).await
    }

    async fn create_feed_token(&self, token: &NewFeedToken) -> StoreResult<FeedToken> {
        feed::create_token(&self.pool, token).await
    }

    async fn get_feed_token(&self, id: Uuid) -> StoreResult<FeedToken> {
        feed::get_token(&self.pool, id).await
    }

    async fn list_feed_tokens(&self) -> StoreResult<Vec<FeedToken>> {
        feed::list_tokens(&self.pool).await
    }

    async fn revoke_feed_token(&self, id: Uuid) -> StoreResult<FeedToken> {
        feed::revoke_token(&self.pool, id).await
    }

    async fn append_audit(&self, record: &AuditRecord) -> StoreResult<()> {
        feed::append_audit(&self.pool, record).await
    }

    async fn list_audit(&self, before: Option<i64>, limit: u32) -> StoreResult<Vec<AuditEntry>> {
        feed::list_audit(&self.pool, before, limit).await
    }
}
