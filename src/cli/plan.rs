//! `jcform plan [CONFIG]`: what apply would change in the org, and what would lock people out.
//!
//! The command is three steps: load the files, read the org, then [`plan_and_render`] (pure:
//! diff, lint, render) so tests drive everything but the network without a server.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::validate::{load_or_report, report_plan_errors, DiagFormat};
use super::Outcome;
use crate::lint::{Context, Finding};
use crate::model::live::LiveState;
use crate::model::Config;
use crate::plan::file::{portable_org_label, scoped_fingerprints, PlanFile, Scope};
use crate::plan::target::{self, Partial};
use crate::plan::{Plan, PlanError, PlanErrors};
use crate::render::{self, RenderContext, RenderPlan};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    /// Text for a terminal (coloured on a terminal unless NO_COLOR is set).
    #[default]
    Human,
    /// A versioned JSON document (docs/plan-json.md).
    Json,
    /// A pull-request comment, capped under GitHub's size limit, with a hidden marker
    /// (`<!-- jcform:ORG:CONFIG -->`) so CI can find and update its own comment.
    Markdown,
    /// One line for a pull-request label or a status check: a class word (`blocked`,
    /// `destructive`, `changes`, `no-changes`), a colon, then the counts (docs/plan-json.md).
    Summary,
}

#[derive(Debug, Args)]
pub struct PlanArgs {
    /// A config file or a directory of *.yaml, *.yml and *.kdl files.
    #[arg(default_value = ".")]
    pub config: PathBuf,
    #[command(flatten)]
    pub org: crate::cli::org::OrgArgs,
    /// How to print the plan.
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
    /// Also save the plan to FILE, for `jcform apply --plan FILE`.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 0 when there is nothing to do, 2 when there are changes, 3 when error findings
    /// block apply.
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// List unmanaged objects (as config to paste), not just count them.
    #[arg(long)]
    pub show_unmanaged: bool,
    #[command(flatten)]
    pub partial: TargetArgs,
}

/// `--target` / `--exclude` (plan and apply): a partial plan.
#[derive(Debug, Clone, Default, Args)]
pub struct TargetArgs {
    /// Plan only changes whose address matches GLOB (`user.a*`, `group.*`,
    /// `membership.staff.*`), plus the changes they need. Repeatable.
    #[arg(long = "target", value_name = "GLOB")]
    pub targets: Vec<String>,
    /// Leave out changes whose address matches GLOB; an error if a kept change needs one.
    /// Repeatable.
    #[arg(long = "exclude", value_name = "GLOB")]
    pub excludes: Vec<String>,
}

impl TargetArgs {
    /// The filter, its globs checked (an invalid glob is an error before the org is read).
    pub fn partial(&self) -> anyhow::Result<Partial> {
        let partial = Partial {
            targets: self.targets.clone(),
            excludes: self.excludes.clone(),
        };
        partial.check()?;
        Ok(partial)
    }
}

/// Everything [`plan_and_render`] needs besides the files and the org.
#[derive(Debug, Clone, Default)]
pub struct PlanOptions {
    /// Shown in headers and saved in plan files.
    pub org_label: String,
    pub format: PlanFormat,
    /// Colour in the human format; the caller decides (terminal, NO_COLOR).
    pub color: bool,
    pub show_unmanaged: bool,
    /// The config path as given, for the markdown marker.
    pub config_label: String,
}

/// The result of planning, ready to print.
#[derive(Debug, Clone)]
pub struct PlanReport {
    pub plan: Plan,
    pub findings: Vec<Finding>,
    /// The plan as every format sees it.
    pub render: RenderPlan,
    /// The plan in the requested format.
    pub rendered: String,
    /// What `--detailed-exitcode` reports: `Blocked` over `Changes` over `Ok`.
    pub outcome: Outcome,
    /// The filter of a partial plan (`--target` / `--exclude`); `None`: the whole plan.
    pub partial: Option<Partial>,
    /// Globs of the filter that match no change (a warning).
    pub unmatched: Vec<String>,
    /// The identity mapping the plan was made with, for apply to order and execute under.
    pub keys: crate::plan::keys::Keys,
}

/// Diff, lint and render: the part of `jcform plan` after the reads. Errors when no plan can be
/// made: an identity the diff cannot settle, or an initial password the plan needs and cannot
/// read (resolved here, never kept). `apply` goes through here too, so it refuses the same.
pub fn plan_and_render(
    config: &Config,
    live: &LiveState,
    opts: &PlanOptions,
) -> Result<PlanReport, PlanErrors> {
    plan_and_render_partial(config, live, opts, &Partial::default())
}

/// [`plan_and_render`] keeping only the changes `partial` selects and what they need
/// (`plan::target`). The lint rules run on the partial plan (the org as the partial apply leaves
/// it); an unwaived error of the whole plan caused by (or about) a kept change is kept too, so a
/// partial plan is never shown clean when its changes cause an error. Findings that only the
/// dropped changes cause are not shown: a full plan shows them.
pub fn plan_and_render_partial(
    config: &Config,
    live: &LiveState,
    opts: &PlanOptions,
    partial: &Partial,
) -> Result<PlanReport, PlanErrors> {
    let (full, keys) = crate::plan::diff::diff_keyed(&config.model, live)?;
    // Without a filter the plan is the whole plan, moved rather than copied (at 100,000 users
    // it can hold a change per user); `full` is kept only to check a partial plan against it.
    let (plan, full, unmatched) = if partial.is_empty() {
        (full, None, Vec::new())
    } else {
        let hints = crate::apply::OrderHints::of_org_keyed(&config.model, live, &keys);
        let filtered = target::filter(&full, partial, &hints)
            .map_err(|e| PlanErrors::sorted(vec![target_error(e, &full)]))?;
        (filtered.plan, Some(full), filtered.unmatched)
    };
    let unreadable = crate::plan::unreadable_passwords(&config.model, &plan);
    if !unreadable.is_empty() {
        return Err(PlanErrors::sorted(unreadable));
    }
    // The rules look at the org before and after this plan, so they run on the plan itself.
    let cx = Context::with_org_keyed(&config.model, &config.origins, live, &plan, &keys);
    let mut findings = crate::lint::check(&cx);
    if let Some(full) = &full {
        whole_plan_errors(config, live, full, &plan, &keys, &mut findings);
    }
    let context = RenderContext {
        org: opts.org_label.clone(),
        show_unmanaged: opts.show_unmanaged,
    };
    let render = RenderPlan::new(&plan, &findings, &context)
        .with_access(&cx.access)
        .with_partial(partial.clone().some());
    drop(cx);
    let marker = render::markdown::marker(&opts.org_label, &opts.config_label);
    let rendered = render_as(&render, opts.format, opts.color, Some(&marker));
    let outcome = if findings.iter().any(Finding::blocks) {
        Outcome::Blocked
    } else if !plan.is_empty() {
        Outcome::Changes
    } else {
        Outcome::Ok
    };
    Ok(PlanReport {
        plan,
        findings,
        render,
        rendered,
        outcome,
        partial: partial.clone().some(),
        unmatched,
        keys,
    })
}

/// Adds to `findings` the unwaived errors of the whole plan that a kept change causes or that
/// name a kept address, unless the partial plan's own findings have them.
fn whole_plan_errors(
    config: &Config,
    live: &LiveState,
    full: &Plan,
    kept: &Plan,
    keys: &crate::plan::keys::Keys,
    findings: &mut Vec<Finding>,
) {
    let addresses: std::collections::BTreeSet<&crate::model::Address> =
        kept.changes.iter().map(|c| &c.address).collect();
    let cx = Context::with_org_keyed(&config.model, &config.origins, live, full, keys);
    for f in crate::lint::check(&cx) {
        let about_kept = match &f.cause {
            Some(cause) => addresses.contains(cause),
            None => f.targets.iter().any(|t| addresses.contains(t)),
        };
        if f.blocks() && about_kept && !findings.contains(&f) {
            findings.push(f);
        }
    }
}

/// A filter that cannot be applied, as a plan error at the kept change's place in the files.
fn target_error(error: target::TargetError, plan: &Plan) -> PlanError {
    let address = match &error {
        target::TargetError::ExcludedDependency { kept, .. } => plan
            .changes
            .iter()
            .find(|c| c.address.to_string() == *kept)
            .map(|c| c.address.clone()),
        _ => None,
    }
    .or_else(|| plan.changes.first().map(|c| c.address.clone()))
    .unwrap_or(crate::model::Address::User(String::new()));
    PlanError::new(
        "partial-plan",
        address,
        None,
        error.to_string(),
        "a partial plan must hold every change its changes need; run a full plan to see them all",
    )
}

/// Prints the partial-plan warnings to stderr: the plan is partial, and globs that match no
/// change.
pub fn warn_partial(report: &PlanReport) {
    if let Some(warning) = report.render.partial_warning() {
        eprintln!("warning: {warning}");
    }
    for glob in &report.unmatched {
        eprintln!("warning: `{glob}` matches no change in the plan");
    }
}

/// The plan in `format`; `marker` is the markdown comment's hidden marker, if any.
pub fn render_as(
    render: &RenderPlan,
    format: PlanFormat,
    color: bool,
    marker: Option<&str>,
) -> String {
    match format {
        PlanFormat::Human => render::human::to_string(render, color),
        PlanFormat::Json => render::json::to_string(render),
        PlanFormat::Markdown => {
            let body = render::markdown::to_string(render);
            match marker {
                Some(m) => format!("{m}\n{body}"),
                None => body,
            }
        }
        PlanFormat::Summary => format!("{}\n", summary_line(render)),
    }
}

/// `destructive: 3 to create, 0 to update, 0 to replace, 3 to delete; 0 errors, 1 warning`.
/// The class word: `blocked` (unwaived error findings), `destructive` (any delete or replace),
/// `changes`, or `no-changes`.
pub fn summary_line(render: &RenderPlan) -> String {
    let s = &render.summary;
    let class = if s.errors > 0 {
        "blocked"
    } else if s.delete + s.replace > 0 {
        "destructive"
    } else if s.changes() > 0 {
        "changes"
    } else {
        "no-changes"
    };
    let counts = format!(
        "{} to create, {} to update, {} to replace, {} to delete; {} errors, {} warnings, {} waived",
        s.create, s.update, s.replace, s.delete, s.errors, s.warnings, s.waived
    );
    let partial = if render.partial.is_some() {
        "; partial"
    } else {
        ""
    };
    format!("{class}: {counts}{partial}")
}

pub fn run(mut args: PlanArgs) -> anyhow::Result<Outcome> {
    let partial = args.partial.partial()?;
    let config = load_or_report(&args.config, DiagFormat::Human)?;
    args.org.config_profile = config.model.settings.profile.clone();
    let crate::cli::org::LiveRead {
        live,
        label: org_label,
        ..
    } = args.org.read_live()?;

    let color = args.format == PlanFormat::Human
        && crate::cli::output::color(crate::cli::output::Stream::Stdout);
    let opts = PlanOptions {
        org_label,
        format: args.format,
        color,
        show_unmanaged: args.show_unmanaged,
        config_label: args.config.display().to_string(),
    };
    let report = match plan_and_render_partial(&config, &live, &opts, &partial) {
        Ok(report) => report,
        Err(errors) => {
            // A JSON plan's reader gets the errors as JSON diagnostics on stdout.
            let format = match args.format {
                PlanFormat::Json => DiagFormat::Json,
                PlanFormat::Human | PlanFormat::Markdown | PlanFormat::Summary => DiagFormat::Human,
            };
            return Err(report_plan_errors(&config, &errors, format));
        }
    };
    warn_partial(&report);
    std::io::stdout()
        .lock()
        .write_all(report.rendered.as_bytes())?;

    if let Some(path) = &args.out {
        let scope = Scope::of_plan(&report.plan, &report.findings);
        let file = PlanFile::new(
            portable_org_label(&opts.org_label, args.org.sandbox.as_deref(), &args.config),
            &config.hash,
            &report.plan,
            &report.findings,
            scoped_fingerprints(&live, &scope),
        )
        .with_access(&report.render)
        .with_partial(report.partial.clone());
        file.write_atomic(path)?;
        // stderr: stdout may be a JSON or markdown document that must stay clean.
        eprintln!("Saved the plan to {}.", path.display());
    }

    Ok(if args.detailed_exitcode {
        report.outcome
    } else {
        Outcome::Ok
    })
}
