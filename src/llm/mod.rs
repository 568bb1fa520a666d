//! The local language model: a small [`Generator`] seam, the candle implementation
//! ([`CandleGenerator`]) and the [`LlmWorker`] that runs it on a dedicated thread.
//!
//! Everything a model needs comes from its GGUF file: the architecture (`general.architecture`),
//! the tokenizer, the chat template (rendered with minijinja) and the stop tokens. Generation can
//! be constrained by a llguidance grammar (Lark, including `%json{...}` schemas), so structured
//! output always parses. The KV cache of the longest shared token prefix is kept between
//! requests, so a fixed system prompt is processed once.

mod bench;
mod chat_template;
mod constraint;
mod engine;
mod gguf;
mod lookahead;
mod sampler;
#[cfg(test)]
pub(crate) mod scripted;
mod simd;
mod synthetic;
mod text_stream;
mod tokenizer;
mod transformer;
mod worker;

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

pub use bench::{BenchOptions, BenchReport, bench_file, bench_synthetic};
pub use engine::{CandleGenerator, ModelInfo, PREFIX_CACHE_BLOCK};
pub use gguf::Architecture;
pub use simd::simd_summary;
pub use synthetic::SyntheticSpec;
pub use worker::{LlmEvent, LlmWorker};

/// One turn of a chat; `role` is `system`, `user` or `assistant`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    pub role: String,
    pub content: String,
}

impl ChatMessage {
    pub fn system(content: impl Into<String>) -> Self {
        ChatMessage { role: "system".into(), content: content.into() }
    }
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage { role: "user".into(), content: content.into() }
    }
    pub fn assistant(content: impl Into<String>) -> Self {
        ChatMessage { role: "assistant".into(), content: content.into() }
    }
}

/// How the next token is chosen. `temperature` 0 is greedy decoding, which is deterministic.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Sampling {
    pub temperature: f64,
    /// Nucleus sampling: keep the smallest set of tokens whose probability reaches `top_p`.
    pub top_p: Option<f64>,
    pub seed: u64,
}

impl Sampling {
    pub const GREEDY: Sampling = Sampling { temperature: 0.0, top_p: None, seed: 0 };
}

impl Default for Sampling {
    fn default() -> Self {
        Sampling::GREEDY
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GenerateRequest {
    pub messages: Vec<ChatMessage>,
    /// A llguidance Lark grammar the output must match; `None` is free text.
    pub grammar: Option<String>,
    pub max_tokens: usize,
    /// Generation ends before the first occurrence of any of these strings (not included in the text).
    pub stop: Vec<String>,
    pub sampling: Sampling,
    /// Tokens guessed ahead by prompt lookup and checked in the same forward pass (0: none).
    /// The text stays what the model chooses; only the number of passes changes.
    #[serde(default)]
    pub lookahead: usize,
    /// Generation ends once this many lines repeat an earlier line (leading numbers and a
    /// trailing " > …" aside, so "7 task A: x > 2" repeats "3 task A: x"); 0 never ends it. Greedy decoding of a small model
    /// can fall into a cycle of lines that only the token limit would stop.
    #[serde(default)]
    pub repeated_lines_limit: usize,
    /// Reuse every cached prompt token this request shares with the previous one, not only
    /// whole prompt chunks. The answer may then differ in the last bits from a cold run, so
    /// only requests that follow their own first request ask for it (the clauses of one draft).
    #[serde(default)]
    pub reuse_unaligned_prefix: bool,
}

impl GenerateRequest {
    /// Greedy free text of at most `max_tokens` tokens.
    pub fn new(messages: Vec<ChatMessage>, max_tokens: usize) -> Self {
        GenerateRequest {
            messages,
            grammar: None,
            max_tokens,
            stop: Vec::new(),
            sampling: Sampling::GREEDY,
            lookahead: 0,
            repeated_lines_limit: 0,
            reuse_unaligned_prefix: false,
        }
    }
}

/// Lookahead for answers that copy much of their prompt (drafts, reviews): tokens guessed per
/// forward pass. Wrong guesses cost compute; 4 drafted faster than none on the eval set
/// (docs/drafting.md).
pub const COPY_LOOKAHEAD: usize = 4;

/// The figures of one generation; also logged (target `ablauf::llm`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GenerationStats {
    /// Tokens of the rendered prompt.
    pub prompt_tokens: usize,
    /// Leading prompt tokens whose KV cache was reused from an earlier request.
    pub cached_prompt_tokens: usize,
    pub new_tokens: usize,
    /// Prompt tokens actually processed per second (excluding cached ones).
    pub prefill_tok_s: f64,
    /// Generated tokens per second after the first one (tokens a grammar forces count too: they
    /// run through the model in one batch, which is the point of forcing them).
    pub decode_tok_s: f64,
    /// Time from the start of the request to the first generated token.
    pub ttft_s: f64,
    pub total_s: f64,
    /// Mean time the grammar constraint took per generated token (0 without a grammar).
    pub constraint_us_per_token: f64,
    /// Tokens guessed by prompt lookup, and how many of them the model confirmed.
    #[serde(default)]
    pub guessed_tokens: usize,
    #[serde(default)]
    pub accepted_guesses: usize,
}

impl GenerationStats {
    /// The figures of requests run one after another as one job: counts add up, rates are
    /// recomputed over the summed times, the first token is the first request's.
    pub fn combine(parts: &[GenerationStats]) -> GenerationStats {
        let sum = |f: fn(&GenerationStats) -> usize| parts.iter().map(f).sum::<usize>();
        let seconds = |tokens: usize, rate: f64| if rate > 0.0 { tokens as f64 / rate } else { 0.0 };
        let prefilled = sum(|p| p.prompt_tokens - p.cached_prompt_tokens);
        let prefill_s: f64 =
            parts.iter().map(|p| seconds(p.prompt_tokens - p.cached_prompt_tokens, p.prefill_tok_s)).sum();
        let decoded = sum(|p| p.new_tokens.saturating_sub(1));
        let decode_s: f64 = parts.iter().map(|p| seconds(p.new_tokens.saturating_sub(1), p.decode_tok_s)).sum();
        let new_tokens = sum(|p| p.new_tokens);
        let constraint_us: f64 = parts.iter().map(|p| p.constraint_us_per_token * p.new_tokens as f64).sum();
        GenerationStats {
            prompt_tokens: sum(|p| p.prompt_tokens),
            cached_prompt_tokens: sum(|p| p.cached_prompt_tokens),
            new_tokens,
            prefill_tok_s: if prefill_s > 0.0 { prefilled as f64 / prefill_s } else { 0.0 },
            decode_tok_s: if decode_s > 0.0 { decoded as f64 / decode_s } else { 0.0 },
            ttft_s: parts.first().map_or(0.0, |p| p.ttft_s),
            total_s: parts.iter().map(|p| p.total_s).sum(),
            constraint_us_per_token: if new_tokens > 0 { constraint_us / new_tokens as f64 } else { 0.0 },
            guessed_tokens: sum(|p| p.guessed_tokens),
            accepted_guesses: sum(|p| p.accepted_guesses),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FinishReason {
    /// The model ended its turn, a stop sequence matched, or the grammar was complete.
    Stop,
    /// `max_tokens` was reached.
    Length,
    /// The caller stopped listening.
    Cancelled,
    /// Lines repeated earlier lines ([`GenerateRequest::repeated_lines_limit`]).
    Repetition,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Generation {
    pub text: String,
    pub finish: FinishReason,
    pub stats: GenerationStats,
}

#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error(transparent)]
    Model(#[from] crate::models::ModelError),
    #[error("cannot read model file {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a usable GGUF model file: {detail}")]
    NotGguf { path: PathBuf, detail: String },
    #[error("unsupported model architecture {0:?}; supported: {supported}", supported = Architecture::SUPPORTED)]
    UnsupportedArchitecture(String),
    #[error("GGUF metadata {key}: {detail}")]
    Metadata { key: String, detail: String },
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("chat template: {0}")]
    Template(String),
    #[error("invalid grammar: {0}")]
    Grammar(String),
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error(
        "the prompt ({prompt_tokens} tokens) plus max_tokens ({max_tokens}) exceeds the context of {context} tokens"
    )]
    ContextOverflow { prompt_tokens: usize, max_tokens: usize, context: usize },
    #[error("device {device}: {detail}")]
    Device { device: Device, detail: String },
    #[error("inference failed: {0}")]
    Inference(#[from] candle_core::Error),
    #[error("the model is busy: its request queue is full")]
    QueueFull,
    #[error("the server is shutting down; generation was cancelled")]
    ShuttingDown,
    #[error("the inference worker has stopped")]
    WorkerStopped,
}

/// The seam between callers and an inference engine: the candle engine implements it,
/// tests may add a scripted double.
pub trait Generator: Send {
    fn model_id(&self) -> &str;
    /// Generates an answer to `request`, calling `on_token` with each decoded text piece;
    /// returning false from `on_token` cancels (the result then has [`FinishReason::Cancelled`]).
    fn generate(
        &mut self,
        request: &GenerateRequest,
        on_token: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, LlmError>;

    /// Answers `requests` that share most of their prompt (the clauses of one draft) together,
    /// all new tokens at most `max_tokens`: `on_done` sees each answer with its index as it
    /// completes, in any order, and returning false from it cancels the rest. Returns false,
    /// having done nothing, where the engine cannot (the default): the caller then runs them one
    /// after another.
    fn generate_batch(
        &mut self,
        _requests: &[GenerateRequest],
        _max_tokens: usize,
        _on_done: &mut dyn FnMut(usize, Result<Generation, LlmError>) -> bool,
    ) -> bool {
        false
    }
}

/// Runs `requests` on one generator as one job, sharing a budget of `max_tokens` new tokens,
/// and hands the answers on in order; the sequence stops after an error or a cancelled request
/// (returning false from `on_token` cancels). The first requests run alone and stream, until
/// one answers more than a word (a draft's clause answered "skip" shows nothing), so that the
/// first line that shows comes early; the others the generator may answer together
/// ([`Generator::generate_batch`]), and then `on_token` sees each answer's whole text once it
/// and all before it are complete: the batch's first pass reads every one of their prompts.
/// Otherwise they run one after another, streamed, each with at most what the earlier ones
/// left (none once it is spent, which answers with an empty [`FinishReason::Length`]
/// generation).
pub fn generate_sequence(
    generator: &mut dyn Generator,
    requests: &[GenerateRequest],
    max_tokens: usize,
    on_token: &mut dyn FnMut(&str) -> bool,
    on_done: &mut dyn FnMut(Result<Generation, LlmError>),
) {
    let mut left = max_tokens;
    let mut shown = false;
    let mut batch_tried = false;
    for (index, request) in requests.iter().enumerate() {
        let rest = &requests[index..];
        // Once: a generator that cannot batch these cannot batch fewer.
        if shown && !batch_tried && rest.len() > 1 {
            batch_tried = true;
            if batch_in_order(generator, rest, left, on_token, on_done) {
                return;
            }
        }
        let mut request = request.clone();
        request.max_tokens = request.max_tokens.min(left);
        let result = if request.max_tokens == 0 {
            Ok(Generation { text: String::new(), finish: FinishReason::Length, stats: GenerationStats::default() })
        } else {
            generator.generate(&request, on_token)
        };
        let go_on = matches!(&result, Ok(g) if g.finish != FinishReason::Cancelled);
        if let Ok(generation) = &result {
            left = left.saturating_sub(generation.stats.new_tokens);
            shown |= generation.text.split_whitespace().nth(1).is_some();
        }
        on_done(result);
        if !go_on {
            return;
        }
    }
}

/// [`Generator::generate_batch`] with the answers handed on in request order; false where the
/// generator does not batch.
fn batch_in_order(
    generator: &mut dyn Generator,
    requests: &[GenerateRequest],
    max_tokens: usize,
    on_token: &mut dyn FnMut(&str) -> bool,
    on_done: &mut dyn FnMut(Result<Generation, LlmError>),
) -> bool {
    let mut waiting: Vec<Option<Result<Generation, LlmError>>> = (0..requests.len()).map(|_| None).collect();
    let mut next = 0;
    let mut stopped = false;
    generator.generate_batch(requests, max_tokens, &mut |index, result| {
        if let Some(slot) = waiting.get_mut(index) {
            *slot = Some(result);
        }
        while !stopped && let Some(result) = waiting.get_mut(next).and_then(Option::take) {
            next += 1;
            let result = match result {
                Ok(mut generation) if generation.finish != FinishReason::Cancelled => {
                    if !generation.text.is_empty() && !on_token(&generation.text) {
                        generation.finish = FinishReason::Cancelled;
                    }
                    Ok(generation)
                }
                other => other,
            };
            stopped = !matches!(&result, Ok(g) if g.finish != FinishReason::Cancelled);
            on_done(result);
        }
        !stopped
    })
}

/// Where the model runs. `cuda` needs the crate's `cuda` feature.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Device {
    #[default]
    Cpu,
    Cuda(usize),
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(ordinal) => write!(f, "cuda:{ordinal}"),
        }
    }
}

impl FromStr for Device {
    type Err = String;

    /// `cpu`, `cuda` or `cuda:N`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "cpu" => Ok(Device::Cpu),
            "cuda" => Ok(Device::Cuda(0)),
            _ => s
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(Device::Cuda)
                .ok_or_else(|| format!("unknown device {s:?}; use cpu, cuda or cuda:N")),
        }
    }
}

impl Device {
    fn to_candle(self) -> Result<candle_core::Device, LlmError> {
        match self {
            Device::Cpu => Ok(candle_core::Device::Cpu),
            Device::Cuda(_) if !cfg!(feature = "cuda") => Err(LlmError::Device {
                device: self,
                detail: "this build has no CUDA support; rebuild with `--features cuda`".into(),
            }),
            Device::Cuda(ordinal) => candle_core::Device::new_cuda(ordinal)
                .map_err(|e| LlmError::Device { device: self, detail: e.to_string() }),
        }
    }
}

/// Where `model` lives: a manifest name (fetched on first need into [`crate::models::default_dir`])
/// or a path to any GGUF file.
pub fn resolve_model(model: &str) -> Result<PathBuf, LlmError> {
    let is_manifest_name = crate::models::catalog().iter().any(|m| m.name == model);
    if is_manifest_name {
        Ok(crate::models::ensure(&crate::models::default_dir(), model)?)
    } else {
        Ok(PathBuf::from(model))
    }
}

/// Loads a GGUF model (a manifest name such as [`crate::models::SMALL_LLM`], or a path): picks the
/// model code from `general.architecture` and builds tokenizer, chat template and stop tokens from
/// the GGUF metadata.
pub fn load(model: &str, device: Device) -> Result<CandleGenerator, LlmError> {
    let path = resolve_model(model)?;
    CandleGenerator::load(&path, device)
}

#[cfg(test)]
mod tests {
    use super::scripted::Scripted;
    use super::*;

    /// Which requests ran alone and which together, and the answers in the order handed on.
    fn sequence(answers: Vec<&'static str>) -> (Vec<usize>, Vec<usize>, Vec<String>) {
        let requests: Vec<GenerateRequest> =
            (0..answers.len()).map(|i| GenerateRequest::new(vec![ChatMessage::user(i.to_string())], 50)).collect();
        let mut generator = Scripted::new(answers);
        let mut handed = Vec::new();
        generate_sequence(&mut generator, &requests, 1000, &mut |_| true, &mut |result| {
            handed.push(result.expect("answered").text)
        });
        (generator.alone, generator.together, handed)
    }

    #[test]
    fn requests_run_alone_until_an_answer_shows_more_than_a_word() {
        let (alone, together, handed) = sequence(vec!["skip", "skip", "task A: x", "b", "task B: y"]);
        assert_eq!((alone, together), (vec![0, 1, 2], vec![3, 4]));
        assert_eq!(handed, ["skip", "skip", "task A: x", "b", "task B: y"]);
        let (alone, together, _) = sequence(vec!["task A: x", "skip", "task B: y"]);
        assert_eq!((alone, together), (vec![0], vec![1, 2]));
    }
}
