//! `ablauf models list|fetch|verify`.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{CliError, print_json};
use crate::models;

#[derive(Debug, Args)]
pub struct ModelsArgs {
    /// Directory holding the model files.
    #[arg(long, env = "ABLAUF_MODELS_DIR", default_value = "models", global = true)]
    pub models_dir: PathBuf,
    #[command(subcommand)]
    pub command: ModelsCommand,
}

#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// List the known models, where they live and whether they are present.
    List,
    /// Download, assemble and verify models (default: the default LLM and the embedder).
    Fetch {
        /// Model names (see `ablauf models list`); `all` fetches every model.
        names: Vec<String>,
    },
    /// Rehash fetched models against the manifest's sha256.
    Verify {
        /// Model names; default: every model that is present.
        names: Vec<String>,
    },
}

pub fn run(args: ModelsArgs) -> Result<ExitCode, CliError> {
    let dir = &args.models_dir;
    match args.command {
        ModelsCommand::List => print_json(&models::status(dir)),
        ModelsCommand::Fetch { names } => {
            let names = expand(names, || vec![models::DEFAULT_LLM.into(), models::DEFAULT_EMBEDDER.into()]);
            let paths = names.iter().map(|n| fetch(dir, n)).collect::<Result<Vec<_>, _>>()?;
            print_json(&paths)
        }
        ModelsCommand::Verify { names } => {
            let present = || models::status(dir).into_iter().filter(|m| m.present).map(|m| m.name).collect();
            let names = expand(names, present);
            let paths =
                names.iter().map(|n| models::verify(dir, n).map_err(input_or_failed)).collect::<Result<Vec<_>, _>>()?;
            print_json(&paths)
        }
    }
}

/// Fetches a model, and converts it where the manifest says it needs converting.
fn fetch(dir: &std::path::Path, name: &str) -> Result<PathBuf, CliError> {
    if models::spec(name).is_ok_and(|spec| spec.converted.is_some()) {
        return crate::speech::model::ensure(dir, name).map_err(|e| CliError::Failed(e.to_string()));
    }
    models::ensure(dir, name).map_err(input_or_failed)
}

fn expand(names: Vec<String>, default: impl FnOnce() -> Vec<String>) -> Vec<String> {
    if names.is_empty() {
        default()
    } else if names.iter().any(|n| n == "all") {
        models::catalog().into_iter().map(|m| m.name).collect()
    } else {
        names
    }
}

fn input_or_failed(e: models::ModelError) -> CliError {
    match e {
        models::ModelError::Unknown(..) => CliError::Input(e.to_string()),
        _ => CliError::Failed(e.to_string()),
    }
}
