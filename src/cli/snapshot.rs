//! `jcform snapshot`: copy an org into an emulator state file, to plan against it offline
//! (`--sandbox FILE`).

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;

use super::org::OrgArgs;
use super::Outcome;
use crate::jumpcloud::snapshot;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Credentials: the API key is read from the JC_API_KEY environment variable, \
never from a flag. With --sandbox none are needed."
)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub org: OrgArgs,

    /// Write the state file here (replaced atomically, readable by its owner only) instead of to
    /// stdout
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: SnapshotArgs) -> anyhow::Result<Outcome> {
    let crate::cli::org::LiveRead {
        live,
        label,
        requests,
    } = args.org.read_live()?;

    // Streamed: the org is never held as one JSON value or one string (issue 13).
    let write = |out: &mut dyn Write| snapshot::write_state_file(&live, out);
    match &args.out {
        // Owner-only, like plan files: a snapshot names every user and their email.
        Some(path) => crate::atomic::write_streamed(
            path,
            crate::atomic::Options {
                private: true,
                ..crate::atomic::Options::default()
            },
            write,
        )
        .with_context(|| format!("cannot write {}", path.display()))?,
        None => {
            let mut stdout = std::io::BufWriter::new(std::io::stdout().lock());
            write(&mut stdout)
                .and_then(|()| stdout.flush())
                .context("cannot write to stdout")?;
        }
    }
    // A summary on stderr, so stdout stays a clean state file.
    eprintln!(
        "snapshot of {label}: {} users, {} groups, {} AD domains, {} M365 tenants, {} bindings ({requests} requests)",
        live.users.len(),
        live.groups.len(),
        live.ad_domains.len(),
        live.m365_tenants.len(),
        live.bindings.len(),
    );
    Ok(Outcome::Ok)
}
