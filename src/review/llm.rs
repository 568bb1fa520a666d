//! Findings only a language model can give: vague step names, steps that mix two activities,
//! missing deadlines, missing notification of the citizen, missing data-protection steps.
//!
//! The model sees the process in the compact draft format (numbered steps) and must answer in
//! one grammar-constrained line per finding, `<code> <nr>: <reason> => <proposal>`; the parser maps
//! each line to a JSON path and drops findings about steps that do not exist.

use std::collections::HashSet;

use crate::draft::format;
use crate::draft::prompt::{PromptError, PromptTemplate};
use crate::llm::{GenerateRequest, Sampling};
use crate::process::{Finding, Process};

const MAX_FINDINGS: usize = 6;
/// Enough for six findings of about 25 tokens.
pub const MAX_TOKENS: usize = 160;

/// The finding codes the model may use, with the field of the step each one points at.
const CODES: &[(&str, &str)] = &[
    ("vague_name", "name"),
    ("mixed_activities", "name"),
    ("missing_deadline", "duration"),
    ("missing_notification", "next"),
    ("missing_data_protection", "next"),
];

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
    use crate::draft::convert::to_process;

    #[test]
    fn answers_map_to_paths_and_impossible_ones_are_dropped() {
        let process =
            to_process(&format::parse("# T\n@a A\n1 start: x\n2 task a: Bearbeitung\n3 end: fertig\n"), Vec::new())
                .process;
        let answer = "vague_name 2: sagt nichts => Antrag prüfen\n\
                      vague_name 2: doppelt => Antrag prüfen\n\
                      missing_deadline 9: gibt es nicht => 2 Wochen\n\
                      vague_name 2: gleich => Bearbeitung\n\
                      missing_notification 2: Bürger erfährt nichts => Bescheid zusenden\n\
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
    fn request_shows_the_numbered_process_after_a_fixed_prefix() {
        let process = to_process(&format::parse("# T\n@a A\n1 start: x\n2 end: y\n"), Vec::new()).process;
        let request = request(&process).unwrap();
        assert!(request.messages[1].content.contains("1 start: x\n2 end: y\n"), "{}", request.messages[1].content);
        assert!(request.grammar.unwrap().contains("missing_data_protection"));
    }
}
