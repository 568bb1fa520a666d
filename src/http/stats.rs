//! `GET /api/stats`: the figures behind the dashboard and the process filters.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

use super::{ApiError, AppState};
use crate::store::stats::Stats;

pub fn routes() -> Router<AppState> {
    Router::new().route("/api/stats", get(stats))
}

async fn stats(State(state): State<AppState>) -> Result<Json<Stats>, ApiError> {
    Ok(Json(state.blocking(|store| Ok(store.stats()?)).await?))
}
