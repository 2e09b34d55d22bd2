//! Rendering a plan for people and programs.
//!
//! Every format draws from one value, [`RenderPlan`], built once from the plan and its findings.
//! Counting, ordering, grouping and secret redaction happen here and nowhere else, so the human
//! text, the JSON document and the pull-request comment can never disagree about what the plan
//! does. The renderers (`human`, `json`, `markdown`) only lay the value out.

pub mod findings;
pub mod human;
pub mod json;
pub mod markdown;
pub mod redact;
mod text;
pub mod unmanaged;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::access::changes::{AccessChange, Sentence};
use crate::access::Access;
use crate::diag::Severity;
use crate::lint::Finding;
use crate::model::Address;
use crate::plan::{Action, Change, Plan};

/// Version of the JSON plan document (`docs/plan-json.md`). Bumped only when a field changes
/// meaning or disappears; new fields do not bump it.
pub const FORMAT_VERSION: &str = "1";

/// What the renderers need to know beyond the plan itself.
#[derive(Debug, Clone, Default)]
pub struct RenderContext {
    /// The org the plan was computed against (a label or an id), shown in headers.
    pub org: String,
    /// List every unmanaged object, not just the counts.
    pub show_unmanaged: bool,
}

/// The kinds of object a plan touches, in the order the renderers show them: the objects people
/// think about first (users, groups), then the edges between them, then the directories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Section {
    Users,
    Groups,
    Memberships,
    AdDomains,
    M365Tenants,
    SsoApps,
    Bindings,
}

impl Section {
    pub const ALL: [Section; 7] = [
        Section::Users,
        Section::Groups,
        Section::Memberships,
        Section::AdDomains,
        Section::M365Tenants,
        Section::SsoApps,
        Section::Bindings,
    ];

    pub fn of(address: &Address) -> Section {
        match address {
            Address::User(_) => Section::Users,
            Address::Group(_) => Section::Groups,
            Address::Membership(..) => Section::Memberships,
            Address::AdDomain(_) => Section::AdDomains,
            Address::M365Tenant(_) => Section::M365Tenants,
            Address::SsoApp(_) => Section::SsoApps,
            Address::Binding(_) => Section::Bindings,
        }
    }

    /// The section's name in config files and in JSON (`ad_domains`).
    pub fn key(self) -> &'static str {
        match self {
            Section::Users => "users",
            Section::Groups => "groups",
            Section::Memberships => "memberships",
            Section::AdDomains => "ad_domains",
            Section::M365Tenants => "m365_tenants",
            Section::SsoApps => "sso_apps",
            Section::Bindings => "bindings",
        }
    }

    /// A heading for people (`AD domains`).
    pub fn title(self) -> &'static str {
        match self {
            Section::Users => "Users",
            Section::Groups => "Groups",
            Section::Memberships => "Memberships",
            Section::AdDomains => "AD domains",
            Section::M365Tenants => "M365 tenants",
            Section::SsoApps => "SSO apps",
            Section::Bindings => "Bindings",
        }
    }

    /// `1 user`, `3 users`, `1 AD domain`.
    pub fn count_phrase(self, n: usize) -> String {
        let (one, many) = match self {
            Section::Users => ("user", "users"),
            Section::Groups => ("group", "groups"),
            Section::Memberships => ("membership", "memberships"),
            Section::AdDomains => ("AD domain", "AD domains"),
            Section::M365Tenants => ("M365 tenant", "M365 tenants"),
            Section::SsoApps => ("SSO app", "SSO apps"),
            Section::Bindings => ("binding", "bindings"),
        };
        format!("{} {}", text::thousands(n), if n == 1 { one } else { many })
    }
}

/// The counts every format leads with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    /// Unwaived error findings: apply refuses to run while this is not zero.
    pub errors: usize,
    /// Unwaived warnings.
    pub warnings: usize,
    /// Unwaived notices (severity `info`): shown, never blocking.
    pub notices: usize,
    /// Findings (of either severity) accepted by a waiver.
    pub waived: usize,
}

impl Summary {
    pub fn changes(&self) -> usize {
        self.create + self.update + self.replace + self.delete
    }

    /// The one line every format starts with:
    /// `Plan: 3 to create, 2 to update, 0 to replace, 1 to delete; 2 errors, 3 warnings`.
    pub fn line(&self) -> String {
        let findings = self.findings_phrase();
        if self.changes() == 0 {
            return match findings {
                None => "No changes. The org matches the files.".to_string(),
                Some(f) => format!("No changes. The org matches the files; {f}."),
            };
        }
        let mut line = format!(
            "Plan: {} to create, {} to update, {} to replace, {} to delete",
            text::thousands(self.create),
            text::thousands(self.update),
            text::thousands(self.replace),
            text::thousands(self.delete),
        );
        if let Some(f) = findings {
            line.push_str("; ");
            line.push_str(&f);
        }
        line
    }

    /// `2 errors, 3 warnings` (plus `, 1 waived` when any are), or `None` without findings.
    fn findings_phrase(&self) -> Option<String> {
        if self.errors + self.warnings + self.notices + self.waived == 0 {
            return None;
        }
        let mut phrase = format!(
            "{}, {}",
            text::plural(self.errors, "error", "errors"),
            text::plural(self.warnings, "warning", "warnings"),
        );
        if self.notices > 0 {
            phrase.push_str(&format!(
                ", {}",
                text::plural(self.notices, "notice", "notices")
            ));
        }
        if self.waived > 0 {
            phrase.push_str(&format!(", {} waived", text::thousands(self.waived)));
        }
        Some(phrase)
    }
}

/// One changed field: the value before and after (`None` where that side has no value).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FieldChange {
    pub name: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// One change, secrets redacted, with its fields split out for line-by-line drawing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderChange {
    pub address: Address,
    pub action: Action,
    pub reason: String,
    /// The live name's address when the update renames the object (`user.mlopez` for
    /// `user.MLopez`); drawn as `(renamed from user.mlopez)` after the address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renamed_from: Option<Address>,
    pub before: serde_json::Value,
    pub after: serde_json::Value,
    #[serde(skip)]
    pub fields: Vec<FieldChange>,
}

impl RenderChange {
    /// `user.MLopez (renamed from user.mlopez)`, or the address alone.
    pub fn heading(&self) -> String {
        match &self.renamed_from {
            Some(old) => format!("{} (renamed from {old})", self.address),
            None => self.address.to_string(),
        }
    }
}

/// The changes of one kind, in address order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ChangeGroup {
    pub section: Section,
    pub changes: Vec<RenderChange>,
}

/// Live objects the plan leaves alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct UnmanagedReport {
    pub counts: BTreeMap<Section, usize>,
    /// Present only when asked for (`--show-unmanaged`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub objects: Option<BTreeMap<Section, Vec<Address>>>,
    /// The objects' config fields as the org has them (only with `objects`).
    #[serde(skip)]
    pub fields: BTreeMap<Address, serde_json::Map<String, serde_json::Value>>,
}

impl UnmanagedReport {
    pub fn total(&self) -> usize {
        self.counts.values().sum()
    }
}

/// The plan as every format draws it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RenderPlan {
    pub format_version: &'static str,
    pub org: String,
    pub summary: Summary,
    /// Errors before warnings; within a severity unwaived before waived, then by code and targets.
    pub findings: Vec<Finding>,
    /// Who gains or loses which login, per user and part (`portal`, `m365`, `ad`,
    /// `non_delegable`), by address then part. Empty until [`RenderPlan::with_access`].
    pub access_changes: Vec<AccessChange>,
    /// The same, in sentences for people ("3 users lose Microsoft 365 sign-in: ...").
    pub access_summary: Vec<Sentence>,
    /// Non-empty groups only, in [`Section`] order.
    pub changes: Vec<ChangeGroup>,
    pub unmanaged: UnmanagedReport,
    /// The `--target` / `--exclude` globs of a partial plan; `None` for a whole plan.
    pub partial: Option<crate::plan::target::Partial>,
}

impl RenderPlan {
    pub fn new(plan: &Plan, findings: &[Finding], context: &RenderContext) -> RenderPlan {
        let mut findings = findings.to_vec();
        findings.sort_by(|a, b| {
            (a.severity, a.waived.is_some(), a.code, &a.targets, &a.cause).cmp(&(
                b.severity,
                b.waived.is_some(),
                b.code,
                &b.targets,
                &b.cause,
            ))
        });

        let mut summary = Summary {
            create: plan.count(Action::Create),
            update: plan.count(Action::Update),
            replace: plan.count(Action::Replace),
            delete: plan.count(Action::Delete),
            ..Summary::default()
        };
        for f in &findings {
            match (f.waived.is_some(), f.severity) {
                (true, _) => summary.waived += 1,
                (false, Severity::Error) => summary.errors += 1,
                (false, Severity::Warning) => summary.warnings += 1,
                (false, Severity::Info) => summary.notices += 1,
            }
        }

        let mut grouped: BTreeMap<Section, Vec<RenderChange>> = BTreeMap::new();
        for change in &plan.changes {
            grouped
                .entry(Section::of(&change.address))
                .or_default()
                .push(render_change(change));
        }
        let changes = grouped
            .into_iter()
            .map(|(section, mut changes)| {
                changes.sort_by(|a, b| a.address.cmp(&b.address));
                ChangeGroup { section, changes }
            })
            .collect();

        RenderPlan {
            format_version: FORMAT_VERSION,
            org: context.org.clone(),
            summary,
            findings,
            access_changes: Vec::new(),
            access_summary: Vec::new(),
            changes,
            unmanaged: unmanaged_report(plan, context.show_unmanaged),
            partial: None,
        }
    }

    /// Marks the plan as partial (`--target` / `--exclude`); `None` leaves it whole.
    pub fn with_partial(mut self, partial: Option<crate::plan::target::Partial>) -> RenderPlan {
        self.partial = partial;
        self
    }

    /// The warning every format shows on a partial plan.
    pub fn partial_warning(&self) -> Option<String> {
        let partial = self.partial.as_ref()?;
        let globs: Vec<String> = partial
            .targets
            .iter()
            .map(|t| format!("--target {t}"))
            .chain(partial.excludes.iter().map(|e| format!("--exclude {e}")))
            .collect();
        Some(format!(
            "Partial plan ({}): only the matching changes and the changes they need; a full plan \
             may show more.",
            globs.join(", ")
        ))
    }

    /// Adds the access changes of the plan (the access model of the same plan's context).
    pub fn with_access(mut self, access: &Access) -> RenderPlan {
        self.access_changes = access.changes();
        self.access_summary = access.sentences();
        self
    }

    /// Every change, in display order.
    pub fn all_changes(&self) -> impl Iterator<Item = &RenderChange> {
        self.changes.iter().flat_map(|g| g.changes.iter())
    }
}

fn render_change(change: &Change) -> RenderChange {
    // The sides as plan JSON; redacting again costs little and keeps any future password
    // field out of output even if its type allowed a value.
    let before = redact::redact_secrets(&change.before.to_json());
    let after = redact::redact_secrets(&change.after.to_json());
    let fields = field_changes(&before, &after);
    RenderChange {
        address: change.address.clone(),
        action: change.action,
        reason: change.reason.clone(),
        renamed_from: change.renamed_from(),
        before,
        after,
        fields,
    }
}

/// Splits before/after objects into per-field pairs, keeping the diff's field order (after's
/// keys first, then fields only `before` has). A side that is not an object (an edge's `null`,
/// or a bare value) contributes no fields, or one field named `value` when it is a bare value.
fn field_changes(before: &serde_json::Value, after: &serde_json::Value) -> Vec<FieldChange> {
    use serde_json::Value;
    let as_fields = |v: &Value| -> Vec<(String, Value)> {
        match v {
            Value::Null => Vec::new(),
            Value::Object(map) => map.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
            other => vec![("value".to_string(), other.clone())],
        }
    };
    let before = as_fields(before);
    let after = as_fields(after);
    let mut names: Vec<&String> = after.iter().map(|(k, _)| k).collect();
    for (k, _) in &before {
        if !names.contains(&k) {
            names.push(k);
        }
    }
    let lookup = |side: &[(String, Value)], name: &str| {
        side.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_null())
    };
    names
        .into_iter()
        .map(|name| FieldChange {
            name: name.clone(),
            before: lookup(&before, name),
            after: lookup(&after, name),
        })
        .collect()
}

fn unmanaged_report(plan: &Plan, show: bool) -> UnmanagedReport {
    // Group by the address itself rather than the map's kind key, so the report does not depend
    // on how the diff spells kinds.
    let mut objects: BTreeMap<Section, Vec<Address>> = BTreeMap::new();
    for address in plan.unmanaged.objects.values().flatten() {
        objects
            .entry(Section::of(address))
            .or_default()
            .push(address.clone());
    }
    for list in objects.values_mut() {
        list.sort();
        list.dedup();
    }
    UnmanagedReport {
        counts: objects.iter().map(|(s, l)| (*s, l.len())).collect(),
        objects: show.then_some(objects),
        fields: if show {
            plan.unmanaged.fields.clone()
        } else {
            BTreeMap::new()
        },
    }
}
