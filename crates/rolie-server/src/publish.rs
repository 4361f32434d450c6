//! From a request body to what the store keeps: which parts of an entry the server derives
//! from the IODEF content, which the publisher controls, and how they combine.
//!
//! The server owns `atom:id`, the dates, the links to the entry's own resources, the
//! information-type category and everything derived from the IODEF document (`rolie:format`,
//! the registered properties, the purpose/restriction/status categories, the restriction
//! level). The publisher owns its own title and summary, authors, other categories,
//! properties and links, drafts and foreign markup, which are kept (R-8322-6.1.2-f,
//! R-8322-7.1-a, R-8322-7.4-b, R-4287-6-a, R-5023-9.3-b).

use bytes::Bytes;
use percent_encoding::percent_decode_str;
use rolie_iodef::{IodefDocument, Syntax};
use rolie_model::vocabulary::{information_type, media_type, property, rel, scheme};
use rolie_model::xml::{Limits, XmlErrorKind, element_document};
use rolie_model::{
    Category, Content, Entry, EntryMode, Person, Restriction, RestrictionPolicy, RolieFormat,
    RolieProperty, Text, read_entry,
};
use rolie_store::{
    CollectionSpec, ContentInfo, EntryData, EntryExtras, NewContent, NewEntryContent, StoredEntry,
};
use uuid::Uuid;

use crate::error::ApiError;
use crate::negotiate::MediaType;

/// Namespace of the name-based UUIDs that become `atom:id`s of IODEF entries.
const ATOM_ID_NAMESPACE: Uuid = Uuid::from_u128(0x5c1b_7f0e_2a4d_4e9b_9f0d_6b1e_0c7a_3d21);

/// Properties the server derives from IODEF content; a publisher's values are replaced.
const DERIVED_PROPERTIES: [&str; 5] = [
    property::CONTENT_ID,
    property::CONTENT_PUBLISHED_DATE,
    property::CONTENT_UPDATED_DATE,
    property::CONTENT_AUTHOR_NAME,
    property::IODEF_INCIDENT_ID_NAME,
];

/// Category schemes the server derives from IODEF content (R-CSIRT-CAT-a).
const DERIVED_SCHEMES: [&str; 3] = [
    scheme::IODEF_PURPOSE,
    scheme::IODEF_RESTRICTION,
    scheme::IODEF_STATUS,
];

/// Link relations that point at the entry's own resources: always made by the server.
const SERVER_RELS: [&str; 5] = [
    rel::SELF,
    rel::EDIT,
    rel::EDIT_MEDIA,
    rel::COLLECTION,
    rel::SERVICE,
];

/// What publishing needs besides the request.
#[derive(Debug, Clone)]
pub struct PublishSettings<'a> {
    /// Default author (R-8322-10-a).
    pub organization: &'a str,
    /// How `default`/`ext-value` restrictions resolve.
    pub policy: &'a RestrictionPolicy,
}

/// What a POST body turned out to be.
#[derive(Debug)]
pub enum Submission {
    /// A bare IODEF document: becomes a media resource and its entry (R-5023-9.6-a).
    Document(IodefDocument),
    /// An Atom entry (R-5023-9.2-a).
    Entry {
        /// The entry as sent.
        entry: Box<Entry>,
        /// Its IODEF content, taken out of `atom:content`, or where it points.
        content: SubmittedContent,
    },
}

impl Submission {
    /// What the IODEF reader tolerated or decided on the publisher's behalf (a nested
    /// restriction raising the entry's level, say), for the publisher to read.
    pub fn warnings(&self) -> &[String] {
        match self {
            Submission::Document(document)
            | Submission::Entry {
                content: SubmittedContent::Document(document),
                ..
            } => &document.warnings,
            Submission::Entry { .. } => &[],
        }
    }
}

/// The content of a submitted entry.
#[derive(Debug)]
pub enum SubmittedContent {
    /// Inline IODEF, parsed and to be stored as a media resource (never unparsed).
    Document(IodefDocument),
    /// Content elsewhere: recorded, never fetched (spec-rolie A28).
    External {
        /// Declared media type.
        media_type: Option<String>,
        /// Where it is.
        src: String,
    },
}

/// Whether `media` is an Atom entry (`application/atom+xml`, `type=entry` or no `type`).
pub fn is_atom_entry_type(media: &MediaType) -> bool {
    media.essence == media_type::ATOM
        && media
            .param("type")
            .is_none_or(|t| t.eq_ignore_ascii_case("entry"))
}

/// Checks that a declared charset is one we decode and agrees with the body: a mismatch
/// between the HTTP charset and the bytes is an error, not a guess (IODEF-SEC-5).
fn check_charset(media: &MediaType, body: &[u8]) -> Result<(), ApiError> {
    let utf16_body = body.starts_with(&[0xFE, 0xFF]) || body.starts_with(&[0xFF, 0xFE]);
    match media
        .param("charset")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => Ok(()),
        Some("utf-8" | "utf8") if !utf16_body => Ok(()),
        Some("utf-16" | "utf-16le" | "utf-16be")
            if utf16_body && media.essence != media_type::JSON =>
        {
            Ok(())
        }
        Some(declared @ ("utf-8" | "utf8" | "utf-16" | "utf-16le" | "utf-16be")) => {
            Err(ApiError::BadRequest(format!(
                "the Content-Type says charset={declared} but the body is {}",
                if utf16_body { "UTF-16" } else { "not UTF-16" }
            )))
        }
        Some(other) => Err(ApiError::UnsupportedMediaType(format!(
            "charset {other} is not accepted; send UTF-8 (or UTF-16 with a byte order mark)"
        ))),
    }
}

/// Whether `media` is one of the `accept` ranges of a collection (R-5023-8-d).
pub fn accepted_by(accept: &[String], media: &MediaType) -> bool {
    accept
        .iter()
        .filter_map(|a| MediaType::parse(a))
        .any(|range| {
            if range.essence == media_type::ATOM {
                // `application/atom+xml;type=entry` takes entries sent with or without the
                // parameter; a `type=feed` body is never accepted.
                return is_atom_entry_type(media);
            }
            if range.essence == media_type::XML {
                return Syntax::for_media_type(&media.essence) == Some(Syntax::Xml);
            }
            media.matches_range(&range)
        })
}

/// Reads a submitted Atom entry.
///
/// # Errors
/// 400 when it is not well-formed XML (a DOCTYPE included), 422 when it is XML but not a
/// valid entry.
pub fn read_atom_entry(body: &[u8]) -> Result<Entry, ApiError> {
    read_entry(body, EntryMode::Submission, &Limits::default()).map_err(|e| match e.kind {
        XmlErrorKind::Unexpected(_) => {
            ApiError::unprocessable(format!("the Atom entry is not valid: {e}"))
        }
        _ => ApiError::BadRequest(format!("the Atom entry is not well-formed: {e}")),
    })
}

/// Parses a submitted body according to its media type.
///
/// # Errors
/// 400 for malformed XML/JSON, 415 for unsupported types and charsets, 422 for documents that
/// are not valid IODEF or entries without usable content.
pub fn read_submission(
    media: &MediaType,
    body: Bytes,
    policy: &RestrictionPolicy,
) -> Result<Submission, ApiError> {
    check_charset(media, &body)?;
    if let Some(syntax) = Syntax::for_media_type(&media.essence) {
        return Ok(Submission::Document(rolie_iodef::parse(
            body, syntax, policy,
        )?));
    }
    if media.essence == media_type::ATOM {
        if !is_atom_entry_type(media) {
            return Err(ApiError::UnsupportedMediaType(
                "only Atom entries (type=entry) can be posted to a collection".into(),
            ));
        }
        let entry = read_atom_entry(&body)?;
        let content = match &entry.content {
            Some(Content::OutOfLine { media_type, src }) => SubmittedContent::External {
                media_type: media_type.clone(),
                src: src.clone(),
            },
            Some(Content::Xml { element, .. }) => {
                let bytes = Bytes::from(element_document(element));
                SubmittedContent::Document(rolie_iodef::parse(bytes, Syntax::Xml, policy)?)
            }
            Some(Content::Other { media_type, value })
                if Syntax::for_media_type(media_type) == Some(Syntax::Json) =>
            {
                let bytes = Bytes::from(value.clone().into_bytes());
                SubmittedContent::Document(rolie_iodef::parse(bytes, Syntax::Json, policy)?)
            }
            _ => {
                return Err(ApiError::unprocessable(
                    "a ROLIE entry needs IODEF content: inline XML or JSON in atom:content, or atom:content with src and type (R-8322-6.2.1-a)",
                ));
            }
        };
        return Ok(Submission::Entry {
            entry: Box::new(entry),
            content,
        });
    }
    Err(ApiError::UnsupportedMediaType(format!(
        "{} cannot be posted here",
        media.essence
    )))
}

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
    fn from_document(document: &IodefDocument) -> Self {
        Derived {
            title: Some(Text::plain(document.title())),
            summary: Some(Text::plain(document.summary())),
            restriction: document.restriction,
            format: Some(document.format.rolie_format()),
            categories: document.categories(),
            properties: document.properties(),
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
) -> Result<EntryData, ApiError> {
    // R-8322-6.1.1-a: every entry of a ROLIE feed is a record of the feed's information type.
    if let Some(other) = client.categories.iter().find(|c| {
        c.scheme.as_deref() == Some(scheme::INFORMATION_TYPE) && c.term != spec.information_type
    }) {
        return Err(ApiError::Conflict(format!(
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
        return Err(ApiError::unprocessable(format!(
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

/// R-8322-6.1.1-a: an `indicator` collection takes documents that carry indicators.
fn check_information_type(spec: &CollectionSpec, document: &IodefDocument) -> Result<(), ApiError> {
    if spec.information_type == information_type::INDICATOR
        && document.incidents.iter().all(|i| i.indicator_count == 0)
    {
        return Err(ApiError::Conflict(format!(
            "collection {} holds indicator records, but the document carries no Indicator (R-8322-6.1.1-a); post it to an incident collection",
            spec.name
        )));
    }
    Ok(())
}

/// The `atom:id` of a new entry for `document` in `spec`: a name-based UUID of the
/// collection, the first incident's key (IODEF-ID-1), the entry's restriction level and,
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
    document: &IodefDocument,
    restriction: Restriction,
    draft_of: Option<&str>,
) -> String {
    let key = document.incidents.first().map_or_else(String::new, |i| {
        format!(
            "{}\n{}\n{}",
            i.id.name,
            i.id.id,
            i.id.instance.as_deref().unwrap_or("")
        )
    });
    let mut name = format!("{}\n{key}\n{}", spec.name, restriction.level());
    if let Some(owner) = draft_of {
        name.push_str("\ndraft\n");
        name.push_str(owner);
    }
    let uuid = Uuid::new_v5(&ATOM_ID_NAMESPACE, name.as_bytes());
    format!("urn:uuid:{uuid}")
}

/// A `Slug` header value, decoded and cleaned (RFC 5023 §9.7: percent-encoded UTF-8).
pub fn slug(header: Option<&str>) -> Option<String> {
    let decoded = percent_decode_str(header?).decode_utf8_lossy();
    let cleaned: String = decoded
        .chars()
        .filter(|c| !c.is_control())
        .take(128)
        .collect();
    let cleaned = cleaned.trim().to_owned();
    (!cleaned.is_empty()).then_some(cleaned)
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
) -> Result<(EntryData, NewEntryContent), ApiError> {
    let (document, client, external) = match submission {
        Submission::Document(document) => (Some(document), ClientPart::default(), None),
        Submission::Entry { entry, content } => {
            let client = ClientPart::from_entry(*entry);
            match content {
                SubmittedContent::Document(document) => (Some(document), client, None),
                SubmittedContent::External { media_type, src } => {
                    (None, client, Some((media_type, src)))
                }
            }
        }
    };
    let derived = document.as_ref().map(Derived::from_document);
    if let Some(d) = &document {
        check_information_type(spec, d)?;
    }
    let random_id = format!("urn:uuid:{}", Uuid::new_v4());
    let mut data = compose(spec, random_id, derived.as_ref(), client, settings)?;
    if let Some(d) = &document {
        data.atom_id = atom_id_for(spec, d, data.restriction, data.draft.then_some(publisher));
    }
    if let Some(slug) = slug {
        data.properties.retain(|p| p.name != property::SLUG);
        data.properties
            .push(RolieProperty::new(property::SLUG, slug));
    }
    let content = match (document, external) {
        (Some(d), _) => NewEntryContent::Stored(NewContent {
            media_type: d.format.media_type().to_owned(),
            bytes: d.bytes,
        }),
        (None, Some((media_type, src))) => NewEntryContent::External { media_type, src },
        (None, None) => return Err(ApiError::Internal("a submission without content".into())),
    };
    Ok((data, content))
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
) -> Result<EntryData, ApiError> {
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
    document: IodefDocument,
    settings: &PublishSettings<'_>,
) -> Result<(EntryData, NewContent), ApiError> {
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
        media_type: document.format.media_type().to_owned(),
        bytes: document.bytes,
    };
    Ok((data, content))
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;
    use rolie_store::CollectionName;

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
        assert!(matches!(err, ApiError::Unprocessable { .. }), "{err:?}");
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
        assert!(matches!(err, ApiError::Conflict(_)), "{err:?}");
    }

    #[test]
    fn slugs_are_percent_decoded_and_cleaned() {
        assert_eq!(
            slug(Some("CSIRT%202024%E2%80%940117")),
            Some("CSIRT 2024—0117".into())
        );
        assert_eq!(slug(Some("%0A%0D")), None);
        assert_eq!(slug(None), None);
    }

    #[test]
    fn accept_lists_match_entry_and_iodef_types() {
        let accept = vec![
            media_type::ATOM_ENTRY.to_owned(),
            media_type::XML.to_owned(),
        ];
        for ok in [
            "application/atom+xml",
            "application/atom+xml;type=entry",
            "application/xml",
            "text/xml",
            "application/iodef+xml",
        ] {
            assert!(accepted_by(&accept, &MediaType::parse(ok).unwrap()), "{ok}");
        }
        for bad in [
            "application/atom+xml;type=feed",
            "application/json",
            "text/plain",
        ] {
            assert!(
                !accepted_by(&accept, &MediaType::parse(bad).unwrap()),
                "{bad}"
            );
        }
    }
}
