//! The container deployment files: docker-compose.yml checks health with the binary and
//! holds no secret, its environment is one the binary accepts and its ports, proxy and
//! health check agree with it, the image checks its own health and keeps its data in a
//! volume as a user who is not root, and `.dockerignore` keeps build output, history and
//! local state out of the build context. No container engine runs here, so the files are
//! checked against the real binary instead.

use std::path::{Path, PathBuf};

use yaml_serde::Value;

fn repository_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(name)
}

fn read(name: &str) -> String {
    let path = repository_file(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// docker-compose.yml with its `<<: *anchor` merge keys applied, as compose reads it.
fn compose() -> Value {
    let mut compose: Value =
        yaml_serde::from_str(&read("docker-compose.yml")).expect("docker-compose.yml is YAML");
    compose.apply_merge().expect("merge keys resolve");
    compose
}

/// `(name, service)` for every service.
fn services(compose: &Value) -> Vec<(String, &Value)> {
    compose["services"]
        .as_mapping()
        .expect("services")
        .iter()
        .map(|(name, service)| (name.as_str().expect("service name").to_owned(), service))
        .collect()
}

/// A service's environment as `(key, value)` pairs, from either compose spelling (a mapping
/// or a list of `KEY=value`).
fn environment(service: &Value) -> Vec<(String, String)> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => yaml_serde::to_string(other)
            .expect("scalar")
            .trim()
            .to_owned(),
    };
    match service.get("environment") {
        None => Vec::new(),
        Some(Value::Mapping(map)) => map.iter().map(|(k, v)| (text(k), text(v))).collect(),
        Some(Value::Sequence(items)) => items
            .iter()
            .map(|item| {
                let item = text(item);
                let (key, value) = item.split_once('=').unwrap_or((&item, ""));
                (key.to_owned(), value.to_owned())
            })
            .collect(),
        Some(other) => panic!("environment is neither a mapping nor a list: {other:?}"),
    }
}

/// `${NAME:?message}`: compose substitutes the variable and refuses to start without it.
fn is_required_variable(value: &str) -> bool {
    value
        .strip_prefix("${")
        .and_then(|rest| rest.strip_suffix('}'))
        .and_then(|inner| inner.split_once(":?"))
        .is_some_and(|(name, _)| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        })
}

#[test]
fn compose_replicas_check_their_health_with_rolie_healthcheck() {
    let compose = compose();
    let expected: Vec<Value> = ["CMD", "rolie", "healthcheck"]
        .into_iter()
        .map(|s| Value::String(s.to_owned()))
        .collect();
    let mut servers = 0;
    for (name, service) in services(&compose) {
        let test = &service["healthcheck"]["test"];
        assert!(
            !yaml_serde::to_string(test)
                .expect("healthcheck")
                .contains("/dev/tcp"),
            "{name}: /dev/tcp is bash-only; the image's /bin/sh is dash"
        );
        // Services built from this repository that run the default command are servers.
        let serves = service.get("build").is_some() && service.get("command").is_none();
        if serves {
            servers += 1;
            assert_eq!(
                test.as_sequence(),
                Some(&expected),
                "{name}: healthcheck test"
            );
        }
    }
    assert!(servers >= 2, "the compose file runs replicas ({servers})");
}

#[test]
fn compose_environment_holds_no_literal_secret() {
    let compose = compose();
    let mut jwt_secrets = 0;
    for (name, service) in services(&compose) {
        for (key, value) in environment(service) {
            if key == "ROLIE_JWT_HS256_SECRET" {
                jwt_secrets += 1;
                assert!(
                    value.starts_with("${ROLIE_JWT_HS256_SECRET:?"),
                    "{name}: {key} must come from the environment"
                );
            }
            if (key.contains("SECRET") || key.contains("PASSWORD")) && !key.ends_with("_FILE") {
                assert!(
                    is_required_variable(&value),
                    "{name}: {key} is a literal; write it as ${{{key}:?message}}"
                );
            }
            if key.ends_with("DATABASE_URL")
                && let Some((_, rest)) = value.split_once("://")
                && let Some((userinfo, _)) = rest.rsplit_once('@')
                && let Some((_, password)) = userinfo.split_once(':')
            {
                assert!(
                    is_required_variable(password),
                    "{name}: the password in {key} is a literal"
                );
            }
        }
    }
    assert!(
        jwt_secrets >= 1,
        "the replicas get ROLIE_JWT_HS256_SECRET from the environment"
    );
}

#[test]
fn the_image_checks_its_health_with_rolie_healthcheck() {
    let dockerfile = read("Dockerfile");
    let healthcheck = dockerfile
        .lines()
        .find(|line| line.starts_with("HEALTHCHECK"))
        .expect("the Dockerfile has a HEALTHCHECK");
    assert!(
        healthcheck.ends_with(r#"CMD ["rolie", "healthcheck"]"#),
        "{healthcheck}"
    );
    assert!(
        dockerfile.contains("/usr/local/bin/rolie"),
        "the binary is on PATH as `rolie`"
    );
}

#[test]
fn dockerignore_keeps_build_output_history_and_local_state_out_of_the_context() {
    let text = read(".dockerignore");
    let patterns: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| line.trim_start_matches('/').trim_end_matches('/'))
        .collect();
    for required in ["target", ".git", "rolie-data", "fuzz/target"] {
        assert!(
            patterns.contains(&required),
            ".dockerignore lists {required}: {patterns:?}"
        );
    }
    assert!(
        !patterns.iter().any(|p| p.starts_with('!')),
        "no exception re-includes an ignored path: {patterns:?}"
    );
}

/// `value` with each `${NAME:?message}` replaced by a value of the kind its message asks
/// for, as compose would substitute it.
fn substituted(value: &str) -> String {
    let mut out = String::new();
    let mut rest = value;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').expect("a closed ${...}") + start;
        let name = rest[start + 2..end].split(":?").next().unwrap_or_default();
        out.push_str(match name {
            "ROLIE_JWT_HS256_SECRET" => {
                "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
            }
            _ => "letters0and0digits",
        });
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Seconds of a compose duration such as `10s` or `1m30s`.
fn seconds(duration: &str) -> u64 {
    let mut total = 0;
    let mut number = 0;
    for c in duration.chars() {
        match c {
            '0'..='9' => number = number * 10 + u64::from(c.to_digit(10).unwrap_or(0)),
            'm' => (total, number) = (total + number * 60, 0),
            's' => (total, number) = (total + number, 0),
            other => panic!("unexpected {other:?} in the duration {duration:?}"),
        }
    }
    total
}

/// Issue (deployment): each replica's and the migration job's environment is one the
/// binary accepts (`rolie config check` with compose's values, secrets substituted); the
/// replicas listen where the proxy's upstreams and the health check look; the public base
/// URL is the proxy's published port; the shutdown grace ends before compose kills.
#[test]
fn compose_settings_are_ones_the_binary_accepts_and_agree_with_each_other() {
    let compose = compose();
    let nginx = read("deploy/nginx.conf");
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut servers = Vec::new();
    for (name, service) in services(&compose) {
        if service.get("build").is_none() {
            continue;
        }
        let mut command = crate::support::command(dir.path());
        command.args(["config", "check"]);
        for (key, value) in environment(service) {
            command.env(key, substituted(&value));
        }
        let output = command.output().expect("run rolie config check");
        assert!(
            output.status.success(),
            "{name}: the binary refuses compose's environment: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let effective: serde_json::Value =
            serde_json::from_slice(&output.stdout).expect("JSON configuration");
        let runs_server = service.get("command").is_none();
        if !runs_server {
            continue;
        }
        servers.push(name.clone());
        let listen = effective["listen"].as_str().expect("listen");
        let port = listen.rsplit(':').next().expect("a port");
        assert!(
            listen.starts_with("0.0.0.0:"),
            "{name}: reachable from the proxy ({listen})"
        );
        assert!(
            nginx.contains(&format!("server {name}:{port};")),
            "{name}: deploy/nginx.conf sends requests to {name}:{port}"
        );
        let healthcheck_port = environment(service)
            .into_iter()
            .find(|(k, _)| k == "ROLIE_HEALTHCHECK_URL")
            .map_or_else(|| "http://127.0.0.1:8080/readyz".to_owned(), |(_, v)| v);
        assert!(
            healthcheck_port.contains(&format!(":{port}/")),
            "{name}: the health check looks where it listens ({healthcheck_port})"
        );
        let grace = effective["shutdown_grace_seconds"].as_u64().expect("grace");
        let stop = service["stop_grace_period"].as_str().map_or(10, seconds);
        assert!(
            grace < stop,
            "{name}: requests get {grace} s after SIGTERM, compose kills after {stop} s"
        );
        assert_eq!(effective["behind_tls_proxy"], true, "{name}");
        let base = effective["base_url"].as_str().expect("base_url");
        let published = compose["services"]["proxy"]["ports"][0]
            .as_str()
            .expect("the proxy publishes a port");
        let (outside, inside) = published.split_once(':').expect("HOST:CONTAINER");
        assert!(
            base.starts_with("https://") && base.ends_with(&format!(":{outside}")),
            "{name}: the base URL {base} is the proxy's published port {outside}"
        );
        assert!(
            nginx.contains(&format!("listen {inside} ssl;")),
            "the proxy listens with TLS on {inside}"
        );
        let trusted = effective["trusted_proxies"].as_array().expect("proxies");
        let subnet = compose["networks"]["default"]["ipam"]["config"][0]["subnet"]
            .as_str()
            .expect("the network's subnet");
        assert!(
            trusted.iter().any(|p| p == subnet),
            "{name}: the proxy's network {subnet} is trusted for X-Forwarded-For: {trusted:?}"
        );
    }
    assert_eq!(servers.len(), 2, "two replicas: {servers:?}");
    let tls = compose["services"]["proxy"]["volumes"]
        .as_sequence()
        .expect("proxy volumes")
        .iter()
        .filter_map(Value::as_str)
        .find(|v| v.starts_with("./deploy/tls:"))
        .expect("the proxy mounts deploy/tls");
    let mounted = tls.split(':').nth(1).expect("a mount point");
    for file in ["server.crt", "server.key"] {
        assert!(
            nginx.contains(&format!("{mounted}/{file};")),
            "nginx reads {mounted}/{file}"
        );
        assert!(
            read("docker-compose.yml").contains(&format!("deploy/tls/{file}")),
            "docker-compose.yml says how to make deploy/tls/{file}"
        );
    }
}

/// Issue (deployment): the image runs as a user who is not root, keeps the data directory
/// it tells the binary about in a volume, and exposes the port the binary listens on.
#[test]
fn the_image_runs_unprivileged_with_its_data_in_a_volume() {
    let dockerfile = read("Dockerfile");
    let directive = |name: &str| -> Vec<String> {
        dockerfile
            .lines()
            .filter_map(|line| line.strip_prefix(&format!("{name} ")))
            .map(str::to_owned)
            .collect()
    };
    assert!(
        directive("FROM").len() >= 2,
        "a multi-stage build: the toolchain stays out of the image"
    );
    assert!(
        dockerfile.contains("--mount=type=cache,target=/usr/local/cargo/registry"),
        "dependencies are cached between builds"
    );
    let user = directive("USER");
    assert_eq!(user.len(), 1, "{user:?}");
    assert_ne!(user[0], "root");
    let data_dir = directive("ENV")
        .iter()
        .find_map(|e| e.strip_prefix("ROLIE_DATA_DIR=").map(str::to_owned))
        .expect("ENV ROLIE_DATA_DIR");
    assert_eq!(directive("VOLUME"), vec![format!("[\"{data_dir}\"]")]);
    assert!(
        dockerfile.contains(&format!("chown {}:{} {data_dir}", user[0], user[0])),
        "the volume belongs to the user"
    );
    assert_eq!(directive("EXPOSE"), vec!["8080".to_owned()]);
}

#[test]
fn required_variables_are_recognised() {
    assert!(is_required_variable("${POSTGRES_PASSWORD:?set it}"));
    assert!(!is_required_variable("${POSTGRES_PASSWORD}"));
    assert!(!is_required_variable("${POSTGRES_PASSWORD:-rolie}"));
    assert!(!is_required_variable("change-me-to-a-long-random-string"));
    assert!(!is_required_variable("rolie"));
}
