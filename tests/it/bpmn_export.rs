//! BPMN export: golden files, the four external checkers (XSD twice, bpmn-moddle, bpmn-js
//! in headless Chromium), geometry and references read back independently, exact text
//! round trips, and a property test over random valid processes.

use crate::bpmn_common;

use ablauf::bpmn::{ExportError, export_bpmn, import_bpmn};
use ablauf::process::{self, Flow, Meta, Process, Role, Step, StepType};
use bpmn_common::{Diagram, golden_process, out_dir, repo_path, run_external_checks};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

const GOLDEN: [&str; 6] = ["linear", "decisions", "loops", "parallel", "many_roles", "large"];

fn fixture() -> Process {
    serde_json::from_str(include_str!("../fixtures/anwohnerparkausweis.json")).unwrap()
}

/// Set ABLAUF_UPDATE_GOLDEN=1 to rewrite the golden files after an intended change.
#[test]
fn exports_match_the_golden_files_byte_for_byte() {
    let update = std::env::var_os("ABLAUF_UPDATE_GOLDEN").is_some();
    for name in GOLDEN {
        let p = golden_process(name);
        let xml = export_bpmn(&p).unwrap();
        assert_eq!(xml, export_bpmn(&p).unwrap(), "{name}: export is not deterministic");
        let path = repo_path(&format!("bpmn/golden/{name}.bpmn"));
        if update {
            std::fs::write(&path, &xml).unwrap();
        }
        let golden = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(golden == xml, "{name}: export differs from {} (ABLAUF_UPDATE_GOLDEN=1 rewrites it)", path.display());
    }
}

#[test]
fn golden_exports_pass_every_checker_and_have_clean_geometry() {
    let dir = out_dir("golden");
    let mut files = Vec::new();
    let mut processes: Vec<(String, Process)> = GOLDEN.iter().map(|n| (n.to_string(), golden_process(n))).collect();
    processes.push(("anwohnerparkausweis".into(), fixture()));
    for (name, p) in &processes {
        let xml = export_bpmn(p).unwrap();
        let d = Diagram::parse(&xml);
        d.assert_complete();
        d.assert_clean_geometry();
        let path = dir.join(format!("{name}.bpmn"));
        std::fs::write(&path, xml).unwrap();
        files.push(path);
    }
    // bpmn-js saves a PNG of each diagram next to the files, to look at.
    run_external_checks(&files, &dir);
}

#[test]
fn the_structure_follows_roles_kinds_and_conditions() {
    let p = fixture();
    let xml = export_bpmn(&p).unwrap();
    let d = Diagram::parse(&xml);
    let kind = |id: &str| d.elements[id].0.clone();
    assert_eq!(kind("s1"), "startEvent");
    assert_eq!(kind("s2"), "userTask", "a step with a role is done by a person");
    assert_eq!(kind("s3"), "exclusiveGateway");
    assert_eq!(kind("s8"), "endEvent");
    // One lane per role, plus one for the end event that has no role.
    let lanes: Vec<String> = d.ids_of(&["lane"]);
    assert_eq!(lanes, ["Lane_ohne_Rolle", "buerger", "kasse", "sb"]);
    assert_eq!(d.lane_refs["Lane_ohne_Rolle"], ["s8"]);
    assert_eq!(d.elements["Lane_ohne_Rolle"].1["name"], "Ohne Rolle");
    let conditions: Vec<String> = d
        .ids_of(&["sequenceFlow"])
        .iter()
        .filter(|f| d.elements[*f].1["sourceRef"] == "s3")
        .map(|f| d.elements[f].1["name"].clone())
        .collect();
    assert_eq!(conditions, ["ja", "nein"]);
    assert_eq!(d.ids_of(&["dataObjectReference"]).len(), 4, "one document icon per use");
    assert_eq!(d.ids_of(&["dataObject"]).len(), 4, "one data object per document");
    assert!(xml.contains("<bpmn:documentation>Rechtsgrundlage: § 45 Abs. 1b Nr. 2a StVO</bpmn:documentation>"));
    assert!(xml.contains("targetNamespace=\"https://ablauf.example/bpmn\""));

    let mut service = p.clone();
    service.steps[4].role = None;
    let d = Diagram::parse(&export_bpmn(&service).unwrap());
    assert_eq!(d.elements["s5"].0, "serviceTask", "a step with a system and no role is done by the system");
    service.steps[4].systems.clear();
    let d = Diagram::parse(&export_bpmn(&service).unwrap());
    assert_eq!(d.elements["s5"].0, "task");

    let parallel = golden_process("parallel");
    let d = Diagram::parse(&export_bpmn(&parallel).unwrap());
    assert_eq!(d.elements["p1"].0, "parallelGateway");
}

#[test]
fn text_with_markup_characters_round_trips_exactly() {
    let mut p = fixture();
    p.title = "Straße & Weg <Ausbau> \"Süd\" 'Nord'".into();
    p.summary = "Zeile 1\nZeile 2\twith tab\r\nund CRLF; &amp; bleibt &amp;".into();
    p.roles[1].name = "Sachbearbeitung \"Verkehr\" & <Parken>".into();
    p.steps[1].name = "Prüfen: a < b && c > d".into();
    p.steps[1].description = Some("  führende Leerzeichen und ]]> CDATA-Ende ".into());
    p.steps[2].next[0].condition = Some("ja, \"gültig\" & <vollständig>\nzweite Zeile".into());
    p.legal_basis.push("§ 1 <Satzung> & 'Anlage'".into());
    let xml = export_bpmn(&p).unwrap();
    let back = import_bpmn(xml.as_bytes()).unwrap();
    assert_eq!(back.process, p);
    assert!(back.warnings.is_empty(), "{:?}", back.warnings);
}

#[test]
fn broken_references_are_refused_with_the_reason() {
    let mut p = fixture();
    p.steps[1].next[0].to = "nirgendwo".into();
    p.steps[2].role = Some("unbekannt".into());
    match export_bpmn(&p) {
        Err(ExportError::NotExportable(findings)) => {
            let codes: Vec<&str> = findings.iter().map(|f| f.code.as_str()).collect();
            assert_eq!(codes, ["unknown_step", "unknown_role"]);
        }
        other => panic!("expected NotExportable, got {other:?}"),
    }
}

#[test]
fn an_incomplete_process_still_exports_a_valid_document() {
    let p = Process {
        title: String::new(),
        steps: vec![Step { id: "a".into(), name: "Allein".into(), ..Step::default() }],
        ..Process::default()
    };
    assert!(!process::validate(&p).valid || !process::validate(&p).warnings.is_empty());
    let d = Diagram::parse(&export_bpmn(&p).unwrap());
    d.assert_complete();
    d.assert_clean_geometry();
}

/// Random valid processes: 1-5 roles, 2-40 steps between a start and an end, decisions
/// with labelled branches, parallel gateways, loops back, documents, and names with
/// umlauts and XML markup characters.
fn arb_process() -> impl Strategy<Value = Process> {
    let text = || proptest::string::string_regex("[A-Za-zÄÖÜäöüß0-9&<>\"' §.,:/-]{1,40}").unwrap();
    let kinds = prop::collection::vec(
        prop_oneof![6 => Just(StepType::Task), 2 => Just(StepType::Decision), 1 => Just(StepType::Parallel)],
        2..40,
    );
    (1usize..6, kinds, prop::collection::vec((text(), any::<u64>()), 42), text())
        .prop_map(|(role_count, kinds, names, title)| {
            let roles: Vec<Role> = (0..role_count)
                .map(|r| Role { id: format!("r{r}"), name: names[r].0.trim().to_owned() + " R", unit: None })
                .collect();
            let n = kinds.len() + 2;
            let mut steps = Vec::with_capacity(n);
            let mut documents = Vec::new();
            for i in 0..n {
                let (name, seed) = &names[i % names.len()];
                let kind = if i == 0 {
                    StepType::Start
                } else if i == n - 1 {
                    StepType::End
                } else {
                    kinds[i - 1]
                };
                let next_id = |j: usize| format!("s{}", j.min(n - 1));
                let mut next = Vec::new();
                if kind != StepType::End {
                    next.push(Flow { to: next_id(i + 1), condition: None });
                }
                match kind {
                    StepType::Decision => {
                        // The other branch jumps ahead or loops back.
                        let jump = (seed % 7) as usize;
                        let target = if seed % 3 == 0 { i.saturating_sub(jump).max(1) } else { i + 2 + jump };
                        if next_id(target) != next[0].to {
                            next.push(Flow { to: next_id(target), condition: None });
                        }
                        for (k, f) in next.iter_mut().enumerate() {
                            f.condition = Some(if k == 0 { "ja".into() } else { format!("nein {seed}") });
                        }
                    }
                    StepType::Parallel if i + 2 < n => next.push(Flow { to: next_id(i + 2), condition: None }),
                    _ => {}
                }
                let role = (seed % (role_count as u64 + 1)) as usize;
                let mut outputs = Vec::new();
                if kind == StepType::Task && seed % 4 == 0 {
                    let doc = format!("Dokument {}", seed % 5);
                    if !documents.contains(&doc) {
                        documents.push(doc.clone());
                    }
                    outputs.push(doc);
                }
                let named = matches!(kind, StepType::Task | StepType::Decision) || seed % 2 == 0;
                steps.push(Step {
                    id: format!("s{i}"),
                    kind,
                    name: if named { format!("{} {i}", name.trim()) } else { String::new() },
                    role: (role < role_count).then(|| format!("r{role}")),
                    next,
                    outputs,
                    ..Step::default()
                });
            }
            Process {
                title: title.trim().to_owned() + " Prozess",
                roles,
                steps,
                documents,
                legal_basis: vec!["§ 1 Satzung".into()],
                meta: Meta::default(),
                ..Process::default()
            }
        })
        .prop_filter("valid", |p| process::validate(p).valid)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    /// Any valid process: deterministic export, complete diagram interchange, no dangling
    /// references, no overlapping shapes, orthogonal edges through no foreign shape, and an
    /// import that gives back the same process.
    #[test]
    fn any_valid_process_exports_to_clean_bpmn(p in arb_process()) {
        let xml = export_bpmn(&p).unwrap();
        prop_assert_eq!(&xml, &export_bpmn(&p).unwrap());
        let d = Diagram::parse(&xml);
        d.assert_complete();
        d.assert_clean_geometry();
        let back = import_bpmn(xml.as_bytes()).unwrap();
        prop_assert_eq!(back.process, p);
    }
}

/// The external checkers are slow (a Chromium start per file), so they see a fixed sample.
#[test]
fn random_processes_pass_every_checker() {
    let mut runner = TestRunner::new_with_rng(Config::default(), TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]));
    let dir = out_dir("random");
    let mut files = Vec::new();
    for i in 0..6 {
        let p = arb_process().new_tree(&mut runner).unwrap().current();
        let path = dir.join(format!("random_{i}.bpmn"));
        std::fs::write(&path, export_bpmn(&p).unwrap()).unwrap();
        files.push(path);
    }
    run_external_checks(&files, &dir);
}
