//! `POST /api/draft`, `POST /api/draft/stream` (server-sent events) and `POST /api/review`, and
//! the server's language model, which loads in the background while the server already answers.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::PathBuf;

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
use crate::draft::{self, DraftAnswer, DraftProgress, Line, PreparedDraft};
use crate::llm::{self, LlmError, LlmEvent, LlmWorker};
use crate::loading::Loading;
use crate::review::{self, Review};
use crate::store::Change;

/// Requests that may wait behind the running generation before the server answers "busy".
const QUEUE_CAPACITY: usize = 4;

/// Starts loading the language model at `path` on its own thread and returns at once. It is
/// ready only once the system prompt is cached: a draft sent earlier would wait behind the
/// warm-up (12 s for the 1.5B on a cold start) instead of being told to retry.
pub fn load_llm(model: &str, path: PathBuf) -> Loading<LlmWorker> {
    Loading::spawn(format!("the language model {model}"), "llm-load", move |loading| {
        let generator = llm::CandleGenerator::load(&path, llm::Device::Cpu).map_err(|e| e.to_string())?;
        let worker = LlmWorker::spawn(Box::new(generator), QUEUE_CAPACITY);
        loading.note("caching the system prompt");
        warm_up(&worker);
        Ok(worker)
    })
}

/// Cancels generation for a shutdown (see [`LlmWorker::stop`]).
pub fn stop_llm(llm: &Loading<LlmWorker>) {
    if let Ok(worker) = llm.get() {
        worker.stop();
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
    let worker = state.llm.get()?.clone();
    let events = worker.submit_sequence(prepared.requests.clone(), prepared.max_tokens)?;
    Ok((prepared, events, worker.model_id()))
}

async fn finish(
    state: &AppState,
    prepared: PreparedDraft,
    model_id: &str,
    progress: DraftProgress,
    author: String,
    save: bool,
) -> Result<DraftAnswer, ApiError> {
    let draft = prepared.finish(model_id, progress)?;
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
                if progress.complete(result?).1 {
                    let response = finish(&state, prepared, &model_id, progress, author, request.save).await?;
                    let status = if response.id.is_some() { StatusCode::CREATED } else { StatusCode::OK };
                    return Ok((status, Json(response)));
                }
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
    progress: Option<DraftProgress>,
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
        Line::Unreadable { .. } => return None,
    };
    Event::default().event(name).json_data(line).ok()
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
                    let progress = self.progress.as_mut()?;
                    self.pending.extend(progress.push(&piece).iter().filter_map(line_event));
                }
                Some(LlmEvent::Done(result)) => {
                    let finished = match result {
                        Ok(generation) => {
                            let (cut, done) = self.progress.as_mut()?.complete(generation);
                            self.pending.extend(cut.iter().filter_map(line_event));
                            if !done {
                                continue;
                            }
                            let (prepared, progress) = (self.prepared.take()?, self.progress.take()?);
                            let author = std::mem::take(&mut self.author);
                            finish(&self.state, prepared, &self.model_id, progress, author, self.save).await
                        }
                        Err(e) => Err(e.into()),
                    };
                    self.done = true;
                    self.pending.push_back(match finished {
                        Ok(response) => Event::default()
                            .event("done")
                            .json_data(&response)
                            .unwrap_or_else(|e| ApiError::into_event(ApiError::internal(e.to_string()))),
                        Err(e) => ApiError::into_event(e),
                    });
                }
                None => {
                    self.done = true;
                    self.pending.push_back(ApiError::into_event(LlmError::WorkerStopped.into()));
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
        progress: Some(prepared.progress()),
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
    let Some(generate) = review::llm::request(&process).map_err(|e| ApiError::internal(e.to_string()))? else {
        return Ok(Json(Review::checks_only(&process)));
    };
    let worker = state.llm.get()?.clone();
    let mut events = worker.submit(generate)?;
    while let Some(event) = events.recv().await {
        if let LlmEvent::Done(result) = event {
            return Ok(Json(Review::with_llm(&process, &result?, &worker.model_id())));
        }
    }
    Err(LlmError::WorkerStopped.into())
}
