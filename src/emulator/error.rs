//! API errors. Handlers only say status and message; the body format depends on which API the
//! path belongs to (v1, v2, or the google.rpc services such as M365 domains), so it is rendered
//! in one place, by the request middleware, from the path.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, format!("{what} {id} not found"))
    }

    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, message)
    }

    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
}

/// The error body style of a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `{code, message, status}` with a gRPC-like upper-case status (the spec's v1 sample).
    V1,
    /// `{code, message, status}` with a lowerCamelCase status, as the v2 spec describes it.
    V2,
    /// `google.rpc.Status`: `{code, message, details: []}`.
    Rpc,
}

impl Style {
    pub fn for_path(path: &str) -> Style {
        let is_domains =
            path.starts_with("/api/v2/office365s/") && path.split('/').nth(5) == Some("domains");
        if is_domains {
            Style::Rpc
        } else if path.starts_with("/api/v2/") || path == "/api/v2" {
            Style::V2
        } else {
            Style::V1
        }
    }
}

/// Renders the error body for `style`.
pub fn body(style: Style, status: StatusCode, message: &str) -> Value {
    let code = status.as_u16();
    match style {
        Style::Rpc => json!({"code": code, "message": message, "details": []}),
        Style::V1 => json!({"code": code, "message": message, "status": status_name(status)}),
        Style::V2 => {
            json!({"code": code, "message": message, "status": camel(status_name(status))})
        }
    }
}

fn status_name(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        405 => "METHOD_NOT_ALLOWED",
        409 => "ALREADY_EXISTS",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        _ => "INTERNAL",
    }
}

fn camel(upper: &str) -> String {
    let mut out = String::new();
    for (i, word) in upper.split('_').enumerate() {
        let word = word.to_lowercase();
        let mut chars = word.chars();
        if i == 0 {
            out.push_str(&word);
        } else if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.push_str(chars.as_str());
        }
    }
    out
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        // The middleware replaces this with the styled body; the extension carries the message.
        let mut response = self.status.into_response();
        response.extensions_mut().insert(self);
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn styles_by_path() {
        assert_eq!(Style::for_path("/api/systemusers"), Style::V1);
        assert_eq!(Style::for_path("/api/v2/usergroups"), Style::V2);
        assert_eq!(
            Style::for_path("/api/v2/office365s/abc/domains"),
            Style::Rpc
        );
        assert_eq!(Style::for_path("/api/v2/office365s/abc"), Style::V2);
    }

    #[test]
    fn bodies() {
        assert_eq!(
            body(Style::V2, StatusCode::NOT_FOUND, "x")["status"],
            "notFound"
        );
        assert_eq!(
            body(Style::V1, StatusCode::BAD_REQUEST, "x")["status"],
            "INVALID_ARGUMENT"
        );
        assert_eq!(
            body(Style::Rpc, StatusCode::CONFLICT, "x")["details"],
            serde_json::json!([])
        );
    }
}
