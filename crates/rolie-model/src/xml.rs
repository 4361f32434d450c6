//! XML plumbing shared by every document the server reads or writes.
//!
//! Reading is two passes over a bounded body: a streaming pre-scan that refuses DTDs and
//! enforces the size limits before any tree is built (IODEF-SEC-1, IODEF-SEC-4), then a
//! strict namespace-aware parse. Writing goes through one namespace-tracking writer so
//! every document we emit declares exactly the namespaces it uses and escapes every value.

mod element;
mod error;
mod escape;
mod limits;
mod parse;
mod write;

pub use element::{QName, XmlAttribute, XmlElement, XmlNode};
pub use error::{Position, XmlError, XmlErrorKind};
pub use limits::Limits;
pub use parse::{decode, parse};
pub use write::{Tag, XmlWriter, element_document};

pub use escape::{escape_attribute, sanitize_text};
