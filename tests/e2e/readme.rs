//! README.md's "Two commands": the test command works on a fresh clone with no database,
//! the PostgreSQL one is given too, and the skip line it quotes is the one the PostgreSQL
//! tests print.

use std::path::Path;

fn repository_file(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The text of the `## Two commands` section.
fn two_commands(readme: &str) -> &str {
    let start = readme
        .find("\n## Two commands\n")
        .expect("README.md has a \"Two commands\" section");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    &rest[..end]
}

/// The commands of a Markdown section: its lines indented as code.
fn commands(section: &str) -> Vec<&str> {
    section
        .lines()
        .filter_map(|line| line.strip_prefix("    "))
        .map(str::trim)
        .collect()
}

#[test]
fn the_readme_test_command_needs_no_database() {
    let readme = repository_file("README.md");
    let commands = commands(two_commands(&readme));
    assert!(
        commands.contains(&"cargo test --workspace"),
        "a plain `cargo test --workspace`: {commands:?}"
    );
    assert!(
        commands
            .iter()
            .any(|c| c.starts_with("ROLIE_TEST_DATABASE_URL=postgres://")
                && c.ends_with(" cargo test --workspace")),
        "and the same with PostgreSQL: {commands:?}"
    );
}

#[test]
fn the_skip_line_the_readme_quotes_is_the_one_postgresql_tests_print() {
    let quoted = "skipped: set ROLIE_TEST_DATABASE_URL";
    let readme = repository_file("README.md");
    assert!(two_commands(&readme).contains(quoted));
    for source in [
        "crates/rolie-testkit/src/lib.rs",
        "crates/rolie-store-postgres/tests/conformance.rs",
        "crates/rolie-server/tests/http/robustness.rs",
        "tests/e2e/support.rs",
    ] {
        assert!(
            repository_file(source).contains(quoted),
            "{source} skips PostgreSQL tests with a line starting \"{quoted}\""
        );
    }
}
