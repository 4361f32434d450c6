//! `rolie export COLLECTION DIR` and `rolie restore DIR`: a collection as an Atom archive
//! with its content, and back into a database.
//!
//! The archive is a directory: `feed.atom`, a complete Atom feed (RFC 5005 `fh:complete`)
//! of every entry of the collection, drafts and every level included, newest first, each
//! with its content out of line at `content/<id>.<ext>` beside it, byte-exact, and the
//! content's SHA-256 as a property; and `content/`. Any feed reader can open it. What Atom
//! has no element for travels in this server's namespace (`docs/sync.md#ns`):
//! `rs:collection` on the feed (the collection's definition) and `rs:archived` on each
//! entry (server id, publisher, which title and summary the publisher wrote).
//!
//! A restore recreates the collection with its feed's `atom:id` and every entry with its
//! server id, `atom:id`, publisher, times (`app:edited` included) and content, so the
//! restored feeds are the exported ones; only the validators (ETags) are new.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow, bail};
use bytes::Bytes;
use rolie_model::vocabulary::{ns, property, scheme};
use rolie_model::xml::{Limits, QName, XmlAttribute, XmlElement, XmlNode};
use rolie_model::{
    Category, Content, Control, Entry, Feed, Person, Restriction, RolieProperty, Text,
};
use rolie_store::{
    CollectionName, CollectionSpec, ContentInfo, EntryData, EntryExtras, EntryFilter, FeedQuery,
    MAX_PAGE_SIZE, NewContent, NewEntry, NewEntryContent, PagePosition, Store, StoreError,
    StoredEntry, Visibility,
};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::bootstrap;
use crate::settings::Settings;

const FEED_FILE: &str = "feed.atom";
const CONTENT_DIR: &str = "content";

fn server_name(local: &str) -> QName {
    QName::new(ns::SERVER, local)
}

fn element(local: &str, attributes: &[(&str, String)]) -> XmlElement {
    let mut element = XmlElement::declared(ns::SERVER, "rs", local);
    for (name, value) in attributes {
        element.attributes.push(XmlAttribute {
            name: QName::local(name),
            prefix: None,
            value: value.clone(),
        });
    }
    element
}

fn text_child(local: &str, value: &str) -> XmlNode {
    let mut child = XmlElement::new(server_name(local));
    child.prefix = Some("rs".to_owned());
    child.children.push(XmlNode::Text(value.to_owned()));
    XmlNode::Element(child)
}

/// Every entry of `name`, drafts and every level included, newest first.
async fn every_entry(store: &dyn Store, name: &CollectionName) -> Result<Vec<StoredEntry>> {
    let mut entries = Vec::new();
    let mut position = PagePosition::First;
    loop {
        let page = store
            .list_entries(&FeedQuery {
                collection: name.clone(),
                visibility: Visibility::everything(),
                limit: MAX_PAGE_SIZE,
                position,
                filter: EntryFilter::default(),
            })
            .await
            .map_err(|e| anyhow!("reading collection {name}: {e}"))?;
        entries.extend(page.entries);
        match page.next {
            Some(next) => position = next,
            None => return Ok(entries),
        }
    }
}

/// The archive entry of `stored`: its data as stored (no links of this server), its
/// `content` as the archive holds it (with the SHA-256 of the bytes when they are in the
/// archive), and what Atom cannot say in `rs:archived`.
fn archive_entry(stored: &StoredEntry, content: Content, sha256: Option<String>) -> Entry {
    let data = &stored.data;
    let mut e = rolie_server::present::stored_metadata(stored);
    e.links = data.links.clone();
    e.content = Some(content);
    if let Some(sha256) = sha256 {
        e.properties
            .push(RolieProperty::new(property::CONTENT_SHA256, sha256));
    }
    // Whether the publisher wrote the title and summary (they are then the entry's): a
    // later revision of the content re-derives only what the publisher did not write.
    e.extensions.push(element(
        "archived",
        &[
            ("id", stored.id.to_string()),
            ("publisher", stored.publisher.clone()),
            ("restriction", data.restriction.term().to_owned()),
            (
                "publisher-title",
                data.extras.client_title.is_some().to_string(),
            ),
            (
                "publisher-summary",
                data.extras.client_summary.is_some().to_string(),
            ),
        ],
    ));
    e
}

/// `rolie export COLLECTION DIR`.
pub async fn export(settings: Settings, collection: &str, dir: &Path) -> Result<ExitCode> {
    let name = CollectionName::parse(collection).map_err(|e| anyhow!("COLLECTION: {e}"))?;
    if dir.join(FEED_FILE).exists() {
        bail!(
            "{} already holds an archive; export into a new directory",
            dir.display()
        );
    }
    let store = bootstrap::open_store(&settings).await?;
    let found = store
        .get_collection(&name)
        .await
        .map_err(|e| anyhow!("collection {name}: {e}"))?;
    let content_dir = dir.join(CONTENT_DIR);
    std::fs::create_dir_all(&content_dir)
        .with_context(|| format!("cannot create {}", content_dir.display()))?;
    let stored = every_entry(store.as_ref(), &name).await?;
    let mut feed = Feed::new(
        found.feed_id.clone(),
        Text::plain(found.spec.title.clone()),
        stored.first().map_or(found.created, |newest| newest.edited),
    );
    feed.authors = vec![Person::named(settings.organization.clone())];
    feed.categories = vec![Category::new(
        scheme::INFORMATION_TYPE,
        found.spec.information_type.clone(),
    )];
    feed.extensions
        .push(XmlElement::declared(ns::FEED_HISTORY, "fh", "complete"));
    let spec = &found.spec;
    let mut definition = element(
        "collection",
        &[
            ("name", spec.name.to_string()),
            ("workspace", spec.workspace.clone()),
            ("max-restriction", spec.max_restriction.term().to_owned()),
            ("public", spec.public.to_string()),
        ],
    );
    for accept in &spec.accept {
        definition.children.push(text_child("accept", accept));
    }
    feed.extensions.push(definition);
    for entry in &stored {
        let (content, sha256) = match &entry.content {
            ContentInfo::Stored { .. } => {
                let content = store
                    .get_content(entry.id, &Visibility::everything())
                    .await
                    .map_err(|e| anyhow!("content of entry {}: {e}", entry.id))?;
                let file = format!(
                    "{CONTENT_DIR}/{}.{}",
                    entry.id,
                    rolie_model::media::file_extension(&content.media_type)
                );
                std::fs::write(dir.join(&file), &content.bytes)
                    .with_context(|| format!("cannot write {file}"))?;
                (
                    Content::out_of_line(&content.media_type, file),
                    Some(content.hash),
                )
            }
            ContentInfo::External { media_type, src } => (
                Content::OutOfLine {
                    media_type: media_type.clone(),
                    src: src.clone(),
                },
                None,
            ),
        };
        feed.entries.push(archive_entry(entry, content, sha256));
    }
    std::fs::write(dir.join(FEED_FILE), feed.to_xml())
        .with_context(|| format!("cannot write {}", dir.join(FEED_FILE).display()))?;
    println!(
        "rolie export: {} entries of {name} written to {}",
        stored.len(),
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Reading an archive written by `export`: bounded like any other document, but an
/// archive holds a whole collection, so the node bound is raised.
fn archive_limits() -> Limits {
    Limits {
        max_nodes: 50_000_000,
        ..Limits::default()
    }
}

fn attribute<'a>(element: &'a XmlElement, name: &str) -> Result<&'a str> {
    element
        .attribute(&QName::local(name))
        .ok_or_else(|| anyhow!("rs:{} has no {name}", element.name.local))
}

fn extension_named<'a>(extensions: &'a [XmlElement], local: &str) -> Option<&'a XmlElement> {
    extensions.iter().find(|e| e.name.is(ns::SERVER, local))
}

fn collection_spec(feed: &Feed) -> Result<CollectionSpec> {
    let definition = extension_named(&feed.extensions, "collection")
        .ok_or_else(|| anyhow!("the feed has no rs:collection: not an archive of rolie export"))?;
    let information_type = feed
        .categories
        .iter()
        .find(|c| c.scheme.as_deref() == Some(scheme::INFORMATION_TYPE))
        .map(|c| c.term.clone())
        .ok_or_else(|| anyhow!("the feed has no information-type category"))?;
    let spec = CollectionSpec {
        name: CollectionName::parse(attribute(definition, "name")?)
            .map_err(|e| anyhow!("rs:collection name: {e}"))?,
        title: feed.title.as_plain(),
        information_type,
        workspace: attribute(definition, "workspace")?.to_owned(),
        accept: definition
            .elements()
            .filter(|e| e.name.is(ns::SERVER, "accept"))
            .map(XmlElement::text)
            .collect(),
        max_restriction: Restriction::from_label(attribute(definition, "max-restriction")?)
            .ok_or_else(|| anyhow!("rs:collection max-restriction is not a level"))?,
        public: attribute(definition, "public")? == "true",
    };
    spec.validate().map_err(|e| anyhow!("rs:collection: {e}"))?;
    Ok(spec)
}

/// The entry to create from an archive entry; `dir` is where its content is.
fn new_entry(dir: &Path, collection: &CollectionName, mut e: Entry) -> Result<NewEntry> {
    let at = e.id.clone();
    let position = e
        .extensions
        .iter()
        .position(|x| x.name.is(ns::SERVER, "archived"))
        .ok_or_else(|| anyhow!("entry {at}: no rs:archived"))?;
    let archived = e.extensions.remove(position);
    let id: Uuid = attribute(&archived, "id")?
        .parse()
        .map_err(|_| anyhow!("entry {at}: rs:archived id is not a UUID"))?;
    let restriction = Restriction::from_label(attribute(&archived, "restriction")?)
        .ok_or_else(|| anyhow!("entry {at}: rs:archived restriction is not a level"))?;
    let wrote = |what: &str| archived.attribute(&QName::local(what)) == Some("true");
    let stated_hash = e
        .properties
        .iter()
        .find(|p| p.name == property::CONTENT_SHA256)
        .map(|p| p.value.clone());
    e.properties.retain(|p| p.name != property::CONTENT_SHA256);
    let content = match e.content.take() {
        Some(Content::OutOfLine {
            media_type: Some(media),
            src,
        }) if stated_hash.is_some() => {
            let relative = Path::new(&src);
            if relative.is_absolute()
                || relative
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                bail!("entry {at}: content {src} is outside the archive");
            }
            let bytes = std::fs::read(dir.join(relative))
                .with_context(|| format!("entry {at}: cannot read {src}"))?;
            let actual = hex::encode(Sha256::digest(&bytes));
            if Some(&actual) != stated_hash.as_ref() {
                bail!("entry {at}: {src} does not have the SHA-256 its entry states");
            }
            NewEntryContent::Stored(NewContent {
                media_type: media,
                bytes: Bytes::from(bytes),
            })
        }
        Some(Content::OutOfLine { media_type, src }) => {
            NewEntryContent::External { media_type, src }
        }
        _ => bail!("entry {at}: no out-of-line content"),
    };
    let control = e.control.take().unwrap_or(Control {
        draft: false,
        extensions: Vec::new(),
    });
    let client_title = wrote("publisher-title").then(|| e.title.clone());
    let client_summary = if wrote("publisher-summary") {
        e.summary.clone()
    } else {
        None
    };
    Ok(NewEntry {
        id,
        collection: collection.clone(),
        publisher: attribute(&archived, "publisher")?.to_owned(),
        edited: e.edited,
        content,
        data: EntryData {
            atom_id: e.id,
            title: e.title,
            summary: e.summary,
            authors: e.authors,
            published: e.published,
            updated: Some(e.updated),
            draft: control.draft,
            restriction,
            format: e.format,
            categories: e.categories,
            properties: e.properties,
            links: e.links,
            extras: EntryExtras {
                client_title,
                client_summary,
                contributors: e.contributors,
                rights: e.rights,
                source: e.source,
                lang: e.lang,
                attributes: e.attributes,
                extensions: e.extensions,
                control_extensions: control.extensions,
            },
        },
    })
}

/// `rolie restore DIR`: the collection of an archive into the configured database, which
/// must not hold a collection of that name.
pub async fn restore(settings: Settings, dir: &Path) -> Result<ExitCode> {
    let path: PathBuf = dir.join(FEED_FILE);
    let bytes = std::fs::read(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let feed = rolie_model::read_feed(&bytes, &archive_limits())
        .map_err(|e| anyhow!("{}: {e}", path.display()))?;
    let spec = collection_spec(&feed)?;
    let feed_id: Uuid = feed
        .id
        .strip_prefix("urn:uuid:")
        .and_then(|id| id.parse().ok())
        .ok_or_else(|| anyhow!("the feed's atom:id {} is not a urn:uuid", feed.id))?;
    let mut entries = feed
        .entries
        .into_iter()
        .map(|e| new_entry(dir, &spec.name, e))
        .collect::<Result<Vec<_>>>()?;
    // Oldest edit first, so every entry keeps its app:edited (Store: edited increases in
    // commit order).
    entries.sort_by_key(|e| e.edited);
    let store = bootstrap::open_store(&settings).await?;
    match store.restore_collection(&spec, feed_id).await {
        Ok(_) => {}
        Err(StoreError::Conflict(_)) => bail!(
            "collection {} exists; restore into a database without it (a new one, or delete it first: rolie admin collections delete {} --yes)",
            spec.name,
            spec.name
        ),
        Err(e) => bail!("creating collection {}: {e}", spec.name),
    }
    let count = entries.len();
    for entry in entries {
        let at = entry.data.atom_id.clone();
        store
            .create_entry(entry)
            .await
            .map_err(|e| anyhow!("entry {at}: {e}"))?;
    }
    println!(
        "rolie restore: collection {} with {count} entries restored from {}",
        spec.name,
        dir.display()
    );
    Ok(ExitCode::SUCCESS)
}
