//! `ablauf draft`: exit codes for unusable input, and a real draft with the small model saved to
//! the store.

use crate::common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use common::{BIN, SMALL_LLM};

fn draft(data_dir: &std::path::Path, stdin: &str, extra: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .args(["draft", "--model", SMALL_LLM, "--data-dir"])
        .arg(data_dir)
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn unusable_input_exits_2_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    for (input, message) in [
        ("", "empty"),
        ("Das Wetter ist heute schön und die Sonne scheint.", "does not describe a process"),
        ("{\"a\": [1, 2, 3], \"b\": 4.5e10, \"c\": null}", "does not look like text"),
    ] {
        let out = draft(dir.path(), input, &[]);
        assert_eq!(out.status.code(), Some(2), "{input:?}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(message), "{}", String::from_utf8_lossy(&out.stderr));
        assert!(out.stdout.is_empty());
    }
    let out = Command::new(BIN).args(["draft", "--file", "/nonexistent/diktat.txt"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_saved_draft_is_stored_as_draft() {
    let dir = tempfile::tempdir().unwrap();
    let out = draft(
        dir.path(),
        "Antrag kommt rein, die Sachbearbeitung prüft ihn und schickt dann den Bescheid.",
        &["--save", "--max-tokens", "80"],
    );
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let drafted: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = drafted["id"].as_str().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("1 start"), "steps are shown as they come");

    let out = Command::new(BIN).args(["get", id, "--data-dir"]).arg(dir.path()).output().unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(stored["status"], "draft");
    assert_eq!(stored["process"], drafted["process"]);
}

/// A spoken dictation: transcribed with the real speech model, then drafted and saved.
#[test]
fn a_recording_is_transcribed_then_drafted() {
    let dir = tempfile::tempdir().unwrap();
    let audio = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/speech/antrag-pruefen.wav");
    let out = draft(dir.path(), "", &["--audio", audio.to_str().unwrap(), "--save"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Antrag"), "the transcript's windows are shown: {stderr}");
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(answer["id"].is_string(), "{answer}");
    let steps = answer["process"]["steps"].as_array().map_or(0, Vec::len);
    assert!(steps >= 2, "{answer}");
    // Text and audio at once is refused.
    let both = draft(dir.path(), "", &["--audio", audio.to_str().unwrap(), "--file", "x.txt"]);
    assert_eq!(both.status.code(), Some(2));
}

/// `ablauf eval draft --clause-paste` scores the peer (every clause pasted as a task)
/// with the same matchers and report, without loading a language model; `--words-only` loads no
/// model at all.
#[test]
fn the_drafting_eval_scores_the_clause_paste_peer() {
    let cases = concat!(env!("CARGO_MANIFEST_DIR"), "/eval/draft-dev3/cases");
    let out = Command::new(BIN)
        .args(["eval", "draft", "--clause-paste", "--words-only", "--limit", "3", "--cases", cases])
        .env("ABLAUF_MODELS_DIR", "/nonexistent")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let draft = &report["draft"];
    assert_eq!((draft["model_id"].as_str(), draft["cases"].as_u64()), (Some("clause-paste peer"), Some(3)));
    for result in draft["results"].as_array().unwrap() {
        let steps = &result["score"]["steps"];
        assert!(steps["predicted"].as_u64().unwrap() >= 3, "every clause is a task: {result}");
        assert!(steps["matched"].as_u64() <= steps["gold"].as_u64(), "{result}");
        assert_eq!(result["score"]["decisions"]["predicted"].as_u64(), Some(0), "the peer draws no decision");
    }
    let recall = draft["steps"]["recall"].as_f64().unwrap();
    assert!(recall > 0.0 && recall < 1.0, "{recall}");
    assert!(draft.get("by_meaning").is_none() && draft["results"][0].get("by_meaning").is_none());

    // Matched by meaning as well, a pasted clause is found where its words differ from the name.
    let out =
        Command::new(BIN).args(["eval", "draft", "--clause-paste", "--limit", "3", "--cases", cases]).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let draft = &report["draft"];
    assert_eq!(draft["steps"]["recall"].as_f64(), Some(recall), "the word scores stay as they were");
    let by_meaning = draft["by_meaning"]["steps"]["recall"].as_f64().unwrap();
    assert!(by_meaning > recall && by_meaning <= 1.0, "{by_meaning} against {recall}");
    for result in draft["results"].as_array().unwrap() {
        let (words, meaning) = (&result["score"]["steps"], &result["by_meaning"]["steps"]);
        assert_eq!(
            (words["gold"].as_u64(), words["predicted"].as_u64()),
            (meaning["gold"].as_u64(), meaning["predicted"].as_u64())
        );
    }

    let out = Command::new(BIN)
        .args(["eval", "draft", "--clause-paste", "--pet", "pet.jsonl", "--cases", cases])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "the peer has no PET check");
}

/// `ablauf eval draft` reports each score with its 95 % interval and, run again with the answers
/// it recorded, drafts the same without asking the model; `ablauf eval compare` finds no
/// difference between a run and itself; an unreadable run exits 2.
#[test]
fn the_drafting_eval_gives_intervals_reuses_recorded_answers_and_compares_two_runs() {
    let cases = concat!(env!("CARGO_MANIFEST_DIR"), "/eval/draft/cases");
    let dir = tempfile::tempdir().unwrap();
    let answers = dir.path().join("answers.jsonl");
    let eval = || {
        let out = Command::new(BIN)
            .args(["eval", "draft", "--model", SMALL_LLM, "--limit", "2", "--cases", cases, "--answers"])
            .arg(&answers)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    let first = eval();
    let report: serde_json::Value = serde_json::from_slice(&first).unwrap();
    let recall = report["draft"]["steps"]["recall"].as_f64().unwrap();
    let interval = &report["draft"]["intervals"]["steps_recall"];
    let (low, high) = (interval["low"].as_f64().unwrap(), interval["high"].as_f64().unwrap());
    assert!(low <= recall && recall <= high, "{recall} outside {interval}");
    assert_eq!(report["recorded_answers"]["reused"], 0, "{}", report["recorded_answers"]);
    // Run again, every answer comes from the record, and the drafts are the same.
    let second: serde_json::Value = serde_json::from_slice(&eval()).unwrap();
    assert_eq!(second["recorded_answers"]["asked"], 0, "{}", second["recorded_answers"]);
    assert_eq!(second["recorded_answers"]["reused"], report["recorded_answers"]["asked"]);
    let drafts = |r: &serde_json::Value| {
        r["draft"]["results"].as_array().unwrap().iter().map(|c| c["compact"].clone()).collect::<Vec<_>>()
    };
    assert_eq!(drafts(&second), drafts(&report));

    let run = dir.path().join("run.json");
    std::fs::write(&run, &first).unwrap();
    let out = Command::new(BIN).args(["eval", "compare"]).arg(&run).arg(&run).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let comparison: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((comparison["cases"].as_u64(), comparison["steps_unchanged"].as_u64()), (Some(2), Some(2)));
    assert!(comparison["differences"].as_array().unwrap().iter().all(|d| d["difference"] == 0.0), "{comparison}");

    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{\"draft\": {}}").unwrap();
    let out = Command::new(BIN).args(["eval", "compare"]).arg(&run).arg(&broken).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("broken.json"), "{}", String::from_utf8_lossy(&out.stderr));
}
