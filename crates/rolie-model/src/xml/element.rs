//! An owned XML tree for markup we keep but do not interpret: foreign extension elements in
//! Atom entries (R-4287-6-a, R-8322-6.2.4-c) and inline documents taken out of `atom:content`.

use std::fmt;

/// An expanded name: namespace URI and local name. Prefixes are not part of the identity.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct QName {
    /// Namespace URI, `None` for names in no namespace.
    pub namespace: Option<String>,
    /// Local part of the name.
    pub local: String,
}

impl QName {
    /// A name in namespace `namespace`.
    pub fn new(namespace: &str, local: &str) -> Self {
        QName {
            namespace: Some(namespace.to_owned()),
            local: local.to_owned(),
        }
    }

    /// A name in no namespace.
    pub fn local(local: &str) -> Self {
        QName {
            namespace: None,
            local: local.to_owned(),
        }
    }

    /// Whether this is `{namespace}local`.
    pub fn is(&self, namespace: &str, local: &str) -> bool {
        self.namespace.as_deref() == Some(namespace) && self.local == local
    }
}

impl fmt::Display for QName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{{{ns}}}{}", self.local),
            None => f.write_str(&self.local),
        }
    }
}

/// An attribute of a kept element.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct XmlAttribute {
    /// Expanded name.
    pub name: QName,
    /// Prefix it was written with, reused when writing it back if still free.
    pub prefix: Option<String>,
    /// Value after entity and whitespace normalisation.
    pub value: String,
}

impl PartialEq for XmlAttribute {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name && self.value == other.value
    }
}
impl Eq for XmlAttribute {}

/// A child of a kept element.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum XmlNode {
    /// A nested element.
    Element(XmlElement),
    /// Character data (CDATA sections included, comments and processing instructions dropped).
    Text(String),
}

/// An element we keep verbatim and write back unchanged.
///
/// Equality compares the XML information that matters (expanded names, attribute values,
/// children) and ignores prefixes and where namespaces were declared, as XML does.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct XmlElement {
    /// Expanded name.
    pub name: QName,
    /// Prefix it was written with.
    pub prefix: Option<String>,
    /// Namespace declarations made on this element (prefix, URI), re-emitted on writing so
    /// that prefixes used inside attribute values or text stay bound.
    pub namespaces: Vec<(Option<String>, String)>,
    /// Attributes, namespace declarations excluded.
    pub attributes: Vec<XmlAttribute>,
    /// Children in document order.
    pub children: Vec<XmlNode>,
}

impl PartialEq for XmlElement {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
            && self.attributes == other.attributes
            && self.children == other.children
    }
}
impl Eq for XmlElement {}

impl XmlElement {
    /// An empty element named `name`.
    pub fn new(name: QName) -> Self {
        XmlElement {
            name,
            prefix: None,
            namespaces: Vec::new(),
            attributes: Vec::new(),
            children: Vec::new(),
        }
    }

    /// An empty element `prefix:local` in `namespace` that declares that prefix itself, so it
    /// can go anywhere in a document (an extension element of a feed or an entry).
    pub fn declared(namespace: &str, prefix: &str, local: &str) -> Self {
        let mut element = XmlElement::new(QName::new(namespace, local));
        element.prefix = Some(prefix.to_owned());
        element.namespaces = vec![(Some(prefix.to_owned()), namespace.to_owned())];
        element
    }

    /// Copies a parsed element and its subtree.
    ///
    /// With `standalone`, every namespace in scope is declared on the copy, so it can be
    /// written as a document of its own (an inline IODEF document taken out of an entry).
    /// Recursion is bounded by the depth limit the parser already enforced.
    pub fn from_node(node: roxmltree::Node<'_, '_>, standalone: bool) -> Self {
        let source = node.document().input_text();
        let parent_ns: Vec<(Option<&str>, &str)> = match node.parent_element() {
            Some(parent) if !standalone => {
                parent.namespaces().map(|n| (n.name(), n.uri())).collect()
            }
            _ => Vec::new(),
        };
        let namespaces = node
            .namespaces()
            .filter(|n| n.name() != Some("xml"))
            .filter(|n| !parent_ns.contains(&(n.name(), n.uri())))
            .map(|n| (n.name().map(str::to_owned), n.uri().to_owned()))
            .collect();
        let attributes = node
            .attributes()
            .map(|a| XmlAttribute {
                name: QName {
                    namespace: non_empty(a.namespace()),
                    local: a.name().to_owned(),
                },
                prefix: prefix_of(source.get(a.range_qname()).unwrap_or("")),
                value: a.value().to_owned(),
            })
            .collect();
        let mut children: Vec<XmlNode> = Vec::new();
        for child in node.children() {
            if child.is_element() {
                children.push(XmlNode::Element(XmlElement::from_node(child, false)));
            } else if let Some(text) = child.text().filter(|_| child.is_text()) {
                if let Some(XmlNode::Text(previous)) = children.last_mut() {
                    previous.push_str(text);
                } else {
                    children.push(XmlNode::Text(text.to_owned()));
                }
            }
        }
        XmlElement {
            name: QName {
                namespace: non_empty(node.tag_name().namespace()),
                local: node.tag_name().name().to_owned(),
            },
            prefix: element_prefix(source, node),
            namespaces,
            attributes,
            children,
        }
    }

    /// The value of the attribute `name`.
    pub fn attribute(&self, name: &QName) -> Option<&str> {
        self.attributes
            .iter()
            .find(|a| &a.name == name)
            .map(|a| a.value.as_str())
    }

    /// Child elements in document order.
    pub fn elements(&self) -> impl Iterator<Item = &XmlElement> {
        self.children.iter().filter_map(|c| match c {
            XmlNode::Element(e) => Some(e),
            XmlNode::Text(_) => None,
        })
    }

    /// All character data directly inside this element.
    pub fn text(&self) -> String {
        self.children
            .iter()
            .filter_map(|c| match c {
                XmlNode::Text(t) => Some(t.as_str()),
                XmlNode::Element(_) => None,
            })
            .collect()
    }
}

/// roxmltree reports an undeclared default namespace (`xmlns=""`) as `Some("")`.
fn non_empty(namespace: Option<&str>) -> Option<String> {
    namespace.filter(|n| !n.is_empty()).map(str::to_owned)
}

/// The prefix of a qualified name as written (`iodef:Incident` → `iodef`).
fn prefix_of(qname: &str) -> Option<String> {
    qname.split_once(':').map(|(p, _)| p.to_owned())
}

fn element_prefix(source: &str, node: roxmltree::Node<'_, '_>) -> Option<String> {
    let start = node.range().start + 1;
    let rest = source.get(start..)?;
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '/' || c == '>')
        .unwrap_or(rest.len());
    prefix_of(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::{Limits, parse};

    #[test]
    fn prefixes_and_own_declarations_are_recorded() {
        let text =
            r#"<a xmlns="urn:a" xmlns:x="urn:x"><x:b x:k="v" xmlns:y="urn:y">t<c/>u</x:b></a>"#;
        let doc = parse(text, &Limits::default()).unwrap();
        let b = doc.root_element().first_element_child().unwrap();
        let kept = XmlElement::from_node(b, false);
        assert_eq!(kept.name, QName::new("urn:x", "b"));
        assert_eq!(kept.prefix.as_deref(), Some("x"));
        assert_eq!(kept.namespaces, vec![(Some("y".into()), "urn:y".into())]);
        assert_eq!(kept.attributes[0].prefix.as_deref(), Some("x"));
        assert_eq!(kept.children.len(), 3);
        assert_eq!(kept.text(), "tu");
    }

    #[test]
    fn standalone_copies_declare_every_namespace_in_scope() {
        let text = r#"<a xmlns:x="urn:x"><x:b/></a>"#;
        let doc = parse(text, &Limits::default()).unwrap();
        let b = doc.root_element().first_element_child().unwrap();
        let kept = XmlElement::from_node(b, true);
        assert!(
            kept.namespaces
                .contains(&(Some("x".into()), "urn:x".into()))
        );
    }

    #[test]
    fn equality_ignores_prefixes() {
        let one = parse(r#"<p:a xmlns:p="urn:a" k="1"/>"#, &Limits::default()).unwrap();
        let two = parse(r#"<a xmlns="urn:a" k="1"/>"#, &Limits::default()).unwrap();
        assert_eq!(
            XmlElement::from_node(one.root_element(), true),
            XmlElement::from_node(two.root_element(), true)
        );
    }
}
