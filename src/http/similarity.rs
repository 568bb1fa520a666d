//! `/api/duplicates`, `/api/duplicates/decisions`, `/api/processes/{id}/similar`, `/api/gaps`.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};

use super::body::JsonBody;
use super::types::{DecisionBody, DecisionsQuery, DuplicatesQuery, SimilarQuery};
use super::{ApiError, AppState};
use crate::auth::Principal;
use crate::similarity::{
    Catalog, DUPLICATE_THRESHOLD, DecisionRequest, PendingMarker, SimilarOnSave, Similarity, SimilarityError,
};

const MAX_K: usize = 50;
/// How long the duplicate list waits for saves still being embedded.
const SETTLE: std::time::Duration = std::time::Duration::from_secs(5);
/// Similar processes returned with a save.
const SIMILAR_ON_SAVE: usize = 5;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/duplicates", get(duplicates))
        .route("/api/duplicates/decisions", get(decisions).post(decide))
        .route("/api/processes/{id}/similar", get(similar))
        .route("/api/gaps", get(gaps))
}

/// Runs `f` on the similarity service on a blocking thread (it may wait for the model).
async fn with_similarity<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Similarity) -> Result<T, SimilarityError> + Send + 'static,
) -> Result<T, ApiError> {
    let slot = state.similarity.clone();
    // Loading embeds every new or changed process, which can take minutes after a bulk import:
    // until then the answer is a 503 with `Retry-After`.
    tokio::task::spawn_blocking(move || f(slot.ready()?).map_err(ApiError::from))
        .await
        .map_err(|e| ApiError::internal(format!("worker failed: {e}")))?
}

/// What a save answers about similar processes, without waiting for the embedding: the
/// background embedder is nudged and the answer is `"pending"` unless the saved text was
/// embedded already; `None` while the model is still loading or when the lookup fails (the
/// save itself has succeeded either way).
pub async fn similar_after_save(state: &AppState, id: String) -> Option<SimilarOnSave> {
    let slot = state.similarity.clone();
    let found = tokio::task::spawn_blocking(move || {
        let similarity = slot.ready().ok()?;
        slot.nudge();
        match similarity.similar(&id, SIMILAR_ON_SAVE) {
            Ok(report) if report.pending => Some(SimilarOnSave::Pending(PendingMarker::Pending)),
            Ok(report) => Some(SimilarOnSave::Ready(report.similar)),
            Err(e) => {
                tracing::warn!(error = %e, process = %id, "no similar processes for a save");
                None
            }
        }
    });
    found.await.ok().flatten()
}

async fn duplicates(
    State(state): State<AppState>,
    query: Result<Query<DuplicatesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let threshold = query.threshold.unwrap_or(DUPLICATE_THRESHOLD);
    if !(0.0..=1.5).contains(&threshold) {
        return Err(ApiError::bad_request("threshold must be between 0 and 1.5"));
    }
    let limit = query.limit.unwrap_or(100);
    // Saves of the last moments are still being embedded: give them a few seconds.
    let mut candidates = with_similarity(&state, move |s| {
        s.settle(SETTLE)?;
        s.duplicates(threshold)
    })
    .await?;
    candidates.truncate(limit);
    Ok(Json(candidates))
}

async fn decide(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(body): JsonBody<DecisionBody>,
) -> Result<impl IntoResponse, ApiError> {
    let request =
        DecisionRequest { a: body.a, b: body.b, decision: body.decision, survivor: body.survivor, note: body.note };
    let record = with_similarity(&state, move |s| s.decide(&request, &principal.user)).await?;
    Ok((StatusCode::CREATED, Json(record)))
}

async fn decisions(
    State(state): State<AppState>,
    query: Result<Query<DecisionsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    Ok(Json(state.blocking(move |store| Ok(store.decisions(query.process.as_deref())?)).await?))
}

async fn similar(
    State(state): State<AppState>,
    Path(id): Path<String>,
    query: Result<Query<SimilarQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let k = query.k.unwrap_or(5);
    if !(1..=MAX_K).contains(&k) {
        return Err(ApiError::bad_request(format!("k must be between 1 and {MAX_K}")));
    }
    Ok(Json(with_similarity(&state, move |s| s.similar(&id, k)).await?))
}

/// Answers 503 with `Retry-After` until the server has embedded the catalogue in the
/// background (it starts right after the model has loaded and takes seconds on a fresh
/// database) instead of running into the request timeout.
async fn gaps(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    state.similarity.catalog().get()?;
    Ok(Json(with_similarity(&state, |s| s.gaps(&Catalog::default_catalog(), &|_, _| {})).await?))
}
