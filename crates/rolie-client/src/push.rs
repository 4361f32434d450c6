//! `rolie push`: validates documents with the server's own publishing rules, then
//! publishes them to a collection, a bounded number at a time.
//!
//! A document the collection already holds (the server answers 409 naming the entry) is
//! compared with what the server stores: byte-identical is *unchanged*; different is
//! revised with a PUT of the new document to the entry's `edit-media` URI under
//! `If-Match` when updating is asked for, and refused otherwise.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use futures::StreamExt;
use indicatif::ProgressBar;
use rolie_model::read::{EntryMode, read_entry};
use rolie_model::vocabulary::rel;
use rolie_model::xml::Limits;
use rolie_model::{MediaType, RestrictionPolicy};
use serde::Serialize;

use crate::client::Client;
use crate::error::ClientError;

/// How to push.
#[derive(Debug, Clone)]
pub struct PushOptions {
    /// Revise documents the collection holds with other bytes.
    pub update: bool,
    /// Validate only; publish nothing.
    pub dry_run: bool,
    /// Requests in flight at most.
    pub concurrency: usize,
    /// Told of each file as it is done (hidden by default).
    pub progress: ProgressBar,
}

impl Default for PushOptions {
    fn default() -> Self {
        PushOptions {
            update: false,
            dry_run: false,
            concurrency: 4,
            progress: ProgressBar::hidden(),
        }
    }
}

/// What happened to one file.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(tag = "outcome", rename_all = "kebab-case")]
pub enum Outcome {
    /// Published; the new entry's URI.
    Created {
        /// The entry.
        entry: String,
    },
    /// Revised; the entry's URI.
    Updated {
        /// The entry.
        entry: String,
    },
    /// The collection holds exactly these bytes already.
    Unchanged {
        /// The entry.
        entry: String,
    },
    /// Valid (dry run: nothing sent).
    Valid,
    /// Not published, and why.
    Refused {
        /// The reason: the local validation's, or the server's problem document.
        reason: String,
    },
}

/// One file's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct FileOutcome {
    /// The file.
    pub path: PathBuf,
    /// What happened.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// What the server (or the local reader) decided on the publisher's behalf.
    pub warnings: Vec<String>,
}

/// Every file's outcome, in the order of the files given.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PushReport {
    /// Outcomes.
    pub files: Vec<FileOutcome>,
}

impl PushReport {
    fn count(&self, wanted: fn(&Outcome) -> bool) -> usize {
        self.files.iter().filter(|f| wanted(&f.outcome)).count()
    }

    /// Files published anew.
    pub fn created(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Created { .. }))
    }

    /// Files that revised an entry.
    pub fn updated(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Updated { .. }))
    }

    /// Files the collection held already.
    pub fn unchanged(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Unchanged { .. }))
    }

    /// Files found valid in a dry run.
    pub fn valid(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Valid))
    }

    /// Files refused.
    pub fn refused(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Refused { .. }))
    }
}

/// The documents named by `paths`: files as given, and the `*.xml` and `*.json` files of
/// directories (recursively), sorted.
///
/// # Errors
/// A path that cannot be read.
pub fn documents(paths: &[PathBuf]) -> Result<Vec<PathBuf>, ClientError> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ClientError> {
        let mut children: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| ClientError::io(dir, e))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        children.sort();
        for child in children {
            if child.is_dir() {
                walk(&child, out)?;
            } else if media_type_of(&child).is_some() {
                out.push(child);
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out)?;
        } else {
            std::fs::metadata(path).map_err(|e| ClientError::io(path, e))?;
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// The media type a file is sent as, by its extension.
fn media_type_of(path: &Path) -> Option<&'static str> {
    match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
        "xml" => Some("application/xml"),
        "json" => Some("application/json"),
        _ => None,
    }
}

/// Validates and publishes `files` to the collection feed at `collection` (`client` is
/// not used in a dry run).
pub async fn push(
    client: &Client,
    collection: &str,
    files: Vec<PathBuf>,
    options: &PushOptions,
) -> PushReport {
    options.progress.inc_length(files.len() as u64);
    let outcomes = futures::stream::iter(files.into_iter().enumerate())
        .map(|(index, path)| async move {
            let (outcome, warnings) = push_one(client, collection, &path, options).await;
            options.progress.inc(1);
            (
                index,
                FileOutcome {
                    path,
                    outcome,
                    warnings,
                },
            )
        })
        .buffer_unordered(options.concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    let mut outcomes = outcomes;
    outcomes.sort_by_key(|(index, _)| *index);
    PushReport {
        files: outcomes.into_iter().map(|(_, f)| f).collect(),
    }
}

fn refused(reason: impl Into<String>) -> Outcome {
    Outcome::Refused {
        reason: reason.into(),
    }
}

async fn push_one(
    client: &Client,
    collection: &str,
    path: &Path,
    options: &PushOptions,
) -> (Outcome, Vec<String>) {
    let Some(media_type) = media_type_of(path) else {
        return (
            refused(
                "not a .xml or .json file: IODEF is sent as application/xml, JSON IODEF, STIX and MISP as application/json",
            ),
            Vec::new(),
        );
    };
    let bytes = match std::fs::read(path) {
        Ok(bytes) => Bytes::from(bytes),
        Err(e) => return (refused(format!("cannot be read: {e}")), Vec::new()),
    };
    // The server's own reader: what it would refuse is refused here, without a request.
    let Some(media) = MediaType::parse(media_type) else {
        return (refused("no media type"), Vec::new());
    };
    let document =
        match rolie_publish::read_document(&media, bytes.clone(), &RestrictionPolicy::default()) {
            Ok(document) => document,
            Err(e) => return (refused(format!("invalid: {e}")), Vec::new()),
        };
    if options.dry_run {
        return (Outcome::Valid, document.warnings);
    }
    match publish(client, collection, media_type, bytes, options.update).await {
        Ok((outcome, warnings)) => (outcome, warnings),
        Err(e) => (refused(e.reason()), Vec::new()),
    }
}

async fn publish(
    client: &Client,
    collection: &str,
    media_type: &str,
    bytes: Bytes,
    update: bool,
) -> Result<(Outcome, Vec<String>), ClientError> {
    let response = client.post(collection, media_type, bytes.clone()).await?;
    let warnings: Vec<String> = response
        .headers
        .get_all("rolie-warning")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_owned))
        .collect();
    if response.status == 201 {
        let entry = response
            .header("location")
            .unwrap_or(response.url.as_str())
            .to_owned();
        return Ok((Outcome::Created { entry }, warnings));
    }
    let error = Client::status_error(&response);
    let existing = match &error {
        ClientError::Status {
            status: 409,
            problem: Some(problem),
            ..
        } => problem
            .extensions
            .get("existing")
            .and_then(|v| v.as_str())
            .map(str::to_owned),
        _ => None,
    };
    let Some(entry) = existing else {
        return Err(error);
    };
    // The entry in the way: compare what it stores with these bytes.
    let atom = client
        .fetch(&entry, "application/atom+xml;type=entry")
        .await?;
    let stored = read_entry(&atom.body, EntryMode::Document, &Limits::default()).map_err(|e| {
        ClientError::Document {
            url: entry.clone(),
            what: "entry",
            message: e.to_string(),
        }
    })?;
    let Some(media) = stored.link(rel::EDIT_MEDIA).map(|l| l.href.clone()) else {
        return Err(ClientError::Document {
            url: entry,
            what: "entry",
            message: "it has no edit-media link to revise its content at".into(),
        });
    };
    let content = client.fetch(&media, "*/*").await?;
    if content.body == bytes {
        return Ok((Outcome::Unchanged { entry }, warnings));
    }
    if !update {
        return Ok((
            refused(format!(
                "the collection holds this document with other content at {entry}; update to revise it"
            )),
            warnings,
        ));
    }
    let Some(etag) = content.etag().map(str::to_owned) else {
        return Err(ClientError::Document {
            url: media,
            what: "content",
            message: "no ETag to revise it under If-Match".into(),
        });
    };
    let revised = client.put(&media, media_type, &etag, bytes).await?;
    Client::expect_ok(revised)?;
    Ok((Outcome::Updated { entry }, warnings))
}
