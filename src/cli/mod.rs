//! The command line: clap types, one file per command. Commands hand data to renderers; errors
//! come back here and become exit code 1.

pub mod apply;
pub mod emulator;
pub mod export;
pub mod org;
pub mod snapshot;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod explain;
pub mod graph;
pub mod lint;
pub mod plan;
pub mod schema;
pub mod show;
pub mod validate;

/// What a command ends with; errors are exit code 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0: success, nothing to change.
    Ok,
    /// Exit 2: the plan has changes (only with `--detailed-exitcode`).
    Changes,
    /// Exit 3: unwaived error findings; apply would refuse.
    Blocked,
}

impl Outcome {
    pub fn code(self) -> u8 {
        match self {
            Outcome::Ok => 0,
            Outcome::Changes => 2,
            Outcome::Blocked => 3,
        }
    }
}

/// An error that has already been shown to the user (diagnostics printed): exit 1, no more output.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Reported(pub String);

#[derive(Debug, Parser)]
#[command(name = "jcform", version, about = "JumpCloud identity configuration as code", long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check config files offline; every error with file:line:col and a fix.
    Validate(validate::ValidateArgs),
    /// Show what apply would change in the org, and every finding that would lock people out.
    Plan(plan::PlanArgs),
    /// Render a saved plan file (from `plan --out`) as human text, JSON or markdown.
    Show(show::ShowArgs),
    /// Execute the plan against the org in a lockout-safe order, with a journal and progress.
    Apply(apply::ApplyArgs),
    /// Run the lockout and risk rules (all of them with an org; the offline ones without).
    Lint(lint::LintArgs),
    /// Print a lint rule's documentation, or list every rule with --list.
    Explain(explain::ExplainArgs),
    /// Write config files describing the live org, one per kind, to adopt it (first plan empty).
    Export(export::ExportArgs),
    /// Copy an org (or a sandbox) into an emulator state file, to plan against it offline.
    Snapshot(snapshot::SnapshotArgs),
    /// Print the dependency graph of the config as Graphviz DOT.
    Graph(graph::GraphArgs),
    /// Print the JSON Schema of the YAML config form.
    Schema(schema::SchemaArgs),
    /// Serve a sandbox JumpCloud API over a local JSON state file (for tests and demos).
    Emulator(emulator::EmulatorArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Show(args) => show::run(args),
        Command::Emulator(args) => emulator::run(args),
        Command::Export(args) => export::run(args),
        Command::Snapshot(args) => snapshot::run(args),
    };
    finish(result)
}

fn finish(result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(err) => {
            if err.downcast_ref::<Reported>().is_none() {
                eprintln!("error: {err:#}");
            }
            ExitCode::from(1)
        }
    }
}
