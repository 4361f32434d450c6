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

fn collection_toml(information_type: &str, public: bool) -> String {
    format!(
        r#"[[collections]]
name = "shared"
title = "Shared reports"
information_type = "{information_type}"
workspace = "Sharing"
accept = ["application/xml", "application/json"]
max_restriction = "private"
public = {public}
"#
    )
}

/// No silent drift: a collection declared in the configuration is created, then updated
/// at the next start when its declaration changes (here: made public, which anonymous
/// readers then see), and a change the database cannot take (another information type
/// under existing entries) stops start-up naming the difference.
#[tokio::test]
async fn configured_collections_are_reconciled_at_start_up() {
    use crate::support::{SECRET, Server, free_port, token};
    let dir = tempfile::tempdir().expect("temporary directory");
    let config = dir.path().join("rolie.toml");
    let env = |port: u16| {
        vec![
            ("ROLIE_CONFIG", config.to_str().expect("path").to_owned()),
            ("ROLIE_JWT_HS256_SECRET", SECRET.to_owned()),
            ("ROLIE_LISTEN", format!("127.0.0.1:{port}")),
        ]
    };
    std::fs::write(&config, collection_toml("incident", false)).expect("write");
    let port = free_port();
    let server = Server::start(dir.path(), port, &env(port)).await;
    let http = reqwest::Client::new();
    let feed = format!("{}/rolie/feeds/shared", server.base_url);
    assert_eq!(http.get(&feed).send().await.expect("GET").status(), 401);
    let admin = token("admin", "rolie:admin rolie:read rolie:write");
    let published = http
        .post(&feed)
        .bearer_auth(&admin)
        .header("content-type", "application/xml")
        .body(rolie_testkit::fixtures::incident("DRIFT-1", "white", "x"))
        .send()
        .await
        .expect("publish");
    assert_eq!(published.status(), 201);
    drop(server);

    std::fs::write(&config, collection_toml("incident", true)).expect("write");
    let port = free_port();
    let server = Server::start(dir.path(), port, &env(port)).await;
    let feed = format!("{}/rolie/feeds/shared", server.base_url);
    let anonymous = http.get(&feed).send().await.expect("GET");
    assert_eq!(anonymous.status(), 200, "public = true took effect");
    drop(server);

    std::fs::write(&config, collection_toml("indicator", true)).expect("write");
    let mut c = command(dir.path());
    for (k, v) in env(free_port()) {
        c.env(k, v);
    }
    let output = c.output().expect("run rolie");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains("shared")
            && stderr.contains("information_type \"incident\" -> \"indicator\""),
        "{stderr}"
    );
}

/// Operations: `rolie config check` prints the effective configuration (environment over
/// defaults) with the token secret and the database password masked, and refuses a bad
/// value naming its key, without opening a database.
#[test]
fn config_check_prints_the_effective_configuration_with_secrets_masked() {
    use crate::support::SECRET;
    let dir = tempfile::tempdir().expect("temporary directory");
    let output = command(dir.path())
        .args(["config", "check"])
        .env("ROLIE_JWT_HS256_SECRET", SECRET)
        .env(
            "ROLIE_DATABASE_URL",
            "postgres://rolie:hunter2-password@db.internal:5432/rolie",
        )
        .env("ROLIE_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1")
        .output()
        .expect("run rolie config check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !stdout.contains(SECRET) && !stdout.contains("hunter2"),
        "{stdout}"
    );
    let effective: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(effective["jwt"]["hs256_secret"], "***");
    assert_eq!(
        effective["database_url"],
        "postgres://rolie:***@db.internal:5432/rolie"
    );
    assert_eq!(
        effective["trusted_proxies"],
        serde_json::json!(["10.0.0.0/8", "192.0.2.1/32"])
    );
    assert_eq!(effective["access_log"], true);
    let (code, stderr) = run(
        dir.path(),
        &["config", "check"],
        &[("ROLIE_TRUSTED_PROXIES", "the proxy")],
    );
    assert_eq!(code, Some(2));
    assert!(stderr.contains("ROLIE_TRUSTED_PROXIES"), "{stderr}");
}

/// Operations: every key of the configuration file can come from the environment, nested
/// keys as `ROLIE_SECTION__KEY` over the file's values; secrets from `*_FILE`; sizes with
/// units; the shutdown grace below a container runtime's 10 s stop timeout by default. A
/// variable naming no key, and a log format or clearance outside its set, are refused.
#[test]
fn every_setting_reaches_from_the_environment() {
    use crate::support::SECRET;
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(
        dir.path().join("rolie.toml"),
        "page_size = 10\n[policy]\ndefault_clearance = \"red\"\n[jwt]\nleeway_seconds = 5\n",
    )
    .expect("write the configuration");
    std::fs::write(
        dir.path().join("database-url"),
        "postgres://rolie:from-a-file-password@db.internal:5432/rolie\n",
    )
    .expect("write the database URL");
    let output = command(dir.path())
        .args(["config", "check"])
        .env("ROLIE_CONFIG", "rolie.toml")
        .env("ROLIE_JWT_HS256_SECRET", SECRET)
        .env("ROLIE_DATABASE_URL_FILE", "database-url")
        .env("ROLIE_POLICY__DEFAULT_CLEARANCE", "green")
        .env("ROLIE_JWT__LEEWAY_SECONDS", "30")
        .env("ROLIE_POSTGRES__MAX_CONNECTIONS", "7")
        .env("ROLIE_RATE_LIMITS__PER_MINUTE", "100")
        .env("ROLIE_RATE_LIMITS__BURST", "10")
        .env("ROLIE_PAGE_SIZE", "25")
        .env("ROLIE_RENDER_CACHE_BYTES", "16MiB")
        .env("ROLIE_MAX_BODY_BYTES", "512KiB")
        .output()
        .expect("run rolie config check");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(!stdout.contains("from-a-file-password"), "{stdout}");
    let effective: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(
        effective["database_url"],
        "postgres://rolie:***@db.internal:5432/rolie"
    );
    assert_eq!(
        effective["page_size"], 25,
        "the variable wins over the file"
    );
    assert_eq!(effective["jwt"]["leeway_seconds"], 30);
    assert_eq!(effective["render_cache_bytes"], 16 * 1024 * 1024);
    assert_eq!(effective["max_body_bytes"], 512 * 1024);
    assert_eq!(effective["shutdown_grace_seconds"], 8);
    let text = |key: &str| effective[key].as_str().unwrap_or_default().to_owned();
    assert!(text("policy").contains("Partner"), "{}", text("policy"));
    assert!(
        text("postgres").contains("max_connections: Some(7)"),
        "{}",
        text("postgres")
    );
    assert!(
        text("rate_limits").contains("per_minute: Some(100)"),
        "{}",
        text("rate_limits")
    );

    for (variable, value, named) in [
        ("ROLIE_JWT__LEEWAY_SECOND", "30", "leeway_second"),
        ("ROLIE_PAGE_SIZE", "many", "page_size"),
        ("ROLIE_MAX_BODY_BYTES", "a lot", "ROLIE_MAX_BODY_BYTES"),
        ("ROLIE_LOG_FORMAT", "xml", "pretty"),
    ] {
        let (code, stderr) = run(
            dir.path(),
            &["config", "check"],
            &[("ROLIE_JWT_HS256_SECRET", SECRET), (variable, value)],
        );
        assert_eq!(code, Some(2), "{variable}={value}: {stderr}");
        assert!(
            stderr.to_lowercase().contains(&named.to_lowercase()),
            "{variable}={value}: {stderr}"
        );
    }
    let (code, stderr) = run(
        dir.path(),
        &["token", "--subject", "x", "--clearance", "purple"],
        &[("ROLIE_JWT_HS256_SECRET", SECRET)],
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("green"), "the choices are listed: {stderr}");
}

/// Operations: `rolie migrate --status` says which migrations the database has, changing
/// nothing: every one pending before the database exists (exit 1), none after
/// `rolie migrate` (exit 0).
#[test]
fn migrate_status_reports_without_migrating() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let status = || {
        command(dir.path())
            .args(["migrate", "--status"])
            .output()
            .expect("run rolie migrate --status")
    };
    let before = status();
    let text = String::from_utf8_lossy(&before.stdout).into_owned();
    assert_eq!(before.status.code(), Some(1), "{text}");
    assert!(text.contains("does not exist yet"), "{text}");
    assert!(
        !dir.path().join("rolie-data/rolie.db").exists(),
        "a status creates no database"
    );
    let migrated = command(dir.path())
        .arg("migrate")
        .output()
        .expect("run rolie migrate");
    assert!(migrated.status.success());
    let after = status();
    let text = String::from_utf8_lossy(&after.stdout).into_owned();
    assert_eq!(after.status.code(), Some(0), "{text}");
    assert!(
        text.contains("applied") && text.contains(" 0 pending"),
        "{text}"
    );
    assert!(!text.contains("pending  "), "{text}");
}
