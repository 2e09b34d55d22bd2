//! The binary under test for the CLI test files that share it (`fmt_cli`, `target_cli`): run in a
//! given directory, with no credentials, settings or colour leaking in from the environment.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `jcform`, run from `dir`, with the terminal settings of whoever runs the tests removed
/// (`NO_COLOR`, `XDG_CONFIG_HOME`); keys and profiles are already cleared for the whole suite
/// (`hermetic` in main.rs). For tests of colour and of the credentials file's location.
pub fn bare_in(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("jcform").unwrap();
    cmd.current_dir(dir);
    cmd.env_remove("NO_COLOR").env_remove("XDG_CONFIG_HOME");
    cmd
}

/// `jcform`, run from `dir`, without colour.
pub fn jcform_in(dir: &Path) -> Command {
    let mut cmd = bare_in(dir);
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Copies a directory tree into `to` (created if missing): regular files and directories only.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let target = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &target);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}
