//! Evaluation harnesses for drafting and review against gold sets kept as files (`eval/`):
//! `ablauf eval draft` and `ablauf eval review`. (Duplicate detection's harness lives in
//! `similarity`, beside the scoring it measures.)

pub mod bootstrap;
pub mod draft;
pub mod meaning;
pub mod peer;
pub mod recorded;
pub mod review;
pub mod transcribe;

use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {detail}")]
    Format { path: PathBuf, detail: String },
}

/// The files of `dir` with the extension `extension` and their text, in name order.
pub fn read_files(dir: &Path, extension: &str) -> Result<Vec<(PathBuf, String)>, EvalError> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |source| EvalError::Io { path, source }
    };
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(io(dir))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == extension))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).map_err(io(&path))?;
            Ok((path, text))
        })
        .collect()
}
