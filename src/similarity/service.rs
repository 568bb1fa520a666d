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
use super::ranking::{CANDIDATES, FUSED, Ranking, pair_features, ranking, ranking_to};
use super::score::{self, Doc, Features, NEIGHBOUR_THRESHOLD, Reason};
use super::shared_cache::SharedCache;
use super::state::{Lexical, State, live};
use super::steps::{MissingStep, missing_steps};
use crate::embed::Embedder;
use crate::index::{IndexParams, RestoreReport, VectorIndex};
use crate::process::Process;
use crate::store::similarity::{Decision, DecisionRecord, NewDecision};
use crate::store::{Change, Status, Store};

type Result<T> = std::result::Result<T, SimilarityError>;

/// Texts embedded per call, so progress can be reported and memory stays bounded.
const EMBED_CHUNK: usize = 64;
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
    /// The process's current text is not embedded yet (a save is embedded in the background
    /// within seconds): `similar` is empty until then; ask again.
    pub pending: bool,
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

pub struct Similarity {
    store: Arc<Store>,
    embedder: Arc<dyn Embedder>,
    /// The embedder's id plus the canonical-text recipe: either changing re-embeds all.
    model: String,
    index_dir: PathBuf,
    state: Mutex<State>,
    /// Whether reads embed what is stale before answering (the CLI, the library); the
    /// server's service does not and embeds in the background instead (`embed_pending`).
    inline: bool,
    /// Held while embedding, so two callers never embed the same texts.
    embedding: Mutex<()>,
    /// Catalogue embeddings shared by the data directories of this machine.
    shared: Option<SharedCache>,
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
        let (similarity, restore) = Self::restored(store, embedder, params, true)?;
        let mut report = similarity.sync(progress)?;
        report.restore = Some(restore);
        Ok((similarity, report))
    }

    /// Opens for the server: restores the index and reads the processes, but embeds nothing
    /// (reads never embed; the caller runs `embed_pending` in the background).
    pub fn open_deferred(store: Arc<Store>, embedder: Arc<dyn Embedder>) -> Result<(Self, SyncReport)> {
        let (similarity, restore) = Self::restored(store, embedder, IndexParams::default(), false)?;
        let report = {
            let mut state = similarity.lock();
            similarity.refresh(&mut state)?;
            SyncReport {
                model: similarity.model.clone(),
                processes: state.docs.len(),
                embedded: 0,
                indexed: state.index.len(),
                uses_graph: state.index.uses_graph(),
                restore: Some(restore),
            }
        };
        Ok((similarity, report))
    }

    /// The service with its vector index restored from disk or rebuilt from the vectors in
    /// SQLite; no process read or embedded yet.
    fn restored(
        store: Arc<Store>,
        embedder: Arc<dyn Embedder>,
        params: IndexParams,
        inline: bool,
    ) -> Result<(Self, RestoreReport)> {
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
        let state = State { index, docs: HashMap::new(), marker: String::new(), unsaved, lexical: Lexical::default() };
        let similarity = Similarity {
            store,
            embedder,
            model,
            index_dir,
            state: Mutex::new(state),
            inline,
            embedding: Mutex::new(()),
            shared: None,
        };
        Ok((similarity, restore))
    }

    /// Takes catalogue embeddings from `cache` and leaves new ones there (see [`SharedCache`]).
    pub fn share_catalogues(&mut self, cache: SharedCache) {
        self.shared = Some(cache);
    }

    /// The model tag stored with every embedding.
    pub fn model(&self) -> &str {
        &self.model
    }

    /// Brings docs, embeddings and index up to date with SQLite.
    pub fn sync(&self, progress: Progress) -> Result<SyncReport> {
        let embedded = self.embed_pending(progress)?;
        let mut state = self.lock();
        self.refresh(&mut state)?;
        Ok(SyncReport {
            model: self.model.clone(),
            processes: state.docs.len(),
            embedded,
            indexed: state.index.len(),
            uses_graph: state.index.uses_graph(),
            restore: None,
        })
    }

    /// Embeds every process whose stored embedding is missing or stale, outside the lock
    /// that reads take, and returns how many it embedded.
    pub fn embed_pending(&self, progress: Progress) -> Result<usize> {
        let _one = self.embedding.lock().unwrap_or_else(|p| p.into_inner());
        let stale: Vec<(String, u32, String, String)> = {
            let mut state = self.lock();
            self.refresh(&mut state)?;
            let processes = self.store.process_states()?;
            processes
                .iter()
                .filter_map(|p| {
                    let doc = state.docs.get(&p.id)?;
                    let current = p.embedded.as_ref().is_some_and(|(_, m, h)| *m == self.model && *h == doc.text_hash);
                    (!current).then(|| (doc.id.clone(), doc.version, doc.text_hash.clone(), doc.canonical.clone()))
                })
                .collect()
        };
        let mut fresh = Vec::with_capacity(stale.len());
        for (done, chunk) in stale.chunks(EMBED_CHUNK).enumerate() {
            progress(done * EMBED_CHUNK, stale.len());
            let texts: Vec<&str> = chunk.iter().map(|d| d.3.as_str()).collect();
            for (doc, vector) in chunk.iter().zip(self.embed_texts(&texts)?) {
                self.store.put_process_embedding(&doc.0, doc.1, &self.model, &doc.2, &vector)?;
                fresh.push((doc.0.clone(), doc.2.clone(), vector));
            }
        }
        progress(stale.len(), stale.len());
        let embedded = fresh.len();
        let mut state = self.lock();
        for (id, hash, vector) in fresh {
            state.index.upsert(&id, &hash, &vector)?;
            state.unsaved += 1;
        }
        self.save_if_due(&mut state)?;
        Ok(embedded)
    }

    /// Processes waiting for their embedding.
    pub fn pending(&self) -> Result<usize> {
        let mut state = self.lock();
        self.refresh(&mut state)?;
        Ok(state.docs.values().filter(|d| state.index.stamp(&d.id) != Some(d.text_hash.as_str())).count())
    }

    /// Waits up to `at_most` for the background embedder to catch up with recent saves
    /// (a duplicate list without them would be incomplete); answers whether it did.
    pub fn settle(&self, at_most: std::time::Duration) -> Result<bool> {
        let start = std::time::Instant::now();
        loop {
            if self.pending()? == 0 {
                return Ok(true);
            }
            if start.elapsed() >= at_most {
                return Ok(false);
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }

    /// Before a read: embeds what is stale when reads embed (not in the server's service).
    fn catch_up(&self) -> Result<()> {
        if self.inline {
            self.embed_pending(&|_, _| {})?;
        }
        Ok(())
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
        self.catch_up()?;
        let mut state = self.lock();
        self.refresh(&mut state)?;
        let state = &*state;
        let doc = state.docs.get(id).ok_or_else(|| crate::store::StoreError::NotFound(id.to_owned()))?;
        let current = state.index.stamp(id) == Some(doc.text_hash.as_str());
        let similar = match state.index.vector(id).filter(|_| current) {
            Some(vector) => neighbours(state, doc, vector, k),
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
            pending: !current,
        })
    }

    /// The `k` live processes most similar to an unsaved process (a draft).
    pub fn similar_to(&self, process: &Process, k: usize) -> Result<Vec<SimilarProcess>> {
        let doc = Doc::new("", 0, Status::Draft, process);
        let vector = self.embed_texts(&[doc.canonical.as_str()])?.pop().unwrap_or_default();
        let mut state = self.lock();
        self.refresh(&mut state)?;
        Ok(neighbours(&state, &doc, &vector, k))
    }

    /// Candidate pairs judged at least `threshold`, best first, without pairs a reviewer
    /// already judged (unless one side changed substantially since) and without archived
    /// processes. Candidates are each process's first places in the fused ranking.
    pub fn duplicates(&self, threshold: f32) -> Result<Vec<Candidate>> {
        let decisions = self.store.decisions(None)?;
        let mut latest: HashMap<(&str, &str), &DecisionRecord> = HashMap::new();
        for d in &decisions {
            latest.entry((d.a.as_str(), d.b.as_str())).or_insert(d);
        }
        self.catch_up()?;
        let mut state = self.lock();
        self.refresh(&mut state)?;
        let state = &*state;
        let live = live(state);
        let rankings: HashMap<&str, Ranking> = live
            .par_iter()
            .map(|doc| (doc.id.as_str(), ranking(state, doc, state.index.vector(&doc.id).unwrap_or_default())))
            .collect();
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for (a, r) in &rankings {
            for b in r.fused.iter().take(FUSED) {
                let pair = if *a < b.as_str() { (*a, b.as_str()) } else { (b.as_str(), *a) };
                if !pairs.contains(&pair) {
                    pairs.push(pair);
                }
            }
        }
        let mut out = Vec::new();
        for (a, b) in pairs {
            let (da, db) = (&state.docs[a], &state.docs[b]);
            let (Some(ra), Some(rb)) = (rankings.get(a), rankings.get(b)) else { continue };
            let (features, evidence) = pair_features(state, da, db, ra, rb);
            let (score, decisive) = score::judge(&features, &evidence);
            if score < threshold {
                continue;
            }
            let mut reasons = score::reasons(da, db, &features, &evidence, &decisive);
            if let Some(decision) = latest.get(&(a, b)) {
                if !changed_substantially(decision, da, db) {
                    continue;
                }
                let (decision, at) = (decision.decision.as_str().to_owned(), decision.at.clone());
                reasons.insert(0, Reason::ChangedSinceDecision { decision, at });
            }
            out.push(Candidate {
                a_title: da.title.clone(),
                b_title: db.title.clone(),
                a: a.to_owned(),
                b: b.to_owned(),
                score: score::round(score),
                features: rounded(features),
                reasons,
            });
        }
        out.sort_by(|x, y| y.score.total_cmp(&x.score).then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b))));
        let surely_different = |x: &str, y: &str| {
            score::sibling(&score::evidence(&state.docs[x], &state.docs[y], &state.lexical.vocab, Vec::new()))
        };
        Ok(consistent(out, surely_different))
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
            self.refresh(&mut state)?;
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
        let mut state = self.lock();
        self.refresh(&mut state)?;
        Ok(record)
    }

    /// Services of `catalog` that no live process covers, grouped by topic, with near misses.
    pub fn gaps(&self, catalog: &Catalog, progress: Progress) -> Result<GapReport> {
        let texts: Vec<String> = catalog.services.iter().map(gaps::service_text).collect();
        let vectors = self.embed_cached(&texts, progress)?;
        self.catch_up()?;
        let mut state = self.lock();
        self.refresh(&mut state)?;
        let state = &*state;
        Ok(gaps::cover(state, catalog, &vectors))
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
        let shared = self.shared.as_ref().filter(|_| hashes.iter().any(|h| !cached.contains_key(h)));
        if let Some(entries) = shared.and_then(|cache| cache.read(&self.model, self.embedder.dim(), &hashes)) {
            self.store.put_text_embeddings(&self.model, &entries)?;
            cached.extend(entries);
        }
        let mut todo: Vec<usize> = (0..texts.len()).filter(|&i| !cached.contains_key(&hashes[i])).collect();
        todo.sort_by_key(|&i| &hashes[i]);
        todo.dedup_by_key(|i| &hashes[*i]);
        for (done, chunk) in todo.chunks(EMBED_CHUNK).enumerate() {
            progress(done * EMBED_CHUNK, todo.len());
            let batch: Vec<&str> = chunk.iter().map(|&i| texts[i].as_str()).collect();
            let entries: Vec<(String, Vec<f32>)> =
                chunk.iter().map(|&i| hashes[i].clone()).zip(self.embed_texts(&batch)?).collect();
            self.store.put_text_embeddings(&self.model, &entries)?;
            cached.extend(entries);
        }
        progress(todo.len(), todo.len());
        if let Some(cache) = shared.filter(|_| !todo.is_empty()) {
            let entries: Vec<(String, Vec<f32>)> =
                hashes.iter().map(|h| (h.clone(), cached.get(h).cloned().unwrap_or_default())).collect();
            if let Err(e) = cache.write(&self.model, &hashes, &entries) {
                tracing::warn!(error = %e, "could not share the catalogue's embeddings with other data directories");
            }
        }
        Ok(hashes.iter().map(|h| cached.get(h).cloned().unwrap_or_default()).collect())
    }

    /// Syncs docs, the lexical index and the vector index with SQLite, without embedding:
    /// vectors stored by others (the background embedder, another process) are taken over.
    fn refresh(&self, state: &mut State) -> Result<()> {
        let marker = self.store.change_marker()?;
        let embedded_marker = self.store.embedding_marker(&self.model)?;
        let marker = format!("{marker}|{embedded_marker}");
        if marker == state.marker {
            return Ok(());
        }
        let processes = self.store.process_states()?;
        let reload: Vec<String> = processes
            .iter()
            .filter(|p| state.docs.get(&p.id).is_none_or(|d| d.version != p.version))
            .map(|p| p.id.clone())
            .collect();
        let status: HashMap<&str, Status> = processes.iter().map(|p| (p.id.as_str(), p.status)).collect();
        let changed =
            !reload.is_empty() || processes.iter().any(|p| state.docs.get(&p.id).is_some_and(|d| d.status != p.status));
        for (id, version, process) in self.store.current_processes(&reload)? {
            let doc = Doc::new(&id, version, status[id.as_str()], &process);
            state.docs.insert(id, doc);
        }
        for p in &processes {
            if let Some(doc) = state.docs.get_mut(&p.id) {
                doc.status = p.status;
            }
        }
        if changed || state.lexical.bm25.len() == 0 && !state.docs.is_empty() {
            state.lexical = Lexical::build(&state.docs);
        }
        // Vectors stored since (by the background embedder or another process) join the index.
        let lagging: HashSet<&str> = processes
            .iter()
            .filter(|p| {
                let doc = state.docs.get(&p.id);
                let stored =
                    p.embedded.as_ref().filter(|(_, m, h)| *m == self.model && doc.is_some_and(|d| d.text_hash == *h));
                stored.is_some_and(|(_, _, h)| state.index.stamp(&p.id) != Some(h.as_str()))
            })
            .map(|p| p.id.as_str())
            .collect();
        if !lagging.is_empty() {
            let stored = self.store.process_embeddings(&self.model, self.embedder.dim())?;
            let updates: Vec<_> = stored.into_iter().filter(|e| lagging.contains(e.process_id.as_str())).collect();
            for e in updates {
                state.index.upsert(&e.process_id, &e.text_hash, &e.vector)?;
                state.unsaved += 1;
            }
        }
        self.save_if_due(state)?;
        state.marker = marker;
        Ok(())
    }

    /// Saving a large graph costs a second or so: batch it, and let restore reconcile the rest.
    fn save_if_due(&self, state: &mut State) -> Result<()> {
        if state.unsaved > 0 && (state.unsaved * 100 >= state.index.len() || !state.index.uses_graph()) {
            state.index.save(&self.index_dir, &self.model)?;
            state.unsaved = 0;
        }
        Ok(())
    }
}

/// Being a duplicate is an equivalence: a process cannot be the twin of two processes that are
/// surely different services (other LeiKa keys, directions, paragraphs), so of two such
/// suggestions only the stronger stands. `candidates` come best first.
fn consistent(candidates: Vec<Candidate>, surely_different: impl Fn(&str, &str) -> bool) -> Vec<Candidate> {
    let mut kept: Vec<Candidate> = Vec::with_capacity(candidates.len());
    for candidate in candidates {
        let (a, b) = (candidate.a.as_str(), candidate.b.as_str());
        let clashes = kept.iter().any(|k| {
            [(a, b), (b, a)].into_iter().any(|(shared, other)| {
                let partner = if k.a == shared {
                    &k.b
                } else if k.b == shared {
                    &k.a
                } else {
                    return false;
                };
                partner != other && surely_different(partner, other)
            })
        });
        if !clashes {
            kept.push(candidate);
        }
    }
    kept
}

/// The `k` live processes nearest to `doc` by the fused ranking, judged, best first.
fn neighbours(state: &State, doc: &Doc, vector: &[f32], k: usize) -> Vec<SimilarProcess> {
    let ra = ranking_to(state, doc, vector, k.max(CANDIDATES));
    let mut out: Vec<SimilarProcess> = ra
        .fused
        .iter()
        .take(k.max(FUSED))
        .filter_map(|id| {
            let other = state.docs.get(id)?;
            let rb = ranking(state, other, state.index.vector(id)?);
            let (features, evidence) = pair_features(state, doc, other, &ra, &rb);
            let (score, decisive) = score::judge(&features, &evidence);
            Some(SimilarProcess {
                id: other.id.clone(),
                title: other.title.clone(),
                status: other.status,
                score: score::round(score),
                reasons: score::reasons(doc, other, &features, &evidence, &decisive),
                features: rounded(features),
            })
        })
        .collect();
    out.sort_by(|x, y| y.score.total_cmp(&x.score).then_with(|| x.id.cmp(&y.id)));
    out.truncate(k);
    out
}

fn rounded(f: Features) -> Features {
    Features {
        dense: score::round(f.dense),
        dense_margin: score::round(f.dense_margin),
        lexical: score::round(f.lexical),
        title: score::round(f.title),
        ..f
    }
}

fn changed_substantially(decision: &DecisionRecord, a: &Doc, b: &Doc) -> bool {
    let moved = |judged: &str, now: &Doc| {
        judged != now.canonical && Grams::of(judged).cosine(&now.text_grams) < SUBSTANTIAL_CHANGE
    };
    moved(&decision.a_text, a) || moved(&decision.b_text, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidate(a: &str, b: &str, score: f32) -> Candidate {
        Candidate {
            a: a.into(),
            b: b.into(),
            a_title: a.into(),
            b_title: b.into(),
            score,
            features: Features::default(),
            reasons: Vec::new(),
        }
    }

    #[test]
    fn a_process_is_not_the_twin_of_two_surely_different_services() {
        // "fz" has no LeiKa key; "fz-a" and "fz-erw" have different ones.
        let different = |x: &str, y: &str| [x, y].contains(&"fz-a") && [x, y].contains(&"fz-erw");
        let pairs = vec![
            candidate("fz", "fz-a", 0.9),
            candidate("fz", "fz-erw", 0.7),
            candidate("fz-erw", "kita", 0.6),
            candidate("fz", "pass", 0.55),
        ];
        let kept: Vec<(String, String)> = consistent(pairs, different).into_iter().map(|c| (c.a, c.b)).collect();
        assert_eq!(
            kept,
            [("fz".into(), "fz-a".into()), ("fz-erw".into(), "kita".into()), ("fz".into(), "pass".into())],
            "fz's weaker twin is dropped; pairs not surely different stand"
        );
    }
}
