//! Properties over generated inputs: whatever the bytes, parsing answers with a document or
//! an error and never panics (a panic would be a 500 and, in a worker, a denial of service).

use bytes::Bytes;
use proptest::prelude::*;
use rolie_iodef::Syntax;
use rolie_model::RestrictionPolicy;

use crate::support::fixture;

fn parse_any(bytes: Vec<u8>, syntax: Syntax) {
    if let Ok(document) =
        rolie_iodef::parse(Bytes::from(bytes), syntax, &RestrictionPolicy::default())
    {
        // Atom needs a title; everything derived must be computable.
        assert!(!document.title().is_empty());
        let _ = (
            document.summary(),
            document.properties(),
            document.categories(),
        );
    }
}

/// One edit of a valid document: replace, delete or duplicate a short byte range.
fn mutate(mut base: Vec<u8>, at: usize, len: usize, byte: u8, kind: u8) -> Vec<u8> {
    let at = at % base.len();
    let end = (at + len).min(base.len());
    match kind % 3 {
        0 => base[at..end].fill(byte),
        1 => {
            base.drain(at..end);
        }
        _ => {
            let copy = base[at..end].to_vec();
            base.splice(at..at, copy);
        }
    }
    base
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        parse_any(bytes.clone(), Syntax::Xml);
        parse_any(bytes, Syntax::Json);
    }

    #[test]
    fn edited_xml_documents_never_panic(at in any::<usize>(), len in 0usize..16, byte in any::<u8>(), kind in any::<u8>()) {
        let base = fixture("rich-v2.xml").to_vec();
        parse_any(mutate(base, at, len, byte, kind), Syntax::Xml);
    }

    #[test]
    fn edited_json_documents_never_panic(at in any::<usize>(), len in 0usize..16, byte in any::<u8>(), kind in any::<u8>()) {
        let base = fixture("incidents.json").to_vec();
        parse_any(mutate(base, at, len, byte, kind), Syntax::Json);
    }
}
