//! Raw trees -> `Model`. Every check that needs no org happens here, and every error is
//! collected (never stop at the first): wrong types, unknown fields with a suggestion, bad enum
//! values with the allowed list, missing required fields, duplicate keys within and across files
//! (pointing at both; user and group names also when they differ only in letter case, as
//! JumpCloud compares them), two users with one email (`email_key`: case-insensitive, Unicode
//! and punycode domains alike) or one employee id, AD domains naming one domain (`domain_key`),
//! values longer than the API accepts (`model::limits`), references to undeclared objects,
//! malformed emails and tenant ids.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::config::{Entry, Node, RawFile, Value};
use crate::diag::Diagnostic;
use crate::source::Span;

use super::limits;
use super::{
    domain_key, email_key, normalize_ad_domain, AdDomain, Address, Binding, DelegatedAuthority,
    Delegation, Directory, Federation, Group, Limits, M365Action, M365Tenant, Manage, ManageMode,
    Model, PasswordAuthorityDecl, SecretSource, Settings, SsoApp, Subject, UseCase, User,
    UserAttrs, UserState, Waiver, USER_TEXT_FIELDS,
};

/// Where each declared object and edge is written, for diagnostics about the model (lint
/// findings, SARIF locations). Keys are config addresses.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    pub spans: BTreeMap<Address, Span>,
    /// Where a field of a declared object is written (the value), for errors about one field
    /// (`initial_password`, `members`, `email`).
    pub fields: BTreeMap<(Address, &'static str), Span>,
}

impl Origins {
    pub fn get(&self, address: &Address) -> Option<Span> {
        self.spans.get(address).copied()
    }

    /// The span of field `field` of the object at `address`, when the files write it.
    pub fn field(&self, address: &Address, field: &str) -> Option<Span> {
        self.fields
            .iter()
            .find(|((a, f), _)| a == address && *f == field)
            .map(|(_, s)| *s)
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
    USER_TEXT_FIELDS
        .iter()
        .map(|(c, _)| *c)
        .chain(USER_OTHER_FIELDS.iter().copied())
        .collect()
}

/// A reference to check once every file is read.
struct Reference {
    kind: RefKind,
    name: String,
    span: Span,
    /// Who refers, for the message: "group `eng` member".
    from: String,
}

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

#[derive(Default)]
struct Lowerer {
    model: Model,
    origins: Origins,
    diags: Vec<Diagnostic>,
    /// First place each key of each section was declared (for duplicates across files).
    declared: HashMap<(&'static str, String), Span>,
    /// Users and groups by lower-case name: JumpCloud compares those names case-insensitively,
    /// so `Alice` and `alice` are one account. Value: the name as first written and its place.
    folded: HashMap<(&'static str, String), (String, Span)>,
    /// Users by `email_key` of their email: (user, email as written, place).
    emails: HashMap<String, (String, String, Span)>,
    /// Users by employee id: (user, place).
    employee_ids: HashMap<String, (String, Span)>,
    settings_at: Option<Span>,
    ad_by_domain: HashMap<String, (String, Span)>,
    tenant_by_id: HashMap<String, (String, Span)>,
    references: Vec<Reference>,
    waiver_targets: Vec<(String, Span)>,
    /// The directory of the file being read.
    dir: std::path::PathBuf,
}

/// Validates and merges the files into one model. The model is only meaningful when the returned
/// diagnostics hold no errors.
pub fn lower(files: &[RawFile]) -> (Model, Origins, Vec<Diagnostic>) {
    let mut cx = Lowerer::default();
    for file in files {
        cx.dir = file.dir.clone();
        cx.file(&file.root);
    }
    cx.check_references();
    cx.check_federations();
    (cx.model, cx.origins, cx.diags)
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

impl Lowerer {
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
        allowed: &[&str],
        what: &str,
    ) -> Option<BTreeMap<&'n str, &'n Entry>> {
        let entries: &[Entry] = match &node.value {
            Value::Map(entries) => entries,
            Value::Null => &[],
            _ => {
                self.wrong_type(node, "a mapping", what);
                return None;
            }
        };
        let mut out: BTreeMap<&str, &Entry> = BTreeMap::new();
        for entry in entries {
            if !allowed.contains(&entry.key.as_str()) {
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
            }
            if let Some(first) = out.get(entry.key.as_str()) {
                self.duplicate(
                    &format!("field `{}` in {what}", entry.key),
                    first.key_span,
                    entry.key_span,
                );
                continue;
            }
            out.insert(entry.key.as_str(), entry);
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
            // Numbers are fine where text is expected (employee ids): keep them as written.
            Value::Int(i) => Some(i.to_string()),
            _ => {
                self.wrong_type(node, "a string", what);
                None
            }
        }
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
        let text = match &node.value {
            Value::Str(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            _ => {
                self.wrong_type(node, &format!("one of {}", one_of(allowed)), what);
                return None;
            }
        };
        match parse(&text).filter(|_| allowed.contains(&text.as_str())) {
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
    fn names(&mut self, node: &Node, what: &str) -> Vec<(String, Span)> {
        match &node.value {
            Value::Null => Vec::new(),
            Value::Str(s) => vec![(s.clone(), node.span)],
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| {
                    self.string(item, &format!("an entry of {what}"))
                        .map(|s| (s, item.span))
                })
                .collect(),
            _ => {
                self.wrong_type(node, "a list of names", what);
                Vec::new()
            }
        }
    }

    fn missing(&mut self, what: &str, field: &str, at: Span, example: &str) {
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
    fn declare(&mut self, section: &'static str, noun: &str, key: &str, span: Span) -> bool {
        if let Some(first) = self.declared.get(&(section, key.to_string())).copied() {
            self.duplicate(&format!("{noun} `{key}`"), first, span);
            return false;
        }
        self.declared.insert((section, key.to_string()), span);
        if matches!(section, "users" | "groups") {
            let folded = (section, key.to_lowercase());
            if let Some((other, first)) = self.folded.get(&folded).cloned() {
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
                return false;
            }
            self.folded.insert(folded, (key.to_string(), span));
        }
        true
    }

    /// A value longer than the API's `maxLength` for the field (see `model::limits`).
    fn check_length(&mut self, field: &str, value: &str, span: Span, what: &str) {
        let Some(max) = limits::user_max_chars(field) else {
            return;
        };
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

    fn file(&mut self, root: &Node) {
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
            ("users", Lowerer::user as fn(&mut Lowerer, &Entry)),
            ("groups", Lowerer::group),
            ("ad_domains", Lowerer::ad_domain),
            ("m365_tenants", Lowerer::m365_tenant),
            ("sso_apps", Lowerer::sso_app),
        ] {
            if let Some(e) = top.get(section) {
                match &e.value.value {
                    Value::Map(entries) => entries.iter().for_each(|entry| handler(self, entry)),
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

    fn list<'n>(&mut self, node: &'n Node, what: &str) -> &'n [Node] {
        match &node.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                self.wrong_type(node, "a list", &format!("`{what}`"));
                &[]
            }
        }
    }

    fn settings(&mut self, node: &Node) {
        let Some(f) = self.fields(node, SETTINGS_FIELDS, "settings") else {
            return;
        };
        let mut settings = Settings::default();
        if let Some(e) = f.get("manage") {
            if let Some(m) = self.fields(&e.value, MANAGE_FIELDS, "settings.manage") {
                let mut manage = Manage::default();
                for (name, e) in m {
                    let mode = self.enumeration(
                        &e.value,
                        &format!("manage mode for {name}"),
                        ManageMode::NAMES,
                        |s| {
                            Some(match s {
                                "full" => ManageMode::Full,
                                "additive" => ManageMode::Additive,
                                "ignore" => ManageMode::Ignore,
                                _ => return None,
                            })
                        },
                    );
                    let Some(mode) = mode else { continue };
                    match name {
                        "users" => manage.users = mode,
                        "groups" => manage.groups = mode,
                        "ad_domains" => manage.ad_domains = mode,
                        "memberships" => manage.memberships = mode,
                        "sso_apps" => manage.sso_apps = mode,
                        _ => manage.bindings = mode,
                    }
                }
                settings.manage = manage;
            }
        }
        if let Some(e) = f.get("ignore") {
            if let Some(m) = self.fields(&e.value, IGNORE_FIELDS, "settings.ignore") {
                for (name, e) in m {
                    let globs: Vec<String> = self
                        .names(&e.value, &format!("settings.ignore.{name}"))
                        .into_iter()
                        .map(|(g, span)| {
                            if let Err(err) = globset::Glob::new(&g) {
                                self.error(
                                    "invalid-value",
                                    format!("`{g}` is not a valid glob: {err}"),
                                    span,
                                    "bad glob",
                                    "use `*` and `?` wildcards, e.g. `svc-*`".into(),
                                );
                            }
                            g
                        })
                        .collect();
                    if name == "users" {
                        settings.ignore.users = globs;
                    } else {
                        settings.ignore.groups = globs;
                    }
                }
            }
        }
        if let Some(e) = f.get("limits") {
            if let Some(m) = self.fields(&e.value, LIMITS_FIELDS, "settings.limits") {
                let mut limits = Limits::default();
                for (name, e) in m {
                    let n = self.count(&e.value, &format!("settings.limits.{name}"));
                    if name == "max_deletes" {
                        limits.max_deletes = n;
                    } else {
                        limits.max_unbinds = n;
                    }
                }
                settings.limits = limits;
            }
        }
        if let Some(e) = f.get("profile") {
            settings.profile = self.string(&e.value, "settings.profile");
        }
        self.model.settings = settings;
    }

    fn user(&mut self, entry: &Entry) {
        let name = entry.key.clone();
        let what = format!("user `{name}`");
        let allowed = user_fields();
        let fields = self.fields(&entry.value, &allowed, &what);
        if !self.declare("users", "user", &name, entry.key_span) {
            return;
        }
        self.origins
            .spans
            .insert(Address::User(name.clone()), entry.key_span);
        let username_chars = limits::chars(&name);
        if let Some(max) = limits::user_max_chars("username").filter(|&m| username_chars > m) {
            self.error(
                "too-long",
                format!("the username of a user is {username_chars} characters; JumpCloud allows at most {max}"),
                entry.key_span,
                &format!("{username_chars} characters"),
                format!("shorten it to at most {max} characters (the API refuses longer values)"),
            );
        }
        let Some(f) = fields else { return };
        let mut attrs = UserAttrs::default();
        for (field, _) in USER_TEXT_FIELDS {
            if let Some(e) = f.get(field) {
                self.origins
                    .fields
                    .insert((Address::User(name.clone()), field), e.value.span);
                let value = if *field == "email" {
                    self.string(&e.value, &format!("`{field}` of {what}"))
                } else {
                    self.clearable(&e.value, &format!("`{field}` of {what}"))
                };
                // An empty optional field clears it; the email is required and always checked.
                let checked = *field == "email"
                    || (*field == "alternate_email"
                        && value.as_deref().is_some_and(|v| !v.is_empty()));
                if let Some(v) = value.as_deref().filter(|v| !v.is_empty()) {
                    self.check_length(field, v, e.value.span, &what);
                }
                if let (Some(v), true) = (&value, checked) {
                    if !valid_email(v) {
                        self.error(
                            "invalid-email",
                            format!("`{v}` is not a valid email address"),
                            e.value.span,
                            "not an email address",
                            "write it as name@domain.tld".into(),
                        );
                    }
                }
                if let Some(slot) = attrs.text_slot(field) {
                    *slot = value;
                }
            }
        }
        if let (Some(e), Some(email)) = (f.get("email"), &attrs.email) {
            if valid_email(email) {
                let key = email_key(email);
                match self.emails.get(&key).cloned() {
                    Some((other, first_email, first)) => self.diags.push(
                        Diagnostic::error(
                            "duplicate-email",
                            format!(
                                "users `{other}` and `{name}` have the same email \
                                 `{first_email}` (emails are compared case-insensitively{})",
                                if first_email.to_lowercase() == email.to_lowercase() {
                                    ""
                                } else {
                                    ", and a Unicode domain is its punycode form"
                                }
                            ),
                        )
                        .with_label(e.value.span, "same email again")
                        .with_label(first, "first here")
                        .with_help("give each user its own email"),
                    ),
                    None => {
                        self.emails
                            .insert(key, (name.clone(), email.clone(), e.value.span));
                    }
                }
            }
        }
        // An empty id clears the field: it is no id, so it cannot be anyone else's.
        if let (Some(e), Some(id)) = (
            f.get("employee_id"),
            attrs
                .employee_id
                .as_ref()
                .filter(|id| !id.trim().is_empty()),
        ) {
            match self.employee_ids.get(id).cloned() {
                Some((other, first)) => self.diags.push(
                    Diagnostic::error(
                        "duplicate-employee-id",
                        format!("users `{other}` and `{name}` have the same employee_id `{id}`"),
                    )
                    .with_label(e.value.span, "same employee id again")
                    .with_label(first, "first here")
                    .with_help(
                        "the API requires employee ids to be unique per user; give each user its own",
                    ),
                ),
                None => {
                    self.employee_ids
                        .insert(id.clone(), (name.clone(), e.value.span));
                }
            }
        }
        if !f.contains_key("email") {
            self.missing(
                &what,
                "email",
                entry.key_span,
                &format!("{}@example.com", ascii_slug(&name)),
            );
        }
        if let Some(e) = f.get("state") {
            attrs.state = self.enumeration(&e.value, "user state", UserState::NAMES, |s| match s {
                "active" => Some(UserState::Active),
                "suspended" => Some(UserState::Suspended),
                "staged" => Some(UserState::Staged),
                _ => None,
            });
        }
        if let Some(e) = f.get("password_never_expires") {
            attrs.password_never_expires =
                self.boolean(&e.value, &format!("`password_never_expires` of {what}"));
        }
        let mut user = User {
            attrs,
            ..User::default()
        };
        if let Some(e) = f.get("initial_password") {
            self.origins.fields.insert(
                (Address::User(name.clone()), "initial_password"),
                e.value.span,
            );
            user.initial_password = self.secret(&e.value, &what);
        }
        if let Some(e) = f.get("delegated_authority") {
            if let Some(v) = self.string(&e.value, &format!("`delegated_authority` of {what}")) {
                if v == "none" {
                    user.delegated_authority = Some(DelegatedAuthority::None);
                } else {
                    self.references.push(Reference {
                        kind: RefKind::AdDomain,
                        name: v.clone(),
                        span: e.value.span,
                        from: format!("{what} (delegated_authority)"),
                    });
                    user.delegated_authority = Some(DelegatedAuthority::Ad(v));
                }
            }
        }
        if let Some(e) = f.get("password_authority") {
            user.password_authority = self.enumeration(
                &e.value,
                "password authority",
                PasswordAuthorityDecl::NAMES,
                |s| match s {
                    "jumpcloud" => Some(PasswordAuthorityDecl::Jumpcloud),
                    "active_directory" => Some(PasswordAuthorityDecl::ActiveDirectory),
                    _ => None,
                },
            );
            let delegates = matches!(user.delegated_authority, Some(DelegatedAuthority::Ad(_)));
            if user.password_authority == Some(PasswordAuthorityDecl::ActiveDirectory) && !delegates
            {
                self.error(
                    "invalid-value",
                    format!(
                        "{what} has `password_authority: active_directory` but no AD domain in \
                         `delegated_authority`"
                    ),
                    e.value.span,
                    "which AD domain owns the password?",
                    "add `delegated_authority: <ad_domains key>` to the user: that domain owns \
                     the password"
                        .into(),
                );
            }
        }
        self.model.users.insert(name, user);
    }

    fn secret(&mut self, node: &Node, what: &str) -> Option<SecretSource> {
        match &node.value {
            Value::Str(s) => Some(SecretSource::Literal(s.clone())),
            Value::Map(_) => {
                let f = self.fields(
                    node,
                    PASSWORD_FIELDS,
                    &format!("`initial_password` of {what}"),
                )?;
                match (f.get("env"), f.get("file")) {
                    (Some(e), None) => self
                        .string(&e.value, "`initial_password.env`")
                        .map(SecretSource::Env),
                    (None, Some(e)) => self
                        .string(&e.value, "`initial_password.file`")
                        .map(|p| SecretSource::File(normalize_path(&self.dir.join(p)))),
                    _ => {
                        self.error(
                            "invalid-value",
                            format!("`initial_password` of {what} must name exactly one of `env` or `file`"),
                            node.span,
                            "one source expected",
                            "write `initial_password: {env: VARIABLE}` or `initial_password: {file: path}`".into(),
                        );
                        None
                    }
                }
            }
            _ => {
                self.wrong_type(
                    node,
                    "{env: VAR} or {file: path}",
                    &format!("`initial_password` of {what}"),
                );
                None
            }
        }
    }

    fn group(&mut self, entry: &Entry) {
        let name = entry.key.clone();
        let what = format!("group `{name}`");
        let fields = self.fields(&entry.value, GROUP_FIELDS, &what);
        if !self.declare("groups", "group", &name, entry.key_span) {
            return;
        }
        self.origins
            .spans
            .insert(Address::Group(name.clone()), entry.key_span);
        let Some(f) = fields else { return };
        let mut group = Group::default();
        if let Some(e) = f.get("description") {
            group.description = self.clearable(&e.value, &format!("`description` of {what}"));
        }
        if let Some(e) = f.get("members") {
            self.origins
                .fields
                .insert((Address::Group(name.clone()), "members"), e.key_span);
            let mut members = BTreeSet::new();
            for (user, span) in self.names(&e.value, &format!("`members` of {what}")) {
                if !members.insert(user.clone()) {
                    self.error(
                        "duplicate-key",
                        format!("{what} lists member `{user}` twice"),
                        span,
                        "listed again",
                        "remove the repeat".into(),
                    );
                    continue;
                }
                self.origins
                    .spans
                    .insert(Address::Membership(name.clone(), user.clone()), span);
                self.references.push(Reference {
                    kind: RefKind::User,
                    name: user,
                    span,
                    from: format!("{what} (members)"),
                });
            }
            group.members = Some(members);
        }
        self.model.groups.insert(name, group);
    }

    fn ad_domain(&mut self, entry: &Entry) {
        let key = entry.key.clone();
        let what = format!("AD domain `{key}`");
        let fields = self.fields(&entry.value, AD_FIELDS, &what);
        if !self.declare("ad_domains", "AD domain", &key, entry.key_span) {
            return;
        }
        self.origins
            .spans
            .insert(Address::AdDomain(key.clone()), entry.key_span);
        let Some(f) = fields else { return };
        let mut ad = AdDomain::default();
        match f.get("domain") {
            Some(e) => {
                if let Some(d) = self.string(&e.value, &format!("`domain` of {what}")) {
                    let normal = normalize_ad_domain(&d);
                    // Compared as IDNA keys: `müller.example` and `xn--mller-kva.example` are
                    // one domain.
                    let compare = domain_key(&normal);
                    if !valid_domain(&normal) {
                        self.error(
                            "invalid-value",
                            format!("`{d}` is not a valid AD domain"),
                            e.value.span,
                            "not a domain name",
                            "write it as corp.example.com or DC=corp;DC=example;DC=com".into(),
                        );
                    } else if let Some((other, first)) = self.ad_by_domain.get(&compare).cloned() {
                        self.diags.push(
                            Diagnostic::error(
                                "duplicate-key",
                                format!("AD domains `{other}` and `{key}` both name {normal}"),
                            )
                            .with_label(e.value.span, "same domain again")
                            .with_label(first, "first here")
                            .with_help("one AD domain is one JumpCloud AD instance: keep one key"),
                        );
                    } else {
                        self.ad_by_domain
                            .insert(compare, (key.clone(), e.value.span));
                    }
                    ad.domain = normal;
                }
            }
            None => self.missing(&what, "domain", entry.key_span, "corp.example.com"),
        }
        if let Some(e) = f.get("use_case") {
            ad.use_case = self.enumeration(&e.value, "AD use case", UseCase::NAMES, |s| match s {
                "two_way_sync" => Some(UseCase::TwoWaySync),
                "jc_as_authority" => Some(UseCase::JcAsAuthority),
                "ad_as_authority" => Some(UseCase::AdAsAuthority),
                _ => None,
            });
        }
        if let Some(e) = f.get("delegation") {
            ad.delegation = self.enumeration(
                &e.value,
                "delegation setting",
                Delegation::NAMES,
                |s| match s {
                    "enabled" => Some(Delegation::Enabled),
                    "disabled" => Some(Delegation::Disabled),
                    _ => None,
                },
            );
        }
        if let Some(e) = f.get("groups_enabled") {
            ad.groups_enabled = self.boolean(&e.value, &format!("`groups_enabled` of {what}"));
        }
        self.model.ad_domains.insert(key, ad);
    }

    fn m365_tenant(&mut self, entry: &Entry) {
        let key = entry.key.clone();
        let what = format!("M365 tenant `{key}`");
        let fields = self.fields(&entry.value, M365_FIELDS, &what);
        if !self.declare("m365_tenants", "M365 tenant", &key, entry.key_span) {
            return;
        }
        self.origins
            .spans
            .insert(Address::M365Tenant(key.clone()), entry.key_span);
        let Some(f) = fields else { return };
        let mut tenant = M365Tenant::default();
        match f.get("id") {
            Some(e) => {
                if let Some(id) = self.string(&e.value, &format!("`id` of {what}")) {
                    if !valid_object_id(&id) {
                        self.error(
                            "invalid-tenant-id",
                            format!("`{id}` is not a JumpCloud tenant id"),
                            e.value.span,
                            "expected 24 hexadecimal digits",
                            "copy the id from the M365 integration's page in the admin console (or `jcform export`)".into(),
                        );
                    } else if let Some((other, first)) = self.tenant_by_id.get(&id).cloned() {
                        self.diags.push(
                            Diagnostic::error(
                                "duplicate-key",
                                format!("M365 tenants `{other}` and `{key}` have the same id"),
                            )
                            .with_label(e.value.span, "same id again")
                            .with_label(first, "first here")
                            .with_help("keep one key per tenant"),
                        );
                    } else {
                        self.tenant_by_id
                            .insert(id.clone(), (key.clone(), e.value.span));
                    }
                    tenant.id = id;
                }
            }
            None => self.missing(&what, "id", entry.key_span, "5f1e0c0b4a3f2e1d0c9b8a71"),
        }
        if let Some(e) = f.get("name") {
            tenant.name = self.string(&e.value, &format!("`name` of {what}"));
        }
        if let Some(e) = f.get("groups_enabled") {
            tenant.groups_enabled = self.boolean(&e.value, &format!("`groups_enabled` of {what}"));
        }
        if let Some(e) = f.get("default_domain") {
            tenant.default_domain = self.string(&e.value, &format!("`default_domain` of {what}"));
        }
        if let Some(e) = f.get("user_lockout_action") {
            tenant.user_lockout_action = self.enumeration(
                &e.value,
                "user_lockout_action",
                M365Action::NAMES,
                M365Action::parse,
            );
        }
        if let Some(e) = f.get("user_password_expiration_action") {
            tenant.user_password_expiration_action = self.enumeration(
                &e.value,
                "user_password_expiration_action",
                M365Action::NAMES,
                M365Action::parse,
            );
        }
        if let Some(e) = f.get("federation") {
            tenant.federation = self.federation(&e.value, &key, &what);
        }
        self.model.m365_tenants.insert(key, tenant);
    }

    /// `federation: {domain, sso_app}`: both required; the domain must be a domain name, the
    /// app a declared `sso_apps` key (checked with the other references).
    fn federation(&mut self, node: &Node, key: &str, what: &str) -> Option<Federation> {
        let ctx = format!("`federation` of {what}");
        let f = self.fields(node, FEDERATION_FIELDS, &ctx)?;
        let domain = match f.get("domain") {
            Some(e) => self
                .string(&e.value, &format!("`domain` of {ctx}"))
                .and_then(|d| {
                    let d = d.trim().trim_end_matches('.').to_lowercase();
                    if valid_domain(&d) {
                        Some(d)
                    } else {
                        self.error(
                            "invalid-value",
                            format!("`{d}` is not a domain name"),
                            e.value.span,
                            "not a domain name",
                            "write the M365 domain to federate, e.g. `contoso.com`".into(),
                        );
                        None
                    }
                }),
            None => {
                self.missing(&ctx, "domain", node.span, "contoso.com");
                None
            }
        };
        let app = match f.get("sso_app") {
            Some(e) => self
                .string(&e.value, &format!("`sso_app` of {ctx}"))
                .inspect(|a| {
                    self.references.push(Reference {
                        kind: RefKind::SsoApp,
                        name: a.clone(),
                        span: e.value.span,
                        from: format!("the federation of M365 tenant `{key}`"),
                    });
                }),
            None => {
                self.missing(&ctx, "sso_app", node.span, "m365");
                None
            }
        };
        Some(Federation {
            domain: domain?,
            sso_app: app?,
        })
    }

    fn sso_app(&mut self, entry: &Entry) {
        let key = entry.key.clone();
        let what = format!("SSO app `{key}`");
        let fields = self.fields(&entry.value, SSO_APP_FIELDS, &what);
        if !self.declare("sso_apps", "SSO app", &key, entry.key_span) {
            return;
        }
        self.origins
            .spans
            .insert(Address::SsoApp(key.clone()), entry.key_span);
        let Some(f) = fields else { return };
        let mut app = SsoApp::default();
        match f.get("template") {
            Some(e) => {
                if let Some(t) = self.string(&e.value, &format!("`template` of {what}")) {
                    if t.trim().is_empty() {
                        self.error(
                            "invalid-value",
                            format!("`template` of {what} is empty"),
                            e.value.span,
                            "empty",
                            "name the JumpCloud application catalogue entry, e.g. `office365`"
                                .into(),
                        );
                    }
                    app.template = t;
                }
            }
            None => self.missing(&what, "template", entry.key_span, "office365"),
        }
        for (field, slot) in [
            ("display_label", &mut app.display_label),
            ("sp_entity_id", &mut app.sp_entity_id),
            ("acs_url", &mut app.acs_url),
            ("sso_url", &mut app.sso_url),
        ] {
            if let Some(e) = f.get(field) {
                *slot = self.string(&e.value, &format!("`{field}` of {what}"));
            }
        }
        if let Some(e) = f.get("domain") {
            app.domain = self.string(&e.value, &format!("`domain` of {what}"));
        }
        if let Some(e) = f.get("tenant") {
            if let Some(t) = self.string(&e.value, &format!("`tenant` of {what}")) {
                self.references.push(Reference {
                    kind: RefKind::M365Tenant,
                    name: t.clone(),
                    span: e.value.span,
                    from: what.clone(),
                });
                app.tenant = Some(t);
            }
        }
        if let Some(e) = f.get("groups") {
            self.origins
                .fields
                .insert((Address::SsoApp(key.clone()), "groups"), e.key_span);
            let mut groups = BTreeSet::new();
            for (group, span) in self.names(&e.value, &format!("`groups` of {what}")) {
                if !groups.insert(group.clone()) {
                    self.error(
                        "duplicate-key",
                        format!("{what} lists group `{group}` twice"),
                        span,
                        "listed again",
                        "remove the repeat".into(),
                    );
                    continue;
                }
                self.references.push(Reference {
                    kind: RefKind::Group,
                    name: group.clone(),
                    span,
                    from: format!("{what} (groups)"),
                });
                let binding = Binding {
                    directory: Directory::SsoApp(key.clone()),
                    subject: Subject::Group(group),
                };
                self.origins
                    .spans
                    .entry(Address::Binding(binding.clone()))
                    .or_insert(span);
                self.model.bindings.insert(binding);
            }
            app.groups = Some(groups);
        }
        self.model.sso_apps.insert(key, app);
    }

    fn binding(&mut self, node: &Node) {
        let Some(f) = self.fields(node, BINDING_FIELDS, "a binding") else {
            return;
        };
        let directory = match (f.get("ad_domain"), f.get("m365_tenant")) {
            (Some(e), None) => self.string(&e.value, "`ad_domain` of a binding").map(|k| {
                self.references.push(Reference {
                    kind: RefKind::AdDomain,
                    name: k.clone(),
                    span: e.value.span,
                    from: "a binding".into(),
                });
                Directory::AdDomain(k)
            }),
            (None, Some(e)) => self
                .string(&e.value, "`m365_tenant` of a binding")
                .map(|k| {
                    self.references.push(Reference {
                        kind: RefKind::M365Tenant,
                        name: k.clone(),
                        span: e.value.span,
                        from: "a binding".into(),
                    });
                    Directory::M365Tenant(k)
                }),
            (Some(_), Some(e)) => {
                self.error(
                    "invalid-value",
                    "a binding names both an AD domain and an M365 tenant".into(),
                    e.key_span,
                    "second directory",
                    "split it into two entries, one per directory".into(),
                );
                None
            }
            (None, None) => {
                self.error(
                    "missing-field",
                    "a binding names no directory".into(),
                    node.span,
                    "`ad_domain` or `m365_tenant` is required",
                    "add `ad_domain: <key>` or `m365_tenant: <key>`".into(),
                );
                None
            }
        };
        let Some(directory) = directory else { return };
        for (field, kind) in [("users", RefKind::User), ("groups", RefKind::Group)] {
            let Some(e) = f.get(field) else { continue };
            for (name, span) in self.names(&e.value, &format!("`{field}` of a binding")) {
                self.references.push(Reference {
                    kind,
                    name: name.clone(),
                    span,
                    from: format!("a binding to {directory}"),
                });
                let subject = if kind == RefKind::User {
                    Subject::User(name)
                } else {
                    Subject::Group(name)
                };
                let binding = Binding {
                    directory: directory.clone(),
                    subject,
                };
                self.origins
                    .spans
                    .entry(Address::Binding(binding.clone()))
                    .or_insert(span);
                self.model.bindings.insert(binding);
            }
        }
    }

    fn waiver(&mut self, node: &Node) {
        let Some(f) = self.fields(node, WAIVER_FIELDS, "a waiver") else {
            return;
        };
        let get = |cx: &mut Lowerer, field: &str, example: &str| match f.get(field) {
            Some(e) => cx
                .string(&e.value, &format!("`{field}` of a waiver"))
                .map(|s| (s, e.value.span)),
            None => {
                cx.missing("a waiver", field, node.span, example);
                None
            }
        };
        let rule = get(self, "rule", "LCK101");
        let target = get(self, "target", "user.alice");
        let reason = get(self, "reason", "\"why this is accepted\"");
        if let Some((code, span)) = &rule {
            if crate::lint::catalog::find(code).is_none() {
                let help = match suggest(code, crate::lint::catalog::CATALOG.iter().map(|r| r.code))
                {
                    Some(s) => {
                        format!("did you mean `{s}`? `jcform explain --list` lists the rules")
                    }
                    None => "`jcform explain --list` lists the rules".into(),
                };
                self.error(
                    "unknown-reference",
                    format!("waiver names unknown rule `{code}`"),
                    *span,
                    "no such rule",
                    help,
                );
            }
        }
        if let Some((_, span)) = &reason {
            if reason.as_ref().is_some_and(|(r, _)| r.trim().is_empty()) {
                self.error(
                    "invalid-value",
                    "a waiver needs a reason".into(),
                    *span,
                    "empty reason",
                    "say why the finding is accepted".into(),
                );
            }
        }
        if let Some((t, span)) = &target {
            self.waiver_targets.push((t.clone(), *span));
        }
        if let (Some((rule, span)), Some((target, _)), Some((reason, _))) = (rule, target, reason) {
            let rule = crate::lint::catalog::find(&rule).map_or(rule, |r| r.code.to_string());
            self.model.waivers.push(Waiver {
                rule,
                target,
                reason,
                origin: Some(span),
            });
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
        for r in references {
            if self.exists(r.kind, &r.name) {
                continue;
            }
            // A name declared twice still exists; only report names declared nowhere.
            if self
                .declared
                .contains_key(&(r.kind.section(), r.name.clone()))
            {
                continue;
            }
            let declared: Vec<&str> = match r.kind {
                RefKind::User => self.model.users.keys().map(String::as_str).collect(),
                RefKind::Group => self.model.groups.keys().map(String::as_str).collect(),
                RefKind::AdDomain => self.model.ad_domains.keys().map(String::as_str).collect(),
                RefKind::M365Tenant => self.model.m365_tenants.keys().map(String::as_str).collect(),
                RefKind::SsoApp => self.model.sso_apps.keys().map(String::as_str).collect(),
            };
            let help = match suggest(&r.name, declared) {
                Some(s) => format!("did you mean `{s}`?"),
                None if r.kind == RefKind::AdDomain && r.from.contains("delegated_authority") => {
                    "declare it under `ad_domains`, or write `none` for JumpCloud passwords"
                        .to_string()
                }
                None => format!(
                    "declare {} `{}` under `{}`, or remove the reference",
                    r.kind.noun(),
                    r.name,
                    r.kind.section()
                ),
            };
            self.error(
                "unknown-reference",
                format!(
                    "{} refers to {} `{}`, which is not declared",
                    r.from,
                    r.kind.noun(),
                    r.name
                ),
                r.span,
                &format!("undeclared {}", r.kind.noun()),
                help,
            );
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

    /// A federation's SSO app must sign in to that tenant: an app whose `tenant` names another
    /// tenant cannot answer for this one's domain.
    fn check_federations(&mut self) {
        let mut errors = Vec::new();
        for (key, t) in &self.model.m365_tenants {
            let Some(f) = &t.federation else { continue };
            let Some(app) = self.model.sso_apps.get(&f.sso_app) else {
                continue;
            };
            if let Some(other) = app.tenant.as_ref().filter(|o| *o != key) {
                // Declared tenants always have an origin; without one there is no place to name.
                if let Some(at) = self.origins.get(&Address::M365Tenant(key.clone())) {
                    errors.push((key.clone(), f.sso_app.clone(), other.clone(), at));
                }
            }
        }
        for (key, app, other, at) in errors {
            self.error(
                "invalid-value",
                format!(
                    "M365 tenant `{key}` federates through SSO app `{app}`, which signs in to \
                     tenant `{other}`"
                ),
                at,
                "federation names an app of another tenant",
                format!("set `tenant: {key}` on the app, or name this tenant's own app"),
            );
        }
    }

    /// A waiver target must be an address of something declared.
    fn check_target(&self, target: &str) -> Result<(), String> {
        let parts = address_parts(target).ok_or_else(|| "is not an address".to_string())?;
        let declared = |kind: RefKind, name: &String| {
            if self.exists(kind, name) {
                Ok(())
            } else {
                Err(format!(
                    "names {} `{name}`, which is not declared",
                    kind.noun()
                ))
            }
        };
        match parts.as_slice() {
            [k, n] if k == "user" => declared(RefKind::User, n),
            [k, n] if k == "group" => declared(RefKind::Group, n),
            [k, n] if k == "ad_domain" => declared(RefKind::AdDomain, n),
            [k, n] if k == "m365_tenant" => declared(RefKind::M365Tenant, n),
            [k, n] if k == "sso_app" => declared(RefKind::SsoApp, n),
            [k, g, u] if k == "membership" => {
                declared(RefKind::Group, g).and(declared(RefKind::User, u))
            }
            [k, dk, d, sk, s] if k == "binding" => {
                let dir = match dk.as_str() {
                    "ad_domain" => RefKind::AdDomain,
                    "m365_tenant" => RefKind::M365Tenant,
                    "sso_app" => RefKind::SsoApp,
                    _ => return Err("is not an address".into()),
                };
                let sub = match sk.as_str() {
                    "user" => RefKind::User,
                    "group" => RefKind::Group,
                    _ => return Err("is not an address".into()),
                };
                declared(dir, d).and(declared(sub, s))
            }
            _ => Err("is not an address".into()),
        }
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
    !local.is_empty()
        && !domain.contains('@')
        && !email.chars().any(char::is_whitespace)
        && valid_domain(domain)
}

fn valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
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

    #[test]
    fn suggestions_are_close_only() {
        assert_eq!(suggest("emial", ["email", "firstname"]), Some("email"));
        assert_eq!(suggest("zzzzzz", ["email", "firstname"]), None);
    }
}
