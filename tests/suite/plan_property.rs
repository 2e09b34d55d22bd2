//! Properties:
//! - the plan of any config against an org written to match it is empty, whatever the manage
//!   modes;
//! - applying any generated config to the sandbox (through the config loader, the diff, the
//!   schedule and the executor, over HTTP to the emulator) gives an org the next plan finds
//!   empty, when the config clears fields (`""` and `null`), spells names in another case than
//!   the org, and carries Unicode and values up to the API's length limits; and re-spelling a
//!   name never deletes and re-creates the object (same remote id).

use crate::scenarios_common as common;

use std::collections::{BTreeMap, BTreeSet};

use jcform::model::live::{
    AdAgent, LiveAdDomain, LiveGroup, LiveM365Tenant, LiveState, LiveUser, MembershipMethod,
};
use jcform::model::{
    AdDomain, Binding, DelegatedAuthority, Delegation, Directory, Group, M365Tenant, ManageMode,
    Model, Subject, UseCase, User, UserAttrs, UserState,
};
use proptest::prelude::*;

fn id(prefix: u8, n: usize) -> String {
    format!("{prefix:02x}{n:022x}")
}

/// firstname, job_title, suspended, index of the AD domain the user delegates to.
type UserSpec = (Option<String>, Option<String>, bool, Option<usize>);

#[derive(Debug, Clone)]
struct Org {
    users: Vec<UserSpec>,
    groups: Vec<(Option<String>, BTreeSet<usize>)>,
    ads: usize,
    tenants: usize,
    user_bindings: BTreeSet<(usize, usize)>, // (directory index, user)
    group_bindings: BTreeSet<(usize, usize)>, // (directory index, group)
    modes: [ManageMode; 5],
}

fn mode() -> impl Strategy<Value = ManageMode> {
    prop_oneof![
        Just(ManageMode::Full),
        Just(ManageMode::Additive),
        Just(ManageMode::Ignore)
    ]
}

fn org() -> impl Strategy<Value = Org> {
    (1usize..7, 0usize..4, 0usize..3, 0usize..2).prop_flat_map(|(nu, ng, nad, nt)| {
        let user = (
            proptest::option::of("[A-Z][a-zé]{1,6}"),
            proptest::option::of("[A-Za-z ]{1,12}"),
            any::<bool>(),
            proptest::option::of(0..nad.max(1)),
        );
        let dirs = nad + nt;
        (
            proptest::collection::vec(user, nu),
            proptest::collection::vec(
                (
                    proptest::option::of("[a-z ]{0,10}"),
                    proptest::collection::btree_set(0..nu, 0..nu),
                ),
                ng,
            ),
            proptest::collection::btree_set((0..dirs.max(1), 0..nu), 0..6),
            proptest::collection::btree_set((0..dirs.max(1), 0..ng.max(1)), 0..4),
            [mode(), mode(), mode(), mode(), mode()],
        )
            .prop_map(move |(users, groups, ub, gb, modes)| Org {
                users: users
                    .into_iter()
                    .map(|(f, j, s, d)| (f, j, s, d.filter(|_| nad > 0)))
                    .collect(),
                groups,
                ads: nad,
                tenants: nt,
                user_bindings: if dirs == 0 { BTreeSet::new() } else { ub },
                group_bindings: if dirs == 0 || ng == 0 {
                    BTreeSet::new()
                } else {
                    gb
                },
                modes,
            })
    })
}

fn directory(org: &Org, i: usize, live: bool) -> Directory {
    if i < org.ads {
        Directory::AdDomain(if live { id(0xc0, i) } else { format!("ad{i}") })
    } else {
        let t = i - org.ads;
        Directory::M365Tenant(if live {
            id(0xe0, t)
        } else {
            format!("tenant{t}")
        })
    }
}

fn build(org: &Org) -> (Model, LiveState) {
    let mut model = Model::default();
    let mut live = LiveState::default();
    let [users, groups, ad_domains, memberships, bindings] = org.modes;
    model.settings.manage = jcform::model::Manage {
        users,
        groups,
        ad_domains,
        memberships,
        bindings,
        // The generated orgs have no SSO apps.
        sso_apps: ManageMode::Additive,
    };
    for (i, (first, job, suspended, ad)) in org.users.iter().enumerate() {
        let name = format!("user{i}");
        let attrs = UserAttrs {
            email: Some(format!("{name}@example.com")),
            firstname: first.clone(),
            job_title: job.clone(),
            state: Some(if *suspended {
                UserState::Suspended
            } else {
                UserState::Active
            }),
            ..UserAttrs::default()
        };
        model.users.insert(
            name.clone(),
            User {
                attrs: attrs.clone(),
                initial_password: None,
                delegated_authority: Some(ad.map_or(DelegatedAuthority::None, |a| {
                    DelegatedAuthority::Ad(format!("ad{a}"))
                })),
                password_authority: None,
            },
        );
        live.users.insert(
            id(0xa0, i),
            LiveUser {
                id: id(0xa0, i),
                username: name,
                attrs: attrs.into(),
                password_set: true,
                delegated_authority: ad.map(|a| id(0xc0, a)),
                ..LiveUser::default()
            },
        );
    }
    for (g, (description, members)) in org.groups.iter().enumerate() {
        let description = description.clone().filter(|d| !d.is_empty());
        model.groups.insert(
            format!("group{g}"),
            Group {
                description: description.clone(),
                members: Some(members.iter().map(|u| format!("user{u}")).collect()),
            },
        );
        live.groups.insert(
            id(0xb0, g),
            LiveGroup {
                id: id(0xb0, g),
                name: format!("group{g}"),
                description,
                membership_method: MembershipMethod::Static,
                member_query: None,
                members: members.iter().map(|u| id(0xa0, *u)).collect(),
                raw: serde_json::Value::Null,
            },
        );
    }
    for a in 0..org.ads {
        let domain = format!("ad{a}.example.com");
        model.ad_domains.insert(
            format!("ad{a}"),
            AdDomain {
                domain: domain.clone(),
                use_case: Some(UseCase::TwoWaySync),
                delegation: Some(Delegation::Enabled),
                groups_enabled: Some(true),
            },
        );
        live.ad_domains.insert(
            id(0xc0, a),
            LiveAdDomain {
                id: id(0xc0, a),
                api_domain: jcform::model::ad_domain_to_dn(&domain),
                domain,
                use_case: UseCase::TwoWaySync,
                delegation: Delegation::Enabled,
                groups_enabled: true,
                agents: vec![AdAgent {
                    id: id(0xd0, a),
                    agent_type: "IMPORT".into(),
                    state: Some("active".into()),
                    host_type: Some("DC".into()),
                    hostname: None,
                    version: None,
                }],
                primary_import_agent: None,
                raw: serde_json::Value::Null,
            },
        );
    }
    for t in 0..org.tenants {
        model.m365_tenants.insert(
            format!("tenant{t}"),
            M365Tenant {
                id: id(0xe0, t),
                name: Some(format!("Tenant {t}")),
                ..M365Tenant::default()
            },
        );
        live.m365_tenants.insert(
            id(0xe0, t),
            LiveM365Tenant {
                id: id(0xe0, t),
                name: Some(format!("Tenant {t}")),
                groups_enabled: false,
                default_domain: None,
                user_lockout_action: None,
                user_password_expiration_action: None,
                domains: Vec::new(),
                raw: serde_json::Value::Null,
            },
        );
    }
    for (d, u) in &org.user_bindings {
        model.bindings.insert(Binding {
            directory: directory(org, *d, false),
            subject: Subject::User(format!("user{u}")),
        });
        live.bindings.insert(Binding {
            directory: directory(org, *d, true),
            subject: Subject::User(id(0xa0, *u)),
        });
    }
    for (d, g) in &org.group_bindings {
        model.bindings.insert(Binding {
            directory: directory(org, *d, false),
            subject: Subject::Group(format!("group{g}")),
        });
        live.bindings.insert(Binding {
            directory: directory(org, *d, true),
            subject: Subject::Group(id(0xb0, *g)),
        });
    }
    (model, live)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn a_matching_org_plans_empty(org in org()) {
        let (model, live) = build(&org);
        let plan = jcform::plan::diff(&model, &live).expect("a matching org plans");
        let changes: BTreeMap<String, String> =
            plan.changes.iter().map(|c| (c.address.to_string(), c.reason.clone())).collect();
        prop_assert!(plan.changes.is_empty(), "unexpected changes: {changes:#?}");
    }
}

// -------------------------------------------------------------------------------------------
// Apply, then plan: empty.

/// A managed text field in a generated config.
#[derive(Debug, Clone)]
enum Text {
    /// Left out: not managed.
    Absent,
    /// `""`: cleared.
    Empty,
    /// `null`: cleared.
    Null,
    Value(String),
}

impl Text {
    /// `  name: value` for YAML (JSON strings are YAML double-quoted scalars), or nothing.
    fn yaml(&self, name: &str) -> String {
        match self {
            Text::Absent => String::new(),
            Text::Empty => format!("    {name}: \"\"\n"),
            Text::Null => format!("    {name}: null\n"),
            Text::Value(v) => format!("    {name}: {}\n", serde_json::Value::from(v.as_str())),
        }
    }
}

fn text(max: usize) -> impl Strategy<Value = Text> {
    prop_oneof![
        Just(Text::Absent),
        Just(Text::Empty),
        Just(Text::Null),
        "[\\p{L}\\p{N}\\p{P}\\p{S} ]{1,16}".prop_map(Text::Value),
        // Up to the v1 limit of the field (systemuserputpost maxLength).
        (max - 8..=max).prop_map(|n| Text::Value("ÿ".repeat(n / 2) + &"z".repeat(n - n / 2))),
    ]
}

/// Another spelling of `name` that JumpCloud (and jcform) treat as the same name: each letter
/// upper- or lower-cased when that round-trips under simple lower-casing (never `ß` -> `SS`).
fn respell(name: &str, mask: u64) -> String {
    name.chars()
        .enumerate()
        .map(|(i, c)| {
            let upper: Vec<char> = c.to_uppercase().collect();
            let lower: Vec<char> = c.to_lowercase().collect();
            let pick = if mask >> (i % 64) & 1 == 1 {
                &upper
            } else {
                &lower
            };
            let same = pick.len() == 1
                && pick[0].to_lowercase().collect::<String>()
                    == c.to_lowercase().collect::<String>();
            if same {
                pick[0]
            } else {
                c
            }
        })
        .collect()
}

#[derive(Debug, Clone)]
struct GenUser {
    stem: String,
    seed_mask: u64,
    target_mask: u64,
    seed: [Text; 3],
    target: [Text; 3],
}

#[derive(Debug, Clone)]
struct GenGroup {
    stem: String,
    seed_mask: u64,
    target_mask: u64,
    seed: Text,
    target: Text,
    members: BTreeSet<usize>,
}

#[derive(Debug, Clone)]
struct ApplyCase {
    users: Vec<GenUser>,
    groups: Vec<GenGroup>,
}

fn fields() -> [BoxedStrategy<Text>; 3] {
    // job_title (1024), description (1024), employee_id (256)
    [text(1024).boxed(), text(1024).boxed(), text(256).boxed()]
}

fn apply_case() -> impl Strategy<Value = ApplyCase> {
    let user = (
        "[a-zA-Zéüßøæ.'_]{1,8}",
        any::<u64>(),
        any::<u64>(),
        fields(),
        fields(),
    )
        .prop_map(|(stem, seed_mask, target_mask, seed, target)| GenUser {
            stem,
            seed_mask,
            target_mask,
            seed,
            target,
        });
    (1usize..4, 0usize..3).prop_flat_map(move |(nu, ng)| {
        let group = (
            "[a-zA-ZÉèçß ]{1,8}",
            any::<u64>(),
            any::<u64>(),
            text(1024),
            text(1024),
            proptest::collection::btree_set(0..nu, 0..=nu),
        )
            .prop_map(
                |(stem, seed_mask, target_mask, seed, target, members)| GenGroup {
                    stem,
                    seed_mask,
                    target_mask,
                    seed,
                    target,
                    members,
                },
            );
        (
            proptest::collection::vec(user.clone(), nu),
            proptest::collection::vec(group, ng),
        )
            .prop_map(|(users, groups)| ApplyCase { users, groups })
    })
}

const FIELD_NAMES: [&str; 3] = ["job_title", "description", "employee_id"];

/// The config of one side (`seed` or `target`): names spelled with that side's mask, the
/// stems made unique by an index (never equal under lower-casing).
fn config_yaml(case: &ApplyCase, target: bool) -> String {
    let mut y = String::from(
        "version: 1\nsettings:\n  manage: {users: full, groups: full, memberships: full}\nusers:\n",
    );
    let username = |i: usize, u: &GenUser| {
        let mask = if target { u.target_mask } else { u.seed_mask };
        respell(&format!("{}-{i}", u.stem), mask)
    };
    for (i, u) in case.users.iter().enumerate() {
        let name = username(i, u);
        y.push_str(&format!("  {}:\n", serde_json::Value::from(name.as_str())));
        let email = respell(
            &format!("user{i}@example.com"),
            if target { u.target_mask } else { u.seed_mask },
        );
        y.push_str(&format!("    email: {email}\n"));
        let side = if target { &u.target } else { &u.seed };
        for (t, name) in side.iter().zip(FIELD_NAMES) {
            match t {
                // Employee ids must be unique per user (validate refuses two alike): the first
                // character becomes the user's index, so the length stays within the limit.
                Text::Value(v) if name == "employee_id" => {
                    let unique: String = format!("{i}") + &v.chars().skip(1).collect::<String>();
                    y.push_str(&Text::Value(unique).yaml(name));
                }
                _ => y.push_str(&t.yaml(name)),
            }
        }
    }
    if !case.groups.is_empty() {
        y.push_str("groups:\n");
    }
    for (g, group) in case.groups.iter().enumerate() {
        let mask = if target {
            group.target_mask
        } else {
            group.seed_mask
        };
        let name = respell(&format!("{} {g}", group.stem), mask);
        y.push_str(&format!("  {}:\n", serde_json::Value::from(name.as_str())));
        y.push_str(&(if target { &group.target } else { &group.seed }).yaml("description"));
        let members: Vec<String> = group
            .members
            .iter()
            .map(|m| serde_json::Value::from(username(*m, &case.users[*m]).as_str()).to_string())
            .collect();
        y.push_str(&format!("    members: [{}]\n", members.join(", ")));
    }
    y
}

/// Loads `yaml`, plans against the sandbox and applies the plan once; returns the plan.
async fn apply_once(sb: &common::Sandbox, yaml: &str, name: &str) -> jcform::plan::Plan {
    use jcform::apply::execute::{Context, Silent};
    use jcform::apply::{execute, schedule, ExecuteOptions, OrderHints};
    let dir = sb.dir.path().join(name);
    std::fs::create_dir_all(&dir).expect("config dir");
    std::fs::write(dir.join("main.yaml"), yaml).expect("write config");
    let config =
        jcform::model::load(&dir).unwrap_or_else(|e| panic!("config loads: {e:?}\n{yaml}"));
    let live = sb.live().await;
    let plan = jcform::plan::diff(&config.model, &live).unwrap_or_else(|e| panic!("{e}\n{yaml}"));
    let s = schedule(&plan, &OrderHints::default()).expect("orders");
    let keys = jcform::plan::keys::Keys::new(&config.model, &live);
    let ctx = Context {
        model: &config.model,
        live: &live,
        keys: &keys,
    };
    let report = execute(
        &sb.client(2),
        &plan,
        &s,
        &ctx,
        &ExecuteOptions { parallelism: 2 },
        &Silent,
    )
    .await;
    assert!(
        report.succeeded(),
        "{name} apply failed: {report:#?}\n{yaml}"
    );
    let after = sb.live().await;
    let again = jcform::plan::diff(&config.model, &after).unwrap_or_else(|e| panic!("{e}"));
    let left: Vec<String> = again
        .changes
        .iter()
        .map(|c| {
            format!(
                "{} {} {} -> {}",
                c.action.glyph(),
                c.address,
                c.before,
                c.after
            )
        })
        .collect();
    assert!(
        again.is_empty(),
        "{name}: not converged after one apply: {left:#?}\n{yaml}"
    );
    plan
}

/// Remote ids by lower-cased name, for users and groups.
fn ids_by_name(live: &LiveState) -> BTreeMap<String, String> {
    live.users
        .values()
        .map(|u| (format!("user:{}", u.username.to_lowercase()), u.id.clone()))
        .chain(
            live.groups
                .values()
                .map(|g| (format!("group:{}", g.name.to_lowercase()), g.id.clone())),
        )
        .collect()
}

proptest! {
    // Each case starts an emulator and applies twice over HTTP: few cases, still seconds.
    #![proptest_config(ProptestConfig { cases: 16, failure_persistence: None, ..ProptestConfig::default() })]
    #[test]
    fn applying_any_config_converges_and_respelling_keeps_ids(case in apply_case()) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let sb = common::Sandbox::start(common::Faults::default()).await;
            apply_once(&sb, &config_yaml(&case, false), "seed").await;
            let seeded = ids_by_name(&sb.live().await);
            let plan = apply_once(&sb, &config_yaml(&case, true), "target").await;
            let replaced: Vec<String> = plan
                .changes
                .iter()
                .filter(|c| matches!(c.address, jcform::model::Address::User(_) | jcform::model::Address::Group(_)))
                .filter(|c| c.action != jcform::plan::Action::Update)
                .map(|c| format!("{} {}", c.action.glyph(), c.address))
                .collect();
            assert!(replaced.is_empty(), "a re-spelt name was not an update: {replaced:?}");
            assert_eq!(ids_by_name(&sb.live().await), seeded, "same objects, same ids");
        });
    }
}
