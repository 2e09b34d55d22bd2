//! Lockout and risk rules (see `catalog` for the list).

pub mod catalog;
pub mod finding;

pub use finding::Finding;
