//! The README's first command: a fresh directory, no configuration.

use crate::support::{Server, command, free_port};

/// First run creates the SQLite database, the two collections and a development secret, and
/// prints the service document URL, an admin token and a curl line that works.
#[tokio::test]
async fn first_run_with_no_configuration_prints_a_working_token_and_curl_line() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = free_port();
    let server = Server::start(dir.path(), port, &[]).await;
    assert!(
        dir.path().join("rolie-data/rolie.db").is_file(),
        "SQLite database created"
    );
    assert!(
        dir.path().join("rolie-data/jwt-secret").is_file(),
        "secret kept in the data directory"
    );
    let lines = server.lines();
    let service = format!("http://127.0.0.1:{port}/rolie/servicedocument");
    assert!(
        lines
            .iter()
            .any(|l| l == &format!("service document: {service}")),
        "{lines:?}"
    );
    let token_line = lines
        .iter()
        .position(|l| l.starts_with("admin token"))
        .expect("admin token printed");
    let token = lines[token_line + 1].trim().to_owned();
    let curl = lines
        .iter()
        .find(|l| l.trim_start().starts_with("curl "))
        .expect("curl line printed")
        .trim()
        .to_owned();
    assert!(curl.contains(&token) && curl.ends_with(&service), "{curl}");
    // The curl line works as printed.
    let output = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{curl} -s -o /dev/null -w '%{{http_code}}'"))
        .output()
        .expect("curl");
    assert_eq!(String::from_utf8_lossy(&output.stdout), "200");
    let svc = reqwest::Client::new()
        .get(&service)
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    let body = svc.text().await.expect("body");
    assert!(
        body.contains("/rolie/feeds/incidents") && body.contains("/rolie/feeds/indicators"),
        "{body}"
    );
    server.kill();
    // A second start reuses the database and the secret: the old token still works.
    let again = Server::start(dir.path(), port, &[]).await;
    let response = reqwest::Client::new()
        .get(&service)
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
    again.kill();
}

/// `rolie import` publishes a directory (IODEF XML, JSON IODEF, a STIX bundle) and reports
/// duplicates on a second run.
#[tokio::test]
async fn import_publishes_a_directory_and_skips_what_is_already_there() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let docs = dir.path().join("docs");
    std::fs::create_dir(&docs).expect("mkdir");
    std::fs::write(docs.join("one.xml"), rolie_testkit::fixtures::MINIMAL_V2).expect("write");
    std::fs::write(docs.join("two.json"), rolie_testkit::fixtures::JSON).expect("write");
    std::fs::write(
        docs.join("three.json"),
        include_str!("../corpus/stix/indicators-for-C2-with-COA.json"),
    )
    .expect("write");
    std::fs::write(docs.join("bad.xml"), "<not-iodef/>").expect("write");
    std::fs::write(docs.join("notes.txt"), "ignored").expect("write");
    let run = || {
        command(dir.path())
            .args(["import", "docs", "--collection", "incidents"])
            .output()
            .expect("rolie import")
    };
    let first = run();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert_eq!(
        first.status.code(),
        Some(1),
        "a refused file fails the run: {stdout}"
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("created")).count(),
        3,
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("refused") && l.contains("bad.xml")),
        "{stdout}"
    );
    std::fs::remove_file(docs.join("bad.xml")).expect("rm");
    let second = run();
    let stdout = String::from_utf8_lossy(&second.stdout);
    assert_eq!(second.status.code(), Some(0), "{stdout}");
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("exists")).count(),
        3,
        "{stdout}"
    );
}

/// Permission bits of `path`.
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

/// `rolie ARGS` in `dir` started under umask 000, which would leave new files readable and
/// writable by everyone.
fn run_with_open_umask(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    let c = command(dir);
    let program = c.get_program().to_owned();
    let mut shell = std::process::Command::new("sh");
    shell
        .current_dir(dir)
        .arg("-c")
        .arg("umask 000 && exec \"$0\" \"$@\"")
        .arg(program)
        .args(args);
    for (key, value) in c.get_envs() {
        match value {
            Some(value) => shell.env(key, value),
            None => shell.env_remove(key),
        };
    }
    shell.output().expect("run rolie under umask 000")
}

/// The data directory holds every incident and the development secret: the server creates
/// it owner-only (0700), and the SQLite database, its -wal and -shm files and the secret
/// owner-only (0600), whatever the umask.
#[tokio::test]
async fn first_run_creates_files_only_their_owner_may_read() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("rolie-data");
    let server = Server::start(dir.path(), free_port(), &[]).await;
    assert_eq!(mode(&data), 0o700, "data directory");
    for file in ["rolie.db", "rolie.db-wal", "rolie.db-shm", "jwt-secret"] {
        assert_eq!(mode(&data.join(file)), 0o600, "{file}");
    }
    server.kill();

    // The same under umask 000, for the database (rolie migrate) and the secret (rolie token).
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("rolie-data");
    let output = run_with_open_umask(dir.path(), &["migrate"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(mode(&data), 0o700, "data directory");
    assert_eq!(mode(&data.join("rolie.db")), 0o600, "rolie.db");
    let output = run_with_open_umask(dir.path(), &["token", "--subject", "x"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(mode(&data.join("jwt-secret")), 0o600, "jwt-secret");

    // A database named by URL is created owner-only too.
    let output = run_with_open_umask(
        dir.path(),
        &["--database-url", "sqlite://named.db", "migrate"],
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(mode(&dir.path().join("named.db")), 0o600, "named.db");
}
