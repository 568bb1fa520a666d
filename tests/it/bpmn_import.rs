//! BPMN import: the 21 OMG BPMN MIWG reference models (counts and stable round trips, and
//! their re-exports through every checker), warnings for what the model cannot hold,
//! hostile input, and the CLI and HTTP entry points.

use crate::bpmn_common;
use crate::common;

use std::collections::BTreeMap;
use std::process::Command;

use ablauf::bpmn::{ImportError, MAX_BYTES, MAX_DEPTH, WarningCode, export_bpmn, import_bpmn};
use ablauf::process::StepType;
use bpmn_common::{out_dir, repo_path, run_external_checks};
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

/// The 21 reference models of the OMG BPMN MIWG test suite, copied to bpmn/miwg.
fn miwg_files() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(repo_path("bpmn/miwg"))
        .unwrap()
        .filter_map(|e| e.unwrap().file_name().to_str()?.strip_suffix(".bpmn").map(str::to_owned))
        .collect();
    names.sort();
    assert_eq!(names.len(), 21);
    names
}

fn miwg(name: &str) -> Vec<u8> {
    std::fs::read(repo_path(&format!("bpmn/miwg/{name}.bpmn"))).unwrap()
}

/// Counts of flow elements in a document, by a plain namespace-aware scan of the file
/// (every depth, every process), independent of the importer.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    tasks: usize,
    gateways: usize,
    events: usize,
    flows: usize,
}

fn count_file(bytes: &[u8]) -> Counts {
    const TASKS: [&str; 12] = [
        "task",
        "userTask",
        "manualTask",
        "serviceTask",
        "sendTask",
        "receiveTask",
        "scriptTask",
        "businessRuleTask",
        "callActivity",
        "subProcess",
        "transaction",
        "adHocSubProcess",
    ];
    const GATEWAYS: [&str; 5] =
        ["exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"];
    const EVENTS: [&str; 5] =
        ["startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"];
    let text = String::from_utf8_lossy(bytes);
    let mut reader = NsReader::from_str(&text);
    let mut c = Counts::default();
    loop {
        match reader.read_resolved_event().unwrap() {
            (ResolveResult::Bound(ns), Event::Start(e) | Event::Empty(e))
                if ns.as_ref() == "http://www.omg.org/spec/BPMN/20100524/MODEL" =>
            {
                let name = e.local_name().as_ref().to_owned();
                let n = name.as_str();
                c.tasks += TASKS.contains(&n) as usize;
                c.gateways += GATEWAYS.contains(&n) as usize;
                c.events += EVENTS.contains(&n) as usize;
                c.flows += (n == "sequenceFlow") as usize;
            }
            (_, Event::Eof) => break,
            _ => {}
        }
    }
    c
}

/// Counts in an imported process. Intermediate and boundary events become task steps (the
/// model has only start and end events); the importer names each in a warning, so they are
/// counted as events here, and the branch a boundary event adds is not counted as a flow.
fn count_imported(imported: &ablauf::bpmn::Imported) -> Counts {
    let from_events: Vec<&str> = imported
        .warnings
        .iter()
        .filter(|w| matches!(w.code, WarningCode::EventAsTask | WarningCode::BoundaryEvent))
        .filter_map(|w| w.element.as_deref())
        .collect();
    let boundaries = imported.warnings.iter().filter(|w| w.code == WarningCode::BoundaryEvent).count();
    let steps = &imported.process.steps;
    let of = |k: StepType| steps.iter().filter(|s| s.kind == k && !from_events.contains(&s.id.as_str())).count();
    Counts {
        tasks: of(StepType::Task),
        gateways: of(StepType::Decision) + of(StepType::Parallel),
        events: of(StepType::Start) + of(StepType::End) + from_events.len(),
        flows: steps.iter().map(|s| s.next.len()).sum::<usize>() - boundaries,
    }
}

#[test]
fn miwg_reference_models_import_with_matching_counts_and_stable_round_trips() {
    let mut table = String::from(
        "| file | tasks | gateways | events | sequence flows | warnings | export → import → export stable |\n\
         |---|---|---|---|---|---|---|\n",
    );
    for name in miwg_files() {
        let bytes = miwg(&name);
        let expected = count_file(&bytes);
        let imported = import_bpmn(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        let got = count_imported(&imported);
        assert_eq!(got, expected, "{name}: imported counts differ from the file");
        let first = export_bpmn(&imported.process).unwrap_or_else(|e| panic!("{name}: {e}"));
        let again = import_bpmn(first.as_bytes()).unwrap();
        assert_eq!(again.process, imported.process, "{name}: export then import changed the process");
        let second = export_bpmn(&again.process).unwrap();
        let stable = first == second;
        assert!(stable, "{name}: export → import → export is not stable");
        let cell = |g: usize, e: usize| format!("{g} / {e}");
        table.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {} | {} |\n",
            cell(got.tasks, expected.tasks),
            cell(got.gateways, expected.gateways),
            cell(got.events, expected.events),
            cell(got.flows, expected.flows),
            imported.warnings.len(),
            if stable { "yes" } else { "no" }
        ));
    }
    std::fs::write(out_dir("miwg").join("table.md"), &table).unwrap();
    eprintln!("imported / in file:\n{table}");
}

#[test]
fn miwg_re_exports_pass_every_checker() {
    let dir = out_dir("miwg");
    let files: Vec<_> = miwg_files()
        .iter()
        .map(|name| {
            let imported = import_bpmn(&miwg(name)).unwrap();
            let path = dir.join(format!("{name}.bpmn"));
            std::fs::write(&path, export_bpmn(&imported.process).unwrap()).unwrap();
            path
        })
        .collect();
    run_external_checks(&files, &dir);
}

#[test]
fn what_the_model_cannot_hold_becomes_warnings() {
    let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL" xmlns:v="urn:vendor" id="d" targetNamespace="urn:x">
  <collaboration id="c">
    <participant id="pool" name="Bürgerbüro" processRef="p"/>
    <participant id="ext" name="Bürger"/>
    <messageFlow id="m" sourceRef="ext" targetRef="t1"/>
  </collaboration>
  <process id="p">
    <extensionElements><v:meta/></extensionElements>
    <startEvent id="s"/>
    <userTask id="t1" name="Antrag prüfen"><standardLoopCharacteristics/></userTask>
    <boundaryEvent id="b" name="Frist abgelaufen" attachedToRef="t1"><timerEventDefinition/></boundaryEvent>
    <intermediateCatchEvent id="w"><messageEventDefinition/></intermediateCatchEvent>
    <inclusiveGateway id="g"/>
    <subProcess id="sp" name="Prüfen">
      <startEvent id="ss"/><task id="st" name="Innen"/><endEvent id="se"/>
      <sequenceFlow id="sf1" sourceRef="ss" targetRef="st"/><sequenceFlow id="sf2" sourceRef="st" targetRef="se"/>
    </subProcess>
    <endEvent id="e"/>
    <textAnnotation id="a"><text>Hinweis</text></textAnnotation>
    <sequenceFlow id="f1" sourceRef="s" targetRef="t1"/>
    <sequenceFlow id="f2" sourceRef="t1" targetRef="w"/>
    <sequenceFlow id="f3" sourceRef="w" targetRef="g"/>
    <sequenceFlow id="f4" name="vollständig" sourceRef="g" targetRef="sp"/>
    <sequenceFlow id="f5" sourceRef="sp" targetRef="e"/>
    <sequenceFlow id="f6" sourceRef="b" targetRef="e"/>
    <sequenceFlow id="f7" sourceRef="nowhere" targetRef="e"/>
  </process>
</definitions>"#;
    let imported = import_bpmn(xml.as_bytes()).unwrap();
    let codes: BTreeMap<WarningCode, usize> = imported.warnings.iter().fold(BTreeMap::new(), |mut m, w| {
        *m.entry(w.code).or_default() += 1;
        m
    });
    for code in [
        WarningCode::MessageFlow,
        WarningCode::EmptyPool,
        WarningCode::Extension,
        WarningCode::LoopMarker,
        WarningCode::BoundaryEvent,
        WarningCode::EventTrigger,
        WarningCode::EventAsTask,
        WarningCode::GatewayKind,
        WarningCode::SubProcess,
        WarningCode::Artifact,
        WarningCode::DanglingFlow,
        WarningCode::NameAdded,
    ] {
        assert!(codes.contains_key(&code), "no {code:?} warning in {:#?}", imported.warnings);
    }
    let p = &imported.process;
    assert_eq!(p.title, "Bürgerbüro");
    assert_eq!(p.roles.len(), 1, "the pool without lanes is one role");
    assert!(p.steps.iter().all(|s| s.role.as_deref() == Some("pool")));
    let t1 = p.step("t1").unwrap();
    assert_eq!(t1.next.len(), 2, "the boundary event is a branch of its activity");
    assert_eq!(t1.next[1].to, "b");
    assert_eq!(t1.next[1].condition.as_deref(), Some("Frist abgelaufen"));
    assert_eq!(p.step("w").unwrap().name, "Nachricht", "an unnamed event is named after its trigger");
    assert_eq!(p.step("g").unwrap().kind, StepType::Decision);
    assert_eq!(p.step("g").unwrap().next[0].condition.as_deref(), Some("vollständig"));
    assert_eq!(p.step("st").unwrap().next[0].to, "se", "inner steps of the sub-process keep their flow");
    assert_eq!(p.steps.len(), 10);
}

/// One level of the billion laughs attack: ten entities, each ten times the one before.
const BILLION_LAUGHS: &str = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol9 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><process id="p" name="&lol9;"/></definitions>"#;

#[test]
fn hostile_and_broken_documents_get_clear_errors() {
    let ok = String::from_utf8(miwg("A.2.0")).unwrap();
    let truncated = &ok[..ok.len() / 2];
    assert!(matches!(
        import_bpmn(truncated.as_bytes()),
        Err(ImportError::Truncated { .. } | ImportError::Malformed { .. })
    ));

    let wrong_ns = ok.replace("http://www.omg.org/spec/BPMN/20100524/MODEL", "http://example.org/not-bpmn");
    let err = import_bpmn(wrong_ns.as_bytes()).unwrap_err();
    assert!(matches!(err, ImportError::NotBpmn { .. }), "{err}");
    assert!(err.to_string().contains("http://example.org/not-bpmn"));

    assert!(matches!(import_bpmn(BILLION_LAUGHS.as_bytes()), Err(ImportError::Dtd)));
    let xxe = r#"<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">&x;</definitions>"#;
    assert!(matches!(import_bpmn(xxe.as_bytes()), Err(ImportError::Dtd)));
    let undeclared = r#"<definitions xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"><documentation>&x;</documentation></definitions>"#;
    assert!(matches!(import_bpmn(undeclared.as_bytes()), Err(ImportError::UndefinedEntity(e)) if e == "x"));

    // 50 MB is refused before any parsing.
    let mut huge = ok.clone().into_bytes();
    huge.resize(50 * 1024 * 1024, b' ');
    assert!(matches!(import_bpmn(&huge), Err(ImportError::TooLarge { limit, .. }) if limit == MAX_BYTES));

    let deep = format!(
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">{}{}</definitions>",
        "<documentation>".repeat(100_000),
        "</documentation>".repeat(100_000)
    );
    assert!(matches!(import_bpmn(deep.as_bytes()), Err(ImportError::TooDeep { limit }) if limit == MAX_DEPTH));
    let deep_foreign = format!(
        "<definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"><extensionElements>{}</extensionElements></definitions>",
        "<x:a xmlns:x=\"urn:x\">".repeat(5_000)
    );
    assert!(matches!(import_bpmn(deep_foreign.as_bytes()), Err(ImportError::TooDeep { .. })));

    assert!(matches!(import_bpmn(b""), Err(ImportError::Empty)));
    assert!(matches!(import_bpmn(b"not xml at all"), Err(ImportError::Empty | ImportError::Malformed { .. })));
    assert!(matches!(import_bpmn(b"<a><b></a>"), Err(ImportError::Malformed { .. } | ImportError::NotBpmn { .. })));
    assert!(matches!(
        import_bpmn(b"<?xml version=\"1.0\"?>\n<definitions \xff\xfe>"),
        Err(ImportError::Encoding { .. })
    ));
    let latin1 = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><definitions xmlns=\"http://www.omg.org/spec/BPMN/20100524/MODEL\"><process id=\"p\" name=\"Stra\xdfe\"><task id=\"t\" name=\"pr\xfcfen\"/></process></definitions>";
    let imported = import_bpmn(latin1).unwrap();
    assert_eq!(imported.process.title, "Straße");
    assert_eq!(imported.process.steps[0].name, "prüfen");
}

#[test]
fn cli_import_prints_the_process_and_reports_warnings_on_stderr() {
    let out =
        Command::new(common::BIN).args(["import", "--file"]).arg(repo_path("bpmn/miwg/B.2.0.bpmn")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let process: ablauf::process::Process = serde_json::from_slice(&out.stdout).unwrap();
    assert!(process.steps.len() > 90);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("warning [message_flow]"), "{stderr}");

    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.bpmn");
    std::fs::write(&bomb, BILLION_LAUGHS).unwrap();
    let out = Command::new(common::BIN).args(["import", "--file"]).arg(&bomb).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("DTD"));
    assert!(out.stdout.is_empty());
}

#[test]
fn http_import_answers_process_warnings_and_validation() {
    let dir = tempfile::tempdir().unwrap();
    let server = common::Server::start(dir.path());
    let agent = common::agent();
    let url = server.url("/api/import/bpmn");

    let resp = agent
        .post(&url)
        .header("authorization", common::ADMIN)
        .header("content-type", "application/xml")
        .send(miwg("C.4.0"))
        .unwrap();
    let (status, body) = common::json(resp);
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["process"]["title"], "Money Bank - Process");
    assert!(
        body["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w["code"] == "message_flow" || w["code"] == "event_trigger")
    );
    assert!(body["validation"]["valid"].is_boolean());

    let resp = agent
        .post(&url)
        .header("authorization", common::ADMIN)
        .header("content-type", "text/xml; charset=utf-8")
        .send(BILLION_LAUGHS)
        .unwrap();
    let (status, body) = common::json(resp);
    assert_eq!(status, 422);
    assert_eq!(body["error_type"], "invalid_bpmn");

    let resp = agent
        .post(&url)
        .header("authorization", common::ADMIN)
        .header("content-type", "application/json")
        .send("{}")
        .unwrap();
    assert_eq!(common::json(resp).0, 415);

    // Over the request limit by one byte (the 50 MB case of the library is in the hostile-input
    // test; a much larger body races the server's early answer into a broken pipe).
    let resp = agent
        .post(&url)
        .header("authorization", common::ADMIN)
        .header("content-type", "application/xml")
        .send(vec![b' '; ablauf::http::MAX_BODY_BYTES + 1])
        .unwrap();
    let (status, body) = common::json(resp);
    assert_eq!((status, body["error_type"].as_str()), (413, Some("payload_too_large")));
}
