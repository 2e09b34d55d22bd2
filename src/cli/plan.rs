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
use crate::plan::{Plan, PlanErrors};
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
}

/// Diff, lint and render: the part of `jcform plan` after the reads. Errors when no plan can be
/// made: an identity the diff cannot settle, or an initial password the plan needs and cannot
/// read (resolved here, never kept). `apply` goes through here too, so it refuses the same.
pub fn plan_and_render(
    config: &Config,
    live: &LiveState,
    opts: &PlanOptions,
) -> Result<PlanReport, PlanErrors> {
    let plan = crate::plan::diff(&config.model, live)?;
    let unreadable = crate::plan::unreadable_passwords(&config.model, &plan);
    if !unreadable.is_empty() {
        return Err(PlanErrors::sorted(unreadable));
    }
    // The rules look at the org before and after this plan, so they run on the plan itself.
    let cx = Context::with_org(&config.model, &config.origins, live, &plan);
    let findings = crate::lint::check(&cx);
    let context = RenderContext {
        org: opts.org_label.clone(),
        show_unmanaged: opts.show_unmanaged,
    };
    let render = RenderPlan::new(&plan, &findings, &context).with_access(&cx.access);
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
    })
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
    format!("{class}: {counts}")
}

pub fn run(mut args: PlanArgs) -> anyhow::Result<Outcome> {
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
    let report = match plan_and_render(&config, &live, &opts) {
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
        .with_access(&report.render);
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
