//! Lockout and risk rules (see `catalog` for the list).

pub mod catalog;
pub mod finding;
pub mod fixture;

pub use finding::Finding;
