//! JSON IODEF (RFC 8727) as submitted to a collection: `rolie_iodef::parse(.., Syntax::Json, ..)`.
//!
//! Same checks as `iodef_xml`.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    common::check(data, rolie_iodef::Syntax::Json);
});
