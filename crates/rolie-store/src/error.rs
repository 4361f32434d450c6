//! Domain errors of the store: what went wrong in terms the server can answer with.

/// Everything a [`crate::Store`] call can fail with. No backend type escapes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The collection, entry or token does not exist (or is not visible to the caller).
    #[error("not found")]
    NotFound,
    /// A uniqueness rule was violated: the message names which.
    #[error("conflict: {0}")]
    Conflict(String),
    /// The expected ETag does not match the current one (optimistic concurrency).
    #[error("precondition failed: the resource changed since it was read")]
    PreconditionFailed,
    /// The database cannot be reached or cannot take writes right now; retrying may help.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// Anything else: a bug or a corrupt database. The message is for logs, not clients.
    #[error("storage failure: {0}")]
    Internal(String),
}

impl StoreError {
    /// Whether retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}
