//! Online backup and restore with SQLite's backup API: consistent copies while the server
//! keeps reading and writing.

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::backup::NO_PROGRESS;
use rusqlite::{Connection, MAIN_DB, OpenFlags};

use super::{Context, MIGRATIONS, Result, Store, StoreError};

/// Pages copied per backup step; between steps writers may proceed.
const PAGES_PER_STEP: std::ffi::c_int = 256;

impl Store {
    /// Writes a consistent copy of the database to `dest`. The copy is made next to `dest`
    /// and renamed into place, so `dest` is either the old file or a complete backup.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        let partial = with_suffix(dest, ".partial");
        let _ = std::fs::remove_file(&partial);
        self.read(|conn| {
            let mut target = Connection::open(&partial).context("create the backup file")?;
            let backup = rusqlite::backup::Backup::new(conn, &mut target).context("start the backup")?;
            backup.run_to_completion(PAGES_PER_STEP, Duration::from_millis(5), None).context("copy the database")?;
            Ok(())
        })?;
        std::fs::rename(&partial, dest).map_err(|e| StoreError::Open { path: dest.to_owned(), source: Box::new(e) })?;
        Ok(())
    }

    /// Replaces the database content with the backup at `source` after checking that it is a
    /// sound ablauf database this version can read. The current content is first saved as a
    /// backup of its own, whose path is returned, so a restore never loses data.
    pub fn restore_from(&mut self, source: &Path) -> Result<PathBuf> {
        check_backup(source)?;
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
        let safety = with_suffix(&self.path, &format!(".before-restore-{stamp}"));
        self.backup_to(&safety)?;
        let conn = self.conn.get_mut().unwrap_or_else(|p| p.into_inner());
        conn.restore(MAIN_DB, source, NO_PROGRESS).context("restore the database")?;
        super::migrations::migrate(conn).context("migrate the restored database")?;
        Ok(safety)
    }
}

fn check_backup(source: &Path) -> Result<()> {
    let open_err = |e: rusqlite::Error| StoreError::Open { path: source.to_owned(), source: Box::new(e) };
    let conn = Connection::open_with_flags(source, OpenFlags::SQLITE_OPEN_READ_ONLY).map_err(open_err)?;
    let version: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).map_err(open_err)?;
    if version > MIGRATIONS.len() as u32 {
        return Err(StoreError::SchemaTooNew { found: version, supported: MIGRATIONS.len() as u32 });
    }
    let check: String = conn.query_row("PRAGMA quick_check", [], |r| r.get(0)).map_err(open_err)?;
    let has_processes: bool = conn
        .query_row("SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'processes'", [], |r| {
            r.get(0)
        })
        .map_err(open_err)?;
    if version == 0 || !has_processes || check != "ok" {
        return Err(StoreError::Corrupt(format!(
            "{} is not a sound ablauf database (schema version {version}, check: {check})",
            source.display()
        )));
    }
    Ok(())
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}
