//! Commands on stored processes: add, update, get, list, history, set-status, audit, validate.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;

use super::{CliError, Format, open_store, print_json, print_table, read_text};
use crate::process::{self, Process};
use crate::store::{Change, ListFilter, Status, StoreError};

#[derive(Debug, Args)]
pub struct FileArg {
    /// Process JSON file; "-" reads standard input.
    #[arg(long)]
    pub file: PathBuf,
}

#[derive(Debug, Args)]
pub struct ChangeArgs {
    /// Who makes the change (recorded in history and audit log).
    #[arg(long, env = "ABLAUF_AUTHOR", default_value = "cli")]
    pub author: String,
    /// Why the change is made.
    #[arg(long, default_value = "")]
    pub reason: String,
}

#[derive(Debug, Args)]
pub struct AddArgs {
    #[command(flatten)]
    pub file: FileArg,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Args)]
pub struct UpdateArgs {
    pub id: String,
    #[command(flatten)]
    pub file: FileArg,
    /// The version the edit is based on; the update fails if someone saved in between.
    #[arg(long)]
    pub expected_version: u32,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Args)]
pub struct GetArgs {
    pub id: String,
    /// An older version instead of the newest.
    #[arg(long)]
    pub version: Option<u32>,
}

#[derive(Debug, Args)]
pub struct IdArg {
    pub id: String,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[arg(long, value_enum, default_value = "json")]
    pub format: Format,
    /// Only processes with this status.
    #[arg(long, value_parser = parse_status)]
    pub status: Option<Status>,
    /// Only processes whose title, summary or step names contain this text.
    #[arg(long)]
    pub text: Option<String>,
    #[arg(long, default_value_t = 1000)]
    pub limit: u32,
}

#[derive(Debug, Args)]
pub struct SetStatusArgs {
    pub id: String,
    #[arg(value_parser = parse_status)]
    pub status: Status,
    #[command(flatten)]
    pub change: ChangeArgs,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[arg(long, default_value_t = 100)]
    pub limit: u32,
    /// Only this action, or a prefix ending in `*` (e.g. `auth.*` for sign-ins and accounts).
    #[arg(long)]
    pub action: Option<String>,
}

fn parse_status(s: &str) -> Result<Status, String> {
    s.parse()
}

pub fn add(data_dir: &Path, args: AddArgs) -> Result<ExitCode, CliError> {
    let process = read_process(&args.file.file)?;
    let saved = open_store(data_dir)?.create(&process, &change(&args.change)).map_err(report_invalid)?;
    print_json(&serde_json::json!({ "id": saved.id, "version": saved.version }))
}

pub fn update(data_dir: &Path, args: UpdateArgs) -> Result<ExitCode, CliError> {
    let process = read_process(&args.file.file)?;
    let saved = open_store(data_dir)?
        .update(&args.id, args.expected_version, &process, &change(&args.change))
        .map_err(report_invalid)?;
    print_json(&saved)
}

pub fn get(data_dir: &Path, args: GetArgs) -> Result<ExitCode, CliError> {
    print_json(&open_store(data_dir)?.get(&args.id, args.version)?)
}

pub fn list(data_dir: &Path, args: ListArgs) -> Result<ExitCode, CliError> {
    let filter = ListFilter { status: args.status, text: args.text, limit: args.limit, offset: 0 };
    let page = open_store(data_dir)?.list(&filter)?;
    match args.format {
        Format::Json => print_json(&page.items),
        Format::Table => {
            let rows = page.items.iter().map(|p| {
                vec![
                    p.id.clone(),
                    p.status.as_str().to_owned(),
                    p.version.to_string(),
                    p.updated_at.clone(),
                    p.title.clone(),
                ]
            });
            print_table(&["id", "status", "version", "updated", "title"], rows)
        }
    }
}

pub fn history(data_dir: &Path, args: IdArg) -> Result<ExitCode, CliError> {
    print_json(&open_store(data_dir)?.versions(&args.id)?)
}

pub fn set_status(data_dir: &Path, args: SetStatusArgs) -> Result<ExitCode, CliError> {
    print_json(&open_store(data_dir)?.set_status(&args.id, args.status, &change(&args.change))?)
}

pub fn audit(data_dir: &Path, args: AuditArgs) -> Result<ExitCode, CliError> {
    print_json(&open_store(data_dir)?.audit_log(args.limit, args.action.as_deref())?)
}

pub fn validate(args: FileArg) -> Result<ExitCode, CliError> {
    let validation = match process::parse(&read_text(&args.file)?) {
        Ok(p) => process::validate(&p),
        Err(finding) => process::Validation::unparseable(finding),
    };
    print_json(&validation)?;
    Ok(if validation.valid { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

fn change(args: &ChangeArgs) -> Change<'_> {
    Change { author: &args.author, reason: &args.reason, own_drafts_only: false }
}

/// Prints the findings of an invalid process before failing, so the user sees every problem.
fn report_invalid(e: StoreError) -> CliError {
    if let StoreError::Invalid(validation) = &e {
        let findings = serde_json::to_string_pretty(validation).unwrap_or_default();
        eprintln!("{findings}");
    }
    CliError::from(e)
}

fn read_process(path: &Path) -> Result<Process, CliError> {
    let text = read_text(path)?;
    process::parse(&text).map_err(|f| {
        let at = if f.path.is_empty() { String::new() } else { format!(" at {}", f.path) };
        CliError::Input(format!("{} is not a valid process{at}: {}", path.display(), f.message))
    })
}
