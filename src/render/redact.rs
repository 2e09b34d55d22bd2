//! Keeps secrets out of everything jcform prints or writes. Passwords are write-only in
//! JumpCloud and must stay that way in plans, PR comments and plan files: whatever the diff
//! puts under a password field, only the fact that one is set survives.

use serde_json::Value;

/// What a set secret looks like in output.
pub const SET: &str = "(set)";

/// `password`, `initial_password`, `ldap_binding_password`... but not `password_never_expires`
/// (a flag, not a secret).
pub fn is_secret_key(key: &str) -> bool {
    key == "password" || key.ends_with("_password")
}

/// A copy of `value` with every non-null value under a secret key replaced by `"(set)"`, at any
/// depth. `null` stays `null`: "no password" is not a secret.
pub fn redact_secrets(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = if is_secret_key(k) && !v.is_null() {
                        Value::String(SET.to_string())
                    } else {
                        redact_secrets(v)
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(redact_secrets).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn passwords_become_set_at_any_depth() {
        let v = json!({
            "email": "a@example.com",
            "initial_password": "hunter2",
            "password_never_expires": true,
            "nested": [{"password": {"literal": "s3cret"}}],
            "old_password": null,
        });
        let r = redact_secrets(&v);
        assert_eq!(
            r,
            json!({
                "email": "a@example.com",
                "initial_password": "(set)",
                "password_never_expires": true,
                "nested": [{"password": "(set)"}],
                "old_password": null,
            })
        );
        assert!(!r.to_string().contains("hunter2"));
    }
}
