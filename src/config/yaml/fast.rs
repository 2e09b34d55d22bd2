//! A single-pass reader straight from YAML text into the raw tree, for the subset jcform configs
//! are written in. saphyr's event parser (with the [`super::Builder`] on top) spends most of a
//! large config's load time on general YAML; this reader builds the same [`Node`] tree, with the
//! same values and the same spans, in one pass over the bytes.
//!
//! The subset, read exactly as saphyr-parser 0.0.6 reads it:
//! - block mappings and block sequences indented by spaces, a sequence under a key either
//!   indented or at the key's own column; `- ` items that are scalars, flow collections or
//!   mappings (`- ad_domain: ad0` with the further keys aligned under the first);
//! - keys: plain or quoted scalars on one line, followed by `:` and a space or the line end; an
//!   empty value (`key:` and nothing more indented below) is null;
//! - plain scalars on one line, resolved by [`super::resolve_plain`];
//! - single- and double-quoted scalars on one line, with the escapes `\0 \a \b \t \n \v \f \r
//!   \e \" \/ \\ \N \_ \L \P \xXX \uXXXX \UXXXXXXXX`;
//! - flow sequences and flow mappings on one line (`[a, "b c"]`, `{file: "x"}`, `[]`, `{}`,
//!   `{name: x, members: [a, b]}`), as the export writer, the docs and hand-written configs
//!   use them; keys in them are scalars followed by `: `;
//! - `#` comments (full-line and after a value), blank lines, `\n` and `\r\n` line ends, and a
//!   leading byte order mark.
//!
//! Anything else it *declines* (returns `None`): a syntax error, or a construct it leaves to
//! saphyr (tabs outside quoted scalars and comments, anchors, aliases, merge keys, tags, `?`
//! keys, multi-line scalars, block scalars `|` `>`, multi-line flow collections, a trailing
//! comma in one, a flow key without a space after its `:`, empty sequence items, document markers and directives, control
//! characters and the Unicode line breaks and BOM anywhere but at the start, keys longer than
//! saphyr's simple-key limit, nesting beyond [`MAX_DEPTH`], an empty document). The caller then
//! runs saphyr and the Builder, so every error message, span and hint is theirs, and a document
//! is never read differently: the differential tests in `super::differential` check values and
//! spans against that path on the shipped configs, the export writer's output, generated
//! documents and mutations of them.
//!
//! Spans are byte offsets into the whole text (a BOM included), as the Builder makes them: a
//! scalar's span is its token (quotes included); an empty value's is empty, at its key's `:`; a
//! collection's runs from its first token (a block sequence's first `-`, or for a sequence at
//! its key's column the first item; a block mapping's first key; a flow collection's opening
//! bracket) to the end of its last value, or for an empty flow collection to the end of saphyr's
//! token for its closing bracket (which runs on over spaces and a comment after it).

use super::{key_text, resolve_plain, MAX_DEPTH};
use crate::config::raw::{Entry, Node, Value};
use crate::source::{FileId, Span};

/// saphyr forgets a possible simple key once its `:` is more than 1024 characters away, and then
/// fails; keys are declined well before (a byte count bounds the character count).
const MAX_KEY_BYTES: usize = 1000;

/// The tree of `text`, or `None` when saphyr must read it (see the module doc).
pub fn read(file: FileId, text: &str) -> Option<Node> {
    let mut r = Reader {
        s: text,
        b: text.as_bytes(),
        i: 0,
        line_start: 0,
        column: None,
        file,
        depth: 0,
    };
    if text.starts_with('\u{FEFF}') {
        r.i = '\u{FEFF}'.len_utf8();
    }
    r.next_content_line()?;
    // An empty document (only comments and blank lines) is left to saphyr.
    if r.column? != 0 {
        return None;
    }
    let root = if r.at_dash_item() {
        r.sequence(0, false)?
    } else {
        r.mapping(0)?
    };
    if r.column.is_some() {
        return None;
    }
    Some(root)
}

/// Characters outside ASCII that saphyr or the YAML spec treats specially (line breaks in YAML
/// 1.1, the byte order mark): declined wherever they appear outside a comment.
fn special_wide(c: char) -> bool {
    matches!(c, '\u{85}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}')
}

/// ASCII control bytes other than the line ends and the tab: declined everywhere (saphyr reads
/// a NUL as the end of the stream).
fn control(c: u8) -> bool {
    (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r')) || c == 0x7F
}

struct Reader<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    /// Where the current line starts (after a BOM on the first line).
    line_start: usize,
    /// The column of the current content line's first character, `None` at the end of the text.
    column: Option<usize>,
    file: FileId,
    /// Mappings and sequences open around the current position.
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

    /// Whether the byte `ahead` of the position ends a token: a space, a line end or the end.
    fn blank_at(&self, ahead: usize) -> bool {
        matches!(self.peek_at(ahead), None | Some(b' ' | b'\n' | b'\r'))
    }

    /// At a `-` that starts a block sequence item (not a plain scalar like `-5`).
    fn at_dash_item(&self) -> bool {
        self.peek() == Some(b'-') && self.blank_at(1)
    }

    fn skip_spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.i += 1;
        }
    }

    /// Opens a collection, declining one nested deeper than the Builder allows.
    fn open(&mut self) -> Option<()> {
        if self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        Some(())
    }

    /// The rest of a line after a value: spaces, maybe a comment (after a space), the line end;
    /// then on to the next content line.
    fn end_line(&mut self) -> Option<()> {
        let before = self.i;
        self.skip_spaces();
        match self.peek() {
            Some(b'#') if self.i > before => self.comment()?,
            None | Some(b'\n' | b'\r') => {}
            Some(_) => return None,
        }
        self.line_end()?;
        self.next_content_line()
    }

    /// A line end (`\n`, `\r\n`) or the end of the text.
    fn line_end(&mut self) -> Option<()> {
        match self.peek() {
            None => Some(()),
            Some(b'\n') => {
                self.i += 1;
                Some(())
            }
            Some(b'\r') if self.peek_at(1) == Some(b'\n') => {
                self.i += 2;
                Some(())
            }
            Some(_) => None,
        }
    }

    /// A comment from its `#` to (not including) the line end.
    fn comment(&mut self) -> Option<()> {
        while let Some(c) = self.peek() {
            match c {
                b'\n' | b'\r' => break,
                c if control(c) => return None,
                _ => self.i += 1,
            }
        }
        Some(())
    }

    /// Skips blank and comment-only lines from the start of a line, and sets `column` to the
    /// next content line's indentation (`None` at the end of the text). Declines a tab in the
    /// indentation and a document marker.
    fn next_content_line(&mut self) -> Option<()> {
        loop {
            // Called at the start of a line (the first one after a BOM).
            self.line_start = self.i;
            self.skip_spaces();
            match self.peek() {
                None => {
                    self.column = None;
                    return Some(());
                }
                Some(b'#') => {
                    self.comment()?;
                    self.line_end()?;
                }
                Some(b'\n' | b'\r') => self.line_end()?,
                Some(b'\t') => return None,
                Some(c) => {
                    let column = self.i - self.line_start;
                    if column == 0
                        && matches!(c, b'-' | b'.')
                        && (self.b[self.i..].starts_with(b"---")
                            || self.b[self.i..].starts_with(b"..."))
                    {
                        return None;
                    }
                    self.column = Some(column);
                    return Some(());
                }
            }
        }
    }

    /// The column of the position on its line.
    fn column_here(&self) -> usize {
        self.i - self.line_start
    }

    /// A block mapping whose first key is at the position, in column `indent`; further keys are
    /// the lines at that column. Ends at the first content line left of it (or the end).
    fn mapping(&mut self, indent: usize) -> Option<Node> {
        self.open()?;
        let start = self.i;
        let mut entries = Vec::new();
        loop {
            let (key, key_span) = self.key()?;
            // The position is at the `:`.
            let colon = self.i;
            self.i += 1;
            let value = self.value(indent, colon)?;
            entries.push(Entry {
                key,
                key_span,
                value,
            });
            match self.column {
                Some(c) if c == indent && !self.at_dash_item() => continue,
                Some(c) if c < indent => break,
                None => break,
                Some(_) => return None,
            }
        }
        self.depth -= 1;
        let end = entries
            .last()
            .map_or(start, |e| e.value.span.end.max(start));
        Some(Node {
            span: self.span(start, end),
            value: Value::Map(entries),
        })
    }

    /// A mapping key and its span; leaves the position at the `:` after it, which is followed
    /// by a space or the line end.
    fn key(&mut self) -> Option<(String, Span)> {
        let start = self.i;
        let (key, end) = match self.peek()? {
            b'"' | b'\'' => {
                let text = self.quoted()?;
                let end = self.i;
                self.skip_spaces();
                (text, end)
            }
            _ => {
                let end = self.plain_block()?;
                let text = &self.s[start..end];
                if text == "<<" {
                    // A merge key: left to the Builder.
                    return None;
                }
                (key_text(resolve_plain(text))?, end)
            }
        };
        if self.peek() != Some(b':') || !self.blank_at(1) || self.i - start > MAX_KEY_BYTES {
            return None;
        }
        Some((key, self.span(start, end)))
    }

    /// The value after a key's `:` (`colon`), for a mapping at column `indent`: on the same
    /// line, or a block below it, or null. Leaves the position at the next content line.
    fn value(&mut self, indent: usize, colon: usize) -> Option<Node> {
        let after_colon = self.i;
        self.skip_spaces();
        match self.peek() {
            None | Some(b'\n' | b'\r') => {}
            Some(b'#') if self.i > after_colon => {}
            Some(_) => {
                let node = self.inline_value()?;
                self.end_line()?;
                return Some(node);
            }
        }
        // Nothing more on the key's line (`end_line` reads the comment after its spaces).
        self.i = after_colon;
        self.end_line()?;
        match self.column {
            Some(c) if c > indent => {
                if self.at_dash_item() {
                    self.sequence(c, false)
                } else {
                    self.mapping(c)
                }
            }
            Some(c) if c == indent && self.at_dash_item() => self.sequence(c, true),
            _ => Some(Node {
                span: self.span(colon, colon),
                value: Value::Null,
            }),
        }
    }

    /// A value that starts on the current line after a key or a `- `: a quoted or plain
    /// scalar, or a flow collection. The position is left after it.
    fn inline_value(&mut self) -> Option<Node> {
        let start = self.i;
        match self.peek()? {
            b'"' | b'\'' => {
                let text = self.quoted()?;
                Some(Node {
                    span: self.span(start, self.i),
                    value: Value::Str(text),
                })
            }
            b'[' | b'{' => self.flow(),
            _ => {
                let end = self.plain_block()?;
                // A `:` after a value on its line is a syntax error.
                if self.peek() == Some(b':') {
                    return None;
                }
                self.plain_node(start, end)
            }
        }
    }

    fn plain_node(&self, start: usize, end: usize) -> Option<Node> {
        let text = &self.s[start..end];
        if text == "<<" {
            return None;
        }
        Some(Node {
            span: self.span(start, end),
            value: resolve_plain(text),
        })
    }

    /// A block sequence whose first `-` is at the position, in column `indent`; further items
    /// are the lines at that column starting with `- `. `at_key_column`: the sequence is a
    /// mapping value written at its key's column, whose span starts at its first item.
    fn sequence(&mut self, indent: usize, at_key_column: bool) -> Option<Node> {
        self.open()?;
        let start = self.i;
        let mut items = Vec::new();
        loop {
            // At a `-` followed by a blank.
            self.i += 1;
            self.skip_spaces();
            items.push(self.item()?);
            match self.column {
                Some(c) if c == indent && self.at_dash_item() => continue,
                Some(c) if c <= indent => break,
                None => break,
                Some(_) => return None,
            }
        }
        self.depth -= 1;
        let start = if at_key_column {
            items[0].span.start
        } else {
            start
        };
        let end = items.last().map_or(start, |n| n.span.end.max(start));
        Some(Node {
            span: self.span(start, end),
            value: Value::Seq(items),
        })
    }

    /// One sequence item after its `- ` and spaces: a scalar, a flow collection, or a mapping
    /// whose first key is here. Leaves the position at the next content line.
    fn item(&mut self) -> Option<Node> {
        let start = self.i;
        match self.peek()? {
            // An empty item, a nested sequence or a comment: left to saphyr.
            b'\n' | b'\r' | b'#' => return None,
            b'-' if self.blank_at(1) => return None,
            b'[' | b'{' => {
                let node = self.flow()?;
                self.end_line()?;
                return Some(node);
            }
            b'"' | b'\'' => {
                self.quoted()?;
                self.skip_spaces();
            }
            _ => {
                self.plain_block()?;
            }
        }
        if self.peek() == Some(b':') {
            // `- key: value`: a mapping at the key's column.
            self.i = start;
            let column = self.column_here();
            return self.mapping(column);
        }
        self.i = start;
        let node = self.inline_value()?;
        self.end_line()?;
        Some(node)
    }

    /// A plain scalar in block context from the position: its end (after its last non-space
    /// character); the position is left where it stops: a line end, the `#` of a comment, or a
    /// `:` followed by a blank (the caller decides whether that is a key). Declines a first
    /// character saphyr reads as an indicator and characters outside the subset.
    fn plain_block(&mut self) -> Option<usize> {
        self.not_a_document_marker()?;
        match self.peek()? {
            b'-' if !self.blank_at(1) => {}
            b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!'
            | b'|' | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ' | b'\n' | b'\r' | b'\t' => {
                return None
            }
            _ => {}
        }
        let mut end = self.i;
        loop {
            // Printable ASCII other than the space and `:` never ends the scalar nor is
            // declined (a `#` only starts a comment after a space): the bulk of every scalar,
            // stepped over in one tight scan before the cases below.
            let run = self.b[self.i..]
                .iter()
                .position(|&c| !(c > b' ' && c < 0x7F && c != b':'))
                .unwrap_or(self.b.len() - self.i);
            if run > 0 {
                self.i += run;
                end = self.i;
            }
            let Some(c) = self.peek() else { break };
            match c {
                b'\n' | b'\r' => break,
                // A comment: the position stays at the space before its `#`.
                b' ' if self.peek_at(1) == Some(b'#') => break,
                b' ' => self.i += 1,
                b':' if self.blank_at(1) => break,
                b'\t' => return None,
                c if control(c) => return None,
                c if c < 0x80 => {
                    self.i += 1;
                    end = self.i;
                }
                _ => {
                    self.wide()?;
                    end = self.i;
                }
            }
        }
        Some(end)
    }

    /// Declines a plain scalar starting with `---` or `...`: saphyr ends one there when it
    /// starts a line (a document marker), at any column.
    fn not_a_document_marker(&self) -> Option<()> {
        let rest = &self.b[self.i..];
        if rest.starts_with(b"---") || rest.starts_with(b"...") {
            return None;
        }
        Some(())
    }

    /// Steps over the non-ASCII character at the position, declining a special one.
    fn wide(&mut self) -> Option<()> {
        let c = self.s.get(self.i..)?.chars().next()?;
        if special_wide(c) {
            return None;
        }
        self.i += c.len_utf8();
        Some(())
    }

    /// A single- or double-quoted scalar on one line from its opening quote, unescaped; the
    /// position is left after the closing quote.
    fn quoted(&mut self) -> Option<String> {
        let double = self.peek()? == b'"';
        self.i += 1;
        let mut out = String::new();
        let mut run = self.i;
        loop {
            let c = self.peek()?;
            match c {
                b'"' if double => break,
                b'\'' if !double => {
                    if self.peek_at(1) == Some(b'\'') {
                        out.push_str(&self.s[run..=self.i]);
                        self.i += 2;
                        run = self.i;
                        continue;
                    }
                    break;
                }
                b'\\' if double => {
                    out.push_str(&self.s[run..self.i]);
                    out.push(self.escape()?);
                    run = self.i;
                }
                b'\n' | b'\r' => return None,
                c if control(c) => return None,
                c if c < 0x80 => self.i += 1,
                _ => self.wide()?,
            }
        }
        out.push_str(&self.s[run..self.i]);
        self.i += 1;
        Some(out)
    }

    /// A double-quoted escape from its `\`, as saphyr resolves it; the position is left after
    /// it. A line-end, space or tab escape and an unknown one are declined.
    fn escape(&mut self) -> Option<char> {
        let c = match self.peek_at(1)? {
            b'0' => '\0',
            b'a' => '\x07',
            b'b' => '\x08',
            b't' => '\t',
            b'n' => '\n',
            b'v' => '\x0b',
            b'f' => '\x0c',
            b'r' => '\r',
            b'e' => '\x1b',
            b'"' => '"',
            b'/' => '/',
            b'\\' => '\\',
            b'N' => '\u{85}',
            b'_' => '\u{A0}',
            b'L' => '\u{2028}',
            b'P' => '\u{2029}',
            b'x' => return self.hex_escape(2),
            b'u' => return self.hex_escape(4),
            b'U' => return self.hex_escape(8),
            _ => return None,
        };
        self.i += 2;
        Some(c)
    }

    /// `\x`, `\u` or `\U` and its `digits` hex digits: a Unicode scalar value, or declined.
    fn hex_escape(&mut self, digits: usize) -> Option<char> {
        let hex = self.b.get(self.i + 2..self.i + 2 + digits)?;
        let mut value = 0u32;
        for &h in hex {
            value = (value << 4) | char::from(h).to_digit(16)?;
        }
        self.i += 2 + digits;
        char::from_u32(value)
    }

    /// A flow sequence or mapping on one line, from its opening bracket; the position is left
    /// after the closing one.
    fn flow(&mut self) -> Option<Node> {
        self.open()?;
        let start = self.i;
        let is_seq = self.peek()? == b'[';
        let close = if is_seq { b']' } else { b'}' };
        self.i += 1;
        self.skip_spaces();
        let mut items = Vec::new();
        let mut entries = Vec::new();
        let end = if self.peek() == Some(close) {
            self.i += 1;
            self.closing_token_end()
        } else {
            loop {
                if is_seq {
                    items.push(self.flow_node()?);
                } else {
                    let key = self.flow_scalar()?;
                    self.skip_spaces();
                    if self.peek() != Some(b':') || self.peek_at(1) != Some(b' ') {
                        return None;
                    }
                    self.i += 1;
                    self.skip_spaces();
                    let value = self.flow_node()?;
                    entries.push(Entry {
                        key: key_text(key.value)?,
                        key_span: key.span,
                        value,
                    });
                }
                self.skip_spaces();
                match self.peek()? {
                    b',' => {
                        self.i += 1;
                        self.skip_spaces();
                        // A trailing comma is left to saphyr.
                        if self.peek()? == close {
                            return None;
                        }
                    }
                    c if c == close => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
            // The span ends with the last value, as the Builder makes it.
            match (items.last(), entries.last()) {
                (Some(item), _) => item.span.end,
                (_, Some(entry)) => entry.value.span.end,
                _ => start,
            }
        };
        self.depth -= 1;
        let value = if is_seq {
            Value::Seq(items)
        } else {
            Value::Map(entries)
        };
        Some(Node {
            span: self.span(start, end.max(start)),
            value,
        })
    }

    /// Where saphyr's token for a closing bracket at the position before ends: over the spaces
    /// after it and a comment after them, to the line end. It is the span's end of an empty
    /// flow collection. The position does not move.
    fn closing_token_end(&self) -> usize {
        let mut j = self.i;
        while self.b.get(j) == Some(&b' ') {
            j += 1;
        }
        if j > self.i && self.b.get(j) == Some(&b'#') {
            while !matches!(self.b.get(j), None | Some(b'\n' | b'\r')) {
                j += 1;
            }
        }
        j
    }

    /// An item or value inside a flow collection: a nested one or a scalar.
    fn flow_node(&mut self) -> Option<Node> {
        match self.peek()? {
            b'[' | b'{' => self.flow(),
            _ => self.flow_scalar(),
        }
    }

    /// A scalar inside a flow collection: quoted, or plain; a plain one ends before `,`, `]`,
    /// `}` or a `:` followed by a space (a key), and is declined at any other `:` or a `#`.
    fn flow_scalar(&mut self) -> Option<Node> {
        self.not_a_document_marker()?;
        let start = self.i;
        match self.peek()? {
            b'"' | b'\'' => {
                let text = self.quoted()?;
                return Some(Node {
                    span: self.span(start, self.i),
                    value: Value::Str(text),
                });
            }
            b'-' if self.peek_at(1).is_some_and(|c| c.is_ascii_alphanumeric()) => {}
            b'-' | b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!'
            | b'|' | b'>' | b'%' | b'@' | b'`' | b' ' | b'\n' | b'\r' | b'\t' => return None,
            _ => {}
        }
        let mut end = self.i;
        while let Some(c) = self.peek() {
            match c {
                b',' | b']' | b'}' => break,
                b':' if self.peek_at(1) == Some(b' ') => break,
                // saphyr refuses `-` before a flow indicator after a space (`[b -, c]`).
                b'-' if matches!(self.peek_at(1), Some(b',' | b'[' | b']' | b'{' | b'}')) => {
                    return None
                }
                b' ' => self.i += 1,
                b':' | b'#' | b'[' | b'{' | b'\n' | b'\r' | b'\t' => return None,
                c if control(c) => return None,
                c if c < 0x80 => {
                    self.i += 1;
                    end = self.i;
                }
                _ => {
                    self.wide()?;
                    end = self.i;
                }
            }
        }
        self.i = end;
        self.plain_node(start, end)
    }
}
