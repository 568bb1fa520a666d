//! Drafting a [`Process`] from a clerk's dictation with the local language model.
//!
//! The pipeline: [`prepare`] checks the input and builds a grammar-constrained request in the
//! compact line format ([`format`]); the engine generates it (streamed lines can be shown as they
//! arrive, see [`DraftProgress`]); [`PreparedDraft::finish`] converts the lines into a process,
//! repairs what the model got wrong ([`convert`]) and runs the deterministic review. The result
//! always validates without errors.

pub mod input;

use std::time::Instant;

use serde::Serialize;

pub use crate::compact::Line;
pub use input::InputError;

use crate::compact::{convert, format};
use crate::llm::{FinishReason, GenerateRequest, Generation, GenerationStats, Generator, LlmError, Sampling};
use crate::process::{Finding, Process};
use crate::prompt::{PromptError, PromptTemplate};
use crate::review::{self, ReviewFinding};
use crate::store::drafts::DraftRecord;
use crate::store::{Change, Saved, Store, StoreError};

/// Room for about 25 steps; a 60-word dictation needs 60–120 tokens.
pub const DEFAULT_MAX_TOKENS: usize = 320;

/// A draft whose model has written two step lines it already wrote is going round in a
/// circle: generation stops there (the repeats are merged into loops by [`convert`]).
const REPEATED_LINES_LIMIT: usize = 2;

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error("the model wrote no steps (answer: {0:?})")]
    NoSteps(String),
    #[error("the draft was cancelled")]
    Cancelled,
}

/// A finished draft.
#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    pub process: Process,
    /// Review findings of the drafted process (deterministic checks).
    pub findings: Vec<ReviewFinding>,
    /// What post-processing changed to make the model's answer a valid process.
    pub repairs: Vec<Finding>,
    pub stats: DraftStats,
    /// The model's answer in the compact format, before repairs.
    pub compact: String,
    #[serde(skip)]
    pub dictation: String,
}

/// A draft as clients get it (`ablauf draft`, `POST /api/draft`): the draft and, once stored, its id.
#[derive(Debug, Clone, Serialize)]
pub struct DraftAnswer {
    #[serde(flatten)]
    pub draft: Draft,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DraftStats {
    pub model_id: String,
    /// sha256 of the prompt template (`prompts/draft.j2`) that produced the draft.
    pub template_sha256: String,
    pub finish: FinishReason,
    /// Seconds from the request until the first complete step line.
    pub first_step_s: Option<f64>,
    /// Seconds from the request until the draft was ready (queueing included).
    pub total_s: f64,
    pub generation: GenerationStats,
}

/// A checked dictation and the request to send to the engine.
#[derive(Debug, Clone)]
pub struct PreparedDraft {
    pub request: GenerateRequest,
    dictation: String,
    legal_basis: Vec<String>,
    started: Instant,
}

/// A one-token draft request: running it puts the fixed system prompt into the engine's prefix
/// cache before the first clerk waits for it (it is most of the prompt, and prefill is the slow
/// part on a CPU).
pub fn warm_up_request() -> Result<GenerateRequest, DraftError> {
    prepare("Antrag prüfen, dann Bescheid senden.", 1).map(|prepared| prepared.request)
}

/// Checks a dictation and builds the constrained request for it.
pub fn prepare(dictation: &str, max_tokens: usize) -> Result<PreparedDraft, DraftError> {
    let started = Instant::now();
    let dictation = input::check(dictation)?;
    let messages = PromptTemplate::DRAFT.messages(minijinja::context! { dictation })?;
    let options = format::GrammarOptions { allow_decisions: input::names_condition(dictation) };
    let request = GenerateRequest {
        messages,
        grammar: Some(format::grammar(options)),
        max_tokens,
        stop: Vec::new(),
        sampling: Sampling::GREEDY,
        lookahead: crate::llm::COPY_LOOKAHEAD,
        repeated_lines_limit: REPEATED_LINES_LIMIT,
    };
    Ok(PreparedDraft {
        request,
        legal_basis: input::legal_references(dictation),
        dictation: dictation.to_owned(),
        started,
    })
}

impl PreparedDraft {
    pub fn progress(&self) -> DraftProgress {
        DraftProgress { splitter: format::LineSplitter::default(), started: self.started, first_step_s: None }
    }

    /// Turns the model's answer into a valid process with its repairs and review findings.
    pub fn finish(self, generation: Generation, model_id: &str, progress: &DraftProgress) -> Result<Draft, DraftError> {
        if generation.finish == FinishReason::Cancelled {
            return Err(DraftError::Cancelled);
        }
        let lines = format::parse(&generation.text);
        if lines.iter().any(|l| matches!(l, Line::NotAProcess)) {
            return Err(InputError::NotAProcess { reason: "the model found no process in it".into() }.into());
        }
        if !lines.iter().any(|l| matches!(l, Line::Step(_))) {
            return Err(DraftError::NoSteps(generation.text));
        }
        let converted = convert::to_process(&lines, self.legal_basis);
        let mut repairs = converted.repairs;
        if generation.finish == FinishReason::Repetition {
            repairs.insert(
                0,
                Finding::warning(
                    "repetition",
                    "steps",
                    "the model began repeating steps; generation was stopped there",
                )
                .with_fix("Check that no step of the dictation is missing at the end."),
            );
        }
        if generation.finish == FinishReason::Length {
            repairs.insert(
                0,
                Finding::warning(
                    "truncated",
                    "steps",
                    format!("the answer was cut off after {} tokens; steps may be missing", self.request.max_tokens),
                )
                .with_fix("Dictate fewer steps at once, or allow more tokens."),
            );
        }
        let process = converted.process;
        Ok(Draft {
            findings: review::tagged(review::check(&process), review::Source::Check),
            process,
            repairs,
            stats: DraftStats {
                model_id: model_id.to_owned(),
                template_sha256: PromptTemplate::DRAFT.sha256(),
                finish: generation.finish,
                first_step_s: progress.first_step_s,
                total_s: self.started.elapsed().as_secs_f64(),
                generation: generation.stats,
            },
            compact: generation.text,
            dictation: self.dictation,
        })
    }
}

impl Draft {
    /// What the store records about how this draft came about.
    pub fn record(&self) -> DraftRecord {
        DraftRecord {
            dictation: self.dictation.clone(),
            compact: self.compact.clone(),
            model_id: self.stats.model_id.clone(),
            template_sha256: self.stats.template_sha256.clone(),
            stats: serde_json::to_value(&self.stats).unwrap_or_default(),
            repairs: serde_json::to_value(&self.repairs).unwrap_or_default(),
        }
    }

    /// Stores the process with status `draft`, together with its provenance.
    pub fn save(&self, store: &Store, change: &Change) -> Result<Saved, StoreError> {
        store.create_draft(&self.process, &self.record(), change)
    }
}

/// Follows a streamed answer: complete lines as they arrive, and when the first step came.
#[derive(Debug)]
pub struct DraftProgress {
    splitter: format::LineSplitter,
    started: Instant,
    first_step_s: Option<f64>,
}

impl DraftProgress {
    pub fn push(&mut self, piece: &str) -> Vec<Line> {
        let lines = self.splitter.push(piece);
        if self.first_step_s.is_none() && lines.iter().any(|l| matches!(l, Line::Step(_))) {
            self.first_step_s = Some(self.started.elapsed().as_secs_f64());
        }
        lines
    }

    /// The unfinished last line, once generation has ended.
    pub fn finish(&mut self) -> Option<Line> {
        self.splitter.finish()
    }
}

/// Drafts on the calling thread (CLI, evaluation); `on_line` sees each line as it completes.
pub fn run(
    generator: &mut dyn Generator,
    prepared: PreparedDraft,
    on_line: &mut dyn FnMut(&Line),
) -> Result<Draft, DraftError> {
    let mut progress = prepared.progress();
    let generation = generator.generate(&prepared.request, &mut |piece| {
        progress.push(piece).iter().for_each(&mut *on_line);
        true
    })?;
    if let Some(last) = progress.finish() {
        on_line(&last);
    }
    let model_id = generator.model_id().to_owned();
    prepared.finish(generation, &model_id, &progress)
}
