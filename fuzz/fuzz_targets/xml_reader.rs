//! The hardened XML reader: `decode` then `parse` with the default limits, on arbitrary bytes.
//!
//! Checks: no panic; a document that parses respects every limit it was parsed with (depth,
//! nodes, attributes, name and value lengths); the tree can be walked in full; and the root
//! element, copied into an owned `XmlElement` and written back with `element_document`,
//! parses again into an equal element (the writer never emits markup the reader refuses).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rolie_model::xml::{Limits, XmlElement, decode, element_document, parse};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = decode(data) else {
        return;
    };
    let limits = Limits::default();
    let Ok(doc) = parse(&text, &limits) else {
        return;
    };

    let mut nodes = 0usize;
    for node in doc.descendants() {
        nodes += 1;
        // Positions must be computable for every node (error messages use them).
        let _ = doc.text_pos_at(node.range().start);
        if node.is_element() {
            let depth = node.ancestors().filter(|a| a.is_element()).count();
            assert!(
                depth <= limits.max_depth,
                "element at depth {depth} passed a limit of {}",
                limits.max_depth
            );
            let name = node.tag_name();
            let _ = (name.namespace(), name.name());
            let attributes = node.attributes().len();
            assert!(attributes <= limits.max_attributes);
            for a in node.attributes() {
                assert!(a.name().len() <= limits.max_name_len);
                let _ = (a.namespace(), a.value(), a.range_qname());
            }
            for n in node.namespaces() {
                let _ = (n.name(), n.uri());
            }
        } else {
            let _ = node.text();
        }
    }
    // `descendants` includes the document root node, which is not counted as a node.
    assert!(
        nodes <= limits.max_nodes + 1,
        "{nodes} nodes passed the limit"
    );

    // Written back and read again, the kept root element is unchanged.
    let root = XmlElement::from_node(doc.root_element(), true);
    let written = element_document(&root);
    let text_again = match decode(&written) {
        Ok(t) => t,
        Err(e) => panic!(
            "element_document wrote undecodable bytes: {e}\n{}",
            String::from_utf8_lossy(&written)
        ),
    };
    let doc_again = match parse(&text_again, &limits) {
        Ok(d) => d,
        Err(e) => panic!("element_document wrote a document the reader refuses: {e}\n{text_again}"),
    };
    let again = XmlElement::from_node(doc_again.root_element(), true);
    assert_eq!(
        again, root,
        "element round trip changed the tree:\n{text_again}"
    );
});
