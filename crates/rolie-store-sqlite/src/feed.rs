//! Feed pages (keyset, filters in SQL), the change log, feed tokens and the audit log.

use rolie_model::timestamp;
use rolie_store::backend;
use rolie_store::{
    AuditEntry, AuditRecord, Change, CollectionName, FeedPage, FeedQuery, FeedToken, NewFeedToken,
    StoreError,
};
use sqlx::Arguments;
use sqlx::sqlite::SqliteArguments;
use sqlx::{SqliteConnection, SqlitePool};
use uuid::Uuid;

use crate::entries::collection_exists;
use crate::error::map;
use crate::records::{AuditRow, ChangeRow, ENTRY_COLUMNS, EntryRow, SyncRow, TokenRow};

/// SQLite's spelling of the shared feed query.
const DIALECT: backend::Dialect = backend::Dialect {
    placeholder: |_| "?".to_owned(),
    not_draft: "e.draft = 0",
    text_match: |p| {
        format!("e.rowid in (select rowid from entries_fts where entries_fts match {p})")
    },
    property_match: |name, value| {
        format!(
            "exists (select 1 from json_each(e.data, '$.properties') p \
             where json_extract(p.value, '$.name') = {name} and json_extract(p.value, '$.value') = {value})"
        )
    },
    text_query: |words| {
        words
            .iter()
            .map(|w| format!("\"{w}\"*"))
            .collect::<Vec<_>>()
            .join(" ")
    },
    branch_open: "select * from (",
};

/// The feed query's arguments as SQLite binds them.
fn arguments(args: Vec<backend::Arg>) -> Result<SqliteArguments, StoreError> {
    let mut bound = SqliteArguments::default();
    for arg in args {
        match arg {
            backend::Arg::Text(text) => bound.add(text),
            backend::Arg::Int(number) => bound.add(number),
            backend::Arg::Id(id) => bound.add(id.hyphenated()),
        }
        .map_err(|e| StoreError::Internal(format!("binding a query argument: {e}")))?;
    }
    Ok(bound)
}

pub(crate) async fn list(pool: &SqlitePool, query: &FeedQuery) -> Result<FeedPage, StoreError> {
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

/// How many entries `query` matches for its caller (see [`rolie_store::Store::count_matching`]).
pub(crate) async fn count_matching(
    pool: &SqlitePool,
    query: &FeedQuery,
) -> Result<i64, StoreError> {
    let statement = backend::count_feed_sql(query, &DIALECT);
    let args = arguments(statement.args)?;
    sqlx::query_scalar_with(sqlx::AssertSqlSafe(statement.sql), args)
        .fetch_one(pool)
        .await
        .map_err(map)
}

pub(crate) async fn changes(
    pool: &SqlitePool,
    collection: &CollectionName,
    after: i64,
    limit: u32,
) -> Result<Vec<Change>, StoreError> {
    let rows: Vec<ChangeRow> = sqlx::query_as(
        "select seq, kind, entry_id, atom_id, at from changes where collection = ? and seq > ? order by seq limit ?",
    )
    .bind(collection.as_str())
    .bind(after)
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(map)?;
    rows.into_iter().map(ChangeRow::into_change).collect()
}

/// A page of a sync window (see [`rolie_store::SyncQuery`]).
pub(crate) async fn sync(
    pool: &SqlitePool,
    query: &rolie_store::SyncQuery,
) -> Result<rolie_store::SyncPage, StoreError> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| rolie_store::backend::sync_sql("?", ""));
    let (level, owner) = rolie_store::backend::audience_filter(&query.visibility);
    let rows: Vec<SyncRow> = sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str()))
        .bind(query.collection.as_str())
        .bind(query.since)
        .bind(query.upto)
        .bind(level)
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
        std::sync::LazyLock::new(|| rolie_store::backend::sync_floor_sql("?", ""));
    let floor: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(FLOOR.as_str()))
        .bind(query.collection.as_str())
        .bind(level)
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

/// The head page's tombstones (see [`rolie_store::Store::recent_tombstones`]).
pub(crate) async fn recent_tombstones(
    pool: &SqlitePool,
    name: &rolie_store::CollectionName,
    visibility: &rolie_store::Visibility,
    since: time::OffsetDateTime,
    limit: u32,
) -> Result<Vec<rolie_store::SyncItem>, StoreError> {
    static SQL: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| rolie_store::backend::tombstones_sql("?", ""));
    let (level, owner) = rolie_store::backend::audience_filter(visibility);
    let rows: Vec<SyncRow> = sqlx::query_as(sqlx::AssertSqlSafe(SQL.as_str()))
        .bind(name.as_str())
        .bind(timestamp::to_micros(since))
        .bind(level)
        .bind(owner)
        .bind(i64::from(limit))
        .fetch_all(pool)
        .await
        .map_err(map)?;
    Ok(rows.into_iter().map(SyncRow::into_item).collect())
}

/// Removes change-log rows older than `before`; each audience keeps the newest removed
/// change that touched it as its floor. `at` grows with `seq` in every collection (`app:edited`
/// order), so the rows removed are a prefix of each collection's log.
pub(crate) async fn prune_changes(
    pool: &SqlitePool,
    before: time::OffsetDateTime,
) -> Result<u64, StoreError> {
    let cutoff = timestamp::to_micros(before);
    let mut tx = crate::write::WriteTx::begin(pool).await?;
    // Each audience remembers the newest removed change that touched it.
    sqlx::query(sqlx::AssertSqlSafe(rolie_store::backend::prune_floors_sql(
        "?", "max",
    )))
    .bind(cutoff)
    .execute(&mut *tx)
    .await
    .map_err(map)?;
    let removed = sqlx::query("delete from changes where at < ?")
        .bind(cutoff)
        .execute(&mut *tx)
        .await
        .map_err(map)?
        .rows_affected();
    tx.commit().await?;
    Ok(removed)
}

/// The server secret `name`, stored from `candidate` by the first process that asks. Read
/// first: once it exists, asking never writes, so reads keep working on a full or
/// read-only disk.
pub(crate) async fn server_key(
    pool: &SqlitePool,
    name: &str,
    candidate: &[u8],
) -> Result<Vec<u8>, StoreError> {
    let stored: Option<Vec<u8>> =
        sqlx::query_scalar("select secret from server_keys where name = ?")
            .bind(name)
            .fetch_optional(pool)
            .await
            .map_err(map)?;
    if let Some(secret) = stored {
        return Ok(secret);
    }
    sqlx::query(
        "insert into server_keys (name, secret, created) values (?, ?, ?) on conflict (name) do nothing",
    )
    .bind(name)
    .bind(candidate)
    .bind(timestamp::to_micros(timestamp::now()))
    .execute(pool)
    .await
    .map_err(map)?;
    sqlx::query_scalar("select secret from server_keys where name = ?")
        .bind(name)
        .fetch_one(pool)
        .await
        .map_err(map)
}

const TOKEN_COLUMNS: &str = "select id, subject, label, clearance, collections, secret_hash, expires, created, revoked from feed_tokens";

pub(crate) async fn create_token(
    pool: &SqlitePool,
    token: &NewFeedToken,
) -> Result<FeedToken, StoreError> {
    sqlx::query(
        "insert into feed_tokens (id, subject, label, clearance, collections, secret_hash, expires, created) \
         values (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(token.id.to_string())
    .bind(&token.subject)
    .bind(&token.label)
    .bind(i64::from(token.clearance.level()))
    .bind(serde_json::Value::from(token.collections.clone()).to_string())
    .bind(&token.secret_hash)
    .bind(token.expires.map(timestamp::to_micros))
    .bind(timestamp::to_micros(timestamp::now()))
    .execute(pool)
    .await
    .map_err(map)?;
    get_token(pool, token.id).await
}

pub(crate) async fn get_token(pool: &SqlitePool, id: Uuid) -> Result<FeedToken, StoreError> {
    let row: TokenRow =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{TOKEN_COLUMNS} where id = ?")))
            .bind(id.to_string())
            .fetch_optional(pool)
            .await
            .map_err(map)?
            .ok_or(StoreError::NotFound)?;
    row.into_token()
}

pub(crate) async fn list_tokens(pool: &SqlitePool) -> Result<Vec<FeedToken>, StoreError> {
    let rows: Vec<TokenRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{TOKEN_COLUMNS} order by created desc, id desc"
    )))
    .fetch_all(pool)
    .await
    .map_err(map)?;
    rows.into_iter().map(TokenRow::into_token).collect()
}

pub(crate) async fn revoke_token(pool: &SqlitePool, id: Uuid) -> Result<FeedToken, StoreError> {
    let done = sqlx::query("update feed_tokens set revoked = coalesce(revoked, ?) where id = ?")
        .bind(timestamp::to_micros(timestamp::now()))
        .bind(id.to_string())
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

pub(crate) async fn append_audit(
    writer: &crate::Writer,
    record: &AuditRecord,
) -> Result<(), StoreError> {
    append_audits(writer, std::slice::from_ref(record)).await
}

/// Appends `records` in the committer's next batch ([`crate::batch`]), so audit records
/// share the flush to disk with the entries written at the same time instead of taking
/// the writer for a commit of their own; one multi-row statement per chunk.
pub(crate) async fn append_audits(
    writer: &crate::Writer,
    records: &[AuditRecord],
) -> Result<(), StoreError> {
    let records = records.to_vec();
    writer
        .committer
        .run(move |connection, _| Box::pin(insert_audits(connection, records)))
        .await
}

async fn insert_audits(
    connection: &mut SqliteConnection,
    records: Vec<AuditRecord>,
) -> Result<(), StoreError> {
    for chunk in records.chunks(AUDIT_RECORDS_PER_STATEMENT) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "insert into audit_log (at, subject, action, resource, outcome, status, request_id, detail) ",
        );
        insert.push_values(chunk, |mut row, record| {
            row.push_bind(timestamp::to_micros(record.at))
                .push_bind(&record.subject)
                .push_bind(&record.action)
                .push_bind(&record.resource)
                .push_bind(&record.outcome)
                .push_bind(i64::from(record.status))
                .push_bind(record.request_id.as_deref())
                .push_bind(record.detail.as_deref());
        });
        insert
            .build()
            .execute(&mut *connection)
            .await
            .map_err(map)?;
    }
    Ok(())
}

pub(crate) async fn list_audit(
    pool: &SqlitePool,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows: Vec<AuditRow> = sqlx::query_as(
        "select seq, at, subject, action, resource, outcome, status, request_id, detail from audit_log \
         where seq < ? order by seq desc limit ?",
    )
    .bind(before.unwrap_or(i64::MAX))
    .bind(i64::from(limit))
    .fetch_all(pool)
    .await
    .map_err(map)?;
    Ok(rows.into_iter().map(AuditRow::into_entry).collect())
}

#[cfg(test)]
mod tests {
    use rolie_model::Restriction;
    use rolie_store::{
        CollectionName, DraftVisibility, EntryFilter, FeedQuery, PagePosition, Visibility,
    };

    use super::*;

    /// SQLite's plan for `query`, one line per step.
    async fn plan(query: &FeedQuery) -> Vec<String> {
        let dir = tempfile::tempdir().expect("temporary directory");
        let store = crate::SqliteStore::open(dir.path().join("plan.db").to_str().expect("path"))
            .await
            .expect("store");
        let statement = backend::feed_sql(query, ENTRY_COLUMNS, &DIALECT);
        let args = arguments(statement.args).expect("bind");
        let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as_with(
            sqlx::AssertSqlSafe(format!("explain query plan {}", statement.sql)),
            args,
        )
        .fetch_all(&store.reader)
        .await
        .expect("explain");
        rows.into_iter().map(|(_, _, _, step)| step).collect()
    }

    fn first_page(clearance: Restriction) -> FeedQuery {
        FeedQuery {
            collection: CollectionName::parse("incidents").expect("name"),
            visibility: Visibility {
                clearance,
                drafts: DraftVisibility::OwnedBy("alice".into()),
            },
            limit: 50,
            position: PagePosition::First,
            filter: EntryFilter::default(),
        }
    }

    /// A first page walks an index in feed order and stops after the page; it never sorts
    /// the collection (which made every first page cost the whole collection). The only
    /// sorts allowed are of a level's already limited page, for merging the levels.
    #[tokio::test]
    async fn first_pages_never_sort_the_collection() {
        for clearance in [
            Restriction::Private,
            Restriction::Partner,
            Restriction::Public,
        ] {
            let steps = plan(&first_page(clearance)).await;
            for (i, step) in steps.iter().enumerate() {
                if step.contains("TEMP B-TREE") {
                    assert!(
                        i > 0 && steps[i - 1].starts_with("SCAN (subquery"),
                        "{clearance:?} sorts entries: {steps:?}"
                    );
                }
            }
            assert!(
                steps.iter().any(|s| s.contains("USING INDEX entries_")),
                "{clearance:?}: {steps:?}"
            );
        }
    }
}
