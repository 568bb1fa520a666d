//! How alike two processes are, and whether they are the same service: the signals of a
//! pair, the judgement and the reasons a reviewer is shown.
//!
//! Candidates come by rank (`service.rs`: each process's nearest neighbours by the dense
//! and by the lexical ranking, fused by reciprocal rank). The judgement of a candidate pair
//! then weighs
//! - agreement: the pair's place in both processes' fused rankings (mutual first counts
//!   most), how much of each text's term weight the other contains (BM25's idf over
//!   stemmed, compound-split German, `lexical`), the dense similarity above each
//!   process's own background;
//! - disagreement that marks related-but-different services (`signals`): opposite
//!   directions (An-/Abmeldung, Erteilung/Verlängerung/Entzug), the same law cited with
//!   other paragraphs, different laws, different LeiKa keys.
//!
//! e5 rates every German administrative text above 0.8 and the level shifts with the
//! topic, so no absolute dense threshold is used: the dense signal counts as its margin
//! over the process's typical neighbour.

use std::collections::HashMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::canonical::{self, canonical_text};
use super::lexical::Grams;
use super::signals::{self, Direction, Law, Legal};
use crate::process::Process;
use crate::store::Status;

/// Default threshold of the judgement above which a pair is suggested as a duplicate.
pub const DUPLICATE_THRESHOLD: f32 = 0.5;
/// Threshold above which two processes count as neighbours (related or duplicate), used
/// for missing-step suggestions.
pub const NEIGHBOUR_THRESHOLD: f32 = 0.3;
/// Two step names are the same step from this trigram similarity on.
pub const SAME_STEP: f32 = 0.6;

/// The signals of one pair.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize, JsonSchema)]
pub struct Features {
    /// Cosine similarity of the embeddings.
    pub dense: f32,
    /// How far the cosine lies above the two processes' typical neighbour (mean of both).
    pub dense_margin: f32,
    /// Share of each text's term weight found in the other (idf-weighted, mean of both).
    pub lexical: f32,
    /// The same for the titles against the other's whole text (the higher of both).
    pub title: f32,
    /// Place of each in the other's fused ranking (1 = nearest); 0 = not among the first.
    pub rank_ab: u32,
    pub rank_ba: u32,
}

/// What the similarity layer knows of one process.
#[derive(Debug, Clone)]
pub struct Doc {
    pub id: String,
    pub version: u32,
    pub status: Status,
    pub title: String,
    pub summary: String,
    pub canonical: String,
    pub text_hash: String,
    pub steps: Vec<(String, Grams)>,
    pub laws: Vec<Law>,
    pub leika_key: Option<String>,
    pub text_grams: Grams,
    /// Text fields for the lexical index: (text, weight).
    pub fields: Vec<(String, f32)>,
}

impl Doc {
    pub fn new(id: &str, version: u32, status: Status, p: &Process) -> Doc {
        let canonical = canonical_text(p);
        let legal_basis: Vec<String> =
            p.legal_basis.iter().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect();
        let mut fields = vec![(p.title.clone(), 3.0), (p.summary.clone(), 1.0)];
        for s in &p.steps {
            fields.push((s.name.clone(), 1.0));
            if let Some(d) = &s.description {
                fields.push((d.clone(), 0.5));
            }
        }
        fields.extend([(p.trigger.clone(), 0.5), (p.outcome.clone(), 0.5)]);
        fields.extend(legal_basis.iter().map(|l| (l.clone(), 1.0)));
        fields.extend(p.roles.iter().map(|r| (r.name.clone(), 0.5)));
        fields.extend(p.documents.iter().map(|d| (d.clone(), 0.5)));
        fields.retain(|(t, _)| !t.trim().is_empty());
        Doc {
            id: id.to_owned(),
            version,
            status,
            title: p.title.trim().to_owned(),
            summary: p.summary.trim().to_owned(),
            text_hash: canonical::text_hash(&canonical),
            text_grams: Grams::of(&canonical),
            canonical,
            steps: canonical::step_names(p).into_iter().map(|s| (s.to_owned(), Grams::of(s))).collect(),
            laws: signals::laws(&legal_basis),
            leika_key: p.meta.leika_key.clone().filter(|k| !k.trim().is_empty()),
            fields,
        }
    }

    /// Whether this process has a step like `step`.
    pub fn has_step(&self, step: &Grams) -> bool {
        self.steps.iter().any(|(_, g)| g.cosine(step) >= SAME_STEP)
    }
}

/// The signals that say "different service" or "same service" beyond the scores.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub direction: Direction,
    pub legal: Legal,
    /// Both have LeiKa keys: whether they name the same service.
    pub leika: Option<(bool, String, String)>,
    /// The most telling terms both texts share (for the reviewer).
    pub shared_terms: Vec<String>,
}

/// Whether the evidence says "a different service" for sure: then the pair is no
/// candidate at all, and the next process moves up in the ranking.
pub fn sibling(e: &Evidence) -> bool {
    matches!(e.direction, Direction::Opposite { .. } | Direction::OneSided { .. })
        || matches!(e.legal, Legal::DifferentParagraph { .. } | Legal::DifferentLaw { abbreviated: true, .. })
        || matches!(e.leika, Some((false, _, _)))
}

/// The judgement: a score in [0, 1] (≥ `DUPLICATE_THRESHOLD` suggests a duplicate) and
/// what decided it. Rank carries almost half: being each other's first plausible twin is
/// what duplicates have and neighbouring services lack once siblings are set aside; the
/// content signals must then show real overlap (a mutual pair needs some, a pair in second
/// place much more), and rank counts in full only from a modest overlap on.
pub fn judge(f: &Features, e: &Evidence) -> (f32, Vec<Decisive>) {
    let mut why = Vec::new();
    let place = |r: u32| match r {
        1 => 1.0,
        2 => 0.5,
        3 => 0.25,
        _ => 0.0,
    };
    let ranks = 0.5 * (place(f.rank_ab) + place(f.rank_ba));
    if f.rank_ab == 1 && f.rank_ba == 1 {
        why.push(Decisive::MutualNearest);
    }
    let dense = (f.dense_margin / 0.08).clamp(0.0, 1.0);
    let lexical = (f.lexical / 0.4).clamp(0.0, 1.0);
    let title = (f.title / 0.6).clamp(0.0, 1.0);
    let content = 0.4 * dense + 0.4 * lexical + 0.2 * title;
    // Rank counts only as far as the content shows real overlap: in a small corpus two
    // unrelated processes are each other's nearest too.
    let gate = (content / 0.25).min(1.0);
    let mut score = 0.45 * ranks * gate + 0.55 * content;
    // Only the same exact key agrees: a group key ("99107023000000") is what siblings share too
    // (Wohngeld first and continued, blue and orange parking cards).
    if let Some((true, key, other)) = &e.leika
        && key == other
    {
        score += 0.3;
        why.push(Decisive::SameLeikaKey { key: key.clone() });
    }
    if let Legal::Agree { laws, paragraph } = &e.legal {
        if *paragraph {
            score += 0.05;
        }
        why.push(Decisive::SameLegalBasis { laws: laws.clone() });
    }
    // Disagreement: a sibling service.
    let mut penalty: f32 = 0.0;
    match &e.direction {
        Direction::Opposite { a, b } => {
            penalty = penalty.max(0.6);
            why.push(Decisive::DirectionDiffers {
                a: a.clone(),
                b: b.clone(),
                text: format!("Richtung verschieden: {a} / {b}"),
            });
        }
        Direction::OneSided { a, b } => {
            penalty = penalty.max(0.5);
            why.push(Decisive::DirectionDiffers {
                a: a.clone(),
                b: b.clone(),
                text: format!("Nur eine Seite nennt diese Richtung: {a} / {b}"),
            });
        }
        _ => {}
    }
    match &e.legal {
        Legal::DifferentParagraph { a, b } => {
            penalty = penalty.max(0.5);
            why.push(Decisive::LegalBasisDiffers {
                a: a.clone(),
                b: b.clone(),
                text: format!("Andere Vorschrift: {a} / {b}"),
            });
        }
        Legal::DifferentLaw { a, b, abbreviated } => {
            penalty = penalty.max(if *abbreviated { 0.5 } else { 0.15 });
            why.push(Decisive::LegalBasisDiffers {
                a: a.clone(),
                b: b.clone(),
                text: format!("Andere Rechtsgrundlage: {a} / {b}"),
            });
        }
        _ => {}
    }
    if let Some((false, a, b)) = &e.leika {
        penalty = penalty.max(0.6);
        why.push(Decisive::LeikaKeyDiffers {
            a: a.clone(),
            b: b.clone(),
            text: format!("Andere LeiKa-Schlüssel: {a} / {b}"),
        });
    }
    ((score - penalty).clamp(0.0, 1.0), why)
}

/// What decided a judgement, for the reasons.
#[derive(Debug, Clone, PartialEq)]
pub enum Decisive {
    MutualNearest,
    SameLeikaKey { key: String },
    SameLegalBasis { laws: Vec<String> },
    DirectionDiffers { a: String, b: String, text: String },
    LegalBasisDiffers { a: String, b: String, text: String },
    LeikaKeyDiffers { a: String, b: String, text: String },
}

/// Why two processes look alike, or why they are not the same service. Each reason
/// carries `text`, the German sentence the reviewer reads.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// Each is the other's nearest neighbour (by meaning and by words together).
    MutualNearest {
        text: String,
    },
    /// The embeddings of the two canonical texts are this close (cosine).
    EmbeddingSimilarity {
        score: f32,
    },
    /// Share of the texts' (idf-weighted) terms the other contains, and the most telling ones.
    SharedTerms {
        score: f32,
        terms: Vec<String>,
        text: String,
    },
    /// Steps of `a` that `b` has too (by name, allowing for different wording).
    SharedSteps {
        steps: Vec<String>,
    },
    SameLeikaKey {
        key: String,
    },
    /// Legal bases of `a` that `b` names too.
    SameLegalBasis {
        laws: Vec<String>,
    },
    /// The two name opposite directions of one service (An-/Abmeldung, Erteilung/Verlängerung).
    DirectionDiffers {
        a: String,
        b: String,
        text: String,
    },
    /// The two rest on different laws or different paragraphs of one law.
    LegalBasisDiffers {
        a: String,
        b: String,
        text: String,
    },
    LeikaKeyDiffers {
        a: String,
        b: String,
        text: String,
    },
    /// A reviewer judged the pair before; one of them has changed substantially since.
    ChangedSinceDecision {
        decision: String,
        at: String,
    },
}

/// Reasons for a pair: what decided first, then the supporting evidence.
pub fn reasons(a: &Doc, b: &Doc, f: &Features, e: &Evidence, decisive: &[Decisive]) -> Vec<Reason> {
    let mut out = Vec::new();
    for d in decisive {
        out.push(match d.clone() {
            Decisive::MutualNearest => {
                Reason::MutualNearest { text: "Gegenseitig der ähnlichste Prozess (Bedeutung und Wortlaut)".into() }
            }
            Decisive::SameLeikaKey { key } => Reason::SameLeikaKey { key },
            Decisive::SameLegalBasis { laws } => Reason::SameLegalBasis { laws },
            Decisive::DirectionDiffers { a, b, text } => Reason::DirectionDiffers { a, b, text },
            Decisive::LegalBasisDiffers { a, b, text } => Reason::LegalBasisDiffers { a, b, text },
            Decisive::LeikaKeyDiffers { a, b, text } => Reason::LeikaKeyDiffers { a, b, text },
        });
    }
    if f.lexical > 0.0 && !e.shared_terms.is_empty() {
        let text = format!("Gemeinsame Begriffe ({} %): {}", (f.lexical * 100.0).round(), e.shared_terms.join(", "));
        out.push(Reason::SharedTerms { score: round(f.lexical), terms: e.shared_terms.clone(), text });
    }
    let steps: Vec<String> = a.steps.iter().filter(|(_, g)| b.has_step(g)).map(|(name, _)| name.clone()).collect();
    if !steps.is_empty() {
        out.push(Reason::SharedSteps { steps });
    }
    out.push(Reason::EmbeddingSimilarity { score: round(f.dense) });
    out
}

/// Compares what is not a score: direction, legal basis, LeiKa key.
pub fn evidence(a: &Doc, b: &Doc, vocab: &super::text::Vocabulary, shared_terms: Vec<String>) -> Evidence {
    Evidence {
        direction: signals::direction(&a.title, &b.title, vocab),
        legal: signals::legal(&a.laws, &b.laws),
        leika: match (&a.leika_key, &b.leika_key) {
            (Some(x), Some(y)) => Some((signals::same_leika(x, y), x.clone(), y.clone())),
            _ => None,
        },
        shared_terms,
    }
}

/// The terms of `a` found in `b` with the most weight (at most five).
pub fn top_shared(a: &HashMap<String, f32>, b: &HashMap<String, f32>, idf: impl Fn(&str) -> f32) -> Vec<String> {
    let mut shared: Vec<(&String, f32)> =
        a.iter().filter(|(t, _)| b.contains_key(*t)).map(|(t, w)| (t, w * idf(t))).collect();
    shared.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(y.0)));
    shared.into_iter().take(5).map(|(t, _)| t.clone()).collect()
}

pub fn round(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}
