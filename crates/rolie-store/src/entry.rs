//! Entries as the store keeps them: everything the server decided about an entry except the
//! URIs, which depend on the public base URL and are made when rendering.

use bytes::Bytes;
use rolie_model::xml::{XmlAttribute, XmlElement};
use rolie_model::{Category, Control, Link, Person, Restriction, RolieFormat, RolieProperty, Text};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::CollectionName;

/// Entry metadata other than the indexed columns: kept as one JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct EntryExtras {
    /// The title the publisher wrote, if any; otherwise the title is derived from the
    /// content and derived again when the content changes.
    pub client_title: Option<Text>,
    /// The summary the publisher wrote, if any (same rule as `client_title`).
    pub client_summary: Option<Text>,
    /// Contributors.
    pub contributors: Vec<Person>,
    /// `atom:rights`.
    pub rights: Option<Text>,
    /// `atom:source`, as the client sent it.
    pub source: Option<XmlElement>,
    /// `xml:lang`.
    pub lang: Option<String>,
    /// Foreign attributes on `atom:entry`.
    pub attributes: Vec<XmlAttribute>,
    /// Foreign elements (R-4287-6-a).
    pub extensions: Vec<XmlElement>,
    /// `app:control` children other than `app:draft`.
    pub control_extensions: Vec<XmlElement>,
}

/// What the server decided about an entry. Links to the entry's own resources (`edit`,
/// `edit-media`, `collection`, `service`, content `src`) are not part of it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EntryData {
    /// `atom:id`, unique per collection.
    pub atom_id: String,
    /// Title.
    pub title: Text,
    /// Summary.
    pub summary: Option<Text>,
    /// Authors.
    pub authors: Vec<Person>,
    /// `atom:published`; `None` on create means "the creation time", on update "unchanged".
    pub published: Option<OffsetDateTime>,
    /// `atom:updated`; `None` means "the edit time" (R-PROF-TIME-a).
    pub updated: Option<OffsetDateTime>,
    /// `app:draft` (R-PROF-DRAFT-a).
    pub draft: bool,
    /// Effective restriction level, for visibility filtering.
    pub restriction: Restriction,
    /// `rolie:format`.
    pub format: Option<RolieFormat>,
    /// Categories, information type included.
    pub categories: Vec<Category>,
    /// `rolie:property` values.
    pub properties: Vec<RolieProperty>,
    /// Links given by the publisher (alternate, related, CSIRT relations, unknown ones).
    pub links: Vec<Link>,
    /// Everything else.
    pub extras: EntryExtras,
}

impl EntryData {
    /// The `app:control` to render, when the entry is a draft or carries control extensions.
    pub fn control(&self) -> Option<Control> {
        (self.draft || !self.extras.control_extensions.is_empty()).then(|| Control {
            draft: self.draft,
            extensions: self.extras.control_extensions.clone(),
        })
    }
}

/// Content to store with an entry: the media resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContent {
    /// Its media type.
    pub media_type: String,
    /// The bytes exactly as received.
    pub bytes: Bytes,
}

impl NewContent {
    /// SHA-256 of the bytes, lower-case hex.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(&self.bytes))
    }

    /// Its size in bytes, as stored.
    pub fn size(&self) -> i64 {
        i64::try_from(self.bytes.len()).unwrap_or(i64::MAX)
    }
}

/// Where an entry's content is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewEntryContent {
    /// A media resource stored with the entry (R-5023-9.6-a).
    Stored(NewContent),
    /// Content somewhere else, recorded as given and never fetched (spec-rolie A28).
    External {
        /// Its media type.
        media_type: Option<String>,
        /// Its URI.
        src: String,
    },
}

/// An entry to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// Server id: the path segment of the entry's URIs.
    pub id: Uuid,
    /// Collection it goes into.
    pub collection: CollectionName,
    /// Subject of the publisher (drafts stay visible to it).
    pub publisher: String,
    /// Metadata.
    pub data: EntryData,
    /// Content.
    pub content: NewEntryContent,
    /// The `app:edited` to keep, when restoring an archive; `None` for any other write.
    /// `app:edited` still increases strictly per collection in commit order: a time not
    /// after the collection's last edit becomes the next microsecond after it, so an
    /// archive restored oldest edit first into an empty collection keeps every time.
    pub edited: Option<OffsetDateTime>,
}

/// Content of a stored entry, without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContentInfo {
    /// A stored media resource.
    Stored {
        /// Media type.
        media_type: String,
        /// SHA-256, hex.
        hash: String,
        /// Size in bytes.
        size: i64,
    },
    /// Content elsewhere.
    External {
        /// Media type.
        media_type: Option<String>,
        /// URI.
        src: String,
    },
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Server id.
    pub id: Uuid,
    /// Collection.
    pub collection: CollectionName,
    /// Publisher's subject.
    pub publisher: String,
    /// Metadata with `published` and `updated` filled in.
    pub data: EntryData,
    /// `app:edited`, strictly increasing within a collection.
    pub edited: OffsetDateTime,
    /// Opaque strong validator of the entry; changes on every write to the entry or its
    /// content.
    pub etag: String,
    /// Content.
    pub content: ContentInfo,
}

impl StoredEntry {
    /// `atom:published` (always set once stored).
    pub fn published(&self) -> OffsetDateTime {
        self.data.published.unwrap_or(self.edited)
    }

    /// `atom:updated` (always set once stored).
    pub fn updated(&self) -> OffsetDateTime {
        self.data.updated.unwrap_or(self.edited)
    }
}

/// The bytes of a stored media resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredContent {
    /// Entry it belongs to.
    pub entry_id: Uuid,
    /// Media type.
    pub media_type: String,
    /// The bytes exactly as received.
    pub bytes: Bytes,
    /// SHA-256, hex: the content's strong validator.
    pub hash: String,
    /// When the content last changed (the entry's `app:edited` at that write).
    pub modified: OffsetDateTime,
}

/// Who is asking: decides which entries exist for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Visibility {
    /// Entries above this level are invisible (R-PROF-AUTHZ-c).
    pub clearance: Restriction,
    /// Which drafts are visible (R-PROF-DRAFT-a).
    pub drafts: DraftVisibility,
}

impl Visibility {
    /// Everything: for the server's own bookkeeping and administrators.
    pub fn everything() -> Self {
        Visibility {
            clearance: Restriction::Private,
            drafts: DraftVisibility::All,
        }
    }

    /// Whether an entry with these properties is visible.
    pub fn allows(&self, restriction: Restriction, draft: bool, publisher: &str) -> bool {
        restriction <= self.clearance
            && (!draft
                || match &self.drafts {
                    DraftVisibility::None => false,
                    DraftVisibility::OwnedBy(subject) => subject == publisher,
                    DraftVisibility::All => true,
                })
    }
}

/// Which draft entries a caller sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftVisibility {
    /// None.
    None,
    /// Those published by this subject.
    OwnedBy(String),
    /// All (administrators).
    All,
}

/// A change-log record: one per create, update and delete, in commit order per collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Per-collection sequence number, strictly increasing in commit order.
    pub seq: i64,
    /// What happened.
    pub kind: ChangeKind,
    /// Entry server id.
    pub entry_id: Uuid,
    /// Entry `atom:id` (kept for deletions: the tombstone's `ref`, RFC 6721).
    pub atom_id: String,
    /// When.
    pub at: OffsetDateTime,
}

/// Kind of change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// Entry created.
    Create,
    /// Entry or content replaced.
    Update,
    /// Entry deleted.
    Delete,
}

impl ChangeKind {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Create => "create",
            ChangeKind::Update => "update",
            ChangeKind::Delete => "delete",
        }
    }

    /// Parses the stored form.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "create" => Some(ChangeKind::Create),
            "update" => Some(ChangeKind::Update),
            "delete" => Some(ChangeKind::Delete),
            _ => None,
        }
    }

    /// How the change moves its collection's entry count.
    pub fn entry_count_delta(self) -> i64 {
        match self {
            ChangeKind::Create => 1,
            ChangeKind::Update => 0,
            ChangeKind::Delete => -1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_are_visible_to_their_publisher_only() {
        let v = Visibility {
            clearance: Restriction::Private,
            drafts: DraftVisibility::OwnedBy("alice".into()),
        };
        assert!(v.allows(Restriction::Public, true, "alice"));
        assert!(!v.allows(Restriction::Public, true, "bob"));
        assert!(v.allows(Restriction::Public, false, "bob"));
    }

    #[test]
    fn clearance_bounds_the_visible_level() {
        let v = Visibility {
            clearance: Restriction::Partner,
            drafts: DraftVisibility::None,
        };
        assert!(v.allows(Restriction::Partner, false, "x"));
        assert!(!v.allows(Restriction::NeedToKnow, false, "x"));
    }
}
