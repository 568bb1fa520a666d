//! Duplicate suggestions, reviewer decisions, missing-step suggestions and catalogue gaps.
//!
//! Built on three parts: `embed` (the model), `index` (nearest neighbours) and the store
//! (the truth). Candidates come by rank: each process's nearest neighbours by the dense
//! similarity of the canonical texts (`canonical`) and by BM25 over stemmed, compound-split
//! German (`text`, `lexical`), fused by reciprocal rank. Each candidate pair is then judged
//! (`score`) on its ranks, its shared terms, its dense margin and the signals that mark
//! related-but-different services (`signals`: direction, legal basis, LeiKa key).

mod canonical;
mod catalog;
mod eval;
mod gaps;
mod lexical;
mod ranking;
mod score;
mod service;
mod shared_cache;
mod signals;
mod state;
mod steps;
mod text;

use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

pub use canonical::canonical_text;
pub use catalog::{Catalog, CatalogFormat, Service};
pub use eval::{EvalReport, evaluate};
pub use gaps::{Evidence, GapReport, NearMiss};
pub use score::{DUPLICATE_THRESHOLD, Features, Reason};
pub use service::{Candidate, DecisionRequest, Progress, SimilarProcess, SimilarReport, Similarity, SyncReport};
pub use shared_cache::SharedCache;
pub use steps::MissingStep;

use crate::embed::EmbedError;
use crate::index::IndexError;
use crate::loading::{LoadStatus, Loading, NotReady};
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SimilarityError {
    /// The request itself is wrong (same process twice, bad survivor, unreadable catalogue).
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Embed(#[from] EmbedError),
    #[error("similarity index: {0}")]
    Index(#[from] IndexError),
    /// The embedding model and index are still loading, or could not be loaded.
    #[error(transparent)]
    NotReady(#[from] NotReady),
}

/// What a save answers about similar processes.
#[derive(Debug, Clone, serde::Serialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum SimilarOnSave {
    /// The text was embedded already (e.g. only the status changed): the neighbours.
    Ready(Vec<SimilarProcess>),
    /// The text is embedded in the background; serialises as `"pending"`.
    Pending(PendingMarker),
}

#[derive(Debug, Clone, Copy, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PendingMarker {
    Pending,
}

/// The server's similarity service, loaded on a background thread so start-up stays fast.
/// Saves never wait for their embedding: a background thread embeds whatever is stale when
/// nudged (or every few seconds, for saves made by the CLI), and reads answer with what is
/// embedded (a process not yet embedded is `pending`).
#[derive(Clone)]
pub struct SimilaritySlot {
    service: Loading<Similarity>,
    /// The default catalogue's embeddings (the first gap report's slow part), made right after
    /// the service has loaded.
    catalog: Loading<()>,
    /// Set by `nudge`, taken by the background embedder.
    nudged: Arc<(Mutex<bool>, Condvar)>,
}

/// How often the background embedder looks for stale processes without being nudged.
const EMBED_POLL: Duration = Duration::from_secs(3);

impl SimilaritySlot {
    /// Starts loading the embedder from `models_dir` and syncing with `store`, then embeds
    /// the default catalogue and keeps embedding saves in the background.
    pub fn load_in_background(store: Arc<Store>, models_dir: PathBuf) -> SimilaritySlot {
        let slot = SimilaritySlot {
            service: Loading::pending("duplicate detection", "loading the embedding model"),
            catalog: Loading::pending("the service catalogue", "waiting for the embedding model"),
            nudged: Arc::new((Mutex::new(false), Condvar::new())),
        };
        let worker = slot.clone();
        std::thread::spawn(move || {
            let opened = crate::embed::load(&models_dir).map_err(SimilarityError::from).and_then(|embedder| {
                worker.service.note("embedding the processes");
                let (mut similarity, report) = Similarity::open_deferred(store, Arc::new(embedder))?;
                similarity.share_catalogues(SharedCache::new(&models_dir));
                // What was saved before the start is embedded before the first answer; saves
                // from now on are embedded in the background.
                similarity.embed_pending(&|_, _| {})?;
                tracing::info!(model = %report.model, processes = report.processes, "similarity index ready");
                Ok(similarity)
            });
            worker.service.finish(opened.map_err(|e| e.to_string()));
            if let Ok(similarity) = worker.service.get() {
                // The catalogue on a thread of its own, so that saves made meanwhile are not
                // embedded only after it (it takes from seconds to minutes).
                let cataloguer = worker.clone();
                std::thread::spawn(move || {
                    if let Ok(similarity) = cataloguer.service.get() {
                        cataloguer.embed_catalog(similarity);
                    }
                });
                worker.embed_forever(similarity);
            } else {
                worker.catalog.finish(Err("duplicate detection could not be loaded".into()));
            }
        });
        slot
    }

    /// The background embedder of saved processes: whatever a save or the poll brings.
    fn embed_forever(&self, similarity: &Similarity) {
        loop {
            match similarity.embed_pending(&|_, _| {}) {
                Ok(n) if n > 0 => tracing::debug!(embedded = n, "embedded saved processes"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "background embedding failed"),
            }
            let (lock, wake) = &*self.nudged;
            let mut nudged = lock.lock().unwrap_or_else(|p| p.into_inner());
            if !*nudged {
                nudged = wake.wait_timeout(nudged, EMBED_POLL).unwrap_or_else(|p| p.into_inner()).0;
            }
            *nudged = false;
        }
    }

    fn embed_catalog(&self, similarity: &Similarity) {
        self.catalog.note("embedding the services");
        let t = std::time::Instant::now();
        let embedded = similarity.gaps(&Catalog::default_catalog(), &|_, _| {});
        if embedded.is_ok() {
            tracing::info!(seconds = t.elapsed().as_secs_f32(), "default catalogue ready");
        }
        self.catalog.finish(embedded.map(|_| ()).map_err(|e| e.to_string()));
    }

    /// Wakes the background embedder (after a save).
    pub fn nudge(&self) {
        let (lock, wake) = &*self.nudged;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_one();
    }

    /// Ready once the default catalogue's embeddings are cached, so a gap report is quick.
    pub fn catalog(&self) -> &Loading<()> {
        &self.catalog
    }

    /// The service if it has loaded; never waits.
    pub fn ready(&self) -> Result<&Similarity, NotReady> {
        self.service.get()
    }

    /// The service, waiting for it while it loads. Call from a blocking thread.
    pub fn wait(&self) -> Result<&Similarity, NotReady> {
        self.service.wait()
    }

    /// For `/health`.
    pub fn status(&self) -> LoadStatus {
        self.service.status()
    }
}
