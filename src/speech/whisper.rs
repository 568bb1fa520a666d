//! `WhisperTranscriber`: candle-transformers' Whisper, decoding greedily, forced to German and
//! without timestamps, one window of at most 30 s at a time.

use std::path::Path;

use candle_core::{D, Device, IndexOp, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::whisper::{self as m, Config, audio, model::Whisper};
use tokenizers::Tokenizer;

use super::decoder::Decoder;
use super::{SpeechError, Transcriber, mel, segment};

/// Tokens one window may produce at most (Whisper's own limit: half its context).
const MAX_TOKENS: usize = 224;
/// A phrase of up to this many tokens repeated [`LOOP_REPEATS`] times in a row is a loop.
const LOOP_PHRASE: usize = 12;
const LOOP_REPEATS: usize = 4;

/// The special tokens of the prompt and of the stop.
struct Specials {
    start: u32,
    german: u32,
    transcribe: u32,
    no_timestamps: u32,
    end: u32,
    no_speech: Option<u32>,
}

pub struct WhisperTranscriber {
    /// candle's model, for its encoder (its decoder re-runs every token at each step).
    model: Whisper,
    decoder: Decoder,
    tokenizer: Tokenizer,
    config: Config,
    filters: Vec<f32>,
    specials: Specials,
    /// Added to the logits: −∞ on the tokens never to write (the config's list and timestamps)…
    suppress: Tensor,
    /// …and at the first step also on a lone space and the end (no empty transcript).
    suppress_first: Tensor,
}

impl WhisperTranscriber {
    /// Loads a model directory: `model.safetensors`, `config.json` and `tokenizer.json` in
    /// Hugging Face's Whisper layout (what `ablauf models fetch whisper-base` writes).
    pub fn load(dir: &Path) -> Result<WhisperTranscriber, SpeechError> {
        let read = |name: &str| {
            let path = dir.join(name);
            std::fs::read(&path).map_err(|e| SpeechError::Model(format!("cannot read {}: {e}", path.display())))
        };
        let config: Config = serde_json::from_slice(&read("config.json")?)
            .map_err(|e| SpeechError::Model(format!("{}: {e}", dir.join("config.json").display())))?;
        let tokenizer = Tokenizer::from_bytes(read("tokenizer.json")?)
            .map_err(|e| SpeechError::Model(format!("{}: {e}", dir.join("tokenizer.json").display())))?;
        let vb = VarBuilder::from_buffered_safetensors(read("model.safetensors")?, m::DTYPE, &Device::Cpu)?;
        let model = Whisper::load(&vb, config.clone())?;
        let decoder = Decoder::load(vb, &config)?;
        let id = |token: &str| {
            tokenizer.token_to_id(token).ok_or_else(|| SpeechError::Model(format!("the tokenizer has no {token}")))
        };
        let specials = Specials {
            start: id(m::SOT_TOKEN)?,
            german: id("<|de|>")?,
            transcribe: id(m::TRANSCRIBE_TOKEN)?,
            no_timestamps: id(m::NO_TIMESTAMPS_TOKEN)?,
            end: id(m::EOT_TOKEN)?,
            no_speech: m::NO_SPEECH_TOKENS.iter().find_map(|t| tokenizer.token_to_id(t)),
        };
        let mask = |first: bool| -> Result<Tensor, SpeechError> {
            let values: Vec<f32> = (0..config.vocab_size as u32)
                .map(|t| {
                    let never = config.suppress_tokens.contains(&t) || t > specials.no_timestamps;
                    let not_first = first && (t == specials.end || tokenizer.id_to_token(t).as_deref() == Some("Ġ"));
                    if never || not_first { f32::NEG_INFINITY } else { 0.0 }
                })
                .collect();
            Ok(Tensor::new(values.as_slice(), &Device::Cpu)?)
        };
        let (suppress, suppress_first) = (mask(false)?, mask(true)?);
        let filters = mel::filters(config.num_mel_bins);
        Ok(WhisperTranscriber { model, decoder, tokenizer, config, filters, specials, suppress, suppress_first })
    }

    /// The text of one window of 16-kHz samples (at most 30 s); empty where the model hears
    /// no speech.
    fn window(&mut self, samples: &[f32]) -> Result<String, SpeechError> {
        let bins = self.config.num_mel_bins;
        let mel = audio::pcm_to_mel(&self.config, samples, &self.filters);
        let frames = mel.len() / bins;
        let mel = Tensor::from_vec(mel, (1, bins, frames), &Device::Cpu)?.narrow(2, 0, frames.min(m::N_FRAMES))?;
        let features = self.model.encoder.forward(&mel, true)?;
        let s = &self.specials;
        let mut tokens = vec![s.start, s.german, s.transcribe, s.no_timestamps];
        let prompt = tokens.len();
        let mut logprob_sum = 0.0f64;
        let mut no_speech = 0.0f64;
        self.decoder.start();
        let mut logits = self.decoder.next(&tokens, &features)?;
        for step in 0..MAX_TOKENS {
            if step == 0
                && let Some(token) = s.no_speech
            {
                no_speech =
                    f64::from(candle_nn::ops::softmax(&logits, D::Minus1)?.i(token as usize)?.to_scalar::<f32>()?);
            }
            let masked = logits.broadcast_add(if step == 0 { &self.suppress_first } else { &self.suppress })?;
            let next = masked.argmax(D::Minus1)?.to_scalar::<u32>()?;
            let logprobs = candle_nn::ops::log_softmax(&masked, D::Minus1)?;
            logprob_sum += f64::from(logprobs.i(next as usize)?.to_scalar::<f32>()?);
            if next == s.end || tokens.len() >= self.config.max_target_positions {
                break;
            }
            tokens.push(next);
            if let Some(cut) = loop_start(&tokens[prompt..]) {
                tokens.truncate(prompt + cut);
                break;
            }
            logits = self.decoder.next(&[next], &features)?;
        }
        let written = tokens.len() - prompt;
        let mean_logprob = logprob_sum / (written + 1) as f64;
        // Whisper's own rule: a likely "no speech" with an unsure transcript is silence.
        if no_speech > m::NO_SPEECH_THRESHOLD && mean_logprob < m::LOGPROB_THRESHOLD {
            return Ok(String::new());
        }
        let text = self.tokenizer.decode(&tokens[prompt..], true).map_err(|e| SpeechError::Model(e.to_string()))?;
        Ok(text.trim().to_owned())
    }
}

/// Where a loop begins: the end of `tokens` repeats one phrase [`LOOP_REPEATS`] times; the
/// first occurrence is kept.
fn loop_start(tokens: &[u32]) -> Option<usize> {
    (1..=LOOP_PHRASE).find_map(|n| {
        let span = n * LOOP_REPEATS;
        if tokens.len() < span {
            return None;
        }
        let tail = &tokens[tokens.len() - span..];
        let phrase = &tail[..n];
        tail.chunks(n).all(|c| c == phrase).then(|| tokens.len() - span + n)
    })
}

impl Transcriber for WhisperTranscriber {
    fn transcribe(&mut self, samples: &[f32], partial: &mut dyn FnMut(&str) -> bool) -> Result<String, SpeechError> {
        let windows = segment::windows(samples, m::CHUNK_LENGTH as f32);
        if windows.is_empty() {
            return Err(SpeechError::Silence);
        }
        let mut texts = Vec::new();
        for w in windows {
            let text = self.window(&samples[w.start..w.end])?;
            if !text.is_empty() {
                if !partial(&text) {
                    return Err(SpeechError::Cancelled);
                }
                texts.push(text);
            }
        }
        if texts.is_empty() {
            return Err(SpeechError::Silence);
        }
        Ok(texts.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_repeated_phrase_is_cut_after_its_first_time() {
        let looping = [7, 8, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3];
        assert_eq!(loop_start(&looping), Some(5));
        assert_eq!(loop_start(&[5, 5, 5, 5]), Some(1));
        assert_eq!(loop_start(&[1, 2, 3, 1, 2, 3, 1, 2, 3]), None, "three times is still speech");
        assert_eq!(loop_start(&[]), None);
    }
}
