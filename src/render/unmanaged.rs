//! `--show-unmanaged`: the live objects the plan leaves alone, as YAML config to paste into the
//! files. Drawn by the export writer (`export::yaml`), so a pasted object reads back exactly as
//! `jcform export` would have written it: one quoting rule for keys and values (a username
//! `007` stays the string `"007"`, never the number 7).

use std::collections::BTreeMap;

use crate::export::{self, Document, Map, Value};
use crate::model::{Address, Directory, Subject};

use super::Section;

/// The note at the end of every pasted object's line.
const NOTE: &str = "unmanaged";

/// Unmanaged objects in the YAML config's own syntax, with their fields as the org has them
/// (`fields`: config field name -> value, as the diff reports them), so pasting one makes
/// jcform manage it without changing it. Memberships are comment lines: members live inside
/// their group in the files, and a second `groups:` section would clash with the first.
pub fn yaml(
    objects: &BTreeMap<Section, Vec<Address>>,
    fields: &BTreeMap<Address, serde_json::Map<String, serde_json::Value>>,
) -> String {
    export::yaml::render_document(&document(objects, fields))
}

fn document(
    objects: &BTreeMap<Section, Vec<Address>>,
    fields: &BTreeMap<Address, serde_json::Map<String, serde_json::Value>>,
) -> Document {
    let mut doc = Document::default();
    for (section, addresses) in objects {
        match section {
            Section::Memberships => doc.comments.extend(membership_comments(addresses)),
            Section::Bindings => {
                let items = binding_items(addresses);
                if !items.is_empty() {
                    doc.root.push(section.key(), Value::Items(items));
                }
            }
            _ => {
                let mut objects = Map::default();
                for address in addresses {
                    if let Some(key) = object_key(address) {
                        let body = fields.get(address).map(inline).unwrap_or_default();
                        objects.push(key, Value::Inline(body)).note(NOTE);
                    }
                }
                if !objects.is_empty() {
                    doc.root.push(section.key(), Value::Map(objects));
                }
            }
        }
    }
    doc
}

/// `memberships: add these users to their group's members`, then one `group: [users]` line
/// per group.
fn membership_comments(addresses: &[Address]) -> Vec<String> {
    let mut by_group: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for address in addresses {
        if let Address::Membership(group, user) = address {
            by_group
                .entry(group)
                .or_default()
                .push(export::yaml::scalar(user));
        }
    }
    if by_group.is_empty() {
        return Vec::new();
    }
    let mut lines = vec!["memberships: add these users to their group's `members`".to_string()];
    for (group, users) in by_group {
        lines.push(format!(
            "  {}: [{}]",
            export::yaml::scalar(group),
            users.join(", ")
        ));
    }
    lines
}

/// One `bindings` entry per directory, its users and groups listed the way the files write them.
fn binding_items(addresses: &[Address]) -> Vec<Map> {
    let mut by_dir: BTreeMap<&Directory, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for address in addresses {
        if let Address::Binding(b) = address {
            let entry = by_dir.entry(&b.directory).or_default();
            match &b.subject {
                Subject::User(u) => entry.0.push(u.clone()),
                Subject::Group(g) => entry.1.push(g.clone()),
            }
        }
    }
    by_dir
        .into_iter()
        .map(|(directory, (users, groups))| {
            let mut item = Map::default();
            let (kind, key) = match directory {
                Directory::AdDomain(k) => ("ad_domain", k),
                Directory::M365Tenant(k) => ("m365_tenant", k),
                Directory::SsoApp(k) => ("sso_app", k),
            };
            item.str(kind, key.clone()).note(NOTE);
            if !users.is_empty() {
                item.push("users", Value::Names(users));
            }
            if !groups.is_empty() {
                item.push("groups", Value::Names(groups));
            }
            item
        })
        .collect()
}

/// An object's fields as a flow mapping. The diff reports scalars only; anything else would
/// not paste back as the same value, so it is written as its JSON text (a string), which
/// `validate` then points at rather than silently taking.
fn inline(fields: &serde_json::Map<String, serde_json::Value>) -> Map {
    let mut map = Map::default();
    for (name, value) in fields {
        let value = match value {
            serde_json::Value::String(s) => Value::Str(s.clone()),
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Number(n) => match n.as_u64() {
                Some(i) => Value::Int(i),
                None => Value::Str(n.to_string()),
            },
            other => Value::Str(other.to_string()),
        };
        map.push(name.clone(), value);
    }
    map
}

fn object_key(address: &Address) -> Option<&str> {
    match address {
        Address::User(k)
        | Address::Group(k)
        | Address::AdDomain(k)
        | Address::M365Tenant(k)
        | Address::SsoApp(k) => Some(k),
        Address::Membership(..) | Address::Binding(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(keys: &[&str]) -> BTreeMap<Section, Vec<Address>> {
        BTreeMap::from([(
            Section::Users,
            keys.iter().map(|k| Address::User(k.to_string())).collect(),
        )])
    }

    #[test]
    fn keys_that_look_like_numbers_or_words_stay_strings() {
        let text = yaml(&users(&["007", "true", "alice"]), &BTreeMap::new());
        assert_eq!(
            text,
            "users:\n  \"007\": {}  # unmanaged\n  \"true\": {}  # unmanaged\n  alice: {}  # unmanaged\n"
        );
    }

    #[test]
    fn pasted_objects_validate_as_the_same_keys_and_fields() {
        let mut objects = users(&["007", "José"]);
        objects.insert(Section::Groups, vec![Address::Group("All Users".into())]);
        let mut f = serde_json::Map::new();
        f.insert("email".into(), "bond@example.com".into());
        f.insert("employee_id".into(), "0042".into());
        f.insert("department".into(), "R&D, Labs: #1".into());
        f.insert("password_never_expires".into(), true.into());
        let mut jose = serde_json::Map::new();
        jose.insert("email".into(), "jose@example.com".into());
        let fields = BTreeMap::from([
            (Address::User("007".into()), f),
            (Address::User("José".into()), jose),
        ]);
        let text = yaml(&objects, &fields);

        let mut loaded = crate::config::Loaded::default();
        let path = std::path::Path::new("pasted.yaml");
        crate::config::parse_bytes(&mut loaded, path, "pasted.yaml".into(), text.into_bytes());
        let config = crate::model::from_loaded(loaded).expect("the pasted YAML validates");
        let model = &config.model;
        let keys: Vec<&str> = model.users.keys().map(String::as_str).collect();
        assert_eq!(keys, ["007", "José"]);
        let bond = &model.users["007"].attrs;
        assert_eq!(bond.employee_id.as_deref(), Some("0042"));
        assert_eq!(bond.department.as_deref(), Some("R&D, Labs: #1"));
        assert_eq!(bond.password_never_expires, Some(true));
        assert!(model.groups.contains_key("All Users"));
    }
}
