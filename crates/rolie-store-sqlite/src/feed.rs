//! Feed pages (keyset, filters in SQL), the change log, feed tokens and the audit log.

use rolie_model::{Restriction, timestamp};
use rolie_store::backend;
use rolie_store::{
    AuditEntry, AuditRecord, Change, CollectionName, DraftVisibility, FeedPage, FeedQuery,
    FeedToken, NewFeedToken, PagePosition, StoreError,
};
use sqlx::Arguments;
use sqlx::SqlitePool;
use sqlx::sqlite::SqliteArguments;
use uuid::Uuid;

use crate::entries::collection_exists;
use crate::error::map;
use crate::records::{AuditRow, ChangeRow, ENTRY_COLUMNS, EntryRow, TokenRow};

fn bind<'q, T>(args: &mut SqliteArguments, value: T) -> Result<(), StoreError>
where
    T: sqlx::Encode<'q, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    args.add(value)
        .map_err(|e| StoreError::Internal(format!("binding a query argument: {e}")))
}

/// One ordered, limited scan of a collection's entries selecting `columns`; `restriction`
/// is the SQL condition on the level (one level, so an index gives an exact range, or all).
fn branch(
    query: &FeedQuery,
    columns: &str,
    restriction: &str,
    sql: &mut String,
    args: &mut SqliteArguments,
) -> Result<(), StoreError> {
    sql.push_str(&format!(
        "select {columns} from entries e where e.collection = ? and {restriction}"
    ));
    bind(args, query.collection.as_str().to_owned())?;
    match &query.visibility.drafts {
        DraftVisibility::None => sql.push_str(" and e.draft = 0"),
        DraftVisibility::OwnedBy(subject) => {
            sql.push_str(" and (e.draft = 0 or e.publisher = ?)");
            bind(args, subject.clone())?;
        }
        DraftVisibility::All => {}
    }
    match query.position {
        PagePosition::After(key) => {
            sql.push_str(" and (e.edited, e.id) < (?, ?)");
            bind(args, key.edited_micros)?;
            bind(args, key.id.to_string())?;
        }
        PagePosition::Before(key) => {
            sql.push_str(" and (e.edited, e.id) > (?, ?)");
            bind(args, key.edited_micros)?;
            bind(args, key.id.to_string())?;
        }
        PagePosition::First | PagePosition::Last => {}
    }
    let filter = &query.filter;
    if let Some(since) = filter.updated_since {
        sql.push_str(" and e.updated >= ?");
        bind(args, timestamp::to_micros(since))?;
    }
    if let Some(before) = filter.updated_before {
        sql.push_str(" and e.updated < ?");
        bind(args, timestamp::to_micros(before))?;
    }
    if let Some((scheme, term)) = &filter.category {
        sql.push_str(
            " and exists (select 1 from entry_categories c where c.entry_id = e.id and c.term = ?",
        );
        bind(args, term.clone())?;
        if let Some(scheme) = scheme {
            sql.push_str(" and c.scheme = ?");
            bind(args, scheme.clone())?;
        }
        sql.push(')');
    }
    if let Some(text) = &filter.text {
        // SQLite's LIKE folds ASCII case only; good enough for a fallback search.
        sql.push_str(" and (e.title like ? escape '\\' or e.summary like ? escape '\\')");
        let pattern = backend::like_pattern(text);
        bind(args, pattern.clone())?;
        bind(args, pattern)?;
    }
    let order = order(query.position);
    sql.push_str(&format!(" order by e.edited {order}, e.id {order} limit ?"));
    bind(args, i64::from(query.page_size()) + 1)?;
    Ok(())
}

/// Newest first, except when paging backwards.
fn order(position: PagePosition) -> &'static str {
    match position {
        PagePosition::First | PagePosition::After(_) => "desc",
        PagePosition::Before(_) | PagePosition::Last => "asc",
    }
}

pub(crate) async fn list(pool: &SqlitePool, query: &FeedQuery) -> Result<FeedPage, StoreError> {
    let size = query.page_size();
    let mut sql = String::new();
    let mut args = SqliteArguments::default();
    let clearance = query.visibility.clearance;
    if clearance == Restriction::Private {
        // Every level is visible: one scan of the feed index.
        branch(
            query,
            ENTRY_COLUMNS,
            "e.restriction <= 3",
            &mut sql,
            &mut args,
        )?;
    } else {
        // Some levels are hidden: one range of the visibility index per visible level,
        // merged, so hidden entries are never read.
        sql.push_str(&format!("select {ENTRY_COLUMNS} from ("));
        for level in 0..=clearance.level() {
            if level > 0 {
                sql.push_str(" union all ");
            }
            sql.push_str("select * from (");
            branch(
                query,
                "e.*",
                &format!("e.restriction = {level}"),
                &mut sql,
                &mut args,
            )?;
            sql.push(')');
        }
        let order = order(query.position);
        sql.push_str(&format!(
            ") e order by e.edited {order}, e.id {order} limit ?"
        ));
        bind(&mut args, i64::from(size) + 1)?;
    }
    let rows: Vec<EntryRow> = sqlx::query_as_with(sqlx::AssertSqlSafe(sql), args)
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
    Ok(FeedPage::from_rows(query.position, entries, size as usize))
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

pub(crate) async fn append_audit(
    pool: &SqlitePool,
    record: &AuditRecord,
) -> Result<(), StoreError> {
    sqlx::query(
        "insert into audit_log (at, subject, action, resource, outcome, status, request_id, detail) values (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(timestamp::to_micros(record.at))
    .bind(&record.subject)
    .bind(&record.action)
    .bind(&record.resource)
    .bind(&record.outcome)
    .bind(i64::from(record.status))
    .bind(record.request_id.as_deref())
    .bind(record.detail.as_deref())
    .execute(pool)
    .await
    .map_err(map)?;
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
