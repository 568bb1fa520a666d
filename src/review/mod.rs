//! Review of a process: deterministic checks first (each with code, severity, JSON path, message
//! and fix), then, where a model is at hand, its wording of what the rules flag: the reason and a
//! proposal.

mod checks;
pub mod llm;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use checks::check;

use crate::llm::{Generation, GenerationStats};
use crate::process::{Finding, Process};

/// Who found a problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// A deterministic check: always right about the structure.
    Check,
    /// The language model: a suggestion for a person to judge.
    Llm,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ReviewFinding {
    #[serde(flatten)]
    pub finding: Finding,
    pub source: Source,
}

/// How the model part of a review ran.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LlmReviewInfo {
    pub model_id: String,
    pub template_sha256: String,
    pub stats: GenerationStats,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Review {
    pub findings: Vec<ReviewFinding>,
    /// Absent when the review ran without the model: asked not to, or no rule flagged a step
    /// for it to word.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub llm: Option<LlmReviewInfo>,
}

impl Review {
    /// The deterministic part alone.
    pub fn checks_only(process: &Process) -> Review {
        Review { findings: tagged(check(process), Source::Check), llm: None }
    }

    /// Both parts, from a finished generation of [`llm::request`].
    pub fn with_llm(process: &Process, generation: &Generation, model_id: &str) -> Review {
        let mut review = Review::checks_only(process);
        review.findings.extend(tagged(llm::parse(process, &generation.text), Source::Llm));
        review.llm = Some(LlmReviewInfo {
            model_id: model_id.to_owned(),
            template_sha256: crate::prompt::PromptTemplate::REVIEW.sha256(),
            stats: generation.stats.clone(),
        });
        review
    }
}

pub fn tagged(findings: Vec<Finding>, source: Source) -> Vec<ReviewFinding> {
    findings.into_iter().map(|finding| ReviewFinding { finding, source }).collect()
}
