//! Plan fields -> model values: the step's typed fields (`Step::fields`, a part of
//! `Change::after`) as the model values `jumpcloud::convert` makes API bodies from.

use super::*;
use crate::plan::fields::{AdDomainFields, Side, SsoAppFields, TenantFields, SSO_APP_SETTINGS};

/// The step's fields of one kind (`pick`: `Side::user`, `Side::group`, ...). A step without
/// fields (absent side) has none set; fields of another kind than the step's address are an
/// error (a plan jcform did not write).
pub(super) fn part<'s, T: Default + Clone + 's>(
    side: &'s Side,
    pick: impl Fn(&'s Side) -> Option<&'s T>,
) -> Result<T, String> {
    match pick(side) {
        Some(fields) => Ok(fields.clone()),
        None if side.is_absent() => Ok(T::default()),
        None => Err("the step's fields are not those of its address's kind".into()),
    }
}

/// A text field as the model holds a write: `null` clears (sent as `""`, which the API stores
/// as unset), omitted is not written.
pub(super) fn text(field: &Field<String>) -> Option<String> {
    field.present().map(|v| v.cloned().unwrap_or_default())
}

/// The AD domain's managed fields; the domain name from the step, else the config, else the key.
pub(super) fn ad_fields(
    key: &str,
    fields: &AdDomainFields,
    model: &Model,
) -> Result<AdDomain, String> {
    let domain = match fields.domain.value() {
        Some(d) if !d.is_empty() => d.clone(),
        _ => model
            .ad_domains
            .get(key)
            .map(|d| d.domain.clone())
            .unwrap_or_else(|| key.to_string()),
    };
    Ok(AdDomain {
        domain,
        use_case: fields.use_case.value().copied(),
        delegation: fields.delegation.value().copied(),
        groups_enabled: fields.groups_enabled.value().copied(),
    })
}

/// The settings an SSO app step writes, as `(config name, value)` (see
/// `convert::SsoAppFields`); `template` is not among them (it names the app, it is not changed).
pub(super) fn sso_app_fields(fields: &SsoAppFields) -> Vec<(String, String)> {
    SSO_APP_SETTINGS
        .iter()
        .filter_map(|name| {
            let value = text(fields.setting(name)?)?;
            Some((name.to_string(), value))
        })
        .collect()
}

pub(super) fn tenant_fields(id: &str, fields: &TenantFields) -> M365Tenant {
    M365Tenant {
        id: id.to_string(),
        name: text(&fields.name),
        groups_enabled: fields.groups_enabled.value().copied(),
        default_domain: text(&fields.default_domain),
        user_lockout_action: fields.user_lockout_action.value().copied(),
        user_password_expiration_action: fields.user_password_expiration_action.value().copied(),
        federation: None,
    }
}
