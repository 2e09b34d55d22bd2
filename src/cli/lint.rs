//! `jcform lint [CONFIG] [--format human|json|sarif]`: the lockout and risk rules.
//!
//! With an org named by a flag (`--sandbox FILE`, `--profile`, `--api-url`, `--region`,
//! `--org-id`) every rule runs on the plan the files would make; without one, only the rules
//! that need none (see `Rule::needs_org`). A key in the environment alone does not go online.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::validate::{load_or_report, report_plan_errors, DiagFormat};
use super::Outcome;
use crate::lint::{self, Context};
use crate::render::findings as report;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    #[default]
    Human,
    Json,
    Sarif,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// A config file or a directory of *.yaml, *.yml and *.kdl files.
    #[arg(default_value = ".")]
    pub config: PathBuf,
    /// How to print findings.
    #[arg(long, value_enum, default_value_t = LintFormat::Human)]
    pub format: LintFormat,
    #[command(flatten)]
    pub org: crate::cli::org::OrgArgs,
    /// Exit 0 even when error findings would block apply (for steps that upload the report,
    /// such as SARIF to code scanning). Invalid config or an unreachable org still exit 1.
    #[arg(long)]
    pub exit_zero: bool,
}

pub fn run(mut args: LintArgs) -> anyhow::Result<Outcome> {
    // Machine formats get machine-readable config errors too.
    let diag_format = match args.format {
        LintFormat::Human => DiagFormat::Human,
        LintFormat::Json | LintFormat::Sarif => DiagFormat::Json,
    };
    let config = load_or_report(&args.config, diag_format)?;
    args.org.config_profile = config.model.settings.profile.clone();
    let findings = if args.org.is_given() {
        let live = args.org.read_live()?.live;
        let plan = crate::plan::diff(&config.model, &live)
            .map_err(|errors| report_plan_errors(&config, &errors, diag_format))?;
        lint::check(&Context::with_org(
            &config.model,
            &config.origins,
            &live,
            &plan,
        ))
    } else {
        lint::check(&Context::offline(&config.model, &config.origins))
    };
    let root = args.config.display().to_string();
    let files = report::Files {
        model: &config.model,
        origins: &config.origins,
        sources: &config.sources,
        root: &root,
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        LintFormat::Human => report::human(&findings, &files, &mut out)?,
        LintFormat::Json => report::json(&findings, &files, &mut out)?,
        LintFormat::Sarif => report::sarif(&findings, &files, &mut out)?,
    }
    out.flush()?;
    Ok(if lint::blocks(&findings) && !args.exit_zero {
        Outcome::Blocked
    } else {
        Outcome::Ok
    })
}
