//! The executor against the in-process emulator, with plans built by hand (the diff is tested on
//! its own; `apply_scenarios.rs` drives config -> diff -> apply -> empty plan). Issue: "apply:
//! execute plans in a lockout-safe order, survive failures, converge".

use crate::scenarios_common as common;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use common::{names, writes, Faults, Sandbox};
use jcform::apply::execute::{Context, Observers, Silent};
use jcform::apply::journal::Journal;
use jcform::apply::{
    execute, schedule, ApplyReport, Event, ExecuteOptions, Observer, OrderHints, Outcome,
};
use jcform::jumpcloud::Client;
use jcform::model::live::LiveState;
use jcform::model::{AdDomain, Address, Binding, Directory, Model, SecretSource, Subject, User};
use jcform::plan::{Action, Change, Plan};
use serde_json::{json, Value};

const PASSWORD: &str = "Corr3ct-Horse-Battery!";

fn model() -> Model {
    let mut m = Model::default();
    for (key, domain) in [("a", "a.example.com"), ("b", "b.example.com")] {
        m.ad_domains.insert(
            key.into(),
            AdDomain {
                domain: domain.into(),
                ..Default::default()
            },
        );
    }
    m.users.insert(
        "alice".into(),
        User {
            initial_password: Some(SecretSource::Literal(PASSWORD.into())),
            ..Default::default()
        },
    );
    m
}

fn change(address: Address, action: Action, before: Value, after: Value) -> Change {
    Change {
        reason: "test".into(),
        ..Change::from_json_sides(address, action, before, after).expect("a plan side")
    }
}

fn plan(mut changes: Vec<Change>) -> Plan {
    changes.sort_by(|a, b| a.address.cmp(&b.address));
    Plan {
        changes,
        ..Plan::default()
    }
}

fn ad_bind(domain: &str, user: &str) -> Address {
    Address::Binding(Binding {
        directory: Directory::AdDomain(domain.into()),
        subject: Subject::User(user.into()),
    })
}

fn hints() -> OrderHints {
    OrderHints {
        delegation_domains: ["a".to_string(), "b".to_string()].into(),
        ..Default::default()
    }
}

/// Two delegation domains, alice (delegated to A, bound to A, with a password) and bob, both in
/// group eng.
fn setup_plan() -> Plan {
    let ad = |domain: &str| json!({"domain": domain, "use_case": "two_way_sync", "delegation": "enabled", "groups_enabled": true});
    plan(vec![
        change(
            Address::AdDomain("a".into()),
            Action::Create,
            Value::Null,
            ad("a.example.com"),
        ),
        change(
            Address::AdDomain("b".into()),
            Action::Create,
            Value::Null,
            ad("b.example.com"),
        ),
        change(
            Address::User("alice".into()),
            Action::Create,
            Value::Null,
            json!({"email": "alice@example.com", "firstname": "Alice", "state": "active",
                   "initial_password": "(set)", "delegated_authority": "a"}),
        ),
        change(
            Address::User("bob".into()),
            Action::Create,
            Value::Null,
            json!({"email": "bob@example.com", "lastname": "Builder", "state": "staged"}),
        ),
        change(
            Address::Group("eng".into()),
            Action::Create,
            Value::Null,
            json!({"description": "Engineers"}),
        ),
        change(
            Address::Membership("eng".into(), "alice".into()),
            Action::Create,
            Value::Null,
            Value::Null,
        ),
        change(
            Address::Membership("eng".into(), "bob".into()),
            Action::Create,
            Value::Null,
            Value::Null,
        ),
        change(
            ad_bind("a", "alice"),
            Action::Create,
            Value::Null,
            Value::Null,
        ),
    ])
}

fn move_plan() -> Plan {
    plan(vec![
        change(
            Address::User("alice".into()),
            Action::Update,
            json!({"delegated_authority": "a"}),
            json!({"delegated_authority": "b"}),
        ),
        change(
            ad_bind("a", "alice"),
            Action::Delete,
            Value::Null,
            Value::Null,
        ),
        change(
            ad_bind("b", "alice"),
            Action::Create,
            Value::Null,
            Value::Null,
        ),
        change(
            Address::User("bob".into()),
            Action::Update,
            json!({"state": "staged"}),
            json!({"state": "active", "department": "Ops"}),
        ),
    ])
}

async fn run(
    client: &Client,
    p: &Plan,
    live: &LiveState,
    parallelism: usize,
    observer: &dyn Observer,
) -> ApplyReport {
    let m = model();
    let s = schedule(p, &hints()).expect("plan orders");
    let keys = jcform::plan::keys::Keys::new(&m, live);
    let ctx = Context {
        model: &m,
        live,
        keys: &keys,
    };
    execute(
        client,
        p,
        &s,
        &ctx,
        &ExecuteOptions { parallelism },
        observer,
    )
    .await
}

fn assert_all_done(report: &ApplyReport) {
    let bad: Vec<String> = report
        .results
        .iter()
        .filter(|r| r.outcome != Outcome::Done)
        .map(|r| format!("{} {:?}: {:?}", r.address, r.kind, r.message))
        .collect();
    assert!(bad.is_empty(), "not done: {bad:#?}");
}

/// What the setup plan should leave, checked on a fresh read.
fn assert_setup_state(live: &LiveState) {
    assert_eq!(live.users.len(), 2, "no duplicate users");
    assert_eq!(live.groups.len(), 1, "no duplicate groups");
    assert_eq!(live.ad_domains.len(), 2, "no duplicate AD domains");
    let alice = live.user_by_name("alice").expect("alice");
    let a = live.ad_by_domain("a.example.com").expect("a");
    assert_eq!(alice.delegated_authority.as_deref(), Some(a.id.as_str()));
    assert!(alice.password_set);
    let eng = live.group_by_name("eng").expect("eng");
    assert_eq!(eng.members.len(), 2);
    assert!(live.bindings.contains(&Binding {
        directory: Directory::AdDomain(a.id.clone()),
        subject: Subject::User(alice.id.clone()),
    }));
}

#[tokio::test]
async fn setup_then_delegation_move_never_binds_both() {
    let sb = Sandbox::start(Faults::default()).await;
    let client = sb.client(1);
    let empty = sb.live().await;
    let report = run(&client, &setup_plan(), &empty, 1, &Silent).await;
    assert_all_done(&report);
    let live = sb.live().await;
    assert_setup_state(&live);
    let setup_names = names(&[&live]);
    let setup_writes = writes(&sb.requests(), 0, &setup_names);

    let mark = sb.mark();
    let report = run(&client, &move_plan(), &live, 1, &Silent).await;
    assert_all_done(&report);
    let after = sb.live().await;
    let alice = after.user_by_name("alice").expect("alice");
    let b = after.ad_by_domain("b.example.com").expect("b");
    assert_eq!(alice.delegated_authority.as_deref(), Some(b.id.as_str()));
    let bob = after.user_by_name("bob").expect("bob");
    assert_eq!(bob.attrs.department.as_deref(), Some("Ops"));

    let move_writes = writes(&sb.requests(), mark, &names(&[&live, &after]));
    // Replay alice's AD bindings and authority through the log: never two domains at once, the
    // authority only ever points at a domain she is bound to, and it is cleared before unbinding.
    let mut bound: BTreeSet<String> = ["<ad:a.example.com>".to_string()].into();
    let mut authority: Option<String> = Some("<ad:a.example.com>".into());
    for w in &move_writes {
        if w.contains("/activedirectories/") && w.ends_with("user:<user:alice>") {
            let domain = w.split('/').nth(4).unwrap_or("").to_string();
            if w.contains(" add ") {
                bound.insert(domain);
            } else {
                assert_ne!(
                    authority.as_deref(),
                    Some(domain.as_str()),
                    "unbound while delegated: {w}"
                );
                bound.remove(&domain);
            }
            assert!(
                bound.len() <= 1,
                "alice bound to two delegation domains after {w}"
            );
        }
        if w.contains("<user:alice>") {
            if let Some((_, to)) = w.split_once("delegatedAuthority=") {
                authority = (to != "none").then(|| to.to_string());
                if let Some(d) = &authority {
                    assert!(bound.contains(d), "delegated to {d} while not bound to it");
                }
            }
        }
    }
    assert_eq!(authority.as_deref(), Some("<ad:b.example.com>"));
    insta::assert_snapshot!("setup_writes", setup_writes.join("\n"));
    insta::assert_snapshot!("delegation_move_writes", move_writes.join("\n"));
}

#[tokio::test]
async fn converges_under_503s_and_rate_limits() {
    let sb = Sandbox::start(Faults {
        fail_rate: 0.2,
        rate_limit: Some(40),
    })
    .await;
    // One retry: a 503 or 429 twice in a row reaches the executor as a failed step.
    let client = sb.client_with_retries(8, 1);
    let empty = sb.live().await;
    let p = setup_plan();
    // Re-running the same plan is safe: creates that happened are found and adopted, edges that
    // exist count as done. Bounded: each round must make progress.
    let mut rounds = 0;
    loop {
        rounds += 1;
        let live = sb.live().await;
        let report = run(
            &client,
            &p,
            if rounds == 1 { &empty } else { &live },
            8,
            &Silent,
        )
        .await;
        if report.succeeded() {
            break;
        }
        assert!(rounds < 10, "did not converge in 10 rounds: {report:#?}");
    }
    assert_setup_state(&sb.live().await);
    let retried = sb
        .requests()
        .iter()
        .filter(|r| r["status"] == 503 || r["status"] == 429)
        .count();
    eprintln!(
        "converged in {rounds} round(s); {} requests, {retried} answered 503/429",
        client.request_count()
    );
}

/// Counts finished steps and wakes the test after `n`.
struct StopAfter {
    done: AtomicUsize,
    n: usize,
    wake: Arc<tokio::sync::Notify>,
}

impl Observer for StopAfter {
    fn event(&self, event: &Event<'_>) {
        if let Event::Finished(..) = event {
            if self.done.fetch_add(1, Ordering::SeqCst) + 1 == self.n {
                self.wake.notify_one();
            }
        }
    }
}

#[tokio::test]
async fn interrupted_apply_is_completed_by_the_next_without_duplicates() {
    let sb = Sandbox::start(Faults::default()).await;
    let client = sb.client(4);
    let empty = sb.live().await;
    let p = setup_plan();
    let wake = Arc::new(tokio::sync::Notify::new());
    let stop = StopAfter {
        done: AtomicUsize::new(0),
        n: 3,
        wake: wake.clone(),
    };
    // Dropping the apply future mid-flight is what Ctrl-C or a crash looks like to the org:
    // requests in flight may or may not land. One step at a time, so that at most one more
    // step than the three observed can land and the org is certainly part-way.
    tokio::select! {
        _ = run(&client, &p, &empty, 1, &stop) => panic!("the apply finished before the interruption"),
        _ = wake.notified() => {}
    }
    let partial = sb.live().await;
    assert!(
        partial.users.len() + partial.groups.len() + partial.ad_domains.len() < 5,
        "interrupted part-way"
    );

    // The same plan again, against the live state as it is now.
    let report = run(&client, &p, &partial, 4, &Silent).await;
    assert_all_done(&report);
    assert_setup_state(&sb.live().await);
}

#[tokio::test]
async fn a_failure_skips_its_dependents_only() {
    let sb = Sandbox::start(Faults::default()).await;
    let client = sb.client(4);
    let empty = sb.live().await;
    let p = plan(vec![
        // An initial password the files do not give (a field apply does not know can no longer
        // reach a step: plan sides are typed): the create fails, the membership needing it is
        // skipped.
        change(
            Address::User("zed".into()),
            Action::Create,
            Value::Null,
            json!({"initial_password": "(set)"}),
        ),
        change(
            Address::Group("ops".into()),
            Action::Create,
            Value::Null,
            json!({"description": "Ops"}),
        ),
        change(
            Address::Membership("ops".into(), "zed".into()),
            Action::Create,
            Value::Null,
            Value::Null,
        ),
    ]);
    let report = run(&client, &p, &empty, 4, &Silent).await;
    let outcome = |a: &Address| {
        report
            .results
            .iter()
            .find(|r| &r.address == a)
            .map(|r| r.outcome)
    };
    assert_eq!(outcome(&Address::User("zed".into())), Some(Outcome::Failed));
    assert_eq!(outcome(&Address::Group("ops".into())), Some(Outcome::Done));
    let m = Address::Membership("ops".into(), "zed".into());
    assert_eq!(outcome(&m), Some(Outcome::Skipped));
    let skipped = report
        .results
        .iter()
        .find(|r| r.address == m)
        .and_then(|r| r.message.clone());
    assert!(skipped.unwrap_or_default().contains("user.zed create"));
    assert!(!report.succeeded());
}

#[tokio::test]
async fn secrets_stay_out_of_journal_report_and_log() {
    let sb = Sandbox::start(Faults::default()).await;
    let client = sb.client(4);
    let empty = sb.live().await;
    let journal = Journal::open(&sb.dir.path().join("apply.jsonl")).expect("journal");
    journal.begin("sandbox", 8).expect("journal begins");
    let report = run(
        &client,
        &setup_plan(),
        &empty,
        4,
        &Observers(vec![&journal]),
    )
    .await;
    journal.finish(&report);
    assert_all_done(&report);
    let text = std::fs::read_to_string(journal.path()).expect("journal written");
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    // apply + started/finished per step + summary.
    assert_eq!(lines.len(), 2 + 2 * report.results.len());
    assert!(lines.iter().any(|l| l["event"] == "done"
        && l["address"] == "user.alice"
        && l["remote_id"].is_string()));
    let report_json = serde_json::to_string(&report).expect("report serialises");
    let log = std::fs::read_to_string(&sb.log).expect("log");
    for (what, text) in [
        ("journal", &text),
        ("report", &report_json),
        ("request log", &log),
    ] {
        assert!(
            !text.contains(PASSWORD),
            "the password leaked into the {what}"
        );
    }
}
