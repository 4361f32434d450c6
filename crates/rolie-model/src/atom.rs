//! Atom constructs shared by feeds and entries (RFC 4287 §3, §4.2).

use crate::xml::{XmlAttribute, XmlElement};

/// An Atom text construct (RFC 4287 §3.1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Text {
    /// `type="text"` (the default).
    Plain(String),
    /// `type="html"`: escaped HTML markup.
    Html(String),
    /// `type="xhtml"`: one XHTML `div` element.
    Xhtml(XmlElement),
}

impl Text {
    /// A plain text value.
    pub fn plain(value: impl Into<String>) -> Self {
        Text::Plain(value.into())
    }

    /// The human-readable text: the value itself, or the character data of the markup.
    pub fn as_plain(&self) -> String {
        fn collect(element: &XmlElement, out: &mut String) {
            for child in &element.children {
                match child {
                    crate::xml::XmlNode::Text(t) => out.push_str(t),
                    crate::xml::XmlNode::Element(e) => collect(e, out),
                }
            }
        }
        match self {
            Text::Plain(s) | Text::Html(s) => s.clone(),
            Text::Xhtml(div) => {
                let mut out = String::new();
                collect(div, &mut out);
                out
            }
        }
    }
}

/// A person construct: author or contributor (RFC 4287 §3.2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Person {
    /// Exactly one name (R-4287-3.2-a).
    pub name: String,
    /// At most one IRI.
    pub uri: Option<String>,
    /// At most one e-mail address.
    pub email: Option<String>,
}

impl Person {
    /// A person known by name only.
    pub fn named(name: impl Into<String>) -> Self {
        Person {
            name: name.into(),
            uri: None,
            email: None,
        }
    }
}

/// An `atom:link` (RFC 4287 §4.2.7).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Link {
    /// Target IRI reference.
    pub href: String,
    /// Relation; absent means `alternate`.
    pub rel: Option<String>,
    /// Advisory media type.
    pub media_type: Option<String>,
    /// Language of the target.
    pub hreflang: Option<String>,
    /// Human-readable title.
    pub title: Option<String>,
    /// Advisory length in octets, kept as written.
    pub length: Option<String>,
    /// Foreign attributes, kept and written back (R-4287-6-a).
    pub extra: Vec<XmlAttribute>,
}

impl Link {
    /// A link with relation `rel` to `href`.
    pub fn new(rel: &str, href: impl Into<String>) -> Self {
        Link {
            href: href.into(),
            rel: Some(rel.to_owned()),
            media_type: None,
            hreflang: None,
            title: None,
            length: None,
            extra: Vec::new(),
        }
    }

    /// The same link with a media type.
    pub fn with_type(mut self, media_type: &str) -> Self {
        self.media_type = Some(media_type.to_owned());
        self
    }

    /// The relation, `alternate` when none is written (RFC 4287 §4.2.7.2).
    pub fn relation(&self) -> &str {
        self.rel
            .as_deref()
            .unwrap_or(crate::vocabulary::rel::ALTERNATE)
    }
}

/// An `atom:category` (RFC 4287 §4.2.2).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Category {
    /// Required term.
    pub term: String,
    /// Scheme IRI.
    pub scheme: Option<String>,
    /// Human-readable label.
    pub label: Option<String>,
    /// Foreign attributes, kept and written back.
    pub extra: Vec<XmlAttribute>,
}

impl Category {
    /// A category `term` in `scheme`.
    pub fn new(scheme: &str, term: impl Into<String>) -> Self {
        Category {
            term: term.into(),
            scheme: Some(scheme.to_owned()),
            label: None,
            extra: Vec::new(),
        }
    }

    /// The same category with a label.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Whether this category is `term` in `scheme`.
    pub fn is(&self, scheme: &str, term: &str) -> bool {
        self.scheme.as_deref() == Some(scheme) && self.term == term
    }
}

/// The feed's `atom:generator`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Generator {
    /// Human-readable name.
    pub name: String,
    /// Home page.
    pub uri: Option<String>,
    /// Version.
    pub version: Option<String>,
}

/// `atom:content` (RFC 4287 §4.1.3).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Content {
    /// Out-of-line content, the only form ROLIE allows (R-8322-6.2.1-b).
    OutOfLine {
        /// Media type of the resource at `src`.
        media_type: Option<String>,
        /// Where the content is.
        src: String,
    },
    /// Inline `text`, `html` or `xhtml`.
    Text(Text),
    /// Inline XML of an XML media type: one child element (RFC 4287 §4.1.3.3).
    Xml {
        /// The media type.
        media_type: String,
        /// The document element.
        element: XmlElement,
    },
    /// Inline content of another media type, as text (base64 for binary types).
    Other {
        /// The media type.
        media_type: String,
        /// The text as written.
        value: String,
    },
}

impl Content {
    /// Out-of-line content of `media_type` at `src`.
    pub fn out_of_line(media_type: &str, src: impl Into<String>) -> Self {
        Content::OutOfLine {
            media_type: Some(media_type.to_owned()),
            src: src.into(),
        }
    }
}

/// Whether `media_type` is an XML media type (RFC 4287 §4.1.3.3 rule 3).
pub fn is_xml_media_type(media_type: &str) -> bool {
    let essence = media_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence.ends_with("+xml") || essence.ends_with("/xml")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_without_rel_is_alternate() {
        let mut link = Link::new("self", "https://x/");
        link.rel = None;
        assert_eq!(link.relation(), "alternate");
    }

    #[test]
    fn xml_media_types_are_recognised() {
        assert!(is_xml_media_type("application/xml"));
        assert!(is_xml_media_type("application/rdf+xml; charset=utf-8"));
        assert!(is_xml_media_type("text/xml"));
        assert!(!is_xml_media_type("application/json"));
    }
}
