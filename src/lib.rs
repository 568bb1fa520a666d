//! ablauf: document, review, deduplicate and export administrative processes.
//!
//! The library holds everything; `main.rs` only parses arguments and calls [`cli::run`].
//! See ARCHITECTURE.md for the module map and the invariants.

pub mod cli;
pub mod http;
pub mod models;
pub mod process;
pub mod store;
