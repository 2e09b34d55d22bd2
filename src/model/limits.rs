//! The constraints the JumpCloud API documents for the values jcform writes, as facts in one
//! place: `model::lower` refuses longer values in the files (`too-long`), and the sandbox
//! emulator refuses them in request bodies with a 400, as the API does.
//!
//! Source: the official OpenAPI specs (v1 and v2), by operation and schema:
//! - v1 `PUT /systemusers/{id}`, request schema `systemuserput`: `maxLength` 1024 on `username`,
//!   `email`, `firstname`, `middlename`, `lastname`, `displayname`, `description`, `jobTitle`,
//!   `department`, `costCenter`, `company`, `location`, `employeeType`; 256 on
//!   `employeeIdentifier`. `alternateEmail` has none.
//! - v1 `POST /systemusers`, request schema `systemuserputpost`: the same numbers for
//!   `description`, `email` (1024) and `employeeIdentifier` (256), and none for the others; but
//!   the `systemuserreturn` schema caps every field above as `systemuserput` does, and a user
//!   created with a longer value could never be updated again, so one table serves both.
//! - v2 `POST /usergroups` and `PUT /usergroups/{id}` (`UserGroupPost`, `UserGroupPut`), v2
//!   `PATCH /activedirectories/{id}` (`active-directory`) and `PATCH /office365s/{id}`
//!   (`office365`): no length limits on the fields jcform writes (`name`, `description`,
//!   `domain`, `defaultDomain`).
//! - Other simple constraints on these bodies are enforced elsewhere from the same specs:
//!   `username` and `email` are required on create (`systemuserputpost.required`; the config key
//!   is the username and `email` is a required field), `state` is one of `STAGED`, `ACTIVATED`,
//!   `SUSPENDED` (`UserState`), `employeeIdentifier` "must be unique per user" (`duplicate-employee-id`).
//!
//! Lengths are counted in characters (Unicode scalar values), as JSON Schema's `maxLength` is.

/// The longest value the API accepts for one user text field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextLimit {
    /// The config's name for the field (`username` is the user's key in the files).
    pub config: &'static str,
    /// The v1 API's name for the field.
    pub api: &'static str,
    /// `maxLength`, in characters.
    pub max_chars: usize,
}

const fn limit(config: &'static str, api: &'static str, max_chars: usize) -> TextLimit {
    TextLimit {
        config,
        api,
        max_chars,
    }
}

/// v1 `systemuserput` (`PUT /systemusers/{id}`) `maxLength`s, see the module documentation.
pub const USER_TEXT_LIMITS: &[TextLimit] = &[
    limit("username", "username", 1024),
    limit("email", "email", 1024),
    limit("firstname", "firstname", 1024),
    limit("middlename", "middlename", 1024),
    limit("lastname", "lastname", 1024),
    limit("displayname", "displayname", 1024),
    limit("description", "description", 1024),
    limit("job_title", "jobTitle", 1024),
    limit("department", "department", 1024),
    limit("cost_center", "costCenter", 1024),
    limit("company", "company", 1024),
    limit("location", "location", 1024),
    limit("employee_type", "employeeType", 1024),
    limit("employee_id", "employeeIdentifier", 256),
];

/// The `maxLength` of a user field by its config name, if the API documents one.
pub fn user_max_chars(config_name: &str) -> Option<usize> {
    USER_TEXT_LIMITS
        .iter()
        .find(|l| l.config == config_name)
        .map(|l| l.max_chars)
}

/// The `maxLength` of a user field by its v1 API name, if the API documents one.
/// [`user_max_chars`] of each field of `USER_TEXT_FIELDS`, by its place there (`None`: no
/// limit), so that lowering checks a hundred thousand users' fields without a search by name.
pub const USER_TEXT_MAX_CHARS: [Option<usize>; crate::model::USER_TEXT_FIELDS.len()] = {
    let fields = crate::model::USER_TEXT_FIELDS;
    let mut out = [None; crate::model::USER_TEXT_FIELDS.len()];
    let mut i = 0;
    while i < fields.len() {
        let mut j = 0;
        while j < USER_TEXT_LIMITS.len() {
            if same(USER_TEXT_LIMITS[j].config, fields[i].0) {
                out[i] = Some(USER_TEXT_LIMITS[j].max_chars);
            }
            j += 1;
        }
        i += 1;
    }
    out
};

/// [`user_max_chars`] of the username.
pub const USERNAME_MAX_CHARS: usize = USER_TEXT_LIMITS[0].max_chars;

/// `a == b`, at compile time.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut k = 0;
    while k < a.len() {
        if a[k] != b[k] {
            return false;
        }
        k += 1;
    }
    true
}

pub fn user_max_chars_api(api_name: &str) -> Option<usize> {
    USER_TEXT_LIMITS
        .iter()
        .find(|l| l.api == api_name)
        .map(|l| l.max_chars)
}

/// The length of a value as `maxLength` counts it.
pub fn chars(value: &str) -> usize {
    value.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::USER_TEXT_FIELDS;

    #[test]
    fn every_limit_names_a_field_jcform_writes() {
        for l in USER_TEXT_LIMITS {
            assert!(
                l.config == "username" || USER_TEXT_FIELDS.contains(&(l.config, l.api)),
                "{l:?}"
            );
        }
        assert_eq!(user_max_chars("employee_id"), Some(256));
        assert_eq!(user_max_chars_api("jobTitle"), Some(1024));
        assert_eq!(user_max_chars("alternate_email"), None);
        assert_eq!(chars("José"), 4);
        assert_eq!(user_max_chars("username"), Some(USERNAME_MAX_CHARS));
        for ((name, _), max) in USER_TEXT_FIELDS.iter().zip(USER_TEXT_MAX_CHARS) {
            assert_eq!(user_max_chars(name), max, "{name}");
        }
    }
}
