//! `jcform graph [CONFIG]`: the dependency graph of what the files declare, as Graphviz DOT.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::validate::{load_or_report, DiagFormat};
use super::Outcome;

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// A config file or a directory of *.yaml, *.yml and *.kdl files.
    #[arg(default_value = ".")]
    pub config: PathBuf,
}

pub fn run(args: GraphArgs) -> anyhow::Result<Outcome> {
    let config = load_or_report(&args.config, DiagFormat::Human)?;
    let graph = crate::graph::build(&config.model);
    std::io::stdout()
        .lock()
        .write_all(graph.to_dot().as_bytes())?;
    Ok(Outcome::Ok)
}
