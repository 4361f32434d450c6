//! Atom entries POSTed or PUT by AtomPub clients: `read_entry(.., EntryMode::Submission, ..)`.
//!
//! Checks: no panic on any bytes; an entry that reads is written by `to_xml()` into a
//! document that reads back (in the same mode) into an equal entry: read(write(x)) == x.
//! The same bytes also go through the feed, service-document and category-document readers,
//! which must not panic either (no round trip asserted for those).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rolie_model::xml::Limits;
use rolie_model::{
    EntryMode, read_category_document, read_entry, read_feed, read_service_document,
};

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Ok(entry) = read_entry(data, EntryMode::Submission, &limits) {
        let written = entry.to_xml();
        match read_entry(&written, EntryMode::Submission, &limits) {
            Ok(again) => assert_eq!(
                again,
                entry,
                "read(write(x)) != x; written:\n{}",
                String::from_utf8_lossy(&written)
            ),
            Err(e) => panic!(
                "to_xml() wrote an entry the reader refuses: {e}\n{}",
                String::from_utf8_lossy(&written)
            ),
        }
    }
    let _ = read_feed(data, &limits);
    let _ = read_service_document(data, &limits);
    let _ = read_category_document(data, &limits);
});
