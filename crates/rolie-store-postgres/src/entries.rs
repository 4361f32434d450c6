//! Entry writes and reads. Every write locks its collection's row first, then the entry, so
//! writes to a collection are serialised in one lock order, and commits before returning.

use std::future::Future;

use rolie_model::timestamp;
use rolie_store::backend::{self, Audience, Transition};
use rolie_store::{
    Change, ChangeKind, CollectionName, DraftVisibility, EntryData, NewContent, NewEntry,
    NewEntryContent, StoreError, StoredContent, StoredEntry, Visibility,
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::error::{is_retryable, map};
use crate::records::{ENTRY_COLUMNS, EntryRow};

/// An error inside a write transaction: the database's own (maybe worth a retry) or ours.
pub(crate) enum TxError {
    Sql(sqlx::Error),
    Store(StoreError),
}

impl From<sqlx::Error> for TxError {
    fn from(e: sqlx::Error) -> Self {
        TxError::Sql(e)
    }
}

impl From<StoreError> for TxError {
    fn from(e: StoreError) -> Self {
        TxError::Store(e)
    }
}

const ATTEMPTS: usize = 5;

/// Runs a transaction body, retrying on serialisation failures and deadlocks.
pub(crate) async fn retry<T, F, Fut>(mut attempt: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, TxError>>,
{
    let mut tries = 0;
    loop {
        tries += 1;
        match attempt().await {
            Ok(value) => return Ok(value),
            Err(TxError::Sql(e)) if is_retryable(&e) && tries < ATTEMPTS => {
                tracing::debug!(attempt = tries, "retrying a write after {e}");
            }
            Err(TxError::Sql(e)) => return Err(map(e)),
            Err(TxError::Store(e)) => return Err(e),
        }
    }
}

/// Locks the collection row and returns the edit time of this write (`wanted` when
/// restoring an archive: [`backend::edited_at`]).
async fn lock_collection(
    tx: &mut PgConnection,
    collection: &str,
    wanted: Option<time::OffsetDateTime>,
) -> Result<i64, TxError> {
    let last_edited: Option<i64> =
        sqlx::query_scalar("select last_edited from collections where name = $1 for update")
            .bind(collection)
            .fetch_optional(&mut *tx)
            .await?;
    let last_edited = last_edited.ok_or(StoreError::NotFound)?;
    Ok(backend::edited_at(last_edited, wanted))
}

/// Advances the collection's counters and appends the change.
async fn record_change(
    tx: &mut PgConnection,
    collection: &str,
    kind: ChangeKind,
    entry_id: Uuid,
    atom_id: &str,
    at: i64,
    transition: Transition<'_>,
) -> Result<Change, TxError> {
    let seq: i64 = sqlx::query_scalar(
        "update collections set change_seq = change_seq + 1, last_change = $1, last_edited = $1, \
         entry_count = entry_count + $2 where name = $3 returning change_seq",
    )
    .bind(at)
    .bind(kind.entry_count_delta())
    .bind(collection)
    .fetch_one(&mut *tx)
    .await?;
    let level = |a: &Audience| i16::try_from(a.level).unwrap_or(i16::MAX);
    sqlx::query(
        "insert into changes (collection, seq, kind, entry_id, atom_id, at, before_level, before_owner, after_level, after_owner) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(collection)
    .bind(seq)
    .bind(kind.as_str())
    .bind(entry_id)
    .bind(atom_id)
    .bind(at)
    .bind(transition.before.map(level))
    .bind(transition.before.map(|a| a.draft_owner.as_str()))
    .bind(transition.after.map(level))
    .bind(transition.after.map(|a| a.draft_owner.as_str()))
    .execute(&mut *tx)
    .await?;
    for audience in transition.audiences() {
        sqlx::query(
            "insert into collection_levels (collection, level, draft_owner, change_seq, last_change) \
             values ($1, $2, $3, $4, $5) on conflict (collection, level, draft_owner) \
             do update set change_seq = excluded.change_seq, last_change = excluded.last_change",
        )
        .bind(collection)
        .bind(i16::try_from(audience.level).unwrap_or(i16::MAX))
        .bind(&audience.draft_owner)
        .bind(seq)
        .bind(at)
        .execute(&mut *tx)
        .await?;
    }
    Ok(Change {
        seq,
        kind,
        entry_id,
        atom_id: atom_id.to_owned(),
        at: timestamp::from_micros(at),
    })
}

/// Categories inserted by one statement (three parameters each).
const CATEGORIES_PER_STATEMENT: usize = 1000;

/// Writes an entry's categories in one statement; `replace` drops the old ones first (a
/// new entry has none).
async fn write_categories(
    tx: &mut PgConnection,
    id: Uuid,
    data: &EntryData,
    replace: bool,
) -> Result<(), TxError> {
    if replace {
        sqlx::query("delete from entry_categories where entry_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    // In chunks: a statement takes a bounded number of parameters (SQLite 32,766,
    // PostgreSQL 65,535), and a submitted entry may carry very many categories.
    for chunk in data.categories.chunks(CATEGORIES_PER_STATEMENT) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Postgres>::new(
            "insert into entry_categories (entry_id, scheme, term) ",
        );
        insert.push_values(chunk, |mut row, category| {
            row.push_bind(id)
                .push_bind(category.scheme.as_deref())
                .push_bind(&category.term);
        });
        insert.build().execute(&mut *tx).await?;
    }
    Ok(())
}

async fn fetch(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<StoredEntry, TxError> {
    let suffix = if lock { " for update" } else { "" };
    let row: EntryRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {ENTRY_COLUMNS} from entries e where e.id = $1{suffix}"
    )))
    .bind(id)
    .fetch_optional(conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    Ok(row.into_entry()?)
}

async fn create_once(pool: &PgPool, entry: &NewEntry) -> Result<StoredEntry, TxError> {
    let collection = entry.collection.as_str();
    let mut tx = pool.begin().await?;
    let edited = lock_collection(&mut tx, collection, entry.edited).await?;
    // Under the collection's row lock, so the answer holds until the insert; the unique
    // constraint stays the backstop.
    let existing: Option<Uuid> =
        sqlx::query_scalar("select id from entries where collection = $1 and atom_id = $2")
            .bind(collection)
            .bind(&entry.data.atom_id)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some(existing) = existing {
        return Err(
            backend::duplicate_atom_id(collection, &entry.data.atom_id, Some(existing)).into(),
        );
    }
    let data = backend::resolve_data(entry.data.clone(), edited, None);
    let (title, summary) = backend::search_text(&data);
    let (kind, content_type, content_src, content_hash, content_size) =
        backend::content_columns(&entry.content);
    let inserted = sqlx::query(
        "insert into entries (id, collection, atom_id, publisher, title, summary, published, updated, edited, draft, \
         restriction, data, etag, content_kind, content_type, content_src, content_hash, content_size, content_modified) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $15, $16, $17, $18, $9)",
    )
    .bind(entry.id)
    .bind(collection)
    .bind(&data.atom_id)
    .bind(&entry.publisher)
    .bind(title)
    .bind(summary)
    .bind(data.published.map(timestamp::to_micros))
    .bind(data.updated.map(timestamp::to_micros))
    .bind(edited)
    .bind(data.draft)
    .bind(data.restriction.level())
    .bind(backend::encode_data(&data)?)
    .bind(backend::new_etag())
    .bind(kind)
    .bind(content_type)
    .bind(content_src)
    .bind(content_hash)
    .bind(content_size)
    .execute(&mut *tx)
    .await;
    if let Err(sqlx::Error::Database(db)) = &inserted
        && db.is_unique_violation()
    {
        return Err(
            if db.constraint() == Some("entries_collection_atom_id_key") {
                backend::duplicate_atom_id(collection, &data.atom_id, None).into()
            } else {
                backend::duplicate_entry_id(entry.id).into()
            },
        );
    }
    inserted?;
    write_categories(&mut tx, entry.id, &data, false).await?;
    if let NewEntryContent::Stored(content) = &entry.content {
        sqlx::query("insert into contents (entry_id, bytes) values ($1, $2)")
            .bind(entry.id)
            .bind(content.bytes.as_ref())
            .execute(&mut *tx)
            .await?;
    }
    record_change(
        &mut tx,
        collection,
        ChangeKind::Create,
        entry.id,
        &data.atom_id,
        edited,
        Transition {
            before: None,
            after: Some(&Audience::of(&data, &entry.publisher)),
        },
    )
    .await?;
    let stored = fetch(&mut tx, entry.id, false).await?;
    tx.commit().await?;
    Ok(stored)
}

pub(crate) async fn create(pool: &PgPool, entry: NewEntry) -> Result<StoredEntry, StoreError> {
    retry(|| create_once(pool, &entry)).await
}

/// The SQL condition that hides what `visibility` does not allow; placeholders start at `$2`.
pub(crate) fn visibility_clause(visibility: &Visibility) -> (&'static str, Option<String>) {
    match &visibility.drafts {
        DraftVisibility::None => ("e.restriction <= $2 and not e.draft", None),
        DraftVisibility::OwnedBy(subject) => (
            "e.restriction <= $2 and (not e.draft or e.publisher = $3)",
            Some(subject.clone()),
        ),
        DraftVisibility::All => ("e.restriction <= $2", None),
    }
}

pub(crate) async fn get(
    pool: &PgPool,
    id: Uuid,
    visibility: &Visibility,
) -> Result<StoredEntry, StoreError> {
    let (clause, subject) = visibility_clause(visibility);
    let mut query = sqlx::query_as::<_, EntryRow>(sqlx::AssertSqlSafe(format!(
        "select {ENTRY_COLUMNS} from entries e where e.id = $1 and {clause}"
    )))
    .bind(id)
    .bind(visibility.clearance.level());
    if let Some(subject) = subject {
        query = query.bind(subject);
    }
    let row = query
        .fetch_optional(pool)
        .await
        .map_err(map)?
        .ok_or(StoreError::NotFound)?;
    row.into_entry()
}

pub(crate) async fn content(
    pool: &PgPool,
    id: Uuid,
    visibility: &Visibility,
) -> Result<StoredContent, StoreError> {
    let (clause, subject) = visibility_clause(visibility);
    let mut query =
        sqlx::query_as::<_, (String, Vec<u8>, String, i64)>(sqlx::AssertSqlSafe(format!(
            "select e.content_type, c.bytes, e.content_hash, e.content_modified from entries e \
         join contents c on c.entry_id = e.id where e.id = $1 and {clause}"
        )))
        .bind(id)
        .bind(visibility.clearance.level());
    if let Some(subject) = subject {
        query = query.bind(subject);
    }
    let (media_type, bytes, hash, modified) = query
        .fetch_optional(pool)
        .await
        .map_err(map)?
        .ok_or(StoreError::NotFound)?;
    Ok(StoredContent {
        entry_id: id,
        media_type,
        bytes: bytes.into(),
        hash,
        modified: timestamp::from_micros(modified),
    })
}

/// Locks collection then entry, checks the expected ETag; returns the edit time.
async fn lock_entry(
    tx: &mut PgConnection,
    id: Uuid,
    expected_etag: Option<&str>,
) -> Result<(i64, StoredEntry), TxError> {
    let collection: Option<String> =
        sqlx::query_scalar("select collection from entries where id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    let collection = collection.ok_or(StoreError::NotFound)?;
    let edited = lock_collection(tx, &collection, None).await?;
    let current = fetch(tx, id, true).await?;
    if !backend::etag_matches(expected_etag, &current.etag) {
        return Err(StoreError::PreconditionFailed.into());
    }
    Ok((edited, current))
}

async fn update_once(
    pool: &PgPool,
    id: Uuid,
    expected_etag: Option<&str>,
    data: &EntryData,
    content: Option<&NewContent>,
) -> Result<StoredEntry, TxError> {
    let mut tx = pool.begin().await?;
    let (edited, current) = lock_entry(&mut tx, id, expected_etag).await?;
    let published = timestamp::to_micros(current.published());
    let data = backend::resolve_data(
        data.clone(),
        edited,
        Some((&current.data.atom_id, published)),
    );
    let (title, summary) = backend::search_text(&data);
    sqlx::query(
        "update entries set title = $1, summary = $2, published = $3, updated = $4, edited = $5, draft = $6, \
         restriction = $7, data = $8::jsonb, etag = $9 where id = $10",
    )
    .bind(title)
    .bind(summary)
    .bind(data.published.map(timestamp::to_micros))
    .bind(data.updated.map(timestamp::to_micros))
    .bind(edited)
    .bind(data.draft)
    .bind(data.restriction.level())
    .bind(backend::encode_data(&data)?)
    .bind(backend::new_etag())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    write_categories(&mut tx, id, &data, true).await?;
    if let Some(content) = content {
        sqlx::query(
            "update entries set content_kind = 'stored', content_type = $1, content_src = null, content_hash = $2, \
             content_size = $3, content_modified = $4 where id = $5",
        )
        .bind(&content.media_type)
        .bind(content.hash())
        .bind(content.size())
        .bind(edited)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query("insert into contents (entry_id, bytes) values ($1, $2) on conflict (entry_id) do update set bytes = excluded.bytes")
            .bind(id)
            .bind(content.bytes.as_ref())
            .execute(&mut *tx)
            .await?;
    }
    record_change(
        &mut tx,
        current.collection.as_str(),
        ChangeKind::Update,
        id,
        &data.atom_id,
        edited,
        Transition {
            before: Some(&Audience::of(&current.data, &current.publisher)),
            after: Some(&Audience::of(&data, &current.publisher)),
        },
    )
    .await?;
    let stored = fetch(&mut tx, id, false).await?;
    tx.commit().await?;
    Ok(stored)
}

pub(crate) async fn update(
    pool: &PgPool,
    id: Uuid,
    expected_etag: Option<&str>,
    data: EntryData,
    content: Option<NewContent>,
) -> Result<StoredEntry, StoreError> {
    retry(|| update_once(pool, id, expected_etag, &data, content.as_ref())).await
}

async fn delete_once(
    pool: &PgPool,
    id: Uuid,
    expected_etag: Option<&str>,
) -> Result<Change, TxError> {
    let mut tx = pool.begin().await?;
    let (edited, current) = lock_entry(&mut tx, id, expected_etag).await?;
    sqlx::query("delete from entries where id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let change = record_change(
        &mut tx,
        current.collection.as_str(),
        ChangeKind::Delete,
        id,
        &current.data.atom_id,
        edited,
        Transition {
            before: Some(&Audience::of(&current.data, &current.publisher)),
            after: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(change)
}

pub(crate) async fn delete(
    pool: &PgPool,
    id: Uuid,
    expected_etag: Option<&str>,
) -> Result<Change, StoreError> {
    retry(|| delete_once(pool, id, expected_etag)).await
}

/// Whether `name` is a collection (used when a query comes back empty).
pub(crate) async fn collection_exists(
    pool: &PgPool,
    name: &CollectionName,
) -> Result<bool, StoreError> {
    let found: Option<i32> = sqlx::query_scalar("select 1 from collections where name = $1")
        .bind(name.as_str())
        .fetch_optional(pool)
        .await
        .map_err(map)?;
    Ok(found.is_some())
}
