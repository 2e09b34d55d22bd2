//! The typed sides of a change: one struct per kind of address (user, group, AD domain, M365
//! tenant, SSO app, membership, binding), each field optional, in config names.
//!
//! This is the one place that turns a change side into JSON and back; every other module reads
//! the typed fields, so a field renamed here is a compile error everywhere it is used.
//!
//! - JSON shape: the plan's `before` / `after` objects (docs/plan-json.md, saved plan files of
//!   `format_version` "2"). Fields serialise in the order the structs declare them, which is the
//!   order `diff` has always written them in; absent fields are left out.
//! - Three states per field ([`Field`]): not part of the change (key absent), cleared or unset
//!   (`null`), a value.
//! - Reading is strict: an unknown field, a value of the wrong type or an unknown enum word is an
//!   error naming the field ([`Side::from_json`]), so a saved plan jcform cannot fully read is
//!   refused rather than half-applied.
//! - Secrets: the only password field, `initial_password`, holds [`PasswordSet`], which has no
//!   room for a value; it is written and read as `"(set)"`.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::model::{
    Address, Delegation, M365Action, PasswordAuthorityDecl, UseCase, UserAttrs, UserState,
    DELEGATED_AUTHORITY_NONE,
};

/// One field of a change side: left out of the change, `null` (cleared, or unset in the org),
/// or a value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Field<T> {
    /// Not part of the change (the key is absent).
    #[default]
    Omitted,
    /// JSON `null`: a text field cleared (in `after`) or unset in the org (in `before`).
    Null,
    Set(T),
}

impl<T> Field<T> {
    /// `None` -> `Null`, `Some(v)` -> `Set(v)`.
    pub fn from_option(value: Option<T>) -> Field<T> {
        match value {
            Some(v) => Field::Set(v),
            None => Field::Null,
        }
    }

    /// `None` -> `Omitted` (not part of the change), `Some(v)` -> `Set(v)`.
    pub fn if_some(value: Option<T>) -> Field<T> {
        match value {
            Some(v) => Field::Set(v),
            None => Field::Omitted,
        }
    }

    pub fn is_omitted(&self) -> bool {
        matches!(self, Field::Omitted)
    }

    /// Part of the change (`null` or a value).
    pub fn is_present(&self) -> bool {
        !self.is_omitted()
    }

    /// The value, when there is one.
    pub fn value(&self) -> Option<&T> {
        match self {
            Field::Set(v) => Some(v),
            _ => None,
        }
    }

    /// `None` when omitted, `Some(None)` for `null`, `Some(Some(v))` for a value.
    pub fn present(&self) -> Option<Option<&T>> {
        match self {
            Field::Omitted => None,
            Field::Null => Some(None),
            Field::Set(v) => Some(Some(v)),
        }
    }

    /// Moves the field out, leaving it omitted.
    pub fn take(&mut self) -> Field<T> {
        std::mem::take(self)
    }
}

impl<T: Serialize> Serialize for Field<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // Fields are `skip_serializing_if = "Field::is_omitted"`; a bare one is `null`.
            Field::Omitted | Field::Null => s.serialize_none(),
            Field::Set(v) => v.serialize(s),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Field<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // A missing key never gets here (`#[serde(default)]` makes it `Omitted`).
        Ok(Field::from_option(Option::<T>::deserialize(d)?))
    }
}

/// `initial_password` in a plan: that a password is set, never its value (`"(set)"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordSet;

/// How a set password is written in plans, plan files and output.
pub const PASSWORD_SET: &str = crate::render::redact::SET;

impl Serialize for PasswordSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(PASSWORD_SET)
    }
}

impl<'de> Deserialize<'de> for PasswordSet {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        if s == PASSWORD_SET {
            Ok(PasswordSet)
        } else {
            // Plans never hold a password; anything else is not a plan jcform wrote.
            Err(de::Error::custom(format!(
                "a password field must read {PASSWORD_SET:?}"
            )))
        }
    }
}

/// `delegated_authority` in a change: `"none"` (JumpCloud checks the password) or the config
/// key of an AD domain (in `before`, the remote id when the files name no domain with it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Authority {
    None,
    Ad(String),
}

impl Authority {
    /// The AD domain's key, `None` for `none`.
    pub fn ad(&self) -> Option<&str> {
        match self {
            Authority::None => None,
            Authority::Ad(k) => Some(k),
        }
    }

    /// `Some(key)` or `None`, owned.
    pub fn into_ad(self) -> Option<String> {
        match self {
            Authority::None => None,
            Authority::Ad(k) => Some(k),
        }
    }
}

impl Serialize for Authority {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.ad().unwrap_or(DELEGATED_AUTHORITY_NONE))
    }
}

impl<'de> Deserialize<'de> for Authority {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Ok(if s == DELEGATED_AUTHORITY_NONE {
            Authority::None
        } else {
            Authority::Ad(s)
        })
    }
}

/// `password_authority` in a change. `after` holds what the files declare; `before` also says
/// which AD domain an Active Directory entry names when it is not the one wanted
/// (`"active_directory (corp)"`), or the org's own word for an entry of another type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordAuthority {
    Declared(PasswordAuthorityDecl),
    /// Active Directory, naming this AD domain (its key, else its remote id).
    ActiveDirectoryOf(String),
    /// An entry of another type, as the org spells it.
    Other(String),
}

impl PasswordAuthority {
    /// Reads the field's word: a declarable authority, `active_directory (KEY)`, or any other
    /// word as the org's own.
    pub fn parse(word: String) -> PasswordAuthority {
        if let Some(decl) = PasswordAuthorityDecl::from_config(&word) {
            return PasswordAuthority::Declared(decl);
        }
        let ad = PasswordAuthorityDecl::ActiveDirectory.config_name();
        let named = word
            .strip_prefix(ad)
            .and_then(|r| r.strip_prefix(" ("))
            .and_then(|r| r.strip_suffix(')'));
        match named {
            Some(k) => PasswordAuthority::ActiveDirectoryOf(k.to_string()),
            None => PasswordAuthority::Other(word),
        }
    }

    /// The declared authority, when that is what the field holds.
    pub fn declared(&self) -> Option<PasswordAuthorityDecl> {
        match self {
            PasswordAuthority::Declared(d) => Some(*d),
            _ => None,
        }
    }
}

impl fmt::Display for PasswordAuthority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PasswordAuthority::Declared(d) => f.write_str(d.config_name()),
            PasswordAuthority::ActiveDirectoryOf(k) => write!(
                f,
                "{} ({k})",
                PasswordAuthorityDecl::ActiveDirectory.config_name()
            ),
            PasswordAuthority::Other(s) => f.write_str(s),
        }
    }
}

impl Serialize for PasswordAuthority {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for PasswordAuthority {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(PasswordAuthority::parse(String::deserialize(d)?))
    }
}

/// A user change. `username` appears in updates that rename (or respell) the user.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UserFields {
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub username: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub email: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub firstname: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub lastname: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub middlename: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub displayname: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub description: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub job_title: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub department: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub cost_center: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub company: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub location: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub employee_id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub employee_type: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub alternate_email: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub password_never_expires: Field<bool>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub state: Field<UserState>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub delegated_authority: Field<Authority>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub password_authority: Field<PasswordAuthority>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub initial_password: Field<PasswordSet>,
}

impl UserFields {
    /// The text field with this config name (one of `USER_TEXT_FIELDS`).
    pub fn text(&self, name: &str) -> Option<&Field<String>> {
        Some(match name {
            "email" => &self.email,
            "firstname" => &self.firstname,
            "lastname" => &self.lastname,
            "middlename" => &self.middlename,
            "displayname" => &self.displayname,
            "description" => &self.description,
            "job_title" => &self.job_title,
            "department" => &self.department,
            "cost_center" => &self.cost_center,
            "company" => &self.company,
            "location" => &self.location,
            "employee_id" => &self.employee_id,
            "employee_type" => &self.employee_type,
            "alternate_email" => &self.alternate_email,
            _ => return None,
        })
    }

    /// Mutable access to the text field with this config name.
    pub fn text_mut(&mut self, name: &str) -> Option<&mut Field<String>> {
        Some(match name {
            "email" => &mut self.email,
            "firstname" => &mut self.firstname,
            "lastname" => &mut self.lastname,
            "middlename" => &mut self.middlename,
            "displayname" => &mut self.displayname,
            "description" => &mut self.description,
            "job_title" => &mut self.job_title,
            "department" => &mut self.department,
            "cost_center" => &mut self.cost_center,
            "company" => &mut self.company,
            "location" => &mut self.location,
            "employee_id" => &mut self.employee_id,
            "employee_type" => &mut self.employee_type,
            "alternate_email" => &mut self.alternate_email,
            _ => return None,
        })
    }

    /// The profile attributes of the change as a model value: a text field present is
    /// `Some` (`null` -> `""`, which clears), state and flag as given.
    pub fn attrs(&self) -> UserAttrs {
        let mut attrs = UserAttrs::default();
        for (name, _) in crate::model::USER_TEXT_FIELDS {
            if let (Some(slot), Some(f)) = (attrs.text_slot(name), self.text(name)) {
                *slot = f.present().map(|v| v.cloned().unwrap_or_default());
            }
        }
        attrs.password_never_expires = self.password_never_expires.value().copied();
        attrs.state = self.state.value().copied();
        attrs
    }
}

/// A group change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupFields {
    /// In updates that rename (or respell) the group.
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub description: Field<String>,
}

/// An AD domain change.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AdDomainFields {
    /// Dotted, lower case; in creates and deletes (the domain's identity, never updated).
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub domain: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub use_case: Field<UseCase>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub delegation: Field<Delegation>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub groups_enabled: Field<bool>,
}

/// An M365 tenant change (tenants are only ever updated).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TenantFields {
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub name: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub groups_enabled: Field<bool>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub default_domain: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub user_lockout_action: Field<M365Action>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub user_password_expiration_action: Field<M365Action>,
}

/// An SSO app change. `template` names the app in creates and deletes; it is never updated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SsoAppFields {
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub template: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub display_label: Field<String>,
    /// The IdP Entity ID.
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub domain: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub sp_entity_id: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub acs_url: Field<String>,
    #[serde(skip_serializing_if = "Field::is_omitted")]
    pub sso_url: Field<String>,
}

/// The settings an SSO app change can write, in config names (`template` is not one).
pub const SSO_APP_SETTINGS: &[&str] = &[
    "display_label",
    "domain",
    "sp_entity_id",
    "acs_url",
    "sso_url",
];

impl SsoAppFields {
    /// The setting with this config name (one of [`SSO_APP_SETTINGS`]).
    pub fn setting(&self, name: &str) -> Option<&Field<String>> {
        Some(match name {
            "display_label" => &self.display_label,
            "domain" => &self.domain,
            "sp_entity_id" => &self.sp_entity_id,
            "acs_url" => &self.acs_url,
            "sso_url" => &self.sso_url,
            _ => return None,
        })
    }

    /// Mutable access to the setting with this config name.
    pub fn setting_mut(&mut self, name: &str) -> Option<&mut Field<String>> {
        Some(match name {
            "display_label" => &mut self.display_label,
            "domain" => &mut self.domain,
            "sp_entity_id" => &mut self.sp_entity_id,
            "acs_url" => &mut self.acs_url,
            "sso_url" => &mut self.sso_url,
            _ => return None,
        })
    }
}

/// A membership change: both ends by key (the address says the same).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipFields {
    pub group: String,
    pub user: String,
}

/// A binding change (JumpCloud's association): both ends by address (`ad_domain.corp`,
/// `user.alice`); an SSO app's assignment is a binding to `sso_app.KEY`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BindingFields {
    pub directory: String,
    pub subject: String,
}

/// One side of a change (`before` or `after`): absent (`null`: before a create, after a
/// delete) or the fields of the address's kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Side {
    #[default]
    Absent,
    User(UserFields),
    Group(GroupFields),
    AdDomain(AdDomainFields),
    M365Tenant(TenantFields),
    SsoApp(SsoAppFields),
    Membership(MembershipFields),
    Binding(BindingFields),
}

impl Serialize for Side {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Side::Absent => s.serialize_none(),
            Side::User(f) => f.serialize(s),
            Side::Group(f) => f.serialize(s),
            Side::AdDomain(f) => f.serialize(s),
            Side::M365Tenant(f) => f.serialize(s),
            Side::SsoApp(f) => f.serialize(s),
            Side::Membership(f) => f.serialize(s),
            Side::Binding(f) => f.serialize(s),
        }
    }
}

impl Side {
    /// Reads a side as the plan JSON holds it, for a change of `address`: `null` is absent,
    /// an object must hold only the fields of the address's kind, each of its type. The error
    /// names the field (`unknown field `nickname`, expected one of ...`).
    pub fn from_json(address: &Address, value: &Value) -> Result<Side, String> {
        if value.is_null() {
            return Ok(Side::Absent);
        }
        if !value.is_object() {
            return Err(format!("expected an object or null, not {value}"));
        }
        fn read<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, String> {
            T::deserialize(v).map_err(|e| e.to_string())
        }
        Ok(match address {
            Address::User(_) => Side::User(read(value)?),
            Address::Group(_) => Side::Group(read(value)?),
            Address::AdDomain(_) => Side::AdDomain(read(value)?),
            Address::M365Tenant(_) => Side::M365Tenant(read(value)?),
            Address::SsoApp(_) => Side::SsoApp(read(value)?),
            Address::Membership(..) => Side::Membership(read(value)?),
            Address::Binding(_) => Side::Binding(read(value)?),
        })
    }

    /// The side as plan JSON (`null` when absent).
    pub fn to_json(&self) -> Value {
        // Strings, booleans and words only: serialising cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The fields of an edge change (membership or binding): both ends, as its address names
    /// them. `None` for an object's address.
    pub fn edge(address: &Address) -> Option<Side> {
        match address {
            Address::Membership(group, user) => Some(Side::Membership(MembershipFields {
                group: group.clone(),
                user: user.clone(),
            })),
            Address::Binding(b) => Some(Side::Binding(BindingFields {
                directory: b.directory.to_string(),
                subject: b.subject.to_string(),
            })),
            _ => None,
        }
    }

    pub fn is_absent(&self) -> bool {
        matches!(self, Side::Absent)
    }

    /// The config names of the fields present, in JSON order.
    pub fn field_names(&self) -> Vec<String> {
        match self.to_json() {
            Value::Object(map) => map.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    /// No field (absent, or an object without fields).
    pub fn is_empty(&self) -> bool {
        self.field_names().is_empty()
    }

    pub fn user(&self) -> Option<&UserFields> {
        match self {
            Side::User(f) => Some(f),
            _ => None,
        }
    }

    pub fn group(&self) -> Option<&GroupFields> {
        match self {
            Side::Group(f) => Some(f),
            _ => None,
        }
    }

    pub fn ad_domain(&self) -> Option<&AdDomainFields> {
        match self {
            Side::AdDomain(f) => Some(f),
            _ => None,
        }
    }

    pub fn m365_tenant(&self) -> Option<&TenantFields> {
        match self {
            Side::M365Tenant(f) => Some(f),
            _ => None,
        }
    }

    pub fn sso_app(&self) -> Option<&SsoAppFields> {
        match self {
            Side::SsoApp(f) => Some(f),
            _ => None,
        }
    }
}
