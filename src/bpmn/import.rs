//! Reads a BPMN 2.0 document into the process model.
//!
//! Every flow node becomes a step and every sequence flow a `next` entry, so nothing of the
//! flow is lost; what the model has no place for is reported as a warning, never dropped
//! silently:
//! - intermediate events become tasks; boundary events become tasks reached from the
//!   activity they are attached to by a branch named after the event;
//! - sub-processes become one task, and their inner steps follow as a sequence of their
//!   own (from their own start event);
//! - inclusive, complex and event-based gateways become decisions;
//! - message flows, artifacts, loop markers, event triggers and black-box pools are listed.
//!
//! Pools and lanes become roles (a lane per role; a pool without lanes is one role).

use std::collections::{HashMap, HashSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::documentation::{self, StepNotes};
use super::xml::{self, Element};
use super::{ImportError, NO_ROLE_LANE};
use crate::process::{Flow, Process, Role, Step, StepType};

/// A BPMN document read into a process, with everything that did not fit.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Imported {
    pub process: Process,
    pub warnings: Vec<ImportWarning>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ImportWarning {
    pub code: WarningCode,
    /// The step or role id the warning is about, where there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub element: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum WarningCode {
    /// An intermediate event became a task step (`element` is the step).
    EventAsTask,
    /// A boundary event became a task step reached by a branch from its activity.
    BoundaryEvent,
    /// The trigger or result of an event (message, timer, error...) is not kept.
    EventTrigger,
    /// A sub-process became a task; its inner steps follow separately.
    SubProcess,
    /// A call activity became a task; the called process is not kept.
    CallActivity,
    /// An inclusive, complex or event-based gateway became a decision.
    GatewayKind,
    /// A multi-instance or loop marker is not kept.
    LoopMarker,
    MessageFlow,
    /// Text annotations, groups and associations are not kept.
    Artifact,
    /// A pool without a process (a black box) is not kept.
    EmptyPool,
    /// Nested lanes were flattened to their innermost lanes.
    NestedLanes,
    /// A sequence flow whose source or target is not a flow node.
    DanglingFlow,
    /// An id was changed to fit ablauf's id rules or to be unique.
    RenamedId,
    /// A name was missing and a placeholder was put in.
    NameAdded,
    /// Performer or potential-owner assignments are not kept (lanes give the role).
    Performer,
    /// Vendor extension elements are not kept.
    Extension,
    /// A BPMN element ablauf does not know what to do with.
    Unsupported,
}

/// Reads a BPMN document. Fails only on input that is not a well-formed BPMN 2.0 document
/// within the limits of [`xml`]; anything inside a well-formed document is imported or
/// reported.
pub fn import_bpmn(bytes: &[u8]) -> Result<Imported, ImportError> {
    let doc = xml::parse(bytes)?;
    let mut r = Reader::default();
    r.read(&doc.root);
    if doc.foreign_elements > 0 {
        r.warn(
            WarningCode::Extension,
            None,
            format!("{} vendor extension element(s) were not imported", doc.foreign_elements),
        );
    }
    Ok(r.finish(&doc.root))
}

const ACTIVITIES: [&str; 8] =
    ["task", "userTask", "manualTask", "serviceTask", "sendTask", "receiveTask", "scriptTask", "businessRuleTask"];
const SUB_PROCESSES: [&str; 3] = ["subProcess", "transaction", "adHocSubProcess"];
const OTHER_GATEWAYS: [&str; 3] = ["inclusiveGateway", "complexGateway", "eventBasedGateway"];
const INTERMEDIATE: [&str; 2] = ["intermediateCatchEvent", "intermediateThrowEvent"];
const ARTIFACTS: [&str; 3] = ["textAnnotation", "group", "association"];
const LOOPS: [&str; 2] = ["multiInstanceLoopCharacteristics", "standardLoopCharacteristics"];
const PERFORMERS: [&str; 4] = ["performer", "humanPerformer", "potentialOwner", "resourceRole"];
/// Children of a process or sub-process that are read elsewhere, or that are the plumbing of
/// the sub-process as a flow node itself.
const READ_ELSEWHERE: [&str; 16] = [
    "laneSet",
    "documentation",
    "extensionElements",
    "ioSpecification",
    "property",
    "auditing",
    "monitoring",
    "correlationSubscription",
    "supports",
    "resourceRole",
    "dataStore",
    "incoming",
    "outgoing",
    "dataInputAssociation",
    "dataOutputAssociation",
    "ioBinding",
];
/// Root elements that only declare things used elsewhere.
const DECLARATIONS: [&str; 14] = [
    "message",
    "itemDefinition",
    "error",
    "signal",
    "escalation",
    "resource",
    "dataStore",
    "interface",
    "category",
    "import",
    "extension",
    "globalTask",
    "globalUserTask",
    "partnerRole",
];

struct PendingStep {
    bpmn_id: String,
    step: Step,
}

struct PendingFlow {
    source: String,
    target: String,
    condition: Option<String>,
}

#[derive(Default)]
struct Reader {
    steps: Vec<PendingStep>,
    flows: Vec<PendingFlow>,
    /// Branches for boundary events: (activity bpmn id, boundary bpmn id, label).
    boundaries: Vec<(String, String, String)>,
    roles: Vec<Role>,
    /// Flow node bpmn id -> role id, from lanes (`None`: the lane for steps without a role).
    lane_of: HashMap<String, Option<String>>,
    used_role_ids: HashSet<String>,
    used_step_ids: HashSet<String>,
    /// Data object and data store references: bpmn id -> (name, is a store).
    data: HashMap<String, (String, bool)>,
    data_objects: HashMap<String, String>,
    data_stores: HashMap<String, String>,
    documents: Vec<String>,
    systems: Vec<String>,
    /// (step bpmn id, data ref id, is input).
    data_links: Vec<(String, String, bool)>,
    paragraphs: Vec<String>,
    warnings: Vec<ImportWarning>,
}

fn texts(el: &Element, name: &str) -> Vec<String> {
    el.children_named(name).map(|c| c.text.clone()).collect()
}

fn name_of(el: &Element) -> String {
    el.attr("name").unwrap_or("").to_owned()
}

/// A German name for what an event waits for or signals, from its event definition.
fn event_kind(el: &Element) -> &'static str {
    const KINDS: [(&str, &str); 9] = [
        ("messageEventDefinition", "Nachricht"),
        ("timerEventDefinition", "Zeitpunkt erreicht"),
        ("errorEventDefinition", "Fehler"),
        ("escalationEventDefinition", "Eskalation"),
        ("signalEventDefinition", "Signal"),
        ("conditionalEventDefinition", "Bedingung erfüllt"),
        ("compensateEventDefinition", "Kompensation"),
        ("linkEventDefinition", "Verknüpfung"),
        ("cancelEventDefinition", "Abbruch"),
    ];
    el.children.iter().find_map(|c| KINDS.iter().find(|(k, _)| *k == c.name).map(|(_, v)| *v)).unwrap_or("Ereignis")
}

/// Turns a BPMN id into one that fits ablauf's id rules.
fn sanitize(id: &str) -> String {
    let mut s: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') { c } else { '_' }).collect();
    if !s.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        s.insert(0, '_');
    }
    s
}

fn unique(base: String, used: &mut HashSet<String>) -> String {
    let mut id = base.clone();
    let mut n = 1;
    while used.contains(&id) {
        n += 1;
        id = format!("{base}_{n}");
    }
    used.insert(id.clone());
    id
}

impl Reader {
    fn warn(&mut self, code: WarningCode, element: Option<&str>, message: String) {
        self.warnings.push(ImportWarning { code, element: element.map(str::to_owned), message });
    }

    fn read(&mut self, root: &Element) {
        for el in root.children_named("dataStore") {
            if let Some(id) = el.attr("id") {
                self.data_stores.insert(id.to_owned(), name_of(el));
            }
        }
        let mut pools: HashMap<String, (String, String)> = HashMap::new();
        for collab in root.children_named("collaboration") {
            for child in &collab.children {
                match child.name.as_str() {
                    "participant" => match child.attr("processRef") {
                        Some(p) => {
                            pools.insert(p.to_owned(), (child.attr("id").unwrap_or("").to_owned(), name_of(child)));
                        }
                        None => self.warn(
                            WarningCode::EmptyPool,
                            None,
                            format!("pool {:?} has no process and was not imported", name_of(child)),
                        ),
                    },
                    "messageFlow" => self.warn(
                        WarningCode::MessageFlow,
                        None,
                        format!(
                            "message flow {:?} from {} to {} was not imported",
                            name_of(child),
                            child.attr("sourceRef").unwrap_or("?"),
                            child.attr("targetRef").unwrap_or("?")
                        ),
                    ),
                    name if ARTIFACTS.contains(&name) => self.artifact(child),
                    "documentation" | "extensionElements" => {}
                    other => self.unsupported(other, child),
                }
            }
        }
        for el in &root.children {
            match el.name.as_str() {
                "process" => {
                    let pool = el.attr("id").and_then(|id| pools.get(id)).cloned();
                    self.process(el, pool);
                }
                "collaboration" | "documentation" | "extensionElements" | "BPMNDiagram" => {}
                name if DECLARATIONS.contains(&name) => {}
                other => self.unsupported(other, el),
            }
        }
    }

    fn artifact(&mut self, el: &Element) {
        let text: Vec<String> = texts(el, "text");
        let what = if text.is_empty() { String::new() } else { format!(" {:?}", text.join(" ")) };
        self.warn(WarningCode::Artifact, None, format!("{}{what} was not imported", el.name));
    }

    fn unsupported(&mut self, name: &str, el: &Element) {
        let id = el.attr("id").map(|i| format!(" {i}")).unwrap_or_default();
        self.warn(WarningCode::Unsupported, None, format!("element {name}{id} is not supported and was not imported"));
    }

    fn process(&mut self, el: &Element, pool: Option<(String, String)>) {
        self.paragraphs.extend(texts(el, "documentation"));
        let lane_sets: Vec<&Element> = el.children_named("laneSet").collect();
        let mut pool_role = None;
        if lane_sets.iter().all(|ls| !ls.children.iter().any(|c| c.is("lane"))) {
            let (pool_id, pool_name) = pool.unwrap_or_default();
            let name = if pool_name.trim().is_empty() { name_of(el) } else { pool_name };
            if !pool_id.is_empty() && !name.trim().is_empty() {
                let id = unique(sanitize(&pool_id), &mut self.used_role_ids);
                self.roles.push(Role { id: id.clone(), name, unit: None });
                pool_role = Some(id);
            }
        }
        for ls in lane_sets {
            self.lanes(ls, 0);
        }
        let first_step = self.steps.len();
        self.flow_elements(el, pool_role.as_deref());
        // A pool without lanes stands for one role only if something happens in it; an empty
        // pool would otherwise add a role that the next export and import does not reproduce.
        if let Some(id) = pool_role
            && self.steps[first_step..].is_empty()
        {
            self.roles.retain(|r| r.id != id);
        }
    }

    fn lanes(&mut self, lane_set: &Element, depth: usize) {
        for lane in lane_set.children_named("lane") {
            let nested: Vec<&Element> =
                lane.children_named("childLaneSet").filter(|c| c.children.iter().any(|l| l.is("lane"))).collect();
            if !nested.is_empty() {
                if depth == 0 {
                    self.warn(
                        WarningCode::NestedLanes,
                        None,
                        format!("lane {:?} has lanes inside; only the innermost lanes became roles", name_of(lane)),
                    );
                }
                for child in nested {
                    self.lanes(child, depth + 1);
                }
                continue;
            }
            let name = name_of(lane);
            let refs = texts(lane, "flowNodeRef");
            if name == NO_ROLE_LANE {
                for r in refs {
                    self.lane_of.entry(r.trim().to_owned()).or_insert(None);
                }
                continue;
            }
            let bpmn_id = lane.attr("id").unwrap_or("lane");
            let id = unique(sanitize(bpmn_id), &mut self.used_role_ids);
            if id != bpmn_id {
                self.warn(WarningCode::RenamedId, Some(&id), format!("lane id {bpmn_id:?} became role id {id:?}"));
            }
            let name = if name.trim().is_empty() {
                self.warn(WarningCode::NameAdded, Some(&id), format!("lane {bpmn_id:?} has no name; named {id:?}"));
                id.clone()
            } else {
                name
            };
            let unit = documentation::parse_unit(&texts(lane, "documentation"));
            for r in refs {
                self.lane_of.entry(r.trim().to_owned()).or_insert(Some(id.clone()));
            }
            self.roles.push(Role { id, name, unit });
        }
    }

    fn flow_elements(&mut self, container: &Element, inherited_role: Option<&str>) {
        for el in &container.children {
            let name = el.name.as_str();
            match name {
                "startEvent" => {
                    self.node(el, StepType::Start, inherited_role);
                }
                "endEvent" => {
                    self.node(el, StepType::End, inherited_role);
                }
                "exclusiveGateway" => {
                    self.node(el, StepType::Decision, inherited_role);
                }
                "parallelGateway" => {
                    self.node(el, StepType::Parallel, inherited_role);
                }
                n if OTHER_GATEWAYS.contains(&n) => {
                    let id = self.node(el, StepType::Decision, inherited_role);
                    self.warn(WarningCode::GatewayKind, Some(&id), format!("{n} {id:?} became a decision"));
                }
                n if ACTIVITIES.contains(&n) => {
                    self.node(el, StepType::Task, inherited_role);
                }
                "callActivity" => {
                    let id = self.node(el, StepType::Task, inherited_role);
                    let called = el.attr("calledElement").unwrap_or("?");
                    self.warn(
                        WarningCode::CallActivity,
                        Some(&id),
                        format!("call activity {id:?} became a task; the called process {called:?} was not imported"),
                    );
                }
                n if SUB_PROCESSES.contains(&n) => {
                    let id = self.node(el, StepType::Task, inherited_role);
                    let role = self.steps.last().and_then(|s| s.step.role.clone());
                    let before = self.steps.len();
                    self.flow_elements(el, role.as_deref().or(inherited_role));
                    let inner = self.steps.len() - before;
                    self.warn(
                        WarningCode::SubProcess,
                        Some(&id),
                        format!(
                            "{n} {id:?} became a task; its {inner} inner step(s) follow as a sequence of their own"
                        ),
                    );
                }
                n if INTERMEDIATE.contains(&n) => {
                    let id = self.node(el, StepType::Task, inherited_role);
                    self.warn(WarningCode::EventAsTask, Some(&id), format!("{n} {id:?} became a task"));
                }
                "boundaryEvent" => {
                    let id = self.node(el, StepType::Task, inherited_role);
                    let attached = el.attr("attachedToRef").unwrap_or("").to_owned();
                    let label = match name_of(el).trim() {
                        "" => event_kind(el).to_owned(),
                        n => n.to_owned(),
                    };
                    self.warn(
                        WarningCode::BoundaryEvent,
                        Some(&id),
                        format!(
                            "boundary event {id:?} became a task reached from {attached:?} by the branch {label:?}"
                        ),
                    );
                    self.boundaries.push((attached, el.attr("id").unwrap_or("").to_owned(), label));
                }
                "sequenceFlow" => {
                    let condition = [name_of(el), texts(el, "conditionExpression").join(" ")]
                        .into_iter()
                        .map(|c| c.trim().to_owned())
                        .find(|c| !c.is_empty());
                    self.flows.push(PendingFlow {
                        source: el.attr("sourceRef").unwrap_or("").to_owned(),
                        target: el.attr("targetRef").unwrap_or("").to_owned(),
                        condition,
                    });
                }
                "dataObject" => {
                    if let Some(id) = el.attr("id") {
                        self.data_objects.insert(id.to_owned(), name_of(el));
                    }
                    self.add_document(name_of(el));
                }
                "dataObjectReference" | "dataStoreReference" => {
                    let store = name == "dataStoreReference";
                    let target = el.attr(if store { "dataStoreRef" } else { "dataObjectRef" }).unwrap_or("");
                    let declared = if store { self.data_stores.get(target) } else { self.data_objects.get(target) };
                    let own = name_of(el);
                    let label = if own.trim().is_empty() { declared.cloned().unwrap_or_default() } else { own };
                    if store {
                        self.add_system(label.clone());
                    } else {
                        self.add_document(label.clone());
                    }
                    if let Some(id) = el.attr("id") {
                        self.data.insert(id.to_owned(), (label, store));
                    }
                }
                n if READ_ELSEWHERE.contains(&n) => {}
                n if ARTIFACTS.contains(&n) => self.artifact(el),
                n if LOOPS.contains(&n) || PERFORMERS.contains(&n) => {}
                other => self.unsupported(other, el),
            }
        }
    }

    fn add_document(&mut self, name: String) {
        if !name.trim().is_empty() && !self.documents.contains(&name) {
            self.documents.push(name);
        }
    }

    fn add_system(&mut self, name: String) {
        if !name.trim().is_empty() && !self.systems.contains(&name) {
            self.systems.push(name);
        }
    }

    /// Adds a step for a flow node and returns its step id.
    fn node(&mut self, el: &Element, kind: StepType, inherited_role: Option<&str>) -> String {
        let bpmn_id = el.attr("id").map(str::to_owned).unwrap_or_else(|| format!("node_{}", self.steps.len() + 1));
        let id = unique(sanitize(&bpmn_id), &mut self.used_step_ids);
        if id != bpmn_id {
            self.warn(WarningCode::RenamedId, Some(&id), format!("flow node id {bpmn_id:?} became step id {id:?}"));
        }
        let notes = documentation::parse_step(&texts(el, "documentation"));
        let mut name = name_of(el);
        if name.trim().is_empty() && matches!(kind, StepType::Task | StepType::Decision) {
            let outgoing = el.children_named("outgoing").count();
            name = match kind {
                StepType::Decision if outgoing <= 1 => "Zusammenführung",
                StepType::Decision => "Verzweigung",
                _ if el.name.ends_with("Event") => event_kind(el),
                _ => "Unbenannter Schritt",
            }
            .to_owned();
            self.warn(
                WarningCode::NameAdded,
                Some(&id),
                format!("{} {bpmn_id:?} has no name; named {name:?}", el.name),
            );
        }
        for child in &el.children {
            let n = child.name.as_str();
            if n.ends_with("EventDefinition") || n == "eventDefinitionRef" {
                self.warn(WarningCode::EventTrigger, Some(&id), format!("the {n} of {id:?} was not imported"));
            } else if LOOPS.contains(&n) {
                self.warn(WarningCode::LoopMarker, Some(&id), format!("the {n} of {id:?} was not imported"));
            } else if PERFORMERS.contains(&n) {
                self.warn(WarningCode::Performer, Some(&id), format!("the {n} of {id:?} was not imported"));
            }
        }
        for assoc in el.children_named("dataInputAssociation") {
            for source in texts(assoc, "sourceRef") {
                self.data_links.push((bpmn_id.clone(), source.trim().to_owned(), true));
            }
        }
        for assoc in el.children_named("dataOutputAssociation") {
            for target in texts(assoc, "targetRef") {
                self.data_links.push((bpmn_id.clone(), target.trim().to_owned(), false));
            }
        }
        let role = match self.lane_of.get(&bpmn_id) {
            Some(lane) => lane.clone(),
            None => inherited_role.map(str::to_owned),
        };
        let StepNotes { description, duration, systems } = notes;
        let step = Step { id: id.clone(), kind, name, role, description, duration, systems, ..Step::default() };
        self.steps.push(PendingStep { bpmn_id, step });
        id
    }

    fn finish(mut self, root: &Element) -> Imported {
        let index: HashMap<String, usize> =
            self.steps.iter().enumerate().rev().map(|(i, s)| (s.bpmn_id.clone(), i)).collect();
        for flow in std::mem::take(&mut self.flows) {
            match (index.get(&flow.source), index.get(&flow.target)) {
                (Some(&from), Some(&to)) => {
                    let to = self.steps[to].step.id.clone();
                    self.steps[from].step.next.push(Flow { to, condition: flow.condition });
                }
                _ => self.warn(
                    WarningCode::DanglingFlow,
                    None,
                    format!("sequence flow from {:?} to {:?} connects no flow nodes", flow.source, flow.target),
                ),
            }
        }
        for (activity, event, label) in std::mem::take(&mut self.boundaries) {
            if let (Some(&from), Some(&to)) = (index.get(&activity), index.get(&event)) {
                let to = self.steps[to].step.id.clone();
                self.steps[from].step.next.push(Flow { to, condition: Some(label) });
            }
        }
        for (node, data, input) in std::mem::take(&mut self.data_links) {
            let (Some(&i), Some((name, store))) = (index.get(&node), self.data.get(&data)) else { continue };
            let step = &mut self.steps[i].step;
            let list = match (store, input) {
                (true, _) => &mut step.systems,
                (false, true) => &mut step.inputs,
                (false, false) => &mut step.outputs,
            };
            if !name.trim().is_empty() && !list.contains(name) {
                list.push(name.clone());
            }
        }
        let notes = documentation::parse_process(&self.paragraphs);
        let mut systems = notes.systems;
        for s in &self.systems {
            if !systems.contains(s) {
                systems.push(s.clone());
            }
        }
        let title = self.title(root);
        let process = Process {
            title,
            summary: notes.summary,
            trigger: notes.trigger,
            outcome: notes.outcome,
            roles: self.roles,
            steps: self.steps.into_iter().map(|s| s.step).collect(),
            legal_basis: notes.legal_basis,
            documents: self.documents,
            systems,
            meta: notes.meta,
        };
        Imported { process, warnings: self.warnings }
    }

    fn title(&mut self, root: &Element) -> String {
        let participants: Vec<String> = root
            .children_named("collaboration")
            .flat_map(|c| c.children_named("participant"))
            .filter(|p| p.attr("processRef").is_some())
            .map(name_of)
            .collect();
        let processes = root.children_named("process").map(name_of);
        let candidates = match participants.as_slice() {
            [one] => vec![one.clone()],
            _ => Vec::new(),
        };
        let found = candidates
            .into_iter()
            .chain(processes)
            .chain(std::iter::once(name_of(root)))
            .find(|t| !t.trim().is_empty());
        found.unwrap_or_else(|| {
            self.warn(
                WarningCode::NameAdded,
                None,
                "the document names no process; titled \"Importierter Prozess\"".into(),
            );
            "Importierter Prozess".to_owned()
        })
    }
}
