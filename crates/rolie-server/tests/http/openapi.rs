//! `openapi/openapi.yaml` and the router agree: the same paths, and for each path the same
//! methods (read from the `Allow` header of a 405).

use std::collections::BTreeSet;

use reqwest::Method;
use rolie_testkit::{Backend, TestApp};

fn specification() -> serde_json::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../openapi/openapi.yaml");
    let text = std::fs::read_to_string(path).expect("openapi/openapi.yaml");
    yaml_serde::from_str(&text).expect("OpenAPI YAML")
}

fn instantiate(template: &str) -> String {
    template
        .replace("{collection}", "incidents")
        .replace("{name}", "iodef-purpose")
        .replace("{id}", "01890000-0000-7000-8000-000000000000")
}

/// Paths (`/components/responses/Conflict/...`) of every member whose value is null.
fn null_members(value: &serde_json::Value, path: &str, found: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(members) => {
            for (key, member) in members {
                let here = format!("{path}/{key}");
                if member.is_null() {
                    found.push(here);
                } else {
                    null_members(member, &here, found);
                }
            }
        }
        serde_json::Value::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                null_members(item, &format!("{path}/{index}"), found);
            }
        }
        _ => {}
    }
}

/// An unquoted comma inside a `{description: ...}` flow mapping turns the rest of the text
/// into keys with no value, which OpenAPI validators reject; no member of the contract is
/// ever meant to be null, so any null is such a split. `.ci/run` also runs a full OpenAPI 3.1
/// validator; this catches the commonest mistake without Python.
#[test]
fn the_openapi_file_has_no_member_without_a_value() {
    let mut found = Vec::new();
    null_members(&specification(), "", &mut found);
    assert!(
        found.is_empty(),
        "members with no value (quote text that contains a comma): {found:?}"
    );
}

#[tokio::test]
async fn the_openapi_file_describes_exactly_the_routes_the_server_has() {
    let spec = specification();
    let paths = spec["paths"].as_object().expect("paths");
    let documented: BTreeSet<&str> = paths.keys().map(String::as_str).collect();
    let routed: BTreeSet<&str> = rolie_server::PATHS.iter().copied().collect();
    assert_eq!(documented, routed, "paths in openapi.yaml vs the router");
    let app = TestApp::spawn(Backend::Sqlite).await;
    let token = app.admin_token();
    for (template, item) in paths {
        let methods: BTreeSet<String> = item
            .as_object()
            .expect("path item")
            .keys()
            .filter(|k| matches!(k.as_str(), "get" | "put" | "post" | "delete" | "patch"))
            .map(|k| k.to_ascii_uppercase())
            .collect();
        let response = app
            .send(app.request(Method::PATCH, &instantiate(template), Some(&token)))
            .await;
        assert_eq!(
            response.status,
            405,
            "{template} does not route (PATCH should be 405): {}",
            response.text()
        );
        let allowed: BTreeSet<String> = response
            .header("allow")
            .expect("Allow")
            .split(',')
            .map(|m| m.trim().to_owned())
            .filter(|m| m != "HEAD")
            .collect();
        assert_eq!(allowed, methods, "methods of {template}");
        for (method, operation) in item.as_object().expect("path item") {
            if let Some(responses) = operation.get("responses") {
                assert!(
                    responses.as_object().is_some_and(|r| !r.is_empty()),
                    "{method} {template} documents its responses"
                );
            }
        }
    }
}
