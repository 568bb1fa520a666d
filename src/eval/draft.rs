//! Evaluation of drafting against gold processes (`eval/draft/cases/`), and a structure check on
//! the English PET process-extraction documents.
//!
//! Labels are compared with a fuzzy match, because "Antrag prüfen" and "Prüfung des Antrags"
//! name the same step. Two labels match when their [`label_similarity`] is at least
//! [`MATCH_THRESHOLD`]; gold and predicted labels are paired greedily, best pair first, each
//! label used once. Steps are the tasks (start and end events are left out: their wording is
//! free), decisions and roles are matched by name. Precision, recall and F1 are micro-averaged
//! over all cases. Ordering accuracy is the share of pairs of matched steps that come in the same
//! order in the draft as in the gold process. A second reading pairs the names by meaning as well
//! ([`super::meaning`]), since the words miss the same work said in other words.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::meaning::MeaningMatcher;
use super::{EvalError, read_files};
use crate::compact::{convert, format};
use crate::draft::{Draft, DraftError};
use crate::llm::Generator;
use crate::process::{Process, StepType};

pub const MATCH_THRESHOLD: f64 = 0.5;

/// One dictation with its gold process.
#[derive(Debug, Clone)]
pub struct Case {
    pub id: String,
    pub service: String,
    pub style: String,
    pub dictation: String,
    pub gold: Process,
}

/// Reads every `*.txt` case of a directory: a header (`service:`, `style:`), then `---`, the
/// dictation, `---`, the gold process in the compact format.
pub fn load_cases(dir: &Path) -> Result<Vec<Case>, EvalError> {
    read_files(dir, "txt")?.into_iter().map(|(path, text)| parse_case(&path, &text)).collect()
}

fn parse_case(path: &Path, text: &str) -> Result<Case, EvalError> {
    let bad = |detail: &str| EvalError::Format { path: path.to_owned(), detail: detail.to_owned() };
    let parts: Vec<&str> = text.split("\n---\n").collect();
    let [header, dictation, gold] = parts.as_slice() else {
        return Err(bad("expected header, dictation and gold process separated by lines of ---"));
    };
    let field =
        |name: &str| header.lines().find_map(|l| l.strip_prefix(name)?.strip_prefix(':')).map(|v| v.trim().to_owned());
    let converted = convert::to_process(&format::parse(gold), Vec::new());
    if !converted.repairs.is_empty() {
        return Err(bad(&format!("gold process needs repairs: {:?}", converted.repairs)));
    }
    Ok(Case {
        id: path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default(),
        service: field("service").ok_or_else(|| bad("missing service:"))?,
        style: field("style").ok_or_else(|| bad("missing style:"))?,
        dictation: dictation.trim().to_owned(),
        gold: converted.process,
    })
}

const STOPWORDS: &[&str] = &[
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines", "und", "oder", "zu",
    "zum", "zur", "mit", "fuer", "von", "vom", "an", "am", "auf", "im", "in", "ist", "sind", "wird", "werden", "bei",
    "nach", "ueber", "aus", "durch", "ggf", "the", "a", "an", "of", "to", "and", "for", "is", "be",
];

/// Lowercase, umlauts folded, stopwords dropped, and a light German stemmer that maps
/// nominalisations to their verb ("Prüfung", "prüfen" → "pruef").
fn stems(label: &str) -> Vec<String> {
    let folded = label.to_lowercase().replace('ä', "ae").replace('ö', "oe").replace('ü', "ue").replace('ß', "ss");
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty() && !STOPWORDS.contains(w))
        .map(|w| {
            ["ungen", "ung", "en", "er", "es", "e", "n", "s"]
                .iter()
                .find_map(|suffix| w.strip_suffix(suffix).filter(|stem| stem.chars().count() >= 4))
                .unwrap_or(w)
                .to_owned()
        })
        .collect()
}

fn trigrams(stems: &[String]) -> HashSet<String> {
    let joined: Vec<char> = format!("  {}  ", stems.join(" ")).chars().collect();
    joined.windows(3).map(|w| w.iter().collect()).collect()
}

/// The larger of the Dice coefficient of the stem sets and the Jaccard index of character
/// trigrams of the stemmed labels (which catches compounds: "Ausweis" ~ "Parkausweis").
pub fn label_similarity(a: &str, b: &str) -> f64 {
    let (sa, sb) = (stems(a), stems(b));
    if sa.is_empty() || sb.is_empty() {
        return 0.0;
    }
    let (wa, wb): (HashSet<&String>, HashSet<&String>) = (sa.iter().collect(), sb.iter().collect());
    let dice = 2.0 * wa.intersection(&wb).count() as f64 / (wa.len() + wb.len()) as f64;
    let (ta, tb) = (trigrams(&sa), trigrams(&sb));
    let jaccard = ta.intersection(&tb).count() as f64 / ta.union(&tb).count() as f64;
    dice.max(jaccard)
}

/// Pairs gold and predicted labels by their [`label_similarity`]; returns (gold index, predicted
/// index).
pub fn match_labels(gold: &[&str], predicted: &[&str]) -> Vec<(usize, usize)> {
    pair_greedily(gold.len(), predicted.len(), |g, p| label_similarity(gold[g], predicted[p]), MATCH_THRESHOLD)
}

/// Pairs `gold` items with `predicted` ones whose `similarity` reaches `threshold`, best pair
/// first, each item used once; returns (gold index, predicted index) in gold order.
pub(crate) fn pair_greedily(
    gold: usize,
    predicted: usize,
    similarity: impl Fn(usize, usize) -> f64,
    threshold: f64,
) -> Vec<(usize, usize)> {
    let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
    for g in 0..gold {
        for p in 0..predicted {
            let s = similarity(g, p);
            if s >= threshold {
                candidates.push((s, g, p));
            }
        }
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
    let (mut used_g, mut used_p) = (HashSet::new(), HashSet::new());
    let mut pairs = Vec::new();
    for (_, g, p) in candidates {
        // Both sides are checked before either is marked: a gold item whose best partner is
        // taken stays free for its next one.
        if !used_g.contains(&g) && !used_p.contains(&p) {
            used_g.insert(g);
            used_p.insert(p);
            pairs.push((g, p));
        }
    }
    pairs.sort_unstable();
    pairs
}

/// Counts for precision and recall.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct Counts {
    pub matched: usize,
    pub predicted: usize,
    pub gold: usize,
}

impl Counts {
    fn add(&mut self, other: Counts) {
        self.matched += other.matched;
        self.predicted += other.predicted;
        self.gold += other.gold;
    }

    pub fn scores(&self) -> Prf {
        let ratio = |a: usize, b: usize| if b == 0 { 1.0 } else { a as f64 / b as f64 };
        let (precision, recall) = (ratio(self.matched, self.predicted), ratio(self.matched, self.gold));
        let f1 = if precision + recall == 0.0 { 0.0 } else { 2.0 * precision * recall / (precision + recall) };
        Prf { precision, recall, f1 }
    }
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

/// How one draft compares with its gold process.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
pub struct CaseScore {
    pub steps: Counts,
    pub roles: Counts,
    pub decisions: Counts,
    /// Pairs of matched steps in the gold order, and how many of them the draft keeps in order.
    pub ordered_pairs: usize,
    pub ordered_pairs_kept: usize,
}

impl CaseScore {
    /// The scores of many cases summed, for micro-averaged figures.
    pub(crate) fn total<'a>(scores: impl Iterator<Item = &'a CaseScore>) -> CaseScore {
        let mut sum = CaseScore::default();
        for s in scores {
            sum.steps.add(s.steps);
            sum.roles.add(s.roles);
            sum.decisions.add(s.decisions);
            sum.ordered_pairs += s.ordered_pairs;
            sum.ordered_pairs_kept += s.ordered_pairs_kept;
        }
        sum
    }
}

/// What a name belongs to: the three lists a draft is scored on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Task,
    Decision,
    Role,
}

/// The names of one kind in `process`, in order.
fn names(process: &Process, kind: NameKind) -> Vec<&str> {
    let steps =
        |step_type: StepType| process.steps.iter().filter(move |s| s.kind == step_type).map(|s| s.name.as_str());
    match kind {
        NameKind::Task => steps(StepType::Task).collect(),
        NameKind::Decision => steps(StepType::Decision).collect(),
        NameKind::Role => process.roles.iter().map(|r| r.name.as_str()).collect(),
    }
}

/// Scores `predicted` against `gold` with the word matcher ([`match_labels`]).
pub fn score(gold: &Process, predicted: &Process) -> CaseScore {
    score_by(gold, predicted, &mut |_, g, p| match_labels(g, p))
}

/// Pairs gold names with predicted names of one kind: (gold index, predicted index).
pub(crate) type Pairing<'a> = dyn FnMut(NameKind, &[&str], &[&str]) -> Vec<(usize, usize)> + 'a;

/// Scores `predicted` against `gold`, pairing the names of each kind with `pair`.
pub(crate) fn score_by(gold: &Process, predicted: &Process, pair: &mut Pairing) -> CaseScore {
    let mut counts = |kind: NameKind| {
        let (g, p) = (names(gold, kind), names(predicted, kind));
        let pairs = pair(kind, &g, &p);
        (Counts { matched: pairs.len(), predicted: p.len(), gold: g.len() }, pairs)
    };
    let (steps, pairs) = counts(NameKind::Task);
    let (roles, _) = counts(NameKind::Role);
    let (decisions, _) = counts(NameKind::Decision);
    let mut score = CaseScore { steps, roles, decisions, ..CaseScore::default() };
    for (i, a) in pairs.iter().enumerate() {
        for b in &pairs[i + 1..] {
            score.ordered_pairs += 1;
            if a.1 < b.1 {
                score.ordered_pairs_kept += 1;
            }
        }
    }
    score
}

/// Whether a step name holds a content word of the dictation: two stems agree when one begins
/// with the other and the shorter has at least four letters ("pruef" ~ "prueft").
fn grounded(name: &str, dictation_stems: &HashSet<String>) -> bool {
    stems(name).iter().filter(|s| s.chars().count() >= 3).any(|s| {
        dictation_stems.iter().any(|d| {
            let (short, long) = if d.len() <= s.len() { (d, s) } else { (s, d) };
            short == long || (short.chars().count() >= 4 && long.starts_with(short.as_str()))
        })
    })
}

/// How far a draft stays with its dictation.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Grounding {
    /// Tasks and decisions drafted.
    pub named: usize,
    /// Of those, the ones whose name shares no content word with the dictation.
    pub ungrounded: usize,
    /// Tasks and decisions whose name repeats an earlier one.
    pub repeated: usize,
    /// Of those, the ones whose role is the earlier one's too: the same step line twice. A
    /// name repeated by another role may be right ("Über Stundung entscheiden" by the clerk
    /// below a limit, by the treasurer above it), as 7 of the 203 development golds have it.
    pub repeated_lines: usize,
}

pub fn grounding(process: &Process, dictation: &str) -> Grounding {
    let dictation_stems: HashSet<String> = stems(dictation).into_iter().collect();
    let (mut names, mut lines) = (HashSet::new(), HashSet::new());
    let mut out = Grounding::default();
    for step in process.steps.iter().filter(|s| matches!(s.kind, StepType::Task | StepType::Decision)) {
        out.named += 1;
        out.ungrounded += usize::from(!grounded(&step.name, &dictation_stems));
        let name = step.name.trim().to_lowercase();
        out.repeated += usize::from(!names.insert(name.clone()));
        out.repeated_lines += usize::from(!lines.insert((step.role.clone(), name)));
    }
    out
}

/// The outcome of one case.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    pub id: String,
    pub style: String,
    pub words: usize,
    /// The draft parsed and validated without errors.
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub score: CaseScore,
    /// The score with names matched by words and meaning, where an embedder was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_meaning: Option<CaseScore>,
    pub grounding: Grounding,
    pub total_s: f64,
    pub first_step_s: Option<f64>,
    pub new_tokens: usize,
    pub repairs: Vec<String>,
    pub compact: String,
    /// The clauses the dictation was cut into, with the model's answers.
    pub clauses: Vec<crate::draft::ClauseAnswer>,
    /// Gold tasks and decisions the draft has no match for, and drafted ones without a gold match,
    /// paired as `by_meaning` is where it is scored, else by words.
    pub missed: Vec<String>,
    pub extra: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub max: f64,
}

fn percentiles(mut values: Vec<f64>) -> Option<Percentiles> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let at = |q: f64| nearest_rank(&values, q);
    Some(Percentiles { p50: at(0.5), p90: at(0.9), max: at(1.0) })
}

/// The `q` quantile of sorted, non-empty `values` by nearest rank.
pub(crate) fn nearest_rank(values: &[f64], q: f64) -> f64 {
    values[((q * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1]
}

#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    pub model_id: String,
    pub template_sha256: String,
    pub cases: usize,
    pub validity_rate: f64,
    /// Names matched by words ([`match_labels`]).
    #[serde(flatten)]
    pub scores: Scores,
    /// Names matched by words and meaning ([`super::meaning`]), where an embedder was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_meaning: Option<Scores>,
    /// Share of drafted tasks and decisions whose name shares no content word with the dictation.
    pub ungrounded_rate: f64,
    /// Drafts with a task or decision name written twice.
    pub drafts_with_repeats: usize,
    /// Drafts with a step line written twice: the same name by the same role.
    pub drafts_with_repeated_lines: usize,
    pub latency_s: Option<Percentiles>,
    pub first_step_s: Option<Percentiles>,
    pub mean_new_tokens: f64,
    /// Generated tokens per second after the first (guessed tokens the model confirmed count).
    pub mean_decode_tok_s: f64,
    /// Tokens guessed ahead per forward pass, and the share of guesses the model confirmed.
    pub lookahead: usize,
    pub guesses_accepted: f64,
    pub repairs_per_draft: f64,
    pub results: Vec<CaseResult>,
}

/// Micro-averaged scores of many drafts.
#[derive(Debug, Clone, Serialize)]
pub struct Scores {
    pub steps: Prf,
    pub roles: Prf,
    pub decisions: Prf,
    /// 95 % intervals of the step, decision and role scores, resampled by case
    /// ([`super::bootstrap`]).
    pub intervals: BTreeMap<&'static str, super::bootstrap::Interval>,
    pub ordering_accuracy: f64,
}

impl Scores {
    fn of(scores: &[CaseScore]) -> Scores {
        let total = CaseScore::total(scores.iter());
        Scores {
            steps: total.steps.scores(),
            roles: total.roles.scores(),
            decisions: total.decisions.scores(),
            intervals: super::bootstrap::intervals(scores),
            ordering_accuracy: if total.ordered_pairs == 0 {
                1.0
            } else {
                total.ordered_pairs_kept as f64 / total.ordered_pairs as f64
            },
        }
    }
}

/// How the evaluation drafts: the answer budget and the prompt-lookup depth (0 drafts without it,
/// for comparison).
#[derive(Debug, Clone, Copy)]
pub struct DraftSettings {
    pub max_tokens: usize,
    pub lookahead: usize,
}

fn draft(generator: &mut dyn Generator, text: &str, settings: DraftSettings) -> Result<Draft, DraftError> {
    let mut prepared = crate::draft::prepare(text, settings.max_tokens)?;
    for request in &mut prepared.requests {
        request.lookahead = settings.lookahead;
    }
    crate::draft::run(generator, prepared, &mut |_| {})
}

/// Drafts every case with `generator` and scores the drafts; `on_result` sees each case as it ends.
pub fn evaluate(
    generator: &mut dyn Generator,
    cases: &[Case],
    settings: DraftSettings,
    meaning: Option<&MeaningMatcher>,
    on_result: &mut dyn FnMut(&CaseResult),
) -> EvalReport {
    // As the server does at start, so that the first case does not pay for the system prompt.
    let warmed = crate::draft::warm_up_request()
        .map_err(|e| e.to_string())
        .and_then(|request| generator.generate(&request, &mut |_| true).map_err(|e| e.to_string()));
    if let Err(e) = warmed {
        tracing::warn!("warming the prompt cache failed, the first case pays for it: {e}");
    }
    let drafter = Drafter {
        model_id: generator.model_id().to_owned(),
        template_sha256: crate::prompt::PromptTemplate::DRAFT.sha256(),
        lookahead: settings.lookahead,
    };
    score_drafts(drafter, cases, &mut |text| draft(generator, text, settings), meaning, on_result)
}

/// Scores the clause-paste peer ([`super::peer`]) on every case, like the model's drafts.
pub fn evaluate_clause_paste(
    cases: &[Case],
    meaning: Option<&MeaningMatcher>,
    on_result: &mut dyn FnMut(&CaseResult),
) -> EvalReport {
    let drafter = Drafter { model_id: super::peer::PEER_ID.to_owned(), template_sha256: String::new(), lookahead: 0 };
    score_drafts(drafter, cases, &mut |text| Ok(super::peer::draft(text)), meaning, on_result)
}

/// What drafted the cases, as the report names it.
struct Drafter {
    model_id: String,
    template_sha256: String,
    lookahead: usize,
}

/// Drafts every case with `draft_case` and scores the drafts into a report.
fn score_drafts(
    drafter: Drafter,
    cases: &[Case],
    draft_case: &mut dyn FnMut(&str) -> Result<Draft, DraftError>,
    meaning: Option<&MeaningMatcher>,
    on_result: &mut dyn FnMut(&CaseResult),
) -> EvalReport {
    let mut results = Vec::new();
    let mut decode_rates = Vec::new();
    let (mut guessed, mut accepted) = (0, 0);
    for case in cases {
        let outcome = draft_case(&case.dictation);
        let result = case_result(case, &outcome, meaning);
        if let Ok(draft) = &outcome {
            decode_rates.push(draft.stats.generation.decode_tok_s);
            guessed += draft.stats.generation.guessed_tokens;
            accepted += draft.stats.generation.accepted_guesses;
        }
        on_result(&result);
        results.push(result);
    }
    let scores: Vec<CaseScore> = results.iter().map(|r| r.score).collect();
    let by_meaning: Option<Vec<CaseScore>> = results.iter().map(|r| r.by_meaning).collect();
    let n = results.len().max(1) as f64;
    let drafted: Vec<&CaseResult> = results.iter().filter(|r| r.error.is_none()).collect();
    EvalReport {
        model_id: drafter.model_id,
        template_sha256: drafter.template_sha256,
        cases: results.len(),
        validity_rate: results.iter().filter(|r| r.valid).count() as f64 / n,
        scores: Scores::of(&scores),
        by_meaning: meaning.and(by_meaning).map(|s| Scores::of(&s)),
        ungrounded_rate: results.iter().map(|r| r.grounding.ungrounded).sum::<usize>() as f64
            / results.iter().map(|r| r.grounding.named).sum::<usize>().max(1) as f64,
        drafts_with_repeats: results.iter().filter(|r| r.grounding.repeated > 0).count(),
        drafts_with_repeated_lines: results.iter().filter(|r| r.grounding.repeated_lines > 0).count(),
        latency_s: percentiles(drafted.iter().map(|r| r.total_s).collect()),
        first_step_s: percentiles(drafted.iter().filter_map(|r| r.first_step_s).collect()),
        mean_new_tokens: drafted.iter().map(|r| r.new_tokens as f64).sum::<f64>() / drafted.len().max(1) as f64,
        mean_decode_tok_s: decode_rates.iter().sum::<f64>() / decode_rates.len().max(1) as f64,
        lookahead: drafter.lookahead,
        guesses_accepted: accepted as f64 / guessed.max(1) as f64,
        repairs_per_draft: drafted.iter().map(|r| r.repairs.len() as f64).sum::<f64>() / drafted.len().max(1) as f64,
        results,
    }
}

/// The gold tasks and decisions without a drafted match, and the drafted ones without a gold
/// match, names paired by `pair` (by meaning where the scores are, so the lists explain them).
fn unmatched(gold: &Process, predicted: &Process, pair: &mut Pairing) -> (Vec<String>, Vec<String>) {
    let (mut missed, mut extra) = (Vec::new(), Vec::new());
    for kind in [NameKind::Task, NameKind::Decision] {
        let (g, p) = (names(gold, kind), names(predicted, kind));
        let pairs = pair(kind, &g, &p);
        missed
            .extend(g.iter().enumerate().filter(|(i, _)| !pairs.iter().any(|m| m.0 == *i)).map(|(_, l)| l.to_string()));
        extra
            .extend(p.iter().enumerate().filter(|(i, _)| !pairs.iter().any(|m| m.1 == *i)).map(|(_, l)| l.to_string()));
    }
    (missed, extra)
}

fn case_result(case: &Case, outcome: &Result<Draft, DraftError>, meaning: Option<&MeaningMatcher>) -> CaseResult {
    let words = case.dictation.split_whitespace().count();
    let predicted = outcome.as_ref().map(|d| d.process.clone()).unwrap_or_default();
    let score = score(&case.gold, &predicted);
    let (missed, extra) = match meaning {
        Some(m) => unmatched(&case.gold, &predicted, &mut |kind, g, p| m.pairs(kind, g, p).unwrap_or_default()),
        None => unmatched(&case.gold, &predicted, &mut |_, g, p| match_labels(g, p)),
    };
    let by_meaning = meaning.and_then(|m| {
        m.score(&case.gold, &predicted)
            .inspect_err(|e| tracing::warn!("{}: names not matched by meaning: {e}", case.id))
            .ok()
    });
    match outcome {
        Ok(draft) => CaseResult {
            id: case.id.clone(),
            style: case.style.clone(),
            words,
            valid: crate::process::validate(&draft.process).valid,
            error: None,
            score,
            by_meaning,
            grounding: grounding(&draft.process, &case.dictation),
            total_s: draft.stats.total_s,
            first_step_s: draft.stats.first_step_s,
            new_tokens: draft.stats.generation.new_tokens,
            repairs: draft.repairs.iter().map(|f| f.code.clone()).collect(),
            compact: draft.compact.clone(),
            clauses: draft.clauses.clone(),
            missed,
            extra,
        },
        Err(e) => CaseResult {
            id: case.id.clone(),
            style: case.style.clone(),
            words,
            valid: false,
            error: Some(e.to_string()),
            score,
            by_meaning,
            grounding: Grounding::default(),
            total_s: 0.0,
            first_step_s: None,
            new_tokens: 0,
            repairs: Vec::new(),
            compact: String::new(),
            clauses: Vec::new(),
            missed,
            extra,
        },
    }
}

/// One PET document reduced to what a draft can be compared with.
#[derive(Debug, Clone)]
pub struct PetDocument {
    pub id: String,
    pub text: String,
    pub activities: usize,
    pub actors: usize,
    pub xor_gateways: usize,
}

/// Reads the PET JSON Lines file: activities and XOR gateways are counted from the mentions,
/// actors from the entities (coreferent mentions form one entity).
pub fn load_pet(path: &Path) -> Result<Vec<PetDocument>, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io { path: path.to_owned(), source })?;
    let bad = |detail: String| EvalError::Format { path: path.to_owned(), detail };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let doc: serde_json::Value = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
            let mentions = doc["mentions"].as_array().ok_or_else(|| bad("a document without mentions".into()))?;
            let ner = |i: usize| mentions.get(i).and_then(|m| m["ner"].as_str()).unwrap_or("");
            let count = |kind: &str| (0..mentions.len()).filter(|&i| ner(i) == kind).count();
            let actors = doc["entities"]
                .as_array()
                .map(|entities| {
                    entities
                        .iter()
                        .filter_map(|e| e["mention_indices"].get(0)?.as_u64())
                        .filter(|&i| ner(i as usize) == "Actor")
                        .count()
                })
                .unwrap_or(0);
            Ok(PetDocument {
                id: doc["id"].as_str().unwrap_or_default().to_owned(),
                text: doc["text"].as_str().unwrap_or_default().to_owned(),
                activities: count("Activity"),
                actors,
                xor_gateways: count("XOR Gateway"),
            })
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct PetResult {
    pub id: String,
    pub words: usize,
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub activities: usize,
    pub tasks: usize,
    pub actors: usize,
    pub roles: usize,
    pub xor_gateways: usize,
    pub decisions: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct PetReport {
    pub documents: usize,
    pub validity_rate: f64,
    /// Mean of |tasks − activities| / activities.
    pub task_count_relative_error: f64,
    /// Mean of |roles − actors|.
    pub role_count_abs_error: f64,
    /// Share of documents where "has a decision" agrees with "has an XOR gateway".
    pub decision_presence_agreement: f64,
    pub results: Vec<PetResult>,
}

/// The structure check: PET's gold has no process graph comparable to ours, so counts are compared.
pub fn evaluate_pet(
    generator: &mut dyn Generator,
    documents: &[PetDocument],
    settings: DraftSettings,
    on_result: &mut dyn FnMut(&PetResult),
) -> PetReport {
    let mut results = Vec::new();
    for doc in documents {
        let outcome = draft(generator, &doc.text, settings);
        let (valid, error, process) = match outcome {
            Ok(draft) => (crate::process::validate(&draft.process).valid, None, draft.process),
            Err(e) => (false, Some(e.to_string()), Process::default()),
        };
        let result = PetResult {
            id: doc.id.clone(),
            words: doc.text.split_whitespace().count(),
            valid,
            error,
            activities: doc.activities,
            tasks: names(&process, NameKind::Task).len(),
            actors: doc.actors,
            roles: process.roles.len(),
            xor_gateways: doc.xor_gateways,
            decisions: names(&process, NameKind::Decision).len(),
        };
        on_result(&result);
        results.push(result);
    }
    let n = results.len().max(1) as f64;
    let mean = |f: &dyn Fn(&PetResult) -> f64| results.iter().map(f).sum::<f64>() / n;
    PetReport {
        documents: results.len(),
        validity_rate: mean(&|r| f64::from(u8::from(r.valid))),
        task_count_relative_error: mean(&|r| r.tasks.abs_diff(r.activities) as f64 / r.activities.max(1) as f64),
        role_count_abs_error: mean(&|r| r.roles.abs_diff(r.actors) as f64),
        decision_presence_agreement: mean(&|r| f64::from(u8::from((r.decisions > 0) == (r.xor_gateways > 0)))),
        results,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzzy_match_accepts_paraphrases_and_rejects_other_steps() {
        assert!(label_similarity("Antrag prüfen", "Prüfung des Antrags") >= MATCH_THRESHOLD);
        assert!(label_similarity("Parkausweis ausstellen", "Ausweis ausstellen") >= MATCH_THRESHOLD);
        assert!(label_similarity("Sachbearbeitung Bürgerbüro", "Bürgerbüro") >= MATCH_THRESHOLD);
        assert!(label_similarity("Antrag prüfen", "Gebühr bezahlen") < MATCH_THRESHOLD);
        assert!(label_similarity("Bescheid versenden", "Antrag ablehnen") < MATCH_THRESHOLD);
        assert_eq!(label_similarity("", "x"), 0.0);
    }

    #[test]
    fn matching_is_one_to_one_and_ordering_counts_pairs() {
        let gold = convert::to_process(
            &format::parse("# T\n@a Bürgeramt\n1 start: x\n2 task a: Antrag prüfen\n3 task a: Gebühr erheben\n4 task a: Bescheid versenden\n5 end: y\n"),
            Vec::new(),
        )
        .process;
        let draft = convert::to_process(
            &format::parse("# T\n@a Bürgeramt\n1 start: x\n2 task a: Bescheid versenden\n3 task a: Antrag prüfen\n4 task a: Akte anlegen\n5 end: y\n"),
            Vec::new(),
        )
        .process;
        let s = score(&gold, &draft);
        assert_eq!((s.steps.matched, s.steps.predicted, s.steps.gold), (2, 3, 3));
        assert_eq!((s.ordered_pairs, s.ordered_pairs_kept), (1, 0));
        assert_eq!(s.roles.matched, 1);
        let prf = s.steps.scores();
        assert!((prf.f1 - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn an_item_whose_best_partner_is_taken_pairs_with_its_next() {
        let similarity = |g: usize, p: usize| [[0.9, 0.2], [0.8, 0.6]][g][p];
        assert_eq!(pair_greedily(2, 2, similarity, 0.5), vec![(0, 0), (1, 1)]);
        assert_eq!(pair_greedily(2, 2, similarity, 0.7), vec![(0, 0)]);
    }

    #[test]
    fn grounding_counts_names_without_a_dictated_word_and_repeats() {
        let mut draft = convert::to_process(
            &format::parse("# T\n@a Amt\n1 start: x\n2 task a: Antrag prüfen\n3 task a: Rechnung stellen\n4 task a: Bescheid senden\n5 end: y\n"),
            Vec::new(),
        )
        .process;
        draft.steps[3].name = "Antrag prüfen".into();
        let dictation = "Der Antrag wird vom Amt geprüft und dann beschieden.";
        let g = grounding(&draft, dictation);
        assert_eq!((g.named, g.ungrounded, g.repeated, g.repeated_lines), (3, 1, 1, 1));
        draft.steps[3].role = Some("kasse".into());
        assert_eq!(grounding(&draft, dictation).repeated_lines, 0);
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let p = percentiles((1..=10).map(f64::from).collect()).unwrap();
        assert_eq!((p.p50, p.p90, p.max), (5.0, 9.0, 10.0));
        assert!(percentiles(Vec::new()).is_none());
    }

    #[test]
    fn every_case_of_every_drafting_set_loads() {
        let eval = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/eval"));
        let sets = [
            "draft",
            "draft-dev2",
            "draft-dev3",
            "draft-dev4",
            "draft-dev5",
            "draft-blind",
            "draft-blind2",
            "draft-blind3",
        ];
        for set in sets {
            let cases = load_cases(&eval.join(set).join("cases")).unwrap();
            assert!(cases.len() >= 20, "{set}: {} cases", cases.len());
            for case in &cases {
                assert!(crate::draft::input::check(&case.dictation).is_ok(), "{set}/{}", case.id);
                assert!(crate::process::validate(&case.gold).valid, "{set}/{}", case.id);
            }
        }
    }
}
