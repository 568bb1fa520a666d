//! The HTTP layer: the only module that knows axum, status codes and wire types.
//! Handlers are thin: they check the request, call the library on a blocking thread and
//! turn the answer into JSON.

mod auth;
mod body;
mod bpmn;
mod draft;
mod error;
mod limits;
mod preview;
mod processes;
mod similarity;
mod speech;
pub use speech::MAX_AUDIO_BYTES;
mod stats;
mod types;
mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;
use tower_http::trace::TraceLayer;

use crate::llm::LlmWorker;
use crate::loading::Loading;
use crate::store::Store;

pub use draft::load_llm;
pub use error::{ApiError, ErrorBody, ErrorType};
pub use limits::RateLimits;

/// Largest request body accepted (a 200-step process is about 100 KB of JSON).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;
/// Longest time a non-streaming request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<Store>,
    pub llm: Loading<LlmWorker>,
    pub similarity: crate::similarity::SimilaritySlot,
    /// Whether routes with [`crate::auth::Access::Read`] answer callers without credentials.
    pub anonymous_read: bool,
    pub limits: RateLimits,
    /// Failed sign-ins and unknown tokens, per account and client address.
    pub throttle: Arc<crate::auth::throttle::Throttle>,
    pub sessions: crate::auth::SessionLimits,
    /// Reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed.
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
    /// Where users without a local password sign in.
    pub directory: Option<Arc<crate::directory::Directory>>,
    /// The speech thread (its model loads at the first recording).
    pub speech: crate::speech::SpeechWorker,
}

/// How the server treats its callers.
#[derive(Clone)]
pub struct Options {
    pub anonymous_read: bool,
    pub limits: RateLimits,
    pub sessions: crate::auth::SessionLimits,
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub directory: Option<crate::directory::Directory>,
    /// Speech model: a manifest name or a folder (see `speech::model::resolve`).
    pub speech_model: String,
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
        .merge(auth::routes())
        .merge(processes::routes())
        .merge(similarity::routes())
        .merge(bpmn::routes())
        .merge(stats::routes())
        .merge(preview::routes())
        .merge(web::routes())
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, ErrorType::NoSuchEndpoint, "no such endpoint") })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(middleware::from_fn(deadline))
        // Model work can outlast the timeout on a CPU; it is bounded by max_tokens and cancelled
        // when the client goes away.
        .merge(draft::routes())
        .merge(speech::routes())
        // Route layers run after routing, so both see the matched route pattern; the later one
        // runs first: who is calling, then how often.
        .route_layer(middleware::from_fn_with_state(state.clone(), limits::limit))
        .route_layer(middleware::from_fn_with_state(state.clone(), auth::authorize))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// Abandons a request that outlasts [`REQUEST_TIMEOUT`] with a JSON 503, so a client never waits
/// unboundedly on a stuck lock or a slow disk.
async fn deadline(request: axum::extract::Request, next: middleware::Next) -> axum::response::Response {
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => {
            let message = format!("the request took longer than {} s and was abandoned", REQUEST_TIMEOUT.as_secs());
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, ErrorType::Timeout, message).into_response()
        }
    }
}

async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> axum::Json<serde_json::Value> {
    axum::Json(
        serde_json::json!({ "status": "ok", "version": env!("CARGO_PKG_VERSION"), "llm": state.llm.status(), "similarity": state.similarity.status(), "catalogue": state.similarity.catalog().status() }),
    )
}

/// Serves until SIGINT or SIGTERM. Then running generations are cancelled, in-flight requests
/// finish, and the store is closed.
pub async fn serve(addr: SocketAddr, store: Store, llm: Loading<LlmWorker>, options: Options) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tracing::info!(db = %store.path().display(), anonymous_read = options.anonymous_read, "listening on http://{local}");
    let store = Arc::new(store);
    let directory = options.directory.map(Arc::new);
    if let Some(directory) = &directory {
        tracing::info!(url = directory.url(), "users without a local password sign in at the directory");
        if directory.has_service_account() {
            let every = directory.recheck_every();
            tokio::spawn(crate::directory::keep_roles_current(directory.clone(), store.clone(), every));
        }
    }
    let similarity = crate::similarity::SimilaritySlot::load_in_background(store.clone(), crate::models::default_dir());
    let state = AppState {
        store,
        llm: llm.clone(),
        similarity,
        anonymous_read: options.anonymous_read,
        limits: options.limits,
        throttle: Arc::default(),
        sessions: options.sessions,
        trusted_proxies: options.trusted_proxies.into(),
        directory,
        speech: speech::start_worker(options.speech_model),
    };
    let shutdown = async move {
        shutdown_signal().await;
        draft::stop_llm(&llm);
    };
    // The client's address feeds sign-in throttling and the audit log.
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app).with_graceful_shutdown(shutdown).await?;
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
