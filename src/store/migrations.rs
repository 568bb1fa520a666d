//! Schema migrations, tracked in `PRAGMA user_version`.
//!
//! Each entry moves the schema up one version and runs in the same transaction as the
//! version bump, so a crash mid-migration leaves the previous version intact.
//! Never edit a released migration: append a new one.

use rusqlite::Connection;

pub const MIGRATIONS: &[&str] = &[
    // 1: processes, their immutable versions, the audit log.
    r#"
    CREATE TABLE processes (
        id              TEXT PRIMARY KEY,
        status          TEXT NOT NULL CHECK (status IN ('draft', 'in_review', 'published', 'archived')),
        current_version INTEGER NOT NULL,
        title           TEXT NOT NULL,
        search_text     TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE TABLE process_versions (
        process_id TEXT NOT NULL REFERENCES processes(id),
        version    INTEGER NOT NULL,
        body       TEXT NOT NULL,
        author     TEXT NOT NULL,
        reason     TEXT NOT NULL,
        created_at TEXT NOT NULL,
        PRIMARY KEY (process_id, version)
    );
    CREATE TABLE audit_log (
        seq          INTEGER PRIMARY KEY AUTOINCREMENT,
        at           TEXT NOT NULL,
        actor        TEXT NOT NULL,
        action       TEXT NOT NULL,
        process_id   TEXT,
        from_version INTEGER,
        to_version   INTEGER,
        detail       TEXT NOT NULL DEFAULT ''
    );
    "#,
    // 2: history and audit become append-only in the database itself, not just by convention;
    //    listing by status and recency gets indexes.
    r#"
    CREATE TRIGGER process_versions_no_update BEFORE UPDATE ON process_versions
        BEGIN SELECT RAISE(ABORT, 'process_versions is append-only'); END;
    CREATE TRIGGER process_versions_no_delete BEFORE DELETE ON process_versions
        BEGIN SELECT RAISE(ABORT, 'process_versions is append-only'); END;
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
    CREATE INDEX processes_status ON processes(status, updated_at);
    CREATE INDEX processes_updated ON processes(updated_at);
    "#,
];

/// Brings the database up to the newest schema; returns the version it started from.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<u32> {
    let start: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(start as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as u32 + 1)?;
        tx.commit()?;
    }
    Ok(start)
}
