//! [`CandleEmbedder`]: tokenizer + BERT encoder: the E5S1 model on our own forward pass
//! ([`E5Encoder`]), a BERT checkpoint directory on candle-transformers' encoder.

use std::path::Path;

use sha2::{Digest, Sha256};

use super::bert::{E5Encoder, MAX_PASS_TOKENS, Products};
use super::encoder::Encoder;
use super::tokenize::TextTokenizer;
use super::{EmbedError, Embedder, e5s1::E5File};

/// Texts per forward pass of candle's encoder, which pads them to the longest: larger batches
/// stop paying off on CPU and cost memory.
const MAX_BATCH: usize = 32;

pub struct CandleEmbedder {
    model_id: String,
    tokenizer: TextTokenizer,
    model: Model,
}

enum Model {
    E5(E5Encoder),
    Bert(Encoder),
}

impl CandleEmbedder {
    /// Loads multilingual-e5 from an E5S1 file. Texts get e5's "query: " prefix: duplicate
    /// search compares like with like, the symmetric use the model card prescribes for it.
    pub fn from_e5s1(path: &Path) -> Result<CandleEmbedder, EmbedError> {
        Self::from_e5s1_with(path, Products::Fastest)
    }

    /// As [`CandleEmbedder::from_e5s1`], with the products computed as `products` says (f32 on
    /// every CPU, to compare with the 8-bit products).
    pub fn from_e5s1_with(path: &Path, products: Products) -> Result<CandleEmbedder, EmbedError> {
        let bytes = std::fs::read(path).map_err(|source| EmbedError::Io { path: path.to_owned(), source })?;
        let model_id = model_id("multilingual-e5-small-q4_0", &bytes);
        let file = E5File::parse(bytes)?;
        let model = E5Encoder::from_e5s1(&file, products)?;
        let tokenizer = TextTokenizer::from_vocabulary(file.vocabulary, model.max_positions(), "query: ")?;
        Ok(CandleEmbedder { model_id, tokenizer, model: Model::E5(model) })
    }

    /// Loads a Hugging Face BERT checkpoint directory: `config.json`, `model.safetensors`,
    /// `tokenizer.json` (e.g. sentence-transformers/all-MiniLM-L6-v2).
    pub fn from_bert_dir(dir: &Path) -> Result<CandleEmbedder, EmbedError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|source| EmbedError::Io { path, source })
        };
        let config = serde_json::from_slice(&read("config.json")?)
            .map_err(|e| EmbedError::Format(format!("{}/config.json: {e}", dir.display())))?;
        let weights = dir.join("model.safetensors");
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "bert".into());
        let model_id = model_id(&name, &read("model.safetensors")?);
        let encoder = Encoder::from_safetensors(&weights, &config)?;
        let tokenizer = TextTokenizer::from_file(&dir.join("tokenizer.json"), encoder.max_positions())?;
        Ok(CandleEmbedder { model_id, tokenizer, model: Model::Bert(encoder) })
    }

    /// The token ids the model sees for each text: prefix, special tokens and truncation to
    /// the window included.
    pub fn token_ids(&self, texts: &[&str]) -> Result<Vec<Vec<u32>>, EmbedError> {
        self.tokenizer.encode(texts)
    }
}

/// Names the model by its weights, so a changed file is a changed model.
fn model_id(name: &str, weights: &[u8]) -> String {
    let digest = format!("{:x}", Sha256::digest(weights));
    format!("{name}@{}", &digest[..12])
}

impl Embedder for CandleEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dim(&self) -> usize {
        match &self.model {
            Model::E5(model) => model.hidden(),
            Model::Bert(encoder) => encoder.hidden(),
        }
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let ids = self.tokenizer.encode(texts)?;
        let encoder = match &self.model {
            Model::E5(model) => return embed_in_passes(model, &ids),
            Model::Bert(encoder) => encoder,
        };
        // Batches of similar length waste little compute on padding.
        let mut order: Vec<usize> = (0..ids.len()).collect();
        order.sort_by_key(|&i| ids[i].len());
        let mut out = vec![Vec::new(); ids.len()];
        for chunk in order.chunks(MAX_BATCH) {
            let batch: Vec<Vec<u32>> = chunk.iter().map(|&i| ids[i].clone()).collect();
            for (&i, vector) in chunk.iter().zip(encoder.embed(&batch, self.tokenizer.pad_id())?) {
                out[i] = vector;
            }
        }
        Ok(out)
    }
}

/// Texts in order, as many whole texts per pass as fit in [`MAX_PASS_TOKENS`] (at least one):
/// nothing is padded, so their lengths need no sorting.
fn embed_in_passes(model: &E5Encoder, ids: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, EmbedError> {
    let mut out = Vec::with_capacity(ids.len());
    let mut start = 0;
    while start < ids.len() {
        let (mut end, mut tokens) = (start + 1, ids[start].len());
        while end < ids.len() && tokens + ids[end].len() <= MAX_PASS_TOKENS {
            tokens += ids[end].len();
            end += 1;
        }
        out.extend(model.embed(&ids[start..end])?);
        start = end;
    }
    Ok(out)
}
