//! Support for the BPMN tests: the external checkers, and a reading of an exported document
//! that is independent of ablauf's importer (so the tests do not check ablauf with itself).

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use ablauf::process::Process;
use quick_xml::events::Event;
use quick_xml::reader::Reader;

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");

pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(ROOT).join(rel)
}

pub fn golden_process(name: &str) -> Process {
    let text = std::fs::read_to_string(repo_path(&format!("bpmn/golden/{name}.json"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

/// A folder under target/ for files the tests write (exports, PNGs from bpmn-js).
pub fn out_dir(suite: &str) -> PathBuf {
    let dir = repo_path("target/bpmn-tests").join(suite);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs all four checkers of bpmn/check on the files (the first run installs them) and
/// fails unless every file passes every one of them without a single warning.
pub fn run_external_checks(files: &[PathBuf], png_dir: &Path) -> String {
    let out = Command::new("bash")
        .arg(repo_path("bpmn/check/check-bpmn.sh"))
        .arg("--png-dir")
        .arg(png_dir)
        .args(files)
        .output()
        .expect("run bpmn/check/check-bpmn.sh");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "BPMN checks failed:\n{text}");
    assert!(!text.contains("WARNING"), "BPMN checks warned:\n{text}");
    for f in files {
        let name = f.display().to_string();
        assert!(text.contains(&format!("{name} validates")), "xmllint did not validate {name}:\n{text}");
        assert!(text.contains(&format!("{name}: valid")), "xmlschema did not validate {name}:\n{text}");
        assert!(text.contains(&format!("{name}: parsed OK")), "bpmn-moddle did not parse {name}:\n{text}");
        assert!(text.contains(&format!("{name}: imported,")), "bpmn-js did not import {name}:\n{text}");
        assert!(text.contains(", 0 warnings ->"), "bpmn-js warned on {name}:\n{text}");
    }
    text
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }

    pub fn contains(&self, o: &Rect) -> bool {
        o.x >= self.x && o.y >= self.y && o.x + o.w <= self.x + self.w && o.y + o.h <= self.y + self.h
    }

    /// True when the segment runs through the interior of the rectangle.
    pub fn crossed_by(&self, a: (f64, f64), b: (f64, f64)) -> bool {
        let (x0, x1) = (a.0.min(b.0), a.0.max(b.0));
        let (y0, y1) = (a.1.min(b.1), a.1.max(b.1));
        x0 < self.x + self.w && x1 > self.x && y0 < self.y + self.h && y1 > self.y
    }
}

/// What an exported document holds, read with a plain XML reader.
#[derive(Debug, Default)]
pub struct Diagram {
    /// Semantic elements by id: (element name, attributes).
    pub elements: BTreeMap<String, (String, HashMap<String, String>)>,
    /// Lane id -> the flow node ids it references.
    pub lane_refs: BTreeMap<String, Vec<String>>,
    pub shapes: BTreeMap<String, Rect>,
    pub edges: BTreeMap<String, Vec<(f64, f64)>>,
    pub labels: BTreeMap<String, Rect>,
}

pub const FLOW_NODES: [&str; 7] =
    ["startEvent", "endEvent", "task", "userTask", "serviceTask", "exclusiveGateway", "parallelGateway"];

impl Diagram {
    pub fn parse(xml: &str) -> Diagram {
        let mut d = Diagram::default();
        let mut reader = Reader::from_str(xml);
        reader.config_mut().trim_text(true);
        let mut current_di: Option<(String, bool)> = None;
        let mut in_label = false;
        let mut lane: Option<String> = None;
        let mut text_of: Option<String> = None;
        loop {
            match reader.read_event().unwrap() {
                Event::Start(e) | Event::Empty(e) => {
                    let name = e.local_name().as_ref().to_owned();
                    let attrs: HashMap<String, String> = e
                        .attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            let key = a.key.local_name().as_ref().to_owned();
                            (key, a.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap().into_owned())
                        })
                        .collect();
                    let num = |k: &str| attrs[k].parse::<f64>().unwrap();
                    match name.as_str() {
                        "BPMNShape" => current_di = Some((attrs["bpmnElement"].clone(), true)),
                        "BPMNEdge" => {
                            d.edges.insert(attrs["bpmnElement"].clone(), Vec::new());
                            current_di = Some((attrs["bpmnElement"].clone(), false));
                        }
                        "BPMNLabel" => in_label = true,
                        "Bounds" => {
                            let r = Rect { x: num("x"), y: num("y"), w: num("width"), h: num("height") };
                            let (el, _) = current_di.clone().unwrap();
                            if in_label {
                                d.labels.insert(el, r);
                            } else {
                                d.shapes.insert(el, r);
                            }
                        }
                        "waypoint" => {
                            let (el, _) = current_di.clone().unwrap();
                            d.edges.get_mut(&el).unwrap().push((num("x"), num("y")));
                        }
                        "lane" => {
                            lane = Some(attrs["id"].clone());
                            d.lane_refs.insert(attrs["id"].clone(), Vec::new());
                            d.elements.insert(attrs["id"].clone(), (name, attrs));
                        }
                        "flowNodeRef" => text_of = Some("flowNodeRef".into()),
                        _ => {
                            if let Some(id) = attrs.get("id") {
                                d.elements.insert(id.clone(), (name, attrs));
                            }
                        }
                    }
                }
                Event::Text(t) if text_of.take().is_some() => {
                    let id = t.xml10_content().into_owned();
                    d.lane_refs.get_mut(lane.as_ref().unwrap()).unwrap().push(id);
                }
                Event::End(e) => match e.local_name().as_ref() {
                    "BPMNLabel" => in_label = false,
                    "BPMNShape" | "BPMNEdge" => current_di = None,
                    "lane" => lane = None,
                    _ => {}
                },
                Event::Eof => break,
                _ => {}
            }
        }
        d
    }

    pub fn ids_of(&self, kinds: &[&str]) -> Vec<String> {
        self.elements.iter().filter(|(_, (k, _))| kinds.contains(&k.as_str())).map(|(id, _)| id.clone()).collect()
    }

    /// Every pool, lane, flow node and data object has a shape; every sequence flow and
    /// data association has an edge with at least two waypoints.
    pub fn assert_complete(&self) {
        let mut shaped = vec!["participant", "lane", "dataObjectReference"];
        shaped.extend(FLOW_NODES);
        for id in self.ids_of(&shaped) {
            assert!(self.shapes.contains_key(&id), "no shape for {id}");
        }
        for id in self.ids_of(&["sequenceFlow", "dataInputAssociation", "dataOutputAssociation"]) {
            let points = self.edges.get(&id).unwrap_or_else(|| panic!("no edge for {id}"));
            assert!(points.len() >= 2, "edge {id} has {} waypoints", points.len());
        }
        for (id, (kind, attrs)) in &self.elements {
            for key in ["sourceRef", "targetRef", "processRef", "dataObjectRef"] {
                if let Some(target) = attrs.get(key) {
                    assert!(self.elements.contains_key(target), "{kind} {id}: {key} {target} does not exist");
                }
            }
        }
    }

    /// No two flow node or data object shapes overlap; each flow node lies inside its
    /// lane, lanes inside the pool; sequence flows are orthogonal, start and end on the
    /// border of their source and target, and run through no other shape.
    pub fn assert_clean_geometry(&self) {
        let mut boxed: Vec<&str> = FLOW_NODES.to_vec();
        boxed.push("dataObjectReference");
        let ids = self.ids_of(&boxed);
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                assert!(!self.shapes[a].overlaps(&self.shapes[b]), "shapes of {a} and {b} overlap");
            }
        }
        let pool = self.shapes[&self.ids_of(&["participant"])[0]];
        for (lane, refs) in &self.lane_refs {
            let bounds = self.shapes[lane];
            assert!(pool.contains(&bounds), "lane {lane} leaves the pool");
            for node in refs {
                assert!(bounds.contains(&self.shapes[node]), "{node} is not inside its lane {lane}");
            }
        }
        for flow in self.ids_of(&["sequenceFlow"]) {
            let attrs = &self.elements[&flow].1;
            let (src, dst) = (&attrs["sourceRef"], &attrs["targetRef"]);
            let points = &self.edges[&flow];
            for w in points.windows(2) {
                assert!(w[0].0 == w[1].0 || w[0].1 == w[1].1, "{flow} has a diagonal segment {w:?}");
                for id in ids.iter().filter(|id| *id != src && *id != dst) {
                    assert!(!self.shapes[id].crossed_by(w[0], w[1]), "{flow} runs through {id}: {w:?}");
                }
            }
            let on_border = |r: &Rect, p: (f64, f64)| {
                let inside = p.0 >= r.x && p.0 <= r.x + r.w && p.1 >= r.y && p.1 <= r.y + r.h;
                inside && (p.0 == r.x || p.0 == r.x + r.w || p.1 == r.y || p.1 == r.y + r.h)
            };
            assert!(on_border(&self.shapes[src], points[0]), "{flow} does not start at {src}");
            assert!(on_border(&self.shapes[dst], *points.last().unwrap()), "{flow} does not end at {dst}");
        }
    }
}
