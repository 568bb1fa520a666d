//! Catalogue coverage: which services of a reference catalogue no documented process covers.
//!
//! A process whose `meta.leika_key` is one of a service's keys covers it for sure; otherwise
//! the most similar process decides, scored by `COVERAGE` (embedding of the service name vs
//! the process text, trigrams of the service name vs the process title) against
//! `COVERAGE_THRESHOLD`, both calibrated on `eval/duplicates/coverage.jsonl`.

use std::collections::{BTreeMap, HashMap};

use schemars::JsonSchema;
use serde::Serialize;

use super::catalog::Service;
use super::lexical::Grams;
use super::score::{Doc, Features, Weights, round};

/// Weights of the service-to-process score (the `text` signal is not used).
pub const COVERAGE: Weights = Weights { dense: 0.95, title: 0.05, text: 0.0, variant: 0.0 };
pub const COVERAGE_THRESHOLD: f32 = 0.84;

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct GapReport {
    /// "default" (the built-in OZG catalogue) or the file given.
    pub catalog: String,
    pub services: usize,
    pub covered: usize,
    /// covered / services.
    pub coverage: f32,
    /// Per topic, the services no process covers; topics with the most gaps first.
    pub topics: Vec<TopicGaps>,
    /// Every covered service with its evidence.
    pub covered_services: Vec<Coverage>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TopicGaps {
    pub topic: String,
    pub services: usize,
    pub covered: usize,
    pub missing: Vec<ServiceRef>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct ServiceRef {
    pub key: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Coverage {
    pub service: ServiceRef,
    pub process: String,
    pub title: String,
    pub evidence: Evidence,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Evidence {
    /// The process names one of the service's LeiKa keys.
    LeikaKey { key: String },
    /// The process is similar enough to the service's name.
    Similarity { score: f32, embedding: f32, title: f32 },
}

/// Text embedded for a service (e5 prefixes it like any other text).
pub fn service_text(service: &Service) -> String {
    service.name.clone()
}

/// The signals for "process covers service": the embedding similarity of the service name
/// to the process and the trigram similarity of the name to the process title.
pub fn coverage_features(name: &Grams, dense: f32, doc: &Doc) -> Features {
    Features { dense, title: name.cosine(&doc.title_grams), text: 0.0, variant: 0.0 }
}

/// Builds the report; `best` gives, per service index, its best-scoring process and features.
pub fn report<'a>(
    catalog: &str,
    services: &[Service],
    docs: &[&'a Doc],
    best: impl Fn(usize) -> Option<(&'a Doc, Features)>,
) -> GapReport {
    let mut by_key: HashMap<&str, &Doc> = HashMap::new();
    for doc in docs {
        if let Some(key) = &doc.leika_key {
            by_key.entry(key.as_str()).or_insert(doc);
        }
    }
    let mut topics: BTreeMap<&str, TopicGaps> = BTreeMap::new();
    let mut covered_services = Vec::new();
    for (i, service) in services.iter().enumerate() {
        let topic = topics.entry(&service.topic).or_insert_with(|| TopicGaps {
            topic: service.topic.clone(),
            services: 0,
            covered: 0,
            missing: Vec::new(),
        });
        topic.services += 1;
        let service_ref = ServiceRef { key: service.key.clone(), name: service.name.clone() };
        let linked = service
            .leika_keys
            .iter()
            .chain(std::iter::once(&service.key))
            .find_map(|k| by_key.get(k.as_str()).map(|doc| (k, *doc)));
        let coverage = match linked {
            Some((key, doc)) => Some((doc.id.clone(), doc.title.clone(), Evidence::LeikaKey { key: key.clone() })),
            None => best(i).and_then(|(doc, f)| {
                let score = COVERAGE.score(&f);
                (score >= COVERAGE_THRESHOLD).then(|| {
                    let evidence =
                        Evidence::Similarity { score: round(score), embedding: round(f.dense), title: round(f.title) };
                    (doc.id.clone(), doc.title.clone(), evidence)
                })
            }),
        };
        match coverage {
            Some((process, title, evidence)) => {
                topic.covered += 1;
                covered_services.push(Coverage { service: service_ref, process, title, evidence });
            }
            None => topic.missing.push(service_ref),
        }
    }
    let covered = covered_services.len();
    let mut topics: Vec<TopicGaps> = topics.into_values().collect();
    topics.sort_by(|a, b| b.missing.len().cmp(&a.missing.len()).then_with(|| a.topic.cmp(&b.topic)));
    GapReport {
        catalog: catalog.to_owned(),
        services: services.len(),
        covered,
        coverage: if services.is_empty() { 0.0 } else { covered as f32 / services.len() as f32 },
        topics,
        covered_services,
    }
}
