//! Bearer-token keys: the development secret and its printed administrator token exist only
//! in development mode (plain HTTP on loopback, no key configured); anywhere else start-up
//! needs a configured key, and a configured public key never brings an HS256 key along.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rolie_authz::authenticate::{TokenIssuer, TokenRequest};
use rolie_model::Restriction;
use rolie_testkit::TestCa;
use rolie_testkit::rcgen::KeyPair;

use crate::support::{Server, command, free_port};

/// How a run that should stop at start-up ended.
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs `command` and expects it to stop by itself: a server that starts instead is killed
/// after a while and the test fails, rather than hanging.
fn run_to_exit(mut command: Command) -> Run {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start rolie");
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().expect("output");
            panic!(
                "rolie did not stop at start-up; it printed: {}",
                String::from_utf8_lossy(&output.stdout)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().expect("output");
    Run {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn development_secret(dir: &Path) -> std::path::PathBuf {
    dir.join("rolie-data/jwt-secret")
}

/// Off loopback (plain HTTP allowed), with TLS on loopback, or behind a TLS proxy on
/// loopback, a server with no configured key refuses to start: exit code 2, a message
/// naming the settings that give a key, no secret generated and no token printed.
#[test]
fn without_a_configured_key_a_server_outside_development_mode_refuses_to_start() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let ca = TestCa::new("e2e CA");
    let (cert, key) = ca.server_pem();
    std::fs::write(dir.path().join("server.crt"), cert).expect("write");
    std::fs::write(dir.path().join("server.key"), key).expect("write");
    let port = free_port();
    let cases: [(&str, Vec<(&str, String)>); 3] = [
        (
            "plain HTTP on all addresses",
            vec![
                ("ROLIE_LISTEN", format!("0.0.0.0:{port}")),
                ("ROLIE_ALLOW_PLAIN_HTTP", "true".into()),
            ],
        ),
        (
            "TLS on loopback",
            vec![
                ("ROLIE_LISTEN", format!("127.0.0.1:{port}")),
                ("ROLIE_TLS_CERT", "server.crt".into()),
                ("ROLIE_TLS_KEY", "server.key".into()),
            ],
        ),
        (
            "behind a TLS-terminating proxy on loopback",
            vec![
                ("ROLIE_LISTEN", format!("127.0.0.1:{port}")),
                ("ROLIE_BEHIND_TLS_PROXY", "true".into()),
            ],
        ),
    ];
    for (case, env) in cases {
        let mut c = command(dir.path());
        c.envs(env);
        let run = run_to_exit(c);
        assert_eq!(run.code, Some(2), "{case}: {}", run.stderr);
        for key in [
            "ROLIE_JWT_HS256_SECRET",
            "ROLIE_JWT_HS256_SECRET_FILE",
            "jwt.public_keys",
            "jwt.jwks_file",
        ] {
            assert!(run.stderr.contains(key), "{case}: {}", run.stderr);
        }
        assert!(!run.stdout.contains("token"), "{case}: {}", run.stdout);
        assert!(
            !development_secret(dir.path()).exists(),
            "{case}: no secret generated"
        );
    }
}

/// Empty and short secrets stop start-up with exit code 2 and a message naming where the
/// secret came from: the variable, the file variable or the file setting. A development
/// secret in the data directory that is too short (here, empty) is refused too.
#[test]
fn empty_or_short_secrets_fail_start_up_naming_their_key() {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("empty"), "\n").expect("write");
    std::fs::write(dir.path().join("short"), "0123456789abcdef\n").expect("write");
    std::fs::write(
        dir.path().join("empty.toml"),
        "[jwt]\nhs256_secret_file = \"empty\"\n",
    )
    .expect("write");
    let cases = [
        (
            "ROLIE_JWT_HS256_SECRET",
            "",
            "ROLIE_JWT_HS256_SECRET",
            "empty",
        ),
        (
            "ROLIE_JWT_HS256_SECRET",
            "0123456789abcdef",
            "ROLIE_JWT_HS256_SECRET",
            "16 bytes",
        ),
        (
            "ROLIE_JWT_HS256_SECRET_FILE",
            "empty",
            "ROLIE_JWT_HS256_SECRET_FILE",
            "empty",
        ),
        (
            "ROLIE_JWT_HS256_SECRET_FILE",
            "short",
            "ROLIE_JWT_HS256_SECRET_FILE",
            "16 bytes",
        ),
        (
            "ROLIE_CONFIG",
            "empty.toml",
            "jwt.hs256_secret_file",
            "empty",
        ),
    ];
    for (variable, value, named, says) in cases {
        let mut c = command(dir.path());
        c.env("ROLIE_LISTEN", format!("127.0.0.1:{}", free_port()))
            .env(variable, value);
        let run = run_to_exit(c);
        assert_eq!(run.code, Some(2), "{variable}={value:?}: {}", run.stderr);
        assert!(
            run.stderr.contains(named) && run.stderr.contains(says),
            "{variable}={value:?}: {}",
            run.stderr
        );
        assert!(!run.stdout.contains("token"), "{}", run.stdout);
    }
    std::fs::create_dir(dir.path().join("rolie-data")).expect("mkdir");
    std::fs::write(development_secret(dir.path()), "").expect("write");
    let mut c = command(dir.path());
    c.env("ROLIE_LISTEN", format!("127.0.0.1:{}", free_port()));
    let run = run_to_exit(c);
    assert_ne!(run.code, Some(0), "{}", run.stdout);
    assert!(
        run.stderr.contains("jwt-secret") && run.stderr.contains("0 bytes"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("token"), "{}", run.stdout);
}

/// A public JWK of a P-256 key pair.
fn jwk(key: &KeyPair) -> serde_json::Value {
    let point = key.public_key_raw();
    serde_json::json!({
        "kty": "EC",
        "crv": "P-256",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]),
        "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        "kid": "k1",
        "alg": "ES256",
        "use": "sig",
    })
}

/// On loopback over plain HTTP, a JWKS file or a public key configured alone is a
/// configuration, not development mode: no token is printed, no HS256 key is added, so
/// neither the token an earlier development run printed nor any token signed with the
/// secret it left in the data directory is accepted; `rolie token` refuses to mint one.
#[tokio::test]
async fn configured_public_keys_bring_no_hs256_key_and_print_no_token() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let port = free_port();
    let service = format!("http://127.0.0.1:{port}/rolie/servicedocument");
    let http = reqwest::Client::new();

    // An earlier development run: it printed a token that works, and left its secret.
    let development = Server::start(dir.path(), port, &[]).await;
    let lines = development.lines();
    let printed = lines
        .iter()
        .position(|l| l.starts_with("admin token"))
        .map(|i| lines[i + 1].trim().to_owned())
        .expect("development mode prints a token");
    let response = http
        .get(&service)
        .bearer_auth(&printed)
        .send()
        .await
        .expect("GET");
    assert_eq!(response.status(), 200);
    development.kill();
    let secret = std::fs::read_to_string(development_secret(dir.path())).expect("secret");
    let signed = TokenIssuer::hs256(secret.trim().as_bytes())
        .mint(&TokenRequest {
            subject: "admin".into(),
            scope: "rolie:admin rolie:read rolie:write".into(),
            clearance: Some(Restriction::Private),
            lifetime: time::Duration::hours(1),
            issuer: None,
            audience: None,
        })
        .expect("token");

    let key = KeyPair::generate().expect("P-256 key");
    std::fs::write(
        dir.path().join("jwks.json"),
        serde_json::json!({ "keys": [jwk(&key)] }).to_string(),
    )
    .expect("write");
    std::fs::write(dir.path().join("key.pem"), key.public_key_pem()).expect("write");
    std::fs::write(
        dir.path().join("jwks.toml"),
        "[jwt]\njwks_file = \"jwks.json\"\n",
    )
    .expect("write");
    std::fs::write(
        dir.path().join("pem.toml"),
        "[[jwt.public_keys]]\npath = \"key.pem\"\nalgorithm = \"ES256\"\nkid = \"k1\"\n",
    )
    .expect("write");

    for config in ["jwks.toml", "pem.toml"] {
        let server = Server::start(dir.path(), port, &[("ROLIE_CONFIG", config.to_owned())]).await;
        let lines = server.lines();
        assert!(
            lines
                .iter()
                .all(|l| !l.contains("token") && !l.contains("curl")),
            "{config}: {lines:?}"
        );
        for (case, token) in [("printed", &printed), ("signed", &signed)] {
            let response = http
                .get(&service)
                .bearer_auth(token)
                .send()
                .await
                .expect("GET");
            assert_eq!(response.status(), 401, "{config}, {case} token");
            let body = response.text().await.expect("body");
            assert!(body.contains("no key"), "{config}, {case} token: {body}");
        }
        server.kill();

        let output = command(dir.path())
            .args(["--config", config, "token", "--subject", "x"])
            .output()
            .expect("rolie token");
        assert!(!output.status.success(), "{config}: rolie token refuses");
        assert!(output.stdout.is_empty(), "{config}: no token printed");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("ROLIE_JWT_HS256_SECRET"),
            "{config}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}
