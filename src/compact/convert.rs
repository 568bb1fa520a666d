//! Compact lines → [`Process`], repairing what a model cannot be trusted with.
//!
//! The result always validates without errors: ids are generated, flows to unknown steps are
//! dropped, a missing start or end is added, the roles steps name become the process's roles,
//! steps nothing leads to are removed. Every repair is reported as a finding, so the
//! clerk sees what the machine changed.

use std::collections::{HashMap, HashSet, VecDeque};

use super::format::{Line, StepLine};
use crate::process::{Finding, Flow, Process, Role, Step, StepType};

/// The process and the repairs that were needed to make it valid.
#[derive(Debug, Clone)]
pub struct Converted {
    pub process: Process,
    pub repairs: Vec<Finding>,
}

const ADDED_START: &str = "Vorgang beginnt";
const ADDED_END: &str = "Vorgang abgeschlossen";

/// A repair located by step id; turned into a JSON path once the step list is final.
struct Repair {
    code: &'static str,
    step: Option<String>,
    field: &'static str,
    message: String,
}

impl Repair {
    fn at(code: &'static str, step: &str, field: &'static str, message: String) -> Self {
        Repair { code, step: Some(step.to_owned()), field, message }
    }

    fn global(code: &'static str, message: String) -> Self {
        Repair { code, step: None, field: "", message }
    }
}

fn step_id(number: u32) -> String {
    format!("s{number}")
}

/// Builds a valid process from parsed lines; `legal_basis` comes from the dictation itself.
pub fn to_process(lines: &[Line], legal_basis: Vec<String>) -> Converted {
    let mut repairs = Vec::new();
    let mut process = Process { legal_basis, ..Process::default() };
    let mut step_lines: Vec<StepLine> = Vec::new();
    for line in lines {
        match line {
            Line::Title { title } if process.title.is_empty() => process.title = title.clone(),
            Line::Role { id, name } => declare_role(&mut process.roles, id, name, &mut repairs),
            Line::Step(step) => step_lines.push(step.clone()),
            Line::Unreadable { text } => {
                repairs.push(Repair::global("ignored_line", format!("line not understood, left out: {text:?}")))
            }
            Line::Title { .. } => {}
        }
    }
    if process.title.trim().is_empty() {
        process.title = "Entwurf".into();
        repairs.push(Repair::global("added_title", "the model wrote no title; a placeholder was set".into()));
    }
    renumber_duplicates(&mut step_lines, &mut repairs);
    merge_repeated_steps(&mut step_lines, &mut repairs);
    process.steps = build_steps(&step_lines, &mut repairs);
    ensure_single_start(&mut process.steps, &mut repairs);
    remove_unreachable(&mut process.steps, &mut repairs);
    connect_dead_ends(&mut process.steps, &mut repairs);
    resolve_roles(&mut process, &mut repairs);
    process.trigger = names_of(&process.steps, StepType::Start);
    process.outcome = names_of(&process.steps, StepType::End);
    let repairs = repairs.into_iter().map(|r| locate(r, &process)).collect();
    Converted { process, repairs }
}

fn locate(repair: Repair, process: &Process) -> Finding {
    let index = repair.step.as_deref().and_then(|id| process.steps.iter().position(|s| s.id == id));
    let path = match (index, repair.step.is_some()) {
        (Some(i), _) if repair.field.is_empty() => format!("steps[{i}]"),
        (Some(i), _) => format!("steps[{i}].{}", repair.field),
        (None, true) => "steps".to_owned(),
        (None, false) => match repair.code {
            "added_title" => "title".to_owned(),
            "declared_role" | "duplicate_role" => "roles".to_owned(),
            _ => "steps".to_owned(),
        },
    };
    Finding::warning(repair.code, path, repair.message)
}

fn names_of(steps: &[Step], kind: StepType) -> String {
    steps.iter().filter(|s| s.kind == kind).map(|s| s.name.as_str()).collect::<Vec<_>>().join(" / ")
}

/// Role ids end up in XML and URLs: keep lowercase ASCII letters and digits.
fn sanitize_id(raw: &str) -> String {
    let folded: String = raw
        .to_lowercase()
        .chars()
        .map(|c| match c {
            'ä' => 'a',
            'ö' => 'o',
            'ü' => 'u',
            'ß' => 's',
            c => c,
        })
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    let trimmed = folded.trim_start_matches(|c: char| c.is_ascii_digit());
    if trimmed.is_empty() { "rolle".to_owned() } else { trimmed.chars().take(24).collect() }
}

fn declare_role(roles: &mut Vec<Role>, id: &str, name: &str, repairs: &mut Vec<Repair>) {
    let id = sanitize_id(id);
    if roles.iter().any(|r| r.id == id) {
        repairs.push(Repair::global(
            "duplicate_role",
            format!("role {id:?} was declared twice; the first declaration counts"),
        ));
        return;
    }
    let name = if name.trim().is_empty() { id.clone() } else { name.trim().to_owned() };
    roles.push(Role { id, name, unit: None });
}

fn renumber_duplicates(lines: &mut [StepLine], repairs: &mut Vec<Repair>) {
    let mut seen = HashSet::new();
    let mut next_free = lines.iter().map(|l| l.number).max().unwrap_or(0) + 1;
    for line in lines.iter_mut() {
        if !seen.insert(line.number) {
            repairs.push(Repair::at(
                "renumbered_step",
                &step_id(next_free),
                "",
                format!("step number {} was used twice; the later step is now number {next_free}", line.number),
            ));
            line.number = next_free;
            seen.insert(next_free);
            next_free += 1;
        }
    }
}

/// A task or decision written again under a new number is the model going round in a circle:
/// the repeat is removed, and whatever led to it leads back to the first one (a loop, which is
/// what the dictation meant where it says "erneut prüfen"). The same work by another role is no
/// repeat ("Über Stundung entscheiden" by the Kämmerer above a limit, by the Stadtkasse below).
fn merge_repeated_steps(lines: &mut Vec<StepLine>, repairs: &mut Vec<Repair>) {
    let key = |l: &StepLine| (l.kind, l.role.clone(), collapse_key(&l.name));
    let mut first: HashMap<(StepType, Option<String>, String), u32> = HashMap::new();
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        if !matches!(line.kind, StepType::Task | StepType::Decision) {
            i += 1;
            continue;
        }
        let Some(&original) = first.get(&key(line)) else {
            first.insert(key(line), line.number);
            i += 1;
            continue;
        };
        let repeated = lines.remove(i);
        if let Some(previous) = i.checked_sub(1).map(|j| &mut lines[j])
            && matches!(previous.kind, StepType::Start | StepType::Task)
            && previous.targets.is_empty()
        {
            previous.targets.push(super::format::Target { to: repeated.number, condition: None });
        }
        for target in lines.iter_mut().flat_map(|l| l.targets.iter_mut()) {
            if target.to == repeated.number {
                target.to = original;
            }
        }
        repairs.push(Repair::at(
            "merged_repeated_step",
            &step_id(original),
            "",
            format!(
                "step {} repeated {:?}; flows to it now lead back to step {original}",
                repeated.number, repeated.name
            ),
        ));
    }
}

fn collapse_key(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase().trim_end_matches('?').to_owned()
}

fn build_steps(lines: &[StepLine], repairs: &mut Vec<Repair>) -> Vec<Step> {
    let known: HashSet<u32> = lines.iter().map(|l| l.number).collect();
    lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let id = step_id(line.number);
            let mut name = line.name.trim().to_owned();
            if name.is_empty() {
                name = format!("Schritt {}", line.number);
                repairs.push(Repair::at("named_step", &id, "name", "the step had no name".into()));
            }
            let mut next = Vec::new();
            for target in &line.targets {
                if line.kind == StepType::End {
                    repairs.push(Repair::at(
                        "dropped_flow",
                        &id,
                        "next",
                        "an end leads nowhere; its flows were removed".into(),
                    ));
                    break;
                }
                if known.contains(&target.to) && target.to != line.number {
                    next.push(Flow { to: step_id(target.to), condition: target.condition.clone() });
                } else {
                    repairs.push(Repair::at(
                        "dropped_flow",
                        &id,
                        "next",
                        format!("flow to step {} removed: there is no such step", target.to),
                    ));
                }
            }
            let continues = matches!(line.kind, StepType::Start | StepType::Task | StepType::Parallel);
            if next.is_empty()
                && continues
                && let Some(following) = lines.get(i + 1)
            {
                next.push(Flow { to: step_id(following.number), condition: None });
            }
            Step { id, kind: line.kind, name, role: line.role.clone(), next, ..Step::default() }
        })
        .collect()
}

fn ensure_single_start(steps: &mut Vec<Step>, repairs: &mut Vec<Repair>) {
    let mut starts = steps.iter_mut().filter(|s| s.kind == StepType::Start);
    if starts.next().is_some() {
        for extra in starts {
            extra.kind = StepType::Task;
            repairs.push(Repair::at(
                "start_to_task",
                &extra.id,
                "type",
                format!("a second start {:?} became a task", extra.name),
            ));
        }
        return;
    }
    let Some(first) = steps.first() else { return };
    let start = Step {
        id: "s0".into(),
        kind: StepType::Start,
        name: ADDED_START.into(),
        next: vec![Flow { to: first.id.clone(), condition: None }],
        ..Step::default()
    };
    steps.insert(0, start);
    repairs.push(Repair::at("added_start", "s0", "", "the process had no start; one was added".into()));
}

fn remove_unreachable(steps: &mut Vec<Step>, repairs: &mut Vec<Repair>) {
    let index: HashMap<&str, usize> = steps.iter().enumerate().map(|(i, s)| (s.id.as_str(), i)).collect();
    let mut reached = vec![false; steps.len()];
    let mut queue: VecDeque<usize> =
        steps.iter().enumerate().filter(|(_, s)| s.kind == StepType::Start).map(|(i, _)| i).collect();
    while let Some(i) = queue.pop_front() {
        if std::mem::replace(&mut reached[i], true) {
            continue;
        }
        queue.extend(steps[i].next.iter().filter_map(|f| index.get(f.to.as_str()).copied()));
    }
    let mut keep = reached.into_iter();
    steps.retain(|step| {
        let kept = keep.next().unwrap_or(true);
        if !kept {
            repairs.push(Repair::at(
                "removed_unreachable",
                &step.id,
                "",
                format!("step {:?} could not be reached from the start and was removed", step.name),
            ));
        }
        kept
    });
}

fn connect_dead_ends(steps: &mut Vec<Step>, repairs: &mut Vec<Repair>) {
    let dead_ends: Vec<usize> = steps
        .iter()
        .enumerate()
        .filter(|(_, s)| s.kind != StepType::End && s.next.is_empty())
        .map(|(i, _)| i)
        .collect();
    if dead_ends.is_empty() {
        return;
    }
    let end_number = steps.iter().filter_map(|s| s.id.strip_prefix('s')?.parse::<u32>().ok()).max().unwrap_or(0) + 1;
    let end_id = step_id(end_number);
    for i in dead_ends {
        steps[i].next.push(Flow { to: end_id.clone(), condition: None });
        repairs.push(Repair::at(
            "connected_to_end",
            &steps[i].id,
            "next",
            format!("nothing followed {:?}; it now leads to an added end", steps[i].name),
        ));
    }
    steps.push(Step { id: end_id.clone(), kind: StepType::End, name: ADDED_END.into(), ..Step::default() });
    repairs.push(Repair::at("added_end", &end_id, "", "an end step was added".into()));
}

/// Steps name their role (the model's format) or the id of a declared one (declarations, as in
/// the gold processes). A new name becomes a role with an id derived from it. Where roles were
/// declared, a step naming an unknown one means a missing declaration, which is reported.
fn resolve_roles(process: &mut Process, repairs: &mut Vec<Repair>) {
    let declared = !process.roles.is_empty();
    for step in &mut process.steps {
        let Some(raw) = step.role.take() else { continue };
        let known = process.roles.iter().find(|r| r.id == raw || r.name.eq_ignore_ascii_case(&raw));
        let id = match known {
            Some(role) => role.id.clone(),
            None => {
                let id = unique_id(&process.roles, sanitize_id(&raw));
                process.roles.push(Role { id: id.clone(), name: raw.clone(), unit: None });
                if declared {
                    repairs.push(Repair::at(
                        "declared_role",
                        &step.id,
                        "role",
                        format!("role {raw:?} was used but not declared; it was added"),
                    ));
                }
                id
            }
        };
        step.role = Some(id);
    }
}

/// `base`, or `base` with the first free number appended (long names share their first letters).
fn unique_id(roles: &[Role], base: String) -> String {
    let taken = |id: &str| roles.iter().any(|r| r.id == id);
    if !taken(&base) {
        return base;
    }
    (2..).map(|n| format!("{base}{n}")).find(|id| !taken(id)).unwrap_or(base)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compact::format::parse;
    use crate::process::validate;

    fn convert(text: &str) -> Converted {
        to_process(&parse(text), vec![])
    }

    fn codes(c: &Converted) -> Vec<&str> {
        c.repairs.iter().map(|f| f.code.as_str()).collect()
    }

    #[test]
    fn clean_output_needs_no_repair() {
        let c = convert("1 start: Antrag da\n2 task Sachbearbeitung: Antrag prüfen\n3 end: fertig\n# T\n");
        assert!(c.repairs.is_empty(), "{:?}", c.repairs);
        let p = &c.process;
        assert_eq!(p.title, "T");
        assert_eq!(p.roles, vec![Role { id: "sachbearbeitung".into(), name: "Sachbearbeitung".into(), unit: None }]);
        assert_eq!(p.steps[1].role.as_deref(), Some("sachbearbeitung"));
        assert_eq!(p.steps[1].next, vec![Flow { to: "s3".into(), condition: None }]);
        assert_eq!((p.trigger.as_str(), p.outcome.as_str()), ("Antrag da", "fertig"));
        let warnings: Vec<_> = validate(p).warnings.into_iter().map(|f| f.code).collect();
        assert_eq!(warnings, vec!["no_legal_basis"], "the dictation named no law, so none is invented");
    }

    #[test]
    fn truncated_output_gets_start_end_and_roles() {
        // No start, cut off after a task (max_tokens reached), so no title either.
        let c = convert("2 task sb: Antrag prüfen\n3 task sb: Bescheid schreiben > 9");
        assert_eq!(codes(&c), vec!["added_title", "dropped_flow", "added_start", "connected_to_end", "added_end"]);
        let p = &c.process;
        assert!(validate(p).valid, "{:?}", validate(p).errors);
        assert_eq!(p.steps.first().map(|s| s.kind), Some(StepType::Start));
        assert_eq!(p.steps.last().map(|s| s.name.as_str()), Some(ADDED_END));
        assert_eq!(p.roles, vec![Role { id: "sb".into(), name: "sb".into(), unit: None }]);
        assert_eq!(c.repairs[1].path, "steps[2].next");
    }

    #[test]
    fn roles_are_named_or_declared_and_missing_declarations_reported() {
        let c = convert(
            "# T\n@bb Bürgerbüro\n1 start: x\n2 task bb: eins\n3 task bürgerbüro: zwei\n4 task kasse: drei\n5 end: y\n",
        );
        assert_eq!(codes(&c), vec!["declared_role"]);
        let roles: Vec<_> = c.process.steps.iter().filter_map(|s| s.role.as_deref()).collect();
        assert_eq!(roles, vec!["bb", "bb", "kasse"]);
        // Names that fold to the same id still get a role each.
        let c = convert(
            "1 start: x\n2 task Sachbearbeitung Bürgerbüro Nord: a\n3 task Sachbearbeitung Bürgerbüro Süd: b\n4 end: y\n# T\n",
        );
        let ids: Vec<_> = c.process.roles.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids, vec!["sachbearbeitungburgerbur", "sachbearbeitungburgerbur2"]);
        assert!(c.repairs.is_empty());
    }

    #[test]
    fn unreachable_steps_are_removed_and_reported() {
        let c = convert("# T\n@a A\n1 start: x\n2 task a: eins > 4\n3 task a: vergessen\n4 end: fertig\n");
        assert_eq!(codes(&c), vec!["removed_unreachable"]);
        assert!(c.repairs[0].message.contains("vergessen"));
        assert_eq!(c.process.steps.len(), 3);
    }

    #[test]
    fn the_same_work_by_another_role_is_no_repeat() {
        let c = convert(
            "# T\n@sk Stadtkasse\n@km Kämmerer\n1 start: x\n2 decision sk: über 5.000 Euro? > ja: 3 | nein: 4\n\
             3 task km: Über Stundung entscheiden > 5\n4 task sk: Über Stundung entscheiden\n5 end: fertig\n",
        );
        assert!(c.repairs.is_empty(), "{:?}", c.repairs);
        assert_eq!(c.process.steps.len(), 5);
    }

    #[test]
    fn repeated_steps_become_a_loop_back() {
        let c = convert(
            "1 start: x\n2 task a: Unterlagen prüfen\n3 decision a: vollständig? > ja: 6 | nein: 4\n\
             4 task a: Unterlagen nachfordern\n5 task a: Unterlagen  prüfen\n6 task a: Bescheid erstellen\n7 end: fertig\n# T\n",
        );
        assert_eq!(codes(&c), vec!["merged_repeated_step"]);
        let p = &c.process;
        let names: Vec<&str> = p.steps.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(
            names,
            vec!["x", "Unterlagen prüfen", "vollständig?", "Unterlagen nachfordern", "Bescheid erstellen", "fertig"]
        );
        assert_eq!(p.steps[3].next[0].to, "s2", "nachfordern leads back to the check");
        assert!(validate(p).valid, "{:?}", validate(p).errors);
    }

    #[test]
    fn duplicate_numbers_and_unreadable_lines_are_reported() {
        let c = convert("# T\n@a A\n1 start: x\n2 task a: eins\n2 task a: zwei\nblabla\n3 end: fertig");
        assert_eq!(codes(&c), vec!["ignored_line", "renumbered_step"]);
        assert!(validate(&c.process).valid);
        assert_eq!(c.repairs[1].path, "steps[2]");
    }
}
