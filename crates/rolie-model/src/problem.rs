//! RFC 9457 problem details, in JSON and in XML (Appendix B).

use serde::{Deserialize, Serialize};

use crate::vocabulary::ns;
use crate::xml::{Tag, XmlWriter};

/// A problem document: what went wrong, for the client to read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// URI identifying the problem type; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What exactly is wrong with this request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// URI of this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Extension members (e.g. `path` of an invalid IODEF element, `request_id`).
    #[serde(flatten)]
    pub extensions: serde_json::Map<String, serde_json::Value>,
}

impl Problem {
    /// A problem of `problem_type` with `status` and `title`.
    pub fn new(problem_type: &str, status: u16, title: &str) -> Self {
        Problem {
            problem_type: problem_type.to_owned(),
            title: title.to_owned(),
            status,
            detail: None,
            instance: None,
            extensions: serde_json::Map::new(),
        }
    }

    /// The same problem with a detail message.
    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// The same problem with an extension member.
    pub fn with_extension(mut self, name: &str, value: impl Into<serde_json::Value>) -> Self {
        self.extensions.insert(name.to_owned(), value.into());
        self
    }

    /// `application/problem+json` body.
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }

    /// `application/problem+xml` body (RFC 9457 Appendix B).
    pub fn to_xml(&self) -> Vec<u8> {
        let mut w = XmlWriter::new(true);
        w.start(Tag::new(ns::PROBLEM, None, "problem").declare(None, ns::PROBLEM));
        w.text_element(Tag::new(ns::PROBLEM, None, "type"), &self.problem_type);
        w.text_element(Tag::new(ns::PROBLEM, None, "title"), &self.title);
        w.text_element(
            Tag::new(ns::PROBLEM, None, "status"),
            &self.status.to_string(),
        );
        if let Some(detail) = &self.detail {
            w.text_element(Tag::new(ns::PROBLEM, None, "detail"), detail);
        }
        if let Some(instance) = &self.instance {
            w.text_element(Tag::new(ns::PROBLEM, None, "instance"), instance);
        }
        for (name, value) in &self.extensions {
            let value = match value {
                serde_json::Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            if is_xml_name(name) {
                w.text_element(Tag::new(ns::PROBLEM, None, name), &value);
            }
        }
        w.end();
        w.finish()
    }
}

fn is_xml_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_has_the_rfc_9457_members_and_extensions() {
        let p = Problem::new("about:blank", 422, "Unprocessable Content")
            .with_detail("missing IncidentID")
            .with_extension("path", "/IODEF-Document/Incident[1]");
        let v: serde_json::Value = serde_json::from_slice(&p.to_json()).unwrap();
        assert_eq!(v["type"], "about:blank");
        assert_eq!(v["status"], 422);
        assert_eq!(v["detail"], "missing IncidentID");
        assert_eq!(v["path"], "/IODEF-Document/Incident[1]");
    }

    #[test]
    fn xml_uses_the_rfc_9457_namespace() {
        let p = Problem::new("about:blank", 404, "Not Found").with_detail("<x>");
        let xml = String::from_utf8(p.to_xml()).unwrap();
        assert!(
            xml.contains("<problem xmlns=\"urn:ietf:rfc:7807\">"),
            "{xml}"
        );
        assert!(xml.contains("<detail>&lt;x&gt;</detail>"), "{xml}");
    }
}
