//! Configuration errors stop start-up with a message naming the key.

use crate::support::command;

fn run(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut c = command(dir);
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let output = c.output().expect("run rolie");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bad_settings_fail_start_up_naming_the_key() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (code, stderr) = run(dir.path(), &[], &[("ROLIE_LISTEN", "nowhere")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("ROLIE_LISTEN"), "{stderr}");
    let (code, stderr) = run(dir.path(), &["--listen", "0.0.0.0:0"], &[]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("--allow-plain-http"), "{stderr}");
    let (code, stderr) = run(dir.path(), &[], &[("ROLIE_DATABASE_URL", "mysql://db/x")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("ROLIE_DATABASE_URL"), "{stderr}");
    let (code, stderr) = run(dir.path(), &[], &[("ROLIE_JWT_HS256_SECRET", "short")]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("ROLIE_JWT_HS256_SECRET"), "{stderr}");
    std::fs::write(dir.path().join("rolie.toml"), "lisen = \"127.0.0.1:1\"\n").expect("write");
    let (code, stderr) = run(dir.path(), &["--config", "rolie.toml"], &[]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("lisen") && stderr.contains("rolie.toml"),
        "{stderr}"
    );
    let (code, stderr) = run(
        dir.path(),
        &[],
        &[("ROLIE_TLS_CERT", "/nonexistent/cert.pem")],
    );
    assert_eq!(code, Some(2));
    assert!(stderr.contains("ROLIE_TLS_CERT"), "{stderr}");
}

#[test]
fn help_lists_the_subcommands() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = command(dir.path())
        .arg("--help")
        .output()
        .expect("rolie --help");
    let text = String::from_utf8_lossy(&output.stdout);
    for sub in ["serve", "migrate", "token", "import", "audit"] {
        assert!(text.contains(sub), "{text}");
    }
}

/// The flag wins over the environment, which wins over the file.
#[tokio::test]
async fn flags_win_over_environment_and_file() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(
        dir.path().join("rolie.toml"),
        "organization = \"From the file\"\n",
    )
    .expect("write");
    let mut c = command(dir.path());
    c.args(["--config", "rolie.toml", "token", "--subject", "x"])
        .env("ROLIE_JWT_HS256_SECRET", crate::support::SECRET);
    assert!(c.output().expect("token").status.success());
    let port = crate::support::free_port();
    let server = crate::support::Server::start(
        dir.path(),
        port,
        &[
            ("ROLIE_CONFIG", "rolie.toml".to_owned()),
            ("ROLIE_ORGANIZATION", "From the environment".to_owned()),
            ("ROLIE_JWT_HS256_SECRET", crate::support::SECRET.to_owned()),
        ],
    )
    .await;
    let token = crate::support::token("admin", "rolie:admin rolie:read rolie:write");
    let feed = reqwest::Client::new()
        .get(format!("{}/rolie/feeds/incidents", server.base_url))
        .bearer_auth(&token)
        .send()
        .await
        .expect("GET")
        .text()
        .await
        .expect("body");
    assert!(feed.contains("<name>From the environment</name>"), "{feed}");
    assert!(
        server.lines().iter().all(|l| !l.starts_with("admin token")),
        "a configured secret prints no token"
    );
}
