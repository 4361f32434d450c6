#![doc = include_str!("../README.md")]

pub mod atom;
pub mod entry;
pub mod feed;
pub mod media;
pub mod opensearch;
pub mod problem;
pub mod read;
mod render;
pub mod restriction;
pub mod service;
pub mod timestamp;
pub mod vocabulary;
pub mod xml;

pub use atom::{Category, Content, Generator, Link, Person, Text};
pub use entry::{Control, Entry, RolieFormat, RolieProperty};
pub use feed::{Feed, tombstone};
pub use media::MediaType;
pub use problem::Problem;
pub use read::{EntryMode, read_category_document, read_entry, read_feed, read_service_document};
pub use restriction::{Restriction, RestrictionPolicy};
pub use service::{Categories, CategoryDocument, Collection, ServiceDocument, Workspace};
