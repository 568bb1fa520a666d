//! Figures for the leadership dashboard, computed from the current version of every process.
//!
//! "Reviewed" means touched by a new version or a status change: the store records no
//! other kind of review, so a process whose `updated_at` is older than [`STALE_MONTHS`]
//! counts as not reviewed.

use std::collections::{BTreeMap, BTreeSet};

use rusqlite::params;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{Context, Result, Status, Store, StoreError, parse_status};
use crate::process::{self, Criticality, Process, ProtectionLevel, StepType};

/// A process counts as not reviewed when it has not changed for this many months.
pub const STALE_MONTHS: u32 = 12;

/// What the dashboard and the filters need to know about one process.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ProcessFacts {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub version: u32,
    pub updated_at: String,
    pub owner_unit: Option<String>,
    pub leika_key: Option<String>,
    pub tags: Vec<String>,
    pub criticality: Option<Criticality>,
    /// The highest protection level over confidentiality, integrity and availability.
    pub protection_need: Option<ProtectionLevel>,
    /// The name of the only role that performs tasks, when exactly one does: nobody else
    /// in the process knows how to do the work.
    pub single_role: Option<String>,
    /// Not archived and unchanged for [`STALE_MONTHS`] months.
    pub stale: bool,
    /// Criticality × protection need is high: a failure both hurts and exposes data.
    pub critical: bool,
}

fn is_critical(criticality: Option<Criticality>, protection_need: Option<ProtectionLevel>) -> bool {
    matches!(
        (criticality, protection_need),
        (Some(Criticality::Hoch), Some(ProtectionLevel::Hoch | ProtectionLevel::SehrHoch))
            | (Some(Criticality::Mittel), Some(ProtectionLevel::SehrHoch))
    )
}

/// How many processes are in each status.
#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct StatusCounts {
    pub draft: u64,
    pub in_review: u64,
    pub published: u64,
    pub archived: u64,
}

impl StatusCounts {
    fn add(&mut self, status: Status) {
        *match status {
            Status::Draft => &mut self.draft,
            Status::InReview => &mut self.in_review,
            Status::Published => &mut self.published,
            Status::Archived => &mut self.archived,
        } += 1;
    }

    fn total(&self) -> u64 {
        self.draft + self.in_review + self.published + self.archived
    }
}

/// Processes per status, for one organisational unit.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UnitCount {
    /// `None` for processes without `meta.owner_unit`.
    pub unit: Option<String>,
    pub total: u64,
    pub by_status: StatusCounts,
}

/// One cell of the criticality × protection need matrix; `None` stands for "not assessed".
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RiskCell {
    pub criticality: Option<Criticality>,
    pub protection_need: Option<ProtectionLevel>,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Stats {
    pub total: u64,
    pub by_status: StatusCounts,
    /// Units with the most processes first.
    pub by_unit: Vec<UnitCount>,
    /// Only cells with at least one process.
    pub risk_matrix: Vec<RiskCell>,
    pub stale_months: u32,
    pub stale: u64,
    pub critical: u64,
    pub single_role: u64,
    /// Every process, newest change first.
    pub processes: Vec<ProcessFacts>,
}

impl Store {
    /// Reads the current version of every process and derives the dashboard figures.
    pub fn stats(&self) -> Result<Stats> {
        let processes = self.read(|conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT p.id, p.status, p.current_version, p.updated_at, v.body,
                            p.status != 'archived' AND p.updated_at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?1)
                     FROM processes p JOIN process_versions v ON v.process_id = p.id AND v.version = p.current_version
                     ORDER BY p.updated_at DESC, p.id",
                )
                .context("read processes for statistics")?;
            stmt.query_map(params![format!("-{STALE_MONTHS} months")], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, bool>(5)?,
                ))
            })
            .context("read processes for statistics")?
            .map(|row| {
                let (id, status, version, updated_at, body, stale) = row.context("read processes for statistics")?;
                let process = process::parse(&body)
                    .map_err(|f| StoreError::Corrupt(format!("process {id} version {version}: {}", f.message)))?;
                Ok(facts(id, parse_status(&status)?, version, updated_at, stale, process))
            })
            .collect::<Result<Vec<_>>>()
        })?;
        Ok(summarise(processes))
    }
}

fn facts(id: String, status: Status, version: u32, updated_at: String, stale: bool, p: Process) -> ProcessFacts {
    let task_roles: BTreeSet<&str> =
        p.steps.iter().filter(|s| s.kind == StepType::Task).filter_map(|s| s.role.as_deref()).collect();
    let single_role = match task_roles.into_iter().collect::<Vec<_>>().as_slice() {
        [only] => Some(p.role(only).map_or_else(|| (*only).to_owned(), |r| r.name.clone())),
        _ => None,
    };
    let protection_need = p.meta.protection_need.map(|n| n.confidentiality.max(n.integrity).max(n.availability));
    ProcessFacts {
        id,
        title: p.title,
        status,
        version,
        updated_at,
        owner_unit: p.meta.owner_unit.filter(|u| !u.trim().is_empty()),
        leika_key: p.meta.leika_key,
        tags: p.meta.tags,
        criticality: p.meta.criticality,
        protection_need,
        single_role,
        stale,
        critical: is_critical(p.meta.criticality, protection_need),
    }
}

fn summarise(processes: Vec<ProcessFacts>) -> Stats {
    let mut by_status = StatusCounts::default();
    let mut units: BTreeMap<Option<String>, StatusCounts> = BTreeMap::new();
    let mut cells: BTreeMap<(Option<Criticality>, Option<ProtectionLevel>), u64> = BTreeMap::new();
    for p in &processes {
        by_status.add(p.status);
        units.entry(p.owner_unit.clone()).or_default().add(p.status);
        *cells.entry((p.criticality, p.protection_need)).or_default() += 1;
    }
    let mut by_unit: Vec<UnitCount> =
        units.into_iter().map(|(unit, by_status)| UnitCount { unit, total: by_status.total(), by_status }).collect();
    // Biggest units first; processes without a unit come last among equals.
    by_unit.sort_by(|a, b| {
        b.total.cmp(&a.total).then_with(|| a.unit.is_none().cmp(&b.unit.is_none())).then_with(|| a.unit.cmp(&b.unit))
    });
    let count = |f: fn(&ProcessFacts) -> bool| processes.iter().filter(|p| f(p)).count() as u64;
    Stats {
        total: processes.len() as u64,
        by_status,
        by_unit,
        risk_matrix: cells
            .into_iter()
            .map(|((criticality, protection_need), count)| RiskCell { criticality, protection_need, count })
            .collect(),
        stale_months: STALE_MONTHS,
        stale: count(|p| p.stale),
        critical: count(|p| p.critical),
        single_role: count(|p| p.single_role.is_some()),
        processes,
    }
}
