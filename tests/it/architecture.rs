//! The layering of `src/`, checked in the manner of rust-analyzer's tidy tests: which top-level
//! module may name which (`crate::…` outside `#[cfg(test)]` modules), that the allowed graph
//! has no cycle, and that only `src/http` uses axum.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each top-level module of `src/` and the modules it may use (`*`: any other). A module missing
/// here fails the test, so a new one is placed in the layering when it is made.
const LAYERS: &[(&str, &[&str])] = &[
    ("process", &[]),
    ("models", &[]),
    ("auth", &[]),
    ("directory", &["auth", "store"]),
    ("loading", &[]),
    ("llm", &["models"]),
    ("embed", &["models"]),
    ("speech", &["models"]),
    ("index", &["embed"]),
    ("prompt", &["llm"]),
    ("compact", &["process"]),
    ("bpmn", &["process"]),
    ("store", &["auth", "process"]),
    ("page", &["bpmn", "process", "store"]),
    ("review", &["compact", "llm", "process", "prompt"]),
    ("draft", &["compact", "llm", "process", "prompt", "review", "store"]),
    ("similarity", &["embed", "index", "loading", "process", "store"]),
    ("eval", &["compact", "draft", "embed", "llm", "process", "prompt", "review", "speech"]),
    (
        "http",
        &[
            "auth",
            "bpmn",
            "compact",
            "directory",
            "draft",
            "embed",
            "llm",
            "loading",
            "models",
            "page",
            "process",
            "prompt",
            "review",
            "similarity",
            "speech",
            "store",
        ],
    ),
    // The command line drives everything.
    ("cli", &["*"]),
];

fn sources() -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let mut out = Vec::new();
    walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut out);
    out.sort();
    out
}

/// The top-level module a file of `src/` belongs to (`None` for `lib.rs` and `main.rs`).
fn top_module(path: &Path) -> Option<String> {
    let relative = path.strip_prefix(Path::new(env!("CARGO_MANIFEST_DIR")).join("src")).unwrap();
    let first = relative.components().next()?.as_os_str().to_str()?.to_owned();
    match first.strip_suffix(".rs") {
        Some("lib" | "main") => None,
        Some(name) => Some(name.to_owned()),
        None => Some(first),
    }
}

/// The text of a file without its `#[cfg(test)]` module (tests may reach across layers).
fn without_tests(text: &str) -> &str {
    text.find("#[cfg(test)]\nmod tests").map_or(text, |at| &text[..at])
}

/// The top-level modules named by `crate::x` and by the first segment of each item of
/// `crate::{x, y::z, …}` groups.
fn crate_references(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let ident = |s: &str| s.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect::<String>();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Items at depth 0 of the group, split at commas.
            let mut depth = 0;
            let mut item_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => item_start = true,
                    c if item_start && !c.is_whitespace() => {
                        found.insert(ident(&group[i..]));
                        item_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found.retain(|name| !name.is_empty() && name != "self");
    found
}

#[test]
fn modules_use_only_the_layers_below_them() {
    let layers: BTreeMap<&str, BTreeSet<&str>> =
        LAYERS.iter().map(|(module, allowed)| (*module, allowed.iter().copied().collect())).collect();
    let mut violations = Vec::new();
    for path in sources() {
        let Some(module) = top_module(&path) else { continue };
        let Some(allowed) = layers.get(module.as_str()) else {
            violations
                .push(format!("src/{module} is not in LAYERS (tests/it/architecture.rs): place it in the layering"));
            continue;
        };
        let text = std::fs::read_to_string(&path).unwrap();
        for used in crate_references(without_tests(&text)) {
            if used != module && !allowed.contains(used.as_str()) && !allowed.contains("*") {
                violations.push(format!("{}: {module} uses crate::{used}", path.display()));
            }
        }
    }
    violations.sort();
    violations.dedup();
    assert!(violations.is_empty(), "layering broken:\n{}", violations.join("\n"));
}

#[test]
fn the_layering_has_no_cycle() {
    let layers: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    // Depth-first search for a back edge.
    fn visit<'a>(
        module: &'a str,
        layers: &BTreeMap<&'a str, &'a [&'a str]>,
        path: &mut Vec<&'a str>,
        done: &mut BTreeSet<&'a str>,
    ) {
        if done.contains(module) {
            return;
        }
        assert!(!path.contains(&module), "cycle: {} -> {module}", path.join(" -> "));
        path.push(module);
        let allowed = layers.get(module).copied().unwrap_or_default();
        let uses: Vec<&'a str> = if allowed.contains(&"*") {
            layers.keys().copied().filter(|m| *m != module).collect()
        } else {
            allowed.to_vec()
        };
        for used in uses {
            assert!(layers.contains_key(used), "{module} may use {used}, which is not in LAYERS");
            visit(used, layers, path, done);
        }
        path.pop();
        done.insert(module);
    }
    let mut done = BTreeSet::new();
    for module in layers.keys() {
        visit(module, &layers, &mut Vec::new(), &mut done);
    }
}

#[test]
fn only_http_knows_axum() {
    let http = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/http");
    let offenders: Vec<String> = sources()
        .into_iter()
        .filter(|path| !path.starts_with(&http))
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap();
            text.contains("axum::") || text.lines().any(|l| l.trim_start().starts_with("use axum"))
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(offenders.is_empty(), "axum used outside src/http: {offenders:?}");
}

#[test]
fn the_reference_scanner_reads_groups() {
    let text = "use crate::{a, b::{c, d}, e::f};\nlet x = crate::g::h();";
    let found: Vec<String> = crate_references(text).into_iter().collect();
    assert_eq!(found, ["a", "b", "e", "g"]);
}
