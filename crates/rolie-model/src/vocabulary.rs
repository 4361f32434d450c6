//! Namespace URIs, media types, link relations, category schemes and property names.
//!
//! Handlers and backends use these constants, never literals (spec-rolie §2).

/// XML namespace URIs (spec-rolie §2.1).
pub mod ns {
    /// Atom, RFC 4287 §2. Plain `http`: RFC 8322 prints `https`, which no Atom reader
    /// recognises (spec-rolie A2).
    pub const ATOM: &str = "http://www.w3.org/2005/Atom";
    /// AtomPub, RFC 5023 §2.1 (same `http` remark, A2).
    pub const APP: &str = "http://www.w3.org/2007/app";
    /// ROLIE, RFC 8322 §8.1. Not the `rolie:1.0` typo of §3.1 (A1, R-8322-3.1-a).
    pub const ROLIE: &str = "urn:ietf:params:xml:ns:rolie-1.0";
    /// The colon form printed in RFC 8322 §3.1; read as an alias, never written (A1).
    pub const ROLIE_TYPO: &str = "urn:ietf:params:xml:ns:rolie:1.0";
    /// The `xml:` namespace.
    pub const XML: &str = "http://www.w3.org/XML/1998/namespace";
    /// OpenSearch 1.1 (R-OS11-ns-a).
    pub const OPENSEARCH: &str = "http://a9.com/-/spec/opensearch/1.1/";
    /// Feed history, RFC 5005 (R-5005-ns-a).
    pub const FEED_HISTORY: &str = "http://purl.org/syndication/history/1.0";
    /// Atom tombstones, RFC 6721.
    pub const TOMBSTONES: &str = "http://purl.org/atompub/tombstones/1.0";
    /// IODEF v1, RFC 5070.
    pub const IODEF_1: &str = "urn:ietf:params:xml:ns:iodef-1.0";
    /// IODEF v2, RFC 7970.
    pub const IODEF_2: &str = "urn:ietf:params:xml:ns:iodef-2.0";
    /// This server's own extension elements (`rs:last-change` in the service document),
    /// documented in `docs/sync.md`.
    pub const SERVER: &str = "https://github.com/rolie-server/rolie/blob/main/docs/sync.md#ns";
    /// RFC 9457 Appendix B problem details in XML.
    pub const PROBLEM: &str = "urn:ietf:rfc:7807";
}

/// Media types (spec-rolie §2.2). Responses carry the `type=` parameter (STYLE §2).
pub mod media_type {
    /// Atom feed document.
    pub const ATOM_FEED: &str = "application/atom+xml;type=feed";
    /// Atom entry document.
    pub const ATOM_ENTRY: &str = "application/atom+xml;type=entry";
    /// Atom without the `type` parameter.
    pub const ATOM: &str = "application/atom+xml";
    /// AtomPub service document.
    pub const ATOM_SERVICE: &str = "application/atomsvc+xml";
    /// AtomPub category document.
    pub const ATOM_CATEGORIES: &str = "application/atomcat+xml";
    /// IODEF XML (no IODEF media type is registered).
    pub const XML: &str = "application/xml";
    /// JSON IODEF (RFC 8727 registers none).
    pub const JSON: &str = "application/json";
    /// Problem details, JSON.
    pub const PROBLEM_JSON: &str = "application/problem+json";
    /// Problem details, XML.
    pub const PROBLEM_XML: &str = "application/problem+xml";
    /// STIX 2.x JSON (IANA-registered, with a `version` parameter). Taken on POST; STIX
    /// entries are served as `application/json` (R-CSIRT-STIX-a).
    pub const STIX: &str = "application/stix+json";
    /// OpenSearch description.
    pub const OPENSEARCH: &str = "application/opensearchdescription+xml";
}

/// Link relations (spec-rolie §2.3).
pub mod rel {
    /// The document's own URI.
    pub const SELF: &str = "self";
    /// The service document (R-8322-6.1.2-a).
    pub const SERVICE: &str = "service";
    /// The containing collection (R-8322-6.2.5-a).
    pub const COLLECTION: &str = "collection";
    /// Same record in another format (R-8322-6.2.2-a).
    pub const ALTERNATE: &str = "alternate";
    /// Member entry URI (RFC 5023 §11.1).
    pub const EDIT: &str = "edit";
    /// Media resource URI (RFC 5023 §11.2).
    pub const EDIT_MEDIA: &str = "edit-media";
    /// Paging, RFC 5005 §3.
    pub const FIRST: &str = "first";
    /// Paging, RFC 5005 §3.
    pub const LAST: &str = "last";
    /// Paging, RFC 5005 §3; emitted instead of its synonym `prev` (A4).
    pub const PREVIOUS: &str = "previous";
    /// Paging, RFC 5005 §3.
    pub const NEXT: &str = "next";
    /// OpenSearch description (R-OS11-auto-a).
    pub const SEARCH: &str = "search";
    /// Where incremental sync continues: the href carries a `since` token (an extension
    /// relation of this server, documented in `docs/sync.md`).
    pub const SYNC: &str = "https://github.com/rolie-server/rolie/blob/main/docs/sync.md#rel-sync";
}

/// Category schemes (spec-rolie §2.4).
pub mod scheme {
    /// ROLIE information type (R-8322-5.1.2-a).
    pub const INFORMATION_TYPE: &str = "urn:ietf:params:rolie:category:information-type";
    /// IODEF purpose as an entry category (R-CSIRT-CAT-a).
    pub const IODEF_PURPOSE: &str = "urn:ietf:params:rolie:category:csirt:iodef:purpose";
    /// IODEF restriction as an entry category (R-CSIRT-CAT-a).
    pub const IODEF_RESTRICTION: &str = "urn:ietf:params:rolie:category:csirt:iodef:restriction";
    /// IODEF v2 incident status (private use, R-CSIRT-CAT-b).
    pub const IODEF_STATUS: &str = "urn:ietf:params:rolie:category:local:iodef:status";
    /// IODEF `Expectation@action`: what the reporter asks the recipient to do (private use,
    /// R-CSIRT-CAT-b).
    pub const IODEF_EXPECTATION: &str = "urn:ietf:params:rolie:category:local:iodef:expectation";
    /// IODEF `Assessment/*Impact@type`: the kinds of impact assessed (private use,
    /// R-CSIRT-CAT-b).
    pub const IODEF_IMPACT: &str = "urn:ietf:params:rolie:category:local:iodef:impact";
    /// The STIX object types in a bundle (`indicator`, `malware`, ...), private use.
    pub const STIX_TYPE: &str = "urn:ietf:params:rolie:category:local:stix:type";
    /// The tags of a MISP event (`tlp:amber`, `circl:incident-classification="malware"`),
    /// private use.
    pub const MISP_TAG: &str = "urn:ietf:params:rolie:category:local:misp:tag";
    /// A MISP event's threat level (`high`, `medium`, `low`, `undefined`), private use.
    pub const MISP_THREAT_LEVEL: &str = "urn:ietf:params:rolie:category:local:misp:threat-level";
}

/// Information types of the CSIRT extension (R-CSIRT-TYPE-a); not IANA-registered (A18).
pub mod information_type {
    /// Incident reports.
    pub const INCIDENT: &str = "incident";
    /// Indicators.
    pub const INDICATOR: &str = "indicator";
}

/// `rolie:property` names (spec-rolie §2.5, R-8322-7.4-*).
pub mod property {
    /// Who authored the content.
    pub const CONTENT_AUTHOR_NAME: &str = "urn:ietf:params:rolie:property:content-author-name";
    /// Identifier taken from the content (IODEF IncidentID, R-CSIRT-IODEF-c).
    pub const CONTENT_ID: &str = "urn:ietf:params:rolie:property:content-id";
    /// First publication of the content, RFC 3339.
    pub const CONTENT_PUBLISHED_DATE: &str =
        "urn:ietf:params:rolie:property:content-published-date";
    /// Last update of the content, RFC 3339.
    pub const CONTENT_UPDATED_DATE: &str = "urn:ietf:params:rolie:property:content-updated-date";
    /// Private-use prefix (R-8322-7.4-b).
    pub const LOCAL_PREFIX: &str = "urn:ietf:params:rolie:property:local";
    /// SHA-256 of the content stored here, lower-case hex: lets a mirror verify what it
    /// fetched (the content response carries the same digest in `Repr-Digest`, RFC 9530).
    pub const CONTENT_SHA256: &str = "urn:ietf:params:rolie:property:local:content-sha256";
    /// The `Slug` the publisher sent with its POST (RFC 5023 §9.7), kept as a hint.
    pub const SLUG: &str = "urn:ietf:params:rolie:property:local:slug";
    /// The IncidentID `name` (issuing CSIRT), R-CSIRT-PROP-c.
    pub const IODEF_INCIDENT_ID_NAME: &str =
        "urn:ietf:params:rolie:property:local:iodef-incidentid-name";
    /// MISP manifest field `info` (R-CSIRT-MISP-a).
    pub const MISP_INFO: &str = "urn:ietf:params:rolie:property:local:misp-info";
    /// MISP manifest field `Orgc`: the creating organisation's name (R-CSIRT-MISP-a).
    pub const MISP_ORGC: &str = "urn:ietf:params:rolie:property:local:misp-orgc";
    /// MISP manifest field `Orgc.uuid` (R-CSIRT-MISP-a).
    pub const MISP_ORGC_UUID: &str = "urn:ietf:params:rolie:property:local:misp-orgc-uuid";
    /// MISP manifest field `date`, `YYYY-MM-DD` as written (R-CSIRT-MISP-a).
    pub const MISP_DATE: &str = "urn:ietf:params:rolie:property:local:misp-date";
    /// MISP manifest field `timestamp`, Unix seconds as written (R-CSIRT-MISP-a).
    pub const MISP_TIMESTAMP: &str = "urn:ietf:params:rolie:property:local:misp-timestamp";
    /// MISP manifest field `analysis`: 0 initial, 1 ongoing, 2 complete (R-CSIRT-MISP-a).
    pub const MISP_ANALYSIS: &str = "urn:ietf:params:rolie:property:local:misp-analysis";
    /// MISP manifest field `threat_level_id`: 1 high .. 4 undefined (R-CSIRT-MISP-a).
    pub const MISP_THREAT_LEVEL_ID: &str =
        "urn:ietf:params:rolie:property:local:misp-threat-level-id";
}

/// Data-model identifiers used in `rolie:format` (R-CSIRT-FMT-a).
pub mod format {
    /// Where IANA publishes the IODEF v2 schema (RFC 8322 §6.2.3).
    pub const IODEF_2_SCHEMA: &str =
        "https://www.iana.org/assignments/xml-registry/schema/iodef-2.0.xsd";
    /// STIX 2.1 has no namespace: the OASIS standard's own URI names the data model.
    pub const STIX_2_1: &str = "http://docs.oasis-open.org/cti/stix/v2.1/stix-v2.1.html";
    /// The JSON schema of a STIX 2.1 bundle, published by the OASIS CTI TC.
    pub const STIX_2_1_BUNDLE_SCHEMA: &str = "https://raw.githubusercontent.com/oasis-open/cti-stix2-json-schemas/master/schemas/common/bundle.json";
    /// MISP core format has no namespace: its specification's URI names the data model.
    pub const MISP_CORE: &str = "https://datatracker.ietf.org/doc/draft-dulaunoy-misp-core-format/";
}
