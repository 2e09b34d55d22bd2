//! Scale benchmark (issue 13): what each command costs on a generated org, for several sizes
//! side by side. `JCFORM_BENCH_USERS` is a comma list (default `1000,10000`; add `100000` for
//! the full run). Run with `cargo bench --bench org_scale`; it prints figures and a markdown
//! table and asserts nothing about time.
//!
//! The org has the shape of the issue's: N users, 200 user groups of skewed sizes (one holds
//! everyone), about 3.25 memberships per user, an AD domain every 7th user is bound to, groups
//! bound to a second AD domain and to an M365 tenant, every 50th user bound to the tenant.
//!
//! Phases (commands run as the real release binary, each measured with `wait4`: CPU seconds,
//! peak RSS, wall time):
//! - `export` (YAML, KDL) from a sandbox;
//! - the sandbox serving a full read: `jcform emulator` in one process, `jcform snapshot
//!   --api-url` in another; the emulator's CPU while serving is compared with the client's;
//! - `plan --sandbox` (emulator in-process, as users run it);
//! - offline, in this process: load + validate + graph + diff + lint + render of the YAML and
//!   the KDL config against the org read once (CPU from `getrusage`, peak RSS reset before);
//! - latency: `plan --api-url` against `jcform emulator --latency 150ms,10ms`, compared with
//!   requests x latency / parallelism (`JCFORM_BENCH_LATENCY_MAX`, default 10000 users);
//! - apply of up to `JCFORM_BENCH_APPLY_MAX` users (default 100000: the bootstrap)
//!   with their memberships and bindings into an empty sandbox: `jcform apply --api-url`
//!   against `jcform emulator`, so the client's CPU and the sandbox's are measured apart.
//!
//! The read, offline and `plan --sandbox` phases run `JCFORM_BENCH_REPEAT` times (default 3),
//! each cold, and report the run of median CPU: a single figure on a shared 2-core machine varies by
//! half from run to run, which made the ratios between sizes swing.
//!
//! `JCFORM_BENCH_PHASES` (comma list of `export`, `read`, `plan`, `offline`, `latency`,
//! `apply`; default all) runs only some phases (`export` always runs: it makes the configs).

#[path = "../tests/export_common/mod.rs"]
mod common;

/// The allocator the `jcform` binary uses (src/main.rs), so that the phases run in this process
/// (offline) cost what they cost in the binary.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cpu;
use cpu::self_cpu;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use jcform::cli::plan::{plan_and_render, PlanOptions};
use jcform::jumpcloud::read::{request_budget, request_minimum};
use serde_json::{json, Value};

const GROUPS: usize = 200;
const LATENCY_MS: f64 = 150.0;
const JITTER_MS: f64 = 10.0;
const PARALLELISM: f64 = 8.0;

/// CPU seconds, peak memory and wall time of one measured run.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    cpu: f64,
    rss_mib: f64,
    wall: f64,
}

fn env_list(name: &str, default: &str) -> Vec<usize> {
    std::env::var(name)
        .unwrap_or_else(|_| default.to_string())
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Whether `JCFORM_BENCH_PHASES` (default: all) names `phase`.
fn phase(name: &str) -> bool {
    match std::env::var("JCFORM_BENCH_PHASES") {
        Ok(list) if !list.trim().is_empty() => list.split(',').any(|p| p.trim() == name),
        _ => true,
    }
}

fn oid(kind: u8, i: usize) -> String {
    format!("{kind:02x}{i:022x}")
}

fn edge(ft: &str, f: &str, tt: &str, t: &str) -> Value {
    json!({"from": {"type": ft, "id": f}, "to": {"type": tt, "id": t}})
}

/// The org shape for `n` users (deterministic).
fn generate(n: usize) -> (Value, usize) {
    let names = ["Ana", "Björn", "Chloé", "Dmitri", "Eve", "Łukasz"];
    let users: Vec<Value> = (0..n)
        .map(|i| {
            json!({"_id": oid(1, i), "username": format!("user{i:06}"),
                   "email": format!("user{i:06}@big.example"), "firstname": names[i % names.len()],
                   "lastname": format!("L{i}"), "state": "ACTIVATED", "activated": true,
                   "password_date": if i % 10 == 0 { Value::Null } else { json!("2026-01-05T10:00:00.000Z") },
                   "delegatedAuthority": null})
        })
        .collect();
    let groups: Vec<Value> = (0..GROUPS)
        .map(|j| json!({"id": oid(2, j), "name": format!("group-{j:03}"), "type": "user_group", "membershipMethod": "STATIC"}))
        .collect();
    let mut assoc = Vec::new();
    let mut memberships = 0;
    for j in 0..GROUPS {
        let size = if j == 0 {
            n
        } else {
            ((n as f64) / ((j + 1) as f64).powf(1.3)) as usize
        };
        // Distinct members: a stride coprime to n from a per-group offset.
        let mut stride = 7919 + 2 * j;
        while gcd(stride, n.max(1)) != 1 {
            stride += 1;
        }
        for k in 0..size {
            let u = (j * 104_729 + k * stride) % n;
            assoc.push(edge("user_group", &oid(2, j), "user", &oid(1, u)));
        }
        memberships += size;
    }
    let ads: Vec<Value> = (0..2)
        .map(|k| json!({"id": oid(3, k), "domain": format!("DC=ad{k};DC=big;DC=example"), "useCase": "TWOWAYSYNC",
                        "delegationState": if k == 0 { "ENABLED" } else { "DISABLED" }, "groupsEnabled": true}))
        .collect();
    let m365 = oid(5, 0);
    for k in (0..n).step_by(7) {
        assoc.push(edge("user", &oid(1, k), "active_directory", &oid(3, 0)));
    }
    for j in 1..4 {
        assoc.push(edge(
            "user_group",
            &oid(2, j),
            "active_directory",
            &oid(3, 1),
        ));
    }
    for j in 0..2 {
        assoc.push(edge("user_group", &oid(2, j), "office_365", &m365));
    }
    for k in (0..n).step_by(50) {
        assoc.push(edge("user", &oid(1, k), "office_365", &m365));
    }
    let state = json!({
        "systemusers": users, "usergroups": groups, "activedirectories": ads,
        "activedirectory_agents": {oid(3, 0): [{"id": oid(4, 0), "agentType": "IMPORT", "state": "active", "hostType": "DC", "version": "3.2.0"}]},
        "office365s": [{"id": m365, "name": "Big 365", "groupsEnabled": true, "userLockoutAction": "suspend", "userPasswordExpirationAction": "maintain"}],
        "office365_domains": {m365.clone(): [{"objectId": oid(6, 0), "domain": "big.example", "default": true}]},
        "associations": assoc,
    });
    (state, memberships)
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Runs `cmd` to its end, measuring the command alone: through `/usr/bin/time` when it exists
/// (a child forked from this large process would count this process's memory as its own peak),
/// else with `wait4` on the child.
// The child is reaped by `wait4` in `reap`, which `Child::wait` would not let us measure.
#[allow(clippy::zombie_processes)]
fn measure(cmd: &mut Command) -> (Cost, i32, String) {
    let timed = std::env::temp_dir().join(format!("org_scale-time-{}", std::process::id()));
    let time = Path::new("/usr/bin/time");
    let mut wrapped;
    let cmd = if time.exists() {
        wrapped = Command::new(time);
        wrapped
            .args(["-f", "%e %U %S %M", "-o"])
            .arg(&timed)
            .arg(cmd.get_program())
            .args(cmd.get_args());
        for (k, v) in cmd.get_envs() {
            match v {
                Some(v) => wrapped.env(k, v),
                None => wrapped.env_remove(k),
            };
        }
        &mut wrapped
    } else {
        cmd
    };
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("command starts");
    let pid = child.id() as libc::pid_t;
    let drain = |stream: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut s) = stream {
                let _ = s.read_to_string(&mut text);
            }
            text
        })
    };
    let out = drain(child.stdout.take().map(|s| Box::new(s) as _));
    let err = drain(child.stderr.take().map(|s| Box::new(s) as _));
    let (mut cost, code) = reap(pid);
    let wall = started.elapsed().as_secs_f64();
    let text = err.join().unwrap_or_default() + &out.join().unwrap_or_default();
    if let Ok(line) = std::fs::read_to_string(&timed) {
        // The last line: `wall user system maxrss_kib` (a signal note may come first).
        let fields: Vec<f64> = line
            .lines()
            .last()
            .unwrap_or("")
            .split_whitespace()
            .filter_map(|f| f.parse().ok())
            .collect();
        if let [_, user, system, kib] = fields[..] {
            cost.cpu = user + system;
            cost.rss_mib = kib / 1024.0;
        }
        let _ = std::fs::remove_file(&timed);
    }
    (Cost { wall, ..cost }, code, text)
}

/// Waits for `pid`; its CPU (user + system) and peak RSS.
fn reap(pid: libc::pid_t) -> (Cost, i32) {
    let mut status = 0;
    // SAFETY: a plain syscall on our own child; `usage` is written by the kernel.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    let cost = Cost {
        cpu: secs(usage.ru_utime) + secs(usage.ru_stime),
        rss_mib: usage.ru_maxrss as f64 / 1024.0,
        wall: 0.0,
    };
    (cost, libc::WEXITSTATUS(status))
}

/// CPU seconds a running process has used so far (`/proc/PID/stat`).
fn proc_cpu(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    // utime and stime are fields 14 and 15 (1-based), 11 and 12 after the ")".
    (ticks(11) + ticks(12)) / hz
}

/// Peak RSS of this process since the last `reset_peak` (Linux `VmHWM`).
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Resident memory of this process now (Linux `VmRSS`).
fn rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0)
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// `jcform emulator` over `state` (with `extra` flags and a request log); its URL. Reaped by
/// `stop`.
#[allow(clippy::zombie_processes)]
fn emulator(state: &Path, log: &Path, extra: &[&str]) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jcform"))
        .args(["emulator", "--listen", "127.0.0.1:0", "--api-key", "bench"])
        .arg("--state")
        .arg(state)
        .arg("--log")
        .arg(log)
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .expect("emulator starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("emulator prints its URL");
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .expect("URL line")
        .to_string();
    (child, url)
}

fn stop(child: Child) -> Cost {
    let pid = child.id() as libc::pid_t;
    // Its own peak, read before it exits (`wait4` would count this process's memory too).
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let peak = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / 1024.0);
    // SAFETY: our own child; SIGTERM makes it fold its journal and exit.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    Cost {
        rss_mib: peak,
        ..reap(pid).0
    }
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).map_or(0, |t| t.lines().count())
}

fn jcform() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_jcform"));
    cmd.env("NO_COLOR", "1").env("JC_API_KEY", "bench");
    cmd
}

/// One size's figures, by row name.
type Column = BTreeMap<&'static str, String>;

fn run_size(
    n: usize,
    runtime: &tokio::runtime::Runtime,
    cpu: &mut BTreeMap<&'static str, f64>,
) -> Column {
    let mut col = Column::new();
    let dir = tempfile::tempdir().expect("temp dir");
    let (state, memberships) = generate(n);
    let org = dir.path().join("org.json");
    std::fs::write(&org, serde_json::to_vec(&state).expect("encode")).expect("write org");
    let edges = state["associations"].as_array().map_or(0, Vec::len);
    drop(state);
    println!("== {n} users, {GROUPS} groups, {memberships} memberships, {edges} edges");
    col.insert(
        "org",
        format!(
            "{n} users, {memberships} memberships, {} bindings",
            edges - memberships
        ),
    );

    // Export (also makes the configs the other phases load).
    let yaml = dir.path().join("yaml");
    let kdl = dir.path().join("kdl");
    for (name, out, format) in [("export YAML", &yaml, "yaml"), ("export KDL", &kdl, "kdl")] {
        let (cost, code, err) = measure(
            jcform()
                .args(["export", "--format", format, "--sandbox"])
                .arg(&org)
                .arg("--out")
                .arg(out),
        );
        assert_eq!(code, 0, "{err}");
        if phase("export") {
            report(&mut col, cpu, name, cost);
        }
    }

    // The sandbox serving one full read, apart from the client reading it.
    let requests = phase("read").then(|| read_phase(&mut col, cpu, &org, dir.path()));

    let needs_live = phase("offline");
    let live = needs_live.then(|| {
        runtime.block_on(async {
            let running = common::Org::start(
                &serde_json::from_slice(&std::fs::read(&org).expect("org")).expect("json"),
            )
            .await;
            let live = running.read().await;
            running.emulator.shutdown().await;
            live
        })
    });
    if let (Some(live), Some(requests)) = (&live, requests) {
        // Requests against the minimum, from a read in this process.
        col.insert(
            "read: requests (budget / no-overlap minimum)",
            format!(
                "{requests} ({} / {})",
                request_budget(live),
                request_minimum(live)
            ),
        );
    }

    // plan --sandbox, as users run it.
    if phase("plan") {
        let runs: Vec<Cost> = (0..repeat())
            .map(|_| {
                let (cost, code, err) =
                    measure(jcform().args(["plan", "--sandbox"]).arg(&org).arg(&yaml));
                assert_eq!(code, 0, "plan --sandbox: {err}");
                println!("plan --sandbox run: {:.2} s CPU", cost.cpu);
                cost
            })
            .collect();
        report(&mut col, cpu, "plan --sandbox (YAML)", median(&runs));
    }

    // Offline: load + validate + graph + diff + lint + render, in this process.
    if let Some(live) = &live {
        for (name, config) in [("offline YAML", &yaml), ("offline KDL", &kdl)] {
            let runs: Vec<Cost> = (0..repeat())
                .map(|_| offline_run(name, config, live))
                .collect();
            report(&mut col, cpu, name, median(&runs));
        }
    }

    // Reads against latency.
    if phase("latency") && n <= env_number("JCFORM_BENCH_LATENCY_MAX", 10_000) {
        let log = dir.path().join("latency.log");
        let latency = format!("{LATENCY_MS}ms,{JITTER_MS}ms");
        let (emu, url) = emulator(&org, &log, &["--latency", &latency, "--seed", "1"]);
        let (cost, code, err) = measure(jcform().args(["plan", "--api-url", &url]).arg(&yaml));
        assert_eq!(code, 0, "plan --api-url: {err}");
        stop(emu);
        let requests = lines(&log) as f64;
        let ideal = requests * (LATENCY_MS + JITTER_MS / 2.0) / 1000.0 / PARALLELISM;
        col.insert(
            "plan at 150 ms/request: wall (ideal = requests x latency / 8)",
            format!(
                "{:.1} s ({:.1} s, {requests} requests): {:.2}x",
                cost.wall,
                ideal,
                cost.wall / ideal
            ),
        );
    }

    if phase("apply") {
        apply_phase(&mut col, cpu, n, dir.path());
    }
    col
}

/// `jcform snapshot --api-url` against `jcform emulator`: the client's cost and the sandbox's.
fn read_phase(
    col: &mut Column,
    cpu: &mut BTreeMap<&'static str, f64>,
    org: &Path,
    dir: &Path,
) -> usize {
    let log = dir.join("read.log");
    let (emu, url) = emulator(org, &log, &[]);
    let snap = dir.join("snap.json");
    // (client's cost, sandbox CPU serving that read), per read; the median read is reported.
    let mut reads: Vec<(Cost, f64)> = (0..repeat())
        .map(|_| {
            let before = proc_cpu(emu.id());
            let (client, code, err) = measure(
                jcform()
                    .args(["snapshot", "--api-url", &url, "--out"])
                    .arg(&snap),
            );
            assert_eq!(code, 0, "{err}");
            let served = proc_cpu(emu.id()) - before;
            println!(
                "read run: client {:.2} s CPU, sandbox {served:.2} s",
                client.cpu
            );
            (client, served)
        })
        .collect();
    let requests = lines(&log) / reads.len();
    reads.sort_by(|a, b| a.0.cpu.total_cmp(&b.0.cpu));
    let (client, served) = reads[reads.len() / 2];
    let emu_cost = stop(emu);
    report(col, cpu, "read: client (snapshot --api-url)", client);
    col.insert("read: sandbox CPU serving it", format!("{served:.2} s"));
    cpu.insert("read: sandbox CPU serving it", served);
    col.insert(
        "read: sandbox / client CPU",
        format!("{:.2}", served / client.cpu.max(1e-9)),
    );
    col.insert(
        "read: sandbox peak memory",
        format!("{:.0} MiB", emu_cost.rss_mib),
    );
    requests
}

/// Apply of up to `JCFORM_BENCH_APPLY_MAX` users into an empty sandbox: `jcform apply
/// --api-url` against `jcform emulator`, each measured apart.
fn apply_phase(col: &mut Column, cpu: &mut BTreeMap<&'static str, f64>, n: usize, dir: &Path) {
    let m = n.min(env_number("JCFORM_BENCH_APPLY_MAX", 100_000));
    let (slice, _) = generate(m);
    let slice_org = dir.join("slice.json");
    std::fs::write(&slice_org, slice.to_string()).expect("write slice");
    let config = dir.join("apply-config");
    let (_, code, err) = measure(
        jcform()
            .args(["export", "--sandbox"])
            .arg(&slice_org)
            .arg("--out")
            .arg(&config),
    );
    assert_eq!(code, 0, "{err}");
    std::fs::write(
        config.join("waivers.yaml"),
        "version: 1\nwaivers:\n  - {rule: LCK005, target: \"*\", reason: \"benchmark: passwords set later\"}\n",
    )
    .expect("waivers");
    let target = dir.join("target.json");
    let tenants_only = json!({
        "activedirectories": [], "office365s": slice["office365s"], "office365_domains": slice["office365_domains"],
    });
    drop(slice);
    std::fs::write(&target, tenants_only.to_string()).expect("target");
    let log = dir.join("apply.log");
    let (emu, url) = emulator(&target, &log, &[]);
    let before = proc_cpu(emu.id());
    let (cost, code, err) = measure(
        jcform()
            .args(["apply", "--auto-approve", "--api-url", &url])
            .arg(&config),
    );
    let served = proc_cpu(emu.id()) - before;
    let emu_cost = stop(emu);
    let requests = lines(&log);
    let summary = err
        .lines()
        .filter(|l| l.starts_with("Apply:"))
        .collect::<Vec<_>>()
        .join(" ");
    println!(
        "apply {m} users: {:.1} s wall, client {:.2} s CPU {:.0} MiB, sandbox {served:.2} s CPU {:.0} MiB, {requests} requests (exit {code}) {summary}",
        cost.wall, cost.cpu, cost.rss_mib, emu_cost.rss_mib
    );
    col.insert(
        "apply into an empty sandbox",
        format!(
            "{m} users: {:.1} s wall, {requests} requests (exit {code}) {summary}",
            cost.wall
        ),
    );
    col.insert(
        "apply: client",
        format!("{:.2} s CPU, {:.0} MiB", cost.cpu, cost.rss_mib),
    );
    col.insert(
        "apply: sandbox",
        format!("{served:.2} s CPU, {:.0} MiB", emu_cost.rss_mib),
    );
    cpu.insert("apply: client", cost.cpu);
    cpu.insert("apply: sandbox", served);
}

/// One cold run of the offline phase: load + validate + graph + diff + lint + render of
/// `config` against `live`, in this process, after the memory earlier work freed went back to the
/// system (so each run faults its memory in, as a fresh `jcform plan` does).
fn offline_run(name: &str, config: &Path, live: &jcform::model::live::LiveState) -> Cost {
    // mimalloc keeps freed pages for reuse: returned first, so that the held figure is what this
    // process still uses (the org read) and the peak is what offline adds.
    // SAFETY: mi_collect has no preconditions; it only returns free memory.
    unsafe { libmimalloc_sys::mi_collect(true) };
    reset_peak();
    let held = rss_mib();
    let started = self_cpu();
    let wall = Instant::now();
    let loaded = jcform::model::load(config).expect("config validates");
    // Where the peak is: while loading (text, spanned tree, model) or while planning.
    let (load_cpu, load_peak) = (self_cpu() - started, peak_rss_mib());
    reset_peak();
    let report_ = plan_and_render(&loaded, live, &PlanOptions::default()).expect("plans");
    assert!(report_.plan.is_empty(), "an exported org plans empty");
    let cost = Cost {
        cpu: self_cpu() - started,
        rss_mib: peak_rss_mib().max(load_peak),
        wall: wall.elapsed().as_secs_f64(),
    };
    println!(
        "{name} run: {:.2} s CPU (load {load_cpu:.2} s); held before {held:.0} MiB; load peak \
         {load_peak:.0} MiB; plan peak {:.0} MiB",
        cost.cpu,
        peak_rss_mib()
    );
    drop((loaded, report_));
    cost
}

/// How many times the read, offline and `plan --sandbox` phases run (`JCFORM_BENCH_REPEAT`, default 3,
/// at least 1); their median is reported.
fn repeat() -> usize {
    env_number("JCFORM_BENCH_REPEAT", 3).max(1)
}

/// The run of median CPU among `runs` (`JCFORM_BENCH_REPEAT` of them: one figure on this shared
/// machine varies by half from run to run), with the highest peak of them all.
fn median(runs: &[Cost]) -> Cost {
    let mut by_cpu = runs.to_vec();
    by_cpu.sort_by(|a, b| a.cpu.total_cmp(&b.cpu));
    let peak = runs.iter().map(|c| c.rss_mib).fold(0.0, f64::max);
    Cost {
        rss_mib: peak,
        ..by_cpu[by_cpu.len() / 2]
    }
}

fn report(col: &mut Column, cpu: &mut BTreeMap<&'static str, f64>, name: &'static str, cost: Cost) {
    println!(
        "{name}: {:.2} s CPU, {:.0} MiB peak, {:.2} s wall",
        cost.cpu, cost.rss_mib, cost.wall
    );
    col.insert(
        name,
        format!(
            "{:.2} s CPU, {:.0} MiB, {:.1} s wall",
            cost.cpu, cost.rss_mib, cost.wall
        ),
    );
    cpu.insert(name, cost.cpu);
}

fn main() {
    if !cfg!(target_os = "linux") {
        println!("org_scale measures with Linux interfaces (wait4, /proc); skipped");
        return;
    }
    let sizes = env_list("JCFORM_BENCH_USERS", "1000,10000");
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let mut columns = Vec::new();
    let mut cpus = Vec::new();
    for &n in &sizes {
        let mut cpu = BTreeMap::new();
        columns.push(run_size(n, &runtime, &mut cpu));
        cpus.push(cpu);
    }
    // The table, as the README's Performance section shows it.
    let rows: Vec<&'static str> =
        columns
            .iter()
            .flat_map(|c| c.keys().copied())
            .fold(Vec::new(), |mut rows, k| {
                if !rows.contains(&k) {
                    rows.push(k);
                }
                rows
            });
    println!();
    let header: Vec<String> = sizes.iter().map(|n| format!("{n} users")).collect();
    println!("| phase | {} |", header.join(" | "));
    println!("|---|{}|", vec!["---"; sizes.len()].join("|"));
    for row in &rows {
        let cells: Vec<String> = columns
            .iter()
            .map(|c| c.get(row).cloned().unwrap_or_else(|| "-".into()))
            .collect();
        println!("| {row} | {} |", cells.join(" | "));
    }
    // Growth: CPU at one size over CPU at the previous (10x) size, per phase.
    for pair in 1..sizes.len() {
        let (a, b) = (&cpus[pair - 1], &cpus[pair]);
        let ratios: Vec<String> = b
            .iter()
            .filter_map(|(k, v)| a.get(k).map(|w| format!("{k} {:.1}", v / w.max(1e-3))))
            .collect();
        println!(
            "\nCPU at {} / CPU at {} users: {}",
            sizes[pair],
            sizes[pair - 1],
            ratios.join("; ")
        );
    }
}
