//! The `ablauf` command line: argument parsing and one function per command.
//!
//! Contract: data on stdout (JSON unless a table is asked for), messages on stderr;
//! exit 0 on success, 1 when the answer is "no" (invalid process, not found, conflict),
//! 2 on bad arguments or unreadable input.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::store::{Store, StoreError};

mod admin;
mod bpmn;
mod draft;
mod llm;
mod models;
mod processes;
mod similarity;
mod speech;
mod users;

use admin::{BackupArgs, ExportAllArgs, RestoreArgs};
use models::ModelsArgs;
use processes::{AddArgs, AuditArgs, FileArg, GetArgs, IdArg, ListArgs, SetStatusArgs, UpdateArgs};
use users::UserArgs;

#[derive(Debug, Parser)]
#[command(name = "ablauf", version, about = "Document, review and export administrative processes.")]
pub struct Cli {
    /// Directory of the SQLite database and derived indexes.
    #[arg(long, global = true, env = "ABLAUF_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP server (JSON API and web interface) until SIGINT/SIGTERM.
    Serve(Box<ServeArgs>),
    /// Export a process as BPMN 2.0, a wiki page (md, html) or an SVG diagram.
    Export(bpmn::ExportArgs),
    /// Import a BPMN 2.0 file; prints the process JSON, warnings go to stderr.
    Import(bpmn::ImportArgs),
    /// Validate a process JSON file and store it as a new draft; prints {"id": ...}.
    Add(AddArgs),
    /// Store a new version of an existing process (optimistic concurrency).
    Update(UpdateArgs),
    /// Print a stored process (newest version unless --version is given).
    Get(GetArgs),
    /// List stored processes, newest change first.
    List(ListArgs),
    /// List the versions of a process with author, time and reason.
    History(IdArg),
    /// Move a process to another status: draft, in_review, published, archived.
    SetStatus(SetStatusArgs),
    /// Print the newest entries of the audit log.
    Audit(AuditArgs),
    /// Check a process JSON file; exit 0 when valid, 1 when not; findings as JSON.
    Validate(FileArg),
    /// Print the JSON Schema of the process model.
    Schema,
    /// Manage the local models: list, fetch, verify.
    Models(ModelsArgs),
    /// Measure speed: `bench llm` prints load time, prefill/decode tok/s, time to first token, RSS.
    Bench(llm::BenchArgs),
    /// Draft a process from a dictation (file or stdin) with the local language model; prints JSON.
    Draft(draft::DraftArgs),
    /// Transcribe a spoken dictation (WAV) with the local speech model; prints JSON.
    Transcribe(speech::TranscribeArgs),
    /// Review a process JSON file: deterministic checks, then language-model findings; prints JSON.
    Review(draft::ReviewArgs),
    /// Evaluate against the evaluation sets in eval/; prints JSON.
    Eval(draft::EvalArgs),
    /// Write a consistent copy of the database while it may be in use.
    Backup(BackupArgs),
    /// Replace the database with a backup (the current content is saved first).
    Restore(RestoreArgs),
    /// Write every process as JSON, BPMN and Markdown into a new folder (no lock-in).
    ExportAll(ExportAllArgs),
    /// Manage users and their API tokens: add, list, revoke.
    User(UserArgs),
    /// Suggest duplicate processes (ranked pairs with reasons); `decide` records a review.
    Duplicates(similarity::DuplicatesArgs),
    /// The processes most similar to one, with steps most of them have and it lacks.
    Similar(similarity::SimilarArgs),
    /// Services of a catalogue that no documented process covers, by topic, with coverage.
    Gaps(similarity::GapsArgs),
    /// Embed what is stale, rebuild or reconcile the similarity index and save it.
    Reindex,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on; port 0 picks a free port (the chosen address is logged).
    #[arg(long, env = "ABLAUF_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Language model for drafts and reviews: a manifest name (fetched on first run) or a GGUF path.
    /// It loads in the background; the server answers at once.
    #[arg(long, env = "ABLAUF_MODEL", default_value = crate::models::DEFAULT_LLM)]
    pub model: String,
    /// Let callers without credentials read processes, exports and reports (not write).
    #[arg(long, env = "ABLAUF_ANONYMOUS_READ")]
    pub anonymous_read: bool,
    /// Requests per minute and user on the expensive endpoints (draft, review, preview, import).
    #[arg(long, env = "ABLAUF_RATE_LIMIT", default_value = "60")]
    pub rate_limit: std::num::NonZeroU32,
    /// Minutes without a request after which a web session ends.
    #[arg(long, env = "ABLAUF_SESSION_IDLE_MINUTES", default_value = "30")]
    pub session_idle_minutes: std::num::NonZeroU64,
    /// Hours after sign-in after which a web session ends in any case.
    #[arg(long, env = "ABLAUF_SESSION_HOURS", default_value = "10")]
    pub session_hours: std::num::NonZeroU64,
    /// Address of a reverse proxy in front of the server (repeatable, or comma-separated in the
    /// env): from it `X-Forwarded-For` names the client (for throttling and the audit log) and
    /// `X-Forwarded-Proto: https` marks the session cookie `Secure`.
    #[arg(long, env = "ABLAUF_TRUSTED_PROXIES", value_delimiter = ',')]
    pub trusted_proxy: Vec<std::net::IpAddr>,
    /// Speech model for spoken dictations: a manifest name (fetched and converted at the first
    /// recording) or a folder with a Whisper model in Hugging Face's layout.
    #[arg(long, env = "ABLAUF_SPEECH_MODEL", default_value = crate::models::DEFAULT_SPEECH)]
    pub speech_model: String,
    #[command(flatten)]
    pub directory: DirectoryArgs,
    /// API token of the first admin, created on the very first start (default: random, printed once).
    #[arg(long, env = "ABLAUF_BOOTSTRAP_TOKEN", hide_env_values = true)]
    pub bootstrap_token: Option<String>,
    /// Password of the first admin (default: random, printed once).
    #[arg(long, env = "ABLAUF_BOOTSTRAP_PASSWORD", hide_env_values = true)]
    pub bootstrap_password: Option<String>,
}

/// Sign-in at the town hall's directory (OpenLDAP, Active Directory); local accounts keep
/// signing in here.
#[derive(Debug, Args)]
pub struct DirectoryArgs {
    /// Directory to sign users in at: ldap://host:389 or ldaps://host:636.
    #[arg(long, env = "ABLAUF_LDAP_URL", requires_all = ["ldap_search_base", "ldap_groups"])]
    pub ldap_url: Option<String>,
    /// The DN of a user's entry, with {user} for the sign-in name
    /// (uid={user},ou=people,dc=example,dc=org); or else --ldap-bind-dn to search for it.
    #[arg(long, env = "ABLAUF_LDAP_USER_DN", conflicts_with = "ldap_bind_dn")]
    pub ldap_user_dn: Option<String>,
    /// Service account that searches for a user's entry with --ldap-user-filter.
    #[arg(long, env = "ABLAUF_LDAP_BIND_DN", requires = "ldap_bind_password")]
    pub ldap_bind_dn: Option<String>,
    /// Password of the service account.
    #[arg(long, env = "ABLAUF_LDAP_BIND_PASSWORD", hide_env_values = true)]
    pub ldap_bind_password: Option<String>,
    /// Filter that finds a user's entry, with {user} for the sign-in name
    /// (Active Directory: (sAMAccountName={user})).
    #[arg(long, env = "ABLAUF_LDAP_USER_FILTER", default_value = "(uid={user})")]
    pub ldap_user_filter: String,
    /// Where users (when searched for) and groups are.
    #[arg(long, env = "ABLAUF_LDAP_SEARCH_BASE")]
    pub ldap_search_base: Option<String>,
    /// TOML file mapping directory groups to roles: a [groups] table, group DN = "reader",
    /// "clerk", "reviewer" or "admin".
    #[arg(long, env = "ABLAUF_LDAP_GROUPS")]
    pub ldap_groups: Option<PathBuf>,
    /// Seconds to wait for the directory's connection and each of its answers.
    #[arg(long, env = "ABLAUF_LDAP_TIMEOUT_SECONDS", default_value = "5")]
    pub ldap_timeout_seconds: std::num::NonZeroU64,
    /// Seconds between checks of the directory users' groups by the service account (with
    /// --ldap-bind-dn): removed from the groups, a user's sessions and tokens end within this
    /// time. Without a service account, at their next sign-in.
    #[arg(long, env = "ABLAUF_LDAP_RECHECK_SECONDS", default_value = "300")]
    pub ldap_recheck_seconds: std::num::NonZeroU64,
}

impl DirectoryArgs {
    /// The configured directory, if any, checked as far as it can be without connecting.
    fn directory(self) -> Result<Option<crate::directory::Directory>, CliError> {
        use crate::directory::{Directory, DirectoryConfig, GroupRoles, UserLookup};
        let Some(url) = self.ldap_url else { return Ok(None) };
        let lookup = match (self.ldap_user_dn, self.ldap_bind_dn, self.ldap_bind_password) {
            (Some(pattern), _, _) => UserLookup::Pattern(pattern),
            (None, Some(bind_dn), Some(bind_password)) => {
                UserLookup::Search { bind_dn, bind_password, filter: self.ldap_user_filter }
            }
            _ => return Err(CliError::Input("--ldap-url needs --ldap-user-dn or --ldap-bind-dn".into())),
        };
        let input = |e: crate::directory::DirectoryError| CliError::Input(e.to_string());
        let groups = GroupRoles::load(&self.ldap_groups.unwrap_or_default()).map_err(input)?;
        let config = DirectoryConfig {
            url,
            lookup,
            search_base: self.ldap_search_base.unwrap_or_default(),
            groups,
            timeout: std::time::Duration::from_secs(self.ldap_timeout_seconds.get()),
            recheck: std::time::Duration::from_secs(self.ldap_recheck_seconds.get()),
        };
        Directory::new(config).map(Some).map_err(input)
    }
}

/// Output format of commands that print lists.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Json,
    Table,
}

/// A command's failure, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad arguments or unreadable input: exit 2.
    #[error("{0}")]
    Input(String),
    /// The command ran but the answer is negative or the operation failed: exit 1.
    #[error("{0}")]
    Failed(String),
}

impl From<StoreError> for CliError {
    fn from(e: StoreError) -> Self {
        CliError::Failed(e.to_string())
    }
}

impl CliError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CliError::Input(_) => ExitCode::from(2),
            CliError::Failed(_) => ExitCode::from(1),
        }
    }
}

pub fn run(cli: Cli) -> Result<ExitCode, CliError> {
    match cli.command {
        Command::Serve(args) => serve(&cli.data_dir, *args),
        Command::Export(args) => bpmn::export(&cli.data_dir, args),
        Command::Import(args) => bpmn::import(args),
        Command::Add(args) => processes::add(&cli.data_dir, args),
        Command::Update(args) => processes::update(&cli.data_dir, args),
        Command::Get(args) => processes::get(&cli.data_dir, args),
        Command::List(args) => processes::list(&cli.data_dir, args),
        Command::History(args) => processes::history(&cli.data_dir, args),
        Command::SetStatus(args) => processes::set_status(&cli.data_dir, args),
        Command::Audit(args) => processes::audit(&cli.data_dir, args),
        Command::Validate(args) => processes::validate(args),
        Command::Schema => print_json(&crate::process::schema()),
        Command::Models(args) => models::run(args),
        Command::Transcribe(args) => speech::transcribe(args),
        Command::Bench(args) => llm::run(args),
        Command::Draft(args) => draft::draft(&cli.data_dir, args),
        Command::Review(args) => draft::review(args),
        Command::Eval(args) => draft::eval(args),
        Command::Backup(args) => admin::backup(&cli.data_dir, args),
        Command::Restore(args) => admin::restore(&cli.data_dir, args),
        Command::ExportAll(args) => admin::export_all(&cli.data_dir, args),
        Command::User(args) => users::run(&cli.data_dir, args),
        Command::Duplicates(args) => similarity::duplicates(&cli.data_dir, args),
        Command::Similar(args) => similarity::similar(&cli.data_dir, args),
        Command::Gaps(args) => similarity::gaps(&cli.data_dir, args),
        Command::Reindex => similarity::reindex(&cli.data_dir),
    }
}

fn serve(data_dir: &Path, args: ServeArgs) -> Result<ExitCode, CliError> {
    let directory = args.directory.directory()?;
    let store = open_store(data_dir)?;
    let bootstrap = store.bootstrap_admin(args.bootstrap_token.as_deref(), args.bootstrap_password.as_deref());
    if let Some((admin, password)) = bootstrap.map_err(|e| CliError::Input(e.to_string()))? {
        eprintln!(
            "First start: created the admin user \"{}\".\n  password:  {password}\n  API token: {}\n\
             These are shown only now; add further users with `ablauf user add`.",
            admin.name, admin.token
        );
    }
    let model_path = crate::llm::resolve_model(&args.model).map_err(llm::classify)?;
    if !model_path.exists() {
        return Err(CliError::Input(format!("model file {} does not exist", model_path.display())));
    }
    let llm = crate::http::load_llm(&args.model, model_path);
    let options = crate::http::Options {
        anonymous_read: args.anonymous_read,
        limits: crate::http::RateLimits::per_minute(args.rate_limit),
        sessions: crate::auth::SessionLimits {
            idle: std::time::Duration::from_secs(args.session_idle_minutes.get() * 60),
            lifetime: std::time::Duration::from_secs(args.session_hours.get() * 3600),
        },
        trusted_proxies: args.trusted_proxy,
        directory,
        speech_model: args.speech_model,
    };
    let runtime =
        tokio::runtime::Runtime::new().map_err(|e| CliError::Failed(format!("cannot start the async runtime: {e}")))?;
    runtime
        .block_on(crate::http::serve(args.addr, store, llm, options))
        .map_err(|e| CliError::Failed(format!("server failed: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

/// Opens the store of a data directory (creating it on first use).
pub fn open_store(data_dir: &Path) -> Result<Store, CliError> {
    Store::open(&data_dir.join("ablauf.db")).map_err(|e| CliError::Failed(e.to_string()))
}

pub fn read_text(path: &Path) -> Result<String, CliError> {
    let mut text = String::new();
    let result = if path == Path::new("-") {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text)).map(|_| ())
    };
    result.map_err(|e| CliError::Input(format!("cannot read {}: {e}", path.display())))?;
    Ok(text)
}

pub fn print_json(value: &impl Serialize) -> Result<ExitCode, CliError> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value)
        .map_err(std::io::Error::from)
        .and_then(|_| writeln!(out))
        .map_err(|e| CliError::Failed(format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}

pub fn print_table(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Result<ExitCode, CliError> {
    let rows: Vec<Vec<String>> = rows.collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| h.to_string()).collect();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    std::io::stdout().write_all(out.as_bytes()).map_err(|e| CliError::Failed(format!("cannot write output: {e}")))?;
    Ok(ExitCode::SUCCESS)
}
