//! Loading fixtures and corpus files for the tests.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use rolie_iodef::{IodefDocument, IodefError, Syntax};
use rolie_model::RestrictionPolicy;

/// The bytes of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> Bytes {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    Bytes::from(std::fs::read(&path).expect("fixtures ship with the crate"))
}

/// Parses a fixture under the default restriction policy.
pub fn parse_fixture(name: &str, syntax: Syntax) -> Result<IodefDocument, IodefError> {
    rolie_iodef::parse(fixture(name), syntax, &RestrictionPolicy::default())
}

/// Parses a fixture that must be accepted.
pub fn accepted(name: &str, syntax: Syntax) -> IodefDocument {
    parse_fixture(name, syntax).expect("the fixture is a valid IODEF document")
}

/// `tests/corpus/iodef` of the repository: real documents with the expected outcome of
/// each in its README. It ships with the repository, so a missing file is a test failure.
pub fn corpus_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpus/iodef")
}

/// Parses `tests/corpus/iodef/<relative>` under `policy`.
pub fn parse_corpus_with(
    relative: &str,
    policy: &RestrictionPolicy,
) -> Result<IodefDocument, IodefError> {
    let syntax = if relative.ends_with(".json") {
        Syntax::Json
    } else {
        Syntax::Xml
    };
    let path = corpus_root().join(relative);
    let bytes = std::fs::read(&path)
        .unwrap_or_else(|e| panic!("corpus file {} is readable: {e}", path.display()));
    rolie_iodef::parse(Bytes::from(bytes), syntax, policy)
}

/// Parses a corpus file under the default policy.
pub fn parse_corpus(relative: &str) -> Result<IodefDocument, IodefError> {
    parse_corpus_with(relative, &RestrictionPolicy::default())
}

/// Parses a corpus file that the corpus README says must be accepted.
pub fn corpus_accepted(relative: &str) -> IodefDocument {
    match parse_corpus(relative) {
        Ok(document) => document,
        Err(error) => panic!("{relative} was refused: {error}"),
    }
}
