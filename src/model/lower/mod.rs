//! Raw trees -> `Model`. Every check that needs no org happens here, and every error is
//! collected (never stop at the first): wrong types, unknown fields with a suggestion, bad enum
//! values with the allowed list, missing required fields, duplicate keys within and across files
//! (pointing at both; user and group names also when they differ only in letter case, as
//! JumpCloud compares them), two users with one email (`email_key`: case-insensitive, Unicode
//! and punycode domains alike) or one employee id, AD domains naming one domain (`domain_key`),
//! values longer than the API accepts (`model::limits`), references to undeclared objects,
//! malformed emails and tenant ids.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::hash::BuildHasher;

// Seeded per process like std's, faster on the 100,000 names and emails of a large config.
use foldhash::HashMap;

use crate::config::{Entry, Node, RawFile, Value};
use crate::diag::Diagnostic;
use crate::source::{Sources, Span};

mod bindings;
mod directories;
mod groups;
mod settings;
mod sso_apps;
mod users;
mod waivers;

use super::limits;
use super::{
    domain_key, email_key_cow, normalize_ad_domain, AdDomain, Address, Binding, DelegatedAuthority,
    Delegation, Directory, Federation, Group, Limits, M365Action, M365Tenant, Manage, ManageMode,
    Model, PasswordAuthorityDecl, SecretSource, Settings, SsoApp, Subject, UseCase, User,
    UserAttrs, UserState, Waiver, USER_TEXT_FIELDS,
};

/// Where each declared object and edge is written, for diagnostics about the model (lint
/// findings, SARIF locations, plan errors). Read with [`Origins::get`] and [`Origins::field`].
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// Objects and bindings other than users, by address: where each is written and where
    /// some of its fields are.
    places: HashMap<Address, Place>,
    /// Users by name, sorted (by [`Origins::settle`], at the end of lowering), each once. A list
    /// rather than a hash map: a large config has a hundred thousand users, recorded in file
    /// order, which is sorted when `jcform export` wrote the file; only diagnostics look here.
    users: Vec<(String, Place)>,
    /// Memberships by group: the members and where each is listed, sorted by member (by
    /// `settle`), each once. Nested, so that a group's name is stored once rather than once per
    /// member; lists, because a large org has hundreds of thousands of memberships, written
    /// in sorted lists.
    memberships: HashMap<String, Vec<(String, Span)>>,
}

/// Where one object is written.
#[derive(Debug, Clone, Default)]
struct Place {
    /// Its key.
    at: Option<Span>,
    /// Fields whose place diagnostics name (`initial_password`, `members`, `email`): a handful
    /// per object, so a list.
    fields: Vec<(&'static str, Span)>,
}

impl Place {
    /// Adds what `later` records that this place does not: the first place recorded stays.
    fn merge(&mut self, later: Place) {
        self.at = self.at.or(later.at);
        if self.fields.is_empty() {
            self.fields = later.fields;
            return;
        }
        for (field, span) in later.fields {
            if !self.fields.iter().any(|(f, _)| *f == field) {
                self.fields.push((field, span));
            }
        }
    }
}

/// Sorts `list` by name, stably, and keeps each name's first record, merging the later ones
/// into it with `merge`. A list already sorted without repeats (the usual case) is left as it
/// is after one pass.
fn settle_by_name<T>(list: &mut Vec<(String, T)>, merge: impl Fn(&mut T, T)) {
    if list.windows(2).all(|w| w[0].0 < w[1].0) {
        return;
    }
    list.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out: Vec<(String, T)> = Vec::with_capacity(list.len());
    for (name, value) in list.drain(..) {
        match out.last_mut() {
            Some((last, first)) if *last == name => merge(first, value),
            _ => out.push((name, value)),
        }
    }
    *list = out;
}

impl Origins {
    pub fn get(&self, address: &Address) -> Option<Span> {
        match address {
            Address::Membership(group, user) => {
                let members = self.memberships.get(group.as_str())?;
                let i = members
                    .binary_search_by(|(m, _)| m.as_str().cmp(user))
                    .ok()?;
                Some(members[i].1)
            }
            _ => self.place(address)?.at,
        }
    }

    /// The span of field `field` of the object at `address`, when the files write it.
    pub fn field(&self, address: &Address, field: &str) -> Option<Span> {
        let place = self.place(address)?;
        place
            .fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, s)| *s)
    }

    /// The place of the object at `address` (not a membership).
    fn place(&self, address: &Address) -> Option<&Place> {
        match address {
            Address::User(name) => {
                let i = self
                    .users
                    .binary_search_by(|(u, _)| u.as_str().cmp(name))
                    .ok()?;
                Some(&self.users[i].1)
            }
            _ => self.places.get(address),
        }
    }

    /// Records where the object or edge at `address` is written; the first place recorded stays
    /// (a binding listed twice points at its first listing).
    fn insert(&mut self, address: Address, span: Span) {
        match address {
            Address::Membership(group, user) => {
                self.memberships
                    .entry(group)
                    .or_default()
                    .push((user, span));
            }
            _ => self.insert_object(address, span, Vec::new()),
        }
    }

    /// Records where the object at `address` and some of its fields are written, at once (one
    /// address for them all).
    fn insert_object(&mut self, address: Address, at: Span, fields: Vec<(&'static str, Span)>) {
        let later = Place {
            at: Some(at),
            fields,
        };
        match address {
            Address::User(name) => self.users.push((name, later)),
            _ => self.places.entry(address).or_default().merge(later),
        }
    }

    /// Records where field `field` of the object at `address` is written.
    fn insert_field(&mut self, address: Address, field: &'static str, span: Span) {
        let later = Place {
            at: None,
            fields: vec![(field, span)],
        };
        match address {
            Address::User(name) => self.users.push((name, later)),
            _ => self.places.entry(address).or_default().merge(later),
        }
    }

    /// Records where each of `listed` is listed among `group`'s members, without building an
    /// address (the group's entry is found once for them all).
    fn insert_members(&mut self, group: &str, listed: &[(Cow<str>, Span)]) {
        let members = match self.memberships.get_mut(group) {
            Some(members) => members,
            None => self.memberships.entry(group.to_string()).or_default(),
        };
        members.reserve(listed.len());
        members.extend(listed.iter().map(|(user, span)| (user.to_string(), *span)));
    }

    /// Sorts the users and each group's members for lookup, keeping the first place recorded
    /// for each. Called once every file is lowered.
    fn settle(&mut self) {
        settle_by_name(&mut self.users, Place::merge);
        for members in self.memberships.values_mut() {
            settle_by_name(members, |_, _| {});
        }
    }
}

pub const TOP_FIELDS: &[&str] = &[
    "version",
    "settings",
    "users",
    "groups",
    "ad_domains",
    "m365_tenants",
    "sso_apps",
    "bindings",
    "waivers",
];
pub const SETTINGS_FIELDS: &[&str] = &["manage", "ignore", "limits", "profile"];
pub const MANAGE_FIELDS: &[&str] = &[
    "users",
    "groups",
    "ad_domains",
    "memberships",
    "bindings",
    "sso_apps",
];
pub const IGNORE_FIELDS: &[&str] = &["users", "groups"];
pub const LIMITS_FIELDS: &[&str] = &["max_deletes", "max_unbinds"];
pub const USER_OTHER_FIELDS: &[&str] = &[
    "state",
    "initial_password",
    "delegated_authority",
    "password_authority",
    "password_never_expires",
];
pub const PASSWORD_FIELDS: &[&str] = &["env", "file"];
pub const GROUP_FIELDS: &[&str] = &["description", "members"];
pub const AD_FIELDS: &[&str] = &["domain", "use_case", "delegation", "groups_enabled"];
pub const M365_FIELDS: &[&str] = &[
    "id",
    "name",
    "groups_enabled",
    "default_domain",
    "user_lockout_action",
    "user_password_expiration_action",
    "federation",
];
/// `federation: {domain, sso_app}` of an M365 tenant.
pub const FEDERATION_FIELDS: &[&str] = &["domain", "sso_app"];
/// An `sso_apps` entry (see `model::SsoApp` for the API fields).
pub const SSO_APP_FIELDS: &[&str] = &[
    "template",
    "display_label",
    "tenant",
    "domain",
    "sp_entity_id",
    "acs_url",
    "sso_url",
    "groups",
];
pub const BINDING_FIELDS: &[&str] = &["ad_domain", "m365_tenant", "users", "groups"];
pub const WAIVER_FIELDS: &[&str] = &["rule", "target", "reason"];

/// All user fields, in the order the schema and exporter list them.
pub fn user_fields() -> Vec<&'static str> {
    USER_FIELDS.to_vec()
}

/// [`user_fields`] as a constant: the text fields first (so the text field `USER_TEXT_FIELDS[i]`
/// is `USER_FIELDS[i]`), then the others. Lowering finds a user's fields by their place here.
const USER_FIELDS: [&str; USER_TEXT_FIELDS.len() + USER_OTHER_FIELDS.len()] = {
    let mut out = [""; USER_TEXT_FIELDS.len() + USER_OTHER_FIELDS.len()];
    let mut i = 0;
    while i < USER_TEXT_FIELDS.len() {
        out[i] = USER_TEXT_FIELDS[i].0;
        i += 1;
    }
    let mut j = 0;
    while j < USER_OTHER_FIELDS.len() {
        out[i + j] = USER_OTHER_FIELDS[j];
        j += 1;
    }
    out
};

/// The place of `name` in `fields`, at compile time (a name missing from the list does not
/// compile).
const fn field_index(fields: &[&str], name: &str) -> usize {
    let mut i = 0;
    while i < fields.len() {
        let (a, b) = (fields[i].as_bytes(), name.as_bytes());
        if a.len() == b.len() {
            let mut k = 0;
            while k < a.len() && a[k] == b[k] {
                k += 1;
            }
            if k == a.len() {
                return i;
            }
        }
        i += 1;
    }
    panic!("no such field")
}

/// The most fields any mapping allows (the user's), so that [`Fields`] needs no allocation.
const MAX_FIELDS: usize = USER_FIELDS.len();

/// The known fields of one mapping, by their place in its list of allowed fields (see
/// [`Lowerer::fields`]). Kept on the stack: a large config has a hundred thousand users.
struct Fields<'n> {
    allowed: &'n [&'n str],
    found: [Option<&'n Entry>; MAX_FIELDS],
}

impl<'n> Fields<'n> {
    /// The entry of field `name`, if written.
    fn get(&self, name: &str) -> Option<&'n Entry> {
        let i = self.allowed.iter().position(|f| *f == name)?;
        self.found[i]
    }

    /// The entry of the field at place `i` of the allowed list, if written.
    fn at(&self, i: usize) -> Option<&'n Entry> {
        self.found[i]
    }

    /// The written fields in the order of their names.
    fn sorted(&self) -> Vec<(&'n str, &'n Entry)> {
        let mut out: Vec<(&'n str, &'n Entry)> = self
            .allowed
            .iter()
            .zip(self.found)
            .filter_map(|(name, e)| Some((*name, e?)))
            .collect();
        out.sort_unstable_by_key(|(name, _)| *name);
        out
    }
}

/// "user `alice`": the object a message is about, written out only when a message is.
#[derive(Clone, Copy)]
struct Named<'n> {
    noun: &'static str,
    name: &'n str,
}

impl std::fmt::Display for Named<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} `{}`", self.noun, self.name)
    }
}

/// References from one place to objects of one kind, to check once every file is read: a
/// group's members, a binding's users, or a single name. One record per list, not per name: a
/// large org has hundreds of thousands of members.
struct Reference<'a> {
    kind: RefKind,
    /// Who refers, for the message: "group `eng` (members)".
    from: String,
    /// The names referred to and where each is written. Borrowed from the raw tree when
    /// written as strings (a member list's names).
    names: Vec<(Cow<'a, str>, Span)>,
}

/// The kinds of declared object, also the index of their section in `Lowerer::declared`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RefKind {
    User,
    Group,
    AdDomain,
    M365Tenant,
    SsoApp,
}

impl RefKind {
    fn section(self) -> &'static str {
        match self {
            RefKind::User => "users",
            RefKind::Group => "groups",
            RefKind::AdDomain => "ad_domains",
            RefKind::M365Tenant => "m365_tenants",
            RefKind::SsoApp => "sso_apps",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            RefKind::User => "user",
            RefKind::Group => "group",
            RefKind::AdDomain => "AD domain",
            RefKind::M365Tenant => "M365 tenant",
            RefKind::SsoApp => "SSO app",
        }
    }
}

/// The declarations of one section, keyed by [`folded`] name: for each, the name as first
/// written and its place. Compact, so that the reference checks (a large org's hundreds of
/// thousands of members, each looked up among a hundred thousand users) stay in cache: the
/// folded names one after another in one string, a hash table of their indices, and whether
/// each first spelling is its own fold (then a reference spelled as the fold needs no look at
/// the spelling), apart from the first spellings and places, which only errors read.
#[derive(Default)]
struct Declarations<'a> {
    /// The folded names, one after another; the `i`th ends at `ends[i]`.
    folded: String,
    ends: Vec<usize>,
    /// Indices of declarations, by the hash of their folded name.
    table: hashbrown::HashTable<usize>,
    /// By index: the name as first written and its place.
    firsts: Vec<(&'a str, Span)>,
    /// By index: whether the name as first written is its own fold.
    own_fold: Vec<bool>,
    hasher: foldhash::fast::RandomState,
}

impl<'a> Declarations<'a> {
    fn reserve(&mut self, more: usize) {
        self.ends.reserve(more);
        self.firsts.reserve(more);
        self.own_fold.reserve(more);
        let (folded, ends, hasher) = (&self.folded, &self.ends, &self.hasher);
        self.table
            .reserve(more, |&i| hasher.hash_one(Self::name(folded, ends, i)));
    }

    /// The `i`th folded name.
    fn name<'s>(folded: &'s str, ends: &[usize], i: usize) -> &'s str {
        let start = if i == 0 { 0 } else { ends[i - 1] };
        &folded[start..ends[i]]
    }

    /// The index of the declaration of `folded_name`, if any.
    fn find(&self, folded_name: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(folded_name);
        self.table
            .find(hash, |&i| {
                Self::name(&self.folded, &self.ends, i) == folded_name
            })
            .copied()
    }

    /// The first declaration of `folded_name` (as written, its place); or records `name` at
    /// `span` as it and gives `None`.
    fn first_or_declare(
        &mut self,
        folded_name: &str,
        name: &'a str,
        span: Span,
    ) -> Option<(&'a str, Span)> {
        let hash = self.hasher.hash_one(folded_name);
        let (folded, ends, hasher) = (&mut self.folded, &mut self.ends, &self.hasher);
        match self.table.entry(
            hash,
            |&i| Self::name(folded, ends, i) == folded_name,
            |&i| hasher.hash_one(Self::name(folded, ends, i)),
        ) {
            hashbrown::hash_table::Entry::Occupied(slot) => Some(self.firsts[*slot.get()]),
            hashbrown::hash_table::Entry::Vacant(slot) => {
                slot.insert(ends.len());
                folded.push_str(folded_name);
                ends.push(folded.len());
                self.firsts.push((name, span));
                self.own_fold.push(name == folded_name);
                None
            }
        }
    }

    /// Whether `name`, whose fold is `folded_name`, is the first spelling of a declaration.
    fn is_first(&self, folded_name: &str, name: &str) -> bool {
        self.find(folded_name).is_some_and(|i| {
            // A first spelling that is its own fold equals a name that is its own fold.
            (self.own_fold[i] && name == folded_name) || self.firsts[i].0 == name
        })
    }
}

/// The state of one lowering. Names are borrowed from the raw trees (`'a`) wherever only
/// compared, so that a large config's names are copied once, into the model.
#[derive(Default)]
struct Lowerer<'a> {
    model: Model,
    origins: Origins,
    diags: Vec<Diagnostic>,
    /// First place each key of each section was declared (for duplicates across files, and to
    /// check references: a name declared twice still exists), by section (`RefKind as usize`),
    /// keyed by [`folded`] name: users and groups by lower-case name, since JumpCloud compares
    /// those names case-insensitively (`Alice` and `alice` are one account), the others as
    /// written. Value: the name as first written and its place. One map for both checks, so
    /// that a hundred thousand users are hashed once.
    declared: [Declarations<'a>; 5],
    /// Users, then groups, refused for differing only in letter case from a declared one: as
    /// written, with their place. Declared too (a reference to one is not reported again).
    case_twins: [HashMap<&'a str, Span>; 2],
    /// Users by `email_key` of their email (borrowed when the email is its own key): (user,
    /// email as written, place).
    emails: HashMap<Cow<'a, str>, (&'a str, &'a str, Span)>,
    /// The users lowered so far, in file order; made into `model.users` at the end, at once
    /// (files written in order, as `jcform export` writes them, then need no search per user).
    users: Vec<(String, User)>,
    /// Users by employee id: (user, place).
    employee_ids: HashMap<String, (String, Span)>,
    settings_at: Option<Span>,
    ad_by_domain: HashMap<String, (String, Span)>,
    tenant_by_id: HashMap<String, (String, Span)>,
    references: Vec<Reference<'a>>,
    waiver_targets: Vec<(String, Span)>,
    /// The directory of the file being read.
    dir: std::path::PathBuf,
    /// The files' text, for numbers written where text is expected (`written_number`).
    sources: Option<&'a Sources>,
}

/// Validates and merges the files into one model. The model is only meaningful when the returned
/// diagnostics hold no errors.
pub fn lower<'a>(files: &'a [RawFile], sources: &'a Sources) -> (Model, Origins, Vec<Diagnostic>) {
    let mut cx = Lowerer {
        sources: Some(sources),
        ..Lowerer::default()
    };
    for file in files {
        cx.dir = file.dir.clone();
        cx.file(&file.root);
    }
    // Each user is declared once (`declare`), so no key repeats.
    cx.model.users = std::mem::take(&mut cx.users).into_iter().collect();
    cx.check_references();
    cx.check_federations();
    cx.origins.settle();
    (cx.model, cx.origins, cx.diags)
}

/// The key `kind`'s declarations are compared by: users' and groups' names in lower case
/// (borrowed when already so, as most are), other keys as written.
fn folded(kind: RefKind, name: &str) -> Cow<'_, str> {
    let folds = matches!(kind, RefKind::User | RefKind::Group);
    if !folds || (name.is_ascii() && !name.bytes().any(|b| b.is_ascii_uppercase())) {
        Cow::Borrowed(name)
    } else {
        Cow::Owned(name.to_lowercase())
    }
}

/// "did you mean `x`?" for the closest candidate, if any is close enough.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let mut best: Option<(&str, usize)> = None;
    for c in candidates {
        let d = strsim::levenshtein(&word.to_lowercase(), &c.to_lowercase());
        if d <= (word.chars().count().max(3) / 3).max(2) && best.is_none_or(|(_, bd)| d < bd) {
            best = Some((c, d));
        }
    }
    best.map(|(c, _)| c)
}

fn one_of(allowed: &[&str]) -> String {
    allowed.join(" | ")
}

impl<'a> Lowerer<'a> {
    fn error(
        &mut self,
        code: &'static str,
        message: String,
        span: Span,
        label: &str,
        help: String,
    ) {
        self.diags.push(
            Diagnostic::error(code, message)
                .with_label(span, label)
                .with_help(help),
        );
    }

    fn wrong_type(&mut self, node: &Node, expected: &str, what: &str) {
        self.error(
            "wrong-type",
            format!("{what} must be {expected}, found {}", node.value.kind()),
            node.span,
            &format!("expected {expected}"),
            format!("write {what} as {expected}"),
        );
    }

    /// The entries of a mapping node, after reporting unknown and duplicate fields. `None` if
    /// the node is not a mapping (reported). Null counts as an empty mapping.
    fn fields<'n>(
        &mut self,
        node: &'n Node,
        allowed: &'n [&'n str],
        what: impl std::fmt::Display,
    ) -> Option<Fields<'n>> {
        let entries: &[Entry] = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => &[],
            _ => {
                self.wrong_type(node, "a mapping", &what.to_string());
                return None;
            }
        };
        assert!(
            allowed.len() <= MAX_FIELDS,
            "MAX_FIELDS is the longest list"
        );
        let mut out = Fields {
            allowed,
            found: [None; MAX_FIELDS],
        };
        for entry in entries {
            let Some(i) = allowed.iter().position(|f| *f == entry.key) else {
                let help = match suggest(&entry.key, allowed.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`?"),
                    None => format!("allowed fields: {}", allowed.join(", ")),
                };
                self.error(
                    "unknown-field",
                    format!("unknown field `{}` in {what}", entry.key),
                    entry.key_span,
                    "unknown field",
                    help,
                );
                continue;
            };
            if let Some(first) = out.found[i] {
                self.duplicate(
                    &format!("field `{}` in {what}", entry.key),
                    first.key_span,
                    entry.key_span,
                );
                continue;
            }
            out.found[i] = Some(entry);
        }
        Some(out)
    }

    fn duplicate(&mut self, what: &str, first: Span, again: Span) {
        self.diags.push(
            Diagnostic::error("duplicate-key", format!("{what} is declared twice"))
                .with_label(again, "declared again here")
                .with_label(first, "first declared here")
                .with_help("keep one of them (merge their fields into it)"),
        );
    }

    fn string(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            // Numbers are fine where text is expected (employee ids): kept as written, so
            // `007` stays `007` rather than becoming `7`.
            Value::Int(i) => Some(self.written_number(node, *i)),
            _ => {
                self.wrong_type(node, "a string", what);
                None
            }
        }
    }

    /// The integer `i` at `node`'s place as the file writes it (`raw::written_integer`), else
    /// in decimal.
    fn written_number(&self, node: &Node, i: i64) -> String {
        let span = node.span;
        self.sources
            .filter(|s| span.file < s.len())
            .and_then(|s| s.get(span.file).text.get(span.start..span.end))
            .and_then(|w| crate::config::raw::written_integer(w, i))
            .map_or_else(|| i.to_string(), str::to_string)
    }

    /// An optional text field: a string, or `null` to clear it (the same as `""`).
    fn clearable(&mut self, node: &Node, what: &str) -> Option<String> {
        match &node.value {
            Value::Null => Some(String::new()),
            _ => self.string(node, what),
        }
    }

    fn boolean(&mut self, node: &Node, what: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.wrong_type(node, "true or false", what);
                None
            }
        }
    }

    fn count(&mut self, node: &Node, what: &str) -> Option<u64> {
        match node.value {
            Value::Int(i) if i >= 0 => Some(i as u64),
            _ => {
                self.wrong_type(node, "a whole number of at least 0", what);
                None
            }
        }
    }

    fn enumeration<T>(
        &mut self,
        node: &Node,
        what: &str,
        allowed: &[&str],
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let text: Cow<str> = match &node.value {
            Value::Str(s) => Cow::Borrowed(s),
            Value::Bool(b) => Cow::Owned(b.to_string()),
            _ => {
                self.wrong_type(node, &format!("one of {}", one_of(allowed)), what);
                return None;
            }
        };
        match parse(&text).filter(|_| allowed.contains(&&*text)) {
            Some(v) => Some(v),
            None => {
                let help = match suggest(&text, allowed.iter().copied()) {
                    Some(s) => format!("did you mean `{s}`? allowed values: {}", one_of(allowed)),
                    None => format!("allowed values: {}", one_of(allowed)),
                };
                self.error(
                    "invalid-value",
                    format!("`{text}` is not a valid {what}"),
                    node.span,
                    &format!("expected one of {}", one_of(allowed)),
                    help,
                );
                None
            }
        }
    }

    /// A list of names; a single name is accepted as a list of one (KDL writes `members alice`).
    /// Names written as strings are borrowed from the tree; only numbers are made into text.
    fn names(&mut self, node: &'a Node, what: &str) -> Vec<(Cow<'a, str>, Span)> {
        match &node.value {
            Value::Null => Vec::new(),
            Value::Str(s) => vec![(Cow::Borrowed(s.as_str()), node.span)],
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| {
                    // The words for an error are only made when there is one.
                    let s = match &item.value {
                        Value::Str(s) => Some(Cow::Borrowed(s.as_str())),
                        _ => self
                            .string(item, &format!("an entry of {what}"))
                            .map(Cow::Owned),
                    };
                    s.map(|s| (s, item.span))
                })
                .collect(),
            _ => {
                self.wrong_type(node, "a list of names", what);
                Vec::new()
            }
        }
    }

    fn missing(&mut self, what: impl std::fmt::Display, field: &str, at: Span, example: &str) {
        self.error(
            "missing-field",
            format!("{what} has no `{field}`"),
            at,
            &format!("`{field}` is required"),
            format!("add `{field}: {example}`"),
        );
    }

    /// Records a declaration; false (and an error) when the key is already declared. Users and
    /// groups are also duplicates when their names differ only in letter case.
    fn declare(&mut self, kind: RefKind, key: &'a str, span: Span) -> bool {
        let noun = kind.noun();
        let twins = self.case_twins.get_mut(kind as usize);
        if let Some(&first) = twins.as_ref().and_then(|t| t.get(key)) {
            self.duplicate(&format!("{noun} `{key}`"), first, span);
            return false;
        }
        let Some((other, first)) =
            self.declared[kind as usize].first_or_declare(&folded(kind, key), key, span)
        else {
            return true;
        };
        if other == key {
            self.duplicate(&format!("{noun} `{key}`"), first, span);
            return false;
        }
        if let Some(twins) = self.case_twins.get_mut(kind as usize) {
            twins.insert(key, span);
        }
        self.diags.push(
            Diagnostic::error(
                "duplicate-key",
                format!(
                    "{noun}s `{other}` and `{key}` differ only in letter case; JumpCloud \
                     compares {noun} names case-insensitively, so they are one {noun}"
                ),
            )
            .with_label(span, "declared again here")
            .with_label(first, "first declared here")
            .with_help("keep one of them (merge their fields into it)"),
        );
        false
    }

    /// Whether `name` is declared as a `kind` (a name declared twice or refused as a case twin
    /// still is).
    fn is_declared(&self, kind: RefKind, name: &str) -> bool {
        self.declared[kind as usize].is_first(&folded(kind, name), name)
            || self
                .case_twins
                .get(kind as usize)
                .is_some_and(|twins| twins.contains_key(name))
    }

    /// Records a reference to `name` from `from`, written at `span`.
    fn refer(
        &mut self,
        kind: RefKind,
        name: impl Into<Cow<'a, str>>,
        span: Span,
        from: impl Into<String>,
    ) {
        self.references.push(Reference {
            kind,
            from: from.into(),
            names: vec![(name.into(), span)],
        });
    }

    /// A value longer than the API's `maxLength` for the field (see `model::limits`).
    /// `max` is the field's limit (`limits::USER_TEXT_MAX_CHARS`).
    fn check_length(
        &mut self,
        field: &str,
        max: usize,
        value: &str,
        span: Span,
        what: impl std::fmt::Display,
    ) {
        // A value of at most `max` bytes has at most `max` characters: counted only when longer.
        if value.len() <= max {
            return;
        }
        let len = limits::chars(value);
        if len > max {
            self.error(
                "too-long",
                format!("`{field}` of {what} is {len} characters; JumpCloud allows at most {max}"),
                span,
                &format!("{len} characters"),
                format!("shorten it to at most {max} characters (the API refuses longer values)"),
            );
        }
    }

    fn file(&mut self, root: &'a Node) {
        let Some(top) = self.fields(root, TOP_FIELDS, "the file") else {
            return;
        };
        if let Some(e) = top.get("version") {
            if e.value.value != Value::Int(1) {
                self.error(
                    "unsupported-version",
                    "unsupported config version".to_string(),
                    e.value.span,
                    "expected 1",
                    "this jcform reads `version: 1`".to_string(),
                );
            }
        }
        if let Some(e) = top.get("settings") {
            match self.settings_at {
                Some(first) => self.duplicate("`settings`", first, e.key_span),
                None => {
                    self.settings_at = Some(e.key_span);
                    self.settings(&e.value);
                }
            }
        }
        for (section, handler) in [
            ("users", Lowerer::user as fn(&mut Lowerer<'a>, &'a Entry)),
            ("groups", Lowerer::group),
            ("ad_domains", Lowerer::ad_domain),
            ("m365_tenants", Lowerer::m365_tenant),
            ("sso_apps", Lowerer::sso_app),
        ] {
            if let Some(e) = top.get(section) {
                match &e.value.value {
                    Value::Map(entries) => {
                        if section == "users" {
                            self.reserve_users(entries.len());
                        }
                        entries.iter().for_each(|entry| handler(self, entry));
                    }
                    Value::Null => {}
                    _ => self.wrong_type(
                        &e.value,
                        "a mapping of names to fields",
                        &format!("`{section}`"),
                    ),
                }
            }
        }
        if let Some(e) = top.get("bindings") {
            for item in self.list(&e.value, "bindings") {
                self.binding(item);
            }
        }
        if let Some(e) = top.get("waivers") {
            for item in self.list(&e.value, "waivers") {
                self.waiver(item);
            }
        }
    }

    /// Room for `more` users in every map a user goes into, made at once rather than by
    /// rehashing as a hundred thousand users arrive.
    fn reserve_users(&mut self, more: usize) {
        self.declared[RefKind::User as usize].reserve(more);
        self.emails.reserve(more);
        self.users.reserve(more);
        self.origins.users.reserve(more);
    }

    fn list(&mut self, node: &'a Node, what: &str) -> &'a [Node] {
        match &node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                self.wrong_type(node, "a list", &format!("`{what}`"));
                &[]
            }
        }
    }

    fn exists(&self, kind: RefKind, name: &str) -> bool {
        match kind {
            RefKind::User => self.model.users.contains_key(name),
            RefKind::Group => self.model.groups.contains_key(name),
            RefKind::AdDomain => self.model.ad_domains.contains_key(name),
            RefKind::M365Tenant => self.model.m365_tenants.contains_key(name),
            RefKind::SsoApp => self.model.sso_apps.contains_key(name),
        }
    }

    fn check_references(&mut self) {
        let references = std::mem::take(&mut self.references);
        for r in &references {
            for (name, span) in &r.names {
                // Every name in the model was declared, and a name declared twice still exists:
                // only names declared nowhere are reported.
                if !self.is_declared(r.kind, name) {
                    self.unknown_reference(r, name, *span);
                }
            }
        }
        let targets = std::mem::take(&mut self.waiver_targets);
        for (target, span) in targets {
            if target == "*" {
                continue;
            }
            if let Err(message) = self.check_target(&target) {
                self.error(
                    "unknown-reference",
                    format!("waiver target `{target}` {message}"),
                    span,
                    "bad target",
                    "write the address a finding names (e.g. user.alice, group.engineering) or `*` for all".into(),
                );
            }
        }
    }

    /// The error for `name`, referred to by `r` at `span` and declared nowhere.
    fn unknown_reference(&mut self, r: &Reference, name: &str, span: Span) {
        let declared: Vec<&str> = match r.kind {
            RefKind::User => self.model.users.keys().map(String::as_str).collect(),
            RefKind::Group => self.model.groups.keys().map(String::as_str).collect(),
            RefKind::AdDomain => self.model.ad_domains.keys().map(String::as_str).collect(),
            RefKind::M365Tenant => self.model.m365_tenants.keys().map(String::as_str).collect(),
            RefKind::SsoApp => self.model.sso_apps.keys().map(String::as_str).collect(),
        };
        let help = match suggest(name, declared) {
            Some(s) => format!("did you mean `{s}`?"),
            None if r.kind == RefKind::AdDomain && r.from.contains("delegated_authority") => {
                "declare it under `ad_domains`, or write `none` for JumpCloud passwords".to_string()
            }
            None => format!(
                "declare {} `{}` under `{}`, or remove the reference",
                r.kind.noun(),
                name,
                r.kind.section()
            ),
        };
        self.error(
            "unknown-reference",
            format!(
                "{} refers to {} `{}`, which is not declared",
                r.from,
                r.kind.noun(),
                name
            ),
            span,
            &format!("undeclared {}", r.kind.noun()),
            help,
        );
    }
}

/// Splits `user.alice` / `user["anna.l"]` / `binding.ad_domain.corp.user["x y"]` into parts.
pub fn address_parts(text: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            // The key is a JSON string; find its closing quote by skipping escapes, because the
            // key itself may contain `"]` (written `\"]`).
            let end = json_string_end(r)?;
            let quoted: String = serde_json::from_str(&r[..end]).ok()?;
            parts.push(quoted);
            rest = r[end..].strip_prefix(']')?;
        } else {
            // Only the first part comes without a dot: `user["x"]y` is not an address.
            let r = match rest.strip_prefix('.') {
                Some(r) => r,
                None if parts.is_empty() => rest,
                None => return None,
            };
            let end = r.find(['.', '[']).unwrap_or(r.len());
            if end == 0 {
                return None;
            }
            parts.push(r[..end].to_string());
            rest = &r[end..];
        }
        if rest.starts_with('.') && rest.len() == 1 {
            return None;
        }
    }
    Some(parts)
}

/// The byte length of the JSON string literal at the start of `text` (quotes included).
fn json_string_end(text: &str) -> Option<usize> {
    let body = text.strip_prefix('"')?;
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return Some(i + 2),
            _ => {}
        }
    }
    None
}

/// Removes `.` and `a/..` lexically, so a path means the same however it was reached.
fn normalize_path(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

fn ascii_slug(name: &str) -> String {
    let s: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '.' || *c == '-')
        .collect();
    if s.is_empty() {
        "user".into()
    } else {
        s.to_lowercase()
    }
}

/// Deliberately simple: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn valid_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    // The white space of ASCII (`char::is_whitespace` below 128) found without decoding chars.
    let spaced = if email.is_ascii() {
        email.bytes().any(|b| matches!(b, b'\t'..=b'\r' | b' '))
    } else {
        email.chars().any(char::is_whitespace)
    };
    !local.is_empty() && !domain.contains('@') && !spaced && valid_domain(domain)
}

/// At least two labels, each non-empty, of letters, digits and inner hyphens.
fn valid_domain(domain: &str) -> bool {
    if domain.is_ascii() {
        // The same rule over bytes, without a char searcher: most domains are ASCII.
        let mut labels = 0;
        for l in domain.as_bytes().split(|&b| b == b'.') {
            let inner = |b: &u8| b.is_ascii_alphanumeric();
            let allowed = l.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'-');
            if !allowed || !l.first().is_some_and(inner) || !l.last().is_some_and(inner) {
                return false;
            }
            labels += 1;
        }
        return labels >= 2;
    }
    let mut labels = 0;
    for l in domain.split('.') {
        // ASCII letters and digits are exactly the alphanumeric chars below 128.
        let allowed = if l.is_ascii() {
            l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        } else {
            l.chars().all(|c| c.is_alphanumeric() || c == '-')
        };
        if l.is_empty() || l.starts_with('-') || l.ends_with('-') || !allowed {
            return false;
        }
        labels += 1;
    }
    labels >= 2
}

/// JumpCloud ids are MongoDB ObjectIds: 24 hexadecimal digits.
pub fn valid_object_id(id: &str) -> bool {
    id.len() == 24 && id.chars().all(|c| c.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_parts_handle_quotes() {
        assert_eq!(
            address_parts("user.alice"),
            Some(vec!["user".into(), "alice".into()])
        );
        assert_eq!(
            address_parts("user[\"anna.l\"]"),
            Some(vec!["user".into(), "anna.l".into()])
        );
        assert_eq!(
            address_parts("binding.ad_domain.corp.user[\"a b\"]"),
            Some(vec![
                "binding".into(),
                "ad_domain".into(),
                "corp".into(),
                "user".into(),
                "a b".into()
            ])
        );
        assert_eq!(address_parts("user."), None);
        // A quoted key may itself contain `"]`.
        assert_eq!(
            address_parts(r#"user["a\"]b"]"#),
            Some(vec!["user".into(), "a\"]b".into()])
        );
        assert_eq!(address_parts("user[\"unterminated"), None);
        assert_eq!(address_parts("user[\"x\"]y"), None);
    }

    #[test]
    fn emails_and_ids() {
        assert!(valid_email("josé.müller@example.com"));
        assert!(!valid_email("alice@localhost"));
        assert!(!valid_email("alice example.com"));
        assert!(valid_object_id("5f1e0c0b4a3f2e1d0c9b8a71"));
        assert!(!valid_object_id("5f1e0c0b4a3f2e1d0c9b8a7"));
    }

    proptest::proptest! {
        /// `valid_domain`'s ASCII path accepts exactly what the general rule does: labels split
        /// at dots, at least two, none empty or starting or ending with a hyphen, each of
        /// alphanumeric chars and hyphens (Unicode ones included).
        #[test]
        fn valid_domain_is_the_general_rule(domain in "[a-zA-Z0-9.é٣_ -]{0,12}") {
            let labels: Vec<&str> = domain.split('.').collect();
            let general = labels.len() >= 2
                && labels.iter().all(|l| {
                    !l.is_empty()
                        && !l.starts_with('-')
                        && !l.ends_with('-')
                        && l.chars().all(|c| c.is_alphanumeric() || c == '-')
                });
            proptest::prop_assert_eq!(valid_domain(&domain), general);
        }
    }

    proptest::proptest! {
        /// `valid_email`'s ASCII path finds white space as `char::is_whitespace` does.
        #[test]
        fn ascii_white_space_is_the_general_rule(email in "[a@.\t\n\x0b\x0c\r \x1f\u{85}\u{a0}é]{0,8}") {
            let (local, domain) = email.split_once('@').unwrap_or(("", "@"));
            let general = !local.is_empty()
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
                && valid_domain(domain);
            proptest::prop_assert_eq!(valid_email(&email), general);
        }
    }

    fn lowered(text: &str) -> (Model, Origins, Vec<Diagnostic>) {
        let mut loaded = crate::config::Loaded::default();
        let path = std::path::Path::new("a.yaml");
        crate::config::parse_bytes(&mut loaded, path, "a.yaml".into(), text.as_bytes().to_vec());
        assert!(loaded.diagnostics.is_empty(), "{:?}", loaded.diagnostics);
        lower(&loaded.files, &loaded.sources)
    }

    /// One map keeps both declaration checks: an exact repeat (also of a name refused as a
    /// case twin) is "declared twice" at its first place, a case twin names the first
    /// spelling, and every spelling written is declared for references.
    #[test]
    fn declarations_repeat_exactly_or_by_letter_case() {
        let (_, _, diags) = lowered(
            "users:\n  Alice: {email: a@example.com}\n  alice: {email: b@example.com}\n  \
             alice: {email: c@example.com}\n  ALICE: {email: d@example.com}\n  \
             Alice: {email: e@example.com}\ngroups:\n  g: {members: [Alice, alice, ALICE, bob]}\n",
        );
        let messages: Vec<(&str, Vec<usize>)> = diags
            .iter()
            .map(|d| {
                let starts = d.labels.iter().map(|l| l.span.start).collect();
                (d.message.as_str(), starts)
            })
            .collect();
        // Where the key of the `n`th user (from 1) starts: every user's line is as long.
        let line =
            |n: usize| "users:\n".len() + (n - 1) * "  alice: {email: b@example.com}\n".len() + 2;
        assert_eq!(
            messages,
            vec![
                (
                    "users `Alice` and `alice` differ only in letter case; JumpCloud compares \
                     user names case-insensitively, so they are one user",
                    vec![line(2), line(1)]
                ),
                ("user `alice` is declared twice", vec![line(3), line(2)]),
                (
                    "users `Alice` and `ALICE` differ only in letter case; JumpCloud compares \
                     user names case-insensitively, so they are one user",
                    vec![line(4), line(1)]
                ),
                ("user `Alice` is declared twice", vec![line(5), line(1)]),
                (
                    "group `g` (members) refers to user `bob`, which is not declared",
                    vec![diags[4].labels[0].span.start]
                ),
            ]
        );
    }

    /// Origins finds users and members however the files order them, and keeps the first
    /// place of a repeat.
    #[test]
    fn origins_of_unsorted_users_and_members() {
        let text = "users:\n  zed: {email: z@example.com}\n  amy: {email: a@example.com}\n\
                    groups:\n  g: {members: [zed, amy, zed]}\n";
        let (_, origins, _) = lowered(text);
        let at = |s: Span| &text[s.start..s.end];
        let user = |name: &str| Address::User(name.into());
        assert_eq!(origins.get(&user("zed")).map(at), Some("zed"));
        assert_eq!(origins.get(&user("amy")).map(at), Some("amy"));
        assert_eq!(
            origins.field(&user("amy"), "email").map(at),
            Some("a@example.com")
        );
        assert_eq!(origins.get(&user("bob")), None);
        let member = |u: &str| Address::Membership("g".into(), u.into());
        let zed = origins.get(&member("zed")).expect("listed");
        assert_eq!(
            (at(zed), zed.start),
            ("zed", text.find("[zed").unwrap() + 1)
        );
        assert_eq!(origins.get(&member("amy")).map(at), Some("amy"));
        assert_eq!(origins.get(&member("bob")), None);
    }

    #[test]
    fn suggestions_are_close_only() {
        assert_eq!(suggest("emial", ["email", "firstname"]), Some("email"));
        assert_eq!(suggest("zzzzzz", ["email", "firstname"]), None);
    }
}
