//! Feed pages (keyset, filters in SQL), the change log, feed tokens and the audit log.

use rolie_model::{Restriction, timestamp};
use rolie_store::backend;
use rolie_store::{
    AuditEntry, AuditRecord, Change, CollectionName, DraftVisibility, FeedPage, FeedQuery,
    FeedToken, NewFeedToken, PagePosition, StoreError,
};
use sqlx::postgres::PgArguments;
use sqlx::{Arguments, PgPool};
use uuid::Uuid;

use crate::entries::collection_exists;
use crate::error::map;
use crate::records::{AuditRow, ChangeRow, ENTRY_COLUMNS, EntryRow, TokenRow};

/// A statement under construction with numbered placeholders.
struct Statement {
    sql: String,
    args: PgArguments,
    count: usize,
}

impl Statement {
    /// Binds `value` and returns its placeholder.
    fn bind<'q, T>(&mut self, value: T) -> Result<String, StoreError>
    where
        T: sqlx::Encode<'q, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + 'q,
    {
        self.args
            .add(value)
            .map_err(|e| StoreError::Internal(format!("binding a query argument: {e}")))?;
        self.count += 1;
        Ok(format!("${}", self.count))
    }
}

/// One ordered, limited scan of a collection's entries selecting `columns`; `restriction`
/// is the SQL condition on the level (one level, so an index gives an exact range, or all).
fn branch(
    query: &FeedQuery,
    columns: &str,
    restriction: &str,
    s: &mut Statement,
) -> Result<(), StoreError> {
    let collection = s.bind(query.collection.as_str().to_owned())?;
    s.sql.push_str(&format!(
        "select {columns} from entries e where e.collection = {collection} and {restriction}"
    ));
    match &query.visibility.drafts {
        DraftVisibility::None => s.sql.push_str(" and not e.draft"),
        DraftVisibility::OwnedBy(subject) => {
            let p = s.bind(subject.clone())?;
            s.sql
                .push_str(&format!(" and (not e.draft or e.publisher = {p})"));
        }
        DraftVisibility::All => {}
    }
    match query.position {
        PagePosition::After(key) => {
            let (edited, id) = (s.bind(key.edited_micros)?, s.bind(key.id)?);
            s.sql
                .push_str(&format!(" and (e.edited, e.id) < ({edited}, {id})"));
        }
        PagePosition::Before(key) => {
            let (edited, id) = (s.bind(key.edited_micros)?, s.bind(key.id)?);
            s.sql
                .push_str(&format!(" and (e.edited, e.id) > ({edited}, {id})"));
        }
        PagePosition::First | PagePosition::Last => {}
    }
    let filter = &query.filter;
    if let Some(since) = filter.updated_since {
        let p = s.bind(timestamp::to_micros(since))?;
        s.sql.push_str(&format!(" and e.updated >= {p}"));
    }
    if let Some(before) = filter.updated_before {
        let p = s.bind(timestamp::to_micros(before))?;
        s.sql.push_str(&format!(" and e.updated < {p}"));
    }
    if let Some((scheme, term)) = &filter.category {
        let p = s.bind(term.clone())?;
        s.sql.push_str(&format!(
            " and exists (select 1 from entry_categories c where c.entry_id = e.id and c.term = {p}"
        ));
        if let Some(scheme) = scheme {
            let p = s.bind(scheme.clone())?;
            s.sql.push_str(&format!(" and c.scheme = {p}"));
        }
        s.sql.push(')');
    }
    if let Some(text) = &filter.text {
        let p = s.bind(backend::like_pattern(text))?;
        s.sql.push_str(&format!(
            " and (e.title ilike {p} escape '\\' or e.summary ilike {p} escape '\\')"
        ));
    }
    let limit = s.bind(i64::from(query.page_size()) + 1)?;
    let order = order(query.position);
    s.sql.push_str(&format!(
        " order by e.edited {order}, e.id {order} limit {limit}"
    ));
    Ok(())
}

/// Newest first, except when paging backwards.
fn order(position: PagePosition) -> &'static str {
    match position {
        PagePosition::First | PagePosition::After(_) => "desc",
        PagePosition::Before(_) | PagePosition::Last => "asc",
    }
}

pub(crate) async fn list(pool: &PgPool, query: &FeedQuery) -> Result<FeedPage, StoreError> {
    let size = query.page_size();
    let mut s = Statement {
        sql: String::new(),
        args: PgArguments::default(),
        count: 0,
    };
    let clearance = query.visibility.clearance;
    if clearance == Restriction::Private {
        // Every level is visible: one scan of the feed index.
        branch(query, ENTRY_COLUMNS, "e.restriction <= 3", &mut s)?;
    } else {
        // Some levels are hidden: one range of the visibility index per visible level,
        // merged, so hidden entries are never read.
        s.sql.push_str(&format!("select {ENTRY_COLUMNS} from ("));
        for level in 0..=clearance.level() {
            if level > 0 {
                s.sql.push_str(" union all ");
            }
            s.sql.push('(');
            branch(query, "e.*", &format!("e.restriction = {level}"), &mut s)?;
            s.sql.push(')');
        }
        let limit = s.bind(i64::from(size) + 1)?;
        let order = order(query.position);
        s.sql.push_str(&format!(
            ") e order by e.edited {order}, e.id {order} limit {limit}"
        ));
    }
    let rows: Vec<EntryRow> = sqlx::query_as_with(sqlx::AssertSqlSafe(s.sql), s.args)
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

pub(crate) async fn append_audit(pool: &PgPool, record: &AuditRecord) -> Result<(), StoreError> {
    sqlx::query(
        "insert into audit_log (at, subject, action, resource, outcome, status, request_id, detail) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(timestamp::to_micros(record.at))
    .bind(&record.subject)
    .bind(&record.action)
    .bind(&record.resource)
    .bind(&record.outcome)
    .bind(i32::from(record.status))
    .bind(record.request_id.as_deref())
    .bind(record.detail.as_deref())
    .execute(pool)
    .await
    .map_err(map)?;
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
