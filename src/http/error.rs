//! The one error type of the HTTP layer and its mapping to status codes.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::store::StoreError;

/// Every error answer has this shape: `{error, error_type, details?}`.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: String,
    pub error_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<serde_json::Value>,
}

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    /// Boxed: errors travel through every handler's `Result`, so the `Err` side stays small.
    pub body: Box<ErrorBody>,
    /// Seconds after which a retry may succeed (busy model, rate limit), sent as `Retry-After`.
    pub retry_after_s: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, error_type: &'static str, error: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody { error: error.into(), error_type, details: None }),
            retry_after_s: None,
        }
    }

    pub fn bad_request(error: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", error)
    }

    pub fn not_found(error: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", error)
    }

    pub fn internal(error: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", error)
    }

    pub fn unauthorized(error: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", error)
    }

    pub fn forbidden(error: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", error)
    }

    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after_s = Some(seconds);
        self
    }

    pub fn with_details(mut self, details: impl Serialize) -> Self {
        self.body.details = serde_json::to_value(details).ok();
        self
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        let message = e.to_string();
        match e {
            StoreError::NotFound(_) | StoreError::VersionNotFound { .. } | StoreError::UserNotFound(_) => {
                ApiError::not_found(message)
            }
            StoreError::Forbidden(_) => ApiError::forbidden(message),
            StoreError::UserExists(_) => ApiError::new(StatusCode::CONFLICT, "conflict", message),
            StoreError::BadInput(_) => ApiError::bad_request(message),
            StoreError::VersionConflict { expected, actual, .. } => {
                ApiError::new(StatusCode::CONFLICT, "conflict", message)
                    .with_details(serde_json::json!({ "expected_version": expected, "current_version": actual }))
            }
            StoreError::Invalid(validation) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation", message).with_details(validation)
            }
            StoreError::Open { .. }
            | StoreError::SchemaTooNew { .. }
            | StoreError::Sqlite { .. }
            | StoreError::Corrupt(_) => {
                tracing::error!(error = %message, "store failure");
                ApiError::internal(message)
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(*self.body)).into_response();
        if let Some(seconds) = self.retry_after_s {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
