//! Atom entries with the AtomPub and ROLIE elements a ROLIE entry carries (RFC 8322 §6.2).

use time::OffsetDateTime;

use crate::atom::{Category, Content, Link, Person, Text};
use crate::xml::{XmlAttribute, XmlElement};

/// `rolie:format`: the data model of the content (R-8322-6.2.3-b, -c).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RolieFormat {
    /// Absolute URI naming the data model (required).
    pub ns: String,
    /// Version of the data model.
    pub version: Option<String>,
    /// URI of a schema validating the content.
    pub schema_location: Option<String>,
    /// Media type of that schema.
    pub schema_type: Option<String>,
}

/// `rolie:property`: a name/value pair about the content (R-8322-6.2.4-b).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RolieProperty {
    /// URI naming the property.
    pub name: String,
    /// Its value.
    pub value: String,
}

impl RolieProperty {
    /// A property `name` = `value`.
    pub fn new(name: &str, value: impl Into<String>) -> Self {
        RolieProperty {
            name: name.to_owned(),
            value: value.into(),
        }
    }
}

/// `app:control` (RFC 5023 §13.1).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Control {
    /// `app:draft` is `yes` (R-5023-13-a, R-PROF-DRAFT-a).
    pub draft: bool,
    /// Other children, kept.
    pub extensions: Vec<XmlElement>,
}

/// An Atom entry (RFC 4287 §4.1.2) with `app:edited`, `app:control`, `rolie:format` and
/// `rolie:property`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Absolute IRI, permanent (R-4287-4.2.6-a); the server mints `urn:uuid:` ids (A3).
    pub id: String,
    /// Title.
    pub title: Text,
    /// Last significant change.
    pub updated: OffsetDateTime,
    /// First publication.
    pub published: Option<OffsetDateTime>,
    /// `app:edited`: last edit, the feed's sort key (R-5023-10.2-a).
    pub edited: Option<OffsetDateTime>,
    /// Authors.
    pub authors: Vec<Person>,
    /// Contributors.
    pub contributors: Vec<Person>,
    /// Summary; required whenever content is out-of-line (R-4287-4.1.2-c).
    pub summary: Option<Text>,
    /// Rights.
    pub rights: Option<Text>,
    /// Content.
    pub content: Option<Content>,
    /// Categories.
    pub categories: Vec<Category>,
    /// Links.
    pub links: Vec<Link>,
    /// `rolie:format`, at most one.
    pub format: Option<RolieFormat>,
    /// `rolie:property` elements.
    pub properties: Vec<RolieProperty>,
    /// `app:control`.
    pub control: Option<Control>,
    /// `atom:source`, kept as written.
    pub source: Option<XmlElement>,
    /// `xml:lang` of the entry.
    pub lang: Option<String>,
    /// Foreign attributes on `atom:entry`.
    pub attributes: Vec<XmlAttribute>,
    /// Foreign elements, kept and written back unchanged (R-4287-6-a, R-8322-6.2.4-c).
    pub extensions: Vec<XmlElement>,
}

impl Entry {
    /// An entry with the required elements and nothing else.
    pub fn new(id: impl Into<String>, title: Text, updated: OffsetDateTime) -> Self {
        Entry {
            id: id.into(),
            title,
            updated,
            published: None,
            edited: None,
            authors: Vec::new(),
            contributors: Vec::new(),
            summary: None,
            rights: None,
            content: None,
            categories: Vec::new(),
            links: Vec::new(),
            format: None,
            properties: Vec::new(),
            control: None,
            source: None,
            lang: None,
            attributes: Vec::new(),
            extensions: Vec::new(),
        }
    }

    /// The first link with relation `rel`.
    pub fn link(&self, rel: &str) -> Option<&Link> {
        self.links.iter().find(|l| l.relation() == rel)
    }

    /// Values of every property named `name`.
    pub fn property_values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> {
        self.properties
            .iter()
            .filter(move |p| p.name == name)
            .map(|p| p.value.as_str())
    }

    /// Terms of every category in `scheme`.
    pub fn category_terms<'a>(&'a self, scheme: &'a str) -> impl Iterator<Item = &'a str> {
        self.categories
            .iter()
            .filter(move |c| c.scheme.as_deref() == Some(scheme))
            .map(|c| c.term.as_str())
    }

    /// Whether `app:control/app:draft` is `yes`.
    pub fn is_draft(&self) -> bool {
        self.control.as_ref().is_some_and(|c| c.draft)
    }
}
