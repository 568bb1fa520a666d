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
    // 3: provenance of drafted processes: dictation, the model's answer, model, prompt hash, timings.
    r#"
    CREATE TABLE drafts (
        process_id      TEXT PRIMARY KEY REFERENCES processes(id),
        dictation       TEXT NOT NULL,
        compact         TEXT NOT NULL,
        model_id        TEXT NOT NULL,
        template_sha256 TEXT NOT NULL,
        stats           TEXT NOT NULL,
        repairs         TEXT NOT NULL,
        created_at      TEXT NOT NULL
    );
    "#,
    // 4: similarity: the embedding of each process's current version (with model and
    //    dimension, so vectors of two models never meet), cached embeddings of other texts
    //    (catalogue entries), and reviewer decisions on candidate duplicate pairs (append-only;
    //    the newest decision on a pair counts; the judged texts tell later whether a pair
    //    changed substantially).
    r#"
    CREATE TABLE process_embeddings (
        process_id  TEXT PRIMARY KEY REFERENCES processes(id),
        version     INTEGER NOT NULL,
        model       TEXT NOT NULL,
        dim         INTEGER NOT NULL,
        text_hash   TEXT NOT NULL,
        vector      BLOB NOT NULL,
        embedded_at TEXT NOT NULL
    );
    CREATE TABLE text_embeddings (
        model     TEXT NOT NULL,
        text_hash TEXT NOT NULL,
        dim       INTEGER NOT NULL,
        vector    BLOB NOT NULL,
        PRIMARY KEY (model, text_hash)
    );
    CREATE TABLE duplicate_decisions (
        seq       INTEGER PRIMARY KEY AUTOINCREMENT,
        a         TEXT NOT NULL REFERENCES processes(id),
        b         TEXT NOT NULL REFERENCES processes(id),
        decision  TEXT NOT NULL CHECK (decision IN ('duplicate', 'not_duplicate', 'related')),
        survivor  TEXT REFERENCES processes(id),
        note      TEXT NOT NULL,
        a_version INTEGER NOT NULL,
        b_version INTEGER NOT NULL,
        a_text    TEXT NOT NULL,
        b_text    TEXT NOT NULL,
        actor     TEXT NOT NULL,
        at        TEXT NOT NULL,
        CHECK (a < b),
        CHECK (survivor IS NULL OR survivor IN (a, b))
    );
    CREATE INDEX duplicate_decisions_a ON duplicate_decisions(a, seq);
    CREATE INDEX duplicate_decisions_b ON duplicate_decisions(b, seq);
    CREATE TRIGGER duplicate_decisions_no_update BEFORE UPDATE ON duplicate_decisions
        BEGIN SELECT RAISE(ABORT, 'duplicate_decisions is append-only'); END;
    CREATE TRIGGER duplicate_decisions_no_delete BEFORE DELETE ON duplicate_decisions
        BEGIN SELECT RAISE(ABORT, 'duplicate_decisions is append-only'); END;
    "#,
    // 5: access control: users (argon2id password hashes), API tokens and web sessions
    //    (both stored as sha256 of the secret, never in the clear).
    r#"
    CREATE TABLE users (
        name          TEXT PRIMARY KEY,
        role          TEXT NOT NULL CHECK (role IN ('reader', 'clerk', 'reviewer', 'admin')),
        password_hash TEXT,
        created_at    TEXT NOT NULL,
        revoked_at    TEXT
    );
    CREATE TABLE api_tokens (
        token_hash TEXT PRIMARY KEY,
        user_name  TEXT NOT NULL REFERENCES users(name),
        created_at TEXT NOT NULL,
        revoked_at TEXT
    );
    CREATE TABLE sessions (
        session_hash TEXT PRIMARY KEY,
        user_name    TEXT NOT NULL REFERENCES users(name),
        csrf_token   TEXT NOT NULL,
        created_at   TEXT NOT NULL,
        expires_at   TEXT NOT NULL
    );
    "#,
    // 6: a session's last request, for the idle timeout; tokens that expire.
    r#"
    ALTER TABLE sessions ADD COLUMN last_seen TEXT;
    ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
    "#,
    // 7: directory accounts (their entry's DN; no local password) and who revoked a user, so that
    // the directory lifts only its own revocations.
    r#"
    ALTER TABLE users ADD COLUMN directory_dn TEXT;
    ALTER TABLE users ADD COLUMN revoked_by TEXT;
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
