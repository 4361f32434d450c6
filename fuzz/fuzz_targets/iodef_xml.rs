//! IODEF v1/v2 XML as submitted to a collection: `rolie_iodef::parse(.., Syntax::Xml, ..)`.
//!
//! Checks: no panic on any bytes; an accepted document keeps its bytes, has an incident, and
//! every accessor used to build its Atom entry (`title`, `summary`, `properties`,
//! `categories`, `published`, `updated`) returns without panicking, and the entry written
//! from them reads back.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::check(data, rolie_iodef::Syntax::Xml);
});
