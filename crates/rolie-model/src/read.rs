//! Reads Atom entries and feeds, service and category documents.
//!
//! Namespace-aware (any prefix or the default namespace), strict about Atom's cardinalities
//! (R-4287-4.1.1-a, R-4287-4.1.2-a), and tolerant of everything foreign: unknown elements,
//! attributes, link relations, categories and properties are kept (R-8322-6.1.2-f,
//! R-8322-7.1-a, R-8322-7.4-b, R-4287-6-a). All input goes through the hardened parser.

use roxmltree::Node;
use time::OffsetDateTime;

use crate::atom::{Category, Content, Generator, Link, Person, Text, is_xml_media_type};
use crate::entry::{Control, Entry, RolieFormat, RolieProperty};
use crate::feed::Feed;
use crate::service::{Categories, CategoryDocument, Collection, ServiceDocument, Workspace};
use crate::timestamp;
use crate::vocabulary::ns;
use crate::xml::{self, Limits, Position, QName, XmlAttribute, XmlElement, XmlError};

const XHTML: &str = "http://www.w3.org/1999/xhtml";

/// How strictly an entry is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryMode {
    /// A complete Atom entry document: `id`, `title` and `updated` are required.
    Document,
    /// An entry POSTed or PUT by an AtomPub client: the server assigns `id`, `updated`,
    /// `published` and `app:edited` (RFC 5023 §9.2, R-PROF-TIME-a), so missing ones are
    /// filled with placeholders (empty id, the Unix epoch) instead of failing.
    Submission,
}

fn position(node: Node<'_, '_>) -> Option<Position> {
    let p = node.document().text_pos_at(node.range().start);
    Some(Position {
        line: p.row,
        column: p.col,
    })
}

fn fail<T>(node: Node<'_, '_>, message: impl Into<String>) -> Result<T, XmlError> {
    Err(XmlError::unexpected(message, position(node)))
}

fn is(node: Node<'_, '_>, namespace: &str, local: &str) -> bool {
    node.tag_name().namespace() == Some(namespace) && node.tag_name().name() == local
}

fn describe(node: Node<'_, '_>) -> String {
    match node.tag_name().namespace() {
        Some(ns::ATOM) => format!("atom:{}", node.tag_name().name()),
        Some(ns::APP) => format!("app:{}", node.tag_name().name()),
        Some(ns::ROLIE) => format!("rolie:{}", node.tag_name().name()),
        Some(other) => format!("{{{other}}}{}", node.tag_name().name()),
        None => node.tag_name().name().to_owned(),
    }
}

/// All character data directly inside `node`.
fn all_text(node: Node<'_, '_>) -> String {
    node.children()
        .filter(Node::is_text)
        .filter_map(|n| n.text())
        .collect()
}

fn only_text(node: Node<'_, '_>) -> Result<String, XmlError> {
    if let Some(child) = node.children().find(Node::is_element) {
        return fail(child, format!("{} must contain only text", describe(node)));
    }
    Ok(all_text(node))
}

fn is_empty(node: Node<'_, '_>) -> bool {
    node.children()
        .all(|c| !c.is_element() && (!c.is_text() || all_text_is_space(c)))
}

fn all_text_is_space(node: Node<'_, '_>) -> bool {
    node.text().is_none_or(|t| t.trim().is_empty())
}

fn once<T>(slot: &mut Option<T>, node: Node<'_, '_>, value: T) -> Result<(), XmlError> {
    if slot.is_some() {
        let parent = node.parent_element().map(describe).unwrap_or_default();
        return fail(
            node,
            format!("{parent} has more than one {}", describe(node)),
        );
    }
    *slot = Some(value);
    Ok(())
}

fn date(node: Node<'_, '_>) -> Result<OffsetDateTime, XmlError> {
    let value = only_text(node)?;
    timestamp::parse(&value).or_else(|e| fail(node, format!("{}: {e}", describe(node))))
}

fn attr(node: Node<'_, '_>, name: &str) -> Option<String> {
    node.attribute(name).map(str::to_owned)
}

fn required_attr(node: Node<'_, '_>, name: &str) -> Result<String, XmlError> {
    match node.attribute(name) {
        Some(v) => Ok(v.to_owned()),
        None => fail(
            node,
            format!("{} needs a \"{name}\" attribute", describe(node)),
        ),
    }
}

/// Attributes other than `known` ones (in no namespace), kept as foreign markup.
fn extra_attributes(node: Node<'_, '_>, known: &[&str]) -> Vec<XmlAttribute> {
    let source = node.document().input_text();
    node.attributes()
        .filter(|a| a.namespace().is_some() || !known.contains(&a.name()))
        .map(|a| XmlAttribute {
            name: QName {
                namespace: a.namespace().map(str::to_owned),
                local: a.name().to_owned(),
            },
            prefix: source
                .get(a.range_qname())
                .and_then(|q| q.split_once(':'))
                .map(|(p, _)| p.to_owned()),
            value: a.value().to_owned(),
        })
        .collect()
}

fn text_construct(node: Node<'_, '_>) -> Result<Text, XmlError> {
    match node.attribute("type") {
        None | Some("text") => Ok(Text::Plain(only_text(node)?)),
        Some("html") => Ok(Text::Html(only_text(node)?)),
        Some("xhtml") => {
            let mut divs = node.children().filter(Node::is_element);
            match (divs.next(), divs.next()) {
                (Some(div), None) if is(div, XHTML, "div") => {
                    Ok(Text::Xhtml(XmlElement::from_node(div, false)))
                }
                _ => fail(
                    node,
                    format!(
                        "{} of type xhtml must hold exactly one xhtml:div",
                        describe(node)
                    ),
                ),
            }
        }
        Some(other) => fail(
            node,
            format!(
                "{}: unknown text type \"{other}\" (text, html or xhtml)",
                describe(node)
            ),
        ),
    }
}

fn person(node: Node<'_, '_>) -> Result<Person, XmlError> {
    let (mut name, mut uri, mut email) = (None, None, None);
    for child in node.children().filter(Node::is_element) {
        if is(child, ns::ATOM, "name") {
            once(&mut name, child, only_text(child)?)?;
        } else if is(child, ns::ATOM, "uri") {
            once(&mut uri, child, only_text(child)?.trim().to_owned())?;
        } else if is(child, ns::ATOM, "email") {
            once(&mut email, child, only_text(child)?.trim().to_owned())?;
        }
    }
    match name {
        Some(name) => Ok(Person { name, uri, email }),
        None => fail(
            node,
            format!("{} needs an atom:name (R-4287-3.2-a)", describe(node)),
        ),
    }
}

fn link(node: Node<'_, '_>) -> Result<Link, XmlError> {
    Ok(Link {
        href: required_attr(node, "href")?,
        rel: attr(node, "rel"),
        media_type: attr(node, "type"),
        hreflang: attr(node, "hreflang"),
        title: attr(node, "title"),
        length: attr(node, "length"),
        extra: extra_attributes(
            node,
            &["href", "rel", "type", "hreflang", "title", "length"],
        ),
    })
}

fn category(node: Node<'_, '_>) -> Result<Category, XmlError> {
    Ok(Category {
        term: required_attr(node, "term")?,
        scheme: attr(node, "scheme"),
        label: attr(node, "label"),
        extra: extra_attributes(node, &["term", "scheme", "label"]),
    })
}

fn content(node: Node<'_, '_>) -> Result<Content, XmlError> {
    let media_type = attr(node, "type");
    if let Some(src) = attr(node, "src") {
        if !is_empty(node) {
            return fail(
                node,
                "atom:content with a src attribute must be empty (R-8322-6.2.1-b)",
            );
        }
        return Ok(Content::OutOfLine { media_type, src });
    }
    match media_type.as_deref() {
        None | Some("text" | "html" | "xhtml") => Ok(Content::Text(text_construct(node)?)),
        Some(t) if is_xml_media_type(t) => {
            let mut children = node.children().filter(Node::is_element);
            match (children.next(), children.next()) {
                (Some(element), None) => Ok(Content::Xml {
                    media_type: t.to_owned(),
                    element: XmlElement::from_node(element, true),
                }),
                _ => fail(
                    node,
                    format!("inline {t} content must hold exactly one element"),
                ),
            }
        }
        Some(t) => Ok(Content::Other {
            media_type: t.to_owned(),
            value: only_text(node)?,
        }),
    }
}

fn rolie_format(node: Node<'_, '_>) -> Result<RolieFormat, XmlError> {
    if !is_empty(node) {
        return fail(node, "rolie:format must be empty (R-8322-6.2.3-b)");
    }
    let format = RolieFormat {
        ns: required_attr(node, "ns")?,
        version: attr(node, "version"),
        schema_location: attr(node, "schema-location"),
        schema_type: attr(node, "schema-type"),
    };
    if !format.ns.contains(':') {
        return fail(
            node,
            "rolie:format ns must be an absolute URI (R-8322-6.2.3-b)",
        );
    }
    Ok(format)
}

fn rolie_property(node: Node<'_, '_>) -> Result<RolieProperty, XmlError> {
    if !is_empty(node) {
        return fail(node, "rolie:property must be empty (R-8322-6.2.4-b)");
    }
    Ok(RolieProperty {
        name: required_attr(node, "name")?,
        value: required_attr(node, "value")?,
    })
}

fn control(node: Node<'_, '_>) -> Result<Control, XmlError> {
    let mut draft = None;
    let mut extensions = Vec::new();
    for child in node.children().filter(Node::is_element) {
        if is(child, ns::APP, "draft") {
            let value = match only_text(child)?.trim() {
                "yes" => true,
                "no" => false,
                other => {
                    return fail(
                        child,
                        format!("app:draft must be yes or no, not \"{other}\""),
                    );
                }
            };
            once(&mut draft, child, value)?;
        } else {
            extensions.push(XmlElement::from_node(child, false));
        }
    }
    Ok(Control {
        draft: draft.unwrap_or(false),
        extensions,
    })
}

fn is_rolie(node: Node<'_, '_>, local: &str) -> bool {
    is(node, ns::ROLIE, local) || is(node, ns::ROLIE_TYPO, local)
}

fn lang(node: Node<'_, '_>) -> Option<String> {
    node.attribute((ns::XML, "lang")).map(str::to_owned)
}

fn entry(node: Node<'_, '_>, mode: EntryMode) -> Result<Entry, XmlError> {
    if !is(node, ns::ATOM, "entry") {
        return fail(
            node,
            format!("expected an atom:entry, found {}", describe(node)),
        );
    }
    let (mut id, mut title, mut updated, mut published, mut edited) =
        (None, None, None, None, None);
    let (mut summary, mut rights, mut content_value, mut source, mut format, mut control_value) =
        (None, None, None, None, None, None);
    let mut e = Entry::new("", Text::plain(""), OffsetDateTime::UNIX_EPOCH);
    for child in node.children().filter(Node::is_element) {
        match (child.tag_name().namespace(), child.tag_name().name()) {
            (Some(ns::ATOM), "id") => once(&mut id, child, only_text(child)?.trim().to_owned())?,
            (Some(ns::ATOM), "title") => once(&mut title, child, text_construct(child)?)?,
            (Some(ns::ATOM), "updated") => once(&mut updated, child, date(child)?)?,
            (Some(ns::ATOM), "published") => once(&mut published, child, date(child)?)?,
            (Some(ns::ATOM), "summary") => once(&mut summary, child, text_construct(child)?)?,
            (Some(ns::ATOM), "rights") => once(&mut rights, child, text_construct(child)?)?,
            (Some(ns::ATOM), "content") => once(&mut content_value, child, content(child)?)?,
            (Some(ns::ATOM), "source") => {
                once(&mut source, child, XmlElement::from_node(child, false))?;
            }
            (Some(ns::ATOM), "author") => e.authors.push(person(child)?),
            (Some(ns::ATOM), "contributor") => e.contributors.push(person(child)?),
            (Some(ns::ATOM), "category") => e.categories.push(category(child)?),
            (Some(ns::ATOM), "link") => e.links.push(link(child)?),
            (Some(ns::ATOM), other) => {
                return fail(
                    child,
                    format!("atom:{other} is not an element of atom:entry"),
                );
            }
            (Some(ns::APP), "edited") => once(&mut edited, child, date(child)?)?,
            (Some(ns::APP), "control") => once(&mut control_value, child, control(child)?)?,
            _ if is_rolie(child, "format") => once(&mut format, child, rolie_format(child)?)?,
            _ if is_rolie(child, "property") => e.properties.push(rolie_property(child)?),
            _ => e.extensions.push(XmlElement::from_node(child, false)),
        }
    }
    let missing = |what: &str| {
        fail::<()>(
            node,
            format!("atom:entry needs an atom:{what} (R-4287-4.1.2-a)"),
        )
    };
    if mode == EntryMode::Document {
        if id.as_deref().is_none_or(str::is_empty) {
            missing("id")?;
        }
        if title.is_none() {
            missing("title")?;
        }
        if updated.is_none() {
            missing("updated")?;
        }
    }
    e.id = id.unwrap_or_default();
    e.title = title.unwrap_or_else(|| Text::plain(""));
    e.updated = updated.unwrap_or(OffsetDateTime::UNIX_EPOCH);
    e.published = published;
    e.edited = edited;
    e.summary = summary;
    e.rights = rights;
    e.content = content_value;
    e.source = source;
    e.format = format;
    e.control = control_value;
    e.lang = lang(node);
    e.attributes = extra_attributes(node, &[])
        .into_iter()
        .filter(|a| a.name != QName::new(ns::XML, "lang"))
        .collect();
    Ok(e)
}

fn parse_root<T>(
    bytes: &[u8],
    limits: &Limits,
    read: impl FnOnce(Node<'_, '_>) -> Result<T, XmlError>,
) -> Result<T, XmlError> {
    let text = xml::decode(bytes)?;
    let doc = xml::parse(&text, limits)?;
    read(doc.root_element())
}

/// Reads an Atom entry document.
///
/// # Errors
/// Any [`XmlError`] of the hardened parser, or `Unexpected` naming the element that breaks
/// an Atom rule, with its position.
pub fn read_entry(bytes: &[u8], mode: EntryMode, limits: &Limits) -> Result<Entry, XmlError> {
    parse_root(bytes, limits, |root| entry(root, mode))
}

/// Reads an Atom feed document.
///
/// # Errors
/// As [`read_entry`].
pub fn read_feed(bytes: &[u8], limits: &Limits) -> Result<Feed, XmlError> {
    parse_root(bytes, limits, |node| {
        if !is(node, ns::ATOM, "feed") {
            return fail(
                node,
                format!("expected an atom:feed, found {}", describe(node)),
            );
        }
        let (mut id, mut title, mut subtitle, mut updated, mut generator) =
            (None, None, None, None, None);
        let mut f = Feed::new("", Text::plain(""), OffsetDateTime::UNIX_EPOCH);
        for child in node.children().filter(Node::is_element) {
            match (child.tag_name().namespace(), child.tag_name().name()) {
                (Some(ns::ATOM), "id") => {
                    once(&mut id, child, only_text(child)?.trim().to_owned())?
                }
                (Some(ns::ATOM), "title") => once(&mut title, child, text_construct(child)?)?,
                (Some(ns::ATOM), "subtitle") => once(&mut subtitle, child, text_construct(child)?)?,
                (Some(ns::ATOM), "updated") => once(&mut updated, child, date(child)?)?,
                (Some(ns::ATOM), "generator") => once(
                    &mut generator,
                    child,
                    Generator {
                        name: only_text(child)?,
                        uri: attr(child, "uri"),
                        version: attr(child, "version"),
                    },
                )?,
                (Some(ns::ATOM), "author") => f.authors.push(person(child)?),
                (Some(ns::ATOM), "category") => f.categories.push(category(child)?),
                (Some(ns::ATOM), "link") => f.links.push(link(child)?),
                (Some(ns::ATOM), "entry") => f.entries.push(entry(child, EntryMode::Document)?),
                (Some(ns::ATOM), "contributor" | "icon" | "logo" | "rights") => {}
                (Some(ns::ATOM), other) => {
                    return fail(
                        child,
                        format!("atom:{other} is not an element of atom:feed"),
                    );
                }
                _ => f.extensions.push(XmlElement::from_node(child, false)),
            }
        }
        let (Some(id), Some(title), Some(updated)) = (id, title, updated) else {
            return fail(
                node,
                "atom:feed needs atom:id, atom:title and atom:updated (R-4287-4.1.1-a)",
            );
        };
        f.id = id;
        f.title = title;
        f.subtitle = subtitle;
        f.updated = updated;
        f.generator = generator;
        f.lang = lang(node);
        Ok(f)
    })
}

fn app_categories(node: Node<'_, '_>) -> Result<Categories, XmlError> {
    if let Some(href) = attr(node, "href") {
        if node.attribute("fixed").is_some()
            || node.attribute("scheme").is_some()
            || !is_empty(node)
        {
            return fail(
                node,
                "app:categories with href must be empty, without fixed or scheme (R-5023-7-b)",
            );
        }
        return Ok(Categories::OutOfLine { href });
    }
    let document = category_document(node)?;
    Ok(Categories::Inline {
        fixed: document.fixed,
        scheme: document.scheme,
        categories: document.categories,
    })
}

fn category_document(node: Node<'_, '_>) -> Result<CategoryDocument, XmlError> {
    let fixed = match node.attribute("fixed") {
        None => None,
        Some("yes") => Some(true),
        Some("no") => Some(false),
        Some(other) => return fail(node, format!("fixed must be yes or no, not \"{other}\"")),
    };
    let categories = node
        .children()
        .filter(|c| is(*c, ns::ATOM, "category"))
        .map(category)
        .collect::<Result<_, _>>()?;
    Ok(CategoryDocument {
        fixed,
        scheme: attr(node, "scheme"),
        categories,
    })
}

fn single_title(node: Node<'_, '_>) -> Result<Text, XmlError> {
    let mut title = None;
    for child in node.children().filter(|c| is(*c, ns::ATOM, "title")) {
        once(&mut title, child, text_construct(child)?)?;
    }
    match title {
        Some(t) => Ok(t),
        None => fail(
            node,
            format!(
                "{} needs exactly one atom:title (R-5023-8-b)",
                describe(node)
            ),
        ),
    }
}

/// Reads an AtomPub service document.
///
/// # Errors
/// As [`read_entry`].
pub fn read_service_document(bytes: &[u8], limits: &Limits) -> Result<ServiceDocument, XmlError> {
    parse_root(bytes, limits, |node| {
        if !is(node, ns::APP, "service") {
            return fail(
                node,
                format!("expected an app:service, found {}", describe(node)),
            );
        }
        let mut workspaces = Vec::new();
        for ws in node.children().filter(|c| is(*c, ns::APP, "workspace")) {
            let mut collections = Vec::new();
            for c in ws.children().filter(|c| is(*c, ns::APP, "collection")) {
                let last_change = c
                    .children()
                    .find(|a| is(*a, ns::SERVER, "last-change"))
                    .and_then(|a| crate::timestamp::parse(all_text(a).trim()).ok());
                collections.push(Collection {
                    last_change,
                    href: required_attr(c, "href")?,
                    title: single_title(c)?,
                    accept: c
                        .children()
                        .filter(|a| is(*a, ns::APP, "accept"))
                        .map(|a| all_text(a).trim().to_owned())
                        // An empty app:accept means "nothing" (RFC 5023 §8.3.4).
                        .filter(|a| !a.is_empty())
                        .collect(),
                    categories: c
                        .children()
                        .filter(|a| is(*a, ns::APP, "categories"))
                        .map(app_categories)
                        .collect::<Result<_, _>>()?,
                });
            }
            workspaces.push(Workspace {
                title: single_title(ws)?,
                collections,
            });
        }
        if workspaces.is_empty() {
            return fail(
                node,
                "app:service needs at least one app:workspace (R-5023-8-a)",
            );
        }
        Ok(ServiceDocument { workspaces })
    })
}

/// Reads an AtomPub category document.
///
/// # Errors
/// As [`read_entry`].
pub fn read_category_document(bytes: &[u8], limits: &Limits) -> Result<CategoryDocument, XmlError> {
    parse_root(bytes, limits, |node| {
        if !is(node, ns::APP, "categories") {
            return fail(
                node,
                format!("expected app:categories, found {}", describe(node)),
            );
        }
        category_document(node)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(xml: &str) -> Result<Entry, XmlError> {
        read_entry(xml.as_bytes(), EntryMode::Document, &Limits::default())
    }

    const MINIMAL: &str = r#"<entry xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id><title>t</title><updated>2024-01-01T00:00:00Z</updated></entry>"#;

    #[test]
    fn any_prefix_reads_the_same_entry() {
        let prefixed = r#"<a:entry xmlns:a="http://www.w3.org/2005/Atom"><a:id>urn:x</a:id><a:title>t</a:title><a:updated>2024-01-01T00:00:00Z</a:updated></a:entry>"#;
        assert_eq!(read(prefixed).unwrap(), read(MINIMAL).unwrap());
    }

    /// R-8322-6.1.2-f, R-8322-7.1-a, R-8322-7.4-b, R-4287-6-a: unknown markup is kept.
    #[test]
    fn unknown_links_categories_properties_and_elements_are_kept() {
        let xml = r#"<entry xmlns="http://www.w3.org/2005/Atom" xmlns:r="urn:ietf:params:xml:ns:rolie-1.0" xmlns:ex="urn:example">
          <id>urn:x</id><title>t</title><updated>2024-01-01T00:00:00Z</updated>
          <link rel="urn:example:rel" href="https://e/x" ex:flag="1"/>
          <category scheme="urn:example:x" term="y"/>
          <r:property name="urn:ietf:params:rolie:property:local:thing" value="v"/>
          <ex:custom a="b">inner <ex:deep/></ex:custom>
        </entry>"#;
        let e = read(xml).unwrap();
        assert_eq!(e.links[0].rel.as_deref(), Some("urn:example:rel"));
        assert_eq!(e.links[0].extra[0].name, QName::new("urn:example", "flag"));
        assert!(e.categories[0].is("urn:example:x", "y"));
        assert_eq!(e.properties[0].value, "v");
        assert_eq!(e.extensions[0].name, QName::new("urn:example", "custom"));
        let again = read_entry(&e.to_xml(), EntryMode::Document, &Limits::default()).unwrap();
        assert_eq!(again, e);
    }

    /// R-4287-4.1.2-a
    #[test]
    fn a_second_title_is_refused() {
        let xml = MINIMAL.replace("<title>t</title>", "<title>t</title><title>u</title>");
        let err = read(&xml).unwrap_err();
        assert!(
            err.to_string().contains("more than one atom:title"),
            "{err}"
        );
    }

    #[test]
    fn submissions_may_leave_id_and_updated_to_the_server() {
        let xml = r#"<entry xmlns="http://www.w3.org/2005/Atom"><title>t</title></entry>"#;
        assert!(read(xml).is_err());
        let e = read_entry(xml.as_bytes(), EntryMode::Submission, &Limits::default()).unwrap();
        assert_eq!(e.id, "");
    }

    #[test]
    fn inline_xml_content_is_kept_as_a_standalone_element() {
        let xml = MINIMAL.replace(
            "</entry>",
            r#"<content type="application/xml"><i:IODEF-Document xmlns:i="urn:ietf:params:xml:ns:iodef-2.0"/></content></entry>"#,
        );
        match read(&xml).unwrap().content {
            Some(Content::Xml { element, .. }) => {
                assert_eq!(element.name, QName::new(ns::IODEF_2, "IODEF-Document"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    /// R-8322-6.2.1-b
    #[test]
    fn out_of_line_content_must_be_empty() {
        let xml = MINIMAL.replace(
            "</entry>",
            r#"<content type="application/xml" src="https://x/">text</content></entry>"#,
        );
        assert!(read(&xml).is_err());
    }

    #[test]
    fn the_rolie_namespace_typo_is_read_as_rolie() {
        let xml = MINIMAL.replace(
            "</entry>",
            r#"<format xmlns="urn:ietf:params:xml:ns:rolie:1.0" ns="urn:ietf:params:xml:ns:iodef-2.0"/></entry>"#,
        );
        assert_eq!(read(&xml).unwrap().format.unwrap().ns, ns::IODEF_2);
    }

    #[test]
    fn errors_name_the_line() {
        let xml = "<entry xmlns=\"http://www.w3.org/2005/Atom\">\n<id>urn:x</id><title>t</title>\n<updated>yesterday</updated></entry>";
        let err = read(xml).unwrap_err();
        assert_eq!(err.position.map(|p| p.line), Some(3), "{err}");
    }

    #[test]
    fn a_feed_is_not_an_entry() {
        let err = read(r#"<feed xmlns="http://www.w3.org/2005/Atom"/>"#).unwrap_err();
        assert!(err.to_string().contains("expected an atom:entry"));
    }
}
