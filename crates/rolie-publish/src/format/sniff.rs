//! A look at the top of a JSON body: enough to tell a STIX bundle and a MISP event from a
//! JSON IODEF document without building the document.

use std::borrow::Cow;

use rolie_model::MediaType;
use serde::Deserialize;
use serde::de::IgnoredAny;

/// Whether `media` is JSON: `application/json` or a `+json` type.
pub(crate) fn is_json(media: &MediaType) -> bool {
    media.essence == "application/json" || media.essence.ends_with("+json")
}

/// The members that decide a JSON body's format; everything else is skipped unread.
#[derive(Deserialize, Default)]
pub(crate) struct Top<'a> {
    /// STIX: `"type": "bundle"`.
    #[serde(rename = "type", borrow, default)]
    pub kind: Option<Cow<'a, str>>,
    /// MISP: `{"Event": {…}}`.
    #[serde(rename = "Event", default)]
    pub event: Option<IgnoredAny>,
}

/// The top of a JSON object body; `None` when the body is not a JSON object (the format
/// that reads it then says what is wrong).
pub(crate) fn top(body: &[u8]) -> Option<Top<'_>> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    serde_json::from_slice::<Top<'_>>(body).ok()
}
