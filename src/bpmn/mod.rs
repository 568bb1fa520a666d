//! BPMN 2.0: export with diagram interchange, import, and the SVG drawing of the layout.
//!
//! Invariants: export is deterministic (same process, same bytes) and writes documents
//! valid against the OMG BPMN 2.0 XSD with a shape or edge for every flow node, lane, pool
//! and sequence flow; import never panics, whatever the input, and keeps or reports every
//! element it reads.

mod documentation;
mod export;
mod import;
pub mod layout;
pub mod svg;
mod text;
mod xml;

pub use documentation::{criticality_name, level_name};
pub use export::{ExportError, export_bpmn};
pub use import::{ImportWarning, Imported, WarningCode, import_bpmn};
pub use xml::{MAX_BYTES, MAX_DEPTH, MAX_ELEMENTS};

pub const BPMN_NS: &str = "http://www.omg.org/spec/BPMN/20100524/MODEL";
pub const BPMNDI_NS: &str = "http://www.omg.org/spec/BPMN/20100524/DI";
pub const DC_NS: &str = "http://www.omg.org/spec/DD/20100524/DC";
pub const DI_NS: &str = "http://www.omg.org/spec/DD/20100524/DI";
pub const TARGET_NAMESPACE: &str = "https://ablauf.example/bpmn";
pub const EXPORTER: &str = "ablauf";
/// Name of the lane that holds steps without a role; the importer maps it back to no role.
pub const NO_ROLE_LANE: &str = "Ohne Rolle";

/// Why a document could not be imported at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the document has {size} bytes, more than the {limit} bytes accepted")]
    TooLarge { size: usize, limit: usize },
    #[error("the document is neither UTF-8 nor declared ISO-8859-1 (invalid byte at offset {at})")]
    Encoding { at: usize },
    #[error("the document is not well-formed XML (line {line}, column {column}): {message}")]
    Malformed { line: usize, column: usize, message: String },
    #[error("the document ends before <{open}> is closed (truncated?)")]
    Truncated { open: String },
    #[error("the document is empty")]
    Empty,
    #[error("documents with a DTD (<!DOCTYPE ...>) are refused: they can declare entities")]
    Dtd,
    #[error("the entity &{0}; is not defined (only XML's predefined entities are accepted)")]
    UndefinedEntity(String),
    #[error("the document nests elements deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("the document has more than {limit} elements")]
    TooManyElements { limit: usize },
    #[error(
        "the root element is {{{namespace}}}{element}, not a BPMN 2.0 definitions element ({{{BPMN_NS}}}definitions)"
    )]
    NotBpmn { namespace: String, element: String },
}
