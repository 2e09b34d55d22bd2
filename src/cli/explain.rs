//! `jcform explain CODE | --list`: the docs of a lint rule, or the list of rules.

use std::io::Write;

use clap::Args;

use super::Outcome;
use crate::lint::catalog::{self, RuleInfo, CATALOG};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A rule code (LCK001) or slug (multiple-delegation-domains), in any case.
    #[arg(required_unless_present = "list", conflicts_with = "list")]
    pub code: Option<String>,
    /// List every rule: code, slug, severity and what fires it.
    #[arg(long)]
    pub list: bool,
}

pub fn run(args: ExplainArgs) -> anyhow::Result<Outcome> {
    let mut out = std::io::stdout().lock();
    match (&args.code, args.list) {
        (_, true) => write_list(&mut out)?,
        (Some(code), false) => {
            let Some(rule) = catalog::find(code) else {
                let codes = CATALOG.iter().flat_map(|r| [r.code, r.slug]);
                let hint = match crate::model::lower::suggest(code, codes) {
                    Some(s) => format!(" (did you mean `{s}`?)"),
                    None => String::new(),
                };
                anyhow::bail!("no rule `{code}`{hint}; `jcform explain --list` lists the rules");
            };
            write_rule(rule, &mut out)?;
        }
        (None, false) => anyhow::bail!("name a rule, or pass --list"),
    }
    Ok(Outcome::Ok)
}

fn severity(rule: &RuleInfo) -> &'static str {
    rule.severity.word()
}

/// One line per rule, aligned: code, slug, severity, summary.
pub fn write_list(out: &mut dyn Write) -> std::io::Result<()> {
    let slug_width = CATALOG.iter().map(|r| r.slug.len()).max().unwrap_or(0);
    writeln!(
        out,
        "{:<7} {:<slug_width$} {:<8} SUMMARY",
        "CODE", "SLUG", "SEVERITY"
    )?;
    for r in CATALOG {
        writeln!(
            out,
            "{:<7} {:<slug_width$} {:<8} {}",
            r.code,
            r.slug,
            severity(r),
            r.summary
        )?;
    }
    Ok(())
}

/// The heading line, the summary and the rule's own docs.
pub fn write_rule(rule: &RuleInfo, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{} {} ({})", rule.code, rule.slug, severity(rule))?;
    writeln!(out, "{}", rule.summary)?;
    if let Some(doc) = crate::lint::doc(rule.code) {
        writeln!(out)?;
        write!(out, "{}", doc.trim_start())?;
    }
    Ok(())
}
