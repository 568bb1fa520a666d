//! `ablauf draft`, `ablauf review` and `ablauf eval draft`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::llm::classify;
use super::{CliError, open_store, print_json, read_text};
use crate::draft::{self, DraftAnswer, DraftError, Line};
use crate::eval::meaning::MeaningMatcher;
use crate::eval::recorded::RecordedGenerator;
use crate::eval::{self, draft as eval_draft};
use crate::llm::{self, CandleGenerator, Device, Generator};
use crate::review::{self, Review};
use crate::store::Change;
use crate::{models, process};

#[derive(Debug, Args)]
pub struct ModelArg {
    /// Language model: a manifest name (see `ablauf models list`, fetched on first use) or a GGUF path.
    #[arg(long, env = "ABLAUF_MODEL", default_value = models::DEFAULT_LLM)]
    pub model: String,
}

#[derive(Debug, Args)]
pub struct DraftArgs {
    /// Text file with the dictation; without it (and without --audio), standard input is read.
    #[arg(long, conflicts_with = "audio")]
    pub file: Option<PathBuf>,
    /// A spoken dictation (WAV): transcribed with the local speech model, then drafted.
    #[arg(long)]
    pub audio: Option<PathBuf>,
    /// Speech model for --audio: a manifest name or a folder (see `ablauf transcribe`).
    #[arg(long, env = "ABLAUF_SPEECH_MODEL", default_value = models::DEFAULT_SPEECH)]
    pub speech_model: String,
    #[command(flatten)]
    pub model: ModelArg,
    /// Store the draft (status `draft`) and add its id to the output.
    #[arg(long)]
    pub save: bool,
    /// Most tokens the model may write.
    #[arg(long, default_value_t = draft::DEFAULT_MAX_TOKENS)]
    pub max_tokens: usize,
    /// Who asks for the draft (recorded in history and audit log with --save).
    #[arg(long, env = "ABLAUF_AUTHOR", default_value = "cli")]
    pub author: String,
}

#[derive(Debug, Args)]
pub struct ReviewArgs {
    /// Process JSON file; "-" reads standard input.
    #[arg(long)]
    pub file: PathBuf,
    #[command(flatten)]
    pub model: ModelArg,
    /// Deterministic checks only, without the language model.
    #[arg(long)]
    pub no_llm: bool,
}

#[derive(Debug, Args)]
pub struct EvalArgs {
    #[command(subcommand)]
    pub command: EvalCommand,
}

#[derive(Debug, Subcommand)]
pub enum EvalCommand {
    /// Draft every case of the evaluation set and score the drafts against the gold processes
    /// (validity, step/role/decision precision-recall-F1, ordering, latency); prints JSON.
    Draft(EvalDraftArgs),
    /// Duplicate detection (precision, recall, F1) and catalogue coverage (recall@k); prints JSON.
    Duplicates(super::similarity::EvalDuplicatesArgs),
    /// Review against planted flaws: how many the checks find, how precise the model's findings
    /// are (clean-*.json, flawed-*.json and flaws.jsonl in one directory); prints JSON.
    Review(EvalReviewArgs),
    /// Speech to text: word error rate per voice and speed, compute per second of audio, and
    /// drafts from transcripts beside drafts from the reference text; prints JSON.
    Transcribe(super::speech::EvalTranscribeArgs),
    /// Two runs of `eval draft` on one set (their JSON output) compared case by case: each
    /// score's difference with a 95 % paired bootstrap interval, and how many cases gained or
    /// lost steps; prints JSON.
    Compare(EvalCompareArgs),
}

#[derive(Debug, Args)]
pub struct EvalCompareArgs {
    /// The earlier run's JSON.
    pub base: PathBuf,
    /// The later run's JSON.
    pub new: PathBuf,
    /// Compare the scores with names matched by meaning as well as by words.
    #[arg(long)]
    pub by_meaning: bool,
}

fn eval_compare(args: EvalCompareArgs) -> Result<ExitCode, CliError> {
    let read = |path: &PathBuf| {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?;
        eval::bootstrap::case_scores(&text, args.by_meaning)
            .map_err(|e| CliError::Input(format!("{}: {e}", path.display())))
    };
    print_json(&eval::bootstrap::compare(&read(&args.base)?, &read(&args.new)?))
}

#[derive(Debug, Args)]
pub struct EvalReviewArgs {
    #[command(flatten)]
    pub model: ModelArg,
    #[arg(long, default_value = "eval/draft-blind/review")]
    pub dir: PathBuf,
    /// Deterministic checks only.
    #[arg(long)]
    pub no_llm: bool,
}

fn eval_review(args: EvalReviewArgs) -> Result<ExitCode, CliError> {
    let cases = eval::review::load_cases(&args.dir).map_err(|e| CliError::Input(e.to_string()))?;
    let mut generator = if args.no_llm { None } else { Some(load_model(&args.model.model)?) };
    let report = eval::review::evaluate(generator.as_mut().map(|g| g as &mut dyn Generator), &cases);
    print_json(&report)
}

#[derive(Debug, Args)]
pub struct EvalDraftArgs {
    #[command(flatten)]
    pub model: ModelArg,
    /// Directory of evaluation cases.
    #[arg(long, default_value = "eval/draft/cases")]
    pub cases: PathBuf,
    /// Only the first N cases.
    #[arg(long)]
    pub limit: Option<usize>,
    #[arg(long, default_value_t = draft::DEFAULT_MAX_TOKENS)]
    pub max_tokens: usize,
    /// Tokens guessed ahead by prompt lookup per forward pass (0: none, for comparison).
    #[arg(long, default_value_t = llm::COPY_LOOKAHEAD)]
    pub lookahead: usize,
    /// Also run the structure check on the PET documents (JSON Lines) at this path.
    #[arg(long)]
    pub pet: Option<PathBuf>,
    /// PET documents to draft (the shortest first).
    #[arg(long, default_value_t = 5)]
    pub pet_limit: usize,
    /// Score the peer the drafting issue names instead of the model: every clause of the
    /// dictation pasted as a task (cut at sentence ends, bullets, arrows, "dann", ", wenn");
    /// no model is loaded.
    #[arg(long, conflicts_with = "pet")]
    pub clause_paste: bool,
    /// Leave out the second reading of the scores, names matched by meaning as well as by
    /// words (`by_meaning`), and so the embedding model it loads.
    #[arg(long)]
    pub words_only: bool,
    /// Reuse the answers recorded in this file for the requests asked before, and record the
    /// others there: for development only, to measure a change to how drafts are assembled in
    /// seconds. Latency then means nothing; report figures from a run without it.
    #[arg(long, conflicts_with = "clause_paste")]
    pub answers: Option<PathBuf>,
}

pub fn load_model(model: &str) -> Result<CandleGenerator, CliError> {
    eprintln!("loading model {model}");
    llm::load(model, Device::Cpu).map_err(classify)
}

fn draft_error(e: DraftError) -> CliError {
    match e {
        DraftError::Input(e) => CliError::Input(e.to_string()),
        DraftError::Llm(e) => classify(e),
        e => CliError::Failed(e.to_string()),
    }
}

fn show_line(line: &Line) {
    match line {
        Line::Title { title } => eprintln!("# {title}"),
        Line::Role { id, name } => eprintln!("@{id} {name}"),
        Line::Step(step) => eprintln!("{} {} {}", step.number, step.kind.as_str(), step.name),
        Line::Unreadable { .. } => {}
    }
}

/// The KV cache of the draft prompt's fixed part, kept next to the models: every `ablauf draft`
/// loads the model anew, and prefilling the ~700-token system prompt again would cost seconds.
fn prompt_cache(generator: &CandleGenerator) -> PathBuf {
    models::default_dir().join("cache").join(format!("{}.draft-prompt.safetensors", generator.model_id()))
}

/// How many leading tokens every draft prompt shares (the system prompt and the chat template's
/// opening of the user turn).
fn shared_prompt_tokens(generator: &CandleGenerator, prepared: &draft::PreparedDraft) -> Result<usize, CliError> {
    let warm_up = draft::warm_up_request().map_err(draft_error)?;
    let a = generator.prompt_tokens(&prepared.requests[0].messages).map_err(classify)?;
    let b = generator.prompt_tokens(&warm_up.messages).map_err(classify)?;
    Ok(a.iter().zip(&b).take_while(|(x, y)| x == y).count())
}

pub fn draft(data_dir: &Path, args: DraftArgs) -> Result<ExitCode, CliError> {
    let text = match &args.audio {
        Some(audio) => {
            let samples = super::speech::read_audio(audio)?;
            // The speech model is dropped before the language model loads.
            super::speech::transcribe_samples(&mut super::speech::load(&args.speech_model)?, &samples)?
        }
        None => read_text(args.file.as_deref().unwrap_or(Path::new("-")))?,
    };
    let prepared = draft::prepare(&text, args.max_tokens).map_err(draft_error)?;
    let mut generator = load_model(&args.model.model)?;
    let cache = prompt_cache(&generator);
    let restored = generator.load_prefix(&cache);
    let shared = shared_prompt_tokens(&generator, &prepared)?;
    let drafted = draft::run(&mut generator, prepared, &mut show_line).map_err(draft_error)?;
    if restored < generator.reusable(shared) {
        // Only a speed-up for the next call: a failure to write it is not the draft's failure.
        if let Err(e) = generator.save_prefix(&cache, shared) {
            tracing::warn!("cannot keep the prompt cache: {e}");
        }
    }
    let id = if args.save {
        let change = Change { author: &args.author, reason: "drafted from dictation", own_drafts_only: false };
        Some(drafted.save(&open_store(data_dir)?, &change)?.id)
    } else {
        None
    };
    print_json(&DraftAnswer { draft: drafted, id })
}

pub fn review(args: ReviewArgs) -> Result<ExitCode, CliError> {
    let path = &args.file;
    let process = process::parse(&read_text(path)?).map_err(|f| {
        CliError::Input(format!("{} is not a valid process at {:?}: {}", path.display(), f.path, f.message))
    })?;
    if args.no_llm {
        return print_json(&Review::checks_only(&process));
    }
    let Some(request) = review::llm::request(&process).map_err(|e| CliError::Failed(e.to_string()))? else {
        return print_json(&Review::checks_only(&process));
    };
    let mut generator = load_model(&args.model.model)?;
    let generation = generator.generate(&request, &mut |_| true).map_err(classify)?;
    print_json(&Review::with_llm(&process, &generation, generator.model_id()))
}

pub fn eval(args: EvalArgs) -> Result<ExitCode, CliError> {
    let args = match args.command {
        EvalCommand::Draft(args) => args,
        EvalCommand::Duplicates(args) => return super::similarity::eval_duplicates(args),
        EvalCommand::Review(args) => return eval_review(args),
        EvalCommand::Transcribe(args) => return super::speech::eval_transcribe(args),
        EvalCommand::Compare(args) => return eval_compare(args),
    };
    let input = |e: eval::EvalError| CliError::Input(e.to_string());
    let mut cases = eval_draft::load_cases(&args.cases).map_err(input)?;
    cases.truncate(args.limit.unwrap_or(cases.len()));
    let mut pet = args.pet.as_deref().map(eval_draft::load_pet).transpose().map_err(input)?.unwrap_or_default();
    pet.sort_by_key(|d| d.text.split_whitespace().count());
    pet.truncate(args.pet_limit);
    let show = &mut |r: &eval_draft::CaseResult| {
        let first = r.first_step_s.map(|s| format!("{s:.1}")).unwrap_or_else(|| "-".into());
        eprintln!(
            "{:<28} valid={} steps {}/{}/{} decisions {}/{}/{} roles {}/{}/{} ungrounded {} total {:.1}s first step {first}s {}",
            r.id,
            r.valid,
            r.score.steps.matched,
            r.score.steps.predicted,
            r.score.steps.gold,
            r.score.decisions.matched,
            r.score.decisions.predicted,
            r.score.decisions.gold,
            r.score.roles.matched,
            r.score.roles.predicted,
            r.score.roles.gold,
            r.grounding.ungrounded,
            r.total_s,
            r.error.as_deref().unwrap_or("")
        );
    };
    let embedder = if args.words_only { None } else { Some(super::similarity::load_embedder()?) };
    let meaning = embedder.as_ref().map(|e| MeaningMatcher::new(e));
    if args.clause_paste {
        let report = eval_draft::evaluate_clause_paste(&cases, meaning.as_ref(), show);
        return print_json(&serde_json::json!({ "draft": report }));
    }
    let mut model = load_model(&args.model.model)?;
    let mut recorded = None;
    let generator: &mut dyn Generator = match &args.answers {
        Some(path) => recorded.insert(RecordedGenerator::open(&mut model, path).map_err(input)?),
        None => &mut model,
    };
    let settings = eval_draft::DraftSettings { max_tokens: args.max_tokens, lookahead: args.lookahead };
    let report = eval_draft::evaluate(generator, &cases, settings, meaning.as_ref(), show);
    let pet = (!pet.is_empty()).then(|| {
        eval_draft::evaluate_pet(generator, &pet, settings, &mut |r| {
            eprintln!("{:<12} valid={} tasks {}/{} activities", r.id, r.valid, r.tasks, r.activities)
        })
    });
    let answers = recorded.map(|r| serde_json::json!({ "reused": r.reused, "asked": r.asked }));
    print_json(&serde_json::json!({ "draft": report, "pet": pet, "recorded_answers": answers }))
}
