//! `ablauf transcribe`: a spoken dictation (WAV) as text, with the local speech model.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use serde::Serialize;

use super::{CliError, print_json};
use crate::speech::{self, SpeechError, Transcriber, WhisperTranscriber};

#[derive(Debug, Args)]
pub struct TranscribeArgs {
    /// WAV file of the dictation (any sample rate, mono or stereo); `-` reads stdin.
    #[arg(long)]
    pub file: PathBuf,
    /// Speech model: a manifest name (fetched and converted on first use) or a folder with a
    /// Whisper model in Hugging Face's layout (model.safetensors, config.json, tokenizer.json).
    #[arg(long, env = "ABLAUF_SPEECH_MODEL", default_value = crate::models::DEFAULT_SPEECH)]
    pub speech_model: String,
}

#[derive(Serialize)]
struct Transcript {
    text: String,
    audio_seconds: f32,
    /// Loading the model (and, the first time, fetching and converting it).
    load_seconds: f32,
    /// Transcribing alone.
    compute_seconds: f32,
}

/// Reads and decodes the audio of `file` (`-`: stdin) into 16-kHz samples.
pub fn read_audio(file: &std::path::Path) -> Result<Vec<f32>, CliError> {
    let bytes = if file == std::path::Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map(|_| bytes)
    } else {
        std::fs::read(file)
    }
    .map_err(|e| CliError::Input(format!("cannot read {}: {e}", file.display())))?;
    speech::audio::decode_wav(&bytes).map_err(|e| CliError::Input(format!("{}: {e}", file.display())))
}

/// Loads the speech model `model` (a manifest name or a folder).
pub fn load(model: &str) -> Result<WhisperTranscriber, CliError> {
    let dir = speech::model::resolve(model).map_err(failed)?;
    WhisperTranscriber::load(&dir).map_err(failed)
}

/// Transcribes 16-kHz samples; each window's text goes to stderr as it is ready.
pub fn transcribe_samples(transcriber: &mut WhisperTranscriber, samples: &[f32]) -> Result<String, CliError> {
    let mut partial = |text: &str| {
        eprintln!("… {text}");
        true
    };
    transcriber.transcribe(samples, &mut partial).map_err(failed)
}

fn failed(e: SpeechError) -> CliError {
    match e {
        SpeechError::Format(_) | SpeechError::Silence => CliError::Input(e.to_string()),
        _ => CliError::Failed(e.to_string()),
    }
}

pub fn transcribe(args: TranscribeArgs) -> Result<ExitCode, CliError> {
    let samples = read_audio(&args.file)?;
    let loading = Instant::now();
    let mut transcriber = load(&args.speech_model)?;
    let load_seconds = loading.elapsed().as_secs_f32();
    let started = Instant::now();
    let text = transcribe_samples(&mut transcriber, &samples)?;
    print_json(&Transcript {
        text,
        audio_seconds: samples.len() as f32 / speech::segment::RATE as f32,
        load_seconds,
        compute_seconds: started.elapsed().as_secs_f32(),
    })
}
