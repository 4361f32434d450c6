//! Media types of requests and content negotiation of responses (R-HTTP-neg-a).

use http::HeaderMap;
use http::header::{ACCEPT, CONTENT_TYPE};

use crate::error::ApiError;
pub use rolie_model::MediaType;

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

/// The weight the client gives `offered` (the most specific matching range decides);
/// `None` when no range names it at all.
fn weight_of(ranges: &[Range], offered: &MediaType) -> Option<f32> {
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
        .map(|r| r.q)
}

fn weight(ranges: &[Range], offered: &MediaType) -> f32 {
    weight_of(ranges, offered).unwrap_or(0.0)
}

/// Picks the first of `offered` with the highest weight. When `Accept` names none of them
/// (golie sends only `application/json`), the first is the answer anyway: RFC 9110 §12.5.1
/// lets a server disregard `Accept` rather than answer 406, and callers send
/// `Vary: Accept`. Only a client that excludes every offered type explicitly
/// (`application/atom+xml;q=0`) gets 406.
///
/// # Errors
/// 406 naming what is offered when every offered type is excluded.
pub fn choose<'a>(headers: &HeaderMap, offered: &[&'a str]) -> Result<&'a str, ApiError> {
    let ranges = accept_ranges(headers);
    let mut best: Option<(&str, f32)> = None;
    let mut unnamed: Option<&str> = None;
    for candidate in offered {
        let Some(media) = MediaType::parse(candidate) else {
            continue;
        };
        match weight_of(&ranges, &media) {
            Some(w) if w > 0.0 => {
                if best.is_none_or(|(_, b)| w > b) {
                    best = Some((candidate, w));
                }
            }
            Some(_) => {}
            None => {
                unnamed.get_or_insert(candidate);
            }
        }
    }
    best.map(|(c, _)| c).or(unnamed).ok_or_else(|| {
        ApiError::NotAcceptable(format!(
            "this resource is available as {} only, which the Accept header excludes",
            offered.join(" or ")
        ))
    })
}

/// A content coding the server can apply to a response body (RFC 9110 §8.4.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Coding {
    /// No coding.
    Identity,
    /// `deflate` (zlib format).
    Deflate,
    /// `gzip` (also `x-gzip`).
    Gzip,
    /// `br`.
    Brotli,
}

impl Coding {
    /// Every coding we offer; on equal weight the later one wins (smaller bodies).
    const OFFERED: [Coding; 4] = [
        Coding::Identity,
        Coding::Deflate,
        Coding::Gzip,
        Coding::Brotli,
    ];

    /// The token of this coding in `Accept-Encoding` and `Content-Encoding`.
    pub fn token(self) -> &'static str {
        match self {
            Coding::Identity => "identity",
            Coding::Deflate => "deflate",
            Coding::Gzip => "gzip",
            Coding::Brotli => "br",
        }
    }

    fn matches(self, token: &str) -> bool {
        token.eq_ignore_ascii_case(self.token())
            || (self == Coding::Gzip && token.eq_ignore_ascii_case("x-gzip"))
    }
}

/// The coding to answer with, from the request's `Accept-Encoding` (RFC 9110 §12.5.3): a
/// coding listed with a weight takes that weight, others the weight of `*` when present;
/// `identity` is acceptable unless excluded by `identity;q=0` or `*;q=0`. No header means
/// no preference: the body goes uncompressed. `None` when nothing we offer is acceptable,
/// which is a 406.
pub fn choose_coding(headers: &HeaderMap) -> Option<Coding> {
    let values: Vec<&str> = headers
        .get_all(http::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if values.is_empty() {
        return Some(Coding::Identity);
    }
    let mut listed: Vec<(&str, f32)> = Vec::new();
    for item in values.iter().flat_map(|v| v.split(',')) {
        let mut parts = item.split(';');
        let token = parts.next().unwrap_or("").trim();
        if token.is_empty() {
            continue;
        }
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(1.0), |(_, value)| value.trim().parse::<f32>().ok());
        // An unparseable weight makes the item meaningless; it is ignored.
        if let Some(q) = q {
            listed.push((token, q.clamp(0.0, 1.0)));
        }
    }
    let wildcard = listed.iter().find(|(t, _)| *t == "*").map(|(_, q)| *q);
    let weight = |coding: Coding| -> f32 {
        match listed.iter().find(|(t, _)| coding.matches(t)) {
            Some((_, q)) => *q,
            None => match (coding, wildcard) {
                (_, Some(q)) => q,
                // Acceptable, but only as the fallback: any coding the client lists wins.
                (Coding::Identity, None) => f32::MIN_POSITIVE,
                (_, None) => 0.0,
            },
        }
    };
    let mut best: Option<(Coding, f32)> = None;
    for coding in Coding::OFFERED {
        let w = weight(coding);
        if w > 0.0 && best.is_none_or(|(_, b)| w >= b) {
            best = Some((coding, w));
        }
    }
    best.map(|(coding, _)| coding)
}

/// Whether the client weighs `text/html` above `other` (browsers do; feed readers, curl and
/// HTTP libraries, which send `*/*` or name Atom first, do not).
pub fn prefers_html(headers: &HeaderMap, other: &str) -> bool {
    headers.contains_key(ACCEPT) && html_over(&accept_ranges(headers), other)
}

fn html_over(ranges: &[Range], other: &str) -> bool {
    let (Some(html), Some(other)) = (MediaType::parse("text/html"), MediaType::parse(other)) else {
        return false;
    };
    weight(ranges, &html) > weight(ranges, &other)
}

/// Whether to answer with a page rather than `atom`, from one reading of `Accept`: a page
/// when the client weighs `text/html` above Atom ([`prefers_html`]); otherwise Atom, as
/// [`choose`] offers it alone (a client that excludes it explicitly gets 406).
///
/// # Errors
/// 406 when Atom is excluded and HTML not preferred.
pub fn page_or(headers: &HeaderMap, atom: &str) -> Result<bool, ApiError> {
    let ranges = accept_ranges(headers);
    if html_over(&ranges, atom) {
        return Ok(true);
    }
    let excluded = MediaType::parse(atom).is_some_and(|m| weight_of(&ranges, &m) == Some(0.0));
    if excluded {
        choose(headers, &[atom])?;
    }
    Ok(false)
}

/// Whether an error should be a page rather than a problem document: the client weighs
/// `text/html` above both problem document types.
pub fn prefers_html_problems(headers: &HeaderMap) -> bool {
    prefers_html(headers, rolie_model::vocabulary::media_type::PROBLEM_JSON)
        && prefers_html(headers, rolie_model::vocabulary::media_type::PROBLEM_XML)
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

    /// Browsers get pages; feed readers, curl and libraries keep Atom (issue: negotiated HTML).
    #[test]
    fn html_goes_to_browsers_only() {
        let browser =
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
        assert!(prefers_html(&accept(browser), FEED));
        assert!(prefers_html_problems(&accept(browser)));
        for reader in [
            "*/*",
            "application/atom+xml,application/rdf+xml,application/rss+xml,application/x-netcdf,application/xml;q=0.9,text/xml;q=0.2,*/*;q=0.1",
            "application/atom+xml, application/rss+xml, text/html;q=0.7, */*;q=0.5",
            "application/json",
        ] {
            assert!(!prefers_html(&accept(reader), FEED), "{reader}");
        }
        assert!(!prefers_html(&HeaderMap::new(), FEED));
        assert!(!prefers_html_problems(&accept("*/*")));
    }

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

    /// RFC 9110 §12.5.1: an `Accept` that names nothing we serve gets the default
    /// representation (golie sends only `application/json`); an explicit exclusion is 406.
    #[test]
    fn unnamed_types_get_the_default_and_excluded_ones_406() {
        assert_eq!(choose(&accept("application/json"), &[FEED]).unwrap(), FEED);
        assert_eq!(
            choose(&accept("application/atom+xml;type=entry"), &[FEED]).unwrap(),
            FEED
        );
        assert!(choose(&accept("application/atom+xml;q=0"), &[FEED]).is_err());
        assert!(choose(&accept("application/json, */*;q=0"), &[FEED]).is_err());
        assert!(choose(&accept("application/json, application/*;q=0"), &[FEED]).is_err());
    }

    #[test]
    fn xml_clients_get_xml_problems() {
        assert!(prefers_xml_problems(&accept("application/problem+xml")));
        assert!(prefers_xml_problems(&accept("application/atom+xml")));
        assert!(!prefers_xml_problems(&accept("application/json")));
        assert!(!prefers_xml_problems(&accept("*/*")));
        assert!(!prefers_xml_problems(&HeaderMap::new()));
    }

    fn accept_encoding(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            http::header::ACCEPT_ENCODING,
            HeaderValue::from_str(value).unwrap(),
        );
        h
    }

    /// RFC 9110 §12.5.3: weights, `*`, `identity` and exclusions.
    #[test]
    fn codings_follow_the_weights_the_client_gives() {
        let cases = [
            ("gzip", Some(Coding::Gzip)),
            ("x-gzip", Some(Coding::Gzip)),
            ("GZIP;q=0.5", Some(Coding::Gzip)),
            ("gzip, deflate, br, zstd", Some(Coding::Brotli)),
            ("gzip;q=1.0, br;q=0.5", Some(Coding::Gzip)),
            ("deflate", Some(Coding::Deflate)),
            ("identity", Some(Coding::Identity)),
            ("", Some(Coding::Identity)),
            ("zstd", Some(Coding::Identity)),
            ("*", Some(Coding::Brotli)),
            ("*;q=0.1, gzip;q=0", Some(Coding::Brotli)),
            ("br;q=0, *;q=0.5", Some(Coding::Gzip)),
            ("gzip;q=0", Some(Coding::Identity)),
            ("identity;q=0, gzip", Some(Coding::Gzip)),
            ("identity;q=0", None),
            ("*;q=0", None),
            ("zstd, identity;q=0", None),
            ("gzip;q=nonsense", Some(Coding::Identity)),
        ];
        for (header, expected) in cases {
            assert_eq!(
                choose_coding(&accept_encoding(header)),
                expected,
                "{header:?}"
            );
        }
        assert_eq!(choose_coding(&HeaderMap::new()), Some(Coding::Identity));
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
