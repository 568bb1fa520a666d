//! What the similarity layer keeps in SQLite: process and text embeddings (tagged with the
//! model that made them) and reviewer decisions on candidate duplicates.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Change, Context, NOW, Result, Status, Store, StoreError, audit, current, parse_status};
use crate::process::Process;

/// A process as the similarity layer sees it: its current version and what is embedded.
#[derive(Debug, Clone)]
pub struct ProcessState {
    pub id: String,
    pub version: u32,
    pub status: Status,
    /// Version, model and content hash of the stored embedding, if any.
    pub embedded: Option<(u32, String, String)>,
}

/// An embedding of a process's current version, as stored.
#[derive(Debug, Clone)]
pub struct StoredEmbedding {
    pub process_id: String,
    pub text_hash: String,
    pub vector: Vec<f32>,
}

/// A reviewer's verdict on a pair of processes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// The same process written twice; the survivor stays, the other is archived.
    Duplicate,
    /// Different processes that only look alike; not suggested again unless one changes.
    NotDuplicate,
    /// Different but connected processes (a variant, a follow-up); not suggested again.
    Related,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Duplicate => "duplicate",
            Decision::NotDuplicate => "not_duplicate",
            Decision::Related => "related",
        }
    }
}

impl std::str::FromStr for Decision {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        [Decision::Duplicate, Decision::NotDuplicate, Decision::Related]
            .into_iter()
            .find(|d| d.as_str() == s)
            .ok_or_else(|| format!("unknown decision {s:?}; expected duplicate, not_duplicate or related"))
    }
}

/// A decision to record; `a < b` and the texts are the canonical texts judged.
#[derive(Debug, Clone)]
pub struct NewDecision<'a> {
    pub a: &'a str,
    pub b: &'a str,
    pub decision: Decision,
    pub survivor: Option<&'a str>,
    pub note: &'a str,
    pub a_text: &'a str,
    pub b_text: &'a str,
}

/// A recorded decision.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct DecisionRecord {
    pub seq: i64,
    pub a: String,
    pub b: String,
    pub decision: Decision,
    /// For `duplicate`: the process kept; the other was archived as its duplicate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survivor: Option<String>,
    pub note: String,
    pub a_version: u32,
    pub b_version: u32,
    pub actor: String,
    pub at: String,
    #[serde(skip)]
    pub a_text: String,
    #[serde(skip)]
    pub b_text: String,
}

impl Store {
    /// Every process with its current version, status and embedding bookkeeping.
    pub fn process_states(&self) -> Result<Vec<ProcessState>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT p.id, p.current_version, p.status, e.version, e.model, e.text_hash
                     FROM processes p LEFT JOIN process_embeddings e ON e.process_id = p.id ORDER BY p.id",
                )
                .context("list process states")?;
            let rows = stmt
                .query_map([], |r| {
                    let embedded = match r.get::<_, Option<u32>>(3)? {
                        Some(v) => Some((v, r.get(4)?, r.get(5)?)),
                        None => None,
                    };
                    Ok((r.get::<_, String>(0)?, r.get(1)?, r.get::<_, String>(2)?, embedded))
                })
                .context("list process states")?;
            rows.map(|row| {
                let (id, version, status, embedded) = row.context("list process states")?;
                Ok(ProcessState { id, version, status: parse_status(&status)?, embedded })
            })
            .collect()
        })
    }

    /// The current version of each of `ids` (unknown ids are skipped).
    pub fn current_processes(&self, ids: &[String]) -> Result<Vec<(String, u32, Process)>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT p.current_version, v.body FROM processes p
                     JOIN process_versions v ON v.process_id = p.id AND v.version = p.current_version
                     WHERE p.id = ?1",
                )
                .context("read current processes")?;
            let mut out = Vec::with_capacity(ids.len());
            for id in ids {
                let mut rows = stmt.query([id]).context("read current processes")?;
                if let Some(row) = rows.next().context("read current processes")? {
                    let (version, body): (u32, String) =
                        (row.get(0).context("read a version")?, row.get(1).context("read a body")?);
                    let process = crate::process::parse(&body)
                        .map_err(|f| StoreError::Corrupt(format!("process {id} version {version}: {}", f.message)))?;
                    out.push((id.clone(), version, process));
                }
            }
            Ok(out)
        })
    }

    /// A cheap marker that changes whenever a process is created, updated or changes status.
    pub fn change_marker(&self) -> Result<String> {
        self.read(|conn| {
            conn.query_row(
                "SELECT count(*) || '|' || ifnull(max(updated_at), '') || '|' || total(current_version) FROM processes",
                [],
                |r| r.get(0),
            )
            .context("read the change marker")
        })
    }

    /// A cheap marker that changes whenever an embedding of `model` is stored.
    pub fn embedding_marker(&self, model: &str) -> Result<String> {
        self.read(|conn| {
            conn.query_row(
                "SELECT count(*) || '|' || ifnull(max(embedded_at), '') || '|' || total(version) FROM process_embeddings WHERE model = ?1",
                [model],
                |r| r.get(0),
            )
            .context("read the embedding marker")
        })
    }

    /// Stores (replacing) the embedding of a process version.
    pub fn put_process_embedding(&self, id: &str, version: u32, model: &str, hash: &str, v: &[f32]) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                &format!(
                    "INSERT OR REPLACE INTO process_embeddings
                     (process_id, version, model, dim, text_hash, vector, embedded_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, {NOW})"
                ),
                params![id, version, model, v.len() as i64, hash, to_blob(v)],
            )
            .context("store an embedding")?;
            Ok(())
        })
    }

    /// All process embeddings made by `model` with `dim` dimensions.
    pub fn process_embeddings(&self, model: &str, dim: usize) -> Result<Vec<StoredEmbedding>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare("SELECT process_id, text_hash, vector FROM process_embeddings WHERE model = ?1 AND dim = ?2")
                .context("read embeddings")?;
            let rows = stmt
                .query_map(params![model, dim as i64], |r| Ok((r.get(0)?, r.get(1)?, r.get::<_, Vec<u8>>(2)?)))
                .context("read embeddings")?;
            rows.map(|row| {
                let (process_id, text_hash, blob): (String, String, Vec<u8>) = row.context("read embeddings")?;
                Ok(StoredEmbedding { vector: from_blob(&blob, dim, &process_id)?, process_id, text_hash })
            })
            .collect()
        })
    }

    /// Cached embeddings of texts (by content hash) made by `model`.
    pub fn text_embeddings(&self, model: &str, dim: usize, hashes: &[String]) -> Result<HashMap<String, Vec<f32>>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare("SELECT vector FROM text_embeddings WHERE model = ?1 AND text_hash = ?2 AND dim = ?3")
                .context("read cached embeddings")?;
            let mut out = HashMap::new();
            for hash in hashes {
                let mut rows = stmt.query(params![model, hash, dim as i64]).context("read cached embeddings")?;
                if let Some(row) = rows.next().context("read cached embeddings")? {
                    let blob: Vec<u8> = row.get(0).context("read cached embeddings")?;
                    out.insert(hash.clone(), from_blob(&blob, dim, hash)?);
                }
            }
            Ok(out)
        })
    }

    pub fn put_text_embeddings(&self, model: &str, entries: &[(String, Vec<f32>)]) -> Result<()> {
        self.write(|tx| {
            let mut stmt = tx
                .prepare(
                    "INSERT OR REPLACE INTO text_embeddings (model, text_hash, dim, vector) VALUES (?1, ?2, ?3, ?4)",
                )
                .context("cache embeddings")?;
            for (hash, vector) in entries {
                stmt.execute(params![model, hash, vector.len() as i64, to_blob(vector)]).context("cache embeddings")?;
            }
            Ok(())
        })
    }

    /// Records a decision in one transaction; for `duplicate` the process that does not
    /// survive is archived, and both processes' audit trails name the decision.
    pub fn record_decision(&self, d: &NewDecision, change: &Change) -> Result<DecisionRecord> {
        self.write(|tx| {
            let (a_version, a_status) = current(tx, d.a)?;
            let (b_version, b_status) = current(tx, d.b)?;
            tx.execute(
                &format!(
                    "INSERT INTO duplicate_decisions
                     (a, b, decision, survivor, note, a_version, b_version, a_text, b_text, actor, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, {NOW})"
                ),
                params![
                    d.a,
                    d.b,
                    d.decision.as_str(),
                    d.survivor,
                    d.note,
                    a_version,
                    b_version,
                    d.a_text,
                    d.b_text,
                    change.author
                ],
            )
            .context("record a decision")?;
            let seq = tx.last_insert_rowid();
            for (id, version, other) in [(d.a, a_version, d.b), (d.b, b_version, d.a)] {
                let detail = format!("{} with {other}: {}", d.decision.as_str(), d.note);
                audit(tx, change, "duplicate_decision", Some(id), Some(version), Some(version), &detail)?;
            }
            if let Some(survivor) = d.survivor.filter(|_| d.decision == Decision::Duplicate) {
                let (loser, version, old) =
                    if survivor == d.a { (d.b, b_version, b_status) } else { (d.a, a_version, a_status) };
                tx.execute(
                    &format!("UPDATE processes SET status = 'archived', updated_at = {NOW} WHERE id = ?1"),
                    [loser],
                )
                .context("archive a duplicate")?;
                let detail = format!("{} -> archived (duplicate of {survivor})", old.as_str());
                audit(tx, change, "status", Some(loser), Some(version), Some(version), &detail)?;
            }
            decision_rows(tx, "WHERE seq = ?1", params![seq])?
                .pop()
                .ok_or_else(|| StoreError::Corrupt("a recorded decision vanished".into()))
        })
    }

    /// Decisions, newest first; only those involving `process` when given.
    pub fn decisions(&self, process: Option<&str>) -> Result<Vec<DecisionRecord>> {
        self.read(|conn| match process {
            Some(id) => decision_rows(conn, "WHERE a = ?1 OR b = ?1", params![id]),
            None => decision_rows(conn, "", params![]),
        })
    }
}

fn decision_rows(conn: &Connection, filter: &str, args: &[&dyn rusqlite::ToSql]) -> Result<Vec<DecisionRecord>> {
    let mut stmt = conn
        .prepare(&format!(
            "SELECT seq, a, b, decision, survivor, note, a_version, b_version, actor, at, a_text, b_text
             FROM duplicate_decisions {filter} ORDER BY seq DESC"
        ))
        .context("read decisions")?;
    let rows = stmt
        .query_map(args, |r| {
            Ok((
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, String>(3)?, r.get(4)?, r.get(5)?),
                (r.get(6)?, r.get(7)?, r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?),
            ))
        })
        .context("read decisions")?;
    rows.map(|row| {
        let ((seq, a, b, decision, survivor, note), (a_version, b_version, actor, at, a_text, b_text)) =
            row.context("read decisions")?;
        Ok(DecisionRecord {
            seq,
            a,
            b,
            decision: decision.parse().map_err(StoreError::Corrupt)?,
            survivor,
            note,
            a_version,
            b_version,
            actor,
            at,
            a_text,
            b_text,
        })
    })
    .collect()
}

fn to_blob(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn from_blob(blob: &[u8], dim: usize, owner: &str) -> Result<Vec<f32>> {
    if blob.len() != dim * 4 {
        return Err(StoreError::Corrupt(format!(
            "embedding of {owner} has {} bytes, expected {}",
            blob.len(),
            dim * 4
        )));
    }
    Ok(blob.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect())
}
