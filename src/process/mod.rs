//! The process model, its JSON Schema and its validation. Pure: no IO, never panics.

mod model;
mod validate;

pub use model::{Criticality, Flow, Meta, Process, ProtectionLevel, ProtectionNeed, Role, Step, StepType};
pub use validate::{Finding, Severity, Validation, parse, validate};

/// The published JSON Schema of [`Process`] (served at `GET /api/schema/process`).
pub fn schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(Process)).expect("a generated schema always serialises")
}
