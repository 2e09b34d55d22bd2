//! `ApiError` and the parsing of error bodies.
//!
//! JumpCloud error bodies are not uniform: v1/v2 `Error {code, message, status}` (v1 adds
//! `details`), `google.rpc.Status {code, message, details}` on some v2 services, an `error` key
//! in the wild, and proxies answer with HTML or plain text. `ErrorBody::parse` accepts all of them
//! and never fails. Errors carry the method and the path without its query string, never a header:
//! the API key cannot end up in one.

use serde_json::Value;

/// Longest snippet of an unparseable body kept in an error.
const SNIPPET_CHARS: usize = 200;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// The server answered with a non-success status.
    #[error("{method} {path}: HTTP {status}: {message}")]
    Status {
        method: String,
        path: String,
        status: u16,
        /// The machine-readable code (`status` in v1/v2 bodies, e.g. `INVALID_ARGUMENT`).
        code: Option<String>,
        message: String,
    },
    /// No usable answer: connection refused, reset, TLS, DNS, or the body could not be read.
    #[error("{method} {path}: {message}")]
    Transport {
        method: String,
        path: String,
        message: String,
        timeout: bool,
    },
    /// A create may or may not have been applied (5xx or a lost connection after the request was
    /// sent). Not retried blindly: the caller must read back before trying again.
    #[error(
        "{method} {path}: the request may have been applied ({cause}); \
         read the object back before retrying"
    )]
    Ambiguous {
        method: String,
        path: String,
        cause: String,
    },
    /// A collection could not be read completely. No partial data is returned.
    #[error("could not read {collection} completely: {reason}")]
    Incomplete { collection: String, reason: String },
    /// A success response whose body is not the documented shape.
    #[error("{method} {path}: unexpected response: {message}")]
    Decode {
        method: String,
        path: String,
        message: String,
    },
    /// The client could not be set up (bad URL, TLS backend).
    #[error("invalid client configuration: {0}")]
    Config(String),
}

impl ApiError {
    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub fn is_not_found(&self) -> bool {
        self.status() == Some(404)
    }

    pub fn is_conflict(&self) -> bool {
        self.status() == Some(409)
    }

    /// The caller must read back before retrying (see `Ambiguous`).
    pub fn is_ambiguous(&self) -> bool {
        matches!(self, ApiError::Ambiguous { .. })
    }
}

impl ApiError {
    /// The same error with every occurrence of a secret in its text replaced by `***`. Servers
    /// quote requests back (a 400 naming the rejected password, a proxy echoing headers), and an
    /// error's text goes to the terminal and the apply journal, so the client scrubs each error
    /// of the secrets it sent (the API key, passwords in the body) before returning it.
    pub fn redacted(self, secrets: &[String]) -> ApiError {
        if secrets.is_empty() {
            return self;
        }
        let r = |s: String| scrub(&s, secrets);
        match self {
            ApiError::Status {
                method,
                path,
                status,
                code,
                message,
            } => ApiError::Status {
                method,
                path: r(path),
                status,
                code: code.map(r),
                message: r(message),
            },
            ApiError::Transport {
                method,
                path,
                message,
                timeout,
            } => ApiError::Transport {
                method,
                path: r(path),
                message: r(message),
                timeout,
            },
            ApiError::Ambiguous {
                method,
                path,
                cause,
            } => ApiError::Ambiguous {
                method,
                path: r(path),
                cause: r(cause),
            },
            ApiError::Incomplete { collection, reason } => ApiError::Incomplete {
                collection: r(collection),
                reason: r(reason),
            },
            ApiError::Decode {
                method,
                path,
                message,
            } => ApiError::Decode {
                method,
                path: r(path),
                message: r(message),
            },
            ApiError::Config(message) => ApiError::Config(r(message)),
        }
    }
}

/// What replaces a secret in server-provided text.
pub const REDACTED: &str = "***";

/// `text` with each secret replaced by `REDACTED`: as sent, JSON-escaped (a body quoting it
/// back) and trimmed (error parsing trims messages). Longer secrets first, so one that contains
/// another is replaced whole. Empty secrets are skipped.
pub fn scrub(text: &str, secrets: &[String]) -> String {
    let mut forms: Vec<String> = Vec::new();
    for secret in secrets {
        let escaped = serde_json::to_string(secret).unwrap_or_default();
        let escaped = escaped
            .strip_prefix('"')
            .and_then(|e| e.strip_suffix('"'))
            .unwrap_or("")
            .to_string();
        for form in [secret.clone(), escaped, secret.trim().to_string()] {
            if !form.is_empty() && !forms.contains(&form) {
                forms.push(form);
            }
        }
    }
    forms.sort_by_key(|f| std::cmp::Reverse(f.len()));
    let mut out = text.to_string();
    for form in &forms {
        if out.contains(form.as_str()) {
            out = out.replace(form.as_str(), REDACTED);
        }
    }
    out
}

/// What an error body says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorBody {
    pub code: Option<String>,
    pub message: String,
}

impl ErrorBody {
    /// Parses any error body. Field violations from `details` (`fieldViolationsList` or
    /// `fieldViolations`) are appended to the message because they say what to fix.
    pub fn parse(body: &str) -> ErrorBody {
        match serde_json::from_str::<Value>(body) {
            Ok(Value::Object(map)) => {
                let message = text(map.get("message"))
                    .or_else(|| match map.get("error") {
                        Some(Value::Object(inner)) => {
                            text(inner.get("message")).or_else(|| text(inner.get("error")))
                        }
                        other => text(other),
                    })
                    .or_else(|| text(map.get("code")).map(|c| format!("error code {c}")));
                let Some(mut message) = message else {
                    return ErrorBody {
                        code: None,
                        message: snippet(body),
                    };
                };
                let violations = field_violations(map.get("details"));
                if !violations.is_empty() {
                    message = format!("{message} ({})", violations.join("; "));
                }
                // v1/v2 `status` is the stable code; google.rpc.Status has only a numeric `code`.
                let code = text(map.get("status")).or_else(|| match map.get("code") {
                    Some(Value::String(s)) => Some(s.clone()),
                    _ => None,
                });
                ErrorBody { code, message }
            }
            Ok(Value::String(s)) if !s.trim().is_empty() => ErrorBody {
                code: None,
                message: s,
            },
            _ => ErrorBody {
                code: None,
                message: snippet(body),
            },
        }
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn field_violations(details: Option<&Value>) -> Vec<String> {
    let Some(Value::Array(details)) = details else {
        return Vec::new();
    };
    details
        .iter()
        .flat_map(|d| {
            ["fieldViolationsList", "fieldViolations"]
                .iter()
                .filter_map(|k| d.get(*k)?.as_array())
                .flatten()
                .collect::<Vec<_>>()
        })
        .filter_map(|v| {
            let field = v.get("field")?.as_str()?;
            let description = v
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("invalid");
            Some(format!("{field}: {description}"))
        })
        .collect()
}

/// A body that is not JSON we understand: whitespace collapsed, cut to `SNIPPET_CHARS`.
fn snippet(body: &str) -> String {
    let collapsed = body.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.is_empty() {
        return "(empty body)".to_string();
    }
    let mut out: String = collapsed.chars().take(SNIPPET_CHARS).collect();
    if collapsed.chars().count() > SNIPPET_CHARS {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: &str) -> (Option<String>, String) {
        let b = ErrorBody::parse(body);
        (b.code, b.message)
    }

    #[test]
    fn v1_error_with_field_violations() {
        let body = r#"{"code":400,"message":"Password validation fail","status":"INVALID_ARGUMENT",
            "details":[{"fieldViolationsList":[{"field":"password","description":"specialCharacter"}],
            "@type":"type.googleapis.com/google.rpc.BadRequest"}]}"#;
        assert_eq!(
            parse(body),
            (
                Some("INVALID_ARGUMENT".into()),
                "Password validation fail (password: specialCharacter)".into()
            )
        );
    }

    #[test]
    fn v2_error_with_camel_case_status() {
        assert_eq!(
            parse(r#"{"code":409,"message":"Group name already exists","status":"duplicateName"}"#),
            (
                Some("duplicateName".into()),
                "Group name already exists".into()
            )
        );
    }

    #[test]
    fn google_rpc_status() {
        assert_eq!(
            parse(r#"{"code":5,"message":"domain not found","details":[]}"#),
            (None, "domain not found".into())
        );
    }

    #[test]
    fn error_key_string_or_object() {
        assert_eq!(
            parse(r#"{"error":"Unauthorized"}"#),
            (None, "Unauthorized".into())
        );
        assert_eq!(
            parse(r#"{"error":{"message":"bad org id"}}"#),
            (None, "bad org id".into())
        );
    }

    #[test]
    fn code_only() {
        assert_eq!(
            parse(r#"{"code":"RATE_LIMITED"}"#).1,
            "error code RATE_LIMITED"
        );
    }

    #[test]
    fn html_and_empty_bodies_become_snippets() {
        let html = format!("<html>\n  <body>{}</body></html>", "x".repeat(500));
        let (code, message) = parse(&html);
        assert_eq!(code, None);
        assert!(message.starts_with("<html> <body>xxx"));
        assert!(message.ends_with('…'));
        assert_eq!(message.chars().count(), SNIPPET_CHARS + 1);
        assert_eq!(parse("  \n").1, "(empty body)");
        assert_eq!(parse(r#"{"unrelated":true}"#).1, r#"{"unrelated":true}"#);
    }

    #[test]
    fn secrets_are_scrubbed_in_every_form() {
        let secrets = vec!["pa\"ss w0rd".to_string(), "key-123".to_string()];
        let body = r#"{"message":"password \"pa\"ss w0rd\" rejected","echo":"x-api-key: key-123"}"#;
        // Parsed (unescaped) and raw (escaped) both lose the secret.
        let parsed = ErrorBody::parse(body).message;
        assert_eq!(scrub(&parsed, &secrets), r#"password "***" rejected"#);
        let raw = scrub(body, &secrets);
        assert!(!raw.contains("w0rd") && !raw.contains("key-123"), "{raw}");
        let e = ApiError::Status {
            method: "POST".into(),
            path: "/api/systemusers".into(),
            status: 400,
            code: Some("key-123".into()),
            message: parsed,
        }
        .redacted(&secrets);
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains("w0rd") && !shown.contains("key-123"),
            "{shown}"
        );
    }

    #[test]
    fn status_error_renders_method_path_status_message() {
        let e = ApiError::Status {
            method: "GET".into(),
            path: "/api/v2/usergroups/abc".into(),
            status: 404,
            code: None,
            message: "Not Found".into(),
        };
        assert_eq!(
            e.to_string(),
            "GET /api/v2/usergroups/abc: HTTP 404: Not Found"
        );
        assert!(e.is_not_found());
    }
}
