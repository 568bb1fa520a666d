//! The SQLite store: the single source of truth for processes, their versions and the audit log.
//!
//! Invariants:
//! - every save appends a version; versions and audit entries are never updated or deleted
//!   (enforced by triggers, see `migrations`);
//! - every use case runs in one `IMMEDIATE` transaction, so a crash leaves either all of
//!   its writes or none;
//! - only processes without validation errors are stored.

mod backup;
pub mod drafts;
mod migrations;
pub mod similarity;
pub mod stats;
mod users;

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::auth::{Principal, Role};
use crate::process::{self, Process, Validation};

pub use migrations::MIGRATIONS;
pub use users::{LoginFailure, NewUser, Session, SessionState, UserInfo};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open database {path}: {source}")]
    Open { path: PathBuf, source: Box<dyn std::error::Error + Send + Sync> },
    #[error("database schema version {found} is newer than this ablauf supports ({supported}); upgrade ablauf")]
    SchemaTooNew { found: u32, supported: u32 },
    #[error("process {0:?} not found")]
    NotFound(String),
    #[error("process {id:?} has no version {version}")]
    VersionNotFound { id: String, version: u32 },
    #[error("process {id:?} is at version {actual}, not the expected version {expected}")]
    VersionConflict { id: String, expected: u32, actual: u32 },
    #[error("process is invalid: {}", .0.error_summary())]
    Invalid(Validation),
    #[error("database error while trying to {action}: {source}")]
    Sqlite { action: &'static str, source: rusqlite::Error },
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("user {0:?} already exists")]
    UserExists(String),
    #[error("no active user {0:?}")]
    UserNotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    BadInput(String),
}

type Result<T> = std::result::Result<T, StoreError>;

trait Context<T> {
    fn context(self, action: &'static str) -> Result<T>;
}

impl<T> Context<T> for rusqlite::Result<T> {
    fn context(self, action: &'static str) -> Result<T> {
        self.map_err(|source| StoreError::Sqlite { action, source })
    }
}

/// Where a process stands in its life cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    InReview,
    Published,
    Archived,
}

impl Status {
    pub const ALL: [Status; 4] = [Status::Draft, Status::InReview, Status::Published, Status::Archived];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::InReview => "in_review",
            Status::Published => "published",
            Status::Archived => "archived",
        }
    }
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str() == s)
            .ok_or_else(|| format!("unknown status {s:?}; expected one of draft, in_review, published, archived"))
    }
}

/// Who writes and why; recorded with the version and in the audit log.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub author: &'a str,
    pub reason: &'a str,
    /// Clerks may change only drafts they created; checked inside the write's transaction so a
    /// concurrent publish cannot slip between the check and the write.
    pub own_drafts_only: bool,
}

impl<'a> Change<'a> {
    /// A write on behalf of a signed-in user; below reviewer it may touch only their own drafts.
    pub fn by(principal: &'a Principal, reason: &'a str) -> Change<'a> {
        Change { author: &principal.user, reason, own_drafts_only: !principal.may(Role::Reviewer) }
    }
}

/// A stored process at one version.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct StoredProcess {
    pub id: String,
    pub status: Status,
    pub version: u32,
    /// The newest version of this process (equals `version` unless an older one was asked for).
    pub current_version: u32,
    pub author: String,
    pub reason: String,
    pub created_at: String,
    pub updated_at: String,
    pub process: Process,
}

/// One line of a listing.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ProcessSummary {
    pub id: String,
    pub title: String,
    pub status: Status,
    pub version: u32,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct VersionInfo {
    pub version: u32,
    pub author: String,
    pub reason: String,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AuditEntry {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub process_id: Option<String>,
    pub from_version: Option<u32>,
    pub to_version: Option<u32>,
    pub detail: String,
}

/// The result of a write.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Saved {
    pub id: String,
    pub version: u32,
    pub status: Status,
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<Status>,
    /// Case-insensitive substring of title, summary or step names.
    pub text: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub limit: u32,
    pub offset: u32,
}

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";

pub struct Store {
    path: PathBuf,
    conn: Mutex<Connection>,
}

impl Store {
    /// Opens (creating if needed) the database at `path` and migrates it to the newest schema.
    pub fn open(path: &Path) -> Result<Store> {
        let open_err =
            |source: Box<dyn std::error::Error + Send + Sync>| StoreError::Open { path: path.to_owned(), source };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| open_err(Box::new(e)))?;
        }
        let mut conn = Connection::open(path).map_err(|e| open_err(Box::new(e)))?;
        // WAL lets readers run beside the writer; FULL sync makes every acknowledged
        // commit survive power loss, not only a process crash.
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |r| r.get::<_, String>(0))
            .map_err(|e| open_err(Box::new(e)))?;
        conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;")
            .map_err(|e| open_err(Box::new(e)))?;
        conn.busy_timeout(std::time::Duration::from_secs(10)).map_err(|e| open_err(Box::new(e)))?;
        let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(|e| open_err(Box::new(e)))?;
        let supported = MIGRATIONS.len() as u32;
        if found > supported {
            return Err(StoreError::SchemaTooNew { found, supported });
        }
        migrations::migrate(&mut conn).context("migrate the schema")?;
        Ok(Store { path: path.to_owned(), conn: Mutex::new(conn) })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one IMMEDIATE transaction (the write lock is taken up front, so two
    /// writers never deadlock on a lock upgrade).
    fn write<T>(&self, f: impl FnOnce(&rusqlite::Transaction) -> Result<T>) -> Result<T> {
        let mut conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate).context("begin a transaction")?;
        let out = f(&tx)?;
        tx.commit().context("commit")?;
        Ok(out)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&conn)
    }

    /// Stores a new process as version 1 with status `draft`.
    pub fn create(&self, process: &Process, change: &Change) -> Result<Saved> {
        check_valid(process)?;
        let id = new_id();
        let body = to_json(process)?;
        self.write(|tx| {
            tx.execute(
                &format!(
                    "INSERT INTO processes (id, status, current_version, title, search_text, created_at, updated_at)
                     VALUES (?1, 'draft', 1, ?2, ?3, {NOW}, {NOW})"
                ),
                params![id, process.title, search_text(process)],
            )
            .context("insert a process")?;
            insert_version(tx, &id, 1, &body, change)?;
            audit(tx, change, "create", Some(&id), None, Some(1), change.reason)?;
            Ok(Saved { id: id.clone(), version: 1, status: Status::Draft })
        })
    }

    /// Appends a new version, provided the process is still at `expected_version`.
    pub fn update(&self, id: &str, expected_version: u32, process: &Process, change: &Change) -> Result<Saved> {
        check_valid(process)?;
        let body = to_json(process)?;
        self.write(|tx| {
            let (current, status) = current(tx, id)?;
            check_scope(tx, id, status, change)?;
            if current != expected_version {
                return Err(StoreError::VersionConflict { id: id.to_owned(), expected: expected_version, actual: current });
            }
            let version = current + 1;
            tx.execute(
                &format!(
                    "UPDATE processes SET current_version = ?2, title = ?3, search_text = ?4, updated_at = {NOW} WHERE id = ?1"
                ),
                params![id, version, process.title, search_text(process)],
            )
            .context("update a process")?;
            insert_version(tx, id, version, &body, change)?;
            audit(tx, change, "update", Some(id), Some(current), Some(version), change.reason)?;
            Ok(Saved { id: id.to_owned(), version, status })
        })
    }

    /// Moves a process to another life-cycle status; the content (and its version) stay.
    pub fn set_status(&self, id: &str, status: Status, change: &Change) -> Result<Saved> {
        self.write(|tx| {
            let (version, old) = current(tx, id)?;
            check_scope(tx, id, old, change)?;
            if change.own_drafts_only && !matches!(status, Status::Draft | Status::InReview) {
                return Err(StoreError::Forbidden(format!(
                    "{} may submit a draft for review or take it back, but only a reviewer sets it to {}",
                    change.author,
                    status.as_str()
                )));
            }
            tx.execute(
                &format!("UPDATE processes SET status = ?2, updated_at = {NOW} WHERE id = ?1"),
                params![id, status.as_str()],
            )
            .context("change a status")?;
            let detail = format!("{} -> {}", old.as_str(), status.as_str());
            audit(tx, change, "status", Some(id), Some(version), Some(version), &detail)?;
            Ok(Saved { id: id.to_owned(), version, status })
        })
    }

    /// The process at `version`, or at its newest version.
    pub fn get(&self, id: &str, version: Option<u32>) -> Result<StoredProcess> {
        self.read(|conn| {
            let (current_version, status) = current(conn, id)?;
            let version = version.unwrap_or(current_version);
            let row = conn
                .query_row(
                    "SELECT v.body, v.author, v.reason, p.created_at, v.created_at
                     FROM process_versions v JOIN processes p ON p.id = v.process_id
                     WHERE v.process_id = ?1 AND v.version = ?2",
                    params![id, version],
                    |r| Ok((r.get::<_, String>(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
                )
                .optional()
                .context("read a version")?;
            let (body, author, reason, created_at, updated_at) =
                row.ok_or_else(|| StoreError::VersionNotFound { id: id.to_owned(), version })?;
            let process = process::parse(&body)
                .map_err(|f| StoreError::Corrupt(format!("process {id} version {version}: {}", f.message)))?;
            Ok(StoredProcess {
                id: id.to_owned(),
                status,
                version,
                current_version,
                author,
                reason,
                created_at,
                updated_at,
                process,
            })
        })
    }

    pub fn list(&self, filter: &ListFilter) -> Result<Page<ProcessSummary>> {
        self.read(|conn| {
            let status = filter.status.map(Status::as_str);
            let pattern = filter.text.as_deref().map(like_pattern);
            let where_clause = "(?1 IS NULL OR status = ?1) AND (?2 IS NULL OR search_text LIKE ?2 ESCAPE '\\')";
            let total: i64 = conn
                .query_row(
                    &format!("SELECT count(*) FROM processes WHERE {where_clause}"),
                    params![status, pattern],
                    |r| r.get(0),
                )
                .context("count processes")?;
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT id, title, status, current_version, updated_at FROM processes WHERE {where_clause}
                     ORDER BY updated_at DESC, id LIMIT ?3 OFFSET ?4"
                ))
                .context("list processes")?;
            let items = stmt
                .query_map(params![status, pattern, filter.limit, filter.offset], |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?, r.get(3)?, r.get(4)?))
                })
                .context("list processes")?
                .map(|row| {
                    let (id, title, status, version, updated_at) = row.context("list processes")?;
                    Ok(ProcessSummary { id, title, status: parse_status(&status)?, version, updated_at })
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Page { items, total: total as u64, limit: filter.limit, offset: filter.offset })
        })
    }

    pub fn versions(&self, id: &str) -> Result<Vec<VersionInfo>> {
        self.read(|conn| {
            current(conn, id)?;
            let mut stmt = conn
                .prepare("SELECT version, author, reason, created_at FROM process_versions WHERE process_id = ?1 ORDER BY version")
                .context("list versions")?;
            stmt.query_map([id], |r| Ok(VersionInfo { version: r.get(0)?, author: r.get(1)?, reason: r.get(2)?, created_at: r.get(3)? }))
                .context("list versions")?
                .map(|v| v.context("list versions"))
                .collect()
        })
    }

    /// The newest audit entries first, at most `limit`; with `action`, only those whose action
    /// is it or, for a pattern ending in `*` (`auth.*`), starts with what precedes the `*`.
    pub fn audit_log(&self, limit: u32, action: Option<&str>) -> Result<Vec<AuditEntry>> {
        let pattern = match action {
            None => "%".to_owned(),
            Some(a) => match a.strip_suffix('*') {
                Some(prefix) => format!("{}%", escape_like(prefix)),
                None => escape_like(a),
            },
        };
        self.read(|conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT seq, at, actor, action, process_id, from_version, to_version, detail
                     FROM audit_log WHERE action LIKE ?2 ESCAPE '\\' ORDER BY seq DESC LIMIT ?1",
                )
                .context("read the audit log")?;
            stmt.query_map(params![limit, pattern], |r| {
                Ok(AuditEntry {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    action: r.get(3)?,
                    process_id: r.get(4)?,
                    from_version: r.get(5)?,
                    to_version: r.get(6)?,
                    detail: r.get(7)?,
                })
            })
            .context("read the audit log")?
            .map(|e| e.context("read the audit log"))
            .collect()
        })
    }

    /// Runs SQLite's own consistency check; returns its messages (`["ok"]` when sound).
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        self.read(|conn| {
            let mut stmt = conn.prepare("PRAGMA integrity_check").context("check integrity")?;
            stmt.query_map([], |r| r.get(0)).context("check integrity")?.map(|m| m.context("check integrity")).collect()
        })
    }
}

fn check_valid(process: &Process) -> Result<()> {
    let validation = process::validate(process);
    if validation.valid { Ok(()) } else { Err(StoreError::Invalid(validation)) }
}

fn to_json(process: &Process) -> Result<String> {
    serde_json::to_string(process).map_err(|e| StoreError::Corrupt(format!("cannot serialise process: {e}")))
}

fn new_id() -> String {
    let uuid = uuid::Uuid::new_v4().simple().to_string();
    format!("p-{}", &uuid[..12])
}

fn search_text(p: &Process) -> String {
    let mut text = format!("{} {}", p.title, p.summary);
    for step in &p.steps {
        text.push(' ');
        text.push_str(&step.name);
    }
    text.to_lowercase()
}

fn like_pattern(text: &str) -> String {
    format!("%{}%", escape_like(&text.to_lowercase()))
}

/// `text` with LIKE's wildcards escaped (for `ESCAPE '\\'`).
fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

fn parse_status(s: &str) -> Result<Status> {
    s.parse().map_err(StoreError::Corrupt)
}

fn current(conn: &Connection, id: &str) -> Result<(u32, Status)> {
    let row = conn
        .query_row("SELECT current_version, status FROM processes WHERE id = ?1", [id], |r| {
            Ok((r.get::<_, u32>(0)?, r.get::<_, String>(1)?))
        })
        .optional()
        .context("read a process")?;
    let (version, status) = row.ok_or_else(|| StoreError::NotFound(id.to_owned()))?;
    Ok((version, parse_status(&status)?))
}

/// Enforces [`Change::own_drafts_only`]: a draft or one in review, created by the author.
fn check_scope(tx: &Connection, id: &str, status: Status, change: &Change) -> Result<()> {
    if !change.own_drafts_only {
        return Ok(());
    }
    if !matches!(status, Status::Draft | Status::InReview) {
        return Err(StoreError::Forbidden(format!(
            "process {id} is {}; only reviewers change it now",
            status.as_str()
        )));
    }
    let creator: String = tx
        .query_row("SELECT author FROM process_versions WHERE process_id = ?1 AND version = 1", [id], |r| r.get(0))
        .context("read who created a process")?;
    if creator != change.author {
        return Err(StoreError::Forbidden(format!(
            "process {id} was drafted by {creator}; clerks change only their own drafts"
        )));
    }
    Ok(())
}

fn insert_version(tx: &Connection, id: &str, version: u32, body: &str, change: &Change) -> Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO process_versions (process_id, version, body, author, reason, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, {NOW})"
        ),
        params![id, version, body, change.author, change.reason],
    )
    .context("insert a version")?;
    Ok(())
}

fn audit(
    tx: &Connection,
    change: &Change,
    action: &str,
    id: Option<&str>,
    from: Option<u32>,
    to: Option<u32>,
    detail: &str,
) -> Result<()> {
    tx.execute(
        &format!(
            "INSERT INTO audit_log (at, actor, action, process_id, from_version, to_version, detail)
             VALUES ({NOW}, ?1, ?2, ?3, ?4, ?5, ?6)"
        ),
        params![change.author, action, id, from, to, detail],
    )
    .context("write the audit log")?;
    Ok(())
}
