//! The export round trip: a sandbox org -> read through the real client -> exported in YAML and
//! in KDL -> loaded and validated -> says exactly what the org holds (and plans to nothing).

use crate::export_common;

use std::time::Instant;

use export_common::{generated_org, mismatches, small_org, Org};
use jcform::export::{self, Filter, Format, Kind};
use jcform::model::live::LiveState;

/// Exports `live` in `format` to a fresh dir and loads it back; panics with the diagnostics if
/// the files do not validate.
fn export_and_load(
    live: &LiveState,
    filter: &Filter,
    format: Format,
) -> (tempfile::TempDir, jcform::model::Config) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("org");
    let exported = export::build(live, filter);
    assert!(exported.warnings.is_empty(), "{:?}", exported.warnings);
    export::write(&out, &exported, format, false).unwrap();
    let config = match jcform::model::load(&out) {
        Ok(config) => config,
        Err(jcform::model::ConfigError::Invalid {
            sources,
            diagnostics,
        }) => panic!(
            "{}",
            jcform::diag::render_human(
                &diagnostics,
                &sources,
                jcform::diag::HumanStyle {
                    color: false,
                    width: 100
                }
            )
        ),
        Err(e) => panic!("{e}"),
    };
    (dir, config)
}

/// All the files of an export, concatenated with their names, for snapshots.
fn rendered(live: &LiveState, format: Format) -> String {
    let exported = export::build(live, &Filter::default());
    let mut out = String::new();
    for file in &exported.files {
        out.push_str(&format!("===== {}.{}\n", file.stem, format.extension()));
        out.push_str(&match format {
            Format::Yaml => export::yaml::render(&file.doc, "jcform.schema.json"),
            Format::Kdl => export::kdl::render(&file.doc),
        });
    }
    out
}

#[tokio::test]
async fn small_org_round_trips_in_both_formats() {
    let org = Org::start(&small_org()).await;
    let live = org.read().await;
    for format in [Format::Yaml, Format::Kdl] {
        let (_dir, config) = export_and_load(&live, &Filter::default(), format);
        let problems = mismatches(&config.model, &live);
        assert!(problems.is_empty(), "{format:?}: {problems:#?}");
        let plan = jcform::plan::diff(&config.model, &live).expect("plans");
        assert!(plan.is_empty(), "{format:?}: {:#?}", plan.changes);
        // The two AD domains share their first label: keys are told apart deterministically.
        let keys: Vec<&String> = config.model.ad_domains.keys().collect();
        assert_eq!(keys, ["corp", "corp-2"]);
        // The tenant without an ASCII name is keyed by its id.
        assert!(config
            .model
            .m365_tenants
            .contains_key(export_common::O365_RU));
    }
    // Both formats say the same thing.
    let (_a, yaml) = export_and_load(&live, &Filter::default(), Format::Yaml);
    let (_b, kdl) = export_and_load(&live, &Filter::default(), Format::Kdl);
    assert_eq!(yaml.model, kdl.model);
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn small_org_snapshots() {
    let org = Org::start(&small_org()).await;
    let live = org.read().await;
    insta::assert_snapshot!("small_org_yaml", rendered(&live, Format::Yaml));
    insta::assert_snapshot!("small_org_kdl", rendered(&live, Format::Kdl));
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn exports_are_deterministic() {
    let org = Org::start(&small_org()).await;
    let first = org.read().await;
    let second = org.read().await;
    assert_eq!(
        rendered(&first, Format::Yaml),
        rendered(&second, Format::Yaml)
    );
    assert_eq!(
        rendered(&first, Format::Kdl),
        rendered(&second, Format::Kdl)
    );
    org.emulator.shutdown().await;
}

#[tokio::test]
async fn filters_leave_out_references_to_what_is_not_written() {
    let org = Org::start(&small_org()).await;
    let live = org.read().await;
    // Only users and groups, only names starting with a letter from a to j.
    let only = globset::GlobSetBuilder::new()
        .add(globset::Glob::new("[a-j]*").unwrap())
        .build()
        .unwrap();
    let filter = Filter {
        kinds: [Kind::Users, Kind::Groups, Kind::Bindings]
            .into_iter()
            .collect(),
        only: Some(only),
        only_text: vec!["[a-j]*".into()],
    };
    for format in [Format::Yaml, Format::Kdl] {
        let (_dir, config) = export_and_load(&live, &filter, format);
        let m = &config.model;
        assert_eq!(
            m.users.keys().collect::<Vec<_>>(),
            ["alice", "jose.muller"],
            "{format:?}"
        );
        // AD domains are not exported, so delegated users say nothing about them.
        assert!(m.users.values().all(|u| u.delegated_authority.is_none()));
        assert!(m.ad_domains.is_empty() && m.m365_tenants.is_empty());
        // No directories, so no bindings; memberships only of exported users.
        assert!(m.bindings.is_empty());
        let eng = &m.groups["engineering"];
        assert_eq!(eng.members.as_ref().map(|s| s.len()), Some(2));
        assert!(m.groups.contains_key("empty") && !m.groups.contains_key("Sales & Marketing"));
        // Nothing unlisted may be touched: the first plan is empty.
        let plan = jcform::plan::diff(m, &live).expect("plans");
        assert!(plan.is_empty(), "{format:?}: {:#?}", plan.changes);
        assert_eq!(m.settings.manage.users, jcform::model::ManageMode::Additive);
        assert_eq!(
            m.settings.manage.memberships,
            jcform::model::ManageMode::Additive
        );
    }
    org.emulator.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_thousand_users_round_trip() {
    let org = Org::start(&generated_org(2000)).await;
    let started = Instant::now();
    let live = org.read().await;
    let read_time = started.elapsed();
    let requests = org.client.request_count();
    assert_eq!(live.users.len(), 2000);
    assert_eq!(live.groups.len(), 30);
    for format in [Format::Yaml, Format::Kdl] {
        let dir = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let exported = export::build(&live, &Filter::default());
        export::write(dir.path(), &exported, format, false).unwrap();
        let export_time = started.elapsed();
        let started = Instant::now();
        let (_dir, config) = export_and_load(&live, &Filter::default(), format);
        let load_time = started.elapsed();
        let problems = mismatches(&config.model, &live);
        assert!(problems.is_empty(), "{format:?}: {problems:#?}");
        assert_eq!(config.model.users.len(), 2000);
        let plan = jcform::plan::diff(&config.model, &live).expect("plans");
        assert!(plan.is_empty(), "{format:?}: {:#?}", plan.changes);
        // Measured, never asserted: printed for the record (`--nocapture`).
        eprintln!(
            "2,000 users, {format:?}: read {read_time:.2?} ({requests} requests), \
             build+write {export_time:.2?}, export+load {load_time:.2?}"
        );
    }
    org.emulator.shutdown().await;
}
