//! `POST /api/transcribe` and `/api/transcribe/stream`: a recorded dictation (WAV) in, its text
//! out, from the local speech model on its own thread. No audio leaves the server.

use std::convert::Infallible;
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::post;
use axum::{Json, Router};
use futures_util::Stream;
use serde::Serialize;
use tokio::sync::mpsc::UnboundedReceiver;

use super::{ApiError, AppState, ErrorType};
use crate::speech::{self, SpeechError, SpeechEvent, SpeechWorker, segment::RATE};

/// Largest recording accepted: 16 MiB, more than five minutes of the 16-kHz 16-bit mono the web
/// interface sends.
pub const MAX_AUDIO_BYTES: usize = 16 * 1024 * 1024;
/// Longest recording accepted, in seconds.
pub const MAX_AUDIO_SECONDS: usize = 300;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/transcribe", post(transcribe_once))
        .route("/api/transcribe/stream", post(transcribe_stream))
        .layer(DefaultBodyLimit::max(MAX_AUDIO_BYTES))
}

/// Recordings that may wait behind the one being transcribed.
const QUEUE_CAPACITY: usize = 4;

/// The speech thread for `model`. The model files are fetched and converted in the background
/// at once (so that the first recording does not wait for a download); the model itself loads
/// into memory at the first recording.
pub fn start_worker(model: String) -> SpeechWorker {
    let fetching = model.clone();
    let spawned = std::thread::Builder::new().name("speech-fetch".into()).spawn(move || {
        if let Err(e) = speech::model::resolve(&fetching) {
            tracing::warn!(error = %e, "cannot fetch the speech model now; the first recording tries again");
        }
    });
    if let Err(e) = spawned {
        tracing::warn!("cannot start fetching the speech model: {e}");
    }
    let load: speech::Load = Box::new(move || {
        let dir = speech::model::resolve(&model)?;
        Ok(Box::new(speech::WhisperTranscriber::load(&dir)?) as Box<dyn speech::Transcriber>)
    });
    SpeechWorker::spawn(load, QUEUE_CAPACITY)
}

#[derive(Debug, Serialize)]
struct Transcript {
    text: String,
    audio_seconds: f32,
    compute_seconds: f32,
}

/// Checks and decodes the body, queues it: the samples' length and the worker's events.
fn submit(
    state: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<(f32, UnboundedReceiver<SpeechEvent>), ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorType::PayloadTooLarge,
                format!(
                    "Die Aufnahme ist zu groß: höchstens {} MiB. Bitte in Teilen diktieren.",
                    MAX_AUDIO_BYTES >> 20
                ),
            )
        } else {
            ApiError::bad_request(rejection.body_text())
        }
    })?;
    let media = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let media = media.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !matches!(media.as_str(), "audio/wav" | "audio/x-wav" | "audio/wave" | "audio/vnd.wave") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ErrorType::UnsupportedMediaType,
            format!("Bitte die Aufnahme als WAV senden (Content-Type audio/wav), nicht als {media:?}."),
        ));
    }
    let samples = speech::audio::decode_wav(&body)?;
    let seconds = samples.len() as f32 / RATE as f32;
    if samples.len() > MAX_AUDIO_SECONDS * RATE {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ErrorType::PayloadTooLarge,
            format!(
                "Die Aufnahme ist zu lang: {seconds:.0} s, höchstens {MAX_AUDIO_SECONDS} s. Bitte in Teilen diktieren."
            ),
        ));
    }
    Ok((seconds, state.speech.submit(samples)?))
}

async fn transcribe_once(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Transcript>, ApiError> {
    let started = Instant::now();
    let (audio_seconds, mut events) = submit(&state, &headers, body)?;
    while let Some(event) = events.recv().await {
        if let SpeechEvent::Done(result) = event {
            let compute_seconds = started.elapsed().as_secs_f32();
            return Ok(Json(Transcript { text: result?, audio_seconds, compute_seconds }));
        }
    }
    Err(SpeechError::Cancelled.into())
}

/// Streams the transcript as server-sent events: `partial` with each window's text as soon as it
/// is ready, then `done` with the answer of `POST /api/transcribe` (or `error`). A client that
/// disconnects drops the stream, and the transcription stops at the next window.
async fn transcribe_stream(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let started = Instant::now();
    let (audio_seconds, events) = submit(&state, &headers, body)?;
    let stream = futures_util::stream::unfold(Some(events), move |events| async move {
        let mut events = events?;
        let event = match events.recv().await {
            Some(SpeechEvent::Partial(text)) => {
                return Some((
                    Ok(Event::default().event("partial").data(serde_json::json!({ "text": text }).to_string())),
                    Some(events),
                ));
            }
            Some(SpeechEvent::Done(Ok(text))) => {
                let transcript = Transcript { text, audio_seconds, compute_seconds: started.elapsed().as_secs_f32() };
                Event::default().event("done").data(serde_json::json!(transcript).to_string())
            }
            Some(SpeechEvent::Done(Err(e))) => ApiError::into_event(e.into()),
            None => ApiError::into_event(SpeechError::Cancelled.into()),
        };
        Some((Ok(event), None))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
