//! Deterministic review checks: the structural findings of [`crate::process::validate`] plus the
//! checks a reviewer needs beyond "can it be drawn": documents that are produced and then go
//! nowhere, documents listed but never touched, decisions whose branches say the same thing.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::process::{Finding, Process, Step, StepType, validate};

/// Verb stems of steps that hand a document or a result to someone outside the process.
pub(crate) const HAND_OUT: &[&str] = &[
    "informier",
    "benachrichtig",
    "versend",
    "verschick",
    "zusend",
    "zuschick",
    "zustell",
    "aushändig",
    "übergeb",
    "übermittel",
    "bekanntgeb",
    "mitteil",
    "senden",
    "schicken",
    "ausgeb",
    "veröffentlich",
    "aushang",
    "zustellen",
];

fn normalized(text: &str) -> String {
    crate::compact::format::collapse_whitespace(text).to_lowercase()
}

/// Words that say no more than "something is done here".
const EMPTY_WORDS: &[&str] = &[
    "bearbeitung",
    "bearbeiten",
    "sonstiges",
    "sonstige",
    "weiteres",
    "weiter",
    "vorgang",
    "erledigen",
    "erledigung",
    "machen",
    "tun",
    "schritt",
    "aufgabe",
    "diverses",
    "verschiedenes",
    "rest",
    "allgemeines",
    "abwicklung",
    "abwickeln",
    "ablauf",
    "prozess",
    "sache",
    "fall",
    "klären",
    "kümmern",
    "todo",
    "tbd",
    "usw",
    "etc",
    "der",
    "die",
    "das",
    "den",
    "dem",
    "des",
    "und",
    "oder",
    "zur",
    "zum",
    "ggf",
];

pub fn check(process: &Process) -> Vec<Finding> {
    let validation = validate(process);
    let mut out: Vec<Finding> = validation.errors.into_iter().chain(validation.warnings).collect();
    check_documents(process, &mut out);
    check_branch_conditions(process, &mut out);
    check_names(process, &mut out);
    out
}

/// Whether a step name fails to say what is done: a task of one word ("Aufnehmen",
/// "Bearbeitung") or any name made only of words that name no activity ("Sonstiges", "weiter").
pub fn is_unclear_name(kind: StepType, name: &str) -> bool {
    let words: Vec<String> =
        name.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect();
    words.is_empty()
        || (kind == StepType::Task && words.len() == 1)
        || words.iter().all(|w| EMPTY_WORDS.contains(&w.as_str()))
}

/// Whether a task or decision bears a name that fails to say what is done.
pub(super) fn has_unclear_name(step: &Step) -> bool {
    matches!(step.kind, StepType::Task | StepType::Decision) && is_unclear_name(step.kind, &step.name)
}

fn check_names(process: &Process, out: &mut Vec<Finding>) {
    for (i, step) in process.steps.iter().enumerate() {
        if has_unclear_name(step) {
            out.push(
                Finding::warning(
                    "unclear_name",
                    format!("steps[{i}].name"),
                    format!("{:?} does not say what is done", step.name),
                )
                .with_fix("Name the object and the activity (Objekt + Verb im Infinitiv), e.g. \"Antrag prüfen\"."),
            );
        }
    }
}

/// Steps reachable from step `from` (itself included).
fn downstream(process: &Process, from: usize) -> Vec<usize> {
    let index: HashMap<&str, usize> = process.steps.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let mut seen = HashSet::from([from]);
    let mut queue = VecDeque::from([from]);
    while let Some(i) = queue.pop_front() {
        for flow in &process.steps[i].next {
            if let Some(&j) = index.get(flow.to.as_str())
                && seen.insert(j)
            {
                queue.push_back(j);
            }
        }
    }
    let mut out: Vec<usize> = seen.into_iter().collect();
    out.sort_unstable();
    out
}

fn check_documents(process: &Process, out: &mut Vec<Finding>) {
    let inputs: HashSet<String> = process.steps.iter().flat_map(|s| &s.inputs).map(|d| normalized(d)).collect();
    for (i, step) in process.steps.iter().enumerate() {
        for (j, document) in step.outputs.iter().enumerate() {
            let doc = normalized(document);
            if doc.is_empty() || inputs.contains(&doc) {
                continue;
            }
            let handed_out = downstream(process, i).into_iter().any(|k| {
                let name = process.steps[k].name.to_lowercase();
                HAND_OUT.iter().any(|verb| name.contains(verb))
            });
            if !handed_out {
                out.push(
                    Finding::warning(
                        "document_unused",
                        format!("steps[{i}].outputs[{j}]"),
                        format!("{document:?} is produced by {:?} but no later step uses it or hands it out", step.name),
                    )
                    .with_fix(format!(
                        "Add a step that sends \"{document}\" to the applicant, or list it as input of the step that uses it."
                    )),
                );
            }
        }
    }
    let touched: HashSet<String> =
        process.steps.iter().flat_map(|s| s.inputs.iter().chain(&s.outputs)).map(|d| normalized(d)).collect();
    for (i, document) in process.documents.iter().enumerate() {
        let doc = normalized(document);
        let named_in_step = process.steps.iter().any(|s| s.name.to_lowercase().contains(&doc));
        if !doc.is_empty() && !touched.contains(&doc) && !named_in_step {
            out.push(
                Finding::warning(
                    "document_not_in_steps",
                    format!("documents[{i}]"),
                    format!("document {document:?} is listed but no step uses or produces it"),
                )
                .with_fix("Name the step that produces or uses it (inputs/outputs), or remove it from documents."),
            );
        }
    }
}

fn check_branch_conditions(process: &Process, out: &mut Vec<Finding>) {
    for (i, step) in process.steps.iter().enumerate().filter(|(_, s)| s.kind == StepType::Decision) {
        let mut seen = HashMap::new();
        for (j, flow) in step.next.iter().enumerate() {
            let Some(condition) = flow.condition.as_deref().map(normalized).filter(|c| !c.is_empty()) else {
                continue;
            };
            if let Some(first) = seen.insert(condition, j) {
                out.push(
                    Finding::warning(
                        "duplicate_condition",
                        format!("steps[{i}].next[{j}].condition"),
                        format!("decision {:?} has the same condition on branches {first} and {j}", step.name),
                    )
                    .with_fix("Give each branch a condition that tells it apart from the others."),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::Flow;

    fn step(id: &str, kind: StepType, name: &str, next: &[&str]) -> Step {
        Step {
            id: id.into(),
            kind,
            name: name.into(),
            role: None,
            next: next.iter().map(|t| Flow { to: (*t).into(), condition: None }).collect(),
            ..Step::default()
        }
    }

    #[test]
    fn produced_documents_must_be_used_or_handed_out() {
        let mut p = Process {
            title: "T".into(),
            documents: vec!["Parkausweis".into(), "Gebührenbescheid".into()],
            steps: vec![
                step("a", StepType::Start, "Antrag", &["b"]),
                step("b", StepType::Task, "Parkausweis drucken", &["c"]),
                step("c", StepType::Task, "Akte schließen", &["d"]),
                step("d", StepType::End, "fertig", &[]),
            ],
            ..Process::default()
        };
        p.steps[1].outputs = vec!["Parkausweis".into()];
        let codes = |p: &Process| check(p).into_iter().map(|f| (f.code, f.path)).collect::<Vec<_>>();
        let found = codes(&p);
        assert!(found.contains(&("document_unused".into(), "steps[1].outputs[0]".into())), "{found:?}");
        assert!(found.contains(&("document_not_in_steps".into(), "documents[1]".into())), "{found:?}");
        assert!(!found.iter().any(|(_, path)| path == "documents[0]"));

        p.steps[2].name = "Parkausweis zusenden".into();
        assert!(!codes(&p).iter().any(|(code, _)| code == "document_unused"));
        p.steps[2].name = "Akte schließen".into();
        p.steps[2].inputs = vec!["parkausweis ".into()];
        assert!(!codes(&p).iter().any(|(code, _)| code == "document_unused"));
    }

    #[test]
    fn names_that_say_nothing_are_unclear() {
        for (kind, name) in [
            (StepType::Task, "Bearbeitung"),
            (StepType::Task, "Sonstiges"),
            (StepType::Task, "weiter"),
            (StepType::Task, "Aufnehmen"),
            (StepType::Decision, "Vorgang?"),
            (StepType::Task, "Vorgang bearbeiten"),
        ] {
            assert!(is_unclear_name(kind, name), "{name}");
        }
        for (kind, name) in [
            (StepType::Task, "Anmeldung auf Vollständigkeit prüfen"),
            (StepType::Task, "Bescheid senden"),
            (StepType::Decision, "Vollständig?"),
        ] {
            assert!(!is_unclear_name(kind, name), "{name}");
        }
    }

    #[test]
    fn branches_need_distinct_conditions() {
        let mut d = step("b", StepType::Decision, "ok?", &["c", "d"]);
        for flow in &mut d.next {
            flow.condition = Some("Ja".into());
        }
        let p = Process {
            title: "T".into(),
            steps: vec![
                step("a", StepType::Start, "Antrag", &["b"]),
                d,
                step("c", StepType::End, "x", &[]),
                step("d", StepType::End, "y", &[]),
            ],
            ..Process::default()
        };
        let found = check(&p);
        assert!(found.iter().any(|f| f.code == "duplicate_condition" && f.path == "steps[1].next[1].condition"));
    }
}
