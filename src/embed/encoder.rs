//! A BERT checkpoint on candle: its embedding layer and candle-transformers' `BertEncoder` for
//! the layers, then mean pooling over real tokens and L2 normalisation. (The default E5S1 model
//! runs on `bert.rs` instead.)

use std::path::Path;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{LayerNorm, VarBuilder};
use candle_transformers::models::bert::{BertEncoder, Config};

use super::EmbedError;

pub struct Encoder {
    words: Tensor,
    positions: Tensor,
    token_type: Tensor,
    norm: LayerNorm,
    layers: BertEncoder,
    hidden: usize,
    max_positions: usize,
}

impl Encoder {
    /// Builds the encoder from a Hugging Face BERT checkpoint (`model.safetensors` with
    /// `config.json`), e.g. a sentence-transformers model.
    pub fn from_safetensors(weights: &Path, config: &Config) -> Result<Encoder, EmbedError> {
        let tensors = candle_core::safetensors::load(weights, &Device::Cpu)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") { vb.pp("bert") } else { vb };
        let (h, emb) = (config.hidden_size, vb.pp("embeddings"));
        Ok(Encoder {
            words: emb.get((config.vocab_size, h), "word_embeddings.weight")?,
            positions: emb.get((config.max_position_embeddings, h), "position_embeddings.weight")?,
            token_type: emb.get((config.type_vocab_size, h), "token_type_embeddings.weight")?.get(0)?,
            norm: candle_nn::layer_norm(h, config.layer_norm_eps, emb.pp("LayerNorm"))?,
            layers: BertEncoder::load(vb.pp("encoder"), config)?,
            hidden: h,
            max_positions: config.max_position_embeddings,
        })
    }

    pub fn hidden(&self) -> usize {
        self.hidden
    }

    pub fn max_positions(&self) -> usize {
        self.max_positions
    }

    /// Mean-pooled, L2-normalised sentence vectors of a batch of token id sequences
    /// (each non-empty and at most `max_positions` long); shorter ones are padded with `pad`.
    pub fn embed(&self, batch: &[Vec<u32>], pad: u32) -> Result<Vec<Vec<f32>>, EmbedError> {
        let (b, len) = (batch.len(), batch.iter().map(Vec::len).max().unwrap_or(0));
        if b == 0 || len == 0 {
            return Ok(vec![Vec::new(); b]);
        }
        let mut ids = Vec::with_capacity(b * len);
        let mut mask = Vec::with_capacity(b * len);
        for seq in batch {
            ids.extend(seq.iter().copied().chain(std::iter::repeat_n(pad, len - seq.len())));
            mask.extend((0..len).map(|i| if i < seq.len() { 1f32 } else { 0.0 }));
        }
        let x =
            self.words.index_select(&Tensor::new(ids.as_slice(), &Device::Cpu)?, 0)?.reshape((b, len, self.hidden))?;
        let x = x.broadcast_add(&self.positions.narrow(0, 0, len)?)?.broadcast_add(&self.token_type)?;
        let x = self.norm.forward(&x)?;
        let mask = Tensor::from_vec(mask, (b, len), &Device::Cpu)?;
        // 0 where a token may be attended to, the lowest f32 where it is padding.
        let additive = mask.affine(-f64::from(f32::MIN), f64::from(f32::MIN))?.reshape((b, 1, 1, len))?;
        let states = self.layers.forward(&x, &additive)?;
        let summed = states.broadcast_mul(&mask.unsqueeze(2)?)?.sum(1)?;
        let mean = summed.broadcast_div(&mask.sum_keepdim(1)?)?;
        let norm = mean.sqr()?.sum_keepdim(1)?.sqrt()?.clamp(1e-12, f64::from(f32::MAX))?;
        Ok(mean.broadcast_div(&norm)?.to_vec2::<f32>()?)
    }
}
