//! The compact line format the language model writes (one short line per step), its grammar,
//! and its conversion into a [`Process`](crate::process::Process). Shared by drafting, which
//! generates it, and review, whose model findings quote steps in it.

pub mod convert;
pub mod format;

pub use format::Line;
pub(crate) use format::collapse_whitespace;
