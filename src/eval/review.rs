//! Evaluation of reviews against planted flaws: a directory of clean processes (`clean-*.json`)
//! and flawed copies (`flawed-*.json`) whose flaws `flaws.jsonl` lists, one line per file:
//! `{"file": "flawed-03.json", "flaws": [{"kind": "dead_end", "step": "s5"}, …]}`.
//!
//! Two figures: how many planted flaws the deterministic checks find (each kind maps to the
//! check codes that report it, at the flaw's step where it has one), and how precise the model's
//! own findings are — a model finding is right only where it names a planted flaw of its kind
//! (`vague_name` for `unclear_name`); anything it reports on a clean process is wrong.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::{EvalError, read_files};
use crate::llm::Generator;
use crate::process::{Finding, Process};
use crate::review::{Review, Source, llm};

#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PlantedFlaw {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
}

#[derive(Debug, Deserialize)]
struct FlawLine {
    file: String,
    flaws: Vec<PlantedFlaw>,
}

#[derive(Debug, Clone)]
pub struct ReviewCase {
    pub file: String,
    pub process: Process,
    pub flaws: Vec<PlantedFlaw>,
}

/// Reads every `*.json` process of `dir` with its planted flaws (none for files not in `flaws.jsonl`).
pub fn load_cases(dir: &Path) -> Result<Vec<ReviewCase>, EvalError> {
    let flaws_path = dir.join("flaws.jsonl");
    let text =
        std::fs::read_to_string(&flaws_path).map_err(|source| EvalError::Io { path: flaws_path.clone(), source })?;
    let format = |path: &Path, e: serde_json::Error| EvalError::Format { path: path.to_owned(), detail: e.to_string() };
    let mut planted = std::collections::HashMap::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let entry: FlawLine = serde_json::from_str(line).map_err(|e| format(&flaws_path, e))?;
        planted.insert(entry.file, entry.flaws);
    }
    read_files(dir, "json")?
        .into_iter()
        .map(|(path, text)| {
            let process: Process = serde_json::from_str(&text).map_err(|e| format(&path, e))?;
            let file = path.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
            Ok(ReviewCase { flaws: planted.remove(&file).unwrap_or_default(), file, process })
        })
        .collect()
}

/// The check codes that report a planted flaw of `kind`.
fn codes_for(kind: &str) -> &'static [&'static str] {
    match kind {
        "one_branch_decision" => &["decision_branches"],
        "dead_end" => &["dead_end", "no_way_to_end"],
        "task_without_role" => &["task_without_role"],
        "missing_legal_basis" => &["no_legal_basis"],
        "unclear_name" => &["unclear_name"],
        _ => &[],
    }
}

/// The id of the step a finding's path points at (`steps[3].next` → the fourth step's id).
fn step_of<'a>(process: &'a Process, finding: &Finding) -> Option<&'a str> {
    let index: usize = finding.path.strip_prefix("steps[")?.split(']').next()?.parse().ok()?;
    process.steps.get(index).map(|s| s.id.as_str())
}

fn matches(process: &Process, flaw: &PlantedFlaw, finding: &Finding, codes: &[&str]) -> bool {
    codes.contains(&finding.code.as_str())
        && flaw.step.as_deref().is_none_or(|step| step_of(process, finding) == Some(step))
}

#[derive(Debug, Clone, Serialize)]
pub struct FileResult {
    pub file: String,
    pub planted: usize,
    pub found_by_checks: usize,
    pub missed: Vec<PlantedFlaw>,
    /// The model's findings as `code path => proposal`, each marked right or wrong.
    pub llm_findings: Vec<(String, bool)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReviewReport {
    pub files: usize,
    pub clean_files: usize,
    pub planted: usize,
    pub found_by_checks: usize,
    pub checks_recall: f64,
    pub llm_findings: usize,
    pub llm_right: usize,
    /// Right model findings / all model findings (1 when the model reported nothing).
    pub llm_precision: f64,
    pub llm_findings_on_clean: usize,
    pub results: Vec<FileResult>,
}

/// Reviews every case (with the model when one is given) and scores the findings.
pub fn evaluate(mut generator: Option<&mut dyn Generator>, cases: &[ReviewCase]) -> ReviewReport {
    let mut results = Vec::new();
    for case in cases {
        let review = match generator.as_deref_mut() {
            Some(g) => llm::request(&case.process)
                .ok()
                .flatten()
                .and_then(|request| g.generate(&request, &mut |_| true).ok())
                .map(|generation| Review::with_llm(&case.process, &generation, g.model_id()))
                .unwrap_or_else(|| Review::checks_only(&case.process)),
            None => Review::checks_only(&case.process),
        };
        let checks: Vec<&Finding> =
            review.findings.iter().filter(|f| f.source == Source::Check).map(|f| &f.finding).collect();
        let missed: Vec<PlantedFlaw> = case
            .flaws
            .iter()
            .filter(|flaw| !checks.iter().any(|f| matches(&case.process, flaw, f, codes_for(&flaw.kind))))
            .cloned()
            .collect();
        let llm_findings = review
            .findings
            .iter()
            .filter(|f| f.source == Source::Llm)
            .map(|f| {
                let right = case.flaws.iter().any(|flaw| {
                    flaw.kind == "unclear_name" && matches(&case.process, flaw, &f.finding, &["vague_name"])
                });
                let fix = f.finding.fix.as_deref().unwrap_or_default();
                (format!("{} {} => {fix}", f.finding.code, f.finding.path), right)
            })
            .collect();
        results.push(FileResult {
            file: case.file.clone(),
            planted: case.flaws.len(),
            found_by_checks: case.flaws.len() - missed.len(),
            missed,
            llm_findings,
        });
    }
    let planted: usize = results.iter().map(|r| r.planted).sum();
    let found: usize = results.iter().map(|r| r.found_by_checks).sum();
    let llm_findings: usize = results.iter().map(|r| r.llm_findings.len()).sum();
    let llm_right = results.iter().flat_map(|r| &r.llm_findings).filter(|(_, right)| *right).count();
    ReviewReport {
        files: results.len(),
        clean_files: results.iter().filter(|r| r.planted == 0).count(),
        planted,
        found_by_checks: found,
        checks_recall: if planted == 0 { 1.0 } else { found as f64 / planted as f64 },
        llm_findings,
        llm_right,
        llm_precision: if llm_findings == 0 { 1.0 } else { llm_right as f64 / llm_findings as f64 },
        llm_findings_on_clean: results.iter().filter(|r| r.planted == 0).map(|r| r.llm_findings.len()).sum(),
        results,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planted_flaws_are_matched_by_code_and_step() {
        let dir = tempfile::tempdir().unwrap();
        let process = r#"{"title": "T", "roles": [{"id": "a", "name": "Amt"}],
            "steps": [{"id": "s1", "type": "start", "name": "Antrag", "next": [{"to": "s2"}]},
                      {"id": "s2", "type": "task", "name": "Bearbeitung", "role": "a", "next": [{"to": "s3"}]},
                      {"id": "s3", "type": "end", "name": "fertig"}]}"#;
        std::fs::write(dir.path().join("flawed-01.json"), process).unwrap();
        std::fs::write(
            dir.path().join("flaws.jsonl"),
            r#"{"file": "flawed-01.json", "flaws": [{"kind": "unclear_name", "step": "s2"}, {"kind": "missing_legal_basis"}, {"kind": "dead_end", "step": "s2"}]}"#,
        )
        .unwrap();
        let cases = load_cases(dir.path()).unwrap();
        let report = evaluate(None, &cases);
        assert_eq!((report.planted, report.found_by_checks), (3, 2));
        assert_eq!(report.results[0].missed[0].kind, "dead_end", "s2 does lead on");
        assert_eq!(report.llm_precision, 1.0);
    }
}
