//! The inference thread: one [`Generator`] owned by one OS thread, fed through a bounded queue.
//!
//! Inference is CPU-bound for seconds at a time, so it never runs on the async runtime. The
//! queue is bounded so that an overloaded server answers "busy" at once instead of letting
//! requests wait for minutes.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, SyncSender, TrySendError};

use tokio::sync::mpsc as tokio_mpsc;

use super::{GenerateRequest, Generation, Generator, LlmError};

/// What a submitted request yields: text pieces as they are decoded, then exactly one `Done`
/// (one per request of a sequence, in order, up to the first error or cancellation).
#[derive(Debug)]
pub enum LlmEvent {
    Token(String),
    Done(Result<Generation, LlmError>),
}

struct Job {
    requests: Vec<GenerateRequest>,
    max_tokens: usize,
    events: tokio_mpsc::Sender<LlmEvent>,
    span: tracing::Span,
}

/// A cloneable handle to the inference thread. The thread ends when the last handle is dropped
/// and the queue has drained.
#[derive(Clone)]
pub struct LlmWorker {
    jobs: SyncSender<Job>,
    model_id: Arc<str>,
    stopping: Arc<AtomicBool>,
}

impl LlmWorker {
    /// Starts the inference thread; at most `queue_capacity` requests wait behind the running one.
    pub fn spawn(mut generator: Box<dyn Generator>, queue_capacity: usize) -> LlmWorker {
        let model_id: Arc<str> = generator.model_id().into();
        let (jobs, queue) = mpsc::sync_channel::<Job>(queue_capacity);
        let thread_name = format!("llm-{model_id}");
        let stopping = Arc::new(AtomicBool::new(false));
        let stop_seen = stopping.clone();
        let spawned = std::thread::Builder::new().name(thread_name).spawn(move || {
            for job in queue {
                run_job(generator.as_mut(), job, &stop_seen);
            }
        });
        if let Err(e) = spawned {
            // Without a thread every submit reports WorkerStopped, because the queue's receiver is gone.
            tracing::error!("cannot start the inference thread: {e}");
        }
        LlmWorker { jobs, model_id, stopping }
    }

    /// Cancels the running generation and every queued or later request with
    /// [`LlmError::ShuttingDown`], so a stopping server does not wait for drafts to finish.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Relaxed);
    }

    /// Queues a request. Fails at once with [`LlmError::QueueFull`] when the queue is full.
    /// Dropping the returned receiver cancels the request.
    pub fn submit(&self, request: GenerateRequest) -> Result<tokio_mpsc::Receiver<LlmEvent>, LlmError> {
        let max_tokens = request.max_tokens;
        self.submit_sequence(vec![request], max_tokens)
    }

    /// Queues requests that run as one job, sharing `max_tokens` new tokens (see
    /// [`super::generate_sequence`]): a draft's clauses, which nothing may come between, since
    /// they share the KV cache of their common prompt.
    pub fn submit_sequence(
        &self,
        requests: Vec<GenerateRequest>,
        max_tokens: usize,
    ) -> Result<tokio_mpsc::Receiver<LlmEvent>, LlmError> {
        if self.stopping.load(Ordering::Relaxed) {
            return Err(LlmError::ShuttingDown);
        }
        // Room for every token plus the final events: the inference thread never waits for a slow reader.
        let (events, receiver) = tokio_mpsc::channel(max_tokens.saturating_add(requests.len()).max(1));
        let span = tracing::info_span!("generate", model = %self.model_id);
        match self.jobs.try_send(Job { requests, max_tokens, events, span }) {
            Ok(()) => Ok(receiver),
            Err(TrySendError::Full(_)) => Err(LlmError::QueueFull),
            Err(TrySendError::Disconnected(_)) => Err(LlmError::WorkerStopped),
        }
    }

    /// Runs a request to completion on the inference thread and waits for it (for blocking callers).
    pub fn generate_blocking(&self, request: GenerateRequest) -> Result<Generation, LlmError> {
        let mut events = self.submit(request)?;
        while let Some(event) = events.blocking_recv() {
            if let LlmEvent::Done(result) = event {
                return result;
            }
        }
        Err(LlmError::WorkerStopped)
    }

    pub fn model_id(&self) -> String {
        self.model_id.to_string()
    }
}

fn run_job(generator: &mut dyn Generator, job: Job, stopping: &AtomicBool) {
    let Job { requests, max_tokens, events, span } = job;
    let _entered = span.enter();
    if events.is_closed() {
        tracing::debug!("request cancelled while queued");
        return;
    }
    if stopping.load(Ordering::Relaxed) {
        let _ = events.blocking_send(LlmEvent::Done(Err(LlmError::ShuttingDown)));
        return;
    }
    let mut on_token = |piece: &str| {
        !stopping.load(Ordering::Relaxed) && events.blocking_send(LlmEvent::Token(piece.to_owned())).is_ok()
    };
    let mut on_done = |result: Result<Generation, LlmError>| {
        let result = if stopping.load(Ordering::Relaxed) { Err(LlmError::ShuttingDown) } else { result };
        if let Err(e) = &result {
            tracing::warn!("generation failed: {e}");
        }
        // The receiver may be gone (cancelled): nothing left to tell.
        let _ = events.blocking_send(LlmEvent::Done(result));
    };
    super::generate_sequence(generator, &requests, max_tokens, &mut on_token, &mut on_done);
}
