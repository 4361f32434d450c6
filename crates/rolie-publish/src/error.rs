//! Why a submission was refused, in the terms HTTP answers with but without HTTP: the
//! server maps each variant to its status and a problem document.

use rolie_iodef::IodefError;

/// A refused submission.
#[derive(thiserror::Error, Debug, Clone, PartialEq, Eq)]
pub enum PublishError {
    /// The bytes are not a document at all: not well-formed XML or JSON, a DOCTYPE, a
    /// charset that disagrees with the body (400).
    #[error("{0}")]
    Malformed(String),
    /// No content format takes this media type or charset (415).
    #[error("{0}")]
    Unsupported(String),
    /// A document of a known format that breaks one of its rules or a profile rule (422).
    #[error("{detail}")]
    Invalid {
        /// What is wrong, naming the rule.
        detail: String,
        /// Where, as an element or member path, when known.
        path: Option<String>,
    },
    /// A valid document that does not belong where it was sent: another information type
    /// than the collection's (409).
    #[error("{0}")]
    Conflict(String),
}

impl PublishError {
    /// A 422 without a path.
    pub fn invalid(detail: impl Into<String>) -> Self {
        PublishError::Invalid {
            detail: detail.into(),
            path: None,
        }
    }

    /// A 422 at `path`.
    pub fn invalid_at(path: impl Into<String>, detail: impl Into<String>) -> Self {
        let path = path.into();
        PublishError::Invalid {
            detail: format!("{path}: {}", detail.into()),
            path: Some(path),
        }
    }
}

impl From<IodefError> for PublishError {
    fn from(error: IodefError) -> Self {
        match error {
            IodefError::Malformed { .. } => PublishError::Malformed(error.to_string()),
            IodefError::Invalid { ref path, .. } => PublishError::Invalid {
                detail: error.to_string(),
                path: Some(path.clone()),
            },
        }
    }
}
