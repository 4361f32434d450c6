//! The two ways a submitted document can fail, kept apart because the server answers them
//! differently: bytes that are not a document at all (400) and a document that is not IODEF
//! (422).

use rolie_model::xml::{Position, XmlError};

use crate::path::Path;

/// Why a submitted document was refused.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum IodefError {
    /// Not well-formed XML, not JSON, a DOCTYPE, a parser limit, a bad encoding or a
    /// duplicate JSON member: the server answers 400.
    #[error("{message}{}", location(*.line, *.column))]
    Malformed {
        /// What is wrong, without the position.
        message: String,
        /// 1-based line, when known.
        line: Option<u32>,
        /// 1-based column, when known.
        column: Option<u32>,
    },
    /// Well-formed, but not a valid IODEF document: the server answers 422.
    #[error("{path}: {message} ({rule})")]
    Invalid {
        /// Where: `/IODEF-Document/Incident[2]/IncidentID`, 1-based indexes among
        /// same-named siblings; JSON documents use the same form.
        path: String,
        /// The rule broken: an RFC section (`IODEF v2 §3.4`) or a spec-iodef rule ID.
        rule: String,
        /// What is wrong, naming the offending attribute or value.
        message: String,
    },
}

fn location(line: Option<u32>, column: Option<u32>) -> String {
    match (line, column) {
        (Some(line), Some(column)) => format!(" (line {line}, column {column})"),
        (Some(line), None) => format!(" (line {line})"),
        _ => String::new(),
    }
}

impl IodefError {
    /// A document that does not follow an IODEF rule.
    pub(crate) fn invalid(path: &Path, rule: &str, message: impl Into<String>) -> Self {
        IodefError::Invalid {
            path: path.to_string(),
            rule: rule.to_owned(),
            message: message.into(),
        }
    }

    /// Bytes that could not be read as a document.
    pub(crate) fn malformed(message: impl Into<String>, position: Option<Position>) -> Self {
        IodefError::Malformed {
            message: message.into(),
            line: position.map(|p| p.line),
            column: position.map(|p| p.column),
        }
    }

    /// Whether the server should answer 400 (true) rather than 422.
    pub fn is_malformed(&self) -> bool {
        matches!(self, IodefError::Malformed { .. })
    }
}

impl From<XmlError> for IodefError {
    fn from(error: XmlError) -> Self {
        // The reader's own Display appends the position; ours keeps it in fields.
        let message = XmlError {
            kind: error.kind,
            position: None,
        }
        .to_string();
        IodefError::malformed(message, error.position)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_reads_path_message_and_rule() {
        let path = Path::root().indexed("Incident", 2).child("IncidentID");
        let error = IodefError::invalid(
            &path,
            "IODEF v2 §3.4",
            "missing required attribute \"name\"",
        );
        assert_eq!(
            error.to_string(),
            "/IODEF-Document/Incident[2]/IncidentID: missing required attribute \"name\" (IODEF v2 §3.4)"
        );
    }

    #[test]
    fn malformed_appends_the_position_when_known() {
        let error = IodefError::malformed("bad", Some(Position { line: 3, column: 7 }));
        assert_eq!(error.to_string(), "bad (line 3, column 7)");
        assert_eq!(IodefError::malformed("bad", None).to_string(), "bad");
        assert!(error.is_malformed());
    }
}
