//! Turning untrusted document text into text for people: titles, summaries, error messages.
//!
//! Descriptions and identifiers come from other organisations and, in JSON, may hold
//! characters XML 1.0 cannot carry (IODEF-JSON-3); everything shown passes through
//! `rolie_model::xml::sanitize_text` here, and is bounded in length (IODEF-SEC-6).

/// `s` without leading and trailing XML whitespace (IODEF-ID-2: identity is trimmed).
pub(crate) fn trim(s: &str) -> &str {
    s.trim_matches(|c| matches!(c, ' ' | '\t' | '\r' | '\n'))
}

/// `s` with runs of whitespace collapsed to one space and characters XML cannot carry
/// replaced by U+FFFD.
pub(crate) fn clean(s: &str) -> String {
    let joined = s.split_whitespace().collect::<Vec<_>>().join(" ");
    rolie_model::xml::sanitize_text(&joined).into_owned()
}

/// `s` cut to at most `max` characters (on a character boundary) plus "…" when longer.
pub(crate) fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_owned(),
        Some((end, _)) => {
            let mut out = s[..end].trim_end().to_owned();
            out.push('…');
            out
        }
    }
}

/// A value quoted for an error message: cut to 80 characters and cleaned of characters
/// XML cannot carry, so a hostile value cannot bloat or break a problem document.
pub(crate) fn shown(value: &str) -> String {
    let cut = cut(value, 80);
    format!("\"{}\"", rolie_model::xml::sanitize_text(&cut))
}

/// Appends `value` unless it is empty or already there.
pub(crate) fn push_new(list: &mut Vec<String>, value: &str) {
    if !value.is_empty() && !list.iter().any(|v| v == value) {
        list.push(value.to_owned());
    }
}

/// An enumerated value with its `ext-` sibling standing in for `ext-value`, trimmed;
/// `None` when absent or empty.
pub(crate) fn resolve_extensible<'a>(
    value: Option<&'a str>,
    ext: Option<&'a str>,
) -> Option<&'a str> {
    match value {
        Some("ext-value") => ext,
        other => other,
    }
    .map(str::trim)
    .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_collapses_whitespace_and_replaces_forbidden_characters() {
        assert_eq!(clean("  a\n\t b  "), "a b");
        assert_eq!(clean("a\u{1}b"), "a\u{FFFD}b");
    }

    #[test]
    fn cut_respects_character_boundaries() {
        assert_eq!(cut("короткий", 20), "короткий");
        assert_eq!(cut("ééééé", 3), "ééé…");
        assert_eq!(cut("ab cd", 3), "ab…");
    }

    #[test]
    fn shown_values_are_quoted_cut_and_cleaned() {
        let long = "x".repeat(200);
        assert_eq!(shown(&long).chars().count(), 83);
        assert_eq!(shown("a\u{1}b"), "\"a\u{FFFD}b\"");
    }

    #[test]
    fn trim_removes_only_xml_whitespace() {
        assert_eq!(trim("\n\t 189701 \r\n"), "189701");
        assert_eq!(trim("\u{a0}x"), "\u{a0}x");
    }
}
