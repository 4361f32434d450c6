//! Publishing as domain rules, apart from HTTP: which content formats the server takes
//! (IODEF v1 and v2, JSON IODEF, STIX 2.1 bundles, MISP events), what an entry derives
//! from each, and how the derived parts and the publisher's parts of an entry combine on
//! POST and PUT. The server maps [`PublishError`]s to problem documents; `rolie import`
//! publishes files through the same functions.

mod compose;
mod error;
pub mod format;
mod submission;

use rolie_model::RestrictionPolicy;

pub use compose::{new_entry, replaced_content, replaced_entry};
pub use error::PublishError;
pub use format::{ContentFormat, Document, FORMATS, Fits, Offered, format_for, read_document};
pub use submission::{
    Submission, SubmittedContent, accepted_by, is_atom_entry_type, read_atom_entry,
    read_submission, slug,
};

/// What publishing needs besides the request.
#[derive(Debug, Clone)]
pub struct PublishSettings<'a> {
    /// Default author (R-8322-10-a).
    pub organization: &'a str,
    /// How `default`/`ext-value` restrictions and unmarked STIX and MISP content resolve.
    pub policy: &'a RestrictionPolicy,
}
