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
                doc.comments.extend(assignment_comments(addresses));
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

/// SSO app assignments are not `bindings` entries in the files: a group assignment is a name in
/// the app's `groups`, and user assignments cannot be declared at all. So these are comment
/// lines, one per app.
fn assignment_comments(addresses: &[Address]) -> Vec<String> {
    let mut by_app: BTreeMap<&str, (Vec<String>, Vec<String>)> = BTreeMap::new();
    for address in addresses {
        if let Address::Binding(b) = address {
            if let Directory::SsoApp(app) = &b.directory {
                let entry = by_app.entry(app).or_default();
                match &b.subject {
                    Subject::Group(g) => entry.0.push(export::yaml::scalar(g)),
                    Subject::User(u) => entry.1.push(export::yaml::scalar(u)),
                }
            }
        }
    }
    if by_app.is_empty() {
        return Vec::new();
    }
    let mut lines = vec!["sso_apps: add these groups to the app's `groups`".to_string()];
    for (app, (groups, users)) in by_app {
        let mut line = format!("  {}: [{}]", export::yaml::scalar(app), groups.join(", "));
        if !users.is_empty() {
            line.push_str(&format!(
                " (users assigned directly, which the files cannot declare: {})",
                users.join(", ")
            ));
        }
        lines.push(line);
    }
    lines
}

/// One `bindings` entry per directory (AD domains and M365 tenants; app assignments are
/// comments), its users and groups listed the way the files write them.
fn binding_items(addresses: &[Address]) -> Vec<Map> {
    // (config field naming the directory, its key) -> (users, groups)
    type Lists = (Vec<String>, Vec<String>);
    let mut by_dir: BTreeMap<(&str, &str), Lists> = BTreeMap::new();
    for address in addresses {
        let Address::Binding(b) = address else {
            continue;
        };
        let directory = match &b.directory {
            Directory::AdDomain(k) => ("ad_domain", k.as_str()),
            Directory::M365Tenant(k) => ("m365_tenant", k.as_str()),
            Directory::SsoApp(_) => continue,
        };
        let entry = by_dir.entry(directory).or_default();
        match &b.subject {
            Subject::User(u) => entry.0.push(u.clone()),
            Subject::Group(g) => entry.1.push(g.clone()),
        }
    }
    by_dir
        .into_iter()
        .map(|((kind, key), (users, groups))| {
            let mut item = Map::default();
            item.str(kind, key).note(NOTE);
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
        let mut fields = BTreeMap::from([
            (Address::User("007".into()), f),
            (Address::User("José".into()), jose),
        ]);
        objects.insert(
            Section::M365Tenants,
            vec![Address::M365Tenant("Contoso".into())],
        );
        let tenant = serde_json::Map::from_iter([(
            "id".to_string(),
            serde_json::Value::from("5f1e0c0b4a3f2e1d0c9b8a71"),
        )]);
        fields.insert(Address::M365Tenant("Contoso".into()), tenant);
        // An app assignment is not a `bindings` entry in the files: it is a comment.
        objects.insert(
            Section::Bindings,
            vec![Address::Binding(crate::model::Binding {
                directory: Directory::SsoApp("m365".into()),
                subject: Subject::Group("All Users".into()),
            })],
        );
        let text = yaml(&objects, &fields);
        assert!(
            text.contains("#   m365: [All Users]\n"),
            "the assignment is a comment line: {text}"
        );
        assert!(!text.contains("bindings:"), "{text}");

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
        assert_eq!(model.m365_tenants["Contoso"].id, "5f1e0c0b4a3f2e1d0c9b8a71");
    }
}
