//! `jcform export --out DIR`: write config files describing the live org, for adopting it.
//! The work is in `crate::export`; this file maps flags to a `Filter`, connects, and reports.

use std::io::Write;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use globset::{Glob, GlobSetBuilder};

use super::org::OrgArgs;
use super::Outcome;
use crate::export::{self, Filter, Format, Kind};

#[derive(Debug, Args)]
#[command(
    after_help = "Credentials: the API key is read from the JC_API_KEY environment variable, \
never from a flag. With --sandbox none are needed."
)]
pub struct ExportArgs {
    #[command(flatten)]
    pub org: OrgArgs,

    /// The directory to write (must be missing or empty unless --force).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,

    /// The config format to write.
    #[arg(long, value_enum, default_value_t = Format::Yaml)]
    pub format: Format,

    /// Only these kinds (comma-separated); settings are always written.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "KINDS")]
    pub kinds: Vec<Kind>,

    /// Only users and groups whose name matches this glob (repeatable).
    #[arg(long, value_name = "GLOB")]
    pub only: Vec<String>,

    /// Write into a non-empty directory, replacing the files export writes.
    #[arg(long)]
    pub force: bool,
}

impl ExportArgs {
    pub fn filter(&self) -> anyhow::Result<Filter> {
        let kinds = if self.kinds.is_empty() {
            Kind::all()
        } else {
            self.kinds.iter().copied().collect()
        };
        let only = if self.only.is_empty() {
            None
        } else {
            let mut set = GlobSetBuilder::new();
            for glob in &self.only {
                set.add(Glob::new(glob).with_context(|| format!("--only {glob:?}"))?);
            }
            Some(set.build()?)
        };
        Ok(Filter {
            kinds,
            only,
            only_text: self.only.clone(),
        })
    }
}

pub fn run(args: ExportArgs) -> anyhow::Result<Outcome> {
    let filter = args.filter()?;
    let started = Instant::now();
    let crate::cli::org::LiveRead {
        live,
        label,
        requests,
    } = args.org.read_live()?;
    let export = export::build(&live, &filter);
    let written = export::write(&args.out, &export, args.format, args.force)?;

    let mut err = std::io::stderr().lock();
    for warning in &export.warnings {
        writeln!(err, "warning: {warning}")?;
    }
    let s = &export.stats;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "exported {} users, {} groups ({} dynamic), {} memberships, {} AD domains, {} M365 \
         tenants, {}{} bindings from {} to {} ({} files, {} requests, {:.1}s)",
        s.users,
        s.groups,
        s.dynamic_groups,
        s.memberships,
        s.ad_domains,
        s.m365_tenants,
        // Said only when there are some, so orgs without SSO apps read as before.
        if s.sso_apps > 0 {
            format!("{} SSO apps, ", s.sso_apps)
        } else {
            String::new()
        },
        s.bindings,
        label,
        args.out.display(),
        written.files.len(),
        requests,
        started.elapsed().as_secs_f64()
    )?;
    writeln!(
        out,
        "next: `jcform validate {0}` and `jcform plan {0}` (expect no changes)",
        args.out.display()
    )?;
    Ok(Outcome::Ok)
}
