//! The RELAX NG schemas of RFC 4287 and RFC 5023 (vendored in `schemas/`) against every
//! kind of XML document the running binary emits, validated by libxml2 through Python
//! `lxml` (tests/e2e/schemas.py): a second, independent reading of our Atom and AtomPub.

use crate::support::{SECRET, Server, free_port, token};

/// R-4287 (Appendix B), R-5023 (Appendix B): the service document, category documents,
/// every feed page, every entry (IODEF v1, v2, JSON IODEF, STIX and MISP content), a 201
/// answer and a sync page with a tombstone are valid against the RFCs' schemas.
#[tokio::test]
async fn every_document_is_valid_against_the_atom_and_atompub_schemas() {
    let Some(python) = crate::support::python_with("requests, lxml, rnc2rng") else {
        rolie_testkit::skip(
            "schemas::every_document_is_valid_against_the_atom_and_atompub_schemas: skipped: set ROLIE_TEST_PYTHON to a Python with requests, lxml and rnc2rng (.ci/run does)",
        );
        return;
    };
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = Server::start(
        dir.path(),
        free_port(),
        &[("ROLIE_JWT_HS256_SECRET", SECRET.to_owned())],
    )
    .await;
    let base = server.base_url.clone();
    let admin = token("admin", "rolie:admin rolie:read rolie:write");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let stdout = crate::support::run_python_check(
        python,
        "schemas.py",
        vec![
            ("ROLIE_BASE", base),
            ("ROLIE_TOKEN", admin),
            ("ROLIE_SCHEMAS", format!("{root}/schemas")),
            ("ROLIE_CORPUS", format!("{root}/tests/corpus")),
        ],
    )
    .await;
    assert!(stdout.contains(", 0 failed"), "{stdout}");
    server.kill();
}
