//! Diagnostics -> text (miette's graphical report) or JSON.
//!
//! miette is handed an excerpt of each file, not the file: the lines around the labels, each
//! cut to a window of [`MAX_LINE_CHARS`] characters around the labels on it. Line numbers stay
//! those of the file. This keeps rendering fast on large files and keeps miette away from very
//! long lines (past column 65,535 its renderer panics).

use std::fmt;

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteError, MietteSpanContents,
    SourceCode, SourceSpan, SpanContents,
};
use serde::Serialize;

use super::{bounded, Diagnostic, Severity};
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
    source: Option<Excerpt>,
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
        let span = LabeledSpan::new_with_span(
            Some(bounded(&label.text).into_owned()),
            label.span.start..label.span.end,
        );
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
    let named = |file: usize, labels: Vec<LabeledSpan>| {
        let f = sources.get(file);
        let language = if f.name.ends_with(".kdl") {
            "kdl"
        } else {
            "yaml"
        };
        Excerpt::new(&f.name, language, &f.text, labels)
    };
    let (source, labels) = match files.next() {
        Some((file, labels)) => {
            let (excerpt, labels) = named(file, labels);
            (Some(excerpt), labels)
        }
        None => (None, Vec::new()),
    };
    let related = files
        .map(|(file, labels)| {
            let (excerpt, labels) = named(file, labels);
            Report {
                code: diag.code,
                severity: diag.severity,
                message: format!("{} (the other place)", bounded(&diag.message)),
                help: None,
                source: Some(excerpt),
                labels,
                related: Vec::new(),
            }
        })
        .collect();
    Report {
        code: diag.code,
        severity: diag.severity,
        message: bounded(&diag.message).into_owned(),
        help: diag.help.as_deref().map(|h| bounded(h).into_owned()),
        source,
        labels,
        related,
    }
}

/// Lines of an excerpt longer than this (in characters) are cut to a window of this many
/// characters around the labels on them, with `…` where text was left out.
pub const MAX_LINE_CHARS: usize = 160;

/// Characters kept before a label's start when a long line is cut.
const LEAD_CHARS: usize = 40;

/// Part of a source file, as miette reads it: the lines around some labels, long lines cut.
/// Offsets into `text` are excerpt offsets; `first_line` (0-based) is the file line of its
/// first line, so miette numbers lines as in the file.
struct Excerpt {
    name: String,
    language: &'static str,
    text: String,
    first_line: usize,
    pieces: Vec<Piece>,
}

/// One line of the excerpt: the file line `line_start..line_end`, of which
/// `file_start..file_end` is kept and appears at `at` in the excerpt.
struct Piece {
    line_start: usize,
    line_end: usize,
    file_start: usize,
    file_end: usize,
    at: usize,
}

impl Excerpt {
    /// Cuts `text` around `labels` (file offsets) and returns the excerpt with the labels moved to
    /// excerpt offsets. A label end that falls in text left out stops at the `…`.
    fn new(
        name: &str,
        language: &'static str,
        text: &str,
        labels: Vec<LabeledSpan>,
    ) -> (Excerpt, Vec<LabeledSpan>) {
        let clamp = |o: usize| floor_boundary(text, o.min(text.len()));
        let points: Vec<usize> = labels
            .iter()
            .flat_map(|l| [clamp(l.offset()), clamp(l.offset() + l.len())])
            .collect();
        let lo = points.iter().copied().min().unwrap_or(0);
        let hi = points.iter().copied().max().unwrap_or(0);
        // One line of context either side, as the handler is configured.
        let mut start = text[..lo].rfind('\n').map_or(0, |i| i + 1);
        if start > 0 {
            start = text[..start - 1].rfind('\n').map_or(0, |i| i + 1);
        }
        let mut end = text[hi..].find('\n').map_or(text.len(), |i| hi + i);
        if end < text.len() {
            end = text[end + 1..]
                .find('\n')
                .map_or(text.len(), |i| end + 1 + i);
        }
        let first_line = text.as_bytes()[..start]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();

        let mut out = String::new();
        let mut pieces: Vec<Piece> = Vec::new();
        let mut line_start = start;
        while line_start <= end {
            let line_end = text[line_start..end]
                .find('\n')
                .map_or(end, |i| line_start + i);
            let line = &text[line_start..line_end];
            if line.chars().count() <= MAX_LINE_CHARS {
                pieces.push(Piece {
                    line_start,
                    line_end,
                    file_start: line_start,
                    file_end: line_end,
                    at: out.len(),
                });
                out.push_str(line);
            } else {
                // The window starts a little before the first label point on this line.
                let anchor = points
                    .iter()
                    .copied()
                    .filter(|&p| p >= line_start && p <= line_end)
                    .min()
                    .unwrap_or(line_start);
                let lead: usize = text[line_start..anchor]
                    .chars()
                    .rev()
                    .take(LEAD_CHARS)
                    .map(char::len_utf8)
                    .sum();
                let from = anchor - lead;
                let to = from
                    + text[from..line_end]
                        .chars()
                        .take(MAX_LINE_CHARS)
                        .map(char::len_utf8)
                        .sum::<usize>();
                if from > line_start {
                    out.push('…');
                }
                pieces.push(Piece {
                    line_start,
                    line_end,
                    file_start: from,
                    file_end: to,
                    at: out.len(),
                });
                out.push_str(&text[from..to]);
                if to < line_end {
                    out.push('…');
                }
            }
            if line_end < end {
                out.push('\n');
            }
            line_start = line_end + 1;
        }

        let map = |o: usize| -> usize {
            let o = clamp(o);
            for piece in &pieces {
                if o < piece.line_start || o > piece.line_end {
                    continue;
                }
                return if o < piece.file_start {
                    // Left out before the window: the `…` in front of it.
                    piece.at - '…'.len_utf8()
                } else if o <= piece.file_end {
                    piece.at + (o - piece.file_start)
                } else {
                    // Left out after the window: the `…` behind it.
                    piece.at + (piece.file_end - piece.file_start)
                };
            }
            out.len()
        };
        let labels = labels
            .into_iter()
            .map(|l| {
                let s = map(l.offset());
                let e = map(l.offset() + l.len()).max(s);
                let moved = LabeledSpan::new_with_span(l.label().map(str::to_string), s..e);
                if l.primary() {
                    LabeledSpan::new_primary_with_span(
                        l.label().map(str::to_string),
                        *moved.inner(),
                    )
                } else {
                    moved
                }
            })
            .collect();
        (
            Excerpt {
                name: name.to_string(),
                language,
                text: out,
                first_line,
                pieces,
            },
            labels,
        )
    }
}

fn floor_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl SourceCode for Excerpt {
    fn read_span<'a>(
        &'a self,
        span: &SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn SpanContents<'a> + 'a>, MietteError> {
        let inner =
            self.text
                .as_str()
                .read_span(span, context_lines_before, context_lines_after)?;
        // The column of the span's start (in bytes, as miette counts it) in the file, not in
        // the cut line: the report's `file:line:column` header shows it.
        let column = self
            .pieces
            .iter()
            .find(|p| p.at <= span.offset() && span.offset() <= p.at + (p.file_end - p.file_start))
            .map_or(inner.column(), |p| {
                p.file_start + (span.offset() - p.at) - p.line_start
            });
        let contents = MietteSpanContents::new_named(
            self.name.clone(),
            inner.data(),
            *inner.span(),
            inner.line() + self.first_line,
            column,
            inner.line_count(),
        )
        .with_language(self.language);
        Ok(Box::new(contents))
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
    message: std::borrow::Cow<'a, str>,
    help: Option<std::borrow::Cow<'a, str>>,
    /// Other places the diagnostic points at (e.g. the first definition of a duplicate).
    related: Vec<JsonPlace<'a>>,
}

#[derive(Serialize)]
struct JsonPlace<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    label: std::borrow::Cow<'a, str>,
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
                message: bounded(&d.message),
                help: d.help.as_deref().map(bounded),
                related: d.labels[1.min(d.labels.len())..]
                    .iter()
                    .map(|l| {
                        let f = sources.get(l.span.file);
                        let (line, column) = f.line_col(l.span.start);
                        JsonPlace {
                            file: &f.name,
                            line,
                            column,
                            label: bounded(&l.text),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Span;
    use std::path::Path;

    fn render(text: &str, labels: &[(usize, usize)]) -> String {
        let mut sources = Sources::default();
        let id = sources.add(Path::new("t.yaml"), "t.yaml".into(), text.into());
        let mut d = Diagnostic::error("test", "message");
        for &(s, e) in labels {
            d = d.with_label(Span::new(id, s, e), "here");
        }
        render_human(&[d], &sources, HumanStyle::plain())
    }

    #[test]
    fn labels_far_along_a_line_render_cut_with_the_file_column() {
        // Non-ASCII before, in and after the window: cuts must fall on character boundaries.
        let line = format!("k: {}Ω{}", "é".repeat(70_000), "ü".repeat(500));
        let text = format!("first\n{line}\nlast\n");
        let at = text.find('Ω').unwrap();
        let out = render(&text, &[(at, at + 'Ω'.len_utf8())]);
        assert!(out.len() < 4_000, "{} bytes", out.len());
        // miette counts the header column in bytes.
        let column = at - text.find('\n').unwrap() - 1 + 1;
        assert!(out.contains(&format!("t.yaml:2:{column}]")), "{out}");
        assert!(out.contains("…éé"), "{out}");
        assert!(out.contains("Ωüü"), "{out}");
        assert!(out.contains(" 1 │ first"), "{out}");
        assert!(out.contains(" 3 │ last"), "{out}");
    }

    #[test]
    fn a_label_longer_than_the_window_stops_at_the_cut() {
        let text = format!("a: \"{}\"\n", "x".repeat(100_000));
        let out = render(
            &text,
            &[(3, text.len() - 1), (text.len() - 2, text.len() - 1)],
        );
        assert!(out.len() < 4_000, "{} bytes", out.len());
        assert!(out.contains("t.yaml:1:4]"), "{out}");
    }

    #[test]
    fn short_files_render_as_written() {
        let out = render("a: 1\nb: 2\n", &[(5, 6)]);
        assert!(out.contains(" 2 │ b: 2"), "{out}");
        assert!(!out.contains('…'), "{out}");
    }
}
