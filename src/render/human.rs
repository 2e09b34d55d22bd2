//! The plan for a terminal: summary line first (so `jcform plan | head -1` answers "anything to
//! do?"), then findings, then changes by kind, then what the plan leaves alone.
//!
//! Colour is decided by the caller (terminal and no NO_COLOR); without it the text is stable
//! enough to snapshot.

use std::io::{self, Write};

use owo_colors::OwoColorize;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use super::text::{self, value};
use super::{FieldChange, RenderChange, RenderPlan};
use crate::diag::Severity;
use crate::lint::Finding;
use crate::plan::Action;

/// Field lines sit under their address, indented past the glyph.
const FIELD_INDENT: &str = "      ";

/// Writes the human plan to `out`.
pub fn render(plan: &RenderPlan, color: bool, out: &mut dyn Write) -> io::Result<()> {
    let p = Paint { color };
    writeln!(out, "{}", p.bold(&plan.summary.line()))?;
    if let Some(warning) = plan.partial_warning() {
        writeln!(
            out,
            "{}",
            p.severity(Severity::Warning, &format!("Warning: {warning}"))
        )?;
    }

    if !plan.access_summary.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", p.bold("Access changes:"))?;
        for sentence in &plan.access_summary {
            writeln!(out, "  {}", sentence.text())?;
        }
    }

    for finding in &plan.findings {
        writeln!(out)?;
        write_finding(&p, finding, out)?;
    }

    for group in &plan.changes {
        writeln!(out)?;
        writeln!(
            out,
            "{}",
            p.bold(&format!(
                "{} ({}):",
                group.section.title(),
                text::thousands(group.changes.len())
            ))
        )?;
        for change in &group.changes {
            write_change(&p, change, out)?;
        }
    }

    write_unmanaged(&p, plan, out)
}

/// The human plan as a string.
pub fn to_string(plan: &RenderPlan, color: bool) -> String {
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail.
    let _ = render(plan, color, &mut buf);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Colour on demand: every styled piece goes through here so `color: false` is plain text.
struct Paint {
    color: bool,
}

impl Paint {
    fn action(&self, action: Action, s: &str) -> String {
        if !self.color {
            return s.to_string();
        }
        match action {
            Action::Create => s.green().to_string(),
            Action::Update => s.yellow().to_string(),
            Action::Replace => s.magenta().to_string(),
            Action::Delete => s.red().to_string(),
        }
    }

    fn severity(&self, severity: Severity, s: &str) -> String {
        if !self.color {
            return s.to_string();
        }
        match severity {
            Severity::Error => s.red().bold().to_string(),
            Severity::Warning => s.yellow().bold().to_string(),
            Severity::Info => s.cyan().bold().to_string(),
        }
    }

    fn added(&self, s: &str) -> String {
        self.action(Action::Create, s)
    }

    fn removed(&self, s: &str) -> String {
        self.action(Action::Delete, s)
    }

    fn dim(&self, s: &str) -> String {
        if self.color {
            s.dimmed().to_string()
        } else {
            s.to_string()
        }
    }

    fn bold(&self, s: &str) -> String {
        if self.color {
            s.bold().to_string()
        } else {
            s.to_string()
        }
    }
}

fn severity_word(severity: Severity) -> &'static str {
    severity.word()
}

fn write_finding(p: &Paint, f: &Finding, out: &mut dyn Write) -> io::Result<()> {
    let head = format!("{}[{}]", severity_word(f.severity), f.code);
    writeln!(
        out,
        "{} {}: {}",
        p.severity(f.severity, &head),
        f.slug,
        f.message
    )?;
    if !f.targets.is_empty() {
        let targets: Vec<String> = f.targets.iter().map(ToString::to_string).collect();
        writeln!(out, "  targets: {}", targets.join(", "))?;
    }
    if let Some(cause) = &f.cause {
        writeln!(out, "  cause: {cause}")?;
    }
    if !f.help.is_empty() {
        writeln!(out, "  help: {}", f.help)?;
    }
    if let Some(reason) = &f.waived {
        writeln!(out, "  {} {reason}", p.dim("waived:"))?;
    }
    Ok(())
}

fn write_change(p: &Paint, change: &RenderChange, out: &mut dyn Write) -> io::Result<()> {
    let glyph = change.action.glyph();
    let mut line = format!("  {} {}", p.action(change.action, glyph), change.heading());
    if !change.reason.is_empty() {
        line.push_str(&p.dim(&format!("  # {}", change.reason)));
    }
    writeln!(out, "{line}")?;
    for field in &change.fields {
        write_field(p, change.action, field, out)?;
    }
    Ok(())
}

fn write_field(p: &Paint, action: Action, f: &FieldChange, out: &mut dyn Write) -> io::Result<()> {
    let name = &f.name;
    match (action, &f.before, &f.after) {
        (Action::Create, _, Some(after)) => {
            writeln!(out, "{FIELD_INDENT}{name}: {}", value(after))
        }
        (Action::Delete, Some(before), _) => {
            writeln!(
                out,
                "{FIELD_INDENT}{} {name}: {}",
                p.removed("-"),
                value(before)
            )
        }
        _ => {
            if let Some((old, new)) = text::wants_text_diff(f.before.as_ref(), f.after.as_ref()) {
                if old.contains('\n') || new.contains('\n') {
                    return write_line_diff(p, name, old, new, out);
                }
                return writeln!(out, "{FIELD_INDENT}{name}: {}", word_diff(p, old, new));
            }
            let side = |v: &Option<Value>| v.as_ref().map_or("null".to_string(), value);
            writeln!(
                out,
                "{FIELD_INDENT}{name}: {} -> {}",
                side(&f.before),
                side(&f.after)
            )
        }
    }
}

/// One line of text changed: `"The quick [-brown-]{+red+} fox"`. The markers stay even with
/// colour so the change survives copy and paste.
fn word_diff(p: &Paint, old: &str, new: &str) -> String {
    let diff = TextDiff::from_words(old, new);
    let mut out = String::from("\"");
    let mut run: Option<(ChangeTag, String)> = None;
    let flush = |out: &mut String, run: Option<(ChangeTag, String)>| {
        let Some((tag, s)) = run else { return };
        let s = escape(&s);
        match tag {
            ChangeTag::Equal => out.push_str(&s),
            ChangeTag::Delete => out.push_str(&p.removed(&format!("[-{s}-]"))),
            ChangeTag::Insert => out.push_str(&p.added(&format!("{{+{s}+}}"))),
        }
    };
    for change in diff.iter_all_changes() {
        match &mut run {
            Some((tag, s)) if *tag == change.tag() => s.push_str(change.value()),
            _ => {
                flush(&mut out, run.take());
                run = Some((change.tag(), change.value().to_string()));
            }
        }
    }
    flush(&mut out, run);
    out.push('"');
    out
}

/// Multi-line text: a line diff under the field name.
fn write_line_diff(
    p: &Paint,
    name: &str,
    old: &str,
    new: &str,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "{FIELD_INDENT}{name}:")?;
    // Without a final newline the last line of `old` would differ from the same line in the
    // middle of `new` ("All of them." vs "All of them.\n") and show as changed.
    let terminate = |s: &str| {
        if s.ends_with('\n') {
            s.to_string()
        } else {
            format!("{s}\n")
        }
    };
    let (old, new) = (terminate(old), terminate(new));
    let diff = TextDiff::from_lines(&old, &new);
    for change in diff.iter_all_changes() {
        let line = change.value().trim_end_matches(['\n', '\r']);
        match change.tag() {
            ChangeTag::Equal => writeln!(out, "{FIELD_INDENT}    {line}")?,
            ChangeTag::Delete => {
                writeln!(out, "{FIELD_INDENT}  {}", p.removed(&format!("- {line}")))?
            }
            ChangeTag::Insert => {
                writeln!(out, "{FIELD_INDENT}  {}", p.added(&format!("+ {line}")))?
            }
        }
    }
    Ok(())
}

/// JSON string escaping without the quotes, so tabs and control characters stay visible.
fn escape(s: &str) -> String {
    let quoted = Value::String(s.to_string()).to_string();
    quoted[1..quoted.len() - 1].to_string()
}

fn write_unmanaged(p: &Paint, plan: &RenderPlan, out: &mut dyn Write) -> io::Result<()> {
    let report = &plan.unmanaged;
    if report.total() == 0 {
        return Ok(());
    }
    let counts: Vec<String> = report
        .counts
        .iter()
        .map(|(section, n)| section.count_phrase(*n))
        .collect();
    writeln!(out)?;
    write!(
        out,
        "{} {} in the org but not in the files, left alone",
        p.bold("Unmanaged:"),
        counts.join(", ")
    )?;
    let Some(objects) = &report.objects else {
        writeln!(out, " (--show-unmanaged lists them).")?;
        return Ok(());
    };
    writeln!(out, ". As config, to paste into the files:")?;
    writeln!(out)?;
    out.write_all(super::unmanaged::yaml(objects, &report.fields).as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_diff_marks_only_the_changed_words() {
        let p = Paint { color: false };
        assert_eq!(
            word_diff(&p, "the quick brown fox", "the quick red fox"),
            "\"the quick [-brown-]{+red+} fox\""
        );
    }
}
