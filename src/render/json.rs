//! The plan as a versioned JSON document for scripts and CI (`docs/plan-json.md`). A view over
//! [`RenderPlan`]: the same counts, order and redaction as the other formats, with the changes
//! flattened into one list (in display order: by kind, then by address).

use std::io::{self, Write};

use serde::Serialize;

use super::{RenderPlan, Summary, UnmanagedReport};
use crate::access::changes::AccessChange;
use crate::lint::Finding;
use crate::model::Address;
use crate::plan::Action;

#[derive(Serialize)]
struct JsonPlan<'a> {
    format_version: &'a str,
    org: &'a str,
    summary: &'a Summary,
    findings: &'a [Finding],
    access_changes: &'a [AccessChange],
    changes: Vec<JsonChange<'a>>,
    unmanaged: &'a UnmanagedReport,
    /// Only on a partial plan (`--target` / `--exclude`).
    #[serde(skip_serializing_if = "Option::is_none")]
    partial: Option<&'a crate::plan::target::Partial>,
}

#[derive(Serialize)]
struct JsonChange<'a> {
    address: &'a Address,
    action: Action,
    reason: &'a str,
    /// Only on an update that renames the object (docs/plan-json.md).
    #[serde(skip_serializing_if = "Option::is_none")]
    renamed_from: Option<&'a Address>,
    before: &'a serde_json::Value,
    after: &'a serde_json::Value,
}

/// The JSON document, pretty-printed, with a trailing newline.
pub fn to_string(plan: &RenderPlan) -> String {
    let doc = JsonPlan {
        format_version: plan.format_version,
        org: &plan.org,
        summary: &plan.summary,
        findings: &plan.findings,
        access_changes: &plan.access_changes,
        changes: plan
            .all_changes()
            .map(|c| JsonChange {
                address: &c.address,
                action: c.action,
                reason: &c.reason,
                renamed_from: c.renamed_from.as_ref(),
                before: &c.before,
                after: &c.after,
            })
            .collect(),
        unmanaged: &plan.unmanaged,
        partial: plan.partial.as_ref(),
    };
    // Every part is plain data with string keys; serialising it cannot fail, but if it ever did
    // the error is better in the output than a panic.
    let mut text = serde_json::to_string_pretty(&doc)
        .unwrap_or_else(|e| format!("{{\"error\": {}}}", serde_json::Value::from(e.to_string())));
    text.push('\n');
    text
}

/// Writes the JSON document to `out`.
pub fn render(plan: &RenderPlan, out: &mut dyn Write) -> io::Result<()> {
    out.write_all(to_string(plan).as_bytes())
}
