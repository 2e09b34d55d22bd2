//! A [`Document`] as YAML: block mappings, two-space indents, short name lists in flow style.
//!
//! Scalars are written plain only when every YAML reader gets the same string back: they start
//! with a letter or `_`, hold only letters, digits, spaces and `._-@/+'()`, and are not a word
//! some reader turns into another type (`true`, `null`, `yes`, `off`...). Everything else is
//! double-quoted with escapes, which round-trips any string.

use std::fmt::Write;

use super::{must_escape, one_line, Document, Entry, Map, Value};

/// Flow lists longer than this go in block style, one name a line.
const FLOW_WIDTH: usize = 100;

/// The file text. `schema` is the modeline's `$schema` value (a path or URL).
pub fn render(doc: &Document, schema: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# yaml-language-server: $schema={schema}");
    out.push_str(&render_document(doc));
    out
}

/// The file text without a modeline: the top comments, then the root mapping (`jcform fmt`).
pub fn render_document(doc: &Document) -> String {
    let mut out = String::new();
    for line in &doc.comments {
        comment(&mut out, 0, line);
    }
    map(&mut out, &doc.root, 0);
    out
}

/// One comment line at `indent` (`# text`, or `#` for an empty line).
pub fn comment(out: &mut String, indent: usize, line: &str) {
    let line = one_line(line);
    if line.is_empty() {
        let _ = writeln!(out, "{:indent$}#", "");
    } else {
        let _ = writeln!(out, "{:indent$}# {line}", "");
    }
}

fn end_line(out: &mut String, note: &Option<String>) {
    if let Some(note) = note {
        let _ = write!(out, "  # {}", one_line(note));
    }
    out.push('\n');
}

fn map(out: &mut String, map: &Map, indent: usize) {
    for (i, entry) in map.0.iter().enumerate() {
        if entry.gap && i > 0 {
            out.push('\n');
        }
        for line in &entry.comments {
            comment(out, indent, line);
        }
        let _ = write!(out, "{:indent$}", "");
        entry_body(out, entry, indent);
    }
}

/// `key: value...` from the current position (the indent is already written).
fn entry_body(out: &mut String, entry: &Entry, indent: usize) {
    let _ = write!(out, "{}:", scalar(&entry.key));
    match &entry.value {
        Value::Str(s) => {
            let _ = write!(out, " {}", scalar(s));
            end_line(out, &entry.note);
        }
        Value::Bool(b) => {
            let _ = write!(out, " {b}");
            end_line(out, &entry.note);
        }
        Value::Null => {
            out.push_str(" null");
            end_line(out, &entry.note);
        }
        Value::Inline(m) => {
            let fields: Vec<String> = m.0.iter().map(inline_field).collect();
            let _ = write!(out, " {{{}}}", fields.join(", "));
            end_line(out, &entry.note);
        }
        Value::Int(i) => {
            let _ = write!(out, " {i}");
            end_line(out, &entry.note);
        }
        Value::Names(names) => {
            let items: Vec<String> = names.iter().map(|n| scalar(n)).collect();
            let flow = format!("[{}]", items.join(", "));
            if indent + entry.key.len() + 2 + flow.len() <= FLOW_WIDTH {
                let _ = write!(out, " {flow}");
                end_line(out, &entry.note);
            } else {
                end_line(out, &entry.note);
                for item in items {
                    let _ = writeln!(out, "{:w$}- {item}", "", w = indent + 2);
                }
            }
        }
        Value::Map(m) if m.is_empty() => {
            out.push_str(" {}");
            end_line(out, &entry.note);
        }
        Value::Map(m) => {
            end_line(out, &entry.note);
            map(out, m, indent + 2);
        }
        Value::Items(items) if items.is_empty() => {
            out.push_str(" []");
            end_line(out, &entry.note);
        }
        Value::Items(items) => {
            end_line(out, &entry.note);
            for (n, item) in items.iter().enumerate() {
                if n > 0 && item.0.first().is_some_and(|e| e.gap) {
                    out.push('\n');
                }
                item_map(out, item, indent + 2);
            }
        }
    }
}

/// One `- key: value` list item; its later entries line up under the first.
fn item_map(out: &mut String, item: &Map, indent: usize) {
    let inner = indent + 2;
    let mut first = true;
    for entry in &item.0 {
        for line in &entry.comments {
            comment(out, if first { indent } else { inner }, line);
        }
        if first {
            let _ = write!(out, "{:indent$}- ", "");
            first = false;
        } else {
            let _ = write!(out, "{:inner$}", "");
        }
        entry_body(out, entry, inner);
    }
    if first {
        let _ = writeln!(out, "{:indent$}- {{}}", "");
    }
}

/// `key: value` of a flow mapping (its values are scalars).
fn inline_field(entry: &Entry) -> String {
    let value = match &entry.value {
        Value::Str(s) => scalar(s),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        _ => "null".to_string(),
    };
    format!("{}: {value}", scalar(&entry.key))
}

/// A string as a YAML scalar that reads back as exactly this string.
pub fn scalar(s: &str) -> String {
    if plain_ok(s) {
        s.to_string()
    } else {
        quoted(s)
    }
}

/// Words YAML 1.1 readers (and some 1.2 ones) turn into booleans or null.
const RESERVED: &[&str] = &[
    "y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf",
];

fn plain_ok(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_')
        && !s.ends_with(' ')
        && s.chars().all(|c| {
            c.is_alphanumeric()
                || matches!(
                    c,
                    ' ' | '.' | '_' | '-' | '@' | '/' | '+' | '\'' | '(' | ')'
                )
        })
        && !RESERVED.contains(&s.to_ascii_lowercase().as_str())
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if must_escape(c) => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_would_change_type_or_break() {
        for s in [
            "E-1042",
            "José Müller",
            "Олександр",
            "alice@example.com",
            "O'Brien",
        ] {
            assert_eq!(scalar(s), s, "{s}");
        }
        for s in [
            "1042", "true", "No", "null", "", " x", "x ", "a: b", "#x", "-x", "[x]", "a,b", "1e5",
            ".5", "~", "*x", "&x", "!x", "%x", "@x", "`x", "a #b",
        ] {
            assert!(scalar(s).starts_with('"'), "{s} -> {}", scalar(s));
        }
        assert_eq!(scalar("a\"b\\c\nd\u{202e}"), "\"a\\\"b\\\\c\\nd\\u202e\"");
    }
}
