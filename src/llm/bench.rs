//! Speed figures comparable with `llama-bench -p P -n G -t N`: load time, prefill and decode
//! tokens per second, time to first token and memory, on a real GGUF or a synthetic model.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::synthetic::SyntheticSpec;
use super::transformer::Transformer;
use super::{CandleGenerator, Device, LlmError, simd};

#[derive(Debug, Clone, Copy)]
pub struct BenchOptions {
    pub prompt_tokens: usize,
    pub gen_tokens: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub model: String,
    pub architecture: String,
    pub device: String,
    pub threads: usize,
    /// Random weights of the real shapes and types (speed only, no meaningful text).
    pub synthetic: bool,
    pub load_s: f64,
    /// First pass over the weights (candle repacks some matrices lazily); not part of the figures.
    pub warmup_s: f64,
    pub prompt_tokens: usize,
    pub gen_tokens: usize,
    pub prefill_tok_s: f64,
    pub decode_tok_s: f64,
    pub ttft_s: f64,
    pub rss_mb: f64,
    pub peak_rss_mb: f64,
    pub simd: Vec<&'static str>,
}

/// Benchmarks a GGUF file (real weights).
pub fn bench_file(path: &Path, device: Device, options: BenchOptions) -> Result<BenchReport, LlmError> {
    let mut generator = CandleGenerator::load(path, device)?;
    let info = generator.info();
    let report = run(generator.model_mut(), &info.id, device, false, info.load_s, options)?;
    Ok(report)
}

/// Benchmarks random weights with the shapes and types described by `spec`.
pub fn bench_synthetic(spec: &SyntheticSpec, device: Device, options: BenchOptions) -> Result<BenchReport, LlmError> {
    simd::log_once();
    let started = Instant::now();
    let mut model = spec.build(&device.to_candle()?)?;
    let load_s = started.elapsed().as_secs_f64();
    run(&mut model, &spec.source, device, true, load_s, options)
}

fn run(
    model: &mut Transformer,
    name: &str,
    device: Device,
    synthetic: bool,
    load_s: f64,
    options: BenchOptions,
) -> Result<BenchReport, LlmError> {
    let vocab = model.params.vocab_size as u64;
    // Fixed pseudo-random prompt, as llama-bench uses: the content does not change the speed.
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let prompt: Vec<u32> = (0..options.prompt_tokens.max(1))
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % vocab) as u32
        })
        .collect();

    let warmup = Instant::now();
    model.truncate_cache(0);
    // One prompt-sized chunk and one decoding step, so that both kinds of kernel have prepared
    // their weights (candle repacks them for prompt chunks on first use) before timing starts.
    let chunk: Vec<u32> = prompt.iter().cycle().take(super::engine::PREFIX_CACHE_BLOCK).copied().collect();
    model.forward(&chunk)?;
    model.forward(&prompt[..1])?;
    let warmup_s = warmup.elapsed().as_secs_f64();

    model.truncate_cache(0);
    let started = Instant::now();
    let mut logits = model.forward(&prompt)?;
    let mut token = argmax(&logits.to_vec1::<f32>()?);
    let ttft_s = started.elapsed().as_secs_f64();
    let decode_start = Instant::now();
    for _ in 1..options.gen_tokens.max(1) {
        logits = model.forward(&[token])?;
        token = argmax(&logits.to_vec1::<f32>()?);
    }
    let decode_s = decode_start.elapsed().as_secs_f64();
    let decoded = options.gen_tokens.max(1) - 1;
    let (rss_mb, peak_rss_mb) = memory_mb();
    model.truncate_cache(0);
    Ok(BenchReport {
        model: name.to_owned(),
        architecture: model.params.arch.as_str().to_owned(),
        device: device.to_string(),
        threads: candle_core::utils::get_num_threads(),
        synthetic,
        load_s,
        warmup_s,
        prompt_tokens: prompt.len(),
        gen_tokens: options.gen_tokens.max(1),
        prefill_tok_s: prompt.len() as f64 / ttft_s.max(1e-9),
        decode_tok_s: if decoded > 0 { decoded as f64 / decode_s.max(1e-9) } else { 0.0 },
        ttft_s,
        rss_mb,
        peak_rss_mb,
        simd: simd::simd_summary().compiled,
    })
}

fn argmax(logits: &[f32]) -> u32 {
    logits.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i as u32)
}

/// Resident and peak resident memory of this process (Linux; zero elsewhere).
fn memory_mb() -> (f64, f64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            .map_or(0.0, |kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}
