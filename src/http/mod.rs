//! The HTTP layer: the only module that knows axum, status codes and wire types.
//! Handlers are thin: they check the request, call the library on a blocking thread and
//! turn the answer into JSON.

mod body;
mod bpmn;
mod draft;
mod error;
mod preview;
mod processes;
mod similarity;
mod stats;
mod types;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::routing::get;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;

use crate::store::Store;

pub use draft::LlmSlot;
pub use error::{ApiError, ErrorBody};

/// Largest request body accepted (a 200-step process is about 100 KB of JSON).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Longest time a non-streaming request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub llm: LlmSlot,
    pub similarity: crate::similarity::SimilaritySlot,
}

impl AppState {
    /// Runs blocking library work (SQLite, CPU-heavy code) off the async runtime's threads.
    pub async fn blocking<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&Store) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || f(&store))
            .await
            .map_err(|e| ApiError::internal(format!("worker failed: {e}")))?
    }
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/health", get(health))
        .merge(processes::routes())
        .merge(similarity::routes())
        .merge(bpmn::routes())
        .merge(stats::routes())
        .merge(preview::routes())
        .merge(crate::web::routes())
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(TimeoutLayer::with_status_code(StatusCode::REQUEST_TIMEOUT, REQUEST_TIMEOUT))
        // Model work can outlast the timeout on a CPU; it is bounded by max_tokens and cancelled
        // when the client goes away.
        .merge(draft::routes())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> axum::Json<serde_json::Value> {
    axum::Json(serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION"), "llm": state.llm.health() }))
}

/// Serves until SIGINT or SIGTERM; in-flight requests finish before the store is closed.
pub async fn serve(addr: SocketAddr, store: Store, llm: LlmSlot) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tracing::info!(db = %store.path().display(), "listening on http://{local}");
    let store = Arc::new(store);
    let similarity = crate::similarity::SimilaritySlot::load_in_background(store.clone(), crate::models::default_dir());
    let state = AppState { store, llm, similarity };
    axum::serve(listener, router(state)).with_graceful_shutdown(shutdown_signal()).await?;
    tracing::info!("server stopped, database closed");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    tracing::info!("shutdown requested, finishing in-flight requests");
}
