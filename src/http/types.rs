//! Wire types of the JSON API that are not library types.

use serde::{Deserialize, Serialize};

use crate::process::{Finding, Process};
use crate::store::Status;

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
