//! IODEF: v1 and v2 XML (the root namespace decides, IODEF-NS-1) and JSON IODEF (RFC 8727),
//! read by `rolie-iodef`.

use bytes::Bytes;
use rolie_iodef::{IodefDocument, Syntax};
use rolie_model::vocabulary::media_type;
use rolie_model::{MediaType, RestrictionPolicy};

use super::{ContentFormat, Document, Fits, Offered};
use crate::error::PublishError;

/// IODEF v1 or v2 XML.
pub struct IodefXml;

/// JSON IODEF: any JSON body that no other format claims.
pub struct IodefJson;

/// Whether `media` names XML: `application/xml`, `text/xml` or `application/iodef+xml`.
pub(crate) fn is_xml(media: &MediaType) -> bool {
    Syntax::for_media_type(&media.essence) == Some(Syntax::Xml)
}

impl ContentFormat for IodefXml {
    fn name(&self) -> &'static str {
        "IODEF"
    }

    fn claims(&self, offered: &Offered<'_>) -> bool {
        is_xml(offered.media)
    }

    fn read(&self, body: Bytes, policy: &RestrictionPolicy) -> Result<Document, PublishError> {
        Ok(document(rolie_iodef::parse(body, Syntax::Xml, policy)?))
    }
}

impl ContentFormat for IodefJson {
    fn name(&self) -> &'static str {
        "JSON IODEF"
    }

    fn claims(&self, offered: &Offered<'_>) -> bool {
        offered.media.essence == media_type::JSON
    }

    fn read(&self, body: Bytes, policy: &RestrictionPolicy) -> Result<Document, PublishError> {
        Ok(document(rolie_iodef::parse(body, Syntax::Json, policy)?))
    }
}

/// What an IODEF entry takes from its document (R-CSIRT-IODEF-b/c, R-CSIRT-FMT-a/c,
/// R-CSIRT-CAT-a/b, R-CSIRT-PROP-b/c).
pub(crate) fn document(document: IodefDocument) -> Document {
    let key = document.incidents.first().map_or_else(String::new, |i| {
        format!(
            "{}\n{}\n{}",
            i.id.name,
            i.id.id,
            i.id.instance.as_deref().unwrap_or("")
        )
    });
    let carries_indicators = document.incidents.iter().any(|i| i.indicator_count > 0);
    Document {
        format_name: "IODEF",
        media_type: document.format.media_type(),
        format: document.format.rolie_format(),
        title: document.title(),
        summary: document.summary(),
        restriction: document.restriction,
        categories: document.categories(),
        properties: document.properties(),
        key,
        fits: Fits {
            incident: true,
            indicator: carries_indicators,
        },
        warnings: document.warnings,
        bytes: document.bytes,
    }
}
