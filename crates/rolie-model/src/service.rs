//! AtomPub service and category documents (RFC 5023 §7, §8; RFC 8322 §5).

use crate::atom::{Category, Text};

/// `app:service`: the head of the repository (R-8322-5.1-a).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceDocument {
    /// One or more workspaces (R-5023-8-a).
    pub workspaces: Vec<Workspace>,
}

/// `app:workspace`: a group of collections, e.g. by access requirement (R-8322-5.1.1-a).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// Exactly one title (R-5023-8-b).
    pub title: Text,
    /// Collections.
    pub collections: Vec<Collection>,
}

/// `app:collection` (R-5023-8-c).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collection {
    /// Collection URI: GET gives the feed, POST creates members.
    pub href: String,
    /// Exactly one title.
    pub title: Text,
    /// Media ranges that may be POSTed (R-5023-8-d).
    pub accept: Vec<String>,
    /// Inline and out-of-line category lists.
    pub categories: Vec<Categories>,
    /// When the newest change the reader can see happened (`rs:last-change`, an extension
    /// of this server, `docs/sync.md`): "anything new here?" without fetching the feed.
    pub last_change: Option<time::OffsetDateTime>,
}

/// `app:categories`: inline in a collection, or the root of a category document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Categories {
    /// Inline list (R-5023-7-a).
    Inline {
        /// `fixed="yes"`: a closed list.
        fixed: Option<bool>,
        /// Default scheme for children without one.
        scheme: Option<String>,
        /// The categories.
        categories: Vec<Category>,
    },
    /// Reference to a category document; empty, no `fixed`, no `scheme` (R-5023-7-b).
    OutOfLine {
        /// Category document URI.
        href: String,
    },
}

/// A category document (R-8322-5.2-a): an inline [`Categories`] list as document root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CategoryDocument {
    /// `fixed="yes"`.
    pub fixed: Option<bool>,
    /// Default scheme.
    pub scheme: Option<String>,
    /// The categories.
    pub categories: Vec<Category>,
}
