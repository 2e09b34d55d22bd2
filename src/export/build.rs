//! `LiveState` -> one [`Document`] per kind.
//!
//! Rules, each there so the first plan of the exported files is empty and the files validate:
//! - only fields the org has set, and not at their default, are written: a left-out field is not
//!   managed, so it can never show up as a change; `state` is always written (it is what a
//!   reader most needs to see);
//! - every reference points at something written: memberships, bindings and
//!   `delegated_authority` naming an object that is filtered out (or whose kind is not exported)
//!   are left out, with a comment saying so;
//! - dynamic groups get no `members` (the rule decides them; the plan ignores them) and carry the
//!   rule as a comment;
//! - settings are `additive` everywhere, so objects the files don't name are left alone.

use std::collections::{BTreeMap, BTreeSet};

use globset::GlobSet;

use super::keys::{ad_keys, sso_app_keys, tenant_keys};
use super::{Document, Kind, Map, Value};
use crate::model::live::{LiveAdDomain, LiveState};
use crate::model::{Delegation, Directory, ManageMode, Subject, UseCase, USER_TEXT_FIELDS};

/// What to export.
#[derive(Debug, Clone)]
pub struct Filter {
    pub kinds: BTreeSet<Kind>,
    /// Users and groups whose name matches (`--only`); `None`: all.
    pub only: Option<GlobSet>,
    /// The `--only` globs as typed, for the settings comment.
    pub only_text: Vec<String>,
}

impl Default for Filter {
    fn default() -> Self {
        Filter {
            kinds: Kind::all(),
            only: None,
            only_text: Vec::new(),
        }
    }
}

impl Filter {
    fn named(&self, name: &str) -> bool {
        self.only.as_ref().is_none_or(|g| g.is_match(name))
    }

    fn has(&self, kind: Kind) -> bool {
        self.kinds.contains(&kind)
    }

    fn partial(&self) -> bool {
        self.only.is_some() || self.kinds.len() < Kind::ALL.len()
    }
}

/// One file to write: its stem (`users`) and contents.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportFile {
    pub stem: &'static str,
    pub doc: Document,
}

/// What was exported, for the summary line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    pub users: usize,
    pub groups: usize,
    pub dynamic_groups: usize,
    pub memberships: usize,
    pub ad_domains: usize,
    pub m365_tenants: usize,
    pub sso_apps: usize,
    pub bindings: usize,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Export {
    /// `settings` first, then the kinds in `Kind::ALL` order.
    pub files: Vec<ExportFile>,
    pub stats: Stats,
    /// Things the files cannot say (two AD instances for one domain...), for stderr.
    pub warnings: Vec<String>,
}

/// Remote id -> config key for everything written, by kind.
#[derive(Default)]
struct Written {
    users: BTreeMap<String, String>,
    groups: BTreeMap<String, String>,
    ad_domains: BTreeMap<String, String>,
    m365_tenants: BTreeMap<String, String>,
    sso_apps: BTreeMap<String, String>,
}

pub fn build(live: &LiveState, filter: &Filter) -> Export {
    let mut export = Export::default();
    let written = select(live, filter, &mut export.warnings);
    export.files.push(ExportFile {
        stem: "settings",
        doc: settings(filter),
    });
    for kind in Kind::ALL {
        if !filter.has(kind) {
            continue;
        }
        // An org without SSO apps gets no empty file for them (orgs read as before issue 16).
        if kind == Kind::SsoApps && live.sso_apps.is_empty() {
            continue;
        }
        let doc = match kind {
            Kind::Users => users(live, &written, filter, &mut export.stats),
            Kind::Groups => groups(live, &written, filter, &mut export.stats),
            Kind::AdDomains => ad_domains(live, &written, &mut export.stats),
            Kind::M365Tenants => m365_tenants(live, &written, &mut export.stats),
            Kind::SsoApps => sso_apps(live, &written, &mut export.stats, &mut export.warnings),
            Kind::Bindings => bindings(live, &written, &mut export.stats),
        };
        export.files.push(ExportFile {
            stem: kind.section(),
            doc,
        });
    }
    export
}

/// Decides what is written and under which key, before any file is built, so every file
/// agrees on what the others contain.
fn select(live: &LiveState, filter: &Filter, warnings: &mut Vec<String>) -> Written {
    let mut w = Written::default();
    if filter.has(Kind::Users) {
        let mut seen = BTreeSet::new();
        let mut users: Vec<_> = live.users.values().collect();
        users.sort_by(|a, b| (&a.username, &a.id).cmp(&(&b.username, &b.id)));
        for u in users.into_iter().filter(|u| filter.named(&u.username)) {
            if seen.insert(u.username.clone()) {
                w.users.insert(u.id.clone(), u.username.clone());
                // Written as is (the org has it), but `validate` will point at it.
                match u.attrs.email.as_deref() {
                    Some(email) if crate::model::lower::valid_email(email) => {}
                    Some(email) => warnings.push(format!(
                        "user `{}` has the email `{email}`, which `jcform validate` rejects; \
                         fix it in the org or in the exported file",
                        u.username
                    )),
                    None => warnings.push(format!(
                        "user `{}` has no email, which the files require; add one to the \
                         exported file",
                        u.username
                    )),
                }
            } else {
                warnings.push(format!(
                    "two users are named `{}`; exported the first (id {} left out)",
                    u.username, u.id
                ));
            }
        }
    }
    if filter.has(Kind::Groups) {
        let mut seen = BTreeSet::new();
        let mut groups: Vec<_> = live.groups.values().collect();
        groups.sort_by(|a, b| (&a.name, &a.id).cmp(&(&b.name, &b.id)));
        for g in groups.into_iter().filter(|g| filter.named(&g.name)) {
            if seen.insert(g.name.clone()) {
                w.groups.insert(g.id.clone(), g.name.clone());
            } else {
                warnings.push(format!(
                    "two groups are named `{}`; exported the first (id {} left out)",
                    g.name, g.id
                ));
            }
        }
    }
    if filter.has(Kind::AdDomains) {
        let mut by_domain: BTreeMap<&str, &LiveAdDomain> = BTreeMap::new();
        let mut ads: Vec<_> = live.ad_domains.values().collect();
        ads.sort_by(|a, b| (&a.domain, &a.id).cmp(&(&b.domain, &b.id)));
        for ad in ads {
            if by_domain.contains_key(ad.domain.as_str()) {
                warnings.push(format!(
                    "two AD instances serve {}; a config holds one per domain, so id {} is left out",
                    ad.domain, ad.id
                ));
            } else {
                by_domain.insert(&ad.domain, ad);
            }
        }
        w.ad_domains = ad_keys(by_domain.into_values());
    }
    if filter.has(Kind::M365Tenants) {
        w.m365_tenants = tenant_keys(live.m365_tenants.values());
    }
    if filter.has(Kind::SsoApps) {
        w.sso_apps = sso_app_keys(live.sso_apps.values());
    }
    w
}

fn header(doc: &mut Document) {
    doc.root.push("version", Value::Int(1));
}

fn settings(filter: &Filter) -> Document {
    let mut doc = Document::default();
    doc.comments.push("Written by `jcform export`.".into());
    if filter.partial() {
        let kinds: Vec<String> = filter.kinds.iter().map(Kind::to_string).collect();
        let mut scope = format!("Exported kinds: {}.", kinds.join(", "));
        if !filter.only_text.is_empty() {
            scope.push_str(&format!(
                " Users and groups matching: {}.",
                filter.only_text.join(", ")
            ));
        }
        doc.comments.push(scope);
        doc.comments.push(
            "Everything else in the org is not in these files; keep `additive` so it is left alone."
                .into(),
        );
    }
    header(&mut doc);
    let mut manage = Map::default();
    for field in crate::model::lower::MANAGE_FIELDS {
        manage.str(field, ManageMode::Additive.config_name());
    }
    let mut settings = Map::default();
    settings
        .push("manage", Value::Map(manage))
        .comment("`additive`: what the org has and these files don't name is left alone, so the")
        .comment("first plan deletes and unbinds nothing. Switch a kind to `full` once these files")
        .comment("are the source of truth for it.");
    doc.root.push("settings", Value::Map(settings));
    doc
}

fn users(live: &LiveState, w: &Written, filter: &Filter, stats: &mut Stats) -> Document {
    let mut doc = Document::default();
    doc.comments
        .push("Initial passwords are not exported: the API never returns them. To create".into());
    doc.comments.push(
        "these users in another org, add `initial_password: {env: VAR}` or `{file: path}`.".into(),
    );
    header(&mut doc);
    let mut section = Map::default();
    let mut ordered: Vec<(&String, &String)> = w.users.iter().collect();
    ordered.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    for (id, name) in ordered {
        let Some(u) = live.users.get(id) else {
            continue;
        };
        let mut fields = Map::default();
        for (field, _) in USER_TEXT_FIELDS {
            if let Some(v) = u.attrs.text(field) {
                fields.str(field, v.clone());
            }
        }
        if let Some(state) = u.attrs.state {
            fields.str("state", state.config_name());
        }
        // `false` is the API's default; writing it would only add noise.
        if u.attrs.password_never_expires == Some(true) {
            fields.push("password_never_expires", Value::Bool(true));
        }
        if let Some(ad) = &u.delegated_authority {
            match w.ad_domains.get(ad) {
                Some(key) => {
                    fields.str("delegated_authority", key.clone());
                }
                None if !filter.has(Kind::AdDomains) => {
                    if let Some(e) = fields.0.last_mut() {
                        e.note("delegated to an AD domain; ad_domains not exported");
                    }
                }
                None => {
                    if let Some(e) = fields.0.last_mut() {
                        e.note(format!("delegated to unknown AD instance {ad}"));
                    }
                }
            }
        }
        section.push(name.clone(), Value::Map(fields));
        stats.users += 1;
    }
    doc.root.push("users", Value::Map(section));
    doc
}

fn groups(live: &LiveState, w: &Written, filter: &Filter, stats: &mut Stats) -> Document {
    let mut doc = Document::default();
    header(&mut doc);
    let mut section = Map::default();
    let mut ordered: Vec<(&String, &String)> = w.groups.iter().collect();
    ordered.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    for (id, name) in ordered {
        let Some(g) = live.groups.get(id) else {
            continue;
        };
        let mut fields = Map::default();
        if let Some(d) = &g.description {
            fields.str("description", d.clone());
        }
        let mut comments = Vec::new();
        if g.membership_method.is_dynamic() {
            stats.dynamic_groups += 1;
            comments.push(format!(
                "Dynamic group ({}): its rule decides the members, so none are listed.",
                method_name(g.membership_method)
            ));
            if let Some(rule) = &g.member_query {
                comments.push(format!("rule: {rule}"));
            }
        } else if filter.has(Kind::Users) {
            let members: BTreeSet<&String> =
                g.members.iter().filter_map(|id| w.users.get(id)).collect();
            let left_out = g.members.len() - members.len();
            stats.memberships += members.len();
            let entry = fields.push(
                "members",
                Value::Names(members.into_iter().cloned().collect()),
            );
            if left_out > 0 {
                entry.note(format!("{left_out} more in the org, not exported"));
            }
        } else {
            comments.push("Members not exported (users are not exported).".to_string());
        }
        let entry = section.push(name.clone(), Value::Map(fields));
        entry.comments = comments;
        stats.groups += 1;
    }
    doc.root.push("groups", Value::Map(section));
    doc
}

fn method_name(method: crate::model::live::MembershipMethod) -> &'static str {
    use crate::model::live::MembershipMethod;
    match method {
        MembershipMethod::DynamicAutomated => "automated",
        MembershipMethod::DynamicReviewRequired => "review required",
        MembershipMethod::Static => "static",
        MembershipMethod::NotSet => "not set",
    }
}

fn ad_domains(live: &LiveState, w: &Written, stats: &mut Stats) -> Document {
    let mut doc = Document::default();
    header(&mut doc);
    let mut section = Map::default();
    let mut ordered: Vec<(&String, &String)> = w.ad_domains.iter().collect();
    ordered.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    for (id, key) in ordered {
        let Some(ad) = live.ad_domains.get(id) else {
            continue;
        };
        let mut fields = Map::default();
        fields.str("domain", ad.domain.clone());
        if ad.use_case != UseCase::Unset {
            fields.str("use_case", ad.use_case.config_name());
        }
        // Disabled is the default; pending cannot be written (only the org reaches it).
        match ad.delegation {
            Delegation::Enabled => {
                fields.str("delegation", Delegation::Enabled.config_name());
            }
            Delegation::Pending => {
                if let Some(e) = fields.0.last_mut() {
                    e.note("delegation is pending in the org");
                }
            }
            Delegation::Disabled => {}
        }
        if ad.groups_enabled {
            fields.push("groups_enabled", Value::Bool(true));
        }
        section.push(key.clone(), Value::Map(fields));
        stats.ad_domains += 1;
    }
    doc.root.push("ad_domains", Value::Map(section));
    doc
}

fn m365_tenants(live: &LiveState, w: &Written, stats: &mut Stats) -> Document {
    let mut doc = Document::default();
    doc.comments
        .push("Tenants are authorised in the admin console and adopted by id; the API".into());
    doc.comments
        .push("cannot create them, so a test org's state file must hold them already.".into());
    header(&mut doc);
    let mut section = Map::default();
    let mut ordered: Vec<(&String, &String)> = w.m365_tenants.iter().collect();
    ordered.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    for (id, key) in ordered {
        let Some(t) = live.m365_tenants.get(id) else {
            continue;
        };
        let mut fields = Map::default();
        let entry = fields.str("id", t.id.clone());
        if !t.domains.is_empty() {
            let mut domains: Vec<&str> = t.domains.iter().map(|d| d.domain.as_str()).collect();
            domains.sort_unstable();
            entry.note(format!("domains: {}", domains.join(", ")));
        }
        if let Some(name) = &t.name {
            fields.str("name", name.clone());
        }
        if t.groups_enabled {
            fields.push("groups_enabled", Value::Bool(true));
        }
        if let Some(d) = &t.default_domain {
            fields.str("default_domain", d.clone());
        }
        if let Some(a) = t.user_lockout_action {
            fields.str("user_lockout_action", a.config_name());
        }
        if let Some(a) = t.user_password_expiration_action {
            fields.str("user_password_expiration_action", a.config_name());
        }
        section.push(key.clone(), Value::Map(fields));
        stats.m365_tenants += 1;
    }
    doc.root.push("m365_tenants", Value::Map(section));
    doc
}

/// SSO apps with every setting the org has, the label they are matched by, and their group
/// assignments as `groups`. `tenant` is not an API field: it is written when the app is the
/// Microsoft 365 template and the org has exactly one tenant (the only one it can sign in to).
/// User assignments cannot be written (the files assign groups only): they are left alone and
/// named in a warning.
fn sso_apps(
    live: &LiveState,
    w: &Written,
    stats: &mut Stats,
    warnings: &mut Vec<String>,
) -> Document {
    let mut doc = Document::default();
    doc.comments.push(
        "SSO applications. `jcform federation m365_tenant.<key>` prints the Microsoft".into(),
    );
    doc.comments
        .push("side of a federated domain once a tenant declares `federation`.".into());
    header(&mut doc);
    let only_tenant = match (w.m365_tenants.len(), w.m365_tenants.values().next()) {
        (1, Some(k)) => Some(k.clone()),
        _ => None,
    };
    let mut section = Map::default();
    let mut ordered: Vec<(&String, &String)> = w.sso_apps.iter().collect();
    ordered.sort_by(|a, b| (a.1, a.0).cmp(&(b.1, b.0)));
    for (id, key) in ordered {
        let Some(a) = live.sso_apps.get(id) else {
            continue;
        };
        let mut fields = Map::default();
        fields.str("template", a.template.clone());
        // The label is what the app is matched by: always written, the key otherwise.
        fields.str(
            "display_label",
            a.display_label.clone().unwrap_or_else(|| key.clone()),
        );
        if a.template == crate::model::OFFICE365_TEMPLATE {
            if let Some(t) = &only_tenant {
                fields.str("tenant", t.clone());
            }
        }
        for (field, value) in [
            ("domain", &a.idp_entity_id),
            ("sp_entity_id", &a.sp_entity_id),
            ("acs_url", &a.acs_url),
            ("sso_url", &a.sso_url),
        ] {
            if let Some(v) = value {
                fields.str(field, v.clone());
            }
        }
        let mut groups = BTreeSet::new();
        let mut users = 0;
        for b in live
            .bindings
            .iter()
            .filter(|b| b.directory == Directory::SsoApp(id.clone()))
        {
            match &b.subject {
                Subject::Group(g) => {
                    if let Some(name) = w.groups.get(g) {
                        groups.insert(name.clone());
                    }
                }
                Subject::User(_) => users += 1,
            }
        }
        if users > 0 {
            warnings.push(format!(
                "SSO app `{key}` is assigned to {users} user(s) directly; the files assign \
                 groups only, so those assignments are left alone"
            ));
        }
        if !groups.is_empty() {
            stats.bindings += groups.len();
            fields.push("groups", Value::Names(groups.into_iter().collect()));
        }
        section.push(key.clone(), Value::Map(fields));
        stats.sso_apps += 1;
    }
    doc.root.push("sso_apps", Value::Map(section));
    doc
}

fn bindings(live: &LiveState, w: &Written, stats: &mut Stats) -> Document {
    let mut doc = Document::default();
    header(&mut doc);
    // Directory key -> (usernames, group names); ADs first, each kind by key.
    let mut per_dir: BTreeMap<(u8, String), (BTreeSet<String>, BTreeSet<String>)> = BTreeMap::new();
    for b in &live.bindings {
        let dir = match &b.directory {
            Directory::AdDomain(id) => w.ad_domains.get(id).map(|k| (0, k.clone())),
            Directory::M365Tenant(id) => w.m365_tenants.get(id).map(|k| (1, k.clone())),
            // App assignments are written as the app's `groups` (see `sso_apps`).
            Directory::SsoApp(_) => None,
        };
        let Some(dir) = dir else { continue };
        let slot = per_dir.entry(dir).or_default();
        match &b.subject {
            Subject::User(id) => {
                if let Some(name) = w.users.get(id) {
                    slot.0.insert(name.clone());
                }
            }
            Subject::Group(id) => {
                if let Some(name) = w.groups.get(id) {
                    slot.1.insert(name.clone());
                }
            }
        }
    }
    let mut items = Vec::new();
    for ((kind, key), (users, groups)) in per_dir {
        if users.is_empty() && groups.is_empty() {
            continue;
        }
        stats.bindings += users.len() + groups.len();
        let mut item = Map::default();
        item.str(
            if kind == 0 {
                "ad_domain"
            } else {
                "m365_tenant"
            },
            key,
        );
        if !users.is_empty() {
            item.push("users", Value::Names(users.into_iter().collect()));
        }
        if !groups.is_empty() {
            item.push("groups", Value::Names(groups.into_iter().collect()));
        }
        items.push(item);
    }
    doc.root.push("bindings", Value::Items(items));
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::live::LiveUser;
    use crate::model::UserAttrs;

    fn user(id: &str, name: &str, email: Option<&str>) -> LiveUser {
        LiveUser {
            id: id.into(),
            username: name.into(),
            attrs: std::sync::Arc::new(UserAttrs {
                email: email.map(str::to_string),
                ..UserAttrs::default()
            }),
            ..LiveUser::default()
        }
    }

    #[test]
    fn users_the_files_would_reject_are_warned_about() {
        let mut live = LiveState::default();
        for u in [
            user("1", "ok", Some("ok@example.com")),
            user("2", "local", Some("root@localhost")),
            user("3", "blank", None),
        ] {
            live.users.insert(u.id.clone(), u);
        }
        let export = build(&live, &Filter::default());
        assert_eq!(export.warnings.len(), 2, "{:?}", export.warnings);
        assert!(export
            .warnings
            .iter()
            .any(|w| w.contains("`local`") && w.contains("root@localhost")));
        assert!(export
            .warnings
            .iter()
            .any(|w| w.contains("`blank` has no email")));
    }

    #[test]
    fn a_directly_assigned_sso_app_is_warned_about_in_one_readable_sentence() {
        use crate::model::live::LiveSsoApp;
        use crate::model::{Binding, Directory, Subject};
        let mut live = LiveState::default();
        let u = user("u1", "alice", Some("alice@example.com"));
        live.users.insert(u.id.clone(), u);
        live.sso_apps.insert(
            "a1".into(),
            LiveSsoApp {
                id: "a1".into(),
                template: "office365".into(),
                display_label: Some("m365".into()),
                ..LiveSsoApp::default()
            },
        );
        live.bindings.insert(Binding {
            directory: Directory::SsoApp("a1".into()),
            subject: Subject::User("u1".into()),
        });
        let export = build(&live, &Filter::default());
        let warning = export
            .warnings
            .iter()
            .find(|w| w.contains("directly"))
            .expect("a warning about the user assignment");
        assert!(
            warning.contains("the files assign groups only, so those assignments are left alone"),
            "{warning}"
        );
        assert!(!warning.contains("  "), "no run of spaces: {warning}");
    }
}
