//! The compact line format of drafts and of the evaluation's gold processes, the grammars of
//! the model's answers, and a renderer.
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
//! A start or task without `> N` continues with the next line; an end leads nowhere. The model
//! writes these lines without numbers and jumps, one clause of the dictation at a time
//! ([`clause_grammar`], [`closing_grammar`]); `draft::assemble` numbers and branches them.
//! [`render`] writes the title first, for reading. The parser is lenient: it accepts the title
//! anywhere and role declarations (`@bb Bürgerbüro`, then `task bb:`), as in the gold
//! processes of the evaluation set.

use serde::Serialize;

use crate::process::{Process, StepType};

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
    if let Some(title) = line.strip_prefix('#') {
        return Some(Line::Title { title: title.trim().to_owned() });
    }
    if let Some(role) = line.strip_prefix('@') {
        let (id, name) = role.split_once(' ').unwrap_or((role, ""));
        return Some(Line::Role { id: id.trim().to_owned(), name: name.trim().to_owned() });
    }
    Some(parse_step(line).map(Line::Step).unwrap_or_else(|| Line::Unreadable { text: line.to_owned() }))
}

/// Reads a line of a clause answer, whose step lines have no number (they get 0); `skip` and
/// what fits no shape are `Unreadable`.
pub fn parse_unnumbered(line: &str) -> Option<Line> {
    let line = line.trim();
    if line.starts_with('#') { parse_line(line) } else { parse_line(&format!("0 {line}")).filter(|_| !line.is_empty()) }
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

/// Whether two texts are the same but for case and whitespace.
pub(crate) fn same_text(a: &str, b: &str) -> bool {
    collapse_whitespace(a).to_lowercase() == collapse_whitespace(b).to_lowercase()
}

/// `text` as a regex inside a grammar's `/…/` terminal: every character but letters, digits and
/// spaces escaped by its code point (`regex::escape` leaves the `/` that would end the terminal,
/// so a role "Sachbearbeiter/in" made the grammar fail and the draft with it).
fn literal(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_alphanumeric() || c == ' ' { c.to_string() } else { format!("\\x{{{:x}}}", c as u32) })
        .collect()
}

/// What the answer about one clause of a dictation may hold (see `draft::clauses`).
#[derive(Debug, Clone, Copy)]
pub struct ClauseOptions<'a> {
    /// The clause is where the trigger of the process is dictated.
    pub start: bool,
    /// The clause states a condition: the answer is its decision, nothing else.
    pub condition: bool,
    /// The clause may name two pieces of work ("prüft die Belege und zahlt aus").
    pub two: bool,
    /// The clause may be a remark without work (see `draft::clauses::Clause::may_be_remark`).
    pub skip: bool,
    /// The roles to choose from (see `draft::roles`); any name where empty.
    pub roles: &'a [String],
}

/// The answer for one clause: one unnumbered decision line for a condition; otherwise `skip`,
/// or one task line (two where the clause joins two pieces of work), after a `start: …` line
/// where the trigger may be dictated. Numbers and branches are the assembler's job, because
/// each clause is drafted without knowing what the others became; left free, the model fills
/// every allowed line with work from other clauses.
pub fn clause_grammar(options: ClauseOptions) -> String {
    let role = if options.roles.is_empty() {
        text_run(":>\\n", 1, 40)
    } else {
        let names: Vec<String> = options.roles.iter().map(|r| literal(r)).collect();
        format!("(?:{})", names.join("|"))
    };
    let mut g = String::new();
    if options.condition {
        g.push_str("start: DECISION \"\\n\"\n");
        g.push_str(&format!("DECISION: /decision {role}: {}\\?/\n", text_run(">\\n?", 1, 60)));
        return g;
    }
    let tasks = if options.two { "TASK (\"\\n\" TASK)?" } else { "TASK" };
    let mut answers = vec![tasks.to_owned()];
    if options.skip {
        answers.push("\"skip\"".to_owned());
    }
    if options.start {
        // One task at most after the trigger: offered two, the model added work of later clauses.
        answers.push("START (\"\\n\" TASK)?".to_owned());
        g.push_str(&format!("START: /start: {}/\n", text_run("\\n", 1, 60)));
    }
    g.push_str(&format!("start: ({}) \"\\n\"\n", answers.join(" | ")));
    g.push_str(&format!("TASK: /task {role}: {}/\n", text_run(">\\n?", 1, 60)));
    g
}

/// Words that may join a title's words besides the dictation's own.
const TITLE_JOINERS: &[&str] = &[
    "-", "–", "und", "oder", "für", "von", "vom", "der", "die", "das", "des", "den", "dem", "im", "in", "nach", "zur",
    "zum", "mit", "bei", "beim", "auf", "an", "aus", "über",
];

/// The most words a title has.
const TITLE_WORDS: u32 = 8;

/// The last answer of a clause-wise draft: the trigger, the outcome and the title. The title is
/// made of whole `words` (the dictation's own) and a few joining words, and ends in one of
/// `words` that is no joining word: left free, the model cut titles mid-word at their length
/// limit ("Haftpflichtschaden - Selbstbä"), wrote English ("Mietschulden Overtake as Loan") and
/// copied the request's own words ("(Auslöser)").
pub fn closing_grammar(words: &[String]) -> String {
    let content: Vec<&str> =
        words.iter().map(String::as_str).filter(|w| !TITLE_JOINERS.contains(&w.to_lowercase().as_str())).collect();
    let any: Vec<&str> = content.iter().chain(TITLE_JOINERS).copied().collect();
    // Only the first word may be capitalised where the dictation has it in lower case
    // ("fernleihe" → "Fernleihe"); the last is no joining word.
    let (first, first_content) = (word_choice(&any, true), word_choice(&content, true));
    let (middle, last) = (word_choice(&any, false), word_choice(&content, false));
    let mut g = String::new();
    g.push_str("start: START \"\\n\" END \"\\n# \" TITLE \"\\n\"\n");
    g.push_str(&format!("START: /start: {}/\n", text_run("\\n", 1, 60)));
    g.push_str(&format!("END: /end: {}/\n", text_run("\\n", 1, 60)));
    g.push_str(&format!("TITLE: /{first_content}|{first}(?: {middle}){{0,{}}} {last}/\n", TITLE_WORDS - 2));
    g
}

/// A regex of one of `words`, each also capitalised where `capitalised`.
fn word_choice(words: &[&str], capitalised: bool) -> String {
    let mut forms: Vec<String> = Vec::new();
    for word in words {
        let mut chars = word.chars();
        let upper: String = chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default();
        for form in [(*word).to_owned(), upper].into_iter().take(if capitalised { 2 } else { 1 }) {
            if !form.is_empty() && !forms.contains(&form) {
                forms.push(form);
            }
        }
    }
    format!("(?:{})", forms.iter().map(|w| literal(w)).collect::<Vec<_>>().join("|"))
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
    fn a_clause_answer_is_one_decision_or_a_task_or_two() {
        let plain =
            clause_grammar(ClauseOptions { start: false, condition: false, two: false, skip: false, roles: &[] });
        let condition =
            clause_grammar(ClauseOptions { start: false, condition: true, two: false, skip: false, roles: &[] });
        let two = clause_grammar(ClauseOptions { start: false, condition: false, two: true, skip: true, roles: &[] });
        let first = clause_grammar(ClauseOptions { start: true, condition: false, two: false, skip: true, roles: &[] });
        assert!(accepts(&plain, "task Bürgerbüro: Antrag prüfen\n"));
        assert!(!accepts(&plain, "task Bürgerbüro: Antrag prüfen\ntask Bürgerbüro: Bescheid senden\n"), "one task");
        assert!(!accepts(&plain, "skip\n"), "skipping is not allowed");
        assert!(!accepts(&plain, "task: Antrag prüfen\n"), "a task names its role");
        assert!(!accepts(&plain, "decision Bürgerbüro: Vollständig?\n"), "no condition, no decision");
        assert!(!accepts(&plain, "2 task Bürgerbüro: Antrag prüfen\n"), "numbers are the assembler's");
        assert!(!accepts(&plain, "task Bürgerbüro: Antrag prüfen > 4\n"), "and so are jumps");
        assert!(accepts(&condition, "decision Bürgerbüro: Unterlagen vollständig?\n"));
        assert!(!accepts(&condition, "task Bürgerbüro: Antrag prüfen\n"), "a condition is a decision");
        assert!(!accepts(&condition, "decision Bürgerbüro: Unterlagen vollständig\n"), "a question");
        assert!(accepts(&two, "task SB: Belege prüfen\ntask SB: Betrag auszahlen\n"));
        assert!(accepts(&two, "skip\n"));
        assert!(!accepts(&two, "task SB: a\ntask SB: b\ntask SB: c\n"), "at most two");
        assert!(accepts(&first, "start: Antrag eingegangen\ntask SB: Antrag prüfen\n"));
        assert!(!accepts(&plain, "start: Antrag eingegangen\n"), "only the first clause starts");
        // Readable text only: umlauts, § and € pass; invisible tag and control characters do not.
        assert!(accepts(&plain, "task SB: Gebühr (5 €) nach § 3 erheben\n"));
        assert!(!accepts(&plain, "task SB: Termin\u{e0020}\u{e0020}\n"));
        assert!(!accepts(&plain, "task SB: Anruf\u{7}\n"));
        assert!(!accepts(&plain, "task SB: Anruf 电话\n"));
    }

    #[test]
    fn named_roles_are_the_only_choice() {
        let roles = ["Bürgerbüro".to_owned(), "Kita-Leitung (Süd)".to_owned(), "Sachbearbeiter/in".to_owned()];
        let g =
            clause_grammar(ClauseOptions { start: false, condition: false, two: false, skip: false, roles: &roles });
        assert!(accepts(&g, "task Bürgerbüro: Antrag prüfen\n"));
        assert!(accepts(&g, "task Kita-Leitung (Süd): Vertrag abschließen\n"));
        assert!(accepts(&g, "task Sachbearbeiter/in: Akte anlegen\n"));
        assert!(!accepts(&g, "task SB: Antrag prüfen\n"));
        assert!(!accepts(&g, "task Antrag: Antrag prüfen\n"));
    }

    #[test]
    fn the_closing_answer_is_trigger_outcome_and_a_short_title() {
        let words: Vec<String> =
            ["Parkausweis", "ausstellen", "Antrag", "prüfen", "Bescheid", "senden", "fernleihe", "T"]
                .map(String::from)
                .into();
        let g = closing_grammar(&words);
        assert!(accepts(&g, "start: Antrag eingegangen\nend: Antrag beschieden\n# Parkausweis ausstellen\n"));
        assert!(
            accepts(&g, "start: Antrag da\nend: fertig\n# Fernleihe - Antrag für Parkausweis\n"),
            "joined, capitalised"
        );
        assert!(!accepts(&g, "start: Antrag eingegangen\nend: Antrag beschieden\n"), "no title");
        assert!(!accepts(&g, "start: a\nend: b\n# Antrag prüfen, Bescheid senden\n"), "a name, not a list");
        assert!(!accepts(&g, "start: a\ntask SB: b\nend: c\n# T\n"));
        assert!(!accepts(&g, "start: Antrag da\nend: fertig\n# Parkausw\n"), "a word cut off");
        assert!(
            !accepts(&g, "start: Antrag da\nend: fertig\n# Parkausweis Request\n"),
            "a word the dictation does not say"
        );
        assert!(!accepts(&g, "start: a\nend: b\n# Antrag Antrag Antrag Antrag Antrag Antrag Antrag Antrag Antrag\n"));
        assert!(!accepts(&g, "start: Antrag da\nend: fertig\n# Antrag für\n"), "a joining word last");
        assert!(!accepts(&g, "start: Antrag da\nend: fertig\n# Antrag Prüfen\n"), "capitalised only first");
        assert!(accepts(&g, "start: Antrag da\nend: fertig\n# Fernleihe\n"));
    }

    #[test]
    fn unnumbered_lines_read_as_steps() {
        let Some(Line::Step(step)) = parse_unnumbered("decision SB: Unterlagen vollständig?") else { panic!() };
        assert_eq!((step.number, step.kind, step.role.as_deref()), (0, StepType::Decision, Some("SB")));
        assert_eq!(parse_unnumbered("# Titel"), Some(Line::Title { title: "Titel".into() }));
        assert!(matches!(parse_unnumbered("skip"), Some(Line::Unreadable { .. })));
        assert_eq!(parse_unnumbered("  "), None);
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
