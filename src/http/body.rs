//! Request bodies with errors in ablauf's format: 415 for a wrong content type, 413 for an
//! oversized body, 400 for an unreadable one or malformed JSON (with the path of the bad value).

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;

use super::{ApiError, ErrorType};

/// A JSON body.
pub struct JsonBody<T>(pub T);

/// An XML body (`application/xml` or `text/xml`), not yet parsed.
pub struct XmlBody(pub Bytes);

/// The body's bytes, if its content type is one of `accepted` and it fits the size limit.
async fn read<S: Send + Sync>(req: Request, state: &S, accepted: &[&str]) -> Result<Bytes, ApiError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if !accepted.iter().any(|a| mime.eq_ignore_ascii_case(a)) {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorType::UnsupportedMediaType,
            format!("expected Content-Type: {}, got {content_type:?}", accepted.join(" or ")),
        ));
    }
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorType::PayloadTooLarge,
                format!("request body exceeds {} bytes", super::MAX_BODY_BYTES),
            )
        } else {
            ApiError::bad_request(format!("cannot read the request body: {rejection}"))
        }
    })
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let bytes = read(req, state, &["application/json"]).await?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        serde_path_to_error::deserialize(de).map(JsonBody).map_err(|e| {
            let path = e.path().to_string();
            let error = e.into_inner();
            let location = if path == "." { String::new() } else { format!(" at {path}") };
            ApiError::bad_request(format!("invalid JSON{location}: {error}"))
                .with_details(serde_json::json!({ "path": path, "line": error.line(), "column": error.column() }))
        })
    }
}

impl<S: Send + Sync> FromRequest<S> for XmlBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        read(req, state, &["application/xml", "text/xml"]).await.map(XmlBody)
    }
}
