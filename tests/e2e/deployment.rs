//! The container deployment files: docker-compose.yml checks health with the binary and
//! holds no secret, the image checks its own health, and `.dockerignore` keeps build output,
//! history and local state out of the build context.

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

#[test]
fn required_variables_are_recognised() {
    assert!(is_required_variable("${POSTGRES_PASSWORD:?set it}"));
    assert!(!is_required_variable("${POSTGRES_PASSWORD}"));
    assert!(!is_required_variable("${POSTGRES_PASSWORD:-rolie}"));
    assert!(!is_required_variable("change-me-to-a-long-random-string"));
    assert!(!is_required_variable("rolie"));
}
