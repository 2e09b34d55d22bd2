//! What the org holds, read through the API (`jumpcloud::read`) and turned into model types.
//! Every object keeps its remote id; references between objects (delegated authority, members,
//! bindings) are by remote id.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Binding, Delegation, M365Action, UseCase, UserAttrs};

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LiveState {
    /// Keyed by remote id.
    pub users: BTreeMap<String, LiveUser>,
    /// Keyed by remote id.
    pub groups: BTreeMap<String, LiveGroup>,
    /// Keyed by remote id.
    pub ad_domains: BTreeMap<String, LiveAdDomain>,
    /// Keyed by remote id.
    pub m365_tenants: BTreeMap<String, LiveM365Tenant>,
    /// SSO applications (v1 `/applications`), keyed by remote id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub sso_apps: BTreeMap<String, LiveSsoApp>,
    /// Direct bindings (association edges) by remote ids: user or group <-> AD domain or tenant.
    pub bindings: BTreeSet<Binding>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LiveUser {
    pub id: String,
    pub username: String,
    /// Every managed field as the org has it (`None` = unset). `state` is always set. Shared
    /// with the org state the lint rules see (`plan::state::StateUser`), which would otherwise
    /// copy every user's texts (issue 13); [`LiveUser::attrs_mut`] copies on write.
    pub attrs: std::sync::Arc<UserAttrs>,
    /// `password_date` is set: the user has a JumpCloud password.
    pub password_set: bool,
    /// The remote id of the AD domain in `delegatedAuthority`, if any.
    pub delegated_authority: Option<String>,
    /// `restrictedFields` entry for `password`: who owns the password
    /// (`active_directory`, `scim`, `federated_identity_provider`) and the integration id.
    pub password_authority: Option<PasswordAuthority>,
    /// Raw fingerprint input: the object exactly as read, for plan files (kept as compact JSON
    /// text: an org's users as parsed values cost ten times their text, issue 13).
    #[serde(skip)]
    pub raw: RawJson,
}

impl LiveUser {
    /// The fields, to change: copied first if the state before a plan shares them.
    pub fn attrs_mut(&mut self) -> &mut UserAttrs {
        std::sync::Arc::make_mut(&mut self.attrs)
    }
}

/// A JSON value kept as its compact text, parsed again only when needed (snapshots, plan
/// fingerprints). `RawJson::default()` is JSON `null`: nothing was kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawJson(Option<Box<str>>);

impl RawJson {
    /// Whether nothing was kept (`null`).
    pub fn is_null(&self) -> bool {
        self.0.is_none()
    }

    /// Keeps `text`, which must be one JSON value (a row as the API sent it).
    pub fn from_text(text: &str) -> RawJson {
        RawJson(Some(text.into()))
    }

    /// The value again.
    pub fn to_value(&self) -> serde_json::Value {
        self.0
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or(serde_json::Value::Null)
    }
}

/// Writes the kept value as the serializer formats it (pretty, for state files), straight from its
/// text: no `serde_json::Value` is built (at 100,000 users those cost a third of a snapshot's CPU,
/// issue 13). The same output as serializing [`RawJson::to_value`], keys in their order
/// (`preserve_order`), except that a key the text repeats is written each time, as it was read.
impl Serialize for RawJson {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let Some(text) = self.0.as_deref() else {
            return serializer.serialize_unit();
        };
        let mut de = serde_json::Deserializer::from_str(text);
        serde_transcode::transcode(&mut de, serializer)
    }
}

impl From<&serde_json::Value> for RawJson {
    fn from(value: &serde_json::Value) -> RawJson {
        match value {
            serde_json::Value::Null => RawJson(None),
            other => RawJson(Some(other.to_string().into_boxed_str())),
        }
    }
}

impl From<serde_json::Value> for RawJson {
    fn from(value: serde_json::Value) -> RawJson {
        RawJson::from(&value)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PasswordAuthority {
    pub kind: String,
    pub id: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MembershipMethod {
    Static,
    DynamicReviewRequired,
    DynamicAutomated,
    NotSet,
}

impl MembershipMethod {
    pub fn from_api(s: &str) -> Self {
        match s {
            "DYNAMIC_REVIEW_REQUIRED" => MembershipMethod::DynamicReviewRequired,
            "DYNAMIC_AUTOMATED" => MembershipMethod::DynamicAutomated,
            "STATIC" => MembershipMethod::Static,
            _ => MembershipMethod::NotSet,
        }
    }

    pub fn is_dynamic(self) -> bool {
        matches!(
            self,
            MembershipMethod::DynamicReviewRequired | MembershipMethod::DynamicAutomated
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveGroup {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub membership_method: MembershipMethod,
    /// The dynamic rule (`memberQuery`), as read.
    pub member_query: Option<serde_json::Value>,
    /// Remote ids of the direct members.
    pub members: BTreeSet<String>,
    #[serde(skip)]
    pub raw: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AdAgent {
    pub id: String,
    /// `IMPORT` or `SYNC`.
    pub agent_type: String,
    /// `unsealed`, `active` or `inactive`.
    pub state: Option<String>,
    /// The host role the agent reports (v2 `active-directory-agent-list.hostType`):
    /// `DOMAIN_CONTROLLER` or `MEMBER_SERVER`, or null. See [`AdAgent::host_role`].
    pub host_type: Option<String>,
    pub hostname: Option<String>,
    pub version: Option<String>,
}

impl AdAgent {
    pub fn is_import(&self) -> bool {
        self.agent_type.eq_ignore_ascii_case("IMPORT")
    }

    /// Runs on a domain controller (and so can see password changes).
    pub fn on_domain_controller(&self) -> bool {
        self.host_role() == Some(HostRole::DomainController)
    }

    /// Runs on a member server (passwords never reach JumpCloud through it).
    pub fn on_member_server(&self) -> bool {
        self.host_role() == Some(HostRole::MemberServer)
    }

    /// The agent's host role. The v2 spec (`active-directory-agent-list`) spells it
    /// `DOMAIN_CONTROLLER` or `MEMBER_SERVER`; the short forms `DC` and `MEMBER` (older state
    /// files) are accepted too, in any case. `None` when the API sends null or an unknown word:
    /// nothing is claimed about such an agent.
    pub fn host_role(&self) -> Option<HostRole> {
        let h = self.host_type.as_deref()?.trim().to_ascii_uppercase();
        match h.as_str() {
            "DOMAIN_CONTROLLER" | "DC" => Some(HostRole::DomainController),
            "MEMBER_SERVER" | "MEMBER" => Some(HostRole::MemberServer),
            _ => None,
        }
    }

    /// The agent's version as (major, minor, patch), from `3.1.0`, `v2.6`, `3.0.0.1234`; `None`
    /// when it is not reported or does not start with a number.
    pub fn version_number(&self) -> Option<(u64, u64, u64)> {
        parse_version(self.version.as_deref()?)
    }
}

/// Where an AD agent runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HostRole {
    DomainController,
    MemberServer,
}

/// `3.1.0` -> (3, 1, 0); a leading `v` is allowed, missing parts are 0, anything after the
/// third number is ignored. `None` when the text does not start with a number.
pub fn parse_version(text: &str) -> Option<(u64, u64, u64)> {
    let t = text.trim();
    let t = t.strip_prefix(['v', 'V']).unwrap_or(t);
    let mut parts = t.split('.').map(|p| {
        let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
        digits.parse::<u64>().ok()
    });
    let major = parts.next()??;
    let minor = parts.next().flatten().unwrap_or(0);
    let patch = parts.next().flatten().unwrap_or(0);
    Some((major, minor, patch))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveAdDomain {
    pub id: String,
    /// Normalised dotted form (`corp.example.com`).
    pub domain: String,
    /// As the API spells it (`DC=corp;DC=example;DC=com`).
    pub api_domain: String,
    pub use_case: UseCase,
    pub delegation: Delegation,
    pub groups_enabled: bool,
    pub agents: Vec<AdAgent>,
    /// The id of the primary import agent (v2 `active-directory.primaryImportAgent`, read-only),
    /// when the API names one. Delegated authentication needs it at v3.0 or higher (LCK008).
    pub primary_import_agent: Option<String>,
    #[serde(skip)]
    pub raw: serde_json::Value,
}

impl LiveAdDomain {
    /// The primary import agent, when the API names one that is in the agent list.
    pub fn primary_import(&self) -> Option<&AdAgent> {
        let id = self.primary_import_agent.as_deref()?;
        self.agents.iter().find(|a| a.id == id && a.is_import())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct M365Domain {
    pub object_id: String,
    pub domain: String,
    pub default: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LiveM365Tenant {
    pub id: String,
    pub name: Option<String>,
    pub groups_enabled: bool,
    /// The default domain's name, if one is set.
    pub default_domain: Option<String>,
    pub user_lockout_action: Option<M365Action>,
    pub user_password_expiration_action: Option<M365Action>,
    pub domains: Vec<M365Domain>,
    #[serde(skip)]
    pub raw: serde_json::Value,
}

/// A v1 `application` as jcform reads it (`GET /applications`). Only public values are kept:
/// `config.idpPrivateKey` is never read into it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct LiveSsoApp {
    pub id: String,
    /// The catalogue name (`name`, e.g. `office365`).
    pub template: String,
    pub display_label: Option<String>,
    /// `config.idpEntityId.value`.
    pub idp_entity_id: Option<String>,
    /// `config.spEntityId.value`.
    pub sp_entity_id: Option<String>,
    /// `config.acsUrl.value`.
    pub acs_url: Option<String>,
    /// `ssoUrl`: the IdP login URL.
    pub sso_url: Option<String>,
    /// `config.idpCertificate.value`: the public SAML signing certificate (PEM).
    pub idp_certificate: Option<String>,
    /// The object exactly as read, for the full-replace PUT (`applications_put`).
    #[serde(skip)]
    pub raw: serde_json::Value,
}

impl LiveState {
    pub fn user_by_name(&self, username: &str) -> Option<&LiveUser> {
        self.users.values().find(|u| u.username == username)
    }

    pub fn group_by_name(&self, name: &str) -> Option<&LiveGroup> {
        self.groups.values().find(|g| g.name == name)
    }

    /// The AD instance whose normalised domain is `domain` (already normalised).
    pub fn ad_by_domain(&self, domain: &str) -> Option<&LiveAdDomain> {
        self.ad_domains.values().find(|d| d.domain == domain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(host: Option<&str>) -> AdAgent {
        AdAgent {
            id: "ag1".into(),
            agent_type: "IMPORT".into(),
            state: None,
            host_type: host.map(str::to_string),
            hostname: None,
            version: None,
        }
    }

    #[test]
    fn host_roles_in_the_api_spelling_and_the_short_one() {
        // (hostType as sent, role): the v2 spec says DOMAIN_CONTROLLER or MEMBER_SERVER.
        let cases = [
            (Some("DOMAIN_CONTROLLER"), Some(HostRole::DomainController)),
            (Some("domain_controller"), Some(HostRole::DomainController)),
            (Some("DC"), Some(HostRole::DomainController)),
            (Some("MEMBER_SERVER"), Some(HostRole::MemberServer)),
            (Some("MEMBER"), Some(HostRole::MemberServer)),
            (Some("WORKSTATION"), None),
            (None, None),
        ];
        for (host, role) in cases {
            assert_eq!(agent(host).host_role(), role, "{host:?}");
        }
        assert!(agent(Some("DOMAIN_CONTROLLER")).on_domain_controller());
        assert!(
            !agent(None).on_member_server(),
            "unknown is not a member server"
        );
    }

    #[test]
    fn versions() {
        let cases = [
            ("3.1.0", Some((3, 1, 0))),
            ("v2.6", Some((2, 6, 0))),
            ("3.0.0.1234", Some((3, 0, 0))),
            ("3", Some((3, 0, 0))),
            ("3.1.0-beta", Some((3, 1, 0))),
            ("unknown", None),
            ("", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_version(text), want, "{text}");
        }
    }
}
