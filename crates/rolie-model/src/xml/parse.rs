//! The hardened reader: decode, pre-scan with limits, then a strict namespace-aware parse.

use std::borrow::Cow;

use quick_xml::events::Event;

use super::{Limits, Position, XmlError, XmlErrorKind};

/// Decodes a request body into text.
///
/// Accepts UTF-8 (with or without a byte order mark) and UTF-16 with a byte order mark, and
/// checks that an XML declaration names the encoding the bytes are really in (IODEF-SEC-5).
///
/// # Errors
/// [`XmlErrorKind::Encoding`] for other or mismatched encodings, [`XmlErrorKind::InvalidText`]
/// for byte sequences that are not valid in the encoding, with their position.
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, XmlError> {
    let (text, utf16) = match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => (Cow::Borrowed(utf8(rest)?), false),
        [0xFE, 0xFF, rest @ ..] => (Cow::Owned(utf16(rest, u16::from_be_bytes)?), true),
        [0xFF, 0xFE, rest @ ..] => (Cow::Owned(utf16(rest, u16::from_le_bytes)?), true),
        [0x00, b'<', ..] | [b'<', 0x00, ..] => {
            return Err(XmlError::new(
                XmlErrorKind::Encoding("UTF-16 documents must begin with a byte order mark".into()),
                None,
            ));
        }
        _ => (Cow::Borrowed(utf8(bytes)?), false),
    };
    if let Some(declared) = declared_encoding(&text) {
        let declared_lower = declared.to_ascii_lowercase();
        let matches = if utf16 {
            matches!(declared_lower.as_str(), "utf-16" | "utf-16le" | "utf-16be")
        } else {
            matches!(declared_lower.as_str(), "utf-8" | "utf8")
        };
        if !matches {
            let actual = if utf16 { "UTF-16" } else { "UTF-8" };
            return Err(XmlError::new(
                XmlErrorKind::Encoding(format!(
                    "the XML declaration says encoding=\"{declared}\" but the bytes are {actual}; \
                     only UTF-8 and UTF-16 are accepted"
                )),
                Some(Position { line: 1, column: 1 }),
            ));
        }
    }
    Ok(text)
}

fn utf8(bytes: &[u8]) -> Result<&str, XmlError> {
    std::str::from_utf8(bytes).map_err(|e| {
        XmlError::new(
            XmlErrorKind::InvalidText("the body is not valid UTF-8".into()),
            Some(Position::at_bytes(bytes, e.valid_up_to())),
        )
    })
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Result<String, XmlError> {
    if !bytes.len().is_multiple_of(2) {
        return Err(XmlError::new(
            XmlErrorKind::InvalidText("UTF-16 body has an odd number of bytes".into()),
            None,
        ));
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut out = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => out.push(c),
            Err(_) => {
                return Err(XmlError::new(
                    XmlErrorKind::InvalidText("unpaired surrogate in UTF-16 body".into()),
                    Some(Position::at(&out, out.len())),
                ));
            }
        }
    }
    Ok(out)
}

/// The `encoding` pseudo-attribute of a leading XML declaration, if any.
fn declared_encoding(text: &str) -> Option<&str> {
    let decl = text.strip_prefix("<?xml")?;
    let decl = &decl[..decl.find("?>")?];
    let rest = &decl[decl.find("encoding")? + "encoding".len()..];
    let rest = rest.trim_start().strip_prefix('=')?.trim_start();
    let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    let rest = &rest[1..];
    Some(&rest[..rest.find(quote)?])
}

/// Parses decoded text into a namespace-aware tree after checking every limit.
///
/// # Errors
/// [`XmlErrorKind::Doctype`] for any DOCTYPE, [`XmlErrorKind::LimitExceeded`] when a bound of
/// `limits` is crossed, [`XmlErrorKind::Malformed`] for text that is not well-formed XML
/// (undeclared entities and unbound prefixes included), each with line and column.
pub fn parse<'a>(text: &'a str, limits: &Limits) -> Result<roxmltree::Document<'a>, XmlError> {
    prescan(text, limits)?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: u32::try_from(limits.max_nodes.saturating_add(1)).unwrap_or(u32::MAX),
        ..roxmltree::ParsingOptions::default()
    };
    roxmltree::Document::parse_with_options(text, options).map_err(|e| {
        let pos = e.pos();
        let position = Some(Position {
            line: pos.row,
            column: pos.col,
        });
        let kind = match e {
            roxmltree::Error::DtdDetected => XmlErrorKind::Doctype,
            roxmltree::Error::NodesLimitReached => {
                XmlErrorKind::LimitExceeded(format!("more than {} nodes", limits.max_nodes))
            }
            other => XmlErrorKind::Malformed(other.to_string()),
        };
        XmlError::new(kind, position)
    })
}

/// A streaming pass that refuses DTDs and enforces `limits` in linear time, before the tree
/// builder (whose duplicate-attribute check is quadratic) sees the text.
fn prescan(text: &str, limits: &Limits) -> Result<(), XmlError> {
    let mut reader = quick_xml::Reader::from_str(text);
    let config = reader.config_mut();
    config.check_end_names = true;
    config.expand_empty_elements = false;
    let mut depth = 0usize;
    let mut nodes = 0usize;
    let mut text_run = 0usize;
    loop {
        let at = |reader: &quick_xml::Reader<&[u8]>| {
            Some(Position::at(
                text,
                usize::try_from(reader.buffer_position()).unwrap_or(usize::MAX),
            ))
        };
        let limit = |reader: &quick_xml::Reader<&[u8]>, message: String| {
            XmlError::new(XmlErrorKind::LimitExceeded(message), at(reader))
        };
        let event = reader.read_event().map_err(|e| {
            XmlError::new(
                XmlErrorKind::Malformed(e.to_string()),
                Some(Position::at(
                    text,
                    usize::try_from(reader.error_position()).unwrap_or(usize::MAX),
                )),
            )
        })?;
        let element = match &event {
            Event::Start(e) | Event::Empty(e) => Some(e),
            _ => None,
        };
        if let Some(e) = element {
            text_run = 0;
            nodes += 1;
            let element_depth = depth + 1;
            if element_depth > limits.max_depth {
                return Err(limit(
                    &reader,
                    format!("elements nested deeper than {}", limits.max_depth),
                ));
            }
            if e.name().as_ref().len() > limits.max_name_len {
                return Err(limit(
                    &reader,
                    format!("element name longer than {} bytes", limits.max_name_len),
                ));
            }
            let mut count = 0usize;
            for attribute in e.attributes().with_checks(false) {
                let attribute = attribute.map_err(|err| {
                    XmlError::new(XmlErrorKind::Malformed(err.to_string()), at(&reader))
                })?;
                count += 1;
                if count > limits.max_attributes {
                    return Err(limit(
                        &reader,
                        format!(
                            "more than {} attributes on one element",
                            limits.max_attributes
                        ),
                    ));
                }
                if attribute.key.as_ref().len() > limits.max_name_len {
                    return Err(limit(
                        &reader,
                        format!("attribute name longer than {} bytes", limits.max_name_len),
                    ));
                }
                if attribute.value.len() > limits.max_attribute_len {
                    return Err(limit(
                        &reader,
                        format!(
                            "attribute value longer than {} bytes",
                            limits.max_attribute_len
                        ),
                    ));
                }
            }
        }
        match event {
            Event::DocType(_) => {
                return Err(XmlError::new(XmlErrorKind::Doctype, at(&reader)));
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                text_run = 0;
            }
            Event::Text(t) => {
                if text_run == 0 {
                    nodes += 1;
                }
                text_run += t.len();
            }
            Event::CData(t) => {
                if text_run == 0 {
                    nodes += 1;
                }
                text_run += t.len();
            }
            Event::GeneralRef(r) => text_run += r.len() + 2,
            Event::Comment(_) | Event::PI(_) => {
                nodes += 1;
                text_run = 0;
            }
            Event::Eof => return Ok(()),
            Event::Empty(_) | Event::Decl(_) => {}
        }
        if text_run > limits.max_text_len {
            return Err(limit(
                &reader,
                format!("character data longer than {} bytes", limits.max_text_len),
            ));
        }
        if nodes > limits.max_nodes {
            return Err(limit(
                &reader,
                format!("more than {} nodes", limits.max_nodes),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(bytes: &[u8]) -> Result<(), XmlError> {
        let text = decode(bytes)?;
        parse(&text, &Limits::default()).map(|_| ())
    }

    #[test]
    fn doctype_with_external_entity_is_refused_before_parsing() {
        let xxe = br#"<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>"#;
        let err = read(xxe).unwrap_err();
        assert_eq!(err.kind, XmlErrorKind::Doctype);
        assert_eq!(err.position.map(|p| p.line), Some(2));
    }

    #[test]
    fn undeclared_entity_is_malformed() {
        let err = read(b"<r>&nope;</r>").unwrap_err();
        assert!(matches!(err.kind, XmlErrorKind::Malformed(_)), "{err}");
    }

    #[test]
    fn predefined_and_character_references_are_resolved() {
        let text = "<r a=\"&amp;&#x41;\">&lt;&#233;</r>";
        let doc = parse(text, &Limits::default()).unwrap();
        assert_eq!(doc.root_element().text(), Some("<\u{e9}"));
        assert_eq!(doc.root_element().attribute("a"), Some("&A"));
    }

    #[test]
    fn depth_limit_is_enforced_without_recursion() {
        let deep = "<a>".repeat(10_000) + &"</a>".repeat(10_000);
        let err = parse(&deep, &Limits::default()).unwrap_err();
        assert!(matches!(err.kind, XmlErrorKind::LimitExceeded(_)), "{err}");
    }

    #[test]
    fn attribute_count_limit_is_enforced() {
        let attrs: String = (0..100).map(|i| format!(" a{i}=\"\"")).collect();
        let err = parse(&format!("<r{attrs}/>"), &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("attributes"), "{err}");
    }

    #[test]
    fn huge_attribute_value_is_refused() {
        let value = "x".repeat(100_000);
        let err = parse(&format!("<r a=\"{value}\"/>"), &Limits::default()).unwrap_err();
        assert!(err.to_string().contains("attribute value"), "{err}");
    }

    #[test]
    fn invalid_utf8_names_line_and_column() {
        let err = read(b"<r>\n  ab\xff</r>").unwrap_err();
        assert!(matches!(err.kind, XmlErrorKind::InvalidText(_)));
        assert_eq!(err.position, Some(Position { line: 2, column: 5 }));
    }

    #[test]
    fn utf16_with_byte_order_mark_is_decoded() {
        let mut bytes = vec![0xFF, 0xFE];
        for unit in "<?xml version=\"1.0\" encoding=\"UTF-16\"?><r>\u{e9}</r>".encode_utf16() {
            bytes.extend_from_slice(&unit.to_le_bytes());
        }
        read(&bytes).unwrap();
    }

    #[test]
    fn utf16_without_byte_order_mark_is_refused() {
        let bytes: Vec<u8> = "<r/>".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let err = read(&bytes).unwrap_err();
        assert!(matches!(err.kind, XmlErrorKind::Encoding(_)));
    }

    #[test]
    fn declared_encoding_must_match_the_bytes() {
        let err = read(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><r/>").unwrap_err();
        assert!(matches!(err.kind, XmlErrorKind::Encoding(_)));
        let err = read(b"<?xml version=\"1.0\" encoding=\"UTF-16\"?><r/>").unwrap_err();
        assert!(matches!(err.kind, XmlErrorKind::Encoding(_)));
        read(b"<?xml version='1.0' encoding='utf-8'?><r/>").unwrap();
    }

    #[test]
    fn mismatched_end_tag_names_its_position() {
        let err = read(b"<a>\n<b></c></a>").unwrap_err();
        assert!(matches!(err.kind, XmlErrorKind::Malformed(_)));
        assert_eq!(err.position.map(|p| p.line), Some(2));
    }

    #[test]
    fn node_limit_is_enforced() {
        let limits = Limits {
            max_nodes: 10,
            ..Limits::default()
        };
        let many = format!("<r>{}</r>", "<a/>".repeat(20));
        let err = parse(&many, &limits).unwrap_err();
        assert!(matches!(err.kind, XmlErrorKind::LimitExceeded(_)));
    }
}
