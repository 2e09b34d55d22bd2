//! `jcform export`: the live org as config files, so an existing org can be adopted.
//!
//! One direction, in small steps that each do one job:
//! - `build`: `LiveState` -> one [`Document`] per kind (keys, filters, what to leave out);
//! - `yaml` / `kdl`: a [`Document`] -> text. Both draw from the same document, so the two formats
//!   always say the same thing; each only knows its own quoting and layout;
//! - `files`: the output directory (refuse to clobber, atomic writes, the schema modeline).
//!
//! The goal that decides every choice here: `plan` of the exported files against the same org is
//! empty, and `validate` accepts them. So only what is set (and not the API's default) is written,
//! every reference points at something written, and settings are `additive` everywhere.

pub mod build;
pub mod files;
pub mod kdl;
pub mod keys;
pub mod yaml;

use std::collections::BTreeSet;
use std::fmt;

pub use build::{build, Export, ExportFile, Filter, Stats};
pub use files::{write, Written};

/// The output format (`--format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    #[default]
    Yaml,
    Kdl,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Kdl => "kdl",
        }
    }
}

/// What can be exported (`--kinds`). Settings are always written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, clap::ValueEnum)]
#[value(rename_all = "snake_case")]
pub enum Kind {
    Users,
    Groups,
    AdDomains,
    M365Tenants,
    SsoApps,
    Bindings,
}

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Users,
        Kind::Groups,
        Kind::AdDomains,
        Kind::M365Tenants,
        Kind::SsoApps,
        Kind::Bindings,
    ];

    /// The config section and the file stem.
    pub fn section(self) -> &'static str {
        match self {
            Kind::Users => "users",
            Kind::Groups => "groups",
            Kind::AdDomains => "ad_domains",
            Kind::M365Tenants => "m365_tenants",
            Kind::SsoApps => "sso_apps",
            Kind::Bindings => "bindings",
        }
    }

    pub fn all() -> BTreeSet<Kind> {
        Kind::ALL.into_iter().collect()
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.section())
    }
}

/// One config file, format-neutral: comments for the top of the file, then a mapping.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Document {
    /// Lines for the top of the file (without the comment marker).
    pub comments: Vec<String>,
    pub root: Map,
}

/// A mapping in written order (callers sort it; emitters never reorder).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Map(pub Vec<Entry>);

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub key: String,
    pub value: Value,
    /// Comment lines above the entry.
    pub comments: Vec<String>,
    /// A comment at the end of the entry's line.
    pub note: Option<String>,
    /// A blank line above the entry (and its comments), unless it is the first of its mapping:
    /// `jcform fmt` keeps one where the file had any. Export never sets it.
    pub gap: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Bool(bool),
    Int(u64),
    /// A list of names (members, bound users and groups).
    Names(Vec<String>),
    Map(Map),
    /// A list of mappings (`bindings` entries).
    Items(Vec<Map>),
    /// An explicit null (`null` in YAML, `#null` in KDL): a cleared field (`jcform fmt`).
    Null,
    /// A small mapping of scalars written on the key's line: YAML flow style `{k: v}`, KDL
    /// properties `k=v` (`jcform fmt`: `initial_password`, `settings.limits`).
    Inline(Map),
}

impl Value {
    pub fn is_scalar(&self) -> bool {
        matches!(
            self,
            Value::Str(_) | Value::Bool(_) | Value::Int(_) | Value::Null
        )
    }
}

impl Map {
    pub fn push(&mut self, key: impl Into<String>, value: Value) -> &mut Entry {
        self.0.push(Entry {
            key: key.into(),
            value,
            comments: Vec::new(),
            note: None,
            gap: false,
        });
        let last = self.0.len() - 1;
        &mut self.0[last]
    }

    pub fn str(&mut self, key: &str, value: impl Into<String>) -> &mut Entry {
        self.push(key, Value::Str(value.into()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Entry {
    pub fn note(&mut self, note: impl Into<String>) -> &mut Self {
        self.note = Some(note.into());
        self
    }

    pub fn comment(&mut self, line: impl Into<String>) -> &mut Self {
        self.comments.push(line.into());
        self
    }
}

/// Comment text from org data (a dynamic group's rule, a name) must stay on one line in both
/// formats: KDL also ends a line at U+0085, U+2028, U+2029, VT and FF, so those are escaped too.
pub fn one_line(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{feff}') {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Characters that are legal but invisible or reorder text (bidi controls, BOM, C0/C1 controls):
/// always escaped inside quoted strings so a file never hides what it says.
pub(crate) fn must_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{feff}'
        )
}
