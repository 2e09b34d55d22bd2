//! Builders for models and live states in tests (unit tests of diff, the org states and every rule, and
//! the integration tests). Plain data: no server, no files. Hidden from the docs because it is
//! not part of the tool; public because integration tests cannot see `cfg(test)` items.
#![doc(hidden)]

use crate::model::live::{
    AdAgent, LiveAdDomain, LiveGroup, LiveM365Tenant, LiveState, LiveUser, M365Domain,
    MembershipMethod,
};
use crate::model::{
    AdDomain, Binding, DelegatedAuthority, Delegation, Directory, Group, M365Tenant, Model,
    SecretSource, Subject, UseCase, User, UserAttrs, UserState,
};

pub fn ad(key: &str) -> Directory {
    Directory::AdDomain(key.into())
}

pub fn m365(key: &str) -> Directory {
    Directory::M365Tenant(key.into())
}

pub fn sso(key: &str) -> Directory {
    Directory::SsoApp(key.into())
}

pub fn su(name: &str) -> Subject {
    Subject::User(name.into())
}

pub fn sg(name: &str) -> Subject {
    Subject::Group(name.into())
}

pub fn bind(directory: Directory, subject: Subject) -> Binding {
    Binding { directory, subject }
}

/// A declared user with an email and nothing else.
pub fn user(name: &str) -> User {
    User {
        attrs: UserAttrs {
            email: Some(format!("{name}@example.com")),
            ..UserAttrs::default()
        },
        ..User::default()
    }
}

/// A declared user delegating to AD domain `key`.
pub fn delegated(name: &str, key: &str) -> User {
    User {
        delegated_authority: Some(DelegatedAuthority::Ad(key.into())),
        ..user(name)
    }
}

pub fn with_password(mut u: User, password: &str) -> User {
    u.initial_password = Some(SecretSource::Literal(password.into()));
    u
}

/// A model builder.
#[derive(Debug, Clone, Default)]
pub struct Files {
    pub model: Model,
}

impl Files {
    pub fn new() -> Files {
        Files::default()
    }

    pub fn user(mut self, name: &str, user: User) -> Self {
        self.model.users.insert(name.into(), user);
        self
    }

    pub fn group(mut self, name: &str, members: Option<&[&str]>) -> Self {
        let group = Group {
            description: None,
            members: members.map(|m| m.iter().map(|s| s.to_string()).collect()),
        };
        self.model.groups.insert(name.into(), group);
        self
    }

    pub fn ad(mut self, key: &str, domain: &str, delegation: Option<Delegation>) -> Self {
        let d = AdDomain {
            domain: domain.into(),
            delegation,
            ..AdDomain::default()
        };
        self.model.ad_domains.insert(key.into(), d);
        self
    }

    /// Changes a declared AD domain already added.
    pub fn ad_edit(mut self, key: &str, f: impl FnOnce(&mut AdDomain)) -> Self {
        if let Some(d) = self.model.ad_domains.get_mut(key) {
            f(d);
        }
        self
    }

    pub fn tenant(mut self, key: &str, id: &str) -> Self {
        let t = M365Tenant {
            id: id.into(),
            ..M365Tenant::default()
        };
        self.model.m365_tenants.insert(key.into(), t);
        self
    }

    pub fn bind(mut self, directory: Directory, subject: Subject) -> Self {
        self.model.bindings.insert(bind(directory, subject));
        self
    }

    /// A Microsoft 365 SSO app for `tenant` (its assignments: `bind(sso(key), ...)`).
    pub fn sso_app(mut self, key: &str, tenant: &str) -> Self {
        let app = crate::model::SsoApp {
            template: crate::model::OFFICE365_TEMPLATE.into(),
            tenant: Some(tenant.into()),
            ..crate::model::SsoApp::default()
        };
        self.model.sso_apps.insert(key.into(), app);
        self
    }

    /// Declares `domain` of `tenant` federated to JumpCloud through `app`.
    pub fn federate(mut self, tenant: &str, domain: &str, app: &str) -> Self {
        if let Some(t) = self.model.m365_tenants.get_mut(tenant) {
            t.federation = Some(crate::model::Federation {
                domain: domain.into(),
                sso_app: app.into(),
            });
        }
        self
    }

    pub fn build(self) -> Model {
        self.model
    }
}

/// A live-state builder: ids are given by the test, so they read well in assertions.
#[derive(Debug, Clone, Default)]
pub struct Org {
    pub live: LiveState,
}

impl Org {
    pub fn new() -> Org {
        Org::default()
    }

    /// An active user with a JumpCloud password and the email `username@example.com`.
    pub fn user(self, id: &str, username: &str) -> Self {
        self.user_with(id, username, |_| {})
    }

    pub fn user_with(mut self, id: &str, username: &str, f: impl FnOnce(&mut LiveUser)) -> Self {
        let mut u = LiveUser {
            id: id.into(),
            username: username.into(),
            attrs: std::sync::Arc::new(UserAttrs {
                email: Some(format!("{username}@example.com")),
                state: Some(UserState::Active),
                ..UserAttrs::default()
            }),
            password_set: true,
            ..LiveUser::default()
        };
        f(&mut u);
        self.live.users.insert(id.into(), u);
        self
    }

    fn add_group(mut self, id: &str, name: &str, members: &[&str], m: MembershipMethod) -> Self {
        let g = LiveGroup {
            id: id.into(),
            name: name.into(),
            description: None,
            membership_method: m,
            member_query: None,
            members: members.iter().map(|s| s.to_string()).collect(),
            raw: serde_json::Value::Null,
        };
        self.live.groups.insert(id.into(), g);
        self
    }

    /// A static group; `members` are user ids.
    pub fn group(self, id: &str, name: &str, members: &[&str]) -> Self {
        self.add_group(id, name, members, MembershipMethod::Static)
    }

    pub fn dynamic_group(self, id: &str, name: &str, members: &[&str]) -> Self {
        self.add_group(id, name, members, MembershipMethod::DynamicAutomated)
    }

    /// An AD domain with one import agent on a domain controller.
    pub fn ad(self, id: &str, domain: &str, delegation: Delegation) -> Self {
        self.ad_with(id, domain, delegation, &["DOMAIN_CONTROLLER"])
    }

    /// An AD domain with one import agent per host type (the API's `DOMAIN_CONTROLLER` or
    /// `MEMBER_SERVER`, or a short form), version unknown.
    pub fn ad_with(self, id: &str, domain: &str, delegation: Delegation, hosts: &[&str]) -> Self {
        let agents: Vec<(&str, Option<&str>)> = hosts.iter().map(|h| (*h, None)).collect();
        self.ad_agents(id, domain, delegation, &agents)
    }

    /// An AD domain with one import agent per (host type, version); the first is the primary
    /// import agent. Agent ids are `{id}-agent{i}`.
    pub fn ad_agents(
        mut self,
        id: &str,
        domain: &str,
        delegation: Delegation,
        agents: &[(&str, Option<&str>)],
    ) -> Self {
        let agents: Vec<AdAgent> = agents
            .iter()
            .enumerate()
            .map(|(i, (h, v))| AdAgent {
                id: format!("{id}-agent{i}"),
                agent_type: "IMPORT".into(),
                state: Some("active".into()),
                host_type: Some(h.to_string()),
                hostname: None,
                version: v.map(str::to_string),
            })
            .collect();
        let d = LiveAdDomain {
            id: id.into(),
            domain: domain.into(),
            api_domain: crate::model::ad_domain_to_dn(domain),
            use_case: UseCase::TwoWaySync,
            delegation,
            groups_enabled: false,
            primary_import_agent: agents.first().map(|a| a.id.clone()),
            agents,
            raw: serde_json::Value::Null,
        };
        self.live.ad_domains.insert(id.into(), d);
        self
    }

    /// Changes a live AD domain already added.
    pub fn ad_edit(mut self, id: &str, f: impl FnOnce(&mut LiveAdDomain)) -> Self {
        if let Some(d) = self.live.ad_domains.get_mut(id) {
            f(d);
        }
        self
    }

    pub fn tenant(mut self, id: &str, name: &str, domains: &[&str]) -> Self {
        let t = LiveM365Tenant {
            id: id.into(),
            name: Some(name.into()),
            groups_enabled: false,
            default_domain: domains.first().map(|d| d.to_string()),
            user_lockout_action: None,
            user_password_expiration_action: None,
            domains: domains
                .iter()
                .enumerate()
                .map(|(i, d)| M365Domain {
                    object_id: format!("{id}-d{i}"),
                    domain: d.to_string(),
                    default: i == 0,
                })
                .collect(),
            raw: serde_json::Value::Null,
        };
        self.live.m365_tenants.insert(id.into(), t);
        self
    }

    /// A direct binding by remote ids.
    /// A live SSO app (`config.idpEntityId` = `domain`) with the sandbox's certificate.
    pub fn sso_app(mut self, id: &str, template: &str, label: &str, domain: &str) -> Self {
        let app = crate::model::live::LiveSsoApp {
            id: id.into(),
            template: template.into(),
            display_label: Some(label.into()),
            idp_entity_id: Some(domain.into()),
            idp_certificate: Some(crate::emulator::SANDBOX_IDP_CERTIFICATE.into()),
            ..crate::model::live::LiveSsoApp::default()
        };
        self.live.sso_apps.insert(id.into(), app);
        self
    }

    pub fn bind(mut self, directory: Directory, subject: Subject) -> Self {
        self.live.bindings.insert(bind(directory, subject));
        self
    }

    pub fn build(self) -> LiveState {
        self.live
    }
}
