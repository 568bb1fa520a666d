//! The integration tests, one crate so that candle, tokenizers and llguidance link once. Each
//! module is one area; `common` starts the real server, `bpmn_common` runs the BPMN checkers.
//! Run one area with `cargo test --test it cli::`.

mod access_control;
mod architecture;
mod backup;
mod bpmn_common;
mod bpmn_export;
mod bpmn_import;
mod cli;
mod common;
mod crash_safety;
mod directory;
mod draft_cli;
mod draft_http;
mod draft_pipeline;
mod embed;
mod fuzz_regressions;
mod http_api;
mod judged;
mod llm_engine;
mod review;
mod sign_in;
mod similarity;
mod similarity_http;
mod similarity_index;
mod speech;
mod store;
mod users;
mod validation;
mod web_ui;
mod wiki_pages;
