//! What the language model adds to a review: for vague step names, steps that mix two
//! activities and a result nobody is told of, the reason in words and a proposal (a better name,
//! the two names, the missing step).
//!
//! The model sees the process in the compact draft format (numbered steps) and must answer in
//! one grammar-constrained line per finding, `<code> <nr>: <reason> => <proposal>`; the parser maps
//! each line to a JSON path and drops findings about steps that do not exist. A small model also
//! reports problems that are not there (on clean processes it found four or five each, most of
//! them wrong), so a finding is shown only where a deterministic test confirms its kind: the
//! name is unclear by [`checks::is_unclear_name`], the name joins two verbs, no step tells anyone
//! the result. Codes no rule can confirm (deadlines, data protection) are not asked for.

use std::collections::HashSet;

use super::checks;
use crate::compact::format;
use crate::llm::{GenerateRequest, Sampling};
use crate::process::{Finding, Process, Step, StepType};
use crate::prompt::{PromptError, PromptTemplate};

const MAX_FINDINGS: usize = 6;
/// Enough for six findings of about 25 tokens.
pub const MAX_TOKENS: usize = 160;

/// The finding codes the model may use, with the field of the step each one points at.
const CODES: &[(&str, &str)] =
    &[("vague_name", "name"), ("mixed_activities", "name"), ("missing_notification", "next")];

/// Whether the process itself bears out a finding of `code` at `step`.
fn confirmed(process: &Process, code: &str, step: &Step) -> bool {
    match code {
        "vague_name" => checks::is_unclear_name(step.kind, &step.name),
        "mixed_activities" => step.kind == StepType::Task && joins_two_verbs(&step.name),
        "missing_notification" => !process.steps.iter().any(|s| {
            let name = s.name.to_lowercase();
            checks::HAND_OUT.iter().any(|verb| name.contains(verb))
        }),
        _ => false,
    }
}

/// "Halterdaten erfassen und Steuerbescheid erstellen": a conjunction and two verbs (German
/// verbs in a step name are lowercase infinitives; nouns are capitalised).
fn joins_two_verbs(name: &str) -> bool {
    let joined = [" und ", " sowie ", " / ", ", "].iter().any(|c| name.contains(c));
    let verbs = name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().next().is_some_and(char::is_lowercase))
        .filter(|w| w.chars().count() > 4 && (w.ends_with("en") || w.ends_with("ern") || w.ends_with("eln")))
        .count();
    joined && verbs >= 2
}

pub fn grammar() -> String {
    let codes: Vec<&str> = CODES.iter().map(|(code, _)| *code).collect();
    let (finding, hint) = (format::text_run("=>", 4, 120), format::text_run("\\n", 2, 80));
    format!(
        "start: \"keine\" | (FINDING \"\\n\"){{1,{MAX_FINDINGS}}}\n\
         FINDING: /({}) [1-9][0-9]?: {finding} => {hint}/\n",
        codes.join("|")
    )
}

pub fn request(process: &Process) -> Result<GenerateRequest, PromptError> {
    let messages = PromptTemplate::REVIEW.messages(minijinja::context! { process => format::render(process) })?;
    Ok(GenerateRequest {
        messages,
        grammar: Some(grammar()),
        max_tokens: MAX_TOKENS,
        stop: Vec::new(),
        sampling: Sampling::GREEDY,
        lookahead: crate::llm::COPY_LOOKAHEAD,
        repeated_lines_limit: 1,
        reuse_unaligned_prefix: false,
    })
}

/// Reads the model's answer; `fix` holds the proposed wording as the model wrote it.
pub fn parse(process: &Process, text: &str) -> Vec<Finding> {
    let mut seen = HashSet::new();
    text.lines()
        .filter_map(|line| parse_line(process, line))
        .filter(|f| seen.insert((f.code.clone(), f.path.clone())))
        .collect()
}

fn parse_line(process: &Process, line: &str) -> Option<Finding> {
    let (code, rest) = line.trim().split_once(' ')?;
    let field = CODES.iter().find(|(c, _)| *c == code).map(|(_, field)| *field)?;
    let (number, rest) = rest.split_once(':')?;
    let index = number.trim().parse::<usize>().ok()?.checked_sub(1)?;
    let step = process.steps.get(index)?;
    if !confirmed(process, code, step) {
        return None;
    }
    let (reason, proposal) = rest.split_once("=>")?;
    let (reason, proposal) = (reason.trim(), proposal.trim());
    if proposal.is_empty() || (field == "name" && proposal.eq_ignore_ascii_case(step.name.trim())) {
        return None;
    }
    Some(
        Finding::warning(code, format!("steps[{index}].{field}"), format!("{:?}: {reason}", step.name))
            .with_fix(proposal),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compact::convert::to_process;

    #[test]
    fn answers_map_to_paths_and_impossible_ones_are_dropped() {
        let process =
            to_process(&format::parse("# T\n@a A\n1 start: x\n2 task a: Bearbeitung\n3 end: fertig\n"), Vec::new())
                .process;
        let answer = "vague_name 2: sagt nichts => Antrag prüfen\n\
                      vague_name 2: doppelt => Antrag prüfen\n\
                      vague_name 9: gibt es nicht => Antrag prüfen\n\
                      vague_name 2: gleich => Bearbeitung\n\
                      missing_notification 2: Bürger erfährt nichts => Bescheid zusenden\n\
                      mixed_activities 2: zwei Dinge => a / b\n\
                      unknown_code 2: x => y\n";
        let found = parse(&process, answer);
        let got: Vec<(&str, &str, Option<&str>)> =
            found.iter().map(|f| (f.code.as_str(), f.path.as_str(), f.fix.as_deref())).collect();
        assert_eq!(
            got,
            vec![
                ("vague_name", "steps[1].name", Some("Antrag prüfen")),
                ("missing_notification", "steps[1].next", Some("Bescheid zusenden")),
            ]
        );
        assert!(found[0].message.starts_with("\"Bearbeitung\": sagt nichts"));
        assert!(parse(&process, "keine").is_empty());
    }

    #[test]
    fn findings_the_process_does_not_bear_out_are_dropped() {
        let clean = to_process(
            &format::parse("# T\n@a A\n1 start: x\n2 task a: Anmeldung auf Vollständigkeit prüfen\n3 task a: Bescheid zusenden\n4 end: fertig\n"),
            Vec::new(),
        )
        .process;
        let answer = "vague_name 2: sagt nicht, was getan wird => Anmeldung prüfen\n\
                      missing_notification 2: der Antrag erfährt nichts => Ergebnis mitteilen\n\
                      mixed_activities 3: zwei => a / b\n";
        assert!(parse(&clean, answer).is_empty(), "{:?}", parse(&clean, answer));
        let mixed = to_process(
            &format::parse(
                "# T\n@a A\n1 start: x\n2 task a: Halterdaten erfassen und Steuerbescheid erstellen\n3 end: fertig\n",
            ),
            Vec::new(),
        )
        .process;
        let found = parse(
            &mixed,
            "mixed_activities 2: zwei => Halterdaten erfassen / Steuerbescheid erstellen\nmissing_notification 2: niemand erfährt es => Steuerbescheid zusenden\n",
        );
        assert_eq!(
            found.iter().map(|f| f.code.as_str()).collect::<Vec<_>>(),
            vec!["mixed_activities", "missing_notification"]
        );
    }

    #[test]
    fn request_shows_the_numbered_process_after_a_fixed_prefix() {
        let process = to_process(&format::parse("# T\n@a A\n1 start: x\n2 end: y\n"), Vec::new()).process;
        let request = request(&process).unwrap();
        assert!(request.messages[1].content.contains("1 start: x\n2 end: y\n"), "{}", request.messages[1].content);
        assert!(request.grammar.unwrap().contains("missing_notification"));
    }
}
