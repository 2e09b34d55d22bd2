//! YAML -> raw tree, from saphyr-parser's event stream. We build the tree ourselves instead of
//! using a DOM loader so that duplicate keys are kept (and reported with both places) and every
//! node carries its span. Plain scalars are resolved with the YAML 1.2 core schema.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, Span as YamlSpan};

use super::raw::{Entry, Node, Value};
use crate::diag::Diagnostic;
use crate::source::{FileId, SourceFile, Span};

pub fn parse(file: FileId, source: &SourceFile) -> Result<Node, Diagnostic> {
    // The parser reports character indices; a table turns them into byte offsets in O(1)
    // (ASCII text needs none: there the two are the same).
    let offsets: Vec<usize> = if source.text.is_ascii() {
        Vec::new()
    } else {
        source
            .text
            .char_indices()
            .map(|(b, _)| b)
            .chain([source.text.len()])
            .collect()
    };
    let mut builder = Builder {
        file,
        source,
        offsets,
        stack: Vec::new(),
        anchors: HashMap::new(),
        root: None,
    };
    for event in Parser::new_from_str(&source.text) {
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

enum Frame {
    Seq {
        start: usize,
        items: Vec<Node>,
        anchor: usize,
    },
    Map {
        start: usize,
        entries: Vec<Entry>,
        pending_key: Option<(String, Span)>,
        anchor: usize,
    },
}

struct Builder<'a> {
    file: FileId,
    source: &'a SourceFile,
    /// Byte offset of each character, for non-ASCII text.
    offsets: Vec<usize>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    root: Option<Node>,
}

impl Builder<'_> {
    fn byte(&self, char_index: usize) -> usize {
        if self.offsets.is_empty() {
            char_index.min(self.source.text.len())
        } else {
            self.offsets
                .get(char_index)
                .copied()
                .unwrap_or(self.source.text.len())
        }
    }

    fn span(&self, span: &YamlSpan) -> Span {
        Span::new(
            self.file,
            self.byte(span.start.index()),
            self.byte(span.end.index()),
        )
    }

    fn event(&mut self, event: Event<'_>, span: YamlSpan) -> Result<(), Diagnostic> {
        match event {
            Event::Scalar(text, style, anchor, _tag) => {
                let s = self.span(&span);
                let value = if style == ScalarStyle::Plain {
                    resolve_plain(&text)
                } else {
                    Value::Str(text.into_owned())
                };
                let node = Node { span: s, value };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node)
            }
            Event::SequenceStart(anchor, _) => {
                let start = self.byte(span.start.index());
                self.stack.push(Frame::Seq {
                    start,
                    items: Vec::new(),
                    anchor,
                });
                Ok(())
            }
            Event::MappingStart(anchor, _) => {
                let start = self.byte(span.start.index());
                self.stack.push(Frame::Map {
                    start,
                    entries: Vec::new(),
                    pending_key: None,
                    anchor,
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
                        let end = items
                            .last()
                            .map_or(end, |n| n.span.end.max(end.min(n.span.end)));
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
                        anchor,
                        ..
                    }) => {
                        let end = entries.last().map_or(end, |e| e.value.span.end);
                        (
                            Node {
                                span: Span::new(self.file, start, end),
                                value: Value::Map(entries),
                            },
                            anchor,
                        )
                    }
                    None => return Ok(()),
                };
                if anchor > 0 {
                    self.anchors.insert(anchor, node.clone());
                }
                self.push(node)
            }
            Event::Alias(id) => {
                let s = self.span(&span);
                let mut node = self.anchors.get(&id).cloned().unwrap_or(Node {
                    span: s,
                    value: Value::Null,
                });
                node.span = s;
                self.push(node)
            }
            Event::DocumentEnd => {
                if self.root.is_none() {
                    self.root = Some(Node {
                        span: Span::new(self.file, 0, 0),
                        value: Value::Null,
                    });
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    fn push(&mut self, node: Node) -> Result<(), Diagnostic> {
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
                ..
            }) => {
                match pending_key.take() {
                    None => {
                        let key = match node.value {
                            Value::Str(s) => s,
                            Value::Int(i) => i.to_string(),
                            Value::Bool(b) => b.to_string(),
                            Value::Float(f) => f.to_string(),
                            Value::Null => String::new(),
                            Value::Seq(_) | Value::Map(_) => {
                                return Err(Diagnostic::error(
                                    "syntax",
                                    "a mapping key must be a plain value",
                                )
                                .with_label(node.span, "complex key")
                                .with_help("use a string as the key"));
                            }
                        };
                        *pending_key = Some((key, node.span));
                    }
                    Some((key, key_span)) => entries.push(Entry {
                        key,
                        key_span,
                        value: node,
                    }),
                }
                Ok(())
            }
        }
    }
}

/// The YAML 1.2 core schema for plain scalars.
fn resolve_plain(text: &str) -> Value {
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
}
