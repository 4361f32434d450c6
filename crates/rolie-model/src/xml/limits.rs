//! Bounds applied to every XML document we read (IODEF-SEC-4).
//!
//! The defaults leave wide headroom over real documents: the largest IODEF document we know
//! of has 5,981 elements at depth 15 (spec-iodef §6), Atom entries are far smaller.

/// Limits checked while reading XML, before a tree is built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Deepest element nesting allowed.
    pub max_depth: usize,
    /// Most nodes (elements, text runs, comments, processing instructions) in one document.
    pub max_nodes: usize,
    /// Most attributes, namespace declarations included, on one element. Also keeps the
    /// duplicate-attribute check of the tree builder, which is quadratic, cheap.
    pub max_attributes: usize,
    /// Longest attribute value, in bytes as written.
    pub max_attribute_len: usize,
    /// Longest run of character data in one element, in bytes as written.
    pub max_text_len: usize,
    /// Longest element or attribute name.
    pub max_name_len: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_depth: 64,
            max_nodes: 250_000,
            max_attributes: 64,
            max_attribute_len: 64 * 1024,
            max_text_len: 4 * 1024 * 1024,
            max_name_len: 1024,
        }
    }
}
