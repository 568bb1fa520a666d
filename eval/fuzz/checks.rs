//! What each fuzz target does with one input. Shared, through `#[path]`, by the fuzz targets
//! (`eval/fuzz/fuzz_targets/`) and the regression test (`tests/it/fuzz_regressions.rs`), so that
//! both run exactly the same code path.
//!
//! The library must never panic on any input; beyond that each check asserts what must hold
//! for every input, so that the fuzzer also finds wrong answers, not only crashes.
#![allow(dead_code)] // each fuzz target uses one of the checks

use ablauf::bpmn::{export_bpmn, import_bpmn};
use ablauf::process::{self, Severity};
use ablauf::similarity::{Catalog, CatalogFormat};

/// Process JSON as the API and the CLI receive it: parse, then validate.
///
/// - a parse error is an `invalid_json` error with a message;
/// - validation is deterministic, `valid` means "no errors", and every finding has a code,
///   a message and the severity of the list it is in;
/// - what parses serialises back to JSON that parses to the same process.
pub fn process_json(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let process = match process::parse(&text) {
        Ok(process) => process,
        Err(finding) => {
            assert_eq!(finding.code, "invalid_json");
            assert_eq!(finding.severity, Severity::Error);
            assert!(!finding.message.is_empty(), "a parse error without a message");
            return;
        }
    };
    let validation = process::validate(&process);
    assert_eq!(validation.valid, validation.errors.is_empty());
    for (findings, severity) in [(&validation.errors, Severity::Error), (&validation.warnings, Severity::Warning)] {
        for finding in findings {
            assert_eq!(finding.severity, severity, "{finding:?}");
            assert!(!finding.code.is_empty() && !finding.message.is_empty(), "{finding:?}");
        }
    }
    assert_eq!(process::validate(&process), validation, "validation is not deterministic");
    let json = serde_json::to_string(&process).expect("a parsed process serialises");
    let again = process::parse(&json).unwrap_or_else(|f| panic!("the serialised process does not parse: {f:?}"));
    assert_eq!(again, process, "JSON → process → JSON → process changed the process");
}

/// A BPMN document as `ablauf import` and `POST /api/import/bpmn` receive it. A failed
/// import has a message; a successful one exports (the importer fixes ids and drops
/// dangling flows, so nothing blocks the export), and the export imports again with the
/// same steps, roles and flows.
pub fn bpmn_import(data: &[u8]) {
    let imported = match import_bpmn(data) {
        Ok(imported) => imported,
        Err(e) => {
            assert!(!e.to_string().is_empty());
            return;
        }
    };
    let process = &imported.process;
    let exported = export_bpmn(process).unwrap_or_else(|e| panic!("an imported process does not export: {e}"));
    let again = import_bpmn(exported.as_bytes())
        .unwrap_or_else(|e| panic!("the export of an imported process does not import: {e}"))
        .process;
    assert_eq!(again.steps.len(), process.steps.len(), "export → import changed the number of steps");
    assert_eq!(again.roles.len(), process.roles.len(), "export → import changed the number of roles");
    let flows = |p: &process::Process| p.steps.iter().map(|s| s.next.len()).sum::<usize>();
    assert_eq!(flows(&again), flows(process), "export → import changed the number of flows");
}

/// A service catalogue given by a user (`ablauf gaps --catalog FILE`), read as JSON Lines and
/// as CSV. An error names the source; a catalogue has services, each with a trimmed,
/// non-empty key, name and topic.
pub fn catalog_import(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    for format in [CatalogFormat::Jsonl, CatalogFormat::Csv] {
        match Catalog::parse(&text, format, "fuzz") {
            Ok(catalog) => {
                assert!(!catalog.services.is_empty());
                for s in &catalog.services {
                    for field in [&s.key, &s.name, &s.topic] {
                        assert!(!field.is_empty() && field.trim() == field, "{format:?}: {s:?}");
                    }
                    assert!(s.leika_keys.iter().all(|k| !k.is_empty()), "{format:?}: {s:?}");
                }
            }
            Err(e) => assert!(e.to_string().contains("fuzz"), "{format:?}: the error does not name the source: {e}"),
        }
    }
}
