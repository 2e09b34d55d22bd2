//! Shared by the export tests: sandbox orgs (a small hand-written one and a generated large
//! one), reading them through the real client, and a field-by-field check that a loaded config
//! says exactly what the org holds.
#![allow(dead_code)]

use std::collections::BTreeSet;
use std::path::Path;

use jcform::emulator::{Emulator, EmulatorOptions};
use jcform::jumpcloud::{read_live, ApiKey, Client, ClientConfig};
use jcform::model::live::LiveState;
use jcform::model::{DelegatedAuthority, Directory, Model, Subject, USER_TEXT_FIELDS};
use serde_json::{json, Value};

pub const KEY: &str = "export-test-key";

pub const AD: &str = "c00000000000000000000001";
pub const AD2: &str = "c00000000000000000000002";
pub const O365: &str = "d00000000000000000000001";
pub const O365_RU: &str = "d00000000000000000000002";

fn uid(n: u32) -> String {
    format!("a{n:023x}")
}

fn gid(n: u32) -> String {
    format!("b{n:023x}")
}

fn edge(from_type: &str, from: &str, to_type: &str, to: &str) -> Value {
    json!({"from": {"type": from_type, "id": from}, "to": {"type": to_type, "id": to}})
}

/// A small org with the cases export must get right: delegated users (to two AD domains whose
/// first labels clash), a dynamic group, both directory kinds, non-ASCII names, and values that
/// would change type or break the syntax if written unquoted.
pub fn small_org() -> Value {
    json!({
        "systemusers": [
            {"_id": uid(1), "username": "alice", "email": "alice@example.com", "firstname": "Alice",
             "lastname": "Liddell", "jobTitle": "Staff Engineer", "department": "Engineering", "state": "ACTIVATED",
             "password_date": "2026-01-05T10:00:00Z",
             "delegatedAuthority": {"name": "ActiveDirectory", "id": AD}},
            {"_id": uid(2), "username": "jose.muller", "email": "jose.muller@example.com", "firstname": "José",
             "lastname": "Müller", "employeeIdentifier": "E-1042", "costCenter": "1042", "state": "ACTIVATED",
             "delegatedAuthority": {"name": "ActiveDirectory", "id": AD2}},
            {"_id": uid(3), "username": "oleksandr", "email": "oleksandr@example.com", "firstname": "Олександр",
             "lastname": "Шевченко", "department": "true", "state": "SUSPENDED", "password_never_expires": true},
            {"_id": uid(4), "username": "new.hire", "email": "new.hire@example.com", "state": "STAGED",
             "description": "Starts Monday: desk #4, \"quiet\" corner\\east", "company": "null",
             "location": " padded ", "middlename": "-", "displayname": "0x1F"},
            {"_id": uid(5), "username": "1042", "email": "numbers@example.com", "state": "ACTIVATED",
             "alternateEmail": "n@example.org", "employeeType": "yes"},
            {"_id": uid(6), "username": "svc-backup", "email": "svc-backup@example.com", "state": "ACTIVATED",
             "jobTitle": "", "department": null}
        ],
        "usergroups": [
            {"id": gid(1), "name": "engineering", "description": "Engineers"},
            {"id": gid(2), "name": "Sales & Marketing", "description": "Ventes: équipe"},
            {"id": gid(3), "name": "All Active", "membershipMethod": "DYNAMIC_AUTOMATED",
             "memberQuery": {"queryType": "FilterQuery", "filters": [{"field": "state", "operator": "eq", "value": "ACTIVATED"}]}},
            {"id": gid(4), "name": "empty"},
            {"id": gid(5), "name": "Администраторы"}
        ],
        "activedirectories": [
            {"id": AD, "domain": "DC=corp;DC=example;DC=com", "useCase": "TWOWAYSYNC", "delegationState": "ENABLED", "groupsEnabled": true},
            {"id": AD2, "domain": "DC=corp;DC=example;DC=org", "useCase": "ADASAUTHORITY", "delegationState": "ENABLED"}
        ],
        "activedirectory_agents": {AD: [{"id": "f00000000000000000000001", "agentType": "IMPORT", "state": "active", "hostType": "DC", "version": "3.1.0"}]},
        "office365s": [
            {"id": O365, "name": "Contoso", "groupsEnabled": true, "userLockoutAction": "suspend", "userPasswordExpirationAction": "maintain"},
            {"id": O365_RU, "name": "Контосо"}
        ],
        "office365_domains": {O365: [
            {"objectId": "e00000000000000000000001", "domain": "contoso.com", "default": true},
            {"objectId": "e00000000000000000000002", "domain": "contoso.org", "default": false}
        ]},
        "associations": [
            edge("user_group", &gid(1), "user", &uid(1)),
            edge("user_group", &gid(1), "user", &uid(2)),
            edge("user_group", &gid(2), "user", &uid(3)),
            edge("user_group", &gid(2), "user", &uid(5)),
            edge("user_group", &gid(3), "user", &uid(1)),
            edge("user_group", &gid(5), "user", &uid(6)),
            edge("user_group", &gid(1), "active_directory", AD),
            edge("user", &uid(2), "active_directory", AD2),
            edge("user", &uid(3), "office_365", O365),
            edge("user_group", &gid(2), "office_365", O365),
            edge("user_group", &gid(5), "office_365", O365_RU)
        ]
    })
}

/// A realistic mid-sized org: `users` users in 30 groups (departments, locations, projects; two
/// dynamic), one AD domain most users delegate to, one M365 tenant, bindings of groups and of
/// some users directly. Deterministic (no randomness beyond a fixed LCG).
pub fn generated_org(users: u32) -> Value {
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |n: u64| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) % n
    };
    let first = [
        "Anna",
        "José",
        "Олександр",
        "Mei",
        "Zoë",
        "Liam",
        "Ngozi",
        "Søren",
        "Aarav",
        "Chloé",
    ];
    let last = [
        "Lindqvist",
        "Müller",
        "Шевченко",
        "Chen",
        "O'Brien",
        "Smith",
        "Okafor",
        "Ødegård",
        "Patel",
        "Dubois",
    ];
    let depts = ["Engineering", "Sales", "Support", "Finance", "People"];
    let states = [
        "ACTIVATED",
        "ACTIVATED",
        "ACTIVATED",
        "ACTIVATED",
        "SUSPENDED",
        "STAGED",
    ];
    let mut systemusers = Vec::new();
    let mut associations = Vec::new();
    for n in 0..users {
        let f = first[next(first.len() as u64) as usize];
        let l = last[next(last.len() as u64) as usize];
        let username = format!("user{n:04}");
        let mut u = json!({
            "_id": uid(1000 + n), "username": username, "email": format!("{username}@example.com"),
            "firstname": f, "lastname": l, "department": depts[(n % 5) as usize],
            "employeeIdentifier": format!("{}", 10000 + n), "state": states[next(6) as usize],
        });
        if next(4) != 0 {
            u["delegatedAuthority"] = json!({"name": "ActiveDirectory", "id": AD});
        }
        if next(10) == 0 {
            u["jobTitle"] = json!("Team Lead");
        }
        systemusers.push(u);
    }
    let mut usergroups = Vec::new();
    for g in 0..30u32 {
        let (name, dynamic) = match g {
            0..=4 => (depts[g as usize].to_string(), false),
            5..=14 => (
                format!(
                    "Office {}",
                    ["Kyiv", "München", "Oslo", "Lagos", "Pune"][(g % 5) as usize]
                ) + &format!(" {}", g),
                false,
            ),
            28 | 29 => (format!("Dynamic {g}"), true),
            _ => (format!("project-{g:02}"), false),
        };
        let mut group =
            json!({"id": gid(100 + g), "name": name, "description": format!("Group {g}")});
        if dynamic {
            group["membershipMethod"] = json!("DYNAMIC_AUTOMATED");
            group["memberQuery"] = json!({"queryType": "FilterQuery", "filters": [{"field": "department", "operator": "eq", "value": "Sales"}]});
        }
        usergroups.push(group);
        for n in 0..users {
            let member = match g {
                0..=4 => n % 5 == g,
                5..=14 => next(10) == 0,
                28 | 29 => false,
                _ => next(25) == 0,
            };
            if member {
                associations.push(edge("user_group", &gid(100 + g), "user", &uid(1000 + n)));
            }
        }
        if g < 15 {
            associations.push(edge("user_group", &gid(100 + g), "active_directory", AD));
        }
        if g % 3 == 0 {
            associations.push(edge("user_group", &gid(100 + g), "office_365", O365));
        }
    }
    for n in (0..users).step_by(40) {
        associations.push(edge("user", &uid(1000 + n), "office_365", O365));
    }
    json!({
        "systemusers": systemusers,
        "usergroups": usergroups,
        "activedirectories": [
            {"id": AD, "domain": "DC=ad;DC=example;DC=com", "useCase": "TWOWAYSYNC", "delegationState": "ENABLED", "groupsEnabled": true}
        ],
        "office365s": [
            {"id": O365, "name": "Example Corp", "groupsEnabled": true, "userLockoutAction": "suspend"}
        ],
        "office365_domains": {O365: [{"objectId": "e00000000000000000000001", "domain": "example.com", "default": true}]},
        "associations": associations
    })
}

/// A running emulator over a temp copy of `state`, and a client for it.
pub struct Org {
    pub emulator: Emulator,
    pub client: Client,
    pub dir: tempfile::TempDir,
}

impl Org {
    pub async fn start(state: &Value) -> Org {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("org.json");
        std::fs::write(&path, serde_json::to_vec_pretty(state).unwrap()).unwrap();
        let emulator = Emulator::start(
            EmulatorOptions {
                state: path,
                api_key: Some(KEY.into()),
                ..Default::default()
            },
            "127.0.0.1:0".parse().unwrap(),
        )
        .await
        .unwrap();
        let client = Client::new(ClientConfig {
            api_url: emulator.base_url(),
            ..ClientConfig::new(ApiKey::new(KEY))
        })
        .unwrap();
        Org {
            emulator,
            client,
            dir,
        }
    }

    pub async fn read(&self) -> LiveState {
        read_live(&self.client).await.unwrap()
    }
}

pub fn write_state(dir: &Path, state: &Value) -> std::path::PathBuf {
    let path = dir.join("org.json");
    std::fs::write(&path, serde_json::to_vec_pretty(state).unwrap()).unwrap();
    path
}

/// Every way `model` (loaded from an export of the whole org) differs from `live`. Stricter
/// than an empty plan: managed fields must be equal, and every object and edge must be there.
pub fn mismatches(model: &Model, live: &LiveState) -> Vec<String> {
    let mut out = Vec::new();
    let ad_id = |key: &str| {
        model
            .ad_domains
            .get(key)
            .and_then(|d| live.ad_by_domain(&d.domain))
            .map(|d| d.id.clone())
    };
    let tenant_id = |key: &str| model.m365_tenants.get(key).map(|t| t.id.clone());
    // Users.
    let live_names: BTreeSet<&str> = live.users.values().map(|u| u.username.as_str()).collect();
    let model_names: BTreeSet<&str> = model.users.keys().map(String::as_str).collect();
    if live_names != model_names {
        out.push(format!("users differ: {live_names:?} vs {model_names:?}"));
    }
    for (name, user) in &model.users {
        let Some(l) = live.user_by_name(name) else {
            continue;
        };
        for (field, _) in USER_TEXT_FIELDS {
            if let Some(v) = user.attrs.text(field) {
                if l.attrs.text(field) != Some(v) {
                    out.push(format!(
                        "user {name} {field}: {v:?} vs {:?}",
                        l.attrs.text(field)
                    ));
                }
            } else if l.attrs.text(field).is_some() {
                out.push(format!("user {name} {field} not exported"));
            }
        }
        if user.attrs.state != l.attrs.state {
            out.push(format!("user {name} state"));
        }
        if user.attrs.password_never_expires.unwrap_or(false)
            != l.attrs.password_never_expires.unwrap_or(false)
        {
            out.push(format!("user {name} password_never_expires"));
        }
        let want = match &user.delegated_authority {
            Some(DelegatedAuthority::Ad(key)) => ad_id(key),
            _ => None,
        };
        if want != l.delegated_authority {
            out.push(format!("user {name} delegated_authority"));
        }
        if user.initial_password.is_some() {
            out.push(format!("user {name} has a password"));
        }
    }
    // Groups and memberships.
    for l in live.groups.values() {
        let Some(g) = model.groups.get(&l.name) else {
            out.push(format!("group {} missing", l.name));
            continue;
        };
        if g.description != l.description {
            out.push(format!("group {} description", l.name));
        }
        let live_members: BTreeSet<String> = l
            .members
            .iter()
            .filter_map(|id| live.users.get(id).map(|u| u.username.clone()))
            .collect();
        match (&g.members, l.membership_method.is_dynamic()) {
            (None, true) => {}
            (Some(m), false) if *m == live_members => {}
            _ => out.push(format!("group {} members", l.name)),
        }
    }
    if model.groups.len() != live.groups.len() {
        out.push("group count".into());
    }
    // Directories.
    for l in live.ad_domains.values() {
        let Some((_, d)) = model.ad_domains.iter().find(|(_, d)| d.domain == l.domain) else {
            out.push(format!("AD {} missing", l.domain));
            continue;
        };
        if d.use_case.is_some_and(|u| u != l.use_case)
            || d.delegation.unwrap_or(jcform::model::Delegation::Disabled) != l.delegation
            || d.groups_enabled.unwrap_or(false) != l.groups_enabled
        {
            out.push(format!("AD {} fields", l.domain));
        }
    }
    for l in live.m365_tenants.values() {
        let Some((_, t)) = model.m365_tenants.iter().find(|(_, t)| t.id == l.id) else {
            out.push(format!("tenant {} missing", l.id));
            continue;
        };
        if t.name != l.name
            || t.groups_enabled.unwrap_or(false) != l.groups_enabled
            || t.default_domain != l.default_domain
            || t.user_lockout_action != l.user_lockout_action
            || t.user_password_expiration_action != l.user_password_expiration_action
        {
            out.push(format!("tenant {} fields", l.id));
        }
    }
    // Bindings, translated to remote ids.
    let mut bound = BTreeSet::new();
    for b in &model.bindings {
        let dir = match &b.directory {
            Directory::AdDomain(k) => ad_id(k).map(Directory::AdDomain),
            Directory::M365Tenant(k) => tenant_id(k).map(Directory::M365Tenant),
            // Issue 16: an app's `groups` are bindings to it; the app is matched by its label.
            Directory::SsoApp(k) => model.sso_apps.get(k).and_then(|a| {
                live.sso_apps
                    .values()
                    .find(|l| l.display_label.as_deref() == Some(a.label(k)))
                    .map(|l| Directory::SsoApp(l.id.clone()))
            }),
        };
        let subject = match &b.subject {
            Subject::User(n) => live.user_by_name(n).map(|u| Subject::User(u.id.clone())),
            Subject::Group(n) => live.group_by_name(n).map(|g| Subject::Group(g.id.clone())),
        };
        match (dir, subject) {
            (Some(directory), Some(subject)) => {
                bound.insert(jcform::model::Binding { directory, subject });
            }
            _ => out.push(format!("binding {b:?} names nothing live")),
        }
    }
    if bound != live.bindings {
        out.push(format!(
            "bindings differ: {} declared, {} live",
            bound.len(),
            live.bindings.len()
        ));
    }
    out
}
