//! The one error type of the HTTP layer: every library error becomes a status code and an
//! [`ErrorType`] here, and nowhere else.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::bpmn::ImportError;
use crate::directory::DirectoryError;
use crate::draft::{DraftError, InputError};
use crate::llm::LlmError;
use crate::loading::NotReady;
use crate::similarity::SimilarityError;
use crate::speech::SpeechError;
use crate::store::StoreError;

/// Seconds a client should wait before retrying while a part loads or the server restarts.
const RETRY_LOADING_S: u64 = 5;
/// Seconds a client should wait before retrying when the model's queue is full (about a draft).
const RETRY_BUSY_S: u64 = 15;

/// The machine-readable kind of an error answer; clients (the web UI too) match on this, never on
/// the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    BadRequest,
    Unauthorized,
    Forbidden,
    NotFound,
    /// No route of this server has that path: a feature this build does not offer.
    NoSuchEndpoint,
    Conflict,
    /// The process has validation errors; `details` lists them.
    Validation,
    PayloadTooLarge,
    UnsupportedMediaType,
    InvalidBpmn,
    RateLimited,
    /// The directory (LDAP) cannot be reached or refused the server's request; local accounts
    /// still sign in.
    DirectoryUnavailable,
    /// Right password, but the account has no access to ablauf (no group gives it a role, or an
    /// admin revoked it).
    NoAccess,
    EmptyInput,
    InputTooLong,
    NotText,
    NotAProcess,
    /// The model wrote no steps.
    NoSteps,
    /// The recording holds no speech.
    NoSpeech,
    /// A part (language model, duplicate detection, catalogue) is still loading: retry.
    Loading,
    /// A part could not be loaded; retrying does not help until the server is fixed.
    Unavailable,
    /// The model's queue is full: retry.
    Busy,
    ShuttingDown,
    Timeout,
    Internal,
}

/// Every error answer has this shape: `{error, error_type, details?}`.
#[derive(Debug, Serialize)]
pub struct ErrorBody {
    pub error: String,
    pub error_type: ErrorType,
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
    pub fn new(status: StatusCode, error_type: ErrorType, error: impl Into<String>) -> Self {
        Self {
            status,
            body: Box::new(ErrorBody { error: error.into(), error_type, details: None }),
            retry_after_s: None,
        }
    }

    pub fn bad_request(error: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorType::BadRequest, error)
    }

    pub fn not_found(error: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorType::NotFound, error)
    }

    pub fn internal(error: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, ErrorType::Internal, error)
    }

    pub fn unauthorized(error: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, ErrorType::Unauthorized, error)
    }

    pub fn forbidden(error: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, ErrorType::Forbidden, error)
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

impl ApiError {
    /// The error as the last event of a server-sent stream: `error` with the body and the status
    /// it would have had.
    pub fn into_event(self) -> axum::response::sse::Event {
        let body = serde_json::json!({
            "error": self.body.error,
            "error_type": self.body.error_type,
            "status": self.status.as_u16(),
        });
        axum::response::sse::Event::default().event("error").data(body.to_string())
    }
}

impl From<SpeechError> for ApiError {
    fn from(e: SpeechError) -> Self {
        let message = e.to_string();
        match e {
            SpeechError::Format(detail) => ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorType::UnsupportedMediaType,
                format!("Die Aufnahme lässt sich nicht lesen: {detail}. Bitte als WAV senden."),
            ),
            SpeechError::Silence => ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorType::NoSpeech,
                "In der Aufnahme ist keine Sprache zu hören. Bitte näher am Mikrofon und lauter sprechen.",
            ),
            SpeechError::Busy => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorType::Busy, message).retry_after(RETRY_BUSY_S)
            }
            SpeechError::Model(_) | SpeechError::Candle(_) | SpeechError::Fetch(_) => {
                tracing::error!(error = %message, "speech model failure");
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorType::Unavailable, message)
            }
            SpeechError::Cancelled => ApiError::internal(message),
        }
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
            StoreError::UserExists(_) => ApiError::new(StatusCode::CONFLICT, ErrorType::Conflict, message),
            StoreError::BadInput(_) => ApiError::bad_request(message),
            StoreError::VersionConflict { expected, actual, .. } => {
                ApiError::new(StatusCode::CONFLICT, ErrorType::Conflict, message)
                    .with_details(serde_json::json!({ "expected_version": expected, "current_version": actual }))
            }
            StoreError::Invalid(validation) => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorType::Validation, message).with_details(validation)
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

impl From<DirectoryError> for ApiError {
    fn from(e: DirectoryError) -> Self {
        tracing::warn!(error = %e, "directory sign-in failed");
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorType::DirectoryUnavailable, e.to_string())
            .retry_after(RETRY_LOADING_S)
    }
}

impl From<NotReady> for ApiError {
    fn from(e: NotReady) -> Self {
        match e {
            NotReady::Loading { .. } => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorType::Loading, e.to_string())
                    .retry_after(RETRY_LOADING_S)
            }
            NotReady::Failed { .. } => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorType::Unavailable, e.to_string())
            }
        }
    }
}

impl From<InputError> for ApiError {
    fn from(e: InputError) -> Self {
        let (status, error_type) = match e {
            InputError::Empty => (StatusCode::BAD_REQUEST, ErrorType::EmptyInput),
            InputError::TooLong { .. } => (StatusCode::UNPROCESSABLE_ENTITY, ErrorType::InputTooLong),
            InputError::NotText { .. } => (StatusCode::UNPROCESSABLE_ENTITY, ErrorType::NotText),
            InputError::NotAProcess { .. } => (StatusCode::UNPROCESSABLE_ENTITY, ErrorType::NotAProcess),
        };
        ApiError::new(status, error_type, e.to_string())
    }
}

impl From<LlmError> for ApiError {
    fn from(e: LlmError) -> Self {
        match e {
            LlmError::QueueFull => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorType::Busy, e.to_string()).retry_after(RETRY_BUSY_S)
            }
            LlmError::ShuttingDown => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorType::ShuttingDown, e.to_string())
                    .retry_after(RETRY_LOADING_S)
            }
            e => ApiError::internal(e.to_string()),
        }
    }
}

impl From<DraftError> for ApiError {
    fn from(e: DraftError) -> Self {
        match e {
            DraftError::Input(e) => e.into(),
            DraftError::Llm(e) => e.into(),
            DraftError::NoSteps(_) => ApiError::new(StatusCode::BAD_GATEWAY, ErrorType::NoSteps, e.to_string()),
            DraftError::Prompt(_) | DraftError::Cancelled => ApiError::internal(e.to_string()),
        }
    }
}

impl From<SimilarityError> for ApiError {
    fn from(e: SimilarityError) -> Self {
        match e {
            SimilarityError::Input(m) => ApiError::bad_request(m),
            SimilarityError::Store(e) => e.into(),
            SimilarityError::NotReady(e) => e.into(),
            other @ (SimilarityError::Embed(_) | SimilarityError::Index(_)) => {
                tracing::error!(error = %other, "similarity failure");
                ApiError::internal(other.to_string())
            }
        }
    }
}

impl From<ImportError> for ApiError {
    fn from(e: ImportError) -> Self {
        let status = match e {
            ImportError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            _ => StatusCode::UNPROCESSABLE_ENTITY,
        };
        ApiError::new(status, ErrorType::InvalidBpmn, e.to_string())
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
