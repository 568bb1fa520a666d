//! What the language model adds to a review: for a step whose name the rule
//! [`checks::has_unclear_name`] flags, the reason in words and a proposal (a better name).
//!
//! The rule decides *whether* a name is vague; the model only words it. Asked to find problems
//! itself, the 1.5B model reported "nobody is told of the result" after the third step of every
//! clean process of the blind review set (11 findings, none right) and wrote until its token
//! limit. A rule for "two activities in one step" flagged 24 names on ten clean processes of the
//! development set: "Bescheid erstellen und versenden" is how careful modellers write. So a
//! process without a vague name costs no request at all, and the request's grammar forces one
//! line per flagged step, `vague_name <nr>: <reason> => <proposal>`.

use super::checks;
use crate::compact::format;
use crate::llm::{GenerateRequest, Sampling};
use crate::process::{Finding, Process};
use crate::prompt::{PromptError, PromptTemplate};

const CODE: &str = "vague_name";
/// Enough for one line of reason and proposal.
const TOKENS_PER_FINDING: usize = 40;
/// Flagged steps the model words at most in one review (the rest keep the checks' findings).
const MAX_FINDINGS: usize = 6;

/// The indices of the flagged steps.
fn flagged(process: &Process) -> Vec<usize> {
    process
        .steps
        .iter()
        .enumerate()
        .filter(|(_, step)| checks::has_unclear_name(step))
        .map(|(i, _)| i)
        .take(MAX_FINDINGS)
        .collect()
}

/// One line per flagged step, its number given.
fn grammar(flagged: &[usize]) -> String {
    let (reason, proposal) = (format::text_run("=>", 4, 120), format::text_run("\\n", 2, 80));
    let lines: Vec<String> = (0..flagged.len()).map(|k| format!("L{k} \"\\n\"")).collect();
    let mut g = format!("start: {}\n", lines.join(" "));
    for (k, index) in flagged.iter().enumerate() {
        g.push_str(&format!("L{k}: /{CODE} {}: {reason} => {proposal}/\n", index + 1));
    }
    g
}

/// The request for a process, or `None` when no name is vague (nothing for the model to do).
pub fn request(process: &Process) -> Result<Option<GenerateRequest>, PromptError> {
    let flagged = flagged(process);
    if flagged.is_empty() {
        return Ok(None);
    }
    let asked: Vec<String> = flagged.iter().map(|i| (i + 1).to_string()).collect();
    let messages = PromptTemplate::REVIEW
        .messages(minijinja::context! { process => format::render(process), asked => asked.join(", ") })?;
    Ok(Some(GenerateRequest {
        messages,
        grammar: Some(grammar(&flagged)),
        max_tokens: TOKENS_PER_FINDING * flagged.len(),
        stop: Vec::new(),
        sampling: Sampling::GREEDY,
        lookahead: crate::llm::COPY_LOOKAHEAD,
        repeated_lines_limit: 1,
        reuse_unaligned_prefix: false,
    }))
}

/// Reads the model's answer; `fix` holds the proposed wording as the model wrote it. A line
/// about a step the rule does not flag is dropped, as is a proposal that repeats the name.
pub fn parse(process: &Process, text: &str) -> Vec<Finding> {
    let mut seen = std::collections::HashSet::new();
    text.lines().filter_map(|line| parse_line(process, line)).filter(|f| seen.insert(f.path.clone())).collect()
}

fn parse_line(process: &Process, line: &str) -> Option<Finding> {
    let (number, rest) = line.trim().strip_prefix(CODE)?.split_once(':')?;
    let index = number.trim().parse::<usize>().ok()?.checked_sub(1)?;
    let step = process.steps.get(index).filter(|step| checks::has_unclear_name(step))?;
    let (reason, proposal) = rest.split_once("=>")?;
    let (reason, proposal) = (reason.trim(), proposal.trim());
    if proposal.is_empty() || proposal.eq_ignore_ascii_case(step.name.trim()) {
        return None;
    }
    Some(
        Finding::warning(CODE, format!("steps[{index}].name"), format!("{:?}: {reason}", step.name)).with_fix(proposal),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compact::convert::to_process;

    fn process(compact: &str) -> Process {
        to_process(&format::parse(compact), Vec::new()).process
    }

    #[test]
    fn answers_about_flagged_steps_map_to_paths_and_the_rest_is_dropped() {
        let p = process(
            "# T\n@a A\n1 start: x\n2 task a: Bearbeitung\n3 task a: Halterdaten erfassen und Steuerbescheid erstellen\n\
             4 task a: Sonstiges\n5 end: fertig\n",
        );
        let answer = "vague_name 2: sagt nichts => Antrag prüfen\n\
                      vague_name 2: doppelt => Antrag prüfen\n\
                      vague_name 9: gibt es nicht => Antrag prüfen\n\
                      vague_name 3: kein Regelbefund => Halterdaten erfassen\n\
                      mixed_activities 3: zwei Dinge => Halterdaten erfassen / Steuerbescheid erstellen\n\
                      vague_name 4: gleich => Sonstiges\n";
        let found = parse(&p, answer);
        let got: Vec<(&str, &str, Option<&str>)> =
            found.iter().map(|f| (f.code.as_str(), f.path.as_str(), f.fix.as_deref())).collect();
        assert_eq!(got, vec![("vague_name", "steps[1].name", Some("Antrag prüfen"))]);
        assert!(found[0].message.starts_with("\"Bearbeitung\": sagt nichts"));
    }

    #[test]
    fn a_process_without_a_vague_name_costs_no_request() {
        let clean = process(
            "# T\n@a A\n1 start: x\n2 task a: Bescheid erstellen und versenden\n3 task a: Bescheid zusenden\n4 end: fertig\n",
        );
        assert!(request(&clean).unwrap().is_none());
    }

    #[test]
    fn the_request_forces_one_line_per_vague_name() {
        let p = process(
            "# T\n@a A\n1 start: x\n2 task a: Bearbeitung\n3 task a: Antrag prüfen\n4 decision a: weiter?\n5 end: y\n",
        );
        let request = request(&p).unwrap().unwrap();
        let user = &request.messages[1].content;
        assert!(user.contains("2 task A: Bearbeitung\n") && user.contains("Zu prüfen: 2, 4\n"), "{user}");
        let grammar = request.grammar.unwrap();
        assert!(grammar.starts_with("start: L0 \"\\n\" L1 \"\\n\"\n"), "{grammar}");
        assert!(grammar.contains("L0: /vague_name 2: ") && grammar.contains("L1: /vague_name 4: "), "{grammar}");
        assert_eq!(request.max_tokens, 2 * TOKENS_PER_FINDING);
    }
}
