//! Running the `rolie` binary: build it once, start it with a clean environment, wait for it,
//! read what it prints, stop it with a signal.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use rolie_authz::authenticate::{TokenIssuer, TokenRequest};
use rolie_model::Restriction;
use rolie_testkit::{Backend, TestDb, postgres_url};

/// The HS256 secret the end-to-end servers are started with (so tests mint tokens).
pub const SECRET: &str = "e2e-secret-0123456789abcdef0123456789abcdef";

/// Path of the `rolie` binary, built by `cargo build --bin rolie` the first time it is asked
/// for (integration tests of one package cannot depend on another package's binary).
pub fn binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
        let mut command = Command::new(cargo);
        command.args([
            "build",
            "--quiet",
            "--bin",
            "rolie",
            "--message-format=json",
        ]);
        if !cfg!(debug_assertions) {
            command.arg("--release");
        }
        command.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
        let output = command
            .stderr(Stdio::inherit())
            .output()
            .expect("run cargo build --bin rolie");
        assert!(output.status.success(), "cargo build --bin rolie failed");
        String::from_utf8_lossy(&output.stdout)
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|message| message["target"]["name"] == "rolie")
            .find_map(|message| message["executable"].as_str().map(PathBuf::from))
            .expect("cargo reported the rolie executable")
    })
}

/// The Python interpreter of the Python checks: `ROLIE_TEST_PYTHON` (CI sets it to its
/// virtualenv, which has every module of `.ci/python-requirements.txt`), else a `python3`
/// that can import `modules` (comma-separated); `None` when there is none.
pub fn python_with(modules: &str) -> Option<String> {
    if let Ok(python) = std::env::var("ROLIE_TEST_PYTHON") {
        return Some(python);
    }
    let has_modules = Command::new("python3")
        .args(["-c", &format!("import {modules}")])
        .output()
        .is_ok_and(|o| o.status.success());
    has_modules.then(|| "python3".to_owned())
}

/// Runs the Python check `tests/e2e/{script}` with `python` and `env`, off the test's
/// runtime; asserts it exited 0 (each check exits non-zero when anything failed) and
/// returns what it printed.
pub async fn run_python_check(python: String, script: &str, env: Vec<(&str, String)>) -> String {
    let path = format!("{}/e2e/{script}", env!("CARGO_MANIFEST_DIR"));
    let env: Vec<(String, String)> = env.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    let output = tokio::task::spawn_blocking(move || {
        Command::new(python)
            .arg(path)
            .envs(env)
            .output()
            .expect("run python")
    })
    .await
    .expect("python task");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// A free TCP port on 127.0.0.1 (released before the server binds it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("address")
        .port()
}

/// A `rolie` command with no `ROLIE_*` variable inherited from the test environment.
pub fn command(dir: &Path) -> Command {
    let mut command = Command::new(binary());
    command.current_dir(dir);
    for (key, _) in std::env::vars() {
        if key.starts_with("ROLIE_") {
            command.env_remove(key);
        }
    }
    command.env("RUST_LOG", "warn");
    command
}

/// A running server process.
pub struct Server {
    child: Child,
    /// `http(s)://127.0.0.1:port`.
    pub base_url: String,
    /// Lines printed on standard output so far.
    pub output: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `rolie` in `dir` listening on `port` with `env`, and waits until `/readyz`
    /// answers 200.
    pub async fn start(dir: &Path, port: u16, env: &[(&str, String)]) -> Server {
        let mut command = command(dir);
        command.env("ROLIE_LISTEN", format!("127.0.0.1:{port}"));
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start rolie");
        let output = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("stdout");
        let lines = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                lines.lock().expect("lines").push(line);
            }
        });
        let tls = env.iter().any(|(k, _)| *k == "ROLIE_TLS_CERT");
        let base_url = format!("{}://127.0.0.1:{port}", if tls { "https" } else { "http" });
        let server = Server {
            child,
            base_url,
            output,
        };
        if !tls {
            server.wait_ready().await;
        }
        server
    }

    /// Waits for `/readyz` (plain HTTP servers).
    pub async fn wait_ready(&self) {
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = client.get(format!("{}/readyz", self.base_url)).send().await
                && response.status() == 200
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "rolie did not become ready; output: {:?}",
                self.lines()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What it printed.
    pub fn lines(&self) -> Vec<String> {
        self.output.lock().expect("lines").clone()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and reap the process.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
    }

    /// Waits for the process to exit, at most `limit`.
    pub fn wait_exit(mut self, limit: Duration) -> ExitStatus {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("rolie did not exit within {limit:?}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A fresh PostgreSQL database for `test`, or `None`, after saying it is skipped, when
/// `ROLIE_TEST_DATABASE_URL` is not set.
pub async fn postgres_db(test: &str) -> Option<TestDb> {
    if postgres_url().is_none() {
        rolie_testkit::skip(&format!(
            "{test}: skipped: set ROLIE_TEST_DATABASE_URL to run it"
        ));
        return None;
    }
    Some(TestDb::create(Backend::Postgres).await)
}

/// A POST of an IODEF XML `document` to the `incidents` collection of the server at `base`.
pub fn post_incident(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    document: impl Into<reqwest::Body>,
) -> reqwest::RequestBuilder {
    http.post(format!("{base}/rolie/feeds/incidents"))
        .bearer_auth(token)
        .header("content-type", "application/xml")
        .body(document)
}

/// A bearer token signed with [`SECRET`].
pub fn token(subject: &str, scope: &str) -> String {
    TokenIssuer::hs256(SECRET.as_bytes())
        .mint(&TokenRequest {
            subject: subject.to_owned(),
            scope: scope.to_owned(),
            clearance: Some(Restriction::Private),
            lifetime: time_hours(1),
            issuer: None,
            audience: None,
        })
        .expect("token")
}

fn time_hours(hours: i64) -> time::Duration {
    time::Duration::hours(hours)
}

/// A client trusting `ca` only.
pub fn client_trusting(ca: &rolie_testkit::TestCa) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(ca.cert_pem().as_bytes()).expect("CA")])
        .no_proxy()
        .build()
        .expect("client")
}

/// Starts `rolie` over TLS in `dir` with a certificate for localhost from `ca` (written to
/// `server.crt` and `server.key`, the CA to `ca.crt`) and the end-to-end token secret,
/// plus `env`; waits until `/readyz` answers. Returns the server and its base URL.
pub async fn start_tls(
    dir: &Path,
    ca: &rolie_testkit::TestCa,
    env: &[(&str, String)],
) -> (Server, String) {
    let (cert, key) = ca.server_pem();
    std::fs::write(dir.join("server.crt"), cert).expect("write");
    std::fs::write(dir.join("server.key"), key).expect("write");
    std::fs::write(dir.join("ca.crt"), ca.cert_pem()).expect("write");
    let port = free_port();
    let base = format!("https://localhost:{port}");
    let mut settings = vec![
        ("ROLIE_TLS_CERT", "server.crt".to_owned()),
        ("ROLIE_TLS_KEY", "server.key".to_owned()),
        ("ROLIE_JWT_HS256_SECRET", SECRET.to_owned()),
        ("ROLIE_BASE_URL", base.clone()),
    ];
    settings.extend(env.iter().cloned());
    let server = Server::start(dir, port, &settings).await;
    let client = client_trusting(ca);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !client
        .get(format!("{base}/readyz"))
        .send()
        .await
        .is_ok_and(|r| r.status() == 200)
    {
        assert!(
            Instant::now() < deadline,
            "rolie did not start: {:?}",
            server.lines()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (server, base)
}
