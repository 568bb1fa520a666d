//! Text to token ids: the model's own normalisation, an optional instruction prefix, and a
//! `tokenizers` pipeline with truncation to the model's window.

use std::collections::HashMap;
use std::path::Path;

use tokenizers::models::unigram::Unigram;
use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
use tokenizers::processors::template::TemplateProcessing;
use tokenizers::{Tokenizer, TruncationParams};

use super::EmbedError;
use super::e5s1::Vocabulary;

pub struct TextTokenizer {
    inner: Tokenizer,
    /// Per-code-point replacements applied before tokenisation (SentencePiece's NFKC table).
    char_map: HashMap<char, String>,
    /// Prepended to every text; e5 is trained with "query: " / "passage: ".
    prefix: &'static str,
    pad_id: u32,
}

impl TextTokenizer {
    /// The SentencePiece Unigram tokenizer of an E5S1 file (XLM-RoBERTa's): Metaspace
    /// pre-tokenizer with a leading marker, template `<s> $A </s>`.
    pub fn from_vocabulary(vocab: Vocabulary, max_tokens: usize, prefix: &'static str) -> Result<Self, EmbedError> {
        let bos = vocab.pieces[vocab.bos as usize].0.clone();
        let eos = vocab.pieces[vocab.eos as usize].0.clone();
        let model = Unigram::from(vocab.pieces, Some(vocab.unk as usize), false).map_err(tokenizer_err)?;
        let template = TemplateProcessing::builder()
            .try_single(format!("{bos} $A {eos}"))
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?
            .special_tokens(vec![(bos, vocab.bos), (eos, vocab.eos)])
            .build()
            .map_err(|e| EmbedError::Tokenizer(e.to_string()))?;
        let mut inner = Tokenizer::new(model);
        inner.with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, true)));
        inner.with_post_processor(Some(template));
        truncate(&mut inner, max_tokens)?;
        Ok(TextTokenizer { inner, char_map: vocab.char_map, prefix, pad_id: vocab.pad })
    }

    /// A Hugging Face `tokenizer.json`, used as it is.
    pub fn from_file(path: &Path, max_tokens: usize) -> Result<Self, EmbedError> {
        let mut inner = Tokenizer::from_file(path)
            .map_err(|e| EmbedError::Tokenizer(format!("cannot load {}: {e}", path.display())))?;
        inner.with_padding(None);
        truncate(&mut inner, max_tokens)?;
        let pad_id = inner.get_padding().map(|p| p.pad_id).unwrap_or(0);
        Ok(TextTokenizer { inner, char_map: HashMap::new(), prefix: "", pad_id })
    }

    pub fn pad_id(&self) -> u32 {
        self.pad_id
    }

    /// Token ids of each text, special tokens included, at most the model's window.
    pub fn encode(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>, EmbedError> {
        let inputs: Vec<String> = texts.iter().map(|t| format!("{}{}", self.prefix, self.normalize(t))).collect();
        let encodings = self.inner.encode_batch(inputs, true).map_err(tokenizer_err)?;
        Ok(encodings.into_iter().map(|e| e.get_ids().to_vec()).collect())
    }

    /// Applies the code-point map and collapses runs of spaces, as SentencePiece does.
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

fn truncate(tokenizer: &mut Tokenizer, max_tokens: usize) -> Result<(), EmbedError> {
    tokenizer
        .with_truncation(Some(TruncationParams { max_length: max_tokens, ..Default::default() }))
        .map_err(tokenizer_err)?;
    Ok(())
}

fn tokenizer_err(e: tokenizers::Error) -> EmbedError {
    EmbedError::Tokenizer(e.to_string())
}
