//! What a POST body is: a bare document of one of the content formats, or an Atom entry
//! with its content inline or elsewhere (R-5023-9.2-a, R-5023-9.6-a).

use bytes::Bytes;
use percent_encoding::percent_decode_str;
use rolie_model::vocabulary::media_type;
use rolie_model::xml::{Limits, XmlErrorKind, element_document};
use rolie_model::{Content, Entry, EntryMode, MediaType, RestrictionPolicy, read_entry};

use crate::error::PublishError;
use crate::format::{self, Document};

/// What a POST body turned out to be.
#[derive(Debug)]
pub enum Submission {
    /// A bare document: becomes a media resource and its entry (R-5023-9.6-a).
    Document(Box<Document>),
    /// An Atom entry (R-5023-9.2-a).
    Entry {
        /// The entry as sent.
        entry: Box<Entry>,
        /// Its content, taken out of `atom:content`, or where it points.
        content: SubmittedContent,
    },
}

impl Submission {
    /// What the reader tolerated or decided on the publisher's behalf (a nested
    /// restriction raising the entry's level, an unmarked bundle published at the default
    /// level), for the publisher to read.
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
    /// Inline content, parsed and to be stored as a media resource (never unparsed).
    Document(Box<Document>),
    /// Content elsewhere: recorded, never fetched (spec-rolie A28).
    External {
        /// Declared media type.
        media_type: String,
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
fn check_charset(media: &MediaType, body: &[u8]) -> Result<(), PublishError> {
    let utf16_body = body.starts_with(&[0xFE, 0xFF]) || body.starts_with(&[0xFF, 0xFE]);
    let json = format::is_json(media);
    match media
        .param("charset")
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        None => Ok(()),
        Some("utf-8" | "utf8") if !utf16_body => Ok(()),
        Some("utf-16" | "utf-16le" | "utf-16be") if utf16_body && !json => Ok(()),
        Some(declared @ ("utf-8" | "utf8" | "utf-16" | "utf-16le" | "utf-16be")) => {
            Err(PublishError::Malformed(format!(
                "the Content-Type says charset={declared} but the body is {}",
                if utf16_body { "UTF-16" } else { "not UTF-16" }
            )))
        }
        Some(other) => Err(PublishError::Unsupported(format!(
            "charset {other} is not accepted; send UTF-8 (or UTF-16 with a byte order mark)"
        ))),
    }
}

/// Whether `media` is one of the `accept` ranges of a collection (R-5023-8-d). A
/// collection that accepts `application/json` takes STIX's own `application/stix+json`
/// too, since STIX entries are served as JSON (R-CSIRT-STIX-a).
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
                return format::is_xml(media);
            }
            if range.essence == media_type::JSON && media.essence == media_type::STIX {
                return true;
            }
            media.matches_range(&range)
        })
}

/// Reads a submitted Atom entry.
///
/// # Errors
/// 400 when it is not well-formed XML (a DOCTYPE included), 422 when it is XML but not a
/// valid entry.
pub fn read_atom_entry(body: &[u8]) -> Result<Entry, PublishError> {
    read_entry(body, EntryMode::Submission, &Limits::default()).map_err(|e| match e.kind {
        XmlErrorKind::Unexpected(_) => {
            PublishError::invalid(format!("the Atom entry is not valid: {e}"))
        }
        _ => PublishError::Malformed(format!("the Atom entry is not well-formed: {e}")),
    })
}

/// Parses a submitted body according to its media type.
///
/// # Errors
/// Malformed bodies, unsupported types and charsets, invalid documents, and entries
/// without usable content (R-8322-6.2.1-a).
pub fn read_submission(
    media: &MediaType,
    body: Bytes,
    policy: &RestrictionPolicy,
) -> Result<Submission, PublishError> {
    check_charset(media, &body)?;
    if media.essence != media_type::ATOM {
        return Ok(Submission::Document(Box::new(format::read_document(
            media, body, policy,
        )?)));
    }
    if !is_atom_entry_type(media) {
        return Err(PublishError::Unsupported(
            "only Atom entries (type=entry) can be posted to a collection".into(),
        ));
    }
    let entry = read_atom_entry(&body)?;
    let content = match &entry.content {
        Some(Content::OutOfLine {
            media_type: Some(media_type),
            src,
        }) => SubmittedContent::External {
            media_type: media_type.clone(),
            src: src.clone(),
        },
        Some(Content::OutOfLine {
            media_type: None, ..
        }) => {
            return Err(PublishError::invalid(
                "atom:content with src needs a type naming the content's media type (R-8322-6.2.1-a)",
            ));
        }
        Some(Content::Xml { element, .. }) => {
            let bytes = Bytes::from(element_document(element));
            let xml = MediaType::parse(media_type::XML).expect("a constant media type");
            SubmittedContent::Document(Box::new(format::read_document(&xml, bytes, policy)?))
        }
        Some(Content::Other { media_type, value })
            if MediaType::parse(media_type).is_some_and(|m| format::is_content_type(&m)) =>
        {
            let inline = MediaType::parse(media_type).expect("parsed in the guard");
            let bytes = Bytes::from(value.clone().into_bytes());
            SubmittedContent::Document(Box::new(format::read_document(&inline, bytes, policy)?))
        }
        _ => {
            return Err(PublishError::invalid(
                "a ROLIE entry needs content: inline IODEF XML, or JSON (JSON IODEF, a STIX bundle, a MISP event) in atom:content, or atom:content with src and type (R-8322-6.2.1-a)",
            ));
        }
    };
    Ok(Submission::Entry {
        entry: Box::new(entry),
        content,
    })
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

#[cfg(test)]
mod tests {
    use super::*;

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
