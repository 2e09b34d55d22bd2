//! The command line: clap types, one file per command. Commands hand data to renderers; errors
//! come back here and become exit code 1.

pub mod access;
pub mod apply;
pub mod completions;
pub mod emulator;
pub mod export;
pub mod federation;
pub mod org;
pub mod orgs;
pub mod output;
pub mod snapshot;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

pub mod explain;
pub mod fmt;
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

/// `jcform --version`: the package version and the commit it was built from (`build.rs`;
/// `unknown` when built without git metadata, e.g. from a tarball).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("JCFORM_GIT_COMMIT"),
    ")"
);

/// Shown at the end of every command's `--help` (and in the man pages): where credentials and
/// the other settings come from.
pub const ENVIRONMENT_HELP: &str = "\
Environment:
  JC_API_KEY          API key of a JumpCloud admin (read from the environment only, never a flag;
                      console: account menu > API Settings)
  JC_ORG_ID           org id (24 hex characters) for multi-tenant admins; --org-id
  JC_API_URL          console URL; --api-url / --region
  JCFORM_PROFILE      a profile of the credentials file; --profile (docs/credentials.md)
  JCFORM_CREDENTIALS  the credentials file (default ~/.config/jcform/credentials)
  JCFORM_LOG          log filter, e.g. jcform=debug; -v / -vv
  NO_COLOR            no colour unless --color always";

#[derive(Debug, Parser)]
#[command(name = "jcform", version = VERSION, about = "JumpCloud identity configuration as code", long_about = None)]
pub struct Cli {
    /// Colour output: auto (a terminal, unless NO_COLOR is set), always or never
    #[arg(long, value_enum, global = true, default_value_t = output::ColorChoice::Auto, value_name = "WHEN")]
    pub color: output::ColorChoice,

    /// More log lines on stderr: -v what is read and how long it takes, -vv every API request
    /// (method, path, status, time; never a key or a body) [env: JCFORM_LOG]
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// The clap command with the environment help on every subcommand: what `main` parses and
/// what `completions` and `man` describe.
pub fn command() -> clap::Command {
    fn with_env_help(cmd: clap::Command) -> clap::Command {
        // `--help` shows the long text when a command has one: it gets the list too.
        let long = cmd
            .get_after_long_help()
            .map(|h| format!("{h}\n\n{ENVIRONMENT_HELP}"));
        let cmd = cmd.after_help(ENVIRONMENT_HELP);
        let cmd = match long {
            Some(long) => cmd.after_long_help(long),
            None => cmd,
        };
        cmd.mut_subcommands(with_env_help)
    }
    with_env_help(Cli::command())
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check config files offline; every error with file:line:col and a fix.
    Validate(validate::ValidateArgs),
    /// Rewrite config files in the canonical layout (key order, quoting), keeping comments;
    /// --check only reports.
    Fmt(fmt::FmtArgs),
    /// Show what apply would change in the org, and every finding that would lock people out.
    Plan(plan::PlanArgs),
    /// Render a saved plan file (from `plan --out`) as human text, JSON or markdown.
    Show(show::ShowArgs),
    /// Execute the plan against the org in a lockout-safe order, with a journal and progress.
    Apply(apply::ApplyArgs),
    /// Who can log in where (User Portal, Microsoft 365, AD, LDAP/RADIUS/devices), per user,
    /// before and after the plan.
    Access(access::AccessArgs),
    /// Run the lockout and risk rules (all of them with an org; the offline ones without).
    Lint(lint::LintArgs),
    /// Print a lint rule's documentation, or list every rule with --list.
    Explain(explain::ExplainArgs),
    /// Write config files describing the live org, one per kind, to adopt it (first plan empty).
    Export(export::ExportArgs),
    /// Print what must run on Microsoft's side to federate a tenant's domain to JumpCloud.
    Federation(federation::FederationArgs),
    /// Copy an org (or a sandbox) into an emulator state file, to plan against it offline.
    Snapshot(snapshot::SnapshotArgs),
    /// Print the dependency graph of the config (with --plan: the apply graph of the plan, the
    /// order apply follows) as Graphviz DOT. Reads JC_API_KEY with --plan against a real org.
    Graph(graph::GraphArgs),
    /// Print the JSON Schema of the YAML config form.
    Schema(schema::SchemaArgs),
    /// Serve a sandbox JumpCloud API over a local JSON state file (for tests and demos).
    Emulator(emulator::EmulatorArgs),
    /// Many orgs from one repository: list them, plan them all, or print a CI matrix.
    Orgs(orgs::OrgsArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the man page, or write one per command into a directory with --out.
    Man(completions::ManArgs),
}

pub fn main() -> ExitCode {
    // Help and usage errors are coloured by the same rule as everything else.
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .take_while(|a| a != "--")
        .filter_map(|a| a.into_string().ok())
        .collect();
    let color_arg = args.iter().enumerate().find_map(|(i, a)| match a.as_str() {
        "--color" => args.get(i + 1).cloned(),
        _ => a.strip_prefix("--color=").map(str::to_string),
    });
    let color = match color_arg.as_deref() {
        Some("always") => clap::ColorChoice::Always,
        Some("never") => clap::ColorChoice::Never,
        _ if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) => {
            clap::ColorChoice::Never
        }
        _ => clap::ColorChoice::Auto,
    };
    let matches = command().color(color).get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    output::set_color(cli.color);
    let env_filter = std::env::var(output::LOG_ENV).ok();
    let filter = match output::log_filter(cli.verbose, env_filter.as_deref()) {
        Ok(filter) => filter,
        Err(e) => return finish(Err(anyhow::anyhow!(e))),
    };
    let quiet_logs = cli.verbose == 0 && env_filter.is_none_or(|v| v.trim().is_empty());
    output::init_logging(filter, quiet_logs);
    let result = match cli.command {
        Command::Validate(args) => validate::run(args),
        Command::Fmt(args) => fmt::run(args),
        Command::Graph(args) => graph::run(args),
        Command::Schema(args) => schema::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Access(args) => access::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Apply(args) => apply::run(args),
        Command::Show(args) => show::run(args),
        Command::Emulator(args) => emulator::run(args),
        Command::Export(args) => export::run(args),
        Command::Federation(args) => federation::run(args),
        Command::Snapshot(args) => snapshot::run(args),
        Command::Orgs(args) => orgs::run(args),
        Command::Completions(args) => completions::run_completions(args),
        Command::Man(args) => completions::run_man(args),
    };
    finish(result)
}

fn finish(result: anyhow::Result<Outcome>) -> ExitCode {
    match result {
        Ok(outcome) => ExitCode::from(outcome.code()),
        Err(err) => {
            if err.downcast_ref::<Reported>().is_none() {
                eprintln!("error: {err:#}");
                if let Some(hint) = org::auth_hint(&err, None) {
                    eprintln!("  help: {hint}");
                }
            }
            ExitCode::from(1)
        }
    }
}
