//! Whisper's text decoder with a cache for its self-attention. candle's `TextDecoder` caches
//! only the cross-attention and runs every earlier token again at each step, so a window's
//! decoding grows with the square of its length (130 ms a token at 75 tokens on two cores);
//! with the cache each step runs one token. The same weights, the same arithmetic (a test holds
//! the logits to candle's).

use candle_core::{D, DType, Device, IndexOp, Module, Tensor};
use candle_nn::{LayerNorm, Linear, VarBuilder};
use candle_transformers::models::whisper::Config;

/// One attention of a decoder layer, with what it keeps between steps: the keys and values of
/// the tokens so far (self-attention) or of the audio (cross-attention).
struct Attention {
    query: Linear,
    key: Linear,
    value: Linear,
    out: Linear,
    heads: usize,
    cache: Option<(Tensor, Tensor)>,
}

impl Attention {
    fn load(d: usize, heads: usize, vb: VarBuilder) -> candle_core::Result<Attention> {
        Ok(Attention {
            query: candle_nn::linear(d, d, vb.pp("q_proj"))?,
            key: candle_nn::linear_no_bias(d, d, vb.pp("k_proj"))?,
            value: candle_nn::linear(d, d, vb.pp("v_proj"))?,
            out: candle_nn::linear(d, d, vb.pp("out_proj"))?,
            heads,
            cache: None,
        })
    }

    /// `[1, n, d]` → `[1, heads, n, d / heads]`.
    fn split(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, n, d) = x.dims3()?;
        x.reshape((b, n, self.heads, d / self.heads))?.transpose(1, 2)?.contiguous()
    }

    /// Self-attention over the cached tokens and `x` (the tokens at the end, `mask` hiding the
    /// later ones among them).
    fn attend_self(&mut self, x: &Tensor, mask: Option<&Tensor>) -> candle_core::Result<Tensor> {
        let (k, v) = (self.split(&self.key.forward(x)?)?, self.split(&self.value.forward(x)?)?);
        let (k, v) = match self.cache.take() {
            Some((ck, cv)) => (Tensor::cat(&[&ck, &k], 2)?, Tensor::cat(&[&cv, &v], 2)?),
            None => (k, v),
        };
        self.cache = Some((k.clone(), v.clone()));
        self.attend(x, &k, &v, mask)
    }

    /// Cross-attention to the audio features (their keys and values computed once a window).
    fn attend_audio(&mut self, x: &Tensor, audio: &Tensor) -> candle_core::Result<Tensor> {
        if self.cache.is_none() {
            self.cache = Some((self.split(&self.key.forward(audio)?)?, self.split(&self.value.forward(audio)?)?));
        }
        let (k, v) = self.cache.clone().expect("filled above");
        self.attend(x, &k, &v, None)
    }

    fn attend(&self, x: &Tensor, k: &Tensor, v: &Tensor, mask: Option<&Tensor>) -> candle_core::Result<Tensor> {
        let d_head = x.dim(D::Minus1)? / self.heads;
        // Whisper scales queries and keys each by d_head^-1/4, as candle does.
        let scale = (d_head as f64).powf(-0.25);
        let q = (self.split(&self.query.forward(x)?)? * scale)?;
        let mut scores = q.matmul(&(k * scale)?.t()?)?;
        if let Some(mask) = mask {
            scores = scores.broadcast_add(mask)?;
        }
        let weights = candle_nn::ops::softmax_last_dim(&scores)?;
        weights.matmul(v)?.transpose(1, 2)?.flatten_from(2)?.apply(&self.out)
    }
}

struct Layer {
    own: Attention,
    own_norm: LayerNorm,
    cross: Attention,
    cross_norm: LayerNorm,
    up: Linear,
    down: Linear,
    mlp_norm: LayerNorm,
}

fn layer_norm(d: usize, vb: VarBuilder) -> candle_core::Result<LayerNorm> {
    Ok(LayerNorm::new(vb.get(d, "weight")?, vb.get(d, "bias")?, 1e-5))
}

/// The decoder of one window: feed it the prompt, then one token at a time.
pub struct Decoder {
    embeddings: Tensor,
    positions: Tensor,
    layers: Vec<Layer>,
    norm: LayerNorm,
    /// Tokens decoded since [`Decoder::start`].
    seen: usize,
}

impl Decoder {
    /// Loads the decoder under `model.decoder` of a Whisper checkpoint.
    pub fn load(vb: VarBuilder, config: &Config) -> candle_core::Result<Decoder> {
        let (d, heads) = (config.d_model, config.decoder_attention_heads);
        let vb = vb.pp("model.decoder");
        let layers = (0..config.decoder_layers)
            .map(|i| {
                let vb = vb.pp(format!("layers.{i}"));
                Ok(Layer {
                    own: Attention::load(d, heads, vb.pp("self_attn"))?,
                    own_norm: layer_norm(d, vb.pp("self_attn_layer_norm"))?,
                    cross: Attention::load(d, heads, vb.pp("encoder_attn"))?,
                    cross_norm: layer_norm(d, vb.pp("encoder_attn_layer_norm"))?,
                    up: candle_nn::linear(d, 4 * d, vb.pp("fc1"))?,
                    down: candle_nn::linear(4 * d, d, vb.pp("fc2"))?,
                    mlp_norm: layer_norm(d, vb.pp("final_layer_norm"))?,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Decoder {
            embeddings: vb.get((config.vocab_size, d), "embed_tokens.weight")?,
            positions: vb.get((config.max_target_positions, d), "embed_positions.weight")?,
            layers,
            norm: layer_norm(d, vb.pp("layer_norm"))?,
            seen: 0,
        })
    }

    /// Forgets the tokens and the audio of the last window.
    pub fn start(&mut self) {
        self.seen = 0;
        for layer in &mut self.layers {
            layer.own.cache = None;
            layer.cross.cache = None;
        }
    }

    /// The logits after `tokens`, which follow the ones fed before, for the window whose audio
    /// features are `audio` (`[1, frames, d]`).
    pub fn next(&mut self, tokens: &[u32], audio: &Tensor) -> candle_core::Result<Tensor> {
        let n = tokens.len();
        let ids = Tensor::new(tokens, &Device::Cpu)?;
        let mut x = self
            .embeddings
            .index_select(&ids, 0)?
            .broadcast_add(&self.positions.narrow(0, self.seen, n)?)?
            .unsqueeze(0)?;
        // Among several new tokens each sees the ones before it; all see the cached ones.
        let mask = (n > 1)
            .then(|| {
                let seen = self.seen;
                let values: Vec<f32> = (0..n)
                    .flat_map(|i| (0..seen + n).map(move |j| if j > seen + i { f32::NEG_INFINITY } else { 0.0 }))
                    .collect();
                Tensor::from_vec(values, (n, seen + n), &Device::Cpu)
            })
            .transpose()?;
        for layer in &mut self.layers {
            x = (&x + layer.own.attend_self(&layer.own_norm.forward(&x)?, mask.as_ref())?)?;
            x = (&x + layer.cross.attend_audio(&layer.cross_norm.forward(&x)?, audio)?)?;
            let mlp = layer.down.forward(&layer.up.forward(&layer.mlp_norm.forward(&x)?)?.gelu()?)?;
            x = (x + mlp)?;
        }
        self.seen += n;
        let last = self.norm.forward(&x.i((.., n - 1..))?)?;
        // The output projection is the token embedding, transposed.
        last.squeeze(0)?.squeeze(0)?.unsqueeze(0)?.matmul(&self.embeddings.t()?)?.squeeze(0)?.to_dtype(DType::F32)
    }
}

#[cfg(test)]
mod tests {
    use candle_transformers::models::whisper::model::Whisper;

    use super::*;

    /// candle's decoder, re-running every token, is the reference for the cached one: the same
    /// logits after the prompt and after each further token, on the real weights.
    #[test]
    fn the_logits_match_candles_decoder() {
        let dir = crate::speech::model::ensure(&crate::models::default_dir(), crate::models::DEFAULT_SPEECH).unwrap();
        let config: Config = serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
        let weights = std::fs::read(dir.join("model.safetensors")).unwrap();
        let vb = VarBuilder::from_buffered_safetensors(weights, DType::F32, &Device::Cpu).unwrap();
        let mut reference = Whisper::load(&vb, config.clone()).unwrap();
        let mut ours = Decoder::load(vb, &config).unwrap();
        let audio = Tensor::randn(0f32, 1.0, (1, config.max_source_positions, config.d_model), &Device::Cpu).unwrap();
        // A second window after the first: the caches start afresh.
        for window in 0..2 {
            let mut tokens = vec![50258u32, 50261, 50359, 50363];
            ours.start();
            let mut logits = ours.next(&tokens, &audio).unwrap();
            for (step, next) in [440u32, 1234, 99, 7, 3000].into_iter().enumerate() {
                let input = Tensor::new(tokens.as_slice(), &Device::Cpu).unwrap().unsqueeze(0).unwrap();
                let hidden = reference.decoder.forward(&input, &audio, step == 0).unwrap();
                let last = hidden.dim(1).unwrap() - 1;
                let expected = reference.decoder.final_linear(&hidden.i((..1, last..)).unwrap()).unwrap();
                let expected: Vec<f32> = expected.flatten_all().unwrap().to_vec1().unwrap();
                let got: Vec<f32> = logits.to_vec1().unwrap();
                let worst = got.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
                assert!(worst < 1e-3, "window {window}, step {step}: logits differ by {worst}");
                tokens.push(next);
                logits = ours.next(&[next], &audio).unwrap();
            }
        }
    }
}
