//! OpenSearch 1.1 description documents (R-OS11-desc-a/b): how to search a feed.

use crate::vocabulary::ns;
use crate::xml::{Tag, XmlWriter};

/// The OpenSearch time extension (`time:start`, `time:end`).
pub const TIME_EXTENSION: &str = "http://a9.com/-/opensearch/extensions/time/1.0/";

/// An OpenSearch description document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenSearchDescription {
    /// `ShortName`, at most 16 characters (cut when longer).
    pub short_name: String,
    /// `Description`, at most 1024 characters (cut when longer).
    pub description: String,
    /// `Url` elements: media type and template.
    pub urls: Vec<(String, String)>,
}

fn cut(text: &str, limit: usize) -> String {
    text.chars().take(limit).collect()
}

impl OpenSearchDescription {
    /// The document as XML, with the time extension and this server's namespace declared
    /// for the template parameters that use them.
    pub fn to_xml(&self) -> Vec<u8> {
        let mut w = XmlWriter::new(true);
        w.start(
            Tag::new(ns::OPENSEARCH, None, "OpenSearchDescription")
                .declare(None, ns::OPENSEARCH)
                .declare(Some("time"), TIME_EXTENSION)
                .declare(Some("rs"), ns::SERVER),
        );
        w.text_element(
            Tag::new(ns::OPENSEARCH, None, "ShortName"),
            &cut(&self.short_name, 16),
        );
        w.text_element(
            Tag::new(ns::OPENSEARCH, None, "Description"),
            &cut(&self.description, 1024),
        );
        for (kind, template) in &self.urls {
            w.empty(
                Tag::new(ns::OPENSEARCH, None, "Url")
                    .attr("type", kind.as_str())
                    .attr("template", template.as_str()),
            );
        }
        w.text_element(Tag::new(ns::OPENSEARCH, None, "InputEncoding"), "UTF-8");
        w.text_element(Tag::new(ns::OPENSEARCH, None, "OutputEncoding"), "UTF-8");
        w.finish()
    }
}
