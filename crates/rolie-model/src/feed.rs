//! Atom feed documents (RFC 4287 §4.1.1) as ROLIE feeds (RFC 8322 §6.1).

use time::OffsetDateTime;

use crate::atom::{Category, Generator, Link, Person, Text};
use crate::entry::Entry;
use crate::xml::XmlElement;

/// An Atom feed, or one page of a paged feed (RFC 5005 §3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feed {
    /// Logical feed id, the same on every page (A10).
    pub id: String,
    /// Title.
    pub title: Text,
    /// Subtitle.
    pub subtitle: Option<Text>,
    /// Last create, update or delete in the feed, never "now" (R-8322-6.1.3-a).
    pub updated: OffsetDateTime,
    /// Authors (R-4287-4.1.1-b).
    pub authors: Vec<Person>,
    /// Generator.
    pub generator: Option<Generator>,
    /// Links: `self`, `service`, paging.
    pub links: Vec<Link>,
    /// Categories, exactly one of the information-type scheme (R-8322-6.1-a).
    pub categories: Vec<Category>,
    /// Entries, newest `app:edited` first (R-5023-10-a).
    pub entries: Vec<Entry>,
    /// `xml:lang`.
    pub lang: Option<String>,
    /// Foreign elements in the feed head (`app:collection`, tombstones, ...).
    pub extensions: Vec<XmlElement>,
}

impl Feed {
    /// A feed with the required elements and nothing else.
    pub fn new(id: impl Into<String>, title: Text, updated: OffsetDateTime) -> Self {
        Feed {
            id: id.into(),
            title,
            subtitle: None,
            updated,
            authors: Vec::new(),
            generator: None,
            links: Vec::new(),
            categories: Vec::new(),
            entries: Vec::new(),
            lang: None,
            extensions: Vec::new(),
        }
    }

    /// The first link with relation `rel`.
    pub fn link(&self, rel: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.relation() == rel)
    }
}
