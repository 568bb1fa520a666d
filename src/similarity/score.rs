//! How alike two processes are: the combined score and the reasons a reviewer is shown.
//!
//! Score = `dense · cos(embeddings) + title · trigram-cos(titles) + text · trigram-cos(texts) +
//! variant · variant` (the last signal is high when two titles agree except for a
//! qualifier, e.g. "… im Inland" / "… im Ausland", and weighs against a duplicate).
//! Weights and thresholds were calibrated with `ablauf eval duplicates` on `eval/duplicates/`
//! (figures in `eval/duplicates/README.md`): the embedding alone separates duplicates from
//! neighbouring services poorly because e5 scores every German admin text above 0.8.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::canonical::{self, canonical_text};
use super::lexical::Grams;
use crate::process::Process;
use crate::store::Status;

/// Weights of the three signals.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Weights {
    pub dense: f32,
    pub title: f32,
    pub text: f32,
    /// Usually negative: titles that agree except for a qualifier name variants.
    #[serde(default)]
    pub variant: f32,
}

/// Calibrated on `eval/duplicates` (best F1 of duplicate vs related/different).
pub const WEIGHTS: Weights = Weights { dense: 0.25, title: 0.0, text: 0.75, variant: -0.7 };
/// Default threshold above which a pair is suggested as a duplicate.
pub const DUPLICATE_THRESHOLD: f32 = 0.68;
/// Threshold above which two processes count as neighbours (related or duplicate), used
/// for missing-step suggestions.
pub const NEIGHBOUR_THRESHOLD: f32 = 0.54;
/// Two step names are the same step from this trigram similarity on.
pub const SAME_STEP: f32 = 0.6;

/// The signals of one pair.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Features {
    /// Cosine similarity of the embeddings.
    pub dense: f32,
    /// Trigram similarity of the titles.
    pub title: f32,
    /// Trigram similarity of the canonical texts.
    pub text: f32,
    /// When each title has words the other lacks: the share of words they have in common
    /// (high for "… im Inland" / "… im Ausland"), else 0.
    #[serde(default)]
    pub variant: f32,
}

impl Weights {
    pub fn score(&self, f: &Features) -> f32 {
        self.dense * f.dense + self.title * f.title + self.text * f.text + self.variant * f.variant
    }
}

/// What the similarity layer knows of one process.
#[derive(Debug, Clone)]
pub struct Doc {
    pub id: String,
    pub version: u32,
    pub status: Status,
    pub title: String,
    pub canonical: String,
    pub text_hash: String,
    pub steps: Vec<(String, Grams)>,
    pub legal_basis: Vec<String>,
    pub leika_key: Option<String>,
    pub title_grams: Grams,
    pub title_words: Vec<String>,
    pub text_grams: Grams,
}

impl Doc {
    pub fn new(id: &str, version: u32, status: Status, p: &Process) -> Doc {
        let canonical = canonical_text(p);
        Doc {
            id: id.to_owned(),
            version,
            status,
            title: p.title.trim().to_owned(),
            text_hash: canonical::text_hash(&canonical),
            text_grams: Grams::of(&canonical),
            canonical,
            steps: canonical::step_names(p).into_iter().map(|s| (s.to_owned(), Grams::of(s))).collect(),
            legal_basis: p.legal_basis.iter().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect(),
            leika_key: p.meta.leika_key.clone(),
            title_grams: Grams::of(&p.title),
            title_words: content_words(&p.title),
        }
    }

    pub fn features(&self, other: &Doc, dense: f32) -> Features {
        Features {
            dense,
            title: self.title_grams.cosine(&other.title_grams),
            text: self.text_grams.cosine(&other.text_grams),
            variant: variant(&self.title_words, &other.title_words),
        }
    }

    /// Title words of each side that the other lacks.
    pub fn differing_words(&self, other: &Doc) -> (Vec<String>, Vec<String>) {
        let only = |a: &[String], b: &[String]| a.iter().filter(|w| !b.contains(w)).cloned().collect();
        (only(&self.title_words, &other.title_words), only(&other.title_words, &self.title_words))
    }

    /// Whether this process has a step like `step`.
    pub fn has_step(&self, step: &Grams) -> bool {
        self.steps.iter().any(|(_, g)| g.cosine(step) >= SAME_STEP)
    }
}

/// Words that carry no meaning of their own in a service title.
const STOPWORDS: &[&str] = &[
    "als", "am", "an", "auf", "aus", "bei", "das", "dem", "den", "der", "des", "die", "ein", "eine", "einem", "einen",
    "einer", "eines", "für", "gem", "gemäß", "im", "in", "mit", "nach", "oder", "über", "und", "von", "vom", "zu",
    "zum", "zur",
];

/// Lowercased title words without stopwords, in order, without repeats.
fn content_words(title: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for word in title.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase) {
        if !STOPWORDS.contains(&word.as_str()) && !out.contains(&word) {
            out.push(word);
        }
    }
    out
}

fn variant(a: &[String], b: &[String]) -> f32 {
    let shared = a.iter().filter(|w| b.contains(w)).count();
    let (only_a, only_b) = (a.len() - shared, b.len() - shared);
    if shared == 0 || only_a == 0 || only_b == 0 {
        return 0.0;
    }
    shared as f32 / (shared + only_a + only_b) as f32
}

/// Why two processes look alike.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Reason {
    /// The embeddings of the two canonical texts are this close (cosine).
    EmbeddingSimilarity {
        score: f32,
    },
    /// The titles share most of their character trigrams (compounds, inflections).
    SimilarTitle {
        score: f32,
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
    /// The titles agree except for these words: the two may be variants of one service.
    TitlesDiffer {
        a: Vec<String>,
        b: Vec<String>,
    },
    /// A reviewer judged the pair before; one of them has changed substantially since.
    ChangedSinceDecision {
        decision: String,
        at: String,
    },
}

/// Reasons for a pair, strongest evidence first.
pub fn reasons(a: &Doc, b: &Doc, f: &Features) -> Vec<Reason> {
    let mut out = Vec::new();
    if let (Some(x), Some(y)) = (&a.leika_key, &b.leika_key)
        && x == y
    {
        out.push(Reason::SameLeikaKey { key: x.clone() });
    }
    let steps: Vec<String> = a.steps.iter().filter(|(_, g)| b.has_step(g)).map(|(name, _)| name.clone()).collect();
    if !steps.is_empty() {
        out.push(Reason::SharedSteps { steps });
    }
    let laws: Vec<String> = a
        .legal_basis
        .iter()
        .filter(|law| b.legal_basis.iter().any(|other| Grams::of(law).cosine(&Grams::of(other)) >= 0.8))
        .cloned()
        .collect();
    if !laws.is_empty() {
        out.push(Reason::SameLegalBasis { laws });
    }
    if f.title >= 0.5 {
        out.push(Reason::SimilarTitle { score: round(f.title) });
    }
    if f.variant > 0.0 {
        let (a, b) = a.differing_words(b);
        out.push(Reason::TitlesDiffer { a, b });
    }
    out.push(Reason::EmbeddingSimilarity { score: round(f.dense) });
    out
}

pub fn round(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}
