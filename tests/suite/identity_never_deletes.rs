//! Tries hard to make apply delete (or delete and re-create) an object the files still
//! describe: usernames, emails and group names in another letter case, renamed users and
//! groups, Unicode names (`Straße` / `STRASSE`, `Émile` / `éMILE`), keys with dots, quotes and
//! spaces, all with `manage: full` everywhere (the mode that deletes). For each scenario the org
//! is built by applying a seed config to the in-process emulator; then the files are applied
//! and we check, in the plan and in the emulator afterwards, that every object the files
//! describe kept its remote id and that nothing the files describe was deleted. Ambiguous orgs
//! (two groups one name matches) must stop the plan with nothing written.

use crate::scenarios_common as common;

use std::collections::BTreeMap;

use common::{Faults, Sandbox};
use jcform::apply::execute::{Context, Silent};
use jcform::apply::{execute, schedule, ExecuteOptions, OrderHints};
use jcform::model::live::LiveState;
use jcform::model::Address;
use jcform::plan::{Action, Plan, PlanErrors};
use serde_json::json;

const FULL: &str = "version: 1\nsettings:\n  manage: {users: full, groups: full, ad_domains: full, memberships: full, bindings: full}\n";

fn load(sb: &Sandbox, name: &str, yaml: &str) -> jcform::model::Config {
    let dir = sb.dir.path().join(name);
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("main.yaml"), format!("{FULL}{yaml}")).expect("write");
    jcform::model::load(&dir).unwrap_or_else(|e| panic!("{name} loads: {e:?}"))
}

async fn plan(sb: &Sandbox, config: &jcform::model::Config) -> Result<Plan, PlanErrors> {
    jcform::plan::diff(&config.model, &sb.live().await)
}

async fn apply(sb: &Sandbox, config: &jcform::model::Config, plan: &Plan) {
    let live = sb.live().await;
    let s = schedule(plan, &OrderHints::default()).expect("orders");
    let keys = jcform::plan::keys::Keys::new(&config.model, &live);
    let ctx = Context {
        model: &config.model,
        live: &live,
        keys: &keys,
    };
    let report = execute(
        &sb.client(2),
        plan,
        &s,
        &ctx,
        &ExecuteOptions { parallelism: 4 },
        &Silent,
    )
    .await;
    assert!(report.succeeded(), "{report:#?}");
}

/// Remote id of every user (by `email_key`: case and IDNA spelling aside) and group (by its sorted member emails).
fn ids(live: &LiveState) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let users = live
        .users
        .values()
        .map(|u| {
            (
                jcform::model::email_key(u.attrs.email.as_deref().unwrap_or_default()),
                u.id.clone(),
            )
        })
        .collect();
    let groups = live
        .groups
        .values()
        .map(|g| (g.name.to_lowercase(), g.id.clone()))
        .collect();
    (users, groups)
}

const SEED: &str = r#"
users:
  mlopez: {email: maria.lopez@example.com, job_title: Engineer}
  anna.lindqvist: {email: anna@example.com}
  "o'brien": {email: obrien@example.com}
  "say \"hi\"": {email: quoted@example.com}
  Émile: {email: emile@example.com}
  Straße: {email: strasse@example.com}
  old.name: {email: renamed@example.com, department: Ops}
  idn.old: {email: x@xn--bcher-kva.example}
groups:
  VPN Users: {description: VPN, members: [mlopez, anna.lindqvist]}
  eng.team: {members: ["o'brien", "say \"hi\""]}
  legacy-admins: {members: [Émile, Straße]}
ad_domains:
  corp: {domain: corp.example.com}
bindings:
  - {ad_domain: corp, users: [mlopez, old.name], groups: [VPN Users, legacy-admins]}
"#;

/// The same people and groups, every name spelt differently or renamed.
const RESPELT: &str = r#"
users:
  MLopez: {email: Maria.Lopez@example.com, job_title: ""}
  Anna.Lindqvist: {email: ANNA@example.com}
  "O'Brien": {email: obrien@example.com}
  "SAY \"HI\"": {email: quoted@example.com}
  éMILE: {email: emile@example.com}
  STRASSE: {email: strasse@example.com}
  new.name: {email: Renamed@Example.com}
  idn.new: {email: X@Bücher.example}
groups:
  vpn users: {description: null, members: [MLopez, Anna.Lindqvist]}
  ENG.TEAM: {members: ["O'Brien", "SAY \"HI\""]}
  admins: {members: [éMILE, STRASSE]}
ad_domains:
  corp: {domain: corp.example.com}
bindings:
  - {ad_domain: corp, users: [MLopez, new.name], groups: [vpn users, admins]}
"#;

#[tokio::test]
async fn respelt_and_renamed_objects_are_never_deleted() {
    let sb = Sandbox::start(Faults::default()).await;
    let seed = load(&sb, "seed", SEED);
    let p = plan(&sb, &seed).await.expect("seed plans");
    apply(&sb, &seed, &p).await;
    let before = sb.live().await;
    let (users_before, groups_before) = ids(&before);
    assert_eq!(users_before.len(), 8);

    let files = load(&sb, "respelt", RESPELT);
    let p = plan(&sb, &files).await.unwrap_or_else(|e| panic!("{e}"));
    let not_updates: Vec<String> = p
        .changes
        .iter()
        .filter(|c| matches!(c.address, Address::User(_) | Address::Group(_)))
        .filter(|c| c.action != Action::Update)
        .map(|c| format!("{} {}", c.action.glyph(), c.address))
        .collect();
    assert!(
        not_updates.is_empty(),
        "every user and group is an update: {not_updates:?}"
    );
    let edges: Vec<String> = p
        .changes
        .iter()
        .filter(|c| matches!(c.address, Address::Membership(..) | Address::Binding(_)))
        .map(|c| format!("{} {}", c.action.glyph(), c.address))
        .collect();
    assert!(edges.is_empty(), "memberships and bindings stay: {edges:?}");
    let renamed: Vec<String> = p
        .changes
        .iter()
        .filter_map(|c| {
            c.renamed_from()
                .map(|old| format!("{old} -> {}", c.address))
        })
        .collect();
    assert_eq!(renamed.len(), 11, "{renamed:#?}");
    // The email's domain in Unicode in the files and in punycode in the org: one mailbox.
    assert!(renamed.contains(&"user[\"idn.old\"] -> user[\"idn.new\"]".to_string()));
    assert!(renamed.contains(&"user[\"old.name\"] -> user[\"new.name\"]".to_string()));
    assert!(renamed.contains(&"group.legacy-admins -> group.admins".to_string()));
    assert!(renamed.contains(&"user[\"Straße\"] -> user.STRASSE".to_string()));

    apply(&sb, &files, &p).await;
    let after = sb.live().await;
    let (users_after, groups_after) = ids(&after);
    assert_eq!(users_after, users_before, "same users, same ids");
    assert_eq!(
        groups_after
            .values()
            .collect::<std::collections::BTreeSet<_>>(),
        groups_before.values().collect(),
        "same groups, same ids"
    );
    assert_eq!(after.bindings.len(), before.bindings.len());
    let members = |l: &LiveState| {
        l.groups
            .values()
            .map(|g| (g.id.clone(), g.members.clone()))
            .collect::<BTreeMap<_, _>>()
    };
    assert_eq!(members(&after), members(&before));
    let names: Vec<&str> = after.users.values().map(|u| u.username.as_str()).collect();
    for want in ["MLopez", "new.name", "STRASSE", "éMILE", "SAY \"HI\""] {
        assert!(names.contains(&want), "{want} in {names:?}");
    }
    let p = plan(&sb, &files).await.expect("plans");
    assert!(p.is_empty(), "converged: {:#?}", p.changes);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ambiguous_org_plans_nothing_and_apply_writes_nothing() {
    let sb = Sandbox::start(Faults::default()).await;
    let seed = load(
        &sb,
        "seed",
        "users:\n  alice: {email: alice@example.com}\ngroups:\n  vpn: {members: [alice]}\n",
    );
    let p = plan(&sb, &seed).await.expect("seed plans");
    apply(&sb, &seed, &p).await;
    // A second group whose name differs only in case, made behind jcform's back.
    let client = sb.client(1);
    client
        .create_group(json!({"name": "VPN"}))
        .await
        .expect("the emulator takes it");
    let before = sb.live().await;

    let files = load(
        &sb,
        "files",
        "users:\n  alice: {email: alice@example.com}\ngroups:\n  Vpn: {members: [alice]}\n",
    );
    let errors = plan(&sb, &files).await.expect_err("ambiguous").0;
    let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
    assert!(
        errors.iter().any(|e| e.code == "ambiguous-match"
            && e.address == Address::Group("Vpn".into())
            && before
                .groups
                .keys()
                .all(|id| e.message.contains(id.as_str()))),
        "names both remote ids: {text:#?}"
    );

    // The binary refuses too, exit 1, and the org is untouched.
    let dir = sb.dir.path().join("files");
    let state = sb.dir.path().join("state.json");
    // The org as the state file and its journal hold it (the sandbox is still running).
    let snapshot = jcform::emulator::read_state(&state).expect("state");
    let mut cmd = assert_cmd::Command::cargo_bin("jcform").expect("binary");
    cmd.env("NO_COLOR", "1")
        .env("JC_API_KEY", common::KEY)
        .arg("apply")
        .arg(&dir)
        .arg("--api-url")
        .arg(sb.emulator.base_url())
        .arg("--auto-approve")
        .arg("--journal")
        .arg(sb.dir.path().join("j.jsonl"));
    // The emulator serves from this runtime: run the binary off its threads.
    let out = tokio::task::spawn_blocking(move || cmd.output().expect("runs"))
        .await
        .expect("joins");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("ambiguous-match"), "{stderr}");
    assert_eq!(
        jcform::emulator::read_state(&state).expect("state"),
        snapshot
    );
    assert_eq!(sb.live().await, before);
}
