//! `jcform apply [CONFIG]`: read the org, diff, lint, show the plan, ask, then execute it in a
//! lockout-safe order (`crate::apply`), with a journal and one progress line per step.
//!
//! With `--plan FILE` it executes a plan saved by `jcform plan --out FILE` instead, only if the
//! files, the org and every object the plan read are unchanged (`crate::plan::recheck`).
//!
//! Exit codes: 0 all done (or nothing to do), 1 a step failed / refused / cancelled / the saved
//! plan is stale, 3 unwaived error findings (nothing written).

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, ValueEnum};
use serde_json::json;

use super::org::{OrgArgs, OrgConnection};
use super::plan::{
    plan_and_render_partial, warn_partial, PlanFormat, PlanOptions, PlanReport, TargetArgs,
};
use super::validate::{load_or_report, report_plan_errors, DiagFormat};
use super::{Outcome, Reported};
use crate::apply::execute::{Context, Observers};
use crate::apply::journal::Journal;
use crate::apply::progress::{self, Progress};
use crate::apply::{execute, schedule, ApplyReport, ExecuteOptions, OrderHints};
use crate::emulator::StateAccess;
use crate::model::Config;
use crate::plan::file::PlanFile;
use crate::plan::recheck;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ApplyFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// A config file or a directory of *.yaml, *.yml and *.kdl files.
    #[arg(default_value = ".")]
    pub config: PathBuf,
    #[command(flatten)]
    pub org: OrgArgs,
    /// Apply without asking (needed when there is no terminal to ask on).
    #[arg(long)]
    pub auto_approve: bool,
    /// Execute this saved plan file (from `jcform plan --out`) instead of planning again.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Where to write the JSON-lines journal (default: beside the plan file, else a temp file).
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// Progress lines and summary for people, or the whole report as JSON.
    #[arg(long, value_enum, default_value_t = ApplyFormat::Human)]
    pub format: ApplyFormat,
    /// With --plan the saved plan's filter is used (naming another is an error).
    #[command(flatten)]
    pub partial: TargetArgs,
}

pub fn run(mut args: ApplyArgs) -> anyhow::Result<Outcome> {
    // A saved plan is read first: a damaged or edited file stops everything before any
    // connection is made.
    let saved = match &args.plan {
        Some(path) => Some(PlanFile::read(path)?),
        None => None,
    };
    if let Some(file) = &saved {
        let given = args.partial.partial()?;
        if !given.is_empty() && Some(&given) != file.partial.as_ref() {
            return Err(anyhow::anyhow!(
                "--target/--exclude differ from the saved plan's; apply --plan uses the saved \
                 plan's filter (see `jcform show`), so leave them out or plan again"
            ));
        }
    }
    let config = load_or_report(&args.config, diag_format(args.format))?;
    args.org.config_profile = config.model.settings.profile.clone();
    if let Some(file) = &saved {
        recheck::check_config(file, &config.hash)?;
    }
    // One thread: an apply's work is a fixed cost per request, and waking worker threads
    // across cores for each answer cost more CPU than it saved (issue 13).
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        // A sandbox stays locked for the whole apply, read included: a second apply or the
        // standalone emulator on the same file fails at once, naming this one.
        let connection = args.org.connect(StateAccess::Write).await?;
        let result = apply(&args, config, saved.as_ref(), &connection).await;
        // Closed on every path: for a sandbox this stops the emulator after its last request.
        connection.close().await;
        result
    })
}

fn diag_format(format: ApplyFormat) -> DiagFormat {
    match format {
        ApplyFormat::Human => DiagFormat::Human,
        ApplyFormat::Json => DiagFormat::Json,
    }
}

async fn apply(
    args: &ApplyArgs,
    config: Config,
    saved: Option<&PlanFile>,
    connection: &OrgConnection,
) -> anyhow::Result<Outcome> {
    if let Some(file) = saved {
        let label = crate::plan::file::portable_org_label(
            &connection.org_label,
            args.org.sandbox.as_deref(),
            &args.config,
        );
        recheck::check_org(file, &label)?;
    }
    let client = connection.client.clone();
    let live = crate::jumpcloud::read_live(&client)
        .await
        .with_context(|| format!("cannot read {}", connection.org_label))?;
    if let Some(file) = saved {
        recheck::check_live(file, &live)?;
    }
    let human = args.format == ApplyFormat::Human;
    // The same diff, rules and rendering as `jcform plan`, so what is shown is what runs.
    let opts = PlanOptions {
        org_label: connection.org_label.clone(),
        format: if human {
            PlanFormat::Human
        } else {
            PlanFormat::Json
        },
        color: human && crate::cli::output::color(crate::cli::output::Stream::Stdout),
        show_unmanaged: false,
        config_label: args.config.display().to_string(),
    };
    let partial = match saved {
        Some(file) => file.partial.clone().unwrap_or_default(),
        None => args.partial.partial()?,
    };
    let report = plan_and_render_partial(&config, &live, &opts, &partial)
        .map_err(|errors| report_plan_errors(&config, &errors, diag_format(args.format)))?;
    warn_partial(&report);
    // An exclude is a protection: one that matches nothing protects nothing, most likely not
    // what was meant (a typo, another spelling). Refuse rather than apply what it was to keep.
    let idle: Vec<&String> = partial
        .excludes
        .iter()
        .filter(|g| report.unmatched.contains(g))
        .collect();
    if !idle.is_empty() {
        let list: Vec<String> = idle.iter().map(|g| format!("`{g}`")).collect();
        anyhow::bail!(
            "--exclude {} matches no change, so it protects nothing; nothing was changed\n  \
             help: check its spelling against the plan's addresses (`jcform plan`), or drop it",
            list.join(", ")
        );
    }
    let PlanReport {
        plan,
        findings,
        rendered,
        keys,
        ..
    } = report;
    // A saved plan is executed by planning again rather than by rebuilding changes from the
    // file: the file holds no secrets (initial passwords come from the config's sources) and
    // the executor reads typed values from the model. With the config hash and every live
    // fingerprint unchanged, the diff (deterministic) is the reviewed plan; checking that it
    // equals the saved changes also stops a jcform whose diff differs from the one that wrote
    // the file.
    if let (Some(file), Some(path)) = (saved, &args.plan) {
        recheck::check_changes(file, &plan)?;
        recheck::check_findings(file, &findings)?;
        eprintln!(
            "The saved plan {} (made {}) still holds: the files and the org are as they were.",
            path.display(),
            file.created_at
        );
    }
    let model = config.model;
    let mut out = std::io::stdout().lock();

    if human {
        out.write_all(rendered.as_bytes())?;
    }
    // The rendered plan is as large as the plan itself: not kept through the apply.
    drop(rendered);
    let blocking = findings.iter().filter(|f| f.blocks()).count();
    if blocking > 0 {
        if !human {
            let doc = json!({"plan": plan, "findings": findings, "applied": false});
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        eprintln!(
            "error: {blocking} unwaived error finding(s); nothing was changed. Fix the files or \
             add a waiver with a reason."
        );
        return Ok(Outcome::Blocked);
    }
    if plan.is_empty() {
        if human {
            writeln!(out, "No changes. The org matches the files.")?;
        } else {
            let doc = json!({"plan": plan, "findings": findings, "applied": true, "results": []});
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
        return Ok(Outcome::Ok);
    }
    // A saved plan was reviewed when it was made (and still holds): no second prompt.
    if !args.auto_approve && saved.is_none() {
        confirm(&connection.org_label)?;
    }

    let hints = OrderHints::of_org_keyed(&model, &live, &keys);
    let sched = schedule(&plan, &hints)?;
    let journal_path = args
        .journal
        .clone()
        .unwrap_or_else(|| Journal::default_path(args.plan.as_deref()));
    let journal = Journal::open(&journal_path)
        .with_context(|| format!("cannot open the journal {}", journal_path.display()))?;
    eprintln!("Journal: {}", journal.path().display());
    journal
        .begin(&connection.org_label, sched.len())
        .with_context(|| {
            format!(
                "cannot write the journal {}; nothing was changed",
                journal_path.display()
            )
        })?;

    let bar = std::io::stderr().is_terminal();
    let lines = Progress::new(Box::new(std::io::stdout()), sched.len(), bar, human);
    let ctx = Context {
        model: &model,
        live: &live,
        keys: &keys,
    };
    let options = ExecuteOptions {
        parallelism: args.org.parallelism,
    };
    drop(out);
    let report = execute(
        &client,
        &plan,
        &sched,
        &ctx,
        &options,
        &Observers(vec![&journal, &lines]),
    )
    .await;
    lines.finish();
    journal.finish(&report);

    let mut out = std::io::stdout().lock();
    match args.format {
        ApplyFormat::Human => write!(out, "{}", progress::summary(&report))?,
        ApplyFormat::Json => {
            let doc = json!({
                "plan": plan,
                "findings": findings,
                "applied": true,
                "journal": journal.path(),
                "summary": summary_json(&report),
                "results": report.results,
            });
            writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)?;
        }
    }
    if report.succeeded() {
        Ok(Outcome::Ok)
    } else {
        Err(Reported(format!(
            "{} step(s) failed, {} skipped",
            report.count(crate::apply::Outcome::Failed),
            report.count(crate::apply::Outcome::Skipped)
        ))
        .into())
    }
}

fn summary_json(report: &ApplyReport) -> serde_json::Value {
    use crate::apply::Outcome as O;
    json!({
        "done": report.count(O::Done),
        "failed": report.count(O::Failed),
        "skipped": report.count(O::Skipped),
    })
}

/// Asks on the terminal; without one, refuses (scripts must say `--auto-approve`).
fn confirm(org: &str) -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() {
        return Err(Reported(
            "error: no terminal to confirm on; nothing was changed. Use --auto-approve to apply \
             without asking."
                .into(),
        ))
        .inspect_err(|e| eprintln!("{e}"))
        .map_err(Into::into);
    }
    eprint!("Apply these changes to {org}? Only 'yes' is accepted: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    if answer.trim() == "yes" {
        Ok(())
    } else {
        eprintln!("Apply cancelled; nothing was changed.");
        Err(Reported("apply cancelled".into()).into())
    }
}
