//! Media types of requests and content negotiation of responses (R-HTTP-neg-a).

use http::HeaderMap;
use http::header::{ACCEPT, CONTENT_TYPE};

use crate::error::ApiError;

/// A parsed media type: lower-case essence and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    /// `type/subtype`, lower case.
    pub essence: String,
    /// Parameters, names lower case, values unquoted.
    pub params: Vec<(String, String)>,
}

impl MediaType {
    /// Parses `value`; `None` when it is not `type/subtype[; params]`.
    pub fn parse(value: &str) -> Option<Self> {
        let mut parts = value.split(';');
        let essence = parts.next()?.trim().to_ascii_lowercase();
        let (kind, subtype) = essence.split_once('/')?;
        if kind.is_empty() || subtype.is_empty() || essence.contains(char::is_whitespace) {
            return None;
        }
        let params = parts
            .filter_map(|p| {
                let (name, value) = p.split_once('=')?;
                Some((
                    name.trim().to_ascii_lowercase(),
                    value.trim().trim_matches('"').to_owned(),
                ))
            })
            .collect();
        Some(MediaType { essence, params })
    }

    /// The value of parameter `name`.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether this type matches the range `range` (`*/*`, `type/*`, or exact, with the
    /// range's parameters required to be equal when it has any).
    pub fn matches_range(&self, range: &MediaType) -> bool {
        let essence_ok = range.essence == "*/*"
            || range.essence == self.essence
            || range
                .essence
                .strip_suffix("/*")
                .is_some_and(|kind| self.essence.split('/').next() == Some(kind));
        essence_ok
            && range
                .params
                .iter()
                .filter(|(n, _)| n != "q" && n != "charset")
                .all(|(n, v)| {
                    self.param(n)
                        .is_some_and(|mine| mine.eq_ignore_ascii_case(v))
                })
    }
}

/// The request's `Content-Type`.
///
/// # Errors
/// 415 when it is missing or not a media type.
pub fn content_type(headers: &HeaderMap) -> Result<MediaType, ApiError> {
    let value = headers
        .get(CONTENT_TYPE)
        .ok_or_else(|| ApiError::UnsupportedMediaType("the request has no Content-Type".into()))?;
    value
        .to_str()
        .ok()
        .and_then(MediaType::parse)
        .ok_or_else(|| {
            ApiError::UnsupportedMediaType("the Content-Type is not a media type".into())
        })
}

/// One range of an `Accept` header with its weight.
struct Range {
    media: MediaType,
    q: f32,
}

fn accept_ranges(headers: &HeaderMap) -> Vec<Range> {
    let mut ranges = Vec::new();
    for value in headers.get_all(ACCEPT) {
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let Some(media) = MediaType::parse(item) else {
                continue;
            };
            let q = media
                .param("q")
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0)
                .clamp(0.0, 1.0);
            ranges.push(Range { media, q });
        }
    }
    ranges
}

/// The weight the client gives `offered` (the most specific matching range decides).
fn weight(ranges: &[Range], offered: &MediaType) -> f32 {
    ranges
        .iter()
        .filter(|r| offered.matches_range(&r.media))
        .max_by_key(|r| {
            if r.media.essence == "*/*" {
                0
            } else if r.media.essence.ends_with("/*") {
                1
            } else {
                2 + r.media.params.iter().filter(|(n, _)| n != "q").count()
            }
        })
        .map_or(0.0, |r| r.q)
}

/// Picks the first of `offered` with the highest weight; no `Accept` accepts anything.
///
/// # Errors
/// 406 naming what is offered when nothing is acceptable.
pub fn choose<'a>(headers: &HeaderMap, offered: &[&'a str]) -> Result<&'a str, ApiError> {
    let ranges = accept_ranges(headers);
    if ranges.is_empty() {
        return offered
            .first()
            .copied()
            .ok_or_else(|| ApiError::NotAcceptable("nothing to offer".into()));
    }
    let mut best: Option<(&str, f32)> = None;
    for candidate in offered {
        let Some(media) = MediaType::parse(candidate) else {
            continue;
        };
        let w = weight(&ranges, &media);
        if w > 0.0 && best.is_none_or(|(_, b)| w > b) {
            best = Some((candidate, w));
        }
    }
    best.map(|(c, _)| c).ok_or_else(|| {
        ApiError::NotAcceptable(format!(
            "this resource is available as {} only",
            offered.join(" or ")
        ))
    })
}

/// Whether the client prefers XML problem documents over JSON ones.
pub fn prefers_xml_problems(headers: &HeaderMap) -> bool {
    let ranges = accept_ranges(headers);
    let xml = MediaType::parse(rolie_model::vocabulary::media_type::PROBLEM_XML)
        .map(|m| weight(&ranges, &m));
    let json = MediaType::parse(rolie_model::vocabulary::media_type::PROBLEM_JSON)
        .map(|m| weight(&ranges, &m));
    let plain_xml = ["application/xml", "application/atom+xml", "text/xml"]
        .iter()
        .filter_map(|t| MediaType::parse(t))
        .map(|m| weight(&ranges, &m))
        .fold(0.0f32, f32::max);
    match (xml, json) {
        (Some(x), Some(j)) => {
            x > j || (j == 0.0 && plain_xml > 0.0) || (x == j && x < 1.0 && plain_xml > j)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn accept(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(ACCEPT, HeaderValue::from_str(value).unwrap());
        h
    }

    const FEED: &str = "application/atom+xml;type=feed";

    /// R-HTTP-neg-a, A22
    #[test]
    fn feeds_are_offered_to_atom_and_wildcard_clients() {
        for ok in [
            "application/atom+xml",
            "application/atom+xml;type=feed",
            "*/*",
            "application/*",
            "text/html, */*;q=0.1",
        ] {
            assert_eq!(choose(&accept(ok), &[FEED]).unwrap(), FEED, "{ok}");
        }
        assert!(choose(&HeaderMap::new(), &[FEED]).is_ok());
    }

    #[test]
    fn an_entry_accept_on_a_feed_is_406() {
        assert!(choose(&accept("application/atom+xml;type=entry"), &[FEED]).is_err());
        assert!(choose(&accept("application/json"), &[FEED]).is_err());
        assert!(choose(&accept("application/atom+xml;q=0"), &[FEED]).is_err());
    }

    #[test]
    fn xml_clients_get_xml_problems() {
        assert!(prefers_xml_problems(&accept("application/problem+xml")));
        assert!(prefers_xml_problems(&accept("application/atom+xml")));
        assert!(!prefers_xml_problems(&accept("application/json")));
        assert!(!prefers_xml_problems(&accept("*/*")));
        assert!(!prefers_xml_problems(&HeaderMap::new()));
    }

    #[test]
    fn media_types_parse_with_parameters() {
        let m = MediaType::parse("Application/Atom+XML; type=\"entry\"; charset=UTF-8").unwrap();
        assert_eq!(m.essence, "application/atom+xml");
        assert_eq!(m.param("type"), Some("entry"));
        assert_eq!(m.param("charset"), Some("UTF-8"));
        assert!(MediaType::parse("garbage").is_none());
    }
}
