//! BPMN export and import, and wiki pages:
//! `GET /api/processes/{id}/bpmn`, `GET /api/processes/{id}/page`, `POST /api/import/bpmn`.

use axum::body::Bytes;
use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::types::{ExportQuery, ImportResponse, PageQuery};
use super::{ApiError, AppState};
use crate::bpmn::{self, ImportError};
use crate::page::{self, Revision};
use crate::process::{self};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/processes/{id}/bpmn", get(export))
        .route("/api/processes/{id}/page", get(page))
        .route("/api/import/bpmn", post(import))
}

type QueryResult<T> = Result<Query<T>, axum::extract::rejection::QueryRejection>;

async fn export(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryResult<ExportQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let (xml, version) = state
        .blocking(move |store| {
            let stored = store.get(&id, query.version)?;
            let xml = bpmn::export_bpmn(&stored.process).map_err(|e| ApiError::internal(e.to_string()))?;
            Ok((xml, stored.version))
        })
        .await?;
    let etag = HeaderValue::from_str(&format!("\"{version}\"")).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok((
        [(header::CONTENT_TYPE, HeaderValue::from_static("application/xml; charset=utf-8")), (header::ETAG, etag)],
        xml,
    ))
}

async fn page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: QueryResult<PageQuery>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let html = match query.format.as_deref().unwrap_or("html") {
        "html" => true,
        "md" => false,
        other => return Err(ApiError::bad_request(format!("format must be html or md, not {other:?}"))),
    };
    let body = state
        .blocking(move |store| {
            let stored = store.get(&id, query.version)?;
            let revision = Revision::from(&stored);
            Ok(if html {
                page::html(&stored.process, Some(&revision))
            } else {
                page::markdown(&stored.process, Some(&revision))
            })
        })
        .await?;
    let content_type = if html { "text/html; charset=utf-8" } else { "text/markdown; charset=utf-8" };
    Ok(([(header::CONTENT_TYPE, content_type)], body))
}

async fn import(State(state): State<AppState>, XmlBody(bytes): XmlBody) -> Result<impl IntoResponse, ApiError> {
    let response = state
        .blocking(move |_| {
            let imported = bpmn::import_bpmn(&bytes).map_err(import_error)?;
            let validation = process::validate(&imported.process);
            Ok(ImportResponse { process: imported.process, warnings: imported.warnings, validation })
        })
        .await?;
    Ok(Json(response))
}

fn import_error(e: ImportError) -> ApiError {
    let status = match e {
        ImportError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    ApiError::new(status, "invalid_bpmn", e.to_string())
}

/// An XML request body: 415 unless the content type is XML, 413 when too large.
struct XmlBody(Bytes);

impl<S: Send + Sync> FromRequest<S> for XmlBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        if mime != "application/xml" && mime != "text/xml" {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("expected Content-Type: application/xml or text/xml, got {content_type:?}"),
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload_too_large",
                    format!("request body exceeds {} bytes", super::MAX_BODY_BYTES),
                )
            } else {
                ApiError::bad_request(format!("cannot read the request body: {rejection}"))
            }
        })?;
        Ok(XmlBody(bytes))
    }
}
