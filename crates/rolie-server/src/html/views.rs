//! What the templates show, built from stored values: plain serialisable rows, so the
//! templates hold layout only.

use rolie_model::vocabulary::{property, scheme};
use rolie_model::{Category, Restriction};
use rolie_store::{ContentInfo, StoredEntry};
use serde::Serialize;
use time::OffsetDateTime;

use crate::urls::Urls;

/// A restriction level as a TLP badge (TLP 2.0 names: `clear` for public).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Level {
    colour: &'static str,
    term: &'static str,
}

impl Level {
    /// The badge of `level`.
    pub fn of(level: Restriction) -> Self {
        Level {
            colour: match level {
                Restriction::Public => "clear",
                other => other.tlp(),
            },
            term: level.term(),
        }
    }
}

/// A point in time, for `<time>`: machine-readable and short for people (UTC).
#[derive(Debug, Clone, Serialize)]
pub struct When {
    iso: String,
    text: String,
}

impl When {
    /// `at` for a page.
    pub fn of(at: OffsetDateTime) -> Self {
        let utc = at.to_offset(time::UtcOffset::UTC);
        let text = format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            utc.year(),
            u8::from(utc.month()),
            utc.day(),
            utc.hour(),
            utc.minute()
        );
        When {
            iso: rolie_model::timestamp::format(utc),
            text,
        }
    }
}

/// A collection in the list of collections.
#[derive(Debug, Serialize)]
pub struct CollectionRow {
    /// Its feed, which a browser gets as a page.
    pub href: String,
    /// Title.
    pub title: String,
    /// Name (the path segment).
    pub name: String,
    /// Information type term.
    pub information_type: String,
    /// Entries the caller sees.
    pub entries: i64,
    /// The newest change the caller can see.
    pub last_change: When,
    /// Readable without credentials.
    pub public: bool,
}

/// A collection a feed or entry page belongs to.
#[derive(Debug, Serialize)]
pub struct CollectionHead {
    /// Its feed as a page.
    pub href: String,
    /// Its feed as Atom.
    pub atom: String,
    /// Title.
    pub title: String,
}

impl CollectionHead {
    /// The head of `collection`.
    pub fn of(urls: &Urls, collection: &rolie_store::Collection) -> Self {
        let href = urls.feed(&collection.spec.name);
        CollectionHead {
            atom: format!("{href}?format=atom"),
            href,
            title: collection.spec.title.clone(),
        }
    }
}

fn term_in(categories: &[Category], wanted: &str) -> String {
    categories
        .iter()
        .filter(|c| c.scheme.as_deref() == Some(wanted))
        .map(|c| c.label.clone().unwrap_or_else(|| c.term.clone()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The ids an analyst knows an incident by: `content-id` values (IncidentID, indicator
/// ids, a STIX bundle id, a MISP event uuid), at most `limit`.
fn ids(entry: &StoredEntry, limit: usize) -> Vec<String> {
    entry
        .data
        .properties
        .iter()
        .filter(|p| p.name == property::CONTENT_ID)
        .take(limit)
        .map(|p| p.value.clone())
        .collect()
}

/// What both a feed row and an entry page say of an entry.
#[derive(Debug, Serialize)]
struct Headline {
    title: String,
    summary: Option<String>,
    level: Level,
    draft: bool,
    purpose: String,
    status: String,
    updated: When,
}

impl Headline {
    fn of(entry: &StoredEntry) -> Self {
        let data = &entry.data;
        Headline {
            title: data.title.as_plain(),
            summary: data.summary.as_ref().map(rolie_model::Text::as_plain),
            level: Level::of(data.restriction),
            draft: data.draft,
            purpose: term_in(&data.categories, scheme::IODEF_PURPOSE),
            status: term_in(&data.categories, scheme::IODEF_STATUS),
            updated: When::of(entry.updated()),
        }
    }
}

/// An entry in a feed page.
#[derive(Debug, Serialize)]
pub struct EntryRow {
    href: String,
    #[serde(flatten)]
    headline: Headline,
    ids: Vec<String>,
}

impl EntryRow {
    /// The row of `entry`.
    pub fn of(urls: &Urls, entry: &StoredEntry) -> Self {
        EntryRow {
            href: urls.entry(entry.id),
            headline: Headline::of(entry),
            ids: ids(entry, 2),
        }
    }
}

#[derive(Debug, Serialize)]
struct CategoryView {
    scheme: String,
    scheme_name: String,
    term: String,
}

#[derive(Debug, Serialize)]
struct PropertyView {
    name: String,
    value: String,
}

#[derive(Debug, Serialize)]
struct LinkView {
    rel: String,
    /// Only `http` and `https` targets are links; anything else (`javascript:`, say, from a
    /// hostile publisher) is shown as text.
    href: Option<String>,
    text: String,
    media_type: Option<String>,
}

#[derive(Debug, Serialize)]
struct ContentView {
    href: String,
    media_type: String,
    size: Option<String>,
}

/// An entry's page: everything its Atom entry says, for people.
#[derive(Debug, Serialize)]
pub struct EntryView {
    #[serde(flatten)]
    headline: Headline,
    ids: Vec<String>,
    published: When,
    edited: When,
    authors: Vec<String>,
    format: Option<String>,
    atom_id: String,
    atom: String,
    content: Option<ContentView>,
    links: Vec<LinkView>,
    categories: Vec<CategoryView>,
    properties: Vec<PropertyView>,
}

/// `href` when it is an `http` or `https` URL.
fn web_link(href: &str) -> Option<String> {
    let lower = href.get(..8).unwrap_or(href).to_ascii_lowercase();
    (lower.starts_with("http://") || lower.starts_with("https://")).then(|| href.to_owned())
}

/// `bytes` for people: "5.2 KB".
fn size(bytes: i64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "a size shown to one decimal")]
    let b = bytes as f64;
    if bytes < 1_000 {
        format!("{bytes} bytes")
    } else if bytes < 1_000_000 {
        format!("{:.1} KB", b / 1e3)
    } else {
        format!("{:.1} MB", b / 1e6)
    }
}

impl EntryView {
    /// The page of `entry`.
    pub fn of(urls: &Urls, entry: &StoredEntry) -> Self {
        let data = &entry.data;
        let content = match &entry.content {
            ContentInfo::Stored {
                media_type,
                size: s,
                ..
            } => Some(ContentView {
                href: urls.content(entry.id),
                media_type: media_type.clone(),
                size: Some(size(*s)),
            }),
            ContentInfo::External { media_type, src } => web_link(src).map(|href| ContentView {
                href,
                media_type: media_type.clone().unwrap_or_default(),
                size: None,
            }),
        };
        EntryView {
            headline: Headline::of(entry),
            ids: ids(entry, 100),
            published: When::of(entry.published()),
            edited: When::of(entry.edited),
            authors: data.authors.iter().map(|a| a.name.clone()).collect(),
            format: data.format.as_ref().map(|f| match &f.version {
                Some(v) => format!("{} {v}", f.ns),
                None => f.ns.clone(),
            }),
            atom_id: data.atom_id.clone(),
            atom: format!("{}?format=atom", urls.entry(entry.id)),
            content,
            links: data
                .links
                .iter()
                .map(|l| LinkView {
                    rel: l.rel.clone().unwrap_or_else(|| "alternate".into()),
                    href: web_link(&l.href),
                    text: l.title.clone().unwrap_or_else(|| l.href.clone()),
                    media_type: l.media_type.clone(),
                })
                .collect(),
            categories: data
                .categories
                .iter()
                .map(|c| {
                    let scheme = c.scheme.clone().unwrap_or_default();
                    CategoryView {
                        scheme_name: scheme.rsplit(':').next().unwrap_or_default().to_owned(),
                        scheme,
                        term: c.label.clone().unwrap_or_else(|| c.term.clone()),
                    }
                })
                .collect(),
            properties: data
                .properties
                .iter()
                .map(|p| PropertyView {
                    name: p
                        .name
                        .strip_prefix("urn:ietf:params:rolie:property:")
                        .unwrap_or(&p.name)
                        .to_owned(),
                    value: p.value.clone(),
                })
                .collect(),
        }
    }
}
