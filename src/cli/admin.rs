//! Operating the data: `ablauf backup`, `ablauf restore` and `ablauf export-all`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{CliError, open_store, print_json};
use crate::page::{self, Revision};
use crate::store::{ListFilter, ProcessSummary, Store};

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Where to write the backup (a SQLite file); written atomically.
    #[arg(long)]
    pub to: PathBuf,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// A backup made with `ablauf backup`.
    #[arg(long)]
    pub from: PathBuf,
}

#[derive(Debug, Args)]
pub struct ExportAllArgs {
    /// A folder that does not exist yet (or is empty); it appears complete or not at all.
    #[arg(long)]
    pub to: PathBuf,
}

pub fn backup(data_dir: &Path, args: BackupArgs) -> Result<ExitCode, CliError> {
    open_store(data_dir)?.backup_to(&args.to)?;
    eprintln!("backup written to {}", args.to.display());
    print_json(&serde_json::json!({ "backup": args.to }))
}

pub fn restore(data_dir: &Path, args: RestoreArgs) -> Result<ExitCode, CliError> {
    if !args.from.is_file() {
        return Err(CliError::Input(format!("cannot read {}: no such file", args.from.display())));
    }
    let mut store = open_store(data_dir)?;
    let previous = store.restore_from(&args.from)?;
    eprintln!("restored from {}; the previous content is kept in {}", args.from.display(), previous.display());
    print_json(&serde_json::json!({ "restored_from": args.from, "previous_saved_to": previous }))
}

/// Writes every process, whatever its status, as `<id>.json` (the stored version with its
/// metadata), `<id>.bpmn` and `<id>.md`, plus `index.json`: the municipality's data in open
/// formats, readable without ablauf.
pub fn export_all(data_dir: &Path, args: ExportAllArgs) -> Result<ExitCode, CliError> {
    let target = &args.to;
    if target.exists() && std::fs::read_dir(target).map_or(true, |mut entries| entries.next().is_some()) {
        return Err(CliError::Input(format!("{} exists and is not an empty folder", target.display())));
    }
    let parent = target.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = target.file_name().ok_or_else(|| CliError::Input(format!("{} names no folder", target.display())))?;
    let staging = parent.join(format!(".{}.partial", name.to_string_lossy()));
    let failed = |what: &str, e: &dyn std::fmt::Display| CliError::Failed(format!("cannot {what}: {e}"));
    if staging.exists() {
        std::fs::remove_dir_all(&staging).map_err(|e| failed("remove an unfinished export", &e))?;
    }
    std::fs::create_dir_all(&staging).map_err(|e| failed(&format!("create {}", staging.display()), &e))?;
    let store = open_store(data_dir)?;
    let index = write_all(&store, &staging)?;
    let json = serde_json::to_vec_pretty(&index).map_err(|e| failed("write index.json", &e))?;
    std::fs::write(staging.join("index.json"), json).map_err(|e| failed("write index.json", &e))?;
    if target.exists() {
        std::fs::remove_dir(target).map_err(|e| failed(&format!("replace {}", target.display()), &e))?;
    }
    std::fs::rename(&staging, target).map_err(|e| failed(&format!("move the export to {}", target.display()), &e))?;
    eprintln!("exported {} processes to {}", index.len(), target.display());
    print_json(&serde_json::json!({ "processes": index.len(), "to": target }))
}

fn write_all(store: &Store, dir: &Path) -> Result<Vec<ProcessSummary>, CliError> {
    const PAGE: u32 = 500;
    let mut all = Vec::new();
    loop {
        let filter = ListFilter { status: None, text: None, limit: PAGE, offset: all.len() as u32 };
        let page = store.list(&filter)?;
        let done = page.items.len() < PAGE as usize;
        all.extend(page.items);
        if done {
            break;
        }
    }
    let bar = indicatif::ProgressBar::new(all.len() as u64);
    for summary in &all {
        let stored = store.get(&summary.id, None)?;
        let bpmn = crate::bpmn::export_bpmn(&stored.process)
            .map_err(|e| CliError::Failed(format!("process {}: {e}", summary.id)))?;
        let markdown = page::markdown(&stored.process, Some(&Revision::from(&stored)));
        let json = serde_json::to_vec_pretty(&stored).map_err(|e| CliError::Failed(e.to_string()))?;
        for (extension, bytes) in [("json", json.as_slice()), ("bpmn", bpmn.as_bytes()), ("md", markdown.as_bytes())] {
            let path = dir.join(format!("{}.{extension}", summary.id));
            std::fs::write(&path, bytes)
                .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display())))?;
        }
        bar.inc(1);
    }
    bar.finish_and_clear();
    Ok(all)
}
