//! `ablauf duplicates`, `duplicates decide|decisions`, `similar`, `gaps`, `reindex`, `eval duplicates`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};

use super::{CliError, Format, open_store, print_json, print_table};
use crate::embed::CandleEmbedder;
use crate::similarity::{
    Catalog, DUPLICATE_THRESHOLD, DecisionRequest, SharedCache, Similarity, SimilarityError, evaluate,
};
use crate::store::similarity::Decision;

#[derive(Debug, Args)]
pub struct DuplicatesArgs {
    #[command(subcommand)]
    pub command: Option<DuplicatesCommand>,
    /// Lowest judgement of a suggested pair, 0 to 1 (the default needs no tuning per corpus).
    #[arg(long, default_value_t = DUPLICATE_THRESHOLD)]
    pub threshold: f32,
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum DuplicatesCommand {
    /// Record a reviewer decision on a pair: duplicate, not_duplicate or related.
    Decide(DecideArgs),
    /// List recorded decisions, newest first.
    Decisions {
        /// Only decisions involving this process.
        #[arg(long)]
        process: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct DecideArgs {
    pub a: String,
    pub b: String,
    #[arg(value_parser = parse_decision)]
    pub decision: Decision,
    #[arg(long, default_value = "")]
    pub note: String,
    /// For `duplicate`: the process that stays; the other one is archived.
    #[arg(long)]
    pub survivor: Option<String>,
    /// Who decides (recorded with the decision and in the audit log).
    #[arg(long, env = "ABLAUF_AUTHOR", default_value = "cli")]
    pub author: String,
}

#[derive(Debug, Args)]
pub struct SimilarArgs {
    pub id: String,
    /// How many similar processes to list.
    #[arg(long, default_value_t = 5)]
    pub k: usize,
}

#[derive(Debug, Args)]
pub struct GapsArgs {
    /// Service catalogue (JSON Lines or CSV); default: the built-in LeiKa/OZG catalogue.
    #[arg(long)]
    pub catalog: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct EvalDuplicatesArgs {
    /// Corpus directory: processes/<id>.json, pairs.jsonl, catalog.jsonl, coverage.jsonl.
    #[arg(long, default_value = "eval/duplicates/corpus")]
    pub dir: PathBuf,
}

fn parse_decision(s: &str) -> Result<Decision, String> {
    s.parse()
}

pub fn duplicates(data_dir: &Path, args: DuplicatesArgs) -> Result<ExitCode, CliError> {
    match args.command {
        Some(DuplicatesCommand::Decide(d)) => {
            let request = DecisionRequest { a: d.a, b: d.b, decision: d.decision, survivor: d.survivor, note: d.note };
            print_json(&open(data_dir)?.decide(&request, &d.author).map_err(classify)?)
        }
        Some(DuplicatesCommand::Decisions { process }) => {
            print_json(&open_store(data_dir)?.decisions(process.as_deref())?)
        }
        None => {
            if !(0.0..=1.5).contains(&args.threshold) {
                return Err(CliError::Input(format!("--threshold must be between 0 and 1.5, got {}", args.threshold)));
            }
            let candidates = open(data_dir)?.duplicates(args.threshold).map_err(classify)?;
            match args.format {
                Format::Json => print_json(&candidates),
                Format::Table => print_table(
                    &["score", "a", "b", "a title", "b title"],
                    candidates.iter().map(|c| {
                        vec![format!("{:.3}", c.score), c.a.clone(), c.b.clone(), c.a_title.clone(), c.b_title.clone()]
                    }),
                ),
            }
        }
    }
}

pub fn similar(data_dir: &Path, args: SimilarArgs) -> Result<ExitCode, CliError> {
    print_json(&open(data_dir)?.similar(&args.id, args.k).map_err(classify)?)
}

pub fn gaps(data_dir: &Path, args: GapsArgs) -> Result<ExitCode, CliError> {
    let catalog = match &args.catalog {
        Some(path) => Catalog::load(path).map_err(classify)?,
        None => Catalog::default_catalog(),
    };
    let bar = counter("embedding the catalogue");
    let report = open(data_dir)?.gaps(&catalog, &|done, total| progress(&bar, done, total)).map_err(classify)?;
    bar.finish_and_clear();
    eprintln!("{} of {} services covered ({:.1} %)", report.covered, report.services, report.coverage * 100.0);
    match args.format {
        Format::Json => print_json(&report),
        Format::Table => print_table(
            &["topic", "services", "covered", "missing"],
            report.topics.iter().map(|t| {
                let missing: Vec<&str> = t.missing.iter().map(|s| s.name.as_str()).collect();
                vec![t.topic.clone(), t.services.to_string(), t.covered.to_string(), missing.join("; ")]
            }),
        ),
    }
}

/// Re-embeds what is stale, rebuilds or reconciles the index and saves it.
pub fn reindex(data_dir: &Path) -> Result<ExitCode, CliError> {
    let similarity = open(data_dir)?;
    similarity.save_index().map_err(classify)?;
    print_json(&similarity.sync(&|_, _| {}).map_err(classify)?)
}

/// `ablauf eval duplicates`: precision, recall and F1 of duplicate detection, recall@k of coverage.
pub fn eval_duplicates(args: EvalDuplicatesArgs) -> Result<ExitCode, CliError> {
    print_json(&evaluate(&args.dir, Arc::new(load_embedder()?)).map_err(classify)?)
}

/// The embedder users get ([`crate::embed::load`]), from the default models directory.
pub fn load_embedder() -> Result<CandleEmbedder, CliError> {
    crate::embed::load(&crate::models::default_dir()).map_err(|e| classify(e.into()))
}

/// Opens store, embedder and index, embedding whatever is stale (with a progress bar).
fn open(data_dir: &Path) -> Result<Similarity, CliError> {
    let store = Arc::new(open_store(data_dir)?);
    let bar = counter("embedding processes");
    let (mut similarity, report) =
        Similarity::open(store, Arc::new(load_embedder()?), &|done, total| progress(&bar, done, total))
            .map_err(classify)?;
    similarity.share_catalogues(SharedCache::new(&crate::models::default_dir()));
    bar.finish_and_clear();
    if report.embedded > 0 {
        eprintln!("embedded {} of {} processes with {}", report.embedded, report.processes, report.model);
    }
    Ok(similarity)
}

fn counter(message: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} eta {eta}")
            .expect("static template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(message.to_owned());
    bar
}

fn progress(bar: &indicatif::ProgressBar, done: usize, total: usize) {
    bar.set_length(total as u64);
    bar.set_position(done as u64);
}

fn classify(e: SimilarityError) -> CliError {
    match e {
        SimilarityError::Input(m) => CliError::Input(m),
        other => CliError::Failed(other.to_string()),
    }
}
