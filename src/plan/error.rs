//! Why a plan cannot be made: the files and the org together describe something apply could not
//! do, or could only do by guessing (which live object a name means). A plan with any of these
//! errors is never built: no change is shown and nothing is executed, so an ambiguity can never
//! turn into a delete, a wrong binding or a half-done apply.
//!
//! Each error names the declared object (and, where it matters, the field) it is about, so the
//! CLI can point at the file and line ([`PlanError::to_diagnostic`]).

use std::fmt;

use crate::diag::Diagnostic;
use crate::model::lower::Origins;
use crate::model::Address;

/// One reason the plan stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanError {
    /// Stable, kebab-case: `ambiguous-match`, `ambiguous-rename`, `name-collision`,
    /// `dynamic-group-members`, `unreadable-password`, `federated-app-removed`, `partial-plan`
    /// (a `--target` / `--exclude` filter that would leave out a change a kept change needs).
    pub code: &'static str,
    /// The declared object the error is about.
    pub address: Address,
    /// The field of that object to point at, when one is to blame (`members`,
    /// `initial_password`, `email`); `None`: the object's key.
    pub field: Option<&'static str>,
    /// What is wrong, naming every live object involved by name and remote id.
    pub message: String,
    /// How to resolve it.
    pub help: String,
}

impl PlanError {
    pub fn new(
        code: &'static str,
        address: Address,
        field: Option<&'static str>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> PlanError {
        PlanError {
            code,
            address,
            field,
            message: message.into(),
            help: help.into(),
        }
    }

    /// The error as a diagnostic at the field (or else the key) where the files write the
    /// object; without a place when the origins don't know it (a model built in code).
    pub fn to_diagnostic(&self, origins: &Origins) -> Diagnostic {
        let mut d = Diagnostic::error(self.code, self.message.clone()).with_help(self.help.clone());
        let field_span = self
            .field
            .and_then(|f| origins.field(&self.address, f).map(|s| (s, f)));
        match (field_span, origins.get(&self.address)) {
            (Some((span, field)), _) => {
                d = d.with_label(span, format!("`{field}` of {}", self.address));
            }
            (None, Some(span)) => d = d.with_label(span, self.address.to_string()),
            (None, None) => {}
        }
        d
    }
}

impl fmt::Display for PlanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (help: {})", self.code, self.message, self.help)
    }
}

/// Every reason a plan stops, sorted by address then code, never empty when returned as an
/// error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanErrors(pub Vec<PlanError>);

impl PlanErrors {
    pub fn sorted(mut errors: Vec<PlanError>) -> PlanErrors {
        errors.sort_by(|a, b| {
            (&a.address, a.code, &a.message).cmp(&(&b.address, b.code, &b.message))
        });
        errors.dedup();
        PlanErrors(errors)
    }

    pub fn to_diagnostics(&self, origins: &Origins) -> Vec<Diagnostic> {
        self.0.iter().map(|e| e.to_diagnostic(origins)).collect()
    }
}

impl fmt::Display for PlanErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the plan cannot be made ({} error(s)):", self.0.len())?;
        for e in &self.0 {
            writeln!(f, "  {}: {e}", e.address)?;
        }
        Ok(())
    }
}

impl std::error::Error for PlanErrors {}
