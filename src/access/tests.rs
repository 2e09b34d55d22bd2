//! The access model in memory: renames, deleted users, offline, sentences. The situations table
//! runs through the binary (tests/suite/access_cli.rs); the lockout property in
//! tests/suite/access_property.rs.

use serde_json::json;

use super::*;
use crate::lint::fixture::{ad, delegated, m365, sg, su, user, with_password, Files, Org};
use crate::lint::{check, Context};
use crate::model::lower::Origins;
use crate::model::{Delegation, ManageMode};
use crate::plan::{diff, Change, Plan, Side};

/// A user change side as plan JSON.
fn side(v: serde_json::Value) -> Side {
    Side::from_json(&Address::User("x".into()), &v).unwrap()
}

fn access(model: &crate::model::Model, live: &crate::model::live::LiveState) -> Access {
    let plan = diff(model, live).expect("the generated org plans");
    let origins = Origins::default();
    Context::with_org(model, &origins, live, &plan).access
}

#[test]
fn a_user_the_plan_renames_keeps_their_verdicts_and_findings_under_the_new_address() {
    // The org has `alice` in a group bound to contoso; the plan renames her `alicia`, suspends
    // her and takes her out of the group (a plan as the rename support writes it: an update of
    // the new address that names the old username).
    let mut alicia = user("alicia");
    alicia.attrs.state = Some(UserState::Suspended);
    let model = Files::new()
        .user("alicia", alicia)
        .group("staff", Some(&[]))
        .tenant("contoso", "t1")
        .bind(m365("contoso"), sg("staff"))
        .build();
    let live = Org::new()
        .user("u1", "alice")
        .group("g1", "staff", &["u1"])
        .tenant("t1", "Contoso", &["example.com"])
        .bind(m365("t1"), sg("g1"))
        .build();
    let plan = Plan {
        changes: vec![
            Change {
                address: Address::User("alicia".into()),
                action: Action::Update,
                reason: "renamed".into(),
                // The rename is the `username` before-value, as `diff` writes it.
                before: side(json!({"username": "alice", "state": "active"})),
                after: side(json!({"username": "alicia", "state": "suspended"})),
                remote_ids: Default::default(),
            },
            Change {
                address: Address::Membership("staff".into(), "alicia".into()),
                action: Action::Delete,
                reason: "not listed".into(),
                before: Side::edge(&Address::Membership("staff".into(), "alicia".into())).unwrap(),
                after: Side::Absent,
                remote_ids: Default::default(),
            },
        ],
        ..Plan::default()
    };
    let origins = Origins::default();
    let cx = Context::with_org(&model, &origins, &live, &plan);
    assert!(
        !cx.access.before.contains_key("alice"),
        "keyed by the plan's address"
    );
    let before = &cx.access.before["alicia"];
    let after = &cx.access.after["alicia"];
    assert_eq!(before.m365.sign_in, SignIn::Active);
    assert_eq!(after.m365.sign_in, SignIn::Blocked);
    assert_eq!(after.m365.blocked_by, [LCK101.code]);
    assert!(!after.deleted);
    let findings = check(&cx);
    let lck101: Vec<String> = findings
        .iter()
        .filter(|f| f.code == "LCK101")
        .flat_map(|f| f.targets.iter().map(ToString::to_string))
        .collect();
    assert_eq!(lck101, ["user.alicia"]);
}

#[test]
fn lck101_and_lck113_list_every_affected_user() {
    let names: Vec<String> = (0..12).map(|i| format!("user{i:02}")).collect();
    let mut files = Files::new().tenant("contoso", "t1");
    let mut org = Org::new().tenant("t1", "Contoso", &["example.com"]);
    let mut ids = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let mut u = user(n);
        // Half are suspended (LCK113), half leave the bound group (LCK101).
        if i % 2 == 0 {
            u.attrs.state = Some(UserState::Suspended);
        }
        files = files.user(n, u);
        org = org.user(&format!("u{i}"), n);
        ids.push(format!("u{i}"));
    }
    let stay: Vec<&str> = names
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 2 == 0)
        .map(|(_, n)| n.as_str())
        .collect();
    let mut model = files
        .group("staff", Some(&stay))
        .bind(m365("contoso"), sg("staff"))
        .build();
    model.settings.manage.memberships = ManageMode::Full;
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let live = org
        .group("g1", "staff", &ids)
        .bind(m365("t1"), sg("g1"))
        .build();
    let plan = diff(&model, &live).expect("the generated org plans");
    let origins = Origins::default();
    let cx = Context::with_org(&model, &origins, &live, &plan);
    let findings = check(&cx);
    let targets = |code: &str| -> Vec<String> {
        let mut t: Vec<String> = findings
            .iter()
            .filter(|f| f.code == code)
            .flat_map(|f| f.targets.iter().map(ToString::to_string))
            .collect();
        t.sort();
        t
    };
    let odd: Vec<String> = (0..12)
        .filter(|i| i % 2 == 1)
        .map(|i| format!("user.user{i:02}"))
        .collect();
    let even: Vec<String> = (0..12)
        .filter(|i| i % 2 == 0)
        .map(|i| format!("user.user{i:02}"))
        .collect();
    assert_eq!(targets("LCK101"), odd);
    assert_eq!(targets("LCK113"), even);
    let lck113: Vec<_> = findings.iter().filter(|f| f.code == "LCK113").collect();
    assert_eq!(
        lck113.len(),
        1,
        "one finding for the tenant, listing all six"
    );

    // The JSON plan lists all of them; the access summary names them all too.
    let render = crate::render::RenderPlan::new(&plan, &findings, &Default::default())
        .with_access(&cx.access);
    let doc: serde_json::Value =
        serde_json::from_str(&crate::render::json::to_string(&render)).expect("JSON");
    let json_targets: Vec<&str> = doc["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["code"] == "LCK113")
        .flat_map(|f| f["targets"].as_array().into_iter().flatten())
        .filter_map(|t| t.as_str())
        .collect();
    assert_eq!(json_targets.len(), 6);
    let lose = render
        .access_summary
        .iter()
        .find(|s| s.head.contains("lose Microsoft 365 sign-in"))
        .expect("a sentence");
    assert_eq!(lose.users.len(), 12);
    assert_eq!(lose.head, "12 users lose Microsoft 365 sign-in");
}

#[test]
fn offline_the_model_is_what_the_files_declare() {
    let model = Files::new()
        .user(
            "alice",
            with_password(delegated("alice", "corp"), "Sufficient-12"),
        )
        .ad("corp", "corp.example.com", Some(Delegation::Enabled))
        .ad("emea", "emea.example.com", Some(Delegation::Enabled))
        .bind(ad("corp"), su("alice"))
        .bind(ad("emea"), su("alice"))
        .build();
    let origins = Origins::default();
    let cx = Context::offline(&model, &origins);
    assert!(cx.access.before.is_empty());
    let alice = &cx.access.after["alice"];
    assert!(!alice.portal.can_log_in);
    assert_eq!(alice.portal.blocked_by, [LCK001.code]);
    assert_eq!(alice.portal.password_checked_by, "ad_domain.corp");
}

#[test]
fn unchanged_users_have_no_access_changes_and_sentences_count_right() {
    let model = Files::new()
        .user("alice", user("alice"))
        .user("bob", user("bob"))
        .tenant("contoso", "t1")
        .bind(m365("contoso"), su("alice"))
        .build();
    let live = Org::new()
        .user("u1", "alice")
        .user("u2", "bob")
        .tenant("t1", "Contoso", &["example.com"])
        .bind(m365("t1"), su("u1"))
        .bind(m365("t1"), su("u2"))
        .build();
    let mut model = model;
    model.settings.manage.bindings = ManageMode::Full;
    let a = access(&model, &live);
    let changes = a.changes();
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].address, Address::User("bob".into()));
    assert_eq!(changes[0].what, changes::Part::M365);
    assert_eq!(changes[0].before["sign_in"], "active");
    assert_eq!(changes[0].after["sign_in"], "blocked");
    let lines: Vec<String> = a.sentences().iter().map(|s| s.text()).collect();
    assert_eq!(lines, ["1 user loses Microsoft 365 sign-in: bob (LCK101)"]);
    assert_eq!(a.changed_users(), ["bob"]);
}

#[test]
fn capped_sentences_say_how_many_more() {
    let s = changes::Sentence {
        head: "3 users lose Microsoft 365 sign-in".into(),
        users: vec!["a".into(), "b".into(), "c".into()],
    };
    assert_eq!(
        s.text_capped(2),
        "3 users lose Microsoft 365 sign-in: a, b, and 1 more"
    );
    assert_eq!(s.text_capped(3), s.text());
}

#[test]
fn agents_too_old_judges_the_primary_then_every_agent() {
    let live = Org::new()
        .ad_agents(
            "a1",
            "corp.example.com",
            Delegation::Enabled,
            &[
                ("DOMAIN_CONTROLLER", Some("3.0.0")),
                ("MEMBER_SERVER", Some("2.6.0")),
            ],
        )
        .build();
    let model = Files::new().build();
    let w = crate::plan::state::OrgState::prior(&model, &live);
    let d = &w.ad_domains["corp.example.com"];
    assert!(!agents_too_old(d), "primary 3.0.0");
    assert!(!d.member_servers_only(), "one agent on a DC");
}

#[test]
fn the_markdown_cap_never_cuts_the_access_changes() {
    // 300 users leave an M365-bound group: the changes overflow a small cap, the access section
    // stays whole (its user list shortened to "and N more").
    let names: Vec<String> = (0..300).map(|i| format!("user{i:03}")).collect();
    let mut files = Files::new().tenant("contoso", "t1");
    let mut org = Org::new().tenant("t1", "Contoso", &["example.com"]);
    let mut ids = Vec::new();
    for (i, n) in names.iter().enumerate() {
        files = files.user(n, user(n));
        org = org.user(&format!("u{i}"), n);
        ids.push(format!("u{i}"));
    }
    let mut model = files
        .group("staff", Some(&[]))
        .bind(m365("contoso"), sg("staff"))
        .build();
    model.settings.manage.memberships = ManageMode::Full;
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let live = org
        .group("g1", "staff", &ids)
        .bind(m365("t1"), sg("g1"))
        .build();
    let plan = diff(&model, &live).expect("the generated org plans");
    let origins = Origins::default();
    let cx = Context::with_org(&model, &origins, &live, &plan);
    let findings = check(&cx);
    let render = crate::render::RenderPlan::new(&plan, &findings, &Default::default())
        .with_access(&cx.access);
    let md = crate::render::markdown::to_string_capped(&render, 5_000);
    assert!(md.len() <= 5_000, "{}", md.len());
    assert!(md.contains("#### Access changes"));
    assert!(
        md.contains("- 300 users lose Microsoft 365 sign-in: user000 (LCK101), "),
        "{md}"
    );
    assert!(md.contains(", and 280 more"), "{md}");
    assert!(
        md.contains("deletes or replaces and 296 findings not shown"),
        "the changes were cut: {md}"
    );
}

/// Every verdict after the plan is the one `verdict` works out, whether `Access::compute`
/// copied it from before (an untouched user) or not: checked on a plan that suspends one user,
/// takes one out of a bound group, changes one's email and leaves one alone.
#[test]
fn verdicts_copied_for_untouched_users_are_the_ones_worked_out() {
    let mut alice = user("alice");
    alice.attrs.state = Some(UserState::Suspended);
    let mut carol = user("carol");
    carol.attrs.email = Some("carol@elsewhere.example".into());
    let mut model = Files::new()
        .user("alice", alice)
        .user("bob", user("bob"))
        .user("carol", carol)
        .user("dave", user("dave"))
        .group("staff", Some(&["alice", "carol", "dave"]))
        .tenant("contoso", "t1")
        .ad("corp", "corp.example.com", Some(Delegation::Enabled))
        .bind(m365("contoso"), sg("staff"))
        .bind(ad("corp"), sg("staff"))
        .build();
    model.settings.manage.memberships = ManageMode::Full;
    let live = Org::new()
        .user("u1", "alice")
        .user("u2", "bob")
        .user("u3", "carol")
        .user("u4", "dave")
        .group("g1", "staff", &["u1", "u2", "u3", "u4"])
        .tenant("t1", "Contoso", &["example.com"])
        .ad("a1", "corp.example.com", Delegation::Enabled)
        .bind(m365("t1"), sg("g1"))
        .bind(ad("a1"), sg("g1"))
        .build();
    let plan = diff(&model, &live).expect("the fixture plans");
    let origins = Origins::default();
    let cx = Context::with_org(&model, &origins, &live, &plan);
    let taken = super::taken_pairs(&cx.access.takeaways);
    let side = super::Side::after(&cx, &taken);
    let unchanged = Unchanged::new(&cx, &cx.access.takeaways);
    let mut copied = Vec::new();
    for (name, u) in cx.after.users.iter() {
        assert_eq!(*cx.access.after[name], verdict(&side, name, u), "{name}");
        let same_bound = cx.bound_before.get(name) == cx.bound_after.get(name);
        if unchanged.user(name, u, cx.before.users.get(name)) && same_bound {
            copied.push(name.as_str());
        }
    }
    assert_eq!(copied, ["dave"], "only the untouched user is copied");
    assert_eq!(cx.access.after["dave"], cx.access.before["dave"]);
    // The touched users' verdicts changed and are in the access changes; dave is not.
    let changed = cx.access.changed_users();
    assert!(
        changed.contains(&"alice") && changed.contains(&"bob"),
        "{changed:?}"
    );
    assert!(!changed.contains(&"dave"));
}

/// An empty plan shares the states and the effective bindings: nothing is copied or worked out
/// twice, and every verdict after is the one before.
#[test]
fn an_empty_plan_shares_the_pictures() {
    let model = Files::new()
        .user("alice", user("alice"))
        .tenant("contoso", "t1")
        .bind(m365("contoso"), su("alice"))
        .build();
    let live = Org::new()
        .user("u1", "alice")
        .tenant("t1", "Contoso", &["example.com"])
        .bind(m365("t1"), su("u1"))
        .build();
    let plan = diff(&model, &live).expect("the fixture plans");
    assert!(plan.changes.is_empty(), "{plan:?}");
    let origins = Origins::default();
    let cx = Context::with_org(&model, &origins, &live, &plan);
    assert!(std::sync::Arc::ptr_eq(&cx.before, &cx.after));
    assert!(std::sync::Arc::ptr_eq(&cx.bound_before, &cx.bound_after));
    assert!(cx.removed_bindings().is_empty());
    assert_eq!(cx.access.before, cx.access.after);
    assert!(cx.access.changes().is_empty() && cx.access.sentences().is_empty());
}
