//! Integration tests of rolie-iodef: the corpus of real documents in `tests/corpus/iodef`,
//! fixtures we author, hostile inputs, and the JSON binding. Rule IDs in doc comments point
//! into `shared/spec/spec-iodef.md` and `shared/spec/spec-rolie.md`.

mod corpus;
mod fixtures;
mod hostile;
mod properties;
mod restriction;
mod support;
mod validation;
