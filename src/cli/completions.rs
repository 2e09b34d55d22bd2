//! `jcform completions SHELL` and `jcform man`: generated from the clap definitions
//! (`cli::command`), so they always list the flags this binary has.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use clap_complete::Shell;

use super::Outcome;

#[derive(Debug, Args)]
#[command(after_long_help = "\
Install, for example:
  bash: jcform completions bash > ~/.local/share/bash-completion/completions/jcform
  zsh:  jcform completions zsh > \"${fpath[1]}/_jcform\"
  fish: jcform completions fish > ~/.config/fish/completions/jcform.fish")]
pub struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write jcform.1 and one page per command (jcform-plan.1, ...) into DIR instead of
    /// printing jcform.1.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// Prints the completion script for `args.shell` to stdout.
pub fn run_completions(args: CompletionsArgs) -> anyhow::Result<Outcome> {
    let mut cmd = super::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "jcform", &mut buf);
    std::io::stdout().lock().write_all(&buf)?;
    Ok(Outcome::Ok)
}

/// Prints `jcform.1` (roff) to stdout, or writes every page into `--out DIR`.
pub fn run_man(args: ManArgs) -> anyhow::Result<Outcome> {
    let cmd = super::command();
    match args.out {
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf)?;
            std::io::stdout().lock().write_all(&buf)?;
        }
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, &dir)
                .with_context(|| format!("cannot write man pages into {}", dir.display()))?;
            eprintln!("Wrote the man pages to {}.", dir.display());
        }
    }
    Ok(Outcome::Ok)
}
