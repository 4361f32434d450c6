//! The restriction sweep over everything inside an Incident (RFC 7970 §3.3.1,
//! IODEF-RES-2), JSON side: every `restriction` member must be a valid value; stricter
//! children are reported, not acted on. `value` members (EXTENSION and ML_STRING content)
//! are opaque (IODEF-EXT-3).

use rolie_model::Restriction;

use super::value::Json;
use super::{DIALECT, Reader, optional_str};
use crate::error::IodefError;
use crate::path::Path;
use crate::rules::{self, ExtPolicy, Extensible};
use crate::text::trim;

impl Reader<'_> {
    /// Every `restriction` member inside the Incident must be a valid value (RFC 7970
    /// §3.3.1); stricter children are reported, not acted on (IODEF-RES-2). `value`
    /// members (EXTENSION and ML_STRING content) are opaque (IODEF-EXT-3).
    pub(super) fn check_restrictions(
        &mut self,
        incident: &Json,
        incident_path: &Path,
        level: Restriction,
    ) -> Result<(), IodefError> {
        let mut stricter = false;
        let Json::Object(members) = incident else {
            return Ok(());
        };
        let mut steps = Vec::new();
        for (name, value) in members {
            self.sweep(
                value,
                name,
                None,
                &mut steps,
                incident_path,
                level,
                &mut stricter,
            )?;
        }
        if stricter {
            self.warnings.push(format!(
                "{incident_path}: some members are more restrictive than their Incident; the document is published at the Incident's level (IODEF-RES-2)"
            ));
        }
        Ok(())
    }

    /// One value of the sweep; `steps` are the member names and array positions from the
    /// Incident down, turned into a path only when a message needs one.
    #[expect(
        clippy::too_many_arguments,
        reason = "the recursion threads its position; a struct would only rename them"
    )]
    fn sweep<'a>(
        &mut self,
        value: &'a Json,
        name: &'a str,
        index: Option<usize>,
        steps: &mut Vec<(&'a str, Option<usize>)>,
        incident_path: &Path,
        level: Restriction,
        stricter: &mut bool,
    ) -> Result<(), IodefError> {
        if name == "value" {
            return Ok(());
        }
        match value {
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.sweep(
                        item,
                        name,
                        Some(i + 1),
                        steps,
                        incident_path,
                        level,
                        stricter,
                    )?;
                }
            }
            Json::Object(members) => {
                steps.push((name, index));
                self.member_restriction(value, steps, incident_path, level, stricter)?;
                for (member, child) in members {
                    self.sweep(child, member, None, steps, incident_path, level, stricter)?;
                }
                steps.pop();
            }
            _ => {}
        }
        Ok(())
    }

    fn member_restriction(
        &mut self,
        object: &Json,
        steps: &[(&str, Option<usize>)],
        incident_path: &Path,
        level: Restriction,
        stricter: &mut bool,
    ) -> Result<(), IodefError> {
        let value = object.get("restriction");
        let ext = object.get("ext-restriction");
        // The common case, a plain enumerated value, needs no path.
        if let (Some(Json::String(value)), None) = (value, ext)
            && trim(value) != "ext-value"
            && DIALECT.restrictions().contains(&trim(value))
            && let Ok(child) = self.policy.resolve(trim(value), None)
        {
            *stricter |= child > level;
            return Ok(());
        }
        if value.is_none() && ext.is_none() {
            return Ok(());
        }
        let mut path = incident_path.clone();
        for (name, index) in steps {
            path = match index {
                Some(i) => path.indexed(name, *i),
                None => path.child(name),
            };
        }
        let child = rules::restriction(
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
        )?;
        *stricter |= child.is_some_and(|l| l.restriction > level);
        Ok(())
    }
}
