//! Plan fields (config names) -> model values: the one place that reads a step's fields
//! (`Step::fields`, a part of `Change::after`); `jumpcloud::convert` then makes the API bodies.

use super::*;

// -------------------------------------------------------------------------------------------
// Plan fields (config names) -> model values. The one place that reads `Change::after`
// values; `jumpcloud::convert` then makes the API bodies.

/// A text field: a string, or `null` to clear (sent as `""`, which the API stores as unset).
pub(super) fn text(fields: &Map<String, Value>, name: &str) -> Result<Option<String>, String> {
    match fields.get(name) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(String::new())),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(format!("{name} must be text, not {other}")),
    }
}

pub(super) fn flag(fields: &Map<String, Value>, name: &str) -> Result<Option<bool>, String> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(other) => Err(format!("{name} must be true or false, not {other}")),
    }
}

pub(super) fn word<T>(
    fields: &Map<String, Value>,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<Option<T>, String> {
    match fields.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => parse(s)
            .map(Some)
            .ok_or_else(|| format!("{name}: unknown value {s:?}")),
        Some(other) => Err(format!("{name} must be a word, not {other}")),
    }
}

/// Fields of user steps that are not profile attributes (handled by the step itself).
pub(super) const USER_STEP_FIELDS: &[&str] = &[
    "username",
    "initial_password",
    "delegated_authority",
    "password_authority",
];

pub(super) fn user_attrs(fields: &Map<String, Value>) -> Result<UserAttrs, String> {
    let mut attrs = UserAttrs::default();
    for name in fields.keys() {
        if let Some(slot) = attrs.text_slot(name) {
            *slot = text(fields, name)?;
        } else if !matches!(name.as_str(), "state" | "password_never_expires")
            && !USER_STEP_FIELDS.contains(&name.as_str())
        {
            return Err(format!(
                "the plan changes user field {name:?}, which apply does not know"
            ));
        }
    }
    attrs.password_never_expires = flag(fields, "password_never_expires")?;
    attrs.state = word(fields, "state", |s| match s {
        "active" => Some(UserState::Active),
        "suspended" => Some(UserState::Suspended),
        "staged" => Some(UserState::Staged),
        _ => None,
    })?;
    Ok(attrs)
}

/// The AD domain's managed fields; the domain name from the step, else the config, else the key.
pub(super) fn ad_fields(
    key: &str,
    fields: &Map<String, Value>,
    model: &Model,
) -> Result<AdDomain, String> {
    let domain = match text(fields, "domain")? {
        Some(d) if !d.is_empty() => d,
        _ => model
            .ad_domains
            .get(key)
            .map(|d| d.domain.clone())
            .unwrap_or_else(|| key.to_string()),
    };
    Ok(AdDomain {
        domain,
        use_case: word(fields, "use_case", |s| {
            [
                UseCase::TwoWaySync,
                UseCase::JcAsAuthority,
                UseCase::AdAsAuthority,
            ]
            .into_iter()
            .find(|u| u.config_name() == s)
        })?,
        delegation: word(fields, "delegation", |s| {
            [Delegation::Enabled, Delegation::Disabled]
                .into_iter()
                .find(|d| d.config_name() == s)
        })?,
        groups_enabled: flag(fields, "groups_enabled")?,
    })
}

/// The settings an SSO app step writes, as `(config name, value)` (see
/// `convert::SsoAppFields`); `template` is not among them (it names the app, it is not changed).
pub(super) fn sso_app_fields(fields: &Map<String, Value>) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for field in crate::plan::diff::SSO_APP_TEXT_FIELDS {
        if fields.contains_key(*field) {
            out.push((field.to_string(), text(fields, field)?.unwrap_or_default()));
        }
    }
    Ok(out)
}

pub(super) fn tenant_fields(id: &str, fields: &Map<String, Value>) -> Result<M365Tenant, String> {
    Ok(M365Tenant {
        id: id.to_string(),
        name: text(fields, "name")?,
        groups_enabled: flag(fields, "groups_enabled")?,
        default_domain: text(fields, "default_domain")?,
        user_lockout_action: word(fields, "user_lockout_action", M365Action::parse)?,
        user_password_expiration_action: word(
            fields,
            "user_password_expiration_action",
            M365Action::parse,
        )?,
        federation: None,
    })
}
