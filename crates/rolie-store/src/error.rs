//! Domain errors of the store: what went wrong in terms the server can answer with.

/// Everything a [`crate::Store`] call can fail with. No backend type escapes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// The collection, entry or token does not exist (or is not visible to the caller).
    #[error("not found")]
    NotFound,
    /// A uniqueness or consistency rule was violated: the value says which.
    #[error("conflict: {0}")]
    Conflict(Conflict),
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

/// Which rule a write would break. Backends map their constraint names onto these, so no
/// caller ever reads a database message to find out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// The collection already holds an entry with this `atom:id` (for IODEF content: the
    /// same incident, at the same restriction level, from the same draft owner).
    #[error("collection {collection} already holds an entry with atom:id {atom_id}")]
    DuplicateEntry {
        /// The collection.
        collection: String,
        /// The `atom:id` taken.
        atom_id: String,
        /// The entry holding it, when known.
        existing: Option<uuid::Uuid>,
    },
    /// An entry with this id exists.
    #[error("an entry with id {0} already exists")]
    DuplicateEntryId(uuid::Uuid),
    /// A collection with this name exists.
    #[error("collection {0} already exists")]
    DuplicateCollection(String),
    /// A collection's information type would change under its entries (R-8322-6.1.1-a).
    #[error(
        "collection {collection} holds {entries} entries of information type {current}; it cannot become {requested}"
    )]
    InformationTypeChange {
        /// The collection.
        collection: String,
        /// How many entries it holds.
        entries: i64,
        /// Its information type.
        current: String,
        /// The one asked for.
        requested: String,
    },
    /// A collection still holds entries.
    #[error("collection {collection} still holds {entries} entries; delete them first")]
    CollectionNotEmpty {
        /// The collection.
        collection: String,
        /// How many entries it holds.
        entries: i64,
    },
    /// Another uniqueness rule of the schema, named by its constraint.
    #[error("a unique value is already taken ({constraint})")]
    Unique {
        /// The constraint (or the database's message when it names none).
        constraint: String,
    },
}

impl StoreError {
    /// Whether retrying the same call later may succeed.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Unavailable(_))
    }
}
