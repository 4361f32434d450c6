//! Feed pages (keyset, filters in SQL), the change log, feed tokens and the audit log.

use rolie_model::timestamp;
use rolie_store::backend;
use rolie_store::{
    AuditEntry, AuditRecord, Change, CollectionName, FeedPage, FeedQuery, FeedToken, NewFeedToken,
    StoreError,
};
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgPool};
use uuid::Uuid;

use crate::entries::collection_exists;
use crate::error::map;
use crate::records::{AuditRow, ChangeRow, ENTRY_COLUMNS, EntryRow, SyncRow, TokenRow};

/// PostgreSQL's spelling of the shared feed query.
const DIALECT: backend::Dialect = backend::Dialect {
    placeholder: |n| format!("${n}"),
    not_draft: "not e.draft",
    text_match: |p| {
        format!(
            "exists (select 1 from entry_search s where s.entry_id = e.id and s.document @@ to_tsquery('simple', {p}))"
        )
    },
    property_match: |name, value| {
        format!(
            "e.data -> 'properties' @> jsonb_build_array(jsonb_build_object('name', {name}::text, 'value', {value}::text))"
        )
    },
    text_query: |words| {
        words
            .iter()
            .map(|w| format!("{w}:*"))
            .collect::<Vec<_>>()
            .join(" & ")
    },
    branch_open: "(",
};

/// The feed query's arguments as PostgreSQL binds them.
fn arguments(args: Vec<backend::Arg>) -> Result<PgArguments, StoreError> {
    let mut bound = PgArguments::default();
    for arg in args {
        match arg {
            backend::Arg::Text(text) => bound.add(text),
            backend::Arg::Int(number) => bound.add(number),
            backend::Arg::Id(id) => bound.add(id),
        }
        .map_err(|e| StoreError::Internal(format!("binding a query argument: {e}")))?;
    }
    Ok(bound)
}

/// How many entries `query` matches for its caller (see [`rolie_store::Store::count_matching`]).
pub(crate) async fn count_matching(pool: &PgPool, query: &FeedQuery) -> Result<i64, StoreError> {
    let statement = backend::count_feed_sql(query, &DIALECT);
    let args = arguments(statement.args)?;
    sqlx::query_scalar_with(sqlx::AssertSqlSafe(statement.sql), args)
        .fetch_one(pool)
        .await
        .map_err(map)
}

pub(crate) async fn list(pool: &PgPool, query: &FeedQuery) -> Result<FeedPage, StoreError> {
    let statement = backend::feed_sql(query, ENTRY_COLUMNS, &DIALECT);
    let args = arguments(statement.args)?;
    let rows: Vec<EntryRow> = sqlx::query_as_with(sqlx::AssertSqlSafe(statement.sql), args)
        .fetch_all(pool)
        .await
        .map_err(map)?;
    if rows.is_empty() && !collection_exists(pool, &query.collection).await? {
        return Err(StoreError::NotFound);
    }
    let entries = rows
        .into_iter()
        .map(EntryRow::into_entry)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(FeedPage::from_rows(
        query.position,
        entries,
        query.page_size() as usize,
    ))
}

pub(crate) async fn changes(
    pool: &PgPool,
    collection: &CollectionName,
    after: i64,
    limit: u32,
) -> Result<Vec<Change>, StoreError> {
    let rows: Vec<ChangeRow> = sqlx::query_as(
        "select seq, kind, entry_id, atom_id, at from changes where collection = $1 and seq > $2 order by seq limit $3",
    )
    .bind(collection.as_str())
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(map)?;
    rows.into_iter().map(ChangeRow::into_change).collect()
}

/// The head page's tombstones (see [`rolie_store::Store::recent_tombstones`]).
pub(crate) async fn recent_tombstones(
    pool: &PgPool,
    name: &rolie_store::CollectionName,
    visibility: &rolie_store::Visibility,
    since: time::OffsetDateTime,
    limit: u32,
) -> Result<Vec<rolie_store::SyncItem>, StoreError> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| rolie_store::backend::tombstones_sql("$", "::text"));
    let (level, owner) = rolie_store::backend::audience_filter(visibility);
    let rows: Vec<SyncRow> = sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str()))
        .bind(name.as_str())
        .bind(timestamp::to_micros(since))
        .bind(i16::try_from(level).unwrap_or(i16::MAX))
        .bind(owner)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(map)?;
    Ok(rows.into_iter().map(SyncRow::into_item).collect())
}

/// A page of a sync window (see [`rolie_store::SyncQuery`]).
pub(crate) async fn sync(
    pool: &PgPool,
    query: &rolie_store::SyncQuery,
) -> Result<rolie_store::SyncPage, StoreError> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| rolie_store::backend::sync_sql("$", "::text"));
    let (level, owner) = rolie_store::backend::audience_filter(&query.visibility);
    let rows: Vec<SyncRow> = sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str()))
        .bind(query.collection.as_str())
        .bind(query.since)
        .bind(query.upto)
        .bind(i16::try_from(level).unwrap_or(i16::MAX))
        .bind(owner.clone())
        .bind(query.after)
        .bind(i64::from(query.page_size()))
        .fetch_all(pool)
        .await
        .map_err(map)?;
    // Read after the page: pruning only raises floors, so a floor still at or below
    // `since` now means no row of the window that the caller could see was missing while
    // the page was read.
    static FLOOR: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| rolie_store::backend::sync_floor_sql("$", "::text"));
    let floor: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(FLOOR.as_str()))
        .bind(query.collection.as_str())
        .bind(i16::try_from(level).unwrap_or(i16::MAX))
        .bind(owner)
        .fetch_one(pool)
        .await
        .map_err(map)?;
    if floor > query.since {
        return Ok(rolie_store::SyncPage::Expired { floor });
    }
    Ok(rolie_store::SyncPage::Items(
        rows.into_iter().map(SyncRow::into_item).collect(),
    ))
}

/// Removes change-log rows older than `before`; each audience keeps the newest removed
/// change that touched it as its floor. `at` grows with `seq` in every collection (`app:edited`
/// order), so the rows removed are a prefix of each collection's log.
pub(crate) async fn prune_changes(
    pool: &PgPool,
    before: time::OffsetDateTime,
) -> Result<u64, StoreError> {
    let cutoff = timestamp::to_micros(before);
    let mut tx = pool.begin().await.map_err(map)?;
    // Each audience remembers the newest removed change that touched it.
    sqlx::query(sqlx::AssertSqlSafe(rolie_store::backend::prune_floors_sql(
        "$", "greatest",
    )))
    .bind(cutoff)
    .execute(&mut *tx)
    .await
    .map_err(map)?;
    let removed = sqlx::query("delete from changes where at < $1")
        .bind(cutoff)
        .execute(&mut *tx)
        .await
        .map_err(map)?
        .rows_affected();
    tx.commit().await.map_err(map)?;
    Ok(removed)
}

/// The server secret `name`, stored from `candidate` by the first process that asks. Read
/// first: once it exists, asking never writes, so reads keep working on a full or
/// read-only disk.
pub(crate) async fn server_key(
    pool: &PgPool,
    name: &str,
    candidate: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let stored: Option<Vec<u8>> =
        sqlx::query_scalar("select secret from server_keys where name = $1")
            .bind(name)
            .fetch_optional(pool)
            .await
            .map_err(map)?;
    if let Some(secret) = stored {
        return Ok(secret);
    }
    sqlx::query(
        "insert into server_keys (name, secret, created) values ($1, $2, $3) on conflict (name) do nothing",
    )
    .bind(name)
    .bind(candidate)
    .bind(timestamp::to_micros(timestamp::now()))
    .execute(pool)
    .await
    .map_err(map)?;
    sqlx::query_scalar("select secret from server_keys where name = $1")
        .bind(name)
        .fetch_one(pool)
        .await
        .map_err(map)
}

const TOKEN_COLUMNS: &str = "select id, subject, label, clearance, collections::text as collections, secret_hash, \
     expires, created, revoked from feed_tokens";

pub(crate) async fn create_token(
    pool: &PgPool,
    token: &NewFeedToken,
) -> Result<FeedToken, StoreError> {
    sqlx::query(
        "insert into feed_tokens (id, subject, label, clearance, collections, secret_hash, expires, created) \
         values ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)",
    )
    .bind(token.id)
    .bind(&token.subject)
    .bind(&token.label)
    .bind(token.clearance.level())
    .bind(serde_json::Value::from(token.collections.clone()).to_string())
    .bind(&token.secret_hash)
    .bind(token.expires.map(timestamp::to_micros))
    .bind(timestamp::to_micros(timestamp::now()))
    .execute(pool)
    .await
    .map_err(map)?;
    get_token(pool, token.id).await
}

pub(crate) async fn get_token(pool: &PgPool, id: Uuid) -> Result<FeedToken, StoreError> {
    let row: TokenRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TOKEN_COLUMNS} where id = $1"
    )))
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(map)?
    .ok_or(StoreError::NotFound)?;
    row.into_token()
}

pub(crate) async fn list_tokens(pool: &PgPool) -> Result<Vec<FeedToken>, StoreError> {
    let rows: Vec<TokenRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TOKEN_COLUMNS} order by created desc, id desc"
    )))
    .fetch_all(pool)
    .await
    .map_err(map)?;
    rows.into_iter().map(TokenRow::into_token).collect()
}

pub(crate) async fn revoke_token(pool: &PgPool, id: Uuid) -> Result<FeedToken, StoreError> {
    let done = sqlx::query("update feed_tokens set revoked = coalesce(revoked, $1) where id = $2")
        .bind(timestamp::to_micros(timestamp::now()))
        .bind(id)
        .execute(pool)
        .await
        .map_err(map)?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    get_token(pool, id).await
}

/// Audit records written by one statement (eight parameters each).
const AUDIT_RECORDS_PER_STATEMENT: usize = 500;

pub(crate) async fn append_audit(pool: &PgPool, record: &AuditRecord) -> Result<(), StoreError> {
    append_audits(pool, std::slice::from_ref(record)).await
}

/// Appends `records` with one multi-row statement per chunk of
/// `AUDIT_RECORDS_PER_STATEMENT`: one commit, so one flush to disk, per chunk.
pub(crate) async fn append_audits(
    pool: &PgPool,
    records: &[AuditRecord],
) -> Result<(), StoreError> {
    for chunk in records.chunks(AUDIT_RECORDS_PER_STATEMENT) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Postgres>::new(
            "insert into audit_log (at, subject, action, resource, outcome, status, request_id, detail) ",
        );
        insert.push_values(chunk, |mut row, record| {
            row.push_bind(timestamp::to_micros(record.at))
                .push_bind(&record.subject)
                .push_bind(&record.action)
                .push_bind(&record.resource)
                .push_bind(&record.outcome)
                .push_bind(i32::from(record.status))
                .push_bind(record.request_id.as_deref())
                .push_bind(record.detail.as_deref());
        });
        insert.build().execute(pool).await.map_err(map)?;
    }
    Ok(())
}

pub(crate) async fn list_audit(
    pool: &PgPool,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "select seq, at, subject, action, resource, outcome, status, request_id, detail from audit_log \
         where seq < $1 order by seq desc limit $2",
    )
    .bind(before.unwrap_or(i64::MAX))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(map)?;
    Ok(rows.into_iter().map(AuditRow::into_entry).collect())
}
