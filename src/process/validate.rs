//! Structural validation of a [`Process`].
//!
//! Pure and total: any input, however broken, yields a list of findings and never a panic
//! (a property test feeds it arbitrary processes). Errors make a process unusable (it cannot
//! be drawn or executed); warnings are gaps a reviewer should close.

use std::collections::{HashMap, HashSet, VecDeque};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::{Process, StepType};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, located by a JSON path into the process.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Finding {
    pub severity: Severity,
    /// Stable machine-readable code, e.g. `unknown_step`.
    pub code: String,
    /// JSON path of the offending value, e.g. `steps[3].next[0].to`.
    pub path: String,
    pub message: String,
    /// A concrete suggestion how to fix it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
}

impl Finding {
    pub fn error(code: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, code: code.into(), path: path.into(), message: message.into(), fix: None }
    }

    pub fn warning(code: &str, path: impl Into<String>, message: impl Into<String>) -> Self {
        Self { severity: Severity::Warning, ..Self::error(code, path, message) }
    }

    pub fn with_fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }
}

/// The outcome of validating one process: errors and warnings kept apart.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Validation {
    pub valid: bool,
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

impl Validation {
    fn from_findings(findings: Vec<Finding>) -> Self {
        let (errors, warnings): (Vec<_>, Vec<_>) = findings.into_iter().partition(|f| f.severity == Severity::Error);
        Self { valid: errors.is_empty(), errors, warnings }
    }

    /// A validation that failed before the structure could be looked at (bad JSON).
    pub fn unparseable(finding: Finding) -> Self {
        Self::from_findings(vec![finding])
    }

    pub fn error_summary(&self) -> String {
        self.errors.iter().map(|f| format!("{}: {}", f.path, f.message)).collect::<Vec<_>>().join("; ")
    }
}

/// Parses process JSON, reporting a type error with the path where it occurred.
pub fn parse(json: &str) -> Result<Process, Finding> {
    let de = &mut serde_json::Deserializer::from_str(json);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let path = if path == "." { String::new() } else { path };
        Finding::error("invalid_json", path, e.into_inner().to_string())
    })
}

/// Checks the structure of a process and returns every problem found.
pub fn validate(process: &Process) -> Validation {
    let mut out = Vec::new();
    check_header(process, &mut out);
    let step_index = check_ids(process, &mut out);
    check_references(process, &step_index, &mut out);
    check_steps(process, &mut out);
    check_flow(process, &step_index, &mut out);
    Validation::from_findings(out)
}

fn is_blank(s: &str) -> bool {
    s.trim().is_empty()
}

/// Ids end up as XML ids and URL segments, so they stay within a conservative alphabet.
fn is_valid_id(id: &str) -> bool {
    let mut chars = id.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

fn check_header(p: &Process, out: &mut Vec<Finding>) {
    if is_blank(&p.title) {
        out.push(Finding::error("title_empty", "title", "the title must not be empty"));
    }
    if p.steps.is_empty() {
        out.push(Finding::error("no_steps", "steps", "the process has no steps"));
    }
    if p.legal_basis.iter().all(|l| is_blank(l)) {
        out.push(
            Finding::warning("no_legal_basis", "legal_basis", "no legal basis is named")
                .with_fix("Name the law or regulation the process rests on, e.g. \"§ 17 BMG\"."),
        );
    }
    if let Some(key) = &p.meta.leika_key
        && !(key.len() == 14 && key.bytes().all(|b| b.is_ascii_digit()))
    {
        out.push(Finding::warning(
            "leika_key_format",
            "meta.leika_key",
            format!("LeiKa keys have 14 digits, got {key:?}"),
        ));
    }
}

/// Returns the index of the first step with each id.
fn check_ids<'a>(p: &'a Process, out: &mut Vec<Finding>) -> HashMap<&'a str, usize> {
    let mut roles = HashSet::new();
    for (i, role) in p.roles.iter().enumerate() {
        if !is_valid_id(&role.id) {
            out.push(Finding::error(
                "invalid_id",
                format!("roles[{i}].id"),
                format!("role id {:?} must start with a letter and hold only letters, digits, '_', '-', '.'", role.id),
            ));
        } else if !roles.insert(role.id.as_str()) {
            out.push(Finding::error(
                "duplicate_role_id",
                format!("roles[{i}].id"),
                format!("role id {:?} is used twice", role.id),
            ));
        }
        if is_blank(&role.name) {
            out.push(Finding::error("role_name_empty", format!("roles[{i}].name"), "the role has no name"));
        }
    }
    let mut steps = HashMap::new();
    for (i, step) in p.steps.iter().enumerate() {
        if !is_valid_id(&step.id) {
            out.push(Finding::error(
                "invalid_id",
                format!("steps[{i}].id"),
                format!("step id {:?} must start with a letter and hold only letters, digits, '_', '-', '.'", step.id),
            ));
        } else if steps.contains_key(step.id.as_str()) {
            out.push(Finding::error(
                "duplicate_step_id",
                format!("steps[{i}].id"),
                format!("step id {:?} is used twice", step.id),
            ));
        } else {
            steps.insert(step.id.as_str(), i);
        }
    }
    steps
}

fn check_references(p: &Process, steps: &HashMap<&str, usize>, out: &mut Vec<Finding>) {
    for (i, step) in p.steps.iter().enumerate() {
        if let Some(role) = &step.role
            && p.role(role).is_none()
        {
            out.push(
                Finding::error("unknown_role", format!("steps[{i}].role"), format!("unknown role {role:?}"))
                    .with_fix(format!("Declare a role with id {role:?} in roles, or pick a declared one.")),
            );
        }
        for (j, flow) in step.next.iter().enumerate() {
            if !steps.contains_key(flow.to.as_str()) {
                out.push(Finding::error(
                    "unknown_step",
                    format!("steps[{i}].next[{j}].to"),
                    format!("unknown step {:?}", flow.to),
                ));
            }
        }
    }
    let used: HashSet<&str> = p.steps.iter().filter_map(|s| s.role.as_deref()).collect();
    for (i, role) in p.roles.iter().enumerate() {
        if !used.contains(role.id.as_str()) {
            out.push(Finding::warning(
                "unused_role",
                format!("roles[{i}]"),
                format!("role {:?} performs no step", role.name),
            ));
        }
    }
}

fn check_steps(p: &Process, out: &mut Vec<Finding>) {
    let mut names: HashMap<String, usize> = HashMap::new();
    for (i, step) in p.steps.iter().enumerate() {
        let path = format!("steps[{i}]");
        let needs_name = matches!(step.kind, StepType::Task | StepType::Decision);
        if needs_name && is_blank(&step.name) {
            out.push(Finding::error("step_name_empty", format!("{path}.name"), "the step has no name"));
        }
        if step.kind == StepType::Task && step.role.is_none() {
            out.push(
                Finding::warning(
                    "task_without_role",
                    format!("{path}.role"),
                    format!("step {:?} has no role", step.name),
                )
                .with_fix("Name who performs this step."),
            );
        }
        if step.kind == StepType::End && !step.next.is_empty() {
            out.push(Finding::error("end_has_next", format!("{path}.next"), "an end step cannot lead anywhere"));
        }
        if step.kind != StepType::End && step.next.is_empty() {
            out.push(
                Finding::warning("dead_end", format!("{path}.next"), format!("step {:?} leads nowhere", step.name))
                    .with_fix("Add the step that follows, or make this an end step."),
            );
        }
        if step.kind == StepType::Decision {
            if step.next.len() < 2 {
                out.push(
                    Finding::warning(
                        "decision_branches",
                        format!("{path}.next"),
                        format!("decision {:?} has {} branch(es), needs at least two", step.name, step.next.len()),
                    )
                    .with_fix("Add the other outcome (e.g. \"sonst\") and where it leads."),
                );
            }
            for (j, flow) in step.next.iter().enumerate() {
                if flow.condition.as_deref().is_none_or(is_blank) {
                    out.push(
                        Finding::warning(
                            "branch_without_condition",
                            format!("{path}.next[{j}].condition"),
                            format!("a branch of decision {:?} has no condition", step.name),
                        )
                        .with_fix("Label the branch with the condition under which it is taken."),
                    );
                }
            }
        } else {
            for (j, flow) in step.next.iter().enumerate() {
                if flow.condition.is_some() && step.kind != StepType::Task {
                    out.push(Finding::warning(
                        "condition_outside_decision",
                        format!("{path}.next[{j}].condition"),
                        "a condition only applies to flows leaving a decision or a task",
                    ));
                }
            }
        }
        let mut seen = HashSet::new();
        for (j, flow) in step.next.iter().enumerate() {
            if !seen.insert(flow.to.as_str()) {
                out.push(Finding::warning(
                    "duplicate_flow",
                    format!("{path}.next[{j}]"),
                    format!("step {:?} leads to {:?} twice", step.name, flow.to),
                ));
            }
        }
        if needs_name && !is_blank(&step.name) {
            let key = step.name.trim().to_lowercase();
            if let Some(first) = names.get(&key) {
                out.push(Finding::warning(
                    "duplicate_step_name",
                    format!("{path}.name"),
                    format!("step name {:?} is also used by steps[{first}]", step.name),
                ));
            } else {
                names.insert(key, i);
            }
        }
    }
}

fn check_flow(p: &Process, steps: &HashMap<&str, usize>, out: &mut Vec<Finding>) {
    let starts: Vec<usize> =
        p.steps.iter().enumerate().filter(|(_, s)| s.kind == StepType::Start).map(|(i, _)| i).collect();
    let ends: Vec<usize> =
        p.steps.iter().enumerate().filter(|(_, s)| s.kind == StepType::End).map(|(i, _)| i).collect();
    if p.steps.is_empty() {
        return;
    }
    if starts.is_empty() {
        out.push(
            Finding::error("no_start", "steps", "the process has no start step")
                .with_fix("Add a step of type \"start\"."),
        );
    }
    if starts.len() > 1 {
        out.push(Finding::warning("multiple_starts", "steps", format!("the process has {} start steps", starts.len())));
    }
    if ends.is_empty() {
        out.push(
            Finding::warning("no_end", "steps", "the process has no end step").with_fix("Add a step of type \"end\"."),
        );
    }
    let successors: Vec<Vec<usize>> =
        p.steps.iter().map(|s| s.next.iter().filter_map(|f| steps.get(f.to.as_str()).copied()).collect()).collect();
    let mut predecessors = vec![Vec::new(); p.steps.len()];
    for (i, succ) in successors.iter().enumerate() {
        for &j in succ {
            predecessors[j].push(i);
        }
    }
    for &s in &starts {
        if !predecessors[s].is_empty() {
            out.push(Finding::warning(
                "start_has_incoming",
                format!("steps[{s}]"),
                "a start step should have no incoming flow",
            ));
        }
    }
    if !starts.is_empty() {
        let reached = reachable(&starts, &successors);
        for (i, step) in p.steps.iter().enumerate() {
            if !reached[i] {
                out.push(
                    Finding::warning(
                        "unreachable",
                        format!("steps[{i}]"),
                        format!("step {:?} cannot be reached from the start", step.name),
                    )
                    .with_fix("Connect it from the step that comes before it, or remove it."),
                );
            }
        }
    }
    if !ends.is_empty() {
        let can_finish = reachable(&ends, &predecessors);
        for (i, step) in p.steps.iter().enumerate() {
            // Dead ends are already reported; this catches loops that never exit.
            if !can_finish[i] && !step.next.is_empty() {
                out.push(
                    Finding::warning(
                        "no_way_to_end",
                        format!("steps[{i}]"),
                        format!("from step {:?} no end can be reached", step.name),
                    )
                    .with_fix("Give the loop an exit branch that leads to an end."),
                );
            }
        }
    }
}

fn reachable(from: &[usize], edges: &[Vec<usize>]) -> Vec<bool> {
    let mut seen = vec![false; edges.len()];
    let mut queue: VecDeque<usize> = from.iter().copied().collect();
    for &i in from {
        seen[i] = true;
    }
    while let Some(i) = queue.pop_front() {
        for &j in &edges[i] {
            if !seen[j] {
                seen[j] = true;
                queue.push_back(j);
            }
        }
    }
    seen
}
