//! `jcform orgs`: many orgs from one repository (docs/orgs.md).
//!
//! - `jcform orgs` lists the orgs of the orgs file and how each is reached.
//! - `jcform orgs --matrix [github|gitlab] [--shards N]` prints a CI matrix (JSON).
//! - `jcform orgs validate` checks every org's config (base plus overlays) offline.
//! - `jcform orgs plan` plans every org (or `--only` some) with bounded concurrency and prints
//!   one combined report; the exit code is the worst org's.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Parser, Subcommand, ValueEnum};
use futures_util::stream::{self, StreamExt};
use serde_json::json;

use super::plan::{plan_and_render, PlanFormat, PlanOptions};
use super::validate::stderr_style;
use super::{Outcome, Reported};
use crate::diag::{self, HumanStyle};
use crate::model::{Config, ConfigError};
use crate::orgs::{OrgEntry, OrgsFile, OrgsFileError, DEFAULT_FILE, MAX_CONCURRENCY};
use crate::plan::file::{portable_org_label, scoped_fingerprints, PlanFile, Scope};

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct OrgsArgs {
    /// The orgs file (docs/orgs.md)
    #[arg(long, short = 'f', global = true, value_name = "FILE", default_value = DEFAULT_FILE)]
    pub file: PathBuf,

    /// Print a CI matrix of the orgs as JSON instead of the list: `github` for a GitHub Actions
    /// `strategy.matrix` (fromJSON), `gitlab` for a `parallel:matrix` in a child pipeline
    #[arg(long, value_enum, value_name = "CI", num_args = 0..=1, default_missing_value = "github")]
    pub matrix: Option<MatrixKind>,

    /// With --matrix: group the orgs into at most N jobs (each job plans several orgs with
    /// `jcform orgs plan --only "$ORGS"`), for fleets larger than a CI matrix may be
    #[arg(long, value_name = "N", requires = "matrix", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub shards: Option<u16>,

    #[command(subcommand)]
    pub command: Option<OrgsCommand>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MatrixKind {
    Github,
    Gitlab,
}

#[derive(Debug, Subcommand)]
pub enum OrgsCommand {
    /// Plan every org (or --only some) and print one combined report.
    Plan(OrgsPlanArgs),
    /// Check every org's config (its files plus its overlays) offline.
    Validate(OrgsSelect),
}

#[derive(Debug, Args)]
pub struct OrgsSelect {
    /// Only these orgs (names, or comma-separated lists of names) [env: JCFORM_ORGS]
    #[arg(long, value_name = "NAMES", env = "JCFORM_ORGS", value_delimiter = ',')]
    pub only: Vec<String>,
}

#[derive(Debug, Args)]
pub struct OrgsPlanArgs {
    #[command(flatten)]
    pub select: OrgsSelect,
    /// Orgs planned at once (default: the file's `concurrency`, else 4)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=MAX_CONCURRENCY as i64))]
    pub concurrency: Option<u16>,
    /// Requests in flight at once, per org
    #[arg(long, default_value_t = 8, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=64))]
    pub parallelism: u16,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
    /// Also save each org's plan to DIR/NAME.plan.json, for `jcform apply --plan`.
    #[arg(long, value_name = "DIR")]
    pub out_dir: Option<PathBuf>,
    /// Exit 0 when no org has anything to do, 2 when one has changes, 3 when one is blocked
    /// (an org that cannot be planned always makes it 1).
    #[arg(long)]
    pub detailed_exitcode: bool,
}

pub fn run(args: OrgsArgs) -> anyhow::Result<Outcome> {
    let file = load_file(&args.file)?;
    match args.command {
        Some(OrgsCommand::Plan(plan)) => run_plan(&file, plan),
        Some(OrgsCommand::Validate(select)) => run_validate(&file, &select),
        None => match args.matrix {
            Some(kind) => {
                let matrix = matrix(&file.orgs, kind, args.shards.map(usize::from));
                println!("{}", serde_json::to_string(&matrix)?);
                Ok(Outcome::Ok)
            }
            None => {
                let mut out = std::io::stdout().lock();
                let width = file.orgs.iter().map(|o| o.name.len()).max().unwrap_or(0);
                for org in &file.orgs {
                    let overlays = if org.overlays.is_empty() {
                        String::new()
                    } else {
                        let list: Vec<String> = org
                            .overlays
                            .iter()
                            .map(|o| o.display().to_string())
                            .collect();
                        format!(" + {}", list.join(" + "))
                    };
                    writeln!(
                        out,
                        "{:width$}  {}{overlays}  ({})",
                        org.name,
                        org.config.display(),
                        org.target()
                    )?;
                }
                Ok(Outcome::Ok)
            }
        },
    }
}

fn load_file(path: &std::path::Path) -> anyhow::Result<OrgsFile> {
    match OrgsFile::load(path) {
        Ok(f) => Ok(f),
        Err(OrgsFileError::Load(e)) => Err(anyhow::anyhow!(e)),
        Err(OrgsFileError::Invalid {
            sources,
            diagnostics,
        }) => {
            eprint!(
                "{}",
                diag::render_human(&diagnostics, &sources, stderr_style())
            );
            Err(Reported(format!("{} error(s) in the orgs file", diagnostics.len())).into())
        }
    }
}

/// The CI matrix: one job per org, or `shards` jobs of several orgs each (round-robin in file
/// order, so shard sizes differ by one at most).
pub fn matrix(orgs: &[OrgEntry], kind: MatrixKind, shards: Option<usize>) -> serde_json::Value {
    let groups: Vec<Vec<&str>> = match shards {
        None => orgs.iter().map(|o| vec![o.name.as_str()]).collect(),
        Some(n) => {
            let n = n.clamp(1, orgs.len().max(1));
            let mut groups = vec![Vec::new(); n];
            for (i, o) in orgs.iter().enumerate() {
                groups[i % n].push(o.name.as_str());
            }
            groups.retain(|g| !g.is_empty());
            groups
        }
    };
    let lists: Vec<String> = groups.iter().map(|g| g.join(",")).collect();
    match kind {
        MatrixKind::Github => json!({
            "include": lists.iter().map(|orgs| json!({ "orgs": orgs })).collect::<Vec<_>>()
        }),
        MatrixKind::Gitlab => json!({
            "parallel": { "matrix": [ { "JCFORM_ORGS": lists } ] }
        }),
    }
}

fn run_validate(file: &OrgsFile, select: &OrgsSelect) -> anyhow::Result<Outcome> {
    let orgs = file.select(&select.only).map_err(|e| anyhow::anyhow!(e))?;
    let mut failed = 0;
    let mut out = std::io::stdout().lock();
    for org in &orgs {
        match load_config(org, stderr_style()) {
            Ok(config) => {
                let counts: Vec<String> = config
                    .model
                    .counts()
                    .iter()
                    .filter(|(_, n)| *n > 0)
                    .map(|(k, n)| format!("{n} {k}"))
                    .collect();
                writeln!(out, "{}: valid: {}", org.name, counts.join(", "))?;
            }
            Err(text) => {
                failed += 1;
                out.flush()?;
                eprint!("{text}");
                writeln!(out, "{}: invalid", org.name)?;
            }
        }
    }
    if failed > 0 {
        return Err(Reported(format!("{failed} org(s) invalid")).into());
    }
    Ok(Outcome::Ok)
}

/// An org's config, base plus overlays; an invalid one as its rendered diagnostics.
fn load_config(org: &OrgEntry, style: HumanStyle) -> Result<Config, String> {
    match crate::orgs::overlay::load(&org.config, &org.overlays) {
        Ok(c) => Ok(c),
        Err(ConfigError::Load(e)) => Err(format!("error: {e}\n")),
        Err(ConfigError::Invalid {
            sources,
            diagnostics,
        }) => Err(diag::render_human(&diagnostics, &sources, style)),
    }
}

/// What planning one org came to.
#[derive(Debug)]
pub struct OrgResult {
    pub org: OrgEntry,
    pub result: Result<OrgPlan, String>,
}

#[derive(Debug)]
pub struct OrgPlan {
    pub report: super::plan::PlanReport,
    pub label: String,
}

impl OrgResult {
    /// `ok`, `changes`, `blocked` or `error`.
    pub fn status(&self) -> &'static str {
        match &self.result {
            Err(_) => "error",
            Ok(p) => match p.report.outcome {
                Outcome::Ok => "ok",
                Outcome::Changes => "changes",
                Outcome::Blocked => "blocked",
            },
        }
    }
}

/// Command-line flags for one org, parsed by the same clap definition as `jcform plan`'s, so
/// the org is reached exactly as `jcform plan --profile ...` / `--sandbox ...` would.
#[derive(Debug, Parser)]
struct OneOrg {
    #[command(flatten)]
    org: super::org::OrgArgs,
}

fn org_args(
    org: &OrgEntry,
    config: &Config,
    parallelism: u16,
) -> anyhow::Result<super::org::OrgArgs> {
    let mut argv: Vec<String> = vec![
        "jcform".into(),
        "--parallelism".into(),
        parallelism.to_string(),
    ];
    if let Some(s) = &org.sandbox {
        argv.extend(["--sandbox".into(), s.display().to_string()]);
    }
    if let Some(p) = &org.profile {
        argv.extend(["--profile".into(), p.clone()]);
    }
    if let Some(id) = &org.org_id {
        argv.extend(["--org-id".into(), id.clone()]);
    }
    let mut args = OneOrg::try_parse_from(argv)
        .map_err(|e| anyhow::anyhow!("{}", e.render().to_string().trim()))?
        .org;
    if org.sandbox.is_none() && org.profile.is_none() {
        args.config_profile = config.model.settings.profile.clone();
    }
    // Never fall back to whatever key the shell holds: each org names its own way in.
    if org.sandbox.is_none()
        && org.profile.is_none()
        && org.org_id.is_none()
        && args.config_profile.is_none()
    {
        anyhow::bail!(
            "org `{}` names no org to plan against\n  help: give it `profile`, `sandbox` or \
             `org_id` in the orgs file, or `settings: {{profile: NAME}}` in its config",
            org.name
        );
    }
    Ok(args)
}

async fn plan_one(org: OrgEntry, args: &OrgsPlanArgs) -> OrgResult {
    let result = plan_org(&org, args).await;
    OrgResult { org, result }
}

async fn plan_org(org: &OrgEntry, args: &OrgsPlanArgs) -> Result<OrgPlan, String> {
    let style = HumanStyle {
        color: false,
        width: 100,
    };
    let config = load_config(org, style)?;
    let org_args = org_args(org, &config, args.parallelism).map_err(|e| format!("{e:#}"))?;
    let conn = org_args
        .connect(crate::emulator::StateAccess::Read)
        .await
        .map_err(|e| format!("{e:#}"))?;
    let live = crate::jumpcloud::read_live(&conn.client).await;
    let label = conn.org_label.clone();
    let key_source = conn.key_source.clone();
    conn.close().await;
    let live = live.map_err(|e| {
        let err = anyhow::Error::from(e).context(format!("cannot read {label}"));
        let mut text = format!("{err:#}");
        if let Some(hint) = super::org::auth_hint(&err, key_source.as_deref()) {
            text.push_str(&format!("\n  help: {hint}"));
        }
        text
    })?;
    let opts = PlanOptions {
        org_label: label.clone(),
        format: args.format,
        color: args.format == PlanFormat::Human
            && super::output::color(super::output::Stream::Stdout),
        show_unmanaged: false,
        config_label: org.config.display().to_string(),
    };
    // A plan that cannot be made (ambiguous names, unreadable passwords) fails this org only.
    let report =
        plan_and_render(&config, &live, &opts).map_err(|e| format!("cannot plan {label}: {e}"))?;
    if let Some(dir) = &args.out_dir {
        let path = dir.join(format!("{}.plan.json", org.name));
        let scope = Scope::of_plan(&report.plan, &report.findings);
        PlanFile::new(
            portable_org_label(&label, org.sandbox.as_deref(), &org.config),
            &config.hash,
            &report.plan,
            &report.findings,
            scoped_fingerprints(&live, &scope),
        )
        .with_access(&report.render)
        .write_atomic(&path)
        .map_err(|e| format!("cannot save the plan to {}: {e:#}", path.display()))?;
    }
    Ok(OrgPlan { report, label })
}

fn run_plan(file: &OrgsFile, args: OrgsPlanArgs) -> anyhow::Result<Outcome> {
    let orgs = file
        .select(&args.select.only)
        .map_err(|e| anyhow::anyhow!(e))?;
    // One profile for the shell would quietly apply to every org that names none.
    if std::env::var_os(super::org::PROFILE_ENV).is_some_and(|v| !v.is_empty()) {
        anyhow::bail!(
            "{} is set, but `orgs plan` takes each org's profile from {}\n  help: unset {}",
            super::org::PROFILE_ENV,
            file.path.display(),
            super::org::PROFILE_ENV
        );
    }
    let concurrency = args
        .concurrency
        .map(usize::from)
        .unwrap_or(file.concurrency)
        .max(1);
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let label = format!(
        "{} org{}",
        orgs.len(),
        if orgs.len() == 1 { "" } else { "s" }
    );
    let results: Vec<OrgResult> = {
        let _progress = super::output::reading(&label);
        runtime.block_on(
            stream::iter(orgs)
                .map(|org| plan_one(org, &args))
                // `buffered`, not `buffer_unordered`: the report keeps the file's order.
                .buffered(concurrency)
                .collect(),
        )
    };
    let text = match args.format {
        PlanFormat::Human => human(&results),
        PlanFormat::Json => serde_json::to_string_pretty(&json_report(&results))? + "\n",
        PlanFormat::Markdown => markdown(&results),
        PlanFormat::Summary => summary(&results),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    if let Some(dir) = &args.out_dir {
        eprintln!("Saved the plans to {}.", dir.display());
    }
    let failed = results.iter().filter(|r| r.result.is_err()).count();
    if failed > 0 {
        return Err(Reported(format!("{failed} org(s) could not be planned")).into());
    }
    let worst = results
        .iter()
        .filter_map(|r| r.result.as_ref().ok())
        .map(|p| p.report.outcome)
        .max_by_key(|o| match o {
            Outcome::Ok => 0,
            Outcome::Changes => 1,
            Outcome::Blocked => 2,
        })
        .unwrap_or(Outcome::Ok);
    Ok(if args.detailed_exitcode {
        worst
    } else {
        Outcome::Ok
    })
}

/// One summary line per org: name, status, the plan's own summary line or the error's first
/// line.
fn summary_rows(results: &[OrgResult]) -> Vec<(String, &'static str, String)> {
    results
        .iter()
        .map(|r| {
            let detail = match &r.result {
                Ok(p) => p.report.render.summary.line(),
                Err(e) => e.lines().next().unwrap_or_default().to_string(),
            };
            (r.org.name.clone(), r.status(), detail)
        })
        .collect()
}

/// Each org's plan under a rule with its name, then the summary table.
pub fn human(results: &[OrgResult]) -> String {
    let mut out = String::new();
    for r in results {
        let target = match &r.result {
            Ok(p) => p.label.clone(),
            Err(_) => r.org.target(),
        };
        out.push_str(&format!("=== org {} ({target}) ===\n", r.org.name));
        match &r.result {
            Ok(p) => out.push_str(&p.report.rendered),
            Err(e) => {
                out.push_str("error: ");
                out.push_str(e.trim_end());
                out.push('\n');
            }
        }
        out.push('\n');
    }
    let rows = summary_rows(results);
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    out.push_str(&format!(
        "Summary: {} org{}\n",
        results.len(),
        if results.len() == 1 { "" } else { "s" }
    ));
    for (name, status, detail) in rows {
        out.push_str(&format!("  {name:width$}  {status:7}  {detail}\n"));
    }
    out
}

/// `{"format_version": "1", "orgs": [{name, status, target, plan | error}]}`; `plan` is the
/// org's plan document (docs/plan-json.md).
pub fn json_report(results: &[OrgResult]) -> serde_json::Value {
    let orgs: Vec<serde_json::Value> = results
        .iter()
        .map(|r| {
            let mut o = json!({ "name": r.org.name, "status": r.status() });
            match &r.result {
                Ok(p) => {
                    o["org"] = json!(p.label);
                    o["plan"] = serde_json::from_str(&p.report.rendered)
                        .unwrap_or_else(|_| json!(p.report.rendered));
                }
                Err(e) => {
                    o["org"] = json!(r.org.target());
                    o["error"] = json!(e);
                }
            }
            o
        })
        .collect();
    json!({ "format_version": "1", "orgs": orgs })
}

/// A summary table, then each org's plan comment folded under its name.
/// One line per org: `NAME: <the plan's summary line>` (see `plan --format summary`), or
/// `NAME: error: ...` when it could not be planned.
pub fn summary(results: &[OrgResult]) -> String {
    let mut out = String::new();
    for r in results {
        match &r.result {
            Ok(p) => out.push_str(&format!("{}: {}", r.org.name, p.report.rendered)),
            Err(e) => {
                let first = e.lines().next().unwrap_or_default();
                out.push_str(&format!("{}: error: {first}\n", r.org.name));
            }
        }
    }
    out
}

pub fn markdown(results: &[OrgResult]) -> String {
    let mut out = format!(
        "## jcform plan: {} orgs\n\n| org | status | plan |\n|---|---|---|\n",
        results.len()
    );
    for (name, status, detail) in summary_rows(results) {
        out.push_str(&format!(
            "| `{name}` | {status} | {} |\n",
            detail.replace('|', "\\|")
        ));
    }
    for r in results {
        out.push_str(&format!(
            "\n<details><summary>{} ({})</summary>\n\n",
            r.org.name,
            r.status()
        ));
        match &r.result {
            Ok(p) => out.push_str(&p.report.rendered),
            Err(e) => out.push_str(&format!("```\n{}\n```\n", e.trim_end())),
        }
        out.push_str("\n</details>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(name: &str) -> OrgEntry {
        OrgEntry {
            name: name.into(),
            config: "c".into(),
            overlays: vec![],
            profile: None,
            sandbox: Some("s.json".into()),
            org_id: None,
        }
    }

    #[test]
    fn matrices() {
        let orgs: Vec<OrgEntry> = ["a", "b", "c", "d", "e"].into_iter().map(org).collect();
        assert_eq!(
            matrix(&orgs[..2], MatrixKind::Github, None),
            json!({"include": [{"orgs": "a"}, {"orgs": "b"}]})
        );
        assert_eq!(
            matrix(&orgs, MatrixKind::Github, Some(2)),
            json!({"include": [{"orgs": "a,c,e"}, {"orgs": "b,d"}]})
        );
        assert_eq!(
            matrix(&orgs[..2], MatrixKind::Gitlab, Some(9)),
            json!({"parallel": {"matrix": [{"JCFORM_ORGS": ["a", "b"]}]}})
        );
    }
}
