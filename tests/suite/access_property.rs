//! Property: for random orgs and plans, the access model says a user cannot log in to the User
//! Portal after the plan exactly when an error finding names them.
//!
//! Precisely, for every user the plan leaves in the org, active, and not simply waiting for
//! activation (no JumpCloud password and no delegated authority, with no change to blame):
//! `after.portal.can_log_in` is false if and only if an error finding of a portal rule
//! (`access::PORTAL_RULES`) names them, and the codes of those findings are exactly the error
//! codes in `after.portal.blocked_by`. LCK005 on a user who delegates is about Microsoft 365
//! only (they log in through AD), so it does not count for them. Users who are suspended,
//! staged or deleted cannot log in by the plan's own choice, not by a lockout.

use std::collections::BTreeSet;

use jcform::access::PORTAL_RULES;
use jcform::diag::Severity;
use jcform::lint::fixture::{ad, m365, sg, su, user, with_password, Files, Org};
use jcform::lint::{self, Context};
use jcform::model::live::LiveState;
use jcform::model::lower::Origins;
use jcform::model::{DelegatedAuthority, Delegation, Directory, ManageMode, Model, UserState};
use proptest::prelude::*;

const USERS: usize = 5;
const ADS: usize = 3;
const GROUPS: usize = 2;

#[derive(Debug, Clone)]
struct LiveUserSpec {
    exists: bool,
    password: bool,
    delegates: Option<usize>,
    suspended: bool,
}

#[derive(Debug, Clone)]
struct FileUserSpec {
    declared: bool,
    password: bool,
    /// None: not managed; Some(None): none; Some(Some(i)): AD domain i.
    delegates: Option<Option<usize>>,
    suspended: Option<bool>,
}

/// An import agent: (on a domain controller, version).
type Agent = (bool, Option<&'static str>);

#[derive(Debug, Clone)]
struct AdSpec {
    live: Option<(Delegation, Vec<Agent>)>,
    declared: Option<Option<Delegation>>,
}

#[derive(Debug, Clone)]
struct Spec {
    live_users: Vec<LiveUserSpec>,
    file_users: Vec<FileUserSpec>,
    ads: Vec<AdSpec>,
    tenant: bool,
    /// (directory 0..ADS = AD, ADS = tenant; user) bindings, live and declared.
    live_user_bindings: BTreeSet<(usize, usize)>,
    file_user_bindings: BTreeSet<(usize, usize)>,
    live_group_bindings: BTreeSet<(usize, usize)>,
    file_group_bindings: BTreeSet<(usize, usize)>,
    live_members: Vec<BTreeSet<usize>>,
    file_members: Vec<BTreeSet<usize>>,
    full: bool,
}

fn delegation() -> impl Strategy<Value = Delegation> {
    prop_oneof![
        3 => Just(Delegation::Enabled),
        1 => Just(Delegation::Disabled),
        1 => Just(Delegation::Pending),
    ]
}

fn spec() -> impl Strategy<Value = Spec> {
    let live_user = (
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(0..ADS),
        prop::bool::weighted(0.2),
    )
        .prop_map(|(exists, password, delegates, suspended)| LiveUserSpec {
            exists,
            password,
            delegates,
            suspended,
        });
    let file_user = (
        prop::bool::weighted(0.8),
        any::<bool>(),
        proptest::option::of(proptest::option::of(0..ADS)),
        proptest::option::of(prop::bool::weighted(0.2)),
    )
        .prop_map(|(declared, password, delegates, suspended)| FileUserSpec {
            declared,
            password,
            delegates,
            suspended,
        });
    let agent = (
        any::<bool>(),
        prop_oneof![Just(None), Just(Some("2.6.0")), Just(Some("3.1.0"))],
    );
    let ad_spec = (
        proptest::option::of((delegation(), proptest::collection::vec(agent, 0..3))),
        proptest::option::of(proptest::option::of(
            delegation().prop_filter("files say enabled or disabled", |d| {
                *d != Delegation::Pending
            }),
        )),
    )
        .prop_map(|(live, declared)| AdSpec { live, declared });
    let dirs = ADS + 1;
    (
        proptest::collection::vec(live_user, USERS),
        proptest::collection::vec(file_user, USERS),
        proptest::collection::vec(ad_spec, ADS),
        any::<bool>(),
        proptest::collection::btree_set((0..dirs, 0..USERS), 0..6),
        proptest::collection::btree_set((0..dirs, 0..USERS), 0..6),
        proptest::collection::btree_set((0..dirs, 0..GROUPS), 0..3),
        proptest::collection::btree_set((0..dirs, 0..GROUPS), 0..3),
        proptest::collection::vec(proptest::collection::btree_set(0..USERS, 0..4), GROUPS),
        proptest::collection::vec(proptest::collection::btree_set(0..USERS, 0..4), GROUPS),
        any::<bool>(),
    )
        .prop_map(
            |(lu, fu, ads, tenant, lub, fub, lgb, fgb, lm, fm, full)| Spec {
                live_users: lu,
                file_users: fu,
                ads,
                tenant,
                live_user_bindings: lub,
                file_user_bindings: fub,
                live_group_bindings: lgb,
                file_group_bindings: fgb,
                live_members: lm,
                file_members: fm,
                full,
            },
        )
}

fn name(i: usize) -> String {
    format!("user{i}")
}

fn build(s: &Spec) -> (Model, LiveState) {
    let mut org = Org::new();
    for (i, u) in s.live_users.iter().enumerate() {
        if !u.exists {
            continue;
        }
        let (password, delegates, suspended) = (u.password, u.delegates, u.suspended);
        org = org.user_with(&format!("u{i}"), &name(i), |lu| {
            lu.password_set = password;
            lu.delegated_authority = delegates.map(|a| format!("a{a}"));
            if suspended {
                lu.attrs_mut().state = Some(UserState::Suspended);
            }
        });
    }
    for (i, d) in s.ads.iter().enumerate() {
        if let Some((delegation, agents)) = &d.live {
            let agents: Vec<(&str, Option<&str>)> = agents
                .iter()
                .map(|(dc, v)| {
                    (
                        if *dc {
                            "DOMAIN_CONTROLLER"
                        } else {
                            "MEMBER_SERVER"
                        },
                        *v,
                    )
                })
                .collect();
            org = org.ad_agents(
                &format!("a{i}"),
                &format!("d{i}.example.com"),
                *delegation,
                &agents,
            );
        }
    }
    if s.tenant {
        org = org.tenant("t0", "Contoso", &["example.com"]);
    }
    for (g, members) in s.live_members.iter().enumerate() {
        let ids: Vec<String> = members
            .iter()
            .filter(|u| s.live_users[**u].exists)
            .map(|u| format!("u{u}"))
            .collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        org = org.group(&format!("g{g}"), &format!("group{g}"), &ids);
    }
    let live_dir = |d: usize| {
        if d < ADS {
            ad(&format!("a{d}"))
        } else {
            m365("t0")
        }
    };
    let live_exists = |d: usize| {
        if d < ADS {
            s.ads[d].live.is_some()
        } else {
            s.tenant
        }
    };
    for (d, u) in &s.live_user_bindings {
        if live_exists(*d) && s.live_users[*u].exists {
            org = org.bind(live_dir(*d), su(&format!("u{u}")));
        }
    }
    for (d, g) in &s.live_group_bindings {
        if live_exists(*d) {
            org = org.bind(live_dir(*d), sg(&format!("g{g}")));
        }
    }

    let mut files = Files::new();
    for (i, d) in s.ads.iter().enumerate() {
        if let Some(delegation) = d.declared {
            files = files.ad(&format!("ad{i}"), &format!("d{i}.example.com"), delegation);
        }
    }
    files = files.tenant("contoso", "t0");
    let declared_ad = |i: usize| s.ads[i].declared.is_some();
    for (i, u) in s.file_users.iter().enumerate() {
        if !u.declared {
            continue;
        }
        let mut du = user(&name(i));
        if u.password {
            du = with_password(du, "Sufficient-12");
        }
        du.delegated_authority = match u.delegates {
            None => None,
            Some(None) => Some(DelegatedAuthority::None),
            Some(Some(a)) if declared_ad(a) => Some(DelegatedAuthority::Ad(format!("ad{a}"))),
            Some(Some(_)) => Some(DelegatedAuthority::None),
        };
        du.attrs.state = u.suspended.map(|s| {
            if s {
                UserState::Suspended
            } else {
                UserState::Active
            }
        });
        files = files.user(&name(i), du);
    }
    let declared_user = |u: usize| s.file_users[u].declared;
    for (g, members) in s.file_members.iter().enumerate() {
        let names: Vec<String> = members
            .iter()
            .filter(|u| declared_user(**u))
            .map(|u| name(*u))
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        files = files.group(&format!("group{g}"), Some(&names));
    }
    let file_dir = |d: usize| {
        if d < ADS {
            declared_ad(d).then(|| ad(&format!("ad{d}")))
        } else {
            Some(m365("contoso"))
        }
    };
    for (d, u) in &s.file_user_bindings {
        if let (Some(dir), true) = (file_dir(*d), declared_user(*u)) {
            files = files.bind(dir, su(&name(*u)));
        }
    }
    for (d, g) in &s.file_group_bindings {
        if let Some(dir) = file_dir(*d) {
            files = files.bind(dir, sg(&format!("group{g}")));
        }
    }
    let mut model = files.build();
    if s.full {
        model.settings.manage.users = ManageMode::Full;
        model.settings.manage.memberships = ManageMode::Full;
        model.settings.manage.bindings = ManageMode::Full;
    }
    (model, org.build())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn portal_lockout_iff_an_error_finding_names_the_user(s in spec()) {
        let (model, live) = build(&s);
        let plan = jcform::plan::diff(&model, &live).expect("the generated org plans");
        let origins = Origins::default();
        let cx = Context::with_org(&model, &origins, &live, &plan);
        let findings = lint::check(&cx);
        for (name, verdict) in cx.access.after.iter() {
            let Some(u) = cx.after.users.get(name) else {
                prop_assert!(verdict.deleted, "{name} not in the world: deleted");
                continue;
            };
            if u.state().unwrap_or(UserState::Active) != UserState::Active {
                continue;
            }
            let delegates = u.delegated_authority.is_some();
            let m365_bound = cx
                .bound(name)
                .any(|d| matches!(d, Directory::M365Tenant(_)));
            let cleared = !u.created
                && cx
                    .before
                    .users
                    .get(name)
                    .is_some_and(|b| b.delegated_authority.is_some());
            let has_a_way = u.password_set || delegates || cleared || (u.created && m365_bound);
            let waiting = !has_a_way;
            if waiting {
                continue;
            }
            let address = jcform::model::Address::User(name.clone());
            let named: BTreeSet<&str> = findings
                .iter()
                .filter(|f| f.severity == Severity::Error && f.targets.contains(&address))
                .filter(|f| PORTAL_RULES.contains(&f.code))
                .filter(|f| !(f.code == "LCK005" && delegates))
                .map(|f| f.code)
                .collect();
            let blocked: BTreeSet<&str> = verdict
                .portal
                .blocked_by
                .iter()
                .copied()
                .filter(|c| jcform::lint::catalog::find(c)
                    .is_some_and(|r| r.severity == Severity::Error))
                .collect();
            prop_assert_eq!(
                !verdict.portal.can_log_in,
                !named.is_empty(),
                "{}: can_log_in={} but findings {:?}; verdict {:?}",
                name,
                verdict.portal.can_log_in,
                named,
                verdict.portal
            );
            prop_assert_eq!(&named, &blocked, "{}: codes", name);
        }
    }
}

/// The property is only as good as the orgs it sees: the generator must produce every portal
/// lockout, and users who can log in too.
#[test]
fn the_generator_reaches_every_portal_lockout() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config::default());
    let mut seen: BTreeSet<&str> = BTreeSet::new();
    let mut can = 0;
    for _ in 0..600 {
        let s = spec().new_tree(&mut runner).expect("spec").current();
        let (model, live) = build(&s);
        let plan = jcform::plan::diff(&model, &live).expect("the generated org plans");
        let origins = Origins::default();
        let cx = Context::with_org(&model, &origins, &live, &plan);
        for v in cx.access.after.values() {
            seen.extend(v.portal.blocked_by.iter().copied());
            can += usize::from(v.portal.can_log_in);
        }
    }
    for code in PORTAL_RULES {
        assert!(seen.contains(code), "{code} never generated: {seen:?}");
    }
    assert!(can > 100, "users who can log in: {can}");
}
