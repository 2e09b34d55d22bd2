//! The offline phase alone, repeated, for a profiler: load a config and plan it against an org
//! read once from an in-process emulator, `JCFORM_PROFILE_RUNS` times, printing each run's CPU
//! split (load vs plan) on stderr. Unlike `org_scale` it generates nothing: give it an org state
//! file (from `jcform snapshot`) and the config that describes it (from `jcform export`).
//!
//! ```text
//! JCFORM_PROFILE_ORG=org.json JCFORM_PROFILE_CONFIG=config/ JCFORM_PROFILE_RUNS=3 \
//!   cargo bench --bench offline_prof
//! perf record -g target/release/deps/offline_prof-* (with the same variables)
//! ```

// The allocator the binary uses, so the profile is the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../tests/export_common/mod.rs"]
mod common;

mod cpu;
use cpu::self_cpu;
use std::path::PathBuf;
use std::time::Instant;

use jcform::cli::plan::{plan_and_render, PlanOptions};

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("set {name} (see the top of this file)"))
}

fn main() {
    let org = PathBuf::from(var("JCFORM_PROFILE_ORG"));
    let config = PathBuf::from(var("JCFORM_PROFILE_CONFIG"));
    let runs: usize = std::env::var("JCFORM_PROFILE_RUNS").map_or(1, |v| v.parse().expect("runs"));
    let live = tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let state = serde_json::from_slice(&std::fs::read(&org).expect("org")).expect("json");
            let running = common::Org::start(&state).await;
            let live = running.read().await;
            running.emulator.shutdown().await;
            live
        });
    for _ in 0..runs {
        let (started, wall) = (self_cpu(), Instant::now());
        let loaded = jcform::model::load(&config).expect("config validates");
        let loaded_at = self_cpu();
        let report = plan_and_render(&loaded, &live, &PlanOptions::default()).expect("plans");
        let done = self_cpu();
        eprintln!(
            "load {:.2} s + plan {:.2} s = {:.2} s CPU ({:.2} s wall; {} changes)",
            loaded_at - started,
            done - loaded_at,
            done - started,
            wall.elapsed().as_secs_f64(),
            report.plan.changes.len()
        );
    }
}
