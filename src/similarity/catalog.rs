//! Reference catalogues of administrative services for gap detection.
//!
//! The default is built into the binary: the 557 OZG services with the LeiKa keys they group
//! (see `eval/duplicates/build_catalog.py`). Users can give their own as JSON Lines or CSV
//! (comma or semicolon separated, with a header). Recognised fields: `key` (or `id`,
//! `leika_key`, `ozg_id`), `name` (or `title`), `topic` (or `themenfeld`, `group`), and
//! `leika_keys` (a list in JSON, `|`-separated in CSV) or a 14-digit `leika_key`. The LeiKa
//! export in `../shared/data/leika/leika_leistungen.jsonl` loads as it is.

use std::path::Path;

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::SimilarityError;

const DEFAULT: &str = include_str!("default_catalog.jsonl");

/// One service of a catalogue.
#[derive(Debug, Clone, PartialEq, Serialize, JsonSchema)]
pub struct Service {
    pub key: String,
    pub name: String,
    pub topic: String,
    /// LeiKa keys that denote this service (a process with one of them covers it).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub leika_keys: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    /// Where it came from ("default" or a path), for reports.
    pub source: String,
    pub services: Vec<Service>,
}

impl Catalog {
    pub fn default_catalog() -> Catalog {
        parse_jsonl(DEFAULT, "default").expect("the built-in catalogue is valid (checked by a test)")
    }

    /// Reads a JSON Lines (`.jsonl`, `.json`) or CSV file.
    pub fn load(path: &Path) -> Result<Catalog, SimilarityError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| SimilarityError::Input(format!("cannot read catalogue {}: {e}", path.display())))?;
        Catalog::parse(&text, CatalogFormat::of_path(path), &path.display().to_string())
    }

    /// Parses a catalogue; `source` names it in error messages and reports. A catalogue
    /// without services is an error.
    pub fn parse(text: &str, format: CatalogFormat, source: &str) -> Result<Catalog, SimilarityError> {
        let catalog = match format {
            CatalogFormat::Csv => parse_csv(text, source),
            CatalogFormat::Jsonl => parse_jsonl(text, source),
        }?;
        if catalog.services.is_empty() {
            return Err(SimilarityError::Input(format!("catalogue {source} lists no services")));
        }
        Ok(catalog)
    }
}

/// The formats a catalogue can come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogFormat {
    /// One JSON object per line.
    Jsonl,
    /// Comma or semicolon separated, with a header.
    Csv,
}

impl CatalogFormat {
    /// The format a file name implies: `.csv` is CSV, anything else JSON Lines.
    pub fn of_path(path: &Path) -> CatalogFormat {
        let is_csv = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if is_csv { CatalogFormat::Csv } else { CatalogFormat::Jsonl }
    }
}

fn parse_jsonl(text: &str, source: &str) -> Result<Catalog, SimilarityError> {
    let mut services = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let bad = |m: String| SimilarityError::Input(format!("{source} line {}: {m}", i + 1));
        let value: Value = serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
        let field = |names: &[&str]| names.iter().find_map(|n| value.get(n).and_then(scalar));
        let leika_keys = match value.get("leika_keys") {
            Some(Value::Array(keys)) => keys.iter().filter_map(scalar).collect(),
            _ => field(&["leika_key"]).filter(|k| is_leika_key(k)).into_iter().collect(),
        };
        services.push(
            service(
                field(&["key", "id", "leika_key", "ozg_id"]),
                field(&["name", "title"]),
                field(&["topic", "themenfeld", "group"]),
                leika_keys,
            )
            .map_err(bad)?,
        );
    }
    Ok(Catalog { source: source.to_owned(), services })
}

fn parse_csv(text: &str, source: &str) -> Result<Catalog, SimilarityError> {
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() > first.matches(',').count() { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new().delimiter(delimiter).flexible(true).from_reader(text.as_bytes());
    let bad = |m: String| SimilarityError::Input(format!("{source}: {m}"));
    let header: Vec<String> =
        reader.headers().map_err(|e| bad(e.to_string()))?.iter().map(|h| h.trim().to_lowercase()).collect();
    let column = |names: &[&str]| names.iter().find_map(|n| header.iter().position(|h| h == n));
    let (key, name, topic) = (
        column(&["key", "id", "leika_key", "ozg_id"]),
        column(&["name", "title"]),
        column(&["topic", "themenfeld", "group"]),
    );
    let (leika_keys, leika_key) = (column(&["leika_keys"]), column(&["leika_key"]));
    let mut services = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| bad(e.to_string()))?;
        let get = |c: Option<usize>| {
            c.and_then(|c| record.get(c)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
        };
        let keys = match get(leika_keys) {
            Some(list) => list.split('|').map(|k| k.trim().to_owned()).filter(|k| !k.is_empty()).collect(),
            None => get(leika_key).filter(|k| is_leika_key(k)).into_iter().collect(),
        };
        services.push(service(get(key), get(name), get(topic), keys).map_err(|m| bad(format!("row {}: {m}", i + 2)))?);
    }
    Ok(Catalog { source: source.to_owned(), services })
}

fn service(
    key: Option<String>,
    name: Option<String>,
    topic: Option<String>,
    leika_keys: Vec<String>,
) -> Result<Service, String> {
    let name = name.filter(|n| !n.trim().is_empty()).ok_or("no name")?;
    Ok(Service {
        key: key.unwrap_or_else(|| name.clone()),
        name: name.trim().to_owned(),
        topic: topic.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).unwrap_or_else(|| "ohne Thema".into()),
        leika_keys,
    })
}

fn scalar(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn is_leika_key(k: &str) -> bool {
    k.len() == 14 && k.bytes().all(|b| b.is_ascii_digit())
}
