//! `ablauf eval duplicates`: the duplicate detector and the coverage matcher measured on
//! the labelled set in `eval/duplicates/` (see its README), with the same code paths as
//! production (canonical text, embedder, features, weights).

use std::collections::HashMap;
use std::path::Path;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::SimilarityError;
use super::catalog::Catalog;
use super::gaps::{self, COVERAGE, COVERAGE_THRESHOLD};
use super::lexical::Grams;
use super::score::{DUPLICATE_THRESHOLD, Doc, Features, NEIGHBOUR_THRESHOLD, WEIGHTS, Weights};
use crate::embed::{Embedder, cosine};
use crate::process::{Flow, Process, Role, Step, StepType};
use crate::store::Status;

/// A process of the evaluation set in its compact authoring form.
#[derive(Debug, Deserialize)]
struct EvalProcess {
    id: String,
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    steps: Vec<String>,
    #[serde(default)]
    legal_basis: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct Pair {
    a: String,
    b: String,
    label: Label,
    /// Where the pair comes from (handwritten, leika-activity, leika-random).
    source: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Label {
    Duplicate,
    Related,
    Different,
}

#[derive(Debug, Deserialize)]
struct CoverageLabel {
    process: String,
    services: Vec<String>,
}

#[derive(Debug, Clone, Copy, Serialize, JsonSchema)]
pub struct Metrics {
    pub threshold: f32,
    pub precision: f32,
    pub recall: f32,
    pub f1: f32,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct EvalReport {
    pub model: String,
    pub pairs: HashMap<String, usize>,
    /// Duplicate vs not, with the shipped weights and threshold.
    pub duplicates_at_default: Metrics,
    /// The best threshold for the shipped weights.
    pub duplicates_best: Metrics,
    /// The best weights and threshold of a grid search (what calibration would choose).
    pub best_weights: Weights,
    pub best_weights_metrics: Metrics,
    /// Weights and threshold calibrated on one half of the pairs, measured on the other
    /// (mean of both folds): what to expect on pairs the calibration has not seen.
    pub cross_validated: Metrics,
    /// Baselines: the embedding alone, trigrams alone (best thresholds).
    pub dense_only_best: Metrics,
    pub lexical_only_best: Metrics,
    /// Duplicate or related vs different, with the shipped weights and neighbour threshold.
    pub neighbours_at_default: Metrics,
    pub neighbours_best: Metrics,
    /// Per source of the pairs: share of pairs suggested as duplicates at the default, by label.
    pub suggested_by_source: HashMap<String, HashMap<String, f32>>,
    /// The highest-scoring pairs that are not duplicates (the detector's hardest mistakes).
    pub top_false_positives: Vec<(String, String, f32)>,
    pub coverage: CoverageEval,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CoverageEval {
    pub processes: usize,
    pub catalog_services: usize,
    /// Share of processes whose labelled service is among the `k` best-scoring services.
    pub recall_at: HashMap<String, f32>,
    /// Links process→service with score ≥ threshold, judged against the labels.
    pub at_default: Metrics,
    pub best: Metrics,
    /// The best coverage weights of a grid search and their metrics.
    pub best_weights: Weights,
    pub best_weights_metrics: Metrics,
}

/// Runs the evaluation with the data in `dir` and the default catalogue.
pub fn evaluate(dir: &Path, embedder: &dyn Embedder) -> Result<EvalReport, SimilarityError> {
    let processes: Vec<EvalProcess> = read_jsonl(&dir.join("processes.jsonl"))?;
    let pairs: Vec<Pair> = read_jsonl(&dir.join("pairs.jsonl"))?;
    let labels: Vec<CoverageLabel> = read_jsonl(&dir.join("coverage.jsonl"))?;
    let docs: Vec<Doc> = processes.iter().map(|p| Doc::new(&p.id, 1, Status::Draft, &to_process(p))).collect();
    let texts: Vec<&str> = docs.iter().map(|d| d.canonical.as_str()).collect();
    let vectors = embedder.embed(&texts)?;
    let by_id: HashMap<&str, usize> = docs.iter().enumerate().map(|(i, d)| (d.id.as_str(), i)).collect();
    let find = |id: &str| by_id.get(id).copied().ok_or_else(|| SimilarityError::Input(format!("unknown id {id:?}")));

    let mut scored: Vec<(Features, Label)> = Vec::with_capacity(pairs.len());
    let mut counts = HashMap::new();
    for pair in &pairs {
        let (a, b) = (find(&pair.a)?, find(&pair.b)?);
        scored.push((docs[a].features(&docs[b], cosine(&vectors[a], &vectors[b])), pair.label));
        *counts.entry(format!("{:?}", pair.label).to_lowercase()).or_insert(0) += 1;
    }
    let is_dup = |l: Label| l == Label::Duplicate;
    let with = |w: Weights| scored.iter().map(|(f, l)| (w.score(f), is_dup(*l))).collect::<Vec<_>>();
    let all: Vec<usize> = (0..scored.len()).collect();
    let best_weights = calibrate(&scored, &all);
    // Two-fold cross-validation: calibrate on one half of the pairs, measure on the other.
    let folds: [Vec<usize>; 2] = [0, 1].map(|f| all.iter().copied().filter(|i| i % 2 == f).collect());
    let held_out: Vec<Metrics> = [(0, 1), (1, 0)]
        .iter()
        .map(|&(train, test)| {
            let (w, m) = calibrate(&scored, &folds[train]);
            let test: Vec<(f32, bool)> =
                folds[test].iter().map(|&i| (w.score(&scored[i].0), is_dup(scored[i].1))).collect();
            metrics_at(&test, m.threshold)
        })
        .collect();
    let mean = |f: fn(&Metrics) -> f32| held_out.iter().map(f).sum::<f32>() / held_out.len() as f32;
    let cross_validated = Metrics {
        threshold: mean(|m| m.threshold),
        precision: mean(|m| m.precision),
        recall: mean(|m| m.recall),
        f1: mean(|m| m.f1),
    };
    let mut by_source: HashMap<String, HashMap<String, (usize, usize)>> = HashMap::new();
    let mut false_positives = Vec::new();
    for (pair, (f, label)) in pairs.iter().zip(&scored) {
        let score = WEIGHTS.score(f);
        let cell =
            by_source.entry(pair.source.clone()).or_default().entry(format!("{label:?}").to_lowercase()).or_default();
        cell.0 += usize::from(score >= DUPLICATE_THRESHOLD);
        cell.1 += 1;
        if *label != Label::Duplicate {
            false_positives.push((docs[find(&pair.a)?].title.clone(), docs[find(&pair.b)?].title.clone(), score));
        }
    }
    false_positives.sort_by(|x, y| y.2.total_cmp(&x.2));
    false_positives.truncate(10);
    let suggested_by_source = by_source
        .into_iter()
        .map(|(source, labels)| (source, labels.into_iter().map(|(l, (hit, n))| (l, hit as f32 / n as f32)).collect()))
        .collect();
    let neighbours: Vec<(f32, bool)> = scored.iter().map(|(f, l)| (WEIGHTS.score(f), *l != Label::Different)).collect();
    Ok(EvalReport {
        model: embedder.model_id().to_owned(),
        pairs: counts,
        duplicates_at_default: metrics_at(&with(WEIGHTS), DUPLICATE_THRESHOLD),
        duplicates_best: best_threshold(&with(WEIGHTS)),
        best_weights: best_weights.0,
        best_weights_metrics: best_weights.1,
        dense_only_best: best_threshold(&with(Weights { dense: 1.0, title: 0.0, text: 0.0, variant: 0.0 })),
        lexical_only_best: best_threshold(&with(Weights { dense: 0.0, title: 0.5, text: 0.5, variant: 0.0 })),
        neighbours_at_default: metrics_at(&neighbours, NEIGHBOUR_THRESHOLD),
        neighbours_best: best_threshold(&neighbours),
        cross_validated,
        suggested_by_source,
        top_false_positives: false_positives,
        coverage: evaluate_coverage(&labels, &docs, &vectors, &find, embedder)?,
    })
}

fn evaluate_coverage(
    labels: &[CoverageLabel],
    docs: &[Doc],
    vectors: &[Vec<f32>],
    find: &dyn Fn(&str) -> Result<usize, SimilarityError>,
    embedder: &dyn Embedder,
) -> Result<CoverageEval, SimilarityError> {
    let catalog = Catalog::default_catalog();
    let texts: Vec<String> = catalog.services.iter().map(gaps::service_text).collect();
    let service_vectors = embedder.embed(&texts.iter().map(String::as_str).collect::<Vec<_>>())?;
    let names: Vec<Grams> = catalog.services.iter().map(|s| Grams::of(&s.name)).collect();
    let mut features = Vec::with_capacity(labels.len());
    for label in labels {
        let i = find(&label.process)?;
        features.push(
            catalog
                .services
                .iter()
                .enumerate()
                .map(|(s, service)| {
                    let dense = cosine(&service_vectors[s], &vectors[i]);
                    (gaps::coverage_features(&names[s], dense, &docs[i]), label.services.contains(&service.key))
                })
                .collect::<Vec<_>>(),
        );
    }
    // Per process, services ranked by score; only the best one counts as a link, as in the report.
    let rank = |w: Weights| -> Vec<Vec<(f32, bool)>> {
        features
            .iter()
            .map(|row| {
                let mut ranking: Vec<(f32, bool)> = row.iter().map(|(f, ok)| (w.score(f), *ok)).collect();
                ranking.sort_by(|x, y| y.0.total_cmp(&x.0));
                ranking
            })
            .collect()
    };
    let links = |rankings: &[Vec<(f32, bool)>]| rankings.iter().filter_map(|r| r.first().copied()).collect::<Vec<_>>();
    let rankings = rank(COVERAGE);
    let labelled = labels.len().max(1) as f32;
    let recall_at = [1, 3, 5, 10]
        .iter()
        .map(|&k| {
            let found = rankings.iter().filter(|r| r.iter().take(k).any(|(_, ok)| *ok)).count();
            (k.to_string(), found as f32 / labelled)
        })
        .collect();
    // Every labelled process should link to its service: those that link elsewhere are misses.
    let positives = labels.len();
    let mut best_weights = (COVERAGE, best_threshold_of(&links(&rankings), positives));
    for d in 0..=20 {
        let w = Weights { dense: d as f32 / 20.0, title: (20 - d) as f32 / 20.0, text: 0.0, variant: 0.0 };
        let m = best_threshold_of(&links(&rank(w)), positives);
        if m.f1 > best_weights.1.f1 + 1e-6 {
            best_weights = (w, m);
        }
    }
    Ok(CoverageEval {
        processes: labels.len(),
        catalog_services: catalog.services.len(),
        recall_at,
        at_default: metrics_of(&links(&rankings), COVERAGE_THRESHOLD, positives),
        best: best_threshold_of(&links(&rankings), positives),
        best_weights: best_weights.0,
        best_weights_metrics: best_weights.1,
    })
}

fn to_process(p: &EvalProcess) -> Process {
    let roles: Vec<Role> = p
        .roles
        .iter()
        .enumerate()
        .map(|(i, name)| Role { id: format!("r{i}"), name: name.clone(), unit: None })
        .collect();
    let steps = p
        .steps
        .iter()
        .enumerate()
        .map(|(i, name)| Step {
            id: format!("s{i}"),
            kind: StepType::Task,
            name: name.clone(),
            role: roles.first().map(|r| r.id.clone()),
            next: (i + 1 < p.steps.len())
                .then(|| Flow { to: format!("s{}", i + 1), condition: None })
                .into_iter()
                .collect(),
            ..Step::default()
        })
        .collect();
    Process {
        title: p.title.clone(),
        summary: p.summary.clone(),
        roles,
        steps,
        legal_basis: p.legal_basis.clone(),
        ..Process::default()
    }
}

/// The duplicate weights and threshold with the best F1 on the pairs `subset` (grid search).
fn calibrate(scored: &[(Features, Label)], subset: &[usize]) -> (Weights, Metrics) {
    let with = |w: &Weights| -> Vec<(f32, bool)> {
        subset.iter().map(|&i| (w.score(&scored[i].0), scored[i].1 == Label::Duplicate)).collect()
    };
    let mut best = (WEIGHTS, best_threshold(&with(&WEIGHTS)));
    for d in 0..=20 {
        for t in 0..=(20 - d) {
            for v in 0..=10 {
                let text = (20 - d - t) as f32 / 20.0;
                let w = Weights { dense: d as f32 / 20.0, title: t as f32 / 20.0, text, variant: -(v as f32) / 10.0 };
                let m = best_threshold(&with(&w));
                if m.f1 > best.1.f1 + 1e-6 {
                    best = (w, m);
                }
            }
        }
    }
    best
}

/// Precision, recall and F1 of "score ≥ threshold" against the boolean labels.
fn metrics_at(scored: &[(f32, bool)], threshold: f32) -> Metrics {
    metrics_of(scored, threshold, scored.iter().filter(|(_, l)| *l).count())
}

/// As `metrics_at`, with the number of positives given (some may have no scored entry).
fn metrics_of(scored: &[(f32, bool)], threshold: f32, positives: usize) -> Metrics {
    let tp = scored.iter().filter(|(s, l)| *s >= threshold && *l).count() as f32;
    let predicted = scored.iter().filter(|(s, _)| *s >= threshold).count() as f32;
    let precision = if predicted > 0.0 { tp / predicted } else { 0.0 };
    let recall = if positives > 0 { tp / positives as f32 } else { 0.0 };
    let f1 = if precision + recall > 0.0 { 2.0 * precision * recall / (precision + recall) } else { 0.0 };
    Metrics { threshold, precision, recall, f1 }
}

fn best_threshold(scored: &[(f32, bool)]) -> Metrics {
    best_threshold_of(scored, scored.iter().filter(|(_, l)| *l).count())
}

/// The threshold (one of the scores) with the best F1; ties go to the higher threshold.
fn best_threshold_of(scored: &[(f32, bool)], positives: usize) -> Metrics {
    let mut best = metrics_of(scored, f32::INFINITY, positives);
    for &(t, _) in scored {
        let m = metrics_of(scored, t, positives);
        if m.f1 > best.f1 || (m.f1 == best.f1 && t > best.threshold && m.f1 > 0.0) {
            best = m;
        }
    }
    best
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
