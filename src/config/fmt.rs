//! `jcform fmt`: one canonical layout for YAML and KDL config files, comments kept.
//!
//! A file is parsed into the raw tree (the same reader `validate` uses), its comments are found
//! by a small lexer and attached to the entry they precede (or, at the end of a line, to the entry
//! that line starts), the tree is put in canonical order and written by the export writers
//! (`export::yaml`, `export::kdl`: one writer per syntax, shared with `jcform export`).
//!
//! The canonical form (docs/config.md, "Formatting"):
//! - sections in the documented order (`version`, `settings`, `users`, `groups`, `ad_domains`,
//!   `m365_tenants`, `bindings`, `waivers`); the fields of an object in the documented order,
//!   unknown keys after them in their own order; users, groups and other keyed entries keep the
//!   file's order;
//! - strings quoted only when needed (the export quoting rules); two-space YAML indents, four in
//!   KDL; lists of names in flow style (`[a, b]`, KDL arguments) when they fit in 100 columns;
//!   `initial_password`, `settings.manage` and `settings.limits` on one line (`{file: x}`, `file=x`); every other
//!   mapping in block style;
//! - comments kept with the entry below them (or at the end of its line); one blank line kept
//!   where the file had any between entries.
//!
//! Safety: the result is parsed again and must give the same tree (up to the canonical order),
//! the same comments, and format to itself. A file that cannot be formatted that way (anchors,
//! aliases, merge keys, tags, several documents, block scalars, KDL `/-`, a comment where no
//! entry can hold it) is left as it is, with the reason.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::raw::{Entry as RawEntry, Node, Value as RawValue};
use super::Loaded;
use crate::export::{self, Document, Map, Value};
use crate::source::Span;

/// The syntax of a config file, from its extension (`.kdl`, else YAML) as the reader decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    Kdl,
}

impl Syntax {
    /// The syntax the reader uses for `path`.
    pub fn of(path: &Path) -> Syntax {
        if path.extension().is_some_and(|e| e == "kdl") {
            Syntax::Kdl
        } else {
            Syntax::Yaml
        }
    }
}

/// What formatting one file came to.
#[derive(Debug)]
pub enum Outcome {
    /// Already in canonical form.
    Unchanged,
    /// The canonical text, different from the file's.
    Changed(String),
    /// Left as it is, for this reason (a warning): formatting it could change meaning or lose
    /// a comment.
    Kept(String),
    /// The file does not parse: its diagnostics (with their sources).
    Invalid(Box<Loaded>),
}

/// Formats one file's bytes (named by `path`, whose extension picks the syntax).
pub fn format(path: &Path, bytes: Vec<u8>) -> Outcome {
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            let mut loaded = Loaded::default();
            let name = path.display().to_string();
            super::parse_bytes(&mut loaded, path, name, e.into_bytes());
            return Outcome::Invalid(Box::new(loaded));
        }
    };
    let first = match render(path, &text) {
        Ok(first) => first,
        Err(Fail::Parse(loaded)) => return Outcome::Invalid(loaded),
        Err(Fail::Keep(why)) => return Outcome::Kept(why),
    };
    if first.text == text {
        return Outcome::Unchanged;
    }
    // Read the result back: same tree, same comments, and a fixed point.
    let second = match render(path, &first.text) {
        Ok(second) => second,
        Err(Fail::Parse(_)) => {
            return Outcome::Kept("the formatted text would not parse (a jcform bug)".into())
        }
        Err(Fail::Keep(why)) => {
            return Outcome::Kept(format!("the formatted text could not be checked: {why}"))
        }
    };
    if second.tree != first.tree {
        return Outcome::Kept(
            "formatting would change what the file says (a KDL `{}` would become no value, say)"
                .into(),
        );
    }
    if second.comments != first.comments {
        return Outcome::Kept("formatting would lose or alter a comment".into());
    }
    if second.text != first.text {
        return Outcome::Kept("formatting is not stable on this file (a jcform bug)".into());
    }
    if let Some(line) = lost_comment(Syntax::of(path), &text, &first.text) {
        return Outcome::Kept(format!(
            "line {line}: a comment could not be found in the formatted text"
        ));
    }
    Outcome::Changed(first.text)
}

enum Fail {
    Parse(Box<Loaded>),
    Keep(String),
}

/// One formatting pass: the text, and what must survive it.
struct Rendered {
    text: String,
    /// The input's tree in canonical order, without spans.
    tree: Node,
    /// Every comment line's text, sorted.
    comments: Vec<String>,
}

const BOM: char = '\u{feff}';

fn render(path: &Path, text: &str) -> Result<Rendered, Fail> {
    let syntax = Syntax::of(path);
    let mut loaded = Loaded::default();
    let name = path.display().to_string();
    super::parse_bytes(&mut loaded, path, name, text.as_bytes().to_vec());
    let errors = loaded
        .diagnostics
        .iter()
        .any(|d| d.severity == crate::diag::Severity::Error);
    if errors || loaded.files.is_empty() {
        return Err(Fail::Parse(Box::new(loaded)));
    }
    let root = loaded.files.remove(0).root;
    let bom = text.starts_with(BOM);
    let body = text.strip_prefix(BOM).unwrap_or(text);
    let base = text.len() - body.len();
    let found = match syntax {
        Syntax::Yaml => yaml_comments(body),
        Syntax::Kdl => kdl_comments(body),
    }
    .map_err(Fail::Keep)?;
    let mut comments: Vec<String> = found
        .iter()
        .flat_map(|c| c.lines.iter())
        .map(|l| l.trim().to_string())
        .filter(|l| !l.is_empty())
        .collect();
    comments.sort();
    let tree = canonical(&root, Ctx::Root);
    let Some(entries) = root_entries(&root) else {
        if !found.is_empty() || !body.trim().is_empty() {
            return Err(Fail::Keep(
                "the file holds no mapping of sections to format".into(),
            ));
        }
        return Ok(Rendered {
            text: text.to_string(),
            tree,
            comments,
        });
    };
    let lines = Lines::new(body);
    let attach = attach(&root, &found, &lines, base).map_err(Fail::Keep)?;
    let converter = Converter {
        syntax,
        attach: &attach,
        base,
        lines: &lines,
    };
    let doc = Document {
        comments: Vec::new(),
        root: converter.map(entries, Ctx::Root).map_err(Fail::Keep)?,
    };
    let mut out = String::new();
    if bom {
        out.push(BOM);
    }
    let comment = match syntax {
        Syntax::Yaml => export::yaml::comment,
        Syntax::Kdl => export::kdl::comment,
    };
    for line in &attach.header {
        comment(&mut out, 0, line);
    }
    if attach.header_gap && !doc.root.is_empty() {
        out.push('\n');
    }
    match syntax {
        Syntax::Yaml => out.push_str(&export::yaml::render_document(&doc)),
        Syntax::Kdl => out.push_str(&export::kdl::render(&doc)),
    }
    for line in &attach.footer {
        comment(&mut out, 0, line);
    }
    Ok(Rendered {
        text: out,
        tree,
        comments,
    })
}

fn root_entries(root: &Node) -> Option<&[RawEntry]> {
    match &root.value {
        RawValue::Map(entries) => Some(entries),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// The canonical order.

/// Where a mapping is in the config, for its field order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    Root,
    Settings,
    Manage,
    Ignore,
    Limits,
    Users,
    User,
    Password,
    Groups,
    Group,
    AdDomains,
    AdDomain,
    Tenants,
    Tenant,
    Bindings,
    Binding,
    Waivers,
    Waiver,
    Other,
}

/// The documented order of a mapping's keys: the order the reader, the schema and `jcform export`
/// use (`model::lower`); empty: keep the file's order.
fn fields(ctx: Ctx) -> Vec<&'static str> {
    use crate::model::lower as l;
    match ctx {
        Ctx::Root => l::TOP_FIELDS.to_vec(),
        Ctx::Settings => l::SETTINGS_FIELDS.to_vec(),
        Ctx::Manage => l::MANAGE_FIELDS.to_vec(),
        Ctx::Ignore => l::IGNORE_FIELDS.to_vec(),
        Ctx::Limits => l::LIMITS_FIELDS.to_vec(),
        Ctx::User => l::user_fields(),
        Ctx::Password => l::PASSWORD_FIELDS.to_vec(),
        Ctx::Group => l::GROUP_FIELDS.to_vec(),
        Ctx::AdDomain => l::AD_FIELDS.to_vec(),
        Ctx::Tenant => l::M365_FIELDS.to_vec(),
        Ctx::Binding => l::BINDING_FIELDS.to_vec(),
        Ctx::Waiver => l::WAIVER_FIELDS.to_vec(),
        _ => Vec::new(),
    }
}

fn child(ctx: Ctx, key: &str) -> Ctx {
    match (ctx, key) {
        (Ctx::Root, "settings") => Ctx::Settings,
        (Ctx::Root, "users") => Ctx::Users,
        (Ctx::Root, "groups") => Ctx::Groups,
        (Ctx::Root, "ad_domains") => Ctx::AdDomains,
        (Ctx::Root, "m365_tenants") => Ctx::Tenants,
        (Ctx::Root, "bindings") => Ctx::Bindings,
        (Ctx::Root, "waivers") => Ctx::Waivers,
        (Ctx::Settings, "manage") => Ctx::Manage,
        (Ctx::Settings, "ignore") => Ctx::Ignore,
        (Ctx::Settings, "limits") => Ctx::Limits,
        (Ctx::Users, _) => Ctx::User,
        (Ctx::User, "initial_password") => Ctx::Password,
        (Ctx::Groups, _) => Ctx::Group,
        (Ctx::AdDomains, _) => Ctx::AdDomain,
        (Ctx::Tenants, _) => Ctx::Tenant,
        _ => Ctx::Other,
    }
}

/// The context of a list's items.
fn item(ctx: Ctx) -> Ctx {
    match ctx {
        Ctx::Bindings => Ctx::Binding,
        Ctx::Waivers => Ctx::Waiver,
        _ => Ctx::Other,
    }
}

/// Fields that hold a list of names: KDL writes one name as one argument, which reads back as
/// the same single string.
fn names_field(ctx: Ctx, key: &str) -> bool {
    matches!(
        (ctx, key),
        (Ctx::Group, "members") | (Ctx::Binding, "users" | "groups") | (Ctx::Ignore, _)
    )
}

/// Mappings written on one line: small value-like mappings.
fn inline(ctx: Ctx) -> bool {
    matches!(ctx, Ctx::Password | Ctx::Limits | Ctx::Manage)
}

/// `entries` in canonical order: documented keys first, in their order, then the rest in the
/// file's order (a stable sort, so duplicate keys keep their order too).
fn ordered<T>(ctx: Ctx, entries: &[T], key: impl Fn(&T) -> &str) -> Vec<&T> {
    let known = fields(ctx);
    let mut out: Vec<&T> = entries.iter().collect();
    if !known.is_empty() {
        out.sort_by_key(|e| {
            known
                .iter()
                .position(|k| *k == key(e))
                .unwrap_or(known.len())
        });
    }
    out
}

/// The tree without spans, in canonical order: what a file says, for comparing a file with its
/// formatted text.
fn canonical(node: &Node, ctx: Ctx) -> Node {
    let none = Span::new(0, 0, 0);
    let value = match &node.value {
        RawValue::Seq(items) => {
            RawValue::Seq(items.iter().map(|n| canonical(n, item(ctx))).collect())
        }
        RawValue::Map(entries) => RawValue::Map(
            ordered(ctx, entries, |e| &e.key)
                .into_iter()
                .map(|e| RawEntry {
                    key: e.key.clone(),
                    key_span: none,
                    value: canonical(&e.value, child(ctx, &e.key)),
                })
                .collect(),
        ),
        other => other.clone(),
    };
    Node { span: none, value }
}

// ---------------------------------------------------------------------------------------------
// Comments.

/// One comment as the lexer found it.
#[derive(Debug, Clone, PartialEq)]
struct Comment {
    /// Byte offset in the text (after any BOM).
    start: usize,
    /// Its text, a line each, without the markers.
    lines: Vec<String>,
    /// Code comes before it on its line: it belongs to that line's entry.
    trailing: bool,
}

/// A safety net independent of the lexers: the line (1-based) of a comment-like text in `input`
/// (after `#` at a line start or after whitespace in YAML; after `//` or `/*` in KDL, quoting
/// ignored) that `output` does not contain anywhere, as comment or string. A quote the lexer
/// misread could otherwise hide a comment from both sides of the comparison.
fn lost_comment(syntax: Syntax, input: &str, output: &str) -> Option<usize> {
    let found: HashSet<&str> = output
        .lines()
        .flat_map(|line| loose_comments(syntax, line))
        .collect();
    for (n, line) in input.lines().enumerate() {
        for tail in loose_comments(syntax, line) {
            if !found.contains(tail) && !output.contains(tail) {
                return Some(n + 1);
            }
        }
    }
    None
}

/// The comment-like texts of one line for [`lost_comment`], trimmed of quotes and brackets.
fn loose_comments(syntax: Syntax, line: &str) -> Vec<&str> {
    let tails: Vec<&str> = match syntax {
        Syntax::Yaml => line
            .match_indices('#')
            .filter(|(at, _)| *at == 0 || line[..*at].ends_with([' ', '\t']))
            .map(|(at, _)| &line[at + 1..])
            .collect(),
        Syntax::Kdl => line
            .match_indices("//")
            .chain(line.match_indices("/*"))
            .map(|(at, _)| &line[at + 2..])
            .collect(),
    };
    tails
        .into_iter()
        .map(|tail| {
            tail.split("*/")
                .next()
                .unwrap_or(tail)
                .trim()
                .trim_end_matches(['"', '\'', ',', ']', '}', ';'])
                .trim()
        })
        .filter(|tail| !tail.is_empty())
        .collect()
}

/// The text of a line comment after its marker: one space dropped, the end trimmed.
fn comment_text(rest: &str) -> String {
    let rest = rest.trim_end();
    rest.strip_prefix(' ').unwrap_or(rest).to_string()
}

/// The comments of a YAML text, or why it cannot be formatted safely. A lexer over the whole
/// text, independent of the parser's spans: `#` starts a comment at a line start or after
/// whitespace, outside quoted scalars. Anchors, aliases, tags, merge keys, explicit keys,
/// block scalars, directives and document markers are refused: the writer cannot keep them.
fn yaml_comments(text: &str) -> Result<Vec<Comment>, String> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut offset = 0;
    for (n, raw_line) in text.split_inclusive('\n').enumerate() {
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches(['\n', '\r']);
        let lineno = n + 1;
        let refuse = |what: &str| Err(format!("line {lineno}: {what}"));
        if quote.is_none()
            && (line == "---"
                || line.starts_with("--- ")
                || line == "..."
                || line.starts_with("... ")
                || line.starts_with('%'))
        {
            return refuse("a document marker or directive (`---`, `...`, `%`)");
        }
        let chars: Vec<(usize, char)> = line.char_indices().collect();
        let mut token_start = true;
        let mut code_before = false;
        let mut i = 0;
        while i < chars.len() {
            let (at, c) = chars[i];
            let next = chars.get(i + 1).map(|x| x.1);
            if let Some(q) = quote {
                code_before = true;
                if q == '"' && c == '\\' {
                    i += 2;
                    continue;
                }
                if c == q {
                    if q == '\'' && next == Some('\'') {
                        i += 2;
                        continue;
                    }
                    quote = None;
                    token_start = false;
                }
                i += 1;
                continue;
            }
            let after_space = i == 0 || chars[i - 1].1.is_whitespace();
            if c == '#' && after_space {
                out.push(Comment {
                    start: line_start + at,
                    lines: vec![comment_text(&line[at + 1..])],
                    trailing: code_before,
                });
                break;
            }
            i += 1;
            if c.is_whitespace() {
                continue;
            }
            code_before = true;
            let spaced = next.is_none_or(char::is_whitespace);
            if token_start {
                match c {
                    '"' | '\'' => quote = Some(c),
                    '-' if spaced => {}
                    '?' | ':' if spaced => return refuse("an explicit key (`? `)"),
                    '[' | '{' | ',' | ']' | '}' => {}
                    '&' => return refuse("an anchor (`&`)"),
                    '*' => return refuse("an alias (`*`)"),
                    '!' => return refuse("a tag (`!`)"),
                    '|' | '>' => return refuse("a block scalar (`|` or `>`)"),
                    '<' if next == Some('<') => return refuse("a merge key (`<<`)"),
                    _ => token_start = false,
                }
                continue;
            }
            match c {
                ':' if spaced => token_start = true,
                ',' | '[' | '{' | ']' | '}' => token_start = true,
                _ => {}
            }
        }
    }
    Ok(out)
}

/// The comments of a KDL text, or why it cannot be formatted safely: `//` line comments and
/// nestable `/* */` block comments, outside strings (quoted, multi-line and raw). A slashdash
/// (`/-`, which comments out a node or value) is refused: the writer cannot keep it.
fn kdl_comments(text: &str) -> Result<Vec<Comment>, String> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let mut line = 1;
    let mut code = false;
    let find = |from: usize, pat: &[u8]| -> usize {
        b[from.min(b.len())..]
            .windows(pat.len())
            .position(|w| w == pat)
            .map_or(b.len(), |p| from + p + pat.len())
    };
    while i < b.len() {
        let next = b.get(i + 1).copied();
        match b[i] {
            b'\n' => {
                line += 1;
                code = false;
                i += 1;
            }
            b'/' if next == Some(b'/') => {
                let end = find(i, b"\n").min(b.len());
                let body = text[i + 2..end].trim_end_matches(['\n', '\r']);
                out.push(Comment {
                    start: i,
                    lines: vec![comment_text(body)],
                    trailing: code,
                });
                i = end;
                if text[..end].ends_with('\n') {
                    line += 1;
                    code = false;
                }
            }
            b'/' if next == Some(b'*') => {
                let start = i;
                let mut depth = 0usize;
                while i < b.len() {
                    if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                        depth += 1;
                        i += 2;
                    } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                        depth -= 1;
                        i += 2;
                        if depth == 0 {
                            break;
                        }
                    } else {
                        i += 1;
                    }
                }
                let inner = &text[start + 2..i.saturating_sub(2).max(start + 2)];
                let mut lines: Vec<String> = inner.lines().map(|l| l.trim().to_string()).collect();
                while lines.first().is_some_and(|l| l.is_empty()) {
                    lines.remove(0);
                }
                while lines.last().is_some_and(|l| l.is_empty()) {
                    lines.pop();
                }
                out.push(Comment {
                    start,
                    lines,
                    trailing: code,
                });
                line += text[start..i].matches('\n').count();
            }
            b'/' if next == Some(b'-') => {
                return Err(format!(
                    "line {line}: a slashdash comment (`/-`), which hides a node or value"
                ))
            }
            b'"' => {
                let end = if text[i..].starts_with("\"\"\"") {
                    scan_string(b, i + 3, b"\"\"\"")
                } else {
                    scan_string(b, i + 1, b"\"")
                };
                line += text[i..end].matches('\n').count();
                code = true;
                i = end;
            }
            b'#' => {
                let hashes = b[i..].iter().take_while(|c| **c == b'#').count();
                let at = i + hashes;
                code = true;
                if b.get(at) == Some(&b'"') {
                    let quotes = if text[at..].starts_with("\"\"\"") {
                        "\"\"\""
                    } else {
                        "\""
                    };
                    let close = format!("{quotes}{}", "#".repeat(hashes));
                    let end = find(at + quotes.len(), close.as_bytes());
                    line += text[i..end].matches('\n').count();
                    i = end;
                } else {
                    i = at;
                }
            }
            c if c.is_ascii_whitespace() => i += 1,
            _ => {
                code = true;
                i += 1;
            }
        }
    }
    Ok(out)
}

/// The end of a quoted KDL string whose body starts at `from` (escapes skipped).
fn scan_string(b: &[u8], from: usize, close: &[u8]) -> usize {
    let mut i = from;
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
        } else if b[i..].starts_with(close) {
            return i + close.len();
        } else {
            i += 1;
        }
    }
    b.len()
}

/// Line numbers of byte offsets.
struct Lines<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        let starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        Lines { text, starts }
    }

    /// The 0-based line of a byte offset.
    fn of(&self, offset: usize) -> usize {
        self.starts
            .partition_point(|s| *s <= offset)
            .saturating_sub(1)
    }

    /// Whether a blank line is above line `n`, past lines that only open a list item or block
    /// (`- {`: a KDL list item's first entry is on the next line).
    fn blank_above(&self, n: usize) -> bool {
        let mut n = n;
        while n > 0 {
            n -= 1;
            if self.blank(n) {
                return true;
            }
            let start = self.starts[n];
            let end = self.starts.get(n + 1).copied().unwrap_or(self.text.len());
            let opens_only = self.text[start..end]
                .trim()
                .chars()
                .all(|c| matches!(c, '-' | '{' | '[' | ' '));
            if !opens_only {
                return false;
            }
        }
        false
    }

    /// Whether the 0-based line `n` holds only whitespace.
    fn blank(&self, n: usize) -> bool {
        let Some(start) = self.starts.get(n) else {
            return false;
        };
        let end = self.starts.get(n + 1).copied().unwrap_or(self.text.len());
        self.text[*start..end].trim().is_empty()
    }
}

/// Where the comments go: keyed by the byte offset of the entry's key (in the body text).
#[derive(Debug, Default)]
struct Attach {
    leading: HashMap<usize, Vec<String>>,
    notes: HashMap<usize, String>,
    gaps: HashSet<usize>,
    header: Vec<String>,
    /// A blank line between the header and the first entry.
    header_gap: bool,
    footer: Vec<String>,
}

/// A place a comment can stand before: an entry's key, or a list item that has none.
#[derive(Debug, Clone, Copy)]
struct Anchor {
    at: usize,
    key: bool,
}

fn anchors(node: &Node, base: usize, out: &mut Vec<Anchor>) {
    match &node.value {
        RawValue::Map(entries) => {
            for e in entries {
                out.push(Anchor {
                    at: e.key_span.start.saturating_sub(base),
                    key: true,
                });
                anchors(&e.value, base, out);
            }
        }
        RawValue::Seq(items) => {
            for item in items {
                match &item.value {
                    RawValue::Map(entries) if !entries.is_empty() => anchors(item, base, out),
                    _ => {
                        out.push(Anchor {
                            at: item.span.start.saturating_sub(base),
                            key: false,
                        });
                        anchors(item, base, out);
                    }
                }
            }
        }
        _ => {}
    }
}

fn attach(root: &Node, comments: &[Comment], lines: &Lines, base: usize) -> Result<Attach, String> {
    let mut marks = Vec::new();
    anchors(root, base, &mut marks);
    marks.sort_by_key(|a| a.at);
    let mut out = Attach::default();
    let mut first_line: HashMap<usize, usize> = HashMap::new();
    let first_key = marks.first().map(|a| a.at);
    // The top comments above the last blank line before the first entry are the file's header.
    let header_end = first_key.map(|at| {
        let key_line = lines.of(at);
        (0..key_line).rev().find(|n| lines.blank(*n)).unwrap_or(0)
    });
    for (n, c) in comments.iter().enumerate() {
        let line = lines.of(c.start);
        let where_ = line + 1;
        if c.trailing {
            // The line's entry: the first key on it (`initial_password: {file: x}  # c` is a
            // comment on `initial_password`, not on `file`).
            let line_start = lines.starts[line];
            let owner = marks
                .get(marks.partition_point(|a| a.at < line_start))
                .filter(|a| a.at < c.start);
            let Some(owner) = owner.filter(|a| a.key) else {
                return Err(format!(
                    "line {where_}: a comment at the end of a line that starts no entry"
                ));
            };
            if c.lines.len() != 1 || out.notes.contains_key(&owner.at) {
                return Err(format!(
                    "line {where_}: more than one comment at the end of an entry's line"
                ));
            }
            out.notes.insert(owner.at, c.lines[0].clone());
            continue;
        }
        let header = first_key.is_some_and(|k| c.start < k)
            && (header_end.is_some_and(|end| line < end)
                || (n == 0
                    && line == 0
                    && c.lines
                        .first()
                        .is_some_and(|l| l.starts_with("yaml-language-server:"))));
        if header {
            out.header_gap = header_end.is_some_and(|end| line < end);
            out.header.extend(c.lines.iter().cloned());
            continue;
        }
        match marks.get(marks.partition_point(|a| a.at <= c.start)) {
            None => out.footer.extend(c.lines.iter().cloned()),
            Some(a) if !a.key => {
                return Err(format!(
                    "line {where_}: a comment inside a list of names (the formatter writes the \
                     list on one line)"
                ))
            }
            Some(a) => {
                first_line.entry(a.at).or_insert(line);
                out.leading
                    .entry(a.at)
                    .or_default()
                    .extend(c.lines.iter().cloned());
            }
        }
    }
    for a in marks.iter().filter(|a| a.key) {
        let top = first_line
            .get(&a.at)
            .copied()
            .unwrap_or_else(|| lines.of(a.at));
        if lines.blank_above(top) {
            out.gaps.insert(a.at);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The raw tree as an export document.

struct Converter<'a> {
    syntax: Syntax,
    attach: &'a Attach,
    base: usize,
    lines: &'a Lines<'a>,
}

impl Converter<'_> {
    fn line(&self, node: &Node) -> usize {
        self.lines.of(node.span.start.saturating_sub(self.base)) + 1
    }

    /// The integer `i` at `node` as written, when that is not its decimal form (`007`).
    fn respelled(&self, node: &Node, i: i64) -> Option<&str> {
        let (start, end) = (node.span.start, node.span.end);
        let written = self
            .lines
            .text
            .get(start.checked_sub(self.base)?..end.checked_sub(self.base)?)?;
        crate::config::raw::written_integer(written, i).filter(|w| *w != i.to_string())
    }

    fn map(&self, entries: &[RawEntry], ctx: Ctx) -> Result<Map, String> {
        let mut map = Map::default();
        for e in ordered(ctx, entries, |e| &e.key) {
            let inner = child(ctx, &e.key);
            let mut value = self.value(&e.value, inner)?;
            if self.syntax == Syntax::Kdl && names_field(ctx, &e.key) {
                if let Value::Str(s) = value {
                    value = Value::Names(vec![s]);
                }
            }
            let at = e.key_span.start.saturating_sub(self.base);
            let entry = map.push(e.key.clone(), value);
            entry.comments = self.attach.leading.get(&at).cloned().unwrap_or_default();
            entry.note = self.attach.notes.get(&at).cloned();
            entry.gap = self.attach.gaps.contains(&at);
        }
        Ok(map)
    }

    fn value(&self, node: &Node, ctx: Ctx) -> Result<Value, String> {
        Ok(match &node.value {
            RawValue::Null => Value::Null,
            RawValue::Bool(b) => Value::Bool(*b),
            // A number is written back in decimal: one written otherwise (`007`) would change
            // where text is expected (lowering keeps `007` as written), so the file is left.
            RawValue::Int(i) if self.respelled(node, *i).is_some() => {
                let written = self.respelled(node, *i).unwrap_or_default();
                return Err(format!(
                    "line {}: the number `{written}` would be written `{i}`; quote it \
                     (\"{written}\") to keep it as text, or write `{i}`",
                    self.line(node)
                ));
            }
            RawValue::Int(i) if *i >= 0 => Value::Int(*i as u64),
            RawValue::Int(_) | RawValue::Float(_) => {
                return Err(format!(
                    "line {}: a negative or fractional number",
                    self.line(node)
                ))
            }
            RawValue::Str(s) => Value::Str(s.clone()),
            RawValue::Seq(items) => {
                if items.iter().all(|n| matches!(n.value, RawValue::Str(_))) {
                    Value::Names(
                        items
                            .iter()
                            .filter_map(|n| match &n.value {
                                RawValue::Str(s) => Some(s.clone()),
                                _ => None,
                            })
                            .collect(),
                    )
                } else if items.iter().all(|n| matches!(n.value, RawValue::Map(_))) {
                    let mut out = Vec::new();
                    for n in items {
                        if let RawValue::Map(entries) = &n.value {
                            out.push(self.map(entries, item(ctx))?);
                        }
                    }
                    if out.iter().any(Map::is_empty) {
                        return Err(format!("line {}: an empty list item", self.line(node)));
                    }
                    Value::Items(out)
                } else {
                    return Err(format!(
                        "line {}: a list of other values than names or mappings",
                        self.line(node)
                    ));
                }
            }
            RawValue::Map(entries) => {
                let map = self.map(entries, ctx)?;
                let one_line = inline(ctx)
                    && !map.is_empty()
                    && map
                        .0
                        .iter()
                        .all(|e| e.value.is_scalar() && e.comments.is_empty() && e.note.is_none());
                if one_line {
                    Value::Inline(map)
                } else {
                    Value::Map(map)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(name: &str, text: &str) -> Outcome {
        format(Path::new(name), text.as_bytes().to_vec())
    }

    fn changed(name: &str, text: &str) -> String {
        match fmt(name, text) {
            Outcome::Changed(out) => out,
            Outcome::Unchanged => text.to_string(),
            other => panic!("{other:?}"),
        }
    }

    /// A number written other than in decimal would change meaning where text is expected
    /// (`007` is kept as written there): the file is left, with the reason. Decimal is fine.
    #[test]
    fn numbers_are_never_respelled() {
        for (name, text) in [
            ("a.yaml", "version: 1\nusers:\n  a:\n    employee_id: 007\n"),
            ("a.kdl", "version 1\nusers {\n    a employee_id=+12\n}\n"),
        ] {
            match fmt(name, text) {
                Outcome::Kept(why) => assert!(why.contains("would be written"), "{why}"),
                other => panic!("{name}: {other:?}"),
            }
        }
        let decimal = "version: 1\nusers:\n  a:\n    employee_id: 12\n";
        assert_eq!(changed("a.yaml", decimal), decimal);
    }

    #[test]
    fn yaml_orders_keys_quotes_and_keeps_comments() {
        let text = "\
# yaml-language-server: $schema=x.json
users:
  # the lead
  bob:   # trailing
    department: 'Eng'
    email: bob@example.com
    employee_id: '007'
    custom: x

  ana:
    email: ana@example.com
    initial_password:
      env: ANA_PW
version: 1
# the end
";
        let out = changed("a.yaml", text);
        assert_eq!(
            out,
            "\
# yaml-language-server: $schema=x.json
version: 1
users:
  # the lead
  bob:  # trailing
    email: bob@example.com
    department: Eng
    employee_id: \"007\"
    custom: x

  ana:
    email: ana@example.com
    initial_password: {env: ANA_PW}
# the end
"
        );
        assert!(matches!(fmt("a.yaml", &out), Outcome::Unchanged));
    }

    #[test]
    fn kdl_orders_keys_and_keeps_comments() {
        let text = "\
users {
    // the lead
    bob {
        department Eng /* why */
        email \"bob@example.com\"
    }
}
version 1
groups {
    eng {
        members bob
    }
}
bindings {
    - ad_domain=corp { users bob; groups eng }
}
";
        let out = changed("a.kdl", text);
        assert_eq!(
            out,
            "\
version 1
users {
    // the lead
    bob {
        email bob@example.com
        department Eng // why
    }
}
groups {
    eng {
        members bob
    }
}
bindings {
    - ad_domain=corp {
        users bob
        groups eng
    }
}
"
        );
        assert!(matches!(fmt("a.kdl", &out), Outcome::Unchanged));
    }

    #[test]
    fn kdl_list_items_keep_their_comments_and_gaps() {
        let text = "\
bindings {
    // corp staff
    - ad_domain=corp { users bob; groups eng } // trailing

    - m365_tenant=contoso /* c */ {
        groups eng
    }
}
";
        let out = changed("a.kdl", text);
        assert_eq!(
            out,
            "\
bindings {
    // corp staff
    - ad_domain=corp { // trailing
        users bob
        groups eng
    }

    - m365_tenant=contoso { // c
        groups eng
    }
}
"
        );
        assert!(matches!(fmt("a.kdl", &out), Outcome::Unchanged));
    }

    #[test]
    fn unsafe_constructs_are_left_alone() {
        for text in [
            "users:\n  a: &x\n    email: a@x.com\n  b:\n    <<: *x\n    email: b@x.com\n",
            "---\nversion: 1\n---\nversion: 1\n",
            "users:\n  a:\n    description: |\n      two\n      lines\n",
            "groups:\n  g:\n    members:\n      # lead\n      - a\n      - b\n",
            "version: !!int 1\n",
        ] {
            assert!(
                matches!(fmt("a.yaml", text), Outcome::Kept(_)),
                "{text}: {:?}",
                fmt("a.yaml", text)
            );
        }
        assert!(matches!(
            fmt("a.kdl", "version 1\n/-users { a { email x } }\n"),
            Outcome::Kept(_)
        ));
    }

    #[test]
    fn a_file_that_does_not_parse_is_invalid() {
        assert!(matches!(fmt("a.yaml", "users: [a\n"), Outcome::Invalid(_)));
        assert!(matches!(fmt("a.kdl", "users {\n"), Outcome::Invalid(_)));
    }

    #[test]
    fn a_comment_missing_from_the_output_is_caught() {
        assert_eq!(
            lost_comment(Syntax::Yaml, "a: x # keep\n", "a: x  # keep\n"),
            None
        );
        assert_eq!(
            lost_comment(Syntax::Yaml, "a: 'x # y'\n", "a: \"x # y\"\n"),
            None
        );
        assert_eq!(
            lost_comment(Syntax::Yaml, "a: 1\nb: x # gone\n", "a: 1\nb: x\n"),
            Some(2)
        );
        assert_eq!(
            lost_comment(Syntax::Kdl, "a 1 /* gone */\n", "a 1\n"),
            Some(1)
        );
    }

    #[test]
    fn comment_lexers_skip_strings() {
        let c = yaml_comments("a: \"x # y\" # z\nb: 'it''s # no' # w\nc: O'Brien # v\n").unwrap();
        let texts: Vec<&str> = c.iter().map(|c| c.lines[0].as_str()).collect();
        assert_eq!(texts, ["z", "w", "v"]);
        assert!(c.iter().all(|c| c.trailing));
        let c = kdl_comments("a \"x // y\" // z\nb #\"/* no */\"# /* w */\n").unwrap();
        let texts: Vec<&str> = c.iter().map(|c| c.lines[0].as_str()).collect();
        assert_eq!(texts, ["z", "w"]);
    }
}
