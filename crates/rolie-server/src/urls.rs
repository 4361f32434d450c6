//! Absolute URLs of every resource (R-PROF-URI-a). The path table lives in `router.rs`;
//! these builders must agree with it (the OpenAPI test checks both).

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use rolie_store::{CollectionName, PagePosition};
use uuid::Uuid;

/// Characters left alone in query values.
const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~')
    .remove(b':');

/// Path of the service document (R-PROF-DISC-a; the RFC 8322 example path).
pub const SERVICE_DOCUMENT_PATH: &str = "/rolie/servicedocument";

/// Builds absolute URLs from the public base URL.
#[derive(Debug, Clone)]
pub struct Urls {
    base: String,
}

impl Urls {
    /// URLs under `base` (scheme, host, optional path prefix).
    pub fn new(base: &str) -> Self {
        Urls {
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// The base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Any path of this server (`/`, `/login`, an asset), absolute.
    pub fn absolute(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The service document.
    pub fn service_document(&self) -> String {
        format!("{}{SERVICE_DOCUMENT_PATH}", self.base)
    }

    /// A collection's feed (first page) and POST target.
    pub fn feed(&self, collection: &CollectionName) -> String {
        format!("{}/rolie/feeds/{collection}", self.base)
    }

    /// A collection's OpenSearch description (R-OS11-auto-a).
    pub fn opensearch(&self, collection: &CollectionName) -> String {
        format!("{}/rolie/opensearch/{collection}", self.base)
    }

    /// A page of a collection's feed, keeping the query's other parameters.
    pub fn feed_page(
        &self,
        collection: &CollectionName,
        position: PagePosition,
        extra: &[(&str, String)],
    ) -> String {
        let mut url = self.feed(collection);
        let mut params: Vec<(&str, String)> = Vec::new();
        if let Some(cursor) = position.encode() {
            params.push(("cursor", cursor));
        }
        params.extend(extra.iter().cloned());
        for (i, (name, value)) in params.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.push_str(name);
            url.push('=');
            url.extend(utf8_percent_encode(value, QUERY_VALUE));
        }
        url
    }

    /// An entry (member URI, `edit` and `self`).
    pub fn entry(&self, id: Uuid) -> String {
        format!("{}/rolie/entries/{id}", self.base)
    }

    /// An entry's media resource (`src`, `edit-media`).
    pub fn content(&self, id: Uuid) -> String {
        format!("{}/rolie/content/{id}", self.base)
    }

    /// A category document.
    pub fn categories(&self, name: &str) -> String {
        format!("{}/rolie/categories/{name}", self.base)
    }

    /// A collection's administration resource.
    pub fn admin_collection(&self, collection: &CollectionName) -> String {
        format!("{}/admin/collections/{collection}", self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_links_keep_filters_and_encode_values() {
        let urls = Urls::new("https://csirt.example/");
        let name = CollectionName::parse("incidents").unwrap();
        let url = urls.feed_page(&name, PagePosition::Last, &[("q", "a b&c".into())]);
        assert_eq!(
            url,
            "https://csirt.example/rolie/feeds/incidents?cursor=last&q=a%20b%26c"
        );
        assert_eq!(
            urls.feed_page(&name, PagePosition::First, &[]),
            "https://csirt.example/rolie/feeds/incidents"
        );
    }
}
