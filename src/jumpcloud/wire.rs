//! The API's JSON shapes, field for field (v1 objects use `_id`, v2 objects `id`). Unknown fields
//! are ignored and every field the API may leave out is an `Option`, but what identifies an
//! object is required: ids and natural keys (`username`, group `name`, AD `domain`, a
//! directory's `type`, an edge's far end) must be present, of the right type and non-empty
//! (`Checked`). A row without them is not an object named `""`: the read fails naming the row.
//! A wrong type anywhere fails decoding; nothing is replaced by a default value.
//! Only the fields jcform reads are declared; the full object is kept next to it in `Fetched::raw`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A decoded object and the exact JSON it came from (for plan fingerprints and snapshots).
#[derive(Debug, Clone, PartialEq)]
pub struct Fetched<T> {
    pub wire: T,
    pub raw: Value,
}

/// v1 `systemuserreturn` (the fields jcform reads).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SystemUser {
    #[serde(rename = "_id")]
    pub id: String,
    pub username: String,
    pub email: Option<String>,
    pub firstname: Option<String>,
    pub lastname: Option<String>,
    pub middlename: Option<String>,
    pub displayname: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "jobTitle")]
    pub job_title: Option<String>,
    pub department: Option<String>,
    #[serde(rename = "costCenter")]
    pub cost_center: Option<String>,
    pub company: Option<String>,
    pub location: Option<String>,
    #[serde(rename = "employeeIdentifier")]
    pub employee_identifier: Option<String>,
    #[serde(rename = "employeeType")]
    pub employee_type: Option<String>,
    #[serde(rename = "alternateEmail")]
    pub alternate_email: Option<String>,
    /// `STAGED | ACTIVATED | SUSPENDED`.
    pub state: Option<String>,
    pub activated: Option<bool>,
    pub suspended: Option<bool>,
    pub account_locked: Option<bool>,
    pub password_never_expires: Option<bool>,
    /// When the JumpCloud password was last set; `null` when the user has none.
    pub password_date: Option<String>,
    #[serde(rename = "delegatedAuthority")]
    pub delegated_authority: Option<DelegatedAuthority>,
    #[serde(rename = "restrictedFields")]
    pub restricted_fields: Option<Vec<RestrictedField>>,
}

impl SystemUser {
    /// The string profile field with this API name (see `model::USER_TEXT_FIELDS`).
    pub fn text_field(&self, api_name: &str) -> Option<&str> {
        let slot = match api_name {
            "email" => &self.email,
            "firstname" => &self.firstname,
            "lastname" => &self.lastname,
            "middlename" => &self.middlename,
            "displayname" => &self.displayname,
            "description" => &self.description,
            "jobTitle" => &self.job_title,
            "department" => &self.department,
            "costCenter" => &self.cost_center,
            "company" => &self.company,
            "location" => &self.location,
            "employeeIdentifier" => &self.employee_identifier,
            "employeeType" => &self.employee_type,
            "alternateEmail" => &self.alternate_email,
            _ => return None,
        };
        slot.as_deref()
    }
}

/// `delegatedAuthority`: `{name: "ActiveDirectory", id: <activedirectory id>}` or `null`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DelegatedAuthority {
    pub name: Option<String>,
    pub id: Option<String>,
}

/// A `restrictedFields` entry: `field` is owned by the integration `type`/`id`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RestrictedField {
    pub field: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub id: Option<String>,
}

/// v2 `UserGroup`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserGroup {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub email: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// `NOTSET | STATIC | DYNAMIC_REVIEW_REQUIRED | DYNAMIC_AUTOMATED`.
    #[serde(rename = "membershipMethod")]
    pub membership_method: Option<String>,
    #[serde(rename = "memberQuery")]
    pub member_query: Option<Value>,
    pub attributes: Option<Value>,
}

/// v2 `active-directory`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ActiveDirectory {
    pub id: String,
    /// DN form in practice: `DC=corp;DC=example;DC=com`.
    pub domain: String,
    /// `UNSET | TWOWAYSYNC | JCASAUTHORITY | ADASAUTHORITY`.
    #[serde(rename = "useCase")]
    pub use_case: Option<String>,
    #[serde(rename = "groupsEnabled")]
    pub groups_enabled: Option<bool>,
    /// `ENABLED | PENDING | DISABLED`.
    #[serde(rename = "delegationState")]
    pub delegation_state: Option<String>,
    #[serde(rename = "primaryAgent")]
    pub primary_agent: Option<String>,
    /// Read-only: the primary import agent's id (LCK008 checks its version).
    #[serde(rename = "primaryImportAgent")]
    pub primary_import_agent: Option<String>,
}

/// v2 `active-directory-agent-list`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct AdAgent {
    pub id: String,
    /// `SYNC | IMPORT`.
    #[serde(rename = "agentType")]
    pub agent_type: Option<String>,
    /// `unsealed | active | inactive`.
    pub state: Option<String>,
    pub hostname: Option<String>,
    #[serde(rename = "hostType")]
    pub host_type: Option<String>,
    pub version: Option<String>,
    #[serde(rename = "contactAt")]
    pub contact_at: Option<String>,
}

/// v2 `office365`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Office365 {
    pub id: String,
    pub name: Option<String>,
    #[serde(rename = "groupsEnabled")]
    pub groups_enabled: Option<bool>,
    #[serde(rename = "defaultDomain")]
    pub default_domain: Option<DomainRef>,
    /// `suspend | maintain`.
    #[serde(rename = "userLockoutAction")]
    pub user_lockout_action: Option<String>,
    /// `suspend | maintain`.
    #[serde(rename = "userPasswordExpirationAction")]
    pub user_password_expiration_action: Option<String>,
}

/// `defaultDomain`: `{id, domain}`; `{}` when unset.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DomainRef {
    pub id: Option<String>,
    pub domain: Option<String>,
}

/// An entry of `GET /office365s/{id}/domains` (`{totalCount, domains: [...]}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Office365Domain {
    #[serde(rename = "objectId")]
    pub object_id: String,
    #[serde(rename = "resourceObjectId")]
    pub resource_object_id: Option<String>,
    pub domain: String,
    #[serde(default)]
    pub default: bool,
}

/// v1 `application` (`GET /applications`, `applications_get`): an SSO / SAML application.
/// `name` is the catalogue entry (`office365`); the SAML settings are in `config`, each as an
/// object whose `value` holds the setting (`config.idpEntityId.value`, ...). `config` is kept as
/// JSON: the PUT (`applications_put`, a full replace) sends the whole object back.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Application {
    #[serde(rename = "_id")]
    pub id: String,
    pub name: String,
    #[serde(rename = "displayLabel")]
    pub display_label: Option<String>,
    #[serde(rename = "ssoUrl")]
    pub sso_url: Option<String>,
    pub config: Option<Value>,
}

/// The `config` entries of an application jcform reads (each `{value: string, ...}`).
pub const APPLICATION_CONFIG_FIELDS: &[&str] =
    &["idpEntityId", "spEntityId", "acsUrl", "idpCertificate"];

impl Application {
    /// `config.<field>.value` as text; `None` when absent or null.
    pub fn config_value(&self, field: &str) -> Option<&str> {
        self.config.as_ref()?.get(field)?.get("value")?.as_str()
    }
}

/// v2 `Directory` (`GET /directories`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Directory {
    pub id: String,
    pub name: Option<String>,
    /// `active_directory | g_suite | ldap_server | office_365 | workday`.
    #[serde(rename = "type")]
    pub kind: String,
}

/// v2 `GraphObject`: one end of an edge.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GraphObject {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub attributes: Option<Value>,
}

/// v2 `GraphConnection`: a direct edge (association or membership).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GraphConnection {
    pub to: GraphObject,
    pub from: Option<GraphObject>,
    pub attributes: Option<Value>,
}

/// v2 `GraphObjectWithPaths`: an object reached directly or through groups (traversals).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GraphObjectWithPaths {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(rename = "compiledAttributes")]
    pub compiled_attributes: Option<Value>,
    #[serde(default)]
    pub paths: Vec<Vec<GraphConnection>>,
}

/// v2 `GraphOperation`: the body of member and association writes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GraphOperation<'a> {
    pub op: &'a str,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub id: &'a str,
}

/// The checks a decoded object must pass beyond its types: what identifies it is non-empty.
/// `Err` is a sentence naming the object ("user 5f0… has an empty username").
pub trait Checked {
    fn check(&self) -> Result<(), String>;
}

/// `Err` when `value` is empty or only whitespace.
fn required(what: &str, id: &str, field: &str, value: &str) -> Result<(), String> {
    if value.trim().is_empty() {
        Err(format!("{what} {id:?} has an empty {field}"))
    } else {
        Ok(())
    }
}

fn required_id(what: &str, id: &str) -> Result<(), String> {
    if id.trim().is_empty() {
        Err(format!("a {what} has an empty id"))
    } else {
        Ok(())
    }
}

impl Checked for SystemUser {
    fn check(&self) -> Result<(), String> {
        required_id("user", &self.id)?;
        required("user", &self.id, "username", &self.username)
    }
}

impl Checked for UserGroup {
    fn check(&self) -> Result<(), String> {
        required_id("user group", &self.id)?;
        required("user group", &self.id, "name", &self.name)
    }
}

impl Checked for ActiveDirectory {
    fn check(&self) -> Result<(), String> {
        required_id("Active Directory instance", &self.id)?;
        required(
            "Active Directory instance",
            &self.id,
            "domain",
            &self.domain,
        )
    }
}

impl Checked for AdAgent {
    fn check(&self) -> Result<(), String> {
        required_id("AD agent", &self.id)
    }
}

impl Checked for Office365 {
    fn check(&self) -> Result<(), String> {
        required_id("office365 instance", &self.id)
    }
}

impl Checked for Office365Domain {
    fn check(&self) -> Result<(), String> {
        required_id("office365 domain", &self.object_id)?;
        required("office365 domain", &self.object_id, "domain", &self.domain)
    }
}

impl Checked for Application {
    fn check(&self) -> Result<(), String> {
        required_id("application", &self.id)?;
        required("application", &self.id, "name", &self.name)?;
        // A setting jcform reads must be text: anything else fails the read, naming the app.
        match &self.config {
            None | Some(Value::Null) | Some(Value::Object(_)) => {}
            Some(other) => {
                return Err(format!(
                    "application {:?} has a config that is not an object: {other}",
                    self.id
                ))
            }
        }
        // Every setting jcform reads is `{value: text, ...}`; any other shape (the entry or its
        // `value` of another type) fails the read naming the row: never "no setting".
        for field in APPLICATION_CONFIG_FIELDS {
            let entry = self.config.as_ref().and_then(|c| c.get(*field));
            let value = match entry {
                None | Some(Value::Null) => continue,
                Some(Value::Object(e)) => e.get("value"),
                Some(other) => {
                    return Err(format!(
                        "application {:?} has config.{field} that is {}, not an object",
                        self.id,
                        json_type(other)
                    ))
                }
            };
            if let Some(v) = value.filter(|v| !v.is_null() && !v.is_string()) {
                return Err(format!(
                    "application {:?} has config.{field}.value that is {}, not text",
                    self.id,
                    json_type(v)
                ));
            }
        }
        Ok(())
    }
}

/// The JSON type of `v`, for messages (never the value: it may be long or hostile).
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

impl Checked for Directory {
    fn check(&self) -> Result<(), String> {
        required_id("directory", &self.id)?;
        required("directory", &self.id, "type", &self.kind)
    }
}

impl Checked for GraphObject {
    fn check(&self) -> Result<(), String> {
        required_id("graph object", &self.id)?;
        required("graph object", &self.id, "type", &self.kind)
    }
}

impl Checked for GraphConnection {
    fn check(&self) -> Result<(), String> {
        self.to.check()
    }
}

impl Checked for GraphObjectWithPaths {
    fn check(&self) -> Result<(), String> {
        required_id("graph object", &self.id)?;
        required("graph object", &self.id, "type", &self.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::USER_TEXT_FIELDS;
    use serde_json::json;

    #[test]
    fn every_user_text_field_has_a_wire_field() {
        let raw: serde_json::Map<String, Value> = USER_TEXT_FIELDS
            .iter()
            .map(|(_, api)| (api.to_string(), json!(format!("v-{api}"))))
            .chain([
                ("_id".to_string(), json!("u1")),
                ("username".to_string(), json!("u")),
            ])
            .collect();
        let user: SystemUser = serde_json::from_value(Value::Object(raw)).expect("decodes");
        for (_, api) in USER_TEXT_FIELDS {
            assert_eq!(
                user.text_field(api),
                Some(format!("v-{api}").as_str()),
                "{api}"
            );
        }
    }

    #[test]
    fn decoding_ignores_unknown_fields_and_nulls() {
        let user: SystemUser = serde_json::from_value(json!({
            "_id": "u1", "username": "a", "password_date": null, "delegatedAuthority": null,
            "mfaEnrollment": {"overallStatus": "ENROLLED"}, "middlename": null
        }))
        .expect("decodes");
        assert_eq!(user.password_date, None);
        assert_eq!(user.middlename, None);
        let group: UserGroup =
            serde_json::from_value(json!({"id": "g1", "name": "ops", "suggestionCounts": {}}))
                .expect("decodes");
        assert_eq!(group.name, "ops");
    }

    #[test]
    fn an_application_row_fails_closed() {
        let ok: Application = serde_json::from_value(json!({
            "_id": "a1", "name": "office365",
            "config": {"idpEntityId": {"value": "contoso.com"}, "other": {"value": 7}}
        }))
        .expect("decodes");
        assert_eq!(ok.check(), Ok(()));
        assert_eq!(ok.config_value("idpEntityId"), Some("contoso.com"));
        let bad: Application = serde_json::from_value(
            json!({"_id": "a2", "name": "office365", "config": {"idpEntityId": {"value": 7}}}),
        )
        .expect("decodes");
        let err = bad.check().expect_err("a number is not an entity id");
        assert!(err.contains("a2") && err.contains("idpEntityId"), "{err}");
        for bad_cert in [
            json!({"idpCertificate": {"type": "file", "value": 7}}),
            json!({"idpCertificate": {"type": "file", "value": ["PEM"]}}),
            json!({"idpCertificate": {"type": "file", "value": {"pem": "PEM"}}}),
            json!({"idpCertificate": "PEM"}),
            json!({"acsUrl": ["https://x"]}),
            json!({"spEntityId": {"value": false}}),
        ] {
            let app: Application = serde_json::from_value(
                json!({"_id": "a5", "name": "office365", "config": bad_cert}),
            )
            .expect("decodes");
            let err = app.check().expect_err("a non-text setting fails the read");
            assert!(err.contains("a5") && err.contains("config."), "{err}");
        }
        let nameless: Application =
            serde_json::from_value(json!({"_id": "a3", "name": " "})).expect("decodes");
        assert!(nameless.check().is_err());
        assert!(serde_json::from_value::<Application>(json!({"_id": "a4"})).is_err());
    }

    #[test]
    fn identity_fields_are_required_and_non_empty() {
        let missing = serde_json::from_value::<SystemUser>(json!({"_id": "u1", "email": "a@b"}));
        assert!(
            missing
                .expect_err("no username")
                .to_string()
                .contains("username"),
            "names the field"
        );
        let wrong = serde_json::from_value::<SystemUser>(json!({"_id": "u1", "username": 7}));
        assert!(wrong.is_err(), "a number is not a username");
        let blank: SystemUser =
            serde_json::from_value(json!({"_id": "u1", "username": "  "})).expect("decodes");
        assert_eq!(
            blank.check(),
            Err("user \"u1\" has an empty username".to_string())
        );
        let group: UserGroup = serde_json::from_value(json!({"id": "", "name": "x"})).expect("ok");
        assert!(group.check().is_err());
        assert!(serde_json::from_value::<UserGroup>(json!({"id": "g"})).is_err());
        assert!(serde_json::from_value::<ActiveDirectory>(json!({"id": "a"})).is_err());
        assert!(serde_json::from_value::<Directory>(json!({"id": "d"})).is_err());
        let edge: GraphConnection =
            serde_json::from_value(json!({"to": {"id": "u1", "type": ""}})).expect("decodes");
        assert!(edge.check().is_err());
    }
}
