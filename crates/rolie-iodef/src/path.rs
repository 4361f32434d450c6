//! Element paths for error messages: `/IODEF-Document/Incident[2]/Contact[1]`.
//!
//! spec-iodef §7 asks every error to name the element; repeatable elements carry their
//! 1-based index among same-named siblings, elements that occur at most once do not. JSON
//! documents are reported with the same XML-like names, so one message format serves both.

use std::fmt;

/// A path from the document root to one element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Path {
    steps: Vec<(String, Option<usize>)>,
}

impl Path {
    /// `/IODEF-Document`.
    pub(crate) fn root() -> Self {
        Path {
            steps: vec![("IODEF-Document".to_owned(), None)],
        }
    }

    /// A root with another name, for documents whose root is not `IODEF-Document`.
    pub(crate) fn named_root(name: &str) -> Self {
        Path {
            steps: vec![(name.to_owned(), None)],
        }
    }

    /// The path of a child that occurs at most once.
    pub(crate) fn child(&self, name: &str) -> Self {
        let mut steps = self.steps.clone();
        steps.push((name.to_owned(), None));
        Path { steps }
    }

    /// The path of the `index`-th (1-based) child named `name`.
    pub(crate) fn indexed(&self, name: &str, index: usize) -> Self {
        let mut steps = self.steps.clone();
        steps.push((name.to_owned(), Some(index)));
        Path { steps }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, index) in &self.steps {
            match index {
                Some(i) => write!(f, "/{name}[{i}]")?,
                None => write!(f, "/{name}")?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_is_the_document_element() {
        assert_eq!(Path::root().to_string(), "/IODEF-Document");
    }

    #[test]
    fn repeatable_steps_carry_one_based_indexes_and_single_ones_do_not() {
        let path = Path::root()
            .indexed("Incident", 1)
            .indexed("Contact", 3)
            .child("Timezone");
        assert_eq!(
            path.to_string(),
            "/IODEF-Document/Incident[1]/Contact[3]/Timezone"
        );
    }

    #[test]
    fn deriving_a_child_leaves_the_parent_unchanged() {
        let parent = Path::root().indexed("Incident", 2);
        let _ = parent.child("GenerationTime");
        assert_eq!(parent.to_string(), "/IODEF-Document/Incident[2]");
    }
}
