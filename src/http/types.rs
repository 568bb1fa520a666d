//! Wire types of the JSON API that are not library types: every request body and query string
//! a handler takes, and the answers that are not library types.

use serde::{Deserialize, Serialize};

use crate::auth::Role;
use crate::bpmn::ImportWarning;
use crate::process::{Finding, Process, Validation};
use crate::store::Status;
use crate::store::similarity::Decision;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub status: Option<String>,
    /// Free text matched against title, summary and step names.
    pub q: Option<String>,
    pub limit: Option<u32>,
    pub offset: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetQuery {
    pub version: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateQuery {
    /// Why the process is recorded (stored with version 1).
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateRequest {
    /// The version the edit was based on; a mismatch answers 409.
    pub expected_version: u32,
    pub process: Process,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusRequest {
    pub status: Status,
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Serialize)]
pub struct SaveResponse {
    pub id: String,
    pub version: u32,
    pub status: Status,
    /// Warnings of the stored process: it is valid, but a reviewer should look at these.
    pub warnings: Vec<Finding>,
    /// The most similar existing processes, or `"pending"` while the saved text is embedded
    /// in the background (`GET /api/processes/{id}/similar` answers once it is); absent while
    /// the embedding model is loading.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similar: Option<crate::similarity::SimilarOnSave>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub name: String,
    pub password: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddUserRequest {
    pub name: String,
    pub role: Role,
    pub password: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    pub version: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub format: Option<String>,
    pub version: Option<u32>,
}

#[derive(Debug, Serialize)]
pub struct ImportResponse {
    pub process: Process,
    pub warnings: Vec<ImportWarning>,
    /// Whether the imported process can be stored as it is, and what to fix before.
    pub validation: Validation,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DraftRequest {
    /// The dictation.
    pub text: String,
    /// Store the draft with status `draft` (default) or only return it.
    #[serde(default = "yes")]
    pub save: bool,
    pub max_tokens: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRequest {
    pub process: Process,
    /// Ask the language model too (default); `false` runs the deterministic checks only.
    #[serde(default = "yes")]
    pub llm: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimilarRequest {
    pub process: Process,
    #[serde(default = "default_limit")]
    pub limit: usize,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DuplicatesQuery {
    pub threshold: Option<f32>,
    pub limit: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimilarQuery {
    pub k: Option<usize>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionsQuery {
    pub process: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub a: String,
    pub b: String,
    pub decision: Decision,
    #[serde(default)]
    pub note: String,
    /// For `duplicate`: the process that stays; the other one is archived.
    pub survivor: Option<String>,
}

fn yes() -> bool {
    true
}

fn default_limit() -> usize {
    5
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// One action, or a prefix ending in `*` (`auth.*`).
    pub action: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeRequest {
    pub current_password: String,
    pub new_password: String,
}

/// An admin's change of a user: a new role, a new password (ends their sessions), or both.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateUserRequest {
    pub role: Option<Role>,
    pub password: Option<String>,
}

/// A further API token for a user, valid for `days` or until revoked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddTokenRequest {
    pub days: Option<u32>,
}
