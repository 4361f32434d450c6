//! The restriction sweep over everything inside an Incident and over the document's own
//! AdditionalData (RFC 7970 §3.3.1): every `restriction` must be a valid value, and one
//! stricter than its Incident raises the level of the whole entry
//! (`rules::NestedRestrictions`). Foreign-namespace subtrees and EXTENSION content are opaque
//! (IODEF-EXT-3); AdditionalData and RecordItem count by their own `restriction`.

use std::collections::HashMap;

use rolie_model::Restriction;
use roxmltree::Node;

use super::{Reader, incident_slots, is_named};
use crate::document::Incident;
use crate::error::IodefError;
use crate::path::Path;
use crate::rules::{self, Dialect, ExtPolicy, Extensible, Level, Stricter};
use crate::text::{shown, trim};

impl Reader<'_> {
    /// Checks every `restriction` inside `node`, the Incident read as `incident`, and
    /// records the strictest one above the Incident's own level.
    pub(super) fn check_restrictions(
        &mut self,
        node: Node<'_, '_>,
        incident_path: &Path,
        incident: &Incident,
    ) -> Result<(), IodefError> {
        let mut found = None;
        let mut steps = Vec::new();
        self.sweep(
            node,
            &mut steps,
            incident_path,
            incident.restriction,
            &mut found,
        )?;
        if let Some(found) = found {
            let above = format!("its Incident's {}", shown(&incident.restriction_label));
            self.nested.record(found, &above, &mut self.warnings);
        }
        Ok(())
    }

    /// Checks the `restriction` of each AdditionalData of the document itself (siblings of
    /// the Incidents, which no Incident's level covers) and records one stricter than
    /// `strictest_incident`.
    pub(super) fn check_root_restrictions(
        &mut self,
        root: Node<'_, '_>,
        strictest_incident: Restriction,
    ) -> Result<(), IodefError> {
        let mut found = None;
        let namespace = self.namespace;
        let additional = root
            .children()
            .filter(|c| is_named(*c, namespace, "AdditionalData"));
        for (i, node) in additional.enumerate() {
            let path = || Path::root().indexed("AdditionalData", i + 1);
            if let Some(level) = self.element_level(node, path)? {
                Stricter::keep(&mut found, strictest_incident, level, path);
            }
        }
        if let Some(found) = found {
            self.nested
                .record(found, "every Incident of the document", &mut self.warnings);
        }
        Ok(())
    }

    /// One level of the sweep. `steps` holds the elements from the Incident down with
    /// their index among same-named siblings, counted here in one pass so that a path
    /// costs nothing until a message needs it (a sibling scan per element would be
    /// quadratic in a flat document). Recursion is bounded by the reader's depth limit.
    fn sweep<'a, 'input>(
        &mut self,
        parent: Node<'a, 'input>,
        steps: &mut Vec<(Node<'a, 'input>, usize)>,
        incident_path: &Path,
        level: Restriction,
        found: &mut Option<Stricter>,
    ) -> Result<(), IodefError> {
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for node in parent.children().filter(Node::is_element) {
            if node.tag_name().namespace() != Some(self.namespace) {
                continue;
            }
            let local = node.tag_name().name();
            let index = counts.entry(local).or_insert(0);
            *index += 1;
            steps.push((node, *index));
            let dialect = self.dialect;
            let path = || path_of(dialect, incident_path, steps);
            if let Some(child) = self.element_level(node, path)? {
                Stricter::keep(found, level, child, path);
            }
            if !matches!(local, "AdditionalData" | "RecordItem") {
                self.sweep(node, steps, incident_path, level, found)?;
            }
            steps.pop();
        }
        Ok(())
    }

    /// The level of `node`'s own `restriction`, if it has one; `path` names it in messages
    /// and is only made when one is needed.
    fn element_level(
        &mut self,
        node: Node<'_, '_>,
        path: impl FnOnce() -> Path,
    ) -> Result<Option<Level>, IodefError> {
        let value = node.attribute("restriction");
        let ext = node.attribute("ext-restriction");
        // The common case, a plain enumerated value, needs no path.
        if let (Some(value), None) = (value.map(trim), ext)
            && value != "ext-value"
            && self.dialect.restrictions().contains(&value)
            && let Ok(restriction) = self.policy.resolve(value, None)
        {
            return Ok(Some(Level {
                label: value.to_owned(),
                restriction,
            }));
        }
        if value.is_none() && ext.is_none() {
            return Ok(None);
        }
        // `default` and `ext-value` resolve under the same policy as on an Incident; an
        // `ext-value` without its name is tolerated here (and resolves to private).
        rules::restriction(
            self.dialect,
            Extensible {
                name: "restriction",
                value,
                ext,
            },
            ExtPolicy::Tolerate,
            self.policy,
            &path(),
            &mut self.warnings,
        )
    }
}

/// The path below an Incident. Its direct children follow the slot table; deeper elements
/// always carry an index, as their repeatability is not tracked here (JSON paths agree:
/// arrays are indexed).
fn path_of(dialect: Dialect, incident_path: &Path, steps: &[(Node<'_, '_>, usize)]) -> Path {
    let slots = incident_slots(dialect);
    let mut path = incident_path.clone();
    for (depth, (node, index)) in steps.iter().enumerate() {
        let name = node.tag_name().name();
        let single = depth == 0 && slots.iter().any(|s| s.name == name && !s.repeatable);
        path = if single {
            path.child(name)
        } else {
            path.indexed(name, *index)
        };
    }
    path
}
