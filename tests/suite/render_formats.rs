//! The three plan formats, snapshotted from one hand-built plan (every action, every kind of
//! finding), and the promises they share: the same counts, no secrets, a capped PR comment.

use std::collections::BTreeMap;

use jcform::diag::Severity;
use jcform::lint::Finding;
use jcform::model::{Address, Binding, Directory, Subject};
use jcform::plan::{Action, Change, Plan, Unmanaged};
use jcform::render::{human, json, markdown, RenderContext, RenderPlan};
use serde_json::{json, Value};

fn user(k: &str) -> Address {
    Address::User(k.into())
}

fn ad_binding(domain: &str, u: &str) -> Address {
    Address::Binding(Binding {
        directory: Directory::AdDomain(domain.into()),
        subject: Subject::User(u.into()),
    })
}

fn change(address: Address, action: Action, reason: &str, before: Value, after: Value) -> Change {
    Change {
        reason: reason.into(),
        ..Change::from_json_sides(address, action, before, after).expect("a plan side")
    }
}

/// Every action, a long and a multi-line text field, a secret, a quoted address.
fn sample_plan() -> Plan {
    let changes = vec![
        change(
            user("alice"),
            Action::Create,
            "declared in the files, missing in the org",
            Value::Null,
            json!({
                "email": "alice@example.com",
                "firstname": "Alice",
                "initial_password": "(set)",
            }),
        ),
        change(
            user("bob"),
            Action::Update,
            "fields differ",
            // In diff's field order (`USER_TEXT_FIELDS`): typed sides write it.
            json!({
                "description": "Works on the identity platform team and looks after the directory sync agents",
                "job_title": "Engineer",
            }),
            json!({
                "description": "Works on the identity platform team and looks after the AD import agents",
                "job_title": "Senior Engineer",
            }),
        ),
        change(
            user("carol"),
            Action::Delete,
            "in the org, not in the files (manage.users: full)",
            json!({"email": "carol@example.com", "state": "active"}),
            Value::Null,
        ),
        change(
            Address::User("josé.müller".into()),
            Action::Update,
            "fields differ",
            json!({"department": null, "state": "active"}),
            json!({"department": "Sales", "state": "suspended"}),
        ),
        change(
            Address::Group("engineering".into()),
            Action::Update,
            "fields differ",
            json!({"description": "Engineers.\nAll of them."}),
            json!({"description": "Engineers.\nAll of them.\nContractors too."}),
        ),
        change(
            Address::Membership("engineering".into(), "alice".into()),
            Action::Create,
            "listed in the members of group `engineering`, not a member in the org",
            Value::Null,
            Value::Null,
        ),
        change(
            Address::AdDomain("corp".into()),
            Action::Replace,
            "the domain name cannot change in place",
            json!({"domain": "old.example.com"}),
            json!({"domain": "corp.example.com"}),
        ),
        change(
            Address::M365Tenant("contoso".into()),
            Action::Update,
            "fields differ",
            json!({"user_lockout_action": "maintain"}),
            json!({"user_lockout_action": "suspend"}),
        ),
        change(
            ad_binding("corp", "carol"),
            Action::Delete,
            "bound in the org, not in the files (manage.bindings: full)",
            Value::Null,
            Value::Null,
        ),
    ];
    let mut unmanaged = BTreeMap::new();
    unmanaged.insert("user".to_string(), vec![user("dave"), user("erin")]);
    unmanaged.insert(
        "group".to_string(),
        vec![Address::Group("All Users".into())],
    );
    unmanaged.insert(
        "membership".to_string(),
        vec![Address::Membership("engineering".into(), "dave".into())],
    );
    unmanaged.insert("binding".to_string(), vec![ad_binding("corp", "dave")]);
    let mut fields = BTreeMap::new();
    fields.insert(
        user("dave"),
        json!({"email": "dave@example.com", "firstname": "Dave", "department": "R&D, Labs"})
            .as_object()
            .cloned()
            .unwrap_or_default(),
    );
    Plan {
        changes,
        unmanaged: Unmanaged {
            objects: unmanaged,
            fields,
        },
    }
}

fn finding(
    code: &'static str,
    slug: &'static str,
    severity: Severity,
    targets: Vec<Address>,
    cause: Option<Address>,
    waived: Option<&str>,
) -> Finding {
    Finding {
        code,
        slug,
        severity,
        targets,
        cause,
        message: format!("{slug} fires"),
        help: format!("fix {slug}"),
        waived: waived.map(str::to_string),
    }
}

/// Deliberately out of order: the render model sorts errors first, waived last.
fn sample_findings() -> Vec<Finding> {
    vec![
        finding(
            "LCK102",
            "suspend-disables-ad-account",
            Severity::Warning,
            vec![Address::User("josé.müller".into())],
            Some(Address::User("josé.müller".into())),
            None,
        ),
        finding(
            "LCK004",
            "undelegated-without-password",
            Severity::Error,
            vec![user("bob")],
            Some(user("bob")),
            Some("bob gets a password from the helpdesk on Monday"),
        ),
        finding(
            "LCK001",
            "multiple-delegation-domains",
            Severity::Error,
            vec![user("alice"), user("carol")],
            Some(ad_binding("corp", "alice")),
            None,
        ),
        finding(
            "SEC001",
            "plaintext-password",
            Severity::Warning,
            vec![user("alice")],
            None,
            None,
        ),
    ]
}

fn render_plan(show_unmanaged: bool) -> RenderPlan {
    RenderPlan::new(
        &sample_plan(),
        &sample_findings(),
        &RenderContext {
            org: "acme".into(),
            show_unmanaged,
        },
    )
}

#[test]
fn human_snapshot() {
    insta::assert_snapshot!("human", human::to_string(&render_plan(false), false));
}

#[test]
fn human_show_unmanaged_snapshot() {
    insta::assert_snapshot!(
        "human_show_unmanaged",
        human::to_string(&render_plan(true), false)
    );
}

#[test]
fn json_snapshot() {
    insta::assert_snapshot!("json", json::to_string(&render_plan(true)));
}

#[test]
fn markdown_snapshot() {
    insta::assert_snapshot!("markdown", markdown::to_string(&render_plan(false)));
}

#[test]
fn empty_plan_says_so_in_every_format() {
    let rp = RenderPlan::new(&Plan::default(), &[], &RenderContext::default());
    let text = human::to_string(&rp, false);
    assert_eq!(text, "No changes. The org matches the files.\n");
    assert!(markdown::to_string(&rp).contains("**No changes. The org matches the files.**"));
    let doc: Value = serde_json::from_str(&json::to_string(&rp)).unwrap();
    assert_eq!(doc["changes"], json!([]));
    assert_eq!(doc["unmanaged"], json!({"counts": {}}));
}

#[test]
fn findings_without_changes_still_lead() {
    let rp = RenderPlan::new(
        &Plan::default(),
        &sample_findings()[2..3],
        &RenderContext::default(),
    );
    let text = human::to_string(&rp, false);
    assert!(text.starts_with("No changes. The org matches the files; 1 error, 0 warnings.\n"));
}

#[test]
fn colour_only_when_asked() {
    let rp = render_plan(false);
    assert!(!human::to_string(&rp, false).contains('\u{1b}'));
    let coloured = human::to_string(&rp, true);
    assert!(coloured.contains('\u{1b}'));
    // Same text once the escapes are gone.
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, human::to_string(&rp, false));
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn formats_agree_on_the_counts() {
    let rp = render_plan(true);
    let text = human::to_string(&rp, false);
    let md = markdown::to_string(&rp);
    let doc: Value = serde_json::from_str(&json::to_string(&rp)).unwrap();

    let first = text.lines().next().unwrap();
    assert_eq!(
        first,
        "Plan: 2 to create, 4 to update, 1 to replace, 2 to delete; 1 error, 2 warnings, 1 waived"
    );
    assert!(md.contains(&format!("**{first}**")));

    let s = &doc["summary"];
    let n = |k: &str| s[k].as_u64().unwrap() as usize;
    assert_eq!(
        (n("create"), n("update"), n("replace"), n("delete")),
        (2, 4, 1, 2)
    );
    assert_eq!((n("errors"), n("warnings"), n("waived")), (1, 2, 1));

    // Every change appears once in each format, with the same action.
    let changes = doc["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 9);
    for c in changes {
        let glyph = match c["action"].as_str().unwrap() {
            "create" => "+",
            "update" => "~",
            "replace" => "±",
            "delete" => "-",
            other => panic!("unknown action {other}"),
        };
        let address = c["address"].as_str().unwrap();
        let head = format!("{glyph} {address}  #");
        assert!(text.contains(&format!("  {head}")), "human lacks {head}");
        assert!(md.contains(&format!("\n{head}")), "markdown lacks {head}");
    }
    assert_eq!(doc["findings"].as_array().unwrap().len(), 4);
    assert_eq!(
        md.matches("\n| error").count() + md.matches("\n| warning").count(),
        4
    );
}

#[test]
fn findings_lead_errors_first_waived_last() {
    let rp = render_plan(false);
    let codes: Vec<&str> = rp.findings.iter().map(|f| f.code).collect();
    assert_eq!(codes, ["LCK001", "LCK004", "LCK102", "SEC001"]);
    let text = human::to_string(&rp, false);
    let pos = |s: &str| text.find(s).unwrap();
    assert!(pos("error[LCK001]") < pos("error[LCK004]"));
    assert!(pos("error[LCK004]") < pos("warning[LCK102]"));
    assert!(pos("warning[SEC001]") < pos("Users (4):"));
}

#[test]
fn secrets_never_appear() {
    // A change cannot carry a password: a side with one is refused, without echoing it.
    let err = Change::from_json_sides(
        user("alice"),
        Action::Create,
        Value::Null,
        json!({"email": "alice@example.com", "initial_password": "hunter2-never-printed"}),
    )
    .unwrap_err();
    assert!(
        err.contains("initial_password") && !err.contains("hunter2"),
        "{err}"
    );
    let rp = render_plan(true);
    for out in [
        human::to_string(&rp, false),
        human::to_string(&rp, true),
        json::to_string(&rp),
        markdown::to_string(&rp),
    ] {
        assert!(!out.contains("hunter2"), "{out}");
        assert!(out.contains("initial_password"));
        assert!(out.contains("(set)"));
    }
}

/// 5,000 users to create: the comment stays under GitHub's limit and says what it left out.
#[test]
fn markdown_is_capped() {
    let changes = (0..5000)
        .map(|i| {
            change(
                user(&format!("user{i:05}")),
                Action::Create,
                "declared in the files, missing in the org",
                Value::Null,
                json!({"email": format!("user{i:05}@example.com"), "department": "Operations"}),
            )
        })
        .collect();
    let plan = Plan {
        changes,
        ..Plan::default()
    };
    let rp = RenderPlan::new(&plan, &sample_findings(), &RenderContext::default());
    let md = markdown::to_string(&rp);
    assert!(md.chars().count() < markdown::MAX_CHARS, "{}", md.len());
    assert!(md.starts_with("### jcform plan\n\n**Plan: 5,000 to create"));
    // Findings come first and are never the casualty of a long plan.
    assert_eq!(
        md.matches("\n| error").count() + md.matches("\n| warning").count(),
        4
    );

    let shown = md.lines().filter(|l| l.starts_with("+ user.")).count();
    let last = md.trim_end().lines().last().unwrap();
    let cut = 5000 - shown;
    assert!(shown > 100 && cut > 0, "shown {shown}");
    let number = if cut >= 1000 {
        format!("{},{:03}", cut / 1000, cut % 1000)
    } else {
        cut.to_string()
    };
    assert_eq!(
        last,
        format!(
            "_… {number} creates not shown (output capped at 60,000 characters; deletes, \
             replaces and findings are shown first); run `jcform plan` locally or `jcform show \
             PLAN` for the full plan._"
        )
    );
    // The cut falls between changes: the open diff block and details are closed.
    assert_eq!(
        md.matches("<details>").count(),
        md.matches("</details>").count()
    );
    assert_eq!(md.matches("```").count() % 2, 0);
}

/// A single enormous value can't take the comment over the cap either.
#[test]
fn markdown_cuts_huge_values() {
    let plan = Plan {
        changes: vec![change(
            user("alice"),
            Action::Update,
            "fields differ",
            json!({"description": "a".repeat(200_000)}),
            json!({"description": "b".repeat(200_000)}),
        )],
        ..Plan::default()
    };
    let rp = RenderPlan::new(&plan, &[], &RenderContext::default());
    let md = markdown::to_string(&rp);
    assert!(md.len() < 5_000);
    assert!(md.contains("~ user.alice"));
}

/// Thousands of findings (a mass unbind) are capped the same way, and say so.
#[test]
fn markdown_caps_findings_too() {
    let findings: Vec<Finding> = (0..5000)
        .map(|i| {
            finding(
                "LCK101",
                "m365-unbind-blocks-sign-in",
                Severity::Warning,
                vec![user(&format!("user{i:05}"))],
                None,
                None,
            )
        })
        .collect();
    let rp = RenderPlan::new(&sample_plan(), &findings, &RenderContext::default());
    let md = markdown::to_string(&rp);
    assert!(md.chars().count() < markdown::MAX_CHARS);
    // The findings that did not fit are counted in a warning at the top; the sample's
    // deletes are still shown (one line each at least), the creates and updates cut.
    assert!(md.contains("> **Warning:** this plan is too large"), "{md}");
    assert!(md.contains("findings not shown"));
    for c in rp
        .all_changes()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
    {
        assert!(
            md.contains(&format!("{} {}", c.action.glyph(), c.heading())),
            "{}",
            c.address
        );
    }
}

/// 3,000 creates and 3 group deletes: the deletes are shown, with their fields, and the comment
/// says how many creates it cut.
#[test]
fn markdown_cap_never_hides_deletes() {
    let mut changes: Vec<Change> = (0..3000)
        .map(|i| {
            change(
                user(&format!("user{i:05}")),
                Action::Create,
                "declared in the files, missing in the org",
                Value::Null,
                json!({"email": format!("user{i:05}@example.com"), "department": "Operations"}),
            )
        })
        .collect();
    for g in ["contractors", "legacy-vpn", "zz-old-admins"] {
        changes.push(change(
            Address::Group(g.into()),
            Action::Delete,
            "in the org, not in the files (settings.manage.groups: full)",
            json!({"description": format!("the {g} group")}),
            Value::Null,
        ));
    }
    let plan = Plan {
        changes,
        ..Plan::default()
    };
    let rp = RenderPlan::new(&plan, &[], &RenderContext::default());
    let md = markdown::to_string(&rp);
    assert!(md.len() < markdown::MAX_CHARS);
    for g in ["contractors", "legacy-vpn", "zz-old-admins"] {
        assert!(md.contains(&format!("- group.{g}  #")), "{g} hidden");
    }
    // Only the tail lines are listed in the snapshot: the head is 1,000 near-identical creates.
    let shown = md.lines().filter(|l| l.starts_with("+ user.")).count();
    assert!(shown > 100, "{shown}");
    let tail: Vec<&str> = md
        .lines()
        .filter(|l| !l.starts_with("+ user.") && !l.starts_with("+     "))
        .collect();
    insta::assert_snapshot!("markdown_cap_deletes", tail.join("\n"));
}

/// The must-show part alone over the cap: deletes are drawn one line each, and past that a
/// warning at the top says how many are not shown.
#[test]
fn markdown_cap_degrades_deletes_last() {
    let deletes = |n: usize, fields: usize| -> Plan {
        Plan {
            changes: (0..n)
                .map(|i| {
                    // The first `fields` text fields of a user (plan sides are typed).
                    let before: serde_json::Map<String, Value> = jcform::model::USER_TEXT_FIELDS
                        [..fields]
                        .iter()
                        .map(|(f, _)| (f.to_string(), json!("x".repeat(40))))
                        .collect();
                    change(
                        user(&format!("gone{i:05}")),
                        Action::Delete,
                        "in the org, not in the files",
                        Value::Object(before),
                        Value::Null,
                    )
                })
                .collect(),
            ..Plan::default()
        }
    };
    // 500 deletes with 10 long fields each: too big with fields, fine as one line each.
    let rp = RenderPlan::new(&deletes(500, 10), &[], &RenderContext::default());
    let md = markdown::to_string(&rp);
    assert!(md.len() < markdown::MAX_CHARS);
    assert_eq!(md.lines().filter(|l| l.starts_with("- user.")).count(), 500);
    assert!(
        md.contains("deletes and replaces shown without their fields"),
        "{md}"
    );
    // 5,000 deletes: not all fit even as lines; the warning leads.
    let rp = RenderPlan::new(&deletes(5000, 0), &[], &RenderContext::default());
    let md = markdown::to_string(&rp);
    assert!(md.len() < markdown::MAX_CHARS);
    let shown = md.lines().filter(|l| l.starts_with("- user.")).count();
    assert!(shown > 100 && shown < 5000, "{shown}");
    let warning = md
        .lines()
        .find(|l| l.starts_with("> **Warning:**"))
        .expect("warning");
    assert!(
        warning.contains("deletes or replaces not shown"),
        "{warning}"
    );
}
