//! `/api/processes` and `/api/schema/process`.

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};

use super::body::JsonBody;
use super::types::{AuditQuery, CreateQuery, GetQuery, ListQuery, SaveResponse, StatusRequest, UpdateRequest};
use super::{ApiError, AppState};
use crate::auth::Principal;
use crate::process::{self, Process};
use crate::store::{Change, ListFilter, Saved, Status};

const MAX_PAGE: u32 = 500;
const MAX_TEXT: usize = 10_000;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/processes", get(list).post(create))
        .route("/api/processes/{id}", get(fetch).put(update))
        .route("/api/processes/{id}/versions", get(versions))
        .route("/api/processes/{id}/status", post(set_status))
        .route("/api/audit", get(audit))
        .route("/api/schema/process", get(schema))
}

fn check_reason(reason: &str) -> Result<(), ApiError> {
    if reason.len() > MAX_TEXT {
        return Err(ApiError::bad_request(format!("reason is longer than {MAX_TEXT} bytes")));
    }
    Ok(())
}

fn save_response(saved: Saved, process: &Process) -> SaveResponse {
    SaveResponse {
        id: saved.id,
        version: saved.version,
        status: saved.status,
        warnings: process::validate(process).warnings,
        similar: None,
    }
}

async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let status = query.status.as_deref().map(str::parse::<Status>).transpose().map_err(ApiError::bad_request)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ApiError::bad_request(format!("limit must be between 1 and {MAX_PAGE}")));
    }
    let filter =
        ListFilter { status, text: query.q.filter(|q| !q.trim().is_empty()), limit, offset: query.offset.unwrap_or(0) };
    let page = state.blocking(move |store| Ok(store.list(&filter)?)).await?;
    Ok(Json(page))
}

async fn create(
    State(state): State<AppState>,
    principal: Principal,
    query: Result<Query<CreateQuery>, axum::extract::rejection::QueryRejection>,
    JsonBody(process): JsonBody<Process>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let reason = query.reason.unwrap_or_default();
    check_reason(&reason)?;
    let (saved, process) = state
        .blocking(move |store| {
            let saved = store.create(&process, &Change::by(&principal, &reason))?;
            Ok((saved, process))
        })
        .await?;
    let location = HeaderValue::from_str(&format!("/api/processes/{}", saved.id))
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut response = save_response(saved, &process);
    response.similar = super::similarity::similar_after_save(&state, response.id.clone()).await;
    Ok((StatusCode::CREATED, [(header::LOCATION, location)], Json(response)))
}

async fn fetch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<GetQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let stored = state.blocking(move |store| Ok(store.get(&id, query.version)?)).await?;
    let etag =
        HeaderValue::from_str(&format!("\"{}\"", stored.version)).map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(([(header::ETAG, etag)], Json(stored)))
}

async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    principal: Principal,
    JsonBody(request): JsonBody<UpdateRequest>,
) -> Result<impl IntoResponse, ApiError> {
    check_reason(&request.reason)?;
    let mut saved = state
        .blocking(move |store| {
            let change = Change::by(&principal, &request.reason);
            let saved = store.update(&id, request.expected_version, &request.process, &change)?;
            Ok(save_response(saved, &request.process))
        })
        .await?;
    saved.similar = super::similarity::similar_after_save(&state, saved.id.clone()).await;
    Ok(Json(saved))
}

async fn set_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    principal: Principal,
    JsonBody(request): JsonBody<StatusRequest>,
) -> Result<impl IntoResponse, ApiError> {
    check_reason(&request.reason)?;
    let saved = state
        .blocking(move |store| Ok(store.set_status(&id, request.status, &Change::by(&principal, &request.reason))?))
        .await?;
    Ok(Json(saved))
}

async fn versions(State(state): State<AppState>, Path(id): Path<String>) -> Result<impl IntoResponse, ApiError> {
    Ok(Json(state.blocking(move |store| Ok(store.versions(&id)?)).await?))
}

async fn audit(
    State(state): State<AppState>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    Ok(Json(state.blocking(move |store| Ok(store.audit_log(MAX_PAGE, query.action.as_deref())?)).await?))
}

async fn schema() -> Json<serde_json::Value> {
    Json(process::schema())
}
