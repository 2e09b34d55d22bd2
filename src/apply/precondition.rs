//! The precondition of every update: the fields a step writes still hold the values the plan
//! read. The executor reads the object just before writing it (one GET per update) and compares,
//! field by field, the org now with the live state the plan was made from. A field someone else
//! changed in between fails the step, naming the field and both values, and nothing is written:
//! jcform never overwrites a concurrent change it has not shown.
//!
//! A field that already has the value the step wants passes (someone made the same change; the
//! write changes nothing). Fields that cannot be read back (`initial_password`) are not compared.
//! Values are compared in config form (`"active"`, `"two_way_sync"`, `"true"`), `None` = unset.

use serde_json::{Map, Value};

use crate::model::live::{LiveAdDomain, LiveGroup, LiveM365Tenant, LiveSsoApp, LiveUser};
use crate::model::{Address, UserState, USER_TEXT_FIELDS};

/// One field's value in config form, or `None` when unset; the outer `None` of a field function
/// means "this field is not compared".
pub type FieldValue = Option<String>;

/// A user's field by config name.
pub fn user_field(u: &LiveUser, field: &str) -> Option<FieldValue> {
    match field {
        // A rename: another writer renaming the same account in between is a concurrent change.
        "username" => Some(Some(u.username.clone())),
        "password_never_expires" => Some(Some(
            u.attrs.password_never_expires.unwrap_or(false).to_string(),
        )),
        "state" => Some(u.attrs.state.map(|s| UserState::config_name(s).to_string())),
        _ if USER_TEXT_FIELDS.iter().any(|(name, _)| *name == field) => {
            Some(u.attrs.text(field).cloned())
        }
        _ => None,
    }
}

/// A group's field by config name (`description` is the only managed one).
pub fn group_field(g: &LiveGroup, field: &str) -> Option<FieldValue> {
    match field {
        "name" => Some(Some(g.name.clone())),
        "description" => Some(g.description.clone()),
        _ => None,
    }
}

/// An AD domain's field by config name (`domain` is its identity, not compared).
pub fn ad_field(a: &LiveAdDomain, field: &str) -> Option<FieldValue> {
    match field {
        "use_case" => Some(Some(a.use_case.config_name().to_string())),
        "delegation" => Some(Some(a.delegation.config_name().to_string())),
        "groups_enabled" => Some(Some(a.groups_enabled.to_string())),
        _ => None,
    }
}

/// An SSO app's field by config name (`template` is its identity, not compared).
pub fn sso_app_field(a: &LiveSsoApp, field: &str) -> Option<FieldValue> {
    match field {
        "display_label" => Some(a.display_label.clone()),
        "domain" => Some(a.idp_entity_id.clone()),
        "sp_entity_id" => Some(a.sp_entity_id.clone()),
        "acs_url" => Some(a.acs_url.clone()),
        "sso_url" => Some(a.sso_url.clone()),
        _ => None,
    }
}

/// An M365 tenant's field by config name.
pub fn tenant_field(t: &LiveM365Tenant, field: &str) -> Option<FieldValue> {
    match field {
        "name" => Some(t.name.clone()),
        "groups_enabled" => Some(Some(t.groups_enabled.to_string())),
        "default_domain" => Some(t.default_domain.as_ref().map(|d| d.to_ascii_lowercase())),
        "user_lockout_action" => Some(t.user_lockout_action.map(|a| a.name().to_string())),
        "user_password_expiration_action" => Some(
            t.user_password_expiration_action
                .map(|a| a.name().to_string()),
        ),
        _ => None,
    }
}

/// The value a step asks for, in the same form (`null` and `""` = unset).
fn wanted(fields: &Map<String, Value>, field: &str) -> FieldValue {
    match fields.get(field)? {
        Value::String(s) if s.is_empty() => None,
        Value::String(s) if field == "default_domain" => Some(s.to_ascii_lowercase()),
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// One field someone changed since the plan read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub field: String,
    pub planned: FieldValue,
    pub now: FieldValue,
}

/// Compares every field of `fields` (the step's) that `field` can read: `planned` is the object
/// as the plan read it, `now` as just read. Returns the fields that moved, in `fields` order.
pub fn drift<T>(
    fields: &Map<String, Value>,
    planned: &T,
    now: &T,
    field: impl Fn(&T, &str) -> Option<FieldValue>,
) -> Vec<Drift> {
    let mut out = Vec::new();
    for name in fields.keys() {
        let (Some(before), Some(current)) = (field(planned, name), field(now, name)) else {
            continue;
        };
        if before != current && current != wanted(fields, name) {
            out.push(Drift {
                field: name.clone(),
                planned: before,
                now: current,
            });
        }
    }
    out
}

/// The step's error for drifted fields (none: `Ok`).
pub fn check(address: &Address, drifts: &[Drift]) -> Result<(), String> {
    if drifts.is_empty() {
        return Ok(());
    }
    let fields: Vec<String> = drifts
        .iter()
        .map(|d| {
            format!(
                "{} was {} when planned and is {} now",
                d.field,
                show(&d.planned),
                show(&d.now)
            )
        })
        .collect();
    Err(format!(
        "precondition failed: {address} was changed in the org after the plan read it ({}); \
         nothing was written, so that change is kept. Plan again to see it",
        fields.join("; ")
    ))
}

/// `"value"`, or `unset`.
pub fn show(v: &FieldValue) -> String {
    match v {
        Some(s) => format!("{s:?}"),
        None => "unset".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(dept: Option<&str>, state: UserState) -> LiveUser {
        let mut u = LiveUser::default();
        u.attrs.department = dept.map(str::to_string);
        u.attrs.state = Some(state);
        u
    }

    fn fields(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn a_changed_field_the_step_writes_is_drift() {
        let planned = user(Some("Ops"), UserState::Active);
        let now = user(Some("Sales"), UserState::Active);
        let f = fields(json!({"department": "R&D"}));
        let d = drift(&f, &planned, &now, user_field);
        assert_eq!(
            d,
            vec![Drift {
                field: "department".into(),
                planned: Some("Ops".into()),
                now: Some("Sales".into())
            }]
        );
        let err = check(&Address::User("bob".into()), &d).unwrap_err();
        assert!(err.contains("user.bob"), "{err}");
        assert!(
            err.contains(r#"department was "Ops" when planned and is "Sales" now"#),
            "{err}"
        );
    }

    #[test]
    fn fields_the_step_does_not_write_and_same_target_values_pass() {
        let planned = user(Some("Ops"), UserState::Staged);
        let now = user(Some("Sales"), UserState::Active);
        // Only state is written, and it already is what the step wants.
        let f = fields(json!({"state": "active", "initial_password": "(set)"}));
        assert!(drift(&f, &planned, &now, user_field).is_empty());
        // Unset in the plan, set now, and the step clears it: drift (someone set it).
        let f = fields(json!({"department": null}));
        let planned = user(None, UserState::Active);
        assert_eq!(drift(&f, &planned, &now, user_field).len(), 1);
    }

    #[test]
    fn unset_shows_as_unset() {
        assert_eq!(show(&None), "unset");
        assert_eq!(show(&Some("x".into())), "\"x\"");
    }
}
