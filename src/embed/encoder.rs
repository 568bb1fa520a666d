//! The BERT encoder on candle: our own embedding layer (so a 4-bit word table can stay
//! 4-bit: only the rows of the tokens at hand are dequantised), candle-transformers'
//! `BertEncoder` for the layers, then mean pooling over real tokens and L2 normalisation.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{LayerNorm, VarBuilder};
use candle_transformers::models::bert::{BertEncoder, Config, HiddenAct};

use super::EmbedError;
use super::e5s1::{E5File, dequantize_q4_0, q4_0_row_bytes};

/// The word-embedding table: 250k × 384 in f32 would be 384 MB, in Q4_0 it is 54 MB.
enum WordEmbeddings {
    Quantized { blocks: Vec<u8>, rows: usize, width: usize },
    Dense(Tensor),
}

impl WordEmbeddings {
    fn lookup(&self, ids: &[u32]) -> Result<Tensor, EmbedError> {
        match self {
            WordEmbeddings::Quantized { blocks, rows, width } => {
                let row_bytes = q4_0_row_bytes(*width);
                let mut out = vec![0f32; ids.len() * width];
                for (&id, values) in ids.iter().zip(out.chunks_exact_mut(*width)) {
                    let id = id as usize;
                    if id >= *rows {
                        return Err(EmbedError::Format(format!("token id {id} outside the embedding table")));
                    }
                    dequantize_q4_0(&blocks[id * row_bytes..(id + 1) * row_bytes], values);
                }
                Ok(Tensor::from_vec(out, (ids.len(), *width), &Device::Cpu)?)
            }
            WordEmbeddings::Dense(table) => Ok(table.index_select(&Tensor::new(ids, &Device::Cpu)?, 0)?),
        }
    }
}

pub struct Encoder {
    words: WordEmbeddings,
    positions: Tensor,
    token_type: Tensor,
    norm: LayerNorm,
    layers: BertEncoder,
    hidden: usize,
    max_positions: usize,
}

impl Encoder {
    /// Builds the encoder from an E5S1 file; the layer weights are dequantised to f32
    /// (85 MB) because candle's f32 GEMM outruns its Q4_0 kernels at batch sizes above one.
    pub fn from_e5s1(file: &E5File) -> Result<Encoder, EmbedError> {
        let h = file.header;
        let mut tensors = HashMap::new();
        let mut put = |name: String, shape: &[usize], source: String| -> Result<(), EmbedError> {
            let values = file.tensor_f32(&source, shape.iter().product())?;
            tensors.insert(name, Tensor::from_vec(values, shape, &Device::Cpu)?);
            Ok(())
        };
        let linears = [
            ("q", "attention.self.query", h.hidden, h.hidden),
            ("k", "attention.self.key", h.hidden, h.hidden),
            ("v", "attention.self.value", h.hidden, h.hidden),
            ("ao", "attention.output.dense", h.hidden, h.hidden),
            ("fi", "intermediate.dense", h.ffn, h.hidden),
            ("fo", "output.dense", h.hidden, h.ffn),
        ];
        let norms = [("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")];
        for l in 0..h.layers {
            for (src, dst, out, inp) in linears {
                put(format!("layer.{l}.{dst}.weight"), &[out, inp], format!("l{l}.{src}.w"))?;
                put(format!("layer.{l}.{dst}.bias"), &[out], format!("l{l}.{src}.b"))?;
            }
            for (src, dst) in norms {
                put(format!("layer.{l}.{dst}.weight"), &[h.hidden], format!("l{l}.{src}.w"))?;
                put(format!("layer.{l}.{dst}.bias"), &[h.hidden], format!("l{l}.{src}.b"))?;
            }
        }
        let config = Config {
            vocab_size: h.vocab,
            hidden_size: h.hidden,
            num_hidden_layers: h.layers,
            num_attention_heads: h.heads,
            intermediate_size: h.ffn,
            hidden_act: HiddenAct::Gelu,
            max_position_embeddings: h.max_positions,
            type_vocab_size: h.type_vocab,
            layer_norm_eps: f64::from(h.eps),
            ..Config::default()
        };
        let layers = BertEncoder::load(VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu), &config)?;
        let vector = |name: &str, n: usize| -> Result<Tensor, EmbedError> {
            Ok(Tensor::from_vec(file.tensor_f32(name, n)?, n, &Device::Cpu)?)
        };
        let positions = Tensor::from_vec(
            file.tensor_f32("emb.pos", h.max_positions * h.hidden)?,
            (h.max_positions, h.hidden),
            &Device::Cpu,
        )?;
        Ok(Encoder {
            words: WordEmbeddings::Quantized {
                blocks: file.tensor_q4_0("emb.word", h.vocab * h.hidden)?,
                rows: h.vocab,
                width: h.hidden,
            },
            positions,
            token_type: vector("emb.type", h.type_vocab * h.hidden)?.narrow(0, 0, h.hidden)?,
            norm: LayerNorm::new(vector("emb.ln.w", h.hidden)?, vector("emb.ln.b", h.hidden)?, f64::from(h.eps)),
            layers,
            hidden: h.hidden,
            max_positions: h.max_positions,
        })
    }

    /// Builds the encoder from a Hugging Face BERT checkpoint (`model.safetensors` with
    /// `config.json`), e.g. a sentence-transformers model.
    pub fn from_safetensors(weights: &Path, config: &Config) -> Result<Encoder, EmbedError> {
        let tensors = candle_core::safetensors::load(weights, &Device::Cpu)?;
        let vb = VarBuilder::from_tensors(tensors, DType::F32, &Device::Cpu);
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") { vb.pp("bert") } else { vb };
        let (h, emb) = (config.hidden_size, vb.pp("embeddings"));
        Ok(Encoder {
            words: WordEmbeddings::Dense(emb.get((config.vocab_size, h), "word_embeddings.weight")?),
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
        let x = self.words.lookup(&ids)?.reshape((b, len, self.hidden))?;
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
