//! Saving the HNSW graph next to the database and restoring it against the truth.
//!
//! A save writes the graph under a fresh basename, syncs it, and then atomically replaces
//! `manifest.json` (write, fsync, rename); only after that are older files removed, so a
//! crash at any point leaves a complete old or a complete new index. A restore trusts
//! nothing: the manifest must name the same model, dimension and parameters, both files must
//! match their sha256, and every entry is reconciled with the vectors the caller read from
//! SQLite (changed ones are re-inserted, vanished ones dropped, new ones added). Anything
//! off means a rebuild from SQLite.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::graph::Graph;
use super::{IndexError, IndexParams, Slot, VectorIndex};

const FORMAT: u32 = 1;
const MANIFEST: &str = "manifest.json";
const PREFIX: &str = "hnsw-";

#[derive(Serialize, Deserialize)]
struct Manifest {
    format: u32,
    model: String,
    dim: usize,
    params: IndexParams,
    basename: String,
    graph_sha256: String,
    data_sha256: String,
    /// In graph data-id order; dead slots are still in the graph.
    slots: Vec<ManifestSlot>,
}

#[derive(Serialize, Deserialize)]
struct ManifestSlot {
    key: String,
    stamp: String,
    live: bool,
}

/// What `restore` found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RestoreReport {
    /// Whether the saved graph was used (else the index was built from the entries).
    pub loaded: bool,
    /// Why the saved graph was not used.
    pub rebuilt_because: Option<String>,
    /// Entries re-inserted or dropped to match the truth after loading.
    pub reconciled: usize,
}

/// One true entry: the content stamp and the vector stored in SQLite.
pub type Truth<'a> = HashMap<&'a str, (&'a str, &'a [f32])>;

impl VectorIndex {
    /// Persists the graph into `dir`; an index without a graph removes any saved one.
    pub fn save(&self, dir: &Path, model: &str) -> Result<(), IndexError> {
        let Some(graph) = &self.graph else {
            remove_files(dir, None);
            return Ok(());
        };
        fs::create_dir_all(dir).map_err(io("create", dir))?;
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let basename = format!("{PREFIX}{nanos}-{}", std::process::id());
        graph.dump(dir, &basename)?;
        let (graph_file, data_file) = files(dir, &basename);
        let manifest = Manifest {
            format: FORMAT,
            model: model.to_owned(),
            dim: self.dim,
            params: self.params,
            graph_sha256: sync_and_hash(&graph_file)?,
            data_sha256: sync_and_hash(&data_file)?,
            basename: basename.clone(),
            slots: self
                .slots
                .iter()
                .map(|s| ManifestSlot { key: s.key.clone(), stamp: s.stamp.clone(), live: s.live })
                .collect(),
        };
        let json = serde_json::to_vec(&manifest).map_err(|e| IndexError::Hnsw(format!("manifest: {e}")))?;
        let tmp = dir.join(format!("{MANIFEST}.{basename}.tmp"));
        let mut file = File::create(&tmp).map_err(io("create", &tmp))?;
        file.write_all(&json).and_then(|_| file.sync_all()).map_err(io("write", &tmp))?;
        let target = dir.join(MANIFEST);
        fs::rename(&tmp, &target).map_err(io("replace", &target))?;
        File::open(dir).and_then(|d| d.sync_all()).map_err(io("sync", dir))?;
        remove_files(dir, Some(&basename));
        Ok(())
    }

    /// The index saved in `dir`, reconciled with `truth`; or, when nothing usable is saved,
    /// one built from `truth`.
    pub fn restore(
        dir: &Path,
        model: &str,
        dim: usize,
        params: IndexParams,
        truth: &Truth,
    ) -> Result<(VectorIndex, RestoreReport), IndexError> {
        params.validate()?;
        match load_saved(dir, model, dim, params, truth) {
            Ok((index, reconciled)) => Ok((index, RestoreReport { loaded: true, rebuilt_because: None, reconciled })),
            Err(reason) => {
                let mut entries: Vec<(&str, &str, &[f32])> = truth.iter().map(|(k, (s, v))| (*k, *s, *v)).collect();
                entries.sort_by_key(|(key, ..)| *key);
                let index = VectorIndex::from_entries(dim, params, entries)?;
                Ok((index, RestoreReport { loaded: false, rebuilt_because: Some(reason), reconciled: 0 }))
            }
        }
    }
}

/// Loads and reconciles a saved graph; the error is the reason it cannot be used.
fn load_saved(
    dir: &Path,
    model: &str,
    dim: usize,
    params: IndexParams,
    truth: &Truth,
) -> Result<(VectorIndex, usize), String> {
    let manifest_path = dir.join(MANIFEST);
    let bytes = match fs::read(&manifest_path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err("no saved index".into()),
        Err(e) => return Err(format!("cannot read {}: {e}", manifest_path.display())),
    };
    let manifest: Manifest = serde_json::from_slice(&bytes).map_err(|e| format!("unreadable manifest: {e}"))?;
    if manifest.format != FORMAT || manifest.model != model || manifest.dim != dim || manifest.params != params {
        return Err("saved index was built for another model, dimension or parameters".into());
    }
    if !manifest.basename.starts_with(PREFIX) || manifest.basename.contains(['/', '\\']) {
        return Err("manifest names a foreign file".into());
    }
    let (graph_file, data_file) = files(dir, &manifest.basename);
    for (file, expected) in [(&graph_file, &manifest.graph_sha256), (&data_file, &manifest.data_sha256)] {
        if hash(file).ok().as_ref() != Some(expected) {
            return Err(format!("{} is missing or does not match its checksum", file.display()));
        }
    }
    let graph = Graph::load(dir, &manifest.basename).map_err(|e| e.to_string())?;
    if graph.len() != manifest.slots.len() {
        return Err("graph and manifest disagree on the number of entries".into());
    }
    let mut index = VectorIndex::new(dim, params).map_err(|e| e.to_string())?;
    let mut dropped = Vec::new();
    for (slot, saved) in manifest.slots.into_iter().enumerate() {
        let current = truth.get(saved.key.as_str()).filter(|(stamp, _)| saved.live && *stamp == saved.stamp);
        match current {
            Some((_, vector)) => {
                index.vectors.extend_from_slice(vector);
                if index.by_key.insert(saved.key.clone(), slot).is_some() {
                    return Err(format!("manifest lists {:?} twice", saved.key));
                }
            }
            None => {
                // Dead in the graph from now on; its vector is never read again.
                index.vectors.extend(std::iter::repeat_n(0.0, dim));
                if saved.live {
                    dropped.push(saved.key.clone());
                }
            }
        }
        index.slots.push(Slot { key: saved.key, stamp: saved.stamp, live: current.is_some() });
    }
    index.graph = Some(graph);
    let missing: Vec<&str> = truth.keys().copied().filter(|k| !index.by_key.contains_key(*k)).collect();
    let reconciled = missing.len() + dropped.iter().filter(|k| !truth.contains_key(k.as_str())).count();
    for key in missing {
        let (stamp, vector) = truth[key];
        index.upsert(key, stamp, vector).map_err(|e| e.to_string())?;
    }
    Ok((index, reconciled))
}

fn files(dir: &Path, basename: &str) -> (PathBuf, PathBuf) {
    (dir.join(format!("{basename}.hnsw.graph")), dir.join(format!("{basename}.hnsw.data")))
}

fn sync_and_hash(path: &Path) -> Result<String, IndexError> {
    File::open(path).and_then(|f| f.sync_all()).map_err(io("sync", path))?;
    hash(path).map_err(io("read", path))
}

fn hash(path: &Path) -> std::io::Result<String> {
    let mut hasher = Sha256::new();
    std::io::copy(&mut BufReader::new(File::open(path)?), &mut hasher)?;
    Ok(format!("{:x}", hasher.finalize()))
}

/// Removes saved graphs other than `keep` (all of them and the manifest when `keep` is None).
fn remove_files(dir: &Path, keep: Option<&str>) {
    let Ok(entries) = fs::read_dir(dir) else { return };
    if keep.is_none() {
        let _ = fs::remove_file(dir.join(MANIFEST));
    }
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with(PREFIX) || (name.starts_with(MANIFEST) && name.ends_with(".tmp"));
        if ours && keep.is_none_or(|k| !name.starts_with(&format!("{k}."))) {
            let _ = fs::remove_file(entry.path());
        }
    }
}

fn io<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> IndexError + 'a {
    move |source| IndexError::Io { action, path: path.to_owned(), source }
}
