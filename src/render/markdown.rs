//! The plan as a pull-request comment: the summary, the access changes and the findings first
//! (what a reviewer must see), then the changes folded into one `<details>` section per kind, as ```diff blocks so
//! GitHub colours additions and removals.
//!
//! GitHub rejects comments over 65,536 characters, so the comment is capped at [`MAX_CHARS`]:
//! whole changes (and findings) are dropped from the end, never cut mid-line, and the last line
//! says how many were left out.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::text::{self, value};
use super::{human, RenderChange, RenderPlan};
use crate::lint::Finding;
use crate::plan::Action;

/// Under GitHub's 65,536-character comment limit with room to spare for a bot's own framing.
pub const MAX_CHARS: usize = 60_000;

/// Room always kept free for closing an open section, the unmanaged line and the "cut" line.
const RESERVE: usize = 1_000;

/// One diff line longer than this is cut: a huge description must not eat the whole comment.
const MAX_LINE: usize = 500;

/// Targets listed per finding before "and N more".
const MAX_TARGETS: usize = 10;

/// The comment, capped at [`MAX_CHARS`].
pub fn to_string(plan: &RenderPlan) -> String {
    to_string_capped(plan, MAX_CHARS)
}

/// Writes the comment to `out`.
pub fn render(plan: &RenderPlan, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(to_string(plan).as_bytes())
}

/// The comment, at most `max` bytes long (so at most `max` characters).
pub fn to_string_capped(plan: &RenderPlan, max: usize) -> String {
    let mut b = Budget {
        out: String::new(),
        limit: max.saturating_sub(RESERVE),
    };
    b.out.push_str("### jcform plan\n\n");
    let _ = writeln!(b.out, "**{}**", plan.summary.line());
    if !plan.org.is_empty() {
        let _ = writeln!(b.out, "\nOrg: {}", code(&plan.org));
    }

    // Never cut: who loses which login is what a reviewer must see first. Each line names at
    // most MAX_TARGETS * 2 users, so the section stays small however large the org.
    if !plan.access_summary.is_empty() {
        b.out.push_str("\n#### Access changes\n\n");
        for sentence in &plan.access_summary {
            let _ = writeln!(b.out, "- {}", cell(&sentence.text_capped(MAX_TARGETS * 2)));
        }
    }

    let findings_cut = write_findings(&mut b, &plan.findings);
    let changes_cut = write_changes(&mut b, plan);

    // The reserve guarantees room from here on.
    write_unmanaged(&mut b, plan);
    if findings_cut + changes_cut > 0 {
        let mut what = Vec::new();
        if findings_cut > 0 {
            what.push(text::plural(findings_cut, "more finding", "more findings"));
        }
        if changes_cut > 0 {
            what.push(text::plural(changes_cut, "more change", "more changes"));
        }
        let _ = writeln!(
            b.out,
            "\n_… {} not shown (output capped at {} characters); run `jcform plan` locally for \
             the full plan._",
            what.join(" and "),
            text::thousands(max)
        );
    }
    b.out
}

/// The text so far and how long it may grow before the reserve.
struct Budget {
    out: String,
    limit: usize,
}

impl Budget {
    /// Appends `s` if it fits (with `closing` still to come); says whether it did.
    fn push(&mut self, s: &str, closing: usize) -> bool {
        if self.out.len() + s.len() + closing > self.limit {
            return false;
        }
        self.out.push_str(s);
        true
    }
}

/// Returns how many findings did not fit.
fn write_findings(b: &mut Budget, findings: &[Finding]) -> usize {
    if findings.is_empty() {
        return 0;
    }
    let header = "\n#### Findings\n\n| Severity | Code | Rule | Targets | Message |\n\
                  | --- | --- | --- | --- | --- |\n";
    if !b.push(header, 0) {
        return findings.len();
    }
    for (i, f) in findings.iter().enumerate() {
        if !b.push(&finding_row(f), 0) {
            return findings.len() - i;
        }
    }
    0
}

fn finding_row(f: &Finding) -> String {
    let severity = match &f.waived {
        None => f.severity.word().to_string(),
        Some(_) => format!("{} (waived)", f.severity.word()),
    };
    let mut targets: Vec<String> = f
        .targets
        .iter()
        .take(MAX_TARGETS)
        .map(|t| code(&t.to_string()))
        .collect();
    if f.targets.len() > MAX_TARGETS {
        targets.push(format!(
            "and {} more",
            text::thousands(f.targets.len() - MAX_TARGETS)
        ));
    }
    let mut message = cell(&f.message);
    if let Some(cause) = &f.cause {
        let _ = write!(message, "<br>cause: {}", code(&cause.to_string()));
    }
    if !f.help.is_empty() {
        let _ = write!(message, "<br>help: {}", cell(&f.help));
    }
    if let Some(reason) = &f.waived {
        let _ = write!(message, "<br>waived: {}", cell(reason));
    }
    format!(
        "| {severity} | {} | {} | {} | {message} |\n",
        code(f.code),
        cell(f.slug),
        targets.join(", ")
    )
}

/// Returns how many changes did not fit.
fn write_changes(b: &mut Budget, plan: &RenderPlan) -> usize {
    let total = plan.summary.changes();
    let mut shown = 0;
    for group in &plan.changes {
        let blocks: Vec<String> = group.changes.iter().map(change_lines).collect();
        let fence = fence_for(&blocks);
        let open = format!(
            "\n<details><summary>{} ({})</summary>\n\n{fence}diff\n",
            group.section.title(),
            text::thousands(group.changes.len())
        );
        let close = format!("{fence}\n\n</details>\n");
        if !b.push(&open, close.len()) {
            return total - shown;
        }
        for block in &blocks {
            if !b.push(block, close.len()) {
                b.out.push_str(&close);
                return total - shown;
            }
            shown += 1;
        }
        b.out.push_str(&close);
    }
    total - shown
}

/// One change as diff lines: the address with its glyph, then `-` for old and `+` for new
/// field values, so GitHub colours them.
fn change_lines(change: &RenderChange) -> String {
    let mut out = String::new();
    let mut line = format!("{} {}", change.action.glyph(), change.heading());
    if !change.reason.is_empty() {
        let _ = write!(line, "  # {}", change.reason);
    }
    push_line(&mut out, &line);
    for f in &change.fields {
        let old = f
            .before
            .as_ref()
            .filter(|_| change.action != Action::Create);
        let new = f.after.as_ref().filter(|_| change.action != Action::Delete);
        if let Some(v) = old {
            push_line(&mut out, &format!("-     {}: {}", f.name, value(v)));
        }
        if let Some(v) = new {
            push_line(&mut out, &format!("+     {}: {}", f.name, value(v)));
        }
    }
    out
}

fn push_line(out: &mut String, line: &str) {
    out.push_str(&text::truncate(line, MAX_LINE));
    out.push('\n');
}

/// A code fence longer than any run of backticks inside it, so a value can't close the block.
fn fence_for(blocks: &[String]) -> String {
    let longest = blocks
        .iter()
        .flat_map(|b| b.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    "`".repeat(longest.max(2) + 1)
}

fn write_unmanaged(b: &mut Budget, plan: &RenderPlan) {
    let report = &plan.unmanaged;
    if report.total() == 0 {
        return;
    }
    let counts: Vec<String> = report
        .counts
        .iter()
        .map(|(section, n)| section.count_phrase(*n))
        .collect();
    let _ = writeln!(
        b.out,
        "\nUnmanaged: {} in the org but not in the files, left alone.",
        counts.join(", ")
    );
    if let Some(objects) = &report.objects {
        let yaml = human::unmanaged_yaml(objects, &report.fields);
        let fence = fence_for(std::slice::from_ref(&yaml));
        let section = format!(
            "\n<details><summary>Unmanaged objects as config</summary>\n\n{fence}yaml\n{yaml}{fence}\n\n</details>\n"
        );
        // Optional: only when it fits; the counts above already say what is there.
        b.push(&section, 0);
    }
}

/// Inline code that survives table cells: GitHub reads `\|` as a literal pipe even in code.
fn code(s: &str) -> String {
    let ticks = if s.contains('`') { "``" } else { "`" };
    format!("{ticks}{}{ticks}", s.replace('|', "\\|"))
}

/// Text that stays inside one table cell and can't open HTML.
fn cell(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
        .replace('\n', "<br>")
}
