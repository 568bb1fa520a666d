//! [`CandleGenerator`]: a GGUF model on candle, with its tokenizer, chat template, grammar
//! engine and prefix cache, generating one request at a time.

use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use candle_core::quantized::gguf_file;

use serde::Serialize;

use super::chat_template::ChatTemplate;
use super::constraint::{Constraint, GrammarCompiler};
use super::gguf::{self, Architecture};
use super::lookahead;
use super::sampler::Sampler;
use super::text_stream::TextStream;
use super::tokenizer::ModelTokenizer;
use super::transformer::{GgufTensors, Hyperparams, MAX_POSITIONS, Transformer};
use super::{
    ChatMessage, Device, FinishReason, GenerateRequest, Generation, GenerationStats, Generator, LlmError, simd,
};
use ablauf_kernels::gemv;

/// Prompt tokens run through the model at once, in chunks aligned to multiples of this from position
/// 0 and from the end of the system message (see [`Chunks`]). candle's quantized matmul rounds
/// differently depending on how many rows it gets, so a cached prefix is only reused up to a chunk
/// boundary that an uncached run would have had too: the prefix cache then never changes an answer.
/// The weights are streamed once per chunk, so longer chunks prefill faster: a dictation of 70–140
/// tokens in one or two chunks (with 16-token chunks its first draft step came 0.4 s later than
/// with 64, and 128 instead of 64 prefilled drafts 5–12 % faster).
pub const PREFIX_CACHE_BLOCK: usize = 128;

/// Where prompt chunks end: every [`PREFIX_CACHE_BLOCK`] tokens up to `split` (the end of the
/// system message), at `split`, then every [`PREFIX_CACHE_BLOCK`] tokens after it. Cutting at the
/// system message's end makes a whole system prompt of any length reusable; with plain multiples
/// of the block, up to 127 of its tokens were prefilled again for every request.
#[derive(Debug, Clone, Copy)]
struct Chunks {
    split: usize,
}

impl Chunks {
    /// The last boundary at or before `position`.
    fn floor(self, position: usize) -> usize {
        if position >= self.split {
            self.split + (position - self.split) / PREFIX_CACHE_BLOCK * PREFIX_CACHE_BLOCK
        } else {
            position / PREFIX_CACHE_BLOCK * PREFIX_CACHE_BLOCK
        }
    }

    /// The first boundary after `position`.
    fn next(self, position: usize) -> usize {
        if position < self.split {
            ((position / PREFIX_CACHE_BLOCK + 1) * PREFIX_CACHE_BLOCK).min(self.split)
        } else {
            self.split + ((position - self.split) / PREFIX_CACHE_BLOCK + 1) * PREFIX_CACHE_BLOCK
        }
    }

    /// The last position at or before `position` that is a boundary of both `self` and `other`,
    /// with the same boundaries before it: up to there both cut a prompt into the same chunks.
    fn common_floor(self, other: Chunks, position: usize) -> usize {
        if self.plain_until() == other.plain_until() {
            self.floor(position)
        } else {
            position.min(self.plain_until()).min(other.plain_until()) / PREFIX_CACHE_BLOCK * PREFIX_CACHE_BLOCK
        }
    }

    /// Up to where the boundaries are plain multiples of the block (everywhere, when the split
    /// is one).
    fn plain_until(self) -> usize {
        if self.split.is_multiple_of(PREFIX_CACHE_BLOCK) { usize::MAX } else { self.split }
    }
}

pub struct CandleGenerator {
    id: String,
    model: Transformer,
    tokenizer: Arc<ModelTokenizer>,
    template: ChatTemplate,
    grammars: GrammarCompiler,
    /// The tokens whose keys and values are in the model's KV cache, in order.
    cached: Vec<u32>,
    /// How many of `cached` were computed in whole prompt chunks of `chunks` (reusable exactly).
    aligned: usize,
    chunks: Chunks,
    /// The last system message seen and how many prompt tokens it renders to.
    system: Option<(String, usize)>,
    load_seconds: f64,
}

/// What was loaded, for logs and `ablauf bench llm`.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    pub id: String,
    pub architecture: Architecture,
    pub layers: usize,
    pub embedding: usize,
    pub heads: usize,
    pub kv_heads: usize,
    pub vocab: usize,
    pub context: usize,
    pub weight_mb: f64,
    pub load_s: f64,
}

/// What a model file holds for turning text into tokens and back: its tokenizer, its chat
/// template and the grammars' index of its vocabulary.
fn text_side(
    content: &gguf_file::Content,
    path: &Path,
    vocab_size: usize,
) -> Result<(Arc<ModelTokenizer>, ChatTemplate, GrammarCompiler), LlmError> {
    let tokenizer = Arc::new(ModelTokenizer::load(content, path, vocab_size)?);
    let template_source = gguf::get_str(content, "tokenizer.chat_template")
        .map_err(|_| LlmError::Template("the GGUF file has no tokenizer.chat_template".into()))?;
    let template =
        ChatTemplate::new(template_source.to_owned(), tokenizer.bos_text().into(), tokenizer.eos_text().into())?;
    let grammars = GrammarCompiler::new(tokenizer.clone());
    grammars.prepare()?;
    Ok((tokenizer, template, grammars))
}

impl CandleGenerator {
    pub fn load(path: &Path, device: Device) -> Result<Self, LlmError> {
        let started = Instant::now();
        simd::log_once();
        let candle_device = device.to_candle()?;
        let gguf::GgufFile { content, mut reader, architecture } = gguf::open(path)?;
        let params = Hyperparams::from_metadata(architecture, &content)?;
        let vocab_size = params.vocab_size;
        // The tokenizer, the chat template and the grammars' token index are built on a second
        // thread while this one reads the weights: a second or more off every `ablauf draft`.
        let (text, model) = std::thread::scope(|scope| {
            let text = scope.spawn(|| text_side(&content, path, vocab_size));
            let mut source = GgufTensors { content: &content, reader: &mut reader };
            let model = Transformer::load(params, &mut source, &candle_device)
                .map_err(|e| LlmError::NotGguf { path: path.to_owned(), detail: e.to_string() });
            let text = text.join().unwrap_or_else(|_| {
                Err(LlmError::Tokenizer("loading the tokenizer, chat template or grammar index panicked".into()))
            });
            (text, model)
        });
        let (tokenizer, template, grammars) = text?;
        let model = model?;
        let id = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "model".into());
        let generator = CandleGenerator {
            id,
            model,
            grammars,
            tokenizer,
            template,
            cached: Vec::new(),
            aligned: 0,
            chunks: Chunks { split: 0 },
            system: None,
            load_seconds: started.elapsed().as_secs_f64(),
        };
        let info = generator.info();
        tracing::info!(
            model = %info.id, architecture = info.architecture.as_str(), layers = info.layers,
            weight_mb = info.weight_mb, load_s = info.load_s, device = %device, "model loaded"
        );
        Ok(generator)
    }

    pub(super) fn model_mut(&mut self) -> &mut Transformer {
        &mut self.model
    }

    pub fn architecture(&self) -> Architecture {
        self.model.params.arch
    }

    pub fn info(&self) -> ModelInfo {
        let p = &self.model.params;
        ModelInfo {
            id: self.id.clone(),
            architecture: p.arch,
            layers: p.n_layer,
            embedding: p.n_embd,
            heads: p.n_head,
            kv_heads: p.n_head_kv,
            vocab: p.vocab_size,
            context: self.context_length(),
            weight_mb: self.model.weight_bytes() as f64 / 1e6,
            load_s: self.load_seconds,
        }
    }

    /// Forgets the cached prompt prefix (the next request processes its whole prompt).
    pub fn clear_cache(&mut self) {
        self.model.truncate_cache(0);
        self.cached.clear();
        self.aligned = 0;
    }

    /// Writes the KV cache of the first `len` cached tokens (rounded down to whole prompt chunks,
    /// the part a later request reuses exactly, see [`CandleGenerator::reusable`]) to `path`,
    /// atomically; returns how many tokens it holds. A later process restores it with [`CandleGenerator::load_prefix`] instead of
    /// prefilling a long fixed system prompt again (the CLI loads the model for every call).
    pub fn save_prefix(&self, path: &Path, len: usize) -> Result<usize, LlmError> {
        let len = self.reusable(len);
        if len == 0 {
            return Ok(0);
        }
        let mut tensors = std::collections::HashMap::new();
        for (i, (k, v)) in self.model.cache_snapshot(len)?.into_iter().enumerate() {
            tensors.insert(format!("k.{i}"), k);
            tensors.insert(format!("v.{i}"), v);
        }
        let tokens = candle_core::Tensor::new(&self.cached[..len], &candle_core::Device::Cpu)?;
        tensors.insert("tokens".to_owned(), tokens);
        let split = u32::try_from(self.chunks.split.min(len)).unwrap_or(u32::MAX);
        tensors.insert("split".to_owned(), candle_core::Tensor::new(&[split], &candle_core::Device::Cpu)?);
        let identity = candle_core::Tensor::new(self.identity().as_slice(), &candle_core::Device::Cpu)?;
        tensors.insert("model".to_owned(), identity);
        let io = |source| LlmError::Io { path: path.to_owned(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let partial = path.with_extension("partial");
        candle_core::safetensors::save(&tensors, &partial)?;
        std::fs::rename(&partial, path).map_err(io)?;
        Ok(len)
    }

    /// Restores a prefix written by [`CandleGenerator::save_prefix`] for this model; a missing,
    /// unreadable or foreign file restores nothing (the prompt is then prefilled as usual).
    /// Returns how many tokens were restored.
    pub fn load_prefix(&mut self, path: &Path) -> usize {
        let restored = (|| -> Result<usize, String> {
            let tensors = candle_core::safetensors::load(path, &candle_core::Device::Cpu).map_err(|e| e.to_string())?;
            let get = |name: &str| tensors.get(name).ok_or_else(|| format!("no tensor {name}"));
            let identity = get("model")?.to_vec1::<u32>().map_err(|e| e.to_string())?;
            if identity != self.identity() {
                return Err("it was written for another model".into());
            }
            let tokens = get("tokens")?.to_vec1::<u32>().map_err(|e| e.to_string())?;
            let layers = (0..self.model.params.n_layer)
                .map(|i| Ok((get(&format!("k.{i}"))?.clone(), get(&format!("v.{i}"))?.clone())))
                .collect::<Result<Vec<_>, String>>()?;
            self.model.restore_cache(&layers).map_err(|e| e.to_string())?;
            // Files without a split were cut in plain blocks, which a split at their end describes.
            let split = match tensors.get("split") {
                Some(t) => t.to_vec1::<u32>().map_err(|e| e.to_string())?.first().map_or(0, |&s| s as usize),
                None => tokens.len(),
            };
            let chunks = Chunks { split };
            if self.model.cache_len() != tokens.len() || chunks.floor(tokens.len()) != tokens.len() {
                self.clear_cache();
                return Err("its token count does not match its cache".into());
            }
            self.aligned = tokens.len();
            self.chunks = chunks;
            self.cached = tokens;
            Ok(self.cached.len())
        })();
        match restored {
            Ok(n) => n,
            Err(e) => {
                if path.exists() {
                    tracing::warn!("prompt cache {} not used: {e}", path.display());
                }
                0
            }
        }
    }

    /// What a saved prefix must match: the model's shape and weight size, so a file of another
    /// model (or another quantisation of the same one) is never restored.
    fn identity(&self) -> Vec<u32> {
        let p = &self.model.params;
        let bytes = self.model.weight_bytes() as u64;
        vec![
            p.n_layer as u32,
            p.n_embd as u32,
            p.n_head_kv as u32,
            p.vocab_size as u32,
            bytes as u32,
            (bytes >> 32) as u32,
        ]
    }

    /// Longest prompt plus answer, in tokens.
    pub fn context_length(&self) -> usize {
        self.model.params.context_length.min(MAX_POSITIONS)
    }

    /// The prompt text the model's chat template makes of `messages`.
    pub fn render_prompt(&self, messages: &[ChatMessage]) -> Result<String, LlmError> {
        if messages.is_empty() {
            return Err(LlmError::InvalidRequest("no messages".into()));
        }
        self.template.render(messages)
    }

    pub fn prompt_tokens(&self, messages: &[ChatMessage]) -> Result<Vec<u32>, LlmError> {
        self.tokenizer.encode_prompt(&self.render_prompt(messages)?)
    }

    /// How many of the first `len` cached tokens a later request can reuse exactly (whole prompt
    /// chunks).
    pub fn reusable(&self, len: usize) -> usize {
        self.chunks.floor(len.min(self.aligned))
    }

    /// How many leading tokens of `prompt` are the rendered system message of `messages` (0 when
    /// there is none, or the template does not render it as a prefix).
    fn system_tokens(&mut self, messages: &[ChatMessage], prompt: &[u32]) -> usize {
        let Some(system) = messages.first().filter(|m| m.role == "system" && messages.len() > 1) else {
            return 0;
        };
        if let Some((content, len)) = &self.system
            && *content == system.content
        {
            return *len;
        }
        let rendered = self.template.render_opening(std::slice::from_ref(system));
        let tokens = rendered.and_then(|text| self.tokenizer.encode_prompt(&text));
        let len = tokens.ok().filter(|t| prompt.starts_with(t)).map_or(0, |t| t.len());
        self.system = Some((system.content.clone(), len));
        len
    }

    /// Runs `tokens` through the model (reusing the longest cached prefix, in whole chunks unless
    /// `unaligned`) and returns the logits of the last one, plus how many leading tokens came
    /// from the cache. `split` is where the system message ends (see [`Chunks`]).
    fn prefill(&mut self, tokens: &[u32], split: usize, unaligned: bool) -> Result<(Vec<f32>, usize), LlmError> {
        let chunks = Chunks { split };
        let shared = self.cached.iter().zip(tokens).take_while(|(a, b)| a == b).count();
        // The last prompt token always runs, because its logits choose the first new token.
        let reusable = shared.min(tokens.len() - 1);
        let reused = if unaligned { reusable } else { chunks.common_floor(self.chunks, reusable.min(self.aligned)) };
        self.model.truncate_cache(reused);
        self.cached.truncate(reused);
        self.aligned = chunks.common_floor(self.chunks, self.aligned.min(reused));
        self.chunks = chunks;
        let mut logits = None;
        let mut position = reused;
        while position < tokens.len() {
            let boundary = chunks.next(position);
            let end = boundary.min(tokens.len());
            logits = Some(self.forward(&tokens[position..end])?);
            // Only chunks that an uncached run would have had too count as exactly reusable.
            if self.aligned == position && end == boundary {
                self.aligned = end;
            }
            position = end;
        }
        let logits = logits.ok_or_else(|| LlmError::InvalidRequest("empty prompt".into()))?;
        Ok((logits, reused))
    }

    /// One model step returning the logits of the last token.
    fn forward(&mut self, tokens: &[u32]) -> Result<Vec<f32>, LlmError> {
        let mut rows = self.forward_rows(tokens, 1)?;
        rows.pop().ok_or_else(|| LlmError::Inference(candle_core::Error::Msg("the model returned no logits".into())))
    }

    /// One model step returning the logits of the last `rows` tokens; on failure the cache is
    /// dropped, because a half-updated cache is unusable.
    fn forward_rows(&mut self, tokens: &[u32], rows: usize) -> Result<Vec<Vec<f32>>, LlmError> {
        let result = self.model.forward_last(tokens, rows).and_then(|logits| logits.to_vec2::<f32>());
        match result {
            Ok(logits) => {
                self.cached.extend_from_slice(tokens);
                Ok(logits)
            }
            Err(e) => {
                self.clear_cache();
                Err(e.into())
            }
        }
    }

    fn check(&self, request: &GenerateRequest, prompt_tokens: usize) -> Result<(), LlmError> {
        let context = self.context_length();
        if prompt_tokens + request.max_tokens > context {
            return Err(LlmError::ContextOverflow { prompt_tokens, max_tokens: request.max_tokens, context });
        }
        Ok(())
    }
}

impl Generator for CandleGenerator {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn generate(
        &mut self,
        request: &GenerateRequest,
        on_token: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, LlmError> {
        let started = Instant::now();
        let mut sampler = Sampler::new(request.sampling)?;
        let mut constraint = request.grammar.as_deref().map(|g| self.grammars.compile(g)).transpose()?;
        let prompt = self.prompt_tokens(&request.messages)?;
        self.check(request, prompt.len())?;
        let mut stats = GenerationStats { prompt_tokens: prompt.len(), ..GenerationStats::default() };
        let mut stream = TextStream::new(&request.stop);
        let mut finish = FinishReason::Length;

        if request.max_tokens > 0 {
            let prefill_started = Instant::now();
            let split = self.system_tokens(&request.messages, &prompt);
            let (mut logits, reused) = self.prefill(&prompt, split, request.reuse_unaligned_prefix)?;
            stats.cached_prompt_tokens = reused;
            let prefill_s = prefill_started.elapsed().as_secs_f64();
            stats.prefill_tok_s = (prompt.len() - reused) as f64 / prefill_s.max(1e-9);
            let tokenizer = self.tokenizer.clone();
            let mut output = Output {
                request,
                tokenizer: &tokenizer,
                stream,
                on_token,
                context: prompt,
                lines: RepeatedLines::default(),
            };
            // A token chosen while checking guesses, not yet run through the model.
            let mut carried = None;
            finish = 'generation: loop {
                let token = match carried.take() {
                    Some(token) => token,
                    None => next_token(&mut sampler, &mut logits, constraint.as_mut())?,
                };
                if stats.new_tokens == 0 {
                    stats.ttft_s = started.elapsed().as_secs_f64();
                }
                let mut step = vec![token];
                if let Some(c) = constraint.as_mut() {
                    step.extend(c.forced(request.max_tokens.saturating_sub(stats.new_tokens + 1))?);
                }
                if let Some(reason) = output.emit(&step, &mut stats, constraint.as_ref()) {
                    break reason;
                }
                let room = request.max_tokens.saturating_sub(stats.new_tokens);
                let guess = lookahead::guess(&output.context, request.lookahead.min(room)).to_vec();
                stats.guessed_tokens += guess.len();
                let cached_before = self.cached.len();
                step.extend_from_slice(&guess);
                // Forced and guessed tokens run together with the chosen one, at prompt-processing speed.
                let mut rows = self.forward_rows(&step, guess.len() + 1)?.into_iter();
                logits = rows.next().unwrap_or_default();
                for (i, &guessed) in guess.iter().enumerate() {
                    let token = next_token(&mut sampler, &mut logits, constraint.as_mut())?;
                    if token != guessed {
                        // The model chose otherwise: forget the keys and values of the rest of the guess.
                        let keep = cached_before + step.len() - (guess.len() - i);
                        self.model.truncate_cache(keep);
                        self.cached.truncate(keep);
                        carried = Some(token);
                        break;
                    }
                    stats.accepted_guesses += 1;
                    if let Some(reason) = output.emit(&[token], &mut stats, constraint.as_ref()) {
                        break 'generation reason;
                    }
                    logits = rows.next().unwrap_or_default();
                }
            };
            stream = output.stream;
        }
        let rest = stream.finish();
        if finish != FinishReason::Cancelled && !rest.is_empty() && !on_token(&rest) {
            finish = FinishReason::Cancelled;
        }

        stats.total_s = started.elapsed().as_secs_f64();
        let decode_s = stats.total_s - stats.ttft_s;
        stats.decode_tok_s =
            if stats.new_tokens > 1 { (stats.new_tokens - 1) as f64 / decode_s.max(1e-9) } else { 0.0 };
        stats.constraint_us_per_token = constraint.as_ref().map_or(0.0, Constraint::micros_per_token);
        tracing::info!(
            target: "ablauf::llm",
            model = %self.id,
            prompt_tokens = stats.prompt_tokens,
            cached_prompt_tokens = stats.cached_prompt_tokens,
            new_tokens = stats.new_tokens,
            prefill_tok_s = format!("{:.1}", stats.prefill_tok_s),
            decode_tok_s = format!("{:.1}", stats.decode_tok_s),
            ttft_s = format!("{:.3}", stats.ttft_s),
            total_s = format!("{:.3}", stats.total_s),
            constraint_us_per_token = format!("{:.0}", stats.constraint_us_per_token),
            finish = ?finish,
            "generation finished"
        );
        Ok(Generation { text: stream.text().to_owned(), finish, stats })
    }

    fn generate_batch(
        &mut self,
        requests: &[GenerateRequest],
        max_tokens: usize,
        on_done: &mut dyn FnMut(usize, Result<Generation, LlmError>) -> bool,
    ) -> bool {
        // Packed passes have no sliding-window masks.
        if requests.len() < 2 || self.model.params.sliding_window.is_some() {
            return false;
        }
        let mut reported = vec![false; requests.len()];
        if let Err(e) = self.batch(requests, max_tokens, &mut reported, on_done) {
            tracing::warn!("batched generation failed: {e}");
            let message = e.to_string();
            let mut first = Some(e);
            for index in (0..requests.len()).filter(|&i| !reported[i]) {
                let error =
                    first.take().unwrap_or_else(|| LlmError::Inference(candle_core::Error::Msg(message.clone())));
                on_done(index, Err(error));
            }
        }
        true
    }
}

/// One answer of a batch while it is being generated.
struct Lane<'a> {
    sampler: Sampler,
    constraint: Option<Constraint>,
    output: Output<'a>,
    stats: GenerationStats,
    /// Logits for its next token.
    logits: Vec<f32>,
    /// Its next position.
    position: u32,
    finish: Option<FinishReason>,
}

impl CandleGenerator {
    /// Answers requests that share a prompt prefix together (see [`Generator::generate_batch`]):
    /// the shared prefix runs once; then each pass holds the next tokens of up to eight
    /// unfinished answers, a newly admitted answer's being the rest of its prompt, each seeing
    /// the prefix and its own tokens only (a packed pass). A decoding step reads all weights
    /// however many tokens it holds: on two Zen 3 cores eight tokens took about four single
    /// steps' time, and drafts finished 20 % sooner (p50). `reported` marks the answers
    /// `on_done` has seen (on failure, the others are not).
    fn batch(
        &mut self,
        requests: &[GenerateRequest],
        max_tokens: usize,
        reported: &mut [bool],
        on_done: &mut dyn FnMut(usize, Result<Generation, LlmError>) -> bool,
    ) -> Result<(), LlmError> {
        let started = Instant::now();
        let prompts = requests.iter().map(|r| self.prompt_tokens(&r.messages)).collect::<Result<Vec<_>, _>>()?;
        for (request, prompt) in requests.iter().zip(&prompts) {
            self.check(request, prompt.len())?;
        }
        // Each answer keeps at least its last prompt token of its own: its logits start it.
        let shortest = prompts.iter().map(Vec::len).min().unwrap_or(0);
        let shared =
            (0..shortest.saturating_sub(1)).take_while(|&i| prompts.iter().all(|p| p[i] == prompts[0][i])).count();
        if shared == 0 {
            return Err(LlmError::InvalidRequest("batched requests share no prompt prefix".into()));
        }
        let split = self.system_tokens(&requests[0].messages, &prompts[0]).min(shared);
        let prefill_started = Instant::now();
        // The first answer of a draft ran alone just before, over the same dictation: when every
        // request allows it, the whole cached dictation is reused, not only its aligned chunks.
        let unaligned = requests.iter().all(|r| r.reuse_unaligned_prefix);
        let (_, reused) = self.prefill(&prompts[0][..shared], split, unaligned)?;
        let tokenizer = self.tokenizer.clone();
        let mut quiet: Vec<fn(&str) -> bool> = vec![|_| true; requests.len()];
        let mut lanes = Vec::with_capacity(requests.len());
        for ((request, prompt), on_token) in requests.iter().zip(&prompts).zip(quiet.iter_mut()) {
            let constraint = request.grammar.as_deref().map(|g| self.grammars.compile(g)).transpose();
            lanes.push(Lane {
                sampler: Sampler::new(request.sampling)?,
                constraint: constraint?,
                output: Output {
                    request,
                    tokenizer: &tokenizer,
                    stream: TextStream::new(&request.stop),
                    on_token,
                    context: prompt.clone(),
                    lines: RepeatedLines::default(),
                },
                stats: GenerationStats {
                    prompt_tokens: prompt.len(),
                    cached_prompt_tokens: reused,
                    ..GenerationStats::default()
                },
                logits: Vec::new(),
                position: prompt.len() as u32,
                finish: None,
            });
        }
        // At most as many answers in flight as the matrix kernels take rows at once (beyond that
        // a pass falls back to slower tiles, the vocabulary projection above all): each pass
        // holds the next tokens of the unfinished answers and, in the free places, the rest of
        // the next prompts. Prefilling every prompt first kept each answer waiting until the
        // last prompt was read; a draft as a whole takes as long either way (dev6 on AVX2,
        // docs/drafting.md, session 43).
        let mut waiting: std::collections::VecDeque<(usize, Vec<u32>)> =
            prompts.iter().map(|p| p[shared..].to_vec()).enumerate().collect();
        let mut pass: Vec<(usize, Vec<u32>)> = Vec::new();
        let mut owners: Vec<usize> = Vec::new();
        let mut new_tokens = 0;
        let mut first_pass = true;
        loop {
            // Answers the token budget leaves no room for end unread.
            let mut unread = Vec::new();
            while pass.len() < gemv::MAX_BATCH || new_tokens >= max_tokens {
                let Some((lane, rest)) = waiting.pop_front() else { break };
                if new_tokens >= max_tokens {
                    unread.push(lane);
                } else {
                    pass.push((lane, rest));
                }
            }
            if pass.is_empty() && unread.is_empty() {
                break;
            }
            let ran: Vec<usize> = pass.iter().map(|(lane, _)| *lane).collect();
            if !pass.is_empty() {
                self.packed_pass(&pass, shared, &mut owners, &mut lanes)?;
                if first_pass {
                    let seconds = prefill_started.elapsed().as_secs_f64();
                    let prefilled = pass.iter().map(|(_, step)| step.len()).sum::<usize>() + shared - reused;
                    for lane in &mut lanes {
                        lane.stats.prefill_tok_s = prefilled as f64 / seconds.max(1e-9);
                    }
                    first_pass = false;
                }
            }
            pass.clear();
            for index in ran.into_iter().chain(unread) {
                let lane = &mut lanes[index];
                let finish = if new_tokens >= max_tokens {
                    Some(FinishReason::Length)
                } else {
                    let token = next_token(&mut lane.sampler, &mut lane.logits, lane.constraint.as_mut());
                    let token = token?;
                    if lane.stats.new_tokens == 0 {
                        lane.stats.ttft_s = started.elapsed().as_secs_f64();
                    }
                    let mut step = vec![token];
                    if let Some(c) = lane.constraint.as_mut() {
                        let room = lane.output.request.max_tokens.saturating_sub(lane.stats.new_tokens + 1);
                        step.extend(c.forced(room)?);
                    }
                    let emitted = lane.stats.new_tokens;
                    let finish = lane.output.emit(&step, &mut lane.stats, lane.constraint.as_ref());
                    new_tokens += lane.stats.new_tokens - emitted;
                    if finish.is_none() {
                        lane.position += step.len() as u32;
                        pass.push((index, step));
                    }
                    finish
                };
                let Some(finish) = finish else { continue };
                lane.finish = Some(finish);
                lane.stats.total_s = started.elapsed().as_secs_f64();
                let decode_s = lane.stats.total_s - lane.stats.ttft_s;
                lane.stats.decode_tok_s = if lane.stats.new_tokens > 1 {
                    (lane.stats.new_tokens - 1) as f64 / decode_s.max(1e-9)
                } else {
                    0.0
                };
                lane.stats.constraint_us_per_token = lane.constraint.as_ref().map_or(0.0, Constraint::micros_per_token);
                let mut stream = std::mem::replace(&mut lane.output.stream, TextStream::new(&[]));
                let rest = stream.finish();
                let text = format!("{}{rest}", stream.text());
                reported[index] = true;
                let generation = Generation { text, finish, stats: lane.stats.clone() };
                if !on_done(index, Ok(generation)) {
                    for (i, lane) in lanes.iter_mut().enumerate() {
                        if reported[i] {
                            continue;
                        }
                        lane.finish = Some(FinishReason::Cancelled);
                        reported[i] = true;
                        on_done(
                            i,
                            Ok(Generation {
                                text: String::new(),
                                finish: FinishReason::Cancelled,
                                stats: lane.stats.clone(),
                            }),
                        );
                    }
                    pass.clear();
                    waiting.clear();
                    break;
                }
            }
        }
        // Only the shared prefix stays cached: the answers' tokens are interleaved.
        self.model.truncate_cache(shared);
        self.cached.truncate(shared);
        self.aligned = self.aligned.min(shared);
        tracing::info!(
            target: "ablauf::llm",
            model = %self.id,
            answers = requests.len(),
            shared_prompt_tokens = shared,
            new_tokens,
            total_s = format!("{:.3}", started.elapsed().as_secs_f64()),
            "batch finished"
        );
        Ok(())
    }

    /// One packed pass: each lane's next tokens (the rest of its prompt, or what it generated
    /// last) after the shared prefix and the tokens it passed before, seeing only those; the
    /// logits of each lane's last token go to the lane. `owners` holds the lane of every token
    /// after the prefix, in cache order.
    fn packed_pass(
        &mut self,
        pass: &[(usize, Vec<u32>)],
        shared: usize,
        owners: &mut Vec<usize>,
        lanes: &mut [Lane<'_>],
    ) -> Result<(), LlmError> {
        let started = Instant::now();
        let mut tokens = Vec::new();
        let mut positions = Vec::new();
        let mut rows = Vec::new();
        let before = owners.len();
        for (lane, step) in pass {
            let start = lanes[*lane].position - step.len() as u32;
            positions.extend((0..step.len() as u32).map(|k| start + k));
            tokens.extend_from_slice(step);
            owners.extend(std::iter::repeat_n(*lane, step.len()));
            rows.push((tokens.len() - 1) as u32);
        }
        let sees =
            |i: usize, j: usize| j < shared || (j - shared <= before + i && owners[j - shared] == owners[before + i]);
        let logits = match self.model.forward_packed(&tokens, &positions, sees, &rows).and_then(|l| l.to_vec2::<f32>())
        {
            Ok(logits) => logits,
            Err(e) => {
                self.clear_cache();
                return Err(e.into());
            }
        };
        for ((lane, _), row) in pass.iter().zip(logits) {
            lanes[*lane].logits = row;
        }
        // Where a draft's time goes: a pass that reads prompts costs with their length, the
        // others about the same for one answer as for eight (docs/drafting.md).
        tracing::debug!(
            target: "ablauf::llm",
            answers = pass.len(),
            tokens = tokens.len(),
            ms = format!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
            "packed pass"
        );
        Ok(())
    }
}

/// Where generated tokens go: the text stream, the caller, and the context that guesses are
/// looked up in.
struct Output<'a> {
    request: &'a GenerateRequest,
    tokenizer: &'a ModelTokenizer,
    stream: TextStream,
    on_token: &'a mut dyn FnMut(&str) -> bool,
    /// Prompt and generated tokens so far.
    context: Vec<u32>,
    lines: RepeatedLines,
}

/// Counts generated lines that repeat an earlier one.
#[derive(Default)]
struct RepeatedLines {
    seen: std::collections::HashSet<String>,
    /// Bytes of the text already split into lines.
    checked: usize,
    repeats: usize,
}

impl RepeatedLines {
    /// Looks at the lines `text` completed since the last call; returns the repeats so far.
    fn update(&mut self, text: &str) -> usize {
        while let Some(end) = text[self.checked..].find('\n') {
            let line = &text[self.checked..self.checked + end];
            self.checked += end + 1;
            // A repeated step is the same type, role and name; where it jumps to may differ.
            let body = line.trim().trim_start_matches(|c: char| c.is_ascii_digit());
            let body = body.split(" > ").next().unwrap_or(body).trim();
            if !body.is_empty() && !self.seen.insert(body.to_owned()) {
                self.repeats += 1;
            }
        }
        self.repeats
    }
}

impl Output<'_> {
    /// Hands `tokens` on in order; returns why generation ends, if it does.
    fn emit(
        &mut self,
        tokens: &[u32],
        stats: &mut GenerationStats,
        constraint: Option<&Constraint>,
    ) -> Option<FinishReason> {
        for &t in tokens {
            if self.tokenizer.is_end_of_generation(t) {
                return Some(FinishReason::Stop);
            }
            stats.new_tokens += 1;
            self.context.push(t);
            let pushed = self.stream.push(self.tokenizer.token_bytes(t));
            if !pushed.piece.is_empty() && !(self.on_token)(&pushed.piece) {
                return Some(FinishReason::Cancelled);
            }
            if pushed.stopped {
                return Some(FinishReason::Stop);
            }
            let limit = self.request.repeated_lines_limit;
            if limit > 0 && pushed.piece.contains('\n') && self.lines.update(self.stream.text()) >= limit {
                return Some(FinishReason::Repetition);
            }
        }
        if constraint.is_some_and(Constraint::is_finished) {
            return Some(FinishReason::Stop);
        }
        (stats.new_tokens >= self.request.max_tokens).then_some(FinishReason::Length)
    }
}

fn next_token(sampler: &mut Sampler, logits: &mut [f32], constraint: Option<&mut Constraint>) -> Result<u32, LlmError> {
    let Some(constraint) = constraint else {
        return sampler
            .sample(logits, None)
            .ok_or_else(|| LlmError::Inference(candle_core::Error::Msg("the model gave no finite logit".into())));
    };
    // The model mostly follows the format it was shown: when its own first choice fits the
    // grammar, it is also the grammar-masked first choice, and the mask is not needed.
    if sampler.is_greedy()
        && let Some(token) = sampler.sample(logits, None)
        && constraint.try_accept(token)?
    {
        return Ok(token);
    }
    let allowed = constraint.allowed()?;
    let token = sampler
        .sample(logits, Some(&allowed))
        .ok_or_else(|| LlmError::Grammar("the grammar allows no token of this vocabulary here".into()))?;
    constraint.accept(token)?;
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::{Chunks, PREFIX_CACHE_BLOCK as B};

    #[test]
    fn chunks_end_at_blocks_and_at_the_system_message() {
        let plain = Chunks { split: 0 };
        let system = Chunks { split: 300 };
        assert_eq!((plain.floor(300), plain.next(0), plain.next(130)), (256, B, 2 * B));
        assert_eq!((system.next(0), system.next(256), system.next(300), system.next(301)), (B, 300, 300 + B, 300 + B));
        assert_eq!((system.floor(299), system.floor(300), system.floor(300 + B + 5)), (256, 300, 300 + B));
        // Another split agrees on the plain blocks before both splits only.
        assert_eq!(system.common_floor(Chunks { split: 350 }, 340), 256);
        assert_eq!(system.common_floor(system, 340), 300);
        assert_eq!(system.common_floor(plain, 340), 256);
        assert_eq!(Chunks { split: 2 * B }.common_floor(plain, 340), 2 * B, "a split on a block is no split");
    }
}
