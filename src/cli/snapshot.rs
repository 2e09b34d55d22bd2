//! `jcform snapshot`: copy an org into an emulator state file, to plan against it offline
//! (`--sandbox FILE`).

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::org::OrgArgs;
use super::Outcome;
use crate::jumpcloud::{read_live, snapshot};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Credentials: the API key is read from the JC_API_KEY environment variable, \
never from a flag. With --sandbox none are needed."
)]
pub struct SnapshotArgs {
    #[command(flatten)]
    pub org: OrgArgs,

    /// Write the state file here (replaced atomically) instead of to stdout
    #[arg(long, short, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

pub fn run(args: SnapshotArgs) -> anyhow::Result<Outcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (live, label, requests) = runtime.block_on(async {
        let conn = args.org.connect().await?;
        let read = read_live(&conn.client).await;
        let requests = conn.client.request_count();
        let label = conn.org_label.clone();
        conn.close().await;
        let live = read.with_context(|| format!("cannot read {label}"))?;
        anyhow::Ok((live, label, requests))
    })?;

    let mut text = serde_json::to_string_pretty(&snapshot::state_file(&live))
        .context("cannot encode the snapshot")?;
    text.push('\n');
    match &args.out {
        Some(path) => write_atomically(path, text.as_bytes())?,
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(text.as_bytes())
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

/// Writes a temporary file next to `path`, then renames it over `path`: readers see the old
/// file or the new one, never half of one.
fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} is not a file path", path.display()))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(err) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(err).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("state.json");
        std::fs::write(&path, "old").expect("write");
        write_atomically(&path, b"new").expect("atomic write");
        assert_eq!(std::fs::read_to_string(&path).expect("read"), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
        assert!(write_atomically(&dir.path().join("missing/dir/x.json"), b"x").is_err());
    }
}
