//! Tolerated defects, collected while reading so the server can store and show them.
//!
//! Real documents are sloppy in ways the RFCs forbid but receivers must live with (no
//! `xml:lang`, no zone on a date-time, `ext-*` attributes next to ordinary values). A
//! machine-generated document can repeat one defect hundreds of times, so the list is
//! deduplicated and capped.

/// Most distinct warnings kept; the rest are counted.
const MAX_WARNINGS: usize = 50;

/// The warnings of one document.
#[derive(Debug, Default)]
pub(crate) struct Warnings {
    kept: Vec<String>,
    dropped: usize,
}

impl Warnings {
    /// Records `message` unless it was already recorded.
    pub(crate) fn push(&mut self, message: impl Into<String>) {
        let message = message.into();
        if self.kept.contains(&message) {
            return;
        }
        if self.kept.len() < MAX_WARNINGS {
            self.kept.push(message);
        } else {
            self.dropped += 1;
        }
    }

    /// The recorded warnings, with a last line counting those left out.
    pub(crate) fn finish(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.kept
                .push(format!("{} further warnings left out", self.dropped));
        }
        self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_warnings_are_kept_once() {
        let mut warnings = Warnings::default();
        warnings.push("a");
        warnings.push("a");
        assert_eq!(warnings.finish(), vec!["a".to_owned()]);
    }

    #[test]
    fn warnings_beyond_the_cap_are_counted() {
        let mut warnings = Warnings::default();
        for i in 0..MAX_WARNINGS + 3 {
            warnings.push(format!("w{i}"));
        }
        let list = warnings.finish();
        assert_eq!(list.len(), MAX_WARNINGS + 1);
        assert_eq!(list.last().unwrap(), "3 further warnings left out");
    }
}
