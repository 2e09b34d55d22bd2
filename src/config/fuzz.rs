//! One config input through the production path (parse, validate, render every diagnostic as
//! text and as JSON), checking the bounds jcform promises for any input: no panic, at most
//! `diag::MAX_DIAGNOSTICS` diagnostics (plus the "more not shown" one), and rendered output of
//! bounded size per diagnostic. Used by the cargo-fuzz targets in `fuzz/` and by the smoke test
//! `tests/suite/config_fuzz.rs` (`JCFORM_FUZZ_CASES` sets its case count).

use std::path::Path;

use super::{parse_bytes, Loaded};
use crate::diag::{render_human, render_json, HumanStyle, MAX_DIAGNOSTICS};
use crate::model::ConfigError;

/// Most bytes one rendered diagnostic may take, in either format: messages, labels and help are
/// cut to `diag::MAX_TEXT_CHARS` characters and source lines to
/// `diag::render::MAX_LINE_CHARS`, so a few kilobytes is typical; JSON escapes of control
/// characters can take six bytes each.
pub const MAX_RENDERED_BYTES_PER_DIAGNOSTIC: usize = 64 * 1024;

/// What one input gave.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checked {
    /// The config is valid.
    pub valid: bool,
    pub diagnostics: usize,
    /// Bytes of human and JSON output together.
    pub rendered_bytes: usize,
}

/// Runs `bytes` as a config file with this extension (`yaml`, `yml` or `kdl`) through the
/// loader, the validator and both diagnostic renderers. Panics (as a fuzz target must) when a
/// bound is broken; any panic inside jcform propagates the same way.
pub fn check(extension: &str, bytes: &[u8]) -> Checked {
    let name = format!("input.{extension}");
    let mut loaded = Loaded::default();
    parse_bytes(&mut loaded, Path::new(&name), name.clone(), bytes.to_vec());
    let (valid, diagnostics, sources) = match crate::model::from_loaded(loaded) {
        Ok(config) => (true, config.warnings, config.sources),
        Err(ConfigError::Invalid {
            sources,
            diagnostics,
        }) => (false, diagnostics, sources),
        Err(ConfigError::Load(e)) => panic!("no file system is involved, yet: {e}"),
    };
    assert!(
        diagnostics.len() <= MAX_DIAGNOSTICS + 1,
        "{} diagnostics",
        diagnostics.len()
    );
    let human = render_human(&diagnostics, &sources, HumanStyle::plain());
    let json = render_json(&diagnostics, &sources);
    let bound = (diagnostics.len() + 1) * MAX_RENDERED_BYTES_PER_DIAGNOSTIC;
    assert!(
        human.len() <= bound && json.len() <= bound,
        "{} diagnostics rendered as {} + {} bytes",
        diagnostics.len(),
        human.len(),
        json.len()
    );
    assert!(
        valid || !diagnostics.is_empty(),
        "an invalid config has a diagnostic"
    );
    Checked {
        valid,
        diagnostics: diagnostics.len(),
        rendered_bytes: human.len() + json.len(),
    }
}
