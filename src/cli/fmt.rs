//! `jcform fmt [--check] [--diff] [PATHS...]`: rewrite config files in the canonical layout
//! (`config::fmt`), keeping comments.
//!
//! Every file is formatted in memory first: when any file does not parse, its errors are printed
//! (file:line:col) and nothing is written. Files that cannot be formatted safely are left as they
//! are with a warning. Rewrites are atomic and keep the file's permissions.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;

use super::validate::stderr_style;
use super::{Outcome, Reported};
use crate::config::fmt::{self, Outcome as FileOutcome};
use crate::diag;

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Config files or directories (all *.yaml, *.yml and *.kdl below, as `validate` reads
    /// them). Default: the current directory.
    #[arg(default_value = ".")]
    pub paths: Vec<PathBuf>,
    /// Change nothing: list the files that are not formatted and exit 1 if there are any.
    #[arg(long)]
    pub check: bool,
    /// With --check (or alone, which implies it): also print a unified diff of each change.
    #[arg(long)]
    pub diff: bool,
}

pub fn run(args: FmtArgs) -> anyhow::Result<Outcome> {
    let check = args.check || args.diff;
    let mut files = Vec::new();
    for path in &args.paths {
        let walk = crate::config::config_files(path).map_err(|e| anyhow::anyhow!("{e}"))?;
        for (skipped, why) in walk.skipped {
            eprintln!("warning: skipped {}: {why}", skipped.display());
        }
        files.extend(walk.files);
    }
    let mut changed: Vec<(PathBuf, String, String)> = Vec::new();
    let mut invalid = 0;
    for file in files {
        let bytes = crate::config::read_file(&file).map_err(|e| anyhow::anyhow!("{e}"))?;
        let before = String::from_utf8_lossy(&bytes).into_owned();
        match fmt::format(&file, bytes) {
            FileOutcome::Unchanged => {}
            FileOutcome::Changed(after) => changed.push((file, before, after)),
            FileOutcome::Kept(why) => {
                eprintln!("warning: {}: left unchanged: {why}", file.display());
            }
            FileOutcome::Invalid(loaded) => {
                invalid += 1;
                eprint!(
                    "{}",
                    diag::render_human(&loaded.diagnostics, &loaded.sources, stderr_style())
                );
            }
        }
    }
    if invalid > 0 {
        eprintln!("error: {invalid} file(s) do not parse; nothing was formatted");
        return Err(Reported(format!("{invalid} file(s) do not parse")).into());
    }
    let mut out = std::io::stdout().lock();
    if check {
        for (file, before, after) in &changed {
            writeln!(out, "{}", file.display())?;
            if args.diff {
                write!(out, "{}", unified(file, before, after))?;
            }
        }
        if changed.is_empty() {
            return Ok(Outcome::Ok);
        }
        eprintln!(
            "{} file(s) would be reformatted; run `jcform fmt` to fix",
            changed.len()
        );
        return Err(Reported(format!("{} file(s) not formatted", changed.len())).into());
    }
    for (file, _, after) in &changed {
        crate::atomic::rewrite(file, after.as_bytes())
            .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
        writeln!(out, "formatted {}", file.display())?;
    }
    Ok(Outcome::Ok)
}

/// A unified diff of one file, `a/` and `b/` prefixed like `git diff`.
fn unified(file: &Path, before: &str, after: &str) -> String {
    let name = file.display().to_string();
    similar::TextDiff::from_lines(before, after)
        .unified_diff()
        .context_radius(3)
        .header(&format!("a/{name}"), &format!("b/{name}"))
        .to_string()
}
