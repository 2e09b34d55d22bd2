//! `jcform validate [CONFIG]`: check the files offline and report every error.

use std::io::Write;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{Outcome, Reported};
use crate::diag::{self, HumanStyle};
use crate::model::{self, Config, ConfigError};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum DiagFormat {
    #[default]
    Human,
    Json,
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// A config file or a directory of *.yaml, *.yml and *.kdl files.
    #[arg(default_value = ".")]
    pub config: PathBuf,
    /// How to print diagnostics.
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub format: DiagFormat,
}

/// Colour as `--color` says (by default: on a terminal, and never with NO_COLOR).
pub fn stderr_style() -> HumanStyle {
    let color = crate::cli::output::color(crate::cli::output::Stream::Stderr);
    let width = if color { 120 } else { 100 };
    HumanStyle { color, width }
}

/// Loads a config, printing its diagnostics (in `format`) when it is invalid. Shared by every
/// command that reads config files.
/// Warnings of a valid config (entries the directory walk skipped) go to stderr as text in
/// every format, so stdout stays the command's output (`validate --format json` also lists
/// them in its document).
pub fn load_or_report(path: &std::path::Path, format: DiagFormat) -> anyhow::Result<Config> {
    match model::load(path) {
        Ok(config) => {
            if !config.warnings.is_empty() {
                eprint!(
                    "{}",
                    diag::render_human(&config.warnings, &config.sources, stderr_style())
                );
            }
            Ok(config)
        }
        Err(ConfigError::Load(e)) => Err(anyhow::anyhow!("{e}")),
        Err(ConfigError::Invalid {
            sources,
            diagnostics,
        }) => {
            let text = match format {
                DiagFormat::Human => diag::render_human(&diagnostics, &sources, stderr_style()),
                DiagFormat::Json => diag::render_json(&diagnostics, &sources),
            };
            // JSON diagnostics are the command's output; human ones go with the other errors.
            if format == DiagFormat::Json {
                print!("{text}");
            } else {
                eprint!("{text}");
            }
            let errors = diagnostics.len();
            Err(Reported(format!("{errors} error(s) in the config")).into())
        }
    }
}

/// Prints why a plan cannot be made (identity errors, unreadable passwords, ...) as
/// diagnostics at the files' lines, like config errors, and returns the error that exits 1.
pub fn report_plan_errors(
    config: &Config,
    errors: &crate::plan::PlanErrors,
    format: DiagFormat,
) -> anyhow::Error {
    let mut diagnostics = errors.to_diagnostics(&config.origins);
    diag::sort(&mut diagnostics);
    match format {
        DiagFormat::Human => eprint!(
            "{}",
            diag::render_human(&diagnostics, &config.sources, stderr_style())
        ),
        DiagFormat::Json => print!("{}", diag::render_json(&diagnostics, &config.sources)),
    }
    Reported(format!(
        "{} error(s): the plan cannot be made; nothing was changed",
        diagnostics.len()
    ))
    .into()
}

pub fn run(args: ValidateArgs) -> anyhow::Result<Outcome> {
    let config = load_or_report(&args.config, args.format)?;
    let mut out = std::io::stdout().lock();
    match args.format {
        DiagFormat::Human => {
            let counts: Vec<String> = config
                .model
                .counts()
                .iter()
                .map(|(k, n)| format!("{n} {k}"))
                .collect();
            writeln!(
                out,
                "valid: {} ({} file{})",
                counts.join(", "),
                config.sources.len(),
                if config.sources.len() == 1 { "" } else { "s" }
            )?;
        }
        DiagFormat::Json => {
            let counts: serde_json::Map<String, serde_json::Value> = config
                .model
                .counts()
                .into_iter()
                .map(|(k, n)| (k.to_string(), n.into()))
                .collect();
            // Warnings (skipped entries) are listed; a valid config has no errors.
            let rendered: serde_json::Value =
                serde_json::from_str(&diag::render_json(&config.warnings, &config.sources))?;
            writeln!(
                out,
                "{}",
                serde_json::json!({
                    "valid": true,
                    "diagnostics": rendered["diagnostics"],
                    "counts": counts,
                })
            )?;
        }
    }
    Ok(Outcome::Ok)
}
