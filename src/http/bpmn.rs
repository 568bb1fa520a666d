//! BPMN export and import, and wiki pages:
//! `GET /api/processes/{id}/bpmn`, `GET /api/processes/{id}/page`, `POST /api/import/bpmn`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::body::XmlBody;
use super::types::{ExportQuery, ImportResponse, PageQuery};
use super::{ApiError, AppState};
use crate::bpmn::{self};
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
            let imported = bpmn::import_bpmn(&bytes)?;
            let validation = process::validate(&imported.process);
            Ok(ImportResponse { process: imported.process, warnings: imported.warnings, validation })
        })
        .await?;
    Ok(Json(response))
}
