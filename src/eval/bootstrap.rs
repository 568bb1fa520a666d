//! How sure a drafting figure is. A set of 40 dictations gives step recall to about ±0.05, and a
//! change of the prompt or a rule moves the answers of half the cases in both directions, so a
//! difference of 0.02 between two runs is usually noise (docs/drafting.md, session 34). The
//! figures are resampled by case (a percentile bootstrap: cases drawn with replacement, the
//! micro-averaged scores recomputed), and two runs of one set are compared case by case (a
//! paired bootstrap of the difference).

use std::collections::{BTreeMap, HashMap};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use super::draft::{CaseScore, nearest_rank};

/// Resamples per interval: enough for stable 2.5 % and 97.5 % quantiles at two decimals.
const RESAMPLES: usize = 2000;

/// A fixed seed, so that one report always gives the same intervals.
const SEED: u64 = 34;

/// The central 95 % of the resampled values.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    pub low: f64,
    pub high: f64,
}

/// A score a report gives, from summed counts.
type Metric = fn(&CaseScore) -> f64;

const METRICS: &[(&str, Metric)] = &[
    ("steps_precision", |s| s.steps.scores().precision),
    ("steps_recall", |s| s.steps.scores().recall),
    ("steps_f1", |s| s.steps.scores().f1),
    ("decisions_precision", |s| s.decisions.scores().precision),
    ("decisions_recall", |s| s.decisions.scores().recall),
    ("roles_precision", |s| s.roles.scores().precision),
    ("roles_recall", |s| s.roles.scores().recall),
];

/// The 2.5 % and 97.5 % quantiles.
fn central(mut values: Vec<f64>) -> Interval {
    values.sort_by(f64::total_cmp);
    Interval { low: nearest_rank(&values, 0.025), high: nearest_rank(&values, 0.975) }
}

/// Case indices drawn with replacement, `RESAMPLES` times.
fn resamples(cases: usize) -> Vec<Vec<usize>> {
    let mut rng = StdRng::seed_from_u64(SEED);
    (0..RESAMPLES).map(|_| (0..cases).map(|_| rng.random_range(0..cases)).collect()).collect()
}

/// 95 % intervals of each score, by metric name; empty without cases.
pub fn intervals(scores: &[CaseScore]) -> BTreeMap<&'static str, Interval> {
    if scores.is_empty() {
        return BTreeMap::new();
    }
    let draws = resamples(scores.len());
    METRICS
        .iter()
        .map(|(name, metric)| {
            let values = draws.iter().map(|d| metric(&CaseScore::total(d.iter().map(|&i| &scores[i])))).collect();
            (*name, central(values))
        })
        .collect()
}

/// One score in two runs of the same cases.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub metric: &'static str,
    pub base: f64,
    pub new: f64,
    /// `new - base`, and its 95 % paired interval: where it spans 0 the change may be noise.
    pub difference: f64,
    pub interval: Interval,
}

/// Two runs of one evaluation set compared.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    /// Cases in both runs (matched by id); cases in only one run are left out.
    pub cases: usize,
    /// Cases whose matched steps rose, fell, or stayed.
    pub steps_gained: usize,
    pub steps_lost: usize,
    pub steps_unchanged: usize,
    pub differences: Vec<Difference>,
}

/// The (case id, score) pairs of a saved `ablauf eval draft` output: the scores by words, or by
/// meaning where `by_meaning` (an error where the run has none).
pub fn case_scores(json: &str, by_meaning: bool) -> Result<Vec<(String, CaseScore)>, String> {
    #[derive(Deserialize)]
    struct Output {
        draft: Report,
    }
    #[derive(Deserialize)]
    struct Report {
        results: Vec<Case>,
    }
    #[derive(Deserialize)]
    struct Case {
        id: String,
        score: CaseScore,
        by_meaning: Option<CaseScore>,
    }
    let output: Output = serde_json::from_str(json).map_err(|e| e.to_string())?;
    output
        .draft
        .results
        .into_iter()
        .map(|c| match (by_meaning, c.by_meaning) {
            (false, _) => Ok((c.id, c.score)),
            (true, Some(score)) => Ok((c.id, score)),
            (true, None) => Err(format!("case {} has no scores by meaning (run without --words-only)", c.id)),
        })
        .collect()
}

/// Compares two runs case by case: `base` and `new` are (case id, score) pairs.
pub fn compare(base: &[(String, CaseScore)], new: &[(String, CaseScore)]) -> Comparison {
    let new_by_id: HashMap<&str, &CaseScore> = new.iter().map(|(id, s)| (id.as_str(), s)).collect();
    let pairs: Vec<(&CaseScore, &CaseScore)> =
        base.iter().filter_map(|(id, b)| new_by_id.get(id.as_str()).map(|n| (b, *n))).collect();
    let draws = if pairs.is_empty() { Vec::new() } else { resamples(pairs.len()) };
    let differences = METRICS
        .iter()
        .map(|(name, metric)| {
            let (b, n) = (
                metric(&CaseScore::total(pairs.iter().map(|p| p.0))),
                metric(&CaseScore::total(pairs.iter().map(|p| p.1))),
            );
            let values: Vec<f64> = draws
                .iter()
                .map(|d| {
                    metric(&CaseScore::total(d.iter().map(|&i| pairs[i].1)))
                        - metric(&CaseScore::total(d.iter().map(|&i| pairs[i].0)))
                })
                .collect();
            let interval = if values.is_empty() { Interval { low: 0.0, high: 0.0 } } else { central(values) };
            Difference { metric: name, base: b, new: n, difference: n - b, interval }
        })
        .collect();
    let change = |p: &&(&CaseScore, &CaseScore)| p.1.steps.matched.cmp(&p.0.steps.matched);
    let count = |o: std::cmp::Ordering| pairs.iter().filter(|p| change(p) == o).count();
    Comparison {
        cases: pairs.len(),
        steps_gained: count(std::cmp::Ordering::Greater),
        steps_lost: count(std::cmp::Ordering::Less),
        steps_unchanged: count(std::cmp::Ordering::Equal),
        differences,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::draft::Counts;

    fn case(matched: usize, predicted: usize, gold: usize) -> CaseScore {
        CaseScore { steps: Counts { matched, predicted, gold }, ..CaseScore::default() }
    }

    #[test]
    fn an_interval_holds_the_score_and_narrows_with_more_cases() {
        let few: Vec<CaseScore> = (0..10).map(|i| case(i % 4 + 3, 8, 8)).collect();
        let many: Vec<CaseScore> = (0..160).map(|i| case(i % 4 + 3, 8, 8)).collect();
        let recall = CaseScore::total(few.iter()).steps.matched as f64 / 80.0;
        let (a, b) = (intervals(&few)["steps_recall"], intervals(&many)["steps_recall"]);
        assert!(a.low < recall && recall < a.high, "{a:?} around {recall}");
        assert!(b.high - b.low < (a.high - a.low) / 2.0, "{b:?} against {a:?}");
        assert_eq!(intervals(&few)["steps_recall"], a, "the seed is fixed");
    }

    #[test]
    fn the_same_run_twice_differs_by_nothing_and_a_gain_everywhere_is_no_noise() {
        let base: Vec<(String, CaseScore)> = (0..30).map(|i| (format!("c{i}"), case(i % 5 + 2, 8, 8))).collect();
        let same = compare(&base, &base);
        let recall = &same.differences.iter().find(|d| d.metric == "steps_recall").unwrap();
        assert_eq!((recall.difference, recall.interval), (0.0, Interval { low: 0.0, high: 0.0 }));
        assert_eq!(same.steps_unchanged, 30);

        let better: Vec<(String, CaseScore)> =
            base.iter().map(|(id, s)| (id.clone(), case(s.steps.matched + 1, 8, 8))).collect();
        let gain = compare(&base, &better);
        let recall = gain.differences.iter().find(|d| d.metric == "steps_recall").unwrap();
        assert!(recall.interval.low > 0.0, "{recall:?}");
        assert_eq!((gain.steps_gained, gain.steps_lost), (30, 0));
    }

    #[test]
    fn cases_of_only_one_run_are_left_out() {
        let base = vec![("a".to_owned(), case(1, 2, 2)), ("b".to_owned(), case(2, 2, 2))];
        let new = vec![("b".to_owned(), case(1, 2, 2)), ("c".to_owned(), case(2, 2, 2))];
        let comparison = compare(&base, &new);
        assert_eq!((comparison.cases, comparison.steps_lost), (1, 1));
        assert!(compare(&base, &[]).differences.iter().all(|d| d.interval == Interval { low: 0.0, high: 0.0 }));
    }
}
