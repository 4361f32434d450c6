//! Stored values as Atom and AtomPub documents, with every href absolute (R-PROF-URI-a).

use rolie_authz::ReadableCollection;
use rolie_model::vocabulary::{information_type, media_type, rel, scheme};
use rolie_model::{
    Categories, Category, CategoryDocument, Collection as AppCollection, Content, Entry, Feed,
    Generator, Link, Person, ServiceDocument, Text, Workspace,
};
use rolie_store::{Collection, ContentInfo, FeedPage, StoredEntry, VisibleFreshness};

use crate::urls::Urls;

/// A category document: its name, its default scheme and its terms with labels.
type CategoryList = (
    &'static str,
    &'static str,
    &'static [(&'static str, &'static str)],
);

/// Category documents the server publishes.
pub const CATEGORY_DOCUMENTS: [CategoryList; 4] = [
    (
        "information-type",
        scheme::INFORMATION_TYPE,
        &[
            (
                information_type::INCIDENT,
                "Security incidents (ROLIE CSIRT)",
            ),
            (
                information_type::INDICATOR,
                "Indicators of compromise (ROLIE CSIRT)",
            ),
        ],
    ),
    (
        "iodef-purpose",
        scheme::IODEF_PURPOSE,
        &[
            ("traceback", "Trace the source of the activity"),
            ("mitigation", "Request mitigation"),
            ("reporting", "Report for information"),
            ("watch", "Watch and warning"),
            ("other", "Other purpose"),
        ],
    ),
    (
        "iodef-restriction",
        scheme::IODEF_RESTRICTION,
        &[
            ("public", "Public (TLP white)"),
            ("partner", "Partners (TLP green)"),
            ("need-to-know", "Need to know (TLP amber)"),
            ("private", "Private (TLP red)"),
            ("default", "By pre-arranged policy"),
            ("white", "TLP white"),
            ("green", "TLP green"),
            ("amber", "TLP amber"),
            ("red", "TLP red"),
        ],
    ),
    (
        "iodef-status",
        scheme::IODEF_STATUS,
        &[
            ("new", "New"),
            ("in-progress", "In progress"),
            ("forwarded", "Forwarded"),
            ("resolved", "Resolved"),
            ("future", "Future"),
        ],
    ),
];

/// A category document by name (R-8322-5.2-a, R-5023-7-c).
pub fn category_document(name: &str) -> Option<CategoryDocument> {
    let (_, scheme, terms) = CATEGORY_DOCUMENTS.iter().find(|(n, _, _)| *n == name)?;
    Some(CategoryDocument {
        fixed: Some(true),
        scheme: Some((*scheme).to_owned()),
        categories: terms
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
    organization: &str,
) -> ServiceDocument {
    let mut workspaces: Vec<Workspace> = Vec::new();
    for readable in collections {
        let c = readable.collection();
        let collection = AppCollection {
            href: urls.feed(&c.spec.name),
            title: Text::plain(c.spec.title.clone()),
            accept: c.spec.accept.clone(),
            categories: vec![
                // Only the feed's own categories inline (R-8322-5.1.2-c); entry-level
                // vocabularies out of line (spec-rolie A6).
                Categories::Inline {
                    fixed: Some(true),
                    scheme: None,
                    categories: vec![c.spec.information_type_category()],
                },
                Categories::OutOfLine {
                    href: urls.categories("iodef-purpose"),
                },
                Categories::OutOfLine {
                    href: urls.categories("iodef-restriction"),
                },
                Categories::OutOfLine {
                    href: urls.categories("iodef-status"),
                },
            ],
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

/// An entry as served, standalone or in a feed: the same full representation both ways,
/// with the links a standalone entry needs (R-8322-6.2.5-a/b, spec-rolie A8).
pub fn entry(urls: &Urls, stored: &StoredEntry) -> Entry {
    let data = &stored.data;
    let mut e = Entry::new(data.atom_id.clone(), data.title.clone(), stored.updated());
    e.published = Some(stored.published());
    e.edited = Some(stored.edited);
    e.authors = data.authors.clone();
    e.contributors = data.extras.contributors.clone();
    e.summary = data.summary.clone();
    e.rights = data.extras.rights.clone();
    e.categories = data.categories.clone();
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
    e.links.extend(data.links.iter().cloned());
    e.format = data.format.clone();
    e.properties = data.properties.clone();
    e.control = data.control();
    e.source = data.extras.source.clone();
    e.lang = data.extras.lang.clone();
    e.attributes = data.extras.attributes.clone();
    e.extensions = data.extras.extensions.clone();
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
}

/// One page of a collection's feed (R-8322-6.1, R-5005-3-a).
pub fn feed(
    urls: &Urls,
    collection: &Collection,
    freshness: &VisibleFreshness,
    page: &FeedPage,
    links: PageLinks,
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
    f.links
        .push(Link::new(rel::SELF, links.this).with_type(media_type::ATOM_FEED));
    f.links
        .push(Link::new(rel::SERVICE, urls.service_document()).with_type(media_type::ATOM_SERVICE));
    f.links
        .push(Link::new(rel::FIRST, links.first).with_type(media_type::ATOM_FEED));
    if let Some(previous) = links.previous {
        f.links
            .push(Link::new(rel::PREVIOUS, previous).with_type(media_type::ATOM_FEED));
    }
    if let Some(next) = links.next {
        f.links
            .push(Link::new(rel::NEXT, next).with_type(media_type::ATOM_FEED));
    }
    f.links
        .push(Link::new(rel::LAST, links.last).with_type(media_type::ATOM_FEED));
    f.entries = page.entries.iter().map(|e| entry(urls, e)).collect();
    f
}
