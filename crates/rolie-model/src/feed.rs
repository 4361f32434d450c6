//! Atom feed documents (RFC 4287 §4.1.1) as ROLIE feeds (RFC 8322 §6.1).

use time::OffsetDateTime;

use crate::atom::{Category, Generator, Link, Person, Text};
use crate::entry::Entry;
use crate::vocabulary::ns;
use crate::xml::{QName, XmlAttribute, XmlElement};

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

/// An RFC 6721 tombstone for the feed head: `<at:deleted-entry ref="…" when="…"/>`, with
/// `ref` the deleted entry's `atom:id` and `when` the time of the deletion.
pub fn tombstone(atom_id: &str, when: OffsetDateTime) -> XmlElement {
    let mut element = XmlElement::declared(ns::TOMBSTONES, "at", "deleted-entry");
    for (name, value) in [
        ("ref", atom_id.to_owned()),
        ("when", crate::timestamp::format(when)),
    ] {
        element.attributes.push(XmlAttribute {
            name: QName::local(name),
            prefix: None,
            value,
        });
    }
    element
}

impl Feed {
    /// The tombstones in the feed head: (`ref`, `when` as written).
    pub fn tombstones(&self) -> impl Iterator<Item = (&str, &str)> {
        self.extensions
            .iter()
            .filter(|e| e.name.is(ns::TOMBSTONES, "deleted-entry"))
            .filter_map(|e| {
                let attribute = |name: &str| {
                    e.attributes
                        .iter()
                        .find(|a| a.name.namespace.is_none() && a.name.local == name)
                        .map(|a| a.value.as_str())
                };
                Some((attribute("ref")?, attribute("when")?))
            })
    }
}
