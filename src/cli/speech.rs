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
    if file != std::path::Path::new("-") {
        return speech::audio::read_wav(file).map_err(|e| CliError::Input(e.to_string()));
    }
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)
        .map_err(|e| CliError::Input(format!("cannot read standard input: {e}")))?;
    speech::audio::decode_wav(&bytes).map_err(|e| CliError::Input(format!("standard input: {e}")))
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

#[derive(Debug, Args)]
pub struct EvalTranscribeArgs {
    /// Folder of recordings: NAME.wav beside NAME.txt with what was said
    /// (eval/transcribe/make-audio.sh speaks the draft cases in several voices and speeds).
    #[arg(long, default_value = "tests/fixtures/speech")]
    pub dir: PathBuf,
    #[arg(long, env = "ABLAUF_SPEECH_MODEL", default_value = crate::models::DEFAULT_SPEECH)]
    pub speech_model: String,
    /// Also draft from every transcript and from the case's own text, scored against the gold
    /// processes of these cases (a recording's name up to its first dot is the case id).
    #[arg(long)]
    pub draft_cases: Option<PathBuf>,
    #[command(flatten)]
    pub model: super::draft::ModelArg,
    /// Score these transcripts (JSON Lines of {file, text, audio_seconds, compute_seconds}, as
    /// eval/transcribe/peer.py writes them) instead of transcribing.
    #[arg(long, conflicts_with = "draft_cases")]
    pub hypotheses: Option<PathBuf>,
}

pub fn eval_transcribe(args: EvalTranscribeArgs) -> Result<ExitCode, CliError> {
    use crate::eval::{draft as eval_draft, transcribe as eval_transcribe};
    let input = |e: crate::eval::EvalError| CliError::Input(e.to_string());
    let recordings = eval_transcribe::load_recordings(&args.dir).map_err(input)?;
    if let Some(path) = &args.hypotheses {
        let text = super::read_text(path)?;
        let hypotheses = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(serde_json::from_str::<eval_transcribe::Hypothesis>)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))?;
        return print_json(&serde_json::json!({ "transcribe": eval_transcribe::score(&recordings, &hypotheses) }));
    }
    let cases = args.draft_cases.as_deref().map(eval_draft::load_cases).transpose().map_err(input)?;
    let report = {
        let mut transcriber = load(&args.speech_model)?;
        eval_transcribe::evaluate(&mut transcriber, &recordings, &mut |r| {
            eprintln!(
                "{:<40} WER {:.2}  {:.1} s audio in {:.1} s  {}",
                r.name, r.word_error_rate, r.audio_seconds, r.compute_seconds, r.text
            )
        })
    };
    let Some(cases) = cases else { return print_json(&serde_json::json!({ "transcribe": report })) };
    // The same cases twice: as written, and with each recording's transcript as the dictation.
    let spoken: Vec<eval_draft::Case> = report
        .results
        .iter()
        .filter_map(|r| {
            let recording = recordings.iter().find(|rec| rec.name == r.name)?;
            let case = cases.iter().find(|c| c.id == recording.dictation())?;
            Some(eval_draft::Case { id: r.name.clone(), dictation: r.text.clone(), ..case.clone() })
        })
        .collect();
    let written: Vec<eval_draft::Case> =
        cases.iter().filter(|c| recordings.iter().any(|r| r.dictation() == c.id)).cloned().collect();
    let mut generator = super::draft::load_model(&args.model.model)?;
    let settings = eval_draft::DraftSettings {
        max_tokens: crate::draft::DEFAULT_MAX_TOKENS,
        lookahead: crate::llm::COPY_LOOKAHEAD,
    };
    let quiet = &mut |r: &eval_draft::CaseResult| {
        eprintln!("{:<40} steps {}/{}", r.id, r.score.steps.matched, r.score.steps.gold)
    };
    let from_text = eval_draft::evaluate(&mut generator, &written, settings, None, quiet);
    let from_audio = eval_draft::evaluate(&mut generator, &spoken, settings, None, quiet);
    print_json(
        &serde_json::json!({ "transcribe": report, "drafts": { "from_text": from_text, "from_audio": from_audio } }),
    )
}
