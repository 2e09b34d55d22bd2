//! The validated model: what the files declare (`Model`) and what the org holds (`live::LiveState`).
//!
//! Config keys are the JumpCloud names (username, group name) or the config's own key for AD
//! domains and M365 tenants. A field that is `None` is not managed: the plan leaves its live value
//! alone. Live objects use the same attribute types, plus their remote ids.

pub mod address;
pub mod limits;
pub mod live;
pub mod lower;
pub mod words;

use words::words;

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde::Serialize;

pub use address::Address;

/// Everything the files declare, validated and merged across files.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Model {
    pub settings: Settings,
    pub users: BTreeMap<String, User>,
    pub groups: BTreeMap<String, Group>,
    pub ad_domains: BTreeMap<String, AdDomain>,
    pub m365_tenants: BTreeMap<String, M365Tenant>,
    /// SSO (SAML) applications, by config key (issue 16, seed 002).
    pub sso_apps: BTreeMap<String, SsoApp>,
    /// Declared bindings (the union of every `bindings` entry), by config keys.
    pub bindings: BTreeSet<Binding>,
    pub waivers: Vec<Waiver>,
}

words! {
    /// What to do with live objects the files don't name (`settings.manage.*`). A config-only
    /// word: nothing sends it to the API, whose word is taken to be the same.
    #[derive(Default)]
    pub enum ManageMode {
        /// Delete (or unbind, or remove from the group) what the files don't name.
        Full = "full" / "full",
        /// Leave it alone and list it as unmanaged.
        #[default]
        Additive = "additive" / "additive",
        /// Leave it alone and say nothing.
        Ignore = "ignore" / "ignore",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Manage {
    pub users: ManageMode,
    pub groups: ManageMode,
    pub ad_domains: ManageMode,
    pub memberships: ManageMode,
    pub bindings: ManageMode,
    /// SSO applications the files don't name (`full` deletes them).
    pub sso_apps: ManageMode,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Ignore {
    /// Username globs never touched and never reported.
    pub users: Vec<String>,
    /// Group name globs never touched and never reported.
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Limits {
    /// SAF001 fires when the plan deletes more objects than this.
    pub max_deletes: Option<u64>,
    /// SAF002 fires when the plan removes more effective user bindings than this.
    pub max_unbinds: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Settings {
    pub manage: Manage,
    pub ignore: Ignore,
    pub limits: Limits,
    /// The credentials profile (docs/credentials.md) that names the org these files are for;
    /// used when the command line names none.
    pub profile: Option<String>,
}

words! {
    /// The kinds of object an edge joins: the config's kind word (the first part of an
    /// address: `user.alice`, `ad_domain.corp`) and the API's graph object type (association
    /// `from`/`to` `type`, `targets=`). A binding is JumpCloud's association of a user or group
    /// with a directory; a membership is the association `user_group` -> `user`.
    pub enum GraphKind {
        User = "user" / "user",
        Group = "group" / "user_group",
        AdDomain = "ad_domain" / "active_directory",
        M365Tenant = "m365_tenant" / "office_365",
        SsoApp = "sso_app" / "application",
    }
}

impl Directory {
    /// Its kind (`ad_domain` / `active_directory`, ...).
    pub fn graph_kind(&self) -> GraphKind {
        match self {
            Directory::AdDomain(_) => GraphKind::AdDomain,
            Directory::M365Tenant(_) => GraphKind::M365Tenant,
            Directory::SsoApp(_) => GraphKind::SsoApp,
        }
    }

    /// A directory of `kind` holding `key` (a config key or a remote id); `None` for a kind that
    /// is not a directory.
    pub fn of_kind(kind: GraphKind, key: String) -> Option<Directory> {
        Some(match kind {
            GraphKind::AdDomain => Directory::AdDomain(key),
            GraphKind::M365Tenant => Directory::M365Tenant(key),
            GraphKind::SsoApp => Directory::SsoApp(key),
            GraphKind::User | GraphKind::Group => return None,
        })
    }
}

impl Subject {
    /// Its kind (`user` / `user`, `group` / `user_group`).
    pub fn graph_kind(&self) -> GraphKind {
        match self {
            Subject::User(_) => GraphKind::User,
            Subject::Group(_) => GraphKind::Group,
        }
    }

    /// The key or remote id it holds.
    pub fn id(&self) -> &str {
        match self {
            Subject::User(k) | Subject::Group(k) => k,
        }
    }

    /// A subject of `kind` holding `key`; `None` for a kind that is not a user or group.
    pub fn of_kind(kind: GraphKind, key: String) -> Option<Subject> {
        Some(match kind {
            GraphKind::User => Subject::User(key),
            GraphKind::Group => Subject::Group(key),
            _ => return None,
        })
    }
}

words! {
    /// A user's account state (API `state`; `suspended` also drives the v1 `suspended` flag).
    pub enum UserState {
        Active = "active" / "ACTIVATED",
        Suspended = "suspended" / "SUSPENDED",
        Staged = "staged" / "STAGED",
    }
}

/// Where a write-only password comes from. Never printed: `Debug` and `Display` redact.
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretSource {
    Env(String),
    File(std::path::PathBuf),
    /// A literal in the file (SEC001 flags it). The value is never serialised.
    #[serde(serialize_with = "redact")]
    Literal(String),
}

fn redact<S: serde::Serializer>(_: &str, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str("***")
}

impl fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SecretSource::Env(name) => write!(f, "Env({name})"),
            SecretSource::File(path) => write!(f, "File({})", path.display()),
            SecretSource::Literal(_) => write!(f, "Literal(***)"),
        }
    }
}

impl SecretSource {
    /// Reads the secret. The error never contains the value.
    pub fn resolve(&self) -> Result<String, String> {
        match self {
            SecretSource::Env(name) => {
                std::env::var(name).map_err(|_| format!("environment variable {name} is not set"))
            }
            SecretSource::File(path) => std::fs::read_to_string(path)
                .map(|s| s.trim_end_matches(['\r', '\n']).to_string())
                .map_err(|e| format!("cannot read password file {}: {e}", path.display())),
            SecretSource::Literal(v) => Ok(v.clone()),
        }
    }
}

/// The profile fields of a user that jcform manages. `None` means "not managed" in a config and
/// "unset" in live state. Names are the config's; `api` comments give the v1 field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct UserAttrs {
    pub email: Option<String>,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub middlename: Option<String>,
    pub displayname: Option<String>,
    pub description: Option<String>,
    /// api: jobTitle
    pub job_title: Option<String>,
    pub department: Option<String>,
    /// api: costCenter
    pub cost_center: Option<String>,
    pub company: Option<String>,
    pub location: Option<String>,
    /// api: employeeIdentifier
    pub employee_id: Option<String>,
    /// api: employeeType
    pub employee_type: Option<String>,
    /// api: alternateEmail
    pub alternate_email: Option<String>,
    pub password_never_expires: Option<bool>,
    pub state: Option<UserState>,
}

/// `match name { "email" => Some(<ref> <obj>.email), ..., _ => None }` over the user text
/// fields (`user_text_field!(name, &self)`, `user_text_field!(name, &mut self)`), so that the
/// config name -> field mapping is written once for `UserAttrs` and the plan's `UserFields`.
/// Every struct it is used on names its fields as [`USER_TEXT_FIELDS`] does.
macro_rules! user_text_field {
    // Every field, in the order of `USER_TEXT_FIELDS`, as an array: no name to match. Before
    // the by-name arms, which would try to read `all` as the name expression.
    (all &mut $obj:ident) => {
        $crate::model::user_text_field!(@each [@all mut $obj])
    };
    (all & $obj:ident) => {
        $crate::model::user_text_field!(@each [@all ref $obj])
    };
    ($name:expr, &mut $obj:ident) => {
        $crate::model::user_text_field!(@each [@arms $name, mut $obj])
    };
    ($name:expr, & $obj:ident) => {
        $crate::model::user_text_field!(@each [@arms $name, ref $obj])
    };
    (@each [$($how:tt)*]) => {
        $crate::model::user_text_field!(@with [$($how)*] email firstname lastname
            middlename displayname description job_title department cost_center company
            location employee_id employee_type alternate_email)
    };
    (@with [@arms $name:expr, mut $obj:ident] $($field:ident)+) => {
        match $name {
            $(stringify!($field) => Some(&mut $obj.$field),)+
            _ => None,
        }
    };
    (@with [@arms $name:expr, ref $obj:ident] $($field:ident)+) => {
        match $name {
            $(stringify!($field) => Some(&$obj.$field),)+
            _ => None,
        }
    };
    (@with [@all mut $obj:ident] $($field:ident)+) => {
        [$(&mut $obj.$field),+]
    };
    (@with [@all ref $obj:ident] $($field:ident)+) => {
        [$(&$obj.$field),+]
    };
}
pub(crate) use user_text_field;

/// The string-valued profile fields: (config name, API name). One table so that the config
/// reader, the wire conversion, the diff and the exporter never disagree.
pub const USER_TEXT_FIELDS: &[(&str, &str)] = &[
    ("email", "email"),
    ("firstname", "firstname"),
    ("lastname", "lastname"),
    ("middlename", "middlename"),
    ("displayname", "displayname"),
    ("description", "description"),
    ("job_title", "jobTitle"),
    ("department", "department"),
    ("cost_center", "costCenter"),
    ("company", "company"),
    ("location", "location"),
    ("employee_id", "employeeIdentifier"),
    ("employee_type", "employeeType"),
    ("alternate_email", "alternateEmail"),
];

impl UserAttrs {
    /// The text field with this config name.
    pub fn text(&self, name: &str) -> Option<&String> {
        self.text_slot_ref(name)?.as_ref()
    }

    fn text_slot_ref(&self, name: &str) -> Option<&Option<String>> {
        user_text_field!(name, &self)
    }

    /// Mutable access to the text field with this config name.
    pub fn text_slot(&mut self, name: &str) -> Option<&mut Option<String>> {
        user_text_field!(name, &mut self)
    }

    /// Every text field, in the order of [`USER_TEXT_FIELDS`]: for walking all of them
    /// without matching a name per field (the diff does it for every user of the org).
    pub fn texts(&self) -> [&Option<String>; USER_TEXT_FIELDS.len()] {
        user_text_field!(all & self)
    }

    /// Every text field, mutable, in the order of [`USER_TEXT_FIELDS`] (lowering fills a
    /// user's fields by their place, without matching a name per field).
    pub fn texts_mut(&mut self) -> [&mut Option<String>; USER_TEXT_FIELDS.len()] {
        user_text_field!(all &mut self)
    }
}

/// `delegated_authority: none` in the files and plans: JumpCloud checks the password.
pub const DELEGATED_AUTHORITY_NONE: &str = "none";

/// Who checks a user's password.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DelegatedAuthority {
    /// JumpCloud checks it (`delegated_authority: none`).
    None,
    /// This AD domain checks it. In a `Model` the config key; in live state the remote id.
    Ad(String),
}

/// Who owns a user's password: the console's "Password Authority". The API keeps it as the
/// user's `restrictedFields` entry for `password` (v1 `restrictedField`, writable in both
/// `systemuserputpost` and `systemuserput`): no entry is JumpCloud ("None"), an entry of type
/// `active_directory` with the AD instance's id is Active Directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PasswordAuthorityDecl {
    /// JumpCloud holds the password (no `restrictedFields` entry for `password`).
    Jumpcloud,
    /// AD owns it: no password can be set in JumpCloud, by an admin or by the user.
    ActiveDirectory,
}

impl PasswordAuthorityDecl {
    pub const ALL: &'static [PasswordAuthorityDecl] = &[
        PasswordAuthorityDecl::Jumpcloud,
        PasswordAuthorityDecl::ActiveDirectory,
    ];

    pub const NAMES: &'static [&'static str] = &[
        PasswordAuthorityDecl::Jumpcloud.config_name(),
        PasswordAuthorityDecl::ActiveDirectory.config_name(),
    ];

    pub const fn config_name(self) -> &'static str {
        match self {
            PasswordAuthorityDecl::Jumpcloud => "jumpcloud",
            PasswordAuthorityDecl::ActiveDirectory => "active_directory",
        }
    }

    pub fn from_config(word: &str) -> Option<PasswordAuthorityDecl> {
        Self::ALL.iter().copied().find(|p| p.config_name() == word)
    }

    /// The `restrictedFields[].type` it writes; `None` for JumpCloud (no entry). The API spells
    /// Active Directory as the config does.
    pub const fn api_kind(self) -> Option<&'static str> {
        match self {
            PasswordAuthorityDecl::Jumpcloud => None,
            PasswordAuthorityDecl::ActiveDirectory => Some(self.config_name()),
        }
    }

    /// The authority a `restrictedFields[].type` names (`None`: a type jcform does not know).
    pub fn from_api_kind(kind: &str) -> Option<PasswordAuthorityDecl> {
        Self::ALL
            .iter()
            .copied()
            .find(|p| p.api_kind() == Some(kind))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct User {
    pub attrs: UserAttrs,
    /// Write-only; used only when the plan creates the user.
    pub initial_password: Option<SecretSource>,
    /// `None`: not managed.
    pub delegated_authority: Option<DelegatedAuthority>,
    /// `None`: not managed. `ActiveDirectory` needs `delegated_authority` naming an AD domain
    /// (the restriction's id is that domain's).
    pub password_authority: Option<PasswordAuthorityDecl>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Group {
    pub description: Option<String>,
    /// Usernames of the direct members. `None`: members not managed.
    pub members: Option<BTreeSet<String>>,
}

words! {
    /// What an AD domain's import and sync do (API `useCase`).
    pub enum UseCase {
        TwoWaySync = "two_way_sync" / "TWOWAYSYNC",
        JcAsAuthority = "jc_as_authority" / "JCASAUTHORITY",
        AdAsAuthority = "ad_as_authority" / "ADASAUTHORITY",
        @live
        /// Only seen in live state (`UNSET`).
        Unset = "unset" / "UNSET",
    }
}

words! {
    /// AD delegated authentication (API `delegationState`).
    pub enum Delegation {
        Enabled = "enabled" / "ENABLED",
        Disabled = "disabled" / "DISABLED",
        @live
        /// Only seen in live state (`PENDING`): not usable for logins.
        Pending = "pending" / "PENDING",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AdDomain {
    /// Normalised dotted form, lower case: `corp.example.com`.
    pub domain: String,
    pub use_case: Option<UseCase>,
    pub delegation: Option<Delegation>,
    pub groups_enabled: Option<bool>,
}

words! {
    /// `suspend | maintain` (M365 `userLockoutAction`, `userPasswordExpirationAction`); config
    /// and API spell it the same.
    pub enum M365Action {
        Suspend = "suspend" / "suspend",
        Maintain = "maintain" / "maintain",
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct M365Tenant {
    /// The tenant's JumpCloud id (24 hex digits); tenants are adopted, never created.
    pub id: String,
    pub name: Option<String>,
    pub groups_enabled: Option<bool>,
    pub default_domain: Option<String>,
    pub user_lockout_action: Option<M365Action>,
    pub user_password_expiration_action: Option<M365Action>,
    /// The domain the files say is (or is to be) federated to JumpCloud, and the SSO app that
    /// signs its users in. Not an API field: jcform cannot call Microsoft's side, it prints what
    /// must run there (`jcform federation`) and checks who could sign in (LCK010, LCK011).
    pub federation: Option<Federation>,
}

/// `federation: {domain, sso_app}` on an `m365_tenants` entry (seed 002: the last step,
/// `Set-MsolDomainAuthentication -Authentication Federated`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Federation {
    /// The M365 domain whose sign-ins Entra ID sends to JumpCloud, lower case.
    pub domain: String,
    /// The `sso_apps` key of the application that answers them.
    pub sso_app: String,
}

/// The JumpCloud catalogue name of the Microsoft 365 application (v1 `application.name`).
pub const OFFICE365_TEMPLATE: &str = "office365";

/// An SSO application (v1 `/applications`, schema `application`). `None`: not managed.
///
/// Config fields and the API fields they manage: `template` = `name` (the catalogue entry, set
/// when created, never changed), `display_label` = `displayLabel`, `domain` =
/// `config.idpEntityId.value` (the IdP Entity ID, which is also the issuer Microsoft checks),
/// `sp_entity_id` = `config.spEntityId.value`, `acs_url` = `config.acsUrl.value`, `sso_url` =
/// `ssoUrl` (the IdP login URL). `groups` are the v2 associations of type `user_group`
/// (`/applications/{id}/associations`); they are lowered into `Model::bindings` with
/// [`Directory::SsoApp`], so they diff and apply like every other binding.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SsoApp {
    pub template: String,
    pub display_label: Option<String>,
    /// The `m365_tenants` key the app signs in to (for `federation` and the rules; not an API
    /// field).
    pub tenant: Option<String>,
    pub domain: Option<String>,
    pub sp_entity_id: Option<String>,
    pub acs_url: Option<String>,
    pub sso_url: Option<String>,
    /// Group names assigned to the app. `None`: assignments not managed.
    pub groups: Option<BTreeSet<String>>,
}

impl SsoApp {
    /// The label the app is matched by in the org: `display_label`, else the config key.
    pub fn label<'a>(&'a self, key: &'a str) -> &'a str {
        self.display_label.as_deref().unwrap_or(key)
    }
}

/// A directory users and groups can be bound to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Directory {
    /// Config key (model) or remote id (live).
    AdDomain(String),
    /// Config key (model) or remote id (live).
    M365Tenant(String),
    /// An SSO application: config key (model) or remote id (live). Its "bindings" are the
    /// app's user and group assignments (v2 `/applications/{id}/associations`).
    SsoApp(String),
}

/// What is bound to a directory, or what a membership names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    /// Username (model) or remote id (live).
    User(String),
    /// Group name (model) or remote id (live).
    Group(String),
}

/// A direct association of a user or group with a directory.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Binding {
    pub directory: Directory,
    pub subject: Subject,
}

/// An accepted finding. Two waivers are equal when they say the same (rule, target, reason),
/// wherever they are written: `origin` is where, for reports, not what.
#[derive(Debug, Clone, Serialize)]
pub struct Waiver {
    pub rule: String,
    /// An address (`user.alice`) or `*`.
    pub target: String,
    pub reason: String,
    /// Where it is written, for "waiver matches nothing" reports.
    #[serde(skip)]
    pub origin: Option<crate::source::Span>,
}

impl PartialEq for Waiver {
    fn eq(&self, other: &Self) -> bool {
        (&self.rule, &self.target, &self.reason) == (&other.rule, &other.target, &other.reason)
    }
}

/// Normalises an AD domain to lower-case dotted form: `DC=corp;DC=example;DC=com` and
/// `corp.example.com` both give `corp.example.com`.
pub fn normalize_ad_domain(domain: &str) -> String {
    let trimmed = domain.trim();
    if trimmed.to_ascii_uppercase().starts_with("DC=") {
        trimmed
            .split([';', ','])
            .filter_map(|part| {
                let part = part.trim();
                let (key, value) = part.split_once('=')?;
                key.trim()
                    .eq_ignore_ascii_case("DC")
                    .then(|| value.trim().to_lowercase())
            })
            .collect::<Vec<_>>()
            .join(".")
    } else {
        trimmed.trim_end_matches('.').to_lowercase()
    }
}

/// The key under which two spellings of one DNS domain compare equal: IDNA (UTS #46) ASCII
/// form, lower case, without a trailing dot. `Müller.Example`, `müller.example.` and
/// `xn--mller-kva.example` all give `xn--mller-kva.example`. Compare domains with this, never
/// as written: the API and admins use both the Unicode and the punycode spelling. A name the
/// IDNA rules refuse is compared in lower case as written. The result is for comparing only;
/// write what the files say.
pub fn domain_key(domain: &str) -> String {
    let trimmed = domain.trim().trim_end_matches('.');
    match idna::domain_to_ascii(trimmed) {
        Ok(ascii) if !ascii.is_empty() => ascii,
        _ => trimmed.to_lowercase(),
    }
}

/// `domain_key` of an AD domain written either way (`corp.example.com` or
/// `DC=corp;DC=example;DC=com`).
pub fn ad_domain_key(domain: &str) -> String {
    domain_key(&normalize_ad_domain(domain))
}

/// The key under which two emails name the same mailbox for JumpCloud: the local part in lower
/// case (JumpCloud compares emails case-insensitively) and the domain as `domain_key`.
/// `Alex@Example.com` and `alex@example.com` give the same key, and so do
/// `ana@müller.example` and `ana@xn--mller-kva.example`. For comparing only.
pub fn email_key(email: &str) -> String {
    let email = email.trim();
    match email.rsplit_once('@') {
        Some((local, domain)) => format!("{}@{}", local.to_lowercase(), domain_key(domain)),
        None => email.to_lowercase(),
    }
}

/// [`email_key`] without a copy when the email already is its own key: ASCII with no capital
/// letter, no space around it and no trailing dot, where lower-casing and the IDNA ASCII form
/// change nothing (a test checks this against `email_key`). Most emails are; matching reads
/// every live user's.
pub fn email_key_cow(email: &str) -> Cow<'_, str> {
    let plain = email
        .bytes()
        .all(|b| b.is_ascii_graphic() && !b.is_ascii_uppercase());
    if plain && !email.ends_with('.') && !email.contains("xn--") {
        Cow::Borrowed(email)
    } else {
        Cow::Owned(email_key(email))
    }
}

/// The API's DN form of a dotted domain: `corp.example.com` -> `DC=corp;DC=example;DC=com`.
pub fn ad_domain_to_dn(domain: &str) -> String {
    normalize_ad_domain(domain)
        .split('.')
        .map(|label| format!("DC={label}"))
        .collect::<Vec<_>>()
        .join(";")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_the_named_fields_in_table_order() {
        let mut attrs = UserAttrs::default();
        for (name, _) in USER_TEXT_FIELDS {
            *attrs.text_slot(name).expect("a text field") = Some(name.to_string());
        }
        let names: Vec<Option<&str>> = attrs.texts().iter().map(|t| t.as_deref()).collect();
        let table: Vec<Option<&str>> = USER_TEXT_FIELDS.iter().map(|(n, _)| Some(*n)).collect();
        assert_eq!(names, table);
    }

    proptest::proptest! {
        /// The borrowed fast path of `email_key_cow` is only taken where `email_key` would
        /// give the email back unchanged: mostly ASCII, with capitals, spaces, dots and
        /// punycode labels thrown in.
        #[test]
        fn email_key_cow_is_email_key(email in "[a-zA-Z0-9 ._@+!%-]{0,12}(xn--[a-z0-9-]{0,6})?[a-z.@é]{0,4}") {
            proptest::prop_assert_eq!(email_key_cow(&email).into_owned(), email_key(&email));
        }
    }

    #[test]
    fn email_keys_of_unicode_and_punycode_domains_are_one() {
        for email in [
            "x@bücher.example",
            "X@xn--bcher-kva.example",
            " x@Bücher.Example. ",
        ] {
            assert_eq!(email_key_cow(email), "x@xn--bcher-kva.example", "{email}");
        }
        assert!(matches!(email_key_cow("ana@example.com"), Cow::Borrowed(_)));
    }

    #[test]
    fn ad_domains_normalise_both_ways() {
        assert_eq!(
            normalize_ad_domain("DC=corp;DC=example;DC=com"),
            "corp.example.com"
        );
        assert_eq!(
            normalize_ad_domain("dc=Corp, dc=Example, dc=com"),
            "corp.example.com"
        );
        assert_eq!(normalize_ad_domain("Corp.Example.com."), "corp.example.com");
        assert_eq!(
            ad_domain_to_dn("corp.example.com"),
            "DC=corp;DC=example;DC=com"
        );
    }

    #[test]
    fn unicode_and_punycode_domains_are_one_domain() {
        assert_eq!(domain_key("müller.example"), "xn--mller-kva.example");
        assert_eq!(
            domain_key("XN--MLLER-KVA.example."),
            "xn--mller-kva.example"
        );
        assert_eq!(
            domain_key("Müller.Example"),
            domain_key("xn--mller-kva.example")
        );
        assert_eq!(
            ad_domain_key("DC=müller;DC=example"),
            ad_domain_key("xn--mller-kva.example")
        );
        assert_eq!(
            email_key("Ana@Müller.example"),
            email_key("ana@xn--mller-kva.EXAMPLE")
        );
        assert_ne!(email_key("ana@example.com"), email_key("anna@example.com"));
        // Not a domain IDNA accepts: compared as written, in lower case.
        assert_eq!(domain_key("a..b"), "a..b");
    }

    #[test]
    fn every_user_text_field_has_a_slot_and_only_those() {
        let mut attrs = UserAttrs::default();
        for (name, _) in USER_TEXT_FIELDS {
            *attrs.text_slot(name).expect(name) = Some(name.to_string());
        }
        for (name, _) in USER_TEXT_FIELDS {
            assert_eq!(attrs.text(name).map(String::as_str), Some(*name));
        }
        assert!(attrs.text_slot("username").is_none());
        assert!(attrs.text("state").is_none());
    }

    #[test]
    fn literal_secrets_never_print() {
        let s = SecretSource::Literal("hunter2".into());
        assert!(!format!("{s:?}").contains("hunter2"));
        assert!(!serde_json::to_string(&s).unwrap().contains("hunter2"));
    }
}

/// A loaded, validated config: the model, where each part is written, and the sources.
#[derive(Debug, Clone)]
pub struct Config {
    pub sources: crate::source::Sources,
    pub model: Model,
    pub origins: lower::Origins,
    /// sha256 over every file's name and bytes, for plan files.
    pub hash: String,
    /// Warnings about the files (entries the directory walk skipped); shown, never fatal.
    pub warnings: Vec<crate::diag::Diagnostic>,
}

/// Why a config could not be loaded.
#[derive(Debug)]
pub enum ConfigError {
    /// The path itself is unusable (no such file, unreadable).
    Load(crate::config::LoadError),
    /// The files have errors; each is a diagnostic with its place.
    Invalid {
        sources: crate::source::Sources,
        diagnostics: Vec<crate::diag::Diagnostic>,
    },
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Load(e) => e.fmt(f),
            ConfigError::Invalid { diagnostics, .. } => {
                write!(f, "the config has {} error(s)", diagnostics.len())
            }
        }
    }
}

impl std::error::Error for ConfigError {}

/// Reads, parses and validates a config file or directory, collecting every error.
pub fn load(path: &std::path::Path) -> Result<Config, ConfigError> {
    let loaded = crate::config::load(path).map_err(ConfigError::Load)?;
    from_loaded(loaded)
}

/// Validates files already read and parsed (`config::load`, `config::parse_bytes` for inputs
/// held in memory, or a base merged with overlays by `orgs::overlay`). The hash covers every
/// source, overlays included. Diagnostics come sorted, without repeats, at most
/// `diag::MAX_DIAGNOSTICS` of them.
pub fn from_loaded(loaded: crate::config::Loaded) -> Result<Config, ConfigError> {
    use sha2::Digest;
    let (model, origins, lower_diags) = lower::lower(&loaded.files, &loaded.sources);
    let mut diagnostics = loaded.diagnostics;
    diagnostics.extend(lower_diags);
    crate::diag::tidy(&mut diagnostics);
    if diagnostics
        .iter()
        .any(|d| d.severity == crate::diag::Severity::Error)
    {
        return Err(ConfigError::Invalid {
            sources: loaded.sources,
            diagnostics,
        });
    }
    let mut hasher = sha2::Sha256::new();
    for (_, file) in loaded.sources.iter() {
        // Relative to the config root, so the hash (and a saved plan) does not depend on where
        // jcform runs or how the path is spelled (`cfg`, `./cfg`, `/abs/cfg`).
        let relative = file
            .path
            .strip_prefix(&loaded.root)
            .ok()
            .filter(|r| !r.as_os_str().is_empty())
            .or_else(|| file.path.file_name().map(std::path::Path::new))
            .unwrap_or(&file.path);
        hasher.update(relative.to_string_lossy().as_bytes());
        hasher.update([0]);
        hasher.update(file.text.as_bytes());
        hasher.update([0]);
    }
    let hash = format!("{:x}", hasher.finalize());
    Ok(Config {
        sources: loaded.sources,
        model,
        origins,
        hash,
        warnings: diagnostics,
    })
}

impl Model {
    /// Counts per kind, for summaries: (kind, count) in a fixed order.
    pub fn counts(&self) -> Vec<(&'static str, usize)> {
        let memberships = self
            .groups
            .values()
            .map(|g| g.members.as_ref().map_or(0, BTreeSet::len))
            .sum();
        vec![
            ("users", self.users.len()),
            ("groups", self.groups.len()),
            ("memberships", memberships),
            ("ad_domains", self.ad_domains.len()),
            ("m365_tenants", self.m365_tenants.len()),
            ("sso_apps", self.sso_apps.len()),
            ("bindings", self.bindings.len()),
            ("waivers", self.waivers.len()),
        ]
    }
}
