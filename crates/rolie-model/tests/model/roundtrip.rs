//! `read(write(x)) == x` for entries, and the same for the other documents we write.

use proptest::prelude::*;
use rolie_model::xml::Limits;
use rolie_model::{EntryMode, Feed, Text, read_entry, read_feed};

use crate::strategies;

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Every entry survives writing and reading, foreign markup included (R-4287-6-a,
    /// R-8322-6.1.2-f, R-8322-6.2.4-d).
    #[test]
    fn entries_survive_write_then_read(entry in strategies::entry()) {
        let xml = entry.to_xml();
        let back = read_entry(&xml, EntryMode::Document, &Limits::default())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&xml))))?;
        prop_assert_eq!(back, entry);
    }

    /// A feed of such entries survives too, entries inherit the feed's namespace bindings.
    #[test]
    fn feeds_survive_write_then_read(
        entries in proptest::collection::vec(strategies::entry(), 0..4),
        updated in strategies::datetime(),
    ) {
        let mut feed = Feed::new("urn:uuid:00000000-0000-0000-0000-000000000001", Text::plain("f"), updated);
        feed.entries = entries;
        let xml = feed.to_xml();
        let back = read_feed(&xml, &Limits::default())
            .map_err(|e| TestCaseError::fail(format!("{e}\n{}", String::from_utf8_lossy(&xml))))?;
        prop_assert_eq!(back, feed);
    }
}
