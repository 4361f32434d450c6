//! Writes feeds, entries, service and category documents as XML.
//!
//! Namespaces are declared once at the document root (Atom as default, `app`, `rolie`);
//! every value goes through the escaping writer; dates are RFC 3339 with a zone.

use crate::atom::{Category, Content, Link, Person, Text};
use crate::entry::Entry;
use crate::feed::Feed;
use crate::service::{Categories, CategoryDocument, ServiceDocument};
use crate::timestamp;
use crate::vocabulary::ns;
use crate::xml::{Tag, XmlWriter};

const APP: Option<&str> = Some("app");
const ROLIE: Option<&str> = Some("rolie");

fn text(w: &mut XmlWriter, namespace: &str, prefix: Option<&str>, local: &str, value: &Text) {
    match value {
        Text::Plain(s) => w.text_element(Tag::new(namespace, prefix, local), s),
        Text::Html(s) => w.text_element(Tag::new(namespace, prefix, local).attr("type", "html"), s),
        Text::Xhtml(div) => {
            w.start(Tag::new(namespace, prefix, local).attr("type", "xhtml"));
            w.element(div);
            w.end();
        }
    }
}

fn date(
    w: &mut XmlWriter,
    namespace: &str,
    prefix: Option<&str>,
    local: &str,
    at: time::OffsetDateTime,
) {
    w.text_element(Tag::new(namespace, prefix, local), &timestamp::format(at));
}

fn person(w: &mut XmlWriter, local: &str, p: &Person) {
    w.start(Tag::new(ns::ATOM, None, local));
    w.text_element(Tag::new(ns::ATOM, None, "name"), &p.name);
    if let Some(uri) = &p.uri {
        w.text_element(Tag::new(ns::ATOM, None, "uri"), uri);
    }
    if let Some(email) = &p.email {
        w.text_element(Tag::new(ns::ATOM, None, "email"), email);
    }
    w.end();
}

fn link(w: &mut XmlWriter, l: &Link) {
    let tag = Tag::new(ns::ATOM, None, "link")
        .opt_attr("rel", l.rel.as_deref())
        .attr("href", l.href.as_str())
        .opt_attr("type", l.media_type.as_deref())
        .opt_attr("hreflang", l.hreflang.as_deref())
        .opt_attr("title", l.title.as_deref())
        .opt_attr("length", l.length.as_deref());
    w.empty(tag.attrs(&l.extra));
}

fn category(w: &mut XmlWriter, c: &Category) {
    let tag = Tag::new(ns::ATOM, None, "category")
        .attr("term", c.term.as_str())
        .opt_attr("scheme", c.scheme.as_deref())
        .opt_attr("label", c.label.as_deref());
    w.empty(tag.attrs(&c.extra));
}

fn content(w: &mut XmlWriter, c: &Content) {
    let tag = Tag::new(ns::ATOM, None, "content");
    match c {
        Content::OutOfLine { media_type, src } => {
            w.empty(
                tag.opt_attr("type", media_type.as_deref())
                    .attr("src", src.as_str()),
            );
        }
        Content::Text(value) => text(w, ns::ATOM, None, "content", value),
        Content::Xml {
            media_type,
            element,
        } => {
            w.start(tag.attr("type", media_type.as_str()));
            w.element(element);
            w.end();
        }
        Content::Other { media_type, value } => {
            w.text_element(tag.attr("type", media_type.as_str()), value);
        }
    }
}

/// The root tag of a document in the Atom namespace, declaring `app` and `rolie` once.
fn atom_root<'a>(local: &'a str, lang: Option<&'a str>) -> Tag<'a> {
    let tag = Tag::new(ns::ATOM, None, local)
        .declare(None, ns::ATOM)
        .declare(APP, ns::APP)
        .declare(ROLIE, ns::ROLIE);
    match lang {
        Some(lang) => tag.attr_ns(ns::XML, Some("xml"), "lang", lang),
        None => tag,
    }
}

fn entry_body(w: &mut XmlWriter, e: &Entry, root: Tag<'_>) {
    w.start(root.attrs(&e.attributes));
    w.text_element(Tag::new(ns::ATOM, None, "id"), &e.id);
    text(w, ns::ATOM, None, "title", &e.title);
    if let Some(summary) = &e.summary {
        text(w, ns::ATOM, None, "summary", summary);
    }
    if let Some(published) = e.published {
        date(w, ns::ATOM, None, "published", published);
    }
    date(w, ns::ATOM, None, "updated", e.updated);
    if let Some(edited) = e.edited {
        date(w, ns::APP, APP, "edited", edited);
    }
    if let Some(control) = &e.control {
        w.start(Tag::new(ns::APP, APP, "control"));
        w.text_element(
            Tag::new(ns::APP, APP, "draft"),
            if control.draft { "yes" } else { "no" },
        );
        for extension in &control.extensions {
            w.element(extension);
        }
        w.end();
    }
    for author in &e.authors {
        person(w, "author", author);
    }
    for contributor in &e.contributors {
        person(w, "contributor", contributor);
    }
    for c in &e.categories {
        category(w, c);
    }
    for l in &e.links {
        link(w, l);
    }
    if let Some(format) = &e.format {
        w.empty(
            Tag::new(ns::ROLIE, ROLIE, "format")
                .attr("ns", format.ns.as_str())
                .opt_attr("version", format.version.as_deref())
                .opt_attr("schema-location", format.schema_location.as_deref())
                .opt_attr("schema-type", format.schema_type.as_deref()),
        );
    }
    for property in &e.properties {
        w.empty(
            Tag::new(ns::ROLIE, ROLIE, "property")
                .attr("name", property.name.as_str())
                .attr("value", property.value.as_str()),
        );
    }
    if let Some(rights) = &e.rights {
        text(w, ns::ATOM, None, "rights", rights);
    }
    if let Some(source) = &e.source {
        w.element(source);
    }
    for extension in &e.extensions {
        w.element(extension);
    }
    if let Some(c) = &e.content {
        content(w, c);
    }
    w.end();
}

impl Entry {
    /// The entry as a standalone Atom entry document.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut w = XmlWriter::new(true);
        entry_body(&mut w, self, atom_root("entry", self.lang.as_deref()));
        w.finish()
    }
}

impl Feed {
    /// The feed as an Atom feed document.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut w = XmlWriter::new(true);
        w.start(atom_root("feed", self.lang.as_deref()));
        w.text_element(Tag::new(ns::ATOM, None, "id"), &self.id);
        text(&mut w, ns::ATOM, None, "title", &self.title);
        if let Some(subtitle) = &self.subtitle {
            text(&mut w, ns::ATOM, None, "subtitle", subtitle);
        }
        date(&mut w, ns::ATOM, None, "updated", self.updated);
        for author in &self.authors {
            person(&mut w, "author", author);
        }
        if let Some(g) = &self.generator {
            w.text_element(
                Tag::new(ns::ATOM, None, "generator")
                    .opt_attr("uri", g.uri.as_deref())
                    .opt_attr("version", g.version.as_deref()),
                &g.name,
            );
        }
        for c in &self.categories {
            category(&mut w, c);
        }
        for l in &self.links {
            link(&mut w, l);
        }
        for extension in &self.extensions {
            w.element(extension);
        }
        for entry in &self.entries {
            let root = match entry.lang.as_deref() {
                Some(lang) => {
                    Tag::new(ns::ATOM, None, "entry").attr_ns(ns::XML, Some("xml"), "lang", lang)
                }
                None => Tag::new(ns::ATOM, None, "entry"),
            };
            entry_body(&mut w, entry, root);
        }
        w.end();
        w.finish()
    }
}

fn categories_tag(fixed: Option<bool>, scheme: Option<&str>) -> Tag<'_> {
    Tag::new(ns::APP, APP, "categories")
        .opt_attr("fixed", fixed.map(|f| if f { "yes" } else { "no" }))
        .opt_attr("scheme", scheme)
}

impl ServiceDocument {
    /// The service document as XML.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut w = XmlWriter::new(true);
        w.start(
            Tag::new(ns::APP, None, "service")
                .declare(None, ns::APP)
                .declare(Some("atom"), ns::ATOM),
        );
        for workspace in &self.workspaces {
            w.start(Tag::new(ns::APP, None, "workspace"));
            text(&mut w, ns::ATOM, Some("atom"), "title", &workspace.title);
            for collection in &workspace.collections {
                w.start(
                    Tag::new(ns::APP, None, "collection").attr("href", collection.href.as_str()),
                );
                text(&mut w, ns::ATOM, Some("atom"), "title", &collection.title);
                for accept in &collection.accept {
                    w.text_element(Tag::new(ns::APP, None, "accept"), accept);
                }
                if collection.accept.is_empty() {
                    // RFC 5023 §8.3.4: an empty app:accept says nothing may be posted;
                    // leaving the element out would mean "Atom entries".
                    w.text_element(Tag::new(ns::APP, None, "accept"), "");
                }
                for categories in &collection.categories {
                    match categories {
                        Categories::Inline {
                            fixed,
                            scheme,
                            categories,
                        } => {
                            w.start(categories_tag(*fixed, scheme.as_deref()));
                            for c in categories {
                                category(&mut w, c);
                            }
                            w.end();
                        }
                        Categories::OutOfLine { href } => {
                            w.empty(
                                Tag::new(ns::APP, None, "categories").attr("href", href.as_str()),
                            );
                        }
                    }
                }
                if let Some(at) = collection.last_change {
                    w.text_element(
                        Tag::new(ns::SERVER, Some("rs"), "last-change")
                            .declare(Some("rs"), ns::SERVER),
                        &crate::timestamp::format(at),
                    );
                }
                w.end();
            }
            w.end();
        }
        w.end();
        w.finish()
    }
}

impl CategoryDocument {
    /// The category document as XML.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut w = XmlWriter::new(true);
        w.start(
            categories_tag(self.fixed, self.scheme.as_deref())
                .declare(APP, ns::APP)
                .declare(Some("atom"), ns::ATOM),
        );
        for c in &self.categories {
            category(&mut w, c);
        }
        w.end();
        w.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entry::{RolieFormat, RolieProperty};
    use time::macros::datetime;

    #[test]
    fn entries_declare_atom_app_and_rolie_once_at_the_root() {
        let mut e = Entry::new(
            "urn:uuid:1",
            Text::plain("t"),
            datetime!(2024-01-01 0:00 UTC),
        );
        e.edited = Some(datetime!(2024-01-01 0:00 UTC));
        e.format = Some(RolieFormat {
            ns: ns::IODEF_2.into(),
            version: Some("2.0".into()),
            schema_location: None,
            schema_type: None,
        });
        e.properties.push(RolieProperty::new("urn:x", "a&b\"c"));
        let xml = String::from_utf8(e.to_xml()).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<entry xmlns=\"http://www.w3.org/2005/Atom\" xmlns:app=\"http://www.w3.org/2007/app\" xmlns:rolie=\"urn:ietf:params:xml:ns:rolie-1.0\">"), "{xml}");
        assert!(
            xml.contains("<app:edited>2024-01-01T00:00:00Z</app:edited>"),
            "{xml}"
        );
        assert!(
            xml.contains("<rolie:property name=\"urn:x\" value=\"a&amp;b&quot;c\"/>"),
            "{xml}"
        );
        assert_eq!(xml.matches("xmlns:rolie").count(), 1);
    }

    #[test]
    fn out_of_line_categories_are_empty() {
        let doc = ServiceDocument {
            workspaces: vec![crate::service::Workspace {
                title: Text::plain("w"),
                collections: vec![crate::service::Collection {
                    last_change: None,
                    href: "https://x/c".into(),
                    title: Text::plain("c"),
                    accept: vec![],
                    categories: vec![Categories::OutOfLine {
                        href: "https://x/cat".into(),
                    }],
                }],
            }],
        };
        let xml = String::from_utf8(doc.to_xml()).unwrap();
        assert!(
            xml.contains("<categories href=\"https://x/cat\"/>"),
            "{xml}"
        );
    }
}
