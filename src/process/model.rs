//! The process model: the serde types every part of ablauf exchanges.
//!
//! Field names are a published contract (clients, the JSON Schema, BPMN export and the
//! LLM's output all rely on them); change them only together with a schema version.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A documented administrative process.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Process {
    /// Short name of the process, e.g. "Anwohnerparkausweis ausstellen".
    pub title: String,
    /// One or two sentences on what the process achieves.
    #[serde(default)]
    pub summary: String,
    /// What starts the process (an application, a deadline, an event).
    #[serde(default)]
    pub trigger: String,
    /// What exists when the process has ended (a decision, a document, a payment).
    #[serde(default)]
    pub outcome: String,
    /// The people or units that act in the process.
    #[serde(default)]
    pub roles: Vec<Role>,
    /// The steps; flow between them is given by each step's `next`.
    #[serde(default)]
    pub steps: Vec<Step>,
    /// Laws and regulations the process rests on, e.g. "§ 45 StVO".
    #[serde(default)]
    pub legal_basis: Vec<String>,
    /// Documents the process uses or produces.
    #[serde(default)]
    pub documents: Vec<String>,
    /// IT systems the process uses.
    #[serde(default)]
    pub systems: Vec<String>,
    /// Organisational metadata (catalogue key, owner, criticality, protection need).
    #[serde(default)]
    pub meta: Meta,
}

/// Someone who acts in the process.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Identifier referenced by `steps[].role`.
    pub id: String,
    /// Human-readable name, e.g. "Sachbearbeitung Bürgerbüro".
    pub name: String,
    /// Organisational unit in the staffing plan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

/// The kind of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum StepType {
    /// Where the process begins.
    Start,
    /// Work done by a role or a system.
    #[default]
    Task,
    /// An exclusive choice: exactly one outgoing branch is taken, named by its `condition`.
    Decision,
    /// A split or join where all branches run concurrently.
    Parallel,
    /// Where the process ends.
    End,
}

impl StepType {
    pub fn as_str(self) -> &'static str {
        match self {
            StepType::Start => "start",
            StepType::Task => "task",
            StepType::Decision => "decision",
            StepType::Parallel => "parallel",
            StepType::End => "end",
        }
    }
}

/// One step of the process.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Identifier referenced by `next[].to`, unique within the process.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: StepType,
    /// What happens, as a short verb phrase ("Meldeadresse prüfen").
    pub name: String,
    /// Id of the role that performs the step.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Outgoing flows; decisions label each branch with a `condition`.
    #[serde(default)]
    pub next: Vec<Flow>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inputs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outputs: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub systems: Vec<String>,
    /// Typical duration or deadline, free text ("2 Wochen", "P14D").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<String>,
}

/// A sequence flow from one step to another.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Flow {
    /// Id of the target step.
    pub to: String,
    /// Branch label of a decision ("Adresse gültig", "sonst").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

/// Organisational metadata linking the process to catalogue, staffing plan and risk management.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// 14-digit key of the service in the LeiKa catalogue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leika_key: Option<String>,
    /// Organisational unit responsible for the process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub criticality: Option<Criticality>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protection_need: Option<ProtectionNeed>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// How badly the municipality is hit when the process stops working.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Criticality {
    Niedrig,
    Mittel,
    Hoch,
}

/// Protection need per security goal (BSI IT-Grundschutz categories).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProtectionNeed {
    pub confidentiality: ProtectionLevel,
    pub integrity: ProtectionLevel,
    pub availability: ProtectionLevel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProtectionLevel {
    Normal,
    Hoch,
    SehrHoch,
}

impl Process {
    pub fn step(&self, id: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.id == id)
    }

    pub fn role(&self, id: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.id == id)
    }
}
