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

use Severity::{Error, Info, Warning};

pub const LCK001: RuleInfo = rule(
    "LCK001",
    "multiple-delegation-domains",
    Error,
    "a user is effectively bound to two or more delegation domains",
);

pub const LCK002: RuleInfo = rule(
    "LCK002",
    "delegation-target-unavailable",
    Error,
    "a delegated user's domain cannot check their password",
);

pub const LCK003: RuleInfo = rule(
    "LCK003",
    "delegation-disabled-with-delegated-users",
    Error,
    "the plan takes a domain away from users who still delegate to it",
);

pub const LCK004: RuleInfo = rule(
    "LCK004",
    "undelegated-without-password",
    Error,
    "the plan clears delegated authority for a user with no JumpCloud password",
);

pub const LCK005: RuleInfo = rule(
    "LCK005",
    "new-m365-user-without-password",
    Error,
    "a new user bound to an M365 tenant gets no initial password",
);

pub const LCK006: RuleInfo = rule(
    "LCK006",
    "m365-multiple-tenants",
    Error,
    "a user is effectively bound to two or more M365 tenants",
);

pub const LCK007: RuleInfo = rule(
    "LCK007",
    "unknown-m365-tenant",
    Error,
    "a tenant in the files has an id the org does not have",
);

pub const SAF001: RuleInfo = rule(
    "SAF001",
    "deletes-over-limit",
    Error,
    "the plan deletes more objects than settings.limits.max_deletes",
);

pub const SAF002: RuleInfo = rule(
    "SAF002",
    "unbinds-over-limit",
    Error,
    "the plan removes more user bindings than settings.limits.max_unbinds",
);

pub const LCK101: RuleInfo = rule(
    "LCK101",
    "m365-unbind-blocks-sign-in",
    Warning,
    "the plan ends a user's binding to an M365 tenant",
);

pub const LCK102: RuleInfo = rule(
    "LCK102",
    "suspend-disables-ad-account",
    Warning,
    "the plan suspends a user bound to an AD domain",
);

pub const LCK103: RuleInfo = rule(
    "LCK103",
    "dynamic-group-delegation",
    Warning,
    "a dynamic group is bound to a delegation domain",
);

pub const LCK104: RuleInfo = rule(
    "LCK104",
    "m365-email-domain-mismatch",
    Warning,
    "an M365-bound user's email domain is not one of the tenant's domains",
);

pub const LCK105: RuleInfo = rule(
    "LCK105",
    "m365-password-length",
    Warning,
    "an M365-bound user's initial password is not 8 to 16 characters",
);

pub const LCK106: RuleInfo = rule(
    "LCK106",
    "ad-username-too-long",
    Warning,
    "an AD-bound user's username is not a valid sAMAccountName",
);

pub const LCK107: RuleInfo = rule(
    "LCK107",
    "delegation-with-member-server-agents",
    Warning,
    "users delegate to a domain whose import agents all run on member servers",
);

pub const SEC001: RuleInfo = rule(
    "SEC001",
    "plaintext-password",
    Warning,
    "a password is written as a literal in a config file",
);

pub const LCK008: RuleInfo = rule(
    "LCK008",
    "delegation-agent-too-old",
    Error,
    "users delegate to a domain whose primary (or every) import agent is older than 3.0",
);

pub const LCK009: RuleInfo = rule(
    "LCK009",
    "delegation-required-by-use-case",
    Error,
    "an ad_as_authority AD domain is declared or planned with delegation disabled",
);

pub const LCK010: RuleInfo = rule(
    "LCK010",
    "federated-user-not-assigned",
    Error,
    "a user of a federated M365 domain is not granted the Microsoft 365 SSO application",
);

pub const LCK011: RuleInfo = rule(
    "LCK011",
    "federated-user-cannot-authenticate",
    Error,
    "a user of a federated M365 domain has no way to pass JumpCloud's login",
);

pub const LCK108: RuleInfo = rule(
    "LCK108",
    "mixed-import-agent-versions",
    Warning,
    "the import agents of a delegation domain run different versions",
);

pub const LCK109: RuleInfo = rule(
    "LCK109",
    "m365-email-domain-change-ignored",
    Warning,
    "the plan changes the email domain of a user bound to an M365 tenant",
);

pub const LCK110: RuleInfo = rule(
    "LCK110",
    "ad-identity-change",
    Warning,
    "the plan changes the username or email of a user bound to an AD domain",
);

pub const LCK111: RuleInfo = rule(
    "LCK111",
    "m365-reprovision-delay",
    Warning,
    "the plan ends a user's M365 binding and creates it again",
);

pub const LCK112: RuleInfo = rule(
    "LCK112",
    "ad-authority-password-in-jumpcloud",
    Warning,
    "users of an ad_as_authority domain on member servers can get a password AD never sees",
);

pub const LCK113: RuleInfo = rule(
    "LCK113",
    "m365-suspend-blocks-sign-in",
    Warning,
    "the plan suspends a user bound to an M365 tenant",
);

pub const LCK114: RuleInfo = rule(
    "LCK114",
    "two-password-authorities",
    Warning,
    "a user is bound both to a two-way-sync AD domain and to an M365 tenant",
);

pub const LCK116: RuleInfo = rule(
    "LCK116",
    "federated-default-domain",
    Warning,
    "an M365 tenant's default domain is the domain it federates to JumpCloud",
);

pub const LCK115: RuleInfo = rule(
    "LCK115",
    "new-user-without-password-loses-email",
    Info,
    "a new user who does not delegate gets no initial password",
);

/// Not a rule about the org: a waiver in the files that accepts no finding (so stale waivers
/// don't pile up).
pub const JCF001: RuleInfo = rule(
    "JCF001",
    "unused-waiver",
    Warning,
    "a waiver in the files matches no finding",
);

/// In the design table's order: errors, warnings, notices (new codes after the old ones of
/// their severity).
pub const CATALOG: &[RuleInfo] = &[
    LCK001, LCK002, LCK003, LCK004, LCK005, LCK006, LCK007, SAF001, SAF002, LCK008, LCK009, LCK010,
    LCK011, LCK101, LCK102, LCK103, LCK104, LCK105, LCK106, LCK107, SEC001, LCK108, LCK109, LCK110,
    LCK111, LCK112, LCK113, LCK114, LCK116, LCK115, JCF001,
];

/// The rule with this code or slug (both case-insensitive).
pub fn find(code_or_slug: &str) -> Option<&'static RuleInfo> {
    CATALOG.iter().find(|r| {
        r.code.eq_ignore_ascii_case(code_or_slug) || r.slug.eq_ignore_ascii_case(code_or_slug)
    })
}
