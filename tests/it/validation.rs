//! The process validator: every rule on a concrete broken process, and a property test
//! that arbitrary processes never panic it.

use ablauf::process::{self, Flow, Process, Severity, Step, StepType};
use proptest::prelude::*;

fn fixture() -> Process {
    process::parse(include_str!("../fixtures/anwohnerparkausweis.json")).expect("fixture parses")
}

fn codes(p: &Process, severity: Severity) -> Vec<(String, String)> {
    let v = process::validate(p);
    let list = if severity == Severity::Error { v.errors } else { v.warnings };
    list.into_iter().map(|f| (f.code, f.path)).collect()
}

fn has(p: &Process, severity: Severity, code: &str, path: &str) -> bool {
    codes(p, severity).contains(&(code.to_owned(), path.to_owned()))
}

#[test]
fn fixture_is_valid_without_warnings() {
    let v = process::validate(&fixture());
    assert!(v.valid, "{:?}", v.errors);
    assert!(v.warnings.is_empty(), "{:?}", v.warnings);
}

#[test]
fn dangling_flow_is_an_error_with_its_path() {
    let mut p = fixture();
    p.steps[3].next[0].to = "s9".into();
    let v = process::validate(&p);
    assert!(!v.valid);
    let f = v.errors.iter().find(|f| f.code == "unknown_step").expect("unknown_step reported");
    assert_eq!(f.path, "steps[3].next[0].to");
    assert_eq!(f.message, "unknown step \"s9\"");
}

#[test]
fn all_problems_are_reported_at_once() {
    let mut p = fixture();
    p.title = "  ".into();
    p.steps[1].id = "s1".into();
    p.steps[2].role = Some("nobody".into());
    p.steps[0].kind = StepType::Task;
    p.steps[7].next.push(Flow { to: "s1".into(), condition: None });
    assert!(has(&p, Severity::Error, "title_empty", "title"));
    assert!(has(&p, Severity::Error, "duplicate_step_id", "steps[1].id"));
    assert!(has(&p, Severity::Error, "unknown_role", "steps[2].role"));
    assert!(has(&p, Severity::Error, "no_start", "steps"));
    assert!(has(&p, Severity::Error, "end_has_next", "steps[7].next"));
}

#[test]
fn invalid_ids_are_errors() {
    let mut p = fixture();
    p.roles[0].id = "1 bad".into();
    p.steps[0].id = "".into();
    assert!(has(&p, Severity::Error, "invalid_id", "roles[0].id"));
    assert!(has(&p, Severity::Error, "invalid_id", "steps[0].id"));
}

#[test]
fn structural_gaps_are_warnings() {
    let mut p = fixture();
    // Decision with a single unlabelled branch.
    p.steps[2].next = vec![Flow { to: "s4".into(), condition: None }];
    // s7 is now unreachable; give a task no role; drop the legal basis.
    p.steps[4].role = None;
    p.legal_basis.clear();
    let v = process::validate(&p);
    assert!(v.valid, "gaps are not errors: {:?}", v.errors);
    assert!(has(&p, Severity::Warning, "decision_branches", "steps[2].next"));
    assert!(has(&p, Severity::Warning, "branch_without_condition", "steps[2].next[0].condition"));
    assert!(has(&p, Severity::Warning, "unreachable", "steps[6]"));
    assert!(has(&p, Severity::Warning, "task_without_role", "steps[4].role"));
    assert!(has(&p, Severity::Warning, "no_legal_basis", "legal_basis"));
    let fix = v.warnings.iter().find(|f| f.code == "no_legal_basis").and_then(|f| f.fix.clone());
    assert!(fix.is_some_and(|f| f.contains("§")));
}

#[test]
fn loop_without_exit_and_dead_end_are_found() {
    let mut p = fixture();
    // s5 -> s4 -> s5 ... never reaches the end.
    p.steps[4].next = vec![Flow { to: "s4".into(), condition: None }];
    p.steps[6].next.clear();
    assert!(has(&p, Severity::Warning, "no_way_to_end", "steps[3]"));
    assert!(has(&p, Severity::Warning, "dead_end", "steps[6].next"));
}

#[test]
fn duplicate_names_unused_roles_and_bad_leika_keys_are_warned() {
    let mut p = fixture();
    p.steps[6].name = p.steps[3].name.to_uppercase();
    p.roles.push(process::Role { id: "extra".into(), name: "Niemand".into(), unit: None });
    p.meta.leika_key = Some("123".into());
    assert!(has(&p, Severity::Warning, "duplicate_step_name", "steps[6].name"));
    assert!(has(&p, Severity::Warning, "unused_role", "roles[3]"));
    assert!(has(&p, Severity::Warning, "leika_key_format", "meta.leika_key"));
}

#[test]
fn parse_errors_carry_the_path() {
    let mut json: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/anwohnerparkausweis.json")).unwrap();
    json["steps"][2]["type"] = "branch".into();
    let err = process::parse(&json.to_string()).unwrap_err();
    assert_eq!(err.path, "steps[2].type");
    assert!(err.message.contains("unknown variant `branch`"), "{}", err.message);

    let err = process::parse(r#"{"title": "x", "titel": "y"}"#).unwrap_err();
    assert!(err.message.contains("unknown field `titel`"), "{}", err.message);
    assert!(process::parse("{").is_err());
}

#[test]
fn schema_names_the_contract_fields() {
    let schema = process::schema();
    let props = &schema["properties"];
    for field in
        ["title", "summary", "trigger", "outcome", "roles", "steps", "legal_basis", "documents", "systems", "meta"]
    {
        assert!(props.get(field).is_some(), "schema lacks {field}");
    }
    let text = schema.to_string();
    for word in ["\"decision\"", "\"parallel\"", "\"sehr_hoch\"", "\"niedrig\"", "leika_key", "protection_need"] {
        assert!(text.contains(word), "schema lacks {word}");
    }
}

fn arb_id() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("s1".to_string()),
        Just("s2".to_string()),
        Just("r1".to_string()),
        "[a-z0-9 _.-]{0,4}",
        any::<String>()
    ]
}

fn arb_step() -> impl Strategy<Value = Step> {
    let kind = prop_oneof![
        Just(StepType::Start),
        Just(StepType::Task),
        Just(StepType::Decision),
        Just(StepType::Parallel),
        Just(StepType::End)
    ];
    let flow = (arb_id(), proptest::option::of(any::<String>())).prop_map(|(to, condition)| Flow { to, condition });
    (arb_id(), kind, any::<String>(), proptest::option::of(arb_id()), proptest::collection::vec(flow, 0..4))
        .prop_map(|(id, kind, name, role, next)| Step { id, kind, name, role, next, ..Step::default() })
}

fn arb_process() -> impl Strategy<Value = Process> {
    let role = (arb_id(), any::<String>()).prop_map(|(id, name)| process::Role { id, name, unit: None });
    (
        any::<String>(),
        proptest::collection::vec(role, 0..4),
        proptest::collection::vec(arb_step(), 0..12),
        proptest::collection::vec(any::<String>(), 0..2),
        proptest::option::of(any::<String>()),
    )
        .prop_map(|(title, roles, steps, legal_basis, leika_key)| {
            let mut p = Process { title, roles, steps, legal_basis, ..Process::default() };
            p.meta.leika_key = leika_key;
            p
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn validator_never_panics_and_is_consistent(p in arb_process()) {
        let v = process::validate(&p);
        prop_assert_eq!(v.valid, v.errors.is_empty());
        prop_assert!(v.errors.iter().all(|f| f.severity == Severity::Error));
        prop_assert!(v.warnings.iter().all(|f| f.severity == Severity::Warning));
        // Every finding points somewhere a client can show it.
        prop_assert!(v.errors.iter().chain(&v.warnings).all(|f| !f.path.is_empty() && !f.message.is_empty()));
        // Serialising and parsing back gives the same process and the same verdict.
        let back = process::parse(&serde_json::to_string(&p).unwrap()).unwrap();
        prop_assert_eq!(&back, &p);
        prop_assert_eq!(process::validate(&back), v);
    }

    #[test]
    fn parser_never_panics_on_arbitrary_text(text in any::<String>()) {
        let _ = process::parse(&text);
    }
}
