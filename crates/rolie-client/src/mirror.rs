//! `rolie pull`: mirrors one or all collections of a ROLIE server into a directory.
//!
//! Layout of the directory:
//!
//! ```text
//! DIR/.rolie-pull.json              what was fetched: validators, sync links, files
//! DIR/<collection>/entries/<h>.atom each entry as an Atom entry document
//! DIR/<collection>/content/<h>.xml  its content, byte-exact (.json, .bin by media type)
//! DIR/<collection>/index.json       atom:id, title, edited and file names of every entry
//! ```
//!
//! `<h>` is a hash of the entry's `atom:id`, so names are stable and safe whatever the
//! server sends. Every GET is conditional where a validator is known. Where a feed offers
//! incremental sync (a `rel-sync` link, `docs/sync.md`), later pulls ask only for what
//! changed, deletions included as tombstones; elsewhere the feed is paged in full and
//! entries no longer listed are deleted (reconciliation). Content whose entry states a
//! SHA-256 (`content-sha256`) is verified before it is written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use indicatif::ProgressBar;
use rolie_model::read::{read_feed, read_service_document};
use rolie_model::vocabulary::{property, rel};
use rolie_model::xml::Limits;
use rolie_model::{Content, Entry, Feed};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::client::{Client, Fetched};
use crate::error::ClientError;

const ATOM: &str = "application/atom+xml";
const DISCOVERY: &str = "application/atomsvc+xml, application/atom+xml;q=0.9";
/// The state file's name in the mirror directory.
pub const STATE_FILE: &str = ".rolie-pull.json";
/// Most pages read from one feed in one pull (a loop of `next` links ends here).
const MAX_PAGES: usize = 100_000;

/// What to mirror.
#[derive(Debug, Clone)]
pub struct PullOptions {
    /// Collection names (the last segment of the feed URI) to mirror; empty: all.
    pub collections: Vec<String>,
    /// Told of each entry as it is listed and as it is mirrored (hidden by default).
    pub progress: ProgressBar,
}

impl Default for PullOptions {
    fn default() -> Self {
        PullOptions {
            collections: Vec::new(),
            progress: ProgressBar::hidden(),
        }
    }
}

/// What a pull did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct PullReport {
    /// Collections mirrored.
    pub collections: usize,
    /// Entries written (new or changed).
    pub written: usize,
    /// Entries seen unchanged.
    pub unchanged: usize,
    /// Entries removed (tombstones, or no longer listed).
    pub deleted: usize,
    /// Conditional GETs answered 304.
    pub not_modified: usize,
    /// Pulls of a collection that used incremental sync.
    pub synced: usize,
    /// What could not be mirrored, one line each (the pull goes on).
    pub problems: Vec<String>,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    version: u32,
    collections: BTreeMap<String, CollectionState>,
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
struct CollectionState {
    name: String,
    head_etag: Option<String>,
    sync: Option<String>,
    sync_etag: Option<String>,
    entries: BTreeMap<String, EntryState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct EntryState {
    title: String,
    edited: String,
    file: String,
    content: Option<ContentState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct ContentState {
    src: String,
    media_type: String,
    file: String,
    sha256: String,
    etag: Option<String>,
}

fn limits() -> Limits {
    Limits::default()
}

fn document_error(url: &str, what: &'static str, e: impl std::fmt::Display) -> ClientError {
    ClientError::Document {
        url: url.to_owned(),
        what,
        message: e.to_string(),
    }
}

/// A collection's directory name from its feed URI: its last path segment, reduced to
/// characters safe in a file name.
fn collection_name(href: &str) -> String {
    let segment = href
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("");
    let safe: String = segment
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    if safe.is_empty() || safe.chars().all(|c| c == '_') {
        format!("feed-{}", &hash(href)[..12])
    } else {
        safe
    }
}

fn hash(text: &str) -> String {
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// Writes `bytes` to `path` through a temporary file, so a crash leaves the old file or
/// the new one, never half of one.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ClientError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| ClientError::io(parent, e))?;
    }
    let temporary = path.with_extension("partial");
    std::fs::write(&temporary, bytes).map_err(|e| ClientError::io(&temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| ClientError::io(path, e))
}

fn remove(path: &Path) {
    // Already gone is gone.
    let _ = std::fs::remove_file(path);
}

fn load_state(dir: &Path) -> Result<State, ClientError> {
    let path = dir.join(STATE_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
            ClientError::Config(format!(
                "{}: not a pull state file ({e}); remove it to start over",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State {
            version: 1,
            ..State::default()
        }),
        Err(e) => Err(ClientError::io(path, e)),
    }
}

fn save_state(dir: &Path, state: &State) -> Result<(), ClientError> {
    let bytes = serde_json::to_vec_pretty(state)
        .map_err(|e| ClientError::Config(format!("the pull state: {e}")))?;
    write_atomic(&dir.join(STATE_FILE), &bytes)
}

/// The feeds `url` leads to: the collections of a service document, or the feed itself.
async fn feeds_at(client: &Client, url: &str) -> Result<Vec<String>, ClientError> {
    let response = client.fetch(url, DISCOVERY).await?;
    match response.media_type().as_str() {
        "application/atomsvc+xml" => {
            let service = read_service_document(&response.body, &limits())
                .map_err(|e| document_error(url, "service document", e))?;
            Ok(service
                .workspaces
                .iter()
                .flat_map(|w| w.collections.iter())
                .map(|c| c.href.clone())
                .collect())
        }
        "application/atom+xml" | "application/xml" | "text/xml" => Ok(vec![url.to_owned()]),
        other => Err(document_error(
            url,
            "service document or feed",
            format!("it is {other}"),
        )),
    }
}

/// Mirrors the collections at `url` (a service document or a feed) into `dir`.
///
/// # Errors
/// What stops the pull: the server unreachable, the service document unreadable, the
/// directory unwritable. A single entry or content that cannot be fetched is a line in
/// [`PullReport::problems`] instead.
pub async fn pull(
    client: &Client,
    url: &str,
    dir: &Path,
    options: &PullOptions,
) -> Result<PullReport, ClientError> {
    std::fs::create_dir_all(dir).map_err(|e| ClientError::io(dir, e))?;
    let mut state = load_state(dir)?;
    let mut report = PullReport::default();
    for href in feeds_at(client, url).await? {
        let name = collection_name(&href);
        if !options.collections.is_empty() && !options.collections.contains(&name) {
            continue;
        }
        if let Err(e) = client.allowed(&href) {
            report.problems.push(e.to_string());
            continue;
        }
        let mut collection = state.collections.remove(&href).unwrap_or_default();
        collection.name = name.clone();
        options.progress.set_message(name.clone());
        let mut mirror = Mirror {
            client,
            dir: dir.join(&name),
            collection,
            report: &mut report,
            progress: &options.progress,
        };
        let outcome = mirror.run(&href).await;
        let collection = mirror.collection;
        write_index(&dir.join(&name), &collection)?;
        state.collections.insert(href, collection);
        save_state(dir, &state)?;
        outcome?;
        report.collections += 1;
    }
    Ok(report)
}

fn write_index(dir: &Path, collection: &CollectionState) -> Result<(), ClientError> {
    #[derive(Serialize)]
    struct Item<'a> {
        atom_id: &'a str,
        title: &'a str,
        edited: &'a str,
        entry: String,
        content: Option<String>,
        media_type: Option<&'a str>,
        sha256: Option<&'a str>,
    }
    let items: Vec<Item<'_>> = collection
        .entries
        .iter()
        .map(|(id, e)| Item {
            atom_id: id,
            title: &e.title,
            edited: &e.edited,
            entry: format!("entries/{}", e.file),
            content: e.content.as_ref().map(|c| format!("content/{}", c.file)),
            media_type: e.content.as_ref().map(|c| c.media_type.as_str()),
            sha256: e.content.as_ref().map(|c| c.sha256.as_str()),
        })
        .collect();
    let bytes = serde_json::to_vec_pretty(&items)
        .map_err(|e| ClientError::Config(format!("the index: {e}")))?;
    write_atomic(&dir.join("index.json"), &bytes)
}

struct Mirror<'a> {
    client: &'a Client,
    dir: PathBuf,
    collection: CollectionState,
    report: &'a mut PullReport,
    progress: &'a ProgressBar,
}

impl Mirror<'_> {
    /// One pull of the feed at `href`: a conditional GET of its head first (304: nothing
    /// the caller can see changed, so nothing else is asked), then the sync window when a
    /// sync link is held, else the whole feed.
    async fn run(&mut self, href: &str) -> Result<(), ClientError> {
        let head = match self
            .client
            .get(href, ATOM, self.collection.head_etag.as_deref())
            .await?
        {
            Fetched::NotModified => {
                self.report.not_modified += 1;
                return Ok(());
            }
            Fetched::Ok(head) => head,
        };
        if let Some(sync) = self.collection.sync.clone() {
            match self.incremental(&sync).await {
                Ok(()) => {
                    self.report.synced += 1;
                    // The head read before the window: a change after it moves the head's
                    // validator, and the next pull asks the sync link again.
                    self.collection.head_etag = head.etag().map(str::to_owned);
                    return Ok(());
                }
                // Expired (410) or no longer accepted (400, a new server key): read the
                // feed again in full, which also finds what was deleted meanwhile.
                Err(e) if matches!(e.status(), Some(400 | 404 | 410)) => {
                    tracing::info!("{href}: sync link refused ({e}); reading the feed in full");
                    self.collection.sync = None;
                    self.collection.sync_etag = None;
                }
                Err(e) => return Err(e),
            }
        }
        self.full(href, head).await
    }

    /// Pages through the sync window at `sync`, applying entries and tombstones.
    async fn incremental(&mut self, sync: &str) -> Result<(), ClientError> {
        let mut url = sync.to_owned();
        let mut first_etag = None;
        let mut visited = BTreeSet::new();
        loop {
            let etag = if url == sync {
                self.collection.sync_etag.clone()
            } else {
                None
            };
            let response = match self.client.get(&url, ATOM, etag.as_deref()).await? {
                Fetched::NotModified => {
                    self.report.not_modified += 1;
                    return Ok(());
                }
                Fetched::Ok(response) => response,
            };
            if url == sync {
                first_etag = response.etag().map(str::to_owned);
            }
            let feed = read_feed(&response.body, &limits())
                .map_err(|e| document_error(&url, "feed", e))?;
            self.progress.inc_length(feed.entries.len() as u64);
            for entry in &feed.entries {
                self.upsert(entry).await?;
                self.progress.inc(1);
            }
            for (reference, _) in feed.tombstones() {
                self.delete(reference);
            }
            visited.insert(url.clone());
            match next(&feed, &visited) {
                Some(next) => url = next,
                None => {
                    let kept = feed.link(rel::SYNC).map(|l| l.href.clone());
                    // The ETag stands for the URI it came from: keep it only when the
                    // next poll asks the same URI (nothing changed).
                    self.collection.sync_etag = if kept.as_deref() == Some(sync) {
                        first_etag
                    } else {
                        None
                    };
                    if kept.is_some() {
                        self.collection.sync = kept;
                    }
                    return Ok(());
                }
            }
            if visited.len() > MAX_PAGES {
                return Err(document_error(sync, "sync window", "too many pages"));
            }
        }
    }

    /// Reads the whole feed from its `head` page on, then removes entries it no longer
    /// lists.
    async fn full(&mut self, href: &str, head: crate::client::Response) -> Result<(), ClientError> {
        let head_etag = head.etag().map(str::to_owned);
        let mut feed =
            read_feed(&head.body, &limits()).map_err(|e| document_error(href, "feed", e))?;
        // The sync link of the head page stands for everything up to it: kept before the
        // walk, so what changes during the walk comes again in the next sync.
        let sync = feed.link(rel::SYNC).map(|l| l.href.clone());
        let mut seen = BTreeSet::new();
        let mut visited = BTreeSet::from([href.to_owned()]);
        loop {
            self.progress.inc_length(feed.entries.len() as u64);
            for entry in &feed.entries {
                seen.insert(entry.id.clone());
                self.upsert(entry).await?;
                self.progress.inc(1);
            }
            let Some(url) = next(&feed, &visited) else {
                break;
            };
            if visited.len() > MAX_PAGES {
                return Err(document_error(href, "feed", "too many pages"));
            }
            visited.insert(url.clone());
            let page = self.client.fetch(&url, ATOM).await?;
            feed = read_feed(&page.body, &limits()).map_err(|e| document_error(&url, "feed", e))?;
        }
        let gone: Vec<String> = self
            .collection
            .entries
            .keys()
            .filter(|id| !seen.contains(*id))
            .cloned()
            .collect();
        for id in gone {
            self.delete(&id);
        }
        self.collection.head_etag = head_etag;
        self.collection.sync = sync;
        self.collection.sync_etag = None;
        Ok(())
    }

    fn delete(&mut self, atom_id: &str) {
        if let Some(entry) = self.collection.entries.remove(atom_id) {
            remove(&self.dir.join("entries").join(&entry.file));
            if let Some(content) = &entry.content {
                remove(&self.dir.join("content").join(&content.file));
            }
            self.report.deleted += 1;
        }
    }

    /// Writes `entry` and its content unless the mirror already holds this revision.
    async fn upsert(&mut self, entry: &Entry) -> Result<(), ClientError> {
        let edited = rolie_model::timestamp::format(entry.edited.unwrap_or(entry.updated));
        let stem = hash(&entry.id)[..24].to_owned();
        let entry_file = format!("{stem}.atom");
        let held = self.collection.entries.get(&entry.id).cloned();
        if let Some(held) = &held
            && held.edited == edited
            && self.dir.join("entries").join(&held.file).exists()
        {
            self.report.unchanged += 1;
            return Ok(());
        }
        let content = match &entry.content {
            Some(Content::OutOfLine { media_type, src }) => {
                let media_type = media_type.clone().unwrap_or_default();
                match self
                    .content(entry, &stem, src, &media_type, held.as_ref())
                    .await
                {
                    Ok(content) => Some(content),
                    Err(e) => {
                        self.report.problems.push(format!("{}: {e}", entry.id));
                        return Ok(());
                    }
                }
            }
            _ => None,
        };
        write_atomic(&self.dir.join("entries").join(&entry_file), &entry.to_xml())?;
        self.collection.entries.insert(
            entry.id.clone(),
            EntryState {
                title: entry.title.as_plain(),
                edited,
                file: entry_file,
                content,
            },
        );
        self.report.written += 1;
        Ok(())
    }

    /// Fetches the content at `src` (conditionally when the mirror holds it), verifies its
    /// digest when the entry states one, and writes it.
    async fn content(
        &mut self,
        entry: &Entry,
        stem: &str,
        src: &str,
        media_type: &str,
        held: Option<&EntryState>,
    ) -> Result<ContentState, ClientError> {
        let file = format!("{stem}.{}", rolie_model::media::file_extension(media_type));
        let path = self.dir.join("content").join(&file);
        let held = held
            .and_then(|h| h.content.clone())
            .filter(|c| c.src == src && c.file == file && path.exists());
        let stated = entry
            .properties
            .iter()
            .find(|p| p.name == property::CONTENT_SHA256)
            .map(|p| p.value.to_ascii_lowercase());
        let etag = held.as_ref().and_then(|c| c.etag.clone());
        let accept = if media_type.is_empty() {
            "*/*"
        } else {
            media_type
        };
        match self.client.get(src, accept, etag.as_deref()).await? {
            Fetched::NotModified => {
                self.report.not_modified += 1;
                let held =
                    held.ok_or_else(|| document_error(src, "content", "304 without a copy"))?;
                if stated.as_ref().is_some_and(|s| *s != held.sha256) {
                    return Err(document_error(
                        src,
                        "content",
                        "the entry states another SHA-256 than the copy held, and the server answered 304",
                    ));
                }
                Ok(held)
            }
            Fetched::Ok(response) => {
                let sha256 = hex::encode(Sha256::digest(&response.body));
                if let Some(stated) = stated
                    && stated != sha256
                {
                    return Err(document_error(
                        src,
                        "content",
                        format!("its SHA-256 is {sha256}, the entry states {stated}"),
                    ));
                }
                write_atomic(&path, &response.body)?;
                Ok(ContentState {
                    src: src.to_owned(),
                    media_type: media_type.to_owned(),
                    file,
                    sha256,
                    etag: response.etag().map(str::to_owned),
                })
            }
        }
    }
}

/// The `next` link of `feed`, unless it leads back to a page already read.
fn next(feed: &Feed, visited: &BTreeSet<String>) -> Option<String> {
    feed.link(rel::NEXT)
        .map(|l| l.href.clone())
        .filter(|href| !visited.contains(href))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collection_names_are_safe_file_names() {
        assert_eq!(
            collection_name("https://x/rolie/feeds/incidents"),
            "incidents"
        );
        assert_eq!(
            collection_name("https://x/rolie/feeds/incidents/?a=b"),
            "incidents"
        );
        assert_eq!(collection_name("https://x/feeds/../etc"), "etc");
        assert_eq!(collection_name("https://x/f/%2e%2e"), "_2e_2e");
        assert!(collection_name("https://x/..").starts_with("feed-"));
    }
}
