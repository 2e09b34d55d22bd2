//! The config as written: a small spanned tree that both YAML and KDL lower into, so that
//! validation (`model::lower`) is written once and both formats mean exactly the same.

use crate::source::Span;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Entries in file order; duplicates are kept so that validation can point at both.
    Map(Vec<Entry>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

impl Value {
    /// What the user wrote, in words, for "expected X, found Y" messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "nothing",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "a number",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }
}

/// One parsed file: its root node (a mapping of sections when well-formed).
#[derive(Debug, Clone)]
pub struct RawFile {
    pub root: Node,
    /// The directory the file is in: relative paths in it (password files) resolve from here.
    pub dir: std::path::PathBuf,
}
