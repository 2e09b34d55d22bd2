//! Diagnostics: errors and warnings about the files, each with a place, a label and a help line.
//! They are plain data until the edge, where `render` attaches the source text (miette) or
//! turns them into JSON with file, line and column.

mod render;

pub use render::{render_human, render_json, HumanStyle};

use serde::Serialize;

use crate::source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
    /// A notice: shown, never blocks, never changes an exit code (SARIF `note`).
    Info,
}

impl Severity {
    /// `error`, `warning`, `info`: the word every output uses.
    pub fn word(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    /// SARIF 2.1.0 `level`: `error`, `warning`, `note`.
    pub fn sarif_level(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "note",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Stable, kebab-case: `syntax`, `unknown-field`, `duplicate-key`, ...
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// The first label is the primary place.
    pub labels: Vec<Label>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            message: message.into(),
            labels: Vec::new(),
            help: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            ..Self::error(code, message)
        }
    }

    pub fn with_label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn primary_span(&self) -> Option<Span> {
        self.labels.first().map(|l| l.span)
    }
}

/// Longest message, label or help rendered, in characters; longer text (a message quoting a
/// 100,000-character key) is cut in the middle with `…`.
pub const MAX_TEXT_CHARS: usize = 1000;

/// `text`, cut to `MAX_TEXT_CHARS` characters by leaving out its middle.
pub fn bounded(text: &str) -> std::borrow::Cow<'_, str> {
    let count = text.chars().count();
    if count <= MAX_TEXT_CHARS {
        return std::borrow::Cow::Borrowed(text);
    }
    let keep = MAX_TEXT_CHARS / 2;
    let head: String = text.chars().take(keep).collect();
    let tail: String = text.chars().skip(count - keep).collect();
    std::borrow::Cow::Owned(format!("{head}…{tail}"))
}

/// Most diagnostics reported for one config; the rest are counted in one last error. A file
/// with thousands of mistakes needs its first ones fixed, and a small file that multiplies one
/// mistake through YAML aliases must not print megabytes.
pub const MAX_DIAGNOSTICS: usize = 500;

/// Sorts diagnostics by file and position so output is stable and reads top to bottom.
pub fn sort(diags: &mut [Diagnostic]) {
    diags.sort_by_key(|d| {
        (
            d.primary_span().map(|s| (s.file, s.start)),
            d.code,
            d.message.clone(),
        )
    });
}

/// Sorts, drops exact repeats (one mistake copied by YAML aliases is reported once per place and
/// message) and keeps at most `MAX_DIAGNOSTICS`, counting the rest in a final error.
pub fn tidy(diags: &mut Vec<Diagnostic>) {
    sort(diags);
    diags.dedup();
    if diags.len() > MAX_DIAGNOSTICS {
        let more = diags.len() - MAX_DIAGNOSTICS;
        diags.truncate(MAX_DIAGNOSTICS);
        diags.push(
            Diagnostic::error(
                "too-many-errors",
                format!("{more} more diagnostics are not shown"),
            )
            .with_help("fix the ones above and run again"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tidy_drops_repeats_and_caps_the_count() {
        let at = |i: usize| Span::new(0, i, i + 1);
        let mut diags: Vec<Diagnostic> = (0..MAX_DIAGNOSTICS + 100)
            .map(|i| Diagnostic::error("x", "m").with_label(at(i), "here"))
            .collect();
        diags.push(Diagnostic::error("x", "m").with_label(at(3), "here"));
        tidy(&mut diags);
        assert_eq!(diags.len(), MAX_DIAGNOSTICS + 1);
        assert_eq!(diags[3].primary_span(), Some(at(3)));
        assert_eq!(diags[4].primary_span(), Some(at(4)), "the repeat is gone");
        let last = diags.last().unwrap();
        assert_eq!(last.code, "too-many-errors");
        assert_eq!(last.message, "100 more diagnostics are not shown");
    }

    #[test]
    fn long_text_is_cut_in_the_middle() {
        let long = format!("a{}z", "é".repeat(5_000));
        let cut = bounded(&long);
        assert_eq!(cut.chars().count(), MAX_TEXT_CHARS + 1);
        assert!(cut.starts_with('a') && cut.ends_with('z') && cut.contains('…'));
        assert_eq!(bounded("short"), "short");
    }
}
