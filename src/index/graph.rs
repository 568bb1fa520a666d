//! The hnsw_rs graph: construction, search, dump and reload. Nothing outside this file
//! touches hnsw_rs, so its quirks stay here (it exits the process for more than 256
//! connections, asserts on distances below zero, and ties a reloaded graph to its loader).

use std::path::Path;

use hnsw_rs::prelude::{AnnT, Distance, Hnsw, HnswIo};

use super::{IndexError, IndexParams};

/// Layers of the graph; hnsw_rs caps it at 16.
const MAX_LAYERS: usize = 16;

/// Cosine distance of unit vectors. hnsw_rs's own `DistDot` asserts `1 - dot >= 0`, which
/// rounding breaks for a vector and itself; this one clamps instead.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnitCosine;

impl Distance<f32> for UnitCosine {
    fn eval(&self, a: &[f32], b: &[f32]) -> f32 {
        (1.0 - crate::embed::cosine(a, b)).max(0.0)
    }
}

pub struct Graph {
    hnsw: Hnsw<'static, f32, UnitCosine>,
}

impl Graph {
    /// Builds a graph over `points` (slot, vector) on all cores.
    pub fn build(params: &IndexParams, capacity: usize, points: &[(&[f32], usize)]) -> Graph {
        let hnsw = Hnsw::new(params.m, capacity.max(1), MAX_LAYERS, params.ef_construction, UnitCosine);
        hnsw.parallel_insert_slice(&points.to_vec());
        Graph { hnsw }
    }

    pub fn insert(&self, vector: &[f32], slot: usize) {
        self.hnsw.insert_slice((vector, slot));
    }

    pub fn len(&self) -> usize {
        self.hnsw.get_nb_point()
    }

    /// The `k` nearest slots, nearest first, with their cosine similarity. Unfiltered on
    /// purpose: hnsw_rs 0.3's filtered search gives up its early exit and scans most of the
    /// graph, so callers fetch a few more and filter themselves.
    pub fn search(&self, query: &[f32], k: usize, ef: usize) -> Vec<(usize, f32)> {
        self.hnsw.search(query, k, ef.max(k)).into_iter().map(|n| (n.d_id, 1.0 - n.distance)).collect()
    }

    /// Writes `<basename>.hnsw.graph` and `<basename>.hnsw.data` into `dir`.
    pub fn dump(&self, dir: &Path, basename: &str) -> Result<(), IndexError> {
        let written = self.hnsw.file_dump(dir, basename).map_err(|e| IndexError::Hnsw(e.to_string()))?;
        if written != basename {
            return Err(IndexError::Hnsw(format!("hnsw_rs wrote {written} instead of {basename}")));
        }
        Ok(())
    }

    /// Reloads a dump whose files the caller has verified (hnsw_rs panics on foreign data).
    pub fn load(dir: &Path, basename: &str) -> Result<Graph, IndexError> {
        // hnsw_rs ties the graph's lifetime to its loader even when it copies the data (as
        // it does without mmap); leaking the loader (a few hundred bytes, once per start-up)
        // lets the graph live as long as the index.
        let loader: &'static mut HnswIo = Box::leak(Box::new(HnswIo::new(dir, basename)));
        let hnsw = loader.load_hnsw::<f32, UnitCosine>().map_err(|e| IndexError::Hnsw(e.to_string()))?;
        Ok(Graph { hnsw })
    }
}
