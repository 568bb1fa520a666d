//! Review: the deterministic checks (codes, severities, paths, fixes) on real process files, and
//! the `ablauf review` command.

use crate::common;

use std::process::{Command, Stdio};

use ablauf::process::{Process, Severity};
use ablauf::review::{Review, Source};
use common::{BIN, fixture_json};

fn fixture() -> Process {
    serde_json::from_value(fixture_json()).unwrap()
}

fn codes(review: &Review) -> Vec<(&str, &str)> {
    review.findings.iter().map(|f| (f.finding.code.as_str(), f.finding.path.as_str())).collect()
}

#[test]
fn a_well_documented_process_only_gets_deterministic_findings_with_fixes() {
    let review = Review::checks_only(&fixture());
    assert!(review.llm.is_none());
    assert!(review.findings.iter().all(|f| f.source == Source::Check));
    assert!(!review.findings.iter().any(|f| f.finding.severity == Severity::Error), "{:?}", codes(&review));
}

#[test]
fn every_gap_is_reported_at_its_path() {
    let mut p = fixture();
    p.legal_basis.clear();
    // The decision loses its second branch; the rejection letter is produced but never sent.
    p.steps[2].next.truncate(1);
    p.steps[6].name = "Ablehnungsbescheid schreiben".into();
    p.steps[6].role = None;
    p.steps[3].name = "Meldeadresse im Melderegister prüfen".into();
    p.documents.push("Lageplan".into());
    let review = Review::checks_only(&p);
    let found = codes(&review);
    for expected in [
        ("no_legal_basis", "legal_basis"),
        ("decision_branches", "steps[2].next"),
        ("unreachable", "steps[6]"),
        ("task_without_role", "steps[6].role"),
        ("document_unused", "steps[6].outputs[0]"),
        ("duplicate_step_name", "steps[3].name"),
        ("document_not_in_steps", "documents[4]"),
    ] {
        assert!(found.contains(&expected), "missing {expected:?} in {found:?}");
    }
    for finding in &review.findings {
        assert!(!finding.finding.message.is_empty());
    }
    let with_fix = ["no_legal_basis", "decision_branches", "document_unused", "document_not_in_steps"];
    for f in review.findings.iter().filter(|f| with_fix.contains(&f.finding.code.as_str())) {
        assert!(f.finding.fix.is_some(), "{f:?}");
    }
}

#[test]
fn review_command_prints_findings_and_rejects_bad_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.json");
    std::fs::write(&file, fixture_json().to_string()).unwrap();
    let out = Command::new(BIN).args(["review", "--no-llm", "--file"]).arg(&file).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let review: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(review["findings"].is_array());

    std::fs::write(&file, "{\"title\": 3}").unwrap();
    let out = Command::new(BIN).args(["review", "--no-llm", "--file"]).arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("title"));

    let out = Command::new(BIN)
        .args(["review", "--no-llm", "--file", "/nonexistent/p.json"])
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
