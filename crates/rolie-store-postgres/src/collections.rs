//! Collections and their change counters.

use rolie_model::timestamp;
use rolie_store::backend;
use rolie_store::{
    Collection, CollectionName, CollectionSpec, Freshness, StoreError, Visibility, VisibleFreshness,
};
use sqlx::PgPool;

use crate::error::map;
use crate::records::CollectionRow;

const COLUMNS: &str = "select name, title, information_type, workspace, accept::text as accept, max_restriction, \
     public, created, feed_id::text as feed_id from collections";

pub(crate) async fn list(pool: &PgPool) -> Result<Vec<Collection>, StoreError> {
    let rows: Vec<CollectionRow> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{COLUMNS} order by name")))
            .fetch_all(pool)
            .await
            .map_err(map)?;
    rows.into_iter()
        .map(CollectionRow::into_collection)
        .collect()
}

pub(crate) async fn get(pool: &PgPool, name: &CollectionName) -> Result<Collection, StoreError> {
    let row: CollectionRow =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{COLUMNS} where name = $1")))
            .bind(name.as_str())
            .fetch_optional(pool)
            .await
            .map_err(map)?
            .ok_or(StoreError::NotFound)?;
    row.into_collection()
}

async fn bump_version(tx: &mut sqlx::PgConnection) -> Result<(), StoreError> {
    sqlx::query(
        "update store_state set collections_version = collections_version + 1 where id = 1",
    )
    .execute(tx)
    .await
    .map_err(map)?;
    Ok(())
}

/// Creates the collection `spec` whose feed's `atom:id` is `urn:uuid:{feed_id}`.
pub(crate) async fn create(
    pool: &PgPool,
    spec: &CollectionSpec,
    feed_id: uuid::Uuid,
) -> Result<Collection, StoreError> {
    let now = timestamp::to_micros(timestamp::now());
    let mut tx = pool.begin().await.map_err(map)?;
    let inserted = sqlx::query(
        "insert into collections (name, title, information_type, workspace, accept, max_restriction, public, created, last_change, feed_id) \
         values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $8, $9)",
    )
    .bind(spec.name.as_str())
    .bind(&spec.title)
    .bind(&spec.information_type)
    .bind(&spec.workspace)
    .bind(backend::accept_json(spec))
    .bind(spec.max_restriction.level())
    .bind(spec.public)
    .bind(now)
    .bind(feed_id)
    .execute(&mut *tx)
    .await;
    match inserted.map_err(map) {
        Err(StoreError::Conflict(_)) => return Err(backend::duplicate_collection(&spec.name)),
        other => other?,
    };
    bump_version(&mut tx).await?;
    tx.commit().await.map_err(map)?;
    Ok(Collection {
        spec: spec.clone(),
        created: timestamp::from_micros(now),
        feed_id: backend::feed_id(feed_id),
    })
}

pub(crate) async fn update(pool: &PgPool, spec: &CollectionSpec) -> Result<Collection, StoreError> {
    let mut tx = pool.begin().await.map_err(map)?;
    let current: Option<(String, i64)> = sqlx::query_as(
        "select information_type, entry_count from collections where name = $1 for update",
    )
    .bind(spec.name.as_str())
    .fetch_optional(&mut *tx)
    .await
    .map_err(map)?;
    let Some((information_type, entries)) = current else {
        return Err(StoreError::NotFound);
    };
    backend::check_retype(spec, &information_type, entries)?;
    sqlx::query(
        "update collections set title = $1, information_type = $2, workspace = $3, accept = $4::jsonb, \
         max_restriction = $5, public = $6 where name = $7",
    )
    .bind(&spec.title)
    .bind(&spec.information_type)
    .bind(&spec.workspace)
    .bind(backend::accept_json(spec))
    .bind(spec.max_restriction.level())
    .bind(spec.public)
    .bind(spec.name.as_str())
    .execute(&mut *tx)
    .await
    .map_err(map)?;
    bump_version(&mut tx).await?;
    tx.commit().await.map_err(map)?;
    get(pool, &spec.name).await
}

pub(crate) async fn delete(pool: &PgPool, name: &CollectionName) -> Result<(), StoreError> {
    let mut tx = pool.begin().await.map_err(map)?;
    let entries: Option<i64> =
        sqlx::query_scalar("select entry_count from collections where name = $1 for update")
            .bind(name.as_str())
            .fetch_optional(&mut *tx)
            .await
            .map_err(map)?;
    backend::check_empty(name, entries.ok_or(StoreError::NotFound)?)?;
    sqlx::query("delete from changes where collection = $1")
        .bind(name.as_str())
        .execute(&mut *tx)
        .await
        .map_err(map)?;
    sqlx::query("delete from collections where name = $1")
        .bind(name.as_str())
        .execute(&mut *tx)
        .await
        .map_err(map)?;
    bump_version(&mut tx).await?;
    tx.commit().await.map_err(map)
}

pub(crate) async fn version(pool: &PgPool) -> Result<i64, StoreError> {
    sqlx::query_scalar("select collections_version from store_state where id = 1")
        .fetch_one(pool)
        .await
        .map_err(map)
}

pub(crate) async fn freshness(
    pool: &PgPool,
    name: &CollectionName,
) -> Result<Freshness, StoreError> {
    let row: Option<(i64, i64, i64)> = sqlx::query_as(
        "select change_seq, last_change, entry_count from collections where name = $1",
    )
    .bind(name.as_str())
    .fetch_optional(pool)
    .await
    .map_err(map)?;
    let (change_seq, last_change, entry_count) = row.ok_or(StoreError::NotFound)?;
    Ok(Freshness {
        change_seq,
        last_change: timestamp::from_micros(last_change),
        entry_count,
    })
}

/// How many entries of `name` `visibility` sees.
pub(crate) async fn count_entries(
    pool: &PgPool,
    name: &CollectionName,
    visibility: &Visibility,
) -> Result<i64, StoreError> {
    let (level, owner) = backend::audience_filter(visibility);
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| backend::count_sql("$", "::text"));
    sqlx::query_scalar(sqlx::AssertSqlSafe(SQL.as_str()))
        .bind(name.as_str())
        .bind(i16::try_from(level).unwrap_or(i16::MAX))
        .bind(owner.as_deref())
        .fetch_one(pool)
        .await
        .map_err(map)
}

/// One read: the collection's creation time (`NotFound` when there is none) and the newest
/// change among the audiences `visibility` sees.
pub(crate) async fn visible_freshness(
    pool: &PgPool,
    name: &CollectionName,
    visibility: &Visibility,
) -> Result<VisibleFreshness, StoreError> {
    let (level, owner) = backend::audience_filter(visibility);
    let row: Option<(i64, Option<i64>, Option<i64>)> = sqlx::query_as(
        "select c.created, max(l.change_seq), max(l.last_change) from collections c left join collection_levels l on l.collection = c.name and l.level <= $2 and ($3::text is null or l.draft_owner = '' or l.draft_owner = $3) where c.name = $1 group by c.created",
    )
    .bind(name.as_str())
    .bind(i16::try_from(level).unwrap_or(i16::MAX))
    .bind(owner.as_deref())
    .fetch_optional(pool)
    .await
    .map_err(map)?;
    backend::visible_freshness(row)
}
