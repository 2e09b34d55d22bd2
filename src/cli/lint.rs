//! `jcform lint [CONFIG] [--format human|json|sarif]`: the lockout and risk rules.
//!
//! For now this runs without an org: only the rules that need none (see `Rule::needs_org`).
//! Connecting an org is one small change once `crate::cli::org` lands: add
//! `#[command(flatten)] pub org: crate::cli::org::OrgArgs` (with its `--sandbox FILE`) to
//! `LintArgs`, and in `context` read the live state, `plan::diff` it and build the context
//! with `Context::with_org` instead of `Context::offline`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::validate::{load_or_report, DiagFormat};
use super::Outcome;
use crate::lint::{self, report, Context};

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
}

pub fn run(args: LintArgs) -> anyhow::Result<Outcome> {
    // Machine formats get machine-readable config errors too.
    let diag_format = match args.format {
        LintFormat::Human => DiagFormat::Human,
        LintFormat::Json | LintFormat::Sarif => DiagFormat::Json,
    };
    let config = load_or_report(&args.config, diag_format)?;
    let cx = context(&config);
    let findings = lint::check(&cx);
    let files = report::Files {
        model: &config.model,
        origins: &config.origins,
        sources: &config.sources,
    };
    let mut out = std::io::stdout().lock();
    match args.format {
        LintFormat::Human => report::human(&findings, &files, &mut out)?,
        LintFormat::Json => report::json(&findings, &files, &mut out)?,
        LintFormat::Sarif => report::sarif(&findings, &files, &mut out)?,
    }
    out.flush()?;
    Ok(if lint::blocks(&findings) {
        Outcome::Blocked
    } else {
        Outcome::Ok
    })
}

/// The lint context: the files only, until the org connection lands (see the module docs).
fn context(config: &crate::model::Config) -> Context<'_> {
    Context::offline(&config.model, &config.origins)
}
