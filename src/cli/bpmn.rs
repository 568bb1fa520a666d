//! `ablauf export` (BPMN, Markdown or HTML page) and `ablauf import` (BPMN to process JSON).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, ValueEnum};

use super::{CliError, open_store, print_json, read_text};
use crate::bpmn;
use crate::page::{self, Revision};
use crate::process::{self, Process};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// BPMN 2.0 XML with diagram.
    Bpmn,
    /// Wiki page in Markdown with the diagram as inline SVG.
    Md,
    /// Standalone HTML page with the diagram as inline SVG.
    Html,
    /// The diagram alone.
    Svg,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Process JSON file; "-" reads standard input.
    #[arg(long, required_unless_present = "id", conflicts_with = "id")]
    pub file: Option<PathBuf>,
    /// Id of a stored process instead of a file.
    #[arg(long)]
    pub id: Option<String>,
    /// An older version of the stored process instead of the newest.
    #[arg(long, requires = "id")]
    pub version: Option<u32>,
    #[arg(long, value_enum, default_value = "bpmn")]
    pub format: ExportFormat,
    /// Write to this file instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// BPMN 2.0 file; "-" reads standard input.
    #[arg(long)]
    pub file: PathBuf,
}

pub fn export(data_dir: &Path, args: ExportArgs) -> Result<ExitCode, CliError> {
    let (process, revision) = match (&args.file, &args.id) {
        (Some(file), _) => (read_process(file)?, None),
        (None, Some(id)) => {
            let stored = open_store(data_dir)?.get(id, args.version)?;
            let revision = Revision::from(&stored);
            (stored.process, Some(revision))
        }
        (None, None) => return Err(CliError::Input("give --file or --id".into())),
    };
    let document = match args.format {
        ExportFormat::Bpmn => bpmn::export_bpmn(&process).map_err(|e| CliError::Failed(e.to_string()))?,
        ExportFormat::Md => page::markdown(&process, revision.as_ref()),
        ExportFormat::Html => page::html(&process, revision.as_ref()),
        ExportFormat::Svg => bpmn::svg::render(&process),
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, &document)
                .map_err(|e| CliError::Failed(format!("cannot write {}: {e}", path.display())))?;
            eprintln!("wrote {} ({} bytes)", path.display(), document.len());
        }
        None => std::io::stdout()
            .write_all(document.as_bytes())
            .map_err(|e| CliError::Failed(format!("cannot write output: {e}")))?,
    }
    Ok(ExitCode::SUCCESS)
}

pub fn import(args: ImportArgs) -> Result<ExitCode, CliError> {
    let mut bytes = Vec::new();
    let read = if args.file == Path::new("-") {
        std::io::stdin().take(bpmn::MAX_BYTES as u64 + 1).read_to_end(&mut bytes)
    } else {
        std::fs::File::open(&args.file).and_then(|f| f.take(bpmn::MAX_BYTES as u64 + 1).read_to_end(&mut bytes))
    };
    read.map_err(|e| CliError::Input(format!("cannot read {}: {e}", args.file.display())))?;
    let imported = bpmn::import_bpmn(&bytes)
        .map_err(|e| CliError::Input(format!("cannot import {}: {e}", args.file.display())))?;
    for w in &imported.warnings {
        eprintln!(
            "warning [{}]: {}",
            serde_json::to_value(w.code).unwrap_or_default().as_str().unwrap_or(""),
            w.message
        );
    }
    let validation = process::validate(&imported.process);
    if !validation.valid {
        eprintln!("the imported process is not valid yet: {}", validation.error_summary());
    }
    print_json(&imported.process)
}

fn read_process(path: &Path) -> Result<Process, CliError> {
    process::parse(&read_text(path)?).map_err(|f| {
        let at = if f.path.is_empty() { String::new() } else { format!(" at {}", f.path) };
        CliError::Input(format!("{} is not a valid process{at}: {}", path.display(), f.message))
    })
}
