//! Shared by the IODEF targets: everything the server derives from an accepted document.

use bytes::Bytes;
use rolie_iodef::{IodefDocument, IodefError, Syntax};
use rolie_model::RestrictionPolicy;

/// Parses `data` as `syntax` and, when accepted, exercises every accessor the server uses to
/// build the Atom entry. Accessors must not panic; documented invariants are asserted.
pub fn check(data: &[u8], syntax: Syntax) {
    let policy = RestrictionPolicy::default();
    let doc: IodefDocument = match rolie_iodef::parse(Bytes::copy_from_slice(data), syntax, &policy)
    {
        Ok(doc) => doc,
        Err(IodefError::Malformed { message, .. }) | Err(IodefError::Invalid { message, .. }) => {
            // Error texts go into problem documents; building them must not panic either.
            let _ = message.len();
            return;
        }
    };
    // The bytes are kept untouched: the server stores and serves exactly these.
    assert_eq!(doc.bytes.as_ref(), data, "parse changed the document bytes");
    assert!(
        !doc.incidents.is_empty(),
        "an accepted document has no incident"
    );

    let title = doc.title();
    assert!(!title.trim().is_empty(), "empty title (Atom requires one)");
    let summary = doc.summary();
    assert!(!summary.is_empty());
    let properties = doc.properties();
    for p in &properties {
        assert!(!p.name.is_empty());
    }
    let categories = doc.categories();
    assert!(!categories.is_empty(), "no purpose/restriction categories");
    let published = doc.published();
    let updated = doc.updated();
    let _ = doc.author_name();
    let _ = (
        doc.format.media_type(),
        doc.format.rolie_format(),
        doc.format.is_v1(),
    );

    // The entry the server would write from these values is well-formed Atom that reads back.
    let mut entry = rolie_model::Entry::new(
        "urn:uuid:00000000-0000-4000-8000-000000000000",
        rolie_model::Text::plain(title),
        updated.unwrap_or_else(|| rolie_model::timestamp::from_micros(0)),
    );
    entry.published = published;
    entry.summary = Some(rolie_model::Text::plain(summary));
    entry.properties = properties;
    entry.categories = categories;
    entry.format = Some(doc.format.rolie_format());
    let xml = entry.to_xml();
    match rolie_model::read_entry(
        &xml,
        rolie_model::EntryMode::Document,
        &rolie_model::xml::Limits::default(),
    ) {
        Ok(again) => {
            assert_eq!(again.properties.len(), entry.properties.len());
            assert_eq!(again.categories.len(), entry.categories.len());
        }
        Err(e) => panic!(
            "the entry built from an accepted document does not read back: {e}\n{}",
            String::from_utf8_lossy(&xml)
        ),
    }
}
