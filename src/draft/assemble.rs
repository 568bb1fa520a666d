//! Clause answers put together into one process in the compact format.
//!
//! Each clause of a dictation was drafted on its own (`skip`, or a few unnumbered step lines),
//! so the order is the dictation's and the branches come from the clauses' wording: a
//! decision's "ja" branch is the work of the clause after it, its "nein" branch the work of a
//! following "sonst …" clause, or what comes after the conditional work.

use crate::compact::format::{self, Line};
use crate::process::StepType;

use super::actors::{Actor, actor, subject_of};
use super::checks::Check;
use super::clauses::{Clause, ClauseKind, PARTICLES, common_start, positive, without_ge, words};
use super::naming::{question_name, task_name, with_clause_particle, with_verb_last};
use super::reference;
use super::roles;

#[derive(Debug, Clone)]
struct Node {
    kind: StepType,
    role: Option<String>,
    name: String,
    clause: usize,
    /// Successors as (condition, node index); `None` as index means the end.
    targets: Vec<(Option<&'static str>, Option<usize>)>,
}

/// Whether two task names of one clause name one act: the same verb, and every word of one
/// among the other's.
fn restates(a: &str, b: &str) -> bool {
    let words = |name: &str| -> Vec<String> { words(&name.to_lowercase()).map(str::to_owned).collect() };
    let (a, b) = (words(a), words(b));
    let (short, long) = if a.len() <= b.len() { (&a, &b) } else { (&b, &a) };
    a.last().is_some() && a.last() == b.last() && short.iter().all(|w| long.contains(w))
}

/// The compact text of the process the clause answers describe, with `closing` (the answer
/// of the closing request: start, end and title) around them, and whether the clauses
/// themselves had to stand in for the steps (no answer named work of its clause).
/// A step with one of the `foreign` words (see [`foreign_words`]) came from the prompt's examples,
/// not from the dictation. `checks` are the clauses' parts in checks (see
/// [`super::checks::mark`]): a request for what is missing leads back to its check.
pub fn assemble(
    clauses: &[Clause],
    answers: &[String],
    checks: &[Option<Check>],
    foreign: &[String],
    closing: &str,
) -> (String, bool) {
    let mut start = None;
    let mut nodes: Vec<Node> = Vec::new();
    for (clause, answer) in answers.iter().enumerate() {
        // A rule's answer is in a modeller's words, not the clause's (see `checks`).
        let ruled = checks.get(clause).is_some_and(Option::is_some);
        // Beside the trigger, the model names what is done with what arrives ("Antrag kommt" →
        // "Antrag eintragen"); only work the clause says is kept, and only where the office does
        // it ("Friedhofsverwaltung erstellt die Liste", "wir lassen bewerten"): what the applicant
        // does there is the trigger itself ("Eltern melden Kind an", "BH zeigt Fertigstellung an").
        let trigger = start.is_none() && answer.lines().any(|l| l.trim_start().starts_with("start"));
        let trigger_by_others = trigger
            && match actor(&clauses[clause].text) {
                Actor::Speaker => false,
                Actor::Unit(unit) => roles::is_person(&unit),
                Actor::Previous | Actor::Unsaid => true,
            };
        // Where the model answered an outside party's request that opens the case with a task of
        // theirs ("Die Firma schickt den Antrag mit Drehplan"), it is the trigger all the same,
        // and the closing request names it: a modeller draws no task for it. Their own work
        // stays ("Der Leser füllt den Fernleihschein aus").
        let opening_by_others = !trigger
            && !ruled
            && start.is_none()
            && nodes.is_empty()
            && clause <= 2
            && matches!(actor(&clauses[clause].text), Actor::Unit(unit) if roles::is_person(&unit));
        let mut tasks = 0;
        let kept = nodes.len();
        // The role of a task dropped for naming no word of its clause.
        let mut misnamed = None;
        for line in answer.lines().map(str::trim).filter(|l| !l.is_empty() && *l != "skip") {
            let Some(Line::Step(mut step)) = format::parse_unnumbered(line) else { continue };
            step.name = without_stutter(&step.name);
            if step.kind == StepType::Task && !ruled {
                let known: Vec<String> = nodes.iter().filter_map(|n| n.role.clone()).chain(step.role.clone()).collect();
                if let Some(subject) = subject_of(&step.name, &clauses[clause].text, &known) {
                    step.role = Some(subject);
                }
            }
            if step.kind == StepType::Task {
                tasks += 1;
            }
            match step.kind {
                StepType::Start => {
                    start.get_or_insert(step.name);
                }
                // Offered a second line, the model fills it with work the clause does not say
                // ("Gebühr kassiert" → "Gebühr kassieren", "Kasse überprüfen").
                StepType::Task if !ruled && trigger_by_others => {}
                StepType::Task
                    if opening_by_others
                        && step.role.as_deref().is_some_and(roles::is_person)
                        && submits(&with_clause_particle(&step.name, &clauses[clause].text)) => {}
                StepType::Task
                    if !ruled
                        && (tasks > 1 || trigger)
                        && !verb_said(&step.name, &clauses[clause].text)
                        && !verb_said(&task_name(&step.name), &clauses[clause].text) => {}
                // A task or question that shares no word with its clause was taken from elsewhere
                // in the dictation: the task goes, the question is asked in the clause's words.
                StepType::Task
                    if !ruled
                        && (!shares_word(&step.name, &clauses[clause].text)
                            || takes_over(&step.name, foreign)
                            || degenerate(&step.name)) =>
                {
                    misnamed.get_or_insert(step.role);
                }
                // A condition may refer to the clause before it ("prüft die Breite. Reicht nicht →").
                StepType::Decision
                    if !ruled
                        && ((!shares_word(&step.name, &clauses[clause].text)
                            && !clause.checked_sub(1).is_some_and(|c| shares_word(&step.name, &clauses[c].text)))
                            || takes_over(&step.name, foreign)
                            || degenerate(&step.name)) =>
                {
                    let name = question_name(&clauses[clause].as_question());
                    nodes.push(Node { kind: step.kind, role: step.role, name, clause, targets: Vec::new() });
                }
                StepType::Task | StepType::Decision => {
                    let name = if ruled {
                        step.name
                    } else if step.kind == StepType::Task {
                        let said = &clauses[clause].text;
                        task_name(&with_clause_particle(&with_verb_last(&step.name, said), said))
                    } else if nominalises(&step.name, &clauses[clause].text) {
                        question_name(&clauses[clause].as_question())
                    } else {
                        question_name(&step.name)
                    };
                    // A decision asked twice may be a condition and its opposite (merged below).
                    // One act said once may come back as a clause's second line with more or
                    // fewer of the same words ("Erneut prüfen", "Erneut am nächsten Morgen
                    // prüfen"); the first line stays. The same act by another role is a step of
                    // its own ("entscheidet Kämmerer", "darüber entscheidet BM").
                    let repeat = step.kind == StepType::Task
                        && (nodes.iter().any(|n| {
                            n.kind == StepType::Task && n.role == step.role && format::same_text(&n.name, &name)
                        }) || nodes[kept..].iter().any(|n| n.kind == StepType::Task && restates(&n.name, &name)));
                    if !repeat {
                        nodes.push(Node { kind: step.kind, role: step.role, name, clause, targets: Vec::new() });
                    }
                }
                StepType::End | StepType::Parallel => {}
            }
        }
        // "Bauhof sichert sofort ab" → "Bau abgeschlossen": where the model misnamed the only work
        // of a clause whose subject is a unit, the unit's part of the clause names it ("Sofort
        // absichern"; "Friedhofsgärtner räumt ab, Verwaltung stellt …" → "Abräumen").
        let own = clauses[clause].text.split([',', ';']).next().unwrap_or_default();
        if let Some(role) = misnamed
            && nodes.len() == kept
            && matches!(actor(own), Actor::Unit(_))
        {
            let name = task_name(own);
            nodes.push(Node { kind: StepType::Task, role, name, clause, targets: Vec::new() });
        }
    }
    let mut end = None;
    let mut title = None;
    for line in closing.lines().filter_map(format::parse_unnumbered) {
        match line {
            Line::Step(step) if step.kind == StepType::Start => {
                start.get_or_insert(step.name);
            }
            Line::Step(step) if step.kind == StepType::End => end = Some(step.name),
            Line::Title { title: t } => title = Some(t),
            _ => {}
        }
    }
    // A small model may answer every clause from its prompt's examples: the dictation's own
    // clauses are then the better draft.
    let from_clauses = nodes.is_empty();
    if from_clauses {
        nodes = clauses
            .iter()
            .enumerate()
            .filter(|(_, c)| c.kind == ClauseKind::Plain)
            .map(|(i, c)| Node {
                kind: StepType::Task,
                role: None,
                name: step_name(&c.text),
                clause: i,
                targets: Vec::new(),
            })
            .collect();
    }
    // A decision is taken by whoever did the work before it: asked about a condition alone,
    // the model guesses the role from anywhere in the dictation.
    let mut last_role = None;
    for node in &mut nodes {
        match node.kind {
            StepType::Decision if last_role.is_some() => node.role.clone_from(&last_role),
            _ => last_role.clone_from(&node.role),
        }
    }
    unify_roles(&mut nodes);
    name_referents(clauses, &mut nodes);
    merge_restated_conditions(clauses, &mut nodes);
    merge_complementary_decisions(clauses, &mut nodes);
    name_bare_states(clauses, &mut nodes);
    branch(clauses, &mut nodes);
    loop_back(checks, &mut nodes);
    let text = render(
        &nodes,
        start.as_deref().unwrap_or("Vorgang beginnt"),
        end.as_deref().unwrap_or("Vorgang abgeschlossen"),
        title,
    );
    (text, from_clauses)
}

/// Verbs by which a party hands in or asks for something, compounds included ("zusenden").
const SUBMITTING: &[&str] = &[
    "senden",
    "schicken",
    "stellen",
    "einreichen",
    "melden",
    "beantragen",
    "anfragen",
    "bewerben",
    "anrufen",
    "bringen",
    "vorlegen",
    "abgeben",
    "eintragen",
    "übermitteln",
    "schreiben",
];

/// Whether a task name's verb hands something in or asks ("Antrag stellen", "Kind online anmelden").
fn submits(name: &str) -> bool {
    name.split_whitespace().last().is_some_and(|verb| SUBMITTING.iter().any(|s| verb.to_lowercase().ends_with(s)))
}

/// The words of the example answers in `prompt` that a draft of `dictation` has no reason to use:
/// their nouns, and every word of their questions ("Verlängerung gewünscht?"), unless the
/// dictation says them too. A small model carries them over: "ob die Person berechtigt ist" →
/// "Berechtigung gewünscht?", "Antrag kommt rein" → "Antrag ins Fachverfahren eintragen".
pub fn foreign_words(prompt: &str, dictation: &str) -> Vec<String> {
    let said = content_words(dictation);
    let mut foreign: Vec<String> = Vec::new();
    for line in prompt.lines().filter_map(format::parse_unnumbered) {
        let Line::Step(step) = line else { continue };
        let words = step
            .name
            .split_whitespace()
            .filter(|w| step.kind == StepType::Decision || w.chars().next().is_some_and(char::is_uppercase));
        for word in words.flat_map(content_words) {
            if !said.iter().any(|s| same_word(&word, s)) && !foreign.contains(&word) {
                foreign.push(word);
            }
        }
    }
    foreign
}

/// Whether the model's question turns the state a short condition says into a noun
/// ("Zulässig?" → "Zulässigkeit?", "Ist ein Name bedenklich?" → "Bedenklichkeit des Namens?",
/// "Genehmigt" → "Genehmigung gewünscht?"): the condition's own words are the modeller's question.
fn nominalises(question: &str, clause: &str) -> bool {
    const NOUN_ENDINGS: &[&str] = &["igkeit", "keit", "heit", "ung"];
    let said = content_words(clause);
    said.len() <= 4
        && content_words(question).iter().any(|word| {
            NOUN_ENDINGS.iter().any(|end| {
                word.strip_suffix(end)
                    .filter(|stem| stem.chars().count() >= 4)
                    .is_some_and(|stem| said.iter().any(|w| w.starts_with(stem) && !w.ends_with(end)))
            })
        })
}

/// A clause as a step name: at most 60 characters, cut at a word.
fn step_name(clause: &str) -> String {
    let mut name = String::new();
    for word in clause.split_whitespace() {
        if name.chars().count() + word.chars().count() + 1 > 60 {
            break;
        }
        if !name.is_empty() {
            name.push(' ');
        }
        name.push_str(word);
    }
    name.replace('>', "-")
}

/// Whether the work a task names, its last word, is said in `clause`, also as a noun or
/// without its separable particle ("Reisekosten auszahlen" ~ "zahlt aus").
fn verb_said(name: &str, clause: &str) -> bool {
    let Some(verb) = name.rsplit(' ').next().filter(|w| w.chars().all(char::is_lowercase)) else { return true };
    let Some(verb) = content_words(verb).pop() else { return true };
    let bare = PARTICLES
        .iter()
        .find_map(|p| verb.strip_prefix(&p.replace('ü', "u")).filter(|rest| rest.chars().count() >= 4))
        .unwrap_or(&verb);
    content_words(clause).iter().any(|w| same_word(&verb, w) || same_word(bare, w))
}

/// Whether `name` has one of the `foreign` words (see [`same_word`]).
pub(crate) fn takes_over(name: &str, foreign: &[String]) -> bool {
    content_words(name).iter().any(|x| foreign.iter().any(|y| same_word(x, y)))
}

/// Whether the model ran into a loop inside a name ("Getrennt getrennt getrennt …"): one word
/// three times, or one pair of words twice.
fn degenerate(name: &str) -> bool {
    let words: Vec<String> = name
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .filter(|w| w.chars().count() >= 3)
        .collect();
    let thrice = words.iter().any(|w| words.iter().filter(|x| *x == w).count() >= 3);
    let pairs: Vec<(&String, &String)> = words.iter().zip(words.iter().skip(1)).collect();
    thrice || pairs.iter().enumerate().any(|(i, p)| pairs[i + 1..].contains(p))
}

/// A name with the model's stutter taken out: a unit of one to six characters said four times
/// or more in a row is said once ("Abschnitt 10.1.1.1.1.1. unterschreiben" → "Abschnitt 10.1.
/// unterschreiben"); the work around it is right.
fn without_stutter(name: &str) -> String {
    let mut chars: Vec<char> = name.chars().collect();
    for unit in 1..=6 {
        let mut at = 0;
        while at + 4 * unit <= chars.len() {
            let repeats = (1..).take_while(|k| {
                (at + (k + 1) * unit <= chars.len())
                    && chars[at..at + unit] == chars[at + k * unit..at + (k + 1) * unit]
            });
            let count = 1 + repeats.count();
            if count >= 4 {
                chars.drain(at + unit..at + count * unit);
            }
            at += 1;
        }
    }
    chars.into_iter().collect()
}

/// Whether two texts share a content word (see [`same_word`]).
fn shares_word(a: &str, b: &str) -> bool {
    let words_b = content_words(b);
    content_words(a).iter().any(|x| words_b.iter().any(|y| same_word(x, y)))
}

/// Words of four letters or more, lower-cased, umlauts folded.
fn content_words(text: &str) -> Vec<String> {
    // Conjunctions and negations say nothing of what a condition is about ("wenn nicht").
    const FUNCTION_WORDS: &[&str] =
        &["wenn", "falls", "sofern", "nicht", "kein", "keine", "keinen", "dann", "noch", "sind", "wird", "werden"];
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 4)
        .map(str::to_lowercase)
        .filter(|w| !FUNCTION_WORDS.contains(&w.as_str()))
        .map(|w| positive(&w).map_or(w, str::to_owned))
        .map(|w| w.replace('ä', "a").replace('ö', "o").replace('ü', "u"))
        .collect()
}

/// Two content words agree in at least four leading letters and differ by at most an ending
/// of three ("prüft" ~ "prüfen", "Nachforderung" ~ "nachfordern", "Anträge" ~ "Antrag"), also
/// once a participle's "ge" is taken out ("nachgefordert" ~ "nachfordern").
fn same_word(x: &str, y: &str) -> bool {
    let agree = |x: &str, y: &str| {
        let common = common_start(x, y);
        common >= 4 && common + 3 >= x.chars().count().min(y.chars().count())
    };
    agree(x, y) || agree(&without_ge(x), &without_ge(y))
}

/// Words that name the head of a unit beside it ("Leitung Bauhof", "Leiterin Kasse"), and its
/// office ("Büro des Bürgermeisters", "Sekretariat Gesundheitsamt"): each a role of its own.
/// As [`content_words`] writes them, umlauts folded.
const LEADERSHIP: &[&str] = &["leitung", "leiter", "leiterin", "chef", "chefin"];
const OFFICES: &[&str] = &["buro", "sekretariat", "vorzimmer", "geschaftsstelle"];

/// Role names that name the same unit in more or fewer words ("Bauhof", "die Kollegin vom
/// Bauhof"; "Standesamt", "Sachbearbeitung Standesamt"), but not its head ("Leitung Bauhof"),
/// become the one used most often (the shorter one on a tie): each clause was drafted on its
/// own, so the model names a role anew each time.
fn unify_roles(nodes: &mut [Node]) {
    let mut counts: Vec<(String, usize)> = Vec::new();
    for role in nodes.iter().filter_map(|n| n.role.as_ref()) {
        match counts.iter_mut().find(|(name, _)| name == role) {
            Some((_, count)) => *count += 1,
            None => counts.push((role.clone(), 1)),
        }
    }
    counts.sort_by(|(a, x), (b, y)| y.cmp(x).then(a.chars().count().cmp(&b.chars().count())));
    // Inflections only, an ending added to the whole word: "Schule" is not the
    // "Schulverwaltungsamt", as the step words' looser [`same_word`] would have it, nor the
    // "Kämmerer" the "Kämmerei".
    let inflected = |x: &str, y: &str| {
        let common = common_start(x, y);
        common >= 4
            && common == x.chars().count().min(y.chars().count())
            && common + 3 >= x.chars().count().max(y.chars().count())
    };
    // "Leitung Statistikstelle" heads the Statistikstelle, the "Büro des Bürgermeisters" works
    // for him: roles of their own.
    let beside = |words: &[String], kind: &[&str]| words.iter().any(|w| kind.contains(&w.as_str()));
    let contained = |a: &str, b: &str| {
        let (wa, wb) = (content_words(a), content_words(b));
        !wa.is_empty()
            && wa.iter().all(|x| wb.iter().any(|y| inflected(x, y)))
            && [LEADERSHIP, OFFICES].iter().all(|kind| beside(&wa, kind) == beside(&wb, kind))
    };
    let mut canonical: Vec<&str> = Vec::new();
    let mut renames: Vec<(String, String)> = Vec::new();
    for (name, _) in &counts {
        match canonical.iter().find(|c| contained(c, name) || contained(name, c)) {
            Some(c) => renames.push((name.clone(), (*c).to_owned())),
            None => canonical.push(name),
        }
    }
    for node in nodes {
        if let Some(role) = &mut node.role
            && let Some((_, to)) = renames.iter().find(|(from, _)| from == role)
        {
            role.clone_from(to);
        }
    }
}

/// "prüft, ob das Kind gemeldet ist. Ist dies nicht der Fall, …": a condition that points back
/// at the one right before it, restates it ("…, ob der Weg gefährlich ist. Gefährlich → …"), or
/// answers a check's question in a few words ("prüft, ob die Person wahlberechtigt ist. Nicht
/// eingetragen → …"), is that one decision. It keeps the first one's question and the second
/// one's place, whose wording says which branch its work is on. Remarks the model skipped may
/// stand between them, no other condition.
fn merge_restated_conditions(clauses: &[Clause], nodes: &mut Vec<Node>) {
    let mut i = 0;
    while i + 1 < nodes.len() {
        let (first, second) = (&nodes[i], &nodes[i + 1]);
        let (asked, said) = (&clauses[first.clause], &clauses[second.clause]);
        let words = said.text.split_whitespace().count();
        let restated = first.kind == StepType::Decision
            && second.kind == StepType::Decision
            && second.clause > first.clause
            && clauses[first.clause + 1..second.clause].iter().all(|c| c.kind == ClauseKind::Plain)
            && (said.refers_back()
                || (words <= 6 && shares_word(&said.text, &asked.text))
                || (words <= 3 && asked.asks_whether() && !said.opens_with_conjunction()));
        if restated {
            let name = nodes.remove(i).name;
            nodes[i].name = name;
        } else {
            i += 1;
        }
    }
}

/// "Reicht nicht → ablehnen. Reicht → weiter": two conditions on the same thing (see
/// [`same_subject`]), one negated, are one decision; so are two comparisons that point opposite
/// ways ("Bis 3 Tage: …", "Mehr als 3 Tage: …"; "über 2 km → …", "Darunter → …"). The second
/// one's work is the first one's other branch: the second decision is dropped and the first
/// one's conditional work ends the process. The decision asks the positive question or the
/// upper side ("Mehr als 3 Tage?"), as its branches' "ja" and "nein" read.
fn merge_complementary_decisions(clauses: &[Clause], nodes: &mut Vec<Node>) {
    let mut i = 0;
    while i < nodes.len() {
        if nodes[i].kind == StepType::Decision {
            let first = &clauses[nodes[i].clause];
            let next_decision = (i + 1..nodes.len()).find(|&j| nodes[j].kind == StepType::Decision);
            if let Some(j) = next_decision {
                let second = &clauses[nodes[j].clause];
                let adjacent = nodes[j].clause > nodes[i].clause
                    && (nodes[i].clause + 1..nodes[j].clause).all(|c| clauses[c].kind == ClauseKind::Plain);
                // The same question asked of opposite conditions ("Wenn was fehlt" / "Wenn alles da ist").
                let asked_again = format::same_text(&nodes[i].name, &nodes[j].name) && first.negated != second.negated;
                if let Some(first_negative) = opposites(first, second).or(asked_again.then_some(first.negated))
                    && adjacent
                    && second.kind == ClauseKind::Condition
                    && j > i + 1
                {
                    // Asked the negative or the lower side, the decision takes the other's question,
                    // unless the other side has no figure of its own ("Bis 10 T€ …, darüber …").
                    let lower = first_negative && first.negated == second.negated;
                    let figure = second.text.chars().any(|c| c.is_ascii_digit());
                    // Nor does a question that says less ("Unterlagen unvollständig" / "Vollständig").
                    let says_less = content_words(&nodes[j].name).len() < content_words(&nodes[i].name).len();
                    let takes_other = (negative(&nodes[i].name) || lower)
                        && !negative(&nodes[j].name)
                        && (!lower || figure)
                        && !says_less;
                    if takes_other {
                        nodes[i].name = nodes[j].name.clone();
                    }
                    // Whether the question asks about the side of i's work.
                    let asks_first = !takes_other && (lower || negative(&nodes[i].name) == first.negated);
                    // i's conditional work is nodes i+1..j; it ends the process, j's work is the other branch.
                    let (yes, no) = if asks_first { ("ja", "nein") } else { ("nein", "ja") };
                    nodes[i].targets = vec![(Some(yes), Some(i + 1)), (Some(no), Some(j))];
                    nodes[j - 1].targets = vec![(None, None)];
                    nodes.remove(j);
                    for node in nodes.iter_mut() {
                        for target in &mut node.targets {
                            if let (_, Some(t)) = target
                                && *t > j
                            {
                                *t -= 1;
                            }
                        }
                    }
                }
            }
        }
        i += 1;
    }
}

/// Verbs of a task that checks something.
const CHECKING: &[&str] = &[
    "prüfen",
    "überprüfen",
    "kontrollieren",
    "ermitteln",
    "feststellen",
    "klären",
    "bewerten",
    "sichten",
    "abgleichen",
];

/// Words of a condition that says only that all is well or not ("Passt alles?", "wenn da was
/// nicht passt", "Alles ok?"), with "passt", "ok" or "Ordnung" among them.
const ALL_WELL: &[&str] = &[
    "alles", "passt", "ok", "okay", "stimmt", "ordnung", "in", "was", "da", "nicht", "so", "weit", "soweit", "wenn",
    "falls", "ob",
];

/// A question that is a bare state ("Berechtigt?", "Verspätet?") asks about what the check
/// before it works on: "Einwände prüfen, wenn berechtigt" → "Einwände berechtigt?". The state
/// is a word the clause writes in lower case; the check's name without its verb is the thing.
/// A condition that says only that all is well asks whether that thing is in order: "Wir
/// prüfen die Pläne. Wenn da was nicht passt, …" → "Pläne in Ordnung?".
fn name_bare_states(clauses: &[Clause], nodes: &mut [Node]) {
    for i in 1..nodes.len() {
        let (before, node) = (&nodes[i - 1], &nodes[i]);
        let state = node.name.trim_end_matches('?');
        let said = clauses[node.clause].text.to_lowercase();
        let said: Vec<&str> = words(&said).collect();
        let bare = node.kind == StepType::Decision
            && !state.contains(' ')
            && state.chars().count() >= 4
            && said.contains(&state.to_lowercase().as_str());
        let all_well = node.kind == StepType::Decision
            && said.iter().all(|w| ALL_WELL.contains(w))
            && said.iter().any(|w| matches!(*w, "passt" | "ok" | "okay" | "ordnung"));
        let thing = before
            .name
            .rsplit_once(' ')
            .filter(|(_, verb)| before.kind == StepType::Task && CHECKING.contains(verb))
            .map(|(thing, _)| thing);
        if let Some(thing) = thing {
            if bare {
                nodes[i].name = format!("{thing} {}?", state.to_lowercase());
            } else if all_well {
                nodes[i].name = format!("{thing} in Ordnung?");
            }
        }
    }
}

/// A question the model copied from a condition that names its thing only by a pronoun ("Liegt
/// die nicht vor?" → "Liegt die vor?", "Wenn die da sind" → "Da sind?") asks about the thing the
/// clauses before it named ([`reference::resolved`]). A question with a word of its own ("fehlt
/// die" → "Einverständniserklärung vollständig?") was resolved by the model already.
fn name_referents(clauses: &[Clause], nodes: &mut [Node]) {
    for node in nodes.iter_mut().filter(|n| n.kind == StepType::Decision) {
        let said = clauses[node.clause].text.to_lowercase();
        let said: Vec<&str> = words(&said).collect();
        let copied = words(&node.name).all(|w| {
            said.iter().any(|s| common_start(&w.to_lowercase(), s) >= w.chars().count().min(s.chars().count()).min(5))
        });
        if copied && let Some(text) = reference::resolved(clauses, node.clause) {
            node.name = question_name(&text);
        }
    }
}

/// Whether two conditions are opposites (see [`merge_complementary_decisions`]), and if so
/// whether the first is the negated or the lower side.
fn opposites(first: &Clause, second: &Clause) -> Option<bool> {
    if first.negated != second.negated && same_subject(&first.text, &second.text) {
        return Some(first.negated);
    }
    match (bound(&first.text), bound(&second.text)) {
        (Some(a), Some(b))
            if a != b && (same_subject(&first.text, &second.text) || second.text.split_whitespace().count() <= 2) =>
        {
            Some(!a)
        }
        _ => None,
    }
}

/// Whether two conditions are about the same thing: they share a word, also once a negating
/// "un" is taken off ("Unvollst." / "Vollst.") or where one is the other's compound head ("Bei
/// Sicherheitsbedenken" / "Keine Bedenken").
fn same_subject(a: &str, b: &str) -> bool {
    let without_un = |text: &str| -> Vec<String> {
        content_words(text).into_iter().map(|w| w.strip_prefix("un").map(str::to_owned).unwrap_or(w)).collect()
    };
    let (x, y) = (without_un(a), without_un(b));
    x.iter().any(|p| {
        y.iter().any(|q| {
            let head = |long: &str, short: &str| short.chars().count() >= 5 && long.ends_with(short);
            same_word(p, q) || head(p, q) || head(q, p)
        })
    })
}

/// Which way a comparison points, above (true) or below (false): "mehr als 3 Tage", "über 2 km",
/// "ab 5.000 €", "darüber" / "bis 3 Tage", "unter 18", "weniger als …", "darunter". The words
/// count with a figure only ("bis Freitag" is a deadline).
fn bound(text: &str) -> Option<bool> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let figure = lower.chars().any(|c| c.is_ascii_digit());
    words.iter().find_map(|w| match *w {
        "darüber" | "drüber" => Some(true),
        "darunter" | "drunter" => Some(false),
        "mehr" | "über" | "ab" | "mindestens" | "mind" | "länger" | "größer" if figure => Some(true),
        "bis" | "unter" | "weniger" | "höchstens" | "max" | "maximal" | "kürzer" | "kleiner" if figure => Some(false),
        _ => None,
    })
}

/// Whether a question is worded negatively ("Unterlagen unvollständig?").
fn negative(text: &str) -> bool {
    let lower = format!(" {} ", text.to_lowercase());
    [" nicht ", " kein", "unvollst", "fehl", " ohne "].iter().any(|w| lower.contains(w))
}

/// Gives every decision without targets its two branches.
fn branch(clauses: &[Clause], nodes: &mut [Node]) {
    for i in 0..nodes.len() {
        if nodes[i].kind != StepType::Decision || !nodes[i].targets.is_empty() {
            continue;
        }
        let Some(first) = (i + 1 < nodes.len()).then_some(i + 1) else {
            nodes[i].targets = vec![(Some("ja"), None), (Some("nein"), None)];
            continue;
        };
        let then_clause = nodes[first].clause;
        // A "sonst" clause after the conditional work, with only plain clauses between.
        let otherwise = (then_clause + 1..clauses.len())
            .take_while(|&c| clauses[c].kind != ClauseKind::Condition)
            .find(|&c| clauses[c].kind == ClauseKind::Otherwise);
        let (yes_end, no_start, after) = match otherwise {
            Some(o) => {
                let no_start = (first..nodes.len()).find(|&n| nodes[n].clause >= o);
                let after = (first..nodes.len()).find(|&n| nodes[n].clause > o);
                (no_start.unwrap_or(nodes.len()), no_start.filter(|&n| nodes[n].clause == o).or(after), after)
            }
            None => {
                let after = (first..nodes.len()).find(|&n| nodes[n].clause != then_clause);
                (after.unwrap_or(nodes.len()), after, after)
            }
        };
        let flipped = clauses[nodes[i].clause].negated != negative(&nodes[i].name);
        let (yes, no) = if flipped { ("nein", "ja") } else { ("ja", "nein") };
        nodes[i].targets = vec![(Some(yes), Some(first)), (Some(no), no_start)];
        // The conditional work goes on after the other branch.
        if otherwise.is_some() && yes_end > first && nodes[yes_end - 1].targets.is_empty() && no_start != after {
            nodes[yes_end - 1].targets = vec![(None, after)];
        }
    }
}

/// A request for what is missing leads back to its check: the task that checks right before the
/// question, or the question itself.
fn loop_back(checks: &[Option<Check>], nodes: &mut [Node]) {
    let check = |node: &Node| checks.get(node.clause).cloned().flatten();
    for r in 0..nodes.len() {
        if !matches!(check(&nodes[r]), Some(Check::Request(_))) {
            continue;
        }
        let Some(question) = (0..r).rev().find(|&q| matches!(check(&nodes[q]), Some(Check::Question(_)))) else {
            continue;
        };
        let inspects = |node: &Node| {
            node.kind == StepType::Task
                && (matches!(check(node), Some(Check::Inspect(_))) || node.name.to_lowercase().contains("prüf"))
        };
        let back = question.checked_sub(1).filter(|&p| inspects(&nodes[p])).unwrap_or(question);
        nodes[r].targets = vec![(None, Some(back))];
    }
}

fn render(nodes: &[Node], start: &str, end: &str, title: Option<String>) -> String {
    // Numbers: 1 start, nodes from 2, then the end.
    let number = |index: Option<usize>| index.map_or(nodes.len() + 2, |i| i + 2);
    let mut out = format!("1 start: {start}\n");
    for (i, node) in nodes.iter().enumerate() {
        let kind = if node.kind == StepType::Decision { "decision" } else { "task" };
        let role = node.role.as_deref().map(|r| format!(" {r}")).unwrap_or_default();
        out.push_str(&format!("{} {kind}{role}: {}", i + 2, node.name));
        let targets: Vec<String> = node
            .targets
            .iter()
            .map(|(condition, to)| match condition {
                Some(c) => format!("{c}: {}", number(*to)),
                None => number(*to).to_string(),
            })
            .collect();
        let implicit = node.kind == StepType::Task && node.targets.first().is_some_and(|(_, t)| number(*t) == i + 3);
        if !targets.is_empty() && !implicit {
            out.push_str(&format!(" > {}", targets.join(" | ")));
        }
        out.push('\n');
    }
    out.push_str(&format!("{} end: {end}\n", nodes.len() + 2));
    if let Some(title) = title {
        out.push_str(&format!("# {title}\n"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draft::clauses::split;

    /// The draft of `dictation` from one answer per clause, trigger and outcome fixed.
    fn drafted(dictation: &str, answers: &[&str]) -> String {
        let clauses = split(dictation);
        assert_eq!(clauses.len(), answers.len(), "{clauses:?}");
        assemble(&clauses, &owned(answers), &[], &[], "start: a\nend: b\n# T\n").0
    }

    fn owned(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn conditions_branch_to_their_work_and_the_otherwise_clause() {
        let clauses = split("Antrag kommt. Unterlagen da? → Bescheid erstellen, sonst nachfordern. Akte schließen.");
        let answers = owned(&[
            "start: Antrag eingegangen",
            "decision SB: Unterlagen vollständig?",
            "task SB: Bescheid erstellen",
            "task SB: Unterlagen nachfordern",
            "task SB: Akte schließen",
        ]);
        assert_eq!(clauses.len(), answers.len(), "{clauses:?}");
        let (text, _) =
            assemble(&clauses, &answers, &[], &[], "start: x\nend: Akte geschlossen\n# Antrag bearbeiten\n");
        assert_eq!(
            text,
            "1 start: Antrag eingegangen\n2 decision SB: Unterlagen vollständig? > ja: 3 | nein: 4\n3 task SB: Bescheid erstellen > 5\n4 task SB: Unterlagen nachfordern\n5 task SB: Akte schließen\n6 end: Akte geschlossen\n# Antrag bearbeiten\n"
        );
    }

    #[test]
    fn an_outside_party_handing_in_what_opens_the_case_is_its_trigger_not_a_task() {
        let text = drafted(
            "Drehgenehmigung. Die Firma schickt den Antrag mit Drehplan. Wir leiten den Antrag weiter.",
            &["skip", "task Firma: Antrag mit Drehplan senden", "task Ordnungsamt: Antrag weiterleiten"],
        );
        assert_eq!(text, "1 start: a\n2 task Ordnungsamt: Antrag weiterleiten\n3 end: b\n# T\n");
        // The verb is read with the particle the clause says: "legt vor" is "vorlegen", not "legen".
        let text = drafted(
            "Umweltplakette. Kunde legt Fahrzeugschein vor. Wir prüfen den Schlüssel.",
            &["skip", "task Kunde: Fahrzeugschein legen", "task Bürgerbüro: Schlüssel prüfen"],
        );
        assert_eq!(text, "1 start: a\n2 task Bürgerbüro: Schlüssel prüfen\n3 end: b\n# T\n");
        // Their own work stays, and so does a request that does not open the case.
        let text = drafted(
            "Der Leser füllt den Fernleihschein aus. Die Kollegin prüft den Bestand.",
            &["task Leser: Fernleihschein ausfüllen", "task Stadtbücherei: Bestand prüfen"],
        );
        assert!(text.contains("task Leser: Fernleihschein ausfüllen"), "{text}");
        let text = drafted(
            "Wir prüfen den Bestand. Wir kaufen ein. Wir prüfen die Rechnung. Der Leser stellt einen Antrag.",
            &[
                "task Stadtbücherei: Bestand prüfen",
                "task Stadtbücherei: Einkaufen",
                "task Stadtbücherei: Rechnung prüfen",
                "task Leser: Antrag stellen",
            ],
        );
        assert!(text.contains("task Leser: Antrag stellen"), "{text}");
    }

    #[test]
    fn one_act_written_twice_in_its_clause_is_one_step() {
        let text = drafted(
            "Antrag kommt. Platzwart prüft am nächsten Morgen erneut und sperrt den Platz.",
            &["start: Antrag", "task PW: Erneut prüfen\ntask PW: Erneut am nächsten Morgen prüfen"],
        );
        assert!(text.contains("2 task PW: Erneut prüfen\n3 end"), "{text}");
        let text = drafted(
            "Antrag kommt. SB prüft Pass und Einkommensnachweise.",
            &["start: Antrag", "task SB: Pass prüfen\ntask SB: Einkommensnachweise prüfen"],
        );
        assert!(text.contains("Pass prüfen") && text.contains("Einkommensnachweise prüfen"), "{text}");
        // The same act by another role is another step.
        let text = drafted(
            "Antrag kommt. Kämmerer entscheidet über Mittel. BM entscheidet über Mittel.",
            &["start: Antrag", "task Kämmerer: Über Mittel entscheiden", "task Bürgermeister: Über Mittel entscheiden"],
        );
        assert!(text.contains("Kämmerer: Über Mittel entscheiden"), "{text}");
        assert!(text.contains("Bürgermeister: Über Mittel entscheiden"), "{text}");
    }

    #[test]
    fn a_trigger_clause_keeps_only_the_work_the_office_does() {
        let text = drafted(
            "Eltern melden Kind beim Schulamt an. Schulamt prüft.",
            &["start: Anmeldung eingegangen\ntask Eltern: Kind anmelden", "task Schulamt: Anmeldung prüfen"],
        );
        assert!(!text.contains("Kind anmelden"), "{text}");
        let text = drafted(
            "Friedhofsverwaltung erstellt die Liste der Gräber. Schulamt prüft.",
            &["start: Jahr beginnt\ntask FV: Liste der Gräber erstellen", "task Schulamt: Anmeldung prüfen"],
        );
        assert!(text.contains("Liste der Gräber erstellen"), "{text}");
    }

    #[test]
    fn answers_from_elsewhere_leave_the_clauses_as_steps() {
        let clauses = split("Antrag kommt. SB prüft den Antrag und fordert Unterlagen nach.");
        let answers = vec!["start: Antrag".to_owned(), "task SB: Grab abräumen".to_owned()];
        let (text, from_clauses) = assemble(&clauses, &answers, &[], &[], "start: x\nend: y\n# T\n");
        assert!(from_clauses);
        assert!(text.contains("3 task: SB prüft den Antrag und fordert Unterlagen nach\n"), "{text}");
        assert!(!text.contains("Grab"), "{text}");
    }

    #[test]
    fn a_question_about_another_clause_is_asked_in_the_conditions_words() {
        let text = drafted(
            "SB prüft den Schein. Kein gültiger Schein → Ablehnung.",
            &["task SB: Schein prüfen", "decision SB: Antrag rechtzeitig?", "task SB: Antrag ablehnen"],
        );
        assert!(text.contains("decision SB: Gültiger Schein? > nein: 4"), "{text}");
    }

    #[test]
    fn a_name_the_model_looped_in_is_no_step() {
        let text = drafted(
            "Die Kollegin führt ein Vorgespräch, getrennt natürlich. Bauhof stellt Schilder auf.",
            &[
                "task SB: Vorgespräch führen",
                "task SB: Getrennt getrennt getrennt getrennt",
                "task Bauhof: Schilder aufstellen",
            ],
        );
        assert!(!text.contains("getrennt"), "{text}");
        assert!(degenerate("Mitteilung an Amt Mitteilung an Amt") && !degenerate("Ablehnung schriftlich mitteilen"));
        assert_eq!(without_stutter("Abschnitt 10.1.1.1.1.1.1. unterschreiben"), "Abschnitt 10.1. unterschreiben");
        assert_eq!(without_stutter("Nach § 1.1.1 prüfen"), "Nach § 1.1.1 prüfen");
    }

    #[test]
    fn a_units_work_the_model_misnamed_is_named_in_the_clauses_words() {
        let text = drafted(
            "Hausmeister meldet Schaden. Bauhof sichert sofort ab.",
            &["task Hausmeister: Schaden melden", "task Bauhof: Bau abgeschlossen"],
        );
        assert!(text.contains("task Bauhof: Sofort absichern"), "{text}");
        let text = drafted(
            "Friedhofsgärtner räumt ab, Verwaltung stellt 350 € in Rechnung.",
            &["task Friedhofsgärtner: Grab abgeschlossen"],
        );
        assert!(text.contains("task Friedhofsgärtner: Abräumen\n"), "{text}");
    }

    #[test]
    fn a_condition_that_all_is_well_asks_whether_the_checked_thing_is_in_order() {
        let text = drafted(
            "Wir prüfen die Pläne. Wenn da was nicht passt, geben wir sie zurück.",
            &["task SB: Pläne prüfen", "decision SB: Was passt?", "task SB: Pläne zurückgeben"],
        );
        assert!(text.contains("decision SB: Pläne in Ordnung? > nein: 4"), "{text}");
    }

    #[test]
    fn a_question_copied_with_its_pronoun_asks_about_the_thing_named_before() {
        let text = drafted(
            "Einwilligung des anderen Elternteils erforderlich. Liegt die nicht vor? Ersetzung beim Familiengericht beantragen.",
            &[
                "task SB: Einwilligung einholen",
                "decision SB: Liegt die vor?",
                "task SB: Ersetzung beim Familiengericht beantragen",
            ],
        );
        assert!(text.contains("decision SB: Liegt die Einwilligung des anderen Elternteils vor? > nein: 4"), "{text}");
        let text = drafted(
            "Fehlt die Vollmacht? Vollmacht nachfordern.",
            &["decision SB: Vollmacht vollständig?", "task SB: Vollmacht nachfordern"],
        );
        assert!(text.contains("decision SB: Vollmacht vollständig?"), "{text}");
    }

    #[test]
    fn a_bare_state_asks_about_what_the_check_before_it_checks() {
        let text = drafted(
            "Eingegangene Einwände prüfen, wenn berechtigt, Berechnung korrigieren.",
            &["task SB: Einwände prüfen", "decision SB: Berechtigt?", "task SB: Berechnung korrigieren"],
        );
        assert!(text.contains("decision SB: Einwände berechtigt? > ja: 4"), "{text}");
    }

    #[test]
    fn a_condition_pointing_back_is_the_question_before_it() {
        let text = drafted(
            "Das Amt prüft, ob das Kind gemeldet ist. Ist dies nicht der Fall, Ablehnung. Sonst Platz vergeben.",
            &[
                "task Amt: Meldung prüfen",
                "decision Amt: Kind gemeldet?",
                "decision Amt: Nicht gemeldet?",
                "task Amt: Anmeldung ablehnen",
                "task Amt: Platz vergeben",
            ],
        );
        assert!(
            text.contains("3 decision Amt: Kind gemeldet? > nein: 4 | ja: 5\n4 task Amt: Anmeldung ablehnen > 6\n"),
            "{text}"
        );
    }

    #[test]
    fn a_completeness_check_is_one_decision_whose_request_leads_back() {
        let mut clauses = split(
            "Antrag kommt. Die Wohngeldstelle prüft zuerst, ob die Unterlagen vollständig sind, wenn nicht, werden sie nachgefordert. Dann wird das Wohngeld berechnet.",
        );
        let checks = crate::draft::checks::mark(&mut clauses);
        let model = ["start: Antrag eingegangen", "task WS: Wohngeld berechnen"];
        let mut said = model.iter();
        let answers: Vec<String> = checks
            .iter()
            .map(|c| c.as_ref().map_or_else(|| said.next().expect("an answer").to_string(), |c| c.answer("WS")))
            .collect();
        assert!(said.next().is_none(), "{clauses:?}");
        let (text, _) = assemble(&clauses, &answers, &checks, &[], "start: a\nend: b\n# T\n");
        assert_eq!(
            text,
            "1 start: Antrag eingegangen\n2 task WS: Unterlagen auf Vollständigkeit prüfen\n3 decision WS: Unterlagen vollständig? > nein: 4 | ja: 5\n4 task WS: Fehlende Unterlagen nachfordern > 2\n5 task WS: Wohngeld berechnen\n6 end: b\n# T\n"
        );
    }

    #[test]
    fn a_short_answer_to_a_checks_question_is_that_question() {
        let text = drafted(
            "Wahlamt prüft, ob die Person wahlberechtigt ist. Nicht eingetragen → Ablehnung. Eingetragen → Wahlschein ausstellen.",
            &[
                "task WA: Wählerverzeichnis prüfen",
                "decision WA: Person wahlberechtigt?",
                "decision WA: Nicht eingetragen?",
                "task WA: Ablehnung schreiben",
                "decision WA: Eingetragen?",
                "task WA: Wahlschein ausstellen",
            ],
        );
        assert_eq!(text.matches(" decision ").count(), 1, "{text}");
        assert!(text.contains("3 decision WA: Person wahlberechtigt? > nein: 4 | ja: 5\n"), "{text}");
    }

    #[test]
    fn participles_share_their_verb() {
        assert!(shares_word("Unterlagen nachfordern", "wird nachgefordert"));
        assert!(shares_word("Antrag prüfen", "wird geprüft"));
        assert!(shares_word("Gewerbe eintragen", "eingetragen"));
        assert!(!shares_word("Rechnung stellen", "das Gewerbeamt prüft ihn"));
    }

    #[test]
    fn a_second_task_needs_work_its_clause_says() {
        let text = drafted(
            "Die Reisestelle prüft die Belege und zahlt die Kosten aus. Dann werden die 30 Euro Gebühr kassiert.",
            &[
                "task Reisestelle: Belege prüfen\ntask Reisestelle: Kosten auszahlen",
                "task SB: Gebühr kassieren\ntask SB: Kasse überprüfen",
            ],
        );
        assert!(text.contains("Kosten auszahlen") && text.contains("Gebühr kassieren"), "{text}");
        assert!(!text.contains("Kasse überprüfen"), "{text}");
    }

    #[test]
    fn beside_the_trigger_only_work_its_clause_says_is_a_task() {
        let text = drafted(
            "Antrag kommt per Post. Beschwerde wird erfasst. Wir prüfen den Antrag.",
            &[
                "start: Antrag eingegangen\ntask SB: Antrag eintragen",
                "start: Beschwerde eingegangen\ntask SB: Beschwerde erfassen",
                "task SB: Antrag prüfen",
            ],
        );
        assert!(!text.contains("eintragen") && text.contains("Beschwerde erfassen"), "{text}");
    }

    #[test]
    fn words_of_the_examples_the_dictation_does_not_say_are_foreign() {
        let prompt = "Beispiele\nAntwort:\ntask Amt: Antrag ins Fachverfahren eintragen\ndecision Amt: Verlängerung gewünscht?\nstart: Antrag eingegangen";
        let foreign = foreign_words(prompt, "Antrag kommt, wir prüfen, ob die Person berechtigt ist");
        assert_eq!(foreign, ["fachverfahren", "verlangerung", "gewunscht"]);
        let clauses = split("Antrag kommt. Wir prüfen, ob die Person berechtigt ist. Dann Bescheid.");
        let answers = owned(&[
            "task SB: Antrag ins Fachverfahren eintragen",
            "task SB: Antrag prüfen",
            "decision SB: Berechtigung gewünscht?",
            "task SB: Bescheid senden",
        ]);
        assert_eq!(clauses.len(), answers.len(), "{clauses:?}");
        let (text, _) = assemble(&clauses, &answers, &[], &foreign, "start: a\nend: b\n# T\n");
        assert!(!text.contains("Fachverfahren") && !text.contains("gewünscht"), "{text}");
        assert!(text.contains("decision SB: Person berechtigt?"), "{text}");
    }

    #[test]
    fn a_unit_named_in_more_or_fewer_words_is_one_role() {
        let clauses =
            split("Meldung kommt. Kollegin vom Bauhof besichtigt den Schaden. Bauhof repariert. Bauhof meldet zurück.");
        let answers = owned(&[
            "start: Meldung eingegangen",
            "task Kollegin vom Bauhof: Schaden besichtigen",
            "task Bauhof: Schaden reparieren",
            "task Bauhof: Erledigung zurückmelden",
        ]);
        let (text, _) = assemble(&clauses, &answers, &[], &[], "start: x\nend: y\n# T\n");
        assert!(text.contains("task Bauhof: Schaden besichtigen"), "{text}");
        assert!(!text.contains("Kollegin"), "{text}");
        let clauses = split("Kä prüft die Deckung. Kämmerer entscheidet.");
        let answers = owned(&["task Kämmerei: Deckung prüfen", "task Kämmerer: Über Mittel entscheiden"]);
        let (text, _) = assemble(&clauses, &answers, &[], &[], "start: x\nend: y\n# T\n");
        assert!(text.contains("task Kämmerer: Über Mittel entscheiden"), "a person is not the unit: {text}");
        let clauses = split("Wir bauen die Tabelle. Die Chefin guckt drüber.");
        let answers = owned(&["task Statistikstelle: Tabelle bauen", "task Leitung Statistikstelle: Tabelle prüfen"]);
        let (text, _) = assemble(&clauses, &answers, &[], &[], "start: x\nend: y\n# T\n");
        assert!(text.contains("task Leitung Statistikstelle: "), "the head is not the unit: {text}");
        let clauses = split("Das Gastgeschenk besorg ich. Der Bürgermeister trägt sich ein.");
        let answers = owned(&[
            "task Büro des Bürgermeisters: Gastgeschenk besorgen",
            "task Bürgermeister: Eintrag unterschreiben",
        ]);
        let (text, _) = assemble(&clauses, &answers, &[], &[], "start: x\nend: y\n# T\n");
        assert!(text.contains("task Büro des Bürgermeisters: "), "his office is not the mayor: {text}");
    }

    #[test]
    fn a_state_the_model_turned_into_a_noun_is_asked_in_the_conditions_words() {
        let clauses = split("Stadtarchiv prüft die Vorschläge. Ist ein Name bedenklich? Dann Rückfrage.");
        let answers = owned(&[
            "task Stadtarchiv: Vorschläge prüfen",
            "decision Stadtarchiv: Bedenklichkeit des Namens?",
            "task Stadtarchiv: Rückfrage stellen",
        ]);
        let (text, _) = assemble(&clauses, &answers, &[], &[], "start: x\nend: y\n# T\n");
        assert!(text.contains("decision Stadtarchiv: Name bedenklich?"), "{text}");
        assert!(nominalises("Zulässigkeit?", "Zulässig?"));
        assert!(nominalises("Genehmigung gewünscht?", "Genehmigt"));
        assert!(!nominalises("Genehmigung erteilt?", "Liegt die Genehmigung vor"), "the noun is said");
    }

    #[test]
    fn a_negated_pair_of_conditions_is_one_decision() {
        let clauses = split(
            "SB prüft die Breite. Reicht nicht → Antrag ablehnen. Reicht → Stellungnahme einholen. Erlaubnis erstellen.",
        );
        let answers = owned(&[
            "task SB: Breite prüfen",
            "decision SB: Breite ausreichend?",
            "task SB: Antrag ablehnen",
            "decision SB: Breite ausreichend?",
            "task SB: Stellungnahme einholen",
            "task SB: Erlaubnis erstellen",
        ]);
        let (text, _) = assemble(&clauses, &answers, &[], &[], "start: Antrag\nend: fertig\n# T\n");
        assert!(
            text.contains("3 decision SB: Breite ausreichend? > nein: 4 | ja: 5\n4 task SB: Antrag ablehnen > 7\n"),
            "{text}"
        );
        assert!(
            text.contains("5 task SB: Stellungnahme einholen\n6 task SB: Erlaubnis erstellen\n7 end: fertig"),
            "{text}"
        );
    }

    #[test]
    fn a_refusal_and_an_approval_are_one_decision_asked_as_the_approval() {
        let text = drafted(
            "Abgelehnt → KL teilt die Ablehnung mit. Genehmigt → KL trägt die Beurlaubung ein.",
            &[
                "decision KL: Abgelehnt?",
                "task KL: Ablehnung mitteilen",
                "decision KL: Genehmigt?",
                "task KL: Beurlaubung eintragen",
            ],
        );
        let merged = "decision KL: Genehmigt? > nein: 3 | ja: 4\n3 task KL: Ablehnung mitteilen > 5\n";
        assert!(text.contains(merged), "{text}");
    }

    #[test]
    fn a_merged_pair_asks_the_positive_question_and_unrelated_conditions_stay_apart() {
        let clauses = split("Nicht berechtigt: Ablehnung. Berechtigt: Vordruck an die Schule.");
        let answers = owned(&[
            "decision SB: Nicht berechtigt?",
            "task SB: Ablehnung senden",
            "decision SB: Berechtigt?",
            "task SB: Vordruck senden",
        ]);
        let (text, _) = assemble(&clauses, &answers, &[], &[], "start: Antrag\nend: fertig\n# T\n");
        assert!(text.contains("2 decision SB: Berechtigt? > nein: 3 | ja: 4\n"), "{text}");
        let clauses = split("Nicht fristgerecht da: Erinnerung an VG. Änderungswünsche → PA überarbeitet.");
        let answers = owned(&[
            "decision VG: Nicht fristgerecht da?",
            "task VG: Erinnerung senden",
            "decision PA: Änderungswünsche?",
            "task PA: Entwurf überarbeiten",
        ]);
        let (text, _) = assemble(&clauses, &answers, &[], &[], "start: Antrag\nend: fertig\n# T\n");
        assert_eq!(text.matches(" decision ").count(), 2, "{text}");
    }

    #[test]
    fn opposite_comparisons_and_un_words_are_one_decision() {
        for (dictation, answers, decision) in [
            (
                "Bis 3 Tage: Eintrag ins Verbandbuch. Mehr als 3 Tage: Unfallanzeige an Unfallkasse.",
                [
                    "decision PA: Bis 3 Tage?",
                    "task VG: Verbandbuch eintragen",
                    "decision PA: Mehr als 3 Tage?",
                    "task PA: Unfallanzeige senden",
                ],
                "2 decision PA: Mehr als 3 Tage? > nein: 3 | ja: 4\n",
            ),
            (
                "Über 2 km → Erstattung festsetzen. Darunter → Stellungnahme Polizei einholen.",
                [
                    "decision SV: Über 2 km?",
                    "task SV: Erstattung festsetzen",
                    "decision SV: Darunter?",
                    "task SV: Stellungnahme einholen",
                ],
                "2 decision SV: Über 2 km? > ja: 3 | nein: 4\n",
            ),
            (
                "Unvollst.: Nachforderung beim Veranstalter. Vollst.: Weiterleitung an Polizei.",
                [
                    "decision OA: Unvollständig?",
                    "task OA: Unterlagen nachfordern",
                    "decision OA: Vollständig?",
                    "task OA: Anzeige weiterleiten",
                ],
                "2 decision OA: Vollständig? > nein: 3 | ja: 4\n",
            ),
            (
                "Bei Sicherheitsbedenken: Kooperationsgespräch führen. Keine Bedenken: Eingangsbestätigung senden.",
                [
                    "decision OA: Sicherheitsbedenken?",
                    "task OA: Kooperationsgespräch führen",
                    "decision OA: Keine Bedenken?",
                    "task OA: Eingangsbestätigung senden",
                ],
                "2 decision OA: Sicherheitsbedenken? > ja: 3 | nein: 4\n",
            ),
        ] {
            let (text, _) =
                assemble(&split(dictation), &owned(&answers), &[], &[], "start: Antrag\nend: fertig\n# T\n");
            assert!(text.contains(decision), "{dictation}\n{text}");
            assert_eq!(text.matches(" decision ").count(), 1, "{text}");
        }
        // The lower side keeps its question where the other has no figure of its own.
        let clauses =
            split("Bis 5.000 Euro entscheidet die Sachbearbeitung, darüber die Kämmerei. Dann Bescheid senden.");
        let answers = owned(&[
            "decision SB: Bis 5.000 Euro?",
            "task SB: Über Antrag entscheiden",
            "decision SB: Darüber?",
            "task Kämmerei: Antrag entscheiden",
            "task SB: Bescheid senden",
        ]);
        assert_eq!(clauses.len(), answers.len(), "{clauses:?}");
        let (text, _) = assemble(&clauses, &answers, &[], &[], "start: Antrag\nend: fertig\n# T\n");
        assert!(text.contains("2 decision SB: Bis 5.000 Euro? > ja: 3 | nein: 4\n"), "{text}");
        // A deadline is no comparison.
        let clauses = split("Bis Freitag: Antrag prüfen. Mehr als 3 Tage: Unfallanzeige senden.");
        assert_eq!(bound(&clauses[0].text), None);
    }
}
