//! [`Similarity`]: the store, the embedder and the index kept in step.
//!
//! Every public call first syncs with SQLite (cheaply: a change marker says whether
//! anything was saved since), so saves made elsewhere (the CLI, another server) are seen.
//! Embeddings are made for a process's current version when its canonical text changes and
//! stored with the model that made them; only vectors of the current model enter the index.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;
use schemars::JsonSchema;
use serde::Serialize;

use super::SimilarityError;
use super::canonical::RECIPE;
use super::catalog::Catalog;
use super::gaps::{self, GapReport};
use super::lexical::Grams;
use super::score::{self, Doc, Features, NEIGHBOUR_THRESHOLD, Reason, WEIGHTS};
use super::steps::{MissingStep, missing_steps};
use crate::embed::Embedder;
use crate::index::{IndexParams, RestoreReport, VectorIndex};
use crate::process::Process;
use crate::store::similarity::{Decision, DecisionRecord, NewDecision};
use crate::store::{Change, Status, Store};

type Result<T> = std::result::Result<T, SimilarityError>;

/// Texts embedded per call, so progress can be reported and memory stays bounded.
const EMBED_CHUNK: usize = 64;
/// Dense candidates fetched per process before re-ranking by the combined score.
const CANDIDATES: usize = 20;
/// A judged pair is suggested again once either text's trigram similarity to the judged
/// version falls below this (a rewritten summary or several new steps).
const SUBSTANTIAL_CHANGE: f32 = 0.85;
/// Progress of a long operation: (done, total).
pub type Progress<'a> = &'a (dyn Fn(usize, usize) + Sync);

/// One process similar to another.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SimilarProcess {
    pub id: String,
    pub title: String,
    pub status: Status,
    /// The combined score (see `score::WEIGHTS`).
    pub score: f32,
    pub features: Features,
    pub reasons: Vec<Reason>,
}

/// A suggested duplicate pair.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct Candidate {
    pub a: String,
    pub b: String,
    pub a_title: String,
    pub b_title: String,
    pub score: f32,
    pub features: Features,
    pub reasons: Vec<Reason>,
}

/// Everything known about a process's neighbourhood.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct SimilarReport {
    pub id: String,
    pub similar: Vec<SimilarProcess>,
    /// Steps most of its close neighbours have and it lacks.
    pub missing_steps: Vec<MissingStep>,
    /// When the process was archived as a duplicate: the one that survived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duplicate_of: Option<String>,
    /// Reviewer decisions involving this process, newest first.
    pub decisions: Vec<DecisionRecord>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SyncReport {
    pub model: String,
    pub processes: usize,
    /// Processes embedded by this sync (new, changed, or made by another model).
    pub embedded: usize,
    pub indexed: usize,
    pub uses_graph: bool,
    /// How the index was obtained at start-up (absent for later syncs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restore: Option<RestoreReport>,
}

/// A reviewer's decision as requested.
#[derive(Debug, Clone)]
pub struct DecisionRequest {
    pub a: String,
    pub b: String,
    pub decision: Decision,
    pub survivor: Option<String>,
    pub note: String,
}

struct State {
    index: VectorIndex,
    docs: HashMap<String, Doc>,
    marker: String,
    unsaved: usize,
}

pub struct Similarity {
    store: Arc<Store>,
    embedder: Arc<dyn Embedder>,
    /// The embedder's id plus the canonical-text recipe: either changing re-embeds all.
    model: String,
    index_dir: PathBuf,
    state: Mutex<State>,
}

impl Similarity {
    /// Opens with default index parameters; see [`Similarity::open_with`].
    pub fn open(store: Arc<Store>, embedder: Arc<dyn Embedder>, progress: Progress) -> Result<(Self, SyncReport)> {
        Self::open_with(store, embedder, IndexParams::default(), progress)
    }

    /// Restores the index saved next to the database (or rebuilds it from SQLite), then
    /// embeds every process whose embedding is missing, stale or from another model.
    pub fn open_with(
        store: Arc<Store>,
        embedder: Arc<dyn Embedder>,
        params: IndexParams,
        progress: Progress,
    ) -> Result<(Self, SyncReport)> {
        let model = format!("{}#{RECIPE}", embedder.model_id());
        let index_dir = store.path().parent().map(|d| d.join("index")).unwrap_or_else(|| PathBuf::from("index"));
        let stored = store.process_embeddings(&model, embedder.dim())?;
        let truth =
            stored.iter().map(|e| (e.process_id.as_str(), (e.text_hash.as_str(), e.vector.as_slice()))).collect();
        let (index, restore) = VectorIndex::restore(&index_dir, &model, embedder.dim(), params, &truth)?;
        if !restore.loaded {
            tracing::info!(
                reason = restore.rebuilt_because.as_deref().unwrap_or(""),
                "similarity index rebuilt from SQLite"
            );
        }
        let unsaved = usize::from(!restore.loaded) + restore.reconciled;
        let state = State { index, docs: HashMap::new(), marker: String::new(), unsaved };
        let similarity = Similarity { store, embedder, model, index_dir, state: Mutex::new(state) };
        let mut report = similarity.sync(progress)?;
        report.restore = Some(restore);
        Ok((similarity, report))
    }

    /// The model tag stored with every embedding.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Brings docs, embeddings and index up to date with SQLite.
    pub fn sync(&self, progress: Progress) -> Result<SyncReport> {
        let mut state = self.lock();
        let embedded = self.refresh(&mut state, progress)?;
        Ok(SyncReport {
            model: self.model.clone(),
            processes: state.docs.len(),
            embedded,
            indexed: state.index.len(),
            uses_graph: state.index.uses_graph(),
            restore: None,
        })
    }

    /// Saves the index now (the CLI's `reindex`, shutdown) regardless of how much changed.
    pub fn save_index(&self) -> Result<()> {
        let mut state = self.lock();
        state.index.save(&self.index_dir, &self.model)?;
        state.unsaved = 0;
        Ok(())
    }

    /// The `k` live processes most similar to process `id`, with missing-step suggestions.
    pub fn similar(&self, id: &str, k: usize) -> Result<SimilarReport> {
        let decisions = self.store.decisions(Some(id))?;
        let mut state = self.lock();
        self.refresh(&mut state, &|_, _| {})?;
        let doc = state.docs.get(id).ok_or_else(|| crate::store::StoreError::NotFound(id.to_owned()))?;
        let similar = match state.index.vector(id) {
            Some(vector) => neighbours(&state, doc, vector, k),
            None => Vec::new(),
        };
        let close: Vec<&Doc> =
            similar.iter().filter(|s| s.score >= NEIGHBOUR_THRESHOLD).filter_map(|s| state.docs.get(&s.id)).collect();
        let duplicate_of = decisions
            .iter()
            .find(|d| d.decision == Decision::Duplicate && d.survivor.as_deref().is_some_and(|s| s != id))
            .and_then(|d| d.survivor.clone())
            .filter(|_| doc.status == Status::Archived);
        Ok(SimilarReport {
            id: id.to_owned(),
            missing_steps: missing_steps(doc, &close),
            similar,
            duplicate_of,
            decisions,
        })
    }

    /// The `k` live processes most similar to an unsaved process (a draft).
    pub fn similar_to(&self, process: &Process, k: usize) -> Result<Vec<SimilarProcess>> {
        let doc = Doc::new("", 0, Status::Draft, process);
        let vector = self.embed_texts(&[doc.canonical.as_str()])?.pop().unwrap_or_default();
        let mut state = self.lock();
        self.refresh(&mut state, &|_, _| {})?;
        Ok(neighbours(&state, &doc, &vector, k))
    }

    /// Ranked candidate pairs scoring at least `threshold`, without pairs a reviewer already
    /// judged (unless one side changed substantially since) and without archived processes.
    pub fn duplicates(&self, threshold: f32) -> Result<Vec<Candidate>> {
        let decisions = self.store.decisions(None)?;
        let mut latest: HashMap<(&str, &str), &DecisionRecord> = HashMap::new();
        for d in &decisions {
            latest.entry((d.a.as_str(), d.b.as_str())).or_insert(d);
        }
        let mut state = self.lock();
        self.refresh(&mut state, &|_, _| {})?;
        let state = &*state;
        let live: Vec<&Doc> = state
            .docs
            .values()
            .filter(|d| d.status != Status::Archived && state.index.vector(&d.id).is_some())
            .collect();
        let found: Vec<(String, String, f32, Features)> = live
            .par_iter()
            .flat_map_iter(|doc| {
                let vector = state.index.vector(&doc.id).unwrap_or_default();
                ranked(state, doc, vector, CANDIDATES)
                    .into_iter()
                    .filter(|(_, score, _)| *score >= threshold)
                    .map(|(other, score, f)| {
                        let (a, b) = if doc.id < other.id { (&doc.id, &other.id) } else { (&other.id, &doc.id) };
                        (a.clone(), b.clone(), score, f)
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for (a, b, score, features) in found {
            if !seen.insert((a.clone(), b.clone())) {
                continue;
            }
            let (da, db) = (&state.docs[&a], &state.docs[&b]);
            let mut reasons = score::reasons(da, db, &features);
            if let Some(decision) = latest.get(&(a.as_str(), b.as_str())) {
                if !changed_substantially(decision, da, db) {
                    continue;
                }
                let (decision, at) = (decision.decision.as_str().to_owned(), decision.at.clone());
                reasons.insert(0, Reason::ChangedSinceDecision { decision, at });
            }
            out.push(Candidate {
                a_title: da.title.clone(),
                b_title: db.title.clone(),
                a,
                b,
                score: score::round(score),
                features: rounded(features),
                reasons,
            });
        }
        out.sort_by(|x, y| y.score.total_cmp(&x.score).then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b))));
        Ok(out)
    }

    /// Records a reviewer decision; `duplicate` with a survivor archives the other process.
    pub fn decide(&self, request: &DecisionRequest, actor: &str) -> Result<DecisionRecord> {
        let input = |m: &str| Err(SimilarityError::Input(m.to_owned()));
        if request.a == request.b {
            return input("a and b must be two different processes");
        }
        if request.note.len() > 10_000 {
            return input("note is longer than 10000 bytes");
        }
        match (&request.survivor, request.decision) {
            (Some(s), Decision::Duplicate) if *s != request.a && *s != request.b => {
                return input("survivor must be a or b");
            }
            (Some(_), Decision::NotDuplicate | Decision::Related) => {
                return input("a survivor can only be named for a duplicate");
            }
            _ => {}
        }
        let (a, b) = if request.a < request.b { (&request.a, &request.b) } else { (&request.b, &request.a) };
        let record = {
            let mut state = self.lock();
            self.refresh(&mut state, &|_, _| {})?;
            let text = |id: &str| {
                state
                    .docs
                    .get(id)
                    .map(|d| d.canonical.clone())
                    .ok_or_else(|| crate::store::StoreError::NotFound(id.into()))
            };
            let (a_text, b_text) = (text(a)?, text(b)?);
            let new = NewDecision {
                a,
                b,
                decision: request.decision,
                survivor: request.survivor.as_deref(),
                note: &request.note,
                a_text: &a_text,
                b_text: &b_text,
            };
            let reason = format!("duplicate review: {}", request.decision.as_str());
            self.store.record_decision(&new, &Change { author: actor, reason: &reason, own_drafts_only: false })?
        };
        self.sync(&|_, _| {})?;
        Ok(record)
    }

    /// Services of `catalog` that no live process covers, grouped by topic.
    pub fn gaps(&self, catalog: &Catalog, progress: Progress) -> Result<GapReport> {
        let texts: Vec<String> = catalog.services.iter().map(gaps::service_text).collect();
        let vectors = self.embed_cached(&texts, progress)?;
        let mut state = self.lock();
        self.refresh(&mut state, &|_, _| {})?;
        let state = &*state;
        let live: Vec<&Doc> = state.docs.values().filter(|d| d.status != Status::Archived).collect();
        let allow = |key: &str| state.docs.get(key).is_some_and(|d| d.status != Status::Archived);
        let best: Vec<Option<(&Doc, Features)>> = catalog
            .services
            .par_iter()
            .zip(&vectors)
            .map(|(service, vector)| {
                let name = Grams::of(&service.name);
                state
                    .index
                    .search(vector, 5, &allow)
                    .into_iter()
                    .filter_map(|hit| {
                        state.docs.get(&hit.key).map(|d| (d, gaps::coverage_features(&name, hit.score, d)))
                    })
                    .max_by(|x, y| gaps::COVERAGE.score(&x.1).total_cmp(&gaps::COVERAGE.score(&y.1)))
            })
            .collect();
        Ok(gaps::report(&catalog.source, &catalog.services, &live, |i| best[i]))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn embed_texts(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        Ok(self.embedder.embed(texts)?)
    }

    /// Embeddings of arbitrary texts through the SQLite cache (catalogues are re-used).
    fn embed_cached(&self, texts: &[String], progress: Progress) -> Result<Vec<Vec<f32>>> {
        let hashes: Vec<String> = texts.iter().map(|t| super::canonical::text_hash(t)).collect();
        let mut cached = self.store.text_embeddings(&self.model, self.embedder.dim(), &hashes)?;
        let todo: Vec<usize> = (0..texts.len()).filter(|&i| !cached.contains_key(&hashes[i])).collect();
        for (done, chunk) in todo.chunks(EMBED_CHUNK).enumerate() {
            progress(done * EMBED_CHUNK, todo.len());
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i].as_str()).collect();
            let entries: Vec<(String, Vec<f32>)> =
                chunk.iter().map(|&i| hashes[i].clone()).zip(self.embed_texts(&batch)?).collect();
            self.store.put_text_embeddings(&self.model, &entries)?;
            cached.extend(entries);
        }
        progress(todo.len(), todo.len());
        Ok(hashes.iter().map(|h| cached.get(h).cloned().unwrap_or_default()).collect())
    }

    /// Syncs docs and index with SQLite; returns how many processes were embedded.
    fn refresh(&self, state: &mut State, progress: Progress) -> Result<usize> {
        let marker = self.store.change_marker()?;
        if marker == state.marker {
            return Ok(0);
        }
        let processes = self.store.process_states()?;
        let reload: Vec<String> = processes
            .iter()
            .filter(|p| state.docs.get(&p.id).is_none_or(|d| d.version != p.version))
            .map(|p| p.id.clone())
            .collect();
        let status: HashMap<&str, Status> = processes.iter().map(|p| (p.id.as_str(), p.status)).collect();
        for (id, version, process) in self.store.current_processes(&reload)? {
            let doc = Doc::new(&id, version, status[id.as_str()], &process);
            state.docs.insert(id, doc);
        }
        for p in &processes {
            if let Some(doc) = state.docs.get_mut(&p.id) {
                doc.status = p.status;
            }
        }
        let stale: Vec<&Doc> = processes
            .iter()
            .filter_map(|p| {
                let doc = state.docs.get(&p.id)?;
                let current = p.embedded.as_ref().is_some_and(|(_, m, h)| *m == self.model && *h == doc.text_hash);
                (!current).then_some(doc)
            })
            .collect();
        let mut fresh = Vec::with_capacity(stale.len());
        for (done, chunk) in stale.chunks(EMBED_CHUNK).enumerate() {
            progress(done * EMBED_CHUNK, stale.len());
            let texts: Vec<&str> = chunk.iter().map(|d| d.canonical.as_str()).collect();
            for (doc, vector) in chunk.iter().zip(self.embed_texts(&texts)?) {
                self.store.put_process_embedding(&doc.id, doc.version, &self.model, &doc.text_hash, &vector)?;
                fresh.push((doc.id.clone(), doc.text_hash.clone(), vector));
            }
        }
        progress(stale.len(), stale.len());
        let embedded = fresh.len();
        for (id, hash, vector) in fresh {
            state.index.upsert(&id, &hash, &vector)?;
            state.unsaved += 1;
        }
        // Vectors another process stored while ours was running are taken from SQLite.
        let lagging: HashSet<&str> = state
            .docs
            .values()
            .filter(|d| state.index.stamp(&d.id) != Some(d.text_hash.as_str()))
            .map(|d| d.id.as_str())
            .collect();
        if !lagging.is_empty() {
            let stored = self.store.process_embeddings(&self.model, self.embedder.dim())?;
            let updates: Vec<_> = stored.into_iter().filter(|e| lagging.contains(e.process_id.as_str())).collect();
            for e in updates {
                state.index.upsert(&e.process_id, &e.text_hash, &e.vector)?;
                state.unsaved += 1;
            }
        }
        // Saving a large graph costs a second or so: batch it, and let restore reconcile the rest.
        if state.unsaved > 0 && (state.unsaved * 100 >= state.index.len() || !state.index.uses_graph()) {
            state.index.save(&self.index_dir, &self.model)?;
            state.unsaved = 0;
        }
        state.marker = marker;
        Ok(embedded)
    }
}

/// Live processes near `doc` (excluding itself), re-ranked by the combined score.
fn ranked<'a>(state: &'a State, doc: &Doc, vector: &[f32], k: usize) -> Vec<(&'a Doc, f32, Features)> {
    let allow = |key: &str| key != doc.id && state.docs.get(key).is_some_and(|d| d.status != Status::Archived);
    let mut out: Vec<(&Doc, f32, Features)> = state
        .index
        .search(vector, k.max(CANDIDATES), &allow)
        .into_iter()
        .filter_map(|hit| {
            let other = state.docs.get(&hit.key)?;
            let features = doc.features(other, hit.score);
            Some((other, WEIGHTS.score(&features), features))
        })
        .collect();
    out.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.id.cmp(&y.0.id)));
    out.truncate(k);
    out
}

fn neighbours(state: &State, doc: &Doc, vector: &[f32], k: usize) -> Vec<SimilarProcess> {
    ranked(state, doc, vector, k)
        .into_iter()
        .map(|(other, score, features)| SimilarProcess {
            id: other.id.clone(),
            title: other.title.clone(),
            status: other.status,
            score: score::round(score),
            reasons: score::reasons(doc, other, &features),
            features: rounded(features),
        })
        .collect()
}

fn rounded(f: Features) -> Features {
    Features {
        dense: score::round(f.dense),
        title: score::round(f.title),
        text: score::round(f.text),
        variant: score::round(f.variant),
    }
}

fn changed_substantially(decision: &DecisionRecord, a: &Doc, b: &Doc) -> bool {
    let moved = |judged: &str, now: &Doc| {
        judged != now.canonical && Grams::of(judged).cosine(&now.text_grams) < SUBSTANTIAL_CHANGE
    };
    moved(&decision.a_text, a) || moved(&decision.b_text, b)
}
