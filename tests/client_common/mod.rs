//! Shared by the `client_*` tests: generated org state files, an emulator to serve them, and a
//! client pointed at it over real HTTP.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use jcform::emulator::{Emulator, EmulatorOptions};
use jcform::jumpcloud::{ApiKey, Client, ClientConfig};
use serde_json::{json, Value};

pub const API_KEY: &str = "test-key-4f1d9c";

/// A 24-hex id: `kind` keeps object types apart, `n` makes it unique and sorts like `n`.
pub fn oid(kind: u8, n: usize) -> String {
    format!("{kind:02x}{n:022x}")
}

/// What to generate. Group `i` has `group_sizes[i]` direct members (users `0..size`).
#[derive(Debug, Clone, Default)]
pub struct OrgSpec {
    pub users: usize,
    pub group_sizes: Vec<usize>,
    /// Per AD instance: (agents, users bound directly, groups bound directly).
    pub ads: Vec<(usize, usize, usize)>,
    /// Per tenant: (domains, users bound directly, groups bound directly).
    pub tenants: Vec<(usize, usize, usize)>,
}

/// What the generated org holds, to compare a read against.
#[derive(Debug, Clone, Default)]
pub struct Expected {
    pub users: BTreeSet<String>,
    pub members: BTreeMap<String, BTreeSet<String>>,
    pub ads: BTreeMap<String, usize>,
    pub tenants: BTreeMap<String, usize>,
    /// (directory id, subject id)
    pub bindings: BTreeSet<(String, String)>,
}

impl OrgSpec {
    pub fn build(&self) -> (Value, Expected) {
        let mut exp = Expected::default();
        let users: Vec<Value> = (0..self.users)
            .map(|i| {
                let id = oid(1, i);
                exp.users.insert(id.clone());
                json!({
                    "_id": id, "username": format!("user{i:05}"),
                    "email": format!("user{i:05}@example.com"),
                    "firstname": "Zoë", "lastname": format!("Nº{i}"),
                    "state": if i % 10 == 0 { "SUSPENDED" } else { "ACTIVATED" },
                    "password_date": if i % 3 == 0 { Value::Null } else { json!("2024-01-01T00:00:00Z") },
                    "department": if i % 2 == 0 { json!("Eng") } else { json!("") }
                })
            })
            .collect();
        let mut associations = Vec::new();
        let groups: Vec<Value> = self
            .group_sizes
            .iter()
            .enumerate()
            .map(|(g, &size)| {
                let id = oid(2, g);
                let members: BTreeSet<String> = (0..size.min(self.users)).map(|u| oid(1, u)).collect();
                for m in &members {
                    associations.push(json!({"from": {"type": "user_group", "id": id}, "to": {"type": "user", "id": m}}));
                }
                exp.members.insert(id.clone(), members);
                json!({"id": id, "name": format!("group-{g:02}"), "description": format!("Group {g}")})
            })
            .collect();

        let mut bind = |dir_type: &str,
                        dir: &str,
                        users: usize,
                        groups: usize,
                        exp: &mut Expected| {
            for u in 0..users.min(self.users) {
                associations.push(json!({"from": {"type": "user", "id": oid(1, u)}, "to": {"type": dir_type, "id": dir}}));
                exp.bindings.insert((dir.to_string(), oid(1, u)));
            }
            for g in 0..groups.min(self.group_sizes.len()) {
                associations.push(json!({"from": {"type": "user_group", "id": oid(2, g)}, "to": {"type": dir_type, "id": dir}}));
                exp.bindings.insert((dir.to_string(), oid(2, g)));
            }
        };

        let mut ads = Vec::new();
        let mut agents = serde_json::Map::new();
        for (a, &(n_agents, users, groups)) in self.ads.iter().enumerate() {
            let id = oid(3, a);
            ads.push(json!({"id": id, "domain": format!("DC=corp{a};DC=example;DC=com"),
                            "useCase": "ADASAUTHORITY", "delegationState": "ENABLED", "groupsEnabled": true}));
            let list: Vec<Value> = (0..n_agents)
                .map(|k| json!({"id": oid(4, a * 100 + k), "agentType": if k == 0 { "IMPORT" } else { "SYNC" },
                                "state": "active", "hostType": "DC", "hostname": format!("dc{k}"), "version": "3.2"}))
                .collect();
            agents.insert(id.clone(), Value::Array(list));
            exp.ads.insert(id.clone(), n_agents);
            bind("active_directory", &id, users, groups, &mut exp);
        }
        let mut tenants = Vec::new();
        let mut domains = serde_json::Map::new();
        for (t, &(n_domains, users, groups)) in self.tenants.iter().enumerate() {
            let id = oid(5, t);
            let list: Vec<Value> = (0..n_domains)
                .map(|k| json!({"objectId": oid(6, t * 100 + k), "domain": format!("t{t}-d{k}.example.com"), "default": k == 0}))
                .collect();
            let default = list
                .first()
                .map(|d| json!({"id": d["objectId"], "domain": d["domain"]}));
            tenants.push(
                json!({"id": id, "name": format!("Tenant {t}"), "groupsEnabled": false,
                                "defaultDomain": default, "userLockoutAction": "suspend",
                                "userPasswordExpirationAction": "maintain"}),
            );
            domains.insert(id.clone(), Value::Array(list));
            exp.tenants.insert(id.clone(), n_domains);
            bind("office_365", &id, users, groups, &mut exp);
        }

        let state = json!({
            "systemusers": users, "usergroups": groups, "activedirectories": ads,
            "activedirectory_agents": agents, "office365s": tenants, "office365_domains": domains,
            "associations": associations
        });
        (state, exp)
    }
}

/// A running emulator over a state file in a temp dir.
pub struct Sandbox {
    pub emulator: Emulator,
    pub dir: tempfile::TempDir,
    pub state_path: PathBuf,
}

impl Sandbox {
    pub async fn start(state: &Value, tweak: impl FnOnce(&mut EmulatorOptions)) -> Sandbox {
        let dir = tempfile::tempdir().expect("tempdir");
        let state_path = dir.path().join("state.json");
        std::fs::write(&state_path, serde_json::to_vec(state).expect("encode"))
            .expect("write state");
        let mut opts = EmulatorOptions {
            state: state_path.clone(),
            api_key: Some(API_KEY.to_string()),
            seed: Some(7),
            ..Default::default()
        };
        tweak(&mut opts);
        let emulator = Emulator::start(opts, "127.0.0.1:0".parse().expect("addr"))
            .await
            .expect("emulator starts");
        Sandbox {
            emulator,
            dir,
            state_path,
        }
    }

    pub fn client(&self) -> Client {
        client_for(&self.emulator.base_url(), API_KEY)
    }
}

pub fn client_for(url: &str, key: &str) -> Client {
    let mut cfg = ClientConfig::new(ApiKey::new(key));
    cfg.api_url = url.to_string();
    cfg.max_retries = 8;
    Client::new(cfg).expect("client builds")
}

/// Checks a read against what was generated: every object and every edge, nothing more.
pub fn assert_complete(live: &jcform::model::live::LiveState, exp: &Expected) {
    use jcform::model::{Directory, Subject};
    let users: BTreeSet<String> = live.users.keys().cloned().collect();
    assert_eq!(users, exp.users, "users");
    assert_eq!(live.groups.len(), exp.members.len(), "groups");
    for (id, members) in &exp.members {
        let group = live
            .groups
            .get(id)
            .unwrap_or_else(|| panic!("group {id} missing"));
        assert_eq!(&group.members, members, "members of {id}");
    }
    let ads: BTreeMap<String, usize> = live
        .ad_domains
        .values()
        .map(|d| (d.id.clone(), d.agents.len()))
        .collect();
    assert_eq!(ads, exp.ads, "AD domains and their agents");
    let tenants: BTreeMap<String, usize> = live
        .m365_tenants
        .values()
        .map(|t| (t.id.clone(), t.domains.len()))
        .collect();
    assert_eq!(tenants, exp.tenants, "tenants and their domains");
    let bindings: BTreeSet<(String, String)> = live
        .bindings
        .iter()
        .map(|b| {
            let dir = match &b.directory {
                Directory::AdDomain(id) | Directory::M365Tenant(id) | Directory::SsoApp(id) => {
                    id.clone()
                }
            };
            let subject = match &b.subject {
                Subject::User(id) | Subject::Group(id) => id.clone(),
            };
            (dir, subject)
        })
        .collect();
    assert_eq!(bindings, exp.bindings, "bindings");
}
