//! A [`Document`] as KDL (v2), in the mapping `config::kdl` reads: a mapping is a node's
//! children, a scalar is one argument, a short name list is several arguments, a long one is
//! `-` children, and a list of mappings (`bindings`) is `-` nodes whose scalar fields are
//! properties and whose lists are children.
//!
//! Names are written bare only when they are plain identifiers (a letter or `_` first, then
//! letters, digits and `._-@+`, not a keyword); everything else is a quoted string with escapes.

use std::fmt::Write;

use super::{must_escape, one_line, Document, Entry, Map, Value};

/// Argument lists longer than this become `-` children, one name a line.
const LINE_WIDTH: usize = 100;

const INDENT: usize = 4;

/// The file text: the top comments, then the root mapping as nodes.
pub fn render(doc: &Document) -> String {
    let mut out = String::new();
    for line in &doc.comments {
        comment(&mut out, 0, line);
    }
    map(&mut out, &doc.root, 0);
    out
}

/// One comment line at `indent` (`// text`, or `//` for an empty line).
pub fn comment(out: &mut String, indent: usize, line: &str) {
    let line = one_line(line);
    if line.is_empty() {
        let _ = writeln!(out, "{:indent$}//", "");
    } else {
        let _ = writeln!(out, "{:indent$}// {line}", "");
    }
}

fn end_line(out: &mut String, note: &Option<String>) {
    if let Some(note) = note {
        let _ = write!(out, " // {}", one_line(note));
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
        node(out, entry, indent);
    }
}

fn node(out: &mut String, entry: &Entry, indent: usize) {
    out.push_str(&string(&entry.key));
    match &entry.value {
        v if v.is_scalar() => {
            let _ = write!(out, " {}", scalar(v));
            end_line(out, &entry.note);
        }
        Value::Names(names) => {
            let args: Vec<String> = names.iter().map(|n| string(n)).collect();
            let width = indent + entry.key.len() + args.iter().map(|a| a.len() + 1).sum::<usize>();
            if width <= LINE_WIDTH {
                for arg in &args {
                    let _ = write!(out, " {arg}");
                }
                end_line(out, &entry.note);
            } else {
                out.push_str(" {");
                end_line(out, &entry.note);
                for arg in &args {
                    let _ = writeln!(out, "{:w$}- {arg}", "", w = indent + INDENT);
                }
                let _ = writeln!(out, "{:indent$}}}", "");
            }
        }
        // No value: the reader takes it as an empty mapping (or list).
        Value::Map(m) if m.is_empty() => end_line(out, &entry.note),
        Value::Map(m) => {
            out.push_str(" {");
            end_line(out, &entry.note);
            map(out, m, indent + INDENT);
            let _ = writeln!(out, "{:indent$}}}", "");
        }
        Value::Inline(m) => {
            for p in &m.0 {
                let _ = write!(out, " {}={}", string(&p.key), scalar(&p.value));
            }
            end_line(out, &entry.note);
        }
        Value::Items(items) if items.is_empty() => end_line(out, &entry.note),
        Value::Items(items) => {
            out.push_str(" {");
            end_line(out, &entry.note);
            for (n, item) in items.iter().enumerate() {
                if n > 0 && item.0.first().is_some_and(|e| e.gap) {
                    out.push('\n');
                }
                item_node(out, item, indent + INDENT);
            }
            let _ = writeln!(out, "{:indent$}}}", "");
        }
        _ => end_line(out, &entry.note),
    }
}

/// `- key=value ... { lists }`: the leading scalar fields as properties, the rest as children.
fn item_node(out: &mut String, item: &Map, indent: usize) {
    // The first entry's comments are the item's: they go above the `-`.
    let mut entries = item.0.clone();
    let above = entries
        .first_mut()
        .map(|e| std::mem::take(&mut e.comments))
        .unwrap_or_default();
    for line in &above {
        comment(out, indent, line);
    }
    let mut split = entries
        .iter()
        .position(|e| !e.value.is_scalar() || !e.comments.is_empty() || e.note.is_some())
        .unwrap_or(entries.len());
    // A note on a scalar field ends the `-` line: that field is the last property.
    let mut note = None;
    if let Some(e) = entries.get(split) {
        if e.value.is_scalar() && e.comments.is_empty() && e.note.is_some() {
            note = e.note.clone();
            split += 1;
        }
    }
    let (props, children) = entries.split_at(split);
    let _ = write!(out, "{:indent$}-", "");
    for p in props {
        let _ = write!(out, " {}={}", string(&p.key), scalar(&p.value));
    }
    if children.is_empty() {
        end_line(out, &note);
        return;
    }
    out.push_str(" {");
    end_line(out, &note);
    map(out, &Map(children.to_vec()), indent + INDENT);
    let _ = writeln!(out, "{:indent$}}}", "");
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Str(s) => string(s),
        Value::Bool(true) => "#true".into(),
        Value::Bool(false) => "#false".into(),
        Value::Int(i) => i.to_string(),
        Value::Null => "#null".into(),
        _ => String::new(),
    }
}

/// Bare words that are not identifiers in KDL v2 (they were keywords in v1).
const KEYWORDS: &[&str] = &["true", "false", "null", "inf", "nan"];

fn bare_ok(s: &str) -> bool {
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_alphabetic() || first == '_')
        && s.chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | '@' | '+'))
        && !KEYWORDS.contains(&s)
}

/// A string as a KDL identifier or quoted string that reads back as exactly this string.
pub fn string(s: &str) -> String {
    if bare_ok(s) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            // KDL v2 forbids these literally, and also ends lines at VT, NEL, LS, PS.
            c if must_escape(c) || c == '\u{b}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
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
    fn bare_only_for_plain_identifiers() {
        for s in [
            "alice",
            "José",
            "Олександр",
            "jose.muller",
            "E-1042",
            "a@b.c",
        ] {
            assert_eq!(string(s), s);
        }
        for s in [
            "1042", "true", "a b", "", "-x", ".x", "a=b", "a{", "#x", "a/b", "x\"y",
        ] {
            assert!(string(s).starts_with('"'), "{s}");
        }
        assert_eq!(string("a\u{2028}b"), "\"a\\u{2028}b\"");
    }
}
