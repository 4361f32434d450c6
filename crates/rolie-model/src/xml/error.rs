//! Typed XML errors that always say where in the input the fault is.

use std::fmt;

/// A 1-based line and column in the decoded document text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Position {
    /// Line number, starting at 1.
    pub line: u32,
    /// Column number in characters, starting at 1.
    pub column: u32,
}

impl Position {
    /// The position of byte offset `offset` in `text`.
    pub fn at(text: &str, offset: usize) -> Self {
        let offset = offset.min(text.len());
        let prefix = text.get(..offset).unwrap_or(text);
        let line = prefix.bytes().filter(|b| *b == b'\n').count() + 1;
        let line_start = prefix.rfind('\n').map_or(0, |i| i + 1);
        let column = prefix[line_start..].chars().count() + 1;
        Position {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }

    /// The position of byte offset `offset` in raw bytes that may not be valid UTF-8.
    pub fn at_bytes(bytes: &[u8], offset: usize) -> Self {
        let offset = offset.min(bytes.len());
        let prefix = &bytes[..offset];
        let line = prefix.iter().filter(|b| **b == b'\n').count() + 1;
        let line_start = prefix
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&prefix[line_start..])
            .chars()
            .count()
            + 1;
        Position {
            line: u32::try_from(line).unwrap_or(u32::MAX),
            column: u32::try_from(column).unwrap_or(u32::MAX),
        }
    }
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// What went wrong while reading XML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum XmlErrorKind {
    /// The body is not UTF-8 or UTF-16, or its declaration disagrees with its bytes.
    Encoding(String),
    /// The bytes are not valid in the encoding they claim.
    InvalidText(String),
    /// A document type declaration: refused outright, so no entity is ever expanded and
    /// no external DTD is ever fetched (IODEF-SEC-1, R-PROF-SAFE-a).
    Doctype,
    /// A configured bound was exceeded (IODEF-SEC-4).
    LimitExceeded(String),
    /// The text is not well-formed XML.
    Malformed(String),
    /// Well-formed XML that is not the document we expected.
    Unexpected(String),
}

/// An XML input error with its location.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct XmlError {
    /// The fault.
    pub kind: XmlErrorKind,
    /// Where it was found, when known.
    pub position: Option<Position>,
}

impl XmlError {
    pub(crate) fn new(kind: XmlErrorKind, position: Option<Position>) -> Self {
        XmlError { kind, position }
    }

    /// A structural error about well-formed XML (wrong root, missing element, ...).
    pub fn unexpected(message: impl Into<String>, position: Option<Position>) -> Self {
        XmlError::new(XmlErrorKind::Unexpected(message.into()), position)
    }

    /// Whether the input was refused because it carried a DTD.
    pub fn is_doctype(&self) -> bool {
        self.kind == XmlErrorKind::Doctype
    }
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = match &self.kind {
            XmlErrorKind::Encoding(m) => format!("unsupported encoding: {m}"),
            XmlErrorKind::InvalidText(m) => format!("invalid text: {m}"),
            XmlErrorKind::Doctype => {
                "document type declarations (DOCTYPE) are not accepted".to_owned()
            }
            XmlErrorKind::LimitExceeded(m) => format!("limit exceeded: {m}"),
            XmlErrorKind::Malformed(m) => format!("malformed XML: {m}"),
            XmlErrorKind::Unexpected(m) => m.clone(),
        };
        match self.position {
            Some(p) => write!(f, "{message} (at {p})"),
            None => f.write_str(&message),
        }
    }
}
