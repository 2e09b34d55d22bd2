//! Findings as text for people, JSON for scripts and SARIF 2.1.0 for code-scanning UIs. Each
//! writes to `&mut dyn Write`; all three draw the place of a finding from `location`.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::diag::Severity;
use crate::lint::catalog::CATALOG;
use crate::lint::waivers::unused_message;
use crate::lint::Finding;
use crate::model::lower::Origins;
use crate::model::Model;
use crate::source::{Sources, Span};

/// Where a finding points in the files: `file`, 1-based `line` and character `column`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub line: usize,
    pub column: usize,
}

/// What the reports need besides the findings.
pub struct Files<'a> {
    pub model: &'a Model,
    pub origins: &'a Origins,
    pub sources: &'a Sources,
    /// The config path as given (file or directory): where SARIF points a finding that no
    /// file line describes (an org-wide finding).
    pub root: &'a str,
}

/// Where the rule docs live: `docs/rules.md` in the repository (generated from the rules' doc
/// comments, see [`rules_markdown`]), one anchor per code (`#lck001`). The repository URL comes
/// from Cargo.toml's `repository`; without one the URI is relative to the repository root.
pub fn rule_help_uri(code: &str) -> String {
    let base = env!("CARGO_PKG_REPOSITORY").trim_end_matches('/');
    let anchor = code.to_ascii_lowercase();
    if base.is_empty() {
        format!("docs/rules.md#{anchor}")
    } else {
        format!("{base}/blob/main/docs/rules.md#{anchor}")
    }
}

/// docs/rules.md: every catalogued rule's `jcform explain` text under a `## CODE` heading (so
/// GitHub gives it the anchor `#code`). Generated, never edited by hand: the rules' doc
/// comments are the one source (a test keeps the file in step).
pub fn rules_markdown() -> String {
    let mut out = String::from(
        "# Lint rules\n\n<!-- Generated from the rules' doc comments (`jcform explain CODE`); do \
         not edit. Regenerate with `JCFORM_UPDATE_DOCS=1 cargo test --test suite lint_cli`. -->\n",
    );
    for r in CATALOG {
        out.push_str(&format!(
            "\n## {}\n\n`{}` ({}): {}\n\n",
            r.code,
            r.slug,
            severity(r.severity),
            r.summary
        ));
        if let Some(doc) = crate::lint::doc(r.code) {
            // Rule docs use `##` sections; one level deeper under the rule's heading.
            for line in doc.trim().lines() {
                if line.starts_with('#') {
                    out.push('#');
                }
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    out
}

/// Markdown as plain text for SARIF `text` fields: heading marks and code fences dropped,
/// inline backticks removed; the words stay.
pub fn plain_text(markdown: &str) -> String {
    let mut out = Vec::new();
    let mut in_code = false;
    for line in markdown.trim().lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if in_code {
            // Examples keep their indentation and `#` comments.
            out.push(line.to_string());
        } else {
            let text = match line.strip_prefix('#') {
                Some(_) => line.trim_start_matches('#').trim_start(),
                None => line,
            };
            out.push(text.replace('`', ""));
        }
    }
    out.join("\n")
}

impl Files<'_> {
    /// The first target written in the files, else the cause; an unused waiver points at itself.
    pub fn span(&self, f: &Finding) -> Option<Span> {
        if f.code == crate::lint::catalog::JCF001.code {
            return self
                .model
                .waivers
                .iter()
                .find(|w| unused_message(w) == f.message)
                .and_then(|w| w.origin);
        }
        f.targets
            .iter()
            .chain(f.cause.as_ref())
            .find_map(|a| self.origins.get(a))
    }

    pub fn location(&self, f: &Finding) -> Option<Location> {
        let span = self.span(f)?;
        if span.file >= self.sources.len() {
            return None;
        }
        let file = self.sources.get(span.file);
        let (line, column) = file.line_col(span.start);
        Some(Location {
            file: file.name.clone(),
            line,
            column,
        })
    }
}

fn severity(s: Severity) -> &'static str {
    s.word()
}

fn targets(f: &Finding) -> String {
    f.targets
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// One block per finding, then a count line.
pub fn human(findings: &[Finding], files: &Files, out: &mut dyn Write) -> io::Result<()> {
    for f in findings {
        writeln!(
            out,
            "{}[{}] {}: {}",
            severity(f.severity),
            f.code,
            f.slug,
            f.message
        )?;
        if let Some(l) = files.location(f) {
            writeln!(out, "  --> {}:{}:{}", l.file, l.line, l.column)?;
        }
        if !f.targets.is_empty() {
            writeln!(out, "  targets: {}", targets(f))?;
        }
        if let Some(c) = &f.cause {
            writeln!(out, "  cause: {c}")?;
        }
        writeln!(out, "  help: {}", f.help)?;
        if let Some(reason) = &f.waived {
            writeln!(out, "  waived: {reason}")?;
        }
        writeln!(out)?;
    }
    let count = |s: Severity, waived: bool| {
        findings
            .iter()
            .filter(|f| f.severity == s && f.waived.is_some() == waived)
            .count()
    };
    let (errors, warnings, notices) = (
        count(Severity::Error, false),
        count(Severity::Warning, false),
        count(Severity::Info, false),
    );
    let waived = findings.iter().filter(|f| f.waived.is_some()).count();
    if findings.is_empty() {
        writeln!(out, "no findings")
    } else {
        writeln!(
            out,
            "{errors} error(s), {warnings} warning(s), {}{waived} waived{}",
            if notices > 0 {
                format!("{notices} notice(s), ")
            } else {
                String::new()
            },
            if errors > 0 {
                "; apply would refuse to run"
            } else {
                ""
            }
        )
    }
}

/// A finding as `lint --format json` prints it: the same fields as in the plan's JSON
/// (docs/plan-json.md), plus where the files declare its target.
#[derive(serde::Serialize)]
struct JsonFinding<'a> {
    #[serde(flatten)]
    finding: &'a Finding,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<Value>,
}

/// `{format_version: "1", findings: [...]}`: one findings shape and one version with the plan's
/// JSON ([`super::FORMAT_VERSION`]).
pub fn json(findings: &[Finding], files: &Files, out: &mut dyn Write) -> io::Result<()> {
    let list: Vec<JsonFinding> = findings
        .iter()
        .map(|f| JsonFinding {
            finding: f,
            location: files
                .location(f)
                .map(|l| json!({ "file": l.file, "line": l.line, "column": l.column })),
        })
        .collect();
    let doc = json!({ "format_version": super::FORMAT_VERSION, "findings": list });
    writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)
}

/// SARIF 2.1.0: every catalogued rule in the driver, one result per finding, waived findings as
/// external suppressions.
pub fn sarif(findings: &[Finding], files: &Files, out: &mut dyn Write) -> io::Result<()> {
    let rules: Vec<Value> = CATALOG
        .iter()
        .map(|r| {
            json!({
                "id": r.code,
                "name": r.slug,
                "shortDescription": { "text": r.summary },
                "fullDescription": {
                    "text": plain_text(crate::lint::doc(r.code).unwrap_or(r.summary)),
                },
                "help": {
                    "text": format!("{}. Run `jcform explain {}` or see {}.",
                        plain_text(r.summary), r.code, rule_help_uri(r.code)),
                    "markdown": crate::lint::doc(r.code).unwrap_or(r.summary),
                },
                "helpUri": rule_help_uri(r.code),
                "defaultConfiguration": { "level": r.severity.sarif_level() },
            })
        })
        .collect();
    let results: Vec<Value> = findings
        .iter()
        .map(|f| {
            let mut text = f.message.clone();
            if !f.targets.is_empty() {
                text.push_str(&format!(" (targets: {})", targets(f)));
            }
            text.push_str(&format!(". Help: {}", f.help));
            let mut r = json!({
                "ruleId": f.code,
                "level": f.severity.sarif_level(),
                "message": { "text": text },
            });
            let Some(obj) = r.as_object_mut() else {
                return r;
            };
            // Every result carries a location (code-scanning UIs drop results without one):
            // the file region, else the config root for a finding about the org as a whole.
            let location = match files.location(f) {
                Some(l) => json!({ "physicalLocation": {
                    "artifactLocation": { "uri": l.file },
                    "region": { "startLine": l.line, "startColumn": l.column },
                }}),
                None => json!({ "physicalLocation": {
                    "artifactLocation": { "uri": files.root },
                }}),
            };
            obj.insert("locations".into(), json!([location]));
            if let Some(reason) = &f.waived {
                obj.insert(
                    "suppressions".into(),
                    json!([{ "kind": "external", "justification": reason }]),
                );
            }
            r
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "jcform",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    });
    writeln!(out, "{}", serde_json::to_string_pretty(&doc)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_drops_markup_but_keeps_examples() {
        let md = "## What\nUse `x: 1`.\n```yaml\nusers:\n  a: {}   # note\n```\n## Fix\nDo it.";
        assert_eq!(
            plain_text(md),
            "What\nUse x: 1.\nusers:\n  a: {}   # note\nFix\nDo it."
        );
    }

    #[test]
    fn every_rule_has_an_anchor_in_the_rules_doc() {
        let doc = rules_markdown();
        for r in CATALOG {
            assert!(doc.contains(&format!("\n## {}\n", r.code)), "{}", r.code);
            assert!(rule_help_uri(r.code)
                .ends_with(&format!("docs/rules.md#{}", r.code.to_ascii_lowercase())));
        }
    }
}
