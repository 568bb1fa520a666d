//! Drafting a [`Process`] from a clerk's dictation with the local language model.
//!
//! The pipeline: [`prepare`] checks the input, cuts it into clauses ([`clauses`]) and builds
//! one grammar-constrained request per clause (the clause alone) plus a closing one that sees
//! the dictation's first and last clauses (trigger, outcome, title); the engine runs them as
//! one job over the cached system prompt (streamed lines can be shown as they arrive, see
//! [`DraftProgress`]); [`PreparedDraft::finish`] puts the answers together ([`assemble`]),
//! converts them into a process, repairs what is left ([`convert`]) and runs the deterministic
//! review. The result always validates without errors.
//!
//! Clause by clause, because a 1.5B model asked to rewrite a whole dictation at once drops
//! half of its steps, copies its prompt's examples and loses conditions (docs/drafting.md).

mod abbreviations;
pub mod actors;
pub mod assemble;
pub mod checks;
pub mod clauses;
pub mod input;
pub mod naming;
mod reference;
pub mod roles;

use std::cell::RefCell;
use std::time::Instant;

use serde::Serialize;

pub use crate::compact::Line;
pub use input::InputError;

use crate::compact::convert;
use crate::compact::format::{self, ClauseOptions, StepLine};
use crate::llm::{FinishReason, GenerateRequest, Generation, GenerationStats, Generator, LlmError, Sampling};
use crate::process::{Finding, Process, StepType};
use crate::prompt::{PromptError, PromptTemplate};
use crate::review::{self, ReviewFinding};
use crate::store::drafts::DraftRecord;
use crate::store::{Change, Saved, Store, StoreError};
use clauses::{Clause, ClauseKind};

/// New tokens a whole draft may take: a clause's lines take 10–40, a 100-word dictation has
/// 8–14 clauses.
pub const DEFAULT_MAX_TOKENS: usize = 600;

/// New tokens for one clause's answer (three step lines).
const CLAUSE_MAX_TOKENS: usize = 80;

/// New tokens for the closing answer (trigger, outcome and title).
const CLOSING_MAX_TOKENS: usize = 60;

/// What the closing request asks about, in place of a clause.
const CLOSING_CLAUSE: &str = "(Auslöser, Ergebnis und Titel)";

#[derive(Debug, thiserror::Error)]
pub enum DraftError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error(transparent)]
    Prompt(#[from] PromptError),
    #[error(transparent)]
    Llm(#[from] LlmError),
    #[error("the model wrote no steps (answer: {0:?})")]
    NoSteps(String),
    #[error("the draft was cancelled")]
    Cancelled,
}

/// A finished draft.
#[derive(Debug, Clone, Serialize)]
pub struct Draft {
    pub process: Process,
    /// Review findings of the drafted process (deterministic checks).
    pub findings: Vec<ReviewFinding>,
    /// What post-processing changed to make the model's answer a valid process.
    pub repairs: Vec<Finding>,
    pub stats: DraftStats,
    /// The model's answers put together in the compact format, before repairs.
    pub compact: String,
    /// The clauses the dictation was cut into, each with the model's answer about it.
    pub clauses: Vec<ClauseAnswer>,
    #[serde(skip)]
    pub dictation: String,
}

/// One clause of the dictation and what the model answered about it (step lines or `skip`).
#[derive(Debug, Clone, Serialize)]
pub struct ClauseAnswer {
    pub clause: String,
    pub answer: String,
}

/// A draft as clients get it (`ablauf draft`, `POST /api/draft`): the draft and, once stored, its id.
#[derive(Debug, Clone, Serialize)]
pub struct DraftAnswer {
    #[serde(flatten)]
    pub draft: Draft,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DraftStats {
    pub model_id: String,
    /// sha256 of the prompt template (`prompts/draft.j2`) that produced the draft.
    pub template_sha256: String,
    pub finish: FinishReason,
    /// Seconds from the request until the first complete step line.
    pub first_step_s: Option<f64>,
    /// Seconds from the request until the draft was ready (queueing included).
    pub total_s: f64,
    pub generation: GenerationStats,
}

/// A checked dictation and the requests to send to the engine, in order.
#[derive(Debug, Clone)]
pub struct PreparedDraft {
    pub requests: Vec<GenerateRequest>,
    /// New tokens all requests together may take.
    pub max_tokens: usize,
    clauses: Vec<Clause>,
    /// Per clause, its answer where a rule gives it (remarks: `skip`, see [`checks`]);
    /// a request asks about each of the others.
    ruled: Vec<Option<String>>,
    /// Per clause, its part in a check (see [`checks`]).
    checks: Vec<Option<checks::Check>>,
    dictation: String,
    /// Words of the prompt's examples the dictation does not say (see [`assemble::foreign_words`]).
    foreign: Vec<String>,
    legal_basis: Vec<String>,
    started: Instant,
}

/// A one-token draft request: running it puts the fixed system prompt into the engine's prefix
/// cache before the first clerk waits for it (it is most of the prompt, and prefill is the slow
/// part on a CPU).
pub fn warm_up_request() -> Result<GenerateRequest, DraftError> {
    let mut prepared = prepare("Antrag prüfen, dann Bescheid senden.", 1)?;
    let mut request = prepared.requests.swap_remove(0);
    request.max_tokens = 1;
    Ok(request)
}

fn request(
    dictation: &str,
    clause: &str,
    grammar: String,
    max_tokens: usize,
    first: bool,
) -> Result<GenerateRequest, DraftError> {
    Ok(GenerateRequest {
        messages: PromptTemplate::DRAFT.messages(minijinja::context! { dictation, clause })?,
        grammar: Some(grammar),
        max_tokens,
        stop: Vec::new(),
        sampling: Sampling::GREEDY,
        lookahead: crate::llm::COPY_LOOKAHEAD,
        repeated_lines_limit: 0,
        // The first request starts from the cached system prompt alone, so a dictation drafts
        // the same whatever ran before; the others may reuse what it left in the cache.
        reuse_unaligned_prefix: !first,
    })
}

/// Checks a dictation and builds the constrained requests for it.
pub fn prepare(dictation: &str, max_tokens: usize) -> Result<PreparedDraft, DraftError> {
    let started = Instant::now();
    let dictation = input::check(dictation)?;
    // Read as written out; the draft keeps the dictation as it was given.
    let text = abbreviations::spelled_out(dictation);
    let mut clauses = clauses::split(&text);
    if clauses.is_empty() {
        clauses.push(Clause { text: format::collapse_whitespace(&text), kind: ClauseKind::Plain, negated: false });
    }
    let speaker = actors::speaker(&text);
    let mut roles = roles::candidates(&text);
    // The speaker's unit first, though its name may be no unit's by its words
    // ("Lohnpfändung, Entgeltabrechnung"): the work no clause gives anyone is most often its.
    if let Some(unit) = &speaker
        && !roles.iter().any(|r| format::same_text(r, unit))
    {
        roles.insert(0, unit.clone());
    }
    // A clause alone does not say who works on it: where the dictation names no unit, the model
    // named what the clause was about ("Personalausweis", "Weiterleitung").
    if roles.is_empty() {
        roles.push(roles::UNNAMED.to_owned());
    }
    let checks = checks::mark(&mut clauses);
    let mut requests = Vec::with_capacity(clauses.len() + 1);
    // Remarks on frequency and duration are not asked about, unless nothing else is dictated,
    // nor the trigger (the closing request names the start), nor work said to be another
    // process's (with the clause such a remark is about), nor a heading (the closing request
    // names the title), nor a bare "wenn ja" that opens a branch, nor a clause that says only
    // who works (they hold no work).
    let remark: Vec<bool> = if clauses.iter().all(Clause::is_statistic) {
        vec![false; clauses.len()]
    } else {
        let branch_only = |c: &Clause| c.kind == ClauseKind::Otherwise && c.refers_back();
        clauses
            .iter()
            .enumerate()
            .map(|(i, c)| {
                c.is_statistic()
                    || c.kind == ClauseKind::Trigger
                    || c.names_other_process()
                    || clauses.get(i + 1).is_some_and(|n| n.names_other_process() && n.remarks_on_previous())
                    || (i == 0 && c.is_heading())
                    || branch_only(c)
                    // After a condition, "macht das der Bauhof" is the branch's work.
                    || (actors::names_only_who(&c.text, speaker.as_deref())
                        && (i == 0 || clauses[i - 1].kind != ClauseKind::Condition))
            })
            .collect()
    };
    let mut ruled = vec![None; clauses.len()];
    let mut previous: Option<String> = None;
    // The unit that worked last: a check and its request are the office's, even where the
    // clause's subject is the applicant ("fehlt was, reichen die Eltern nach").
    let mut office: Option<String> = None;
    // The unit or person named last: a clause that opens with "Der stellt …" is theirs.
    let mut mentioned: Option<String> = None;
    for (i, clause) in clauses.iter().enumerate() {
        let named = actors::for_clause(
            &clause.text,
            clause.kind == ClauseKind::Condition,
            speaker.as_deref(),
            previous.as_deref(),
            mentioned.as_deref(),
            &roles,
        );
        mentioned = actors::named_last(&clause.text).or(mentioned);
        if let Some(actor) = named.first() {
            previous = Some(actor.clone());
        }
        if let Some(subject) = actors::trailing_subject(&clause.text, &roles) {
            previous = Some(subject);
        }
        if let Some(unit) = named.iter().find(|r| !roles::is_person(r)) {
            office = Some(unit.clone());
        }
        let office_role = office.as_ref().unwrap_or(&roles[0]);
        if let Some(check) = &checks[i] {
            ruled[i] = Some(check.answer(office_role));
            continue;
        }
        // A fee is charged by the office, even where its note reads like a remark on cost.
        if let Some(fee) = clause.fee_note() {
            ruled[i] = Some(format!("task {office_role}: {fee}"));
            continue;
        }
        if remark[i] {
            ruled[i] = Some("skip".to_owned());
            continue;
        }
        // A unit the clause names as where its work goes ("Ausländerbehörde informieren",
        // "Meldung ans Landesjugendamt") is not its actor; offered as a choice, it was taken.
        let unnamed: Vec<String>;
        let choices = if named.is_empty() {
            let objects = roles::addressed(&clause.text);
            unnamed = roles.iter().filter(|r| !objects.iter().any(|o| format::same_text(o, r))).cloned().collect();
            if unnamed.is_empty() { &roles } else { &unnamed }
        } else {
            &named
        };
        let options = ClauseOptions {
            // The trigger is dictated first, after a heading at most.
            start: i <= 1,
            condition: i > 0 && clause.kind == ClauseKind::Condition,
            two: clause.joins_two(),
            skip: i == 0 || clause.may_be_remark(),
            roles: choices,
        };
        let first = requests.is_empty();
        // The clause alone: shown the whole dictation too, the model answered with the work of
        // other clauses or the examples' (docs/drafting.md, session 22).
        requests.push(request("", &clause.text, format::clause_grammar(options), CLAUSE_MAX_TOKENS, first)?);
    }
    let asked: Vec<bool> = ruled.iter().map(Option::is_none).collect();
    let excerpt = closing_excerpt(&clauses, &asked);
    let closing = format::closing_grammar(&title_words(&text));
    requests.push(request(&excerpt, CLOSING_CLAUSE, closing, CLOSING_MAX_TOKENS, false)?);
    let foreign = assemble::foreign_words(&requests[0].messages[0].content, &text);
    Ok(PreparedDraft {
        foreign,
        requests,
        max_tokens,
        clauses,
        ruled,
        checks,
        legal_basis: input::legal_references(dictation),
        dictation: dictation.to_owned(),
        started,
    })
}

/// The words a draft's title may use: the dictation's own, whole, without the punctuation
/// around them.
fn title_words(dictation: &str) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    for word in dictation.split_whitespace() {
        let word = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '§');
        if !word.is_empty() && word.chars().count() <= 40 && !words.iter().any(|w| w == word) {
            words.push(word.to_owned());
        }
    }
    words
}

/// What the closing request sees of the dictation: the trigger and the service are dictated
/// first and the outcome last, so the first two clauses and the last two asked ones, each ended
/// as a sentence, gaps marked with "…". Shown the whole dictation, the closing request was the
/// longest prompt of a draft (a fifth of its time on dev3) and its answers were no closer to
/// the gold (docs/drafting.md, session 24).
fn closing_excerpt(clauses: &[Clause], asked: &[bool]) -> String {
    let last: Vec<usize> = (0..clauses.len()).rev().filter(|&i| asked[i]).take(2).collect();
    let mut shown: Vec<usize> = (0..clauses.len().min(2)).chain(last).collect();
    shown.sort_unstable();
    shown.dedup();
    let mut excerpt = String::new();
    for (k, &i) in shown.iter().enumerate() {
        if k > 0 {
            excerpt.push_str(if i == shown[k - 1] + 1 { " " } else { " … " });
        }
        let text = clauses[i].text.trim_end_matches(['.', ',', ';']);
        excerpt.push_str(text);
        if !text.ends_with(['?', '!', ':']) {
            excerpt.push('.');
        }
    }
    excerpt
}

impl PreparedDraft {
    pub fn progress(&self) -> DraftProgress {
        DraftProgress {
            splitter: RawLines::default(),
            started: self.started,
            first_step_s: None,
            numbered: 0,
            started_line: false,
            expected: self.requests.len(),
            foreign: self.foreign.clone(),
            ruled: self.ruled.clone(),
            next_clause: 0,
            generations: Vec::new(),
        }
    }

    /// Puts the answers `progress` collected together into a valid process with its repairs and
    /// review findings.
    pub fn finish(self, model_id: &str, progress: DraftProgress) -> Result<Draft, DraftError> {
        let generations = progress.generations;
        if generations.len() < self.requests.len() || generations.iter().any(|g| g.finish == FinishReason::Cancelled) {
            return Err(DraftError::Cancelled);
        }
        let (asked, closing) = generations.split_at(self.requests.len() - 1);
        let mut asked = asked.iter();
        let answers: Vec<String> = self
            .ruled
            .into_iter()
            .map(|r| r.unwrap_or_else(|| asked.next().map_or_else(String::new, |g| g.text.clone())))
            .collect();
        let closing = closing.first().map_or("", |g| g.text.as_str());
        let (compact, from_clauses) = assemble::assemble(&self.clauses, &answers, &self.checks, &self.foreign, closing);
        let lines = format::parse(&compact);
        let has_work =
            lines.iter().any(|l| matches!(l, Line::Step(s) if matches!(s.kind, StepType::Task | StepType::Decision)));
        if !has_work {
            return Err(DraftError::NoSteps(answers.join("\n")));
        }
        let converted = convert::to_process(&lines, self.legal_basis);
        let mut repairs = converted.repairs;
        if from_clauses {
            repairs.insert(
                0,
                Finding::warning(
                    "clauses_as_steps",
                    "steps",
                    "the model named no work of the dictation; each clause was taken as a step as dictated".to_owned(),
                )
                .with_fix("Rename the steps, or dictate again in short sentences."),
            );
        }
        let finish = if generations.iter().any(|g| g.finish == FinishReason::Length) {
            repairs.insert(
                0,
                Finding::warning(
                    "truncated",
                    "steps",
                    format!("the answer was cut off after {} tokens; steps may be missing", self.max_tokens),
                )
                .with_fix("Dictate fewer steps at once, or allow more tokens."),
            );
            FinishReason::Length
        } else {
            FinishReason::Stop
        };
        let stats: Vec<GenerationStats> = generations.iter().map(|g| g.stats.clone()).collect();
        let process = converted.process;
        Ok(Draft {
            findings: review::tagged(review::check(&process), review::Source::Check),
            process,
            repairs,
            stats: DraftStats {
                model_id: model_id.to_owned(),
                template_sha256: PromptTemplate::DRAFT.sha256(),
                finish,
                first_step_s: progress.first_step_s,
                total_s: self.started.elapsed().as_secs_f64(),
                generation: GenerationStats::combine(&stats),
            },
            compact,
            clauses: self
                .clauses
                .into_iter()
                .zip(answers)
                .map(|(c, answer)| ClauseAnswer { clause: c.text, answer: answer.trim().to_owned() })
                .collect(),
            dictation: self.dictation,
        })
    }
}

impl Draft {
    /// What the store records about how this draft came about.
    pub fn record(&self) -> DraftRecord {
        DraftRecord {
            dictation: self.dictation.clone(),
            compact: self.compact.clone(),
            model_id: self.stats.model_id.clone(),
            template_sha256: self.stats.template_sha256.clone(),
            stats: serde_json::to_value(&self.stats).unwrap_or_default(),
            repairs: serde_json::to_value(&self.repairs).unwrap_or_default(),
        }
    }

    /// Stores the process with status `draft`, together with its provenance.
    pub fn save(&self, store: &Store, change: &Change) -> Result<Saved, StoreError> {
        store.create_draft(&self.process, &self.record(), change)
    }
}

/// Splits streamed text into complete raw lines.
#[derive(Debug, Default)]
struct RawLines {
    pending: String,
}

impl RawLines {
    fn push(&mut self, piece: &str) -> Vec<String> {
        self.pending.push_str(piece);
        let mut lines = Vec::new();
        while let Some(end) = self.pending.find('\n') {
            lines.push(self.pending.drain(..=end).collect::<String>().trim().to_owned());
        }
        lines
    }
}

/// Follows a draft's answers as they stream: its step lines, numbered as they complete, when
/// the first step came, and each request's result.
#[derive(Debug)]
pub struct DraftProgress {
    splitter: RawLines,
    started: Instant,
    first_step_s: Option<f64>,
    /// Task and decision lines shown so far.
    numbered: u32,
    started_line: bool,
    expected: usize,
    /// Steps with these words are not shown: the draft leaves them out (see [`assemble::foreign_words`]).
    foreign: Vec<String>,
    /// The clauses' answers given by rule ([`PreparedDraft`]), shown in clause order among the
    /// model's: each as soon as every asked clause before it has its answer.
    ruled: Vec<Option<String>>,
    /// The first clause whose answer has not been shown.
    next_clause: usize,
    generations: Vec<Generation>,
}

impl DraftProgress {
    /// Adds generated text; returns the lines it completed, as they will read in the draft
    /// (start first, tasks and decisions numbered on from 2, then the end and the title),
    /// after the answers given by rule to the clauses before it.
    pub fn push(&mut self, piece: &str) -> Vec<Line> {
        let mut lines = self.ruled_lines();
        for raw in self.splitter.push(piece) {
            lines.extend(self.shown(&raw));
        }
        lines
    }

    /// The lines of the answers given by rule up to the next clause the model is asked about
    /// whose answer has not come yet. A draft that opens with clauses answered by rule shows
    /// them before the model's first answer is complete.
    fn ruled_lines(&mut self) -> Vec<Line> {
        let answered = self.generations.len();
        let mut asked_before = self.ruled[..self.next_clause].iter().filter(|r| r.is_none()).count();
        let mut lines = Vec::new();
        while let Some(ruled) = self.ruled.get(self.next_clause).cloned() {
            match ruled {
                None if asked_before >= answered => break,
                None => asked_before += 1,
                Some(answer) => {
                    for raw in answer.lines() {
                        lines.extend(self.shown(raw.trim()));
                    }
                }
            }
            self.next_clause += 1;
        }
        lines
    }

    /// A raw line as the draft will show it, numbered; `None` for lines the draft leaves out.
    fn shown(&mut self, raw: &str) -> Option<Line> {
        let line = match format::parse_unnumbered(raw)? {
            Line::Step(step) => match step.kind {
                StepType::Start if self.started_line => return None,
                StepType::Start => {
                    self.started_line = true;
                    Line::Step(StepLine { number: 1, ..step })
                }
                StepType::Task | StepType::Decision if assemble::takes_over(&step.name, &self.foreign) => return None,
                StepType::Task | StepType::Decision => {
                    self.numbered += 1;
                    if self.first_step_s.is_none() {
                        self.first_step_s = Some(self.started.elapsed().as_secs_f64());
                    }
                    // Worded as the assembled draft will word it, but for what the draft
                    // reads in the clause (unknown here): a separable verb's particle, and
                    // whether a name's first word is a verb.
                    let name = if step.kind == StepType::Task {
                        naming::task_name(&step.name)
                    } else {
                        naming::question_name(&step.name)
                    };
                    Line::Step(StepLine { number: self.numbered + 1, name, ..step })
                }
                StepType::End => Line::Step(StepLine { number: self.numbered + 2, ..step }),
                StepType::Parallel => return None,
            },
            line @ Line::Title { .. } => line,
            _ => return None,
        };
        Some(line)
    }

    /// Records the result of the next request: the line its answer left unfinished and the
    /// answers given by rule that follow it, and true once the draft has all it will get
    /// (every answer, or a cancelled one). An answer cut by its token limit ends without a line
    /// break; its last line would otherwise run into the next answer's first ("… schickt
    /// dannstart: Antrag eingegangen").
    pub fn complete(&mut self, generation: Generation) -> (Vec<Line>, bool) {
        let mut lines = if self.splitter.pending.is_empty() { Vec::new() } else { self.push("\n") };
        let cancelled = generation.finish == FinishReason::Cancelled;
        self.generations.push(generation);
        if !cancelled {
            lines.extend(self.ruled_lines());
        }
        (lines, cancelled || self.generations.len() >= self.expected)
    }
}

/// Drafts on the calling thread (CLI, evaluation); `on_line` sees each line as it completes.
pub fn run(
    generator: &mut dyn Generator,
    prepared: PreparedDraft,
    on_line: &mut dyn FnMut(&Line),
) -> Result<Draft, DraftError> {
    // Both callbacks follow the same progress and show its lines; they never run at once.
    let progress = RefCell::new(prepared.progress());
    let on_line = RefCell::new(on_line);
    let mut failed = None;
    crate::llm::generate_sequence(
        generator,
        &prepared.requests,
        prepared.max_tokens,
        &mut |piece| {
            progress.borrow_mut().push(piece).iter().for_each(&mut *on_line.borrow_mut());
            true
        },
        &mut |result| match result {
            Ok(generation) => progress.borrow_mut().complete(generation).0.iter().for_each(&mut *on_line.borrow_mut()),
            Err(e) => failed = Some(e),
        },
    );
    if let Some(e) = failed {
        return Err(e.into());
    }
    let model_id = generator.model_id().to_owned();
    prepared.finish(&model_id, progress.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clause_opening_with_a_pronoun_is_the_work_of_whoever_was_named_last() {
        let prepared = prepare(
            "Höhergruppierung, wenn ein Beschäftigter meint, seine Stelle ist mehr wert. Der stellt den Antrag \
             über seinen Vorgesetzten. Das Personalamt bewertet die Stelle.",
            DEFAULT_MAX_TOKENS,
        )
        .unwrap();
        let asked = prepared.requests.iter().find(|r| r.messages.last().unwrap().content.contains("Der stellt"));
        let grammar = asked.unwrap().grammar.as_deref().unwrap();
        assert!(grammar.contains("task (?:Beschäftigter):"), "{grammar}");
    }

    #[test]
    fn the_speakers_unit_is_offered_though_its_name_is_no_units_by_its_words() {
        let prepared = prepare(
            "Lohnpfändung, Entgeltabrechnung. Der Beschluss kommt vom Amtsgericht. Pfändung im Programm erfassen.",
            DEFAULT_MAX_TOKENS,
        )
        .unwrap();
        let asked = prepared.requests.iter().find(|r| r.messages.last().unwrap().content.contains("erfassen"));
        let grammar = asked.unwrap().grammar.as_deref().unwrap();
        assert!(grammar.contains("Entgeltabrechnung"), "{grammar}");
    }

    #[test]
    fn a_unit_a_clause_names_as_its_object_is_not_offered_as_its_actor() {
        let prepared = prepare(
            "Inobhutnahme. Polizei bringt den Jugendlichen zum Jugendamt. Alter einschätzen. \
             Volljährig? Dann Ausländerbehörde informieren. Sonst Meldung ans Landesjugendamt.",
            DEFAULT_MAX_TOKENS,
        )
        .unwrap();
        // The roles a clause's answer may name, as its grammar lists them.
        let offered = |words: &str| -> Vec<String> {
            let asked = prepared.requests.iter().find(|r| r.messages.last().unwrap().content.contains(words));
            let grammar = asked.unwrap().grammar.clone().unwrap();
            let list = grammar.split("task (?:").nth(1).and_then(|g| g.split("):").next()).unwrap_or_default();
            list.split('|').map(str::to_owned).collect()
        };
        let inform = offered("Ausländerbehörde informieren");
        assert!(
            inform.iter().any(|r| r == "Jugendamt") && !inform.iter().any(|r| r == "Ausländerbehörde"),
            "{inform:?}"
        );
        let report = offered("Meldung ans Landesjugendamt");
        assert!(!report.iter().any(|r| r == "Landesjugendamt"), "{report:?}");
    }

    #[test]
    fn a_clause_that_says_only_who_works_is_asked_about_only_after_a_condition() {
        let prepared = prepare(
            "Das macht bei uns im Ordnungsamt der Außendienst. Mängel kommen per Mail, dann prüfen wir. Ist es was Kleines, \
             macht das der Bauhof. Sonst beauftragen wir eine Firma.",
            DEFAULT_MAX_TOKENS,
        )
        .unwrap();
        let asked = |clause: &str| {
            let user = format!("Abschnitt: {clause}\n");
            prepared.requests.iter().any(|r| r.messages.last().unwrap().content.contains(&user))
        };
        assert!(!asked("Das macht bei uns im Ordnungsamt der Außendienst"));
        assert!(asked("macht das der Bauhof"));
    }

    #[test]
    fn an_answer_cut_by_its_token_limit_does_not_run_into_the_next() {
        let prepared = prepare("Antrag kommt rein. Wir prüfen den Antrag und schicken den Bescheid.", 100).unwrap();
        let mut progress = prepared.progress();
        let cut = |text: &str| Generation {
            text: text.to_owned(),
            finish: FinishReason::Length,
            stats: GenerationStats::default(),
        };
        assert!(progress.push("start: Antrag eingegangen\ntask Sachbearbeitung: Antrag prü").len() == 1);
        let (lines, done) = progress.complete(cut("…"));
        assert!(!done);
        assert!(matches!(lines.as_slice(), [Line::Step(s)] if s.name == "Antrag prü"), "{lines:?}");
        let next = progress.push("task Sachbearbeitung: Bescheid schicken\n");
        assert!(matches!(next.as_slice(), [Line::Step(s)] if s.name == "Bescheid schicken"), "{next:?}");
    }

    #[test]
    fn answers_given_by_rule_are_shown_in_their_place_as_soon_as_the_answers_before_them() {
        let prepared =
            prepare("Gebühr 25 Euro. Wir prüfen den Antrag. Gebühr 10 Euro. Wir schicken den Bescheid.", 100).unwrap();
        let ruled: Vec<bool> = prepared.ruled.iter().map(Option::is_some).collect();
        assert_eq!(ruled, [true, false, true, false], "{:?}", prepared.ruled);
        let mut progress = prepared.progress();
        let done = |text: &str| Generation {
            text: text.to_owned(),
            finish: FinishReason::Stop,
            stats: GenerationStats::default(),
        };
        let names = |lines: &[Line]| -> Vec<String> {
            lines
                .iter()
                .filter_map(|l| if let Line::Step(s) = l { Some(format!("{} {}", s.number, s.name)) } else { None })
                .collect()
        };
        // The first clause's fee shows with the model's first piece, before its answer is complete.
        assert_eq!(names(&progress.push("task Sachbearbeitung: Antrag ")), ["2 Gebühr von 25 Euro erheben"]);
        assert!(progress.first_step_s.is_some());
        assert_eq!(names(&progress.push("prüfen\n")), ["3 Antrag prüfen"]);
        // The third clause's fee follows once the second clause's answer is complete.
        let (lines, finished) = progress.complete(done("task Sachbearbeitung: Antrag prüfen\n"));
        assert!(!finished);
        assert_eq!(names(&lines), ["4 Gebühr von 10 Euro erheben"]);
        assert_eq!(names(&progress.push("task Sachbearbeitung: Bescheid schicken\n")), ["5 Bescheid schicken"]);
    }

    #[test]
    fn the_closing_request_sees_the_first_two_and_the_last_two_asked_clauses() {
        let prepared = prepare(
            "Anmeldung Hund, Steueramt. Bürger füllt Formular aus. Wir prüfen die Angaben. \
             Dann Steuerbescheid erstellen. Hundemarke aushändigen. Ca. 300 Anmeldungen im Jahr.",
            DEFAULT_MAX_TOKENS,
        )
        .unwrap();
        let closing = &prepared.requests.last().unwrap().messages;
        let user = &closing.last().unwrap().content;
        assert!(
            user.contains(
                "Diktat: Anmeldung Hund, Steueramt. Bürger füllt Formular aus. … Steuerbescheid erstellen. Hundemarke aushändigen.\n"
            ),
            "{user}"
        );
    }
}
