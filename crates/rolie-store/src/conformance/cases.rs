//! The conformance cases. Each takes a fresh, empty store.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use bytes::Bytes;
use rolie_model::vocabulary::{media_type, scheme};
use rolie_model::{Restriction, RolieProperty, Text};
use time::OffsetDateTime;
use uuid::Uuid;

use super::fixtures::{sample_data, sample_entry, sample_spec};
use crate::{
    AuditRecord, ChangeKind, CollectionName, Conflict, ContentInfo, DraftVisibility, EntryFilter,
    FeedQuery, NewContent, NewEntryContent, NewFeedToken, PageKey, PagePosition, Store, StoreError,
    StoredEntry, Visibility,
};

type Shared = Arc<dyn Store>;

fn name(s: &str) -> CollectionName {
    CollectionName::parse(s).expect("valid test collection name")
}

async fn with_collection(store: &Shared, collection: &str) {
    store
        .create_collection(&sample_spec(collection))
        .await
        .expect("create collection");
}

async fn insert(store: &Shared, collection: &str, n: usize) -> StoredEntry {
    store
        .create_entry(sample_entry(collection, n))
        .await
        .expect("create entry")
}

fn query(collection: &str, limit: u32, position: PagePosition) -> FeedQuery {
    FeedQuery {
        collection: name(collection),
        visibility: Visibility::everything(),
        limit,
        position,
        filter: EntryFilter::default(),
    }
}

/// Follows `next` from the first page; returns ids page by page.
async fn walk(store: &Shared, mut q: FeedQuery) -> Vec<Vec<Uuid>> {
    let mut pages = Vec::new();
    q.position = PagePosition::First;
    loop {
        let page = store.list_entries(&q).await.expect("list entries");
        pages.push(page.entries.iter().map(|e| e.id).collect());
        match page.next {
            Some(next) => q.position = next,
            None => return pages,
        }
        assert!(pages.len() < 10_000, "page chain does not end");
    }
}

/// Collections: create, read, list, update, delete; names unique; the version moves.
pub async fn collections_are_created_listed_updated_and_deleted(store: Shared) {
    let v0 = store.collections_version().await.expect("version");
    let created = store
        .create_collection(&sample_spec("alpha"))
        .await
        .expect("create");
    assert_eq!(created.spec, sample_spec("alpha"));
    assert!(
        created.feed_id.starts_with("urn:uuid:"),
        "feeds get a urn:uuid id"
    );
    let v1 = store.collections_version().await.expect("version");
    assert_ne!(v0, v1, "creating a collection changes the version");
    assert_eq!(
        store
            .create_collection(&sample_spec("alpha"))
            .await
            .map(|_| ()),
        Err(StoreError::Conflict(Conflict::DuplicateCollection(
            "alpha".into()
        ))),
    );
    store
        .create_collection(&sample_spec("beta"))
        .await
        .expect("create");
    let names: Vec<String> = store
        .list_collections()
        .await
        .expect("list")
        .into_iter()
        .map(|c| c.spec.name.to_string())
        .collect();
    assert_eq!(names, ["alpha", "beta"]);
    let mut changed = sample_spec("alpha");
    changed.title = "Renamed — ünïcode".into();
    changed.public = true;
    changed.max_restriction = Restriction::Partner;
    changed.accept = vec![media_type::JSON.into()];
    store.update_collection(&changed).await.expect("update");
    assert_eq!(
        store
            .get_collection(&name("alpha"))
            .await
            .expect("get")
            .spec,
        changed
    );
    assert_ne!(store.collections_version().await.expect("version"), v1);
    store
        .delete_collection(&name("beta"))
        .await
        .expect("delete");
    assert_eq!(
        store.get_collection(&name("beta")).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.delete_collection(&name("beta")).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store
            .update_collection(&sample_spec("gamma"))
            .await
            .map(|_| ()),
        Err(StoreError::NotFound)
    );
}

/// A collection holding entries is not deleted, and its information type is not changed.
pub async fn a_collection_with_entries_cannot_be_deleted(store: Shared) {
    with_collection(&store, "full").await;
    let entry = insert(&store, "full", 1).await;
    assert!(matches!(
        store.delete_collection(&name("full")).await,
        Err(StoreError::Conflict(_))
    ));
    let mut spec = sample_spec("full");
    spec.information_type = "indicator".into();
    assert!(matches!(
        store.update_collection(&spec).await,
        Err(StoreError::Conflict(_))
    ));
    store
        .delete_entry(entry.id, None)
        .await
        .expect("delete entry");
    store
        .delete_collection(&name("full"))
        .await
        .expect("empty collection is deleted");
}

/// An entry with more categories than one statement may bind (they are written in
/// chunks) round-trips, is found by a category filter, and keeps them when revised.
pub async fn an_entry_with_thousands_of_categories_round_trips(store: Shared) {
    with_collection(&store, "many").await;
    let mut new = sample_entry("many", 1);
    new.data.categories = (0..2_500)
        .map(|i| rolie_model::Category::new("urn:example:tags", format!("tag-{i}")))
        .collect();
    let created = store.create_entry(new.clone()).await.expect("create");
    assert_eq!(created.data.categories.len(), 2_500);
    let mut query = query("many", 10, PagePosition::First);
    query.filter.category = Some((None, "tag-2499".into()));
    let page = store.list_entries(&query).await.expect("filter");
    assert_eq!(page.entries.len(), 1);
    let updated = store
        .update_entry(created.id, None, created.data.clone())
        .await
        .expect("update");
    assert_eq!(updated.data.categories.len(), 2_500);
    let page = store.list_entries(&query).await.expect("filter again");
    assert_eq!(
        page.entries.len(),
        1,
        "categories replaced, not doubled or lost"
    );
}

/// Every field of an entry comes back as written; content is byte-exact.
pub async fn entries_round_trip_every_field(store: Shared) {
    with_collection(&store, "c").await;
    let new = sample_entry("c", 7);
    let created = store.create_entry(new.clone()).await.expect("create");
    assert_eq!(created.id, new.id);
    assert_eq!(created.collection, new.collection);
    assert_eq!(created.publisher, "alice");
    assert_eq!(
        created.published(),
        created.edited,
        "published defaults to the creation time"
    );
    assert_eq!(
        created.updated(),
        created.edited,
        "updated defaults to the edit time"
    );
    let mut expected = new.data.clone();
    expected.published = Some(created.edited);
    expected.updated = Some(created.edited);
    assert_eq!(created.data, expected);
    assert!(!created.etag.is_empty());
    let read = store
        .get_entry(new.id, &Visibility::everything())
        .await
        .expect("get");
    assert_eq!(read, created);
    let content = store
        .get_content(new.id, &Visibility::everything())
        .await
        .expect("content");
    assert_eq!(content.bytes, Bytes::from("<doc n=\"7\"/>"));
    assert_eq!(content.media_type, media_type::XML);
    assert_eq!(content.modified, created.edited);
    match &created.content {
        ContentInfo::Stored {
            media_type,
            hash,
            size,
        } => {
            assert_eq!(media_type, media_type::XML);
            assert_eq!(*size, 12);
            assert_eq!(hash, &content.hash);
        }
        other => panic!("expected stored content, got {other:?}"),
    }
    let mut explicit = sample_entry("c", 8);
    let published = OffsetDateTime::from_unix_timestamp(1_600_000_000).expect("valid time");
    explicit.data.published = Some(published);
    let stored = store.create_entry(explicit).await.expect("create");
    assert_eq!(
        stored.published(),
        published,
        "an explicit published time is kept"
    );
    assert_eq!(
        store
            .get_entry(Uuid::now_v7(), &Visibility::everything())
            .await,
        Err(StoreError::NotFound)
    );
}

/// A 1 MB binary body and unicode metadata survive byte-exact.
pub async fn large_and_unicode_content_round_trips_byte_exact(store: Shared) {
    with_collection(&store, "big").await;
    let mut bytes = Vec::with_capacity(1 << 20);
    let mut x: u32 = 0x1234_5678;
    while bytes.len() < 1 << 20 {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.extend_from_slice(&x.to_le_bytes());
    }
    bytes.extend_from_slice("\u{0}\u{1F980} Ωmega".as_bytes());
    let mut entry = sample_entry("big", 1);
    entry.data.title = Text::plain("標題 \u{1F980} \"quoted\" <tag> & 'apos'");
    entry.content = NewEntryContent::Stored(NewContent {
        media_type: "application/octet-stream".into(),
        bytes: Bytes::from(bytes.clone()),
    });
    let created = store.create_entry(entry.clone()).await.expect("create");
    let content = store
        .get_content(created.id, &Visibility::everything())
        .await
        .expect("content");
    assert_eq!(content.bytes.len(), bytes.len());
    assert!(
        content.bytes == bytes,
        "content differs from what was stored"
    );
    let read = store
        .get_entry(created.id, &Visibility::everything())
        .await
        .expect("get");
    assert_eq!(read.data.title, entry.data.title);
}

/// Content elsewhere is recorded, never fetched; there are no stored bytes to serve.
pub async fn external_content_is_recorded_as_given(store: Shared) {
    with_collection(&store, "ext").await;
    let mut entry = sample_entry("ext", 1);
    entry.content = NewEntryContent::External {
        media_type: Some(media_type::XML.into()),
        src: "https://other.example/iodef/1.xml".into(),
    };
    let created = store.create_entry(entry).await.expect("create");
    assert_eq!(
        created.content,
        ContentInfo::External {
            media_type: Some(media_type::XML.into()),
            src: "https://other.example/iodef/1.xml".into()
        }
    );
    assert_eq!(
        store
            .get_content(created.id, &Visibility::everything())
            .await,
        Err(StoreError::NotFound)
    );
}

/// Entries need an existing collection.
pub async fn creating_in_a_missing_collection_is_not_found(store: Shared) {
    assert_eq!(
        store.create_entry(sample_entry("nowhere", 1)).await,
        Err(StoreError::NotFound)
    );
}

/// `atom:id` is unique per collection, not across collections; the conflict is a value
/// naming the entry that holds the id, never a message to parse.
pub async fn a_duplicate_atom_id_in_one_collection_conflicts(store: Shared) {
    with_collection(&store, "one").await;
    with_collection(&store, "two").await;
    let first = sample_entry("one", 1);
    store.create_entry(first.clone()).await.expect("create");
    let mut again = sample_entry("one", 2);
    again.data.atom_id = first.data.atom_id.clone();
    assert_eq!(
        store.create_entry(again.clone()).await.map(|_| ()),
        Err(StoreError::Conflict(Conflict::DuplicateEntry {
            collection: "one".into(),
            atom_id: first.data.atom_id.clone(),
            existing: Some(first.id),
        }))
    );
    let mut same_id = sample_entry("one", 3);
    same_id.id = first.id;
    assert_eq!(
        store.create_entry(same_id).await.map(|_| ()),
        Err(StoreError::Conflict(Conflict::DuplicateEntryId(first.id)))
    );
    again.collection = name("two");
    store
        .create_entry(again)
        .await
        .expect("same atom id in another collection");
    let page = store
        .list_entries(&query("one", 10, PagePosition::First))
        .await
        .expect("list");
    assert_eq!(page.entries.len(), 1, "the refused entries were not stored");
}

/// Updates move `app:edited`, `updated` and the ETag forward and keep `published`.
pub async fn updates_advance_edited_and_etag_and_keep_published(store: Shared) {
    with_collection(&store, "u").await;
    let created = insert(&store, "u", 1).await;
    let mut data = created.data.clone();
    data.title = Text::plain("changed");
    data.updated = None;
    data.published = None;
    let updated = store
        .update_entry(created.id, Some(&created.etag), data)
        .await
        .expect("update");
    assert_eq!(updated.data.title, Text::plain("changed"));
    assert!(updated.edited > created.edited);
    assert_eq!(updated.updated(), updated.edited);
    assert_eq!(updated.published(), created.published());
    assert_ne!(updated.etag, created.etag);
    let content = NewContent {
        media_type: media_type::XML.into(),
        bytes: Bytes::from_static(b"<doc rev=\"2\"/>"),
    };
    let replaced = store
        .update_content(
            created.id,
            Some(&updated.etag),
            content,
            updated.data.clone(),
        )
        .await
        .expect("update content");
    assert!(replaced.edited > updated.edited);
    assert_ne!(replaced.etag, updated.etag);
    let stored = store
        .get_content(created.id, &Visibility::everything())
        .await
        .expect("content");
    assert_eq!(stored.bytes, Bytes::from_static(b"<doc rev=\"2\"/>"));
    assert_eq!(stored.modified, replaced.edited);
    assert_eq!(
        store
            .update_entry(Uuid::now_v7(), None, sample_data(1))
            .await,
        Err(StoreError::NotFound)
    );
}

/// A stale ETag fails with `PreconditionFailed` and leaves the entry as it was.
pub async fn a_stale_etag_fails_and_changes_nothing(store: Shared) {
    with_collection(&store, "s").await;
    let created = insert(&store, "s", 1).await;
    let mut data = created.data.clone();
    data.title = Text::plain("first");
    store
        .update_entry(created.id, Some(&created.etag), data.clone())
        .await
        .expect("update");
    data.title = Text::plain("second");
    assert_eq!(
        store
            .update_entry(created.id, Some(&created.etag), data)
            .await,
        Err(StoreError::PreconditionFailed)
    );
    assert_eq!(
        store.delete_entry(created.id, Some(&created.etag)).await,
        Err(StoreError::PreconditionFailed)
    );
    let content = NewContent {
        media_type: media_type::XML.into(),
        bytes: Bytes::from_static(b"<x/>"),
    };
    assert_eq!(
        store
            .update_content(created.id, Some("\"nope\""), content, created.data.clone())
            .await,
        Err(StoreError::PreconditionFailed)
    );
    let now = store
        .get_entry(created.id, &Visibility::everything())
        .await
        .expect("get");
    assert_eq!(now.data.title, Text::plain("first"));
    let stored = store
        .get_content(created.id, &Visibility::everything())
        .await
        .expect("content");
    assert_eq!(stored.bytes, Bytes::from("<doc n=\"1\"/>"));
}

/// Of sixteen writers holding the same ETag, exactly one succeeds.
pub async fn exactly_one_of_concurrent_writers_with_the_same_etag_wins(store: Shared) {
    with_collection(&store, "race").await;
    let created = insert(&store, "race", 1).await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            let etag = created.etag.clone();
            let mut data = created.data.clone();
            data.title = Text::plain(format!("writer {i}"));
            tokio::spawn(async move { store.update_entry(created.id, Some(&etag), data).await })
        })
        .collect();
    let mut wins = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => wins += 1,
            Err(StoreError::PreconditionFailed) => {}
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(wins, 1);
}

/// Read-modify-write with If-Match and retry loses no update.
pub async fn no_update_is_lost_under_sixteen_concurrent_writers(store: Shared) {
    with_collection(&store, "rmw").await;
    let created = insert(&store, "rmw", 1).await;
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                loop {
                    let current = store
                        .get_entry(created.id, &Visibility::everything())
                        .await?;
                    let mut data = current.data.clone();
                    data.properties
                        .push(RolieProperty::new("urn:example:writer", i.to_string()));
                    match store
                        .update_entry(created.id, Some(&current.etag), data)
                        .await
                    {
                        Ok(_) => return Ok::<_, StoreError>(()),
                        Err(StoreError::PreconditionFailed) => continue,
                        Err(other) => return Err(other),
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("update");
    }
    let final_entry = store
        .get_entry(created.id, &Visibility::everything())
        .await
        .expect("get");
    let writers: HashSet<&str> = final_entry
        .data
        .properties
        .iter()
        .filter(|p| p.name == "urn:example:writer")
        .map(|p| p.value.as_str())
        .collect();
    assert_eq!(writers.len(), 16, "every writer's change is present");
}

/// Deleted entries and their content are gone, from feeds too, and leave a tombstone.
pub async fn deleted_entries_are_gone_and_leave_tombstones(store: Shared) {
    with_collection(&store, "d").await;
    let keep = insert(&store, "d", 1).await;
    let gone = insert(&store, "d", 2).await;
    let change = store
        .delete_entry(gone.id, Some(&gone.etag))
        .await
        .expect("delete");
    assert_eq!(change.kind, ChangeKind::Delete);
    assert_eq!(change.atom_id, gone.data.atom_id);
    assert_eq!(change.entry_id, gone.id);
    assert_eq!(
        store.get_entry(gone.id, &Visibility::everything()).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.get_content(gone.id, &Visibility::everything()).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.delete_entry(gone.id, None).await,
        Err(StoreError::NotFound)
    );
    let page = store
        .list_entries(&query("d", 10, PagePosition::First))
        .await
        .expect("list");
    assert_eq!(
        page.entries.iter().map(|e| e.id).collect::<Vec<_>>(),
        vec![keep.id]
    );
    let changes = store
        .changes_since(&name("d"), 0, 10)
        .await
        .expect("changes");
    assert_eq!(changes.last(), Some(&change));
}

/// Sequence, last change time and count move with every create, update and delete.
pub async fn freshness_moves_on_every_write(store: Shared) {
    with_collection(&store, "f").await;
    let f0 = store.freshness(&name("f")).await.expect("freshness");
    assert_eq!((f0.change_seq, f0.entry_count), (0, 0));
    let e = insert(&store, "f", 1).await;
    let f1 = store.freshness(&name("f")).await.expect("freshness");
    assert_eq!((f1.change_seq, f1.entry_count), (1, 1));
    assert_eq!(f1.last_change, e.edited);
    let u = store
        .update_entry(e.id, None, e.data.clone())
        .await
        .expect("update");
    let f2 = store.freshness(&name("f")).await.expect("freshness");
    assert_eq!((f2.change_seq, f2.entry_count), (2, 1));
    assert_eq!(f2.last_change, u.edited);
    let d = store.delete_entry(e.id, None).await.expect("delete");
    let f3 = store.freshness(&name("f")).await.expect("freshness");
    assert_eq!((f3.change_seq, f3.entry_count), (3, 0));
    assert_eq!(f3.last_change, d.at);
    assert!(
        f3.last_change > f2.last_change,
        "a delete moves the feed's updated time"
    );
    assert_eq!(
        store.freshness(&name("f")).await.expect("again"),
        f3,
        "reads do not move it"
    );
    assert_eq!(
        store.freshness(&name("missing")).await,
        Err(StoreError::NotFound)
    );
}

/// The counters a caller sees move only for writes to entries it can read: a `green`
/// reader's validators stay put while `red` entries and other people's drafts are
/// created, revised and deleted, and move when an entry enters or leaves its view.
pub async fn visible_freshness_ignores_writes_the_caller_cannot_see(store: Shared) {
    with_collection(&store, "v").await;
    let seen = |store: Shared| async move {
        store
            .visible_freshness(&name("v"), &green_view())
            .await
            .expect("visible freshness")
    };
    let start = seen(store.clone()).await;
    assert_eq!(start.change_seq, 0);
    let collection = store.get_collection(&name("v")).await.expect("collection");
    assert_eq!(
        start.last_change, collection.created,
        "no change yet: creation time"
    );
    // Hidden: a red entry, created, revised, deleted; alice's green draft.
    let mut red = sample_entry("v", 1);
    red.data.restriction = Restriction::Private;
    let red = store.create_entry(red).await.expect("create red");
    let red = store
        .update_entry(red.id, None, red.data.clone())
        .await
        .expect("update red");
    let mut draft = sample_entry("v", 2);
    draft.data.draft = true;
    store.create_entry(draft).await.expect("create draft");
    store.delete_entry(red.id, None).await.expect("delete red");
    assert_eq!(
        seen(store.clone()).await,
        start,
        "hidden writes moved the view"
    );
    assert_eq!(
        store
            .freshness(&name("v"))
            .await
            .expect("freshness")
            .change_seq,
        4,
        "the collection's own counters did move"
    );
    // Visible: a green entry.
    let visible = store
        .create_entry(sample_entry("v", 3))
        .await
        .expect("create green");
    let after_create = seen(store.clone()).await;
    assert_eq!(after_create.change_seq, 5);
    assert_eq!(after_create.last_change, visible.edited);
    // Leaving the view (raised to red) moves it too: the entry disappears for the caller.
    let mut raised = visible.data.clone();
    raised.restriction = Restriction::Private;
    store
        .update_entry(visible.id, None, raised)
        .await
        .expect("raise");
    let after_raise = seen(store.clone()).await;
    assert!(after_raise.change_seq > after_create.change_seq);
    // Bob's own draft is his to see.
    let mut own = sample_entry("v", 4);
    own.publisher = "bob".into();
    own.data.draft = true;
    store.create_entry(own).await.expect("bob's draft");
    assert!(seen(store.clone()).await.change_seq > after_raise.change_seq);
    // Everything is seen by an administrator's view.
    assert_eq!(
        store
            .visible_freshness(&name("v"), &Visibility::everything())
            .await
            .expect("all")
            .change_seq,
        store
            .freshness(&name("v"))
            .await
            .expect("freshness")
            .change_seq
    );
    assert_eq!(
        store
            .visible_freshness(&name("missing"), &green_view())
            .await,
        Err(StoreError::NotFound)
    );
}

/// Counts (R-PROF-AUTHZ-b): a view counts the entries it could page through and nothing
/// else: no red entry above its clearance, no one else's draft; its own drafts count.
pub async fn counts_only_what_the_view_sees(store: Shared) {
    with_collection(&store, "counted").await;
    insert(&store, "counted", 1).await;
    let mut red = sample_entry("counted", 2);
    red.data.restriction = Restriction::Private;
    store.create_entry(red).await.expect("create red");
    let mut alices = sample_entry("counted", 3);
    alices.data.draft = true;
    store.create_entry(alices).await.expect("alice's draft");
    let mut bobs = sample_entry("counted", 4);
    bobs.data.draft = true;
    bobs.publisher = "bob".into();
    store.create_entry(bobs).await.expect("bob's draft");
    let count = |visibility: Visibility| {
        let store = store.clone();
        async move {
            store
                .count_entries(&name("counted"), &visibility)
                .await
                .expect("count")
        }
    };
    assert_eq!(
        count(green_view()).await,
        2,
        "green bob: one entry, his draft"
    );
    assert_eq!(count(Visibility::everything()).await, 4);
    assert_eq!(
        count(Visibility {
            clearance: Restriction::Partner,
            drafts: DraftVisibility::None,
        })
        .await,
        1
    );
    assert_eq!(
        store
            .count_entries(&name("missing"), &green_view())
            .await
            .expect("count"),
        0
    );
}

fn green_view() -> Visibility {
    Visibility {
        clearance: Restriction::Partner,
        drafts: DraftVisibility::OwnedBy("bob".into()),
    }
}

/// Concurrent creates get distinct, strictly increasing `app:edited` in sequence order.
pub async fn edited_increases_strictly_in_commit_order(store: Shared) {
    with_collection(&store, "order").await;
    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.create_entry(sample_entry("order", i)).await })
        })
        .collect();
    for task in tasks {
        task.await.expect("task").expect("create");
    }
    let changes = store
        .changes_since(&name("order"), 0, 1000)
        .await
        .expect("changes");
    assert_eq!(changes.len(), 64);
    for pair in changes.windows(2) {
        assert_eq!(
            pair[1].seq,
            pair[0].seq + 1,
            "sequence numbers are dense per collection"
        );
        assert!(
            pair[1].at > pair[0].at,
            "edited increases with the sequence"
        );
    }
}

/// Restoring an archive: an entry created with the `app:edited` it had keeps it when it is
/// after the collection's last edit, and otherwise gets the next microsecond after that
/// edit, so edit times still increase strictly in commit order.
pub async fn a_restored_entry_keeps_its_edit_time_when_it_can(store: Shared) {
    with_collection(&store, "restored").await;
    let then = OffsetDateTime::parse(
        "2024-03-05T09:30:12.123456Z",
        &time::format_description::well_known::Rfc3339,
    )
    .expect("time");
    let mut first = sample_entry("restored", 1);
    first.edited = Some(then);
    let first = store.create_entry(first).await.expect("create");
    assert_eq!(first.edited, then, "the archived edit time is kept");
    let mut earlier = sample_entry("restored", 2);
    earlier.edited = Some(then - time::Duration::days(1));
    let earlier = store.create_entry(earlier).await.expect("create");
    assert_eq!(
        earlier.edited,
        then + time::Duration::microseconds(1),
        "never before the collection's last edit"
    );
    let now = store
        .create_entry(sample_entry("restored", 3))
        .await
        .expect("create");
    assert!(
        now.edited > then + time::Duration::days(1),
        "later writes use the clock"
    );
}

/// Restoring an archive: a collection restored with its feed's id keeps it.
pub async fn a_restored_collection_keeps_its_feed_id(store: Shared) {
    let feed_id = Uuid::new_v4();
    let restored = store
        .restore_collection(&sample_spec("kept"), feed_id)
        .await
        .expect("restore");
    assert_eq!(restored.feed_id, format!("urn:uuid:{feed_id}"));
    let read = store.get_collection(&name("kept")).await.expect("get");
    assert_eq!(read.feed_id, restored.feed_id);
    assert!(matches!(
        store
            .restore_collection(&sample_spec("kept"), Uuid::new_v4())
            .await,
        Err(StoreError::Conflict(_))
    ));
}

/// Concurrent creations fail alone: a duplicate `atom:id` and a missing collection among
/// them get their own errors, and every other creation is committed, readable and in the
/// change log (SQLite commits concurrent creations together, `rolie-store-sqlite` `batch`).
pub async fn concurrent_creations_fail_alone(store: Shared) {
    with_collection(&store, "together").await;
    let mut entries: Vec<_> = (0..32).map(|i| sample_entry("together", i)).collect();
    entries[8].data.atom_id = entries[7].data.atom_id.clone();
    entries[20].collection = name("missing");
    let tasks: Vec<_> = entries
        .into_iter()
        .map(|entry| {
            let store = store.clone();
            let id = entry.id;
            tokio::spawn(async move { (id, store.create_entry(entry).await) })
        })
        .collect();
    let mut created = Vec::new();
    let mut duplicates = Vec::new();
    let mut missing = 0;
    for task in tasks {
        match task.await.expect("task") {
            (_, Ok(stored)) => created.push(stored.id),
            (id, Err(StoreError::Conflict(Conflict::DuplicateEntry { existing, .. }))) => {
                duplicates.push((id, existing));
            }
            (_, Err(StoreError::NotFound)) => missing += 1,
            (_, Err(e)) => panic!("unexpected error: {e}"),
        }
    }
    assert_eq!(
        missing, 1,
        "the creation in a missing collection is not found"
    );
    assert_eq!(
        duplicates.len(),
        1,
        "one of the two with the same atom:id conflicts"
    );
    assert_eq!(created.len(), 30, "every other creation is committed");
    let (_, existing) = duplicates[0];
    let existing = existing.expect("the conflict names the entry in the way");
    assert!(
        created.contains(&existing),
        "the entry in the way is the one created"
    );
    for id in &created {
        store
            .get_entry(*id, &Visibility::everything())
            .await
            .expect("a created entry is readable");
    }
    let changes = store
        .changes_since(&name("together"), 0, 1000)
        .await
        .expect("changes");
    assert_eq!(changes.len(), 30, "one change per committed creation");
    let logged: HashSet<Uuid> = changes.iter().map(|c| c.entry_id).collect();
    assert_eq!(logged, created.iter().copied().collect());
    for pair in changes.windows(2) {
        assert_eq!(
            pair[1].seq,
            pair[0].seq + 1,
            "no gap where a creation failed"
        );
    }
    let freshness = store.freshness(&name("together")).await.expect("freshness");
    assert_eq!(freshness.entry_count, 30);
}

/// `next` from the first page and `previous` from the last cover every entry once, in order.
pub async fn pages_chain_forward_and_backward_without_gaps(store: Shared) {
    with_collection(&store, "p").await;
    let mut ids = Vec::new();
    for i in 0..23 {
        ids.push(insert(&store, "p", i).await.id);
    }
    ids.reverse();
    let pages = walk(&store, query("p", 5, PagePosition::First)).await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [5, 5, 5, 5, 3]
    );
    assert_eq!(pages.concat(), ids);

    let mut backward = Vec::new();
    let mut position = PagePosition::Last;
    loop {
        let page = store
            .list_entries(&query("p", 5, position))
            .await
            .expect("list");
        assert!(
            page.entries
                .windows(2)
                .all(|w| PageKey::of(&w[0]) > PageKey::of(&w[1])),
            "newest first within a page"
        );
        backward.splice(0..0, page.entries.iter().map(|e| e.id));
        match page.previous {
            Some(previous) => position = previous,
            None => break,
        }
    }
    assert_eq!(backward, ids);

    let last = store
        .list_entries(&query("p", 5, PagePosition::Last))
        .await
        .expect("last");
    assert_eq!(last.entries.len(), 5);
    assert_eq!(last.next, None);
    assert_eq!(last.entries.last().map(|e| e.id), ids.last().copied());
    let first = store
        .list_entries(&query("p", 5, PagePosition::First))
        .await
        .expect("first");
    assert_eq!(first.previous, None);
    let big = store
        .list_entries(&query("p", 100, PagePosition::First))
        .await
        .expect("one page");
    assert_eq!(
        (big.entries.len(), big.next, big.previous),
        (23, None, None)
    );
}

/// R-PROF-PAGE-a/b: entries that existed when a walk started and did not change since are
/// seen exactly once, while many writers insert and update concurrently.
pub async fn a_page_walk_sees_each_unchanged_entry_exactly_once_under_concurrent_inserts(
    store: Shared,
) {
    with_collection(&store, "walk").await;
    let mut before = Vec::new();
    for i in 0..150 {
        before.push(insert(&store, "walk", i).await);
    }
    let writers: Vec<_> = (0..8)
        .map(|w| {
            let store = store.clone();
            let victims: Vec<StoredEntry> =
                before.iter().skip(w * 7).step_by(19).cloned().collect();
            tokio::spawn(async move {
                let mut touched = Vec::new();
                for i in 0..25 {
                    store
                        .create_entry(sample_entry("walk", 1000 + w * 100 + i))
                        .await?;
                    if let Some(victim) = victims.get(i) {
                        let mut data = victim.data.clone();
                        data.title = Text::plain(format!("touched by {w}"));
                        store.update_entry(victim.id, None, data).await?;
                        touched.push(victim.id);
                    }
                    tokio::task::yield_now().await;
                }
                Ok::<_, StoreError>(touched)
            })
        })
        .collect();
    let mut seen: HashMap<Uuid, usize> = HashMap::new();
    let mut q = query("walk", 7, PagePosition::First);
    loop {
        let page = store.list_entries(&q).await.expect("list");
        for e in &page.entries {
            *seen.entry(e.id).or_default() += 1;
        }
        tokio::task::yield_now().await;
        match page.next {
            Some(next) => q.position = next,
            None => break,
        }
    }
    let mut changed = HashSet::new();
    for writer in writers {
        changed.extend(writer.await.expect("task").expect("writes"));
    }
    for (id, count) in &seen {
        assert_eq!(*count, 1, "entry {id} seen {count} times");
    }
    for e in before.iter().filter(|e| !changed.contains(&e.id)) {
        assert_eq!(seen.get(&e.id), Some(&1), "unchanged entry {} missed", e.id);
    }
}

async fn insert_with(
    store: &Shared,
    collection: &str,
    n: usize,
    restriction: Restriction,
    draft: bool,
    publisher: &str,
) -> StoredEntry {
    let mut entry = sample_entry(collection, n);
    entry.data.restriction = restriction;
    entry.data.draft = draft;
    entry.publisher = publisher.to_owned();
    store.create_entry(entry).await.expect("create")
}

/// Hidden entries are filtered in the query: pages stay full, lookups say NotFound.
pub async fn restriction_filtering_happens_in_the_query(store: Shared) {
    with_collection(&store, "r").await;
    let mut public = Vec::new();
    let mut red = Vec::new();
    for i in 0..12 {
        public.push(
            insert_with(&store, "r", i, Restriction::Public, false, "alice")
                .await
                .id,
        );
        red.push(
            insert_with(&store, "r", 100 + i, Restriction::Private, false, "alice")
                .await
                .id,
        );
    }
    public.reverse();
    let mut q = query("r", 5, PagePosition::First);
    q.visibility = Visibility {
        clearance: Restriction::Partner,
        drafts: DraftVisibility::None,
    };
    let pages = walk(&store, q.clone()).await;
    assert_eq!(
        pages.iter().map(Vec::len).collect::<Vec<_>>(),
        [5, 5, 2],
        "pages are full despite hidden entries"
    );
    assert_eq!(pages.concat(), public);
    q.position = PagePosition::Last;
    let last = store.list_entries(&q).await.expect("last");
    assert_eq!(
        last.entries.iter().map(|e| e.id).collect::<Vec<_>>(),
        public[7..].to_vec()
    );
    assert_eq!(
        store.get_entry(red[0], &q.visibility).await,
        Err(StoreError::NotFound)
    );
    assert_eq!(
        store.get_content(red[0], &q.visibility).await,
        Err(StoreError::NotFound)
    );
    assert!(store.get_entry(public[0], &q.visibility).await.is_ok());
    let all = walk(&store, query("r", 50, PagePosition::First)).await;
    assert_eq!(all.concat().len(), 24);
}

/// Visible entries of several levels below a long run of hidden ones page exactly both ways,
/// in one order, without short pages (the per-level index ranges are merged correctly).
pub async fn a_run_of_hidden_entries_leaves_paging_exact(store: Shared) {
    with_collection(&store, "runs").await;
    let mut visible = Vec::new();
    for i in 0..20 {
        let level = if i % 3 == 0 {
            Restriction::Public
        } else {
            Restriction::Partner
        };
        visible.push(
            insert_with(&store, "runs", i, level, false, "alice")
                .await
                .id,
        );
    }
    for i in 0..40 {
        let level = if i % 2 == 0 {
            Restriction::NeedToKnow
        } else {
            Restriction::Private
        };
        insert_with(&store, "runs", 100 + i, level, false, "alice").await;
    }
    visible.reverse();
    let mut q = query("runs", 6, PagePosition::First);
    q.visibility = Visibility {
        clearance: Restriction::Partner,
        drafts: DraftVisibility::None,
    };
    let pages = walk(&store, q.clone()).await;
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [6, 6, 6, 2]);
    assert_eq!(pages.concat(), visible);
    let mut backward = Vec::new();
    q.position = PagePosition::Last;
    loop {
        let page = store.list_entries(&q).await.expect("list");
        backward.splice(0..0, page.entries.iter().map(|e| e.id));
        match page.previous {
            Some(previous) => q.position = previous,
            None => break,
        }
    }
    assert_eq!(backward, visible);
}

/// Drafts: visible to their publisher and to administrators, to nobody else.
pub async fn drafts_are_visible_to_their_publisher_and_admins_only(store: Shared) {
    with_collection(&store, "dr").await;
    let draft = insert_with(&store, "dr", 1, Restriction::Public, true, "alice").await;
    let open = insert_with(&store, "dr", 2, Restriction::Public, false, "alice").await;
    let visible = |drafts| Visibility {
        clearance: Restriction::Private,
        drafts,
    };
    for (v, expect_draft) in [
        (visible(DraftVisibility::None), false),
        (visible(DraftVisibility::OwnedBy("bob".into())), false),
        (visible(DraftVisibility::OwnedBy("alice".into())), true),
        (visible(DraftVisibility::All), true),
    ] {
        let mut q = query("dr", 10, PagePosition::First);
        q.visibility = v.clone();
        let ids: Vec<Uuid> = store
            .list_entries(&q)
            .await
            .expect("list")
            .entries
            .iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(ids.contains(&draft.id), expect_draft, "{v:?}");
        assert!(ids.contains(&open.id));
        assert_eq!(
            store.get_entry(draft.id, &v).await.is_ok(),
            expect_draft,
            "{v:?}"
        );
    }
}

/// Date, category and text filters select in the query.
pub async fn date_category_and_text_filters_happen_in_the_query(store: Shared) {
    with_collection(&store, "flt").await;
    let mut entries = Vec::new();
    for i in 0..10 {
        let mut e = sample_entry("flt", i);
        e.data.updated = Some(
            OffsetDateTime::from_unix_timestamp(1_700_000_000 + i as i64 * 3600).expect("time"),
        );
        if i == 3 {
            e.data.title = Text::plain("Phishing WAVE against Webmail 50%_off");
        }
        if i == 7 {
            e.data.properties.push(RolieProperty::new(
                "urn:ietf:params:rolie:property:content-id",
                "CSIRT-2024-7",
            ));
        }
        if i == 5 {
            e.content = NewEntryContent::Stored(NewContent {
                media_type: media_type::XML.to_owned(),
                bytes: Bytes::from_static(
                    b"<doc><note>Ransomware at mail.example.org</note></doc>",
                ),
            });
        }
        entries.push(store.create_entry(e).await.expect("create"));
    }
    let run = |filter: EntryFilter| {
        let store = store.clone();
        async move {
            let mut q = query("flt", 100, PagePosition::First);
            q.filter = filter;
            let mut ids: Vec<Uuid> = store
                .list_entries(&q)
                .await
                .expect("list")
                .entries
                .iter()
                .map(|e| e.id)
                .collect();
            ids.sort();
            let counted = store.count_matching(&q).await.expect("count");
            assert_eq!(counted, ids.len() as i64, "the count agrees with the page");
            ids
        }
    };
    let ids = |range: std::ops::Range<usize>| {
        let mut v: Vec<Uuid> = entries[range].iter().map(|e| e.id).collect();
        v.sort();
        v
    };
    let t =
        |i: i64| Some(OffsetDateTime::from_unix_timestamp(1_700_000_000 + i * 3600).expect("time"));
    assert_eq!(
        run(EntryFilter {
            updated_since: t(7),
            ..EntryFilter::default()
        })
        .await,
        ids(7..10)
    );
    assert_eq!(
        run(EntryFilter {
            updated_before: t(2),
            ..EntryFilter::default()
        })
        .await,
        ids(0..2)
    );
    assert_eq!(
        run(EntryFilter {
            updated_since: t(2),
            updated_before: t(4),
            ..EntryFilter::default()
        })
        .await,
        ids(2..4)
    );
    let mitigation: Vec<Uuid> = {
        let mut v: Vec<Uuid> = entries
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, e)| e.id)
            .collect();
        v.sort();
        v
    };
    assert_eq!(
        run(EntryFilter {
            category: Some((None, "mitigation".into())),
            ..EntryFilter::default()
        })
        .await,
        mitigation
    );
    assert_eq!(
        run(EntryFilter {
            category: Some((Some(scheme::IODEF_PURPOSE.into()), "mitigation".into())),
            ..EntryFilter::default()
        })
        .await,
        mitigation
    );
    assert!(
        run(EntryFilter {
            category: Some((Some("urn:other".into()), "mitigation".into())),
            ..EntryFilter::default()
        })
        .await
        .is_empty()
    );
    assert_eq!(
        run(EntryFilter {
            text: Some("phishing wave".into()),
            ..EntryFilter::default()
        })
        .await,
        ids(3..4)
    );
    assert_eq!(
        run(EntryFilter {
            text: Some("50%_".into()),
            ..EntryFilter::default()
        })
        .await,
        ids(3..4),
        "punctuation separates words and is no operator"
    );
    assert!(
        run(EntryFilter {
            text: Some("%".into()),
            ..EntryFilter::default()
        })
        .await
        .is_empty(),
        "punctuation alone matches nothing"
    );
    // The content is searched too, word by word and by word prefix, host names included.
    for words in ["ransomware", "Ransom", "mail example", "mail.example.org"] {
        assert_eq!(
            run(EntryFilter {
                text: Some(words.into()),
                ..EntryFilter::default()
            })
            .await,
            ids(5..6),
            "{words}"
        );
    }
    assert!(
        run(EntryFilter {
            text: Some("ransomware phishing".into()),
            ..EntryFilter::default()
        })
        .await
        .is_empty(),
        "every word is required"
    );
    assert_eq!(
        run(EntryFilter {
            text: Some("ümlaut".into()),
            ..EntryFilter::default()
        })
        .await
        .len(),
        9,
        "all titles but the replaced one"
    );
    assert!(
        run(EntryFilter {
            text: Some("'; drop table entries; --".into()),
            ..EntryFilter::default()
        })
        .await
        .is_empty()
    );
    // Properties match by name and exact value, in the query.
    let property = |name: &str, value: &str| EntryFilter {
        property: Some((name.into(), value.into())),
        ..EntryFilter::default()
    };
    let content_id = "urn:ietf:params:rolie:property:content-id";
    assert_eq!(run(property(content_id, "CSIRT-2024-7")).await, ids(7..8));
    assert!(run(property(content_id, "CSIRT-2024")).await.is_empty());
    assert!(run(property("urn:other", "CSIRT-2024-7")).await.is_empty());
    assert!(
        run(property(content_id, "x' or '1'='1")).await.is_empty(),
        "values are bound, never spliced"
    );
    // The index follows the writes in their transaction: a replaced document is found by
    // its new words only, a deleted entry not at all.
    let replaced = &entries[5];
    store
        .update_content(
            replaced.id,
            None,
            NewContent {
                media_type: media_type::XML.to_owned(),
                bytes: Bytes::from_static(b"<doc>Credential stuffing</doc>"),
            },
            replaced.data.clone(),
        )
        .await
        .expect("replace content");
    let text = |words: &str| EntryFilter {
        text: Some(words.into()),
        ..EntryFilter::default()
    };
    assert!(run(text("ransomware")).await.is_empty());
    assert_eq!(run(text("stuffing")).await, ids(5..6));
    store.delete_entry(replaced.id, None).await.expect("delete");
    assert!(run(text("stuffing")).await.is_empty());
}

/// The change log pages by sequence and keeps deletions.
pub async fn changes_since_pages_through_the_change_log(store: Shared) {
    with_collection(&store, "log").await;
    let a = insert(&store, "log", 1).await;
    let b = insert(&store, "log", 2).await;
    store
        .update_entry(a.id, None, a.data.clone())
        .await
        .expect("update");
    store.delete_entry(b.id, None).await.expect("delete");
    let all = store
        .changes_since(&name("log"), 0, 100)
        .await
        .expect("changes");
    let kinds: Vec<_> = all.iter().map(|c| (c.kind, c.entry_id)).collect();
    assert_eq!(
        kinds,
        [
            (ChangeKind::Create, a.id),
            (ChangeKind::Create, b.id),
            (ChangeKind::Update, a.id),
            (ChangeKind::Delete, b.id)
        ]
    );
    let tail = store
        .changes_since(&name("log"), all[1].seq, 1)
        .await
        .expect("changes");
    assert_eq!(tail, vec![all[2].clone()]);
    assert!(
        store
            .changes_since(&name("log"), all[3].seq, 10)
            .await
            .expect("changes")
            .is_empty()
    );
}

/// Feed tokens: stored with their hash only, listed, revoked once.
pub async fn feed_tokens_are_stored_listed_and_revoked(store: Shared) {
    let token = NewFeedToken {
        id: Uuid::now_v7(),
        subject: "reader@example".into(),
        label: "Thunderbird on the SOC laptop".into(),
        clearance: Restriction::Partner,
        collections: vec!["incidents".into()],
        secret_hash: "ab".repeat(32),
        expires: None,
    };
    let created = store.create_feed_token(&token).await.expect("create");
    assert_eq!(created.token, token);
    assert_eq!(created.revoked, None);
    assert_eq!(store.get_feed_token(token.id).await.expect("get"), created);
    assert_eq!(
        store.list_feed_tokens().await.expect("list"),
        vec![created.clone()]
    );
    let revoked = store.revoke_feed_token(token.id).await.expect("revoke");
    let when = revoked.revoked.expect("revoked time");
    let again = store
        .revoke_feed_token(token.id)
        .await
        .expect("revoke again");
    assert_eq!(
        again.revoked,
        Some(when),
        "the first revocation time is kept"
    );
    assert_eq!(
        store.get_feed_token(token.id).await.expect("get").revoked,
        Some(when)
    );
    assert_eq!(
        store.revoke_feed_token(Uuid::now_v7()).await,
        Err(StoreError::NotFound)
    );
}

/// The audit log is append-only and read newest first.
pub async fn audit_records_are_appended_and_listed_newest_first(store: Shared) {
    for i in 0..5 {
        store
            .append_audit(&AuditRecord {
                at: OffsetDateTime::from_unix_timestamp(1_700_000_000 + i).expect("time"),
                subject: format!("user{i}"),
                action: "create_entry".into(),
                resource: "/rolie/feeds/incidents".into(),
                outcome: if i % 2 == 0 {
                    "allowed".into()
                } else {
                    "denied".into()
                },
                status: if i % 2 == 0 { 201 } else { 403 },
                request_id: Some(format!("req-{i}")),
                detail: None,
            })
            .await
            .expect("append");
    }
    let all = store.list_audit(None, 10).await.expect("list");
    assert_eq!(
        all.iter()
            .map(|a| a.record.subject.as_str())
            .collect::<Vec<_>>(),
        ["user4", "user3", "user2", "user1", "user0"]
    );
    assert_eq!(all[1].record.status, 403);
    let older = store.list_audit(Some(all[1].seq), 2).await.expect("list");
    assert_eq!(
        older
            .iter()
            .map(|a| a.record.subject.as_str())
            .collect::<Vec<_>>(),
        ["user2", "user1"]
    );
    // A batch is appended in its order, every field kept, more records than one
    // statement takes included.
    let batch: Vec<AuditRecord> = (0..1_200)
        .map(|i| AuditRecord {
            at: OffsetDateTime::from_unix_timestamp(1_800_000_000 + i).expect("time"),
            subject: format!("batch{i}"),
            action: "delete_entry".into(),
            resource: format!("/rolie/entries/{i}"),
            outcome: "allowed".into(),
            status: 204,
            request_id: (i % 2 == 0).then(|| format!("b-{i}")),
            detail: (i % 3 == 0).then(|| "détail ✓".to_owned()),
        })
        .collect();
    store.append_audits(&batch).await.expect("append a batch");
    let newest = store.list_audit(None, 1_200).await.expect("list");
    let mut read: Vec<AuditRecord> = newest.into_iter().map(|a| a.record).collect();
    read.reverse();
    assert_eq!(read, batch);
}

/// The newest change sequence number of `collection` (0 before any change).
async fn last_seq(store: &Shared, collection: &str) -> i64 {
    store
        .changes_since(&name(collection), 0, 100_000)
        .await
        .expect("changes")
        .last()
        .map_or(0, |c| c.seq)
}

/// A whole sync window (`since`, `upto`] as `visibility` sees it, paged by `page`.
async fn sync_window(
    store: &Shared,
    collection: &str,
    visibility: &Visibility,
    since: i64,
    upto: i64,
    page: u32,
) -> Vec<(Uuid, crate::SyncState)> {
    let mut items = Vec::new();
    let mut after = since;
    loop {
        let crate::SyncPage::Items(batch) = store
            .sync(&crate::SyncQuery {
                collection: name(collection),
                visibility: visibility.clone(),
                since,
                upto,
                after,
                limit: page,
            })
            .await
            .expect("sync")
        else {
            panic!("the window ({since}, {upto}] is within the log");
        };
        let Some(last) = batch.last() else {
            return items;
        };
        assert!(last.seq > after, "paging moves forward");
        after = last.seq;
        items.extend(batch.iter().map(|i| (i.entry_id, i.state)));
    }
}

fn viewer(clearance: Restriction, drafts: DraftVisibility) -> Visibility {
    Visibility { clearance, drafts }
}

/// A caller syncing sees what it can see now and tombstones only for what it could see
/// before: an entry raised out of its view is gone, one lowered into it is present, and a
/// change to an entry it could never see (deletion included) never shows, not even its id.
/// OpenSearch `totalResults`: what a query matches for a caller, counted in SQL, is the
/// number of entries its pages show together, whatever the caller's clearance and drafts,
/// with and without a filter, and whatever page the query is at.
pub async fn a_count_is_what_the_pages_show(store: Shared) {
    with_collection(&store, "cnt").await;
    for (n, level, draft, publisher) in [
        (1, Restriction::Public, false, "alice"),
        (2, Restriction::Partner, false, "alice"),
        (3, Restriction::NeedToKnow, false, "alice"),
        (4, Restriction::Private, false, "alice"),
        (5, Restriction::Partner, true, "alice"),
        (6, Restriction::Partner, true, "bob"),
        (7, Restriction::Public, false, "bob"),
    ] {
        insert_with(&store, "cnt", n, level, draft, publisher).await;
    }
    for visibility in [
        viewer(Restriction::Public, DraftVisibility::None),
        viewer(
            Restriction::Partner,
            DraftVisibility::OwnedBy("alice".into()),
        ),
        viewer(Restriction::NeedToKnow, DraftVisibility::None),
        Visibility::everything(),
    ] {
        for filter in [
            EntryFilter::default(),
            EntryFilter {
                category: Some((None, "mitigation".into())),
                ..EntryFilter::default()
            },
        ] {
            let mut q = query("cnt", 2, PagePosition::First);
            q.visibility = visibility.clone();
            q.filter = filter;
            let shown: usize = walk(&store, q.clone()).await.iter().map(Vec::len).sum();
            let counted = store.count_matching(&q).await.expect("count");
            assert_eq!(counted, shown as i64, "{visibility:?} {:?}", q.filter);
        }
    }
}

/// A feed head's tombstones (RFC 6721) for a caller are the entries it could see in the
/// window and no longer sees: deleted, or raised above its level; newest first. Entries it
/// never saw, entries still in its view, and entries that left its view before the window
/// are not there; an entry created and deleted within the window was there for a while,
/// so it is (a head page does not know what its reader saw).
pub async fn head_tombstones_are_what_left_the_callers_view(store: Shared) {
    with_collection(&store, "tombs").await;
    let green = viewer(Restriction::Partner, DraftVisibility::None);
    let everything = Visibility::everything();
    let old = insert_with(&store, "tombs", 1, Restriction::Partner, false, "alice").await;
    store.delete_entry(old.id, None).await.expect("delete");
    let a = insert_with(&store, "tombs", 2, Restriction::Partner, false, "alice").await;
    let b = insert_with(&store, "tombs", 3, Restriction::Private, false, "alice").await;
    let c = insert_with(&store, "tombs", 4, Restriction::Partner, false, "alice").await;
    let kept = insert_with(&store, "tombs", 5, Restriction::Partner, false, "alice").await;
    let since = c.edited;
    store.delete_entry(a.id, None).await.expect("delete");
    store.delete_entry(b.id, None).await.expect("delete");
    let mut raised = c.data.clone();
    raised.restriction = Restriction::Private;
    store.update_entry(c.id, None, raised).await.expect("raise");
    let brief = insert_with(&store, "tombs", 6, Restriction::Partner, false, "alice").await;
    store.delete_entry(brief.id, None).await.expect("delete");
    let ids =
        |items: Vec<crate::SyncItem>| -> Vec<Uuid> { items.iter().map(|i| i.entry_id).collect() };
    let window = |visibility: Visibility, limit: u32| {
        let store = store.clone();
        async move {
            store
                .recent_tombstones(&name("tombs"), &visibility, since, limit)
                .await
                .expect("tombstones")
        }
    };
    // a (created before the window, deleted in it) and c (raised) left green's view; b it
    // never saw; kept is still there; old left before the window.
    assert_eq!(ids(window(green.clone(), 10).await), [brief.id, c.id, a.id]);
    assert_eq!(
        ids(window(green, 1).await),
        [brief.id],
        "newest first, bounded"
    );
    assert_eq!(
        ids(window(everything, 10).await),
        [brief.id, b.id, a.id],
        "c is still visible"
    );
    let _ = kept;
}

pub async fn sync_shows_each_caller_only_what_it_could_see(store: Shared) {
    use crate::SyncState::{Gone, Present};
    with_collection(&store, "sync").await;
    let green = viewer(Restriction::Partner, DraftVisibility::None);
    let everything = Visibility::everything();
    let a = insert_with(&store, "sync", 1, Restriction::Partner, false, "alice").await;
    let b = insert_with(&store, "sync", 2, Restriction::Private, false, "alice").await;
    let c = insert_with(&store, "sync", 3, Restriction::Partner, false, "alice").await;
    let first = last_seq(&store, "sync").await;
    assert_eq!(
        sync_window(&store, "sync", &green, 0, first, 10).await,
        [(a.id, Present), (c.id, Present)]
    );
    // Inside the next window: b (red) deleted, c raised to red, d created red then lowered
    // to green, a changed without leaving the view.
    store.delete_entry(b.id, None).await.expect("delete");
    let mut raised = c.data.clone();
    raised.restriction = Restriction::Private;
    store.update_entry(c.id, None, raised).await.expect("raise");
    let d = insert_with(&store, "sync", 4, Restriction::Private, false, "alice").await;
    let mut lowered = d.data.clone();
    lowered.restriction = Restriction::Partner;
    store
        .update_entry(d.id, None, lowered)
        .await
        .expect("lower");
    store
        .update_entry(a.id, None, a.data.clone())
        .await
        .expect("touch");
    let second = last_seq(&store, "sync").await;
    for page in [1, 2, 10] {
        assert_eq!(
            sync_window(&store, "sync", &green, first, second, page).await,
            [(c.id, Gone), (d.id, Present), (a.id, Present)],
            "page size {page}"
        );
        assert_eq!(
            sync_window(&store, "sync", &everything, first, second, page).await,
            [
                (b.id, Gone),
                (c.id, Present),
                (d.id, Present),
                (a.id, Present)
            ],
            "page size {page}"
        );
    }
    // From the beginning, the green caller never hears of b.
    let all = sync_window(&store, "sync", &green, 0, second, 1).await;
    assert!(all.iter().all(|(id, _)| *id != b.id), "{all:?}");
    // An entry created and deleted inside one window was never there for anyone.
    let e = insert_with(&store, "sync", 5, Restriction::Public, false, "alice").await;
    store.delete_entry(e.id, None).await.expect("delete");
    let third = last_seq(&store, "sync").await;
    assert!(
        sync_window(&store, "sync", &everything, second, third, 10)
            .await
            .is_empty()
    );
}

/// A draft syncs to its publisher only; published, it reaches everyone who may read it.
/// The window is fixed: changes after its end wait for the next sync.
pub async fn sync_keeps_drafts_to_their_publisher_and_its_window_fixed(store: Shared) {
    use crate::SyncState::Present;
    with_collection(&store, "drafts").await;
    let alice = viewer(
        Restriction::Private,
        DraftVisibility::OwnedBy("alice".into()),
    );
    let bob = viewer(Restriction::Private, DraftVisibility::OwnedBy("bob".into()));
    let draft = insert_with(&store, "drafts", 1, Restriction::Public, true, "alice").await;
    let first = last_seq(&store, "drafts").await;
    assert_eq!(
        sync_window(&store, "drafts", &alice, 0, first, 10).await,
        [(draft.id, Present)]
    );
    assert!(
        sync_window(&store, "drafts", &bob, 0, first, 10)
            .await
            .is_empty()
    );
    let mut published = draft.data.clone();
    published.draft = false;
    store
        .update_entry(draft.id, None, published)
        .await
        .expect("publish");
    let later = insert_with(&store, "drafts", 2, Restriction::Public, false, "alice").await;
    let second = last_seq(&store, "drafts").await;
    // Bob's window up to the publication only: the later entry is not in it.
    assert_eq!(
        sync_window(&store, "drafts", &bob, first, second - 1, 10).await,
        [(draft.id, Present)]
    );
    assert_eq!(
        sync_window(&store, "drafts", &bob, second - 1, second, 10).await,
        [(later.id, Present)]
    );
}

/// Retention: pruning removes a prefix of the log; a window starting before what is left
/// is expired, one starting at or after it is answered as before.
pub async fn pruned_changes_expire_older_windows_only(store: Shared) {
    use crate::SyncState::Present;
    with_collection(&store, "pruned").await;
    let everything = Visibility::everything();
    let a = insert(&store, "pruned", 1).await;
    let after_a = last_seq(&store, "pruned").await;
    let cutoff = rolie_model::timestamp::now();
    let b = insert(&store, "pruned", 2).await;
    let upto = last_seq(&store, "pruned").await;
    assert!(store.prune_changes(cutoff).await.expect("prune") >= 1);
    let query = |since: i64| crate::SyncQuery {
        collection: name("pruned"),
        visibility: everything.clone(),
        since,
        upto,
        after: since,
        limit: 10,
    };
    assert_eq!(
        store.sync(&query(0)).await.expect("sync"),
        crate::SyncPage::Expired { floor: after_a },
        "a window from before the cutoff lost {}",
        a.id
    );
    assert_eq!(
        sync_window(&store, "pruned", &everything, after_a, upto, 10).await,
        [(b.id, Present)]
    );
    // Pruning again with the same cutoff changes nothing.
    assert_eq!(store.prune_changes(cutoff).await.expect("prune"), 0);

    // A removed change that only touched a hidden audience expires no one else's window:
    // pruning tells a caller nothing about writes it could not see.
    with_collection(&store, "pruned-hidden").await;
    let green = viewer(Restriction::Partner, DraftVisibility::None);
    insert_with(
        &store,
        "pruned-hidden",
        1,
        Restriction::Private,
        false,
        "alice",
    )
    .await;
    let cutoff = rolie_model::timestamp::now();
    let seen = insert_with(
        &store,
        "pruned-hidden",
        2,
        Restriction::Partner,
        false,
        "alice",
    )
    .await;
    let upto = last_seq(&store, "pruned-hidden").await;
    store.prune_changes(cutoff).await.expect("prune");
    assert_eq!(
        sync_window(&store, "pruned-hidden", &green, 0, upto, 10).await,
        [(seen.id, Present)]
    );
    assert!(matches!(
        store
            .sync(&crate::SyncQuery {
                collection: name("pruned-hidden"),
                visibility: everything.clone(),
                since: 0,
                upto,
                after: 0,
                limit: 10,
            })
            .await
            .expect("sync"),
        crate::SyncPage::Expired { .. }
    ));
}
