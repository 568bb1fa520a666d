//! `POST /api/draft`, `POST /api/draft/stream` (server-sent events) and `POST /api/review`, and
//! the server's language model, which loads in the background while the server already answers.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::post;
use axum::{Json, Router};
use futures_util::Stream;
use tokio::sync::mpsc::Receiver;

use super::body::JsonBody;
use super::types::{DraftRequest, ReviewRequest};
use super::{ApiError, AppState};
use crate::auth::Principal;
use crate::draft::{self, DraftAnswer, DraftError, DraftProgress, InputError, Line, PreparedDraft};
use crate::llm::{self, Generation, LlmError, LlmEvent, LlmWorker};
use crate::review::{self, Review};
use crate::store::Change;

/// Requests that may wait behind the running generation before the server answers "busy".
const QUEUE_CAPACITY: usize = 4;
/// Seconds a client should wait before retrying while the model loads.
const RETRY_LOADING_S: u64 = 5;
/// Seconds a client should wait before retrying when the queue is full (about one draft).
const RETRY_BUSY_S: u64 = 15;

enum LlmState {
    Loading,
    Ready(LlmWorker),
    Failed(String),
}

/// The server's language model: loading (the weights, then the system prompt's KV cache) on a
/// background thread, then ready (or failed).
#[derive(Clone)]
pub struct LlmSlot {
    model: Arc<str>,
    state: Arc<RwLock<LlmState>>,
}

impl LlmSlot {
    /// Starts loading `path` on its own thread and returns at once.
    pub fn load_in_background(model: &str, path: PathBuf) -> LlmSlot {
        let slot = LlmSlot { model: model.into(), state: Arc::new(RwLock::new(LlmState::Loading)) };
        let loading = slot.clone();
        let spawned = std::thread::Builder::new().name("llm-load".into()).spawn(move || {
            let worker = match llm::CandleGenerator::load(&path, llm::Device::Cpu) {
                Ok(generator) => LlmWorker::spawn(Box::new(generator), QUEUE_CAPACITY),
                Err(e) => {
                    tracing::error!(model = %loading.model, "cannot load the language model: {e}");
                    *loading.state.write().unwrap_or_else(|p| p.into_inner()) = LlmState::Failed(e.to_string());
                    return;
                }
            };
            // Ready only once the system prompt is cached: a draft sent earlier would wait behind
            // the warm-up (12 s for the 1.5B on a cold start) instead of being told to retry.
            warm_up(&worker);
            *loading.state.write().unwrap_or_else(|p| p.into_inner()) = LlmState::Ready(worker);
            tracing::info!(model = %loading.model, "language model ready");
        });
        if let Err(e) = spawned {
            *slot.state.write().unwrap_or_else(|p| p.into_inner()) =
                LlmState::Failed(format!("cannot start the loading thread: {e}"));
        }
        slot
    }

    /// Cancels generation for a shutdown (see [`LlmWorker::stop`]).
    pub fn stop(&self) {
        if let LlmState::Ready(worker) = &*self.state.read().unwrap_or_else(|p| p.into_inner()) {
            worker.stop();
        }
    }

    /// For `/health`.
    pub fn health(&self) -> serde_json::Value {
        let (state, error) = match &*self.state.read().unwrap_or_else(|p| p.into_inner()) {
            LlmState::Loading => ("loading", None),
            LlmState::Ready(_) => ("ready", None),
            LlmState::Failed(e) => ("failed", Some(e.clone())),
        };
        serde_json::json!({ "model": &*self.model, "state": state, "error": error })
    }

    fn worker(&self) -> Result<LlmWorker, ApiError> {
        match &*self.state.read().unwrap_or_else(|p| p.into_inner()) {
            LlmState::Ready(worker) => Ok(worker.clone()),
            LlmState::Loading => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "model_loading",
                format!("the language model {} is still loading", self.model),
            )
            .retry_after(RETRY_LOADING_S)),
            LlmState::Failed(e) => Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "model_unavailable",
                format!("the language model {} could not be loaded: {e}", self.model),
            )),
        }
    }
}

/// Runs [`draft::warm_up_request`] on the worker.
fn warm_up(worker: &LlmWorker) {
    let result = draft::warm_up_request()
        .map_err(|e| e.to_string())
        .and_then(|request| worker.generate_blocking(request).map_err(|e| e.to_string()));
    match result {
        Ok(generation) => tracing::info!(prompt_tokens = generation.stats.prompt_tokens, "prompt prefix cached"),
        Err(e) => tracing::warn!("warming the prompt cache failed: {e}"),
    }
}

impl From<InputError> for ApiError {
    fn from(e: InputError) -> Self {
        let status = if e == InputError::Empty { StatusCode::BAD_REQUEST } else { StatusCode::UNPROCESSABLE_ENTITY };
        ApiError::new(status, e.kind(), e.to_string())
    }
}

impl From<LlmError> for ApiError {
    fn from(e: LlmError) -> Self {
        match e {
            LlmError::QueueFull => {
                ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", e.to_string()).retry_after(RETRY_BUSY_S)
            }
            LlmError::ShuttingDown => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "shutting_down", e.to_string())
                .retry_after(RETRY_LOADING_S),
            e => ApiError::internal(e.to_string()),
        }
    }
}

impl From<DraftError> for ApiError {
    fn from(e: DraftError) -> Self {
        match e {
            DraftError::Input(e) => e.into(),
            DraftError::Llm(e) => e.into(),
            DraftError::NoSteps(_) => ApiError::new(StatusCode::BAD_GATEWAY, "no_steps", e.to_string()),
            DraftError::Prompt(_) | DraftError::Cancelled => ApiError::internal(e.to_string()),
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/draft", post(draft_once))
        .route("/api/draft/stream", post(draft_stream))
        .route("/api/review", post(review_process))
        .layer(DefaultBodyLimit::max(super::MAX_BODY_BYTES))
}

/// Longest generation a client may ask for.
const MAX_TOKENS_LIMIT: usize = 1024;

fn start(state: &AppState, request: &DraftRequest) -> Result<(PreparedDraft, Receiver<LlmEvent>, String), ApiError> {
    let max_tokens = request.max_tokens.unwrap_or(draft::DEFAULT_MAX_TOKENS);
    if !(1..=MAX_TOKENS_LIMIT).contains(&max_tokens) {
        return Err(ApiError::bad_request(format!("max_tokens must be between 1 and {MAX_TOKENS_LIMIT}")));
    }
    let prepared = draft::prepare(&request.text, max_tokens)?;
    let worker = state.llm.worker()?;
    let events = worker.submit(prepared.request.clone())?;
    Ok((prepared, events, worker.model_id()))
}

async fn finish(
    state: &AppState,
    prepared: PreparedDraft,
    generation: Generation,
    model_id: &str,
    progress: &DraftProgress,
    author: String,
    save: bool,
) -> Result<DraftAnswer, ApiError> {
    let draft = prepared.finish(generation, model_id, progress)?;
    if !save {
        return Ok(DraftAnswer { draft, id: None });
    }
    let response = state
        .blocking(move |store| {
            let saved = draft
                .save(store, &Change { author: &author, reason: "drafted from dictation", own_drafts_only: false })?;
            Ok(DraftAnswer { draft, id: Some(saved.id) })
        })
        .await?;
    Ok(response)
}

async fn draft_once(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(request): JsonBody<DraftRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let author = principal.user;
    let (prepared, mut events, model_id) = start(&state, &request)?;
    let mut progress = prepared.progress();
    while let Some(event) = events.recv().await {
        match event {
            LlmEvent::Token(piece) => {
                progress.push(&piece);
            }
            LlmEvent::Done(result) => {
                let response = finish(&state, prepared, result?, &model_id, &progress, author, request.save).await?;
                let status = if response.id.is_some() { StatusCode::CREATED } else { StatusCode::OK };
                return Ok((status, Json(response)));
            }
        }
    }
    Err(ApiError::from(LlmError::WorkerStopped))
}

/// The stream's state between events.
struct Streaming {
    state: AppState,
    prepared: Option<PreparedDraft>,
    events: Receiver<LlmEvent>,
    progress: DraftProgress,
    model_id: String,
    author: String,
    save: bool,
    pending: VecDeque<Event>,
    done: bool,
}

fn line_event(line: &Line) -> Option<Event> {
    let name = match line {
        Line::Title { .. } => "title",
        Line::Role { .. } => "role",
        Line::Step(_) => "step",
        Line::NotAProcess | Line::Unreadable { .. } => return None,
    };
    Event::default().event(name).json_data(line).ok()
}

fn error_event(error: ApiError) -> Event {
    let body = serde_json::json!({
        "error": error.body.error,
        "error_type": error.body.error_type,
        "status": error.status.as_u16(),
    });
    Event::default().event("error").data(body.to_string())
}

impl Streaming {
    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.pending.pop_front() {
                return Some(event);
            }
            if self.done {
                return None;
            }
            match self.events.recv().await {
                Some(LlmEvent::Token(piece)) => {
                    self.pending.extend(self.progress.push(&piece).iter().filter_map(line_event));
                }
                Some(LlmEvent::Done(result)) => {
                    self.done = true;
                    self.pending.extend(self.progress.finish().as_ref().and_then(line_event));
                    let prepared = self.prepared.take()?;
                    let author = std::mem::take(&mut self.author);
                    let finished = match result {
                        Ok(generation) => {
                            finish(&self.state, prepared, generation, &self.model_id, &self.progress, author, self.save)
                                .await
                        }
                        Err(e) => Err(e.into()),
                    };
                    self.pending.push_back(match finished {
                        Ok(response) => Event::default()
                            .event("done")
                            .json_data(&response)
                            .unwrap_or_else(|e| error_event(ApiError::internal(e.to_string()))),
                        Err(e) => error_event(e),
                    });
                }
                None => {
                    self.done = true;
                    self.pending.push_back(error_event(LlmError::WorkerStopped.into()));
                }
            }
        }
    }
}

/// Streams the draft as server-sent events: `started`, then `title`, `role` and `step` as each
/// line is generated, then `done` with the whole answer of `POST /api/draft` (or `error`).
/// A client that disconnects drops the stream, which drops the receiver and cancels generation.
async fn draft_stream(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(request): JsonBody<DraftRequest>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let author = principal.user;
    let (prepared, events, model_id) = start(&state, &request)?;
    let started = serde_json::json!({
        "model_id": model_id,
        "template_sha256": crate::prompt::PromptTemplate::DRAFT.sha256(),
    });
    let streaming = Streaming {
        state,
        progress: prepared.progress(),
        prepared: Some(prepared),
        events,
        model_id,
        author,
        save: request.save,
        pending: VecDeque::from([Event::default().event("started").data(started.to_string())]),
        done: false,
    };
    let stream = futures_util::stream::unfold(streaming, |mut s| async move {
        let event = s.next_event().await?;
        Some((Ok(event), s))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

async fn review_process(
    State(state): State<AppState>,
    JsonBody(request): JsonBody<ReviewRequest>,
) -> Result<Json<Review>, ApiError> {
    let process = request.process;
    if !request.llm {
        return Ok(Json(Review::checks_only(&process)));
    }
    let generate = review::llm::request(&process).map_err(|e| ApiError::internal(e.to_string()))?;
    let worker = state.llm.worker()?;
    let mut events = worker.submit(generate)?;
    while let Some(event) = events.recv().await {
        if let LlmEvent::Done(result) = event {
            return Ok(Json(Review::with_llm(&process, &result?, &worker.model_id())));
        }
    }
    Err(LlmError::WorkerStopped.into())
}
