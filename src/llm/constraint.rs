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
/// vocabulary (half a second for Qwen's 151,000 tokens), so it happens once, at the first grammar
/// or when [`GrammarCompiler::prepare`] asks for it.
pub struct GrammarCompiler {
    tokenizer: Arc<ModelTokenizer>,
    factory: OnceLock<Result<ParserFactory, String>>,
}

impl GrammarCompiler {
    pub fn new(tokenizer: Arc<ModelTokenizer>) -> Self {
        GrammarCompiler { tokenizer, factory: OnceLock::new() }
    }

    /// Builds the token-set index now (the model loader does it beside the weights).
    pub fn prepare(&self) -> Result<&ParserFactory, LlmError> {
        self.factory
            .get_or_init(|| {
                let env: TokEnv = Arc::new(GrammarTokenizer(self.tokenizer.clone()));
                let mut factory = ParserFactory::new_simple(&env).map_err(|e| e.to_string())?;
                // llguidance prints grammar warnings to stderr by default; ours go through tracing.
                factory.set_stderr_log_level(0);
                Ok(factory)
            })
            .as_ref()
            .map_err(|e| LlmError::Grammar(format!("cannot prepare the grammar engine: {e}")))
    }

    /// Parses a Lark grammar and returns a fresh constraint at the start of the output.
    pub fn compile(&self, lark: &str) -> Result<Constraint, LlmError> {
        let factory = self.prepare()?;
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
    /// Runs one step of the grammar engine, adding its time to the grammar's cost.
    fn timed<T, E: std::fmt::Display>(
        &mut self,
        step: impl FnOnce(&mut Matcher) -> Result<T, E>,
    ) -> Result<T, LlmError> {
        let started = Instant::now();
        let result = step(&mut self.matcher).map_err(|e| LlmError::Grammar(e.to_string()));
        self.spent += started.elapsed();
        result
    }

    /// The tokens allowed next (the end-of-sequence token once the grammar is complete).
    pub fn allowed(&mut self) -> Result<SimpleVob, LlmError> {
        self.timed(Matcher::compute_mask_or_eos)
    }

    /// Accepts `token` if the grammar allows it here; answers whether it did. Checking one token
    /// costs a few lexer steps, computing the whole mask a walk over the vocabulary.
    pub fn try_accept(&mut self, token: u32) -> Result<bool, LlmError> {
        let accepted = self.timed(|m| m.try_consume_tokens(&[token]))? == 1;
        self.tokens += usize::from(accepted);
        Ok(accepted)
    }

    pub fn accept(&mut self, token: u32) -> Result<(), LlmError> {
        let result = self.timed(|m| m.consume_token(token));
        self.tokens += 1;
        result
    }

    /// Tokens the grammar forces next (at most `limit`), already accepted: they need no sampling
    /// and can run through the model in one batch.
    pub fn forced(&mut self, limit: usize) -> Result<Vec<u32>, LlmError> {
        if limit == 0 || self.matcher.is_stopped() {
            return Ok(Vec::new());
        }
        let mut count = 0;
        let result = self.timed(|m| {
            let mut forced = m.compute_ff_tokens();
            forced.truncate(limit);
            // Forced bytes that end inside a multi-byte character can tokenise into tokens the
            // matcher then refuses: keep the prefix it accepts and let the model choose the rest.
            let valid = m.validate_tokens(&forced)?;
            forced.truncate(valid);
            count = forced.len();
            m.consume_tokens(&forced).map(|()| forced)
        });
        self.tokens += count;
        result
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compact::format::{ClauseOptions, clause_grammar};
    use crate::llm::gguf;
    use crate::llm::transformer::Hyperparams;
    use crate::models;

    /// The small model's tokenizer and its vocabulary size.
    fn small_tokenizer() -> (Arc<ModelTokenizer>, usize) {
        let path = models::ensure(&models::default_dir(), models::SMALL_LLM).expect("small model available");
        let file = gguf::open(&path).unwrap();
        let params = Hyperparams::from_metadata(file.architecture, &file.content).unwrap();
        (Arc::new(ModelTokenizer::load(&file.content, &path, params.vocab_size).unwrap()), params.vocab_size)
    }

    /// The grammar engine tokenizes the bytes a grammar forces; they can begin or end inside a
    /// multi-byte character, and the tokens must stand for exactly those bytes.
    #[test]
    fn bytes_cut_inside_a_character_tokenize_to_themselves() {
        use toktrie::TokenizerEnv;
        let (tokenizer, _) = small_tokenizer();
        let env = GrammarTokenizer(tokenizer.clone());
        let text = "Hundesteuer – Anmeldung, Größe prüfen".as_bytes();
        for cut in 0..=text.len() {
            for part in [&text[cut..], &text[..cut]] {
                let bytes: Vec<u8> =
                    env.tokenize_bytes(part).iter().flat_map(|&t| tokenizer.token_bytes(t).to_vec()).collect();
                assert_eq!(bytes, part, "cut at byte {cut}");
            }
        }
    }

    /// Greedy decoding checks the model's own choice with [`Constraint::try_accept`] and computes
    /// the mask only when the grammar refuses it, so the one-token check must agree with the mask,
    /// and a refused token must leave the state as it was.
    #[test]
    fn checking_one_token_agrees_with_the_mask() {
        let (tokenizer, vocab_size) = small_tokenizer();
        let mut constraint = GrammarCompiler::new(tokenizer.clone())
            .compile(&clause_grammar(ClauseOptions {
                start: true,
                condition: false,
                two: true,
                skip: true,
                roles: &[],
            }))
            .unwrap();
        let answer = "start: Antrag eingegangen\ntask Bürgerbüro: Unterlagen prüfen und Ausweis ausstellen\n";
        let mut refused = 0;
        for token in tokenizer.encode_prompt(answer).unwrap() {
            let mask = constraint.allowed().unwrap();
            let candidates = (0..vocab_size as u32).step_by(53).chain([token]);
            for candidate in candidates {
                let fits = constraint.matcher.validate_tokens(&[candidate]).unwrap() == 1;
                assert_eq!(fits, mask.is_allowed(candidate), "token {candidate} before {token}");
                if !fits && refused < 50 {
                    assert!(!constraint.try_accept(candidate).unwrap());
                    refused += 1;
                }
            }
            assert!(constraint.try_accept(token).unwrap(), "the grammar refuses token {token} of the answer");
        }
        assert!(constraint.is_finished());
        assert_eq!(refused, 50);
    }
}
