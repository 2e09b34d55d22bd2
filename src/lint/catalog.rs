//! The rule catalogue: every code, its slug and severity. Codes are a contract (scripts, waivers
//! and docs refer to them): a code is never renamed or reused.

use crate::diag::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleInfo {
    pub code: &'static str,
    pub slug: &'static str,
    pub severity: Severity,
    /// One line: what fires the rule.
    pub summary: &'static str,
}

const fn rule(
    code: &'static str,
    slug: &'static str,
    severity: Severity,
    summary: &'static str,
) -> RuleInfo {
    RuleInfo {
        code,
        slug,
        severity,
        summary,
    }
}

use Severity::{Error, Warning};

pub const CATALOG: &[RuleInfo] = &[
    rule(
        "LCK001",
        "multiple-delegation-domains",
        Error,
        "a user is effectively bound to two or more delegation domains",
    ),
    rule(
        "LCK002",
        "delegation-target-unavailable",
        Error,
        "a delegated user's domain cannot check their password",
    ),
    rule(
        "LCK003",
        "delegation-disabled-with-delegated-users",
        Error,
        "the plan takes a domain away from users who still delegate to it",
    ),
    rule(
        "LCK004",
        "undelegated-without-password",
        Error,
        "the plan clears delegated authority for a user with no JumpCloud password",
    ),
    rule(
        "LCK005",
        "new-m365-user-without-password",
        Error,
        "a new user bound to an M365 tenant gets no initial password",
    ),
    rule(
        "LCK006",
        "m365-multiple-tenants",
        Error,
        "a user is effectively bound to two or more M365 tenants",
    ),
    rule(
        "LCK007",
        "unknown-m365-tenant",
        Error,
        "a tenant in the files has an id the org does not have",
    ),
    rule(
        "SAF001",
        "deletes-over-limit",
        Error,
        "the plan deletes more objects than settings.limits.max_deletes",
    ),
    rule(
        "SAF002",
        "unbinds-over-limit",
        Error,
        "the plan removes more user bindings than settings.limits.max_unbinds",
    ),
    rule(
        "LCK101",
        "m365-unbind-blocks-sign-in",
        Warning,
        "the plan ends a user's binding to an M365 tenant",
    ),
    rule(
        "LCK102",
        "suspend-disables-ad-account",
        Warning,
        "the plan suspends a user bound to an AD domain",
    ),
    rule(
        "LCK103",
        "dynamic-group-delegation",
        Warning,
        "a dynamic group is bound to a delegation domain",
    ),
    rule(
        "LCK104",
        "m365-email-domain-mismatch",
        Warning,
        "an M365-bound user's email domain is not one of the tenant's domains",
    ),
    rule(
        "LCK105",
        "m365-password-length",
        Warning,
        "an M365-bound user's initial password is not 8 to 16 characters",
    ),
    rule(
        "LCK106",
        "ad-username-too-long",
        Warning,
        "an AD-bound user's username is not a valid sAMAccountName",
    ),
    rule(
        "LCK107",
        "delegation-with-member-server-agents",
        Warning,
        "users delegate to a domain whose import agents all run on member servers",
    ),
    rule(
        "SEC001",
        "plaintext-password",
        Warning,
        "a password is written as a literal in a config file",
    ),
];

/// The rule with this code (case-insensitive) or slug.
pub fn find(code_or_slug: &str) -> Option<&'static RuleInfo> {
    CATALOG
        .iter()
        .find(|r| r.code.eq_ignore_ascii_case(code_or_slug) || r.slug == code_or_slug)
}
