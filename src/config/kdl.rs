//! KDL -> raw tree. The mapping, chosen so the YAML model reads naturally in KDL:
//! - a document, or a node's children block, is a mapping of node name -> value;
//! - children named `-` make a list instead (`bindings { - ad_domain=corp { users alice } }`);
//! - a node's value: no arguments -> null; one argument -> that scalar; several -> a list;
//!   properties (`limits max_deletes=10`) and children merge into a mapping.
//!
//! Lists of one (`members alice`) arrive as a scalar; `model::lower` accepts a scalar wherever
//! a list of strings is expected, so both formats express the same model.
//!
//! The kdl crate parses by recursive descent: a few thousand nested `{` (or `/*`) overflow the
//! stack and abort the process. `nesting_error` scans the text first and refuses nesting deeper
//! than [`MAX_DEPTH`] with a located error, so the parser only ever sees shallow documents.
//!
//! Most documents never reach the crate's parser: [`fast::read`] reads the KDL configs are
//! written in straight into the raw tree, several times faster and without the crate's
//! full-fidelity document, and declines anything else (a syntax error, a rare construct), which
//! the crate then parses as before, so errors, spans and hints are the crate's.

mod fast;

#[cfg(test)]
mod differential;

use kdl::{KdlDocument, KdlNode, KdlValue};

use super::raw::{Entry, Node, Value};
use crate::diag::Diagnostic;
use crate::source::{FileId, SourceFile, Span};

/// Deepest nesting of `{ }` blocks (and of `/* */` comments) a KDL config may have. A config
/// needs three or four; the parser needs a few kilobytes of stack per level.
pub const MAX_DEPTH: usize = 64;

/// Stack for the thread that runs the kdl parser: enough for thousands of levels, so that even
/// if `nesting_error` and the parser's error recovery read a broken file differently the parser
/// cannot overflow it. Thread stacks are reserved, not committed: untouched pages cost nothing.
const PARSE_STACK_BYTES: usize = 64 * 1024 * 1024;

fn too_deep(file: FileId, at: usize) -> Diagnostic {
    Diagnostic::error(
        "too-deep",
        format!("the KDL nests blocks more than {MAX_DEPTH} levels deep"),
    )
    .with_label(
        Span::new(file, at, at + 1),
        format!("level {} starts here", MAX_DEPTH + 1),
    )
    .with_help("a jcform config needs a few levels; check for runaway braces")
}

pub fn parse(file: FileId, source: &SourceFile) -> Result<Node, Vec<Diagnostic>> {
    // The fast reader bounds its own nesting (it declines past `MAX_DEPTH` blocks or comment
    // levels) and reads no construct that hides a brace from `nesting_error`'s scan: a document
    // it reads is within the limit, so the scan is needed only before the crate's parser (at
    // 100,000 users it was 8% of a KDL config's load).
    if let Some(root) = fast::read(file, &source.text) {
        return Ok(root);
    }
    if let Some(at) = nesting_error(&source.text, MAX_DEPTH) {
        return Err(vec![too_deep(file, at)]);
    }
    // Parse, check the depth of what was parsed and convert, all on a thread with a large
    // stack: the parser and the walks over its tree recurse once per level, and the caller
    // may be a test thread with 2 MiB. The parsed document is dropped there too.
    let work = || parse_on_this_thread(file, source);
    std::thread::scope(|scope| {
        match std::thread::Builder::new()
            .name("kdl-parse".into())
            .stack_size(PARSE_STACK_BYTES)
            .spawn_scoped(scope, work)
        {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            // No thread to be had: the text scan above already bounds the nesting.
            Err(_) => work(),
        }
    })
}

fn parse_on_this_thread(file: FileId, source: &SourceFile) -> Result<Node, Vec<Diagnostic>> {
    let doc: KdlDocument = source.text.parse().map_err(|err: kdl::KdlError| {
        err.diagnostics
            .into_iter()
            .map(|d| {
                let span = error_span(file, &source.text, d.span);
                let message = d.message.unwrap_or_else(|| "unexpected input".to_string());
                Diagnostic::error("syntax", format!("KDL syntax error: {message}"))
                    .with_label(span, d.label.unwrap_or_else(|| "here".to_string()))
                    .with_help(d.help.unwrap_or_else(|| {
                        "check quoting and braces; strings with spaces or dots need quotes"
                            .to_string()
                    }))
            })
            .collect::<Vec<_>>()
    })?;
    if let Some(at) = too_deep_node(&doc, 1) {
        return Err(vec![too_deep(file, at)]);
    }
    let span = Span::new(file, 0, source.text.len());
    Ok(document(file, &doc, span))
}

/// Where the parsed document first goes deeper than `MAX_DEPTH` blocks (`level` is the depth of
/// `doc`'s nodes), if it does. A second line of defence behind `nesting_error`.
fn too_deep_node(doc: &KdlDocument, level: usize) -> Option<usize> {
    doc.nodes().iter().find_map(|node| {
        let children = node.children()?;
        if level >= MAX_DEPTH {
            return Some(children.span().offset());
        }
        too_deep_node(children, level + 1)
    })
}

/// The byte offset of the first `{` or `/*` that opens level `limit + 1`, skipping strings and
/// comments (KDL v2 lexing: `"…"` with escapes, `"""…"""`, raw `#"…"#` with any number of `#`,
/// `//` to the end of the line, nestable `/* */`; single-line strings end at a newline even when
/// unterminated, as the parser's error recovery reads them). `None` when the text stays within
/// `limit`.
pub fn nesting_error(text: &str, limit: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = 0;
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'{' => {
                depth += 1;
                if depth > limit {
                    return Some(i);
                }
                i += 1;
            }
            b'}' => {
                depth = depth.saturating_sub(1);
                i += 1;
            }
            b'/' if b.get(i + 1) == Some(&b'/') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                // Block comments nest; their levels count against the same limit.
                let mut comment = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        comment += 1;
                        if depth + comment > limit {
                            return Some(i);
                        }
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        comment -= 1;
                        i += 2;
                        if comment == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
            }
            b'"' => {
                let triple = b[i..].starts_with(b"\"\"\"");
                i += if triple { 3 } else { 1 };
                while i < b.len() {
                    if b[i] == b'\\' {
                        i += 2;
                    } else if b[i] == b'"' && (!triple || b[i..].starts_with(b"\"\"\"")) {
                        i += if triple { 3 } else { 1 };
                        break;
                    } else if b[i] == b'\n' && !triple {
                        // A single-line string cannot hold a newline: the parser stops the
                        // string here (an error) and reads on, so the scan must too.
                        break;
                    } else {
                        i += 1;
                    }
                }
            }
            b'#' => {
                let hashes = b[i..].iter().take_while(|&&c| c == b'#').count();
                let j = i + hashes;
                if b.get(j) != Some(&b'"') {
                    // A keyword such as `#true`.
                    i = j;
                    continue;
                }
                let triple = b[j..].starts_with(b"\"\"\"");
                let quote: &[u8] = if triple { b"\"\"\"" } else { b"\"" };
                i = j + quote.len();
                // A raw string has no escapes: it ends at the quote followed by as many `#`.
                while i < b.len() {
                    if b[i..].starts_with(quote)
                        && b[i + quote.len()..]
                            .iter()
                            .take_while(|&&c| c == b'#')
                            .count()
                            >= hashes
                    {
                        i += quote.len() + hashes;
                        break;
                    }
                    if b[i] == b'\n' && !triple {
                        break;
                    }
                    i += 1;
                }
            }
            _ => i += 1,
        }
    }
    None
}

/// Where a parse error is. The kdl crate reports some errors (a property without a value) with
/// no span, or a span starting at the top of the file and ending where the parser stopped: the
/// error is at that end, so point there rather than at line 1.
fn error_span(file: FileId, text: &str, span: miette::SourceSpan) -> Span {
    let start = span.offset().min(text.len());
    let end = (start + span.len()).min(text.len());
    if start == 0 && end > 0 {
        return Span::new(file, end, end);
    }
    Span::new(file, start, end)
}

/// A list item is a node named by a bare `-`; a quoted `"-"` is an ordinary key (a user or group
/// may be called that).
fn is_list_item(node: &KdlNode) -> bool {
    let name = node.name();
    name.value() == "-" && name.repr().is_none_or(|repr| repr == "-")
}

fn span_of(file: FileId, s: miette::SourceSpan) -> Span {
    Span::new(file, s.offset(), s.offset() + s.len())
}

fn document(file: FileId, doc: &KdlDocument, span: Span) -> Node {
    let nodes = doc.nodes();
    if !nodes.is_empty() && nodes.iter().all(is_list_item) {
        return Node {
            span,
            value: Value::Seq(nodes.iter().map(|n| node_value(file, n)).collect()),
        };
    }
    let entries = nodes
        .iter()
        .map(|n| Entry {
            key: n.name().value().to_string(),
            key_span: span_of(file, n.name().span()),
            value: node_value(file, n),
        })
        .collect();
    Node {
        span,
        value: Value::Map(entries),
    }
}

fn scalar(v: &KdlValue) -> Value {
    match v {
        KdlValue::String(s) => Value::Str(s.clone()),
        KdlValue::Integer(i) => i64::try_from(*i)
            .map(Value::Int)
            .unwrap_or(Value::Float(*i as f64)),
        KdlValue::Float(f) => Value::Float(*f),
        KdlValue::Bool(b) => Value::Bool(*b),
        KdlValue::Null => Value::Null,
    }
}

fn node_value(file: FileId, node: &KdlNode) -> Node {
    let span = span_of(file, node.span());
    let args: Vec<Node> = node
        .entries()
        .iter()
        .filter(|e| e.name().is_none())
        .map(|e| Node {
            span: span_of(file, e.span()),
            value: scalar(e.value()),
        })
        .collect();
    let props: Vec<Entry> = node
        .entries()
        .iter()
        .filter_map(|e| {
            let name = e.name()?;
            let value_span = span_of(file, e.span());
            Some(Entry {
                key: name.value().to_string(),
                key_span: span_of(file, name.span()),
                value: Node {
                    span: value_span,
                    value: scalar(e.value()),
                },
            })
        })
        .collect();
    let children = node
        .children()
        .map(|children| document(file, children, span_of(file, children.span())));
    combine(span, args, props, children)
}

/// A node's value from its parts (the mapping in the module doc), for both readers: `args`
/// (its arguments), `props` (its properties, in order) and `children` (its block, already
/// converted). Arguments with properties or a block are kept as an `_args` entry, which
/// validation reports as an unknown field.
fn combine(span: Span, args: Vec<Node>, mut props: Vec<Entry>, children: Option<Node>) -> Node {
    let args_entry = |args: Vec<Node>| Entry {
        key: "_args".into(),
        key_span: span,
        value: Node {
            span,
            value: Value::Seq(args),
        },
    };
    let map = |entries: Vec<Entry>| Node {
        span,
        value: Value::Map(entries),
    };
    match children.map(|child| child.value) {
        Some(Value::Map(entries)) if args.is_empty() => {
            props.extend(entries);
            map(props)
        }
        // `- { ... }` list items or a list of children: keep the list.
        Some(other) if args.is_empty() && props.is_empty() => Node { span, value: other },
        Some(other) => {
            props.push(args_entry(args));
            if let Value::Map(more) = other {
                props.extend(more);
            }
            map(props)
        }
        None if !props.is_empty() => {
            if !args.is_empty() {
                props.push(args_entry(args));
            }
            map(props)
        }
        None => match args.len() {
            0 => Node {
                span,
                value: Value::Null,
            },
            1 => args.into_iter().next().unwrap_or(Node {
                span,
                value: Value::Null,
            }),
            _ => Node {
                span,
                value: Value::Seq(args),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;
    use std::path::Path;

    #[test]
    fn only_a_bare_dash_makes_a_list() {
        let mut sources = Sources::default();
        let id = sources.add(
            Path::new("t.kdl"),
            "t.kdl".into(),
            "users {\n    \"-\" email=\"a@b.io\"\n}\n".into(),
        );
        let root = parse(id, sources.get(id)).expect("parses");
        let Value::Map(top) = &root.value else {
            panic!()
        };
        let Value::Map(users) = &top[0].value.value else {
            panic!("a mapping, not a list")
        };
        assert_eq!(users[0].key, "-");
    }

    #[test]
    fn maps_nodes_to_the_same_tree_shape() {
        let text = "users {\n    \"José\" email=\"j@x.io\" {\n        firstname José\n    }\n}\nbindings {\n    - ad_domain=corp {\n        users a b\n    }\n}\n";
        let mut sources = Sources::default();
        let id = sources.add(Path::new("t.kdl"), "t.kdl".into(), text.into());
        let root = parse(id, sources.get(id)).expect("parses");
        let Value::Map(top) = &root.value else {
            panic!()
        };
        assert_eq!(top[0].key, "users");
        let Value::Map(users) = &top[0].value.value else {
            panic!()
        };
        assert_eq!(users[0].key, "José");
        let Value::Map(fields) = &users[0].value.value else {
            panic!()
        };
        assert_eq!(
            fields.iter().map(|e| e.key.as_str()).collect::<Vec<_>>(),
            vec!["email", "firstname"]
        );
        let f = sources.get(id);
        assert_eq!(f.line_col(fields[1].value.span.start), (3, 19));
        let Value::Seq(items) = &top[1].value.value else {
            panic!("list")
        };
        let Value::Map(item) = &items[0].value else {
            panic!()
        };
        assert_eq!(item[0].key, "ad_domain");
        assert!(matches!(item[1].value.value, Value::Seq(ref v) if v.len() == 2));
    }

    fn parse_errs(text: &str) -> (Sources, Vec<Diagnostic>) {
        let mut sources = Sources::default();
        let id = sources.add(Path::new("t.kdl"), "t.kdl".into(), text.into());
        let errs = parse(id, sources.get(id)).expect_err("errors");
        (sources, errs)
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        let text = "a{".repeat(1281);
        let (sources, errs) = parse_errs(&text);
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].code, "too-deep");
        let at = errs[0].primary_span().expect("place").start;
        assert_eq!(sources.get(0).line_col(at), (1, 2 * MAX_DEPTH + 2));
        // Nested block comments count too.
        let (_, errs) = parse_errs(&format!("a 1\n{}", "/*".repeat(5000)));
        assert_eq!(errs[0].code, "too-deep");
        // Exactly at the limit the parser runs (and finds the missing braces).
        let (_, errs) = parse_errs(&"a{".repeat(MAX_DEPTH));
        assert!(errs.iter().all(|e| e.code == "syntax"));
    }

    #[test]
    fn the_nesting_scan_skips_strings_and_comments() {
        let braces = "{".repeat(100);
        for text in [
            format!("a \"{braces}\"\n"),
            format!("a \"\\\"{braces}\"\n"),
            format!("a #\"{braces}\"#\n"),
            format!("a ##\"\"#{braces}\"##\n"),
            format!("a \"\"\"\n{braces}\n\"\"\"\n"),
            format!("// {braces}\na 1\n"),
            format!("/* {braces} /* */ */\na 1\n"),
            "a #true { b 1; }\n".to_string(),
        ] {
            assert_eq!(nesting_error(&text, MAX_DEPTH), None, "{text}");
        }
        assert_eq!(nesting_error("a { b { c 1 } }", 1), Some(6));
        // An unterminated single-line string ends at the newline, as the parser reads it.
        let text = format!("a \"x\n{}", "a{".repeat(MAX_DEPTH + 1));
        assert!(nesting_error(&text, MAX_DEPTH).is_some());
        let text = format!("a #\"x\n{}", "a{".repeat(MAX_DEPTH + 1));
        assert!(nesting_error(&text, MAX_DEPTH).is_some());
    }

    #[test]
    fn a_syntax_error_is_reported_where_it_is() {
        let text =
            "version 1\nusers {\n    bert {\n        email \"b@x.io\" firstname=\n    }\n}\n";
        let (sources, errs) = parse_errs(text);
        let at = errs[0].primary_span().expect("place");
        let (line, _) = sources.get(0).line_col(at.start);
        assert_eq!(line, 4, "{errs:?}");
    }
}
