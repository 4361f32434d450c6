//! The restriction sweep over everything inside an Incident and over the document's own
//! AdditionalData (RFC 7970 §3.3.1), JSON side: every `restriction` member must be a valid
//! value, and one stricter than its Incident raises the level of the whole entry
//! (`rules::NestedRestrictions`). `value` members (EXTENSION and ML_STRING content) are
//! opaque (IODEF-EXT-3); AdditionalData and RecordItem count by their own `restriction`.

use rolie_model::Restriction;

use super::value::Json;
use super::{DIALECT, Reader, optional_str};
use crate::error::IodefError;
use crate::path::Path;
use crate::rules::{self, ExtPolicy, Extensible, Level, Stricter};
use crate::text::{shown, trim};

/// Where the sweep is: the path it starts from and the member names and array positions
/// below it, turned into a path only when a message or a record needs one.
struct Position<'a, 'b> {
    start: &'b Path,
    steps: Vec<(&'a str, Option<usize>)>,
}

impl Position<'_, '_> {
    fn path(&self) -> Path {
        let mut path = self.start.clone();
        for (name, index) in &self.steps {
            path = match index {
                Some(i) => path.indexed(name, *i),
                None => path.child(name),
            };
        }
        path
    }
}

impl Reader<'_> {
    /// Checks every `restriction` member inside the Incident `incident`, whose own
    /// restriction is `label` at `level`, and records the strictest one above it.
    pub(super) fn check_restrictions(
        &mut self,
        incident: &Json,
        incident_path: &Path,
        label: &str,
        level: Restriction,
    ) -> Result<(), IodefError> {
        let Json::Object(members) = incident else {
            return Ok(());
        };
        let mut found = None;
        let mut position = Position {
            start: incident_path,
            steps: Vec::new(),
        };
        for (name, value) in members {
            self.sweep(value, name, None, &mut position, level, &mut found)?;
        }
        if let Some(found) = found {
            let above = format!("its Incident's {}", shown(label));
            self.nested.record(found, &above, &mut self.warnings);
        }
        Ok(())
    }

    /// Checks the document's own `AdditionalData` (beside the Incidents, so no Incident's
    /// level covers it) and records a `restriction` stricter than `strictest_incident`.
    pub(super) fn check_root_restrictions(
        &mut self,
        root: &Json,
        strictest_incident: Restriction,
    ) -> Result<(), IodefError> {
        let Some(additional) = root.get("AdditionalData") else {
            return Ok(());
        };
        let start = Path::root();
        let mut found = None;
        let mut position = Position {
            start: &start,
            steps: Vec::new(),
        };
        self.sweep(
            additional,
            "AdditionalData",
            None,
            &mut position,
            strictest_incident,
            &mut found,
        )?;
        if let Some(found) = found {
            self.nested
                .record(found, "every Incident of the document", &mut self.warnings);
        }
        Ok(())
    }

    /// One value of the sweep.
    fn sweep<'a>(
        &mut self,
        value: &'a Json,
        name: &'a str,
        index: Option<usize>,
        position: &mut Position<'a, '_>,
        level: Restriction,
        found: &mut Option<Stricter>,
    ) -> Result<(), IodefError> {
        if name == "value" {
            return Ok(());
        }
        match value {
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.sweep(item, name, Some(i + 1), position, level, found)?;
                }
            }
            Json::Object(members) => {
                position.steps.push((name, index));
                if let Some(child) = self.member_level(value, position)? {
                    Stricter::keep(found, level, child, || position.path());
                }
                for (member, child) in members {
                    self.sweep(child, member, None, position, level, found)?;
                }
                position.steps.pop();
            }
            _ => {}
        }
        Ok(())
    }

    /// The level of `object`'s own `restriction` member, if it has one.
    fn member_level(
        &mut self,
        object: &Json,
        position: &Position<'_, '_>,
    ) -> Result<Option<Level>, IodefError> {
        let value = object.get("restriction");
        let ext = object.get("ext-restriction");
        // The common case, a plain enumerated value, needs no path.
        if let (Some(Json::String(value)), None) = (value, ext)
            && trim(value) != "ext-value"
            && DIALECT.restrictions().contains(&trim(value))
            && let Ok(restriction) = self.policy.resolve(trim(value), None)
        {
            return Ok(Some(Level {
                label: trim(value).to_owned(),
                restriction,
            }));
        }
        if value.is_none() && ext.is_none() {
            return Ok(None);
        }
        // `default` and `ext-value` resolve under the same policy as on an Incident; an
        // `ext-value` without its name is tolerated here (and resolves to private).
        let path = position.path();
        rules::restriction(
            DIALECT,
            Extensible {
                name: "restriction",
                value: optional_str(object, "restriction", &path)?,
                ext: optional_str(object, "ext-restriction", &path)?,
            },
            ExtPolicy::Tolerate,
            self.policy,
            &path,
            &mut self.warnings,
        )
    }
}
