//! A single-pass KDL v2 reader straight into the raw tree, for the documents jcform configs are
//! made of. The kdl crate builds a full-fidelity document (every space and comment kept, with
//! error recovery) and spends most of a large config's load time doing so; this reader builds
//! only the [`Node`] tree, with the same values and the same spans.
//!
//! It handles the subset of KDL v2 that configs are written in, exactly as the kdl crate (6.7,
//! without v1 fallback) reads it: bare identifiers, single-line quoted strings with the escapes
//! `\\ \" \b \f \n \r \t \s \u{…}`, decimal integers (sign, `_` separators), `#true`, `#false`,
//! `#null`, properties (`key=value`, spaces or `/* */` around `=` allowed), child blocks, `;`,
//! `\n` and `\r\n` line ends, `//` and nested `/* */` comments, and a leading byte order mark.
//!
//! Anything else it *declines* (returns `None`): a syntax error, or a construct it leaves to the
//! crate (raw and multi-line strings, floats, hex/octal/binary numbers, `#inf`/`#nan`, type
//! annotations, slashdash `/-`, line continuations `\`, whitespace escapes in strings, line ends
//! other than `\n`/`\r\n`, Unicode spaces between tokens). The caller then runs the crate's
//! parser, so every error message, span and hint is the crate's, and a document is never read
//! differently: the differential tests in `super::tests` check values and spans against the
//! crate on generated documents and mutations of them.
//!
//! Spans are byte offsets into the text, as the crate reports them: a node's span runs from its
//! name to the end of what follows it on its line before the terminator (arguments, properties,
//! child block, trailing spaces and `/* */` comments); an argument's is its token; a property's
//! value span runs from its key to the end of its value, its key span is the key token.

use super::MAX_DEPTH;
use crate::config::raw::{Entry, Node, Value};
use crate::source::{FileId, Span};

/// The tree of `text`, or `None` when the crate's parser must read it (see the module doc).
pub fn read(file: FileId, text: &str) -> Option<Node> {
    let mut r = Reader {
        s: text,
        b: text.as_bytes(),
        i: 0,
        file,
        depth: 0,
    };
    if text.starts_with('\u{FEFF}') {
        r.i = '\u{FEFF}'.len_utf8();
    }
    let nodes = r.nodes(false)?;
    if r.i != r.b.len() {
        return None;
    }
    Some(document(nodes, Span::new(file, 0, text.len())))
}

/// One node as read: its name and the value `node_value` in `super` would make of it.
struct Parsed {
    key: String,
    key_span: Span,
    /// Named by a bare `-`: a list item.
    dash: bool,
    value: Node,
}

/// What a character outside ASCII is to the KDL v2 grammar (the crate's tables).
#[derive(PartialEq)]
enum Wide {
    /// `unicode-space`: between tokens (declined there) and inside quoted strings.
    Space,
    /// A line end; ends a `//` comment (declined) and may not appear in a single-line string.
    Newline,
    /// `disallowed-literal-code-points`: an error anywhere but in comments.
    Disallowed,
    /// Anything else: an identifier or string character.
    Plain,
}

fn wide(c: char) -> Wide {
    match c {
        '\u{A0}' | '\u{1680}' | '\u{2000}'..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}' => {
            Wide::Space
        }
        '\u{85}' | '\u{2028}' | '\u{2029}' => Wide::Newline,
        '\u{200E}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}' => Wide::Disallowed,
        _ => Wide::Plain,
    }
}

/// ASCII bytes that may appear in a bare identifier: printable, not a space, not one of
/// `\/(){}[];"#=` (DEL is allowed, as the crate allows it).
fn ascii_ident(c: u8) -> bool {
    matches!(c, 0x21..=0x7F)
        && !matches!(
            c,
            b'\\' | b'/' | b'(' | b')' | b'{' | b'}' | b'[' | b']' | b';' | b'"' | b'#' | b'='
        )
}

struct Reader<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    file: FileId,
    depth: usize,
}

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn peek_at(&self, ahead: usize) -> Option<u8> {
        self.b.get(self.i + ahead).copied()
    }

    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    /// The character at `self.i`, which must start a non-ASCII one.
    fn wide_char(&self) -> Option<char> {
        self.s.get(self.i..)?.chars().next()
    }

    /// `/* … */`, nested, from its opening `/*`. Its content is anything.
    fn block_comment(&mut self) -> Option<()> {
        let mut level = 0usize;
        loop {
            match self.peek()? {
                b'*' if self.peek_at(1) == Some(b'/') => {
                    self.i += 2;
                    level -= 1;
                    if level == 0 {
                        return Some(());
                    }
                }
                b'/' if self.peek_at(1) == Some(b'*') => {
                    self.i += 2;
                    level += 1;
                    if self.depth + level > MAX_DEPTH {
                        return None;
                    }
                }
                _ => self.i += 1,
            }
        }
    }

    /// `//` to the end of the line, the line end included (or the end of the text). A line end
    /// other than `\n` or `\r\n` inside it is declined: the crate ends the comment there.
    fn line_comment(&mut self) -> Option<()> {
        self.i += 2;
        loop {
            match self.peek() {
                None => return Some(()),
                Some(b'\n') => {
                    self.i += 1;
                    return Some(());
                }
                Some(b'\r') => {
                    if self.peek_at(1) != Some(b'\n') {
                        return None;
                    }
                    self.i += 2;
                    return Some(());
                }
                Some(0x0B | 0x0C) => return None,
                Some(c) if c < 0x80 => self.i += 1,
                Some(_) => {
                    let c = self.wide_char()?;
                    if wide(c) == Wide::Newline {
                        return None;
                    }
                    self.i += c.len_utf8();
                }
            }
        }
    }

    /// `node-space*` as far as handled: spaces, tabs and `/* */` comments. A `\` (line
    /// continuation) is declined.
    fn node_space(&mut self) -> Option<()> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t') => self.i += 1,
                Some(b'/') if self.peek_at(1) == Some(b'*') => self.block_comment()?,
                Some(b'\\') => return None,
                _ => return Some(()),
            }
        }
    }

    /// `line-space*`: node space, line ends and `//` comments between nodes. A slashdash `/-`
    /// is declined.
    fn line_space(&mut self) -> Option<()> {
        loop {
            self.node_space()?;
            match self.peek() {
                Some(b'\n') => self.i += 1,
                Some(b'\r') if self.peek_at(1) == Some(b'\n') => self.i += 2,
                Some(b'/') if self.peek_at(1) == Some(b'/') => self.line_comment()?,
                Some(b'/') if self.peek_at(1) == Some(b'-') => return None,
                _ => return Some(()),
            }
        }
    }

    /// The nodes of the document (`in_block` false, up to the end of the text) or of a child
    /// block (up to, not including, its `}`).
    fn nodes(&mut self, in_block: bool) -> Option<Vec<Parsed>> {
        let mut out = Vec::new();
        loop {
            self.line_space()?;
            match self.peek() {
                None if in_block => return None,
                None => return Some(out),
                Some(b'}') if in_block => return Some(out),
                Some(b'}') => return None,
                _ => {}
            }
            out.push(self.node()?);
            // The node terminator, or the `}` or end of text that ends the last node.
            match self.peek() {
                None | Some(b'}') => {}
                Some(b';' | b'\n') => self.i += 1,
                Some(b'\r') if self.peek_at(1) == Some(b'\n') => self.i += 2,
                Some(b'/') if self.peek_at(1) == Some(b'/') => self.line_comment()?,
                Some(_) => return None,
            }
        }
    }

    /// One node, from its name to just before its terminator.
    fn node(&mut self) -> Option<Parsed> {
        let start = self.i;
        let (key, bare) = match self.peek()? {
            b'"' => (self.quoted()?, false),
            _ => (self.ident()?, true),
        };
        let key_span = self.span(start, self.i);
        let dash = bare && key == "-";
        let mut args = Vec::new();
        let mut props = Vec::new();
        let mut children = None;
        loop {
            let before = self.i;
            self.node_space()?;
            let spaced = self.i > before;
            match self.peek() {
                None | Some(b';' | b'\n' | b'}') => break,
                Some(b'\r') if self.peek_at(1) == Some(b'\n') => break,
                Some(b'/') if self.peek_at(1) == Some(b'/') => break,
                Some(b'{') => {
                    children = Some(self.block()?);
                    self.node_space()?;
                    break;
                }
                Some(_) if spaced => self.entry(&mut args, &mut props)?,
                Some(_) => return None,
            }
        }
        let span = self.span(start, self.i);
        Some(Parsed {
            key,
            key_span,
            dash,
            value: node_value(span, args, props, children),
        })
    }

    /// A child block from its `{` through its `}`. The crate path refuses a block owned by a
    /// node at level `MAX_DEPTH` (top-level nodes are level 1): so at most `MAX_DEPTH - 1`
    /// nested blocks are read here.
    fn block(&mut self) -> Option<Vec<Parsed>> {
        self.depth += 1;
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.i += 1;
        let nodes = self.nodes(true)?;
        // `nodes(true)` stops only at a `}`.
        self.i += 1;
        self.depth -= 1;
        Some(nodes)
    }

    /// One argument or property, pushed onto `args` or `props`.
    fn entry(&mut self, args: &mut Vec<Node>, props: &mut Vec<Entry>) -> Option<()> {
        let start = self.i;
        let string = match self.peek()? {
            b'"' => Some(self.quoted()?),
            b'#' => None,
            b'0'..=b'9' => None,
            b'+' | b'-' if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => None,
            _ => Some(self.ident()?),
        };
        let Some(string) = string else {
            let value = self.non_string()?;
            args.push(Node {
                span: self.span(start, self.i),
                value,
            });
            return Some(());
        };
        let end = self.i;
        self.node_space()?;
        if self.peek() != Some(b'=') {
            // An argument: the spaces after it belong to what follows.
            self.i = end;
            args.push(Node {
                span: self.span(start, end),
                value: Value::Str(string),
            });
            return Some(());
        }
        self.i += 1;
        self.node_space()?;
        let value = match self.peek()? {
            b'"' => Value::Str(self.quoted()?),
            b'#' | b'0'..=b'9' => self.non_string()?,
            b'+' | b'-' if self.peek_at(1).is_some_and(|c| c.is_ascii_digit()) => {
                self.non_string()?
            }
            _ => Value::Str(self.ident()?),
        };
        props.push(Entry {
            key: string,
            key_span: self.span(start, end),
            value: Node {
                span: self.span(start, self.i),
                value,
            },
        });
        Some(())
    }

    /// `#true`, `#false`, `#null` or a decimal integer.
    fn non_string(&mut self) -> Option<Value> {
        let rest = &self.b[self.i..];
        for (word, value) in [
            (&b"#true"[..], Value::Bool(true)),
            (b"#false", Value::Bool(false)),
            (b"#null", Value::Null),
        ] {
            if rest.starts_with(word) {
                self.i += word.len();
                return Some(value);
            }
        }
        self.integer()
    }

    /// `sign? digit (digit | '_')*`, as the crate reads it: an `i128` (declined when it does
    /// not fit, which the crate reports), then an `i64` when it fits, else the nearest `f64`
    /// (as `super::scalar` does). What follows is checked by the caller's loop, so `1.5`,
    /// `1e3` and `0x1F` are declined there.
    fn integer(&mut self) -> Option<Value> {
        let negative = match self.peek()? {
            b'-' => {
                self.i += 1;
                true
            }
            b'+' => {
                self.i += 1;
                false
            }
            _ => false,
        };
        if !self.peek()?.is_ascii_digit() {
            return None;
        }
        let mut n: i128 = 0;
        while let Some(c) = self.peek() {
            match c {
                b'0'..=b'9' => n = n.checked_mul(10)?.checked_add(i128::from(c - b'0'))?,
                b'_' => {}
                _ => break,
            }
            self.i += 1;
        }
        if negative {
            n = -n;
        }
        Some(
            i64::try_from(n)
                .map(Value::Int)
                .unwrap_or(Value::Float(n as f64)),
        )
    }

    /// A bare identifier string. Declined: one that starts like a number or with `.` (dotted
    /// identifiers are close to floats), the words the crate refuses (`true`, `null`, …), and
    /// an empty one (the next character is not an identifier character).
    fn ident(&mut self) -> Option<String> {
        let start = self.i;
        match self.peek()? {
            b'0'..=b'9' | b'.' => return None,
            b'+' | b'-' if matches!(self.peek_at(1), Some(b'0'..=b'9' | b'.')) => return None,
            _ => {}
        }
        while let Some(c) = self.peek() {
            if c < 0x80 {
                if !ascii_ident(c) {
                    break;
                }
                self.i += 1;
            } else {
                let w = self.wide_char()?;
                if wide(w) != Wide::Plain {
                    break;
                }
                self.i += w.len_utf8();
            }
        }
        let word = &self.s[start..self.i];
        if word.is_empty()
            || matches!(
                word,
                "true" | "false" | "null" | "inf" | "nan" | "-inf" | "+inf" | "-nan" | "+nan"
            )
        {
            return None;
        }
        Some(word.to_string())
    }

    /// A single-line quoted string from its opening `"`, unescaped. `"""` (multi-line) and a
    /// `\` followed by whitespace (a whitespace escape) are declined.
    fn quoted(&mut self) -> Option<String> {
        if self.b[self.i..].starts_with(b"\"\"\"") {
            return None;
        }
        self.i += 1;
        let mut out = String::new();
        let mut run = self.i;
        loop {
            let c = self.peek()?;
            match c {
                b'"' => {
                    out.push_str(&self.s[run..self.i]);
                    self.i += 1;
                    return Some(out);
                }
                b'\\' => {
                    out.push_str(&self.s[run..self.i]);
                    self.i += 1;
                    out.push(self.escape()?);
                    run = self.i;
                }
                b'\t' | 0x20..=0x7F => self.i += 1,
                0x00..=0x1F => return None,
                _ => {
                    let w = self.wide_char()?;
                    if !matches!(wide(w), Wide::Plain | Wide::Space) {
                        return None;
                    }
                    self.i += w.len_utf8();
                }
            }
        }
    }

    /// The character an escape after `\` stands for.
    fn escape(&mut self) -> Option<char> {
        let c = match self.peek()? {
            b'\\' => '\\',
            b'"' => '"',
            b'b' => '\u{8}',
            b'f' => '\u{C}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b's' => ' ',
            b'u' if self.peek_at(1) == Some(b'{') => {
                self.i += 2;
                let start = self.i;
                while self.peek().is_some_and(|c| c.is_ascii_hexdigit()) && self.i - start < 6 {
                    self.i += 1;
                }
                if self.i == start || self.peek() != Some(b'}') {
                    return None;
                }
                let code = u32::from_str_radix(&self.s[start..self.i], 16).ok()?;
                self.i += 1;
                return char::from_u32(code);
            }
            _ => return None,
        };
        self.i += 1;
        Some(c)
    }
}

/// A document or child block: a list when every node is a bare `-`, else a mapping.
fn document(nodes: Vec<Parsed>, span: Span) -> Node {
    if !nodes.is_empty() && nodes.iter().all(|n| n.dash) {
        return Node {
            span,
            value: Value::Seq(nodes.into_iter().map(|n| n.value).collect()),
        };
    }
    Node {
        span,
        value: Value::Map(
            nodes
                .into_iter()
                .map(|n| Entry {
                    key: n.key,
                    key_span: n.key_span,
                    value: n.value,
                })
                .collect(),
        ),
    }
}

/// A node's value from its parts, by the same rules as the crate path (`super::combine`).
fn node_value(
    span: Span,
    args: Vec<Node>,
    props: Vec<Entry>,
    children: Option<Vec<Parsed>>,
) -> Node {
    // The block's own span is not used by the conversion; any will do.
    let children = children.map(|children| document(children, span));
    super::combine(span, args, props, children)
}
