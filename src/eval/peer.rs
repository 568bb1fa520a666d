//! The peer drafting is measured against (`ablauf eval draft --clause-paste`): the script the
//! drafting issue compares the model with, which only cuts a dictation into clauses at sentence
//! ends, bullets, arrows, "dann" and ", wenn" and pastes every clause as a task. Scored by the
//! same matcher as the model's drafts, it shows how much of a gold process plain cutting finds.

use std::sync::LazyLock;

use regex::Regex;

use crate::draft::{Draft, DraftStats};
use crate::llm::FinishReason;
use crate::process::{Flow, Process, Step, StepType};

/// The name the peer's report carries where a model's id would stand.
pub const PEER_ID: &str = "clause-paste peer";

/// Where the peer cuts: sentence ends, line breaks, bullets, arrows, and before "dann" and
/// ", wenn" / ", sonst" (the words stay with the clause they open).
static CUT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)[.!?;:](?:\s+|$)|\n+|\s*(?:→|->|=>)\s*|^\s*[-*•]\s+|\s(?:dann|Dann)\b|,\s*(?:wenn|sonst)\b")
        .expect("the cut pattern is valid")
});

/// The dictation's clauses in order, bullets and commas trimmed.
pub fn clauses(dictation: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut from = 0;
    for cut in CUT.find_iter(dictation) {
        out.push(&dictation[from..cut.start()]);
        // A cut before a word keeps the word: it opens the next clause.
        let kept = cut.as_str().trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        from = if kept.chars().next().is_some_and(char::is_alphabetic) { cut.end() - kept.len() } else { cut.end() };
    }
    out.push(&dictation[from..]);
    out.into_iter()
        .map(|c| c.trim_matches(|c: char| c.is_whitespace() || matches!(c, ',' | '-' | '*' | '•')).to_owned())
        .filter(|c| c.chars().any(char::is_alphabetic))
        .collect()
}

/// A linear process: a start, every clause as a task in the dictation's order, an end.
pub fn paste_clauses(dictation: &str) -> Process {
    let names = clauses(dictation);
    let last = names.len() + 1;
    let step = |i: usize, kind: StepType, name: String| Step {
        id: format!("s{i}"),
        kind,
        name,
        next: if i < last { vec![Flow { to: format!("s{}", i + 1), ..Flow::default() }] } else { Vec::new() },
        ..Step::default()
    };
    let mut steps = vec![step(0, StepType::Start, "Start".to_owned())];
    steps.extend(names.into_iter().enumerate().map(|(i, name)| step(i + 1, StepType::Task, name)));
    steps.push(step(last, StepType::End, "Ende".to_owned()));
    Process { title: "Eingefügte Sätze".to_owned(), steps, ..Process::default() }
}

/// The peer's draft of `dictation`, shaped as the model's drafts are for scoring.
pub fn draft(dictation: &str) -> Draft {
    let started = std::time::Instant::now();
    let process = paste_clauses(dictation);
    Draft {
        process,
        findings: Vec::new(),
        repairs: Vec::new(),
        stats: DraftStats {
            model_id: PEER_ID.to_owned(),
            template_sha256: String::new(),
            finish: FinishReason::Stop,
            first_step_s: None,
            total_s: started.elapsed().as_secs_f64(),
            generation: Default::default(),
        },
        compact: String::new(),
        clauses: Vec::new(),
        dictation: dictation.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peer_cuts_at_sentence_ends_bullets_arrows_dann_and_wenn() {
        let text = "Antrag kommt rein. SB prüft → Bescheid\n- Gebühr buchen\nDie Kasse zahlt aus, dann \
                    archivieren wir, wenn alles passt: fertig";
        assert_eq!(
            clauses(text),
            [
                "Antrag kommt rein",
                "SB prüft",
                "Bescheid",
                "Gebühr buchen",
                "Die Kasse zahlt aus",
                "dann archivieren wir",
                "wenn alles passt",
                "fertig"
            ]
        );
        let process = paste_clauses(text);
        assert_eq!(process.steps.len(), 10, "a start, eight tasks, an end");
        let validation = crate::process::validate(&process);
        assert!(validation.errors.is_empty(), "{:?}", validation.errors);
        assert_eq!(process.steps[9].kind, StepType::End);
        assert!(process.steps[9].next.is_empty());
    }
}
