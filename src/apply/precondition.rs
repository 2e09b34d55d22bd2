//! The precondition of every update: the fields a step writes still hold the values the plan
//! read. The executor reads the object just before writing it (one GET per update) and compares,
//! field by field, the org now with the live state the plan was made from. A field someone else
//! changed in between fails the step, naming the field and both values, and nothing is written:
//! jcform never overwrites a concurrent change it has not shown.
//!
//! A field that already has the value the step wants passes (someone made the same change; the
//! write changes nothing). Fields that cannot be read back (`initial_password`) are not compared.
//! Values are compared in config form (a state or use case by its `config_name`, a flag as
//! `"true"`), `None` = unset.

use crate::model::live::{LiveAdDomain, LiveGroup, LiveM365Tenant, LiveSsoApp, LiveUser};
use crate::model::{Address, USER_TEXT_FIELDS};
use crate::plan::fields::{
    AdDomainFields, Field, GroupFields, SsoAppFields, TenantFields, UserFields, SSO_APP_SETTINGS,
};

/// One field's value in config form, or `None` when unset.
pub type FieldValue = Option<String>;

/// A field the step writes that can be read back: the value the step asks for and the value an
/// object holds, both in config form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Compared {
    pub field: &'static str,
    pub wanted: FieldValue,
    pub live: FieldValue,
}

/// Adds `field` when the step writes it (`null` and `""` ask for unset).
fn compare<T>(
    out: &mut Vec<Compared>,
    name: &'static str,
    field: &Field<T>,
    wanted: impl Fn(&T) -> FieldValue,
    live: FieldValue,
) {
    if field.is_present() {
        out.push(Compared {
            field: name,
            wanted: field.value().and_then(wanted),
            live,
        });
    }
}

// `&String`: it is passed where a `Fn(&T)` over `Field<String>` is expected.
#[allow(clippy::ptr_arg)]
fn text(s: &String) -> FieldValue {
    Some(s.clone()).filter(|s| !s.is_empty())
}

/// The user fields a step writes, against `u`. `initial_password` cannot be read back and the
/// delegated and password authorities have their own check.
pub fn user(w: &UserFields, u: &LiveUser) -> Vec<Compared> {
    let mut out = Vec::new();
    // A rename: another writer renaming the same account in between is a concurrent change.
    compare(
        &mut out,
        "username",
        &w.username,
        text,
        Some(u.username.clone()),
    );
    for (name, _) in USER_TEXT_FIELDS {
        if let Some(f) = w.text(name) {
            compare(&mut out, name, f, text, u.attrs.text(name).cloned());
        }
    }
    compare(
        &mut out,
        "password_never_expires",
        &w.password_never_expires,
        |b| Some(b.to_string()),
        Some(u.attrs.password_never_expires.unwrap_or(false).to_string()),
    );
    compare(
        &mut out,
        "state",
        &w.state,
        |s| Some(s.config_name().to_string()),
        u.attrs.state.map(|s| s.config_name().to_string()),
    );
    out
}

/// The group fields a step writes, against `g`.
pub fn group(w: &GroupFields, g: &LiveGroup) -> Vec<Compared> {
    let mut out = Vec::new();
    compare(&mut out, "name", &w.name, text, Some(g.name.clone()));
    compare(
        &mut out,
        "description",
        &w.description,
        text,
        g.description.clone(),
    );
    out
}

/// The AD domain fields a step writes, against `a` (`domain` is its identity, not compared).
pub fn ad_domain(w: &AdDomainFields, a: &LiveAdDomain) -> Vec<Compared> {
    let mut out = Vec::new();
    compare(
        &mut out,
        "use_case",
        &w.use_case,
        |u| Some(u.config_name().to_string()),
        Some(a.use_case.config_name().to_string()),
    );
    compare(
        &mut out,
        "delegation",
        &w.delegation,
        |d| Some(d.config_name().to_string()),
        Some(a.delegation.config_name().to_string()),
    );
    compare(
        &mut out,
        "groups_enabled",
        &w.groups_enabled,
        |b| Some(b.to_string()),
        Some(a.groups_enabled.to_string()),
    );
    out
}

/// The value of an SSO app setting (config name, one of `SSO_APP_SETTINGS`) as the org holds
/// it; `None` for a name that is not a setting.
pub fn sso_app_setting(a: &LiveSsoApp, name: &str) -> Option<FieldValue> {
    SSO_APP_SETTINGS
        .contains(&name)
        .then(|| crate::plan::diff::live_sso_app_text(a, name).cloned())
}

/// The SSO app settings a step writes, against `a` (`template` is its identity, not compared).
pub fn sso_app(w: &SsoAppFields, a: &LiveSsoApp) -> Vec<Compared> {
    let mut out = Vec::new();
    for name in SSO_APP_SETTINGS {
        if let (Some(f), Some(live)) = (w.setting(name), sso_app_setting(a, name)) {
            compare(&mut out, name, f, text, live);
        }
    }
    out
}

/// The M365 tenant fields a step writes, against `t`.
pub fn tenant(w: &TenantFields, t: &LiveM365Tenant) -> Vec<Compared> {
    let mut out = Vec::new();
    compare(&mut out, "name", &w.name, text, t.name.clone());
    compare(
        &mut out,
        "groups_enabled",
        &w.groups_enabled,
        |b| Some(b.to_string()),
        Some(t.groups_enabled.to_string()),
    );
    compare(
        &mut out,
        "default_domain",
        &w.default_domain,
        |d| text(d).map(|d| d.to_ascii_lowercase()),
        t.default_domain.as_ref().map(|d| d.to_ascii_lowercase()),
    );
    compare(
        &mut out,
        "user_lockout_action",
        &w.user_lockout_action,
        |a| Some(a.config_name().to_string()),
        t.user_lockout_action.map(|a| a.config_name().to_string()),
    );
    compare(
        &mut out,
        "user_password_expiration_action",
        &w.user_password_expiration_action,
        |a| Some(a.config_name().to_string()),
        t.user_password_expiration_action
            .map(|a| a.config_name().to_string()),
    );
    out
}

/// One field someone changed since the plan read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Drift {
    pub field: String,
    pub planned: FieldValue,
    pub now: FieldValue,
}

/// Compares every field the step writes (`compared`, one of the functions above, on the step's
/// fields): `planned` is the object as the plan read it, `now` as just read. A field that moved
/// and does not already hold what the step wants is drift. In the step's field order.
pub fn drift<W, T>(
    want: &W,
    planned: &T,
    now: &T,
    compared: impl Fn(&W, &T) -> Vec<Compared>,
) -> Vec<Drift> {
    let before = compared(want, planned);
    let current = compared(want, now);
    before
        .into_iter()
        .zip(current)
        .filter(|(b, c)| b.live != c.live && c.live != c.wanted)
        .map(|(b, c)| Drift {
            field: b.field.to_string(),
            planned: b.live,
            now: c.live,
        })
        .collect()
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
    use crate::model::UserState;
    use serde_json::{json, Value};

    fn user(dept: Option<&str>, state: UserState) -> LiveUser {
        let mut u = LiveUser::default();
        u.attrs_mut().department = dept.map(str::to_string);
        u.attrs_mut().state = Some(state);
        u
    }

    fn fields(v: Value) -> UserFields {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_changed_field_the_step_writes_is_drift() {
        let planned = user(Some("Ops"), UserState::Active);
        let now = user(Some("Sales"), UserState::Active);
        let f = fields(json!({"department": "R&D"}));
        let d = drift(&f, &planned, &now, super::user);
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
        assert!(drift(&f, &planned, &now, super::user).is_empty());
        // Unset in the plan, set now, and the step clears it: drift (someone set it).
        let f = fields(json!({"department": null}));
        let planned = user(None, UserState::Active);
        assert_eq!(drift(&f, &planned, &now, super::user).len(), 1);
    }

    #[test]
    fn unset_shows_as_unset() {
        assert_eq!(show(&None), "unset");
        assert_eq!(show(&Some("x".into())), "\"x\"");
    }
}
