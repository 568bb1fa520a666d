//! The LLM engine with the real small model (Qwen2.5-Coder-0.5B, GGUF): loading, chat template,
//! greedy determinism, limits, stop sequences, cancellation, grammars, prefix cache, worker queue.
//! Generations are a few tokens each so the suite stays short on two cores.

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use ablauf::llm::{
    self, Architecture, CandleGenerator, ChatMessage, Device, FinishReason, GenerateRequest, Generation, Generator,
    LlmError, LlmEvent, LlmWorker, Sampling,
};
use ablauf::models;

/// One loaded model shared by the tests of this file (loading takes seconds).
fn model() -> MutexGuard<'static, CandleGenerator> {
    static MODEL: OnceLock<Mutex<CandleGenerator>> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let path = models::ensure(&models::default_dir(), models::SMALL_LLM).expect("small model available");
            Mutex::new(CandleGenerator::load(&path, Device::Cpu).expect("small model loads"))
        })
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn ask(question: &str, max_tokens: usize) -> GenerateRequest {
    GenerateRequest::new(
        vec![ChatMessage::system("Du bist eine knappe Verwaltungsassistenz."), ChatMessage::user(question)],
        max_tokens,
    )
}

fn run(generator: &mut CandleGenerator, request: &GenerateRequest) -> Generation {
    let mut streamed = String::new();
    let generation = generator
        .generate(request, &mut |piece| {
            streamed.push_str(piece);
            true
        })
        .expect("generation succeeds");
    assert_eq!(streamed, generation.text, "the streamed pieces add up to the text");
    generation
}

#[test]
fn loads_the_small_model_and_detects_its_architecture() {
    let m = model();
    assert_eq!(m.architecture(), Architecture::Qwen2);
    let info = m.info();
    assert_eq!(info.layers, 24);
    assert_eq!(info.kv_heads, 2);
    assert!(info.vocab >= 151_000, "{info:?}");
    assert!(m.context_length() >= 8192);
}

#[test]
fn the_chat_template_comes_from_the_gguf() {
    let m = model();
    let prompt = m.render_prompt(&[ChatMessage::system("Sei knapp."), ChatMessage::user("Hallo")]).unwrap();
    assert_eq!(
        prompt,
        "<|im_start|>system\nSei knapp.<|im_end|>\n<|im_start|>user\nHallo<|im_end|>\n<|im_start|>assistant\n"
    );
    // Without a system message Qwen's template inserts its own: proof that the GGUF's template ran.
    let prompt = m.render_prompt(&[ChatMessage::user("Hallo")]).unwrap();
    assert!(prompt.starts_with("<|im_start|>system\nYou are Qwen"), "{prompt}");
    // Special-token texts become single tokens.
    let tokens = m.prompt_tokens(&[ChatMessage::user("Hallo")]).unwrap();
    assert_eq!(tokens[0], 151644, "<|im_start|> is one token");
    assert!(matches!(m.render_prompt(&[]), Err(LlmError::InvalidRequest(_))));
}

#[test]
fn greedy_decoding_is_deterministic() {
    let mut m = model();
    let request = ask("Nenne drei Schritte für einen Bauantrag.", 12);
    m.clear_cache();
    let first = run(&mut m, &request);
    m.clear_cache();
    let second = run(&mut m, &request);
    assert_eq!(first.text, second.text);
    assert!(!first.text.trim().is_empty());
    let stats = &first.stats;
    assert_eq!(stats.new_tokens, 12);
    assert!(stats.prompt_tokens > 20 && stats.cached_prompt_tokens == 0, "{stats:?}");
    assert!(stats.prefill_tok_s > 0.0 && stats.decode_tok_s > 0.0 && stats.ttft_s > 0.0, "{stats:?}");
    assert!(stats.total_s >= stats.ttft_s);
    assert_eq!(stats.constraint_us_per_token, 0.0);
}

#[test]
fn max_tokens_is_honoured() {
    let mut m = model();
    let generation = run(&mut m, &ask("Erkläre ausführlich, wie man einen Reisepass beantragt.", 3));
    assert_eq!(generation.finish, FinishReason::Length);
    assert_eq!(generation.stats.new_tokens, 3);
}

#[test]
fn stop_sequences_end_the_text_before_them() {
    let mut m = model();
    let free = run(&mut m, &ask("Zähle die Wochentage auf, durch Kommas getrennt.", 16));
    // Stop at the second word of the free answer: the stopped answer is exactly the text before it.
    let words: Vec<&str> = free.text.split_whitespace().collect();
    assert!(words.len() >= 3, "{:?}", free.text);
    let stop = words[1].to_string();
    let cut = free.text.find(&stop).unwrap();
    let mut request = ask("Zähle die Wochentage auf, durch Kommas getrennt.", 16);
    request.stop = vec![stop];
    let stopped = run(&mut m, &request);
    assert_eq!(stopped.finish, FinishReason::Stop);
    assert_eq!(stopped.text, free.text[..cut]);
}

#[test]
fn returning_false_from_on_token_cancels() {
    let mut m = model();
    let mut pieces = 0;
    let generation = m
        .generate(&ask("Beschreibe die Anmeldung eines Wohnsitzes.", 40), &mut |_| {
            pieces += 1;
            false
        })
        .unwrap();
    assert_eq!(generation.finish, FinishReason::Cancelled);
    assert_eq!(pieces, 1);
    assert!(generation.stats.new_tokens < 5, "{:?}", generation.stats);
}

#[test]
fn a_lark_grammar_constrains_the_output() {
    let mut m = model();
    let grammar = r#"
        start: ROLE ": " ACTION
        ROLE: "Antragsteller" | "Sachbearbeitung" | "Kasse"
        ACTION: /[a-zäöüß]+( [a-zäöüß]+){0,3}/
    "#;
    let mut request = ask("Wer prüft den Antrag und was tut die Person?", 24);
    request.grammar = Some(grammar.into());
    let generation = run(&mut m, &request);
    let line = regex_lite_match(&generation.text);
    assert!(line, "{:?} does not match the grammar", generation.text);
    assert!(generation.stats.constraint_us_per_token > 0.0);
}

/// `ROLE ": " ACTION` of the grammar above, checked by hand (no regex crate needed for one pattern).
fn regex_lite_match(text: &str) -> bool {
    let Some((role, action)) = text.split_once(": ") else { return false };
    let words: Vec<&str> = action.split(' ').collect();
    ["Antragsteller", "Sachbearbeitung", "Kasse"].contains(&role)
        && (1..=4).contains(&words.len())
        && words.iter().all(|w| !w.is_empty() && w.chars().all(|c| c.is_lowercase() && c.is_alphabetic()))
}

#[test]
fn a_json_schema_grammar_gives_parseable_json() {
    let mut m = model();
    let grammar = r#"
        start: %json{
            "type": "object",
            "properties": {
                "name": {"type": "string", "maxLength": 20},
                "dauer_tage": {"type": "integer", "minimum": 1, "maximum": 90}
            },
            "required": ["name", "dauer_tage"],
            "additionalProperties": false
        }
    "#;
    let mut request = ask("Gib Name und Bearbeitungsdauer des Verfahrens 'Wohngeld' als JSON an.", 60);
    request.grammar = Some(grammar.into());
    let generation = run(&mut m, &request);
    assert_eq!(generation.finish, FinishReason::Stop, "{:?}", generation.text);
    let value: serde_json::Value = serde_json::from_str(&generation.text).expect("valid JSON");
    assert!(value["name"].is_string(), "{value}");
    let days = value["dauer_tage"].as_i64().expect("integer");
    assert!((1..=90).contains(&days), "{value}");
}

#[test]
fn an_invalid_grammar_is_a_clear_error() {
    let mut m = model();
    let mut request = ask("Hallo", 4);
    request.grammar = Some("start: UNDEFINED_RULE".into());
    let err = m.generate(&request, &mut |_| true).unwrap_err();
    assert!(matches!(err, LlmError::Grammar(_)), "{err}");
}

/// Two short requests behind a system prompt longer than one prompt chunk, as the draft prompt is.
fn two_questions_sharing_a_long_system_prompt() -> (GenerateRequest, GenerateRequest) {
    let system = "Du bist eine knappe Verwaltungsassistenz einer Stadtverwaltung. Antworte sachlich. ".repeat(12);
    let ask_long = |question: &str| {
        GenerateRequest::new(vec![ChatMessage::system(system.clone()), ChatMessage::user(question)], 8)
    };
    (ask_long("Wie melde ich einen Hund an?"), ask_long("Wie beantrage ich einen Anwohnerparkausweis?"))
}

#[test]
fn the_prefix_cache_reuses_the_shared_prompt_and_changes_nothing() {
    let mut m = model();
    let (first, second) = two_questions_sharing_a_long_system_prompt();

    m.clear_cache();
    let uncached = run(&mut m, &second);
    assert_eq!(uncached.stats.cached_prompt_tokens, 0);

    m.clear_cache();
    run(&mut m, &first);
    let cached = run(&mut m, &second);
    let shared = m
        .prompt_tokens(&first.messages)
        .unwrap()
        .iter()
        .zip(&m.prompt_tokens(&second.messages).unwrap())
        .take_while(|(a, b)| a == b)
        .count();
    let block = llm::PREFIX_CACHE_BLOCK;
    assert!(shared > block, "system prompt and chat markup are shared");
    // Prompt chunks end at the system message too, so all of it is reused, however long it is;
    // what follows it (the user turn's opening) is prefilled again.
    let reused = cached.stats.cached_prompt_tokens;
    assert!(reused <= shared && shared - reused < 8 && !reused.is_multiple_of(block), "{reused} of {shared}");
    assert_eq!(cached.text, uncached.text, "reusing the cache must not change the answer");

    // The same request again reuses every whole chunk before the last prompt token.
    let again = run(&mut m, &second);
    let fresh = again.stats.prompt_tokens - again.stats.cached_prompt_tokens;
    assert!(again.stats.cached_prompt_tokens >= reused && (1..=block).contains(&fresh), "{:?}", again.stats);
    assert_eq!(again.text, uncached.text);
}

#[test]
fn requests_sharing_a_prompt_are_answered_together_as_one_by_one() {
    let mut m = model();
    let (first, second) = two_questions_sharing_a_long_system_prompt();
    let mut third = first.clone();
    third.messages[1] = ChatMessage::user("Was kostet ein Führungszeugnis?");
    third.grammar = Some("start: \"Es kostet \" /[0-9]{1,3}/ \" Euro.\"".into());
    third.max_tokens = 16;
    let requests = [first, second, third];
    m.clear_cache();
    let alone: Vec<String> = requests.iter().map(|r| run(&mut m, r).text).collect();

    let mut together: Vec<Option<Generation>> = vec![None; 3];
    let batched = m.generate_batch(&requests, 1000, &mut |index, result| {
        together[index] = Some(result.expect("batched generation succeeds"));
        true
    });
    assert!(batched, "the engine answers requests sharing a prompt together");
    let together: Vec<Generation> = together.into_iter().map(|g| g.expect("every request is answered")).collect();
    assert!(together[2].text.starts_with("Es kostet ") && together[2].text.ends_with(" Euro."), "{}", together[2].text);
    for (batched, alone) in together.iter().zip(&alone) {
        // Rows of a packed pass are multiplied in other groupings, which can round differently;
        // the answers of this short prompt come out the same.
        assert_eq!(&batched.text, alone);
    }
    assert!(together.iter().all(|g| g.stats.cached_prompt_tokens > 0 && g.stats.new_tokens > 0));

    // A budget for all answers together ends them early, and cancelling ends the rest.
    let mut finishes = Vec::new();
    m.generate_batch(&requests, 4, &mut |_, result| {
        finishes.push(result.unwrap());
        true
    });
    let spent: usize = finishes.iter().map(|g| g.stats.new_tokens).sum();
    assert!(finishes.len() == 3 && finishes.iter().all(|g| g.finish == FinishReason::Length), "{finishes:?}");
    assert!((4..4 + 8).contains(&spent), "at most one step past the budget: {spent}");
    let mut seen = 0;
    m.generate_batch(&requests, 1000, &mut |_, result| {
        seen += 1;
        result.unwrap().finish != FinishReason::Cancelled && seen > 1
    });
    assert_eq!(seen, 3, "after a false the rest are reported cancelled");
    // The shared prompt stays cached for the next request.
    let after = run(&mut m, &requests[1]);
    assert_eq!(after.text, alone[1]);

    // Requests that follow their own first one (a draft's clauses) reuse all of the cached shared
    // prompt, not only its whole chunks; only its last token runs again.
    let later: Vec<GenerateRequest> =
        requests.iter().cloned().map(|r| GenerateRequest { reuse_unaligned_prefix: true, ..r }).collect();
    let prompts: Vec<Vec<u32>> = later.iter().map(|r| m.prompt_tokens(&r.messages).unwrap()).collect();
    let shared = (0..).take_while(|&i| prompts.iter().all(|p| p.get(i).is_some() && p[i] == prompts[0][i])).count();
    run(&mut m, &later[0]);
    let mut answers = vec![None; 3];
    m.generate_batch(&later, 1000, &mut |index, result| {
        answers[index] = Some(result.unwrap());
        true
    });
    for (answer, alone) in answers.into_iter().zip(&alone) {
        let answer = answer.expect("every request is answered");
        assert_eq!(answer.stats.cached_prompt_tokens, shared - 1);
        assert_eq!(&answer.text, alone);
    }
}

#[test]
fn more_requests_than_a_pass_holds_are_admitted_as_earlier_answers_finish() {
    let mut m = model();
    let (first, _) = two_questions_sharing_a_long_system_prompt();
    let services = ["Hund", "Gewerbe", "Wohnsitz", "Fischereischein", "Baugenehmigung", "Wohngeld"];
    let requests: Vec<GenerateRequest> = (0..11)
        .map(|i| {
            let mut request = first.clone();
            request.messages[1] = ChatMessage::user(format!("Was brauche ich für: {}?", services[i % services.len()]));
            // Answers of different lengths finish in different passes.
            request.max_tokens = 2 + i % 5;
            request
        })
        .collect();
    m.clear_cache();
    let alone: Vec<String> = requests.iter().map(|r| run(&mut m, r).text).collect();
    let mut together: Vec<Option<Generation>> = vec![None; requests.len()];
    assert!(m.generate_batch(&requests, 1000, &mut |index, result| {
        together[index] = Some(result.expect("batched generation succeeds"));
        true
    }));
    let together: Vec<Generation> = together.into_iter().map(|g| g.expect("every request is answered")).collect();
    for (batched, alone) in together.iter().zip(&alone) {
        assert_eq!(&batched.text, alone);
    }
    // At most eight answers in flight: the ninth starts after one of the first eight has ended,
    // and the first answers do not wait for the last prompts to be read.
    let first_end = together[..8].iter().map(|g| g.stats.total_s).fold(f64::INFINITY, f64::min);
    assert!(together[8].stats.ttft_s > first_end, "{:?}", together.iter().map(|g| &g.stats).collect::<Vec<_>>());
    assert!(together[0].stats.total_s < together[10].stats.ttft_s);

    // Cancelling ends the answers in flight and those not yet admitted, each reported once.
    let mut reports = vec![0; requests.len()];
    m.generate_batch(&requests, 1000, &mut |index, result| {
        reports[index] += 1;
        result.unwrap().finish != FinishReason::Cancelled && reports.iter().sum::<usize>() < 2
    });
    assert_eq!(reports, vec![1; requests.len()], "every answer reported once");
}

#[test]
fn a_saved_prompt_prefix_is_restored_in_another_load_and_changes_nothing() {
    let mut m = model();
    let (first, second) = two_questions_sharing_a_long_system_prompt();
    m.clear_cache();
    let uncached = run(&mut m, &second);
    m.clear_cache();
    run(&mut m, &first);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("prefix.safetensors");
    let saved = m.save_prefix(&file, llm::PREFIX_CACHE_BLOCK + 5).unwrap();
    assert_eq!(saved, llm::PREFIX_CACHE_BLOCK, "whole prompt chunks only");

    // A fresh load of the same weights (as the next CLI call does) starts from the snapshot.
    let path = models::ensure(&models::default_dir(), models::SMALL_LLM).unwrap();
    let mut fresh = CandleGenerator::load(&path, Device::Cpu).unwrap();
    assert_eq!(fresh.load_prefix(&file), llm::PREFIX_CACHE_BLOCK);
    let restored = run(&mut fresh, &second);
    assert_eq!(restored.stats.cached_prompt_tokens, llm::PREFIX_CACHE_BLOCK);
    assert_eq!(restored.text, uncached.text, "a restored prefix must not change the answer");

    // A damaged or missing file restores nothing and the prompt is prefilled as usual.
    std::fs::write(&file, b"not a snapshot").unwrap();
    fresh.clear_cache();
    assert_eq!(fresh.load_prefix(&file), 0);
    assert_eq!(fresh.load_prefix(&dir.path().join("missing")), 0);
    assert_eq!(run(&mut fresh, &second).text, uncached.text);
}

#[test]
fn sampling_with_a_seed_is_reproducible() {
    let mut m = model();
    let mut request = ask("Schreibe einen kurzen Satz über das Rathaus.", 8);
    request.sampling = Sampling { temperature: 0.8, top_p: Some(0.9), seed: 42 };
    let a = run(&mut m, &request);
    let b = run(&mut m, &request);
    assert_eq!(a.text, b.text);
    request.sampling.temperature = -1.0;
    assert!(matches!(m.generate(&request, &mut |_| true), Err(LlmError::InvalidRequest(_))));
}

#[test]
fn the_worker_streams_and_answers_queue_full_when_busy() {
    let path = models::ensure(&models::default_dir(), models::SMALL_LLM).unwrap();
    let generator = CandleGenerator::load(&path, Device::Cpu).unwrap();
    let worker = LlmWorker::spawn(Box::new(generator), 1);
    assert!(worker.model_id().contains("0.5b"));

    let mut running = worker.submit(ask("Beschreibe ausführlich die Ummeldung eines Autos.", 64)).unwrap();
    // Once a token arrives the first request is running, so the queue (capacity 1) is empty.
    assert!(matches!(running.blocking_recv(), Some(LlmEvent::Token(_))));
    let mut queued = worker.submit(ask("Sag Hallo.", 2)).unwrap();
    assert!(matches!(worker.submit(ask("Noch eine Frage.", 2)), Err(LlmError::QueueFull)));

    // Dropping the receiver cancels the running request; the queued one then completes.
    drop(running);
    let mut tokens = String::new();
    let done = loop {
        match queued.blocking_recv().expect("events until Done") {
            LlmEvent::Token(piece) => tokens.push_str(&piece),
            LlmEvent::Done(result) => break result.unwrap(),
        }
    };
    assert_eq!(done.text, tokens);
    assert_eq!(done.stats.new_tokens, 2);
    assert_eq!(worker.generate_blocking(ask("Sag Tschüss.", 2)).unwrap().stats.new_tokens, 2);
}

/// A deterministic double: reports what the worker's cancellation looked like from inside.
struct Scripted {
    pieces: Vec<&'static str>,
    finishes: Arc<Mutex<Vec<FinishReason>>>,
}

impl Generator for Scripted {
    fn model_id(&self) -> &str {
        "scripted"
    }

    fn generate(
        &mut self,
        _request: &GenerateRequest,
        on_token: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, LlmError> {
        let mut text = String::new();
        let mut finish = FinishReason::Stop;
        for piece in &self.pieces {
            std::thread::sleep(std::time::Duration::from_millis(20));
            if !on_token(piece) {
                finish = FinishReason::Cancelled;
                break;
            }
            text.push_str(piece);
        }
        self.finishes.lock().unwrap().push(finish);
        Ok(Generation { text, finish, stats: Default::default() })
    }
}

#[test]
fn dropping_the_receiver_cancels_the_generation_inside_the_worker() {
    let finishes = Arc::new(Mutex::new(Vec::new()));
    let pieces = vec!["a"; 200];
    let worker = LlmWorker::spawn(Box::new(Scripted { pieces, finishes: finishes.clone() }), 2);
    let mut events = worker.submit(ask("x", 200)).unwrap();
    assert!(matches!(events.blocking_recv(), Some(LlmEvent::Token(_))));
    drop(events);
    // The next request runs only after the cancelled one has returned.
    let done = worker.generate_blocking(GenerateRequest::new(vec![ChatMessage::user("y")], 200)).unwrap();
    assert_eq!(done.finish, FinishReason::Stop);
    assert_eq!(*finishes.lock().unwrap(), vec![FinishReason::Cancelled, FinishReason::Stop]);
}

#[test]
fn bad_model_paths_give_clear_errors() {
    let missing = llm::load("/nonexistent/model.gguf", Device::Cpu).err().expect("missing file fails");
    assert!(matches!(missing, LlmError::Io { .. }), "{missing}");
    assert!(missing.to_string().contains("/nonexistent/model.gguf"));

    let dir = tempfile::tempdir().unwrap();
    let text = dir.path().join("notes.gguf");
    std::fs::write(&text, "Dies ist keine Modelldatei, sondern eine Notiz.").unwrap();
    let err = llm::load(text.to_str().unwrap(), Device::Cpu).err().expect("text file fails");
    assert!(matches!(err, LlmError::NotGguf { .. }), "{err}");
    assert!(err.to_string().contains("notes.gguf"), "{err}");
}

#[test]
fn bench_llm_prints_one_json_object() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_ablauf"))
        .args([
            "bench",
            "llm",
            "--model",
            models::SMALL_LLM,
            "--prompt-tokens",
            "8",
            "--gen-tokens",
            "2",
            "--threads",
            "1",
        ])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON on stdout");
    for key in ["load_s", "prefill_tok_s", "decode_tok_s", "ttft_s", "rss_mb"] {
        assert!(report[key].as_f64().is_some_and(|v| v > 0.0), "{key} in {report}");
    }
    assert_eq!(report["threads"], 1);
    assert_eq!(report["architecture"], "qwen2");

    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_ablauf"))
        .args(["bench", "llm", "--model", "/nonexistent.gguf"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2), "{}", String::from_utf8_lossy(&bad.stderr));
}

#[test]
fn guessing_ahead_checks_guesses_and_keeps_the_models_choice() {
    let mut m = model();
    // An answer that copies from its prompt: prompt lookup has something to guess.
    let list = "Antrag prüfen, Gebühr festsetzen, Bescheid schreiben, Bescheid versenden";
    let mut plain = ask(&format!("Wiederhole wörtlich: {list}"), 24);
    plain.stop = vec!["\n".into()];
    let mut guessing = plain.clone();
    guessing.lookahead = llm::COPY_LOOKAHEAD;
    m.clear_cache();
    let without = run(&mut m, &plain);
    m.clear_cache();
    let with = run(&mut m, &guessing);
    assert_eq!(without.stats.guessed_tokens, 0);
    assert!(with.stats.guessed_tokens > 0, "{:?}", with.stats);
    assert!(with.stats.accepted_guesses > 0, "copying from the prompt confirms guesses: {:?}", with.stats);
    assert!(with.stats.accepted_guesses <= with.stats.guessed_tokens);
    assert_eq!(with.text, without.text, "the guesses change the passes, not the answer");
    // A rejected guess leaves nothing behind: the same request again gives the same answer.
    assert_eq!(run(&mut m, &guessing).text, with.text);
}
