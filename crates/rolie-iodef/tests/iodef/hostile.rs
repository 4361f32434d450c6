//! Hostile inputs are refused as Malformed (400) before any IODEF rule is looked at
//! (IODEF-SEC-1, IODEF-SEC-4, IODEF-SEC-5, IODEF-JSON-2).

use bytes::Bytes;
use rolie_iodef::{IodefError, Syntax};
use rolie_model::RestrictionPolicy;

use crate::support::parse_fixture;

fn malformed(name: &str, syntax: Syntax) -> (String, Option<u32>) {
    match parse_fixture(name, syntax) {
        Err(IodefError::Malformed { message, line, .. }) => (message, line),
        other => panic!("{name}: expected Malformed, got {other:?}"),
    }
}

/// IODEF-SEC-1: an external entity to file:///etc/passwd is never resolved.
#[test]
fn xxe_is_refused_as_a_doctype() {
    let (message, line) = malformed("hostile/xxe.xml", Syntax::Xml);
    assert!(message.contains("DOCTYPE"), "{message}");
    assert!(!message.contains("root:"), "nothing from the file leaks");
    // The reader reports where the DOCTYPE ends.
    assert!(matches!(line, Some(2..=4)), "{line:?}");
}

/// IODEF-SEC-1: nested internal entities are refused with the DTD that declares them.
#[test]
fn billion_laughs_is_refused_as_a_doctype() {
    let (message, _) = malformed("hostile/billion-laughs.xml", Syntax::Xml);
    assert!(message.contains("DOCTYPE"), "{message}");
}

/// IODEF-SEC-4: 10,000 nested EventData elements hit the depth limit, not the stack.
#[test]
fn ten_thousand_deep_nesting_is_refused_by_the_depth_limit() {
    let (message, _) = malformed("hostile/deep-nesting.xml", Syntax::Xml);
    assert!(message.contains("nested deeper"), "{message}");
}

/// IODEF-SEC-4: an attribute value over 64 KiB is refused before the tree is built.
#[test]
fn huge_attribute_is_refused_by_the_attribute_limit() {
    let (message, _) = malformed("hostile/huge-attribute.xml", Syntax::Xml);
    assert!(message.contains("attribute value longer"), "{message}");
}

/// IODEF-SEC-5: bytes that are not UTF-8 are refused with their position.
#[test]
fn invalid_utf8_is_refused_with_its_line() {
    let (message, line) = malformed("hostile/invalid-utf8.xml", Syntax::Xml);
    assert!(message.contains("UTF-8"), "{message}");
    assert_eq!(line, Some(7));
}

/// IODEF-SEC-5 for JSON: the same file sent as JSON is refused for its encoding first.
#[test]
fn invalid_utf8_json_is_refused_with_its_position() {
    let body = Bytes::from_static(b"{\n  \"version\": \"2.0\",\n  \"lang\": \"caf\xe9\"\n}");
    let error = rolie_iodef::parse(body, Syntax::Json, &RestrictionPolicy::default()).unwrap_err();
    let IodefError::Malformed { line, column, .. } = error else {
        panic!("expected Malformed, got {error:?}");
    };
    assert_eq!((line, column), (Some(3), Some(15)));
}

/// IODEF-JSON-2: 100,000 nested arrays hit serde_json's recursion limit, not the stack.
#[test]
fn deeply_nested_json_is_malformed_not_a_stack_overflow() {
    let body = Bytes::from("[".repeat(100_000));
    let error = rolie_iodef::parse(body, Syntax::Json, &RestrictionPolicy::default()).unwrap_err();
    assert!(error.is_malformed(), "{error}");
    assert!(error.to_string().contains("recursion limit"), "{error}");
}

/// The same for objects nested inside an otherwise plausible document.
#[test]
fn deeply_nested_json_objects_are_malformed() {
    let body = format!(
        r#"{{"version": "2.0", "Incident": [{}1{}]}}"#,
        r#"{"a":"#.repeat(50_000),
        "}".repeat(50_000)
    );
    let error = rolie_iodef::parse(
        Bytes::from(body),
        Syntax::Json,
        &RestrictionPolicy::default(),
    )
    .unwrap_err();
    assert!(error.is_malformed(), "{error}");
}

/// IODEF-JSON-2: duplicate member names could make two readers see two restrictions.
#[test]
fn duplicate_json_members_are_malformed_with_position() {
    let body = Bytes::from_static(
        br#"{"version": "2.0", "Incident": [{"purpose": "reporting",
  "restriction": "red", "restriction": "white"}]}"#,
    );
    let error = rolie_iodef::parse(body, Syntax::Json, &RestrictionPolicy::default()).unwrap_err();
    let IodefError::Malformed { message, line, .. } = &error else {
        panic!("expected Malformed, got {error:?}");
    };
    assert!(
        message.contains("duplicate member name \"restriction\""),
        "{message}"
    );
    assert_eq!(*line, Some(2));
}

/// Not XML at all, and XML sent as JSON (and the reverse): 400, not 422.
#[test]
fn wrong_syntax_is_malformed() {
    for (body, syntax) in [
        (&b"not xml"[..], Syntax::Xml),
        (b"{\"version\": \"2.0\"}", Syntax::Xml),
        (b"<IODEF-Document/>", Syntax::Json),
        (b"", Syntax::Json),
        (b"{\"version\": NaN}", Syntax::Json),
    ] {
        let error = rolie_iodef::parse(
            Bytes::copy_from_slice(body),
            syntax,
            &RestrictionPolicy::default(),
        )
        .unwrap_err();
        assert!(error.is_malformed(), "{body:?}: {error}");
    }
}

/// IODEF-SEC-1: even a DOCTYPE without an internal subset is refused.
#[test]
fn external_dtd_reference_is_refused() {
    let body = Bytes::from_static(
        br#"<?xml version="1.0"?>
<!DOCTYPE IODEF-Document SYSTEM "http://attacker.example/iodef.dtd">
<IODEF-Document version="2.00" xmlns="urn:ietf:params:xml:ns:iodef-2.0"/>"#,
    );
    let error = rolie_iodef::parse(body, Syntax::Xml, &RestrictionPolicy::default()).unwrap_err();
    assert!(
        error.is_malformed() && error.to_string().contains("DOCTYPE"),
        "{error}"
    );
}
