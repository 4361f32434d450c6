//! Entry writes and reads. Every write locks the database (`begin immediate`), takes the
//! collection's counters, writes, records the change, and commits before returning;
//! creations share their transaction with the others waiting at the time ([`crate::batch`]).

use rolie_model::timestamp;
use rolie_store::backend::{self, Audience, Transition};
use rolie_store::{
    Change, ChangeKind, CollectionName, Conflict, DraftVisibility, EntryData, NewContent, NewEntry,
    NewEntryContent, StoreError, StoredContent, StoredEntry, Visibility,
};
use sqlx::{SqliteConnection, SqlitePool};
use uuid::Uuid;

use crate::batch::Clock;
use crate::error::map;
use crate::records::{ENTRY_COLUMNS, EntryRow};
use crate::write::WriteTx;

type Tx = WriteTx;

/// Advances the collection's counters and appends the change; returns it.
async fn record_change(
    tx: &mut SqliteConnection,
    collection: &str,
    kind: ChangeKind,
    entry_id: Uuid,
    atom_id: &str,
    at: i64,
    transition: Transition<'_>,
) -> Result<Change, StoreError> {
    let seq: i64 = sqlx::query_scalar(
        "update collections set change_seq = change_seq + 1, last_change = ?, last_edited = ?, \
         entry_count = entry_count + ? where name = ? returning change_seq",
    )
    .bind(at)
    .bind(at)
    .bind(kind.entry_count_delta())
    .bind(collection)
    .fetch_one(&mut *tx)
    .await
    .map_err(map)?;
    sqlx::query(
        "insert into changes (collection, seq, kind, entry_id, atom_id, at, before_level, before_owner, after_level, after_owner) \
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(collection)
    .bind(seq)
    .bind(kind.as_str())
    .bind(entry_id.to_string())
    .bind(atom_id)
    .bind(at)
    .bind(transition.before.map(|a| a.level))
    .bind(transition.before.map(|a| a.draft_owner.as_str()))
    .bind(transition.after.map(|a| a.level))
    .bind(transition.after.map(|a| a.draft_owner.as_str()))
    .execute(&mut *tx)
    .await
    .map_err(map)?;
    for audience in transition.audiences() {
        sqlx::query(
            "insert into collection_levels (collection, level, draft_owner, change_seq, last_change) \
             values (?, ?, ?, ?, ?) on conflict (collection, level, draft_owner) \
             do update set change_seq = excluded.change_seq, last_change = excluded.last_change",
        )
        .bind(collection)
        .bind(audience.level)
        .bind(&audience.draft_owner)
        .bind(seq)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
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

/// Writes an entry's categories, one statement for all of them (each statement is a round
/// trip to SQLite's worker thread while the writer is held); `replace` drops the old ones
/// first (a new entry has none).
async fn write_categories(
    tx: &mut SqliteConnection,
    id: &str,
    data: &EntryData,
    replace: bool,
) -> Result<(), StoreError> {
    if replace {
        sqlx::query("delete from entry_categories where entry_id = ?")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(map)?;
    }
    // In chunks: a statement takes a bounded number of parameters (SQLite 32,766,
    // PostgreSQL 65,535), and a submitted entry may carry very many categories.
    for chunk in data.categories.chunks(CATEGORIES_PER_STATEMENT) {
        let mut insert = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
            "insert into entry_categories (entry_id, scheme, term) ",
        );
        insert.push_values(chunk, |mut row, category| {
            row.push_bind(id)
                .push_bind(category.scheme.as_deref())
                .push_bind(&category.term);
        });
        insert.build().execute(&mut *tx).await.map_err(map)?;
    }
    Ok(())
}

pub(crate) async fn create(
    writer: &crate::Writer,
    entry: NewEntry,
) -> Result<StoredEntry, StoreError> {
    writer
        .committer
        .run(move |connection, clock| Box::pin(create_on(connection, clock, entry)))
        .await
}

/// Creates `entry` on `tx`, the open transaction of a batch.
///
/// After the edit time is taken (read once per batch and collection), everything is one list of statements sent to SQLite at
/// once: the entry, its categories and content, the collection's counters, the change and
/// its audience, and the stored entry read back. Each statement sent separately is a round
/// trip to SQLite's worker thread while the writer is held, and those round trips, not
/// SQLite, were most of a creation's time (eight of them, about 0.1 ms each).
async fn create_on(
    tx: &mut SqliteConnection,
    clock: &mut Clock,
    entry: NewEntry,
) -> Result<StoredEntry, StoreError> {
    let collection = entry.collection.as_str();
    let edited = clock.next_edited(tx, collection, entry.edited).await?;
    let data = backend::resolve_data(entry.data, edited, None);
    let (title, summary) = backend::search_text(&data);
    let (kind, content_type, content_src, content_hash, content_size) =
        backend::content_columns(&entry.content);
    let id = entry.id.to_string();
    let audience = Audience::of(&data, &entry.publisher);
    let encoded = backend::encode_data(&data)?;
    let etag = backend::new_etag();
    let mut statements = sqlx::QueryBuilder::<sqlx::Sqlite>::new(
        "insert into entries (id, collection, atom_id, publisher, title, summary, published, updated, edited, draft, \
         restriction, data, etag, content_kind, content_type, content_src, content_hash, content_size, content_modified) ",
    );
    statements.push_values([()], |mut row, ()| {
        row.push_bind(&id)
            .push_bind(collection)
            .push_bind(&data.atom_id)
            .push_bind(&entry.publisher)
            .push_bind(&title)
            .push_bind(&summary)
            .push_bind(data.published.map(timestamp::to_micros))
            .push_bind(data.updated.map(timestamp::to_micros))
            .push_bind(edited)
            .push_bind(data.draft)
            .push_bind(i64::from(data.restriction.level()))
            .push_bind(&encoded)
            .push_bind(&etag)
            .push_bind(kind)
            .push_bind(&content_type)
            .push_bind(&content_src)
            .push_bind(&content_hash)
            .push_bind(content_size)
            .push_bind(edited);
    });
    // In chunks: a statement takes a bounded number of parameters (SQLite 32,766), and a
    // submitted entry may carry very many categories.
    for chunk in data.categories.chunks(CATEGORIES_PER_STATEMENT) {
        statements.push("; insert into entry_categories (entry_id, scheme, term) ");
        statements.push_values(chunk, |mut row, category| {
            row.push_bind(&id)
                .push_bind(category.scheme.as_deref())
                .push_bind(&category.term);
        });
    }
    if let NewEntryContent::Stored(content) = &entry.content {
        statements.push("; insert into contents (entry_id, bytes) values (");
        statements.push_bind(&id);
        statements.push(", ");
        statements.push_bind(content.bytes.as_ref());
        statements.push(")");
    }
    statements.push("; update collections set change_seq = change_seq + 1, last_change = ");
    statements.push_bind(edited);
    statements.push(", last_edited = ");
    statements.push_bind(edited);
    statements.push(", entry_count = entry_count + 1 where name = ");
    statements.push_bind(collection);
    statements.push("; insert into changes (collection, seq, kind, entry_id, atom_id, at, after_level, after_owner) select name, change_seq, ");
    statements.push_bind(ChangeKind::Create.as_str());
    statements.push(", ");
    statements.push_bind(&id);
    statements.push(", ");
    statements.push_bind(&data.atom_id);
    statements.push(", ");
    statements.push_bind(edited);
    statements.push(", ");
    statements.push_bind(audience.level);
    statements.push(", ");
    statements.push_bind(&audience.draft_owner);
    statements.push(" from collections where name = ");
    statements.push_bind(collection);
    statements.push(
        "; insert into collection_levels (collection, level, draft_owner, change_seq, last_change) select name, ",
    );
    statements.push_bind(audience.level);
    statements.push(", ");
    statements.push_bind(&audience.draft_owner);
    statements.push(", change_seq, ");
    statements.push_bind(edited);
    statements.push(" from collections where name = ");
    statements.push_bind(collection);
    statements.push(
        " on conflict (collection, level, draft_owner) do update set change_seq = excluded.change_seq, last_change = excluded.last_change",
    );
    statements.push(format!(
        "; select {ENTRY_COLUMNS} from entries e where e.id = "
    ));
    statements.push_bind(&id);
    let stored: Result<Option<EntryRow>, StoreError> = statements
        .build_query_as()
        .fetch_optional(&mut *tx)
        .await
        .map_err(map);
    match stored {
        // The unique index decides, under the write lock; the entry in the way is looked
        // up only then, so a successful insert costs no extra statement.
        Err(StoreError::Conflict(Conflict::Unique { constraint }))
            if constraint.contains("atom_id") =>
        {
            let existing: Option<String> =
                sqlx::query_scalar("select id from entries where collection = ? and atom_id = ?")
                    .bind(collection)
                    .bind(&data.atom_id)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(map)?;
            Err(backend::duplicate_atom_id(
                collection,
                &data.atom_id,
                existing.and_then(|id| id.parse().ok()),
            ))
        }
        Err(StoreError::Conflict(Conflict::Unique { constraint }))
            if constraint.contains("entries.id") =>
        {
            Err(backend::duplicate_entry_id(entry.id))
        }
        Err(e) => Err(e),
        Ok(row) => row.ok_or(StoreError::NotFound)?.into_entry(),
    }
}

async fn fetch(conn: &mut SqliteConnection, id: Uuid) -> Result<StoredEntry, StoreError> {
    let row: EntryRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {ENTRY_COLUMNS} from entries e where e.id = ?"
    )))
    .bind(id.to_string())
    .fetch_optional(conn)
    .await
    .map_err(map)?
    .ok_or(StoreError::NotFound)?;
    row.into_entry()
}

/// The SQL condition (with its binds) that hides what `visibility` does not allow.
pub(crate) fn visibility_clause(visibility: &Visibility) -> (&'static str, Option<String>) {
    match &visibility.drafts {
        DraftVisibility::None => ("e.restriction <= ? and e.draft = 0", None),
        DraftVisibility::OwnedBy(subject) => (
            "e.restriction <= ? and (e.draft = 0 or e.publisher = ?)",
            Some(subject.clone()),
        ),
        DraftVisibility::All => ("e.restriction <= ?", None),
    }
}

pub(crate) async fn get(
    pool: &SqlitePool,
    id: Uuid,
    visibility: &Visibility,
) -> Result<StoredEntry, StoreError> {
    let (clause, subject) = visibility_clause(visibility);
    let row: EntryRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select {ENTRY_COLUMNS} from entries e where e.id = ? and {clause}"
    )))
    .bind(id.to_string())
    .bind(i64::from(visibility.clearance.level()))
    .bind(subject)
    .fetch_optional(pool)
    .await
    .map_err(map)?
    .ok_or(StoreError::NotFound)?;
    row.into_entry()
}

pub(crate) async fn content(
    pool: &SqlitePool,
    id: Uuid,
    visibility: &Visibility,
) -> Result<StoredContent, StoreError> {
    let (clause, subject) = visibility_clause(visibility);
    let row: Option<(String, Vec<u8>, String, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "select e.content_type, c.bytes, e.content_hash, e.content_modified from entries e \
         join contents c on c.entry_id = e.id where e.id = ? and {clause}"
    )))
    .bind(id.to_string())
    .bind(i64::from(visibility.clearance.level()))
    .bind(subject)
    .fetch_optional(pool)
    .await
    .map_err(map)?;
    let (media_type, bytes, hash, modified) = row.ok_or(StoreError::NotFound)?;
    Ok(StoredContent {
        entry_id: id,
        media_type,
        bytes: bytes.into(),
        hash,
        modified: timestamp::from_micros(modified),
    })
}

/// Locks the entry for a write: checks existence and the expected ETag.
async fn begin_entry_write(
    pool: &SqlitePool,
    id: Uuid,
    expected_etag: Option<&str>,
) -> Result<(Tx, i64, StoredEntry), StoreError> {
    let mut tx = WriteTx::begin(pool).await?;
    let current = fetch(&mut tx, id).await?;
    if !backend::etag_matches(expected_etag, &current.etag) {
        return Err(StoreError::PreconditionFailed);
    }
    let last_edited: i64 = sqlx::query_scalar("select last_edited from collections where name = ?")
        .bind(current.collection.as_str())
        .fetch_one(&mut *tx)
        .await
        .map_err(map)?;
    Ok((tx, backend::next_edited(last_edited), current))
}

pub(crate) async fn update(
    pool: &SqlitePool,
    id: Uuid,
    expected_etag: Option<&str>,
    data: EntryData,
    content: Option<NewContent>,
) -> Result<StoredEntry, StoreError> {
    let (mut tx, edited, current) = begin_entry_write(pool, id, expected_etag).await?;
    let published = timestamp::to_micros(current.published());
    let data = backend::resolve_data(data, edited, Some((&current.data.atom_id, published)));
    let (title, summary) = backend::search_text(&data);
    let key = id.to_string();
    sqlx::query(
        "update entries set title = ?, summary = ?, published = ?, updated = ?, edited = ?, draft = ?, \
         restriction = ?, data = ?, etag = ? where id = ?",
    )
    .bind(title)
    .bind(summary)
    .bind(data.published.map(timestamp::to_micros))
    .bind(data.updated.map(timestamp::to_micros))
    .bind(edited)
    .bind(data.draft)
    .bind(i64::from(data.restriction.level()))
    .bind(backend::encode_data(&data)?)
    .bind(backend::new_etag())
    .bind(&key)
    .execute(&mut *tx)
    .await
    .map_err(map)?;
    write_categories(&mut tx, &key, &data, true).await?;
    if let Some(content) = content {
        let hash = content.hash();
        sqlx::query(
            "update entries set content_kind = 'stored', content_type = ?, content_src = null, content_hash = ?, \
             content_size = ?, content_modified = ? where id = ?",
        )
        .bind(&content.media_type)
        .bind(hash)
        .bind(content.size())
        .bind(edited)
        .bind(&key)
        .execute(&mut *tx)
        .await
        .map_err(map)?;
        sqlx::query("insert into contents (entry_id, bytes) values (?, ?) on conflict (entry_id) do update set bytes = excluded.bytes")
            .bind(&key)
            .bind(content.bytes.as_ref())
            .execute(&mut *tx)
            .await
            .map_err(map)?;
    }
    let collection = current.collection.as_str();
    record_change(
        &mut tx,
        collection,
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
    let stored = fetch(&mut tx, id).await?;
    tx.commit().await?;
    Ok(stored)
}

pub(crate) async fn delete(
    pool: &SqlitePool,
    id: Uuid,
    expected_etag: Option<&str>,
) -> Result<Change, StoreError> {
    let (mut tx, edited, current) = begin_entry_write(pool, id, expected_etag).await?;
    sqlx::query("delete from entries where id = ?")
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(map)?;
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

/// Whether `name` is a collection (used when a query comes back empty).
pub(crate) async fn collection_exists(
    pool: &SqlitePool,
    name: &CollectionName,
) -> Result<bool, StoreError> {
    let found: Option<i64> = sqlx::query_scalar("select 1 from collections where name = ?")
        .bind(name.as_str())
        .fetch_optional(pool)
        .await
        .map_err(map)?;
    Ok(found.is_some())
}
