//! Property: the plan of any config against an org written to match it is empty, whatever the
//! manage modes. (Scenario tests prove the same for orgs built by `apply`.)

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
                attrs,
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
        let plan = jcform::plan::diff(&model, &live);
        let changes: BTreeMap<String, String> =
            plan.changes.iter().map(|c| (c.address.to_string(), c.reason.clone())).collect();
        prop_assert!(plan.changes.is_empty(), "unexpected changes: {changes:#?}");
    }
}
