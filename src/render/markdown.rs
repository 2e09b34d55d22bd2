//! The plan as a pull-request comment: the summary, the access changes and the findings first
//! (what a reviewer must see), then the changes folded into one `<details>` section per kind, as ```diff blocks so
//! GitHub colours additions and removals.
//!
//! GitHub rejects comments over 65,536 characters, so the comment is capped at [`MAX_CHARS`].
//! What a reviewer must see is never the part that is cut: the always-shown sections
//! (the access changes, never cut, and the findings) and every delete and replace
//! (unbinds and removed memberships are deletes) are laid out first; the long tail of creates
//! and updates fills what room is left, in display order, and the comment says how many of each
//! were cut. Only when the must-show part alone is over the cap are deletes drawn as one line
//! each (fields left out), and only past that are any cut, with a warning at the top.
//! Nothing is cut mid-line.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::text::{self, value};
use super::{RenderChange, RenderPlan};
use crate::lint::Finding;
use crate::plan::Action;

/// Under GitHub's 65,536-character comment limit with room to spare for a bot's own framing.
pub const MAX_CHARS: usize = 60_000;

/// Room always kept free for the unmanaged line and the "cut" lines.
const RESERVE: usize = 1_000;

/// One diff line longer than this is cut: a huge description must not eat the whole comment.
const MAX_LINE: usize = 500;

/// Targets listed per finding before "and N more".
const MAX_TARGETS: usize = 10;

/// The hidden marker CI looks for to update its own comment instead of adding one per push:
/// `<!-- jcform:ORG:CONFIG -->`. `--` and `>` (which could end the HTML comment early) are
/// replaced, so any org label or path gives one well-formed comment.
pub fn marker(org: &str, config: &str) -> String {
    let clean = |s: &str| s.replace("--", "-\u{2010}").replace('>', "\u{203a}");
    format!("<!-- jcform:{}:{} -->", clean(org), clean(config))
}

/// The comment, capped at [`MAX_CHARS`].
pub fn to_string(plan: &RenderPlan) -> String {
    to_string_capped(plan, MAX_CHARS)
}

/// Writes the comment to `out`.
pub fn render(plan: &RenderPlan, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(to_string(plan).as_bytes())
}

/// Who loses or changes which login: what a reviewer must see first. Each line names at most
/// `MAX_TARGETS * 2` users, so the section stays small however large the org. Empty when no
/// user's access changes.
fn access_section(plan: &RenderPlan) -> String {
    let mut out = String::new();
    if !plan.access_summary.is_empty() {
        out.push_str("\n#### Access changes\n\n");
        for sentence in &plan.access_summary {
            let _ = writeln!(out, "- {}", cell(&sentence.text_capped(MAX_TARGETS * 2)));
        }
    }
    out
}

/// Must a reviewer see this change whatever the cap? Deletes (objects, memberships, bindings)
/// and replaces (a delete first).
fn must_show(change: &RenderChange) -> bool {
    matches!(change.action, Action::Delete | Action::Replace)
}

/// How a change is drawn: with its fields, as its heading line only, or not at all.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Draw {
    Full,
    Line,
    Cut,
}

/// The comment, at most `max` bytes long (so at most `max` characters) unless the must-show
/// part alone is longer (see the module doc).
pub fn to_string_capped(plan: &RenderPlan, max: usize) -> String {
    let limit = max.saturating_sub(RESERVE);
    let mut head = String::from("### jcform plan\n\n");
    let _ = writeln!(head, "**{}**", plan.summary.line());
    if let Some(warning) = plan.partial_warning() {
        let _ = writeln!(head, "\n> [!WARNING]\n> {}", cell(&warning));
    }
    if !plan.org.is_empty() {
        let _ = writeln!(head, "\nOrg: {}", code(&plan.org));
    }

    let changes: Vec<&RenderChange> = plan.all_changes().collect();
    let full: Vec<String> = changes.iter().map(|c| change_lines(c)).collect();
    let line: Vec<String> = changes.iter().map(|c| heading_line(c)).collect();
    let frame: usize = plan
        .changes
        .iter()
        .map(|g| group_frame(g.section.title(), g.changes.len(), 0, &fence_for(&full)).len() + 40)
        .sum();
    let critical: Vec<usize> = (0..changes.len())
        .filter(|i| must_show(changes[*i]))
        .collect();
    let critical_full: usize = critical.iter().map(|i| full[*i].len()).sum();
    let critical_line: usize = critical.iter().map(|i| line[*i].len()).sum();

    // Always-shown sections, cut (findings rows from the end) only if they alone overflow;
    // then they leave the deletes at least their one-line form, up to half the comment.
    // The access changes are never cut (each line is capped in length, so the section is
    // small); the findings are cut (rows from the end) only if they alone overflow, and then
    // leave the deletes at least their one-line form, up to half the comment.
    let mut always = access_section(plan);
    let mut findings_cut = 0;
    let findings = findings_section(&plan.findings);
    let keep_for_deletes = (critical_line + frame).min(limit / 2);
    if head.len() + always.len() + findings.len() + keep_for_deletes > limit {
        let room = limit.saturating_sub(head.len() + always.len() + keep_for_deletes);
        always.push_str(&findings_section_capped(
            &plan.findings,
            room,
            &mut findings_cut,
        ));
    } else {
        always.push_str(&findings);
    }
    let mut room = limit.saturating_sub(head.len() + always.len() + frame);

    // Must-show changes: with fields if they all fit, else one line each, else as many as fit.
    let mut draw = vec![Draw::Cut; changes.len()];
    if critical_full <= room {
        critical.iter().for_each(|i| draw[*i] = Draw::Full);
        room -= critical_full;
    } else if critical_line <= room {
        critical.iter().for_each(|i| draw[*i] = Draw::Line);
        room -= critical_line;
    } else {
        for i in &critical {
            if line[*i].len() > room {
                break;
            }
            draw[*i] = Draw::Line;
            room -= line[*i].len();
        }
    }
    // The tail (creates, updates) in display order, while it fits.
    for i in (0..changes.len()).filter(|i| !must_show(changes[*i])) {
        if full[i].len() > room {
            break;
        }
        draw[i] = Draw::Full;
        room -= full[i].len();
    }

    let count_cut = |action: Action| {
        (0..changes.len())
            .filter(|i| changes[*i].action == action && draw[*i] == Draw::Cut)
            .count()
    };
    let critical_cut = count_cut(Action::Delete) + count_cut(Action::Replace);
    let shortened = critical.iter().any(|i| draw[*i] == Draw::Line);

    let mut out = head;
    if critical_cut > 0 || findings_cut > 0 {
        let mut what = Vec::new();
        if critical_cut > 0 {
            what.push(text::plural(
                critical_cut,
                "delete or replace",
                "deletes or replaces",
            ));
        }
        if findings_cut > 0 {
            what.push(text::plural(findings_cut, "finding", "findings"));
        }
        let _ = writeln!(
            out,
            "\n> **Warning:** this plan is too large for one comment: {} not shown. Review it \
             in full with `jcform plan` or `jcform show PLAN` before applying.",
            what.join(" and "),
        );
    }
    out.push_str(&always);

    let fence = fence_for(&full);
    let mut index = 0;
    for group in &plan.changes {
        let range = index..index + group.changes.len();
        index = range.end;
        let hidden = range.clone().filter(|i| draw[*i] == Draw::Cut).count();
        out.push_str(&group_frame(
            group.section.title(),
            group.changes.len(),
            hidden,
            &fence,
        ));
        for i in range {
            match draw[i] {
                Draw::Full => out.push_str(&full[i]),
                Draw::Line => out.push_str(&line[i]),
                Draw::Cut => {}
            }
        }
        if hidden > 0 {
            let _ = writeln!(
                out,
                "# … {} not shown",
                text::plural(hidden, "change", "changes")
            );
        }
        let _ = write!(out, "{fence}\n\n</details>\n");
    }

    write_unmanaged(&mut out, plan, limit);
    let tail_cut: Vec<String> = [
        (Action::Create, "create", "creates"),
        (Action::Update, "update", "updates"),
    ]
    .into_iter()
    .filter_map(|(a, one, many)| {
        let n = count_cut(a);
        (n > 0).then(|| text::plural(n, one, many))
    })
    .collect();
    if !tail_cut.is_empty() || shortened {
        let mut what = Vec::new();
        if !tail_cut.is_empty() {
            what.push(format!("{} not shown", tail_cut.join(" and ")));
        }
        if shortened {
            what.push("deletes and replaces shown without their fields".to_string());
        }
        let _ = writeln!(
            out,
            "\n_… {} (output capped at {} characters; deletes, replaces and findings are shown \
             first); run `jcform plan` locally or `jcform show PLAN` for the full plan._",
            what.join("; "),
            text::thousands(max)
        );
    }
    out
}

/// `<details>` opening of one kind's section, with the diff fence opened.
fn group_frame(title: &str, total: usize, hidden: usize, fence: &str) -> String {
    let count = if hidden > 0 {
        format!(
            "{}; {} not shown",
            text::thousands(total),
            text::thousands(hidden)
        )
    } else {
        text::thousands(total)
    };
    format!("\n<details><summary>{title} ({count})</summary>\n\n{fence}diff\n")
}

/// The findings table, complete (empty without findings).
fn findings_section(findings: &[Finding]) -> String {
    let mut cut = 0;
    findings_section_capped(findings, usize::MAX, &mut cut)
}

/// The findings table within `room` bytes; rows that don't fit are counted in `cut`.
fn findings_section_capped(findings: &[Finding], room: usize, cut: &mut usize) -> String {
    if findings.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "\n#### Findings\n\n| Severity | Code | Rule | Targets | Message |\n\
         | --- | --- | --- | --- | --- |\n",
    );
    for (i, f) in findings.iter().enumerate() {
        let row = finding_row(f);
        if out.len() + row.len() > room {
            *cut = findings.len() - i;
            break;
        }
        out.push_str(&row);
    }
    out
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

/// A change as its heading line alone (glyph, address, reason).
fn heading_line(change: &RenderChange) -> String {
    let mut out = String::new();
    let mut line = format!("{} {}", change.action.glyph(), change.heading());
    if !change.reason.is_empty() {
        let _ = write!(line, "  # {}", change.reason);
    }
    push_line(&mut out, &line);
    out
}

/// One change as diff lines: the address with its glyph, then `-` for old and `+` for new
/// field values, so GitHub colours them.
fn change_lines(change: &RenderChange) -> String {
    let mut out = heading_line(change);
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

/// The unmanaged counts (within the reserve) and, when asked for and it fits under `limit`,
/// the unmanaged objects as config.
fn write_unmanaged(out: &mut String, plan: &RenderPlan, limit: usize) {
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
        out,
        "\nUnmanaged: {} in the org but not in the files, left alone.",
        counts.join(", ")
    );
    if let Some(objects) = &report.objects {
        let yaml = super::unmanaged::yaml(objects, &report.fields);
        let fence = fence_for(std::slice::from_ref(&yaml));
        let section = format!(
            "\n<details><summary>Unmanaged objects as config</summary>\n\n{fence}yaml\n{yaml}{fence}\n\n</details>\n"
        );
        // Optional: only when it fits; the counts above already say what is there.
        if out.len() + section.len() <= limit {
            out.push_str(&section);
        }
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
