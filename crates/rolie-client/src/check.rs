//! `rolie check`: walks a ROLIE server from its service document and reports what it can
//! observe from outside against the requirements of RFC 8322, AtomPub, Atom, paging,
//! HTTP and the CSIRT profile. Every finding names the requirement it checks (the IDs of
//! the ROLIE requirements digest, collected in `docs/conformance.md`).
//!
//! It reads, and writes only when asked to ([`CheckOptions::write`]: one probe incident,
//! published, revised and deleted). Each collection is read up to a bound of pages and
//! entries.

mod publishing;
mod schemas;

use schemas::{Schema, Validator};

use std::collections::BTreeSet;

use rolie_model::read::{
    EntryMode, read_category_document, read_entry, read_feed, read_service_document,
};
use rolie_model::vocabulary::{format, media_type, ns, property, rel, scheme};
use rolie_model::xml::Limits;
use rolie_model::{Categories, Content, Entry, Feed, MediaType, RestrictionPolicy};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::client::{Client, Fetched, Response};
use crate::error::ClientError;

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// A MUST broken.
    Error,
    /// A SHOULD broken, or something a client will trip over.
    Warning,
}

/// One observation.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// How serious.
    pub severity: Severity,
    /// The requirement checked.
    pub requirement: &'static str,
    /// Where.
    pub url: String,
    /// What was seen.
    pub message: String,
}

/// What was checked, and what was found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// Collections walked.
    pub collections: usize,
    /// Feed pages read.
    pub pages: usize,
    /// Entries read standalone.
    pub entries: usize,
    /// Content resources read.
    pub contents: usize,
    /// Write probes published (and deleted again).
    pub writes: usize,
    /// How documents were validated against the RELAX NG schemas, or why they were not.
    pub schemas: String,
    /// Findings, errors first.
    pub findings: Vec<Finding>,
}

impl Report {
    /// Whether any error was found.
    pub fn failed(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }

    fn error(&mut self, requirement: &'static str, url: &str, message: impl Into<String>) {
        self.add(Severity::Error, requirement, url, message);
    }

    fn warning(&mut self, requirement: &'static str, url: &str, message: impl Into<String>) {
        self.add(Severity::Warning, requirement, url, message);
    }

    fn add(
        &mut self,
        severity: Severity,
        requirement: &'static str,
        url: &str,
        message: impl Into<String>,
    ) {
        self.findings.push(Finding {
            severity,
            requirement,
            url: url.to_owned(),
            message: message.into(),
        });
    }
}

/// Bounds of a check.
#[derive(Debug, Clone)]
pub struct CheckOptions {
    /// Feed pages read per collection.
    pub max_pages: usize,
    /// Entries read standalone (with their content) per collection.
    pub max_entries: usize,
    /// Also publish, revise and delete a probe incident (needs a credential that may).
    pub write: bool,
    /// The `xmllint` that applies the RELAX NG schemas (default: the one on the `PATH`).
    pub xmllint: Option<std::path::PathBuf>,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            max_pages: 50,
            max_entries: 10,
            write: false,
            xmllint: None,
        }
    }
}

fn limits() -> Limits {
    Limits::default()
}

fn is_absolute(href: &str) -> bool {
    reqwest::Url::parse(href).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// Checks the server whose service document is at `url`.
///
/// # Errors
/// Only when the service document cannot be fetched at all; everything else is a finding.
pub async fn check(
    client: &Client,
    url: &str,
    options: &CheckOptions,
) -> Result<Report, ClientError> {
    let mut report = Report::default();
    let validator = Validator::new(options.xmllint.as_deref());
    report.schemas = match &validator {
        Ok(validator) => validator.describe(),
        Err(why) => format!("RELAX NG schemas not applied: {why}"),
    };
    let schemas = validator.as_ref().ok();
    let service = client.fetch(url, "application/atomsvc+xml").await?;
    let media = service.media_type();
    if media != "application/atomsvc+xml" {
        report.error(
            "R-8322-5.1-a",
            url,
            format!("the service document is served as {media}, not application/atomsvc+xml"),
        );
    }
    conditional(client, &service, "application/atomsvc+xml", &mut report).await;
    let document = match read_service_document(&service.body, &limits()) {
        Ok(document) => document,
        Err(e) => {
            report.error(
                "R-8322-5.1-a",
                url,
                format!("not an AtomPub service document: {e}"),
            );
            return Ok(finish(report));
        }
    };
    if document.workspaces.is_empty() {
        report.error("R-5023-8-a", url, "no app:workspace");
    }
    against_schema(
        schemas,
        Schema::AtomPub,
        "R-8322-5.1-a",
        url,
        &service.body,
        &mut report,
    )
    .await;
    problems(client, url, &mut report).await;
    let mut category_documents = BTreeSet::new();
    for collection in document
        .workspaces
        .iter()
        .flat_map(|w| w.collections.iter())
    {
        report.collections += 1;
        let href = &collection.href;
        if !is_absolute(href) {
            report.error(
                "R-PROF-URI-a",
                url,
                format!("collection href {href} is not absolute"),
            );
            continue;
        }
        let mut types = 0;
        for categories in &collection.categories {
            match categories {
                Categories::Inline { categories, .. } => {
                    types += categories
                        .iter()
                        .filter(|c| c.scheme.as_deref() == Some(scheme::INFORMATION_TYPE))
                        .count();
                }
                Categories::OutOfLine { href } => {
                    category_documents.insert(href.clone());
                }
            }
        }
        if types != 1 {
            report.error("R-8322-5.1.2-a", href, format!("the collection's app:categories hold {types} information-type categories, not exactly one"));
        }
        if let Err(e) = client.allowed(href) {
            report.warning("R-PROF-URI-a", href, e.to_string());
            continue;
        }
        check_feed(client, href, options, schemas, &mut report).await;
    }
    for href in category_documents {
        check_category_document(client, &href, schemas, &mut report).await;
    }
    if options.write {
        let collections: Vec<_> = document
            .workspaces
            .iter()
            .flat_map(|w| w.collections.iter())
            .filter(|c| is_absolute(&c.href) && client.allowed(&c.href).is_ok())
            .collect();
        match publishing::target(&collections) {
            Some(collection) => publishing::probe(client, &collection, &mut report).await,
            None => report.warning(
                "R-CSIRT-TYPE-a",
                url,
                "--write found no incident collection that takes application/xml to publish a probe to",
            ),
        }
    }
    Ok(finish(report))
}

/// An error under `requirement` when `body` is not valid against `schema` (nothing when no
/// validator runs: the report says so once).
async fn against_schema(
    schemas: Option<&Validator>,
    schema: Schema,
    requirement: &'static str,
    url: &str,
    body: &[u8],
    report: &mut Report,
) {
    let Some(validator) = schemas else {
        return;
    };
    if let Err(why) = validator.validate(schema, body).await {
        let rfc = match schema {
            Schema::Atom => "RFC 4287",
            Schema::AtomPub => "RFC 5023",
        };
        report.error(
            requirement,
            url,
            format!("not valid against the RELAX NG schema of {rfc}: {why}"),
        );
    }
}

fn finish(mut report: Report) -> Report {
    report
        .findings
        .sort_by(|a, b| a.severity.cmp(&b.severity).then(a.url.cmp(&b.url)));
    report
}

/// A second GET with the validator must be a 304 (R-HTTP-cond-a).
async fn conditional(client: &Client, response: &Response, accept: &str, report: &mut Report) {
    let Some(etag) = response.etag() else {
        report.warning("R-HTTP-cond-a", &response.url, "no ETag");
        return;
    };
    match client.get(&response.url, accept, Some(etag)).await {
        Ok(Fetched::NotModified) => {}
        Ok(Fetched::Ok(_)) => report.warning(
            "R-HTTP-cond-a",
            &response.url,
            "If-None-Match with the ETag just received did not get 304",
        ),
        Err(e) => report.warning(
            "R-HTTP-cond-a",
            &response.url,
            format!("the conditional GET failed: {e}"),
        ),
    }
}

/// An error answer must explain itself (R-5023-5.5-a): a 404 for a feed that does not
/// exist carries a body, here expected as a problem document.
async fn problems(client: &Client, url: &str, report: &mut Report) {
    let Ok(base) = reqwest::Url::parse(url) else {
        return;
    };
    let Ok(missing) = base.join("/rolie/feeds/rolie-check-no-such-collection-4e1f") else {
        return;
    };
    let missing = missing.to_string();
    match client
        .request(
            reqwest::Method::GET,
            &missing,
            &[("accept", "application/atom+xml")],
            None,
        )
        .await
    {
        Ok(response) if (400..500).contains(&response.status) => {
            if response.body.is_empty() {
                report.warning(
                    "R-5023-5.5-a",
                    &missing,
                    format!("{} without an explanation", response.status),
                );
            } else if !response.media_type().starts_with("application/problem+") {
                report.warning(
                    "R-5023-5.5-a",
                    &missing,
                    format!(
                        "{} explained as {}, not an RFC 9457 problem document",
                        response.status,
                        response.media_type()
                    ),
                );
            }
        }
        Ok(response) => report.warning(
            "R-5023-5.5-a",
            &missing,
            format!("a feed that does not exist answered {}", response.status),
        ),
        Err(e) => report.warning("R-5023-5.5-a", &missing, e.to_string()),
    }
}

async fn check_category_document(
    client: &Client,
    href: &str,
    schemas: Option<&Validator>,
    report: &mut Report,
) {
    if !is_absolute(href) {
        report.error(
            "R-PROF-URI-a",
            href,
            "category document href is not absolute",
        );
        return;
    }
    match client.fetch(href, "application/atomcat+xml").await {
        Ok(response) => {
            if response.media_type() != "application/atomcat+xml" {
                report.error(
                    "R-5023-7-c",
                    href,
                    format!(
                        "served as {}, not application/atomcat+xml",
                        response.media_type()
                    ),
                );
            }
            if let Err(e) = read_category_document(&response.body, &limits()) {
                report.error(
                    "R-8322-5.2-a",
                    href,
                    format!("not a category document: {e}"),
                );
            }
            against_schema(
                schemas,
                Schema::AtomPub,
                "R-8322-5.2-a",
                href,
                &response.body,
                report,
            )
            .await;
        }
        Err(e) => report.error("R-8322-5.2-a", href, format!("cannot be read: {e}")),
    }
}

async fn check_feed(
    client: &Client,
    href: &str,
    options: &CheckOptions,
    schemas: Option<&Validator>,
    report: &mut Report,
) {
    let head = match client.fetch(href, "application/atom+xml").await {
        Ok(head) => head,
        Err(e) => {
            report.error(
                "R-8322-6.1-a",
                href,
                format!("the feed cannot be read: {e}"),
            );
            return;
        }
    };
    conditional(client, &head, "application/atom+xml", report).await;
    let mut url = href.to_owned();
    let mut response = head;
    let mut ids = BTreeSet::new();
    let mut visited = BTreeSet::new();
    let mut previous_edited = None;
    let mut sampled = 0;
    for _ in 0..options.max_pages {
        report.pages += 1;
        visited.insert(url.clone());
        let media = response.media_type();
        if media != "application/atom+xml" {
            report.error(
                "R-8322-6.1-a",
                &url,
                format!("the feed is served as {media}, not application/atom+xml"),
            );
        }
        // Before reading: a page the reader refuses is still measured against the schema.
        against_schema(
            schemas,
            Schema::Atom,
            "R-8322-6.1-c",
            &url,
            &response.body,
            report,
        )
        .await;
        let feed = match read_feed(&response.body, &limits()) {
            Ok(feed) => feed,
            Err(e) => {
                report.error("R-8322-6.1-a", &url, format!("not an Atom feed: {e}"));
                return;
            }
        };
        check_feed_page(&url, &feed, report);
        for entry in &feed.entries {
            if !ids.insert(entry.id.clone()) {
                report.error(
                    "R-PROF-PAGE-a",
                    &url,
                    format!("entry {} appears on two pages", entry.id),
                );
            }
            let edited = entry.edited.unwrap_or(entry.updated);
            if previous_edited.is_some_and(|p| edited > p) {
                report.warning(
                    "R-5023-10-a",
                    &url,
                    format!("entry {} is newer than the one before it", entry.id),
                );
            }
            previous_edited = Some(edited);
            check_entry(&url, entry, report);
            if sampled < options.max_entries {
                sampled += 1;
                check_standalone(client, entry, schemas, report).await;
            }
        }
        let Some(next) = feed.link(rel::NEXT).map(|l| l.href.clone()) else {
            return;
        };
        if visited.contains(&next) {
            report.error(
                "R-8322-6.1.2-b",
                &url,
                "the next link leads back to a page already read",
            );
            return;
        }
        if let Err(e) = client.allowed(&next) {
            report.warning("R-PROF-URI-a", &url, e.to_string());
            return;
        }
        url = next;
        response = match client.fetch(&url, "application/atom+xml").await {
            Ok(response) => response,
            Err(e) => {
                report.error(
                    "R-8322-6.1.2-b",
                    &url,
                    format!("the next page cannot be read: {e}"),
                );
                return;
            }
        };
    }
}

fn check_feed_page(url: &str, feed: &Feed, report: &mut Report) {
    let types = feed
        .categories
        .iter()
        .filter(|c| c.scheme.as_deref() == Some(scheme::INFORMATION_TYPE))
        .count();
    if types != 1 {
        report.error(
            "R-8322-6.1-a",
            url,
            format!("{types} information-type categories, not exactly one"),
        );
    }
    if feed.authors.is_empty() && feed.entries.iter().any(|e| e.authors.is_empty()) {
        report.error(
            "R-4287-4.1.1-b",
            url,
            "no feed author, and an entry without one",
        );
    }
    for link in &feed.links {
        if !is_absolute(&link.href) {
            report.error(
                "R-PROF-URI-a",
                url,
                format!("link {} is not absolute", link.href),
            );
        }
    }
    if feed.link(rel::SELF).is_none() {
        report.warning("R-4287-4.1.1-c", url, "no self link");
    }
    let paged = feed.link(rel::NEXT).is_some() || feed.link(rel::PREVIOUS).is_some();
    if paged && (feed.link(rel::FIRST).is_none() || feed.link(rel::LAST).is_none()) {
        report.warning(
            "R-8322-6.1.2-b",
            url,
            "a paged feed without first and last links",
        );
    }
}

fn check_entry(url: &str, entry: &Entry, report: &mut Report) {
    let at = format!("{url} entry {}", entry.id);
    match &entry.content {
        Some(Content::OutOfLine { media_type, src }) => {
            if media_type.is_none() {
                report.error("R-8322-6.2.1-b", &at, "content has src but no type");
            }
            if !is_absolute(src) {
                report.error(
                    "R-PROF-URI-a",
                    &at,
                    format!("content src {src} is not absolute"),
                );
            }
            let generic = media_type.as_deref().is_some_and(|t| {
                let essence = t.split(';').next().unwrap_or("").trim();
                essence == "application/xml" || essence == "application/json"
            });
            if generic && entry.format.is_none() {
                report.warning(
                    "R-8322-6.2.3-a",
                    &at,
                    "generic content type without rolie:format",
                );
            }
        }
        Some(_) => report.error("R-8322-6.2.1-b", &at, "content is inline, not out-of-line"),
        None => report.error("R-8322-6.2.1-a", &at, "no atom:content"),
    }
    if entry.link(rel::EDIT).is_none() {
        report.warning("R-5023-9.1-a", &at, "no edit link");
    }
    for link in &entry.links {
        if !is_absolute(&link.href) {
            report.error(
                "R-PROF-URI-a",
                &at,
                format!("link {} is not absolute", link.href),
            );
        }
    }
}

/// The entry at its own URI, and its content: served, parseable, as the feed said.
async fn check_standalone(
    client: &Client,
    entry: &Entry,
    schemas: Option<&Validator>,
    report: &mut Report,
) {
    let Some(own) = entry
        .link(rel::SELF)
        .or_else(|| entry.link(rel::EDIT))
        .map(|l| l.href.clone())
    else {
        return;
    };
    if client.allowed(&own).is_err() {
        return;
    }
    report.entries += 1;
    match client.fetch(&own, "application/atom+xml;type=entry").await {
        Ok(response) => {
            if response.media_type() != "application/atom+xml" {
                report.error(
                    "R-5023-9.1-a",
                    &own,
                    format!("the entry is served as {}", response.media_type()),
                );
            }
            against_schema(
                schemas,
                Schema::Atom,
                "R-8322-6.2-a",
                &own,
                &response.body,
                report,
            )
            .await;
            match read_entry(&response.body, EntryMode::Document, &limits()) {
                Ok(standalone) if standalone.id != entry.id => {
                    report.error(
                        "R-5023-9.1-a",
                        &own,
                        "the entry at this URI has another atom:id than the feed's",
                    );
                }
                Ok(standalone) => {
                    if standalone.link(rel::COLLECTION).is_none() {
                        report.error(
                            "R-8322-6.2.5-a",
                            &own,
                            "a standalone entry without a collection link",
                        );
                    }
                    let mut alternates = BTreeSet::new();
                    for link in standalone
                        .links
                        .iter()
                        .filter(|l| l.relation() == rel::ALTERNATE)
                    {
                        if !alternates.insert((link.media_type.clone(), link.hreflang.clone())) {
                            report.error(
                                "R-4287-4.1.1-d",
                                &own,
                                "two alternate links with the same type and hreflang",
                            );
                        }
                    }
                }
                Err(e) => report.error("R-5023-9.1-a", &own, format!("not an Atom entry: {e}")),
            }
            conditional(client, &response, "application/atom+xml;type=entry", report).await;
        }
        Err(e) => report.error("R-5023-9.1-a", &own, format!("cannot be read: {e}")),
    }
    let Some(Content::OutOfLine { media_type, src }) = &entry.content else {
        return;
    };
    if client.allowed(src).is_err() {
        return;
    }
    report.contents += 1;
    let content = match client
        .fetch(src, media_type.as_deref().unwrap_or("*/*"))
        .await
    {
        Ok(content) => content,
        Err(e) => {
            report.error(
                "R-8322-6.2.1-b",
                src,
                format!("the content cannot be read: {e}"),
            );
            return;
        }
    };
    let stated_essence = media_type
        .as_deref()
        .and_then(|t| t.split(';').next())
        .map(|t| t.trim().to_ascii_lowercase());
    if let Some(stated) = stated_essence
        && stated != content.media_type()
    {
        report.warning(
            "R-8322-6.2.1-c",
            src,
            format!(
                "served as {}, the entry says {stated}",
                content.media_type()
            ),
        );
    }
    if let Some(stated) = entry
        .properties
        .iter()
        .find(|p| p.name == property::CONTENT_SHA256)
    {
        let actual = hex::encode(Sha256::digest(&content.body));
        if !stated.value.eq_ignore_ascii_case(&actual) {
            report.error(
                "docs/sync.md#content-sha256",
                src,
                format!("SHA-256 {actual}, the entry states {}", stated.value),
            );
        }
    }
    check_profile(entry, &content, media_type.as_deref(), report);
    if let Some(format) = &entry.format {
        let root_ns = root_namespace(&content.body);
        let iodef = format.ns == ns::IODEF_1 || format.ns == ns::IODEF_2;
        if iodef && root_ns.as_deref() != Some(format.ns.as_str()) {
            report.error(
                "R-CSIRT-FMT-a",
                src,
                format!(
                    "rolie:format names {}, the document's root is in {}",
                    format.ns,
                    root_ns.unwrap_or_else(|| "no namespace".into())
                ),
            );
        }
    }
    conditional(
        client,
        &content,
        media_type.as_deref().unwrap_or("*/*"),
        report,
    )
    .await;
}

/// The CSIRT profile's rules for an entry and the document its content holds, read with
/// the same format readers a publishing server uses: IODEF (R-CSIRT-IODEF-b, -c), STIX
/// (R-CSIRT-STIX-a) and MISP (R-CSIRT-MISP-a) entries name their document's identifiers
/// in `content-id`; IODEF entries also expose `purpose` and `restriction` as categories
/// (R-CSIRT-CAT-a). A document no reader recognises is not a profile document: nothing
/// is said about it.
fn check_profile(entry: &Entry, content: &Response, stated: Option<&str>, report: &mut Report) {
    let Some(media) = stated.and_then(MediaType::parse) else {
        return;
    };
    // Levels do not matter here: the reader only has to recognise the document.
    let policy = RestrictionPolicy::default();
    let Ok(document) = rolie_publish::read_document(&media, content.body.clone(), &policy) else {
        return;
    };
    let src = content.url.as_str();
    let iodef = document.format.ns == ns::IODEF_1 || document.format.ns == ns::IODEF_2;
    let (requirement, severity) = match document.format.ns.as_str() {
        _ if iodef => ("R-CSIRT-IODEF-c", Severity::Error),
        format::STIX_2_1 => ("R-CSIRT-STIX-a", Severity::Error),
        // MISP's guidance in the draft is non-normative.
        format::MISP_CORE => ("R-CSIRT-MISP-a", Severity::Warning),
        _ => ("R-8322-7.4-d", Severity::Warning),
    };
    let stated_ids: BTreeSet<&str> = entry
        .properties
        .iter()
        .filter(|p| p.name == property::CONTENT_ID)
        .map(|p| p.value.as_str())
        .collect();
    for id in document
        .properties
        .iter()
        .filter(|p| p.name == property::CONTENT_ID)
    {
        if !stated_ids.contains(id.value.as_str()) {
            report.add(
                severity,
                requirement,
                src,
                format!(
                    "the entry has no content-id property {} for the identifier in its {} document",
                    id.value, document.format_name
                ),
            );
        }
    }
    if !iodef {
        return;
    }
    // JSON IODEF as application/json is a documented deviation (R-CSIRT-FMT-c).
    let json_iodef = media.essence == media_type::JSON && document.format.ns == ns::IODEF_2;
    if !json_iodef && media.essence != media_type::XML {
        report.error(
            "R-CSIRT-IODEF-b",
            src,
            format!(
                "an IODEF entry's content type is {}, not application/xml",
                media.essence
            ),
        );
    }
    for wanted in document.categories.iter().filter(|c| {
        matches!(
            c.scheme.as_deref(),
            Some(scheme::IODEF_PURPOSE | scheme::IODEF_RESTRICTION)
        )
    }) {
        let present = entry
            .categories
            .iter()
            .any(|c| c.scheme == wanted.scheme && c.term == wanted.term);
        if !present {
            report.warning(
                "R-CSIRT-CAT-a",
                src,
                format!(
                    "the entry lacks the category {} {} its IODEF document states",
                    wanted.scheme.as_deref().unwrap_or_default(),
                    wanted.term
                ),
            );
        }
    }
}

/// The namespace of an XML document's root element (read without DTDs).
fn root_namespace(body: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(body).ok()?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        ..roxmltree::ParsingOptions::default()
    };
    let document = roxmltree::Document::parse_with_options(text, options).ok()?;
    document
        .root_element()
        .tag_name()
        .namespace()
        .map(str::to_owned)
}
