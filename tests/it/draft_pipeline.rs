//! Drafting end to end: the real small model under the clause grammars, assembling, repairs,
//! storage with provenance; a scripted generator in addition, to pin down assembling and
//! streaming exactly.

use ablauf::compact::format;
use ablauf::draft::{self, DraftError, InputError, Line};
use ablauf::llm::{self, FinishReason, GenerateRequest, Generation, GenerationStats, Generator, LlmError};
use ablauf::process::{StepType, validate};
use ablauf::prompt::PromptTemplate;
use ablauf::store::{Change, Status, Store};

/// Answers each request with what `answer` says for the clause it asks about, delivered in
/// small pieces like a tokenizer would; each piece counts as a token.
struct Scripted {
    answer: fn(&str) -> String,
    requests: Vec<GenerateRequest>,
}

impl Scripted {
    fn new(answer: fn(&str) -> String) -> Self {
        Scripted { answer, requests: Vec::new() }
    }
}

/// The clause a draft request asks about (the user turn's "Abschnitt: …" line).
fn clause_of(request: &GenerateRequest) -> String {
    let user = &request.messages.last().unwrap().content;
    let line = user.lines().find_map(|l| l.strip_prefix("Abschnitt: ")).expect("a clause in the request");
    line.to_owned()
}

impl Generator for Scripted {
    fn model_id(&self) -> &str {
        "scripted"
    }

    fn generate(
        &mut self,
        request: &GenerateRequest,
        on_token: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, LlmError> {
        self.requests.push(request.clone());
        let answer = (self.answer)(&clause_of(request));
        let chars: Vec<char> = answer.chars().collect();
        let mut text = String::new();
        let mut stats = GenerationStats::default();
        for piece in chars.chunks(3).map(|c| c.iter().collect::<String>()) {
            if stats.new_tokens == request.max_tokens {
                return Ok(Generation { text, finish: FinishReason::Length, stats });
            }
            text.push_str(&piece);
            stats.new_tokens += 1;
            if !on_token(&piece) {
                return Ok(Generation { text, finish: FinishReason::Cancelled, stats });
            }
        }
        Ok(Generation { text, finish: FinishReason::Stop, stats })
    }
}

const DICTATION: &str = "Gewerbeanmeldung nach § 14 GewO: Antrag kommt online rein, das Gewerbeamt prüft ihn. \
                         Wenn Unterlagen fehlen, wird nachgefordert, sonst ins Register eintragen und Bestätigung schicken. \
                         Ca. 300 Anmeldungen im Jahr.";

/// What a careful model answers about each clause of [`DICTATION`], plus a step taken from
/// another part of the dictation and one from nowhere.
fn gewerbe(clause: &str) -> String {
    // The trigger and the first check may come as one clause or two.
    let opening = match (clause.contains("Antrag kommt"), clause.contains("prüft")) {
        (true, true) => "start: Antrag eingegangen\ntask Gewerbeamt: Antrag prüfen\ntask Kasse: Rechnung stellen\n",
        (true, false) => "start: Antrag eingegangen\n",
        (false, true) => "task Gewerbeamt: Antrag prüfen\ntask Kasse: Rechnung stellen\n",
        (false, false) => "",
    };
    let answer = if clause.starts_with('(') {
        "start: Anmeldung eingegangen\nend: Gewerbe angemeldet\n# Gewerbeanmeldung nach § 14 GewO\n"
    } else if !opening.is_empty() {
        opening
    } else if clause.contains("fehlen") {
        "decision Gewerbeamt: Unterlagen vollständig?\n"
    } else if clause.contains("nachgefordert") {
        "task Gewerbeamt: Unterlagen nachfordern\ntask Gewerbeamt: Antrag prüfen\n"
    } else if clause.contains("Register") {
        "task Gewerbeamt: Gewerbe ins Register eintragen\ntask Gewerbeamt: Bestätigung schicken\n"
    } else if clause.contains("Bestätigung") {
        "task Gewerbeamt: Bestätigung schicken\n"
    } else {
        "skip\n"
    };
    answer.to_owned()
}

#[test]
fn clause_answers_are_assembled_into_one_branching_process() {
    let mut model = Scripted::new(gewerbe);
    let mut streamed = Vec::new();
    let prepared = draft::prepare(DICTATION, 200).unwrap();
    let result = draft::run(&mut model, prepared, &mut |line| streamed.push(line.clone())).unwrap();

    // One request per clause and a closing one; all share the system prompt, which the engine
    // keeps cached, and only the first starts from that cache alone.
    let requests = &model.requests;
    assert!(requests.len() >= 4, "{:?}", requests.iter().map(clause_of).collect::<Vec<_>>());
    // The remark on frequency is not asked about, nor the completeness check's condition and
    // request (answered by rule): each other clause and the closing request are.
    assert_eq!(result.clauses.len(), requests.len() + 2);
    let ruled = |text: &str| result.clauses.iter().find(|c| c.clause.contains(text)).map(|c| c.answer.as_str());
    assert_eq!(ruled("fehlen"), Some("decision Gewerbeamt: Unterlagen vollständig?"));
    assert_eq!(ruled("nachgefordert"), Some("task Gewerbeamt: Fehlende Unterlagen nachfordern"));
    assert_eq!(result.clauses.last().map(|c| c.answer.as_str()), Some("skip"));
    assert!(requests.iter().all(|r| r.messages[0] == requests[0].messages[0]));
    assert!(!requests[0].reuse_unaligned_prefix && requests[1..].iter().all(|r| r.reuse_unaligned_prefix));
    assert!(requests.iter().all(|r| r.sampling == llm::Sampling::GREEDY));
    // Work may not be answered with a decision.
    for request in requests {
        let grammar = request.grammar.as_deref().unwrap();
        assert!(!grammar.contains("DECISION"), "{}: {grammar}", clause_of(request));
    }

    let validation = validate(&result.process);
    assert!(validation.valid, "{:?}\n{}", validation.errors, result.compact);
    assert_eq!(result.process.title, "Gewerbeanmeldung nach § 14 GewO");
    assert_eq!(result.process.legal_basis, ["§ 14 GewO"], "the legal basis comes from the dictation");
    let names: Vec<&str> = result.process.steps.iter().map(|s| s.name.as_str()).collect();
    assert!(!names.contains(&"Rechnung stellen"), "a task without a word of its clause is dropped: {names:?}");
    assert_eq!(names.iter().filter(|n| **n == "Antrag prüfen").count(), 1, "no step twice: {names:?}");
    // "Wenn Unterlagen fehlen": the demand for documents is the "nein" branch of "vollständig?", the
    // register entry ("sonst …") the "ja" branch; the demand leads back to the check.
    let compact = &result.compact;
    let number = |name: &str| {
        format::parse(compact)
            .into_iter()
            .find_map(|l| match l {
                Line::Step(s) if s.name == name => Some(s.number),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no step {name:?} in\n{compact}"))
    };
    let (missing, register) = (number("Fehlende Unterlagen nachfordern"), number("Gewerbe ins Register eintragen"));
    assert!(
        compact.contains(&format!("decision Gewerbeamt: Unterlagen vollständig? > nein: {missing} | ja: {register}")),
        "{compact}"
    );
    assert!(
        compact.contains(&format!("task Gewerbeamt: Fehlende Unterlagen nachfordern > {}", number("Antrag prüfen"))),
        "{compact}"
    );
    assert!(compact.starts_with("1 start: Antrag eingegangen\n"), "{compact}");
    assert!(compact.ends_with("end: Gewerbe angemeldet\n# Gewerbeanmeldung nach § 14 GewO\n"), "{compact}");
    // Steps were seen as they completed, numbered on from the start.
    let numbers: Vec<u32> =
        streamed.iter().filter_map(|l| if let Line::Step(s) = l { Some(s.number) } else { None }).collect();
    assert_eq!(numbers.first(), Some(&1), "{streamed:?}");
    assert!(numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    assert!(matches!(streamed.last(), Some(Line::Title { title }) if title == "Gewerbeanmeldung nach § 14 GewO"));
    assert_eq!(result.stats.template_sha256, PromptTemplate::DRAFT.sha256());
    assert_eq!(result.stats.model_id, "scripted");
    assert_eq!(result.stats.finish, FinishReason::Stop);
    assert!(result.findings.iter().all(|f| f.finding.code != "decision_branches"), "{:?}", result.findings);
}

#[test]
fn the_clauses_share_one_token_budget() {
    let mut model = Scripted::new(gewerbe);
    let result = draft::run(&mut model, draft::prepare(DICTATION, 30).unwrap(), &mut |_| {}).unwrap();
    assert_eq!(result.stats.finish, FinishReason::Length);
    assert_eq!(result.stats.generation.new_tokens, 30);
    assert!(result.repairs.iter().any(|f| f.code == "truncated"), "{:?}", result.repairs);
    assert!(validate(&result.process).valid, "{}", result.compact);
}

#[test]
fn unusable_input_never_reaches_the_model() {
    let refused = |text: &str| match draft::prepare(text, 100) {
        Err(DraftError::Input(e)) => e,
        other => panic!("expected an input error, got {other:?}"),
    };
    assert_eq!(refused(" \n\t"), InputError::Empty);
    assert!(matches!(refused(&"Antrag prüfen, dann senden. ".repeat(400)), InputError::TooLong { .. }));
    assert!(matches!(refused("\u{1}\u{2}Antrag prüfen dann senden"), InputError::NotText { .. }));
    assert!(matches!(refused("Das Wetter ist heute schön und die Sonne scheint."), InputError::NotAProcess { .. }));
}

#[test]
fn small_model_drafts_a_valid_process_that_is_stored_with_provenance() {
    let mut model = llm::load(ablauf::models::SMALL_LLM, llm::Device::Cpu).unwrap();
    let dictation = "Antrag kommt rein, die Sachbearbeitung prüft den Antrag und schickt dann den Bescheid.";
    let mut streamed = Vec::new();
    let prepared = draft::prepare(dictation, 100).unwrap();
    let result = draft::run(&mut model, prepared, &mut |line| streamed.push(line.clone())).unwrap();

    // The grammar guarantees the shape: every line of the answer is a line of the compact format,
    // the start step comes first and, once the model stopped by itself, the title last.
    let lines = format::parse(&result.compact);
    assert!(!lines.iter().any(|l| matches!(l, Line::Unreadable { .. })), "{}", result.compact);
    assert!(matches!(lines.first(), Some(Line::Step(s)) if s.kind == StepType::Start), "{}", result.compact);
    if result.stats.finish == FinishReason::Stop {
        assert!(matches!(lines.last(), Some(Line::Title { .. })), "{}", result.compact);
        assert_eq!(lines.iter().filter(|l| matches!(l, Line::Title { .. })).count(), 1);
    }
    assert!(!lines.iter().any(|l| matches!(l, Line::Role { .. })), "roles are named in the steps");
    // Every step of the draft was shown as it was written (the stream may show a few more, which
    // assembling drops).
    let shown: Vec<&str> =
        streamed.iter().filter_map(|l| if let Line::Step(s) = l { Some(s.name.as_str()) } else { None }).collect();
    for line in &lines {
        if let Line::Step(step) = line
            && matches!(step.kind, StepType::Task | StepType::Decision)
        {
            assert!(
                shown.contains(&step.name.as_str()),
                "{step:?} not in {shown:?}\n{:?}\n{}",
                result.clauses,
                result.compact
            );
        }
    }
    let validation = validate(&result.process);
    assert!(validation.valid, "{:?}\n{}", validation.errors, result.compact);
    assert!(result.process.steps.len() >= 2);
    assert!(result.stats.model_id.contains("0.5b"), "{}", result.stats.model_id);
    assert!(result.stats.generation.new_tokens <= 100);
    assert!(result.stats.first_step_s.is_some());

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ablauf.db")).unwrap();
    let saved = result.save(&store, &Change { author: "test", reason: "drafted", own_drafts_only: false }).unwrap();
    let stored = store.get(&saved.id, None).unwrap();
    assert_eq!((stored.status, &stored.process), (Status::Draft, &result.process));
    let record = store.draft_record(&saved.id).unwrap().expect("provenance is stored");
    assert_eq!(record.record.template_sha256, PromptTemplate::DRAFT.sha256());
    assert_eq!(record.record.model_id, result.stats.model_id);
    assert_eq!(record.record.dictation, dictation);
    assert_eq!(record.record.compact, result.compact);
    assert!(record.record.stats["generation"]["new_tokens"].as_u64().is_some());
}
