//! What can go wrong talking to a ROLIE server.

use std::path::PathBuf;
use std::time::Duration;

use rolie_model::Problem;

/// A failed exchange, or a file that could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The request did not complete (connection, TLS, timeout).
    #[error("{url}: {}", chain(.source))]
    Transport {
        /// What was asked for.
        url: String,
        /// Why it failed.
        #[source]
        source: reqwest::Error,
    },
    /// The server answered with an error status.
    #[error("{url}: {status}{}", .problem.as_ref().and_then(|p| p.detail.as_deref()).map(|d| format!(": {d}")).unwrap_or_default())]
    Status {
        /// What was asked for.
        url: String,
        /// The status.
        status: u16,
        /// The problem document, when the server sent one in JSON.
        problem: Option<Box<Problem>>,
        /// `Retry-After`, when the server said how long to wait.
        retry_after: Option<Duration>,
    },
    /// The body was larger than the configured bound.
    #[error("{url}: the body is larger than {limit} bytes")]
    TooLarge {
        /// What was asked for.
        url: String,
        /// The bound.
        limit: usize,
    },
    /// The body is not the document it should be.
    #[error("{url}: not a valid {what}: {message}")]
    Document {
        /// Where it came from.
        url: String,
        /// What it should have been.
        what: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A link leads to another origin than the server's.
    #[error("{url} is on another origin than {origin}; allow other origins to follow it")]
    OffOrigin {
        /// The link.
        url: String,
        /// The server's origin.
        origin: String,
    },
    /// A setting is unusable (a bad URL, an unreadable certificate).
    #[error("{0}")]
    Config(String),
    /// A local file could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

/// An error with its causes: reqwest's own message ("error sending request") names none.
fn chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut cause = error.source();
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

impl ClientError {
    /// The status of a [`ClientError::Status`].
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// How long the server asked to wait (429, 503), if it did.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ClientError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// The problem document's detail, or the error itself.
    pub fn reason(&self) -> String {
        match self {
            ClientError::Status {
                problem: Some(problem),
                status,
                ..
            } => problem
                .detail
                .clone()
                .unwrap_or_else(|| format!("{status} {}", problem.title)),
            other => other.to_string(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ClientError::Io {
            path: path.into(),
            source,
        }
    }
}
