//! GitHub's error answers: `{"message", "documentation_url", "status"}` bodies for 401/403/404/
//! 410/422, and 422 "Validation Failed" with its `errors` list.

use axum::Json;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// Where GitHub's generic errors point.
pub const DOCS: &str = "https://docs.github.com/rest";

/// An error the emulated API answers with.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub documentation_url: &'static str,
    /// `errors` for 422 "Validation Failed".
    pub errors: Option<Value>,
}

impl ApiError {
    /// A plain error with GitHub's body shape.
    pub fn new(status: StatusCode, message: impl Into<String>, docs: &'static str) -> ApiError {
        ApiError { status, message: message.into(), documentation_url: docs, errors: None }
    }

    /// 404 `Not Found`.
    pub fn not_found(docs: &'static str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "Not Found", docs)
    }

    /// 410 for a deleted issue.
    pub fn gone(docs: &'static str) -> ApiError {
        ApiError::new(StatusCode::GONE, "This issue was deleted", docs)
    }

    /// 400 `Problems parsing JSON`.
    pub fn bad_json(docs: &'static str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "Problems parsing JSON", docs)
    }

    /// 422 `Validation Failed` with one error `{resource, code, field}` (and `value` if given).
    pub fn invalid(resource: &str, code: &str, field: &str, value: Option<Value>, docs: &'static str) -> ApiError {
        let mut error = json!({ "resource": resource, "code": code, "field": field });
        if let Some(value) = value {
            error["value"] = value;
        }
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "Validation Failed".into(),
            documentation_url: docs,
            errors: Some(json!([error])),
        }
    }

    /// 422 with a custom error `message` in the errors list (`code: custom`).
    pub fn custom(resource: &str, field: &str, message: &str, docs: &'static str) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: "Validation Failed".into(),
            documentation_url: docs,
            errors: Some(json!([{
                "resource": resource, "code": "custom", "field": field, "message": message,
            }])),
        }
    }

    /// 422 with a top-level message and plain-string errors (`validation-error-simple`).
    pub fn simple(message: &str, docs: &'static str) -> ApiError {
        ApiError {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: message.into(),
            documentation_url: docs,
            errors: Some(json!([message])),
        }
    }

    /// The JSON body.
    pub fn body(&self) -> Value {
        let mut body = json!({
            "message": self.message,
            "documentation_url": self.documentation_url,
            "status": self.status.as_u16().to_string(),
        });
        if let Some(errors) = &self.errors {
            body["errors"] = errors.clone();
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body())).into_response();
        response.headers_mut().insert("content-type", HeaderValue::from_static("application/json; charset=utf-8"));
        response
    }
}

/// Documentation anchors per operation, as GitHub puts them in `documentation_url`.
pub mod docs {
    pub const LIST_ISSUES: &str = "https://docs.github.com/rest/issues/issues#list-repository-issues";
    pub const GET_ISSUE: &str = "https://docs.github.com/rest/issues/issues#get-an-issue";
    pub const CREATE_ISSUE: &str = "https://docs.github.com/rest/issues/issues#create-an-issue";
    pub const UPDATE_ISSUE: &str = "https://docs.github.com/rest/issues/issues#update-an-issue";
    pub const COMMENTS: &str = "https://docs.github.com/rest/issues/comments";
    pub const LABELS: &str = "https://docs.github.com/rest/issues/labels";
    pub const MILESTONES: &str = "https://docs.github.com/rest/issues/milestones";
    pub const SUB_ISSUES: &str = "https://docs.github.com/rest/issues/sub-issues";
    pub const ISSUE_TYPES: &str = "https://docs.github.com/rest/issues/issue-types";
    pub const RATE_LIMITS: &str = "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api";
    pub const SECONDARY: &str =
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_have_githubs_shape() {
        let body = ApiError::not_found(docs::GET_ISSUE).body();
        assert_eq!(body, json!({"message": "Not Found", "documentation_url": docs::GET_ISSUE, "status": "404"}));
        let body = ApiError::invalid("Issue", "missing_field", "title", None, DOCS).body();
        assert_eq!(body["message"], "Validation Failed");
        assert_eq!(body["errors"][0], json!({"resource": "Issue", "code": "missing_field", "field": "title"}));
    }
}
