//! Wire <-> model: the one place that knows both the API's JSON and jcform's model.
//!
//! Reading: the API returns `""` for text fields nobody set (and sometimes `null`, or leaves
//! them out); all three become `None`, so "unset" has one spelling in `LiveState`.
//! Writing: only fields the model manages (`Some`) go into a body; the API leaves the others
//! alone on PUT/PATCH.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::wire::{
    ActiveDirectory, AdAgent as WireAgent, Application, Fetched, GraphConnection, Office365,
    Office365Domain, SystemUser, UserGroup,
};
use crate::model::live::{
    AdAgent, LiveAdDomain, LiveGroup, LiveM365Tenant, LiveSsoApp, LiveUser, M365Domain,
    MembershipMethod, PasswordAuthority, RawJson,
};
use crate::model::{
    normalize_ad_domain, AdDomain, Binding, Delegation, Directory, GraphKind, M365Action,
    M365Tenant, Subject, UseCase, UserAttrs, UserState, USER_TEXT_FIELDS,
};

/// The `delegatedAuthority.name` for AD (the only value the API defines).
const DELEGATED_AUTHORITY_AD: &str = "ActiveDirectory";

fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

// -------------------------------------------------------------------------------------------
// Wire -> model

/// The user's state. `state` is authoritative; old objects without it fall back to the
/// `suspended` / `activated` flags.
fn user_state(u: &SystemUser) -> UserState {
    if let Some(state) = u.state.as_deref().and_then(UserState::from_api) {
        return state;
    }
    if u.suspended == Some(true) {
        UserState::Suspended
    } else if u.activated == Some(false) {
        UserState::Staged
    } else {
        UserState::Active
    }
}

pub fn live_user(user: &Fetched<SystemUser>) -> LiveUser {
    live_user_from(&user.wire, RawJson::from(&user.raw))
}

/// [`live_user`] of a user read as text (`raw`: the row exactly as the API sent it), with no
/// `Value` built for it (issue 13).
pub fn live_user_from(u: &SystemUser, raw: RawJson) -> LiveUser {
    let mut attrs = UserAttrs::default();
    for (config_name, api_name) in USER_TEXT_FIELDS {
        if let Some(slot) = attrs.text_slot(config_name) {
            *slot = non_empty(u.text_field(api_name));
        }
    }
    attrs.password_never_expires = u.password_never_expires;
    attrs.state = Some(user_state(u));

    let delegated_authority = u
        .delegated_authority
        .as_ref()
        .and_then(|d| non_empty(d.id.as_deref()));
    let password_authority = u.restricted_fields.iter().flatten().find_map(|f| {
        (f.field.as_deref() == Some("password")).then(|| PasswordAuthority {
            kind: f.kind.clone().unwrap_or_default(),
            id: non_empty(f.id.as_deref()),
        })
    });

    LiveUser {
        id: u.id.clone(),
        username: u.username.clone(),
        attrs: attrs.into(),
        password_set: non_empty(u.password_date.as_deref()).is_some(),
        delegated_authority,
        password_authority,
        raw,
    }
}

/// [`live_user`] of a user read and no longer needed: its raw JSON is moved, not copied (issue
/// 13: a copy of every row's JSON doubled a read's memory).
pub fn into_live_user(mut user: Fetched<SystemUser>) -> LiveUser {
    let raw = std::mem::take(&mut user.raw);
    LiveUser {
        raw: RawJson::from(raw),
        ..live_user(&user)
    }
}

/// [`live_group`] of a group read and no longer needed: its raw JSON is moved, not copied.
pub fn into_live_group(mut group: Fetched<UserGroup>, members: BTreeSet<String>) -> LiveGroup {
    let raw = std::mem::take(&mut group.raw);
    LiveGroup {
        raw,
        ..live_group(&group, members)
    }
}

/// A group with its direct members (remote user ids, read separately).
pub fn live_group(group: &Fetched<UserGroup>, members: BTreeSet<String>) -> LiveGroup {
    let g = &group.wire;
    LiveGroup {
        id: g.id.clone(),
        name: g.name.clone(),
        description: non_empty(g.description.as_deref()),
        membership_method: MembershipMethod::from_api(g.membership_method.as_deref().unwrap_or("")),
        member_query: g.member_query.clone().filter(|q| !q.is_null()),
        members,
        raw: group.raw.clone(),
    }
}

pub fn ad_agent(agent: &WireAgent) -> AdAgent {
    AdAgent {
        id: agent.id.clone(),
        agent_type: agent.agent_type.clone().unwrap_or_default(),
        state: non_empty(agent.state.as_deref()),
        host_type: non_empty(agent.host_type.as_deref()),
        hostname: non_empty(agent.hostname.as_deref()),
        version: non_empty(agent.version.as_deref()),
    }
}

/// The agent as a state-file row (the fields `AdAgent` keeps, API spelling).
pub fn ad_agent_to_wire(agent: &AdAgent) -> Value {
    let mut map = Map::new();
    map.insert("id".into(), json!(agent.id));
    map.insert("agentType".into(), json!(agent.agent_type));
    let optional = [
        ("state", &agent.state),
        ("hostType", &agent.host_type),
        ("hostname", &agent.hostname),
        ("version", &agent.version),
    ];
    for (key, value) in optional {
        if let Some(v) = value {
            map.insert(key.into(), json!(v));
        }
    }
    Value::Object(map)
}

pub fn live_ad(ad: &Fetched<ActiveDirectory>, agents: &[Fetched<WireAgent>]) -> LiveAdDomain {
    let a = &ad.wire;
    LiveAdDomain {
        id: a.id.clone(),
        domain: normalize_ad_domain(&a.domain),
        api_domain: a.domain.clone(),
        use_case: a
            .use_case
            .as_deref()
            .and_then(UseCase::from_api)
            .unwrap_or(UseCase::Unset),
        // Missing means never turned on.
        delegation: a
            .delegation_state
            .as_deref()
            .and_then(Delegation::from_api)
            .unwrap_or(Delegation::Disabled),
        groups_enabled: a.groups_enabled.unwrap_or(false),
        agents: agents.iter().map(|f| ad_agent(&f.wire)).collect(),
        primary_import_agent: non_empty(a.primary_import_agent.as_deref()),
        raw: ad.raw.clone(),
    }
}

pub fn m365_domain(d: &Office365Domain) -> M365Domain {
    M365Domain {
        object_id: d.object_id.clone(),
        domain: d.domain.clone(),
        default: d.default,
    }
}

/// The domain as a state-file row (`{objectId, domain, default}`).
pub fn m365_domain_to_wire(d: &M365Domain) -> Value {
    json!({ "objectId": d.object_id, "domain": d.domain, "default": d.default })
}

pub fn live_m365(
    tenant: &Fetched<Office365>,
    domains: &[Fetched<Office365Domain>],
) -> LiveM365Tenant {
    let t = &tenant.wire;
    let domains: Vec<M365Domain> = domains.iter().map(|d| m365_domain(&d.wire)).collect();
    // `defaultDomain.domain` is read-only and may be missing; the domains list knows it too.
    let default_domain = t
        .default_domain
        .as_ref()
        .and_then(|d| {
            non_empty(d.domain.as_deref()).or_else(|| {
                let id = d.id.as_deref()?;
                domains
                    .iter()
                    .find(|x| x.object_id == id)
                    .map(|x| x.domain.clone())
            })
        })
        .or_else(|| domains.iter().find(|d| d.default).map(|d| d.domain.clone()));
    LiveM365Tenant {
        id: t.id.clone(),
        name: non_empty(t.name.as_deref()),
        groups_enabled: t.groups_enabled.unwrap_or(false),
        default_domain,
        user_lockout_action: t
            .user_lockout_action
            .as_deref()
            .and_then(M365Action::from_api),
        user_password_expiration_action: t
            .user_password_expiration_action
            .as_deref()
            .and_then(M365Action::from_api),
        domains,
        raw: tenant.raw.clone(),
    }
}

/// A v1 application as jcform's live view. Only public settings are read: never
/// `config.idpPrivateKey`.
pub fn live_sso_app(app: &Fetched<Application>) -> LiveSsoApp {
    let a = &app.wire;
    let value = |field: &str| non_empty(a.config_value(field));
    LiveSsoApp {
        id: a.id.clone(),
        template: a.name.clone(),
        display_label: non_empty(a.display_label.as_deref()),
        idp_entity_id: value("idpEntityId"),
        sp_entity_id: value("spEntityId"),
        acs_url: value("acsUrl"),
        sso_url: non_empty(a.sso_url.as_deref()),
        // A PEM keeps its line breaks: only the ends are trimmed.
        idp_certificate: value("idpCertificate"),
        raw: app.raw.clone(),
    }
}

/// The fields an SSO app create or update writes, as (config name, value): `display_label`,
/// `domain`, `sp_entity_id`, `acs_url`, `sso_url`. Used by [`sso_app_body`].
pub type SsoAppFields = Vec<(String, String)>;

/// The `application` body for `applications_post` (`base` = `{}`) or `applications_put`
/// (`base` = the app exactly as just read: the PUT is a full replace, "any fields not provided
/// will be reset", so every field jcform does not manage is sent back as read). `template` is
/// the catalogue `name`; `fields` as in [`SsoAppFields`]. A `config.<x>` entry keeps its other
/// keys (`label`, `type`, `position`, ...) and only `value` changes. `idpPrivateKey` is removed:
/// jcform never sends a key back (the API keeps the one it has).
pub fn sso_app_body(base: &Value, template: &str, fields: &[(String, String)]) -> Value {
    let mut body = match base {
        Value::Object(m) => m.clone(),
        _ => Map::new(),
    };
    body.insert("name".into(), Value::String(template.to_string()));
    let mut config = match body.remove("config") {
        Some(Value::Object(c)) => c,
        _ => Map::new(),
    };
    config.remove("idpPrivateKey");
    for (name, value) in fields {
        let api = match name.as_str() {
            "display_label" => {
                body.insert("displayLabel".into(), Value::String(value.clone()));
                continue;
            }
            "sso_url" => {
                body.insert("ssoUrl".into(), Value::String(value.clone()));
                continue;
            }
            "domain" => "idpEntityId",
            "sp_entity_id" => "spEntityId",
            "acs_url" => "acsUrl",
            _ => continue,
        };
        let entry = config
            .entry(api.to_string())
            .or_insert_with(|| json!({"type": "text"}));
        if !entry.is_object() {
            *entry = json!({"type": "text"});
        }
        if let Value::Object(e) = entry {
            e.insert("value".into(), Value::String(value.clone()));
        }
    }
    body.insert("config".into(), Value::Object(config));
    Value::Object(body)
}

/// A directory's association edge as a binding; `None` for edges to other object types.
pub fn binding(directory: &Directory, edge: &GraphConnection) -> Option<Binding> {
    let subject = Subject::of_kind(GraphKind::from_api(&edge.to.kind)?, edge.to.id.clone())?;
    Some(Binding {
        directory: directory.clone(),
        subject,
    })
}

/// A binding as a state-file association: `from` the subject `to` the directory.
pub fn binding_to_wire(binding: &Binding) -> Value {
    let (from_type, from_id) = (
        binding.subject.graph_kind().api_name(),
        binding.subject.id(),
    );
    let (to_type, to_id) = (
        binding.directory.graph_kind().api_name(),
        binding.directory.key(),
    );
    json!({ "from": { "type": from_type, "id": from_id }, "to": { "type": to_type, "id": to_id } })
}

/// A group membership as a state-file association (`user_group` -> `user`).
pub fn membership_to_wire(group_id: &str, user_id: &str) -> Value {
    let (group, user) = (GraphKind::Group.api_name(), GraphKind::User.api_name());
    json!({ "from": { "type": group, "id": group_id }, "to": { "type": user, "id": user_id } })
}

// -------------------------------------------------------------------------------------------
// Model -> wire

/// The managed profile fields of a user as a v1 body. `create` adds `username` and `state`
/// (the PUT schema cannot set `STAGED`; later state changes go through `/state/*`).
pub fn user_body(username: &str, attrs: &UserAttrs, create: bool) -> Value {
    let mut body = Map::new();
    if create {
        body.insert("username".into(), json!(username));
        if let Some(state) = attrs.state {
            body.insert("state".into(), json!(state.api_name()));
        }
    }
    for (config_name, api_name) in USER_TEXT_FIELDS {
        if let Some(value) = attrs.text(config_name) {
            body.insert((*api_name).into(), json!(value));
        }
    }
    if let Some(never) = attrs.password_never_expires {
        body.insert("password_never_expires".into(), json!(never));
    }
    Value::Object(body)
}

/// `delegatedAuthority` for a PUT: the AD's remote id, or `null` for "JumpCloud checks it".
pub fn delegated_authority_body(ad_id: Option<&str>) -> Value {
    match ad_id {
        Some(id) => json!({ "delegatedAuthority": { "name": DELEGATED_AUTHORITY_AD, "id": id } }),
        None => json!({ "delegatedAuthority": null }),
    }
}

/// A `UserGroupPost` / `UserGroupPut` body. PUT is a full update, so the caller passes the
/// description to keep when the model does not manage it.
pub fn group_body(name: &str, description: Option<&str>) -> Value {
    let mut body = Map::new();
    body.insert("name".into(), json!(name));
    if let Some(d) = description {
        body.insert("description".into(), json!(d));
    }
    Value::Object(body)
}

/// The managed AD fields (camelCase, as the schema says; not the snake_case of one sample).
/// Without `domain`: `Client::create_ad` adds it in DN form.
pub fn ad_fields(ad: &AdDomain) -> Value {
    let mut body = Map::new();
    if let Some(use_case) = ad.use_case {
        body.insert("useCase".into(), json!(use_case.api_name()));
    }
    if let Some(delegation) = ad.delegation {
        body.insert("delegationState".into(), json!(delegation.api_name()));
    }
    if let Some(groups) = ad.groups_enabled {
        body.insert("groupsEnabled".into(), json!(groups));
    }
    Value::Object(body)
}

/// A PATCH for the tenant's managed fields. `defaultDomain` is written by the domain's object
/// id, looked up in the live tenant's domains; an unknown domain is an error naming it.
pub fn m365_patch(desired: &M365Tenant, live: &LiveM365Tenant) -> Result<Value, String> {
    let mut body = Map::new();
    if let Some(name) = &desired.name {
        body.insert("name".into(), json!(name));
    }
    if let Some(groups) = desired.groups_enabled {
        body.insert("groupsEnabled".into(), json!(groups));
    }
    if let Some(domain) = &desired.default_domain {
        let found = live
            .domains
            .iter()
            .find(|d| d.domain.eq_ignore_ascii_case(domain))
            .ok_or_else(|| format!("tenant {} has no domain {domain:?}", live.id))?;
        body.insert("defaultDomain".into(), json!({ "id": found.object_id }));
    }
    if let Some(action) = desired.user_lockout_action {
        body.insert("userLockoutAction".into(), json!(action.api_name()));
    }
    if let Some(action) = desired.user_password_expiration_action {
        body.insert(
            "userPasswordExpirationAction".into(),
            json!(action.api_name()),
        );
    }
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_app_put_body_is_the_app_as_read_with_the_managed_fields_changed() {
        // `applications_put` is a full replace: everything not managed goes back as read,
        // `config.<x>` keeps its other keys, a private key is never sent.
        let raw = json!({
            "_id": "a1", "name": "office365", "displayLabel": "Old", "description": "kept",
            "ssoUrl": "https://sso.jumpcloud.com/saml2/office365", "sso": {"jit": true},
            "config": {
                "idpEntityId": {"type": "text", "label": "IdP Entity ID", "value": "old.example"},
                "idpCertificate": {"type": "file", "value": "PEM"},
                "idpPrivateKey": {"type": "file", "value": "SECRET"},
                "constantAttributes": {"value": [{"name": "a", "value": "b"}]}
            }
        });
        let fields = vec![
            ("display_label".to_string(), "New".to_string()),
            ("domain".to_string(), "new.example".to_string()),
            ("acs_url".to_string(), "https://acs".to_string()),
        ];
        let body = sso_app_body(&raw, "office365", &fields);
        let mut want = raw.clone();
        want["displayLabel"] = json!("New");
        want["config"]["idpEntityId"]["value"] = json!("new.example");
        want["config"]["acsUrl"] = json!({"type": "text", "value": "https://acs"});
        want["config"]
            .as_object_mut()
            .unwrap()
            .remove("idpPrivateKey");
        assert_eq!(body, want);
        assert!(!body.to_string().contains("SECRET"));
        // A read app becomes the live view: public values only.
        let live = live_sso_app(&Fetched {
            wire: serde_json::from_value(raw.clone()).unwrap(),
            raw,
        });
        assert_eq!(live.idp_entity_id.as_deref(), Some("old.example"));
        assert_eq!(live.idp_certificate.as_deref(), Some("PEM"));
        assert_eq!(live.display_label.as_deref(), Some("Old"));
    }
    use crate::jumpcloud::wire::GraphObject;

    fn fetched<T: serde::de::DeserializeOwned>(raw: Value) -> Fetched<T> {
        Fetched {
            wire: serde_json::from_value(raw.clone()).expect("test JSON decodes"),
            raw,
        }
    }

    #[test]
    fn user_from_wire() {
        let raw = json!({
            "_id": "5f0000000000000000000001", "username": "alice", "email": "alice@example.com",
            "firstname": "Alice", "lastname": "", "middlename": null, "jobTitle": "Engineer",
            "employeeIdentifier": "E1", "state": "SUSPENDED", "password_never_expires": true,
            "password_date": "2024-01-02T03:04:05Z",
            "delegatedAuthority": {"name": "ActiveDirectory", "id": "ad1"},
            "restrictedFields": [{"field": "email", "type": "scim", "id": "s1"},
                                 {"field": "password", "type": "active_directory", "id": "ad1"}],
            "mfa": {"configured": false}
        });
        let u = live_user(&fetched(raw.clone()));
        assert_eq!(u.id, "5f0000000000000000000001");
        assert_eq!(u.username, "alice");
        assert_eq!(u.attrs.email.as_deref(), Some("alice@example.com"));
        assert_eq!(u.attrs.lastname, None, "empty string is unset");
        assert_eq!(u.attrs.middlename, None);
        assert_eq!(u.attrs.job_title.as_deref(), Some("Engineer"));
        assert_eq!(u.attrs.employee_id.as_deref(), Some("E1"));
        assert_eq!(u.attrs.state, Some(UserState::Suspended));
        assert_eq!(u.attrs.password_never_expires, Some(true));
        assert!(u.password_set);
        assert_eq!(u.delegated_authority.as_deref(), Some("ad1"));
        assert_eq!(
            u.password_authority,
            Some(PasswordAuthority {
                kind: "active_directory".into(),
                id: Some("ad1".into())
            })
        );
        assert_eq!(u.raw, RawJson::from(&raw));
    }

    #[test]
    fn user_state_falls_back_to_flags_and_password_date_null_means_unset() {
        let staged = live_user(&fetched(
            json!({"_id": "u", "username": "u", "activated": false, "password_date": null}),
        ));
        assert_eq!(staged.attrs.state, Some(UserState::Staged));
        assert!(!staged.password_set);
        assert_eq!(staged.delegated_authority, None);
        let suspended = live_user(&fetched(
            json!({"_id": "u", "username": "u", "suspended": true}),
        ));
        assert_eq!(suspended.attrs.state, Some(UserState::Suspended));
        let active = live_user(&fetched(
            json!({"_id": "u", "username": "u", "state": "ACTIVATED", "delegatedAuthority": null}),
        ));
        assert_eq!(active.attrs.state, Some(UserState::Active));
    }

    #[test]
    fn user_body_round_trips_through_the_reader() {
        let attrs = UserAttrs {
            email: Some("bob@example.com".into()),
            cost_center: Some("CC1".into()),
            alternate_email: Some("b@alt.example".into()),
            password_never_expires: Some(false),
            state: Some(UserState::Staged),
            ..Default::default()
        };
        let body = user_body("bob", &attrs, true);
        assert_eq!(
            body,
            json!({"username": "bob", "state": "STAGED", "email": "bob@example.com",
                   "costCenter": "CC1", "alternateEmail": "b@alt.example",
                   "password_never_expires": false})
        );
        let mut raw = body.clone();
        raw["_id"] = json!("u1");
        assert_eq!(*live_user(&fetched(raw)).attrs, attrs);
        let update = user_body("bob", &attrs, false);
        assert!(update.get("username").is_none() && update.get("state").is_none());
    }

    #[test]
    fn delegated_authority_bodies() {
        assert_eq!(
            delegated_authority_body(Some("ad1")),
            json!({"delegatedAuthority": {"name": "ActiveDirectory", "id": "ad1"}})
        );
        assert_eq!(
            delegated_authority_body(None),
            json!({"delegatedAuthority": null})
        );
    }

    #[test]
    fn group_from_wire() {
        let raw = json!({"id": "g1", "name": "ops", "description": "", "type": "user_group",
                         "membershipMethod": "DYNAMIC_AUTOMATED",
                         "memberQuery": {"queryType": "FilterQuery", "filters": []}});
        let g = live_group(&fetched(raw), ["u1".to_string()].into());
        assert_eq!(g.name, "ops");
        assert_eq!(g.description, None);
        assert!(g.membership_method.is_dynamic());
        assert!(g.member_query.is_some());
        assert_eq!(g.members.len(), 1);
        let plain = live_group(
            &fetched(json!({"id": "g2", "name": "x", "memberQuery": null})),
            BTreeSet::new(),
        );
        assert_eq!(plain.membership_method, MembershipMethod::NotSet);
        assert_eq!(plain.member_query, None);
        assert_eq!(
            group_body("ops", Some("Ops")),
            json!({"name": "ops", "description": "Ops"})
        );
    }

    #[test]
    fn ad_from_wire_and_back() {
        // The API's spelling of the host role (v2 `active-directory-agent-list.hostType`).
        let agent: Fetched<WireAgent> = fetched(json!({"id": "ag1", "agentType": "IMPORT",
            "state": "active", "hostType": "DOMAIN_CONTROLLER", "hostname": "dc1", "version": "3.1",
            "source_ip": "10.0.0.1"}));
        let ad = live_ad(
            &fetched(json!({"id": "ad1", "domain": "DC=Corp;DC=Example;DC=com",
                            "useCase": "ADASAUTHORITY", "delegationState": "ENABLED", "groupsEnabled": true,
                            "primaryImportAgent": "ag1"})),
            std::slice::from_ref(&agent),
        );
        assert_eq!(ad.primary_import_agent.as_deref(), Some("ag1"));
        assert_eq!(
            ad.primary_import().map(|a| a.version.as_deref()),
            Some(Some("3.1"))
        );
        assert_eq!(ad.domain, "corp.example.com");
        assert_eq!(ad.api_domain, "DC=Corp;DC=Example;DC=com");
        assert_eq!(ad.use_case, UseCase::AdAsAuthority);
        assert_eq!(ad.delegation, Delegation::Enabled);
        assert!(ad.groups_enabled);
        assert!(ad.agents[0].is_import() && ad.agents[0].on_domain_controller());
        assert_eq!(
            ad_agent_to_wire(&ad.agents[0]),
            json!({"id": "ag1", "agentType": "IMPORT", "state": "active", "hostType": "DOMAIN_CONTROLLER",
                   "hostname": "dc1", "version": "3.1"})
        );
        let bare = live_ad(&fetched(json!({"id": "ad2", "domain": "x.example"})), &[]);
        assert_eq!(
            (bare.use_case, bare.delegation, bare.groups_enabled),
            (UseCase::Unset, Delegation::Disabled, false)
        );

        let desired = AdDomain {
            domain: "corp.example.com".into(),
            use_case: Some(UseCase::TwoWaySync),
            delegation: Some(Delegation::Disabled),
            groups_enabled: None,
        };
        assert_eq!(
            ad_fields(&desired),
            json!({"useCase": "TWOWAYSYNC", "delegationState": "DISABLED"})
        );
    }

    #[test]
    fn m365_from_wire_and_patch() {
        let domains: Vec<Fetched<Office365Domain>> = vec![
            fetched(json!({"objectId": "d1", "domain": "example.com", "default": false})),
            fetched(json!({"objectId": "d2", "domain": "example.org", "default": true})),
        ];
        let t = live_m365(
            &fetched(json!({"id": "o1", "name": "Tenant", "groupsEnabled": true,
                            "defaultDomain": {"id": "d2"}, "userLockoutAction": "maintain",
                            "userPasswordExpirationAction": "suspend"})),
            &domains,
        );
        assert_eq!(
            t.default_domain.as_deref(),
            Some("example.org"),
            "resolved through the domains list"
        );
        assert_eq!(t.user_lockout_action, Some(M365Action::Maintain));
        assert_eq!(t.user_password_expiration_action, Some(M365Action::Suspend));
        assert_eq!(
            m365_domain_to_wire(&t.domains[0]),
            json!({"objectId": "d1", "domain": "example.com", "default": false})
        );

        let no_default = live_m365(&fetched(json!({"id": "o2", "defaultDomain": {}})), &[]);
        assert_eq!(no_default.default_domain, None);
        assert!(!no_default.groups_enabled);

        let desired = M365Tenant {
            id: "o1".into(),
            default_domain: Some("EXAMPLE.com".into()),
            user_lockout_action: Some(M365Action::Suspend),
            ..Default::default()
        };
        assert_eq!(
            m365_patch(&desired, &t),
            Ok(json!({"defaultDomain": {"id": "d1"}, "userLockoutAction": "suspend"}))
        );
        let unknown = M365Tenant {
            default_domain: Some("nope.example".into()),
            ..desired
        };
        assert!(m365_patch(&unknown, &t).is_err());
    }

    #[test]
    fn bindings_from_edges_and_to_state_file() {
        let dir = Directory::AdDomain("ad1".into());
        let edge = |kind: &str| GraphConnection {
            to: GraphObject {
                id: "x1".into(),
                kind: kind.into(),
                attributes: None,
            },
            ..Default::default()
        };
        let b = binding(&dir, &edge("user_group")).expect("group edge");
        assert_eq!(b.subject, Subject::Group("x1".into()));
        assert_eq!(binding(&dir, &edge("system")), None);
        assert_eq!(
            binding_to_wire(&b),
            json!({"from": {"type": "user_group", "id": "x1"}, "to": {"type": "active_directory", "id": "ad1"}})
        );
        let m = Binding {
            directory: Directory::M365Tenant("o1".into()),
            subject: Subject::User("u1".into()),
        };
        assert_eq!(
            binding_to_wire(&m)["to"],
            json!({"type": "office_365", "id": "o1"})
        );
        assert_eq!(membership_to_wire("g1", "u1")["from"]["type"], "user_group");
    }
}
