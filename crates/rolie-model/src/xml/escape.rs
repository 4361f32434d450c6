//! Escaping for text and attribute values.
//!
//! Values copied into our documents come from other organisations' IODEF documents and from
//! JSON, which may carry characters XML 1.0 cannot represent at all (IODEF-JSON-3). Those are
//! replaced by U+FFFD so every document we write stays well-formed (IODEF-SEC-6).

use std::borrow::Cow;

/// Whether `c` is a legal XML 1.0 character.
fn is_xml_char(c: char) -> bool {
    matches!(c,
        '\u{9}' | '\u{A}' | '\u{D}'
        | '\u{20}'..='\u{D7FF}'
        | '\u{E000}'..='\u{FFFD}'
        | '\u{10000}'..='\u{10FFFF}')
}

/// `s` with every character XML cannot carry replaced by U+FFFD.
pub fn sanitize_text(s: &str) -> Cow<'_, str> {
    if s.chars().all(is_xml_char) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(
            s.chars()
                .map(|c| if is_xml_char(c) { c } else { '\u{FFFD}' })
                .collect(),
        )
    }
}

fn escape_with(s: &str, attribute: bool) -> Cow<'_, str> {
    let needs = |c: char| {
        matches!(c, '&' | '<' | '>' | '\r')
            || (attribute && matches!(c, '"' | '\'' | '\t' | '\n'))
            || !is_xml_char(c)
    };
    if !s.chars().any(needs) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            // A literal CR would be folded into LF by the reader's line-end normalisation.
            '\r' => out.push_str("&#13;"),
            '"' if attribute => out.push_str("&quot;"),
            '\'' if attribute => out.push_str("&apos;"),
            // Literal tabs and newlines in attribute values become spaces on reading
            // (attribute-value normalisation), so they travel as character references.
            '\t' if attribute => out.push_str("&#9;"),
            '\n' if attribute => out.push_str("&#10;"),
            c if !is_xml_char(c) => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `s` escaped for use as character data.
pub(crate) fn escape_text(s: &str) -> Cow<'_, str> {
    escape_with(s, false)
}

/// `s` escaped for use inside a double-quoted attribute value (of HTML too).
pub fn escape_attribute(s: &str) -> Cow<'_, str> {
    escape_with(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_characters_are_escaped_in_text() {
        assert_eq!(escape_text("a<b>&c\r"), "a&lt;b&gt;&amp;c&#13;");
    }

    #[test]
    fn quotes_and_whitespace_are_escaped_in_attributes() {
        assert_eq!(
            escape_attribute("\"x\"\t'y'\n"),
            "&quot;x&quot;&#9;&apos;y&apos;&#10;"
        );
    }

    #[test]
    fn characters_xml_cannot_carry_become_replacement_characters() {
        assert_eq!(escape_text("a\u{1}b\u{FFFE}"), "a\u{FFFD}b\u{FFFD}");
        assert_eq!(sanitize_text("ok\u{0}"), "ok\u{FFFD}");
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(escape_text("plain text"), Cow::Borrowed(_)));
    }
}
