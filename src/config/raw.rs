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

/// How the integer `i` is written in `written`, the text at its node's span, when that is a
/// decimal integer of that value: the token itself (`007`, `+1`, `-0`, `1_000`). A KDL
/// property's span starts at its key (`employee_id=007`), so its value is what follows the `=`.
/// `None` for any other writing (`0x1F`, a comment inside the span): then `i` in decimal is
/// all that is known. Lowering keeps a number where text is expected as written, and `fmt`
/// refuses to respell one, from this one rule.
pub fn written_integer(written: &str, i: i64) -> Option<&str> {
    let token = written
        .rsplit_once('=')
        .map_or(written, |(_, value)| value.trim());
    let digits = token.strip_prefix(['+', '-']).unwrap_or(token);
    let decimal = digits.starts_with(|c: char| c.is_ascii_digit())
        && digits.bytes().all(|b| b.is_ascii_digit() || b == b'_');
    let same = token
        .replace('_', "")
        .trim_start_matches('+')
        .parse::<i64>()
        == Ok(i);
    (decimal && same).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::written_integer;

    #[test]
    fn integers_as_written() {
        assert_eq!(written_integer("007", 7), Some("007"));
        assert_eq!(written_integer("-0", 0), Some("-0"));
        assert_eq!(written_integer("+1_000", 1000), Some("+1_000"));
        assert_eq!(written_integer("employee_id=0042", 42), Some("0042"));
        assert_eq!(written_integer("employee_id = 0042", 42), Some("0042"));
        assert_eq!(written_integer("0x1F", 31), None);
        assert_eq!(written_integer("8", 7), None);
        assert_eq!(written_integer("k=/* c */ 7", 7), None);
        assert_eq!(written_integer("", 0), None);
    }
}
