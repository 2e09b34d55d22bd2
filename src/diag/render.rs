//! Diagnostics -> text (miette's graphical report) or JSON.

use std::fmt;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceCode};
use serde::Serialize;

use super::{Diagnostic, Severity};
use crate::source::Sources;

/// How to draw human diagnostics.
#[derive(Debug, Clone, Copy)]
pub struct HumanStyle {
    pub color: bool,
    pub width: usize,
}

impl HumanStyle {
    /// For snapshots and pipes: no colour, fixed width.
    pub fn plain() -> Self {
        HumanStyle {
            color: false,
            width: 100,
        }
    }
}

/// One file's part of a diagnostic, as miette wants it: labels in one source. A diagnostic whose
/// labels span several files (a duplicate key across files) becomes a main report plus related
/// reports, one per other file.
struct Report {
    code: &'static str,
    severity: Severity,
    message: String,
    help: Option<String>,
    source: Option<NamedSource<String>>,
    labels: Vec<LabeledSpan>,
    related: Vec<Report>,
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Report {}

impl miette::Diagnostic for Report {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.labels.is_empty() {
            None
        } else {
            Some(Box::new(self.labels.iter().cloned()))
        }
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn miette::Diagnostic> + 'b>> {
        if self.related.is_empty() {
            None
        } else {
            Some(Box::new(
                self.related.iter().map(|r| r as &dyn miette::Diagnostic),
            ))
        }
    }
}

fn to_report(diag: &Diagnostic, sources: &Sources) -> Report {
    let mut by_file: Vec<(usize, Vec<LabeledSpan>)> = Vec::new();
    for (i, label) in diag.labels.iter().enumerate() {
        let span =
            LabeledSpan::new_with_span(Some(label.text.clone()), label.span.start..label.span.end);
        let span = if i == 0 {
            LabeledSpan::new_primary_with_span(span.label().map(str::to_string), *span.inner())
        } else {
            span
        };
        match by_file.iter_mut().find(|(f, _)| *f == label.span.file) {
            Some((_, spans)) => spans.push(span),
            None => by_file.push((label.span.file, vec![span])),
        }
    }
    let mut files = by_file.into_iter();
    let named = |file: usize| {
        let f = sources.get(file);
        NamedSource::new(f.name.clone(), f.text.clone()).with_language(
            if f.name.ends_with(".kdl") {
                "kdl"
            } else {
                "yaml"
            },
        )
    };
    let (source, labels) = match files.next() {
        Some((file, labels)) => (Some(named(file)), labels),
        None => (None, Vec::new()),
    };
    let related = files
        .map(|(file, labels)| Report {
            code: diag.code,
            severity: diag.severity,
            message: format!("{} (the other place)", diag.message),
            help: None,
            source: Some(named(file)),
            labels,
            related: Vec::new(),
        })
        .collect();
    Report {
        code: diag.code,
        severity: diag.severity,
        message: diag.message.clone(),
        help: diag.help.clone(),
        source,
        labels,
        related,
    }
}

/// Renders each diagnostic with its source excerpt, then a one-line count.
pub fn render_human(diags: &[Diagnostic], sources: &Sources, style: HumanStyle) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(style.width)
        .with_context_lines(1);
    let mut out = String::new();
    for diag in diags {
        let report = to_report(diag, sources);
        if handler.render_report(&mut out, &report).is_err() {
            out.push_str(&format!("{}: {}\n", diag.code, diag.message));
        }
        out.push('\n');
    }
    let errors = diags
        .iter()
        .filter(|d| d.severity == Severity::Error)
        .count();
    let warnings = diags
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .count();
    out.push_str(&format!(
        "{errors} error{}, {warnings} warning{}\n",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" }
    ));
    out
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    code: &'static str,
    severity: Severity,
    message: &'a str,
    help: Option<&'a str>,
    /// Other places the diagnostic points at (e.g. the first definition of a duplicate).
    related: Vec<JsonPlace<'a>>,
}

#[derive(Serialize)]
struct JsonPlace<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    label: &'a str,
}

/// `{"diagnostics": [{file, line, column, code, severity, message, help, related}]}`.
pub fn render_json(diags: &[Diagnostic], sources: &Sources) -> String {
    let items: Vec<JsonDiagnostic> = diags
        .iter()
        .map(|d| {
            let place = d.primary_span().map(|s| {
                let f = sources.get(s.file);
                let (line, column) = f.line_col(s.start);
                (f.name.as_str(), line, column)
            });
            JsonDiagnostic {
                file: place.map(|p| p.0),
                line: place.map(|p| p.1),
                column: place.map(|p| p.2),
                code: d.code,
                severity: d.severity,
                message: &d.message,
                help: d.help.as_deref(),
                related: d.labels[1.min(d.labels.len())..]
                    .iter()
                    .map(|l| {
                        let f = sources.get(l.span.file);
                        let (line, column) = f.line_col(l.span.start);
                        JsonPlace {
                            file: &f.name,
                            line,
                            column,
                            label: &l.text,
                        }
                    })
                    .collect(),
            }
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&serde_json::json!({ "diagnostics": items }))
        .unwrap_or_default();
    s.push('\n');
    s
}
