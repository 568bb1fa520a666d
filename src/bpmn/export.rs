//! Writes a process as BPMN 2.0 XML with complete diagram interchange.
//!
//! Structure: one collaboration with one participant (the pool) whose process has a lane
//! set with a lane per role (plus one for steps without a role). Ids are the step and role
//! ids where they are free, generated ones otherwise; the same process always gives the
//! same bytes.

use std::collections::{HashMap, HashSet};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::documentation::{self, ProcessNotes, StepNotes};
use super::layout::{self, Layout, Rect, Shape};
use super::{BPMN_NS, BPMNDI_NS, DC_NS, DI_NS, EXPORTER, NO_ROLE_LANE, TARGET_NAMESPACE};
use crate::process::{self, Finding, Process, Step, StepType};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("the process cannot be exported to BPMN: {}", summary(.0))]
    NotExportable(Vec<Finding>),
    #[error("cannot write the BPMN document: {0}")]
    Write(#[from] std::io::Error),
}

fn summary(findings: &[Finding]) -> String {
    findings.iter().map(|f| format!("{}: {}", f.path, f.message)).collect::<Vec<_>>().join("; ")
}

/// Validation errors that make a BPMN document impossible: ids that are not XML ids or not
/// unique, and references that lead nowhere. Other errors (an empty title, a missing start)
/// give an incomplete but well-formed diagram.
const BLOCKING: [&str; 5] = ["invalid_id", "duplicate_step_id", "duplicate_role_id", "unknown_step", "unknown_role"];

/// Exports a process as a BPMN 2.0 document (UTF-8).
pub fn export_bpmn(process: &Process) -> Result<String, ExportError> {
    let blocking: Vec<Finding> =
        process::validate(process).errors.into_iter().filter(|f| BLOCKING.contains(&f.code.as_str())).collect();
    if !blocking.is_empty() {
        return Err(ExportError::NotExportable(blocking));
    }
    let layout = layout::layout(process);
    let ids = Ids::assign(process, &layout);
    let mut w = Xml(Writer::new_with_indent(Vec::new(), b' ', 2));
    w.0.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.start(
        "bpmn:definitions",
        &[
            ("xmlns:bpmn", BPMN_NS),
            ("xmlns:bpmndi", BPMNDI_NS),
            ("xmlns:dc", DC_NS),
            ("xmlns:di", DI_NS),
            ("id", &ids.definitions),
            ("targetNamespace", TARGET_NAMESPACE),
            ("exporter", EXPORTER),
            ("exporterVersion", env!("CARGO_PKG_VERSION")),
        ],
    )?;
    w.start("bpmn:collaboration", &[("id", &ids.collaboration)])?;
    w.empty("bpmn:participant", &[("id", &ids.participant), ("name", &process.title), ("processRef", &ids.process)])?;
    w.end("bpmn:collaboration")?;
    write_process(&mut w, process, &layout, &ids)?;
    write_diagram(&mut w, process, &layout, &ids)?;
    w.end("bpmn:definitions")?;
    let bytes = w.0.into_inner();
    String::from_utf8(bytes).map_err(|e| ExportError::Write(std::io::Error::other(e)))
}

/// Every id of the document, decided up front so that references can be written anywhere.
struct Ids {
    definitions: String,
    collaboration: String,
    participant: String,
    process: String,
    lane_set: String,
    lanes: Vec<String>,
    flows: Vec<Vec<String>>,
    data_objects: Vec<(String, String)>,
    doc_refs: Vec<String>,
    properties: HashMap<usize, String>,
    associations: Vec<String>,
    diagram: String,
    plane: String,
    di: HashMap<String, String>,
}

struct Fresh(HashSet<String>);

impl Fresh {
    /// `base` if no element has it yet, else `base_2`, `base_3`, ...
    fn take(&mut self, base: &str) -> String {
        let mut id = base.to_owned();
        let mut n = 1;
        while self.0.contains(&id) {
            n += 1;
            id = format!("{base}_{n}");
        }
        self.0.insert(id.clone());
        id
    }
}

impl Ids {
    fn assign(p: &Process, layout: &Layout) -> Ids {
        let mut fresh = Fresh(p.steps.iter().map(|s| s.id.clone()).collect());
        let definitions = fresh.take("Definitions");
        let collaboration = fresh.take("Collaboration");
        let participant = fresh.take("Participant");
        let process = fresh.take("Process");
        let lane_set = fresh.take("LaneSet");
        let lanes = layout
            .lanes
            .iter()
            .map(|l| match l.role {
                Some(r) => fresh.take(&p.roles[r].id),
                None => fresh.take("Lane_ohne_Rolle"),
            })
            .collect();
        let mut n = 0;
        let flows = p
            .steps
            .iter()
            .map(|s| {
                s.next
                    .iter()
                    .map(|_| {
                        n += 1;
                        fresh.take(&format!("Flow_{n}"))
                    })
                    .collect()
            })
            .collect();
        let data_objects = document_names(p)
            .into_iter()
            .enumerate()
            .map(|(i, name)| (fresh.take(&format!("DataObject_{}", i + 1)), name))
            .collect();
        let doc_refs = (1..=layout.docs.len()).map(|i| fresh.take(&format!("DataObjectReference_{i}"))).collect();
        let mut properties = HashMap::new();
        for d in layout.docs.iter().filter(|d| d.input) {
            if !properties.contains_key(&d.step) {
                let id = fresh.take(&format!("Property_{}", properties.len() + 1));
                properties.insert(d.step, id);
            }
        }
        let associations = layout
            .docs
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let kind = if d.input { "DataInputAssociation" } else { "DataOutputAssociation" };
                fresh.take(&format!("{kind}_{}", i + 1))
            })
            .collect();
        let diagram = fresh.take("Diagram");
        let plane = fresh.take("Plane");
        let mut ids = Ids {
            definitions,
            collaboration,
            participant,
            process,
            lane_set,
            lanes,
            flows,
            data_objects,
            doc_refs,
            properties,
            associations,
            diagram,
            plane,
            di: HashMap::new(),
        };
        let drawn: Vec<String> = std::iter::once(ids.participant.clone())
            .chain(ids.lanes.iter().cloned())
            .chain(p.steps.iter().map(|s| s.id.clone()))
            .chain(ids.doc_refs.iter().cloned())
            .chain(ids.flows.iter().flatten().cloned())
            .chain(ids.associations.iter().cloned())
            .collect();
        for id in drawn {
            let di = fresh.take(&format!("{id}_di"));
            ids.di.insert(id, di);
        }
        ids
    }

    fn di(&self, id: &str) -> &str {
        self.di.get(id).map_or("", String::as_str)
    }
}

/// Every document the process names, once, in order of first mention.
pub(super) fn document_names(p: &Process) -> Vec<String> {
    let mut seen = HashSet::new();
    let steps = p.steps.iter().flat_map(|s| s.inputs.iter().chain(&s.outputs));
    p.documents.iter().chain(steps).filter(|d| !d.trim().is_empty() && seen.insert(d.as_str())).cloned().collect()
}

fn element_name(step: &Step, p: &Process) -> &'static str {
    match step.kind {
        StepType::Start => "bpmn:startEvent",
        StepType::End => "bpmn:endEvent",
        StepType::Decision => "bpmn:exclusiveGateway",
        StepType::Parallel => "bpmn:parallelGateway",
        StepType::Task if step.role.as_deref().is_some_and(|r| p.role(r).is_some()) => "bpmn:userTask",
        StepType::Task if !step.systems.is_empty() => "bpmn:serviceTask",
        StepType::Task => "bpmn:task",
    }
}

fn write_process(w: &mut Xml, p: &Process, layout: &Layout, ids: &Ids) -> std::io::Result<()> {
    w.start("bpmn:process", &[("id", &ids.process), ("name", &p.title), ("isExecutable", "false")])?;
    let notes = ProcessNotes {
        summary: p.summary.clone(),
        trigger: p.trigger.clone(),
        outcome: p.outcome.clone(),
        legal_basis: p.legal_basis.clone(),
        systems: p.systems.clone(),
        meta: p.meta.clone(),
    };
    w.documentation(&documentation::process_paragraphs(&notes))?;

    w.start("bpmn:laneSet", &[("id", &ids.lane_set)])?;
    for (l, lane) in layout.lanes.iter().enumerate() {
        let role = lane.role.map(|r| &p.roles[r]);
        w.start("bpmn:lane", &[("id", &ids.lanes[l]), ("name", role.map_or(NO_ROLE_LANE, |r| r.name.as_str()))])?;
        if let Some(unit) = role.and_then(|r| r.unit.as_deref()) {
            w.documentation(&[documentation::unit_paragraph(unit)])?;
        }
        for s in p.steps.iter().filter(|s| layout::lane_of(p, s) == lane.role) {
            w.text_element("bpmn:flowNodeRef", &[], &s.id)?;
        }
        w.end("bpmn:lane")?;
    }
    w.end("bpmn:laneSet")?;

    let index: HashMap<&str, usize> = p.steps.iter().enumerate().rev().map(|(i, s)| (s.id.as_str(), i)).collect();
    let mut incoming: Vec<Vec<&str>> = vec![Vec::new(); p.steps.len()];
    for (i, s) in p.steps.iter().enumerate() {
        for (j, f) in s.next.iter().enumerate() {
            if let Some(&t) = index.get(f.to.as_str()) {
                incoming[t].push(&ids.flows[i][j]);
            }
        }
    }
    for (i, s) in p.steps.iter().enumerate() {
        let name = element_name(s, p);
        w.start(name, &[("id", &s.id), ("name", &s.name)])?;
        let notes =
            StepNotes { description: s.description.clone(), duration: s.duration.clone(), systems: s.systems.clone() };
        w.documentation(&documentation::step_paragraphs(&notes))?;
        for flow in &incoming[i] {
            w.text_element("bpmn:incoming", &[], flow)?;
        }
        for flow in &ids.flows[i] {
            w.text_element("bpmn:outgoing", &[], flow)?;
        }
        if let Some(property) = ids.properties.get(&i) {
            w.empty("bpmn:property", &[("id", property), ("name", "__targetRef_placeholder")])?;
        }
        for (d, doc) in layout.docs.iter().enumerate().filter(|(_, d)| d.step == i && d.input) {
            w.start("bpmn:dataInputAssociation", &[("id", &ids.associations[d])])?;
            w.text_element("bpmn:sourceRef", &[], &ids.doc_refs[d])?;
            w.text_element("bpmn:targetRef", &[], ids.properties.get(&doc.step).map_or("", String::as_str))?;
            w.end("bpmn:dataInputAssociation")?;
        }
        for (d, _) in layout.docs.iter().enumerate().filter(|(_, d)| d.step == i && !d.input) {
            w.start("bpmn:dataOutputAssociation", &[("id", &ids.associations[d])])?;
            w.text_element("bpmn:targetRef", &[], &ids.doc_refs[d])?;
            w.end("bpmn:dataOutputAssociation")?;
        }
        w.end(name)?;
    }
    for (id, name) in &ids.data_objects {
        w.empty("bpmn:dataObject", &[("id", id), ("name", name)])?;
    }
    for (d, doc) in layout.docs.iter().enumerate() {
        let object = ids.data_objects.iter().find(|(_, n)| *n == doc.document).map_or("", |(id, _)| id.as_str());
        w.empty(
            "bpmn:dataObjectReference",
            &[("id", &ids.doc_refs[d]), ("name", &doc.document), ("dataObjectRef", object)],
        )?;
    }
    for (i, s) in p.steps.iter().enumerate() {
        for (j, f) in s.next.iter().enumerate() {
            let condition = f.condition.as_deref().unwrap_or("");
            w.empty(
                "bpmn:sequenceFlow",
                &[("id", &ids.flows[i][j]), ("name", condition), ("sourceRef", &s.id), ("targetRef", &f.to)],
            )?;
        }
    }
    w.end("bpmn:process")
}

fn write_diagram(w: &mut Xml, p: &Process, layout: &Layout, ids: &Ids) -> std::io::Result<()> {
    w.start("bpmndi:BPMNDiagram", &[("id", &ids.diagram)])?;
    w.start("bpmndi:BPMNPlane", &[("id", &ids.plane), ("bpmnElement", &ids.collaboration)])?;
    w.shape(ids.di(&ids.participant), &ids.participant, &[("isHorizontal", "true")], &layout.pool, None)?;
    for (l, lane) in layout.lanes.iter().enumerate() {
        w.shape(ids.di(&ids.lanes[l]), &ids.lanes[l], &[("isHorizontal", "true")], &lane.bounds, None)?;
    }
    for (s, node) in p.steps.iter().zip(&layout.nodes) {
        let marker: &[(&str, &str)] = if s.kind == StepType::Decision { &[("isMarkerVisible", "true")] } else { &[] };
        let label = if Shape::of(s.kind) == Shape::Task { None } else { node.label.as_ref() };
        w.shape(ids.di(&s.id), &s.id, marker, &node.bounds, label)?;
    }
    for (d, doc) in layout.docs.iter().enumerate() {
        w.shape(ids.di(&ids.doc_refs[d]), &ids.doc_refs[d], &[], &doc.bounds, Some(&doc.label))?;
    }
    for edge in &layout.edges {
        let id = &ids.flows[edge.from][edge.flow];
        let points: Vec<(f64, f64)> = edge.points.iter().map(|p| (p.x, p.y)).collect();
        w.edge(ids.di(id), id, &points, edge.label.as_ref())?;
    }
    for (d, doc) in layout.docs.iter().enumerate() {
        let id = &ids.associations[d];
        let points: Vec<(f64, f64)> = doc.points.iter().map(|p| (p.x, p.y)).collect();
        w.edge(ids.di(id), id, &points, None)?;
    }
    w.end("bpmndi:BPMNPlane")?;
    w.end("bpmndi:BPMNDiagram")
}

/// Coordinates are whole numbers almost everywhere; written without a trailing ".0".
fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == 0.0 { "0".to_owned() } else { format!("{r}") }
}

/// Replaces characters XML 1.0 cannot carry, not even escaped (most C0 controls).
fn xml_safe(s: &str) -> std::borrow::Cow<'_, str> {
    let legal = |c: char| matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}');
    if s.chars().all(legal) {
        s.into()
    } else {
        s.chars().map(|c| if legal(c) { c } else { '\u{FFFD}' }).collect::<String>().into()
    }
}

/// A thin layer over quick-xml's writer; empty attribute values are left out.
struct Xml(Writer<Vec<u8>>);

impl Xml {
    fn tag<'a>(name: &'a str, attrs: &[(&str, &str)]) -> BytesStart<'a> {
        let mut start = BytesStart::new(name);
        for (k, v) in attrs.iter().filter(|(_, v)| !v.is_empty()) {
            start.push_attribute((*k, xml_safe(v).as_ref()));
        }
        start
    }

    fn start(&mut self, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
        self.0.write_event(Event::Start(Self::tag(name, attrs)))
    }

    fn end(&mut self, name: &str) -> std::io::Result<()> {
        self.0.write_event(Event::End(BytesEnd::new(name)))
    }

    fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) -> std::io::Result<()> {
        self.0.write_event(Event::Empty(Self::tag(name, attrs)))
    }

    fn text_element(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) -> std::io::Result<()> {
        self.start(name, attrs)?;
        self.0.write_event(Event::Text(BytesText::new(&xml_safe(text))))?;
        self.end(name)
    }

    fn documentation(&mut self, paragraphs: &[String]) -> std::io::Result<()> {
        for p in paragraphs {
            self.text_element("bpmn:documentation", &[], p)?;
        }
        Ok(())
    }

    fn bounds(&mut self, r: &Rect) -> std::io::Result<()> {
        let (x, y, wd, h) = (num(r.x), num(r.y), num(r.w), num(r.h));
        self.empty("dc:Bounds", &[("x", &x), ("y", &y), ("width", &wd), ("height", &h)])
    }

    fn label(&mut self, label: Option<&Rect>) -> std::io::Result<()> {
        if let Some(r) = label {
            self.start("bpmndi:BPMNLabel", &[])?;
            self.bounds(r)?;
            self.end("bpmndi:BPMNLabel")?;
        }
        Ok(())
    }

    fn shape(
        &mut self,
        id: &str,
        element: &str,
        extra: &[(&str, &str)],
        bounds: &Rect,
        label: Option<&Rect>,
    ) -> std::io::Result<()> {
        let mut attrs = vec![("id", id), ("bpmnElement", element)];
        attrs.extend_from_slice(extra);
        self.start("bpmndi:BPMNShape", &attrs)?;
        self.bounds(bounds)?;
        self.label(label)?;
        self.end("bpmndi:BPMNShape")
    }

    fn edge(&mut self, id: &str, element: &str, points: &[(f64, f64)], label: Option<&Rect>) -> std::io::Result<()> {
        self.start("bpmndi:BPMNEdge", &[("id", id), ("bpmnElement", element)])?;
        for (x, y) in points {
            self.empty("di:waypoint", &[("x", &num(*x)), ("y", &num(*y))])?;
        }
        self.label(label)?;
        self.end("bpmndi:BPMNEdge")
    }
}
