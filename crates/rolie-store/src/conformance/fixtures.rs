//! Values the conformance cases build on.

use std::sync::Arc;

use bytes::Bytes;
use rolie_model::vocabulary::{information_type, media_type, scheme};
use rolie_model::xml::{QName, XmlAttribute, XmlElement, XmlNode};
use rolie_model::{Category, Link, Person, Restriction, RolieFormat, RolieProperty, Text};
use uuid::Uuid;

use crate::{
    CollectionName, CollectionSpec, EntryData, EntryExtras, NewContent, NewEntry, NewEntryContent,
    Store,
};

/// A fresh store plus whatever keeps its database alive until the test ends.
pub struct Harness {
    /// The store under test.
    pub store: Arc<dyn Store>,
    /// Dropped after the test (deletes a temporary database).
    pub guard: Box<dyn Send + Sync>,
}

/// A collection called `name` taking IODEF, capped at private.
pub fn sample_spec(name: &str) -> CollectionSpec {
    CollectionSpec {
        name: CollectionName::parse(name).expect("valid test collection name"),
        title: format!("Collection {name}"),
        information_type: information_type::INCIDENT.to_owned(),
        workspace: "Shared".to_owned(),
        accept: vec![
            media_type::ATOM_ENTRY.to_owned(),
            media_type::XML.to_owned(),
        ],
        max_restriction: Restriction::Private,
        public: false,
    }
}

/// Entry metadata with every field filled, unicode and foreign markup included.
pub fn sample_data(n: usize) -> EntryData {
    let extension = XmlElement {
        name: QName::new("urn:example:ext", "note"),
        prefix: Some("ex".into()),
        namespaces: Vec::new(),
        attributes: vec![XmlAttribute {
            name: QName::local("lang"),
            prefix: None,
            value: "de".into(),
        }],
        children: vec![XmlNode::Text("Grüße & <Grüße>".into())],
    };
    EntryData {
        atom_id: format!("urn:uuid:{}", Uuid::now_v7()),
        title: Text::plain(format!("Incident {n}: 日本語 & ümlaut")),
        summary: Some(Text::plain(format!("Summary of incident {n}"))),
        authors: vec![Person::named("Example CSIRT")],
        published: None,
        updated: None,
        draft: false,
        restriction: Restriction::Partner,
        format: Some(RolieFormat {
            ns: rolie_model::vocabulary::ns::IODEF_2.into(),
            version: Some("2.0".into()),
            schema_location: None,
            schema_type: None,
        }),
        categories: vec![
            Category::new(scheme::INFORMATION_TYPE, "incident"),
            Category::new(
                scheme::IODEF_PURPOSE,
                if n.is_multiple_of(2) {
                    "reporting"
                } else {
                    "mitigation"
                },
            ),
        ],
        properties: vec![RolieProperty::new(
            rolie_model::vocabulary::property::CONTENT_ID,
            format!("INC-{n}"),
        )],
        links: vec![Link::new("urn:example:rel", "https://elsewhere.example/x")],
        extras: EntryExtras {
            extensions: vec![extension],
            lang: Some("en".into()),
            ..EntryExtras::default()
        },
    }
}

/// A new entry `n` in `collection` with a small XML document as content.
pub fn sample_entry(collection: &str, n: usize) -> NewEntry {
    NewEntry {
        id: Uuid::now_v7(),
        collection: CollectionName::parse(collection).expect("valid test collection name"),
        publisher: "alice".to_owned(),
        data: sample_data(n),
        content: NewEntryContent::Stored(NewContent {
            media_type: media_type::XML.to_owned(),
            bytes: Bytes::from(format!("<doc n=\"{n}\"/>")),
        }),
        edited: None,
    }
}
