//! YAML -> raw tree, from saphyr-parser's event stream. We build the tree ourselves instead of
//! using a DOM loader so that duplicate keys are kept (and reported with both places) and every
//! node carries its span. Plain scalars are resolved with the YAML 1.2 core schema.
//!
//! Beyond plain YAML 1.2 the reader:
//! - skips one leading byte order mark (U+FEFF), which YAML allows at the start of a stream;
//! - supports YAML 1.1 merge keys (`<<: *defaults`, `<<: [*a, *b]`): the merged mapping's
//!   entries are added where the mapping does not name the key itself (explicit keys win, and of
//!   several merged mappings the first wins). Merged entries keep their spans, so a diagnostic
//!   about a merged value points at the anchor's source;
//! - bounds what a small file can make it build: nesting deeper than [`MAX_DEPTH`] and alias
//!   expansion beyond [`MAX_ALIAS_NODES`] nodes or [`MAX_ALIAS_BYTES`] bytes of text (a "billion
//!   laughs" file) are errors at the place they happen, before any memory is spent on them.

#[cfg(test)]
mod differential;
mod fast;

use std::collections::{HashMap, HashSet};

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YamlSpan};

use super::raw::{Entry, Node, Value};
use crate::diag::Diagnostic;
use crate::source::{FileId, SourceFile, Span};

/// Deepest nesting of mappings and sequences a config may have (aliases included). A config
/// needs about six levels; the bound keeps every recursive walk of the tree (validation, drop)
/// far from the stack limit.
pub const MAX_DEPTH: usize = 64;

/// Most nodes that alias expansion (`*name`, including merge keys) may add to one file's tree.
/// Enough for ten thousand users sharing twenty merged fields each; a 400-byte "billion laughs"
/// file would otherwise expand to hundreds of millions of nodes.
pub const MAX_ALIAS_NODES: usize = 250_000;

/// Most bytes of text (keys and scalars) that alias expansion may add to one file's tree.
pub const MAX_ALIAS_BYTES: usize = 16 * 1024 * 1024;

/// The UTF-8 byte order mark, as text.
const BOM: char = '\u{feff}';

/// The raw tree of one YAML file: the first document's root (null for an empty file), or the
/// first syntax or limit error with its place.
pub fn parse(file: FileId, source: &SourceFile) -> Result<Node, Diagnostic> {
    if let Some(root) = fast::read(file, &source.text) {
        return Ok(root);
    }
    parse_with_saphyr(file, source)
}

/// [`parse`] by saphyr's event stream and the Builder: every YAML document, and every error.
/// Public for the `yaml_parse` bench, which compares the two readers.
pub fn parse_with_saphyr(file: FileId, source: &SourceFile) -> Result<Node, Diagnostic> {
    // A leading BOM is skipped: the parser sees the text after it, and every offset it reports
    // is shifted back by the BOM's three bytes.
    let base = if source.text.starts_with(BOM) {
        BOM.len_utf8()
    } else {
        0
    };
    let text = &source.text[base..];
    // The parser reports character indices; a table turns them into byte offsets in O(1)
    // (ASCII text needs none: there the two are the same).
    let offsets: Vec<usize> = if text.is_ascii() {
        Vec::new()
    } else {
        text.char_indices()
            .map(|(b, _)| b)
            .chain([text.len()])
            .collect()
    };
    let mut builder = Builder {
        file,
        source: &source.text,
        base,
        len: text.len(),
        offsets,
        stack: Vec::new(),
        anchors: HashMap::new(),
        alias_nodes: 0,
        alias_bytes: 0,
        root: None,
    };
    for event in Parser::new_from_str(text) {
        let (event, span) = event.map_err(|e| {
            let at = builder.byte(e.marker().index());
            Diagnostic::error("syntax", format!("YAML syntax error: {}", e.info()))
                .with_label(Span::new(file, at, at), "here")
                .with_help(
                    "check indentation, quoting and that every `key:` is followed by a space",
                )
        })?;
        builder.event(event, span)?;
        if builder.root.is_some() {
            break;
        }
    }
    Ok(builder.root.unwrap_or(Node {
        span: Span::new(file, 0, 0),
        value: Value::Null,
    }))
}

/// The key waiting for its value in a mapping being built.
enum Key {
    Plain(String, Span),
    /// A plain `<<`: the value is merged into the mapping.
    Merge(Span),
}

enum Frame {
    Seq {
        start: usize,
        items: Vec<Node>,
        anchor: usize,
    },
    Map {
        start: usize,
        entries: Vec<Entry>,
        pending_key: Option<Key>,
        /// Mappings named by `<<`, in the order they take precedence.
        merges: Vec<Node>,
        /// Where `<<` was written, to refuse a second one.
        merge_at: Option<Span>,
        anchor: usize,
    },
}

/// An anchored node and what copying it costs.
struct Anchor {
    node: Node,
    /// Nodes in the subtree, itself included.
    nodes: usize,
    /// Bytes of keys and string scalars in the subtree.
    bytes: usize,
    /// Levels of mappings and sequences in the subtree (0 for a scalar).
    depth: usize,
}

struct Builder<'a> {
    file: FileId,
    /// The whole file (the BOM included): spans index it.
    source: &'a str,
    /// Bytes skipped at the start of the file (a BOM).
    base: usize,
    /// Length of the parsed text.
    len: usize,
    /// Byte offset of each character, for non-ASCII text.
    offsets: Vec<usize>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Anchor>,
    /// Nodes and bytes added by alias expansion so far.
    alias_nodes: usize,
    alias_bytes: usize,
    root: Option<Node>,
}

/// Size, text bytes and depth of a subtree. Recursion is bounded by `MAX_DEPTH`: no tree deeper
/// than that is ever built.
fn measure(node: &Node) -> (usize, usize, usize) {
    match &node.value {
        Value::Str(s) => (1, s.len(), 0),
        Value::Seq(items) => items.iter().fold((1, 0, 1), |(n, b, d), item| {
            let (n2, b2, d2) = measure(item);
            (n + n2, b + b2, d.max(d2 + 1))
        }),
        Value::Map(entries) => entries.iter().fold((1, 0, 1), |(n, b, d), e| {
            let (n2, b2, d2) = measure(&e.value);
            (n + n2, b + b2 + e.key.len(), d.max(d2 + 1))
        }),
        _ => (1, 0, 0),
    }
}

impl Builder<'_> {
    fn byte(&self, char_index: usize) -> usize {
        let within = if self.offsets.is_empty() {
            char_index.min(self.len)
        } else {
            self.offsets.get(char_index).copied().unwrap_or(self.len)
        };
        within + self.base
    }

    fn span(&self, span: &YamlSpan) -> Span {
        Span::new(
            self.file,
            self.byte(span.start.index()),
            self.byte(span.end.index()),
        )
    }

    fn too_deep(&self, at: Span) -> Diagnostic {
        Diagnostic::error(
            "too-deep",
            format!("the YAML nests mappings and lists more than {MAX_DEPTH} levels deep"),
        )
        .with_label(at, format!("level {} starts here", MAX_DEPTH + 1))
        .with_help("a jcform config needs a few levels; check for runaway brackets or indentation")
    }

    fn remember(&mut self, anchor: usize, node: &Node) {
        if anchor > 0 {
            let (nodes, bytes, depth) = measure(node);
            self.anchors.insert(
                anchor,
                Anchor {
                    node: node.clone(),
                    nodes,
                    bytes,
                    depth,
                },
            );
        }
    }

    fn event(&mut self, event: Event<'_>, span: YamlSpan) -> Result<(), Diagnostic> {
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let s = self.span(&span);
                let s = Span::new(
                    self.file,
                    s.start,
                    scalar_end(self.source, s.start, s.end, style),
                );
                let merge = style == ScalarStyle::Plain && text == "<<";
                let value = if style == ScalarStyle::Plain {
                    resolve_plain(&text)
                } else {
                    Value::Str(text.into_owned())
                };
                let node = Node { span: s, value };
                self.remember(anchor, &node);
                self.push(node, merge)
            }
            Event::SequenceStart(anchor, _) | Event::MappingStart(anchor, _) => {
                let s = self.span(&span);
                if self.stack.len() >= MAX_DEPTH {
                    return Err(self.too_deep(s));
                }
                self.stack
                    .push(if matches!(event, Event::SequenceStart(..)) {
                        Frame::Seq {
                            start: s.start,
                            items: Vec::new(),
                            anchor,
                        }
                    } else {
                        Frame::Map {
                            start: s.start,
                            entries: Vec::new(),
                            pending_key: None,
                            merges: Vec::new(),
                            merge_at: None,
                            anchor,
                        }
                    });
                Ok(())
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let end = self
                    .byte(span.end.index())
                    .max(self.byte(span.start.index()));
                let (node, anchor) = match self.stack.pop() {
                    Some(Frame::Seq {
                        start,
                        items,
                        anchor,
                    }) => {
                        let end = items.last().map_or(end, |n| n.span.end.max(start));
                        (
                            Node {
                                span: Span::new(self.file, start, end),
                                value: Value::Seq(items),
                            },
                            anchor,
                        )
                    }
                    Some(Frame::Map {
                        start,
                        entries,
                        merges,
                        anchor,
                        ..
                    }) => {
                        // The span covers what is written here: merged entries sit elsewhere.
                        let end = entries.last().map_or(end, |e| e.value.span.end.max(start));
                        (
                            Node {
                                span: Span::new(self.file, start, end),
                                value: Value::Map(merge(entries, merges)),
                            },
                            anchor,
                        )
                    }
                    None => return Ok(()),
                };
                self.remember(anchor, &node);
                self.push(node, false)
            }
            Event::Alias(id) => {
                let s = self.span(&span);
                let Some(anchor) = self.anchors.get(&id) else {
                    return Err(
                        Diagnostic::error("syntax", "YAML alias to an unknown anchor")
                            .with_label(s, "no anchor of this name before here")
                            .with_help("define `&name` before using `*name`"),
                    );
                };
                if self.stack.len() + anchor.depth > MAX_DEPTH {
                    return Err(self.too_deep(s));
                }
                self.alias_nodes += anchor.nodes;
                self.alias_bytes += anchor.bytes;
                if self.alias_nodes > MAX_ALIAS_NODES || self.alias_bytes > MAX_ALIAS_BYTES {
                    return Err(Diagnostic::error(
                        "alias-expansion",
                        format!(
                            "YAML aliases in this file expand to more than {MAX_ALIAS_NODES} \
                             values or {} MiB of text",
                            MAX_ALIAS_BYTES / (1024 * 1024)
                        ),
                    )
                    .with_label(s, "the limit is passed at this alias")
                    .with_help(
                        "aliases copy their anchor each time they are used; write the values out \
                         or anchor smaller pieces",
                    ));
                }
                let mut node = anchor.node.clone();
                node.span = s;
                self.push(node, false)
            }
            Event::DocumentEnd => {
                if self.root.is_none() {
                    self.root = Some(Node {
                        span: Span::new(self.file, self.base, self.base),
                        value: Value::Null,
                    });
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// Adds a finished node to the collection being built. `merge_key`: the node is a plain
    /// `<<`, which is a merge key when it stands in key position.
    fn push(&mut self, node: Node, merge_key: bool) -> Result<(), Diagnostic> {
        match self.stack.last_mut() {
            None => {
                self.root = Some(node);
                Ok(())
            }
            Some(Frame::Seq { items, .. }) => {
                items.push(node);
                Ok(())
            }
            Some(Frame::Map {
                entries,
                pending_key,
                merges,
                merge_at,
                ..
            }) => {
                match pending_key.take() {
                    None if merge_key => {
                        if let Some(first) = merge_at {
                            return Err(Diagnostic::error(
                                "duplicate-key",
                                "the merge key `<<` appears twice in one mapping",
                            )
                            .with_label(node.span, "second `<<`")
                            .with_label(*first, "first `<<`")
                            .with_help("merge several mappings with one key: `<<: [*a, *b]`"));
                        }
                        *merge_at = Some(node.span);
                        *pending_key = Some(Key::Merge(node.span));
                    }
                    None => {
                        let span = node.span;
                        let Some(key) = key_text(node.value) else {
                            return Err(Diagnostic::error(
                                "syntax",
                                "a mapping key must be a plain value",
                            )
                            .with_label(span, "complex key")
                            .with_help("use a string as the key"));
                        };
                        *pending_key = Some(Key::Plain(key, span));
                    }
                    Some(Key::Plain(key, key_span)) => entries.push(Entry {
                        key,
                        key_span,
                        value: node,
                    }),
                    Some(Key::Merge(at)) => {
                        let not_a_mapping = |n: &Node| {
                            Diagnostic::error(
                                "invalid-merge",
                                format!(
                                    "the merge key `<<` needs a mapping or a list of mappings, \
                                     found {}",
                                    n.value.kind()
                                ),
                            )
                            .with_label(n.span, "not a mapping")
                            .with_label(at, "merge key")
                            .with_help(
                                "write `<<: *defaults` where `&defaults` anchors a mapping, or \
                                 `<<: [*a, *b]`",
                            )
                        };
                        match node.value {
                            Value::Map(_) => merges.push(node),
                            Value::Seq(items) => {
                                if let Some(bad) =
                                    items.iter().find(|n| !matches!(n.value, Value::Map(_)))
                                {
                                    return Err(not_a_mapping(bad));
                                }
                                merges.extend(items);
                            }
                            _ => return Err(not_a_mapping(&node)),
                        }
                    }
                }
                Ok(())
            }
        }
    }
}

/// Where a scalar written at `start` really ends. The parser's span of a scalar runs on to the
/// next token, over spaces and a trailing `# comment`; a label should underline the value only:
/// a quoted scalar ends at its closing quote, a plain one before the spaces and comment after it.
/// Block scalars (`|`, `>`) keep the parser's span.
fn scalar_end(text: &str, start: usize, end: usize, style: ScalarStyle) -> usize {
    let Some(written) = text.get(start..end.min(text.len())) else {
        return end;
    };
    let b = written.as_bytes();
    match style {
        ScalarStyle::DoubleQuoted if b.first() == Some(&b'"') => {
            let mut i = 1;
            while i < b.len() {
                match b[i] {
                    b'\\' => i += 2,
                    b'"' => return start + i + 1,
                    _ => i += 1,
                }
            }
            end
        }
        ScalarStyle::SingleQuoted if b.first() == Some(&b'\'') => {
            let mut i = 1;
            while i < b.len() {
                if b[i] == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 2;
                        continue;
                    }
                    return start + i + 1;
                }
                i += 1;
            }
            end
        }
        ScalarStyle::Plain => {
            // A comment starts at a `#` after white space; a plain scalar cannot contain one.
            let cut = b
                .windows(2)
                .position(|w| matches!(w[0], b' ' | b'\t') && w[1] == b'#')
                .unwrap_or(b.len());
            // Only YAML's white space (spaces, tabs) and line breaks end a plain scalar: a
            // trailing no-break or other Unicode space is part of the value, so of its span
            // (as the fast reader has it).
            let trimmed = written[..cut].trim_end_matches(|c: char| c.is_ascii_whitespace());
            start + trimmed.len()
        }
        _ => end,
    }
}

/// YAML 1.1 merge: the mapping's own entries (duplicates kept, for validation to report), then
/// each merged mapping's entries whose key is not already there. The first mapping named wins.
fn merge(mut entries: Vec<Entry>, merges: Vec<Node>) -> Vec<Entry> {
    if merges.is_empty() {
        return entries;
    }
    let mut seen: HashSet<String> = entries.iter().map(|e| e.key.clone()).collect();
    for source in merges {
        if let Value::Map(more) = source.value {
            for entry in more {
                if seen.insert(entry.key.clone()) {
                    entries.push(entry);
                }
            }
        }
    }
    entries
}

/// A scalar key's text: what it resolved to, written back (`007` -> `7`, `~` -> empty).
/// `None` for a mapping or sequence, which cannot be a key.
fn key_text(value: Value) -> Option<String> {
    Some(match value {
        Value::Str(s) => s,
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Null => String::new(),
        Value::Seq(_) | Value::Map(_) => return None,
    })
}

/// The YAML 1.2 core schema for plain scalars.
fn resolve_plain(text: &str) -> Value {
    // Most scalars are names and addresses: a first character that starts no number (sign,
    // digit, `.`), null (`~`, `null`) or boolean settles it without trying to parse one.
    match text.as_bytes().first() {
        None
        | Some(b'0'..=b'9' | b'+' | b'-' | b'.' | b'~' | b'n' | b'N' | b't' | b'T' | b'f' | b'F') => {
            resolve_plain_fully(text)
        }
        Some(_) => Value::Str(text.to_string()),
    }
}

/// [`resolve_plain`] without the shortcut (its proptest checks the two agree).
fn resolve_plain_fully(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => Value::Null,
        "true" | "True" | "TRUE" => Value::Bool(true),
        "false" | "False" | "FALSE" => Value::Bool(false),
        _ => {
            if let Ok(i) = text.parse::<i64>() {
                Value::Int(i)
            } else if looks_like_float(text) {
                text.parse::<f64>()
                    .map(Value::Float)
                    .unwrap_or_else(|_| Value::Str(text.to_string()))
            } else {
                Value::Str(text.to_string())
            }
        }
    }
}

fn looks_like_float(text: &str) -> bool {
    let t = text.trim_start_matches(['-', '+']);
    !t.is_empty()
        && t.chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
        && t.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '-' | '+'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Sources;
    use proptest::strategy::Strategy;
    use std::path::Path;

    fn parse_str(text: &str) -> (Sources, Node) {
        let mut sources = Sources::default();
        let id = sources.add(Path::new("t.yaml"), "t.yaml".into(), text.into());
        let node = parse(id, sources.get(id)).expect("parses");
        (sources, node)
    }

    #[test]
    fn keeps_duplicates_and_spans() {
        let (sources, node) =
            parse_str("users:\n  José:\n    email: a@b.c\n  José:\n    email: x\n");
        let Value::Map(top) = &node.value else {
            panic!("map")
        };
        let Value::Map(users) = &top[0].value.value else {
            panic!("users map")
        };
        assert_eq!(users.len(), 2);
        let f = sources.get(0);
        assert_eq!(f.line_col(users[1].key_span.start), (4, 3));
        let Value::Map(second) = &users[1].value.value else {
            panic!("map")
        };
        assert_eq!(f.line_col(second[0].value.span.start), (5, 12));
        assert_eq!(
            &f.text[second[0].value.span.start..second[0].value.span.end],
            "x"
        );
    }

    proptest::proptest! {
        #[test]
        fn the_plain_scalar_shortcut_changes_nothing(
            text in proptest::prop_oneof![
                "[-+.~0-9a-zA-Z_ ]{0,6}",
                proptest::sample::select(&[
                    "null", "Null", "NULL", "true", "True", "TRUE", "false", "False", "FALSE",
                    "nan", ".inf", "-.5", "+1", "1e3", "0x1F", "1_000", "~", "",
                ][..]).prop_map(str::to_string),
                proptest::prelude::any::<String>(),
            ]
        ) {
            proptest::prop_assert_eq!(resolve_plain(&text), resolve_plain_fully(&text));
        }
    }

    #[test]
    fn resolves_plain_scalars_only() {
        let (_, node) = parse_str("a: true\nb: 'true'\nc: 10\nd: ~\ne: text\n");
        let Value::Map(m) = node.value else { panic!() };
        let values: Vec<_> = m.into_iter().map(|e| e.value.value).collect();
        assert_eq!(
            values,
            vec![
                Value::Bool(true),
                Value::Str("true".into()),
                Value::Int(10),
                Value::Null,
                Value::Str("text".into())
            ]
        );
    }

    #[test]
    fn syntax_errors_have_a_place() {
        let mut sources = Sources::default();
        let id = sources.add(
            Path::new("t.yaml"),
            "t.yaml".into(),
            "users:\n  alice: [a, b\n".into(),
        );
        let err = parse(id, sources.get(id)).unwrap_err();
        assert_eq!(err.code, "syntax");
        assert!(err.primary_span().is_some());
    }

    fn parse_err(text: &str) -> Diagnostic {
        let mut sources = Sources::default();
        let id = sources.add(Path::new("t.yaml"), "t.yaml".into(), text.into());
        parse(id, sources.get(id)).expect_err("an error")
    }

    fn map(node: &Node) -> &[Entry] {
        match &node.value {
            Value::Map(entries) => entries,
            other => panic!("a mapping, found {other:?}"),
        }
    }

    fn get<'n>(node: &'n Node, key: &str) -> &'n Node {
        &map(node)
            .iter()
            .find(|e| e.key == key)
            .unwrap_or_else(|| panic!("no {key}"))
            .value
    }

    #[test]
    fn a_leading_bom_is_skipped_and_offsets_still_index_the_file() {
        let text = "\u{feff}version: 1\nusers:\n  josé:\n    email: j@x.io\n";
        let (sources, node) = parse_str(text);
        let top = map(&node);
        assert_eq!(top[0].key, "version");
        let f = sources.get(0);
        assert_eq!(
            &f.text[top[0].key_span.start..top[0].key_span.end],
            "version"
        );
        let email = get(get(get(&node, "users"), "josé"), "email");
        assert_eq!(&f.text[email.span.start..email.span.end], "j@x.io");
        assert_eq!(f.line_col(email.span.start), (4, 12));
        // A comment first, as every exported file starts.
        let (_, node) = parse_str("\u{feff}# yaml-language-server: x\nversion: 1\n");
        assert_eq!(map(&node)[0].key, "version");
    }

    #[test]
    fn merge_keys_add_what_the_mapping_does_not_say() {
        let text = "base: &b\n  a: 1\n  b: 2\nother: &o\n  b: 20\n  c: 30\nm:\n  b: 0\n  <<: [*b, *o]\n  d: 4\n";
        let (sources, node) = parse_str(text);
        let m = get(&node, "m");
        let got: Vec<(&str, &Value)> = map(m)
            .iter()
            .map(|e| (e.key.as_str(), &e.value.value))
            .collect();
        assert_eq!(
            got,
            vec![
                ("b", &Value::Int(0)),
                ("d", &Value::Int(4)),
                ("a", &Value::Int(1)),
                ("c", &Value::Int(30)),
            ]
        );
        // A merged value keeps its place: the anchor's source.
        let a = &map(m)[2];
        assert_eq!(sources.get(0).line_col(a.value.span.start), (2, 6));
        // A single mapping, and an inline one.
        let (_, node) = parse_str("d: &d {x: 1}\nu:\n  <<: *d\nv: {<<: {y: 2}, z: 3}\n");
        assert_eq!(map(get(&node, "u"))[0].key, "x");
        let v: Vec<&str> = map(get(&node, "v"))
            .iter()
            .map(|e| e.key.as_str())
            .collect();
        assert_eq!(v, vec!["z", "y"]);
        // Quoted, `<<` is an ordinary key.
        let (_, node) = parse_str("u:\n  '<<': 1\n");
        assert_eq!(map(get(&node, "u"))[0].key, "<<");
        // Duplicates written in the mapping itself are still kept for validation to report.
        let (_, node) = parse_str("d: &d {x: 1}\nu:\n  <<: *d\n  y: 1\n  y: 2\n");
        assert_eq!(map(get(&node, "u")).len(), 3);
    }

    #[test]
    fn merge_keys_need_mappings() {
        for text in [
            "u:\n  <<: 1\n",
            "u:\n  <<: [a]\n",
            "l: &l [1]\nu:\n  <<: *l\n",
        ] {
            let err = parse_err(text);
            assert_eq!(err.code, "invalid-merge", "{text}");
            assert!(err.message.contains("mapping"), "{}", err.message);
        }
        let err = parse_err("d: &d {x: 1}\nu:\n  <<: *d\n  <<: *d\n");
        assert_eq!(err.code, "duplicate-key");
        assert_eq!(err.labels.len(), 2);
    }

    #[test]
    fn alias_expansion_is_bounded_at_the_alias() {
        let mut text = String::from("a: &a [x, x, x, x, x, x, x, x, x]\n");
        let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
        for w in names.windows(2) {
            let refs = vec![format!("*{}", w[0]); 9].join(", ");
            text.push_str(&format!("{}: &{} [{refs}]\n", w[1], w[1]));
        }
        assert!(text.len() < 512, "{}", text.len());
        let err = parse_err(&text);
        assert_eq!(err.code, "alias-expansion");
        let span = err.primary_span().expect("a place");
        assert_eq!(&text[span.start..span.start + 1], "*");
        // Ordinary reuse is fine.
        let (_, node) = parse_str("d: &d {x: 1, y: 2}\nu: [*d, *d, *d]\n");
        assert!(matches!(&get(&node, "u").value, Value::Seq(v) if v.len() == 3));
    }

    #[test]
    fn nesting_is_bounded_with_a_place() {
        for text in [
            "[".repeat(5000),
            "a: {".repeat(MAX_DEPTH + 1),
            (0..=MAX_DEPTH)
                .map(|i| format!("{}- \n", "  ".repeat(i)))
                .collect(),
        ] {
            let err = parse_err(&text);
            assert!(
                err.code == "too-deep" || err.code == "syntax",
                "{}: {}",
                err.code,
                err.message
            );
            assert!(err.primary_span().is_some());
        }
        let err = parse_err(&"a: {".repeat(MAX_DEPTH + 1));
        assert_eq!(err.code, "too-deep");
        // Nesting reached through an alias counts too.
        let inner = format!("{}1{}", "[".repeat(40), "]".repeat(40));
        let text = format!("a: &a {inner}\nb: {}*a{}\n", "[".repeat(30), "]".repeat(30));
        assert_eq!(parse_err(&text).code, "too-deep");
        // Exactly at the limit is fine.
        parse_str(&format!(
            "{}1{}",
            "[".repeat(MAX_DEPTH),
            "]".repeat(MAX_DEPTH)
        ));
    }

    #[test]
    fn scalar_spans_stop_at_the_value() {
        let text = "a: \"x\"   # note\nb: plain value  # note\nc: 'it''s'  \n";
        let (sources, node) = parse_str(text);
        let f = sources.get(0);
        let at = |k: &str| {
            let n = get(&node, k);
            f.text[n.span.start..n.span.end].to_string()
        };
        assert_eq!(at("a"), "\"x\"");
        assert_eq!(at("b"), "plain value");
        assert_eq!(at("c"), "'it''s'");
    }
}
