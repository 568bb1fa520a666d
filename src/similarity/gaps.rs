//! Catalogue coverage: which services of a reference catalogue no documented process covers.
//!
//! A process whose `meta.leika_key` names one of a service's keys covers it. Otherwise the
//! same shape as duplicates: each service's processes ranked by the dense and the lexical
//! ranking, fused; each process's services ranked the same way. A service is covered by
//! one of the first two processes of its ranking whose direction agrees (a covered "Gewerbe
//! Anmeldung" does not cover "Gewerbe Abmeldung") when that process, among the services
//! whose direction agrees with it (and whose LeiKa group, where it names one, holds the
//! service), ranks this service first — or second, where the words that set it apart from
//! the first are clearly more present in the process — and their texts share what names
//! the service. Where several processes name a service's key, the one its ranking puts first
//! covers it. Services close to a process that fail only on direction, key group or rank are
//! listed as near misses ("ähnlich, aber anders") with the evidence.

use std::collections::{BTreeMap, HashMap};

use schemars::JsonSchema;
use serde::Serialize;

use super::catalog::Service;
use super::lexical::Bm25;
use super::score::{Doc, round};

/// The least share of a service name's (idf-weighted) terms a covering process must
/// contain, unless the embeddings stand out.
pub const MIN_NAME_COVERAGE: f32 = 0.4;
/// The least dense margin over the service's typical process that counts as standing out.
pub const MIN_DENSE_MARGIN: f32 = 0.03;
/// Near misses listed per process, the closest first.
pub const NEAR_MISSES_PER_PROCESS: usize = 3;
/// Processes of a service's ranking that may cover it: the first may document a sibling.
pub const COVERING_CANDIDATES: usize = 2;
/// How much more of its own words (idf-weighted share) a process's second service must
/// show than its first to be preferred.
pub const SIBLING_MARGIN: f32 = 0.5;

/// Which of two services, ranked `first` and `second` for a process, it documents: the
/// second only when the words that set it apart from the first are clearly more present in
/// the process than the first's own ("Gaststättengewerbe Erlaubnis" over "… vorläufig" for a
/// process that never says "vorläufig"; a name with no words of its own lacks nothing).
pub fn prefer_second(
    first: &HashMap<String, f32>,
    second: &HashMap<String, f32>,
    process: &HashMap<String, f32>,
    bm25: &Bm25,
) -> bool {
    let own = |a: &HashMap<String, f32>, b: &HashMap<String, f32>| {
        let only: HashMap<String, f32> =
            a.iter().filter(|(t, _)| !b.contains_key(*t)).map(|(t, w)| (t.clone(), *w)).collect();
        if only.is_empty() { 1.0 } else { bm25.coverage(&only, process) }
    };
    own(second, first) > own(first, second) + SIBLING_MARGIN
}

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
    /// Services not covered that are close to a process ("ähnlich, aber anders"), with why.
    pub near_misses: Vec<NearMiss>,
}

#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct TopicGaps {
    pub topic: String,
    pub services: usize,
    pub covered: usize,
    pub missing: Vec<ServiceRef>,
}

#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
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
    /// The process and the service rank each other first and agree in direction.
    Match {
        /// Cosine of the service name's and the process's embeddings.
        embedding: f32,
        /// How far that lies above the service's typical process.
        embedding_margin: f32,
        /// Share of the service name's terms (idf-weighted) the process contains.
        name_coverage: f32,
        /// The place of the process in the service's fused ranking.
        rank: u32,
    },
}

/// A service close to a process that does not cover it.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct NearMiss {
    pub service: ServiceRef,
    pub process: String,
    pub title: String,
    /// Why it is not covered, in German.
    pub reason: String,
    pub embedding: f32,
    pub name_coverage: f32,
}

/// Text embedded for a service (e5 prefixes it like any other text).
pub fn service_text(service: &Service) -> String {
    service.name.clone()
}

/// What the service-side ranking found for one service.
#[derive(Debug, Clone)]
pub struct Found<'a> {
    /// The covering process, if any.
    pub covered: Option<(&'a Doc, Evidence)>,
    pub near_miss: Option<(&'a Doc, String, f32, f32)>,
}

/// Builds the report; `found` gives, per service index, what the keys and the ranking decided.
pub fn report<'a>(catalog: &str, services: &[Service], found: impl Fn(usize) -> Found<'a>) -> GapReport {
    let mut topics: BTreeMap<&str, TopicGaps> = BTreeMap::new();
    let mut covered_services = Vec::new();
    let mut near_misses = Vec::new();
    for (i, service) in services.iter().enumerate() {
        let topic = topics.entry(&service.topic).or_insert_with(|| TopicGaps {
            topic: service.topic.clone(),
            services: 0,
            covered: 0,
            missing: Vec::new(),
        });
        topic.services += 1;
        let service_ref = ServiceRef { key: service.key.clone(), name: service.name.clone() };
        let f = found(i);
        if f.covered.is_none()
            && let Some((doc, reason, embedding, name_coverage)) = f.near_miss
        {
            near_misses.push(NearMiss {
                service: service_ref.clone(),
                process: doc.id.clone(),
                title: doc.title.clone(),
                reason,
                embedding: round(embedding),
                name_coverage: round(name_coverage),
            });
        }
        match f.covered {
            Some((doc, evidence)) => {
                topic.covered += 1;
                covered_services.push(Coverage {
                    service: service_ref,
                    process: doc.id.clone(),
                    title: doc.title.clone(),
                    evidence,
                });
            }
            None => topic.missing.push(service_ref),
        }
    }
    // The closest few per process: against a catalogue of thousands, every process has
    // dozens of merely related services.
    near_misses.sort_by(|a, b| {
        (b.name_coverage + b.embedding)
            .total_cmp(&(a.name_coverage + a.embedding))
            .then_with(|| a.service.key.cmp(&b.service.key))
    });
    let mut per_process: HashMap<String, usize> = HashMap::new();
    near_misses.retain(|n| {
        let seen = per_process.entry(n.process.clone()).or_default();
        *seen += 1;
        *seen <= NEAR_MISSES_PER_PROCESS
    });
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
        near_misses,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(words: &str) -> HashMap<String, f32> {
        words.split(' ').map(|w| (w.to_owned(), 1.0)).collect()
    }

    #[test]
    fn the_second_service_wins_only_where_its_own_words_clearly_are_the_process_s() {
        let bm25 = Bm25::default();
        let process = terms("gaststaette erlaubnis gewerbe antrag wirt");
        let provisional = terms("gaststaette gewerbe erlaubnis vorlaeufig");
        let general = terms("gaststaette gewerbe erlaubnis");
        assert!(prefer_second(&provisional, &general, &process, &bm25), "the general name lacks nothing");
        assert!(!prefer_second(&general, &provisional, &process, &bm25));
        let (simple, extended) = (terms("fuehrungszeugnis einfach"), terms("fuehrungszeugnis erweitert"));
        assert!(prefer_second(&simple, &extended, &terms("fuehrungszeugnis erweitert kind"), &bm25));
        assert!(
            !prefer_second(&simple, &extended, &terms("fuehrungszeugnis erweitert einfach"), &bm25),
            "a tie keeps the order"
        );
    }
}
