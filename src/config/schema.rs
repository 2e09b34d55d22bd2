//! The JSON Schema of the YAML form, generated from these types (schemars). They describe the
//! file format only; reading is done by `model::lower`, which collects every error with its
//! place. A test keeps the two in step (same field names), and another keeps
//! `schemas/jcform.schema.json` equal to `jcform schema`.

#![allow(dead_code)] // the types exist for their schema

use std::collections::BTreeMap;

use schemars::JsonSchema;

/// A schema type for an enumeration of the model: the words the files may use, from the enum's
/// one spelling table (`model::words`), under the schema name `$name`.
macro_rules! word_schema {
    ($name:ident, $words:ty) => {
        struct $name;

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                stringify!($name).into()
            }

            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                schemars::json_schema!({ "type": "string", "enum": <$words>::NAMES })
            }
        }
    };
}

/// A jcform config file: JumpCloud users, groups, AD domains, M365 tenants and their bindings.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields, title = "jcform config")]
pub struct ConfigFile {
    /// The config language version; always 1.
    #[schemars(range(min = 1, max = 1))]
    version: Option<u8>,
    settings: Option<Settings>,
    /// Users, keyed by JumpCloud username (address `user.<username>`).
    users: Option<BTreeMap<String, User>>,
    /// User groups, keyed by group name (address `group.<name>`).
    groups: Option<BTreeMap<String, Group>>,
    /// Active Directory integrations, keyed by a name of your choice (address `ad_domain.<key>`).
    ad_domains: Option<BTreeMap<String, AdDomain>>,
    /// Microsoft 365 / Entra ID integrations, adopted by id (address `m365_tenant.<key>`).
    m365_tenants: Option<BTreeMap<String, M365Tenant>>,
    /// SSO (SAML) applications, keyed by a name of your choice (address `sso_app.<key>`).
    sso_apps: Option<BTreeMap<String, SsoApp>>,
    /// Bindings of users and groups to directories; entries for one directory add up, across files too.
    bindings: Option<Vec<BindingEntry>>,
    /// Accepted findings of the lockout rules, each with a reason.
    waivers: Option<Vec<Waiver>>,
}

/// What to do with live objects the files don't name.
#[derive(JsonSchema)]
#[serde(rename_all = "snake_case")]
enum ManageMode {
    /// Delete (unbind, remove) what the files don't name.
    Full,
    /// Leave it alone and list it as unmanaged (the default).
    Additive,
    /// Leave it alone and say nothing.
    Ignore,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Settings {
    manage: Option<Manage>,
    ignore: Option<Ignore>,
    limits: Option<Limits>,
    /// The credentials profile of the org these files are for (docs/credentials.md); used when
    /// the command line names neither --profile nor --sandbox.
    profile: Option<String>,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Manage {
    users: Option<ManageMode>,
    groups: Option<ManageMode>,
    ad_domains: Option<ManageMode>,
    /// Live members of a declared group that its `members` list lacks.
    memberships: Option<ManageMode>,
    /// Live bindings of a declared AD domain / M365 tenant that no `bindings` entry declares.
    bindings: Option<ManageMode>,
    /// SSO applications the files don't name.
    sso_apps: Option<ManageMode>,
}

/// Name globs never touched and never reported.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Ignore {
    users: Option<Vec<String>>,
    groups: Option<Vec<String>>,
}

/// Mass-change guards (rules SAF001, SAF002).
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Limits {
    max_deletes: Option<u64>,
    max_unbinds: Option<u64>,
}

word_schema!(UserState, crate::model::UserState);

word_schema!(PasswordAuthority, crate::model::PasswordAuthorityDecl);

/// Write-only: used only when the user is created. Prefer env or file to a literal (SEC001).
#[derive(JsonSchema)]
#[serde(untagged)]
enum Password {
    Env {
        /// Environment variable holding the password.
        env: String,
    },
    File {
        /// File holding the password (trailing newline ignored).
        file: String,
    },
    Literal(String),
}

/// A field left out is not managed: the plan leaves its live value alone.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct User {
    /// Required.
    #[schemars(email)]
    email: String,
    firstname: Option<String>,
    lastname: Option<String>,
    middlename: Option<String>,
    displayname: Option<String>,
    description: Option<String>,
    job_title: Option<String>,
    department: Option<String>,
    cost_center: Option<String>,
    company: Option<String>,
    location: Option<String>,
    employee_id: Option<String>,
    employee_type: Option<String>,
    alternate_email: Option<String>,
    state: Option<UserState>,
    initial_password: Option<Password>,
    /// An `ad_domains` key (AD checks this user's password) or `none`.
    delegated_authority: Option<String>,
    /// Who owns the password ("Password Authority"): `jumpcloud` or `active_directory` (the
    /// domain in `delegated_authority`; then no password can be set in JumpCloud).
    password_authority: Option<PasswordAuthority>,
    password_never_expires: Option<bool>,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Group {
    description: Option<String>,
    /// Usernames of the direct members (static groups only).
    members: Option<Vec<String>>,
}

word_schema!(UseCase, crate::model::UseCase);

word_schema!(Delegation, crate::model::Delegation);

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct AdDomain {
    /// `corp.example.com`, or the API's `DC=corp;DC=example;DC=com`.
    domain: String,
    use_case: Option<UseCase>,
    delegation: Option<Delegation>,
    groups_enabled: Option<bool>,
}

word_schema!(M365Action, crate::model::M365Action);

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct M365Tenant {
    /// The integration's JumpCloud id (24 hex digits): tenants are authorised in the admin console and adopted by id.
    #[schemars(regex(pattern = r"^[0-9a-fA-F]{24}$"))]
    id: String,
    name: Option<String>,
    groups_enabled: Option<bool>,
    default_domain: Option<String>,
    user_lockout_action: Option<M365Action>,
    user_password_expiration_action: Option<M365Action>,
    /// The domain federated (or to be federated) to JumpCloud; `jcform federation` prints what
    /// must run on Microsoft's side.
    federation: Option<Federation>,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Federation {
    /// The M365 domain whose sign-ins go to JumpCloud, e.g. `contoso.com`.
    domain: String,
    /// The `sso_apps` key of the application that signs them in.
    sso_app: String,
}

/// An SSO application (v1 `/applications`). Fields left out are not managed.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct SsoApp {
    /// The JumpCloud application catalogue name, e.g. `office365` for Microsoft 365.
    template: String,
    /// The label shown in the User Portal (`displayLabel`); the app is matched by it.
    display_label: Option<String>,
    /// The `m365_tenants` key the app signs in to.
    tenant: Option<String>,
    /// The IdP Entity ID (`config.idpEntityId`): for Microsoft 365, the federated domain.
    domain: Option<String>,
    /// `config.spEntityId` (Microsoft 365: `urn:federation:MicrosoftOnline`).
    sp_entity_id: Option<String>,
    /// `config.acsUrl` (Microsoft 365: `https://login.microsoftonline.com/login.srf`).
    acs_url: Option<String>,
    /// The IdP login URL (`ssoUrl`).
    sso_url: Option<String>,
    /// User groups assigned to the app (who may sign in through it).
    groups: Option<Vec<String>>,
}

/// Users and groups bound to one directory: name exactly one of `ad_domain` or `m365_tenant`.
#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct BindingEntry {
    /// An `ad_domains` key.
    ad_domain: Option<String>,
    /// An `m365_tenants` key.
    m365_tenant: Option<String>,
    users: Option<Vec<String>>,
    groups: Option<Vec<String>>,
}

#[derive(JsonSchema)]
#[schemars(deny_unknown_fields)]
struct Waiver {
    /// A rule code, e.g. LCK101.
    rule: String,
    /// The address a finding names (`user.alice`), or `*`.
    target: String,
    reason: String,
}

/// The schema as pretty JSON, ending in a newline. User text fields carry the API's
/// `maxLength` (from `model::limits`, the one place those numbers live), so editors flag an
/// over-long value as `validate` does.
pub fn json() -> String {
    let mut schema = serde_json::to_value(schemars::schema_for!(ConfigFile)).unwrap_or_default();
    if let Some(fields) = schema
        .pointer_mut("/$defs/User/properties")
        .and_then(serde_json::Value::as_object_mut)
    {
        for limit in crate::model::limits::USER_TEXT_LIMITS {
            if let Some(field) = fields
                .get_mut(limit.config)
                .and_then(serde_json::Value::as_object_mut)
            {
                field.insert("maxLength".into(), limit.max_chars.into());
            }
        }
    }
    // The username is the key of `users`.
    if let (Some(users), Some(max)) = (
        schema
            .pointer_mut("/properties/users")
            .and_then(serde_json::Value::as_object_mut),
        crate::model::limits::user_max_chars("username"),
    ) {
        users.insert(
            "propertyNames".into(),
            serde_json::json!({ "maxLength": max }),
        );
    }
    let mut s = serde_json::to_string_pretty(&schema).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::lower;

    fn properties(schema: &serde_json::Value, def: &str) -> Vec<String> {
        let node = if def.is_empty() {
            schema
        } else {
            &schema["$defs"][def]
        };
        let mut keys: Vec<String> = node["properties"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default();
        keys.sort();
        keys
    }

    fn sorted(fields: &[&str]) -> Vec<String> {
        let mut v: Vec<String> = fields.iter().map(|s| s.to_string()).collect();
        v.sort();
        v
    }

    #[test]
    fn user_fields_carry_the_api_length_limits() {
        let schema: serde_json::Value = serde_json::from_str(&json()).unwrap();
        let user = &schema["$defs"]["User"]["properties"];
        assert_eq!(user["description"]["maxLength"], 1024);
        assert_eq!(user["employee_id"]["maxLength"], 256);
        assert!(user["alternate_email"].get("maxLength").is_none());
        assert_eq!(
            schema["properties"]["users"]["propertyNames"]["maxLength"],
            1024
        );
    }

    /// `ManageMode` keeps its own schema type for its per-word descriptions; its words are the
    /// model's (the other enumerations take theirs from the model directly).
    #[test]
    fn manage_mode_words_are_the_models() {
        let schema: serde_json::Value = serde_json::from_str(&json()).unwrap();
        let words: Vec<&str> = schema["$defs"]["ManageMode"]["oneOf"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|w| w["const"].as_str())
            .collect();
        assert_eq!(words, crate::model::ManageMode::NAMES);
        assert_eq!(
            schema["$defs"]["UseCase"]["enum"],
            serde_json::json!(crate::model::UseCase::NAMES)
        );
    }

    #[test]
    fn schema_and_reader_know_the_same_fields() {
        let schema: serde_json::Value = serde_json::from_str(&json()).unwrap();
        assert_eq!(properties(&schema, ""), sorted(lower::TOP_FIELDS));
        assert_eq!(properties(&schema, "User"), sorted(&lower::user_fields()));
        assert_eq!(properties(&schema, "Group"), sorted(lower::GROUP_FIELDS));
        assert_eq!(properties(&schema, "AdDomain"), sorted(lower::AD_FIELDS));
        assert_eq!(
            properties(&schema, "M365Tenant"),
            sorted(lower::M365_FIELDS)
        );
        assert_eq!(
            properties(&schema, "BindingEntry"),
            sorted(lower::BINDING_FIELDS)
        );
        assert_eq!(properties(&schema, "Waiver"), sorted(lower::WAIVER_FIELDS));
        assert_eq!(properties(&schema, "SsoApp"), sorted(lower::SSO_APP_FIELDS));
        assert_eq!(
            properties(&schema, "Federation"),
            sorted(lower::FEDERATION_FIELDS)
        );
        assert_eq!(
            properties(&schema, "Settings"),
            sorted(lower::SETTINGS_FIELDS)
        );
        assert_eq!(properties(&schema, "Manage"), sorted(lower::MANAGE_FIELDS));
        assert_eq!(properties(&schema, "Limits"), sorted(lower::LIMITS_FIELDS));
    }
}
