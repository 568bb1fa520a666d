//! Operating the data: `ablauf backup` and `ablauf restore`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{CliError, open_store, print_json};

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
