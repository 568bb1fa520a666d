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
mod score;
mod service;
mod signals;
mod steps;
mod text;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

pub use canonical::canonical_text;
pub use catalog::{Catalog, CatalogFormat, Service};
pub use eval::{EvalReport, evaluate};
pub use gaps::{Evidence, GapReport, NearMiss};
pub use score::{DUPLICATE_THRESHOLD, Features, Reason};
pub use service::{Candidate, DecisionRequest, Progress, SimilarProcess, SimilarReport, Similarity, SyncReport};
pub use steps::MissingStep;

use crate::embed::EmbedError;
use crate::index::IndexError;
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
    /// The embedding model could not be loaded when the server started.
    #[error("duplicate detection is unavailable: {0}")]
    Unavailable(String),
}

/// The server's similarity service, loaded on a background thread so start-up stays fast:
/// the first calls wait for it.
#[derive(Clone)]
pub struct SimilaritySlot {
    cell: Arc<OnceLock<Result<Similarity, String>>>,
    /// Whether embedding the default catalogue (the first gap report's slow part) has
    /// started and whether it has finished.
    catalog: Arc<(AtomicBool, AtomicBool)>,
}

impl SimilaritySlot {
    /// Starts loading the embedder from `models_dir` and syncing with `store`.
    pub fn load_in_background(store: Arc<Store>, models_dir: PathBuf) -> SimilaritySlot {
        let slot = SimilaritySlot {
            cell: Arc::new(OnceLock::new()),
            catalog: Arc::new((AtomicBool::new(false), AtomicBool::new(false))),
        };
        let cell = slot.cell.clone();
        std::thread::spawn(move || {
            cell.get_or_init(|| {
                let opened = crate::embed::load(&models_dir)
                    .map_err(SimilarityError::from)
                    .and_then(|embedder| Similarity::open(store, Arc::new(embedder), &|_, _| {}));
                match opened {
                    Ok((similarity, report)) => {
                        tracing::info!(model = %report.model, processes = report.processes, embedded = report.embedded, "similarity index ready");
                        Ok(similarity)
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "duplicate detection unavailable");
                        Err(e.to_string())
                    }
                }
            });
        });
        slot
    }

    /// Whether the default catalogue's embeddings are cached, so a gap report is quick; the
    /// first call starts embedding it on a background thread (once per server).
    pub fn catalog_ready(&self) -> bool {
        let (started, done) = &*self.catalog;
        if !started.swap(true, Ordering::AcqRel) {
            let (slot, catalog) = (self.clone(), self.catalog.clone());
            std::thread::spawn(move || {
                match slot.get().and_then(|s| s.gaps(&Catalog::default_catalog(), &|_, _| {})) {
                    Ok(_) => catalog.1.store(true, Ordering::Release),
                    Err(e) => {
                        tracing::warn!(error = %e, "the default catalogue could not be embedded");
                        catalog.0.store(false, Ordering::Release);
                    }
                }
            });
        }
        done.load(Ordering::Acquire)
    }

    /// The service if it has loaded (never waits).
    pub fn try_get(&self) -> Option<&Similarity> {
        self.cell.get().and_then(|loaded| loaded.as_ref().ok())
    }

    /// The service if it has loaded, `None` while it still loads (never waits).
    pub fn ready(&self) -> Result<Option<&Similarity>, SimilarityError> {
        self.cell.get().map(|loaded| loaded.as_ref().map_err(|e| SimilarityError::Unavailable(e.clone()))).transpose()
    }

    /// The service, waiting for it while it loads. Call from a blocking thread.
    pub fn get(&self) -> Result<&Similarity, SimilarityError> {
        let loaded = self.cell.wait();
        loaded.as_ref().map_err(|e| SimilarityError::Unavailable(e.clone()))
    }
}
