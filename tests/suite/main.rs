//! The integration suite: one test binary, so an edit relinks once rather than once per file.
//! Each module is one area (CLI commands, client, emulator, apply, ...); the shared fixtures
//! live beside this directory (`tests/client_common`, `tests/emulator_common`,
//! `tests/export_common`, `tests/scenarios`) and `tests/fixtures`.
//!
//! Hermetic: before any test runs, [`hermetic`] removes every variable that could send a test
//! (or a `jcform` it starts) anywhere but 127.0.0.1 or to a real account: `JC_*`, `JCFORM_*`
//! and the HTTP proxy variables (the suite's own knobs, `JCFORM_UPDATE_DOCS` and
//! `JCFORM_FUZZ_*`, stay). A test that needs one sets it on the command it runs.

mod cli_common;
#[path = "../client_common/mod.rs"]
mod client_common;
#[path = "../emulator_common/mod.rs"]
mod emulator_common;
#[path = "../export_common/mod.rs"]
mod export_common;
#[path = "../scenarios/common.rs"]
mod scenarios_common;

/// Runs once, before `main` and before any thread: clears the environment of this process
/// (and so of every child it starts) of keys, profiles and proxies. A profile is only read
/// when named (`--profile`, `JCFORM_PROFILE`), so no developer's credentials file is read.
#[ctor::ctor]
fn hermetic() {
    const PROXIES: [&str; 6] = [
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
    ];
    // The suite's own knobs, which only tests read (never the binary).
    const KNOBS: [&str; 3] = [
        "JCFORM_UPDATE_DOCS",
        "JCFORM_FUZZ_CASES",
        "JCFORM_FUZZ_LAST",
    ];
    for (key, _) in std::env::vars_os() {
        let Some(k) = key.to_str() else { continue };
        let ours = k.starts_with("JC_") || k.starts_with("JCFORM_");
        if (ours && !KNOBS.contains(&k)) || PROXIES.contains(&k) {
            std::env::remove_var(&key);
        }
    }
}

mod access_cli;
mod access_property;
mod apply_cli;
mod apply_concurrency;
mod apply_execute;
mod apply_graph_cli;
mod apply_keeps_unmanaged;
mod apply_plan_file;
mod apply_scenarios;
mod ci_examples;
mod cli_validate;
mod client_errors;
mod client_fuzz;
mod client_hostile;
mod client_read;
mod client_retry;
mod client_snapshot;
mod client_writes;
mod config_fuzz;
mod config_hardening;
mod emulator_api;
mod emulator_cli;
mod emulator_faults;
mod emulator_fidelity;
mod emulator_limits;
mod emulator_shapes;
mod examples_end_to_end;
mod export_cli;
mod export_quoting;
mod export_roundtrip;
mod fmt_cli;
mod fmt_property;
mod identity_cases;
mod identity_never_deletes;
mod lint_cli;
mod orgs_cli;
mod plan_examples;
mod plan_property;
mod readme_commands;
mod render_cli;
mod render_formats;
mod render_plan_file;
mod sso_cli;
mod target_cli;
mod workflow_cli;
