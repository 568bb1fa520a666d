//! `ablauf bench llm` (speed figures of a language model) and `ablauf bench llm-spec`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{CliError, print_json};
use crate::llm::{self, BenchOptions, Device, LlmError, SyntheticSpec};
use crate::models;

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Load time, prefill and decode tok/s, time to first token and memory of a language model,
    /// as one JSON object (compare with `llama-bench -p P -n G -t N` on the same file).
    Llm(BenchLlmArgs),
    /// Print the architecture and tensor shapes of a model (no weights) for `bench llm --synthetic`.
    LlmSpec {
        /// Manifest name (see `ablauf models list`) or path of a GGUF file.
        #[arg(long, env = "ABLAUF_MODEL", default_value = models::DEFAULT_LLM)]
        model: String,
    },
}

#[derive(Debug, Args)]
pub struct BenchLlmArgs {
    /// Manifest name (see `ablauf models list`) or path of a GGUF file.
    #[arg(long, env = "ABLAUF_MODEL", default_value = models::DEFAULT_LLM)]
    pub model: String,
    /// CPU threads (default: one per physical core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Prompt length processed at once (prefill).
    #[arg(long, default_value_t = 128)]
    pub prompt_tokens: usize,
    /// Tokens generated one by one (decode).
    #[arg(long, default_value_t = 64)]
    pub gen_tokens: usize,
    /// cpu, cuda or cuda:N (cuda needs a build with `--features cuda`).
    #[arg(long, default_value = "cpu")]
    pub device: Device,
    /// Use random weights with the shapes and types in this file (from `bench llm-spec`) instead of
    /// the model's weights; the figures are then labelled synthetic.
    #[arg(long)]
    pub synthetic: Option<PathBuf>,
}

pub fn run(args: BenchArgs) -> Result<ExitCode, CliError> {
    match args.command {
        BenchCommand::Llm(args) => bench_llm(args),
        BenchCommand::LlmSpec { model } => {
            let path = llm::resolve_model(&model).map_err(classify)?;
            print_json(&SyntheticSpec::from_gguf(&path).map_err(classify)?)
        }
    }
}

fn bench_llm(args: BenchLlmArgs) -> Result<ExitCode, CliError> {
    if let Some(threads) = args.threads {
        if threads == 0 {
            return Err(CliError::Input("--threads must be at least 1".into()));
        }
        // SAFETY: nothing else runs yet; candle reads these once, when its thread pool starts.
        unsafe {
            std::env::set_var("CANDLE_NUM_THREADS", threads.to_string());
            std::env::set_var("RAYON_NUM_THREADS", threads.to_string());
        }
    }
    let options = BenchOptions { prompt_tokens: args.prompt_tokens, gen_tokens: args.gen_tokens };
    let report = match &args.synthetic {
        Some(spec_path) => {
            let text = super::read_text(spec_path)?;
            let spec: SyntheticSpec = serde_json::from_str(&text)
                .map_err(|e| CliError::Input(format!("{} is not a model spec: {e}", spec_path.display())))?;
            llm::bench_synthetic(&spec, args.device, options)
        }
        None => {
            let path = llm::resolve_model(&args.model).map_err(classify)?;
            llm::bench_file(&path, args.device, options)
        }
    }
    .map_err(classify)?;
    print_json(&report)
}

/// Unreadable or unusable model input is the caller's to fix (exit 2); the rest is a failure (exit 1).
pub fn classify(e: LlmError) -> CliError {
    match e {
        LlmError::Model(models::ModelError::Unknown(..))
        | LlmError::Io { .. }
        | LlmError::NotGguf { .. }
        | LlmError::UnsupportedArchitecture(_)
        | LlmError::Metadata { .. }
        | LlmError::Device { .. } => CliError::Input(e.to_string()),
        _ => CliError::Failed(e.to_string()),
    }
}
