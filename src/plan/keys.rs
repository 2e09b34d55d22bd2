//! Keys: which live object each config key names, and the other way round.
//!
//! The files name objects by JumpCloud name (username, group name) or by their own key (AD
//! domains, M365 tenants); the org names them by remote id. Everything that compares the two
//! (diff, the world, lint) goes through this one mapping so they never disagree.
//!
//! - users by username, groups by name;
//! - AD domains by normalised domain: a live domain the files declare takes that config key, an
//!   undeclared one its dotted domain (`ad_domain["corp.example.com"]`);
//! - M365 tenants by id: a declared one takes its config key, an undeclared one its name (or its
//!   id when it has no name).
//!
//! An undeclared object whose natural key is already taken by a declared one falls back to its
//! remote id, so two objects never share a key.

use std::collections::BTreeMap;

use crate::model::live::LiveState;
use crate::model::{Binding, Directory, Model, Subject};

/// A one-to-one mapping between remote ids and config keys for one kind.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyMap {
    by_id: BTreeMap<String, String>,
    by_key: BTreeMap<String, String>,
}

impl KeyMap {
    /// Records `id <-> key`, unless either side is taken (first come wins).
    fn insert(&mut self, id: &str, key: &str) -> bool {
        if self.by_id.contains_key(id) || self.by_key.contains_key(key) {
            return false;
        }
        self.by_id.insert(id.to_string(), key.to_string());
        self.by_key.insert(key.to_string(), id.to_string());
        true
    }

    /// Records `id <-> key`, or `id <-> id` when the key is taken.
    fn insert_or_id(&mut self, id: &str, key: &str) {
        if !self.insert(id, key) {
            self.insert(id, id);
        }
    }

    /// The config key of a remote id.
    pub fn key(&self, id: &str) -> Option<&str> {
        self.by_id.get(id).map(String::as_str)
    }

    /// The remote id of a config key.
    pub fn id(&self, key: &str) -> Option<&str> {
        self.by_key.get(key).map(String::as_str)
    }

    /// (remote id, key) pairs, by remote id.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.by_id.iter().map(|(i, k)| (i.as_str(), k.as_str()))
    }
}

/// Config keys of every live object.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keys {
    pub users: KeyMap,
    pub groups: KeyMap,
    pub ad_domains: KeyMap,
    pub m365_tenants: KeyMap,
}

impl Keys {
    pub fn new(model: &Model, live: &LiveState) -> Keys {
        let mut keys = Keys::default();
        for (id, u) in &live.users {
            keys.users.insert_or_id(id, &u.username);
        }
        for (id, g) in &live.groups {
            keys.groups.insert_or_id(id, &g.name);
        }

        // Declared keys first, so undeclared objects can never take them.
        let declared_ad: BTreeMap<&str, &str> = model
            .ad_domains
            .iter()
            .map(|(k, d)| (d.domain.as_str(), k.as_str()))
            .collect();
        for (id, d) in &live.ad_domains {
            if let Some(key) = declared_ad.get(d.domain.as_str()) {
                keys.ad_domains.insert(id, key);
            }
        }
        for (id, d) in &live.ad_domains {
            if keys.ad_domains.key(id).is_none() {
                // A declared key may equal this dotted domain only by accident; skip it.
                let key = if model.ad_domains.contains_key(&d.domain) {
                    id.as_str()
                } else {
                    d.domain.as_str()
                };
                keys.ad_domains.insert_or_id(id, key);
            }
        }

        for (key, t) in &model.m365_tenants {
            if live.m365_tenants.contains_key(&t.id) {
                keys.m365_tenants.insert(&t.id, key);
            }
        }
        for (id, t) in &live.m365_tenants {
            if keys.m365_tenants.key(id).is_none() {
                let name = t.name.as_deref().unwrap_or(id);
                let key = if model.m365_tenants.contains_key(name) {
                    id.as_str()
                } else {
                    name
                };
                keys.m365_tenants.insert_or_id(id, key);
            }
        }
        keys
    }

    /// A live directory (remote id) as a config-keyed directory.
    pub fn directory_key(&self, d: &Directory) -> Option<Directory> {
        Some(match d {
            Directory::AdDomain(id) => Directory::AdDomain(self.ad_domains.key(id)?.to_string()),
            Directory::M365Tenant(id) => {
                Directory::M365Tenant(self.m365_tenants.key(id)?.to_string())
            }
        })
    }

    /// A config-keyed directory as its remote id, when the org has it.
    pub fn directory_id(&self, d: &Directory) -> Option<Directory> {
        Some(match d {
            Directory::AdDomain(k) => Directory::AdDomain(self.ad_domains.id(k)?.to_string()),
            Directory::M365Tenant(k) => Directory::M365Tenant(self.m365_tenants.id(k)?.to_string()),
        })
    }

    pub fn subject_key(&self, s: &Subject) -> Option<Subject> {
        Some(match s {
            Subject::User(id) => Subject::User(self.users.key(id)?.to_string()),
            Subject::Group(id) => Subject::Group(self.groups.key(id)?.to_string()),
        })
    }

    pub fn subject_id(&self, s: &Subject) -> Option<Subject> {
        Some(match s {
            Subject::User(k) => Subject::User(self.users.id(k)?.to_string()),
            Subject::Group(k) => Subject::Group(self.groups.id(k)?.to_string()),
        })
    }

    /// A live binding (remote ids) under config keys; `None` if an end is not in the live state.
    pub fn binding_key(&self, b: &Binding) -> Option<Binding> {
        Some(Binding {
            directory: self.directory_key(&b.directory)?,
            subject: self.subject_key(&b.subject)?,
        })
    }

    /// A config-keyed binding as remote ids, when both ends exist in the org.
    pub fn binding_id(&self, b: &Binding) -> Option<Binding> {
        Some(Binding {
            directory: self.directory_id(&b.directory)?,
            subject: self.subject_id(&b.subject)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::live::{LiveAdDomain, LiveM365Tenant, LiveUser};
    use crate::model::{AdDomain, Delegation, M365Tenant, UseCase};

    fn live_ad(id: &str, domain: &str) -> LiveAdDomain {
        LiveAdDomain {
            id: id.into(),
            domain: domain.into(),
            api_domain: crate::model::ad_domain_to_dn(domain),
            use_case: UseCase::Unset,
            delegation: Delegation::Disabled,
            groups_enabled: false,
            agents: vec![],
            primary_import_agent: None,
            raw: serde_json::Value::Null,
        }
    }

    fn live_tenant(id: &str, name: Option<&str>) -> LiveM365Tenant {
        LiveM365Tenant {
            id: id.into(),
            name: name.map(Into::into),
            groups_enabled: false,
            default_domain: None,
            user_lockout_action: None,
            user_password_expiration_action: None,
            domains: vec![],
            raw: serde_json::Value::Null,
        }
    }

    #[test]
    fn keys_map_both_ways() {
        let mut model = Model::default();
        model.ad_domains.insert(
            "corp".into(),
            AdDomain {
                domain: "corp.example.com".into(),
                ..AdDomain::default()
            },
        );
        model.m365_tenants.insert(
            "contoso".into(),
            M365Tenant {
                id: "t1".into(),
                ..M365Tenant::default()
            },
        );
        let mut live = LiveState::default();
        live.users.insert(
            "u1".into(),
            LiveUser {
                id: "u1".into(),
                username: "alice".into(),
                ..LiveUser::default()
            },
        );
        live.ad_domains
            .insert("a1".into(), live_ad("a1", "corp.example.com"));
        live.ad_domains
            .insert("a2".into(), live_ad("a2", "emea.example.com"));
        live.m365_tenants
            .insert("t1".into(), live_tenant("t1", Some("Contoso")));
        live.m365_tenants
            .insert("t2".into(), live_tenant("t2", Some("Fabrikam")));
        live.m365_tenants
            .insert("t3".into(), live_tenant("t3", None));
        // An undeclared tenant whose name is a declared key falls back to its id.
        live.m365_tenants
            .insert("t4".into(), live_tenant("t4", Some("contoso")));

        let keys = Keys::new(&model, &live);
        assert_eq!(keys.users.key("u1"), Some("alice"));
        assert_eq!(keys.users.id("alice"), Some("u1"));
        assert_eq!(keys.ad_domains.key("a1"), Some("corp"));
        assert_eq!(keys.ad_domains.key("a2"), Some("emea.example.com"));
        assert_eq!(keys.ad_domains.id("corp"), Some("a1"));
        assert_eq!(keys.m365_tenants.key("t1"), Some("contoso"));
        assert_eq!(keys.m365_tenants.key("t2"), Some("Fabrikam"));
        assert_eq!(keys.m365_tenants.key("t3"), Some("t3"));
        assert_eq!(keys.m365_tenants.key("t4"), Some("t4"));

        let b = Binding {
            directory: Directory::AdDomain("a1".into()),
            subject: Subject::User("u1".into()),
        };
        let k = keys.binding_key(&b);
        assert_eq!(
            k,
            Some(Binding {
                directory: Directory::AdDomain("corp".into()),
                subject: Subject::User("alice".into()),
            })
        );
        assert_eq!(k.and_then(|k| keys.binding_id(&k)), Some(b));
    }
}
