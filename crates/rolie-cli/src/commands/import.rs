//! `rolie import DIR`: publish a directory of documents (IODEF XML and JSON, STIX 2.1
//! bundles, MISP events) through the same rules as a POST (validation, derived metadata,
//! restriction caps, duplicate incidents).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use bytes::Bytes;
use futures::StreamExt;
use rolie_authz::AccessError;
use rolie_model::MediaType;
use rolie_model::vocabulary::media_type;
use rolie_publish::{self as publish, PublishSettings, Submission};
use rolie_store::{CollectionName, Conflict, StoreError};

use crate::bootstrap;
use crate::cli::ImportArgs;
use crate::commands::operator;
use crate::settings::Settings;

/// Documents read, parsed and waiting for the store at once.
const IN_FLIGHT: usize = 32;

/// Publishes each `*.xml` and `*.json` file (IODEF, JSON IODEF, STIX bundle or MISP event);
/// reports one line per file. Exit code 1 when any file was refused (duplicates are not
/// failures).
pub async fn run(settings: Settings, args: ImportArgs) -> Result<ExitCode> {
    let name = CollectionName::parse(&args.collection).map_err(|e| anyhow!("--collection: {e}"))?;
    let store = bootstrap::open_store(&settings).await?;
    bootstrap::ensure_collections(store.as_ref(), &settings).await?;
    let gate = bootstrap::gate(&settings, store);
    let principal = operator(&args.subject);
    let writer = gate
        .collection_writer(&principal, &name)
        .await
        .map_err(|e| anyhow!("collection {name}: {e}"))?;
    let mut files: Vec<_> = std::fs::read_dir(&args.dir)
        .with_context(|| format!("cannot read {}", args.dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let policy = settings.restriction_policy();
    let publish_settings = PublishSettings {
        organization: &settings.organization,
        policy: &policy,
    };
    let documents = files.into_iter().filter_map(|path| {
        let media = match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("xml") => media_type::XML,
            Some("json") => media_type::JSON,
            _ => return None,
        };
        Some((path, MediaType::parse(media)?))
    });
    let import_one = |(path, media): (PathBuf, MediaType)| {
        let (writer, principal, policy, publish_settings) =
            (&writer, &principal, &policy, &publish_settings);
        let max_body_bytes = settings.max_body_bytes;
        async move {
            let outcome = async {
                let bytes = std::fs::read(&path)
                    .map_err(|e| Refusal::Other(format!("cannot read: {e}")))?;
                if bytes.len() > max_body_bytes {
                    return Err(Refusal::Other(format!(
                        "larger than max_body_bytes ({max_body_bytes})"
                    )));
                }
                let document = publish::read_document(&media, Bytes::from(bytes), policy)
                    .map_err(|e| Refusal::Other(e.to_string()))?;
                for warning in &document.warnings {
                    println!("warning\t{}\t{warning}", path.display());
                }
                let (data, content) = publish::new_entry(
                    &writer.collection().spec,
                    Submission::Document(Box::new(document)),
                    path.file_stem().and_then(|s| s.to_str()).map(str::to_owned),
                    &principal.subject,
                    publish_settings,
                )
                .map_err(|e| Refusal::Other(e.to_string()))?;
                writer
                    .create_entry(data, content)
                    .await
                    .map_err(|e| match e {
                        AccessError::Store(StoreError::Conflict(
                            conflict @ Conflict::DuplicateEntry { .. },
                        )) => Refusal::Exists(conflict.to_string()),
                        e => Refusal::Other(e.to_string()),
                    })
            }
            .await;
            (path, outcome)
        }
    };
    // Several documents in flight, so that their creations are committed together (one
    // flush to disk for many documents on SQLite). Outcomes are reported in file order;
    // entries are created in about that order (exactly, on SQLite, whose committer takes
    // creations in the order they are queued).
    let mut outcomes = futures::stream::iter(documents)
        .map(import_one)
        .buffered(IN_FLIGHT);
    let (mut created, mut duplicates, mut refused) = (0, 0, 0);
    while let Some((path, outcome)) = outcomes.next().await {
        match outcome {
            Ok(entry) => {
                created += 1;
                println!("created\t{}\t{}", path.display(), entry.id);
            }
            Err(Refusal::Exists(e)) => {
                duplicates += 1;
                println!("exists\t{}\t{e}", path.display());
            }
            Err(Refusal::Other(e)) => {
                refused += 1;
                println!("refused\t{}\t{e}", path.display());
            }
        }
    }
    eprintln!("{created} created, {duplicates} already present, {refused} refused");
    Ok(if refused == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Why a file was not imported.
enum Refusal {
    /// The collection already holds this incident at this level.
    Exists(String),
    /// Anything else, as a message for the operator.
    Other(String),
}
