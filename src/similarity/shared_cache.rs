//! A catalogue's embeddings kept beside the models, so that every data directory on this
//! machine (a second instance, a restored copy, a test server, `ablauf gaps` on a new folder)
//! takes them over instead of embedding the same services again: 557 services take 15–60 s on
//! two cores. Derived data, like the per-database cache it fills: one file per model and list of
//! texts; a missing, short or damaged file is ignored (the texts are embedded anew), and files
//! are written under a name of their own and renamed into place, so readers never see half of
//! one, and concurrent writers of the same list each leave a whole file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"ABLVEC1\n";
/// Bytes of a text hash in the file ([`super::canonical::text_hash`]: 32 hex digits).
const HASH_BYTES: usize = 32;

#[derive(Debug, Clone)]
pub struct SharedCache {
    dir: PathBuf,
}

impl SharedCache {
    /// The cache in `models_dir`'s `cache/` folder, beside the language model's cached prompt.
    pub fn new(models_dir: &Path) -> SharedCache {
        SharedCache { dir: models_dir.join("cache") }
    }

    /// The file for `model`'s embeddings of the texts with `hashes` (in this order).
    fn path(&self, model: &str, hashes: &[String]) -> PathBuf {
        let mut key = Sha256::new();
        key.update(model.as_bytes());
        for hash in hashes {
            key.update(b"\n");
            key.update(hash.as_bytes());
        }
        self.dir.join(format!("texts-{:x}.vectors", key.finalize()))
    }

    /// The embeddings saved for exactly these texts, as (hash, vector); `None` when there is no
    /// whole file for them.
    pub fn read(&self, model: &str, dim: usize, hashes: &[String]) -> Option<Vec<(String, Vec<f32>)>> {
        let path = self.path(model, hashes);
        let bytes = fs::read(&path).ok()?;
        let entries = decode(&bytes, dim, hashes);
        if entries.is_none() {
            tracing::warn!(path = %path.display(), "ignoring a damaged shared embedding file");
        }
        entries
    }

    /// Saves `entries` (the embeddings of exactly `hashes`' texts, in that order). Failing to
    /// save costs only time later, so the caller may log the error and go on.
    pub fn write(&self, model: &str, hashes: &[String], entries: &[(String, Vec<f32>)]) -> std::io::Result<()> {
        let path = self.path(model, hashes);
        fs::create_dir_all(&self.dir)?;
        let dim = entries.first().map_or(0, |(_, v)| v.len());
        let mut bytes = Vec::with_capacity(16 + entries.len() * (HASH_BYTES + 4 * dim));
        bytes.extend_from_slice(MAGIC);
        bytes.extend_from_slice(&(dim as u32).to_le_bytes());
        bytes.extend_from_slice(&(entries.len() as u32).to_le_bytes());
        for (hash, vector) in entries {
            if hash.len() != HASH_BYTES || vector.len() != dim {
                return Err(std::io::Error::other(format!("entry {hash} does not fit the file's layout")));
            }
            bytes.extend_from_slice(hash.as_bytes());
            bytes.extend(vector.iter().flat_map(|x| x.to_le_bytes()));
        }
        let partial = path.with_extension(format!("{}.{:?}.partial", std::process::id(), std::thread::current().id()));
        let written = fs::File::create(&partial).and_then(|mut f| f.write_all(&bytes).and_then(|()| f.sync_all()));
        match written.and_then(|()| fs::rename(&partial, &path)) {
            Ok(()) => Ok(()),
            Err(e) => {
                let _ = fs::remove_file(&partial);
                Err(e)
            }
        }
    }
}

/// The entries of a file, checked against the expected dimension and hashes.
fn decode(bytes: &[u8], dim: usize, hashes: &[String]) -> Option<Vec<(String, Vec<f32>)>> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let word = |at: usize| rest.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize);
    let (file_dim, count) = (word(0)?, word(4)?);
    let entry = HASH_BYTES + 4 * dim;
    if file_dim != dim || count != hashes.len() || rest.len() != 8 + count * entry {
        return None;
    }
    rest[8..]
        .chunks_exact(entry)
        .zip(hashes)
        .map(|(chunk, expected)| {
            let hash = std::str::from_utf8(&chunk[..HASH_BYTES]).ok()?;
            let vector = chunk[HASH_BYTES..].chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]));
            (hash == expected).then(|| (hash.to_owned(), vector.collect()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hash(i: u8) -> String {
        format!("{:032x}", i)
    }

    #[test]
    fn a_written_list_reads_back_and_anything_else_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let cache = SharedCache::new(dir.path());
        let hashes = vec![hash(1), hash(2)];
        let entries = vec![(hash(1), vec![0.5, -1.0, 2.0]), (hash(2), vec![0.0, 1.5, -0.25])];
        assert!(cache.read("m", 3, &hashes).is_none(), "nothing saved yet");
        cache.write("m", &hashes, &entries).unwrap();
        assert_eq!(cache.read("m", 3, &hashes).unwrap(), entries);
        // Another model, another list, another dimension: not these vectors.
        assert!(cache.read("other", 3, &hashes).is_none());
        assert!(cache.read("m", 3, &hashes[..1]).is_none());
        assert!(cache.read("m", 4, &hashes).is_none());
        // A cut or altered file is ignored, and no partial file stays behind.
        let path = cache.path("m", &hashes);
        let bytes = fs::read(&path).unwrap();
        fs::write(&path, &bytes[..bytes.len() - 1]).unwrap();
        assert!(cache.read("m", 3, &hashes).is_none());
        let mut altered = bytes.clone();
        altered[16] = b'z';
        fs::write(&path, &altered).unwrap();
        assert!(cache.read("m", 3, &hashes).is_none());
        let files: Vec<_> = fs::read_dir(path.parent().unwrap()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(files.len(), 1, "{files:?}");
    }
}
