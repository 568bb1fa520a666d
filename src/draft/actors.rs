//! Who does each clause's work, read from its wording: a unit as its subject, "wir" and the
//! unit the dictation names with it, or the subject of the clause before. Where the wording says,
//! that unit is the only role the clause's answer may name.
//!
//! Asked to choose among all the dictation's units for a clause alone ("wir schreiben den Halter
//! an"), the model took whichever unit it had seen last, and the unit that does most of the work
//! went missing from the draft (docs/drafting.md, session 25).

use super::clauses::{MODALS, infinitive_like};
use super::roles::{is_person, is_unit_head, person_named, unit_named};
use crate::compact::format;

/// Who does a clause's work, as far as its wording says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A unit or a person is the clause's subject ("Außendienst klebt …", "die Kollegin vom
    /// Bauhof räumt …", "dann macht das Jugendamt …", "Bauherr reicht nach"), or the agent of
    /// its passive ("wird vom AL unterschrieben").
    Unit(String),
    /// The speaker's unit: "wir", "ich", "SB" ("wir schreiben den Halter an", "Wir: …").
    Speaker,
    /// The clause opens with its verb and no subject follows: it goes on with the subject of the
    /// clause before it ("Hausverwaltung prüft Räume, programmiert Transponder").
    Previous,
    /// The wording does not say ("Erlaubnis erstellen", "Ausgabe gegen Unterschrift").
    Unsaid,
}

/// Words that name the speaker's unit as the subject; "SB" is its clerk, also spelled out.
const SPEAKER_WORDS: &[&str] = &["wir", "ich", "sb", "sachbearbeiter", "sachbearbeiterin"];

/// Words a clause may open with before its subject or verb.
const OPENERS: &[&str] = &[
    "also",
    "ähm",
    "äh",
    "und",
    "na",
    "ja",
    "so",
    "dann",
    "danach",
    "anschließend",
    "daraufhin",
    "zuerst",
    "erst",
    "jetzt",
    "nun",
    "hier",
    "zum",
    "schluss",
    "abschließend",
    "zuletzt",
    "gleich",
    "sofort",
    "hinterher",
];

/// Words before a subject's unit: "die Kollegin vom Bauhof", "der Kollege aus der Kämmerei",
/// "unser Außendienst".
const ARTICLES: &[&str] = &["der", "die", "das", "unser", "unsere"];
const COLLEAGUES: &[&str] = &["kollegin", "kollege", "kollegen", "kolleginnen", "leute", "jungs"];
const FROM: &[&str] = &["vom", "von", "der", "dem", "aus", "im", "in"];
/// Words before a colleague's name: "Frau Yilmaz macht …", "Hr. Demir".
const TITLES: &[&str] = &["frau", "herr", "fr", "hr"];

/// A word without the punctuation around it.
fn core(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric() && c != '-')
}

/// Whether a word ends its clause or sentence with its punctuation.
fn ends_clause(word: &str) -> bool {
    word.ends_with(['.', ',', ':', ';', '?', '!'])
}

/// The unit or person a word names.
pub(super) fn actor_named(word: &str) -> Option<String> {
    unit_named(word).or_else(|| person_named(word))
}

/// The unit or person `text` names last: who a pronoun after it stands for ("…, die überweist
/// dann das Geld", "Der stellt den Antrag").
pub(super) fn named_last(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    // "20 l pro Person": a measure, not someone.
    let measure = |i: usize| i > 0 && matches!(core(words[i - 1]), "pro" | "je");
    // "Original an Einlader, der schickt es …": the dictation's own parties too.
    (0..words.len()).rev().filter(|&i| !measure(i)).find_map(|i| {
        let word = core(words[i]);
        actor_named(word).or_else(|| is_agent_noun(word).then(|| word.to_owned()))
    })
}

/// The role among `candidates` that names `unit` in more or fewer words, or the one compound
/// among them that `unit` is the head of ("Firma prüft" after "beauftragt Wartungsfirma"), else
/// `unit` as named.
fn as_role(unit: String, candidates: &[String]) -> String {
    if let Some(same) = candidates.iter().find(|c| format::same_text(c, &unit)) {
        return same.clone();
    }
    let head = unit.to_lowercase();
    let mut compounds = candidates.iter().filter(|c| {
        let lower = c.to_lowercase();
        !lower.contains(' ') && lower.len() > head.len() && lower.ends_with(&head)
    });
    match (compounds.next(), compounds.next()) {
        (Some(compound), None) => compound.clone(),
        _ => unit,
    }
}

/// The unit or person `words` open with (after an article or "die Kollegin vom" at most), and the
/// index of the word after it, asides in parentheses skipped ("Hausverwaltung (also wir) prüft").
fn named_ahead(words: &[&str]) -> Option<(String, usize)> {
    let lower = |k: usize| words.get(k).map(|w| core(w).to_lowercase()).unwrap_or_default();
    let mut k = usize::from(ARTICLES.contains(&lower(0).as_str()));
    let mut colleague = false;
    if COLLEAGUES.contains(&lower(k).as_str()) {
        k += 1;
        while k < words.len() && FROM.contains(&lower(k).as_str()) {
            k += 1;
            colleague = true;
        }
    }
    let capitalised = |w: &str| core(w).chars().next().is_some_and(char::is_uppercase);
    let title = |k: usize| TITLES.contains(&lower(k).as_str());
    // A colleague by name: "Frau Yilmaz macht die Anordnung".
    let titled = title(k) && words.get(k + 1).is_some_and(|w| capitalised(w));
    // A function named by its colleague's name in brackets: "Infosec (Herr Brandt) analysiert".
    let in_brackets = capitalised(words.get(k)?)
        && words.get(k + 1).is_some_and(|w| w.starts_with('('))
        && title(k + 1)
        && words.get(k + 2).is_some_and(|w| w.ends_with(')'));
    let (found, mut next) = if titled {
        (format!("{} {}", core(words[k]), core(words[k + 1])), k + 2)
    } else if in_brackets {
        (format!("{} ({} {})", core(words[k]), core(words[k + 1]), core(words[k + 2])), k + 3)
    } else if let Some(found) = actor_named(core(words.get(k)?)) {
        (found, k + 1)
    } else if colleague {
        // "der Kollege vom First Level": where a colleague comes from is a unit, named or not.
        let run = words[k..].iter().take(3).take_while(|w| capitalised(w)).count();
        (words[k..k + run].iter().map(|w| core(w)).collect::<Vec<_>>().join(" "), k + run)
    } else {
        return None;
    };
    if found.is_empty() {
        return None;
    }
    if words.get(next).is_some_and(|w| w.starts_with('(')) {
        while next < words.len() && !words[next].contains(')') {
            next += 1;
        }
        next += 1;
    }
    // An apposition between commas: "Der Betreiber, also meistens 'ne Firma, schickt …".
    if words[next - 1].ends_with(',')
        && let Some(end) = words[next..].iter().take(6).position(|w| w.ends_with(','))
    {
        next += end + 1;
    }
    Some((found, next))
}

/// Whether the words open with people in the plural ("die Anwohner", "die Mitarbeiter") before a
/// verb in the singular at `verb`: they are its object, and its subject comes after it ("Und die
/// Anwohner informiert die Firma selbst").
fn plural_before_singular(words: &[&str], verb: usize) -> bool {
    let plural = words.len() > verb
        && verb == 2
        && core(words[0]).to_lowercase() == "die"
        && core(words[1]).ends_with("er")
        && person_named(core(words[1])).is_some();
    plural && singular_verb(words[verb])
}

/// A finite verb of the third person singular, as a unit's subject clause has it ("prüft",
/// "holt", "unterschreibt"); "Polizei informieren" is an instruction about the unit.
fn singular_verb(word: &str) -> bool {
    let word = core(word);
    word.chars().count() >= 3 && word.chars().all(char::is_lowercase) && word.ends_with('t') && word != "nicht"
}

/// Verbs whose subject receives, not works ("der Mitarbeiter kriegt eine Absage"), or is worked
/// on ("die Eltern werden informiert").
const RECEIVING: &[&str] = &[
    "bekommt", "kriegt", "erhält", "bekommen", "kriegen", "erhalten", "wird", "werden", "ist", "sind", "hat", "haben",
];

/// Whether `words[k]` is the finite verb after a subject: of the third person singular, a modal,
/// or a plural that more words follow ("die Eltern reichen nach"; "Eltern informieren" is an
/// instruction about them).
fn finite_verb(words: &[&str], k: usize) -> bool {
    let Some(word) = words.get(k) else { return false };
    let lower = core(word).to_lowercase();
    if RECEIVING.contains(&lower.as_str()) {
        return false;
    }
    if singular_verb(word) || MODALS.contains(&lower.as_str()) {
        return true;
    }
    let more = !word.ends_with([',', '.', ';', ':'])
        && words.get(k + 1).is_some_and(|w| !matches!(core(w), "und" | "oder" | "sowie" | ""));
    infinitive_like(core(word)) && more
}

/// Verbs that say how things stand, not work: "Einlader kommt mit Termin", "Zähler zeigt 0".
const STATES: &[&str] =
    &["kommt", "geht", "liegt", "steht", "fehlt", "läuft", "passt", "reicht", "fällt", "gilt", "bleibt", "zeigt"];

/// Words ending like someone who does something but naming things, and words that open a
/// sentence capitalised ("Entweder ruft der Bürger an").
const NO_AGENTS_IN_ER: &[&str] = &[
    "fehler",
    "server",
    "zähler",
    "drucker",
    "ordner",
    "computer",
    "rechner",
    "scanner",
    "container",
    "wasser",
    "meter",
    "liter",
    "nummer",
    "register",
    "filter",
    "keller",
    "fenster",
    "zimmer",
    "papier",
    "kalender",
    "aufkleber",
    "behälter",
    "anhänger",
    "schalter",
    "koffer",
    "muster",
    "träger",
    "tember",
    "tober",
    "vember",
    "zember",
    "entweder",
    "wieder",
    "weiter",
    "später",
    "vorher",
    "nachher",
    "hinterher",
    "bisher",
    "leider",
    "lieber",
    "sicher",
    "keiner",
    "anderer",
    "gelder",
    "schilder",
    "felder",
    "bilder",
    "bücher",
    "dächer",
    "gräber",
    "länder",
    "räder",
    "kleider",
    "lichter",
    "wörter",
    "häuser",
    "zeiger",
];

/// A noun for someone who does something, opening a clause ("Einlader unterschreibt vor Ort",
/// "der Erwerber schickt …"), or a unit's shorthand no list knows ("KA schreibt aus", "das AG
/// entscheidet", "KMBD begutachtet"), and the index of the word after it: the dictation's own
/// parties and units, which no list holds, named as dictated. `actor` takes it only before a
/// verb of work ("HV wird unterschrieben", "RE kommt zentral an" name things).
fn agent_noun(words: &[&str]) -> Option<(String, usize)> {
    let start = usize::from(words.first().is_some_and(|w| ARTICLES.contains(&core(w).to_lowercase().as_str())));
    let noun = core(words.get(start)?);
    (is_agent_noun(noun) || super::abbreviations::is_unknown(noun)).then(|| (noun.to_owned(), start + 1))
}

/// Whether a word ends as nouns for someone who does something do ("Einlader", "Entsorgerin").
fn is_agent_noun(word: &str) -> bool {
    let lower = word.to_lowercase();
    word.starts_with(char::is_uppercase)
        && word.chars().count() > 5
        && (lower.ends_with("er") || lower.ends_with("erin"))
        && !NO_AGENTS_IN_ER.iter().any(|thing| lower.ends_with(thing))
}

/// Forms of "lassen": who a clause has work done by ("lassen wir die Flächen vom
/// Gutachterausschuss bewerten") is named after "von" as in a passive.
const CAUSATIVE: &[&str] = &["lassen", "lässt", "lasse", "lass", "ließ", "ließen"];

/// Whether the clause has its work done by someone else: "lassen wir … vom Stadtarchiv prüfen".
fn causative(words: &[&str]) -> bool {
    words.iter().any(|w| CAUSATIVE.contains(&core(w).to_lowercase().as_str()))
}

/// The unit or person the clause names as the agent of its work: "durch" one ("Unterschrift
/// durch Fachbereichsleitung", "Anhörung durch SB"), or "von" one beside a passive ("Bescheid
/// wird von AL abgezeichnet") or "lassen" ("lassen wir das vom Bauhof prüfen").
fn agent(words: &[&str]) -> Option<Actor> {
    let lower: Vec<String> = words.iter().map(|w| core(w).to_lowercase()).collect();
    let passive = causative(words) || lower.iter().any(|w| matches!(w.as_str(), "wird" | "werden" | "wurde"));
    (0..words.len()).find_map(|i| {
        let by = lower[i] == "durch" || (passive && matches!(lower[i].as_str(), "von" | "vom"));
        // "…, nicht vom Amtsleiter" names who does not.
        if !by || (i > 0 && lower[i - 1] == "nicht") {
            return None;
        }
        let k = i + 1 + usize::from(words.get(i + 1).is_some_and(|_| ARTICLES.contains(&lower[i + 1].as_str())));
        let word = core(words.get(k)?);
        if SPEAKER_WORDS.contains(&word.to_lowercase().as_str()) {
            return Some(Actor::Speaker);
        }
        actor_named(word).map(Actor::Unit)
    })
}

/// The unit or person a clause ends with, alone after its last comma with an article or a title
/// ("die Kollegin vom Bauhof", "unsere Abteilungsleiterin", "Frau Kessler"): the subject of the
/// verb the next clause opens with, where a comma cut the two apart ("…, und die Frau Kessler,
/// unsere Abteilungsleiterin, | unterschreibt"). A bare unit there ends a list ("bei Bauamt,
/// Ordnungsamt"). As a role among `candidates`.
pub(super) fn trailing_subject(clause: &str, candidates: &[String]) -> Option<String> {
    let last = clause.rsplit([',', ';']).next()?;
    let words: Vec<&str> = last.split_whitespace().filter(|w| !core(w).is_empty()).collect();
    let first = core(words.first()?).to_lowercase();
    if !ARTICLES.contains(&first.as_str()) && !TITLES.contains(&first.as_str()) {
        return None;
    }
    let (found, next) = named_ahead(&words)?;
    (next == words.len()).then(|| as_role(found, candidates))
}

/// Who the words of a task's name say does it, as a role among `candidates`: "Einlader
/// unterschreibt vor Ort", "misst Herr Kuhn nach". Asked about "Formular ausfüllen, Einlader
/// unterschreibt vor Ort", the model gave both lines the role of the first part's work. "Die
/// Chefin zeichnet ab" is left to the clause, which names her unit's head (see [`for_clause`]).
/// Only a subject of a part of `clause` counts: in "task Rechtsamt: Bürgerin zahlt an" for
/// "zahlt er an die Bürgerin", the model turned the one paid into who pays.
pub(super) fn subject_of(name: &str, clause: &str, candidates: &[String]) -> Option<String> {
    let Actor::Unit(unit) = actor(name) else { return None };
    let said = clause
        .split([',', ';'])
        .flat_map(|part| part.split(" und "))
        .any(|part| matches!(actor(part), Actor::Unit(u) if format::same_text(&u, &unit)));
    let lower = unit.to_lowercase();
    (said && !matches!(lower.as_str(), "chef" | "chefin") && !COLLEAGUES.contains(&lower.as_str()))
        .then(|| as_role(unit, candidates))
}

/// Who a clause's last part names as doing the work before it, taken up with "das": "gibt's ein
/// Gastgeschenk, das besorg ich", "…, das macht dann der Bauhof".
fn taken_up(clause: &str) -> Option<Actor> {
    let (_, last) = clause.rsplit_once([',', ';'])?;
    let first = core(last.split_whitespace().next()?).to_lowercase();
    if !matches!(first.as_str(), "das" | "dies") {
        return None;
    }
    match actor(last) {
        said @ (Actor::Unit(_) | Actor::Speaker) => Some(said),
        Actor::Previous | Actor::Unsaid => None,
    }
}

/// The unit a clause's subject names by the last part of its compound name, where the
/// dictation names one unit so ("Leitung prüft freie Kapazität" beside "Kita-Leitung"; "Kasse
/// zahlt" beside "Stadtkasse"). Alone, such a head names no unit (see [`unit_named`]).
fn named_by_head(clause: &str, candidates: &[String]) -> Option<Actor> {
    let words: Vec<&str> = clause.split_whitespace().collect();
    let k = usize::from(words.first().is_some_and(|w| ARTICLES.contains(&core(w).to_lowercase().as_str())));
    let head = core(words.get(k)?);
    if !is_unit_head(head) || !finite_verb(&words, k + 1) {
        return None;
    }
    let role = as_role(head.to_owned(), candidates);
    (role != head).then_some(Actor::Unit(role))
}

/// Whether a part of a clause opens with a pronoun for the unit named before it, then its verb
/// ("die macht dann das Anhörungsverfahren", "der prüft").
fn resumes(part: &str) -> bool {
    let mut words = part.split_whitespace().map(core);
    matches!(words.next(), Some("die" | "der" | "Die" | "Der")) && words.next().is_some_and(singular_verb)
}

/// Who does the work of `clause`: its subject where that is a unit or the speaker, read from the
/// words before the verb or right after it (German puts the subject after the verb when the
/// clause opens with "dann" or another adverb).
pub fn actor(clause: &str) -> Actor {
    let said = match clause.split_once(':') {
        // "Wir: Schulweg berechnen" names the subject before the colon; "Keine Änderungen: PA
        // fertigt …" the state the work after it depends on. A name before the colon has
        // capitalised words only: "Fernleihe bei uns in der Stadtbücherei: Der Leser füllt …"
        // is a heading, and its subject is after the colon.
        Some((before, after)) if after.chars().any(char::is_alphabetic) => {
            let head = core(before.trim());
            if SPEAKER_WORDS.contains(&head.to_lowercase().as_str()) {
                return Actor::Speaker;
            }
            if head.split_whitespace().all(|w| w.starts_with(char::is_uppercase))
                && let Some(found) = unit_named(head)
            {
                return Actor::Unit(found);
            }
            after
        }
        _ => clause,
    };
    let words: Vec<&str> = said.split_whitespace().filter(|w| !core(w).is_empty()).collect();
    // "lassen wir … vom Stadtarchiv gegenprüfen": the speaker has it done, the archive works.
    if causative(&words)
        && let Some(Actor::Unit(found)) = agent(&words)
    {
        return Actor::Unit(found);
    }
    let lower = |k: usize| words.get(k).map(|w| core(w).to_lowercase()).unwrap_or_default();
    let mut k = 0;
    while k < words.len() && OPENERS.contains(&lower(k).as_str()) {
        k += 1;
    }
    if SPEAKER_WORDS.contains(&lower(k).as_str()) {
        return Actor::Speaker;
    }
    if let Some((found, next)) = named_ahead(&words[k.min(words.len())..])
        && finite_verb(&words, k + next)
        && !plural_before_singular(&words[k..], next)
    {
        return Actor::Unit(found);
    }
    // A question's subject is what it asks about ("Datenträger verbaut?").
    if !said.trim_end().ends_with('?')
        && let Some((found, next)) = agent_noun(&words[k.min(words.len())..])
        && words.get(k + next).is_some_and(|w| singular_verb(w) && !STATES.contains(&core(w)))
        && !RECEIVING.contains(&lower(k + next).as_str())
        && !plural_before_singular(&words[k..], next)
    {
        return Actor::Unit(found);
    }
    // A word that may be a verb opens the clause ("programmiert", "fordern"); capitalised at a
    // sentence's start ("Programmiert …"), but not one that names a unit or person ("Eltern
    // benachrichtigen").
    if super::clauses::may_be_verb(&lower(k)) && words.get(k).is_none_or(|w| actor_named(core(w)).is_none()) {
        if SPEAKER_WORDS.contains(&lower(k + 1).as_str()) {
            return Actor::Speaker;
        }
        let after = &words[(k + 1).min(words.len())..];
        if let Some(found) =
            subject_after_verb(after).map(|(found, _)| found).or_else(|| someone_after(words[k], after))
            && !RECEIVING.contains(&lower(k).as_str())
            && !addresses_bare(&lower(k), &lower(k + 1))
        {
            return Actor::Unit(found);
        }
        return agent(&words).unwrap_or(Actor::Previous);
    }
    agent(&words).or_else(|| after_the_verb(&words[k.min(words.len())..])).unwrap_or(Actor::Unsaid)
}

/// The unit or person named right after the finite verb where something else opens the clause:
/// German puts the verb second and the subject after it when an object or an adverb comes first
/// ("Das Infoblatt schickt die Person …", "gleichzeitig stellt der Bauhof die Schilder auf",
/// "macht das der Bauhof", "muss der Klient seine Unterlagen bringen").
fn after_the_verb(words: &[&str]) -> Option<Actor> {
    let main = words.iter().position(|w| w.ends_with([',', ';', ':'])).map_or(words, |end| &words[..end]);
    // "vorher stimmen wir mit dem Ordnungsamt ab", "Die Unterlagen schicken wir": the speaker.
    if main.windows(2).any(|pair| {
        let (verb, subject) = (core(pair[0]), core(pair[1]));
        (super::clauses::looks_like_verb(verb) || super::clauses::verb_before_ich(verb, subject))
            && SPEAKER_WORDS.contains(&subject.to_lowercase().as_str())
    }) {
        return Some(Actor::Speaker);
    }
    // Nouns are capitalised: "Das Infoblatt schickt …" has its verb third.
    let verb = main.iter().map(|w| core(w)).position(|w| {
        MODALS.contains(&w.to_lowercase().as_str()) || (super::clauses::looks_like_verb(w) && w.ends_with('t'))
    })?;
    // A verb first is a modal here ("muss der Fachbereich … berechnen"): `actor` reads the others.
    if RECEIVING.contains(&core(main[verb]).to_lowercase().as_str()) {
        return None;
    }
    subject_after_verb(&main[verb + 1..])
        .map(|(found, _)| found)
        .or_else(|| someone_after(main[verb], &main[verb + 1..]))
        .map(Actor::Unit)
}

/// Verbs of things that begin, end or follow, not of someone working ("dann endet der Vertrag").
const HAPPENING: &[&str] = &["beginnt", "endet", "erlischt", "folgt", "entfällt", "ruht", "kostet", "dauert"];

/// The noun after "der" right after a verb of work, the reflexive pronoun between at most: a
/// masculine subject, whoever the dictation names so ("Beim Termin trägt sich der Gast ein",
/// "dann füllt der Kunde das Formular aus"), though no list of units or people holds them.
fn someone_after(verb: &str, words: &[&str]) -> Option<String> {
    let verb = core(verb).to_lowercase();
    // "muss der Antrag beim Amtsgericht sein": a modal's subject may be a thing.
    if [STATES, HAPPENING, RECEIVING, MODALS].iter().any(|verbs| verbs.contains(&verb.as_str())) {
        return None;
    }
    let skipped = usize::from(words.first().is_some_and(|w| core(w) == "sich"));
    let (article, noun) = (core(words.get(skipped)?), core(words.get(skipped + 1)?));
    // "der Kollege" alone says no more than that someone works: the clause's unit is said
    // elsewhere, if at all ("die Kollegin vom Bauhof" is read by `named_ahead`).
    let named = noun.chars().count() > 2
        && noun.starts_with(char::is_uppercase)
        && !COLLEAGUES.contains(&noun.to_lowercase().as_str());
    // After "die" the noun may be the object ("prüft die Unterlagen"), unless it names a woman
    // by what she does ("gestaltet die Kalligrafin").
    (named && (article == "der" || (article == "die" && feminine_agent(noun)))).then(|| noun.to_owned())
}

/// Whether a noun names a woman by what she does: "Kalligrafin", "Sachbearbeiterin",
/// "Ärztin", "Kollegin"; not "Termin" or "Medizin".
fn feminine_agent(noun: &str) -> bool {
    const STEMS: &[&str] = &["er", "ist", "or", "nt", "rzt", "af", "og", "eg", "ef", "at", "amt"];
    noun.strip_suffix("in").is_some_and(|stem| stem.chars().count() >= 3 && STEMS.iter().any(|end| stem.ends_with(end)))
}

/// Verbs whose object is a party ("beauftragt Wartungsfirma", "informiert Polizei").
const ADDRESSING: &[&str] = &[
    "beauftrag",
    "informier",
    "benachrichtig",
    "verständig",
    "kontaktier",
    "beteilig",
    "unterricht",
    "bittet",
    "fragt",
    "mahnt",
    "erinnert",
    "lädt",
    "ruft",
    "schreibt",
];

/// Whether a clause that opens with `verb` names its object right after it, without an article:
/// in notes, "beauftragt Wartungsfirma" goes on with the subject before, whereas "informiert der
/// Bauhof die Anwohner" names its subject.
fn addresses_bare(verb: &str, next: &str) -> bool {
    ADDRESSING.iter().any(|stem| verb.starts_with(stem))
        && !ARTICLES.contains(&next)
        && !OPENERS.contains(&next)
        && !TITLES.contains(&next)
        && !matches!(next, "es" | "dies")
}

/// Pronouns of an object, which German puts before a subject that follows its verb ("schickt
/// uns der Betreiber"). Not "sich": in "der Arzt guckt sich die Person an" the subject came
/// first.
const OBJECT_PRONOUNS: &[&str] = &["uns", "mir", "mich", "ihm", "ihnen", "euch"];

/// The unit or person the words after a verb open with, where the object's pronoun may stand
/// between ("macht das der Bauhof"), and the index of the word after it.
fn subject_after_verb(words: &[&str]) -> Option<(String, usize)> {
    // "guckt dann der Kollege vom Innendienst", "schickt uns der Betreiber": an adverb or the
    // object's pronoun may come first.
    let skipped = words
        .iter()
        .take_while(|w| {
            let lower = core(w).to_lowercase();
            OPENERS.contains(&lower.as_str()) || OBJECT_PRONOUNS.contains(&lower.as_str())
        })
        .count();
    if skipped > 0 {
        return subject_after_verb(&words[skipped..]).map(|(found, next)| (found, next + skipped));
    }
    named_ahead(words).or_else(|| {
        let pronoun = words.first().is_some_and(|w| matches!(core(w), "das" | "es" | "dies"));
        named_ahead(words.get(1..).filter(|_| pronoun)?).map(|(found, next)| (found, next + 1))
    })
}

/// Prepositions after which the dictation names where a case goes ("ans Ordnungsamt", "an die
/// Stadtkasse", "beim Bürgerbüro").
const TOWARDS: &[&str] = &["an", "ans", "beim", "bei", "im", "in", "ins", "zum", "zur"];

/// What may stand between "wir" and the unit it is: fillers, then a preposition and an article
/// ("wir in der Geschäftsstelle", "bei uns im Bürgerservice", "erfahren wir das im Umweltamt",
/// "wir als Kämmerei", "bei uns übers Kulturbüro"); "geben wir das dem Bauhof" names where it goes.
const WE_FILLERS: &[&str] = &["das", "ja", "dann", "hier", "nämlich", "also"];
const WE_AT: &[&str] = &["in", "im", "ins", "vom", "von", "beim", "bei", "aus", "als", "über", "übers", "an", "am"];
const WE_ARTICLES: &[&str] = &["der", "dem", "den"];
const WE_FROM: &[&str] = &["beim", "bei", "vom", "von", "aus", "ins"];

/// What stands between commas right after "wir" names the speaker's unit, whatever its words
/// ("Wir, Team Digitalisierung, klären …", "Wir, also das Bürgerbüro, prüfen …").
fn apposition(from_we: &[&str]) -> Option<String> {
    let (we, rest) = from_we.split_first()?;
    if !we.ends_with(',') {
        return None;
    }
    let end = rest.iter().take(5).position(|w| w.ends_with(','))?;
    // "von uns, der Wirtschaftsförderung. Ähm, …": the apposition ends with its sentence.
    let end = rest[..end].iter().position(|w| w.ends_with('.')).unwrap_or(end);
    let named: Vec<&str> = rest[..=end]
        .iter()
        .map(|w| core(w))
        .skip_while(|w| {
            WE_FILLERS.contains(&w.to_lowercase().as_str())
                || WE_ARTICLES.contains(&w.to_lowercase().as_str())
                || *w == "die"
        })
        .collect();
    let named = named.join(" ");
    named.starts_with(char::is_uppercase).then_some(named)
}

/// The speaker's unit named before "also wir", whatever its words ("Gebäudemanagement, also
/// wir, beauftragt …"): the capitalised words after the sentence's start or the comma before.
fn named_before(before_we: &[&str]) -> Option<String> {
    let [named @ .., last, also] = before_we else { return None };
    if core(also).to_lowercase() != "also" || !last.ends_with(',') {
        return None;
    }
    let start = named.iter().rposition(|w| ends_clause(w)).map_or(0, |k| k + 1);
    let phrase: Vec<&str> = named[start..].iter().chain(std::iter::once(last)).map(|w| core(w)).collect();
    if phrase.len() > 3 || !phrase.iter().all(|w| w.starts_with(char::is_uppercase)) {
        return None;
    }
    let phrase = phrase.join(" ");
    Some(unit_named(&phrase).unwrap_or(phrase))
}

/// The unit that opens `words`, within their clause: after adjectives at most ("der Unteren
/// Wasserbehörde" → "Wasserbehörde"), or a unit's bare head word with the one it belongs to ("im
/// Büro des Bürgermeisters").
fn unit_phrase(words: &[&str]) -> Option<String> {
    let adjectives = words
        .iter()
        .take(2)
        .take_while(|raw| {
            let w = core(raw);
            w.chars().count() > 3
                && !ends_clause(raw)
                && unit_named(w).is_none()
                && ["e", "en", "er", "em"].iter().any(|end| w.ends_with(end))
        })
        .count();
    let head = words.get(adjectives)?;
    if let Some(found) = unit_named(core(head)) {
        return Some(found);
    }
    match (words.get(adjectives + 1), words.get(adjectives + 2)) {
        (Some(of), Some(owner))
            if !ends_clause(head)
                && is_unit_head(core(head))
                && matches!(core(of), "des" | "der")
                && core(owner).starts_with(char::is_uppercase) =>
        {
            Some(format!("{} {} {}", core(head), core(of), core(owner)))
        }
        _ => None,
    }
}

/// Words a clause may hold besides who works where it says only that: "das macht bei uns im
/// Jugendamt die UVG-Stelle", "Das läuft bei uns übers Kulturbüro", "Gebäudemanagement, also
/// wir". Where the work goes ("an die Kasse") is more than who does it.
const ONLY_WHO: &[&str] = &[
    "das",
    "es",
    "der",
    "die",
    "dem",
    "den",
    "macht",
    "machen",
    "mache",
    "läuft",
    "landet",
    "übernimmt",
    "übernehmen",
    "zuständig",
    "ist",
    "sind",
    "bin",
    "bei",
    "beim",
    "uns",
    "hier",
    "im",
    "in",
    "übers",
    "über",
    "vom",
    "von",
    "dann",
    "meistens",
    "meist",
    "immer",
    "so",
    "da",
    "also",
    "unser",
    "unsere",
    "unserem",
    "unserer",
    "ansprechpartnerin",
    "ansprechpartner",
];

/// Whether a clause says only who works, with no work: a unit's name alone where an arrow
/// points ("Antrag Halter → Ordnungsamt"), the speaker named ("Gebäudemanagement, also wir"), or
/// who handles the service ("das macht bei uns im Ordnungsamt der Außendienst"). Asked about
/// such a clause, the model made up work ("Ordnungssystem einrichten", "Außendienst machen").
pub(super) fn names_only_who(clause: &str, speaker: Option<&str>) -> bool {
    let said: Vec<String> = speaker.unwrap_or_default().split_whitespace().map(str::to_lowercase).collect();
    let mut someone = false;
    let only = clause.split_whitespace().map(core).filter(|w| !w.is_empty()).all(|w| {
        let lower = w.to_lowercase();
        let who = SPEAKER_WORDS.contains(&lower.as_str()) || said.contains(&lower) || unit_named(w).is_some();
        someone |= who;
        who || ONLY_WHO.contains(&lower.as_str())
    });
    only && someone
}

/// Who a clause that says only who works names: the speaker where it says "wir" or "ich",
/// else the unit named last.
fn who_named(clause: &str) -> Actor {
    if clause.split_whitespace().any(|w| SPEAKER_WORDS.contains(&core(w).to_lowercase().as_str())) {
        return Actor::Speaker;
    }
    named_last(clause).map_or(Actor::Unsaid, Actor::Unit)
}

/// The unit the dictation's "wir" is: named next to it ("wir in der Geschäftsstelle",
/// "Hausverwaltung (also wir)"), else in parentheses in the opening words ("Altfahrzeuge
/// (Ordnungsamt):"), else the last unit the case was sent to before the first "wir" ("Der Antrag
/// geht an die Stadtkasse. Wir prüfen …").
pub fn speaker(dictation: &str) -> Option<String> {
    let words: Vec<&str> = dictation.split_whitespace().collect();
    let lower: Vec<String> = words.iter().map(|w| core(w).to_lowercase()).collect();
    let we: Vec<usize> = (0..words.len()).filter(|&i| matches!(lower[i].as_str(), "wir" | "uns" | "ich")).collect();
    for &i in &we {
        if let Some(unit) = apposition(&words[i..]).or_else(|| named_before(&words[..i])) {
            return Some(unit);
        }
        let mut j = i + 1;
        let within = |j: usize| j < words.len() && !ends_clause(words[j - 1]);
        while within(j) && WE_FILLERS.contains(&lower[j].as_str()) {
            j += 1;
        }
        // "holen wir beim Bauhof die Stellungnahme ein": after its verb, "wir" with "beim" or
        // "vom" names where something comes from; "wir vom Bauamt", "erfahren wir das im
        // Umweltamt" name the speaker.
        // "das machen wir vom Jugendamt": where the clause opens with its object, "wir vom"
        // names the speaker again.
        let object_first =
            i >= 2 && matches!(lower[i - 2].as_str(), "das" | "die" | "den") && (i == 2 || ends_clause(words[i - 3]));
        let after_verb = i > 0
            && lower[i] != "uns"
            && !words[i - 1].ends_with(['.', ',', ':', ';', '?', '!', '('])
            && !WE_FILLERS.contains(&lower[i - 1].as_str())
            && lower[i - 1] != "und"
            && !object_first;
        if within(j) && WE_AT.contains(&lower[j].as_str()) && !(after_verb && WE_FROM.contains(&lower[j].as_str())) {
            j += 1;
            if within(j) && WE_ARTICLES.contains(&lower[j].as_str()) {
                j += 1;
            }
            if within(j)
                && let Some(found) = unit_phrase(&words[j..])
            {
                return Some(found);
            }
        }
        if let Some(open) = (i.saturating_sub(2)..=i).find(|&k| words[k].starts_with('('))
            && open > 0
            && let Some(found) = unit_named(core(words[open - 1]))
        {
            return Some(found);
        }
    }
    if let Some(found) = words.iter().take(12).find(|w| w.starts_with('(')).and_then(|w| unit_named(core(w))) {
        return Some(found);
    }
    if let Some(found) = heading_unit(dictation) {
        return Some(found);
    }
    let first_we = *we.first()?;
    (1..first_we).rev().find_map(|j| {
        let towards = TOWARDS.contains(&lower[j - 1].as_str())
            || (j >= 2
                && TOWARDS.contains(&lower[j - 2].as_str())
                && ["die", "den", "das", "der", "dem"].contains(&lower[j - 1].as_str()));
        if towards { unit_named(core(words[j])) } else { None }
    })
}

/// The unit a heading names as its last item, before its colon: "Bescheinigung § 7h EStG,
/// Sanierungsgebiet Altstadt, FB 61:", "Kampfmittelfund – Ablauf OA:", "Amtsärztliche
/// Untersuchung, Gesundheitsamt.", "Lohnpfändung, Entgeltabrechnung." A last item that names no
/// unit by its words names the service ("Schülerfahrkosten, Erstattung").
fn heading_unit(dictation: &str) -> Option<String> {
    let first = super::clauses::split(dictation).into_iter().next()?;
    let heading = first.text.split(':').next()?;
    let words: Vec<&str> = heading.split_whitespace().collect();
    if words.len() > 8 || words.iter().any(|w| super::clauses::looks_like_verb(w)) {
        return None;
    }
    // The first item is the service; of the others, the last that names a unit ("Hilfe zur
    // Pflege, Sozialamt, Sachgebiet 50.3").
    let items: Vec<&str> = heading.split([',', '–', ';']).collect();
    items[items.len().min(2) - 1..].iter().rev().find_map(|item| {
        let mut words = item.split_whitespace().map(core).filter(|w| !w.is_empty());
        let head = match words.next()? {
            "Ablauf" => words.next()?,
            head => head,
        };
        unit_named(head).or_else(|| heading_function(head))
    })
}

/// Units named by the work they do, as a heading's last item names them: "Entgeltabrechnung",
/// "Abfallberatung". In a clause such a word is work ("Jahresabrechnung prüfen"), so it names a
/// unit only there.
fn heading_function(word: &str) -> Option<String> {
    const FUNCTIONS: &[&str] = &["abrechnung", "beratung", "buchhaltung", "veranlagung", "vollstreckung"];
    let lower = word.to_lowercase();
    FUNCTIONS.iter().any(|end| lower.ends_with(end) && lower.len() > end.len() + 2).then(|| word.to_owned())
}

/// The roles the wording of a clause names, its actor first: the actor where its wording says
/// (the `previous` clause's for a clause that opens with its verb, the `speaker` for "wir"),
/// with the units that are subjects of its later parts ("PA fertigt Zeugnis aus, AL
/// unterschreibt"). A condition whose wording names nobody is checked by whoever worked last; a
/// clause that opens with a pronoun and its verb ("Der stellt den Antrag") is the work of the
/// unit or person `mentioned` last in the clauses before. Empty where the wording names nobody:
/// the model then chooses among all candidates. Asked to choose among all units for "wir
/// schreiben den Halter an", it took whichever unit the dictation named last.
pub fn for_clause(
    clause: &str,
    condition: bool,
    speaker: Option<&str>,
    previous: Option<&str>,
    mentioned: Option<&str>,
    candidates: &[String],
) -> Vec<String> {
    let resolve = |actor: Actor| match actor {
        // "die Chefin zeichnet ab": the head of the speaker's unit, as a modeller names the role.
        Actor::Unit(unit) if matches!(unit.to_lowercase().as_str(), "chef" | "chefin") && speaker.is_some() => {
            speaker.map(|unit| format!("Leitung {unit}"))
        }
        Actor::Unit(unit) => Some(as_role(unit, candidates)),
        Actor::Speaker => speaker.map(str::to_owned),
        Actor::Previous => previous.map(str::to_owned),
        Actor::Unsaid if condition => previous.or(speaker).map(str::to_owned),
        Actor::Unsaid => None,
    };
    let said = match actor(clause) {
        // "Gebäudemanagement, wir": who works on, though the clause holds no work.
        Actor::Unsaid if names_only_who(clause, speaker) => who_named(clause),
        said @ (Actor::Unsaid | Actor::Previous) => {
            taken_up(clause).or_else(|| named_by_head(clause, candidates)).unwrap_or(said)
        }
        said => said,
    };
    // "fragen wir den Eigentümer. … Sagt er ja, schließt er den Vertrag": "er" after the verb
    // is not the speaker who worked last, but the person named last. (Units are left out: one
    // the dictation names by an abbreviation we do not know, "zahlt er" after "Erkennt der KSA
    // an", would go to the unit named before it.)
    let he = clause.split_whitespace().nth(1).is_some_and(|w| core(w) == "er");
    let said = match (said, mentioned) {
        (Actor::Previous, Some(person)) if he && previous.is_some() && previous == speaker && is_person(person) => {
            Actor::Unit(person.to_owned())
        }
        (said, _) => said,
    };
    let Some(first) = resolve(said) else {
        return mentioned
            .filter(|_| resumes(clause))
            .map(|m| vec![as_role(m.to_owned(), candidates)])
            .unwrap_or_default();
    };
    let mut named = vec![first];
    for part in clause.split([',', ';']).flat_map(|p| p.split(" und ")) {
        // Each part is a slice of `clause`: its start is where the text before it ends.
        let before = &clause[..part.as_ptr() as usize - clause.as_ptr() as usize];
        if before.is_empty() {
            continue;
        }
        let unit = match actor(part) {
            // "…, die überweist dann das Geld": the unit named last before it.
            Actor::Unsaid if resumes(part) => named_last(before).and_then(|u| resolve(Actor::Unit(u))),
            said @ (Actor::Unit(_) | Actor::Speaker) => resolve(said),
            Actor::Previous | Actor::Unsaid => None,
        };
        if let Some(unit) = unit
            && !named.contains(&unit)
        {
            named.push(unit);
        }
    }
    named
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(name: &str) -> Actor {
        Actor::Unit(name.to_owned())
    }

    #[test]
    fn a_task_name_may_say_who_does_it() {
        let known = ["Ausländerbehörde".to_owned(), "Wartungsfirma".to_owned()];
        let clause = "Formular auf Sicherheitspapier ausfüllen, Einlader unterschreibt vor Ort";
        assert_eq!(subject_of("Einlader unterschreibt vor Ort", clause, &known).as_deref(), Some("Einlader"));
        assert_eq!(subject_of("Formular auf Sicherheitspapier ausfüllen", clause, &known), None);
        let clause = "Firma prüft die Löscher";
        assert_eq!(subject_of("Firma prüft die Löscher", clause, &known).as_deref(), Some("Wartungsfirma"));
        let clause = "misst Herr Kuhn nach";
        assert_eq!(subject_of("misst Herr Kuhn nach", clause, &known).as_deref(), Some("Herr Kuhn"));
        assert_eq!(subject_of("Chefin zeichnet ab", "die Chefin zeichnet ab", &known), None);
        // Who the clause pays is no subject, whatever the model made of it.
        assert_eq!(subject_of("Bürgerin zahlt an", "zahlt er an die Bürgerin", &known), None);
    }

    #[test]
    fn he_after_the_verb_is_whoever_was_named_last_not_the_speaker() {
        let roles = ["Wirtschaftsförderung".to_owned()];
        let clause = "schließt er mit dem Nutzer einen Zwischennutzungsvertrag";
        let speaker = Some("Wirtschaftsförderung");
        assert_eq!(for_clause(clause, false, speaker, speaker, Some("Eigentümer"), &roles), ["Eigentümer"]);
        // After someone else's work, "er" goes on with them; a unit named last is not taken.
        assert_eq!(for_clause(clause, false, speaker, speaker, Some("Bauhof"), &roles), ["Wirtschaftsförderung"]);
        assert_eq!(
            for_clause(clause, false, speaker, Some("Hausmeister"), Some("Eigentümer"), &roles),
            ["Hausmeister"]
        );
        assert_eq!(
            for_clause("schließt den Vertrag", false, speaker, speaker, Some("Eigentümer"), &roles),
            ["Wirtschaftsförderung"]
        );
    }

    #[test]
    fn a_unit_named_by_its_last_part_is_the_one_compound_that_ends_so() {
        let roles = ["Kita-Leitung".to_owned(), "Beitragsstelle".to_owned()];
        let named = |clause: &str| for_clause(clause, false, None, None, None, &roles);
        assert_eq!(named("Leitung prüft freie Kapazität in Gruppe"), ["Kita-Leitung"]);
        assert_eq!(named("Die Leitung meldet Änderung an Beitragsstelle"), ["Kita-Leitung"]);
        // Not where no compound or more than one ends so, nor where the head is not the subject.
        assert!(named("Amt prüft den Antrag").is_empty());
        assert!(named("Leitung informieren").is_empty());
    }

    #[test]
    fn a_subject_cut_off_by_a_comma_is_the_next_verbs() {
        let none: &[String] = &[];
        let trailing = |clause: &str| trailing_subject(clause, none);
        assert_eq!(
            trailing("die gilt drei Monate, und die Frau Kessler, unsere Abteilungsleiterin").as_deref(),
            Some("Abteilungsleiterin")
        );
        assert_eq!(trailing("dann die Kollegin vom Bauhof").as_deref(), None);
        assert_eq!(trailing("Antrag prüfen, die Kollegin vom Bauhof").as_deref(), Some("Bauhof"));
        assert_eq!(trailing("Stellungnahmen holen wir bei Bauamt, Ordnungsamt").as_deref(), None);
        assert_eq!(trailing("Unterlagen gehen an die Kasse").as_deref(), None);
    }

    #[test]
    fn the_subject_of_a_clause_is_its_actor() {
        assert_eq!(actor("Außendienst klebt roten Aufkleber ans Fahrzeug"), unit("Außendienst"));
        assert_eq!(actor("die Kollegin vom Bauhof räumt das weg"), unit("Bauhof"));
        assert_eq!(actor("Im Frühjahr macht das Jugendamt die Vergabe"), unit("Jugendamt"));
        assert_eq!(actor("dann macht das Jugendamt die Vergabe"), unit("Jugendamt"));
        assert_eq!(actor("Keine Änderungen: PA fertigt Zeugnis aus"), unit("Personalamt"));
        assert_eq!(actor("wir schreiben den Halter an"), Actor::Speaker);
        assert_eq!(actor("Dann holen wir parallel Stellungnahmen ein"), Actor::Speaker);
        assert_eq!(actor("vorher stimmen wir mit dem Ordnungsamt ab"), Actor::Speaker);
        assert_eq!(actor("Die Unterlagen schicken wir an die Kasse"), Actor::Speaker);
        assert_eq!(actor("Wir: Schulweg berechnen"), Actor::Speaker);
        assert_eq!(actor("Allgemeiner Sozialer Dienst: Hausbesuch machen"), unit("Allgemeiner Sozialer Dienst"));
        assert_eq!(actor("Fernleihe bei uns in der Bücherei: Der Leser füllt den Schein aus"), unit("Leser"));
        assert_eq!(actor("SB prüft Unterlagen"), Actor::Speaker);
        assert_eq!(actor("Sachbearbeiterin prüft Route und Uhrzeiten"), Actor::Speaker);
        assert_eq!(actor("programmiert Transponder"), Actor::Previous);
        assert_eq!(actor("Erlaubnis erstellen"), Actor::Unsaid);
        assert_eq!(actor("Stellungnahme Ordnungsamt einholen"), Actor::Unsaid);
    }

    #[test]
    fn people_who_do_the_work_are_actors_where_they_are_its_subject() {
        assert_eq!(actor("Bauherr reicht nach"), unit("Bauherr"));
        assert_eq!(actor("Der Antragsteller zahlt"), unit("Antragsteller"));
        assert_eq!(actor("Die Eltern füllen den Leihvertrag aus"), unit("Eltern"));
        assert_eq!(actor("reichen die Eltern nach"), unit("Eltern"));
        assert_eq!(actor("der Bauherr muss zahlen"), unit("Bauherr"));
        assert_eq!(actor("Die Friedhofsgärtner graben die Urne aus"), unit("Friedhofsgärtner"));
        assert_eq!(actor("Frau Yilmaz macht die Auszahlungsanordnung"), unit("Frau Yilmaz"));
        assert_eq!(actor("Infosec (Herr Brandt) analysiert die Links"), unit("Infosec (Herr Brandt)"));
        assert_eq!(actor("Dann unterschreibt die Frau Kessler, unsere Abteilungsleiterin"), unit("Frau Kessler"));
        assert_eq!(actor("die Frau Kessler, unsere Abteilungsleiterin, unterschreibt"), unit("Frau Kessler"));
        assert_eq!(actor("Der Betreiber, also meistens eine Firma, schickt den Entwurf"), unit("Betreiber"));
        assert_eq!(actor("Und die Anwohner informiert die Firma selbst"), unit("Firma"));
        assert_eq!(actor("Die Anwohner informieren die Firma"), unit("Anwohner"));
        assert_eq!(actor("Im Büro guckt dann der Kollege vom Innendienst nach"), unit("Innendienst"));
        assert!(!matches!(actor("Bauhof, Stadtkasse und Ordnungsamt prüfen"), Actor::Unit(_)));
        // Parties from outside, named without a modifier or in the plural.
        assert_eq!(actor("zahlt die Firma die Gebühr"), unit("Firma"));
        assert_eq!(actor("Die Vereine rufen beim Bauhof an"), unit("Verein"));
        assert_eq!(actor("Abfuhrunternehmen holt Biotonne ab"), unit("Abfuhrunternehmen"));
        // Worked on, receiving, or named in an instruction: not the actor.
        for clause in [
            "kriegt der Mitarbeiter eine Absage",
            "Eltern informieren",
            "Eltern werden informiert",
            "Zustellung an Bauherrn",
            "Bürgerschalter öffnet",
        ] {
            assert!(!matches!(actor(clause), Actor::Unit(_)), "{clause}");
        }
        for clause in ["Eltern benachrichtigen", "Eltern über die Entscheidung informieren"] {
            assert_eq!(actor(clause), Actor::Unsaid, "{clause}");
        }
    }

    #[test]
    fn where_a_colleague_comes_from_is_a_unit() {
        assert_eq!(actor("Der Kollege vom First Level guckt erst mal"), unit("First Level"));
        assert_eq!(actor("das Infoblatt schickt die Kollegin aus der Verwaltung"), unit("Verwaltung"));
        assert_eq!(actor("die Kollegin vom Bauhof räumt das weg"), unit("Bauhof"));
        assert_eq!(actor("die Kollegin guckt erst mal"), Actor::Unsaid);
    }

    #[test]
    fn a_subject_after_the_verb_is_the_actor_where_something_else_comes_first() {
        assert_eq!(actor("Das Formular schickt die Person dann selber an die Rentenkasse"), unit("Person"));
        assert_eq!(actor("gleichzeitig stellt der Bauhof die Schilder auf"), unit("Bauhof"));
        assert_eq!(actor("macht das der Bauhof"), unit("Bauhof"));
        assert_eq!(actor("In beiden Fällen muss der Klient dann seine Unterlagen bringen"), unit("Klient"));
        assert_eq!(actor("Dann muss die Kämmerei die Summe berechnen"), unit("Kämmerei"));
        assert_eq!(actor("Unsere Jungs vom Außendienst erwischen jemanden"), unit("Außendienst"));
        assert_eq!(actor("Dann schickt uns der Betreiber drei Exemplare"), unit("Betreiber"));
        assert_eq!(actor("und der Arzt guckt sich die Person an"), unit("Arzt"));
        // Spoken, the verb before "ich" drops its ending.
        assert_eq!(actor("dann informier ich den Hauseigentümer"), Actor::Speaker);
        // What follows a preposition, or the verb of a later part, names no subject.
        assert_eq!(actor("Termin mit der Polizei abstimmen"), Actor::Unsaid);
        assert_eq!(actor("Bescheid erstellen, dann prüft die Amtsleitung"), Actor::Unsaid);
        assert_eq!(actor("Den Bescheid bekommt der Antragsteller"), Actor::Unsaid);
        // In notes, a party right after a verb that addresses parties is its object.
        assert_eq!(actor("beauftragt Wartungsfirma aus dem Rahmenvertrag"), Actor::Previous);
        assert_eq!(actor("informiert der Bauhof die Anwohner"), unit("Bauhof"));
        // Whoever "der" names after a verb of work is its subject, in no list or not.
        assert_eq!(actor("Beim Termin trägt sich der Gast ein"), unit("Gast"));
        assert_eq!(actor("dann misst der Förster nach"), unit("Förster"));
        assert_eq!(actor("Dann endet der Vertrag"), Actor::Previous);
        assert_eq!(actor("Hinterher kommt der Bescheid"), Actor::Previous);
        assert_eq!(actor("Bis morgen muss der Antrag beim Amtsgericht sein"), Actor::Unsaid);
        assert_eq!(actor("gestaltet die Kalligrafin, Frau Lorenz"), unit("Kalligrafin"));
        assert_eq!(actor("dann prüft die Ärztin den Befund"), unit("Ärztin"));
        assert_eq!(actor("Dann prüft die Unterlagen"), Actor::Previous);
        assert_eq!(actor("Dann bucht die Termin"), Actor::Previous);
        assert_eq!(actor("dann schickt die Kollegin das Infoblatt"), Actor::Previous);
    }

    #[test]
    fn the_agent_of_a_passive_or_a_noun_is_the_actor() {
        assert_eq!(
            actor("Der Vertrag wird von der Kulturdezernentin unterschrieben, nicht vom Amtsleiter"),
            unit("Kulturdezernentin")
        );
        assert_eq!(actor("Unterschrift durch Fachbereichsleitung Personal"), unit("Fachbereichsleitung"));
        assert_eq!(actor("Bescheid wird von AL abgezeichnet"), unit("Amtsleitung"));
        assert_eq!(actor("Anhörung von Kirchen und IHK durch SB"), Actor::Speaker);
        assert_eq!(actor("Stellungnahme vom Bauhof einholen"), Actor::Unsaid);
        assert_eq!(actor("Dann lassen wir die Flächen vom Gutachterausschuss bewerten"), unit("Gutachterausschuss"));
        assert_eq!(actor("lassen wir das Ergebnis nicht vom Bauhof prüfen"), Actor::Speaker);
    }

    #[test]
    fn a_noun_for_someone_opening_a_clause_before_a_verb_of_work_is_its_actor() {
        assert_eq!(actor("Einlader unterschreibt vor Ort"), Actor::Unit("Einlader".to_owned()));
        assert_eq!(actor("der Erwerber schickt die Original-WBK ein"), Actor::Unit("Erwerber".to_owned()));
        // How things stand, things, and a subject that is worked on are no actors.
        assert_eq!(actor("Einlader kommt mit Termin"), Actor::Unsaid);
        assert_eq!(actor("Drucker druckt die Etiketten"), Actor::Unsaid);
        assert_eq!(actor("Erwerber wird angehört"), Actor::Unsaid);
        assert_eq!(actor("Anordnung erstellen"), Actor::Unsaid);
        assert_eq!(actor("Datenträger verbaut?"), Actor::Unsaid);
        assert_eq!(actor("Entweder ruft der Bürger an"), Actor::Unit("Bürger".to_owned()));
        // A unit's shorthand that no list knows, named as dictated; a known thing's is no actor.
        assert_eq!(actor("KA sichtet Bewerbungen"), Actor::Unit("KA".to_owned()));
        assert_eq!(actor("das KMBD begutachtet vor Ort"), Actor::Unit("KMBD".to_owned()));
        assert_eq!(actor("das AG entscheidet durch Beschluss"), unit("Amtsgericht"));
        assert_eq!(actor("KuA beschließt"), Actor::Unit("KuA".to_owned()));
        assert_eq!(actor("HV wird von VHS-Leitung unterschrieben"), unit("VHS-Leitung"));
        assert_eq!(actor("RE kommt zentral in der Kasse an"), Actor::Unsaid);
        assert_eq!(actor("BV geht an den Ausschuss"), Actor::Unsaid);
    }

    #[test]
    fn a_pronoun_stands_for_the_party_named_last_not_for_one_in_a_measure() {
        assert_eq!(named_last("Tauschauftrag an Entsorger, 20 l pro Person"), Some("Entsorger".to_owned()));
        assert_eq!(named_last("Bescheid an den Halter, 5 € je Hund"), Some("Halter".to_owned()));
        assert_eq!(named_last("Tauschauftrag an Entsorger (EGN)"), Some("Entsorger".to_owned()));
        assert_eq!(named_last("Schilder an die Gräber"), None);
    }

    #[test]
    fn the_speaker_is_the_unit_named_with_wir_or_the_one_the_case_went_to() {
        // (dictation, the speaker's unit or "" for none)
        let cases = [
            ("Wir in der Geschäftsstelle gucken, wann die Mail kam. Die Stadtkasse zahlt.", "Geschäftsstelle"),
            ("Anfragen landen bei uns im Bürgerservice, das Fachamt antwortet.", "Bürgerservice"),
            ("Fernleihe bei uns in der Stadtbücherei: Der Leser füllt den Schein aus.", "Stadtbücherei"),
            ("Vorgesetzte beantragt. Hausverwaltung (also wir) prüft Räume.", "Hausverwaltung"),
            ("Altfahrzeuge (Ordnungsamt): Außendienst klebt Aufkleber, wir schreiben an.", "Ordnungsamt"),
            ("Der Antrag geht an die Stadtkasse. Wir prüfen die Verhältnisse.", "Stadtkasse"),
            ("Die Anfrage kommt ins Ratsbüro, wir registrieren die.", "Ratsbüro"),
            ("Die Polizei schickt ihn zu uns ins Ordnungsamt. Wir gucken nach.", "Ordnungsamt"),
            ("Dann bringen wir ins Archiv die Akte.", ""),
            ("Wir in der Bauhof-Dispo schreiben den Auftrag.", "Bauhof-Dispo"),
            ("Schule bestätigt, leitet an Schulverwaltungsamt weiter. Wir: Schulweg berechnen.", "Schulverwaltungsamt"),
            ("Wir geben das an die Bußgeldstelle.", ""),
            ("Dann erfahren wir das im Umweltamt, oft.", "Umweltamt"),
            ("Also wir vom Bauamt prüfen den Antrag.", "Bauamt"),
            ("Fachamt meldet Bedarf. Wir, Team Digitalisierung, klären Felder.", "Team Digitalisierung"),
            ("Wir, also das Bürgerbüro, prüfen den Antrag.", "Bürgerbüro"),
            ("Ein Programm von uns, der Wirtschaftsförderung. Ähm, die Gründer bewerben sich.", "Wirtschaftsförderung"),
            ("Prüfung. Gebäudemanagement, also wir, beauftragt die Firma.", "Gebäudemanagement"),
            ("Verpflichtungserklärung, Ausländerbehörde, also wir.", "Ausländerbehörde"),
            ("Wenn ja, sagen wir, ähm, Bescheid.", ""),
            ("Bescheinigung § 7h EStG, Sanierungsgebiet Altstadt, FB 61: Antrag Eigentümer.", "Fachbereich"),
            ("Kampfmittelfund Baustelle – Ablauf OA: Meldung kommt vom Bauleiter.", "Ordnungsamt"),
            ("Amtsärztl. Untersuchung Dienstfähigkeit, Gesundheitsamt. Auftrag kommt.", "Gesundheitsamt"),
            ("Schülerfahrkosten, Erstattung: Eltern stellen Antrag.", ""),
            // A unit named by its work, in a heading only; the heading's last item that is a unit.
            ("Lohnpfändung, Entgeltabrechnung. Wir erfassen die Pfändung.", "Entgeltabrechnung"),
            ("Rente, Versicherungsamt, Zimmer 12: wir nehmen auf.", "Versicherungsamt"),
            ("Aussonderung Altgeräte, IT-Abt.: FB meldet Gerät.", "IT-Abteilung"),
            // Adjectives before the unit, a unit's head word with its owner, "an der", "ich".
            ("Das kommt bei uns in der Unteren Wasserbehörde oft.", "Wasserbehörde"),
            ("Das läuft bei uns im Büro des Bürgermeisters, beim Protokoll.", "Büro des Bürgermeisters"),
            ("Die Käufer melden sich bei uns an der Theaterkasse.", "Theaterkasse"),
            ("Das mach ich im Sozialamt nebenher.", "Sozialamt"),
            // "das verkaufen wir von der Forstverwaltung": the clause opens with its object.
            ("Das Brennholz, das verkaufen wir von der Forstverwaltung jeden Winter.", "Forstverwaltung"),
            ("Antrag geht an die Kasse: SB prüft.", ""),
            ("Das läuft bei uns übers Kulturbüro, ich bin da die Ansprechpartnerin.", "Kulturbüro"),
            ("Die Bürgerin meldet es beim Rechtsamt. Dann holen wir beim Bauhof die Stellungnahme ein.", "Rechtsamt"),
            ("Dann geben wir das dem Bauhof.", ""),
            ("Der Antrag geht an die Stadtkasse, die bucht.", ""),
        ];
        for (dictation, unit) in cases {
            assert_eq!(speaker(dictation).unwrap_or_default(), unit, "{dictation}");
        }
    }

    #[test]
    fn a_clause_may_name_its_actor_and_the_subjects_of_its_later_parts() {
        let all: Vec<String> = ["Personalamt", "Amtsleitung", "Bauhof", "Stadtkasse"].map(String::from).to_vec();
        assert_eq!(
            for_clause("PA fertigt Zeugnis aus, AL unterschreibt", false, None, None, None, &all),
            ["Personalamt", "Amtsleitung"]
        );
        assert_eq!(for_clause("wir schreiben den Halter an", false, Some("Bauhof"), None, None, &all), ["Bauhof"]);
        let named = for_clause("programmiert Transponder", false, None, Some("Stadtkasse"), None, &all);
        assert_eq!(named, ["Stadtkasse"]);
        // Nobody named: the model chooses among all candidates.
        assert!(for_clause("wir schreiben den Halter an", false, None, Some("Stadtkasse"), None, &all).is_empty());
        assert!(for_clause("Erlaubnis erstellen", false, Some("Bauhof"), None, None, &all).is_empty());
        assert_eq!(
            for_clause("Halter ermittelbar?", true, Some("Bauhof"), Some("Stadtkasse"), None, &all),
            ["Stadtkasse"]
        );
        let named = for_clause(
            "holen wir Stellungnahmen ein, von der Polizei und vom Bauhof",
            false,
            Some("Stadtkasse"),
            None,
            None,
            &all,
        );
        assert_eq!(named, ["Stadtkasse"]);
        let named = for_clause(
            "schicken wir die Anordnung an die Stadtkasse, die überweist das Geld",
            false,
            Some("Bauhof"),
            None,
            None,
            &all,
        );
        assert_eq!(named, ["Bauhof", "Stadtkasse"]);
        // Parts joined by "und" before a multi-byte letter: what stands before a part is cut at
        // the part's own start.
        let named =
            for_clause("Wir prüfen die Größe und Gebühr, die Kasse zahlt", false, Some("Bauhof"), None, None, &all);
        assert_eq!(named, ["Bauhof", "Stadtkasse"]);
        let named =
            for_clause("Wir prüfen Größe und die Stadtkasse, die zahlt", false, Some("Bauhof"), None, None, &all);
        assert_eq!(named, ["Bauhof", "Stadtkasse"]);
        // A clause that names only who works names who works on.
        assert_eq!(for_clause("Gebäudemanagement, wir", false, Some("Bauhof"), None, None, &all), ["Bauhof"]);
        assert_eq!(for_clause("das macht dann der Bauhof", false, None, None, None, &all), ["Bauhof"]);
        // A last part that takes up the work with "das" says who does it.
        let named = for_clause("gibt's ein Gastgeschenk, das besorg ich", false, Some("Protokoll"), None, None, &all);
        assert_eq!(named, ["Protokoll"]);
        let named =
            for_clause("Schilder aufstellen, das macht der Bauhof", false, None, Some("Stadtkasse"), None, &all);
        assert_eq!(named, ["Bauhof"]);
        // A compound's head stands for it.
        let named = for_clause("Firma prüft die Löscher", false, None, None, None, &["Wartungsfirma".to_owned()]);
        assert_eq!(named, ["Wartungsfirma"]);
        // The boss is the head of the speaker's unit.
        let named = for_clause("die Chefin zeichnet ab", false, Some("Statistikstelle"), None, None, &all);
        assert_eq!(named, ["Leitung Statistikstelle"]);
    }

    #[test]
    fn a_clause_that_says_only_who_works_holds_no_work() {
        let speaker = Some("Gebäudemanagement");
        for clause in [
            "Ordnungsamt",
            "das Jugendamt.",
            "Gebäudemanagement, also wir",
            "das macht bei uns im Ordnungsamt der Außendienst",
            "Das läuft bei uns übers Kulturbüro, ich bin da so die Ansprechpartnerin",
            "das macht dann das Jugendamt",
        ] {
            assert!(names_only_who(clause, speaker), "{clause}");
        }
        for clause in [
            "an die Kasse",
            "Ordnungsamt prüft",
            "Antrag",
            "Gebäudemanagement, also wir, beauftragt die Firma",
            "das macht der Bürger",
            "Das landet bei uns im Tiefbauamt, Straßenunterhaltung",
        ] {
            assert!(!names_only_who(clause, speaker), "{clause}");
        }
    }
}
