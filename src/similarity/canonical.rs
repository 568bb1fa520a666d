//! What is embedded for a process: one canonical German text of title, summary, step
//! names, roles and legal basis (in that order, so truncation drops the least telling part).

use sha2::{Digest, Sha256};

use crate::process::{Process, StepType};

/// Bump when the recipe below changes: stored embeddings then count as stale.
pub const RECIPE: &str = "canon-v1";

pub fn canonical_text(p: &Process) -> String {
    let mut parts = vec![p.title.trim().to_owned()];
    if !p.summary.trim().is_empty() {
        parts.push(p.summary.trim().to_owned());
    }
    let mut push = |label: &str, items: Vec<&str>| {
        if !items.is_empty() {
            parts.push(format!("{label}: {}", items.join("; ")));
        }
    };
    push("Schritte", step_names(p));
    push("Rollen", unique(p.roles.iter().map(|r| r.name.as_str())));
    push("Rechtsgrundlage", unique(p.legal_basis.iter().map(String::as_str)));
    parts.join(". ")
}

/// Names of the steps that do work or decide, without repeats.
pub fn step_names(p: &Process) -> Vec<&str> {
    unique(p.steps.iter().filter(|s| matches!(s.kind, StepType::Task | StepType::Decision)).map(|s| s.name.as_str()))
}

pub fn text_hash(text: &str) -> String {
    format!("{:x}", Sha256::digest(text.as_bytes()))[..32].to_owned()
}

fn unique<'a>(items: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for item in items.map(str::trim).filter(|s| !s.is_empty()) {
        if !out.iter().any(|o| o.eq_ignore_ascii_case(item)) {
            out.push(item);
        }
    }
    out
}
