#![doc = include_str!("../README.md")]

mod datetime;
mod document;
mod error;
mod json_binding;
mod path;
mod rules;
mod text;
mod warnings;
mod xml_binding;

use bytes::Bytes;
use rolie_model::RestrictionPolicy;

pub use document::{Format, Incident, IncidentId, IodefDocument, Syntax};
pub use error::IodefError;

/// Parses and validates a submitted IODEF document.
///
/// `syntax` comes from the request's media type; for XML the root namespace then decides
/// between v1 and v2 (IODEF-NS-1). `policy` resolves `restriction="default"` and
/// `ext-value` restrictions (IODEF-RES-1). The bytes are kept untouched in the result.
///
/// # Errors
/// [`IodefError::Malformed`] when the bytes are not a well-formed document within the
/// reader's limits (the server answers 400), [`IodefError::Invalid`] when they are not a
/// valid IODEF document (422).
pub fn parse(
    bytes: Bytes,
    syntax: Syntax,
    policy: &RestrictionPolicy,
) -> Result<IodefDocument, IodefError> {
    match syntax {
        Syntax::Xml => xml_binding::read(bytes, policy),
        Syntax::Json => json_binding::read(bytes, policy),
    }
}
