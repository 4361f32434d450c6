//! Stored values as Atom and AtomPub documents, with every href absolute (R-PROF-URI-a).

use rolie_authz::ReadableCollection;
use rolie_model::vocabulary::{information_type, media_type, ns, property, rel, scheme};
use rolie_model::xml::{QName, XmlAttribute, XmlElement, XmlNode};
use rolie_model::{
    Categories, Category, CategoryDocument, Collection as AppCollection, Content, Entry, Feed,
    Generator, Link, Person, RolieProperty, ServiceDocument, Text, Workspace,
};
use rolie_store::{Collection, ContentInfo, FeedPage, StoredEntry, VisibleFreshness};

use crate::urls::Urls;

/// A category document the server publishes.
pub struct CategoryList {
    /// The last path segment of its URI.
    pub name: &'static str,
    /// Its scheme.
    pub scheme: &'static str,
    /// Whether the terms below are every term the server emits in this scheme
    /// (`fixed="yes"`, RFC 5023 §7.2.1). Schemes whose values can be extended
    /// (`ext-value`, configured information types, free tags) are not fixed.
    pub fixed: bool,
    /// Terms with labels.
    pub terms: &'static [(&'static str, &'static str)],
}

/// Category documents the server publishes, one per scheme it derives (R-CSIRT-CAT-a/b).
pub const CATEGORY_DOCUMENTS: [CategoryList; 8] = [
    CategoryList {
        name: "information-type",
        scheme: scheme::INFORMATION_TYPE,
        // A collection may be configured with another type (`csaf`, say).
        fixed: false,
        terms: &[
            (
                information_type::INCIDENT,
                "Security incidents (ROLIE CSIRT)",
            ),
            (
                information_type::INDICATOR,
                "Indicators of compromise (ROLIE CSIRT)",
            ),
        ],
    },
    CategoryList {
        name: "iodef-purpose",
        scheme: scheme::IODEF_PURPOSE,
        // `purpose="ext-value"` emits the `ext-purpose` value.
        fixed: false,
        terms: &[
            ("traceback", "Trace the source of the activity"),
            ("mitigation", "Request mitigation"),
            ("reporting", "Report for information"),
            ("watch", "Watch and warning"),
            ("other", "Other purpose"),
        ],
    },
    CategoryList {
        name: "iodef-restriction",
        scheme: scheme::IODEF_RESTRICTION,
        // `restriction="ext-value"` emits the `ext-restriction` value.
        fixed: false,
        terms: &[
            ("public", "Public (TLP white)"),
            ("partner", "Partners (TLP green)"),
            ("need-to-know", "Need to know (TLP amber)"),
            ("private", "Private (TLP red)"),
            ("default", "By pre-arranged policy"),
            ("white", "TLP white"),
            ("clear", "TLP clear (TLP 2.0)"),
            ("green", "TLP green"),
            ("amber", "TLP amber"),
            ("amber+strict", "TLP amber+strict (TLP 2.0)"),
            ("red", "TLP red"),
        ],
    },
    CategoryList {
        name: "iodef-status",
        scheme: scheme::IODEF_STATUS,
        fixed: false,
        terms: &[
            ("new", "New"),
            ("in-progress", "In progress"),
            ("forwarded", "Forwarded"),
            ("resolved", "Resolved"),
            ("future", "Future"),
        ],
    },
    CategoryList {
        name: "iodef-expectation",
        scheme: scheme::IODEF_EXPECTATION,
        fixed: false,
        terms: &[
            ("nothing", "No action requested"),
            ("contact-source-site", "Contact the source site"),
            ("contact-target-site", "Contact the target site"),
            ("contact-sender", "Contact the sender"),
            ("investigate", "Investigate"),
            ("block-host", "Block the host"),
            ("block-network", "Block the network"),
            ("block-port", "Block the port"),
            ("rate-limit-host", "Rate-limit the host"),
            ("rate-limit-network", "Rate-limit the network"),
            ("rate-limit-port", "Rate-limit the port"),
            ("redirect-traffic", "Redirect traffic"),
            ("honeypot", "Send to a honeypot"),
            ("upgrade-software", "Upgrade software"),
            ("rebuild-asset", "Rebuild the asset"),
            ("harden-asset", "Harden the asset"),
            ("remediate-other", "Other remediation"),
            ("status-triage", "Confirm receipt and triage"),
            ("status-new-info", "Send new information"),
            ("watch-and-report", "Watch and report"),
            ("training", "Training"),
            ("defined-coa", "Defined course of action"),
            ("other", "Other"),
        ],
    },
    CategoryList {
        name: "iodef-impact",
        scheme: scheme::IODEF_IMPACT,
        fixed: false,
        terms: &[
            ("takeover-account", "Account takeover"),
            ("takeover-service", "Service takeover"),
            ("takeover-system", "System takeover"),
            ("cps-manipulation", "Cyber-physical manipulation"),
            ("cps-damage", "Cyber-physical damage"),
            ("availability-data", "Data unavailable"),
            ("availability-account", "Account unavailable"),
            ("availability-service", "Service unavailable"),
            ("availability-system", "System unavailable"),
            ("damaged-system", "System damaged"),
            ("damaged-data", "Data damaged"),
            ("breach-proprietary", "Proprietary data breached"),
            ("breach-privacy", "Private data breached"),
            ("breach-credential", "Credentials breached"),
            ("breach-configuration", "Configuration breached"),
            ("integrity-data", "Data integrity"),
            ("integrity-configuration", "Configuration integrity"),
            ("integrity-hardware", "Hardware integrity"),
            ("traffic-redirection", "Traffic redirected"),
            ("monitoring-traffic", "Traffic monitored"),
            ("monitoring-host", "Host monitored"),
            ("policy", "Policy violation"),
            ("loss-of-integrity", "Loss of integrity (business)"),
            ("loss-of-service", "Loss of service (business)"),
            ("theft-financial", "Financial theft (business)"),
            ("theft-service", "Theft of service (business)"),
            ("degraded-reputation", "Degraded reputation (business)"),
            ("asset-damage", "Asset damage (business)"),
            ("asset-manipulation", "Asset manipulation (business)"),
            ("legal", "Legal (business)"),
            ("extortion", "Extortion"),
            ("admin", "Administrative access (IODEF v1)"),
            ("dos", "Denial of service (IODEF v1)"),
            ("file", "File (IODEF v1)"),
            ("info-leak", "Information leak (IODEF v1)"),
            ("misconfiguration", "Misconfiguration (IODEF v1)"),
            ("recon", "Reconnaissance (IODEF v1)"),
            ("social-engineering", "Social engineering (IODEF v1)"),
            ("user", "User access (IODEF v1)"),
            ("unknown", "Unknown"),
        ],
    },
    CategoryList {
        name: "stix-type",
        scheme: scheme::STIX_TYPE,
        // STIX admits custom object types.
        fixed: false,
        terms: &[
            ("report", "Report"),
            ("incident", "Incident"),
            ("indicator", "Indicator"),
            ("observed-data", "Observed data"),
            ("sighting", "Sighting"),
            ("malware", "Malware"),
            ("attack-pattern", "Attack pattern"),
            ("campaign", "Campaign"),
            ("threat-actor", "Threat actor"),
            ("intrusion-set", "Intrusion set"),
            ("vulnerability", "Vulnerability"),
            ("course-of-action", "Course of action"),
        ],
    },
    CategoryList {
        name: "misp-threat-level",
        scheme: scheme::MISP_THREAT_LEVEL,
        // Every threat_level_id maps to one of these.
        fixed: true,
        terms: &[
            ("high", "High"),
            ("medium", "Medium"),
            ("low", "Low"),
            ("undefined", "Undefined"),
        ],
    },
];

/// A category document by name (R-8322-5.2-a, R-5023-7-c).
pub fn category_document(name: &str) -> Option<CategoryDocument> {
    let list = CATEGORY_DOCUMENTS.iter().find(|c| c.name == name)?;
    Some(CategoryDocument {
        fixed: Some(list.fixed),
        scheme: Some(list.scheme.to_owned()),
        categories: list
            .terms
            .iter()
            .map(|(term, label)| Category {
                term: (*term).to_owned(),
                scheme: None,
                label: Some((*label).to_owned()),
                extra: Vec::new(),
            })
            .collect(),
    })
}

/// The service document for the collections a caller may read (R-PROF-AUTHZ-a),
/// grouped into workspaces by access requirement (R-8322-5.1.1-a).
pub fn service_document(
    urls: &Urls,
    collections: &[ReadableCollection],
    last_changes: &[time::OffsetDateTime],
    organization: &str,
) -> ServiceDocument {
    let mut workspaces: Vec<Workspace> = Vec::new();
    for (i, readable) in collections.iter().enumerate() {
        let c = readable.collection();
        let collection = AppCollection {
            href: urls.feed(&c.spec.name),
            title: Text::plain(c.spec.title.clone()),
            accept: c.spec.accept.clone(),
            categories: [
                // Only the feed's own categories inline (R-8322-5.1.2-c); entry-level
                // vocabularies out of line (spec-rolie A6).
                Categories::Inline {
                    fixed: Some(true),
                    scheme: None,
                    categories: vec![c.spec.information_type_category()],
                },
            ]
            .into_iter()
            .chain(
                CATEGORY_DOCUMENTS
                    .iter()
                    .filter(|c| c.name != "information-type")
                    .map(|c| Categories::OutOfLine {
                        href: urls.categories(c.name),
                    }),
            )
            .collect(),
            last_change: last_changes.get(i).copied(),
        };
        match workspaces
            .iter_mut()
            .find(|w| w.title.as_plain() == c.spec.workspace)
        {
            Some(w) => w.collections.push(collection),
            None => workspaces.push(Workspace {
                title: Text::plain(c.spec.workspace.clone()),
                collections: vec![collection],
            }),
        }
    }
    if workspaces.is_empty() {
        // R-5023-8-a: a service document has at least one workspace, even when the caller
        // may read no collection.
        workspaces.push(Workspace {
            title: Text::plain(organization),
            collections: Vec::new(),
        });
    }
    ServiceDocument { workspaces }
}

/// What changes with the server's way of writing documents rather than with stored data:
/// part of every feed and entry validator, so an upgrade that writes them differently
/// (revision 2: every entry links its page, `rel="alternate" type="text/html"`) moves
/// validators clients hold.
pub const REVISION: &[u8] = b"2";

/// What a stored entry says of itself, as Atom: its metadata, categories, format,
/// properties, control and extensions as stored, with no link, content or property of this
/// server. [`entry`] adds those to serve it; `rolie export` archives it as it is.
pub fn stored_metadata(stored: &StoredEntry) -> Entry {
    let data = &stored.data;
    let mut e = Entry::new(data.atom_id.clone(), data.title.clone(), stored.updated());
    e.published = Some(stored.published());
    e.edited = Some(stored.edited);
    e.authors = data.authors.clone();
    e.contributors = data.extras.contributors.clone();
    e.summary = data.summary.clone();
    e.rights = data.extras.rights.clone();
    e.categories = data.categories.clone();
    e.format = data.format.clone();
    e.properties = data.properties.clone();
    e.control = data.control();
    e.source = data.extras.source.clone();
    e.lang = data.extras.lang.clone();
    e.attributes = data.extras.attributes.clone();
    e.extensions = data.extras.extensions.clone();
    e
}

/// An entry as served, standalone or in a feed: the same full representation both ways,
/// with the links a standalone entry needs (R-8322-6.2.5-a/b, spec-rolie A8).
pub fn entry(urls: &Urls, stored: &StoredEntry) -> Entry {
    let data = &stored.data;
    let mut e = stored_metadata(stored);
    let edit = urls.entry(stored.id);
    e.links
        .push(Link::new(rel::SELF, edit.clone()).with_type(media_type::ATOM_ENTRY));
    e.links
        .push(Link::new(rel::EDIT, edit).with_type(media_type::ATOM_ENTRY));
    e.content = Some(match &stored.content {
        ContentInfo::Stored { media_type, .. } => {
            let src = urls.content(stored.id);
            e.links
                .push(Link::new(rel::EDIT_MEDIA, src.clone()).with_type(media_type));
            Content::out_of_line(media_type, src)
        }
        ContentInfo::External { media_type, src } => Content::OutOfLine {
            media_type: media_type.clone(),
            src: src.clone(),
        },
    });
    e.links.push(
        Link::new(rel::COLLECTION, urls.feed(&stored.collection)).with_type(media_type::ATOM_FEED),
    );
    e.links
        .push(Link::new(rel::SERVICE, urls.service_document()).with_type(media_type::ATOM_SERVICE));
    // Feed readers open an entry at its alternate link: the entry's own URI, which a
    // browser gets as a page. A publisher's own HTML alternate stands instead (RFC 4287
    // §4.2.7.2 allows one alternate per type and language).
    let publisher_page = data.links.iter().any(|l| {
        l.rel.as_deref().is_none_or(|r| r == rel::ALTERNATE)
            && l.media_type.as_deref() == Some("text/html")
            && l.hreflang.is_none()
    });
    if !publisher_page {
        e.links
            .push(Link::new(rel::ALTERNATE, urls.entry(stored.id)).with_type("text/html"));
    }
    e.links.extend(data.links.iter().cloned());
    if let ContentInfo::Stored { hash, .. } = &stored.content {
        e.properties
            .push(RolieProperty::new(property::CONTENT_SHA256, hash.clone()));
    }
    e
}

/// Where a feed page is and how to reach its neighbours.
pub struct PageLinks {
    /// This page.
    pub this: String,
    /// The first page (R-PROF-PAGE-a: always present).
    pub first: String,
    /// The last page (always present).
    pub last: String,
    /// The previous page, if any.
    pub previous: Option<String>,
    /// The next page, if any.
    pub next: Option<String>,
    /// Where incremental sync starts from this page's state (`docs/sync.md`).
    pub sync: String,
}

/// The links of a sync page.
#[derive(Debug, Clone)]
pub struct SyncLinks {
    /// This page.
    pub this: String,
    /// The first page of the collection's feed.
    pub first: String,
    /// The rest of this window, when the page is full.
    pub next: Option<String>,
    /// Where the next sync starts, on the window's last page.
    pub sync: Option<String>,
}

/// What a feed page says besides its entries and links.
#[derive(Debug, Default)]
pub struct PageNotes {
    /// RFC 6721 tombstones, `atom:id` and when the entry left the caller's view (the head
    /// page).
    pub tombstones: Vec<(String, time::OffsetDateTime)>,
    /// OpenSearch 1.1 `totalResults` and `itemsPerPage` (search results): what the search
    /// matches as the caller sees it, on every page together.
    pub results: Option<(i64, u32)>,
}

/// An `opensearch:` element holding `value`.
fn opensearch(local: &str, value: String) -> XmlElement {
    let mut element = XmlElement::declared(ns::OPENSEARCH, "opensearch", local);
    element.children.push(XmlNode::Text(value));
    element
}

/// One page of a collection's feed (R-8322-6.1, R-5005-3-a).
pub fn feed(
    urls: &Urls,
    collection: &Collection,
    freshness: &VisibleFreshness,
    page: &FeedPage,
    links: PageLinks,
    notes: PageNotes,
    organization: &str,
) -> Feed {
    let mut f = feed_head(urls, collection, freshness, organization);
    if let Some((total, per_page)) = notes.results {
        f.extensions
            .push(opensearch("totalResults", total.to_string()));
        f.extensions
            .push(opensearch("itemsPerPage", per_page.to_string()));
    }
    for (atom_id, when) in &notes.tombstones {
        f.extensions.push(rolie_model::tombstone(atom_id, *when));
    }
    add_links(
        &mut f,
        urls,
        links.this,
        [
            (rel::FIRST, Some(links.first)),
            (rel::PREVIOUS, links.previous),
            (rel::NEXT, links.next),
            (rel::LAST, Some(links.last)),
            (rel::SYNC, Some(links.sync)),
        ],
    );
    f.entries = page.entries.iter().map(|e| entry(urls, e)).collect();
    f
}

/// What a sync page holds, oldest change first.
pub enum SyncedEntry {
    /// An entry the caller sees.
    Present(Box<StoredEntry>),
    /// An entry the caller no longer sees: its `atom:id` and when it left.
    Gone {
        /// `atom:id`.
        atom_id: String,
        /// Time of the change that removed it from view.
        when: time::OffsetDateTime,
    },
}

/// A page of incremental sync: the entries the caller sees that changed in the window and
/// RFC 6721 tombstones for those it no longer sees (`docs/sync.md`).
pub fn sync_feed(
    urls: &Urls,
    collection: &Collection,
    freshness: &VisibleFreshness,
    items: &[SyncedEntry],
    links: SyncLinks,
    organization: &str,
) -> Feed {
    let mut f = feed_head(urls, collection, freshness, organization);
    add_links(
        &mut f,
        urls,
        links.this,
        [
            (rel::FIRST, Some(links.first)),
            (rel::NEXT, links.next),
            (rel::SYNC, links.sync),
        ],
    );
    for item in items {
        match item {
            SyncedEntry::Present(stored) => f.entries.push(entry(urls, stored)),
            SyncedEntry::Gone { atom_id, when } => {
                f.extensions.push(rolie_model::tombstone(atom_id, *when));
            }
        }
    }
    f
}

/// `self`, `service`, then each of `others` that is there, all but `service` to feed
/// documents.
fn add_links<const N: usize>(
    f: &mut Feed,
    urls: &Urls,
    this: String,
    others: [(&'static str, Option<String>); N],
) {
    f.links
        .push(Link::new(rel::SELF, this).with_type(media_type::ATOM_FEED));
    f.links
        .push(Link::new(rel::SERVICE, urls.service_document()).with_type(media_type::ATOM_SERVICE));
    for (relation, href) in others {
        if let Some(href) = href {
            f.links
                .push(Link::new(relation, href).with_type(media_type::ATOM_FEED));
        }
    }
}

/// The head every page of a collection's feed shares.
fn feed_head(
    urls: &Urls,
    collection: &Collection,
    freshness: &VisibleFreshness,
    organization: &str,
) -> Feed {
    let mut f = Feed::new(
        collection.feed_id.clone(),
        Text::plain(collection.spec.title.clone()),
        // R-8322-6.1.3-a: the time of the last change, deletes included; never "now".
        freshness.last_change,
    );
    f.lang = Some("en".into());
    f.authors.push(Person::named(organization));
    f.generator = Some(Generator {
        name: "rolie".into(),
        uri: None,
        version: Some(env!("CARGO_PKG_VERSION").into()),
    });
    f.categories
        .push(collection.spec.information_type_category());
    f.links.push(
        Link::new(rel::SEARCH, urls.opensearch(&collection.spec.name))
            .with_type(media_type::OPENSEARCH),
    );
    // R-5023-8-e: where new entries of this feed are posted, and what it takes.
    f.extensions.push(app_collection(urls, collection));
    f
}

/// `app:collection` for a feed head.
fn app_collection(urls: &Urls, collection: &Collection) -> XmlElement {
    use rolie_model::vocabulary::ns;
    let mut app = XmlElement::declared(ns::APP, "app", "collection");
    app.attributes.push(XmlAttribute {
        name: QName::local("href"),
        prefix: None,
        value: urls.feed(&collection.spec.name),
    });
    let mut title = XmlElement::declared(ns::ATOM, "atom", "title");
    title
        .children
        .push(XmlNode::Text(collection.spec.title.clone()));
    app.children.push(XmlNode::Element(title));
    let accepts: Vec<&str> = if collection.spec.accept.is_empty() {
        vec![""]
    } else {
        collection.spec.accept.iter().map(String::as_str).collect()
    };
    for accept in accepts {
        // Inside `app:collection`, which declares the prefix.
        let mut a = XmlElement::new(QName::new(ns::APP, "accept"));
        a.prefix = Some("app".to_owned());
        if !accept.is_empty() {
            a.children.push(XmlNode::Text(accept.to_owned()));
        }
        app.children.push(XmlNode::Element(a));
    }
    app
}
