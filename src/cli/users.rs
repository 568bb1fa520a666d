//! `ablauf user add|list|revoke`.

use std::io::BufRead;
use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::{CliError, open_store, print_json};
use crate::auth::Role;
use crate::store::Change;

#[derive(Debug, Args)]
pub struct UserArgs {
    #[command(subcommand)]
    pub command: UserCommand,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; prints the user's API token once (it is stored only as a hash).
    Add {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Read a password for the web login from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users with role and whether they are revoked.
    List,
    /// Revoke a user: tokens and sessions stop working at once.
    Revoke { name: String },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

pub fn run(data_dir: &Path, args: UserArgs) -> Result<ExitCode, CliError> {
    let change = Change { author: "cli", reason: "", own_drafts_only: false };
    match args.command {
        UserCommand::Add { name, role, password_stdin } => {
            let password = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .map_err(|e| CliError::Input(format!("cannot read the password from stdin: {e}")))?;
                Some(line.trim_end_matches(['\r', '\n']).to_owned())
            } else {
                None
            };
            let user =
                open_store(data_dir)?.add_user(&name, role, password.as_deref(), &change).map_err(|e| match e {
                    crate::store::StoreError::BadInput(m) => CliError::Input(m),
                    other => other.into(),
                })?;
            eprintln!("user {} created; keep the token, it is shown only now", user.name);
            print_json(&user)
        }
        UserCommand::List => print_json(&open_store(data_dir)?.list_users()?),
        UserCommand::Revoke { name } => {
            open_store(data_dir)?.revoke_user(&name, &change)?;
            print_json(&serde_json::json!({ "revoked": name }))
        }
    }
}
