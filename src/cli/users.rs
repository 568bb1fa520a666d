//! `ablauf user add|list|set|token|revoke`.

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
    /// Change a user's role, or set a new password (ends their web sessions).
    Set {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Option<Role>,
        /// Read the new password from the first line of stdin.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Create a further API token for a user; prints it once.
    Token {
        name: String,
        /// Days until the token expires (default: valid until revoked).
        #[arg(long)]
        days: Option<std::num::NonZeroU32>,
    },
    /// Revoke a user: tokens and sessions stop working at once.
    Revoke { name: String },
}

/// The first line of stdin, for a password that must not appear in the shell's history.
fn read_password() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Input(format!("cannot read the password from stdin: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Bad input (a weak password, an unknown user) exits with the input code.
fn input(e: crate::store::StoreError) -> CliError {
    match e {
        crate::store::StoreError::BadInput(m) => CliError::Input(m),
        crate::store::StoreError::UserNotFound(_) => CliError::Input(e.to_string()),
        other => other.into(),
    }
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
}

pub fn run(data_dir: &Path, args: UserArgs) -> Result<ExitCode, CliError> {
    let change = Change { author: "cli", reason: "", own_drafts_only: false };
    match args.command {
        UserCommand::Add { name, role, password_stdin } => {
            let password = password_stdin.then(read_password).transpose()?;
            let user = open_store(data_dir)?.add_user(&name, role, password.as_deref(), &change).map_err(input)?;
            eprintln!("user {} created; keep the token, it is shown only now", user.name);
            print_json(&user)
        }
        UserCommand::List => print_json(&open_store(data_dir)?.list_users()?),
        UserCommand::Set { name, role, password_stdin } => {
            if role.is_none() && !password_stdin {
                return Err(CliError::Input("name a new --role, --password-stdin, or both".into()));
            }
            let store = open_store(data_dir)?;
            if let Some(role) = role {
                store.set_role(&name, role, &change).map_err(input)?;
            }
            if password_stdin {
                store.set_password(&name, &read_password()?, None, &change).map_err(input)?;
            }
            print_json(&serde_json::json!({ "changed": name }))
        }
        UserCommand::Token { name, days } => {
            let token = open_store(data_dir)?.add_token(&name, days.map(|d| d.get()), &change).map_err(input)?;
            eprintln!("keep the token, it is shown only now");
            print_json(&serde_json::json!({ "name": name, "token": token, "days": days }))
        }
        UserCommand::Revoke { name } => {
            open_store(data_dir)?.revoke_user(&name, &change)?;
            print_json(&serde_json::json!({ "revoked": name }))
        }
    }
}
