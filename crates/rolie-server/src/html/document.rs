//! An entry's content as a readable tree: every element of an IODEF document (or every
//! member of a JSON IODEF, STIX or MISP document) with its attributes and text, names
//! spelt out for people ("IncidentID" is "Incident ID"). Generic on purpose: incidents,
//! contacts, assessments, indicators, event data, related activity and any extension all
//! show, in document order, and nothing is lost to a schema the page does not know.
//!
//! Bounded: a document beyond [`MAX_BYTES`] is only linked, and at most [`MAX_NODES`]
//! nodes [`MAX_DEPTH`] deep are shown. XML is parsed without DTDs, like every document
//! the server reads.

use serde::Serialize;

/// Largest document shown as a tree.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// Most nodes shown.
pub const MAX_NODES: usize = 4_000;
/// Deepest nesting shown.
pub const MAX_DEPTH: usize = 32;

/// An attribute of a node.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Attribute {
    name: String,
    value: String,
}

/// One element or member.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Node {
    name: String,
    text: Option<String>,
    attributes: Vec<Attribute>,
    children: Vec<Node>,
}

/// The tree of a document, or why there is none.
#[derive(Debug, Serialize, Default)]
pub struct DocumentView {
    nodes: Vec<Node>,
    truncated: bool,
    note: String,
}

impl DocumentView {
    /// Shown instead of a tree.
    pub fn note(note: impl Into<String>) -> Self {
        DocumentView {
            note: note.into(),
            ..DocumentView::default()
        }
    }

    /// The tree of `bytes` of `media_type`.
    pub fn of(media_type: &str, bytes: &[u8]) -> Self {
        if bytes.len() > MAX_BYTES {
            return DocumentView::note(format!(
                "The document is {} bytes long, more than this page shows; open the document itself.",
                bytes.len()
            ));
        }
        let essence = media_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        let mut budget = Budget::default();
        let nodes = if essence.ends_with("json") {
            match serde_json::from_slice::<Json>(bytes) {
                Ok(value) => json_nodes(None, &value, 0, &mut budget),
                Err(e) => return DocumentView::note(format!("The document is not JSON: {e}.")),
            }
        } else if essence.ends_with("xml") {
            let Ok(text) = std::str::from_utf8(bytes) else {
                return DocumentView::note("The document is not UTF-8 text; open it to read it.");
            };
            let options = roxmltree::ParsingOptions {
                allow_dtd: false,
                ..roxmltree::ParsingOptions::default()
            };
            match roxmltree::Document::parse_with_options(text, options) {
                Ok(doc) => xml_node(doc.root_element(), 0, &mut budget)
                    .into_iter()
                    .collect(),
                Err(e) => return DocumentView::note(format!("The document is not XML: {e}.")),
            }
        } else {
            return DocumentView::note(format!(
                "Documents of type {media_type} are not shown here; open the document itself."
            ));
        };
        DocumentView {
            nodes,
            truncated: budget.exhausted,
            note: String::new(),
        }
    }
}

#[derive(Default)]
struct Budget {
    used: usize,
    exhausted: bool,
}

impl Budget {
    /// Takes one node at `depth`; false (and the tree marked truncated) when none is left.
    fn take(&mut self, depth: usize) -> bool {
        if self.used >= MAX_NODES || depth >= MAX_DEPTH {
            self.exhausted = true;
            return false;
        }
        self.used += 1;
        true
    }
}

fn xml_node(element: roxmltree::Node<'_, '_>, depth: usize, budget: &mut Budget) -> Option<Node> {
    if !budget.take(depth) {
        return None;
    }
    let attributes = element
        .attributes()
        .map(|a| Attribute {
            name: a.name().to_owned(),
            value: a.value().to_owned(),
        })
        .collect();
    let mut children = Vec::new();
    let mut text = String::new();
    for child in element.children() {
        if child.is_element() {
            if let Some(node) = xml_node(child, depth + 1, budget) {
                children.push(node);
            }
        } else if child.is_text() {
            text.push_str(child.text().unwrap_or(""));
        }
    }
    let text = text.trim();
    Some(Node {
        name: humanize(element.tag_name().name()),
        text: (!text.is_empty()).then(|| text.to_owned()),
        attributes,
        children,
    })
}

/// A JSON value with its members in document order (`serde_json::Value` sorts them, and
/// an IODEF document reads in the order its author wrote it: IncidentID first).
enum Json {
    Null,
    Scalar(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Json;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_unit<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_none<E>(self) -> Result<Json, E> {
                Ok(Json::Null)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
                Ok(Json::Scalar(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
                Ok(Json::Scalar(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
                Ok(Json::Scalar(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
                Ok(Json::Scalar(v.to_string()))
            }
            fn visit_str<E>(self, v: &str) -> Result<Json, E> {
                Ok(Json::Scalar(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Json, E> {
                Ok(Json::Scalar(v))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Json::Array(items))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
                let mut members = Vec::new();
                while let Some(member) = map.next_entry()? {
                    members.push(member);
                }
                Ok(Json::Object(members))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

/// The nodes for `value` under the member name `key` (an array is one node per item).
fn json_nodes(key: Option<&str>, value: &Json, depth: usize, budget: &mut Budget) -> Vec<Node> {
    let name = key.map_or_else(|| "Document".to_owned(), humanize);
    match value {
        Json::Null => Vec::new(),
        Json::Array(items) => {
            let mut nodes = Vec::new();
            for item in items {
                nodes.extend(json_nodes(key, item, depth, budget));
                if budget.exhausted {
                    break;
                }
            }
            nodes
        }
        Json::Object(members) => {
            if !budget.take(depth) {
                return Vec::new();
            }
            // STIX objects and MISP attributes say what they are in `name` or `type`.
            let what = ["name", "type"].iter().find_map(|wanted| {
                members.iter().find_map(|(k, v)| match v {
                    Json::Scalar(s) if k == wanted => Some(s.as_str()),
                    _ => None,
                })
            });
            let mut children = Vec::new();
            for (k, v) in members {
                children.extend(json_nodes(Some(k), v, depth + 1, budget));
                if budget.exhausted {
                    break;
                }
            }
            if key.is_none() {
                return children;
            }
            vec![Node {
                name: match what {
                    Some(what) => format!("{name}: {what}"),
                    None => name,
                },
                text: None,
                attributes: Vec::new(),
                children,
            }]
        }
        Json::Scalar(text) => {
            if !budget.take(depth) {
                return Vec::new();
            }
            vec![Node {
                name,
                text: Some(text.clone()),
                attributes: Vec::new(),
                children: Vec::new(),
            }]
        }
    }
}

/// An element or member name for people: words split at case changes, hyphens and
/// underscores; acronyms kept, other words in lower case, the first capitalised.
/// `IncidentID` → "Incident ID", `IODEF-Document` → "IODEF document",
/// `created_by_ref` → "Created by ref".
pub fn humanize(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '-' || c == '_' || c == ' ' {
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            continue;
        }
        let previous = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1);
        let boundary = c.is_uppercase()
            && previous.is_some_and(|p| {
                p.is_lowercase()
                    || p.is_ascii_digit()
                    || (p.is_uppercase() && next.is_some_and(|n| n.is_lowercase()))
            });
        if boundary && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.push(c);
    }
    if !word.is_empty() {
        words.push(word);
    }
    let mut out = String::with_capacity(name.len() + words.len());
    for (i, w) in words.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        let acronym = w.chars().count() > 1 && w.chars().all(|c| !c.is_lowercase());
        if acronym {
            out.push_str(w);
        } else if i == 0 {
            let mut cs = w.chars();
            if let Some(first) = cs.next() {
                out.extend(first.to_uppercase());
                out.push_str(&cs.as_str().to_lowercase());
            }
        } else {
            out.push_str(&w.to_lowercase());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_spelt_out_for_people() {
        for (name, shown) in [
            ("IncidentID", "Incident ID"),
            ("IODEF-Document", "IODEF document"),
            ("GenerationTime", "Generation time"),
            ("created_by_ref", "Created by ref"),
            ("BGPPrefix", "BGP prefix"),
            ("Address", "Address"),
            ("ipv4-addr", "Ipv4 addr"),
        ] {
            assert_eq!(humanize(name), shown, "{name}");
        }
    }

    #[test]
    fn xml_keeps_every_element_attribute_and_text_in_order() {
        let view = DocumentView::of(
            "application/xml",
            br#"<IODEF-Document xmlns="urn:ietf:params:xml:ns:iodef-2.0" version="2.00"><Incident purpose="reporting"><IncidentID name="csirt.example">42</IncidentID><Description>&lt;script&gt;x</Description></Incident></IODEF-Document>"#,
        );
        let root = &view.nodes[0];
        assert_eq!(root.name, "IODEF document");
        let incident = &root.children[0];
        assert_eq!(incident.attributes[0].value, "reporting");
        assert_eq!(incident.children[0].name, "Incident ID");
        assert_eq!(incident.children[0].text.as_deref(), Some("42"));
        assert_eq!(incident.children[1].text.as_deref(), Some("<script>x"));
    }

    #[test]
    fn dtds_are_refused_and_huge_documents_only_linked() {
        let view = DocumentView::of(
            "application/xml",
            br#"<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>"#,
        );
        assert!(view.nodes.is_empty() && view.note.contains("not XML"));
        let huge = vec![b' '; MAX_BYTES + 1];
        assert!(DocumentView::of("application/json", &huge).nodes.is_empty());
    }

    #[test]
    fn the_node_budget_truncates_and_says_so() {
        let items: Vec<serde_json::Value> = (0..MAX_NODES + 10)
            .map(|i| serde_json::json!({ "n": i }))
            .collect();
        let body = serde_json::to_vec(&serde_json::json!({ "objects": items })).unwrap();
        let view = DocumentView::of("application/json", &body);
        assert!(view.truncated);
    }

    #[test]
    fn json_objects_name_what_they_are() {
        let view = DocumentView::of(
            "application/stix+json",
            br#"{"type":"bundle","objects":[{"type":"indicator","name":"Bad IP","pattern":"[ipv4-addr:value = '198.51.100.1']"}]}"#,
        );
        // Members in the order written, not sorted.
        assert_eq!(view.nodes[0].name, "Type");
        assert_eq!(view.nodes[1].name, "Objects: Bad IP");
        let members: Vec<_> = view.nodes[1]
            .children
            .iter()
            .map(|n| n.name.as_str())
            .collect();
        assert_eq!(members, ["Type", "Name", "Pattern"]);
    }
}
