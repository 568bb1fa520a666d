//! Drafting end to end: the real small model under the compact-format grammar, post-processing
//! repairs, storage with provenance; a scripted generator in addition, to pin down repairs and
//! streaming exactly.

use ablauf::compact::format;
use ablauf::draft::{self, DraftError, InputError, Line};
use ablauf::llm::{self, FinishReason, GenerateRequest, Generation, GenerationStats, Generator, LlmError};
use ablauf::process::{StepType, validate};
use ablauf::prompt::PromptTemplate;
use ablauf::store::{Change, Status, Store};

/// Answers every request with a fixed text, delivered in small pieces like a tokenizer would.
struct Scripted {
    answer: &'static str,
    requests: Vec<GenerateRequest>,
}

impl Scripted {
    fn new(answer: &'static str) -> Self {
        Scripted { answer, requests: Vec::new() }
    }
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
        let chars: Vec<char> = self.answer.chars().collect();
        let mut text = String::new();
        for piece in chars.chunks(3).map(|c| c.iter().collect::<String>()) {
            text.push_str(&piece);
            if !on_token(&piece) {
                return Ok(Generation { text, finish: FinishReason::Cancelled, stats: GenerationStats::default() });
            }
        }
        Ok(Generation { text, finish: FinishReason::Stop, stats: GenerationStats::default() })
    }
}

const DICTATION: &str = "Gewerbeanmeldung nach § 14 GewO: Antrag kommt online rein, das Gewerbeamt prüft ihn. \
                         Wenn was fehlt, wird nachgefordert, sonst ins Register eintragen und Bestätigung schicken.";

#[test]
fn a_broken_answer_is_repaired_and_every_repair_reported() {
    // No start, an undeclared role, a flow to a step that does not exist, cut off mid-process.
    let mut model = Scripted::new(
        "# Gewerbe anmelden\n@ga Gewerbeamt\n2 task ga: Antrag prüfen\n3 decision ga: vollständig? > ja: 4 | nein: 9\n\
         4 task reg: Ins Register eintragen",
    );
    let mut lines = Vec::new();
    let prepared = draft::prepare(DICTATION, 200).unwrap();
    let result = draft::run(&mut model, prepared, &mut |line| lines.push(line.clone())).unwrap();

    let codes: Vec<&str> = result.repairs.iter().map(|f| f.code.as_str()).collect();
    assert_eq!(codes, ["dropped_flow", "added_start", "connected_to_end", "added_end", "declared_role"]);
    let validation = validate(&result.process);
    assert!(validation.valid, "{:?}", validation.errors);
    assert_eq!(result.process.steps[0].kind, StepType::Start);
    assert_eq!(result.process.legal_basis, ["§ 14 GewO"], "the legal basis comes from the dictation");
    assert!(result.process.roles.iter().any(|r| r.id == "reg"));
    // Lines were seen as they completed, the unfinished last one at the end.
    assert!(matches!(&lines[0], Line::Title { title } if title == "Gewerbe anmelden"));
    assert!(matches!(lines.last(), Some(Line::Step(s)) if s.number == 4));
    assert_eq!(result.stats.template_sha256, PromptTemplate::DRAFT.sha256());
    assert_eq!(result.stats.model_id, "scripted");
    // The deterministic review ran on the result.
    assert!(result.findings.iter().any(|f| f.finding.code == "decision_branches"), "{:?}", result.findings);
}

#[test]
fn the_prompt_prefix_is_fixed_and_decisions_follow_the_dictation() {
    let with_condition = draft::prepare(DICTATION, 100).unwrap().request;
    let linear =
        draft::prepare("Bürger stellt Antrag, Amt prüft ihn und schickt dann den Bescheid.", 100).unwrap().request;
    assert_eq!(with_condition.messages[0], linear.messages[0], "the system prompt is a cacheable prefix");
    assert!(with_condition.grammar.as_deref().unwrap().contains("DECISION"));
    assert!(!linear.grammar.as_deref().unwrap().contains("DECISION"), "no condition named, no decisions");
    assert_eq!(with_condition.sampling, llm::Sampling::GREEDY);
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

    let mut model = Scripted::new(format::NOT_A_PROCESS);
    let prepared = draft::prepare("Zuerst Mehl sieben, dann Eier unterrühren und backen.", 100).unwrap();
    let refused = draft::run(&mut model, prepared, &mut |_| {});
    assert!(matches!(refused, Err(DraftError::Input(InputError::NotAProcess { .. }))), "{refused:?}");
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
    assert_eq!(streamed, lines, "streamed lines are the answer's lines");
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
