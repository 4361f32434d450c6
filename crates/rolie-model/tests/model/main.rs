//! Round-trip properties and independent-reader checks for the document model.

mod oracle;
mod roundtrip;
mod strategies;
