//! The content formats the server publishes, behind one trait: which bodies each takes and
//! what an entry takes from a document of that format.
//!
//! A body is offered to the formats in [`FORMATS`] order and read by the first that claims
//! it. JSON needs a look inside, since STIX bundles, MISP events and JSON IODEF documents
//! are all posted as `application/json`: the top-level members decide.

mod iodef;
mod misp;
mod sniff;
mod stix;

use bytes::Bytes;
use rolie_model::{
    Category, MediaType, Restriction, RestrictionPolicy, RolieFormat, RolieProperty,
};

use crate::error::PublishError;

pub(crate) use iodef::is_xml;
pub use iodef::{IodefJson, IodefXml};
pub use misp::Misp;
pub(crate) use sniff::is_json;
pub use stix::Stix;

/// Every format, in the order they are asked.
pub static FORMATS: [&dyn ContentFormat; 4] = [&Stix, &Misp, &IodefXml, &IodefJson];

/// One kind of document an entry's content can be.
pub trait ContentFormat: Sync {
    /// Its name in messages ("IODEF", "STIX 2.1 bundle").
    fn name(&self) -> &'static str;

    /// Whether an offered body is of this format; its bytes are looked into only where the
    /// media type alone does not decide.
    fn claims(&self, offered: &Offered<'_>) -> bool;

    /// Validates the body and reads what the entry is made of.
    ///
    /// # Errors
    /// [`PublishError::Malformed`] when the bytes are not well-formed, and
    /// [`PublishError::Invalid`] when they break a rule of the format.
    fn read(&self, body: Bytes, policy: &RestrictionPolicy) -> Result<Document, PublishError>;
}

/// A body offered to the formats: its media type, its bytes, and the top of a JSON body,
/// read at most once however many formats look at it.
pub struct Offered<'a> {
    /// The media type it was sent as.
    pub media: &'a MediaType,
    /// Its bytes.
    pub body: &'a [u8],
    top: std::cell::OnceCell<Option<sniff::Top<'a>>>,
}

impl<'a> Offered<'a> {
    /// `body`, sent as `media`.
    pub fn new(media: &'a MediaType, body: &'a [u8]) -> Self {
        Offered {
            media,
            body,
            top: std::cell::OnceCell::new(),
        }
    }

    /// The members at the top of a JSON object body; `None` when it is not one.
    pub(crate) fn json_top(&self) -> Option<&sniff::Top<'a>> {
        self.top.get_or_init(|| sniff::top(self.body)).as_ref()
    }
}

/// Which information types may hold a document (R-8322-6.1.1-a, R-CSIRT-TYPE-a). Types
/// other than `incident` and `indicator` take any document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fits {
    /// An `incident` collection may hold it.
    pub incident: bool,
    /// An `indicator` collection may hold it: the document carries indicators.
    pub indicator: bool,
}

/// A validated document and everything the entry derives from it.
#[derive(Debug, Clone)]
pub struct Document {
    /// The format's name, for messages.
    pub format_name: &'static str,
    /// The media type the content is stored and served with (`atom:content/@type`).
    pub media_type: &'static str,
    /// The entry's `rolie:format` (R-8322-6.2.3-a).
    pub format: RolieFormat,
    /// A one-line title, never empty.
    pub title: String,
    /// A plain-text summary.
    pub summary: String,
    /// The level the entry is published at.
    pub restriction: Restriction,
    /// Categories derived from the content.
    pub categories: Vec<Category>,
    /// Properties derived from the content, `content-id` first.
    pub properties: Vec<RolieProperty>,
    /// The document's identity within its format: the same key at the same level in one
    /// collection is the same entry (a second POST is a 409).
    pub key: String,
    /// Where it may be published.
    pub fits: Fits,
    /// Tolerated defects and decisions taken on the publisher's behalf.
    pub warnings: Vec<String>,
    /// The submitted bytes, untouched: stored and served as they came.
    pub bytes: Bytes,
}

/// The format that claims a body sent as `media`, if any.
pub fn format_for(media: &MediaType, body: &[u8]) -> Option<&'static dyn ContentFormat> {
    let offered = Offered::new(media, body);
    FORMATS.iter().copied().find(|f| f.claims(&offered))
}

/// Whether some format could take bodies of this media type (before the body is seen).
pub fn is_content_type(media: &MediaType) -> bool {
    sniff::is_json(media) || iodef::is_xml(media) || stix::is_stix_type(media)
}

/// Reads a body with the format that claims it.
///
/// # Errors
/// [`PublishError::Unsupported`] when no format takes the media type; otherwise what the
/// format's reader says.
pub fn read_document(
    media: &MediaType,
    body: Bytes,
    policy: &RestrictionPolicy,
) -> Result<Document, PublishError> {
    let Some(format) = format_for(media, &body) else {
        return Err(PublishError::Unsupported(format!(
            "{} is not a content type the server publishes: send IODEF as application/xml, JSON IODEF, a STIX 2.1 bundle or a MISP event as application/json",
            media.essence
        )));
    };
    format.read(body, policy)
}

/// The level of content marked `marking` (level and TLP colour as written), or, unmarked,
/// the policy's default level with a warning naming `what` was missing.
pub(crate) fn level_or_default(
    marking: Option<(Restriction, String)>,
    policy: &RestrictionPolicy,
    missing: &str,
    warnings: &mut Vec<String>,
) -> (Restriction, String) {
    marking.unwrap_or_else(|| {
        let level = policy.default_level;
        warnings.push(format!(
            "{missing}: it is published at the server's default level, {} (TLP:{})",
            level.term(),
            level.tlp().to_uppercase()
        ));
        (level, level.tlp().to_owned())
    })
}

/// Whitespace collapsed, cut to about `limit` characters.
pub(crate) fn clean(text: &str, limit: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= limit {
        return collapsed;
    }
    let mut cut: String = collapsed.chars().take(limit).collect();
    if let Some(space) = cut.rfind(' ') {
        cut.truncate(space);
    }
    cut.push('…');
    cut
}

/// Distinct values in first-seen order.
pub(crate) fn push_new(list: &mut Vec<String>, value: &str) {
    if !value.is_empty() && !list.iter().any(|v| v == value) {
        list.push(value.to_owned());
    }
}
