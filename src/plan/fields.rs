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
        // Read whatever is there, so that no error message can echo a value.
        let v = Value::deserialize(d)?;
        if v.as_str() == Some(PASSWORD_SET) {
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
        crate::model::user_text_field!(name, &self)
    }

    /// Mutable access to the text field with this config name.
    pub fn text_mut(&mut self, name: &str) -> Option<&mut Field<String>> {
        crate::model::user_text_field!(name, &mut self)
    }

    /// Every text field, in the order of `USER_TEXT_FIELDS` (as `UserAttrs::texts`).
    pub fn texts_mut(&mut self) -> [&mut Field<String>; crate::model::USER_TEXT_FIELDS.len()] {
        crate::model::user_text_field!(all &mut self)
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
    /// Boxed: a user side is several times the size of the others, and most changes of a large
    /// plan are edges.
    User(Box<UserFields>),
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

impl From<UserFields> for Side {
    fn from(fields: UserFields) -> Side {
        Side::User(Box::new(fields))
    }
}

/// The side as compact plan JSON (`null` when absent).
impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
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
        // The error names the field it is about (`initial_password: ...`).
        fn read<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, String> {
            serde_path_to_error::deserialize(v).map_err(|e| {
                let path = e.path().to_string();
                if path == "." {
                    e.into_inner().to_string()
                } else {
                    format!("{path}: {}", e.into_inner())
                }
            })
        }
        Ok(match address {
            Address::User(_) => Side::User(Box::new(read(value)?)),
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

    /// No field (absent, or an object without fields). Cheap: the diff asks it of every
    /// object it compares.
    pub fn is_empty(&self) -> bool {
        match self {
            Side::Absent => true,
            Side::User(f) => **f == UserFields::default(),
            Side::Group(f) => *f == GroupFields::default(),
            Side::AdDomain(f) => *f == AdDomainFields::default(),
            Side::M365Tenant(f) => *f == TenantFields::default(),
            Side::SsoApp(f) => *f == SsoAppFields::default(),
            // Both ends are always there.
            Side::Membership(_) | Side::Binding(_) => false,
        }
    }

    pub fn user(&self) -> Option<&UserFields> {
        match self {
            Side::User(f) => Some(f.as_ref()),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Binding, Directory, Subject};
    use crate::plan::file::FileChange;
    use crate::plan::{Action, Change};
    use serde_json::json;

    fn text(s: &str) -> Field<String> {
        Field::Set(s.to_string())
    }

    #[test]
    fn texts_mut_are_the_named_fields_in_table_order() {
        let mut fields = UserFields::default();
        for (name, _) in crate::model::USER_TEXT_FIELDS {
            *fields.text_mut(name).expect("a text field") = text(name);
        }
        let names: Vec<Field<String>> = fields.texts_mut().into_iter().map(|f| f.clone()).collect();
        let table: Vec<Field<String>> = crate::model::USER_TEXT_FIELDS
            .iter()
            .map(|(n, _)| text(n))
            .collect();
        assert_eq!(names, table);
    }

    /// One change of every address kind, every field of its side used (values and `null`s).
    fn every_kind() -> Vec<(Address, Side)> {
        let mut user = UserFields {
            username: text("alice"),
            password_never_expires: Field::Set(true),
            state: Field::Set(UserState::Suspended),
            delegated_authority: Field::Set(Authority::Ad("corp".into())),
            password_authority: Field::Set(PasswordAuthority::Declared(
                PasswordAuthorityDecl::ActiveDirectory,
            )),
            initial_password: Field::Set(PasswordSet),
            ..UserFields::default()
        };
        for (i, (name, _)) in crate::model::USER_TEXT_FIELDS.iter().enumerate() {
            let slot = user.text_mut(name).expect("a text field");
            *slot = if i % 2 == 0 { Field::Null } else { text(name) };
        }
        let mut app = SsoAppFields {
            template: text("office365"),
            ..SsoAppFields::default()
        };
        for name in SSO_APP_SETTINGS {
            *app.setting_mut(name).expect("a setting") = text(name);
        }
        app.domain = Field::Null;
        let binding = Binding {
            directory: Directory::SsoApp("m365".into()),
            subject: Subject::Group("eng".into()),
        };
        let membership = Address::Membership("eng".into(), "alice".into());
        vec![
            (Address::User("alice".into()), Side::from(user)),
            (
                Address::Group("eng".into()),
                Side::Group(GroupFields {
                    name: text("Eng"),
                    description: Field::Null,
                }),
            ),
            (
                Address::AdDomain("corp".into()),
                Side::AdDomain(AdDomainFields {
                    domain: text("corp.example.com"),
                    use_case: Field::Set(UseCase::TwoWaySync),
                    delegation: Field::Set(Delegation::Pending),
                    groups_enabled: Field::Set(false),
                }),
            ),
            (
                Address::M365Tenant("contoso".into()),
                Side::M365Tenant(TenantFields {
                    name: text("Contoso"),
                    groups_enabled: Field::Set(true),
                    default_domain: Field::Null,
                    user_lockout_action: Field::Set(M365Action::Suspend),
                    user_password_expiration_action: Field::Set(M365Action::Maintain),
                }),
            ),
            (Address::SsoApp("m365".into()), Side::SsoApp(app)),
            (membership.clone(), Side::edge(&membership).unwrap()),
            (
                Address::Binding(binding.clone()),
                Side::edge(&Address::Binding(binding)).unwrap(),
            ),
        ]
    }

    #[test]
    fn every_kind_round_trips_through_plan_json_and_plan_files() {
        for (address, side) in every_kind() {
            let json = side.to_json();
            assert_eq!(
                Side::from_json(&address, &json),
                Ok(side.clone()),
                "{address}"
            );
            // Through a saved plan's change, as text, both ways.
            let change = Change {
                address: address.clone(),
                action: Action::Update,
                reason: "r".into(),
                before: side.clone(),
                after: side.clone(),
                remote_ids: Default::default(),
            };
            let text = serde_json::to_string(&FileChange::from_change(&change)).unwrap();
            let back: FileChange = serde_json::from_str(&text).unwrap();
            assert_eq!(back.to_change(), Ok(change), "{address}");
        }
        // A create's missing side is `null`.
        assert_eq!(Side::Absent.to_json(), Value::Null);
        assert_eq!(
            Side::from_json(&Address::User("a".into()), &Value::Null),
            Ok(Side::Absent)
        );
    }

    /// The names `text`, `setting` and their tables use are the names the JSON has.
    #[test]
    fn named_fields_serialise_under_their_names() {
        for (name, _) in crate::model::USER_TEXT_FIELDS {
            let mut u = UserFields::default();
            *u.text_mut(name).expect(name) = text("v");
            assert_eq!(u.text(name), Some(&text("v")));
            assert_eq!(Side::from(u).field_names(), [*name]);
        }
        for name in SSO_APP_SETTINGS {
            let mut a = SsoAppFields::default();
            *a.setting_mut(name).expect(name) = text("v");
            assert_eq!(a.setting(name), Some(&text("v")));
            assert_eq!(Side::SsoApp(a).field_names(), [*name]);
        }
    }

    #[test]
    fn empty_means_no_field() {
        for (address, side) in every_kind() {
            assert!(!side.is_empty(), "{address}");
            assert_eq!(side.is_empty(), side.field_names().is_empty());
        }
        let group = Address::Group("g".into());
        for side in [
            Side::Absent,
            Side::from_json(&group, &json!({})).unwrap(),
            Side::from(UserFields::default()),
        ] {
            assert!(side.is_empty() && side.field_names().is_empty(), "{side}");
        }
    }

    #[test]
    fn null_and_left_out_are_different() {
        let address = Address::User("a".into());
        let cleared = Side::from_json(&address, &json!({"job_title": null})).unwrap();
        let untouched = Side::from_json(&address, &json!({})).unwrap();
        assert_eq!(cleared.user().unwrap().job_title, Field::Null);
        assert_eq!(untouched.user().unwrap().job_title, Field::Omitted);
        assert_eq!(cleared.to_json(), json!({"job_title": null}));
        assert_eq!(untouched.to_json(), json!({}));
        // A cleared text field is written as "" (which the API stores as unset).
        assert_eq!(
            cleared.user().unwrap().attrs().job_title,
            Some(String::new())
        );
        assert_eq!(untouched.user().unwrap().attrs().job_title, None);
    }

    #[test]
    fn fields_are_written_in_the_order_diff_always_wrote_them() {
        let side = Side::from_json(
            &Address::User("a".into()),
            &json!({"initial_password": "(set)", "state": "active", "email": "a@x.io",
                    "username": "a", "delegated_authority": "none"}),
        )
        .unwrap();
        assert_eq!(
            side.field_names(),
            [
                "username",
                "email",
                "state",
                "delegated_authority",
                "initial_password"
            ]
        );
    }

    #[test]
    fn anything_but_the_kinds_fields_is_refused_naming_the_field() {
        let user = Address::User("a".into());
        let cases = [
            (json!({"shoe_size": "42"}), "shoe_size"),
            (json!({"state": "asleep"}), "state"),
            (json!({"state": "ACTIVATED"}), "state"),
            (
                json!({"password_never_expires": "yes"}),
                "password_never_expires",
            ),
            (json!({"email": 7}), "email"),
            (json!({"initial_password": "hunter2"}), "initial_password"),
        ];
        for (value, field) in cases {
            let err = Side::from_json(&user, &value).unwrap_err();
            assert!(err.contains(field), "{value}: {err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
        // A field of another kind.
        let err = Side::from_json(&Address::Group("g".into()), &json!({"email": "a@x.io"}));
        assert!(err.unwrap_err().contains("email"));
        // Not an object.
        assert!(Side::from_json(&user, &json!("alice")).is_err());
        // An edge needs both ends.
        let m = Address::Membership("g".into(), "u".into());
        assert!(Side::from_json(&m, &json!({"group": "g"})).is_err());
    }

    #[test]
    fn password_authority_words_read_back() {
        for word in [
            "jumpcloud",
            "active_directory",
            "active_directory (corp)",
            "scim",
        ] {
            let p = PasswordAuthority::parse(word.to_string());
            assert_eq!(p.to_string(), word);
        }
        assert_eq!(
            PasswordAuthority::parse("active_directory (corp)".into()),
            PasswordAuthority::ActiveDirectoryOf("corp".into())
        );
        assert_eq!(
            PasswordAuthority::parse("jumpcloud".into()).declared(),
            Some(PasswordAuthorityDecl::Jumpcloud)
        );
    }
}
