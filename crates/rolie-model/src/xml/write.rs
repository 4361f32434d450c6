//! A namespace-tracking writer over quick-xml.
//!
//! Every element and attribute is given by expanded name plus a preferred prefix; the writer
//! reuses a binding already in scope or declares one, so foreign markup kept from a client
//! is written back correctly whatever prefixes the surrounding document uses. Structural
//! elements are indented for people reading feeds; kept subtrees are written byte-faithful
//! without added whitespace, since whitespace inside them may be content.

use std::borrow::Cow;

use quick_xml::events::attributes::Attribute;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
use quick_xml::name::QName as RawName;

use super::escape::{escape_attribute, escape_text};
use super::{XmlElement, XmlNode};
use crate::vocabulary::ns;

/// An attribute to write: namespace, preferred prefix, local name, value.
struct PendingAttribute<'a> {
    namespace: Option<&'a str>,
    prefix: Option<&'a str>,
    local: &'a str,
    value: Cow<'a, str>,
}

/// A start tag under construction. Build with [`Tag::new`] and the `attr*` methods.
pub struct Tag<'a> {
    namespace: Option<&'a str>,
    prefix: Option<&'a str>,
    local: &'a str,
    attributes: Vec<PendingAttribute<'a>>,
    declarations: Vec<(Option<&'a str>, &'a str)>,
}

impl<'a> Tag<'a> {
    /// An element `{namespace}local`, preferably written with `prefix` (`None`: default
    /// namespace).
    pub fn new(namespace: &'a str, prefix: Option<&'a str>, local: &'a str) -> Self {
        Tag {
            namespace: Some(namespace),
            prefix,
            local,
            attributes: Vec::new(),
            declarations: Vec::new(),
        }
    }

    /// An element in no namespace.
    pub fn unqualified(local: &'a str) -> Self {
        Tag {
            namespace: None,
            prefix: None,
            local,
            attributes: Vec::new(),
            declarations: Vec::new(),
        }
    }

    /// Adds an attribute in no namespace.
    pub fn attr(mut self, local: &'a str, value: impl Into<Cow<'a, str>>) -> Self {
        self.attributes.push(PendingAttribute {
            namespace: None,
            prefix: None,
            local,
            value: value.into(),
        });
        self
    }

    /// Adds an attribute in no namespace when `value` is present.
    pub fn opt_attr(self, local: &'a str, value: Option<&'a str>) -> Self {
        match value {
            Some(v) => self.attr(local, v),
            None => self,
        }
    }

    /// Adds a namespaced attribute.
    pub fn attr_ns(
        mut self,
        namespace: &'a str,
        prefix: Option<&'a str>,
        local: &'a str,
        value: impl Into<Cow<'a, str>>,
    ) -> Self {
        self.attributes.push(PendingAttribute {
            namespace: Some(namespace),
            prefix,
            local,
            value: value.into(),
        });
        self
    }

    /// Adds kept attributes (namespaced or not) as they were read.
    pub fn attrs(mut self, attributes: &'a [super::XmlAttribute]) -> Self {
        for attribute in attributes {
            self = match &attribute.name.namespace {
                Some(uri) => self.attr_ns(
                    uri,
                    attribute.prefix.as_deref(),
                    &attribute.name.local,
                    attribute.value.as_str(),
                ),
                None => self.attr(&attribute.name.local, attribute.value.as_str()),
            };
        }
        self
    }

    /// Declares `prefix` (or the default namespace) on this element even if unused here,
    /// so that children and kept markup find it in scope.
    pub fn declare(mut self, prefix: Option<&'a str>, uri: &'a str) -> Self {
        self.declarations.push((prefix, uri));
        self
    }
}

struct Frame {
    qname: String,
    declarations: Vec<(Option<String>, String)>,
    has_child_elements: bool,
    verbatim: bool,
}

/// Writes one XML document into memory.
pub struct XmlWriter {
    inner: quick_xml::Writer<Vec<u8>>,
    frames: Vec<Frame>,
    pretty: bool,
}

impl XmlWriter {
    /// Starts a UTF-8 document with its XML declaration.
    pub fn new(pretty: bool) -> Self {
        let mut inner = quick_xml::Writer::new(Vec::with_capacity(4096));
        inner
            .write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))
            .expect("writing to memory cannot fail");
        XmlWriter {
            inner,
            frames: Vec::new(),
            pretty,
        }
    }

    fn write(&mut self, event: Event<'_>) {
        self.inner
            .write_event(event)
            .expect("writing to memory cannot fail");
    }

    fn indent(&mut self, depth: usize) {
        if self.pretty && !self.frames.last().is_some_and(|f| f.verbatim) {
            let mut s = String::with_capacity(1 + 2 * depth);
            s.push('\n');
            for _ in 0..depth {
                s.push_str("  ");
            }
            self.write(Event::Text(BytesText::from_escaped(s)));
        }
    }

    /// The URI bound to `prefix` (`None`: default namespace) by `pending` or an open element.
    fn lookup(&self, pending: &[(Option<String>, String)], prefix: Option<&str>) -> Option<String> {
        if prefix == Some("xml") {
            return Some(ns::XML.to_owned());
        }
        let hit = |decls: &[(Option<String>, String)]| {
            decls
                .iter()
                .rev()
                .find(|(p, _)| p.as_deref() == prefix)
                .map(|(_, u)| u.clone())
        };
        hit(pending).or_else(|| self.frames.iter().rev().find_map(|f| hit(&f.declarations)))
    }

    /// A prefix (not the default namespace) currently bound to `uri`, preferring `hint`.
    fn prefix_for(
        &self,
        pending: &[(Option<String>, String)],
        uri: &str,
        hint: Option<&str>,
        allow_default: bool,
    ) -> Option<Option<String>> {
        if uri == ns::XML {
            return Some(Some("xml".to_owned()));
        }
        if self.lookup(pending, hint).as_deref() == Some(uri) && (hint.is_some() || allow_default) {
            return Some(hint.map(str::to_owned));
        }
        let candidates = pending.iter().rev().chain(
            self.frames
                .iter()
                .rev()
                .flat_map(|f| f.declarations.iter().rev()),
        );
        for (p, u) in candidates {
            if u == uri
                && (p.is_some() || allow_default)
                && self.lookup(pending, p.as_deref()).as_deref() == Some(uri)
            {
                return Some(p.clone());
            }
        }
        None
    }

    /// Finds or declares a binding for `uri`; returns the prefix to use.
    fn bind(
        &self,
        pending: &mut Vec<(Option<String>, String)>,
        used: &[Option<String>],
        uri: &str,
        hint: Option<&str>,
        allow_default: bool,
    ) -> Option<String> {
        if let Some(prefix) = self.prefix_for(pending, uri, hint, allow_default) {
            return prefix;
        }
        let declared_here = |p: &Option<String>| pending.iter().any(|(q, _)| q == p);
        let free = |p: &Option<String>| !declared_here(p) && !used.contains(p);
        let wanted = hint.map(str::to_owned);
        if (wanted.is_some() || allow_default) && wanted.as_deref() != Some("xml") && free(&wanted)
        {
            pending.push((wanted.clone(), uri.to_owned()));
            return wanted;
        }
        let mut n = 1;
        loop {
            let generated = Some(format!("ns{n}"));
            if free(&generated) && self.lookup(pending, generated.as_deref()).is_none() {
                pending.push((generated.clone(), uri.to_owned()));
                return generated;
            }
            n += 1;
        }
    }

    fn open(&mut self, tag: Tag<'_>) -> (BytesStart<'static>, Frame) {
        let mut pending: Vec<(Option<String>, String)> = tag
            .declarations
            .iter()
            .map(|(p, u)| (p.map(str::to_owned), (*u).to_owned()))
            .collect();
        let mut used: Vec<Option<String>> = Vec::new();
        let element_prefix = match tag.namespace {
            None => {
                if self.lookup(&pending, None).is_some_and(|u| !u.is_empty()) {
                    pending.push((None, String::new()));
                }
                None
            }
            Some(uri) => {
                let before = pending.len();
                let prefix = self.bind(&mut pending, &used, uri, tag.prefix, true);
                // The element's own binding reads best first.
                if pending.len() > before {
                    pending.rotate_right(1);
                }
                prefix
            }
        };
        used.push(element_prefix.clone());
        let qname = qualify(element_prefix.as_deref(), tag.local);
        let mut attributes: Vec<(String, Cow<'_, str>)> = Vec::new();
        for attribute in &tag.attributes {
            let name = match attribute.namespace {
                None => attribute.local.to_owned(),
                Some(uri) => {
                    let prefix = self.bind(&mut pending, &used, uri, attribute.prefix, false);
                    used.push(prefix.clone());
                    qualify(prefix.as_deref(), attribute.local)
                }
            };
            attributes.push((name, escape_attribute(&attribute.value)));
        }
        let mut start = BytesStart::new(qname.clone());
        for (prefix, uri) in &pending {
            let key = match prefix {
                Some(p) => format!("xmlns:{p}"),
                None => "xmlns".to_owned(),
            };
            start.push_attribute(Attribute {
                key: RawName(&key),
                value: escape_attribute(uri),
            });
        }
        for (name, value) in attributes {
            start.push_attribute(Attribute {
                key: RawName(&name),
                value,
            });
        }
        let frame = Frame {
            qname,
            declarations: pending,
            has_child_elements: false,
            verbatim: false,
        };
        (start, frame)
    }

    fn before_child_element(&mut self) {
        let depth = self.frames.len();
        if let Some(parent) = self.frames.last_mut() {
            parent.has_child_elements = true;
        }
        if depth > 0 {
            self.indent(depth);
        } else if self.pretty {
            self.write(Event::Text(BytesText::from_escaped("\n")));
        }
    }

    /// Opens an element; close it with [`XmlWriter::end`].
    pub fn start(&mut self, tag: Tag<'_>) {
        self.before_child_element();
        let verbatim = self.frames.last().is_some_and(|f| f.verbatim);
        let (start, mut frame) = self.open(tag);
        frame.verbatim = verbatim;
        self.write(Event::Start(start));
        self.frames.push(frame);
    }

    /// Closes the innermost open element.
    pub fn end(&mut self) {
        let Some(frame) = self.frames.pop() else {
            return;
        };
        if frame.has_child_elements && !frame.verbatim {
            self.indent(self.frames.len());
        }
        self.write(Event::End(BytesEnd::new(frame.qname)));
    }

    /// Writes an element without content.
    pub fn empty(&mut self, tag: Tag<'_>) {
        self.before_child_element();
        let (start, _) = self.open(tag);
        self.write(Event::Empty(start));
    }

    /// Writes an element holding only `text`.
    pub fn text_element(&mut self, tag: Tag<'_>, text: &str) {
        self.before_child_element();
        let (start, frame) = self.open(tag);
        self.write(Event::Start(start));
        self.frames.push(frame);
        self.text(text);
        let frame = self.frames.pop().expect("pushed above");
        self.write(Event::End(BytesEnd::new(frame.qname)));
    }

    /// Writes character data, escaped.
    pub fn text(&mut self, text: &str) {
        if !text.is_empty() {
            self.write(Event::Text(BytesText::from_escaped(escape_text(text))));
        }
    }

    /// Writes a kept element and its subtree as it was read, without added whitespace.
    pub fn element(&mut self, element: &XmlElement) {
        self.before_child_element();
        let mut tag = match &element.name.namespace {
            Some(uri) => Tag::new(uri, element.prefix.as_deref(), &element.name.local),
            None => Tag::unqualified(&element.name.local),
        };
        for (prefix, uri) in &element.namespaces {
            let clashes = prefix.is_none() && element.name.namespace.is_none();
            if !clashes {
                tag = tag.declare(prefix.as_deref(), uri);
            }
        }
        let tag = tag.attrs(&element.attributes);
        if element.children.is_empty() {
            let (start, _) = self.open(tag);
            self.write(Event::Empty(start));
            return;
        }
        let (start, mut frame) = self.open(tag);
        frame.verbatim = true;
        self.write(Event::Start(start));
        self.frames.push(frame);
        for child in &element.children {
            match child {
                XmlNode::Element(e) => self.element(e),
                XmlNode::Text(t) => self.text(t),
            }
        }
        let frame = self.frames.pop().expect("pushed above");
        self.write(Event::End(BytesEnd::new(frame.qname)));
    }

    /// Finishes the document and returns its bytes.
    pub fn finish(mut self) -> Vec<u8> {
        while !self.frames.is_empty() {
            self.end();
        }
        if self.pretty {
            self.write(Event::Text(BytesText::from_escaped("\n")));
        }
        self.inner.into_inner()
    }
}

fn qualify(prefix: Option<&str>, local: &str) -> String {
    match prefix {
        Some(p) => format!("{p}:{local}"),
        None => local.to_owned(),
    }
}

/// Serialises a kept element as a standalone UTF-8 document.
pub fn element_document(element: &XmlElement) -> Vec<u8> {
    let mut writer = XmlWriter::new(false);
    writer.element(element);
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{Limits, QName, parse};

    fn reparse(bytes: &[u8]) -> XmlElement {
        let text = std::str::from_utf8(bytes).unwrap();
        let doc = parse(text, &Limits::default()).unwrap();
        XmlElement::from_node(doc.root_element(), true)
    }

    #[test]
    fn declares_each_namespace_once_and_reuses_bindings() {
        let mut w = XmlWriter::new(false);
        w.start(Tag::new("urn:a", None, "root").declare(Some("b"), "urn:b"));
        w.empty(Tag::new("urn:b", Some("b"), "x").attr_ns("urn:b", Some("b"), "k", "v"));
        w.empty(Tag::new("urn:c", Some("c"), "y"));
        w.end();
        let out = String::from_utf8(w.finish()).unwrap();
        assert_eq!(
            out,
            r#"<?xml version="1.0" encoding="UTF-8"?><root xmlns="urn:a" xmlns:b="urn:b"><b:x b:k="v"/><c:y xmlns:c="urn:c"/></root>"#
        );
    }

    #[test]
    fn a_prefix_bound_elsewhere_is_not_hijacked() {
        let mut w = XmlWriter::new(false);
        w.start(Tag::new("urn:a", Some("p"), "root"));
        w.empty(Tag::new("urn:b", Some("p"), "x").attr_ns("urn:c", Some("p"), "k", "v"));
        w.end();
        let kept = reparse(&w.finish());
        let x = kept.elements().next().unwrap();
        assert_eq!(x.name, QName::new("urn:b", "x"));
        assert_eq!(x.attribute(&QName::new("urn:c", "k")), Some("v"));
    }

    #[test]
    fn no_namespace_child_of_default_namespace_undeclares_it() {
        let mut w = XmlWriter::new(false);
        w.start(Tag::new("urn:a", None, "root"));
        w.empty(Tag::unqualified("plain"));
        w.end();
        let kept = reparse(&w.finish());
        assert_eq!(kept.elements().next().unwrap().name, QName::local("plain"));
    }

    #[test]
    fn kept_elements_round_trip_with_mixed_content_untouched() {
        let source = "<x:a xmlns:x=\"urn:x\" xmlns:q=\"urn:q\" q:t=\"1&amp;2\">  text <x:b>\r\n</x:b> &lt;tail&gt; </x:a>";
        let doc = parse(source, &Limits::default()).unwrap();
        let kept = XmlElement::from_node(doc.root_element(), true);
        let mut w = XmlWriter::new(true);
        w.start(Tag::new(ns::ATOM, None, "wrapper"));
        w.element(&kept);
        w.end();
        let out = w.finish();
        let wrapper = reparse(&out);
        assert_eq!(wrapper.elements().next().unwrap(), &kept);
    }

    #[test]
    fn values_are_escaped() {
        let mut w = XmlWriter::new(false);
        w.text_element(Tag::new("urn:a", None, "t").attr("v", "\"<&>\n"), "<&>");
        let out = String::from_utf8(w.finish()).unwrap();
        assert!(
            out.ends_with(r#"<t xmlns="urn:a" v="&quot;&lt;&amp;&gt;&#10;">&lt;&amp;&gt;</t>"#),
            "{out}"
        );
    }
}
