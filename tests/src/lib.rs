//! End-to-end tests of the `rolie` binary live in `e2e/`; this library is empty.
