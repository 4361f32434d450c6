//! The entry the store keeps, from the derived parts and the publisher's parts.
//!
//! The server owns `atom:id`, the dates, the links to the entry's own resources, the
//! information-type category and everything derived from the content (`rolie:format`, the
//! registered and format-specific properties, the derived category schemes, the
//! restriction level). The publisher owns its own title and summary, authors, other
//! categories, properties and links, drafts and foreign markup, which are kept
//! (R-8322-6.1.2-f, R-8322-7.1-a, R-8322-7.4-b, R-4287-6-a, R-5023-9.3-b).

use rolie_model::vocabulary::{information_type, property, rel, scheme};
use rolie_model::{Category, Entry, Person, Restriction, RolieFormat, RolieProperty, Text};
use rolie_store::{
    CollectionSpec, ContentInfo, EntryData, EntryExtras, NewContent, NewEntryContent, StoredEntry,
};
use uuid::Uuid;

use crate::PublishSettings;
use crate::error::PublishError;
use crate::format::Document;
use crate::submission::{Submission, SubmittedContent};

/// Namespace of the name-based UUIDs that become `atom:id`s of published documents.
const ATOM_ID_NAMESPACE: Uuid = Uuid::from_u128(0x5c1b_7f0e_2a4d_4e9b_9f0d_6b1e_0c7a_3d21);

/// Properties the server derives from content; a publisher's values are replaced.
const DERIVED_PROPERTIES: [&str; 13] = [
    property::CONTENT_ID,
    property::CONTENT_SHA256,
    property::CONTENT_PUBLISHED_DATE,
    property::CONTENT_UPDATED_DATE,
    property::CONTENT_AUTHOR_NAME,
    property::IODEF_INCIDENT_ID_NAME,
    property::MISP_INFO,
    property::MISP_ORGC,
    property::MISP_ORGC_UUID,
    property::MISP_DATE,
    property::MISP_TIMESTAMP,
    property::MISP_ANALYSIS,
    property::MISP_THREAT_LEVEL_ID,
];

/// Category schemes the server derives from content (R-CSIRT-CAT-a/b).
const DERIVED_SCHEMES: [&str; 8] = [
    scheme::IODEF_PURPOSE,
    scheme::IODEF_RESTRICTION,
    scheme::IODEF_STATUS,
    scheme::IODEF_EXPECTATION,
    scheme::IODEF_IMPACT,
    scheme::STIX_TYPE,
    scheme::MISP_TAG,
    scheme::MISP_THREAT_LEVEL,
];

/// Link relations that point at the entry's own resources: always made by the server.
const SERVER_RELS: [&str; 5] = [
    rel::SELF,
    rel::EDIT,
    rel::EDIT_MEDIA,
    rel::COLLECTION,
    rel::SERVICE,
];

/// What the server derives from the content.
#[derive(Debug, Clone)]
struct Derived {
    title: Option<Text>,
    summary: Option<Text>,
    restriction: Restriction,
    format: Option<RolieFormat>,
    categories: Vec<Category>,
    properties: Vec<RolieProperty>,
}

impl Derived {
    fn from_document(document: &Document) -> Self {
        Derived {
            title: Some(Text::plain(document.title.clone())),
            summary: Some(Text::plain(document.summary.clone())),
            restriction: document.restriction,
            format: Some(document.format.clone()),
            categories: document.categories.clone(),
            properties: document.properties.clone(),
        }
    }

    /// The derived parts of a stored entry whose content is stored here.
    fn from_stored(entry: &StoredEntry) -> Option<Self> {
        if !matches!(entry.content, ContentInfo::Stored { .. }) {
            return None;
        }
        let data = &entry.data;
        Some(Derived {
            title: data
                .extras
                .client_title
                .is_none()
                .then(|| data.title.clone()),
            summary: data
                .extras
                .client_summary
                .is_none()
                .then(|| data.summary.clone())
                .flatten(),
            restriction: data.restriction,
            format: data.format.clone(),
            categories: data
                .categories
                .iter()
                .filter(|c| {
                    c.scheme
                        .as_deref()
                        .is_some_and(|s| DERIVED_SCHEMES.contains(&s))
                })
                .cloned()
                .collect(),
            properties: data
                .properties
                .iter()
                .filter(|p| DERIVED_PROPERTIES.contains(&p.name.as_str()))
                .cloned()
                .collect(),
        })
    }
}

/// What the publisher controls.
#[derive(Debug, Clone, Default)]
struct ClientPart {
    title: Option<Text>,
    summary: Option<Text>,
    authors: Vec<Person>,
    categories: Vec<Category>,
    properties: Vec<RolieProperty>,
    links: Vec<rolie_model::Link>,
    format: Option<RolieFormat>,
    draft: bool,
    extras: EntryExtras,
}

impl ClientPart {
    fn from_entry(entry: Entry) -> Self {
        let draft = entry.is_draft();
        let title = Some(entry.title).filter(|t| !t.as_plain().trim().is_empty());
        let summary = entry.summary.filter(|t| !t.as_plain().trim().is_empty());
        ClientPart {
            title,
            summary,
            authors: entry.authors,
            categories: entry.categories,
            properties: entry.properties,
            links: entry.links,
            format: entry.format,
            draft,
            extras: EntryExtras {
                client_title: None,
                client_summary: None,
                contributors: entry.contributors,
                rights: entry.rights,
                source: entry.source,
                lang: entry.lang,
                attributes: entry.attributes,
                extensions: entry.extensions,
                control_extensions: entry.control.map(|c| c.extensions).unwrap_or_default(),
            },
        }
    }

    fn from_stored(entry: &StoredEntry) -> Self {
        let data = &entry.data;
        ClientPart {
            title: data.extras.client_title.clone(),
            summary: data.extras.client_summary.clone(),
            authors: data.authors.clone(),
            categories: data.categories.clone(),
            properties: data.properties.clone(),
            links: data.links.clone(),
            format: data.format.clone(),
            draft: data.draft,
            extras: data.extras.clone(),
        }
    }
}

/// Combines derived and publisher parts into the entry the store keeps.
fn compose(
    spec: &CollectionSpec,
    atom_id: String,
    derived: Option<&Derived>,
    client: ClientPart,
    settings: &PublishSettings<'_>,
) -> Result<EntryData, PublishError> {
    // R-8322-6.2.4-b: a property is named by a URI; an absolute one, so that it names
    // one thing wherever the entry travels.
    if let Some(bad) = client.properties.iter().find(|p| !is_absolute_uri(&p.name)) {
        return Err(PublishError::invalid(format!(
            "rolie:property name \"{}\" is not an absolute URI; private properties are named under {} (R-8322-7.4-b)",
            bad.name,
            property::LOCAL_PREFIX
        )));
    }
    // R-8322-6.1.1-a: every entry of a ROLIE feed is a record of the feed's information type.
    if let Some(other) = client.categories.iter().find(|c| {
        c.scheme.as_deref() == Some(scheme::INFORMATION_TYPE) && c.term != spec.information_type
    }) {
        return Err(PublishError::Conflict(format!(
            "the entry declares information type \"{}\" but collection {} holds \"{}\" records (R-8322-6.1.1-a)",
            other.term, spec.name, spec.information_type
        )));
    }
    let restriction = match derived {
        Some(d) => d.restriction,
        // Without a document, a restriction category is the only statement we have;
        // otherwise IODEF's own default for an incident applies: private.
        None => client
            .categories
            .iter()
            .filter(|c| c.scheme.as_deref() == Some(scheme::IODEF_RESTRICTION))
            .filter_map(|c| Restriction::from_label(&c.term))
            .max()
            .unwrap_or(Restriction::Private),
    };
    if !spec.accepts(restriction) {
        return Err(PublishError::invalid(format!(
            "the content is restricted to {} ({}) but collection {} accepts at most {} ({}) (R-CSIRT-SEC-b)",
            restriction.term(),
            restriction.tlp(),
            spec.name,
            spec.max_restriction.term(),
            spec.max_restriction.tlp()
        )));
    }
    let title = client
        .title
        .clone()
        .or_else(|| derived.and_then(|d| d.title.clone()))
        .unwrap_or_else(|| Text::plain("Untitled entry"));
    // R-4287-4.1.2-c: out-of-line content needs a summary.
    let summary = client
        .summary
        .clone()
        .or_else(|| derived.and_then(|d| d.summary.clone()))
        .unwrap_or_else(|| title.clone());
    let authors = if client.authors.is_empty() {
        vec![Person::named(settings.organization)]
    } else {
        client.authors
    };
    let derived_schemes: &[&str] = if derived.is_some() {
        &DERIVED_SCHEMES
    } else {
        &[]
    };
    let mut categories = vec![spec.information_type_category()];
    categories.extend(derived.map(|d| d.categories.clone()).unwrap_or_default());
    categories.extend(client.categories.into_iter().filter(|c| {
        let s = c.scheme.as_deref().unwrap_or("");
        s != scheme::INFORMATION_TYPE && !derived_schemes.contains(&s)
    }));
    let mut properties = derived.map(|d| d.properties.clone()).unwrap_or_default();
    properties.extend(
        client
            .properties
            .into_iter()
            .filter(|p| derived.is_none() || !DERIVED_PROPERTIES.contains(&p.name.as_str())),
    );
    let mut extras = client.extras;
    extras.client_title = client.title;
    extras.client_summary = client.summary;
    Ok(EntryData {
        atom_id,
        title,
        summary: Some(summary),
        authors,
        published: None,
        updated: None,
        draft: client.draft,
        restriction,
        format: derived.and_then(|d| d.format.clone()).or(client.format),
        categories,
        properties,
        links: client
            .links
            .into_iter()
            .filter(|l| !SERVER_RELS.contains(&l.relation()))
            .collect(),
        extras,
    })
}

/// Whether `value` is an absolute URI: a scheme (RFC 3986 §3.1) and something after it.
fn is_absolute_uri(value: &str) -> bool {
    let Some((scheme, rest)) = value.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !value.contains(char::is_whitespace)
}

/// R-8322-6.1.1-a, R-CSIRT-TYPE-a: an `indicator` collection takes documents that carry
/// indicators; an `incident` collection takes no MISP event (R-CSIRT-MISP-a).
fn check_information_type(spec: &CollectionSpec, document: &Document) -> Result<(), PublishError> {
    let kind = spec.information_type.as_str();
    if kind == information_type::INDICATOR && !document.fits.indicator {
        return Err(PublishError::Conflict(format!(
            "collection {} holds indicator records, but this {} carries no Indicator (IODEF IndicatorData; STIX indicator, observed-data or sighting) (R-8322-6.1.1-a); post it to an incident collection",
            spec.name, document.format_name
        )));
    }
    if kind == information_type::INCIDENT && !document.fits.incident {
        return Err(PublishError::Conflict(format!(
            "collection {} holds incident records, and a {} is an indicator record (R-CSIRT-MISP-a); post it to an indicator collection",
            spec.name, document.format_name
        )));
    }
    Ok(())
}

/// The `atom:id` of a new entry for `document` in `spec`: a name-based UUID of the
/// collection, the document's key (for IODEF the first incident's, IODEF-ID-1; for STIX
/// the bundle id; for MISP the event uuid), the entry's restriction level and,
/// for a draft, its publisher. The same incident posted twice at one level is a 409; the
/// same incident at another level (a `red` original and its `green` redaction) or in
/// someone else's draft is a separate entry.
///
/// That is what keeps a 409 from revealing entries the writer cannot read: a writer
/// publishes at most at its clearance (`rolie_authz` refuses more), so an entry with the
/// same key sits at a level the writer can read, and is either published or the writer's
/// own draft. The `atom:id` is kept when the entry is revised later (RFC 4287 §4.2.6).
fn atom_id_for(
    spec: &CollectionSpec,
    document: &Document,
    restriction: Restriction,
    draft_of: Option<&str>,
) -> String {
    let key = &document.key;
    let mut name = format!("{}\n{key}\n{}", spec.name, restriction.level());
    if let Some(owner) = draft_of {
        name.push_str("\ndraft\n");
        name.push_str(owner);
    }
    let uuid = Uuid::new_v5(&ATOM_ID_NAMESPACE, name.as_bytes());
    format!("urn:uuid:{uuid}")
}

/// The entry and content for a new member of `spec`.
///
/// # Errors
/// 409 for information-type mismatches, 422 for restrictions over the collection's cap.
pub fn new_entry(
    spec: &CollectionSpec,
    submission: Submission,
    slug: Option<String>,
    publisher: &str,
    settings: &PublishSettings<'_>,
) -> Result<(EntryData, NewEntryContent), PublishError> {
    let (client, content) = match submission {
        Submission::Document(document) => {
            (ClientPart::default(), SubmittedContent::Document(document))
        }
        Submission::Entry { entry, content } => (ClientPart::from_entry(*entry), content),
    };
    let random_id = format!("urn:uuid:{}", Uuid::new_v4());
    let (mut data, content) = match content {
        SubmittedContent::Document(document) => {
            check_information_type(spec, &document)?;
            let derived = Derived::from_document(&document);
            let mut data = compose(spec, random_id, Some(&derived), client, settings)?;
            data.atom_id = atom_id_for(
                spec,
                &document,
                data.restriction,
                data.draft.then_some(publisher),
            );
            let content = NewEntryContent::Stored(NewContent {
                media_type: document.media_type.to_owned(),
                bytes: document.bytes,
            });
            (data, content)
        }
        SubmittedContent::External { media_type, src } => {
            let data = compose(spec, random_id, None, client, settings)?;
            check_described(spec, &data)?;
            let content = NewEntryContent::External {
                media_type: Some(media_type),
                src,
            };
            (data, content)
        }
    };
    if let Some(slug) = slug {
        data.properties.retain(|p| p.name != property::SLUG);
        data.properties
            .push(RolieProperty::new(property::SLUG, slug));
    }
    Ok((data, content))
}

/// R-CSIRT-IODEF-c, R-CSIRT-FMT-a: an entry of a CSIRT collection whose content is
/// elsewhere describes it itself, since the server cannot: a `content-id` property and a
/// `rolie:format`.
fn check_described(spec: &CollectionSpec, data: &EntryData) -> Result<(), PublishError> {
    let csirt = [information_type::INCIDENT, information_type::INDICATOR]
        .contains(&spec.information_type.as_str());
    if !csirt {
        return Ok(());
    }
    let mut missing = Vec::new();
    if !data
        .properties
        .iter()
        .any(|p| p.name == property::CONTENT_ID)
    {
        missing.push(format!(
            "a rolie:property named {} (R-CSIRT-IODEF-c)",
            property::CONTENT_ID
        ));
    }
    if data.format.is_none() {
        missing.push("a rolie:format naming the content's data model (R-CSIRT-FMT-a)".to_owned());
    }
    if missing.is_empty() {
        return Ok(());
    }
    Err(PublishError::invalid(format!(
        "collection {} holds {} records, and an entry whose content is elsewhere must carry {}",
        spec.name,
        spec.information_type,
        missing.join(" and ")
    )))
}

/// The metadata after a PUT of the entry document (R-5023-9.3-a): the publisher's parts are
/// replaced, the derived ones kept; the content is not changed through this URI.
///
/// # Errors
/// As [`new_entry`].
pub fn replaced_entry(
    spec: &CollectionSpec,
    existing: &StoredEntry,
    entry: Entry,
    settings: &PublishSettings<'_>,
) -> Result<EntryData, PublishError> {
    let derived = Derived::from_stored(existing);
    compose(
        spec,
        existing.data.atom_id.clone(),
        derived.as_ref(),
        ClientPart::from_entry(entry),
        settings,
    )
}

/// The metadata and content after a PUT of the media resource (R-5023-9.6-c): derived parts
/// come from the new document, the publisher's parts are kept.
///
/// # Errors
/// As [`new_entry`].
pub fn replaced_content(
    spec: &CollectionSpec,
    existing: &StoredEntry,
    document: Document,
    settings: &PublishSettings<'_>,
) -> Result<(EntryData, NewContent), PublishError> {
    check_information_type(spec, &document)?;
    let derived = Derived::from_document(&document);
    let mut client = ClientPart::from_stored(existing);
    // The stored categories and properties include the old derived ones: drop them.
    client.categories.retain(|c| {
        !c.scheme
            .as_deref()
            .is_some_and(|s| DERIVED_SCHEMES.contains(&s))
    });
    client
        .properties
        .retain(|p| !DERIVED_PROPERTIES.contains(&p.name.as_str()));
    let data = compose(
        spec,
        existing.data.atom_id.clone(),
        Some(&derived),
        client,
        settings,
    )?;
    let content = NewContent {
        media_type: document.media_type.to_owned(),
        bytes: document.bytes,
    };
    Ok((data, content))
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;
    use bytes::Bytes;
    use rolie_model::vocabulary::media_type;
    use rolie_model::{MediaType, RestrictionPolicy};
    use rolie_store::CollectionName;

    use crate::submission::read_submission;

    const MINIMAL_V2: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<IODEF-Document version="2.00" xml:lang="en" xmlns="urn:ietf:params:xml:ns:iodef-2.0">
  <Incident purpose="reporting" restriction="green">
    <IncidentID name="csirt.example.com">492382</IncidentID>
    <GenerationTime>2015-07-18T09:00:00-05:00</GenerationTime>
    <Contact type="organization" role="creator"><Email><EmailTo>contact@csirt.example.com</EmailTo></Email></Contact>
  </Incident>
</IODEF-Document>"#;

    fn spec(max: Restriction) -> CollectionSpec {
        CollectionSpec {
            name: CollectionName::parse("incidents").unwrap(),
            title: "Incidents".into(),
            information_type: "incident".into(),
            workspace: "Shared".into(),
            accept: vec![media_type::ATOM_ENTRY.into(), media_type::XML.into()],
            max_restriction: max,
            public: false,
        }
    }

    static POLICY: LazyLock<RestrictionPolicy> = LazyLock::new(RestrictionPolicy::default);

    fn settings() -> PublishSettings<'static> {
        PublishSettings {
            organization: "Example CSIRT",
            policy: &POLICY,
        }
    }

    fn submit(xml: &str) -> Submission {
        let media = MediaType::parse("application/xml").unwrap();
        read_submission(
            &media,
            Bytes::from(xml.to_owned()),
            &RestrictionPolicy::default(),
        )
        .unwrap()
    }

    /// R-PROF-POST-b, R-CSIRT-IODEF-c
    #[test]
    fn a_bare_document_gets_derived_metadata_and_the_collections_type() {
        let s = settings();
        let (data, content) = new_entry(
            &spec(Restriction::Private),
            submit(MINIMAL_V2),
            Some("my-slug".into()),
            "analyst",
            &s,
        )
        .unwrap();
        assert!(data.categories[0].is(scheme::INFORMATION_TYPE, "incident"));
        assert_eq!(data.restriction, Restriction::Partner);
        assert!(
            data.properties
                .iter()
                .any(|p| p.name == property::CONTENT_ID && p.value == "492382")
        );
        assert!(
            data.properties
                .iter()
                .any(|p| p.name == property::SLUG && p.value == "my-slug")
        );
        assert_eq!(data.authors, vec![Person::named("Example CSIRT")]);
        assert!(data.summary.is_some());
        assert!(data.atom_id.starts_with("urn:uuid:"));
        assert!(matches!(content, NewEntryContent::Stored(c) if c.bytes == MINIMAL_V2.as_bytes()));
    }

    /// IODEF-ID-1: the same incident at the same level has one `atom:id`, whoever posts
    /// it; at another level it is another entry.
    #[test]
    fn the_same_incident_at_the_same_level_gets_the_same_atom_id() {
        let s = settings();
        let post = |document: &str, publisher: &str| {
            new_entry(
                &spec(Restriction::Private),
                submit(document),
                None,
                publisher,
                &s,
            )
            .unwrap()
            .0
            .atom_id
        };
        assert_eq!(post(MINIMAL_V2, "one"), post(MINIMAL_V2, "two"));
        let red = MINIMAL_V2.replace("restriction=\"green\"", "restriction=\"red\"");
        assert_ne!(post(MINIMAL_V2, "one"), post(&red, "one"));
    }

    /// R-CSIRT-SEC-b
    #[test]
    fn content_over_the_collections_cap_is_refused_with_422() {
        let s = settings();
        let err = new_entry(
            &spec(Restriction::Public),
            submit(MINIMAL_V2),
            None,
            "analyst",
            &s,
        )
        .unwrap_err();
        assert!(matches!(err, PublishError::Invalid { .. }), "{err:?}");
        assert!(err.to_string().contains("partner"), "{err}");
    }

    /// R-8322-6.1.1-a
    #[test]
    fn an_entry_declaring_another_information_type_conflicts() {
        let s = settings();
        let atom = r#"<entry xmlns="http://www.w3.org/2005/Atom"><title>t</title>
            <category scheme="urn:ietf:params:rolie:category:information-type" term="vulnerability"/>
            <content type="application/xml" src="https://elsewhere.example/doc.xml"/></entry>"#;
        let media = MediaType::parse("application/atom+xml;type=entry").unwrap();
        let submission = read_submission(&media, Bytes::from(atom), s.policy).unwrap();
        let err =
            new_entry(&spec(Restriction::Private), submission, None, "analyst", &s).unwrap_err();
        assert!(matches!(err, PublishError::Conflict(_)), "{err:?}");
    }
}
