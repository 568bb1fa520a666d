//! The fuzz corpora (eval/fuzz/corpus/<target>/) and every crash the fuzzer found
//! (eval/fuzz/regressions/<target>/), run through the same checks as the fuzz targets
//! (eval/fuzz/checks.rs), so a fixed bug stays fixed without cargo-fuzz. See
//! eval/fuzz/README.md.

#[path = "../../eval/fuzz/checks.rs"]
mod checks;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use ablauf::bpmn::import_bpmn;
use ablauf::process;

/// The corpus and regression inputs of a target, sorted.
fn inputs(target: &str) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/fuzz");
    let mut files = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else { continue };
        files.extend(entries.map(|e| e.unwrap().path()).filter(|p| p.is_file()));
    }
    files.sort();
    assert!(!files.is_empty(), "no inputs for {target} under {}", root.display());
    files
}

/// Runs `check` on every input of `target`; fails naming every input that panicked.
fn run_all(target: &str, check: fn(&[u8])) -> Vec<(PathBuf, Vec<u8>)> {
    let files = inputs(target);
    let mut failed = Vec::new();
    let mut read = Vec::new();
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        if catch_unwind(AssertUnwindSafe(|| check(&bytes))).is_err() {
            failed.push(path.display().to_string());
        }
        read.push((path, bytes));
    }
    assert!(failed.is_empty(), "{target}: {} input(s) failed:\n{}", failed.len(), failed.join("\n"));
    read
}

fn is_seed(path: &Path, prefixes: &[&str]) -> bool {
    let name = path.file_name().unwrap().to_string_lossy();
    prefixes.iter().any(|p| name.starts_with(p))
}

#[test]
fn process_json_corpus_and_regressions() {
    let inputs = run_all("process_json", checks::process_json);
    // The seeds are real processes: they parse, and a value of the wrong type anywhere in
    // them is reported with its JSON path.
    let seeds: Vec<_> = inputs.iter().filter(|(p, _)| is_seed(p, &["anwohnerparkausweis", "golden_"])).collect();
    assert!(seeds.len() >= 6);
    for (path, bytes) in seeds {
        let text = std::str::from_utf8(bytes).unwrap();
        let process = process::parse(text).unwrap_or_else(|f| panic!("{}: {f:?}", path.display()));
        let last = process.steps.len() - 1;
        let mut value: serde_json::Value = serde_json::from_str(text).unwrap();
        value["steps"][last]["name"] = serde_json::json!(42);
        let err = process::parse(&value.to_string()).unwrap_err();
        assert_eq!(err.path, format!("steps[{last}].name"), "{}", path.display());
        assert!(err.message.contains("invalid type"), "{}: {}", path.display(), err.message);
    }
}

#[test]
fn bpmn_import_corpus_and_regressions() {
    let inputs = run_all("bpmn_import", checks::bpmn_import);
    // The seeds are real BPMN documents, so the round trip in the check was exercised.
    let seeds: Vec<_> = inputs.iter().filter(|(p, _)| is_seed(p, &["golden_", "miwg_"])).collect();
    assert!(seeds.len() >= 5);
    for (path, bytes) in seeds {
        let imported = import_bpmn(bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!imported.process.steps.is_empty(), "{}", path.display());
    }
}

#[test]
fn catalog_import_corpus_and_regressions() {
    use ablauf::similarity::{Catalog, CatalogFormat};
    let inputs = run_all("catalog_import", checks::catalog_import);
    for (path, bytes) in inputs.iter().filter(|(p, _)| is_seed(p, &["default_", "leika", "services", "semicolon"])) {
        let format = CatalogFormat::of_path(path);
        let text = std::str::from_utf8(bytes).unwrap();
        let catalog = Catalog::parse(text, format, "seed").unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(catalog.services.len() >= 2, "{}", path.display());
    }
}
