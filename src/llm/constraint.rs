//! Grammar-constrained decoding with llguidance: before each token the grammar says which tokens
//! may come next, so the output always matches (Lark grammars, JSON schemas via `%json{...}`).

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use llguidance::api::TopLevelGrammar;
use llguidance::{Matcher, ParserFactory};
use toktrie::{SimpleVob, TokEnv};

use super::LlmError;
use super::tokenizer::{GrammarTokenizer, ModelTokenizer};

/// Compiles grammars for one vocabulary. Building the token-set index takes a moment for a large
/// vocabulary, so it happens on the first grammar, not at model load.
pub struct GrammarCompiler {
    tokenizer: Arc<ModelTokenizer>,
    factory: OnceLock<Result<ParserFactory, String>>,
}

impl GrammarCompiler {
    pub fn new(tokenizer: Arc<ModelTokenizer>) -> Self {
        GrammarCompiler { tokenizer, factory: OnceLock::new() }
    }

    /// Parses a Lark grammar and returns a fresh constraint at the start of the output.
    pub fn compile(&self, lark: &str) -> Result<Constraint, LlmError> {
        let factory = self
            .factory
            .get_or_init(|| {
                let env: TokEnv = Arc::new(GrammarTokenizer(self.tokenizer.clone()));
                let mut factory = ParserFactory::new_simple(&env).map_err(|e| e.to_string())?;
                // llguidance prints grammar warnings to stderr by default; ours go through tracing.
                factory.set_stderr_log_level(0);
                Ok(factory)
            })
            .as_ref()
            .map_err(|e| LlmError::Grammar(format!("cannot prepare the grammar engine: {e}")))?;
        let started = Instant::now();
        let parser = factory.create_parser(TopLevelGrammar::from_lark(lark.to_owned()));
        let matcher = Matcher::new(parser);
        if let Some(error) = matcher.get_error() {
            return Err(LlmError::Grammar(error));
        }
        Ok(Constraint { matcher, spent: started.elapsed(), tokens: 0 })
    }
}

/// The state of one constrained generation.
pub struct Constraint {
    matcher: Matcher,
    spent: Duration,
    tokens: usize,
}

impl Constraint {
    /// The tokens allowed next (the end-of-sequence token once the grammar is complete).
    pub fn allowed(&mut self) -> Result<SimpleVob, LlmError> {
        let started = Instant::now();
        let mask = self.matcher.compute_mask_or_eos().map_err(|e| LlmError::Grammar(e.to_string()));
        self.spent += started.elapsed();
        mask
    }

    pub fn accept(&mut self, token: u32) -> Result<(), LlmError> {
        let started = Instant::now();
        let result = self.matcher.consume_token(token).map_err(|e| LlmError::Grammar(e.to_string()));
        self.spent += started.elapsed();
        self.tokens += 1;
        result
    }

    /// Tokens the grammar forces next (at most `limit`), already accepted: they need no sampling
    /// and can run through the model in one batch.
    pub fn forced(&mut self, limit: usize) -> Result<Vec<u32>, LlmError> {
        if limit == 0 || self.matcher.is_stopped() {
            return Ok(Vec::new());
        }
        let started = Instant::now();
        let mut forced = self.matcher.compute_ff_tokens();
        forced.truncate(limit);
        let result = self.matcher.consume_tokens(&forced).map_err(|e| LlmError::Grammar(e.to_string()));
        self.spent += started.elapsed();
        self.tokens += forced.len();
        result.map(|()| forced)
    }

    /// True once the grammar admits nothing more.
    pub fn is_finished(&self) -> bool {
        self.matcher.is_stopped()
    }

    /// Mean time spent in the grammar engine per generated token, including compilation.
    pub fn micros_per_token(&self) -> f64 {
        self.spent.as_secs_f64() * 1e6 / self.tokens.max(1) as f64
    }
}
