//! Previews of an unsaved process for the editor: `POST /api/preview/diagram` (the SVG of
//! the wiki page, drawn by `bpmn::svg`) and `POST /api/preview/similar` (stored processes
//! that look like it — "Gibt es schon: …" before the clerk saves a duplicate).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::{Json, Router};

use super::body::JsonBody;
use super::types::SimilarRequest;
use super::{ApiError, AppState, ErrorType};
use crate::process::{self, Process};

/// Most similar processes a preview lists.
const MAX_SIMILAR: usize = 20;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/preview/diagram", post(diagram)).route("/api/preview/similar", post(similar))
}

async fn diagram(
    State(state): State<AppState>,
    JsonBody(process): JsonBody<Process>,
) -> Result<impl IntoResponse, ApiError> {
    // Only a structurally valid process has a layout; the editor shows the findings instead.
    let validation = process::validate(&process);
    if !validation.valid {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, ErrorType::Validation, validation.error_summary())
            .with_details(validation));
    }
    let svg = state.blocking(move |_| Ok(crate::bpmn::svg::render(&process))).await?;
    Ok(([(header::CONTENT_TYPE, "image/svg+xml; charset=utf-8")], svg))
}

async fn similar(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<SimilarRequest>,
) -> Result<impl IntoResponse, ApiError> {
    if !(1..=MAX_SIMILAR).contains(&request.limit) {
        return Err(ApiError::bad_request(format!("limit must be between 1 and {MAX_SIMILAR}")));
    }
    let slot = state.similarity.clone();
    let found = tokio::task::spawn_blocking(move || {
        let similarity = slot.wait()?;
        similarity.similar_to(&request.process, request.limit).map_err(ApiError::from)
    })
    .await
    .map_err(|e| ApiError::internal(format!("worker failed: {e}")))??;
    Ok(Json(found))
}
