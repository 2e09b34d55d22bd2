//! The binary under test for the CLI test files that share it (`fmt_cli`, `target_cli`): run in a
//! given directory, with no credentials, settings or colour leaking in from the environment.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `jcform`, run from `dir`.
pub fn jcform_in(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("jcform").unwrap();
    cmd.current_dir(dir);
    for var in [
        "JC_API_KEY",
        "JC_ORG_ID",
        "JC_API_URL",
        "JCFORM_PROFILE",
        "JCFORM_CREDENTIALS",
        "JCFORM_LOG",
        "JCFORM_ORGS",
        "XDG_CONFIG_HOME",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("NO_COLOR", "1");
    cmd
}
