//! `rolie admin`: administration over the admin API (`/admin/…`), so it works the same
//! against this machine's server and a remote one: collections, feed tokens, the audit
//! log. Refusals print the server's problem document.

use std::process::ExitCode;

use bytes::Bytes;
use http::Method;
use rolie_client::{Client, ClientError};
use rolie_model::Restriction;
use serde_json::{Value, json};

use crate::cli::{
    AdminArgs, AdminAuditArgs, AdminCommand, CollectionCommand, CollectionFields, TokenCommand,
};
use crate::commands::remote;

const JSON: &str = "application/json";

/// Exit code when the server refused or the command could not run.
const FAILED: u8 = 1;

/// Runs `rolie admin …`.
pub fn run(args: AdminArgs) -> ExitCode {
    let base = args.server.trim_end_matches('/').to_owned();
    let client = match remote::client(&base, &args.remote) {
        Ok(client) => client,
        Err(e) => {
            eprintln!("rolie admin: {e}");
            return ExitCode::from(FAILED);
        }
    };
    let Some(runtime) = remote::runtime() else {
        return ExitCode::from(FAILED);
    };
    let admin = Admin {
        client,
        base,
        json: args.remote.json,
    };
    match runtime.block_on(admin.run(args.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rolie admin: {e}");
            ExitCode::from(FAILED)
        }
    }
}

struct Admin {
    client: Client,
    base: String,
    json: bool,
}

impl Admin {
    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Result<Value, String> {
        let url = self.url(path);
        let mut headers = vec![("accept", JSON)];
        let body = body.map(|b| Bytes::from(b.to_string()));
        if body.is_some() {
            headers.push(("content-type", JSON));
        }
        let response = self
            .client
            .request(method, &url, &headers, body)
            .await
            .and_then(Client::expect_ok)
            .map_err(|e: ClientError| e.reason())?;
        if response.body.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&response.body).map_err(|e| format!("{url}: not JSON: {e}"))
    }

    fn print(&self, value: &Value, human: impl FnOnce(&Value)) {
        if self.json {
            println!("{value}");
        } else {
            human(value);
        }
    }

    async fn run(&self, command: AdminCommand) -> Result<(), String> {
        match command {
            AdminCommand::Collections(command) => self.collections(command).await,
            AdminCommand::Tokens(command) => self.tokens(command).await,
            AdminCommand::Audit(args) => self.audit(args).await,
        }
    }

    async fn collections(&self, command: CollectionCommand) -> Result<(), String> {
        match command {
            CollectionCommand::List => {
                let list = self.call(Method::GET, "/admin/collections", None).await?;
                self.print(&list, |list| {
                    for c in list.as_array().into_iter().flatten() {
                        println!(
                            "{:<20} {:<10} {:<7} {:<14} {}",
                            text(&c["name"]),
                            text(&c["information_type"]),
                            if c["public"] == true { "public" } else { "" },
                            text(&c["max_restriction"]),
                            text(&c["title"])
                        );
                    }
                });
                Ok(())
            }
            CollectionCommand::Create { name, fields } => {
                let spec = json!({
                    "name": name,
                    "title": fields.title.clone().unwrap_or_else(|| name.clone()),
                    "information_type": fields.information_type.clone().unwrap_or_else(|| "incident".into()),
                    "workspace": fields.workspace.clone().unwrap_or_else(|| "Incidents".into()),
                    "accept": fields.accept.clone().unwrap_or_else(|| vec!["application/xml".into(), JSON.into()]),
                    "max_restriction": fields.max_restriction.clone().unwrap_or_else(|| "private".into()),
                    "public": fields.public.unwrap_or(false),
                });
                let created = self
                    .call(Method::POST, "/admin/collections", Some(spec))
                    .await?;
                self.print(&created, |c| {
                    println!(
                        "created collection {} at {}",
                        text(&c["name"]),
                        text(&c["href"])
                    )
                });
                Ok(())
            }
            CollectionCommand::Update { name, fields } => {
                let path = format!("/admin/collections/{name}");
                let mut spec = self.call(Method::GET, &path, None).await?;
                apply(&mut spec, &fields);
                let updated = self.call(Method::PUT, &path, Some(spec)).await?;
                self.print(&updated, |c| {
                    println!("updated collection {}", text(&c["name"]))
                });
                Ok(())
            }
            CollectionCommand::Delete { name, yes } => {
                if !yes {
                    return Err(format!(
                        "deleting collection {name} cannot be undone; pass --yes to delete it (it must be empty)"
                    ));
                }
                self.call(Method::DELETE, &format!("/admin/collections/{name}"), None)
                    .await?;
                if !self.json {
                    println!("deleted collection {name}");
                }
                Ok(())
            }
        }
    }

    async fn tokens(&self, command: TokenCommand) -> Result<(), String> {
        match command {
            TokenCommand::List => {
                let list = self.call(Method::GET, "/admin/feed-tokens", None).await?;
                self.print(&list, |list| {
                    for t in list.as_array().into_iter().flatten() {
                        println!(
                            "{} {:<16} {:<6} {:<8} {}",
                            text(&t["id"]),
                            text(&t["subject"]),
                            text(&t["clearance"]),
                            if t["revoked"].is_null() || t["revoked"] == false {
                                "active"
                            } else {
                                "revoked"
                            },
                            text(&t["label"])
                        );
                    }
                });
                Ok(())
            }
            TokenCommand::Issue {
                subject,
                clearance,
                label,
                collections,
                days,
            } => {
                let mut request = json!({
                    "subject": subject,
                    "clearance": Restriction::from(clearance).tlp(),
                    "label": label,
                    "collections": collections,
                });
                if let Some(days) = days {
                    request["expires_in_days"] = json!(days);
                }
                let issued = self
                    .call(Method::POST, "/admin/feed-tokens", Some(request))
                    .await?;
                self.print(&issued, |t| {
                    println!("feed token for {} (shown once):", text(&t["subject"]));
                    println!("  user name: {}", text(&t["username"]));
                    println!("  password:  {}", text(&t["password"]));
                });
                Ok(())
            }
            TokenCommand::Revoke { id } => {
                self.call(Method::DELETE, &format!("/admin/feed-tokens/{id}"), None)
                    .await?;
                if !self.json {
                    println!("revoked feed token {id}");
                }
                Ok(())
            }
        }
    }

    async fn audit(&self, args: AdminAuditArgs) -> Result<(), String> {
        let records = self
            .call(
                Method::GET,
                &format!("/admin/audit?limit={}", args.limit.clamp(1, 500)),
                None,
            )
            .await?;
        let kept: Vec<Value> = records
            .as_array()
            .into_iter()
            .flatten()
            .filter(|r| {
                args.subject
                    .as_ref()
                    .is_none_or(|s| r["subject"] == s.as_str())
            })
            .filter(|r| {
                args.action
                    .as_ref()
                    .is_none_or(|a| text(&r["action"]).contains(a.as_str()))
            })
            .filter(|r| !args.refused || r["outcome"] != "allowed")
            .cloned()
            .collect();
        let kept = Value::Array(kept);
        self.print(&kept, |records| {
            for r in records.as_array().into_iter().flatten() {
                println!(
                    "{} {:<16} {} {} {} {}",
                    text(&r["at"]),
                    text(&r["subject"]),
                    r["status"],
                    text(&r["outcome"]),
                    text(&r["action"]),
                    text(&r["resource"])
                );
            }
        });
        Ok(())
    }
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Changes the fields of `spec` (the server's JSON of a collection) that were given.
fn apply(spec: &mut Value, fields: &CollectionFields) {
    let set = |spec: &mut Value, key: &str, value: Value| {
        spec[key] = value;
    };
    if let Some(title) = &fields.title {
        set(spec, "title", json!(title));
    }
    if let Some(kind) = &fields.information_type {
        set(spec, "information_type", json!(kind));
    }
    if let Some(workspace) = &fields.workspace {
        set(spec, "workspace", json!(workspace));
    }
    if let Some(accept) = &fields.accept {
        set(spec, "accept", json!(accept));
    }
    if let Some(level) = &fields.max_restriction {
        set(spec, "max_restriction", json!(level));
    }
    if let Some(public) = fields.public {
        set(spec, "public", json!(public));
    }
    // The server's own fields are not part of a collection's settings.
    if let Value::Object(map) = spec {
        for key in ["feed_id", "created", "href"] {
            map.remove(key);
        }
    }
}
