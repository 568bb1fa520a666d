//! The compact line format the model writes instead of verbose JSON, its grammar and a renderer.
//!
//! Output length is the main cost of a draft on a CPU (a verbose JSON process is 450–650 tokens,
//! this format 60–120), so every line is short and most flows are implicit:
//!
//! ```text
//! 1 start: Antrag eingegangen
//! 2 task Bürgerbüro: Antrag prüfen
//! 3 decision Bürgerbüro: Unterlagen vollständig? > ja: 4 | nein: 5
//! 4 task Bürgerbüro: Parkausweis ausstellen > 6
//! 5 task Bürgerbüro: Antrag ablehnen
//! 6 end: Antrag beschieden
//! # Anwohnerparkausweis ausstellen
//! ```
//!
//! A start or task without `> N` continues with the next line; an end leads nowhere. Each step
//! names its role, and the title comes last: the clerk watching the stream sees the first step
//! as soon as the model has read the dictation, not after a title and a list of roles (which
//! took a second on the 2-core reference machine). [`render`] writes the title first, for
//! reading. The parser is lenient: it accepts the title anywhere and role declarations
//! (`@bb Bürgerbüro`, then `task bb:`), as in the gold processes of the evaluation set and in
//! what a model without grammar support writes; the grammar makes the constrained model write
//! exactly the shape above.

use serde::Serialize;

use crate::process::{Process, StepType};

/// What the model answers when the text describes no process.
pub const NOT_A_PROCESS: &str = "KEIN ABLAUF";

/// Most steps a draft may have; the grammar stops numbering there.
pub const MAX_STEPS: u32 = 30;

/// One line of compact output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "line", rename_all = "snake_case")]
pub enum Line {
    Title {
        title: String,
    },
    /// A declaration `@id Name`; steps may then name the role by its id.
    Role {
        id: String,
        name: String,
    },
    Step(StepLine),
    NotAProcess,
    /// A line that fits no shape; the converter reports it.
    Unreadable {
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepLine {
    pub number: u32,
    #[serde(rename = "type")]
    pub kind: StepType,
    /// The role's name, or its id where roles were declared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub name: String,
    /// Explicit successors; empty means "the next line" for starts and tasks.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<Target>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Target {
    pub to: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
}

/// Reads one line (without its newline). Blank lines are `None`.
pub fn parse_line(line: &str) -> Option<Line> {
    let line = line.trim();
    if line.is_empty() {
        return None;
    }
    if line.eq_ignore_ascii_case(NOT_A_PROCESS) {
        return Some(Line::NotAProcess);
    }
    if let Some(title) = line.strip_prefix('#') {
        return Some(Line::Title { title: title.trim().to_owned() });
    }
    if let Some(role) = line.strip_prefix('@') {
        let (id, name) = role.split_once(' ').unwrap_or((role, ""));
        return Some(Line::Role { id: id.trim().to_owned(), name: name.trim().to_owned() });
    }
    Some(parse_step(line).map(Line::Step).unwrap_or_else(|| Line::Unreadable { text: line.to_owned() }))
}

/// Reads a whole answer.
pub fn parse(text: &str) -> Vec<Line> {
    text.lines().filter_map(parse_line).collect()
}

fn parse_step(line: &str) -> Option<StepLine> {
    let (number, rest) = line.split_once(' ')?;
    let number: u32 = number.trim_end_matches('.').parse().ok()?;
    let (head, tail) = rest.split_once(':')?;
    let (kind, role) = head.trim().split_once(' ').unwrap_or((head.trim(), ""));
    let kind = match kind {
        "start" => StepType::Start,
        "task" => StepType::Task,
        "decision" => StepType::Decision,
        "parallel" => StepType::Parallel,
        "end" => StepType::End,
        _ => return None,
    };
    let role = Some(collapse_whitespace(role)).filter(|r| !r.is_empty());
    let (name, targets) = match tail.split_once('>') {
        Some((name, targets)) => (name, parse_targets(targets)?),
        None => (tail, Vec::new()),
    };
    Some(StepLine { number, kind, role, name: name.trim().to_owned(), targets })
}

fn parse_targets(text: &str) -> Option<Vec<Target>> {
    text.split('|')
        .map(|branch| {
            let (condition, to) = match branch.rsplit_once(':') {
                Some((condition, to)) => (Some(condition.trim().to_owned()), to),
                None => (None, branch),
            };
            Some(Target { to: to.trim().parse().ok()?, condition: condition.filter(|c| !c.is_empty()) })
        })
        .collect()
}

/// Writes a process in the compact format (title first, steps numbered by position, roles by
/// name), e.g. to show it to the model in a review. Flows to unknown steps are left out.
pub fn render(process: &Process) -> String {
    let mut out = format!("# {}\n", one_line(&process.title));
    let number = |id: &str| process.steps.iter().position(|s| s.id == id).map(|i| i + 1);
    let role_name = |id: &str| process.roles.iter().find(|r| r.id == id).map_or(id.to_owned(), |r| r.name.clone());
    for (i, step) in process.steps.iter().enumerate() {
        let role =
            step.role.as_deref().map(|r| format!(" {}", one_line(&role_name(r)).replace(':', " "))).unwrap_or_default();
        out.push_str(&format!("{} {}{role}: {}", i + 1, step.kind.as_str(), one_line(&step.name)));
        let targets: Vec<(usize, Option<&str>)> =
            step.next.iter().filter_map(|f| Some((number(&f.to)?, f.condition.as_deref()))).collect();
        let implicit = matches!(step.kind, StepType::Start | StepType::Task)
            && matches!(targets.as_slice(), [(to, None)] if *to == i + 2);
        if !targets.is_empty() && !implicit {
            let branches: Vec<String> = targets
                .iter()
                .map(|(to, condition)| match condition {
                    Some(c) => format!("{}: {to}", one_line(c).replace(['|', ':', '>'], " ")),
                    None => to.to_string(),
                })
                .collect();
            out.push_str(&format!(" > {}", branches.join(" | ")));
        }
        out.push('\n');
    }
    out
}

fn one_line(text: &str) -> String {
    collapse_whitespace(text).replace('>', "-")
}

/// `text` with every run of whitespace (line breaks included) made one space, trimmed.
pub(crate) fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Which shapes the grammar admits for one dictation.
#[derive(Debug, Clone, Copy)]
pub struct GrammarOptions {
    /// Decisions are only allowed when the dictation names a condition; otherwise small models
    /// invent generic yes/no checks.
    pub allow_decisions: bool,
}

/// Most ends a draft may have beyond the first: each decision opens one more.
const MAX_EXTRA_ENDS: u32 = 3;

/// The llguidance Lark grammar of the compact format. Step numbers are forced (each level of
/// the nested `sN_E` rules writes its own number), the first step is the start, and the steps
/// can only end after an end step; the title line follows. `E` counts the ends still allowed
/// beyond one: a decision opens a branch that may end separately, so small models cannot ramble
/// on after the process is over. Each line body is one lexeme: llguidance lexes greedily, so a
/// name followed by a separator must live in the same regex as the separator.
pub fn grammar(options: GrammarOptions) -> String {
    let role = text_run(":>\\n", 1, 40);
    let name = text_run(">", 1, 60);
    let target = "[1-9][0-9]?";
    let condition = text_run(">:|", 0, 30);
    let line = |min: u32, max: u32| text_run("\\n", min, max);
    let mut g = String::new();
    g.push_str(&format!("start: process | \"{NOT_A_PROCESS}\"\n"));
    g.push_str("process: s1 \"# \" TITLE \"\\n\"\n");
    g.push_str("s1: \"1 start: \" NAME \"\\n\" s2_0\n");
    let max_extra = if options.allow_decisions { MAX_EXTRA_ENDS } else { 0 };
    for n in 2..=MAX_STEPS {
        for extra in 0..=max_extra.min(n - 2) {
            let mut alternatives = Vec::new();
            let next = n + 1;
            if n < MAX_STEPS {
                alternatives.push(format!("TASK \"\\n\" s{next}_{extra}"));
                if options.allow_decisions {
                    alternatives.push(format!("DECISION \"\\n\" s{next}_{}", (extra + 1).min(max_extra)));
                }
            }
            alternatives.push(match extra {
                0 => "END \"\\n\"".to_owned(),
                _ if n == MAX_STEPS => "END \"\\n\"".to_owned(),
                _ => format!("END \"\\n\" s{next}_{}?", extra - 1),
            });
            g.push_str(&format!("s{n}_{extra}: \"{n} \" ({})\n", alternatives.join(" | ")));
        }
    }
    // At the end of the answer, small models summarise every step into the title; one clause
    // of at most 50 characters (no list, no sentence) keeps it a name.
    g.push_str(&format!("TITLE: /{}/\n", text_run("\\n,;:.#", 2, 50)));
    g.push_str(&format!("NAME: /{}/\n", line(1, 60)));
    g.push_str(&format!("TASK: /task {role}: {name}( > {target})?/\n"));
    if options.allow_decisions {
        g.push_str(&format!(
            "DECISION: /decision( {role})?: {name} > {condition}: {target}( \\| {condition}: {target}){{1,3}}/\n"
        ));
    }
    g.push_str(&format!("END: /end: {}/\n", line(1, 60)));
    g
}

/// A regex of text that does not start with a space: one [`text_char`] and `min..=max` more, none
/// of them in `exclude`.
pub(crate) fn text_run(exclude: &str, min: u32, max: u32) -> String {
    format!("{}{}{{{min},{max}}}", text_char(&format!("{exclude} ")), text_char(exclude))
}

/// A regex class of one character of text in Latin script other than those in `exclude`:
/// Latin letters with their accents, ASCII, the Latin-1 signs (§, °, ½), typographic
/// punctuation and €. Small multilingual models otherwise drift into other scripts or pad
/// names with invisible characters; German administrative text needs neither.
pub(crate) fn text_char(exclude: &str) -> String {
    format!(r"[\p{{Latin}}\p{{M}}\x20-\x7e\u00a0-\u00bf\u00d7\u00f7\u2010-\u2027\u2030-\u205e\u20ac&&[^{exclude}]]")
}

/// Splits streamed text pieces into complete lines as they arrive.
#[derive(Debug, Default)]
pub struct LineSplitter {
    pending: String,
}

impl LineSplitter {
    /// Adds a piece of generated text and returns the lines it completed.
    pub fn push(&mut self, piece: &str) -> Vec<Line> {
        self.pending.push_str(piece);
        let mut lines = Vec::new();
        while let Some(end) = self.pending.find('\n') {
            let line: String = self.pending.drain(..=end).collect();
            lines.extend(parse_line(&line));
        }
        lines
    }

    /// The last line, which has no newline after it.
    pub fn finish(&mut self) -> Option<Line> {
        parse_line(&std::mem::take(&mut self.pending))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_lines_parse_with_roles_conditions_and_jumps() {
        let Some(Line::Step(step)) = parse_line("3 decision bb: Unterlagen vollständig? > ja: 4 | nein, fehlt was: 5")
        else {
            panic!("not a step")
        };
        assert_eq!((step.number, step.kind, step.role.as_deref()), (3, StepType::Decision, Some("bb")));
        assert_eq!(step.name, "Unterlagen vollständig?");
        assert_eq!(step.targets[1], Target { to: 5, condition: Some("nein, fehlt was".into()) });

        let Some(Line::Step(step)) = parse_line("4 task bb: Frist: zwei Wochen setzen > 2") else { panic!() };
        assert_eq!((step.name.as_str(), step.targets[0].to), ("Frist: zwei Wochen setzen", 2));
        let Some(Line::Step(step)) = parse_line("5 task Untere  Naturschutzbehörde: Stellungnahme abgeben") else {
            panic!()
        };
        assert_eq!(step.role.as_deref(), Some("Untere Naturschutzbehörde"));
        let Some(Line::Step(step)) = parse_line("6 end: fertig") else { panic!() };
        assert_eq!(step.role, None);
        assert_eq!(parse_line("x task: y"), Some(Line::Unreadable { text: "x task: y".into() }));
        assert_eq!(parse_line("  "), None);
        assert_eq!(parse_line("kein ablauf"), Some(Line::NotAProcess));
    }

    #[test]
    fn grammar_has_one_rule_per_step_level() {
        let g = grammar(GrammarOptions { allow_decisions: false });
        assert!(g.contains("s2_0: \"2 \" (TASK \"\\n\" s3_0 | END \"\\n\")"), "{g}");
        assert!(!g.contains("DECISION"));
    }

    #[test]
    fn splitter_yields_lines_only_when_complete() {
        let mut s = LineSplitter::default();
        assert!(s.push("# Tit").is_empty());
        assert_eq!(
            s.push("el\n@a B\n1 sta"),
            vec![Line::Title { title: "Titel".into() }, Line::Role { id: "a".into(), name: "B".into() }]
        );
        assert!(matches!(s.finish(), Some(Line::Unreadable { .. })));
    }

    /// Feeds `text` byte by byte through the grammar, as a model with a one-byte vocabulary would.
    fn accepts(grammar: &str, text: &str) -> bool {
        let env = toktrie::ApproximateTokEnv::single_byte_env();
        let factory = llguidance::ParserFactory::new_simple(&env).unwrap();
        let mut matcher = llguidance::Matcher::new(
            factory.create_parser(llguidance::api::TopLevelGrammar::from_lark(grammar.to_owned())),
        );
        assert_eq!(matcher.get_error(), None, "grammar does not compile");
        let tokens: Vec<u32> = text.bytes().map(u32::from).collect();
        matcher.validate_tokens(&tokens).unwrap() == tokens.len()
            && matcher.consume_tokens(&tokens).is_ok()
            && matcher.is_accepting().unwrap()
    }

    const EXAMPLE: &str = "1 start: Antrag eingegangen\n2 task Sachbearbeitung Bürgerbüro: Antrag prüfen\n3 decision Sachbearbeitung Bürgerbüro: Unterlagen vollständig? > ja: 4 | nein: 5\n4 task Sachbearbeitung Bürgerbüro: Parkausweis ausstellen > 6\n5 task Sachbearbeitung Bürgerbüro: Antrag ablehnen\n6 end: Antrag beschieden\n# Anwohnerparkausweis ausstellen\n";

    #[test]
    fn grammar_accepts_the_format_and_nothing_else() {
        let with = grammar(GrammarOptions { allow_decisions: true });
        let without = grammar(GrammarOptions { allow_decisions: false });
        assert!(accepts(&with, EXAMPLE));
        assert!(!accepts(&without, EXAMPLE), "decisions are off");
        assert!(accepts(&with, NOT_A_PROCESS));
        let linear = "1 start: Anruf\n2 task Servicecenter: Termin vergeben\n3 end: Termin steht\n# Müll anmelden\n";
        assert!(accepts(&without, linear));
        // Wrong number, a task without a role, no end, no title, the title first, declarations,
        // JSON: all impossible.
        assert!(!accepts(&with, &linear.replace("2 task", "3 task")));
        assert!(!accepts(&with, &linear.replace("task Servicecenter:", "task:")));
        assert!(!accepts(&with, "1 start: Anruf\n2 task Servicecenter: Termin vergeben\n# Müll anmelden\n"));
        assert!(!accepts(&with, "1 start: Anruf\n2 task Servicecenter: Termin vergeben\n3 end: Termin steht\n"));
        assert!(!accepts(&with, "# Müll anmelden\n1 start: Anruf\n2 task sc: Termin vergeben\n3 end: Termin steht\n"));
        assert!(!accepts(&with, &format!("@sc Servicecenter\n{linear}")));
        assert!(!accepts(&with, "{\"title\": \"x\"}"));
        // Readable text only: umlauts, § and € pass; invisible tag and control characters do not.
        assert!(accepts(&without, &linear.replace("Termin vergeben", "Gebühr (5 €) nach § 3 erheben")));
        assert!(!accepts(&without, &linear.replace("Termin steht", "Termin steht\u{e0020}\u{e0020}")));
        assert!(!accepts(&without, &linear.replace("Anruf", "Anruf\u{7}")));
        assert!(!accepts(&without, &linear.replace("Anruf", "Anruf 电话")));
        // Once the process is over (one end per decision branch), only the title may follow.
        let steps = linear.trim_end_matches("# Müll anmelden\n");
        assert!(!accepts(&without, &format!("{steps}4 task Servicecenter: weiterreden\n5 end: noch ein Ende\n# T\n")));
        let example_steps = EXAMPLE.trim_end_matches("# Anwohnerparkausweis ausstellen\n");
        assert!(!accepts(
            &with,
            &format!(
                "{example_steps}7 task Bürgerbüro: weiter\n8 end: drittes Ende\n9 task Bürgerbüro: x\n10 end: y\n# T\n"
            )
        ));
    }

    #[test]
    fn render_and_parse_round_trip() {
        let rendered = "# Anwohnerparkausweis ausstellen\n1 start: Antrag eingegangen\n2 task Sachbearbeitung Bürgerbüro: Antrag prüfen\n3 decision Sachbearbeitung Bürgerbüro: Unterlagen vollständig? > ja: 4 | nein: 5\n4 task Sachbearbeitung Bürgerbüro: Parkausweis ausstellen > 6\n5 task Sachbearbeitung Bürgerbüro: Antrag ablehnen\n6 end: Antrag beschieden\n";
        for text in [EXAMPLE, rendered] {
            let process = crate::compact::convert::to_process(&parse(text), Vec::new()).process;
            assert_eq!(render(&process), rendered);
        }
    }
}
