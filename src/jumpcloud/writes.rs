//! Request bodies for updates that must keep what jcform does not manage.
//!
//! Which write endpoint replaces and which merges (checked against the v1/v2 specs; each client
//! method names its operation):
//!
//! | endpoint | operation | semantics | body jcform sends |
//! |---|---|---|---|
//! | `PUT /systemusers/{id}` | `systemusers_put` | partial (fields left out are kept) | the changed managed fields only |
//! | `POST /systemusers/{id}/state/*`, `/password` | `systemusers_state_*`, `systemusers_password` | touch only the state / password | as documented |
//! | `PUT /usergroups/{id}` | `groups_user_put` | **full replace** | the live group just read, read-only fields removed, managed fields changed ([`group_put_body`]) |
//! | `PATCH /activedirectories/{id}` | `activedirectories_patch` | partial | the changed managed fields only |
//! | `PATCH /office365s/{id}` | `office365s_patch` | partial | the changed managed fields only |
//! | `POST /applications` | `applications_post` | create (200) | `application`: `name` (template), `displayLabel`, `ssoUrl`, `config.{idpEntityId,spEntityId,acsUrl}.value` (`convert::sso_app_body`) |
//! | `PUT /applications/{id}` | `applications_put` | **full replace** ("any fields not provided will be reset") | the live app just read (`GET /applications/{id}`), managed fields changed, `config.idpPrivateKey` removed (`convert::sso_app_body`) |
//! | `DELETE /applications/{id}` | `applications_delete` | delete | none |
//! | `POST .../members`, `.../associations` | `graph_*Post` (incl. `graph_applicationAssociationsPost`) | one edge | `GraphOperation` |
//!
//! Only the group and application PUTs need the live object: every other update merges, so a
//! body with only the managed fields leaves the rest alone.

use serde_json::{Map, Value};

/// Fields of `UserGroup` that the API computes or owns and that are not in `UserGroupPut`:
/// sending them back is at best ignored, so they are removed from a PUT body.
pub const USER_GROUP_READ_ONLY: &[&str] = &[
    "id",
    "type",
    "memberQueryErrorFlags",
    "suggestionCounts",
    "organizationObjectId",
];

/// The `UserGroupPut` body for `groups_user_put` (a full replace): `live` is the group exactly as
/// just read (`GET /usergroups/{id}`), so every field jcform does not manage (the dynamic rule
/// `membershipMethod`/`memberQuery`/`memberQueryExemptions`, `email`, `attributes` with `sudo`,
/// `posixGroups`, `ldapGroups`, `radius`, `sambaEnabled`, `memberSuggestionsNotify`, and any
/// field newer than the spec) is sent back unchanged. Read-only fields
/// ([`USER_GROUP_READ_ONLY`]) are removed; `name` stays as read unless the step renames the group
/// (`rename`: the plan matched this live group under a new name or spelling), and is used when
/// the read has none; `description` is set when the step manages it (`Some("")` clears it, as the API stores an empty string as unset).
///
/// Errors when `live` is not a JSON object (nothing safe can be built from it).
pub fn group_put_body(
    live: &Value,
    name: &str,
    rename: bool,
    description: Option<&str>,
) -> Result<Value, String> {
    let Value::Object(live) = live else {
        return Err(format!(
            "the user group as read is not a JSON object, so a full-replace PUT cannot keep its \
             other fields: {}",
            short(live)
        ));
    };
    let mut body: Map<String, Value> = live
        .iter()
        .filter(|(k, _)| !USER_GROUP_READ_ONLY.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // `name` is required. The live one is kept unless the plan renames this very group (its
    // `name` field is part of the step): an update otherwise never renames.
    let has_name = body
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| !n.trim().is_empty());
    if rename || !has_name {
        body.insert("name".into(), Value::String(name.to_string()));
    }
    if let Some(d) = description {
        body.insert("description".into(), Value::String(d.to_string()));
    }
    Ok(Value::Object(body))
}

/// The `x-query-dsl` header a group body needs: `Some("v2")` when its `memberQuery` is written in
/// the v2 DSL (an object with filters but no `queryType`, which the v1 default requires), else
/// `None` (no rule, or a v1 rule, the API's default).
pub fn member_query_dsl(body: &Value) -> Option<&'static str> {
    let query = body.get("memberQuery")?.as_object()?;
    let has_type = query.get("queryType").is_some_and(|t| !t.is_null());
    let has_filters = query
        .get("filters")
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty());
    (!has_type && has_filters).then_some("v2")
}

fn short(v: &Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(60) {
        Some((i, _)) => format!("{}...", &text[..i]),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn group_put_keeps_every_unmanaged_field_and_drops_read_only_ones() {
        let live = json!({
            "id": "64b000000000000000000009", "type": "user_group", "name": "admins",
            "description": "old", "membershipMethod": "DYNAMIC_AUTOMATED",
            "memberQuery": {"queryType": "FilterQuery", "filters": [{"field": "jobTitle", "operator": "eq", "value": "Manager"}]},
            "email": "admins@example.com",
            "attributes": {"sudo": {"enabled": true, "withoutPassword": false}, "posixGroups": [{"id": 5001, "name": "admins"}]},
            "memberQueryErrorFlags": [], "suggestionCounts": {"add": 0, "remove": 0, "total": 0},
            "organizationObjectId": "org", "someFutureField": {"x": 1}
        });
        let body = group_put_body(&live, "admins", false, Some("Server admins")).unwrap();
        let mut want = live.as_object().unwrap().clone();
        for k in USER_GROUP_READ_ONLY {
            want.remove(*k);
        }
        want.insert("description".into(), json!("Server admins"));
        assert_eq!(body, Value::Object(want));
        assert_eq!(member_query_dsl(&body), None);
    }

    #[test]
    fn group_put_without_a_managed_description_keeps_the_live_one() {
        let live = json!({"id": "g", "name": "ops", "description": "kept", "email": "ops@x"});
        let body = group_put_body(&live, "ops", false, None).unwrap();
        assert_eq!(
            body,
            json!({"name": "ops", "description": "kept", "email": "ops@x"})
        );
        let cleared = group_put_body(&live, "ops", false, Some("")).unwrap();
        assert_eq!(cleared["description"], json!(""));
    }

    #[test]
    fn group_put_renames_only_when_the_step_does() {
        let live = json!({"id": "g", "name": "Ops"});
        assert_eq!(
            group_put_body(&live, "ops", false, None).unwrap()["name"],
            json!("Ops")
        );
        assert_eq!(
            group_put_body(&live, "ops", true, None).unwrap()["name"],
            json!("ops")
        );
        let nameless = json!({"id": "g", "name": ""});
        assert_eq!(
            group_put_body(&nameless, "ops", false, None).unwrap()["name"],
            json!("ops")
        );
    }

    #[test]
    fn group_put_refuses_a_non_object() {
        let err = group_put_body(&json!(["x"]), "ops", false, None).unwrap_err();
        assert!(err.contains("not a JSON object"), "{err}");
    }

    #[test]
    fn v2_rules_need_the_dsl_header() {
        let v2 = json!({"memberQuery": {"filters": [{"field": "department", "operation": "eq", "value": "R&D"}]}});
        assert_eq!(member_query_dsl(&v2), Some("v2"));
        let v1 =
            json!({"memberQuery": {"queryType": "Filter", "filters": [{"department": "R&D"}]}});
        assert_eq!(member_query_dsl(&v1), None);
        assert_eq!(member_query_dsl(&json!({"memberQuery": null})), None);
        assert_eq!(member_query_dsl(&json!({"name": "x"})), None);
    }
}
