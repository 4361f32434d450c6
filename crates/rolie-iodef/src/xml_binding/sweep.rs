//! The restriction sweep over everything inside an Incident (RFC 7970 §3.3.1,
//! IODEF-RES-2): every `restriction` must be a valid value; children stricter than their
//! Incident are reported, not acted on, because the server publishes whole documents.
//! Foreign-namespace subtrees and EXTENSION content are opaque (IODEF-EXT-3).

use std::collections::HashMap;

use rolie_model::Restriction;
use roxmltree::Node;

use super::{Reader, incident_slots};
use crate::error::IodefError;
use crate::path::Path;
use crate::rules::{self, ExtPolicy, Extensible};
use crate::text::trim;

impl Reader<'_> {
    /// Checks every `restriction` inside `incident`, whose own level is `level`.
    pub(super) fn check_restrictions(
        &mut self,
        incident: Node<'_, '_>,
        incident_path: &Path,
        level: Restriction,
    ) -> Result<(), IodefError> {
        let mut stricter = false;
        let mut steps = Vec::new();
        self.sweep(incident, &mut steps, incident_path, level, &mut stricter)?;
        if stricter {
            self.warnings.push(format!(
                "{incident_path}: some elements are more restrictive than their Incident; the document is published at the Incident's level (IODEF-RES-2)"
            ));
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
        stricter: &mut bool,
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
            self.element_restriction(node, steps, incident_path, level, stricter)?;
            if !matches!(local, "AdditionalData" | "RecordItem") {
                self.sweep(node, steps, incident_path, level, stricter)?;
            }
            steps.pop();
        }
        Ok(())
    }

    fn element_restriction(
        &mut self,
        node: Node<'_, '_>,
        steps: &[(Node<'_, '_>, usize)],
        incident_path: &Path,
        level: Restriction,
        stricter: &mut bool,
    ) -> Result<(), IodefError> {
        let value = node.attribute("restriction");
        let ext = node.attribute("ext-restriction");
        // The common case, a plain enumerated value, needs no path.
        if let (Some(value), None) = (value.map(trim), ext)
            && value != "ext-value"
            && self.dialect.restrictions().contains(&value)
            && let Ok(child) = self.policy.resolve(value, None)
        {
            *stricter |= child > level;
            return Ok(());
        }
        if value.is_none() && ext.is_none() {
            return Ok(());
        }
        let path = self.path_of(incident_path, steps);
        let child = rules::restriction(
            self.dialect,
            Extensible {
                name: "restriction",
                value,
                ext,
            },
            ExtPolicy::Tolerate,
            self.policy,
            &path,
            &mut self.warnings,
        )?;
        *stricter |= child.is_some_and(|l| l.restriction > level);
        Ok(())
    }

    /// The path below an Incident. Its direct children follow the slot table; deeper
    /// elements always carry an index, as their repeatability is not tracked here (JSON
    /// paths agree: arrays are indexed).
    fn path_of(&self, incident_path: &Path, steps: &[(Node<'_, '_>, usize)]) -> Path {
        let slots = incident_slots(self.dialect);
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
}
