//! A finding: one rule firing on one set of targets.

use serde::Serialize;

use crate::diag::Severity;
use crate::model::Address;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// `LCK001`.
    pub code: &'static str,
    /// `multiple-delegation-domains`.
    pub slug: &'static str,
    pub severity: Severity,
    /// The users or objects affected, sorted.
    pub targets: Vec<Address>,
    /// The change that causes it, when there is one.
    pub cause: Option<Address>,
    pub message: String,
    pub help: String,
    /// The waiver's reason when one accepts this finding.
    pub waived: Option<String>,
}

impl Finding {
    /// An error that no waiver accepts: apply refuses to run.
    pub fn blocks(&self) -> bool {
        self.severity == Severity::Error && self.waived.is_none()
    }
}

impl Finding {
    /// A finding of `rule`; targets are sorted and deduplicated.
    pub fn new(
        rule: &crate::lint::catalog::RuleInfo,
        mut targets: Vec<Address>,
        cause: Option<Address>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        targets.sort();
        targets.dedup();
        Finding {
            code: rule.code,
            slug: rule.slug,
            severity: rule.severity,
            targets,
            cause,
            message: message.into(),
            help: help.into(),
            waived: None,
        }
    }
}
