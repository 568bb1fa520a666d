//! ablauf: document, review, deduplicate and export administrative processes.
//!
//! The library holds everything; `main.rs` only parses arguments and calls [`cli::run`].
//! See ARCHITECTURE.md for the module map and the invariants.

pub mod auth;
pub mod bpmn;
pub mod cli;
pub mod compact;
pub mod directory;
pub mod draft;
pub mod embed;
pub mod eval;
pub mod http;
pub mod index;
pub mod llm;
pub mod loading;
pub mod models;
pub mod page;
pub mod process;
pub mod prompt;
pub mod review;
pub mod similarity;
pub mod speech;
pub mod store;
