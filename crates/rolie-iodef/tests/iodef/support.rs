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

/// `shared/corpus/iodef` next to the checkout, when it is there.
pub fn corpus_root() -> Option<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/iodef");
    root.is_dir().then_some(root)
}

/// Parses `shared/corpus/iodef/<relative>` under `policy`.
pub fn parse_corpus_with(
    root: &Path,
    relative: &str,
    policy: &RestrictionPolicy,
) -> Result<IodefDocument, IodefError> {
    let syntax = if relative.ends_with(".json") {
        Syntax::Json
    } else {
        Syntax::Xml
    };
    let bytes = std::fs::read(root.join(relative)).expect("corpus files are readable");
    rolie_iodef::parse(Bytes::from(bytes), syntax, policy)
}

/// Parses a corpus file under the default policy.
pub fn parse_corpus(root: &Path, relative: &str) -> Result<IodefDocument, IodefError> {
    parse_corpus_with(root, relative, &RestrictionPolicy::default())
}

/// Parses a corpus file that the corpus README says must be accepted.
pub fn corpus_accepted(root: &Path, relative: &str) -> IodefDocument {
    match parse_corpus(root, relative) {
        Ok(document) => document,
        Err(error) => panic!("{relative} was refused: {error}"),
    }
}

/// The corpus root, or `None` after saying that the calling test is skipped.
pub fn corpus_or_skip(test: &str) -> Option<PathBuf> {
    let root = corpus_root();
    if root.is_none() {
        eprintln!(
            "{test}: skipped, shared/corpus/iodef was not found next to the checkout (expected at {})",
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../../shared/corpus/iodef")
                .display()
        );
    }
    root
}
