//! Fuzz target: see `checks::catalog_import` (shared with tests/it/fuzz_regressions.rs).
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| checks::catalog_import(data));
