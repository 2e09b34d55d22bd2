//! The YAML step alone: every `.yaml` file of a config directory read into the raw tree by
//! `config::yaml::parse` (the fast reader, saphyr for what it declines) and by saphyr alone,
//! `JCFORM_PROFILE_RUNS` times each, printing the CPU per run of each reader on stderr, and
//! checking the two trees are equal.
//!
//! ```text
//! JCFORM_PROFILE_CONFIG=config/ JCFORM_PROFILE_RUNS=3 cargo bench --bench yaml_parse
//! ```

// The allocator the binary uses, so the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod cpu;
use cpu::self_cpu;
use std::path::PathBuf;

use jcform::config::raw::Node;
use jcform::config::yaml::{parse, parse_with_saphyr};
use jcform::diag::Diagnostic;
use jcform::source::{FileId, SourceFile};

fn main() {
    let dir = PathBuf::from(
        std::env::var("JCFORM_PROFILE_CONFIG").expect("set JCFORM_PROFILE_CONFIG to a directory"),
    );
    let runs: usize = std::env::var("JCFORM_PROFILE_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(3);
    let mut files: Vec<SourceFile> = std::fs::read_dir(&dir)
        .expect("a readable directory")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|path| SourceFile {
            name: path.display().to_string(),
            text: std::fs::read_to_string(&path).expect("a UTF-8 file"),
            path,
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    let bytes: usize = files.iter().map(|f| f.text.len()).sum();
    eprintln!("{} files, {:.1} MB", files.len(), bytes as f64 / 1e6);
    type Reader = fn(FileId, &SourceFile) -> Result<Node, Diagnostic>;
    for (name, reader) in [
        ("parse", parse as Reader),
        ("saphyr", parse_with_saphyr as Reader),
    ] {
        for run in 1..=runs {
            let before = self_cpu();
            let trees: Vec<_> = files
                .iter()
                .map(|f| reader(0, f).expect("a valid file"))
                .collect();
            let cpu = self_cpu() - before;
            drop(trees);
            eprintln!("{name} run {run}: {cpu:.3} s CPU");
        }
    }
    for f in &files {
        assert_eq!(
            parse(0, f).expect("valid"),
            parse_with_saphyr(0, f).expect("valid"),
            "{}",
            f.name
        );
    }
    eprintln!("trees equal");
}
