//! Rules every SQL backend applies the same way, kept here so the backends hold only SQL.

use rolie_model::timestamp;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::{
    ChangeKind, CollectionName, CollectionSpec, Conflict, ContentInfo, EntryData, NewEntryContent,
    StoreError,
};

mod feed_sql;
#[cfg(feature = "sql")]
mod rows;

pub use feed_sql::{Arg, Dialect, FeedSql, count_feed_sql, feed_sql, search_words};
#[cfg(feature = "sql")]
pub use rows::{AuditRow, ChangeRow, CollectionRow, EntryRow, SyncRow, TokenRow};

/// The `app:edited` of the next write to a collection: now, but always after the previous
/// write, so edit times increase strictly in commit order even if clocks step back or two
/// writes fall in one microsecond.
pub fn next_edited(last_edited_micros: i64) -> i64 {
    timestamp::to_micros(OffsetDateTime::now_utc()).max(last_edited_micros.saturating_add(1))
}

/// The `app:edited` of a write that asks for `wanted` (restoring an archive): that time if it
/// is after the previous write's, else the next after it, as [`next_edited`] would.
pub fn edited_at(last_edited_micros: i64, wanted: Option<OffsetDateTime>) -> i64 {
    match wanted {
        Some(wanted) => timestamp::to_micros(wanted).max(last_edited_micros.saturating_add(1)),
        None => next_edited(last_edited_micros),
    }
}

/// A fresh opaque strong validator for an entry.
pub fn new_etag() -> String {
    Uuid::new_v4().simple().to_string()
}

/// Whether `expected` (if any) matches the stored ETag.
pub fn etag_matches(expected: Option<&str>, stored: &str) -> bool {
    expected.is_none_or(|e| e == stored)
}

/// Entry metadata as stored: `published` and `updated` resolved against the edit time and,
/// on updates, the previous values. The `atom:id` never changes once created
/// (R-4287-4.2.6-a), whatever the update carries.
pub fn resolve_data(
    mut data: EntryData,
    edited_micros: i64,
    previous: Option<(&str, i64)>,
) -> EntryData {
    let edited = timestamp::from_micros(edited_micros);
    if let Some((atom_id, published)) = previous {
        data.atom_id = atom_id.to_owned();
        data.published = Some(data.published.unwrap_or(timestamp::from_micros(published)));
    } else {
        data.published = Some(data.published.unwrap_or(edited));
    }
    data.updated = Some(data.updated.unwrap_or(edited));
    data
}

/// Title and summary as plain text, for the search columns.
pub fn search_text(data: &EntryData) -> (String, String) {
    (
        data.title.as_plain(),
        data.summary
            .as_ref()
            .map(|s| s.as_plain())
            .unwrap_or_default(),
    )
}

/// A collection's `accept` list for its JSON column.
pub fn accept_json(spec: &CollectionSpec) -> String {
    serde_json::Value::from(spec.accept.clone()).to_string()
}

/// Serialises entry metadata for the `data` column.
///
/// # Errors
/// `Internal` if serialisation fails (it cannot for these types).
pub fn encode_data(data: &EntryData) -> Result<String, StoreError> {
    serde_json::to_string(data)
        .map_err(|e| StoreError::Internal(format!("encoding entry data: {e}")))
}

/// Reads the `data` column back.
///
/// # Errors
/// `Internal` for a corrupt row.
pub fn decode_data(json: &str) -> Result<EntryData, StoreError> {
    serde_json::from_str(json)
        .map_err(|e| StoreError::Internal(format!("decoding entry data: {e}")))
}

/// The content columns of a new entry: kind, media type, src, hash, size.
pub fn content_columns(
    content: &NewEntryContent,
) -> (
    &'static str,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i64>,
) {
    match content {
        NewEntryContent::Stored(c) => (
            "stored",
            Some(c.media_type.clone()),
            None,
            Some(c.hash()),
            Some(c.size()),
        ),
        NewEntryContent::External { media_type, src } => (
            "external",
            media_type.clone(),
            Some(src.clone()),
            None,
            None,
        ),
    }
}

/// Rebuilds the content description from its columns.
///
/// # Errors
/// `Internal` for a corrupt row.
pub fn content_info(
    kind: &str,
    media_type: Option<String>,
    src: Option<String>,
    hash: Option<String>,
    size: Option<i64>,
) -> Result<ContentInfo, StoreError> {
    match (kind, src) {
        ("stored", _) => Ok(ContentInfo::Stored {
            media_type: media_type.unwrap_or_default(),
            hash: hash.unwrap_or_default(),
            size: size.unwrap_or_default(),
        }),
        ("external", Some(src)) => Ok(ContentInfo::External { media_type, src }),
        (other, _) => Err(StoreError::Internal(format!(
            "unknown content kind {other}"
        ))),
    }
}

/// Parses a stored change kind.
///
/// # Errors
/// `Internal` for a corrupt row.
pub fn change_kind(kind: &str) -> Result<ChangeKind, StoreError> {
    ChangeKind::parse(kind)
        .ok_or_else(|| StoreError::Internal(format!("unknown change kind {kind}")))
}

/// A restriction level from its stored number.
///
/// # Errors
/// `Internal` for a corrupt row.
pub fn restriction(level: i64) -> Result<rolie_model::Restriction, StoreError> {
    rolie_model::Restriction::from_level(level)
        .ok_or_else(|| StoreError::Internal(format!("unknown restriction level {level}")))
}

/// Who can see an entry, as far as change counters go: its restriction level, and its
/// publisher while it is a draft (empty for published entries). Every write moves the
/// counters of the audiences of the entry before and after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audience {
    /// The entry's restriction level.
    pub level: i64,
    /// The draft's publisher; empty when published.
    pub draft_owner: String,
}

impl Audience {
    /// The audience of `data` published by `publisher`.
    pub fn of(data: &EntryData, publisher: &str) -> Self {
        Audience {
            level: i64::from(data.restriction.level()),
            draft_owner: if data.draft {
                publisher.to_owned()
            } else {
                String::new()
            },
        }
    }
}

/// Who could see an entry before and after a change (`None`: no entry, before a create or
/// after a delete). Recorded with the change for sync, and the change counters of both
/// audiences move.
#[derive(Debug, Clone, Copy)]
pub struct Transition<'a> {
    /// The audience before the change.
    pub before: Option<&'a Audience>,
    /// The audience after the change.
    pub after: Option<&'a Audience>,
}

impl Transition<'_> {
    /// The audiences whose counters move.
    pub fn audiences(&self) -> impl Iterator<Item = &Audience> {
        self.before.into_iter().chain(self.after)
    }
}

/// How a visibility filters audience rows: the highest level, and which drafts'
/// owners (`None`: every draft; `Some("")`: none; `Some(subject)`: the subject's own).
pub fn audience_filter(visibility: &crate::Visibility) -> (i64, Option<String>) {
    let owner = match &visibility.drafts {
        crate::DraftVisibility::All => None,
        crate::DraftVisibility::None => Some(String::new()),
        crate::DraftVisibility::OwnedBy(subject) => Some(subject.clone()),
    };
    (i64::from(visibility.clearance.level()), owner)
}

/// A migration of the database schema, and whether the database has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationState {
    /// Its version (the number its file name starts with).
    pub version: i64,
    /// What it does.
    pub description: String,
    /// Applied to this database.
    pub applied: bool,
}

/// The migrations `migrator` holds, marked applied when `applied` (the versions recorded
/// successful in the database's `_sqlx_migrations`) lists them.
#[cfg(feature = "sql")]
pub fn migration_states(
    migrator: &sqlx::migrate::Migrator,
    applied: &[i64],
) -> Vec<MigrationState> {
    migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .map(|m| MigrationState {
            version: m.version,
            description: m.description.to_string(),
            applied: applied.contains(&m.version),
        })
        .collect()
}

/// The SQL counting the entries of a collection a view sees, the same on both backends but
/// for placeholders: `{p}1` the collection, `{p}2` the clearance level, `{p}3` the draft
/// owner (null: every draft; `''`: none). It reads the visibility index only.
pub fn count_sql(p: &str, owner_cast: &str) -> String {
    format!(
        "select count(*) from entries where collection = {p}1 and restriction <= {p}2 \
         and ({p}3{owner_cast} is null or not draft or publisher = {p}3)"
    )
}

/// The SQL of a sync page, the same on both backends but for placeholders: `{p}N` is the
/// N-th parameter (collection, since, upto, clearance level, draft owner or null for every
/// draft, after, limit). Entries are folded over the window; an entry is kept when the
/// caller could see it before its first change in the window or sees it after its last.
pub fn sync_sql(p: &str, owner_cast: &str) -> String {
    let visible = |side: &str, alias: &str| {
        format!(
            "({alias}.{side}_level is not null and {alias}.{side}_level <= {p}4 and ({p}5{owner_cast} is null or {alias}.{side}_owner = '' or {alias}.{side}_owner = {p}5))"
        )
    };
    let after = visible("after", "l");
    let before = visible("before", "f");
    format!(
        "with w as (select seq, entry_id, atom_id, at, before_level, before_owner, after_level, after_owner            from changes where collection = {p}1 and seq > {p}2 and seq <= {p}3),          g as (select entry_id, min(seq) as first_seq, max(seq) as last_seq from w group by entry_id)          select l.seq as seq, l.entry_id as entry_id, l.atom_id as atom_id, l.at as at, {after} as present          from g join w f on f.seq = g.first_seq join w l on l.seq = g.last_seq          where g.last_seq > {p}6 and ({after} or {before})          order by g.last_seq limit {p}7"
    )
}

/// The SQL of a feed head's tombstones, the same on both backends but for placeholders:
/// `{p}1` collection, `{p}2` the window's start (`at`, microseconds), `{p}3` clearance
/// level, `{p}4` draft owner (null for every draft), `{p}5` limit. Entries are folded over
/// the window as in [`sync_sql`]; one is kept when the caller could see it at some time in
/// the window (before its first change there, or after any) and cannot after its last
/// (deleted, raised above the caller's level, made a draft), newest first. Unlike a sync
/// window, the head page knows nothing of what its reader saw, so an entry created and
/// deleted within the window has a tombstone too.
pub fn tombstones_sql(p: &str, owner_cast: &str) -> String {
    let visible = |side: &str, alias: &str| {
        format!(
            "({alias}.{side}_level is not null and {alias}.{side}_level <= {p}3 and ({p}4{owner_cast} is null or {alias}.{side}_owner = '' or {alias}.{side}_owner = {p}4))"
        )
    };
    let after = visible("after", "l");
    let before = visible("before", "f");
    let seen = visible("after", "w");
    format!(
        "with w as (select seq, entry_id, atom_id, at, before_level, before_owner, after_level, after_owner \
         from changes where collection = {p}1 and at >= {p}2), \
         g as (select entry_id, min(seq) as first_seq, max(seq) as last_seq, \
         max(case when {seen} then 1 else 0 end) as seen from w group by entry_id) \
         select l.seq as seq, l.entry_id as entry_id, l.atom_id as atom_id, l.at as at, {after} as present \
         from g join w f on f.seq = g.first_seq join w l on l.seq = g.last_seq \
         where ({before} or g.seen = 1) and not {after} \
         order by g.last_seq desc limit {p}5"
    )
}

/// The SQL of a sync's floor: the newest removed change that touched an audience the caller
/// sees (`{p}1` collection, `{p}2` clearance level, `{p}3` draft owner or null for every
/// draft), 0 when none was removed.
pub fn sync_floor_sql(p: &str, owner_cast: &str) -> String {
    format!(
        "select coalesce(max(pruned_seq), 0) from collection_levels where collection = {p}1 \
         and level <= {p}2 and ({p}3{owner_cast} is null or draft_owner = '' or draft_owner = {p}3)"
    )
}

/// The SQL that raises each audience's floor to the newest change older than `{p}1` that
/// touched it, before those changes are removed; `greatest` is the dialect's two-argument
/// maximum.
pub fn prune_floors_sql(p: &str, greatest: &str) -> String {
    format!(
        "update collection_levels as l set pruned_seq = {greatest}(l.pruned_seq, coalesce((select max(c.seq) from changes c \
         where c.collection = l.collection and c.at < {p}1 \
         and ((c.before_level = l.level and c.before_owner = l.draft_owner) \
         or (c.after_level = l.level and c.after_owner = l.draft_owner))), 0))"
    )
}

/// A view's change counters from the one row both backends read: the collection's creation
/// time, and the newest change sequence and time among the audiences it sees (none yet:
/// nothing changed, and the creation time stands).
///
/// # Errors
/// `NotFound` without a row (no such collection).
pub fn visible_freshness(
    row: Option<(i64, Option<i64>, Option<i64>)>,
) -> Result<crate::VisibleFreshness, StoreError> {
    let (created, change_seq, last_change) = row.ok_or(StoreError::NotFound)?;
    Ok(crate::VisibleFreshness {
        change_seq: change_seq.unwrap_or(0),
        last_change: timestamp::from_micros(last_change.unwrap_or(created)),
    })
}

/// The conflict of a duplicate `atom:id`, naming the entry that holds it when known.
pub fn duplicate_atom_id(collection: &str, atom_id: &str, existing: Option<Uuid>) -> StoreError {
    StoreError::Conflict(Conflict::DuplicateEntry {
        collection: collection.to_owned(),
        atom_id: atom_id.to_owned(),
        existing,
    })
}

/// The conflict of a duplicate entry id.
pub fn duplicate_entry_id(id: Uuid) -> StoreError {
    StoreError::Conflict(Conflict::DuplicateEntryId(id))
}

/// The conflict of a duplicate collection name.
pub fn duplicate_collection(name: &CollectionName) -> StoreError {
    StoreError::Conflict(Conflict::DuplicateCollection(name.to_string()))
}

/// The `atom:id` of a feed from its stored UUID.
pub fn feed_id(uuid: impl std::fmt::Display) -> String {
    format!("urn:uuid:{uuid}")
}

/// Whether `spec` may replace a collection now of `information_type` holding `entries`:
/// its entries are records of the old type (R-8322-6.1.1-a).
///
/// # Errors
/// `Conflict` when the type would change under entries.
pub fn check_retype(
    spec: &CollectionSpec,
    information_type: &str,
    entries: i64,
) -> Result<(), StoreError> {
    if information_type != spec.information_type && entries > 0 {
        return Err(StoreError::Conflict(Conflict::InformationTypeChange {
            collection: spec.name.to_string(),
            entries,
            current: information_type.to_owned(),
            requested: spec.information_type.clone(),
        }));
    }
    Ok(())
}

/// Whether a collection holding `entries` may be deleted.
///
/// # Errors
/// `Conflict` while it holds entries.
pub fn check_empty(name: &CollectionName, entries: i64) -> Result<(), StoreError> {
    if entries > 0 {
        return Err(StoreError::Conflict(Conflict::CollectionNotEmpty {
            collection: name.to_string(),
            entries,
        }));
    }
    Ok(())
}

/// Implements [`Store`](crate::Store) for a backend type by delegating every method to the
/// functions of the backend crate's `collections`, `entries` and `feed` modules, passing the
/// pool named `read` for reads and `write` for writes, and mapping errors with
/// `crate::error::map`. The type provides `fn wrote(&self)`, called after every collection
/// or entry write returns, and `fn counter(&self)` for [`Store::change_counter`](crate::Store::change_counter), and `async fn catch_up(&self) -> bool` for [`Store::caught_up`](crate::Store::caught_up). Both SQL backends have the same shape; only their SQL differs.
#[macro_export]
#[expect(
    clippy::crate_in_macro_def,
    reason = "the modules named are the calling backend crate's own"
)]
macro_rules! impl_store {
    ($store:ty, read: $read:ident, write: $write:ident) => {
        #[::async_trait::async_trait]
        impl $crate::Store for $store {
            #[::tracing::instrument(skip_all)]
            async fn ping(&self) -> $crate::StoreResult<()> {
                ::sqlx::query("select 1")
                    .execute(&self.$read)
                    .await
                    .map_err(crate::error::map)?;
                Ok(())
            }

            async fn list_collections(&self) -> $crate::StoreResult<Vec<$crate::Collection>> {
                crate::collections::list(&self.$read).await
            }

            async fn get_collection(&self, name: &$crate::CollectionName) -> $crate::StoreResult<$crate::Collection> {
                crate::collections::get(&self.$read, name).await
            }

            #[::tracing::instrument(skip_all, fields(collection.name = %spec.name))]
            async fn create_collection(&self, spec: &$crate::CollectionSpec) -> $crate::StoreResult<$crate::Collection> {
                {
                    let result = crate::collections::create(&self.$write, spec, ::uuid::Uuid::new_v4()).await;
                    self.wrote();
                    result
                }
            }

            #[::tracing::instrument(skip_all, fields(collection.name = %spec.name))]
            async fn restore_collection(&self, spec: &$crate::CollectionSpec, feed_id: ::uuid::Uuid) -> $crate::StoreResult<$crate::Collection> {
                {
                    let result = crate::collections::create(&self.$write, spec, feed_id).await;
                    self.wrote();
                    result
                }
            }

            #[::tracing::instrument(skip_all, fields(collection.name = %spec.name))]
            async fn update_collection(&self, spec: &$crate::CollectionSpec) -> $crate::StoreResult<$crate::Collection> {
                {
                    let result = crate::collections::update(&self.$write, spec).await;
                    self.wrote();
                    result
                }
            }

            #[::tracing::instrument(skip_all, fields(collection.name = %name))]
            async fn delete_collection(&self, name: &$crate::CollectionName) -> $crate::StoreResult<()> {
                {
                    let result = crate::collections::delete(&self.$write, name).await;
                    self.wrote();
                    result
                }
            }

            async fn collections_version(&self) -> $crate::StoreResult<i64> {
                crate::collections::version(&self.$read).await
            }

            async fn freshness(&self, name: &$crate::CollectionName) -> $crate::StoreResult<$crate::Freshness> {
                crate::collections::freshness(&self.$read, name).await
            }

            fn change_counter(&self) -> Option<::std::sync::Arc<::std::sync::atomic::AtomicU64>> {
                self.counter()
            }

            async fn caught_up(&self) -> bool {
                self.catch_up().await
            }

            async fn visible_freshness(&self, name: &$crate::CollectionName, visibility: &$crate::Visibility) -> $crate::StoreResult<$crate::VisibleFreshness> {
                crate::collections::visible_freshness(&self.$read, name, visibility).await
            }

            async fn count_entries(&self, name: &$crate::CollectionName, visibility: &$crate::Visibility) -> $crate::StoreResult<i64> {
                crate::collections::count_entries(&self.$read, name, visibility).await
            }

            #[::tracing::instrument(skip_all, fields(entry.id = %entry.id, collection.name = %entry.collection))]
            async fn create_entry(&self, entry: $crate::NewEntry) -> $crate::StoreResult<$crate::StoredEntry> {
                {
                    let result = crate::entries::create(&self.$write, entry).await;
                    self.wrote();
                    result
                }
            }

            #[::tracing::instrument(skip_all, fields(entry.id = %id))]
            async fn get_entry(&self, id: ::uuid::Uuid, visibility: &$crate::Visibility) -> $crate::StoreResult<$crate::StoredEntry> {
                crate::entries::get(&self.$read, id, visibility).await
            }

            #[::tracing::instrument(skip_all, fields(entry.id = %id))]
            async fn get_content(&self, id: ::uuid::Uuid, visibility: &$crate::Visibility) -> $crate::StoreResult<$crate::StoredContent> {
                crate::entries::content(&self.$read, id, visibility).await
            }

            #[::tracing::instrument(skip_all, fields(entry.id = %id))]
            async fn update_entry(
                &self,
                id: ::uuid::Uuid,
                expected_etag: Option<&str>,
                data: $crate::EntryData,
            ) -> $crate::StoreResult<$crate::StoredEntry> {
                {
                    let result = crate::entries::update(&self.$write, id, expected_etag, data, None).await;
                    self.wrote();
                    result
                }
            }

            #[::tracing::instrument(skip_all, fields(entry.id = %id))]
            async fn update_content(
                &self,
                id: ::uuid::Uuid,
                expected_etag: Option<&str>,
                content: $crate::NewContent,
                data: $crate::EntryData,
            ) -> $crate::StoreResult<$crate::StoredEntry> {
                {
                    let result = crate::entries::update(&self.$write, id, expected_etag, data, Some(content)).await;
                    self.wrote();
                    result
                }
            }

            #[::tracing::instrument(skip_all, fields(entry.id = %id))]
            async fn delete_entry(&self, id: ::uuid::Uuid, expected_etag: Option<&str>) -> $crate::StoreResult<$crate::Change> {
                {
                    let result = crate::entries::delete(&self.$write, id, expected_etag).await;
                    self.wrote();
                    result
                }
            }

            #[::tracing::instrument(skip_all, fields(collection.name = %query.collection))]
            async fn list_entries(&self, query: &$crate::FeedQuery) -> $crate::StoreResult<$crate::FeedPage> {
                crate::feed::list(&self.$read, query).await
            }

            async fn recent_tombstones(
                &self,
                name: &$crate::CollectionName,
                visibility: &$crate::Visibility,
                since: ::time::OffsetDateTime,
                limit: u32,
            ) -> $crate::StoreResult<Vec<$crate::SyncItem>> {
                crate::feed::recent_tombstones(&self.$read, name, visibility, since, limit).await
            }

            async fn count_matching(&self, query: &$crate::FeedQuery) -> $crate::StoreResult<i64> {
                crate::feed::count_matching(&self.$read, query).await
            }

            async fn sync(&self, query: &$crate::SyncQuery) -> $crate::StoreResult<$crate::SyncPage> {
                crate::feed::sync(&self.$read, query).await
            }

            async fn prune_changes(&self, before: ::time::OffsetDateTime) -> $crate::StoreResult<u64> {
                crate::feed::prune_changes(&self.$write, before).await
            }

            async fn server_key(&self, name: &str, candidate: &[u8]) -> $crate::StoreResult<Vec<u8>> {
                crate::feed::server_key(&self.$write, name, candidate).await
            }

            async fn changes_since(
                &self,
                collection: &$crate::CollectionName,
                after: i64,
                limit: u32,
            ) -> $crate::StoreResult<Vec<$crate::Change>> {
                crate::feed::changes(&self.$read, collection, after, limit).await
            }

            async fn create_feed_token(&self, token: &$crate::NewFeedToken) -> $crate::StoreResult<$crate::FeedToken> {
                crate::feed::create_token(&self.$write, token).await
            }

            async fn get_feed_token(&self, id: ::uuid::Uuid) -> $crate::StoreResult<$crate::FeedToken> {
                crate::feed::get_token(&self.$read, id).await
            }

            async fn list_feed_tokens(&self) -> $crate::StoreResult<Vec<$crate::FeedToken>> {
                crate::feed::list_tokens(&self.$read).await
            }

            async fn revoke_feed_token(&self, id: ::uuid::Uuid) -> $crate::StoreResult<$crate::FeedToken> {
                crate::feed::revoke_token(&self.$write, id).await
            }

            async fn append_audit(&self, record: &$crate::AuditRecord) -> $crate::StoreResult<()> {
                crate::feed::append_audit(&self.$write, record).await
            }

            async fn append_audits(&self, records: &[$crate::AuditRecord]) -> $crate::StoreResult<()> {
                crate::feed::append_audits(&self.$write, records).await
            }

            async fn list_audit(&self, before: Option<i64>, limit: u32) -> $crate::StoreResult<Vec<$crate::AuditEntry>> {
                crate::feed::list_audit(&self.$read, before, limit).await
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edited_never_goes_backwards() {
        let far_future = i64::MAX / 2;
        assert_eq!(next_edited(far_future), far_future + 1);
        assert!(next_edited(0) > 1_600_000_000_000_000);
    }
}
