//! proptest strategies for Atom values that XML can carry.

use proptest::prelude::*;
use rolie_model::xml::{QName, XmlAttribute, XmlElement, XmlNode};
use rolie_model::{
    Category, Content, Control, Entry, Link, Person, RolieFormat, RolieProperty, Text,
};
use time::{OffsetDateTime, UtcOffset};

fn xml_char() -> impl Strategy<Value = char> {
    prop_oneof![
        8 => proptest::char::range(' ', '~'),
        1 => proptest::sample::select(vec!['\t', '\n', '\r', '&', '<', '>', '"', '\'', 'é', '漢', '🦀', '\u{FFFD}']),
        1 => proptest::char::range('\u{A0}', '\u{D7FF}'),
    ]
}

/// Any string XML 1.0 can carry, markup characters and line ends included.
pub fn xml_string(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(xml_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

/// A string without surrounding whitespace (for values the reader trims).
pub fn trimmed_string(max: usize) -> impl Strategy<Value = String> {
    xml_string(max).prop_map(|s| s.trim().to_owned())
}

fn nonempty_trimmed(max: usize) -> impl Strategy<Value = String> {
    trimmed_string(max).prop_map(|s| if s.is_empty() { "x".to_owned() } else { s })
}

pub fn datetime() -> impl Strategy<Value = OffsetDateTime> {
    (0i64..4_102_444_800, 0u32..1_000_000, -12 * 60i32..14 * 60).prop_map(
        |(secs, micros, offset)| {
            let offset = UtcOffset::from_whole_seconds(offset * 60).expect("offset within ±26h");
            (OffsetDateTime::from_unix_timestamp(secs).expect("year within 1970..2100")
                + time::Duration::microseconds(i64::from(micros)))
            .to_offset(offset)
        },
    )
}

fn prefix() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(
        proptest::sample::select(vec!["e", "x", "ext", "atom", "app", "rolie", "ns1"])
            .prop_map(str::to_owned),
    )
}

fn local_name() -> impl Strategy<Value = String> {
    "[a-zA-Z_][a-zA-Z0-9_.-]{0,8}"
}

fn namespace() -> impl Strategy<Value = String> {
    proptest::sample::select(vec!["urn:ext:a", "urn:ext:b", "https://example.org/ns#"])
        .prop_map(str::to_owned)
}

fn foreign_attributes() -> impl Strategy<Value = Vec<XmlAttribute>> {
    proptest::collection::btree_map(
        (namespace(), local_name()),
        (prefix(), xml_string(12)),
        0..3,
    )
    .prop_map(|m| {
        m.into_iter()
            .map(|((ns, local), (prefix, value))| XmlAttribute {
                name: QName::new(&ns, &local),
                prefix,
                value,
            })
            .collect()
    })
}

/// A foreign element: names in extension namespaces, no two adjacent or empty text runs.
pub fn foreign_element() -> impl Strategy<Value = XmlElement> {
    let leaf = (
        namespace(),
        local_name(),
        prefix(),
        foreign_attributes(),
        proptest::option::of(xml_string(16)),
    )
        .prop_map(|(ns, local, prefix, attributes, text)| XmlElement {
            name: QName::new(&ns, &local),
            prefix,
            namespaces: Vec::new(),
            attributes,
            children: text
                .filter(|t| !t.is_empty())
                .map(XmlNode::Text)
                .into_iter()
                .collect(),
        });
    leaf.prop_recursive(3, 12, 4, |inner| {
        (
            namespace(),
            local_name(),
            prefix(),
            foreign_attributes(),
            proptest::collection::vec((inner, proptest::option::of(xml_string(8))), 0..4),
        )
            .prop_map(|(ns, local, prefix, attributes, parts)| {
                let mut children = Vec::new();
                for (element, text) in parts {
                    children.push(XmlNode::Element(element));
                    if let Some(t) = text.filter(|t| !t.is_empty()) {
                        children.push(XmlNode::Text(t));
                    }
                }
                XmlElement {
                    name: QName::new(&ns, &local),
                    prefix,
                    namespaces: Vec::new(),
                    attributes,
                    children,
                }
            })
    })
}

fn text() -> impl Strategy<Value = Text> {
    prop_oneof![
        xml_string(30).prop_map(Text::Plain),
        xml_string(30).prop_map(Text::Html)
    ]
}

fn person() -> impl Strategy<Value = Person> {
    (
        xml_string(20),
        proptest::option::of(nonempty_trimmed(20)),
        proptest::option::of(nonempty_trimmed(20)),
    )
        .prop_map(|(name, uri, email)| Person { name, uri, email })
}

fn link() -> impl Strategy<Value = Link> {
    (
        xml_string(30),
        proptest::option::of(prop_oneof![
            Just("self".to_owned()),
            Just("urn:example:rel".to_owned()),
            xml_string(10)
        ]),
        proptest::option::of(xml_string(10)),
        proptest::option::of(xml_string(5)),
        proptest::option::of(xml_string(10)),
        proptest::option::of(xml_string(5)),
        foreign_attributes(),
    )
        .prop_map(
            |(href, rel, media_type, hreflang, title, length, extra)| Link {
                href,
                rel,
                media_type,
                hreflang,
                title,
                length,
                extra,
            },
        )
}

fn category() -> impl Strategy<Value = Category> {
    (
        xml_string(10),
        proptest::option::of(xml_string(20)),
        proptest::option::of(xml_string(10)),
        foreign_attributes(),
    )
        .prop_map(|(term, scheme, label, extra)| Category {
            term,
            scheme,
            label,
            extra,
        })
}

fn content() -> impl Strategy<Value = Content> {
    prop_oneof![
        (proptest::option::of(xml_string(10)), xml_string(30))
            .prop_map(|(media_type, src)| Content::OutOfLine { media_type, src }),
        text().prop_map(Content::Text),
        foreign_element().prop_map(|element| Content::Xml {
            media_type: "application/xml".into(),
            element
        }),
        xml_string(30).prop_map(|value| Content::Other {
            media_type: "application/json".into(),
            value
        }),
    ]
}

fn format() -> impl Strategy<Value = RolieFormat> {
    (
        "urn:[a-z]{1,8}:[a-z0-9.-]{1,12}",
        proptest::option::of(xml_string(5)),
        proptest::option::of(xml_string(20)),
        proptest::option::of(xml_string(10)),
    )
        .prop_map(|(ns, version, schema_location, schema_type)| RolieFormat {
            ns,
            version,
            schema_location,
            schema_type,
        })
}

fn property() -> impl Strategy<Value = RolieProperty> {
    (xml_string(30), xml_string(30)).prop_map(|(name, value)| RolieProperty { name, value })
}

/// Any entry the writer can express.
pub fn entry() -> impl Strategy<Value = Entry> {
    let head = (
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        text(),
        datetime(),
        proptest::option::of(datetime()),
        proptest::option::of(datetime()),
        proptest::collection::vec(person(), 0..3),
        proptest::option::of(text()),
        proptest::option::of(content()),
    );
    let body = (
        proptest::collection::vec(category(), 0..4),
        proptest::collection::vec(link(), 0..4),
        proptest::option::of(format()),
        proptest::collection::vec(property(), 0..4),
        proptest::option::of(any::<bool>()),
        proptest::collection::vec(foreign_element(), 0..3),
        proptest::option::of("[a-z]{2}(-[A-Z]{2})?"),
        foreign_attributes(),
    );
    (head, body).prop_map(
        |(
            (uuid, title, updated, published, edited, authors, summary, content),
            (categories, links, format, properties, draft, extensions, lang, attributes),
        )| {
            let mut e = Entry::new(format!("urn:uuid:{uuid}"), title, updated);
            e.published = published;
            e.edited = edited;
            e.authors = authors;
            e.summary = summary;
            e.content = content;
            e.categories = categories;
            e.links = links;
            e.format = format;
            e.properties = properties;
            e.control = draft.map(|draft| Control {
                draft,
                extensions: Vec::new(),
            });
            e.extensions = extensions;
            e.lang = lang;
            e.attributes = attributes;
            e
        },
    )
}
