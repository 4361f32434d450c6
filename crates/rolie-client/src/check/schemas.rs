//! RELAX NG validation of what `rolie check` reads, against the schemas of RFC 4287
//! (Atom) and RFC 5023 (AtomPub) vendored in `schemas/` and compiled into the binary.
//!
//! The one pure-Rust RELAX NG validator on crates.io (relaxng-validator 0.1) has no name
//! classes, so it cannot read RFC 4287's `element * - atom:*`, and libxml2's bindings need
//! bindgen and libclang to build; so the documents go to libxml2's validator, the
//! reference implementation, through `xmllint` when it is installed (Debian:
//! `libxml2-utils`). Without it the report says the schemas were not applied; nothing is
//! skipped silently. `xmllint` runs with `--nonet` and reads the body from standard input;
//! bodies are already bounded by the client.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

const ATOM: &str = include_str!("../../../../schemas/atom.rng");
const APP: &str = include_str!("../../../../schemas/app.rng");

/// How long one validation may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Which schema a document is validated against.
#[derive(Debug, Clone, Copy)]
pub(super) enum Schema {
    /// RFC 4287 Appendix B: feeds and entries.
    Atom,
    /// RFC 5023 Appendix B: service and category documents.
    AtomPub,
}

/// The schemas written where `xmllint` can read them, and the `xmllint` to run.
pub(super) struct Validator {
    xmllint: PathBuf,
    // Kept for the validator's life: the schema files are in it.
    _dir: tempfile::TempDir,
    atom: PathBuf,
    app: PathBuf,
}

/// `name` on the `PATH`, if it is there.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

impl Validator {
    /// A validator running `xmllint` (the one given, else the one on the `PATH`); `Err`
    /// says why there is none.
    pub(super) fn new(xmllint: Option<&Path>) -> Result<Self, String> {
        let xmllint = match xmllint {
            Some(path) => path.to_owned(),
            None => on_path("xmllint").ok_or_else(|| {
                "xmllint not found (install libxml2-utils, or give --xmllint)".to_owned()
            })?,
        };
        let dir = tempfile::tempdir().map_err(|e| format!("a directory for the schemas: {e}"))?;
        let (atom, app) = (dir.path().join("atom.rng"), dir.path().join("app.rng"));
        std::fs::write(&atom, ATOM)
            .and_then(|()| std::fs::write(&app, APP))
            .map_err(|e| format!("writing the schemas: {e}"))?;
        Ok(Validator {
            xmllint,
            _dir: dir,
            atom,
            app,
        })
    }

    /// What validates, for the report.
    pub(super) fn describe(&self) -> String {
        format!(
            "RELAX NG schemas of RFC 4287 and RFC 5023 applied with {} (libxml2)",
            self.xmllint.display()
        )
    }

    /// `Ok` when `body` is valid against `schema`; otherwise the validator's first
    /// complaints, or why it could not run.
    pub(super) async fn validate(&self, schema: Schema, body: &[u8]) -> Result<(), String> {
        let schema = match schema {
            Schema::Atom => &self.atom,
            Schema::AtomPub => &self.app,
        };
        let mut child = tokio::process::Command::new(&self.xmllint)
            .args(["--noout", "--nonet", "--relaxng"])
            .arg(schema)
            .arg("-")
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.xmllint.display()))?;
        let mut stdin = child.stdin.take().ok_or("xmllint has no standard input")?;
        let body = body.to_vec();
        let feed = tokio::spawn(async move {
            // xmllint may stop reading early on a broken document; that is its answer.
            let _ = stdin.write_all(&body).await;
        });
        let output = tokio::time::timeout(TIMEOUT, child.wait_with_output())
            .await
            .map_err(|_| "xmllint took too long".to_owned())?
            .map_err(|e| format!("xmllint: {e}"))?;
        let _ = feed.await;
        if output.status.success() {
            return Ok(());
        }
        let complaints: Vec<String> = String::from_utf8_lossy(&output.stderr)
            .lines()
            .filter(|line| !line.ends_with("fails to validate"))
            .take(3)
            .map(|line| line.trim_start_matches("-:").to_owned())
            .collect();
        Err(if complaints.is_empty() {
            format!("xmllint exited with {}", output.status)
        } else {
            complaints.join("; ")
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r#"<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id><title>t</title><updated>2026-01-01T00:00:00Z</updated><author><name>a</name></author></feed>"#;
    const TWO_TITLES: &str = r#"<feed xmlns="http://www.w3.org/2005/Atom"><id>urn:x</id><title>t</title><title>u</title><updated>2026-01-01T00:00:00Z</updated><author><name>a</name></author></feed>"#;

    #[tokio::test]
    async fn the_atom_schema_takes_a_feed_and_refuses_two_titles() {
        let validator = match Validator::new(None) {
            Ok(validator) => validator,
            Err(why) => {
                eprintln!("the_atom_schema_takes_a_feed_and_refuses_two_titles: skipped: {why}");
                return;
            }
        };
        assert_eq!(
            validator.validate(Schema::Atom, VALID.as_bytes()).await,
            Ok(())
        );
        let refused = validator
            .validate(Schema::Atom, TWO_TITLES.as_bytes())
            .await
            .expect_err("two titles");
        assert!(refused.contains("title"), "{refused}");
    }
}
