//! The model's vocabulary: a `tokenizers::Tokenizer` built from the GGUF metadata (or a
//! `tokenizer.json` next to the model), the bytes of every token, and the end-of-generation tokens.
//!
//! Generated text is assembled from token bytes rather than by re-decoding, so a streamed piece
//! is always the exact UTF-8 the grammar engine saw, and multi-byte characters split across
//! tokens are held back until complete.

use std::path::Path;
use std::sync::Arc;

use candle_core::quantized::gguf_file;
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use tokenizers::Tokenizer;
use toktrie::{TokRxInfo, TokTrie, TokenizerEnv};

use super::LlmError;
use super::gguf::get_u32;

/// Texts of control tokens that end a turn in common chat formats. They are looked up in the
/// model's own vocabulary (and must be marked as control tokens there), mirroring llama.cpp's
/// end-of-generation detection; metadata `eos`/`eot`/`eom` ids are always included.
const END_OF_GENERATION_TEXTS: &[&str] =
    &["<|im_end|>", "<|endoftext|>", "<|eot_id|>", "<|eom_id|>", "<end_of_turn>", "<|end|>", "</s>", "<|end_of_text|>"];

/// GGUF token type of control tokens (llama.cpp's `LLAMA_TOKEN_TYPE_CONTROL`).
const TOKEN_TYPE_CONTROL: u32 = 3;

pub struct ModelTokenizer {
    tokenizer: Tokenizer,
    trie: TokTrie,
    /// Tokens that end the answer.
    end_of_generation: Vec<u32>,
    bos: Option<u32>,
    add_bos: bool,
    bos_text: String,
    eos_text: String,
}

impl ModelTokenizer {
    /// Builds the tokenizer of a GGUF model: from its metadata, or from `tokenizer.json` beside the
    /// file when there is one (for vocabularies candle cannot rebuild from GGUF, such as SentencePiece).
    pub fn load(ct: &gguf_file::Content, model_path: &Path, vocab_size: usize) -> Result<Self, LlmError> {
        let beside = model_path.with_file_name("tokenizer.json");
        let tokenizer = if beside.is_file() {
            Tokenizer::from_file(&beside).map_err(|e| LlmError::Tokenizer(format!("{}: {e}", beside.display())))?
        } else {
            Tokenizer::from_gguf(ct).map_err(|e| {
                LlmError::Tokenizer(format!(
                    "cannot build the tokenizer from the GGUF metadata ({e}); put a tokenizer.json next to the model"
                ))
            })?
        };
        let json: serde_json::Value = serde_json::from_str(
            &tokenizer.to_string(false).map_err(|e| LlmError::Tokenizer(format!("cannot serialise: {e}")))?,
        )
        .map_err(|e| LlmError::Tokenizer(format!("cannot serialise: {e}")))?;
        let mut words = llguidance::token_bytes_from_tokenizer_json(&json)
            .map_err(|e| LlmError::Tokenizer(format!("cannot map tokens to bytes: {e}")))?;
        if words.len() > vocab_size {
            return Err(LlmError::Tokenizer(format!(
                "the tokenizer has {} tokens but the model only {vocab_size}",
                words.len()
            )));
        }
        // Models pad their embedding matrix beyond the vocabulary; those ids never decode to text.
        words.resize(vocab_size, Vec::new());

        let id = |key: &str| get_u32(ct, key).ok();
        let eos = id("tokenizer.ggml.eos_token_id").ok_or_else(|| LlmError::Metadata {
            key: "tokenizer.ggml.eos_token_id".into(),
            detail: "missing".into(),
        })?;
        let mut end_of_generation: Vec<u32> =
            [Some(eos), id("tokenizer.ggml.eot_token_id"), id("tokenizer.ggml.eom_token_id")]
                .into_iter()
                .flatten()
                .collect();
        let token_types = ct.metadata.get("tokenizer.ggml.token_type").and_then(|v| v.to_vec().ok());
        for text in END_OF_GENERATION_TEXTS {
            let Some(token) = tokenizer.token_to_id(text) else { continue };
            let is_control = token_types
                .and_then(|types| types.get(token as usize))
                .and_then(|t| t.to_u32().ok())
                .is_none_or(|t| t == TOKEN_TYPE_CONTROL);
            if is_control && !end_of_generation.contains(&token) {
                end_of_generation.push(token);
            }
        }
        let bos = id("tokenizer.ggml.bos_token_id");
        let add_bos = ct.metadata.get("tokenizer.ggml.add_bos_token").and_then(|v| v.to_bool().ok()).unwrap_or(false);
        let text_of = |token: Option<u32>| token.and_then(|t| tokenizer.id_to_token(t)).unwrap_or_default();
        let info = TokRxInfo {
            vocab_size: vocab_size as u32,
            tok_eos: eos,
            tok_bos: bos,
            tok_pad: id("tokenizer.ggml.padding_token_id"),
            tok_unk: id("tokenizer.ggml.unknown_token_id"),
            tok_end_of_turn: id("tokenizer.ggml.eot_token_id"),
        };
        let trie = TokTrie::from(&info, &words);
        Ok(ModelTokenizer {
            bos_text: text_of(bos),
            eos_text: text_of(Some(eos)),
            tokenizer,
            trie,
            end_of_generation,
            bos,
            add_bos,
        })
    }

    /// Tokenises a rendered prompt; special-token texts in it become their tokens.
    pub fn encode_prompt(&self, text: &str) -> Result<Vec<u32>, LlmError> {
        let encoding = self.tokenizer.encode(text, false).map_err(|e| LlmError::Tokenizer(e.to_string()))?;
        let mut tokens = encoding.get_ids().to_vec();
        if let Some(bos) = self.bos.filter(|_| self.add_bos)
            && tokens.first() != Some(&bos)
        {
            tokens.insert(0, bos);
        }
        Ok(tokens)
    }

    pub fn is_end_of_generation(&self, token: u32) -> bool {
        self.end_of_generation.contains(&token)
    }

    /// The bytes a token stands for; special tokens have none (they are markers, not text).
    pub fn token_bytes(&self, token: u32) -> &[u8] {
        if self.trie.is_special_token(token) { &[] } else { self.trie.token(token) }
    }

    pub fn bos_text(&self) -> &str {
        &self.bos_text
    }

    pub fn eos_text(&self) -> &str {
        &self.eos_text
    }
}

/// The tokenizer as llguidance sees it.
pub struct GrammarTokenizer(pub Arc<ModelTokenizer>);

impl TokenizerEnv for GrammarTokenizer {
    fn tok_trie(&self) -> &TokTrie {
        &self.0.trie
    }

    fn tokenize_bytes(&self, s: &[u8]) -> Vec<u32> {
        // The bytes a grammar forces can begin or end inside a multi-byte character (the model
        // wrote its first bytes as one token): those go to byte tokens as they are. A lossy decode
        // made them U+FFFD, whose token the grammar then refused, and the draft failed.
        self.0.trie.tokenize_with_greedy_fallback(s, |text| match self.0.tokenizer.encode(text, false) {
            Ok(encoding) => encoding.get_ids().to_vec(),
            Err(_) => self.0.trie.greedy_tokenize(text.as_bytes()),
        })
    }
}
