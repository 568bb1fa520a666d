//! Provenance of drafted processes: the dictation, the model's compact answer, the model, the
//! sha256 of the prompt template and the timings — so any draft can be traced and reproduced.

use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use super::{Change, Context, NOW, Result, Saved, Store, StoreError};
use crate::process::Process;

/// What is recorded about how a draft came about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DraftRecord {
    pub dictation: String,
    /// The model's answer in the compact line format, before repairs.
    pub compact: String,
    pub model_id: String,
    pub template_sha256: String,
    /// Timings and token counts (`DraftStats`).
    pub stats: serde_json::Value,
    /// The repairs post-processing made.
    pub repairs: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredDraftRecord {
    pub process_id: String,
    pub created_at: String,
    #[serde(flatten)]
    pub record: DraftRecord,
}

impl Store {
    /// Stores a drafted process as version 1 with status `draft`, then its provenance. The two
    /// are separate transactions: if the second fails, the draft is kept without provenance.
    pub fn create_draft(&self, process: &Process, record: &DraftRecord, change: &Change) -> Result<Saved> {
        let saved = self.create(process, change)?;
        let json = |value: &serde_json::Value| {
            serde_json::to_string(value).map_err(|e| StoreError::Corrupt(format!("cannot serialise draft data: {e}")))
        };
        let (stats, repairs) = (json(&record.stats)?, json(&record.repairs)?);
        self.write(|tx| {
            tx.execute(
                &format!(
                    "INSERT INTO drafts (process_id, dictation, compact, model_id, template_sha256, stats, repairs, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, {NOW})"
                ),
                params![saved.id, record.dictation, record.compact, record.model_id, record.template_sha256, stats, repairs],
            )
            .context("record a draft's provenance")?;
            Ok(())
        })?;
        Ok(saved)
    }

    /// How a process was drafted; `None` for processes that were not drafted by the model.
    pub fn draft_record(&self, process_id: &str) -> Result<Option<StoredDraftRecord>> {
        let row = self.read(|conn| {
            conn.query_row(
                "SELECT dictation, compact, model_id, template_sha256, stats, repairs, created_at
                 FROM drafts WHERE process_id = ?1",
                [process_id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, String>(2)?,
                        r.get::<_, String>(3)?,
                        r.get::<_, String>(4)?,
                        r.get::<_, String>(5)?,
                        r.get::<_, String>(6)?,
                    ))
                },
            )
            .optional()
            .context("read a draft's provenance")
        })?;
        let Some((dictation, compact, model_id, template_sha256, stats, repairs, created_at)) = row else {
            return Ok(None);
        };
        let parse = |text: &str| {
            serde_json::from_str(text)
                .map_err(|e| StoreError::Corrupt(format!("draft data of process {process_id}: {e}")))
        };
        Ok(Some(StoredDraftRecord {
            process_id: process_id.to_owned(),
            created_at,
            record: DraftRecord {
                dictation,
                compact,
                model_id,
                template_sha256,
                stats: parse(&stats)?,
                repairs: parse(&repairs)?,
            },
        }))
    }
}
