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

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::Serialize;

use super::catalog::{Catalog, Service};
use super::lexical::{Bm25, bag};
use super::ranking::{CANDIDATES, Ranking, background, fuse, pair_features, ranking};
use super::score::{self, Doc, round};
use super::signals::{self, Direction};
use super::state::{State, doc_terms, live};
use super::text::Vocabulary;
use crate::embed::cosine;
use crate::store::Status;

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

/// Which services of `catalog` (embedded as `vectors`, in its order) the live processes of
/// `state` cover, and the near misses; the rules are the module's.
pub(super) fn cover(state: &State, catalog: &Catalog, vectors: &[Vec<f32>]) -> GapReport {
    let lex = &state.lexical;
    let live = live(state);
    let allow = |key: &str| state.docs.get(key).is_some_and(|d| d.status != Status::Archived);
    let names: Vec<HashMap<String, f32>> = catalog
        .services
        .iter()
        .map(|s| bag(&lex.vocab.terms(&s.name).into_iter().map(|t| (t, 1.0)).collect()))
        .collect();
    // Process-side coverage of a name counts terms, so compounds are split with the
    // catalogue's words known too ("Gaststättengewerbe" / "Gaststättenerlaubnis").
    let mut vocab = Vocabulary::new();
    for d in &live {
        for (text, _) in &d.fields {
            vocab.add(text);
        }
    }
    for service in &catalog.services {
        vocab.add(&service.name);
    }
    let full_names: Vec<HashMap<String, f32>> =
        catalog.services.iter().map(|s| bag(&vocab.terms(&s.name).into_iter().map(|t| (t, 1.0)).collect())).collect();
    let full_bags: HashMap<&str, HashMap<String, f32>> =
        live.par_iter().map(|d| (d.id.as_str(), bag(&doc_terms(d, &vocab)))).collect();
    // Each service's processes, fused.
    let per_service: Vec<(Vec<String>, HashMap<String, f32>, f32)> = catalog
        .services
        .par_iter()
        .enumerate()
        .map(|(i, _)| {
            let dense = state.index.search(&vectors[i], CANDIDATES, &allow);
            let lexical = lex.bm25.search(&names[i], CANDIDATES, &allow);
            let background = background(dense.iter().map(|h| h.score));
            let fused = fuse(dense.iter().map(|h| h.key.as_str()), lexical.iter().map(|h| h.0.as_str()));
            (fused, dense.into_iter().map(|h| (h.key, h.score)).collect(), background)
        })
        .collect();
    // Each process's services, fused (a BM25 index over the names, all cosines).
    let catalogue_index = Bm25::build(
        names
            .iter()
            .enumerate()
            .map(|(i, b)| (i.to_string(), b.iter().map(|(t, w)| (t.clone(), *w)).collect()))
            .collect(),
    );
    let per_process: HashMap<&str, Vec<usize>> = live
        .par_iter()
        .map(|doc| {
            let vector = state.index.vector(&doc.id).unwrap_or_default();
            let mut dense: Vec<(usize, f32)> =
                vectors.iter().enumerate().map(|(i, v)| (i, cosine(v, vector))).collect();
            dense.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
            dense.truncate(CANDIDATES);
            let mut query = lex.titles.get(&doc.id).cloned().unwrap_or_default();
            for t in lex.vocab.terms(&doc.summary) {
                query.entry(t).or_insert(0.5);
            }
            let lexical = catalogue_index.search(&query, CANDIDATES, &|_| true);
            let dense_keys: Vec<String> = dense.iter().map(|(i, _)| i.to_string()).collect();
            let fused = fuse(dense_keys.iter().map(String::as_str), lexical.iter().map(|h| h.0.as_str()));
            (doc.id.as_str(), fused.iter().filter_map(|k| k.parse().ok()).collect())
        })
        .collect();
    let services = &catalog.services;
    // A process's LeiKa key, where it names only the group ("99050004000000"), still
    // says which services it may be: those of the group (where the service has keys).
    let leika_keys: Vec<Vec<&String>> = services
        .iter()
        .map(|s| {
            std::iter::once(&s.key)
                .chain(&s.leika_keys)
                .filter(|k| k.len() == 14 && k.bytes().all(|c| c.is_ascii_digit()))
                .collect()
        })
        .collect();
    let keyed_elsewhere = |service: usize, doc: &Doc| {
        let keys = &leika_keys[service];
        doc.leika_key.as_ref().is_some_and(|k| !keys.is_empty() && !keys.iter().any(|key| signals::same_leika(k, key)))
    };
    let agrees = |service: usize, doc: &Doc| {
        !keyed_elsewhere(service, doc)
            && !matches!(
                signals::service_direction(&services[service].name, &doc.title, &lex.vocab),
                Direction::Opposite { .. } | Direction::OneSided { .. }
            )
    };
    // Services a process covers for sure (its LeiKa key): other processes cannot claim them.
    // Where several name the key, the one the service's ranking puts first claims it (the
    // others' key may be a sibling's).
    let keyed: Vec<Option<(&Doc, &String)>> = services
        .iter()
        .enumerate()
        .map(|(i, service)| {
            let place = |d: &Doc| per_service[i].0.iter().position(|id| *id == d.id).unwrap_or(usize::MAX);
            live.iter()
                .filter_map(|d| {
                    let key = d.leika_key.as_ref()?;
                    (service.leika_keys.contains(key) || *key == service.key).then_some((*d, key))
                })
                .min_by_key(|(d, _)| place(d))
        })
        .collect();
    let mut claimed: Vec<Option<&str>> = keyed.iter().map(|k| k.map(|(d, _)| d.id.as_str())).collect();
    // Whether two processes describe one service (the duplicates' judgement).
    let rankings: RefCell<HashMap<String, Ranking>> = RefCell::default();
    let twins: RefCell<HashMap<(String, String), bool>> = RefCell::default();
    let twin = |a: &str, b: &Doc| -> bool {
        let key = if a < b.id.as_str() { (a, b.id.as_str()) } else { (b.id.as_str(), a) };
        let key = (key.0.to_owned(), key.1.to_owned());
        if let Some(&known) = twins.borrow().get(&key) {
            return known;
        }
        let Some(a) = state.docs.get(a) else { return false };
        let mut rankings = rankings.borrow_mut();
        for doc in [a, b] {
            if !rankings.contains_key(&doc.id) {
                let vector = state.index.vector(&doc.id).unwrap_or_default();
                rankings.insert(doc.id.clone(), ranking(state, doc, vector));
            }
        }
        let (features, evidence) = pair_features(state, a, b, &rankings[&a.id], &rankings[&b.id]);
        let same = score::judge(&features, &evidence).0 >= score::DUPLICATE_THRESHOLD;
        twins.borrow_mut().insert(key, same);
        same
    };
    let judge = |i: usize, claimed: &[Option<&str>]| -> Found<'_> {
        let (fused, dense, background) = &per_service[i];
        let name_coverage =
            |doc: &Doc| full_bags.get(doc.id.as_str()).map_or(0.0, |b| lex.bm25.coverage(&full_names[i], b));
        let embedding = |doc: &Doc| {
            dense
                .get(&doc.id)
                .copied()
                .unwrap_or_else(|| cosine(&vectors[i], state.index.vector(&doc.id).unwrap_or_default()))
        };
        let mut near = None;
        let mut candidates = 0;
        for (place, id) in fused.iter().enumerate() {
            let Some(doc) = state.docs.get(id) else { continue };
            let (cover, margin) = (name_coverage(doc), embedding(doc) - background);
            let close = cover >= MIN_NAME_COVERAGE || margin >= MIN_DENSE_MARGIN;
            if !agrees(i, doc) {
                if close && near.is_none() {
                    let reason = match signals::service_direction(&services[i].name, &doc.title, &lex.vocab) {
                        Direction::Opposite { a, b } | Direction::OneSided { a, b } => {
                            format!("ähnlich, aber andere Richtung: {a} / {b}")
                        }
                        _ if keyed_elsewhere(i, doc) => format!(
                            "ähnlich, aber der Prozess nennt einen anderen LeiKa-Schlüssel: {}",
                            doc.leika_key.as_deref().unwrap_or_default()
                        ),
                        _ => "ähnlich, aber anders".to_owned(),
                    };
                    near = Some((doc, reason, embedding(doc), cover));
                }
                continue;
            }
            // One of the first processes that agree in direction: among the services that
            // agree with it and no other process has claimed, does it rank this one first
            // (or second, with its own words clearly more present)? And
            // has neither it nor its twin claimed another service already (a process
            // documents one service; "Erlaubnis vorläufig" is not covered by the process
            // that names the key of "Erlaubnis")?
            let first = per_process.get(doc.id.as_str()).and_then(|list| {
                let mut open =
                    list.iter().copied().filter(|&s| agrees(s, doc) && claimed[s].is_none_or(|c| c == doc.id));
                let first = open.next()?;
                match (open.next(), full_bags.get(doc.id.as_str())) {
                    (Some(second), Some(bag))
                        if prefer_second(&full_names[first], &full_names[second], bag, &lex.bm25) =>
                    {
                        Some(second)
                    }
                    _ => Some(first),
                }
            });
            let held = claimed.iter().enumerate().position(|(s, c)| {
                c.is_some_and(|c| s != i && services[s].name != services[i].name && (c == doc.id || twin(c, doc)))
            });
            let mutual = held.is_none() && first.is_some_and(|s| s == i || services[s].name == services[i].name);
            if mutual && close {
                let evidence = Evidence::Match {
                    embedding: score::round(embedding(doc)),
                    embedding_margin: score::round(margin),
                    name_coverage: score::round(cover),
                    rank: place as u32 + 1,
                };
                return Found { covered: Some((doc, evidence)), near_miss: None };
            }
            if close && near.is_none() {
                let other = held.or(first).map(|s| services[s].name.clone()).unwrap_or_default();
                near =
                    Some((doc, format!("ähnlich, aber der Prozess entspricht eher: {other}"), embedding(doc), cover));
            }
            candidates += 1;
            if candidates == COVERING_CANDIDATES {
                break;
            }
        }
        Found { covered: None, near_miss: near }
    };
    // Two rounds: what the first settles is claimed in the second, so a process whose
    // first choice went to another process can take its next one.
    let mut found: Vec<Found> = (0..services.len())
        .map(|i| match keyed[i] {
            Some((doc, key)) => {
                Found { covered: Some((doc, Evidence::LeikaKey { key: key.clone() })), near_miss: None }
            }
            None => judge(i, &claimed),
        })
        .collect();
    for (i, f) in found.iter().enumerate() {
        if let (None, Some((doc, _))) = (claimed[i], &f.covered) {
            claimed[i] = Some(doc.id.as_str());
        }
    }
    for (i, f) in found.iter_mut().enumerate() {
        if f.covered.is_none() && claimed[i].is_none() {
            *f = judge(i, &claimed);
        }
    }
    report(&catalog.source, &catalog.services, |i| found[i].clone())
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
