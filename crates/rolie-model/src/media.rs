//! Media types as HTTP writes them (RFC 9110 §8.3.1): parsed once, compared by essence and
//! parameters. Requests name their content with one; collections list the ranges they accept.

/// A parsed media type: lower-case essence and parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaType {
    /// `type/subtype`, lower case.
    pub essence: String,
    /// Parameters, names lower case, values unquoted.
    pub params: Vec<(String, String)>,
}

/// The file extension for a document of `media_type` written to disk (mirrors, archives):
/// `xml` or `json` by the type's suffix, else `bin`.
pub fn file_extension(media_type: &str) -> &'static str {
    let essence = media_type.split(';').next().unwrap_or("").trim();
    if essence.ends_with("xml") {
        "xml"
    } else if essence.ends_with("json") {
        "json"
    } else {
        "bin"
    }
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
