//! One decoder-only transformer for the GGUF architectures ablauf runs (llama, qwen2, qwen3, gemma3).
//!
//! candle-transformers has a module per architecture, but their KV caches are private and reset
//! whenever position 0 is passed, so a shared prompt prefix cannot be kept between requests.
//! These architectures differ only in a few switches (biases, q/k norms, extra norms, rotary
//! layout, activation, sliding windows), which [`Hyperparams`] records; the KV cache here can
//! be truncated to any length, which is all the prefix cache needs. Tests compare the logits with
//! candle-transformers' own modules on the same weights.

use std::io::{Read, Seek};
use std::sync::Arc;

use candle_core::quantized::{GgmlDType, QMatMul, QTensor, gguf_file};
use candle_core::{DType, Device, Module, Result, Tensor};

use super::gguf::Architecture;
use ablauf_kernels::{attention, gemv, glu};

/// The shape and switches of a model, read from the GGUF metadata.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Hyperparams {
    pub arch: Architecture,
    pub n_layer: usize,
    pub n_embd: usize,
    pub n_head: usize,
    pub n_head_kv: usize,
    pub head_dim: usize,
    pub n_ff: usize,
    pub vocab_size: usize,
    pub context_length: usize,
    pub rms_eps: f64,
    pub rope_base: f32,
    /// gemma3: rotary base of the sliding-window layers.
    pub rope_base_local: f32,
    /// gemma3: window of the local layers, and every `sliding_window_pattern`-th layer is global.
    pub sliding_window: Option<usize>,
    pub sliding_window_pattern: usize,
}

impl Hyperparams {
    pub fn from_metadata(arch: Architecture, ct: &gguf_file::Content) -> std::result::Result<Self, super::LlmError> {
        use super::gguf::{get_f32, get_u32};
        let key = |k: &str| format!("{}.{k}", arch.as_str());
        let opt_u32 = |k: &str| get_u32(ct, &key(k)).ok().map(|v| v as usize);
        let n_embd = get_u32(ct, &key("embedding_length"))? as usize;
        let n_head = get_u32(ct, &key("attention.head_count"))? as usize;
        let vocab_size = match ct.tensor_infos.get("token_embd.weight") {
            Some(info) => info.shape.dims()[0],
            None => return Err(super::gguf::missing_tensor("token_embd.weight")),
        };
        let gemma = arch == Architecture::Gemma3;
        Ok(Hyperparams {
            arch,
            n_layer: get_u32(ct, &key("block_count"))? as usize,
            n_embd,
            n_head,
            n_head_kv: opt_u32("attention.head_count_kv").unwrap_or(n_head),
            head_dim: opt_u32("attention.key_length").unwrap_or(n_embd / n_head.max(1)),
            n_ff: get_u32(ct, &key("feed_forward_length"))? as usize,
            vocab_size,
            context_length: get_u32(ct, &key("context_length"))? as usize,
            rms_eps: get_f32(ct, &key("attention.layer_norm_rms_epsilon"))? as f64,
            rope_base: get_f32(ct, &key("rope.freq_base")).unwrap_or(if gemma { 1_000_000.0 } else { 10_000.0 }),
            rope_base_local: get_f32(ct, &key("rope.local_freq_base")).unwrap_or(10_000.0),
            sliding_window: if gemma { opt_u32("attention.sliding_window") } else { None },
            sliding_window_pattern: opt_u32("attention.sliding_window_type").unwrap_or(6),
        })
    }

    fn is_sliding(&self, layer: usize) -> bool {
        self.sliding_window.is_some() && !(layer + 1).is_multiple_of(self.sliding_window_pattern.max(1))
    }
}

/// Where the weights come from: a GGUF file, or generated ones of the same shapes.
pub trait TensorSource {
    fn has(&self, name: &str) -> bool;
    fn tensor(&mut self, name: &str, device: &Device) -> Result<QTensor>;
}

pub struct GgufTensors<'a, R> {
    pub content: &'a gguf_file::Content,
    pub reader: &'a mut R,
}

impl<R: Read + Seek> TensorSource for GgufTensors<'_, R> {
    fn has(&self, name: &str) -> bool {
        self.content.tensor_infos.contains_key(name)
    }

    fn tensor(&mut self, name: &str, device: &Device) -> Result<QTensor> {
        self.content.tensor(self.reader, name, device)
    }
}

/// A quantized weight matrix with its bias.
#[derive(Debug, Clone)]
struct Linear {
    matrix: Matrix,
    bias: Option<Tensor>,
}

/// How a weight matrix is held: rearranged for our kernels, which then multiply it alone (one
/// copy in memory), or as candle's tensor, which our kernels read for decoding steps and candle
/// multiplies otherwise (candle keeps its own repacked tiles of it for that).
#[derive(Debug, Clone)]
enum Matrix {
    Packed(Arc<gemv::Packed>),
    Candle { weight: Arc<QTensor>, matmul: QMatMul },
}

impl Linear {
    fn new(weight: Arc<QTensor>, bias: Option<Tensor>) -> Result<Self> {
        let matrix = match gemv::pack(&weight)? {
            Some(packed) => Matrix::Packed(Arc::new(packed)),
            None => Matrix::Candle { matmul: QMatMul::from_arc(weight.clone())?, weight },
        };
        Ok(Linear { matrix, bias })
    }

    /// The operand [`gemv`] reads for this weight.
    fn operand(&self) -> gemv::Weight<'_> {
        match &self.matrix {
            Matrix::Packed(packed) => gemv::Weight::Packed(packed),
            Matrix::Candle { weight, .. } => gemv::Weight::Quantized(weight),
        }
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let y = match &self.matrix {
            Matrix::Candle { matmul, .. } if !gemv::applies(self.operand(), x) => matmul.forward(x)?,
            _ => gemv::gemv(&[self.operand()], x)?.remove(0),
        };
        self.add_bias(y)
    }

    fn size_in_bytes(&self) -> usize {
        match &self.matrix {
            Matrix::Packed(packed) => packed.size_in_bytes(),
            Matrix::Candle { weight, .. } => weight.storage_size_in_bytes(),
        }
    }

    fn add_bias(&self, y: Tensor) -> Result<Tensor> {
        match &self.bias {
            Some(b) => y.broadcast_add(b),
            None => Ok(y),
        }
    }

    /// The weights of `layers` when candle can fuse their products: all held as candle's tensors,
    /// quantized, of one type.
    fn fusable_by_candle<'a>(layers: &[&'a Linear]) -> Option<Vec<&'a QTensor>> {
        let weights: Vec<&QTensor> = layers
            .iter()
            .map(|l| match &l.matrix {
                Matrix::Candle { weight, .. } => Some(weight.as_ref()),
                Matrix::Packed(_) => None,
            })
            .collect::<Option<_>>()?;
        let dtype = weights.first()?.dtype();
        let quantized = !matches!(dtype, GgmlDType::F32 | GgmlDType::F16 | GgmlDType::BF16);
        (quantized && weights.iter().all(|w| w.dtype() == dtype)).then_some(weights)
    }

    /// Several matmuls of the same input; candle fuses them into one pass over the input where the
    /// weight types allow it (one activation quantisation, one parallel region).
    fn forward_many<const N: usize>(layers: [&Linear; N], x: &Tensor) -> Result<[Tensor; N]> {
        let x = x.contiguous()?;
        let fused = if layers.iter().all(|l| gemv::applies(l.operand(), &x)) {
            Some(gemv::gemv(&layers.map(Linear::operand), &x)?)
        } else if let Some(weights) = Linear::fusable_by_candle(&layers) {
            QTensor::gemv_fused_shared_lhs(&weights, &x)?
        } else {
            None
        };
        let outputs = match fused {
            Some(outputs) => outputs.into_iter().zip(layers).map(|(y, l)| l.add_bias(y)).collect::<Result<Vec<_>>>()?,
            None => layers.iter().map(|l| l.forward(&x)).collect::<Result<Vec<_>>>()?,
        };
        outputs.try_into().map_err(|_| candle_core::Error::Msg("fused matmul returned a wrong count".into()))
    }
}

#[derive(Debug, Clone)]
struct RmsNorm {
    weight: Tensor,
    eps: f32,
}

impl RmsNorm {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        candle_nn::ops::rms_norm(&x.contiguous()?, &self.weight, self.eps)
    }
}

/// Keys and values of all positions so far, in buffers that grow in steps and can be truncated.
#[derive(Debug, Clone, Default)]
struct KvCache {
    buffers: Option<(Tensor, Tensor)>,
    len: usize,
}

const KV_GROW_STEP: usize = 512;

impl KvCache {
    /// Appends `k`, `v` of shape (1, n_kv_head, seq, head_dim).
    fn append(&mut self, k: &Tensor, v: &Tensor) -> Result<()> {
        let seq = k.dim(2)?;
        let needed = self.len + seq;
        let capacity = self.buffers.as_ref().map_or(0, |(kb, _)| kb.dims()[2]);
        if needed > capacity {
            let new_capacity = needed.div_ceil(KV_GROW_STEP) * KV_GROW_STEP;
            let (b, h, _, d) = k.dims4()?;
            let kb = Tensor::zeros((b, h, new_capacity, d), k.dtype(), k.device())?;
            let vb = Tensor::zeros((b, h, new_capacity, d), v.dtype(), v.device())?;
            if let Some((old_k, old_v)) = &self.buffers {
                kb.slice_set(&old_k.narrow(2, 0, self.len)?.contiguous()?, 2, 0)?;
                vb.slice_set(&old_v.narrow(2, 0, self.len)?.contiguous()?, 2, 0)?;
            }
            self.buffers = Some((kb, vb));
        }
        let (kb, vb) = self.buffers()?;
        kb.slice_set(&k.contiguous()?, 2, self.len)?;
        vb.slice_set(&v.contiguous()?, 2, self.len)?;
        self.len = needed;
        Ok(())
    }

    /// The whole buffers (1, n_kv_head, capacity, head_dim), filled up to `len`.
    fn buffers(&self) -> Result<(&Tensor, &Tensor)> {
        let (kb, vb) = self.buffers.as_ref().ok_or_else(|| candle_core::Error::Msg("kv cache missing".into()))?;
        Ok((kb, vb))
    }

    /// The keys and values of the filled positions.
    fn filled(&self) -> Result<(Tensor, Tensor)> {
        let (kb, vb) = self.buffers()?;
        Ok((kb.narrow(2, 0, self.len)?, vb.narrow(2, 0, self.len)?))
    }
}

#[derive(Debug, Clone)]
struct Rotary {
    cos: Tensor,
    sin: Tensor,
    interleaved: bool,
}

impl Rotary {
    fn new(head_dim: usize, base: f32, positions: usize, interleaved: bool, device: &Device) -> Result<Self> {
        let inv_freq: Vec<f32> =
            (0..head_dim).step_by(2).map(|i| 1f32 / base.powf(i as f32 / head_dim as f32)).collect();
        let inv_freq = Tensor::from_vec(inv_freq, (1, head_dim / 2), device)?;
        let t = Tensor::arange(0u32, positions as u32, device)?.to_dtype(DType::F32)?.reshape((positions, 1))?;
        let freqs = t.matmul(&inv_freq)?;
        Ok(Rotary { cos: freqs.cos()?, sin: freqs.sin()?, interleaved })
    }

    fn apply(&self, x: &Tensor, at: &Placement) -> Result<Tensor> {
        let (cos, sin) = match at {
            Placement::After(pos) => {
                let seq = x.dim(2)?;
                (self.cos.narrow(0, *pos, seq)?, self.sin.narrow(0, *pos, seq)?)
            }
            Placement::Packed { positions, .. } => {
                (self.cos.index_select(positions, 0)?, self.sin.index_select(positions, 0)?)
            }
        };
        if self.interleaved {
            candle_nn::rotary_emb::rope_i(&x.contiguous()?, &cos, &sin)
        } else {
            candle_nn::rotary_emb::rope(&x.contiguous()?, &cos, &sin)
        }
    }
}

#[derive(Debug, Clone)]
struct Layer {
    attn_norm: RmsNorm,
    q: Linear,
    k: Linear,
    v: Linear,
    o: Linear,
    q_norm: Option<RmsNorm>,
    k_norm: Option<RmsNorm>,
    post_attn_norm: Option<RmsNorm>,
    ffn_norm: RmsNorm,
    gate: Linear,
    up: Linear,
    down: Linear,
    post_ffn_norm: Option<RmsNorm>,
    rotary: Arc<Rotary>,
    sliding_window: Option<usize>,
    cache: KvCache,
}

/// A loaded model with its KV cache. Cloning shares the weights and copies nothing large.
#[derive(Debug, Clone)]
pub struct Transformer {
    pub params: Hyperparams,
    embedding: Arc<QTensor>,
    embedding_scale: Option<f64>,
    layers: Vec<Layer>,
    norm: RmsNorm,
    output: Linear,
    device: Device,
}

/// Positions for which rotary tables are precomputed; longer contexts are refused by the engine.
pub const MAX_POSITIONS: usize = 32_768;

impl Transformer {
    /// Builds the model from the tensors of `source`, named as in GGUF (`blk.N.attn_q.weight`, ...).
    pub fn load(params: Hyperparams, source: &mut dyn TensorSource, device: &Device) -> Result<Self> {
        let eps = params.rms_eps as f32;
        let norm_of = |t: QTensor| -> Result<RmsNorm> { Ok(RmsNorm { weight: t.dequantize(device)?, eps }) };

        let embedding = Arc::new(source.tensor("token_embd.weight", device)?);
        let output = if source.has("output.weight") {
            Linear::new(Arc::new(source.tensor("output.weight", device)?), None)?
        } else {
            // Tied embeddings: the output projection reuses the embedding matrix (or a rearranged copy).
            Linear::new(embedding.clone(), None)?
        };
        let norm = norm_of(source.tensor("output_norm.weight", device)?)?;

        let positions = params.context_length.min(MAX_POSITIONS);
        let interleaved = params.arch == Architecture::Llama;
        let global_rotary = Arc::new(Rotary::new(params.head_dim, params.rope_base, positions, interleaved, device)?);
        let local_rotary = match params.sliding_window {
            Some(_) => Arc::new(Rotary::new(params.head_dim, params.rope_base_local, positions, interleaved, device)?),
            None => global_rotary.clone(),
        };

        let mut layers = Vec::with_capacity(params.n_layer);
        for i in 0..params.n_layer {
            let p = format!("blk.{i}");
            let mut linear = |name: &str| -> Result<Linear> {
                let bias_name = format!("{p}.{name}.bias");
                let bias = if source.has(&bias_name) {
                    Some(source.tensor(&bias_name, device)?.dequantize(device)?)
                } else {
                    None
                };
                Linear::new(Arc::new(with_simd_kernel(source.tensor(&format!("{p}.{name}.weight"), device)?)?), bias)
            };
            let (q, k, v, o) = (linear("attn_q")?, linear("attn_k")?, linear("attn_v")?, linear("attn_output")?);
            let (gate, up, down) = (linear("ffn_gate")?, linear("ffn_up")?, linear("ffn_down")?);
            let mut norm = |name: &str| -> Result<Option<RmsNorm>> {
                let full = format!("{p}.{name}.weight");
                if source.has(&full) { Ok(Some(norm_of(source.tensor(&full, device)?)?)) } else { Ok(None) }
            };
            let q_norm = norm("attn_q_norm")?;
            let k_norm = norm("attn_k_norm")?;
            let post_attn_norm = norm("post_attention_norm")?;
            let post_ffn_norm = norm("post_ffw_norm")?;
            let missing = |name: &str| candle_core::Error::Msg(format!("tensor {p}.{name}.weight missing"));
            let attn_norm = norm("attn_norm")?.ok_or_else(|| missing("attn_norm"))?;
            let ffn_norm = norm("ffn_norm")?.ok_or_else(|| missing("ffn_norm"))?;
            let sliding = params.is_sliding(i);
            layers.push(Layer {
                attn_norm,
                q,
                k,
                v,
                o,
                q_norm,
                k_norm,
                post_attn_norm,
                ffn_norm,
                gate,
                up,
                down,
                post_ffn_norm,
                rotary: if sliding { local_rotary.clone() } else { global_rotary.clone() },
                sliding_window: if sliding { params.sliding_window } else { None },
                cache: KvCache::default(),
            });
        }
        let embedding_scale = (params.arch == Architecture::Gemma3).then(|| (params.n_embd as f64).sqrt());
        Ok(Transformer { params, embedding, embedding_scale, layers, norm, output, device: device.clone() })
    }

    /// Number of positions held in the KV cache.
    pub fn cache_len(&self) -> usize {
        self.layers.first().map_or(0, |l| l.cache.len)
    }

    /// The keys and values of the first `len` cached positions, layer by layer.
    pub fn cache_snapshot(&self, len: usize) -> Result<Vec<(Tensor, Tensor)>> {
        self.layers
            .iter()
            .map(|layer| {
                let (k, v) = layer.cache.filled()?;
                Ok((k.narrow(2, 0, len)?.contiguous()?, v.narrow(2, 0, len)?.contiguous()?))
            })
            .collect()
    }

    /// Replaces the KV cache with a snapshot of [`Transformer::cache_snapshot`] (shapes checked).
    pub fn restore_cache(&mut self, layers: &[(Tensor, Tensor)]) -> Result<()> {
        if layers.len() != self.layers.len() {
            candle_core::bail!("snapshot has {} layers, the model {}", layers.len(), self.layers.len());
        }
        let p = &self.params;
        let head_dim = p.head_dim;
        for (layer, (k, v)) in self.layers.iter_mut().zip(layers) {
            let (_, heads, _, dim) = k.dims4()?;
            if (heads, dim) != (p.n_head_kv, head_dim) || k.dims() != v.dims() {
                candle_core::bail!("snapshot shape {:?} does not fit the model", k.dims());
            }
            layer.cache = KvCache::default();
            layer.cache.append(&k.to_device(&self.device)?, &v.to_device(&self.device)?)?;
        }
        Ok(())
    }

    /// Forgets every cached position from `len` on.
    pub fn truncate_cache(&mut self, len: usize) {
        for layer in &mut self.layers {
            layer.cache.len = layer.cache.len.min(len);
        }
    }

    /// Runs `tokens` at the positions after the cached ones and returns the logits (f32, vocab)
    /// of the last token.
    pub fn forward(&mut self, tokens: &[u32]) -> Result<Tensor> {
        self.forward_last(tokens, 1)?.flatten_all()
    }

    /// Like [`Transformer::forward`], but returns the logits of the last `rows` tokens
    /// (rows, vocab): checking guessed tokens needs the model's choice after each of them.
    pub fn forward_last(&mut self, tokens: &[u32], rows: usize) -> Result<Tensor> {
        let seq = tokens.len();
        if seq == 0 || rows == 0 || rows > seq {
            candle_core::bail!("forward needs at least one token and 1..={seq} rows of logits, not {rows}");
        }
        let pos = self.cache_len();
        self.check_context(pos + seq)?;
        let rows = Tensor::arange((seq - rows) as u32, seq as u32, &self.device)?;
        self.run(tokens, &Placement::After(pos), &rows)
    }

    /// Runs the tokens of several sequences in one pass, after the cached ones: token `i` sits at
    /// `positions[i]` of its own sequence and sees the cached or new slots `sees(i, slot)` says
    /// (a shared prompt, then its own earlier tokens). Returns the logits of the tokens in `rows`.
    /// Answering several requests at once this way reads the weights once per step for all of them,
    /// which is what a decoding step on a CPU waits for. Models with sliding windows are refused.
    pub fn forward_packed(
        &mut self,
        tokens: &[u32],
        positions: &[u32],
        sees: impl Fn(usize, usize) -> bool,
        rows: &[u32],
    ) -> Result<Tensor> {
        let seq = tokens.len();
        if seq == 0 || positions.len() != seq || rows.is_empty() || rows.iter().any(|&r| r as usize >= seq) {
            candle_core::bail!("a packed pass needs tokens, one position each and rows among them");
        }
        if self.params.sliding_window.is_some() {
            candle_core::bail!("packed passes do not support sliding-window attention");
        }
        self.check_context(positions.iter().max().map_or(0, |&p| p as usize + 1))?;
        let total = self.cache_len() + seq;
        let mask: Vec<f32> = (0..seq)
            .flat_map(|i| (0..total).map(move |j| (i, j)))
            .map(|(i, j)| if sees(i, j) { 0.0 } else { f32::NEG_INFINITY })
            .collect();
        let placement = Placement::Packed {
            positions: Tensor::new(positions, &self.device)?,
            mask: Tensor::from_vec(mask, (seq, total), &self.device)?,
        };
        let rows = Tensor::new(rows, &self.device)?;
        self.run(tokens, &placement, &rows)
    }

    /// One pass of `tokens` placed `at`, returning the logits of `rows` (indices into `tokens`).
    fn run(&mut self, tokens: &[u32], at: &Placement, rows: &Tensor) -> Result<Tensor> {
        let seq = tokens.len();
        let ids = Tensor::new(tokens, &self.device)?;
        let mut x = self.embedding.embedding(&ids)?.unsqueeze(0)?;
        if let Some(scale) = self.embedding_scale {
            x = (x * scale)?;
        }
        let pos = if let Placement::After(pos) = at { *pos } else { 0 };
        let mut masks = Masks { seq, pos, device: &self.device, built: [None, None] };
        for layer in &mut self.layers {
            x = layer.forward(&x, at, &mut masks, &self.params)?;
        }
        let last = x.squeeze(0)?.index_select(rows, 0)?;
        let last = self.norm.forward(&last)?;
        self.output.forward(&last)?.to_dtype(DType::F32)
    }

    /// Refuses positions up to `end` (exclusive) beyond the context (the rotary tables end there).
    fn check_context(&self, end: usize) -> Result<()> {
        if end > self.params.context_length.min(MAX_POSITIONS) {
            candle_core::bail!("position {end} is beyond the context of {}", self.params.context_length);
        }
        Ok(())
    }
}

/// Where the tokens of a pass sit: right after the cached ones, as one sequence, or packed
/// from several sequences with their own positions and an explicit mask (rows: new tokens,
/// columns: every cached and new slot).
enum Placement {
    After(usize),
    Packed { positions: Tensor, mask: Tensor },
}

/// candle has no x86 SIMD kernels for the legacy types Q4_1, Q5_0 and Q5_1 (llama.cpp's Q4_K_M files
/// use Q5_0 where a row is not a multiple of 256, e.g. in the 0.5B model); their scalar kernels are
/// several times slower than Q8_0's, which represents the same values within rounding. Where
/// [`gemv`] multiplies the type itself, the weight stays as it is: Q5_0 takes a third less memory
/// than Q8_0, at the same speed, and keeps the file's values exactly.
fn with_simd_kernel(weight: QTensor) -> Result<QTensor> {
    let slow = matches!(weight.dtype(), GgmlDType::Q4_1 | GgmlDType::Q5_0 | GgmlDType::Q5_1);
    let ours = weight.shape().dims2().is_ok_and(|(_, k)| gemv::takes(weight.dtype(), k));
    if slow && !ours && weight.device().is_cpu() && cfg!(target_arch = "x86_64") {
        QTensor::quantize(&weight.dequantize(&Device::Cpu)?, GgmlDType::Q8_0)
    } else {
        Ok(weight)
    }
}

/// The additive masks of one forward pass, each built when a layer first needs it: the
/// in-place attention of a decoding step needs none, and only sliding-window layers need the
/// windowed one (all of a model's windows have the same size).
struct Masks<'a> {
    seq: usize,
    pos: usize,
    device: &'a Device,
    /// The causal mask, then the windowed one.
    built: [Option<Option<Tensor>>; 2],
}

impl Masks<'_> {
    fn get(&mut self, window: Option<usize>) -> Result<Option<&Tensor>> {
        let slot = &mut self.built[usize::from(window.is_some())];
        if slot.is_none() {
            *slot = Some(causal_mask(self.seq, self.pos, window, self.device)?);
        }
        Ok(slot.as_ref().and_then(Option::as_ref))
    }
}

/// Additive mask (0 or -inf) of shape (seq, pos + seq); `None` when no position needs masking.
fn causal_mask(seq: usize, pos: usize, window: Option<usize>, device: &Device) -> Result<Option<Tensor>> {
    let total = pos + seq;
    let hidden = |i: usize, j: usize| {
        let query = pos + i;
        j > query || window.is_some_and(|w| query >= w && j <= query - w)
    };
    let any_hidden = (0..seq).any(|i| (0..total).any(|j| hidden(i, j)));
    if !any_hidden {
        return Ok(None);
    }
    let values: Vec<f32> =
        (0..seq).flat_map(|i| (0..total).map(move |j| if hidden(i, j) { f32::NEG_INFINITY } else { 0.0 })).collect();
    Tensor::from_vec(values, (seq, total), device).map(Some)
}

impl Layer {
    fn forward(&mut self, x: &Tensor, at: &Placement, masks: &mut Masks, p: &Hyperparams) -> Result<Tensor> {
        let (b, seq, _) = x.dims3()?;
        let h = self.attn_norm.forward(x)?;
        let [q, k, v] = Linear::forward_many([&self.q, &self.k, &self.v], &h)?;
        let q = q.reshape((b, seq, p.n_head, p.head_dim))?.transpose(1, 2)?;
        let k = k.reshape((b, seq, p.n_head_kv, p.head_dim))?.transpose(1, 2)?;
        let v = v.reshape((b, seq, p.n_head_kv, p.head_dim))?.transpose(1, 2)?;
        let q = match &self.q_norm {
            Some(n) => n.forward(&q)?,
            None => q,
        };
        let k = match &self.k_norm {
            Some(n) => n.forward(&k)?,
            None => k,
        };
        let q = self.rotary.apply(&q, at)?;
        let k = self.rotary.apply(&k, at)?;
        self.cache.append(&k, &v)?;
        let (k_buf, v_buf) = self.cache.buffers()?;
        let attn = match at {
            Placement::After(pos) if attention::applies(&q, k_buf) => {
                attention::attend(&q, k_buf, v_buf, attention::Span { first: *pos, window: self.sliding_window })?
            }
            Placement::After(_) => {
                let (k, v) = self.cache.filled()?;
                attend_with_matmuls(&q, &k, &v, masks.get(self.sliding_window)?, p)?
            }
            Placement::Packed { mask, .. } => {
                let (k, v) = self.cache.filled()?;
                attend_with_matmuls(&q, &k, &v, Some(mask), p)?
            }
        };
        let attn = self.o.forward(&attn)?;
        let attn = match &self.post_attn_norm {
            Some(n) => n.forward(&attn)?,
            None => attn,
        };
        let x = (x + attn)?;

        let h = self.ffn_norm.forward(&x)?;
        let [gate, up] = Linear::forward_many([&self.gate, &self.up], &h)?;
        let gated = match p.arch {
            Architecture::Gemma3 => (gate.gelu()? * up)?,
            _ if glu::applies(&gate, &up) => glu::silu_mul(&gate, &up)?,
            _ => (candle_nn::ops::silu(&gate)? * up)?,
        };
        let ffn = self.down.forward(&gated)?;
        let ffn = match &self.post_ffn_norm {
            Some(n) => n.forward(&ffn)?,
            None => ffn,
        };
        x + ffn
    }
}

/// Attention through candle's matmuls (prompt chunks, other devices). Grouped-query attention
/// without copying keys: the query heads that share a KV head are stacked along the sequence axis.
fn attend_with_matmuls(q: &Tensor, k: &Tensor, v: &Tensor, mask: Option<&Tensor>, p: &Hyperparams) -> Result<Tensor> {
    let (b, _, seq, _) = q.dims4()?;
    let group = p.n_head / p.n_head_kv;
    let total = k.dim(2)?;
    let q = q.contiguous()?.reshape((b, p.n_head_kv, group * seq, p.head_dim))?;
    let scores = (q.matmul(&k.t()?)? * (1.0 / (p.head_dim as f64).sqrt()))?;
    let scores = match mask {
        Some(mask) => scores.reshape((b, p.n_head_kv, group, seq, total))?.broadcast_add(mask)?,
        None => scores,
    };
    let scores = scores.reshape((b, p.n_head_kv, group * seq, total))?;
    let weights = candle_nn::ops::softmax_last_dim(&scores)?;
    let attn = weights.matmul(&v.contiguous()?)?;
    attn.reshape((b, p.n_head, seq, p.head_dim))?.transpose(1, 2)?.reshape((b, seq, p.n_head * p.head_dim))
}

impl Transformer {
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// Bytes of weights (quantized), for logging.
    pub fn weight_bytes(&self) -> usize {
        let per_layer: usize = self
            .layers
            .iter()
            .flat_map(|l| [&l.q, &l.k, &l.v, &l.o, &l.gate, &l.up, &l.down])
            .map(Linear::size_in_bytes)
            .sum();
        let output = match &self.output.matrix {
            Matrix::Candle { weight, .. } if Arc::ptr_eq(weight, &self.embedding) => 0,
            _ => self.output.size_in_bytes(),
        };
        per_layer + self.embedding.storage_size_in_bytes() + output
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use candle_core::quantized::gguf_file::Value;
    use candle_transformers::models::{quantized_llama, quantized_qwen2, quantized_qwen3};

    use super::*;

    const VOCAB: usize = 96;
    const EMBD: usize = 64;
    const HEADS: usize = 4;
    const KV_HEADS: usize = 2;
    const HEAD_DIM: usize = 16;
    const FF: usize = 128;
    const LAYERS: usize = 2;

    /// A tiny random model in GGUF form, with the tensors each architecture has and its matrices
    /// in `dtype`.
    fn tiny_gguf(arch: Architecture, dtype: GgmlDType) -> Vec<u8> {
        let a = arch.as_str();
        let u32_keys = [
            ("block_count", LAYERS),
            ("embedding_length", EMBD),
            ("feed_forward_length", FF),
            ("attention.head_count", HEADS),
            ("attention.head_count_kv", KV_HEADS),
            ("context_length", 1024),
            ("rope.dimension_count", HEAD_DIM),
            ("attention.key_length", HEAD_DIM),
        ];
        // general.dtype 0 keeps candle's qwen3 in f32 (it defaults to f16 activations).
        let mut metadata: Vec<(String, Value)> =
            vec![("general.architecture".into(), Value::String(a.into())), ("general.dtype".into(), Value::U32(0))];
        metadata.extend(u32_keys.iter().map(|(k, v)| (format!("{a}.{k}"), Value::U32(*v as u32))));
        metadata.push((format!("{a}.attention.layer_norm_rms_epsilon"), Value::F32(1e-6)));
        metadata.push((format!("{a}.rope.freq_base"), Value::F32(10_000.0)));
        if arch == Architecture::Gemma3 {
            metadata.push((format!("{a}.attention.sliding_window"), Value::U32(4)));
            metadata.push((format!("{a}.attention.sliding_window_type"), Value::U32(2)));
        }

        let random = |shape: &[usize], dtype: GgmlDType, offset: f64| {
            let t = (Tensor::randn(0f32, 0.3, shape, &Device::Cpu).unwrap() + offset).unwrap();
            QTensor::quantize(&t, dtype).unwrap()
        };
        let mut tensors: Vec<(String, QTensor)> = vec![
            ("token_embd.weight".into(), random(&[VOCAB, EMBD], dtype, 0.0)),
            ("output_norm.weight".into(), random(&[EMBD], GgmlDType::F32, 1.0)),
        ];
        if arch != Architecture::Qwen2 {
            // qwen2 exercises tied embeddings; the others have their own output matrix.
            tensors.push(("output.weight".into(), random(&[VOCAB, EMBD], dtype, 0.0)));
        }
        for i in 0..LAYERS {
            let mut add = |name: &str, shape: &[usize], dtype, offset| {
                tensors.push((format!("blk.{i}.{name}"), random(shape, dtype, offset)));
            };
            add("attn_norm.weight", &[EMBD], GgmlDType::F32, 1.0);
            add("ffn_norm.weight", &[EMBD], GgmlDType::F32, 1.0);
            add("attn_q.weight", &[HEADS * HEAD_DIM, EMBD], dtype, 0.0);
            add("attn_k.weight", &[KV_HEADS * HEAD_DIM, EMBD], dtype, 0.0);
            add("attn_v.weight", &[KV_HEADS * HEAD_DIM, EMBD], dtype, 0.0);
            add("attn_output.weight", &[EMBD, HEADS * HEAD_DIM], dtype, 0.0);
            add("ffn_gate.weight", &[FF, EMBD], dtype, 0.0);
            add("ffn_up.weight", &[FF, EMBD], dtype, 0.0);
            add("ffn_down.weight", &[EMBD, FF], dtype, 0.0);
            if arch == Architecture::Qwen2 {
                add("attn_q.bias", &[HEADS * HEAD_DIM], GgmlDType::F32, 0.0);
                add("attn_k.bias", &[KV_HEADS * HEAD_DIM], GgmlDType::F32, 0.0);
                add("attn_v.bias", &[KV_HEADS * HEAD_DIM], GgmlDType::F32, 0.0);
            }
            if matches!(arch, Architecture::Qwen3 | Architecture::Gemma3) {
                add("attn_q_norm.weight", &[HEAD_DIM], GgmlDType::F32, 1.0);
                add("attn_k_norm.weight", &[HEAD_DIM], GgmlDType::F32, 1.0);
            }
            if arch == Architecture::Gemma3 {
                add("post_attention_norm.weight", &[EMBD], GgmlDType::F32, 1.0);
                add("post_ffw_norm.weight", &[EMBD], GgmlDType::F32, 1.0);
            }
        }
        let mut out = Cursor::new(Vec::new());
        let metadata: Vec<(&str, &Value)> = metadata.iter().map(|(k, v)| (k.as_str(), v)).collect();
        let tensors: Vec<(&str, &QTensor)> = tensors.iter().map(|(k, v)| (k.as_str(), v)).collect();
        gguf_file::write(&mut out, &metadata, &tensors).unwrap();
        out.into_inner()
    }

    fn ours(bytes: &[u8]) -> Transformer {
        let mut reader = Cursor::new(bytes);
        let content = gguf_file::Content::read(&mut reader).unwrap();
        let arch = Architecture::from_gguf_name(content.metadata["general.architecture"].to_string().unwrap()).unwrap();
        let params = Hyperparams::from_metadata(arch, &content).unwrap();
        Transformer::load(params, &mut GgufTensors { content: &content, reader: &mut reader }, &Device::Cpu).unwrap()
    }

    /// A step function (tokens, position) -> logits.
    type Step = Box<dyn FnMut(&[u32], usize) -> Vec<f32>>;

    /// candle-transformers' module for the architecture, as a [`Step`].
    fn reference(bytes: &[u8], arch: Architecture) -> Step {
        let mut reader = Cursor::new(bytes.to_vec());
        let content = gguf_file::Content::read(&mut reader).unwrap();
        let input = |tokens: &[u32]| Tensor::new(tokens, &Device::Cpu).unwrap().unsqueeze(0).unwrap();
        let flat = |t: Tensor| t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        match arch {
            Architecture::Qwen2 => {
                let mut m = quantized_qwen2::ModelWeights::from_gguf(content, &mut reader, &Device::Cpu).unwrap();
                Box::new(move |t, pos| flat(m.forward(&input(t), pos).unwrap()))
            }
            Architecture::Llama => {
                let mut m = quantized_llama::ModelWeights::from_gguf(content, &mut reader, &Device::Cpu).unwrap();
                Box::new(move |t, pos| flat(m.forward(&input(t), pos).unwrap()))
            }
            Architecture::Qwen3 => {
                let mut m = quantized_qwen3::ModelWeights::from_gguf(content, &mut reader, &Device::Cpu).unwrap();
                Box::new(move |t, pos| flat(m.forward(&input(t), pos).unwrap()))
            }
            Architecture::Gemma3 => unreachable!("candle's quantized gemma3 uses SiLU where Gemma uses GELU"),
        }
    }

    fn assert_close(a: &[f32], b: &[f32], what: &str) {
        assert_eq!(a.len(), b.len(), "{what}: lengths");
        let scale = b.iter().map(|v| v.abs()).fold(1e-3, f32::max);
        let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
        assert!(worst <= 1e-3 * scale.max(1.0), "{what}: max difference {worst} (scale {scale})");
    }

    #[test]
    fn logits_match_candle_transformers_for_each_architecture() {
        let prompt = [5u32, 17, 42, 8, 91, 3, 60];
        for arch in [Architecture::Qwen2, Architecture::Llama, Architecture::Qwen3] {
            // Unquantized weights: both sides multiply with candle's f32 kernels, so only the
            // architectures' code may differ. Quantized weights round each activation to 8 bits,
            // and in a random network one rounding flipped by a last-bit difference upstream
            // moves a logit by percents; the kernels are checked against exact products in `gemv`.
            let bytes = tiny_gguf(arch, GgmlDType::F32);
            let mut model = ours(&bytes);
            let mut expected = reference(&bytes, arch);
            let what = arch.as_str();
            assert_close(&model.forward(&prompt).unwrap().to_vec1().unwrap(), &expected(&prompt, 0), what);
            for (pos, token) in (prompt.len()..).zip([11u32, 77]) {
                assert_close(&model.forward(&[token]).unwrap().to_vec1().unwrap(), &expected(&[token], pos), what);
            }
        }
    }

    #[test]
    fn q5_0_weights_stay_q5_0_where_our_kernels_take_them() {
        let mut model = ours(&tiny_gguf(Architecture::Qwen2, GgmlDType::Q5_0));
        let expected = if gemv::takes(GgmlDType::Q5_0, EMBD) { GgmlDType::Q5_0 } else { GgmlDType::Q8_0 };
        let layer = &model.layers[0];
        for linear in [&layer.q, &layer.k, &layer.v, &layer.gate, &layer.up] {
            let Matrix::Candle { weight, .. } = &linear.matrix else { panic!("only Q4_K matrices are packed") };
            assert_eq!(weight.dtype(), expected);
        }
        let logits: Vec<f32> = model.forward(&[1, 2, 3]).unwrap().to_vec1().unwrap();
        assert!(logits.len() == VOCAB && logits.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn packed_sequences_see_the_shared_prefix_and_themselves_only() {
        // Unquantized weights, as in the test above: a packed pass sums in another order than a
        // single sequence's, and with 8-bit activations one flipped rounding in a random network
        // moved a logit by 1 % (seen once under load); what is checked here is who sees whom.
        let bytes = tiny_gguf(Architecture::Qwen2, GgmlDType::F32);
        let (prefix, a, b) = ([1u32, 2, 3, 4], [5u32, 6, 7], [8u32, 9]);
        let alone = |suffix: &[u32], next: u32| -> (Vec<f32>, Vec<f32>) {
            let mut model = ours(&bytes);
            model.forward(&prefix).unwrap();
            let first = model.forward(suffix).unwrap().to_vec1().unwrap();
            (first, model.forward(&[next]).unwrap().to_vec1().unwrap())
        };
        let (a1, a2) = alone(&a, 10);
        let (b1, b2) = alone(&b, 11);
        let mut model = ours(&bytes);
        model.forward(&prefix).unwrap();
        // Both suffixes in one pass: slots 4..7 are a's, 7..9 b's.
        let owner = |slot: usize| if slot < 7 { 'a' } else { 'b' };
        let sees = |i: usize, j: usize| j < 4 || (j <= 4 + i && owner(j) == owner(4 + i));
        let first = model.forward_packed(&[5, 6, 7, 8, 9], &[4, 5, 6, 4, 5], sees, &[2, 4]).unwrap();
        let first: Vec<Vec<f32>> = first.to_vec2().unwrap();
        assert_close(&first[0], &a1, "a's prompt packed");
        assert_close(&first[1], &b1, "b's prompt packed");
        // Then one token each: a's at slot 9 (position 7), b's at slot 10 (position 6).
        let owner = |slot: usize| if slot < 7 || slot == 9 { 'a' } else { 'b' };
        let sees = |i: usize, j: usize| j < 4 || (j <= 9 + i && owner(j) == owner(9 + i));
        let next: Vec<Vec<f32>> = model.forward_packed(&[10, 11], &[7, 6], sees, &[0, 1]).unwrap().to_vec2().unwrap();
        assert_close(&next[0], &a2, "a's next token packed");
        assert_close(&next[1], &b2, "b's next token packed");
    }

    #[test]
    fn a_truncated_cache_continues_exactly_like_a_fresh_run() {
        let bytes = tiny_gguf(Architecture::Qwen2, GgmlDType::Q8_0);
        let mut model = ours(&bytes);
        let full: Vec<f32> = model.forward(&[1, 2, 3, 4, 5, 6]).unwrap().to_vec1().unwrap();
        model.forward(&[7, 8]).unwrap();
        model.truncate_cache(4);
        assert_eq!(model.cache_len(), 4);
        let resumed: Vec<f32> = model.forward(&[5, 6]).unwrap().to_vec1().unwrap();
        assert_close(&resumed, &full, "resumed after truncation");
        // The grown buffers (more than one growth step) keep working too.
        model.truncate_cache(0);
        let long: Vec<u32> = (0..(KV_GROW_STEP as u32 + 20)).map(|i| i % VOCAB as u32).collect();
        let mut fresh = ours(&bytes);
        let a: Vec<f32> = model.forward(&long).unwrap().to_vec1().unwrap();
        let b: Vec<f32> =
            fresh.forward(&long[..100]).and_then(|_| fresh.forward(&long[100..])).unwrap().to_vec1().unwrap();
        assert_close(&a, &b, "chunked prefill across a buffer growth");
    }

    #[test]
    fn gemma3_runs_with_sliding_windows_and_resumes_exactly() {
        // f32 weights, as above: the windows are the subject, not the activations' rounding.
        let bytes = tiny_gguf(Architecture::Gemma3, GgmlDType::F32);
        let mut model = ours(&bytes);
        assert!(model.params.is_sliding(0) && !model.params.is_sliding(1));
        // Longer than a decoding step, so the whole run goes through the matmuls with the windowed
        // mask and the step-by-step runs through the in-place attention.
        let tokens = [3u32, 9, 27, 81, 50, 12, 7, 44, 61, 2, 18, 90];
        assert!(tokens.len() > gemv::MAX_BATCH);
        let full: Vec<f32> = model.forward(&tokens).unwrap().to_vec1().unwrap();
        assert!(full.iter().all(|v| v.is_finite()));
        model.truncate_cache(5);
        let resumed: Vec<f32> = model.forward(&tokens[5..]).unwrap().to_vec1().unwrap();
        assert_close(&resumed, &full, "gemma3 resumed");
        // Token by token gives the same as the batch: the sliding mask agrees in both paths.
        model.truncate_cache(0);
        let mut last = Vec::new();
        for t in tokens {
            last = model.forward(&[t]).unwrap().to_vec1().unwrap();
        }
        assert_close(&last, &full, "gemma3 step by step");
    }

    #[test]
    fn masks_hide_the_future_and_what_left_the_window() {
        let visible = |seq, pos, window| -> Vec<Vec<bool>> {
            match causal_mask(seq, pos, window, &Device::Cpu).unwrap() {
                None => vec![vec![true; pos + seq]; seq],
                Some(m) => m.to_vec2::<f32>().unwrap().iter().map(|r| r.iter().map(|v| *v == 0.0).collect()).collect(),
            }
        };
        assert_eq!(visible(2, 1, None), vec![vec![true, true, false], vec![true, true, true]]);
        assert_eq!(visible(1, 4, None), vec![vec![true; 5]]);
        assert_eq!(visible(1, 4, Some(2)), vec![vec![false, false, false, true, true]]);
    }
}
