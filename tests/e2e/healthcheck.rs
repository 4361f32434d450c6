//! `rolie healthcheck`, the container health check of docker-compose.yml and the image,
//! against a real server, a closed port and a listener that never answers.

use std::path::Path;
use std::process::Output;
use std::time::{Duration, Instant};

use crate::support::{Server, command, free_port};

/// Runs `rolie healthcheck` in `dir` with `args` and `env`.
fn healthcheck(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = command(dir);
    c.arg("healthcheck").args(args);
    for (key, value) in env {
        c.env(key, value);
    }
    c.output().expect("run rolie healthcheck")
}

/// Standard output and standard error, for assertion messages.
fn printed(output: &Output) -> String {
    format!(
        "stdout: {:?}, stderr: {:?}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test]
async fn healthcheck_exits_0_when_the_running_server_is_ready() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = Server::start(dir.path(), free_port(), &[]).await;
    let readyz = format!("{}/readyz", server.base_url);

    let by_flag = healthcheck(dir.path(), &["--url", &readyz], &[]);
    assert_eq!(by_flag.status.code(), Some(0), "{}", printed(&by_flag));
    let stdout = String::from_utf8_lossy(&by_flag.stdout);
    assert_eq!(stdout.lines().count(), 1, "one line: {stdout:?}");
    assert!(stdout.contains("answered 200"), "{stdout:?}");

    let by_environment = healthcheck(dir.path(), &[], &[("ROLIE_HEALTHCHECK_URL", &readyz)]);
    assert_eq!(
        by_environment.status.code(),
        Some(0),
        "{}",
        printed(&by_environment)
    );
    server.kill();
}

#[tokio::test]
async fn healthcheck_exits_1_naming_the_status_when_the_answer_is_not_200() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = Server::start(dir.path(), free_port(), &[]).await;
    let missing = format!("{}/no-such-resource", server.base_url);
    let output = healthcheck(dir.path(), &["--url", &missing], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", printed(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(stderr.contains("answered 404"), "{stderr:?}");
    server.kill();
}

#[test]
fn healthcheck_exits_1_with_one_line_when_nothing_listens() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let closed = format!("http://127.0.0.1:{}/readyz", free_port());
    let output = healthcheck(dir.path(), &["--url", &closed], &[]);
    assert_eq!(output.status.code(), Some(1), "{}", printed(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr:?}");
    assert!(
        stderr.contains(&closed) && stderr.contains("cannot connect"),
        "{stderr:?}"
    );
    assert!(output.stdout.is_empty(), "{}", printed(&output));
}

/// A server that accepts connections but never answers (hung, or not HTTP) is unhealthy
/// within the check's own 2 s budget, before Docker's 3 s timeout would kill the check.
#[test]
fn healthcheck_gives_up_on_a_listener_that_never_answers() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let silent = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!(
        "http://{}/readyz",
        silent.local_addr().expect("local address")
    );
    crate::support::binary();
    let started = Instant::now();
    let output = healthcheck(dir.path(), &["--url", &url], &[]);
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(1), "{}", printed(&output));
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no answer within 2 s"),
        "{}",
        printed(&output)
    );
    assert!(took < Duration::from_secs(3), "took {took:?}");
    drop(silent);
}
