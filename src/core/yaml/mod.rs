//! YAML with positions: a spanned tree built from a pull parser's events, and the resolved
//! view of it (aliases and merge keys applied) that the later stages read.
//!
//! The tree keeps every node where it was written; nothing is expanded while parsing, so an
//! alias bomb costs one node per alias. Expansion happens only in [`resolve`], under a
//! budget that grows with the size of the input.

pub mod parse;
pub mod resolve;
pub mod tree;

pub use parse::{parse, Parsed, MAX_DEPTH};
pub use tree::{Document, Entry, Node, NodeId, NodeKind, Scalar, ScalarStyle, Tree};
