//! Scale benchmark: how long jcform takes, and how much memory and how many API requests it
//! needs, on a generated org (2,000 users by default; `JCFORM_BENCH_USERS=N` for another size).
//! Run with `cargo bench --bench org_scale`; it prints figures and asserts nothing about time.
//!
//! Steps, each through the same code path as the CLI: read the org through the client over
//! HTTP from the emulator; export it as YAML and KDL; load (validate) each; plan (diff + lint +
//! render) against the org; apply a slice of it (`JCFORM_BENCH_APPLY_USERS`, default 200
//! users) to an empty sandbox with the real binary.

#[path = "../tests/export_common/mod.rs"]
mod common;

use std::process::Command;
use std::time::Instant;

use jcform::cli::plan::{plan_and_render, PlanOptions};
use jcform::export::{self, Filter, Format};
use jcform::jumpcloud::read::{request_budget, request_minimum};

fn env_number(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Peak resident memory of this process so far (Linux), in MiB.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

fn main() {
    let users = env_number("JCFORM_BENCH_USERS", 2000);
    let apply_users = env_number("JCFORM_BENCH_APPLY_USERS", 200);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let state = common::generated_org(users);

    let org = runtime.block_on(common::Org::start(&state));
    let started = Instant::now();
    let live = runtime.block_on(org.read());
    let read = started.elapsed();
    let requests = org.client.request_count();
    println!(
        "read {users} users, {} groups: {read:.2?}, {requests} requests (budget {}, minimum {})",
        live.groups.len(),
        request_budget(&live),
        request_minimum(&live)
    );

    for format in [Format::Yaml, Format::Kdl] {
        let dir = tempfile::tempdir().expect("temp dir");
        let started = Instant::now();
        let exported = export::build(&live, &Filter::default());
        export::write(dir.path(), &exported, format, false).expect("export writes");
        let export_time = started.elapsed();
        let started = Instant::now();
        let config = jcform::model::load(dir.path()).expect("export validates");
        let load = started.elapsed();
        let started = Instant::now();
        let report = plan_and_render(&config, &live, &PlanOptions::default()).expect("plans");
        let plan = started.elapsed();
        assert!(report.plan.is_empty(), "an exported org plans empty");
        println!("{format:?}: export {export_time:.2?}, load+validate {load:.2?}, plan+lint+render {plan:.2?}");
    }
    runtime.block_on(org.emulator.shutdown());
    if let Some(mib) = peak_rss_mib() {
        println!("peak memory of the in-process steps: {mib:.0} MiB");
    }

    // Apply a slice with the real binary, as a user would.
    let slice = common::generated_org(apply_users);
    let dir = tempfile::tempdir().expect("temp dir");
    let org = runtime.block_on(common::Org::start(&slice));
    let live = runtime.block_on(org.read());
    runtime.block_on(org.emulator.shutdown());
    let config_dir = dir.path().join("config");
    let exported = export::build(&live, &Filter::default());
    export::write(&config_dir, &exported, Format::Yaml, false).expect("export writes");
    // A bootstrap target: the tenants only (they cannot be created through the API).
    let tenants_only = serde_json::json!({
        "office365s": slice["office365s"],
        "office365_domains": slice["office365_domains"],
    });
    let target = dir.path().join("target.json");
    std::fs::write(&target, tenants_only.to_string()).expect("write target");
    std::fs::write(
        config_dir.join("waivers.yaml"),
        "version: 1\nwaivers:\n  - {rule: LCK005, target: \"*\", reason: \"benchmark: passwords set later\"}\n",
    )
    .ok();
    let started = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_jcform"))
        .args(["apply", "--auto-approve", "--sandbox"])
        .arg(&target)
        .arg(&config_dir)
        .output()
        .expect("jcform runs");
    let apply = started.elapsed();
    let summary = String::from_utf8_lossy(&out.stderr)
        .lines()
        .chain(String::from_utf8_lossy(&out.stdout).lines())
        .filter(|l| l.starts_with("Apply:"))
        .map(str::to_string)
        .collect::<Vec<_>>();
    println!(
        "apply {apply_users} users to an empty org: {apply:.2?} (exit {:?}) {}",
        out.status.code(),
        summary.join(" ")
    );
}
