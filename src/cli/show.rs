//! `jcform show PLAN`: a saved plan (from `jcform plan --out PLAN`) rendered in any plan format,
//! findings included, exactly as it was reviewed. Offline: no org, no config needed. The file is
//! verified first (version, checksum), so what is shown is what `apply --plan` would check.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::anyhow;
use clap::Args;

use super::plan::PlanFormat;
use super::Outcome;
use crate::plan::file::PlanFile;
use crate::render::{RenderContext, RenderPlan};

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A plan file written by `jcform plan --out FILE`.
    #[arg(value_name = "PLAN")]
    pub plan: PathBuf,
    /// How to print the plan.
    #[arg(long, value_enum, default_value_t = PlanFormat::Human)]
    pub format: PlanFormat,
}

/// The saved plan rendered in `format`. Errors (exit 1) when the file does not verify or holds
/// an address or rule code this jcform cannot read.
pub fn render_file(file: &PlanFile, format: PlanFormat, color: bool) -> anyhow::Result<String> {
    let plan = file.to_plan().map_err(|e| match e {
        crate::plan::file::ChangeReadError::Address(e) => {
            anyhow!("the plan file names a change by {e}")
        }
        other => anyhow!("{other}"),
    })?;
    let findings = file
        .to_findings()
        .map_err(|e| anyhow!("the plan file holds a finding jcform cannot read: {e}"))?;
    let context = RenderContext {
        org: file.org.clone(),
        ..RenderContext::default()
    };
    let (access_changes, access_summary) = file
        .to_access()
        .map_err(|e| anyhow!("the plan file names an access change by {e}"))?;
    let mut render = RenderPlan::new(&plan, &findings, &context);
    render.access_changes = access_changes;
    render.access_summary = access_summary;
    render.partial = file.partial.clone();
    Ok(super::plan::render_as(&render, format, color, None))
}

pub fn run(args: ShowArgs) -> anyhow::Result<Outcome> {
    let file = PlanFile::read(&args.plan)?;
    let color = args.format == PlanFormat::Human
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let text = render_file(&file, args.format, color)?;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    eprintln!(
        "Plan file {} (made {} by jcform {}).",
        args.plan.display(),
        file.created_at,
        file.tool_version
    );
    Ok(Outcome::Ok)
}
