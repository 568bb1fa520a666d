//! Candidates by rank: each process's nearest neighbours by meaning (the vector index) and by
//! words (BM25), fused by reciprocal rank, and the signals of a pair read from both sides'
//! rankings. Shared by duplicates, `similar` and the gap report's twin check.

use std::collections::HashMap;

use super::lexical::bag;
use super::score::{self, Doc, Features};
use super::state::{State, doc_terms};
use crate::embed::cosine;
use crate::store::Status;

/// Neighbours fetched per process from each ranking (dense, lexical) before fusing.
pub(super) const CANDIDATES: usize = 10;
/// Places of the fused ranking that make candidate pairs.
pub(super) const FUSED: usize = 5;
/// Reciprocal rank fusion: 1 / (RRF_K + rank) per ranking.
const RRF_K: f32 = 10.0;

/// A process's neighbourhood: the dense hits, the fused ranking and its dense background.
pub(super) struct Ranking {
    pub(super) dense: HashMap<String, f32>,
    pub(super) fused: Vec<String>,
    /// `fused` without the processes that are surely another service (`score::sibling`).
    pub(super) plausible: Vec<String>,
    /// Mean cosine of the dense hits below the first two: what "near" means around here.
    pub(super) background: f32,
}

/// Reciprocal rank fusion of two rankings (keys best first).
pub(super) fn fuse<'a>(dense: impl Iterator<Item = &'a str>, lexical: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut score: HashMap<&str, f32> = HashMap::new();
    let dense: Vec<&str> = dense.collect();
    for ranking in [dense.clone(), lexical.collect::<Vec<_>>()] {
        for (i, key) in ranking.into_iter().enumerate() {
            *score.entry(key).or_default() += 1.0 / (RRF_K + i as f32 + 1.0);
        }
    }
    // Ties (first by meaning and third by words against the reverse) go to the closer
    // meaning, so that the order never depends on the ids.
    let place = |key: &str| dense.iter().position(|k| *k == key).unwrap_or(usize::MAX);
    let mut out: Vec<(&str, f32)> = score.into_iter().collect();
    out.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| place(x.0).cmp(&place(y.0))).then_with(|| x.0.cmp(y.0)));
    out.into_iter().map(|(k, _)| k.to_owned()).collect()
}

/// The mean of the cosines below the first two: the level of an ordinary neighbour. With
/// fewer than three there is no telling what is ordinary, and the best one counts as
/// ordinary (no margin: the dense signal then says nothing).
pub(super) fn background(scores: impl Iterator<Item = f32>) -> f32 {
    let scores: Vec<f32> = scores.collect();
    if scores.len() >= 3 {
        scores[2..].iter().sum::<f32>() / (scores.len() - 2) as f32
    } else {
        scores.first().copied().unwrap_or(1.0)
    }
}
/// The dense and the lexical neighbours of `doc` among live processes, fused.
pub(super) fn ranking(state: &State, doc: &Doc, vector: &[f32]) -> Ranking {
    ranking_to(state, doc, vector, CANDIDATES)
}

/// As `ranking`, with `depth` neighbours from each ranking.
pub(super) fn ranking_to(state: &State, doc: &Doc, vector: &[f32], depth: usize) -> Ranking {
    let allow = |key: &str| key != doc.id && state.docs.get(key).is_some_and(|d| d.status != Status::Archived);
    let dense = state.index.search(vector, depth, &allow);
    let query = match state.lexical.bags.get(&doc.id) {
        Some(b) => b.clone(),
        None => bag(&doc_terms(doc, &state.lexical.vocab)),
    };
    let lexical = state.lexical.bm25.search(&query, depth, &allow);
    let fused = fuse(dense.iter().map(|h| h.key.as_str()), lexical.iter().map(|h| h.0.as_str()));
    let plausible = fused
        .iter()
        .filter(|id| {
            state
                .docs
                .get(*id)
                .is_some_and(|other| !score::sibling(&score::evidence(doc, other, &state.lexical.vocab, Vec::new())))
        })
        .cloned()
        .collect();
    Ranking {
        background: background(dense.iter().take(CANDIDATES).map(|h| h.score)),
        dense: dense.into_iter().map(|h| (h.key, h.score)).collect(),
        fused,
        plausible,
    }
}

/// The signals of a pair from both sides' rankings.
pub(super) fn pair_features(
    state: &State,
    a: &Doc,
    b: &Doc,
    ra: &Ranking,
    rb: &Ranking,
) -> (Features, score::Evidence) {
    let lex = &state.lexical;
    let dense = match (state.index.vector(&a.id), state.index.vector(&b.id)) {
        (Some(x), Some(y)) if !a.id.is_empty() => cosine(x, y),
        _ => ra.dense.get(&b.id).copied().unwrap_or(0.0),
    };
    let empty = HashMap::new();
    let owned_a;
    let bag_a = match lex.bags.get(&a.id) {
        Some(x) => x,
        None => {
            owned_a = bag(&doc_terms(a, &lex.vocab));
            &owned_a
        }
    };
    let bag_b = lex.bags.get(&b.id).unwrap_or(&empty);
    let title_a = bag(&lex.vocab.terms(&a.title).into_iter().map(|t| (t, 1.0)).collect());
    let title_b = lex.titles.get(&b.id).unwrap_or(&empty);
    let place =
        |r: &Ranking, id: &str| r.plausible.iter().take(FUSED).position(|k| k == id).map_or(0, |p| p as u32 + 1);
    let features = Features {
        dense,
        dense_margin: dense - 0.5 * (ra.background + rb.background),
        lexical: 0.5 * (lex.bm25.coverage(bag_a, bag_b) + lex.bm25.coverage(bag_b, bag_a)),
        title: lex.bm25.coverage(&title_a, bag_b).max(lex.bm25.coverage(title_b, bag_a)),
        rank_ab: place(ra, &b.id),
        rank_ba: place(rb, &a.id),
    };
    let shared = score::top_shared(bag_a, bag_b, |t| lex.bm25.idf(t));
    (features, score::evidence(a, b, &lex.vocab, shared))
}
