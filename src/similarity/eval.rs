//! `ablauf eval duplicates [--dir DIR]`: what `eval/duplicates/blind_run.sh` does, through
//! the library: a fresh store in a temporary directory gets every process of
//! `DIR/processes/*.json`, then duplicates at the default threshold and gaps against
//! `DIR/catalog.jsonl` are scored against `DIR/pairs.jsonl` and `DIR/coverage.jsonl`
//! (format in `eval/duplicates/README.md`).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::catalog::Catalog;
use super::score::DUPLICATE_THRESHOLD;
use super::{Similarity, SimilarityError};
use crate::embed::Embedder;
use crate::store::{Change, Store};

#[derive(Debug, Deserialize)]
struct Pair {
    a: String,
    b: String,
    label: String,
}

#[derive(Debug, Deserialize)]
struct CoverageLabel {
    leika_key: String,
    name: String,
    covered_by: Vec<String>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EvalReport {
    pub model: String,
    pub processes: usize,
    pub duplicates_precision: f32,
    pub duplicates_recall: f32,
    pub suggested: usize,
    pub true_pairs: usize,
    pub hard_negative_pairs_suggested: usize,
    pub hard_negative_pairs: usize,
    pub gaps_precision: f32,
    pub gaps_recall: f32,
    pub gaps_reported: usize,
    pub true_gaps: usize,
    /// Every wrong answer, for the developer.
    pub mistakes: Vec<String>,
}

pub fn evaluate(dir: &Path, embedder: Arc<dyn Embedder>) -> Result<EvalReport, SimilarityError> {
    let bad = |m: String| SimilarityError::Input(m);
    let scratch = Scratch::new().map_err(|e| bad(format!("temporary directory: {e}")))?;
    let store = Arc::new(Store::open(&scratch.0.join("ablauf.db"))?);
    let change = Change { author: "eval", reason: "eval duplicates", own_drafts_only: false };
    let mut files: Vec<_> = std::fs::read_dir(dir.join("processes"))
        .map_err(|e| bad(format!("{}: {e}", dir.join("processes").display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut name_of: HashMap<String, String> = HashMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| bad(format!("{}: {e}", file.display())))?;
        let process = crate::process::parse(&text).map_err(|f| bad(format!("{}: {}", file.display(), f.message)))?;
        let saved = store.create(&process, &change)?;
        let stem = file.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        name_of.insert(saved.id, stem);
    }
    let model = embedder.model_id().to_owned();
    let (similarity, _) = Similarity::open(store, embedder, &|_, _| {})?;
    let name = |id: &str| name_of.get(id).cloned().unwrap_or_else(|| id.to_owned());
    let mut mistakes = Vec::new();

    let pairs: Vec<Pair> = read_jsonl(&dir.join("pairs.jsonl"))?;
    let key = |a: &str, b: &str| if a < b { (a.to_owned(), b.to_owned()) } else { (b.to_owned(), a.to_owned()) };
    let label: HashMap<(String, String), &str> = pairs.iter().map(|p| (key(&p.a, &p.b), p.label.as_str())).collect();
    let gold: HashSet<&(String, String)> = label.iter().filter(|(_, l)| **l == "duplicate").map(|(k, _)| k).collect();
    let mut found = HashSet::new();
    let mut hard = 0;
    for c in similarity.duplicates(DUPLICATE_THRESHOLD)? {
        let pair = key(&name(&c.a), &name(&c.b));
        let kind = label.get(&pair).copied().unwrap_or("different");
        if kind != "duplicate" {
            mistakes.push(format!("suggested ({kind}): {} / {}  score {}", pair.0, pair.1, c.score));
        }
        hard += usize::from(kind == "related");
        found.insert(pair);
    }
    for pair in gold.iter().filter(|p| !found.contains(**p)) {
        mistakes.push(format!("missed duplicate: {} / {}", pair.0, pair.1));
    }
    let tp = found.iter().filter(|p| gold.contains(p)).count();

    let catalog = Catalog::load(&dir.join("catalog.jsonl"))?;
    let coverage: Vec<CoverageLabel> = read_jsonl(&dir.join("coverage.jsonl"))?;
    let report = similarity.gaps(&catalog, &|_, _| {})?;
    let missing: HashSet<(&str, &str)> =
        report.topics.iter().flat_map(|t| t.missing.iter().map(|s| (s.key.as_str(), s.name.as_str()))).collect();
    let (mut reported, mut gap_tp) = (0, 0);
    for c in &coverage {
        let is_gap = missing.contains(&(c.leika_key.as_str(), c.name.as_str()));
        reported += usize::from(is_gap);
        gap_tp += usize::from(is_gap && c.covered_by.is_empty());
        if is_gap && !c.covered_by.is_empty() {
            mistakes.push(format!("reported as a gap, covered by {:?}: {}", c.covered_by, c.name));
        }
        if !is_gap && c.covered_by.is_empty() {
            let by = report.covered_services.iter().find(|x| x.service.name == c.name);
            let via = by.map(|x| format!("{} {:?}", name(&x.process), x.evidence)).unwrap_or_default();
            mistakes.push(format!("reported as covered, a gap: {} (by {via})", c.name));
        }
    }
    let true_gaps = coverage.iter().filter(|c| c.covered_by.is_empty()).count();
    let ratio = |a: usize, b: usize| if b == 0 { 0.0 } else { a as f32 / b as f32 };
    Ok(EvalReport {
        model,
        processes: files.len(),
        duplicates_precision: ratio(tp, found.len()),
        duplicates_recall: ratio(tp, gold.len()),
        suggested: found.len(),
        true_pairs: gold.len(),
        hard_negative_pairs_suggested: hard,
        hard_negative_pairs: label.values().filter(|l| **l == "related").count(),
        gaps_precision: ratio(gap_tp, reported),
        gaps_recall: ratio(gap_tp, true_gaps),
        gaps_reported: reported,
        true_gaps,
        mistakes,
    })
}

/// A scratch data directory, removed on drop.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new() -> std::io::Result<Scratch> {
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let dir = std::env::temp_dir().join(format!("ablauf-eval-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn read_jsonl<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Vec<T>, SimilarityError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| SimilarityError::Input(format!("cannot read {}: {e}", path.display())))?;
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l)
                .map_err(|e| SimilarityError::Input(format!("{} line {}: {e}", path.display(), i + 1)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every labelled set under `eval/` holds what its labels name: processes that parse and
    /// validate, pairs and coverage of existing ids, one coverage line per catalogue row in order.
    #[test]
    fn every_duplicates_set_is_consistent() {
        let eval = Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/eval"));
        let sets = [
            "duplicates/corpus",
            "duplicates-dev2",
            "duplicates-dev3",
            "duplicates-dev4",
            "duplicates-blind",
            "duplicates-blind2",
        ];
        for set in sets {
            let dir = eval.join(set);
            let mut ids = HashSet::new();
            for entry in std::fs::read_dir(dir.join("processes")).unwrap() {
                let path = entry.unwrap().path();
                let process = crate::process::parse(&std::fs::read_to_string(&path).unwrap())
                    .unwrap_or_else(|f| panic!("{}: {}", path.display(), f.message));
                assert!(crate::process::validate(&process).valid, "{}", path.display());
                ids.insert(path.file_stem().unwrap().to_string_lossy().into_owned());
            }
            let pairs: Vec<Pair> = read_jsonl(&dir.join("pairs.jsonl")).unwrap();
            for p in &pairs {
                assert!(ids.contains(&p.a) && ids.contains(&p.b), "{set}: {p:?}");
                assert!(matches!(p.label.as_str(), "duplicate" | "related"), "{set}: {p:?}");
            }
            let catalog = Catalog::load(&dir.join("catalog.jsonl")).unwrap();
            let coverage: Vec<CoverageLabel> = read_jsonl(&dir.join("coverage.jsonl")).unwrap();
            assert_eq!(catalog.services.len(), coverage.len(), "{set}");
            for (service, label) in catalog.services.iter().zip(&coverage) {
                assert_eq!((&service.key, &service.name), (&label.leika_key, &label.name), "{set}");
                assert!(label.covered_by.iter().all(|id| ids.contains(id)), "{set}: {label:?}");
            }
        }
    }
}
