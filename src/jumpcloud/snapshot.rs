//! A `LiveState` as an emulator state file, so an org can be copied and planned against offline.
//!
//! Users, groups, AD instances and tenants are written as read (`raw`), so fields jcform does
//! not model survive. Agents and M365 domains are rebuilt from the model (the fields the plan
//! uses). Group members become `user_group -> user` associations and bindings
//! `user|user_group -> active_directory|office_365`, the directions the emulator stores.

use std::io::Write;

use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use serde_json::{Map, Value};

use super::convert;
use crate::model::live::LiveState;

/// Writes [`state_file`]`(live)` to `out` as pretty JSON (the same text
/// `serde_json::to_writer_pretty` gives for it), one object at a time: the org is never built
/// as one JSON value (at 100,000 users that value and its text took gigabytes, issue 13).
pub fn write_state_file(live: &LiveState, out: &mut dyn Write) -> std::io::Result<()> {
    let mut ser = serde_json::Serializer::pretty(&mut *out);
    StateFile(live).serialize(&mut ser)?;
    out.write_all(b"\n")
}

/// [`state_file`] as a streaming `Serialize`.
struct StateFile<'a>(&'a LiveState);

/// An iterator's items as a JSON array, made when serialised.
struct Seq<F>(F);

impl<F, I> Serialize for Seq<F>
where
    F: Fn() -> I,
    I: Iterator,
    I::Item: Serialize,
{
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq((self.0)())
    }
}

impl Serialize for StateFile<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let live = self.0;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("systemusers", &Seq(|| live.users.values().map(|u| &u.raw)))?;
        map.serialize_entry("usergroups", &Seq(|| live.groups.values().map(|g| &g.raw)))?;
        map.serialize_entry(
            "activedirectories",
            &Seq(|| live.ad_domains.values().map(|d| &d.raw)),
        )?;
        map.serialize_entry("activedirectory_agents", &ad_agents(live))?;
        map.serialize_entry(
            "office365s",
            &Seq(|| live.m365_tenants.values().map(|t| &t.raw)),
        )?;
        map.serialize_entry("office365_domains", &m365_domains(live))?;
        if !live.sso_apps.is_empty() {
            map.serialize_entry(
                "applications",
                &Seq(|| live.sso_apps.values().map(|a| &a.raw)),
            )?;
        }
        map.serialize_entry("associations", &Seq(|| associations(live)))?;
        map.end()
    }
}

fn ad_agents(live: &LiveState) -> Value {
    Value::Object(
        live.ad_domains
            .values()
            .map(|d| {
                let agents = d.agents.iter().map(convert::ad_agent_to_wire).collect();
                (d.id.clone(), Value::Array(agents))
            })
            .collect(),
    )
}

fn m365_domains(live: &LiveState) -> Value {
    Value::Object(
        live.m365_tenants
            .values()
            .map(|t| {
                let domains = t.domains.iter().map(convert::m365_domain_to_wire).collect();
                (t.id.clone(), Value::Array(domains))
            })
            .collect(),
    )
}

/// Group members as `user_group -> user` edges, then the bindings.
fn associations(live: &LiveState) -> impl Iterator<Item = Value> + '_ {
    let memberships = live.groups.values().flat_map(|g| {
        g.members
            .iter()
            .map(|u| convert::membership_to_wire(&g.id, u))
    });
    memberships.chain(live.bindings.iter().map(convert::binding_to_wire))
}

/// The state file for `live`, keys and rows in a stable order (by remote id).
pub fn state_file(live: &LiveState) -> Value {
    let mut file = Map::new();
    file.insert(
        "systemusers".into(),
        Value::Array(live.users.values().map(|u| u.raw.to_value()).collect()),
    );
    file.insert(
        "usergroups".into(),
        Value::Array(live.groups.values().map(|g| g.raw.clone()).collect()),
    );
    file.insert(
        "activedirectories".into(),
        Value::Array(live.ad_domains.values().map(|d| d.raw.clone()).collect()),
    );
    file.insert("activedirectory_agents".into(), ad_agents(live));
    file.insert(
        "office365s".into(),
        Value::Array(live.m365_tenants.values().map(|t| t.raw.clone()).collect()),
    );
    file.insert("office365_domains".into(), m365_domains(live));
    if !live.sso_apps.is_empty() {
        file.insert(
            "applications".into(),
            Value::Array(live.sso_apps.values().map(|a| a.raw.clone()).collect()),
        );
    }
    file.insert(
        "associations".into(),
        Value::Array(associations(live).collect()),
    );
    Value::Object(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jumpcloud::wire::Fetched;
    use crate::model::live::{AdAgent, LiveAdDomain, LiveGroup, MembershipMethod};
    use crate::model::{Binding, Delegation, Directory, Subject, UseCase};
    use serde_json::json;

    #[test]
    fn state_file_holds_raw_objects_and_edges() {
        // Every kind of JSON value, since the row is written from its text (no `Value` built).
        let user_raw = json!({
            "_id": "u1", "username": "alice", "custom": {"kept": true, "z": {}, "a": []},
            "n": 1.5e-7, "big": u64::MAX, "neg": -3, "s": "é \"q\" \\ \n \u{1}",
            "list": [1, {"x": null}, [false]], "last": null
        });
        let user = convert::live_user(&Fetched {
            wire: serde_json::from_value(user_raw.clone()).expect("decodes"),
            raw: user_raw.clone(),
        });
        let mut live = LiveState::default();
        live.users.insert("u1".into(), user);
        live.groups.insert(
            "g1".into(),
            LiveGroup {
                id: "g1".into(),
                name: "ops".into(),
                description: None,
                membership_method: MembershipMethod::Static,
                member_query: None,
                members: ["u1".to_string()].into(),
                raw: json!({"id": "g1", "name": "ops"}),
            },
        );
        live.ad_domains.insert(
            "ad1".into(),
            LiveAdDomain {
                id: "ad1".into(),
                domain: "corp.example".into(),
                api_domain: "DC=corp;DC=example".into(),
                use_case: UseCase::Unset,
                delegation: Delegation::Disabled,
                groups_enabled: false,
                agents: vec![AdAgent {
                    id: "ag1".into(),
                    agent_type: "SYNC".into(),
                    state: None,
                    host_type: None,
                    hostname: None,
                    version: None,
                }],
                primary_import_agent: None,
                raw: json!({"id": "ad1", "domain": "DC=corp;DC=example"}),
            },
        );
        live.bindings.insert(Binding {
            directory: Directory::AdDomain("ad1".into()),
            subject: Subject::Group("g1".into()),
        });

        let mut text = Vec::new();
        write_state_file(&live, &mut text).expect("writes");
        let mut pretty = serde_json::to_string_pretty(&state_file(&live)).expect("encodes");
        pretty.push('\n');
        assert_eq!(String::from_utf8(text).expect("UTF-8"), pretty);
        assert_eq!(
            state_file(&live),
            json!({
                "systemusers": [user_raw],
                "usergroups": [{"id": "g1", "name": "ops"}],
                "activedirectories": [{"id": "ad1", "domain": "DC=corp;DC=example"}],
                "activedirectory_agents": {"ad1": [{"id": "ag1", "agentType": "SYNC"}]},
                "office365s": [],
                "office365_domains": {},
                "associations": [
                    {"from": {"type": "user_group", "id": "g1"}, "to": {"type": "user", "id": "u1"}},
                    {"from": {"type": "user_group", "id": "g1"}, "to": {"type": "active_directory", "id": "ad1"}}
                ]
            })
        );
    }
}
