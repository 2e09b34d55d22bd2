//! `jcform graph [CONFIG]`: the dependency graph of what the files declare, as Graphviz DOT.
//! `jcform graph --plan [CONFIG] [org flags]`: the apply graph of the plan against the org: one
//! node per step, an edge from each step to each step it waits for, labelled with the ordering
//! rule that added it (`crate::apply::order`). `apply` runs a topological order of exactly this
//! graph.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::validate::{load_or_report, report_plan_errors, DiagFormat};
use super::Outcome;
use crate::apply::{apply_graph, OrderHints};

#[derive(Debug, Args)]
pub struct GraphArgs {
    /// A config file or a directory of *.yaml, *.yml and *.kdl files.
    #[arg(default_value = ".")]
    pub config: PathBuf,

    /// Draw the apply graph of the plan (reads the org) instead of the config's graph.
    #[arg(long)]
    pub plan: bool,

    #[command(flatten)]
    pub org: crate::cli::org::OrgArgs,
}

pub fn run(mut args: GraphArgs) -> anyhow::Result<Outcome> {
    let config = load_or_report(&args.config, DiagFormat::Human)?;
    let dot = if args.plan {
        args.org.config_profile = config.model.settings.profile.clone();
        let live = args.org.read_live()?.live;
        let plan = crate::plan::diff(&config.model, &live)
            .map_err(|errors| report_plan_errors(&config, &errors, DiagFormat::Human))?;
        apply_graph(&plan, &OrderHints::of_org(&config.model, &live)).to_dot()
    } else {
        crate::graph::build(&config.model).to_dot()
    };
    std::io::stdout().lock().write_all(dot.as_bytes())?;
    Ok(Outcome::Ok)
}
