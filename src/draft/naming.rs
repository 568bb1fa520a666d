//! Step names as a modeller words them: a task as "Objekt + Verb im Infinitiv" ("Leute an
//! schreiben" → "Leute anschreiben", "Firma passt Trasse an" → "Trasse anpassen", "Lebenszeit
//! gilt" → "Lebenszeit gelten"), the colloquial verb in a modeller's word, and a decision as
//! a short yes/no question. Every clause is named by the model on its own; these rules only
//! reword what it wrote.

use std::sync::LazyLock;

use regex::Regex;

use super::actors::actor_named;
use super::clauses::{
    FLOW_ADVERBS, MODALS, NOT_VERBS, PARTICLES, infinitive_like, looks_finite, looks_like_verb, positive,
    verb_before_ich, without_ge,
};
use super::roles;

/// A task name as a modeller writes it: in full words, the work last, as an infinitive.
pub(crate) fn task_name(name: &str) -> String {
    let name = roles::spell_out(name.trim_end_matches(['.', ',', ';']));
    capitalised(&standard_words(&with_infinitive(&verb_last(&joined_particle(&verbal(&without_agent(&name)))))))
}

/// A name with its first letter in upper case, as the first word of a label is written
/// ("Über Stundung entscheiden").
fn capitalised(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map(|first| first.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

/// A task name without the adverb that ties it into the flow and without "durch" and who does
/// it, who is the role: "Sonst Anhörung von Kirchen durch SB" → "Anhörung von Kirchen",
/// "Freigabe durch Datenschutzbeauftragte anordnen" → "Freigabe anordnen".
fn without_agent(name: &str) -> String {
    let mut words: Vec<&str> = name.split_whitespace().collect();
    if words.len() > 1 && FLOW_ADVERBS.contains(&words[0].trim_end_matches(['.', ',']).to_lowercase().as_str()) {
        words.remove(0);
    }
    if let Some(at) = words.iter().position(|w| *w == "durch") {
        let article =
            usize::from(words.get(at + 1).is_some_and(|w| matches!(*w, "die" | "den" | "das" | "einen" | "eine")));
        let agent = at + 1 + article;
        if words.get(agent).is_some_and(|w| is_worker(w)) {
            // The agent's name runs on in capitalised words ("Amtsleitung Zentrale Dienste").
            let end =
                (agent + 1..words.len()).find(|&k| !words[k].starts_with(char::is_uppercase)).unwrap_or(words.len());
            words.drain(at..end);
        }
    }
    words.join(" ")
}

/// Verbs that say only that the work named before them is done ("Prüfung durchführen").
const EMPTY_VERBS: &[&str] = &["durchführen", "vornehmen", "starten", "implementieren", "tätigen"];

/// Nouns of work ending like one that the rule below would turn into the wrong verb.
const NOT_WORK_NOUNS: &[&str] = &[
    "rechnung",
    "wohnung",
    "sitzung",
    "leitung",
    "ordnung",
    "zeitung",
    "verwaltung",
    "abteilung",
    "richtung",
    "stellungnahme",
    "ausnahme",
    "bedingung",
    "stiftung",
    "wirkung",
];

/// A task named by its work as a noun, as a verb after what is worked on ("Objekt + Verb im
/// Infinitiv", issue #19): "Anhörung von Kirchen und IHK" → "Kirchen und IHK anhören",
/// "Beurkundung der Erklärungen" → "Erklärungen beurkunden", "Entscheidung über
/// Alternativstandort" → "über Alternativstandort entscheiden", "Abnahme durchführen" →
/// "Abnahme".
fn verbal(name: &str) -> String {
    let all: Vec<&str> = name.split_whitespace().collect();
    let words = match all.split_last() {
        Some((last, before)) if !before.is_empty() && EMPTY_VERBS.contains(last) => before,
        _ => &all[..],
    };
    let Some((noun, rest)) = words.split_first() else { return name.to_owned() };
    let Some(verb) = work_verb(noun) else { return name.to_owned() };
    // "Abnahme durch Tiefbau": who works is said, the noun names the step; in "Ablehnung raus"
    // the particle stands for the verb ("rausschicken").
    if rest.iter().any(|w| infinitive_like(w) || looks_finite(w) || *w == "durch")
        || rest.last().is_some_and(|w| PARTICLES.contains(w))
    {
        return name.to_owned();
    }
    // What the noun's genitive or "von" named is what is worked on; without it, the noun says
    // more than its verb alone ("Freigabe", not "Freigeben"), and an empty verb beside it says
    // nothing the dictation did ("Wertermittlung starten" for "macht die Wertermittlung").
    let object = match rest.first() {
        Some(&("der" | "des" | "von" | "vom")) => &rest[1..],
        _ => rest,
    };
    if object.is_empty() {
        return (*noun).to_owned();
    }
    format!("{} {verb}", object.join(" "))
}

/// The verb a noun of work is made from: "Anhörung" → "anhören", "Änderung" → "ändern",
/// "Freigabe" → "freigeben", "Abnahme" → "abnehmen".
fn work_verb(noun: &str) -> Option<String> {
    let lower = noun.to_lowercase();
    if !noun.starts_with(char::is_uppercase) || NOT_WORK_NOUNS.iter().any(|n| lower.ends_with(n)) {
        return None;
    }
    if let Some(stem) = lower.strip_suffix("ung").filter(|s| s.chars().count() >= 4) {
        // "Änderung" → "ändern", "Ermittlung" → "ermitteln", "Sammlung" → "sammeln", but
        // "Bereitstellung" → "bereitstellen": a doubled consonant closes the stem.
        let mut chars = stem.chars().rev();
        let (last, before) = (chars.next().unwrap_or(' '), chars.next().unwrap_or(' '));
        return Some(match (before, last) {
            ('e', 'l' | 'r') => format!("{stem}n"),
            (b, l) if b == l => format!("{stem}en"),
            (b, 'l' | 'r') if !"aeiouäöüy".contains(b) => format!("{}e{last}n", &stem[..stem.len() - 1]),
            _ => format!("{stem}en"),
        });
    }
    [("gabe", "geben"), ("nahme", "nehmen")]
        .iter()
        .find_map(|(end, verb)| lower.strip_suffix(end).filter(|s| !s.is_empty()).map(|stem| format!("{stem}{verb}")))
}

/// Particles that stay a word of their own before an infinitive: "zu prüfen", "bei …", the
/// "raus" that [`standard_words`] reads, and "zusammen", which precedes verbs with a particle.
const LOOSE_PARTICLES: &[&str] = &["zu", "bei", "raus", "rein", "zusammen"];

/// Whether `verb` begins with a separable particle already ("ausfüllen", "anordnen").
fn has_particle(verb: &str) -> bool {
    PARTICLES.iter().any(|p| verb.strip_prefix(p).is_some_and(|rest| rest.chars().count() >= 4))
}

/// A separable verb the model wrote in two words, as one: "Leute an schreiben" → "Leute
/// anschreiben", "Unterlagen bereit stellen" → "Unterlagen bereitstellen".
fn joined_particle(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let [.., particle, verb] = words.as_slice() else { return name.to_owned() };
    if !PARTICLES.contains(particle)
        || LOOSE_PARTICLES.contains(particle)
        || !infinitive_like(verb)
        || has_particle(verb)
    {
        return name.to_owned();
    }
    let mut joined: Vec<String> = words[..words.len() - 2].iter().map(|w| (*w).to_owned()).collect();
    joined.push(format!("{particle}{verb}"));
    joined.join(" ")
}

/// A task name with the separable particle its clause puts after the verb, which the model
/// dropped: "Anspruch rechnen" for "rechnen wir den Anspruch aus" → "Anspruch ausrechnen",
/// "Stelle schreiben" for "Das Personalamt schreibt die Stelle aus" → "Stelle ausschreiben".
/// The particle counts where it ends the part of the clause (cut at commas, dashes, "und",
/// "oder") that holds a form of the name's verb. A "raus" joins too, for [`standard_words`]
/// to read ("schicken wir die Zusage raus" → "Zusage rausschicken" → "Zusage versenden").
pub(super) fn with_clause_particle(name: &str, clause: &str) -> String {
    let name = joined_particle(name);
    let (head, verb) = name.rsplit_once(' ').unwrap_or(("", &name));
    if !infinitive_like(verb) || has_particle(verb) {
        return name;
    }
    let stem = verb.strip_suffix("en").unwrap_or_else(|| verb.strip_suffix('n').unwrap_or(verb));
    let forms = [verb.to_owned(), format!("{stem}t"), format!("{stem}et"), format!("{stem}e")];
    static PARTS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[,;:–]|\s-\s|\bund\b|\boder\b").expect("valid regex"));
    // The verb's form, said in this part or in the parts of a list that runs on to the particle
    // ("legt das Urteil, die Urkunde und den Ausweis vor").
    let mut said = false;
    for part in PARTS.split(clause) {
        let words: Vec<String> = part
            .split_whitespace()
            .map(|w| w.trim_matches(|c: char| !c.is_alphabetic()).to_lowercase())
            .filter(|w| !w.is_empty())
            .collect();
        let Some((last, before)) = words.split_last() else { continue };
        if before.iter().any(|w| forms.contains(w)) {
            said = true;
        } else if words.iter().any(|w| looks_finite(w) || infinitive_like(w)) {
            said = false;
        }
        if PARTICLES.contains(&last.as_str()) && last != "rein" && said {
            let verb = format!("{last}{verb}");
            return if head.is_empty() { verb } else { format!("{head} {verb}") };
        }
        if PARTICLES.contains(&last.as_str()) {
            said = false;
        }
    }
    name
}

/// Whether a word names who works (a pronoun, an article before the worker, the clerk, a unit
/// or a person) rather than what is worked on.
fn is_worker(word: &str) -> bool {
    let word = word.trim_matches(|c: char| !c.is_alphanumeric());
    matches!(word, "ich" | "wir" | "er" | "sie" | "man" | "der" | "die" | "SB") || actor_named(word).is_some()
}

/// A task name the model copied from a clause that opens with its verb ("Entscheidet
/// Kämmerer", "Druckt die Bescheinigung aus", "Informiere beschuldigte Person"), with the verb
/// last as an infinitive and without the worker, who is the role: "Entscheiden", "Bescheinigung
/// ausdrucken", "Beschuldigte Person informieren". The first word is a verb where the clause
/// says it in lower case, or opens with it before a pronoun or an article; in "Bericht ans
/// Gericht" it is a noun.
pub(super) fn with_verb_last(name: &str, clause: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    let Some((first, rest)) = words.split_first() else { return name.to_owned() };
    let verb = first.to_lowercase();
    // "Informiere", "Schicke": the speaker's own verb.
    let own = verb.ends_with('e') && verb.chars().count() >= 5 && !NOT_VERBS.contains(&verb.as_str());
    if !first.starts_with(char::is_uppercase)
        || !(looks_finite(&verb) || own)
        || rest.last().is_some_and(|w| infinitive_like(w))
    {
        return name.to_owned();
    }
    let said: Vec<String> = clause
        .split_whitespace()
        .map(|w| w.trim_matches(|c: char| !c.is_alphabetic()).to_lowercase())
        .filter(|w| !w.is_empty())
        .collect();
    let opens = said.first() == Some(&verb)
        && said
            .get(1)
            .is_some_and(|w| matches!(w.as_str(), "ich" | "wir" | "er" | "sie" | "es" | "der" | "die" | "das" | "den"));
    let lower_case_in_clause = clause.split_whitespace().any(|w| w.trim_matches(|c: char| !c.is_alphabetic()) == verb);
    if !(opens || lower_case_in_clause) {
        return name.to_owned();
    }
    let object: Vec<&str> = rest.iter().copied().skip_while(|w| is_worker(w)).collect();
    let verb = if own { format!("{verb}t") } else { verb };
    with_verb_after(&object, &verb)
}

/// Colloquial verbs of dictation and the verb a modeller writes for them.
const COLLOQUIAL_VERBS: &[(&str, &str)] = &[
    ("gucken", "prüfen"),
    ("nachgucken", "prüfen"),
    ("drübergucken", "prüfen"),
    ("schauen", "prüfen"),
    ("nachschauen", "prüfen"),
    ("angucken", "prüfen"),
    ("anschauen", "prüfen"),
    ("checken", "prüfen"),
    ("kriegen", "erhalten"),
    ("rausschicken", "versenden"),
    ("rausgeben", "ausgeben"),
];

/// A task name with the colloquial verb and the "raus" of dictation in the words of a modeller:
/// "Ablehnung raus" and "Ablehnung raus senden" → "Ablehnung versenden", "Lager schauen" →
/// "Lager prüfen".
fn standard_words(name: &str) -> String {
    let mut words: Vec<String> = name.split_whitespace().map(str::to_owned).collect();
    if let Some(last) = words.last_mut()
        && let Some((_, standard)) = COLLOQUIAL_VERBS.iter().find(|(colloquial, _)| last == colloquial)
    {
        *last = (*standard).to_owned();
    }
    if let Some(at) = words.iter().position(|w| w == "raus") {
        match words.get(at + 1).map(String::as_str) {
            Some("senden" | "schicken" | "verschicken" | "versenden") => {
                words.remove(at);
            }
            None if at > 0 => words[at] = "versenden".to_owned(),
            _ => {}
        }
    }
    words.join(" ")
}

/// Words that open a question without adding to it: conjunctions, and the verb of a question
/// dictated as such ("Ist das Kind über zwölf?").
const QUESTION_OPENERS: &[&str] = &["ob", "wenn", "falls", "sofern", "bei", "ist", "sind", "wird", "werden", "gibt"];

/// Words of spoken German that a question does not need: particles, the speaker and other
/// pronouns as subjects ("ob er's selbst reparieren kann"), spoken articles ("'ne Trauerfeier").
const QUESTION_FILLERS: &[&str] = &[
    "überhaupt",
    "noch",
    "erst",
    "mal",
    "denn",
    "eigentlich",
    "auch",
    "schon",
    "wirklich",
    "doch",
    "halt",
    "er",
    "sie",
    "wir",
    "ich",
    "man",
    "es",
    "'ne",
    "'n",
    "'nen",
    "ne",
    "nen",
];

/// Negations: a modeller asks the positive question and labels the branches by it ("Keine
/// Einwände" → "Einwände?", its work on "nein"), as the gold processes and BPMN's conventions do.
const NEGATIONS: &[&str] = &["nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines"];

/// Auxiliaries that close a subordinate clause ("ob das Gerät da ist"), as the modals do
/// ([`MODALS`]).
const CLOSING_AUXILIARIES: &[&str] = &["ist", "sind", "wird", "werden", "wurde", "war", "liegt", "hat", "haben"];

/// A decision as a modeller words it: the condition in full words, positive, without
/// conjunction, fillers, a leading article or the closing auxiliary: "Ob noch ein Gerät da
/// ist?" → "Gerät da?", "ob das Gefälle über sechs Prozent liegt" → "Gefälle über sechs
/// Prozent?", "Grab nicht geräumt?" → "Grab geräumt?". The branches' labels follow the
/// clause's own negation ([`super::assemble`]).
pub(crate) fn question_name(name: &str) -> String {
    let spelled = roles::spell_out(name.trim_end_matches('?').trim());
    // A pronoun's clitic goes with it: "er's", "gibt's".
    let mut words: Vec<&str> = spelled
        .split_whitespace()
        .map(|w| w.strip_suffix("'s").or_else(|| w.strip_suffix("’s")).unwrap_or(w))
        .collect();
    let lower = |w: &str| w.to_lowercase();
    if words.len() > 1 && QUESTION_OPENERS.contains(&lower(words[0]).as_str()) {
        words.remove(0);
    }
    words.retain(|w| !QUESTION_FILLERS.contains(&w.to_lowercase().as_str()));
    if words.iter().any(|w| !NEGATIONS.contains(&lower(w).as_str())) {
        words.retain(|w| !NEGATIONS.contains(&lower(w).as_str()));
    }
    // "Abgelehnt?" → "Genehmigt?", in the word's own case.
    let approved: Vec<String> = words
        .iter()
        .map(|w| match positive(&lower(w)) {
            Some(p) if w.starts_with(char::is_uppercase) => capitalised(p),
            Some(p) => p.to_owned(),
            None => (*w).to_owned(),
        })
        .collect();
    let mut words: Vec<&str> = approved.iter().map(String::as_str).collect();
    if words.len() > 1
        && ["der", "die", "das", "den", "dem", "ein", "eine", "einen"].contains(&lower(words[0]).as_str())
    {
        words.remove(0);
    }
    if words.len() > 1 && words.last().is_some_and(|w| CLOSING_AUXILIARIES.contains(w) || MODALS.contains(w)) {
        words.pop();
    }
    if words.is_empty() {
        return name.to_owned();
    }
    format!("{}?", capitalised(&words.join(" ")))
}

/// A task name worded as a main clause, "<who> <verb> <what> [particle]", as a modeller words a
/// task: "Firma passt Trasse an" → "Trasse anpassen", "Kämmerei korrigiert die Bestände" →
/// "Bestände korrigieren", "Zählteam zählt nach" → "nachzählen". Who does it is the role.
fn verb_last(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    // Copied from a clause that opens with its verb and its worker: "Informieren wir die
    // Amtsleitung", "Teil ich die Lose zu" (the speaker's ending dropped), "Misst Herr Kuhn
    // nach", "informiert der Bauhof die Anwohner".
    if let [verb, rest @ ..] = words.as_slice()
        && let Some(worker) = worker_words(rest)
        && rest.len() > worker
    {
        let lower = verb.to_lowercase();
        // Before "wir" or "sie" a word in "-en" is a verb too ("sagen wir ab").
        let finite = lower.chars().count() >= 4
            && (lower.ends_with("en") || lower.ends_with('t'))
            && !NOT_VERBS.contains(&lower.as_str())
            && (verb.starts_with(char::is_uppercase) || looks_finite(&lower) || SUBJECT_PRONOUNS.contains(&rest[0]));
        let spoken = rest[0] == "ich" && verb_before_ich(&lower, "ich");
        if finite {
            return with_verb_after(&rest[worker..], &lower);
        }
        if spoken {
            let ending = if lower.ends_with('e') { "n" } else { "en" };
            return with_verb_after(&rest[worker..], &format!("{lower}{ending}"));
        }
    }
    // A pronoun after the verb is its subject, and the words around them are what is worked
    // on: "Wasser holen sie vom Friedhof" → "Wasser vom Friedhof holen", "Nach vier Wochen
    // bringt er's zurück" → "Nach vier Wochen zurückbringen".
    if let Some(k) = (1..words.len().saturating_sub(1).min(4)).find(|&k| {
        looks_like_verb(words[k]) && !PARTICLES.contains(&words[k]) && SUBJECT_PRONOUNS.contains(&words[k + 1])
    }) {
        let object: Vec<&str> = words[..k].iter().chain(&words[k + 2..]).copied().collect();
        return with_verb_after(&object, words[k]);
    }
    let subject_word = |w: &&str| w.chars().next().is_some_and(char::is_uppercase) || ["der", "die", "das"].contains(w);
    // The verb is followed by what is worked on or by its particle; a last word is a participle
    // ("Passfoto eingescannt"), and the words before it are the object.
    let Some(k) =
        (1..words.len().saturating_sub(1).min(3)).find(|&k| looks_finite(words[k]) && !PARTICLES.contains(&words[k]))
    else {
        return name.to_owned();
    };
    if !words[..k].iter().all(subject_word) {
        return name.to_owned();
    }
    // "Fehlende Nachweise fordert SB an": the worker after the verb, what is worked on before it.
    if words.get(k + 1).is_some_and(|w| is_worker(w) && !matches!(*w, "der" | "die")) {
        let object: Vec<&str> = words[..k].iter().chain(&words[k + 2..]).copied().collect();
        return with_verb_after(&object, words[k]);
    }
    with_verb_after(&words[k + 1..], words[k])
}

/// Pronouns that are the subject where they follow a verb ("sagen wir ab", "stellen die's
/// wieder her", "holt er's zurück").
const SUBJECT_PRONOUNS: &[&str] = &["wir", "ich", "er", "sie", "man", "er's", "sie's", "die's", "der's", "wir's"];

/// How many words `words` open with that name who works after a verb that opens a clause: the
/// speaker or a pronoun ("wir", "ich", "SB", "er's"), a worker before "selbst" ("kehrt FW
/// selbst auf"), a colleague by name ("Herr Kuhn", "Fr. Yilmaz"), or a unit or person after its
/// article ("der Bauhof"). A unit without its article is what the verb works on ("Informiert
/// Polizei").
fn worker_words(words: &[&str]) -> Option<usize> {
    let capitalised = |k: usize| words.get(k).is_some_and(|w| w.starts_with(char::is_uppercase));
    // "kehrt FW selbst auf", "holt er's selber zurück".
    let alone = usize::from(words.get(1).is_some_and(|w| matches!(*w, "selbst" | "selber")));
    match *words.first()? {
        "SB" => Some(1 + alone),
        w if SUBJECT_PRONOUNS.contains(&w) => Some(1 + alone),
        _ if capitalised(0) && alone == 1 => Some(2),
        "Herr" | "Frau" | "Hr." | "Fr." if capitalised(1) => Some(2),
        "der" | "die" if words.get(1).is_some_and(|w| actor_named(w.trim_end_matches(',')).is_some()) => Some(2),
        _ => None,
    }
}

/// What is worked on, then the verb as an infinitive, with the particle that ended the words
/// joined to it, and without the article it opens with, as a modeller names a task: (["das",
/// "Rad", "an"], "schaut") → "Rad anschauen".
fn with_verb_after(words: &[&str], verb: &str) -> String {
    let mut rest: Vec<&str> = words.iter().copied().filter(|w| !matches!(*w, "uns" | "sich" | "mir")).collect();
    if rest.len() > 1 && matches!(rest[0], "der" | "die" | "das" | "den" | "dem") {
        rest.remove(0);
    }
    let mut particle = rest.last().filter(|p| PARTICLES.contains(p)).map(|p| (*p).to_owned()).unwrap_or_default();
    if !particle.is_empty() {
        rest.pop();
        // "stellen die's wieder her" → "wiederherstellen".
        if rest.last() == Some(&"wieder") {
            rest.pop();
            particle.insert_str(0, "wieder");
        }
    }
    let verb = with_infinitive(&format!("{particle}{verb}"));
    let head = rest.join(" ");
    if head.is_empty() { verb } else { format!("{head} {verb}") }
}

/// Verb stems that begin with "ge" themselves.
const GE_VERBS: &[&str] = &["genehmig", "gewähr", "gestalt", "gestatt", "gebrauch", "gehör", "gefährd", "gewinn"];

/// Third persons of strong verbs, whose stem changes, and their infinitives: the rule for weak
/// verbs made "gilt" into "gilen" and "nimmt" into "nimmen".
const STRONG_PRESENT: &[(&str, &str)] = &[
    ("nimmt", "nehmen"),
    ("gibt", "geben"),
    ("gilt", "gelten"),
    ("fährt", "fahren"),
    ("hält", "halten"),
    ("trägt", "tragen"),
    ("lässt", "lassen"),
    ("läuft", "laufen"),
    ("liest", "lesen"),
    ("sieht", "sehen"),
    ("spricht", "sprechen"),
    ("trifft", "treffen"),
    ("wirft", "werfen"),
    ("hilft", "helfen"),
    ("tritt", "treten"),
    ("schlägt", "schlagen"),
    ("lädt", "laden"),
    ("bricht", "brechen"),
    ("fällt", "fallen"),
    ("misst", "messen"),
    ("stößt", "stoßen"),
    ("befiehlt", "befehlen"),
    ("empfiehlt", "empfehlen"),
    ("vergisst", "vergessen"),
    ("wächst", "wachsen"),
    ("rät", "raten"),
    ("schläft", "schlafen"),
    ("wäscht", "waschen"),
    ("wirbt", "werben"),
    ("stirbt", "sterben"),
];

/// Prefixes a strong verb may carry besides the separable particles ("übernimmt", "erhält").
const VERB_PREFIXES: &[&str] = &["be", "ver", "er", "ent", "emp", "zer", "über", "unter", "wider", "miss"];

/// The infinitive of a strong verb's third person, with its prefix: "nimmt" → "nehmen",
/// "übernimmt" → "übernehmen", "aufnimmt" → "aufnehmen".
fn strong_infinitive(word: &str) -> Option<String> {
    STRONG_PRESENT.iter().find_map(|(third, infinitive)| {
        let prefix = word.strip_suffix(third)?;
        (prefix.is_empty() || PARTICLES.contains(&prefix) || VERB_PREFIXES.contains(&prefix))
            .then(|| format!("{prefix}{infinitive}"))
    })
}

/// A task name whose last word is a finite verb or a participle, with that word as the
/// infinitive a modeller writes: "Ausweis gedruckt" → "Ausweis drucken", "Unterlagen
/// nachgefordert" → "Unterlagen nachfordern", "Antrag prüft" → "Antrag prüfen". Strong verbs
/// ("abgeschlossen") are left as they are. (A grammar that made names end in an infinitive
/// trapped the model: where it wanted to stop it wrote letters until a word ended in "n".)
fn with_infinitive(name: &str) -> String {
    let (head, last) = name.rsplit_once(' ').unwrap_or(("", name));
    let lower = last.chars().all(|c| c.is_lowercase());
    if !lower
        || !last.ends_with('t')
        || last.chars().count() < 4
        || NOT_VERBS.contains(&last)
        || PARTICLES.contains(&last)
    {
        return name.to_owned();
    }
    if let Some(infinitive) = strong_infinitive(last) {
        return if head.is_empty() { infinitive } else { format!("{head} {infinitive}") };
    }
    // Verbs whose own first syllable is "ge" keep it: "genehmigt" → "genehmigen".
    let stem = if GE_VERBS.iter().any(|v| last.contains(v)) { last.to_owned() } else { without_ge(last) };
    let stem =
        stem.strip_suffix("et").filter(|s| s.ends_with(['d', 't'])).or_else(|| stem.strip_suffix('t')).unwrap_or(&stem);
    let infinitive = if stem.ends_with('e') || (stem.ends_with("er") && !stem.ends_with("ier")) || stem.ends_with("el")
    {
        format!("{stem}n")
    } else {
        format!("{stem}en")
    };
    if head.is_empty() { infinitive } else { format!("{head} {infinitive}") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_named_as_a_noun_becomes_its_verb_without_the_agent() {
        for (name, expected) in [
            ("Sonst Anhörung von Kirchen und IHK durch SB", "Kirchen und IHK anhören"),
            ("Beurkundung der Erklärungen", "Erklärungen beurkunden"),
            ("Freigabe durch Datenschutzbeauftragte anordnen", "Freigabe anordnen"),
            ("Maßnahme anordnen", "Maßnahme anordnen"),
            ("Ermittlung der Kosten", "Kosten ermitteln"),
            ("Wertermittlung starten", "Wertermittlung"),
            ("Fehlende Nachweise fordert SB an", "Fehlende Nachweise anfordern"),
            ("Entscheidung über Alternativstandort", "Über Alternativstandort entscheiden"),
            ("Abnahme durch Hausmeister durchführen", "Abnahme"),
            ("Änderung der Anschrift", "Anschrift ändern"),
            ("Bereitstellung der Mittel", "Mittel bereitstellen"),
            ("Sperrung der Straße", "Straße sperren"),
            ("Parallel Entwurf der Verordnung durch SB", "Entwurf der Verordnung"),
            // Nouns that are no work, and names with their verb, stay.
            ("Rechnung an Antragsteller", "Rechnung an Antragsteller"),
            ("Stellungnahme einholen", "Stellungnahme einholen"),
            ("Zahlung der offenen Beträge prüfen", "Zahlung der offenen Beträge prüfen"),
            ("Schaden durch Sturm dokumentieren", "Schaden durch Sturm dokumentieren"),
        ] {
            assert_eq!(task_name(name), expected, "{name}");
        }
    }

    #[test]
    fn a_name_copied_with_its_verb_first_ends_in_the_verb() {
        for (name, clause, expected) in [
            ("Entscheidet Kämmerer", "bis 10 T€ entscheidet Kämmerer", "Entscheiden"),
            ("Druckt die Bescheinigung aus", "Druckt die Bescheinigung aus", "Bescheinigung ausdrucken"),
            ("Informiere beschuldigte Person", "Ich informiere beschuldigte Person", "Beschuldigte Person informieren"),
            ("Entscheidet über Maßnahmen", "die Leitung entscheidet über Maßnahmen", "Über Maßnahmen entscheiden"),
            // A noun first, or a name that ends in its verb already, stays.
            ("Bericht ans Gericht", "Bericht ans Gericht", "Bericht ans Gericht"),
            ("Bericht ans Gericht senden", "Bericht ans Gericht", "Bericht ans Gericht senden"),
            ("Antrag prüfen", "Antrag prüfen", "Antrag prüfen"),
        ] {
            assert_eq!(task_name(&with_verb_last(name, clause)), expected, "{name}");
        }
    }

    #[test]
    fn task_names_end_in_the_infinitive_after_what_is_worked_on() {
        for (name, expected) in [
            ("Ausweis gedruckt", "Ausweis drucken"),
            ("Unterlagen nachgefordert", "Unterlagen nachfordern"),
            ("Passfoto eingescannt", "Passfoto einscannen"),
            ("Bescheid versendet", "Bescheid versenden"),
            ("Antrag bearbeitet", "Antrag bearbeiten"),
            ("Antrag prüft", "Antrag prüfen"),
            ("Kind gemeldet", "Kind melden"),
            ("Antrag genehmigt", "Antrag genehmigen"),
            ("Eltern informiert", "Eltern informieren"),
            ("Betrag ausgezahlt", "Betrag auszahlen"),
            ("Gebühr berechnet", "Gebühr berechnen"),
            ("Adresse geändert", "Adresse ändern"),
            ("Antrag prüfen", "Antrag prüfen"),
            ("Vertrag abgeschlossen", "Vertrag abgeschlossen"),
            ("Antrag nicht", "Antrag nicht"),
            ("Studis kriegen's umsonst", "Studis kriegen's umsonst"),
            ("Zertifikat", "Zertifikat"),
            ("Firma passt Trasse an", "Trasse anpassen"),
            ("Kämmerei korrigiert die Bestände in SAP", "Bestände in SAP korrigieren"),
            ("Zählteam zählt nach", "Nachzählen"),
            ("SB setzt Feststellungsvermerk", "Feststellungsvermerk setzen"),
            ("Abnahme durch Tiefbau", "Abnahme"),
            ("Antrag nicht bearbeiten", "Antrag nicht bearbeiten"),
            ("Angebote wertet", "Angebote werten"),
            ("Geburtenregister fort", "Geburtenregister fort"),
            ("Ablehnung raus", "Ablehnung versenden"),
            ("Ablehnung raus senden", "Ablehnung senden"),
            ("Wir gucken ins Lager", "Wir gucken ins Lager"),
            ("Lager schauen", "Lager prüfen"),
            ("raus", "Raus"),
            ("Leute an schreiben", "Leute anschreiben"),
            ("Unterlagen bereit stellen", "Unterlagen bereitstellen"),
            ("Das an gucken", "Das prüfen"),
            ("Tag an anordnen", "Tag an anordnen"),
            ("Antrag zu prüfen", "Antrag zu prüfen"),
            ("Antrag zusammen ausfüllen", "Antrag zusammen ausfüllen"),
            ("Lebenszeit gilt", "Lebenszeit gelten"),
            ("Antrag aufnimmt", "Antrag aufnehmen"),
            ("Kollegin nimmt Antrag auf", "Antrag aufnehmen"),
            ("Kasse übernimmt", "Kasse übernehmen"),
            ("Prüfung erneut", "Erneut prüfen"),
            ("Bescheid sofort", "Bescheid sofort"),
            ("Informieren wir die Amtsleitung.", "Amtsleitung informieren"),
            ("Schauen wir uns das Rad an", "Rad prüfen"),
            ("Teil ich ab Januar die Lose zu", "Ab Januar die Lose zuteilen"),
            ("Schick ich die Rechnung", "Rechnung schicken"),
            ("Misst Herr Kuhn nach", "Nachmessen"),
            ("informiert der Bauhof die Anwohner", "Anwohner informieren"),
            ("Informiert Polizei", "Informiert Polizei"),
            ("Sagen wir ab", "Absagen"),
            ("Ansonsten stellen die's wieder her", "Wiederherstellen"),
            ("Sonst kehrt FW selbst auf", "Aufkehren"),
            ("Wasser holen sie vom Friedhof nebenan", "Wasser vom Friedhof nebenan holen"),
            ("Nach vier Wochen bringt er's zurück", "Nach vier Wochen zurückbringen"),
            ("Holt er's selber zurück", "Zurückholen"),
        ] {
            assert_eq!(task_name(name), expected);
        }
    }

    #[test]
    fn the_particle_a_clause_puts_after_its_verb_joins_the_task_name() {
        for (name, clause, expected) in [
            ("Anspruch rechnen", "Ist alles komplett, rechnen wir den Anspruch aus", "Anspruch ausrechnen"),
            ("Stelle schreiben", "Das Personalamt schreibt die Stelle aus", "Stelle ausschreiben"),
            (
                "Meldebestätigung drucken",
                "klebt den Aufkleber auf und druckt die Meldebestätigung aus",
                "Meldebestätigung ausdrucken",
            ),
            ("Garten bieten", "bieten wir den Garten dem Nächsten an", "Garten anbieten"),
            (
                "Scheidungsurteil legen",
                "Die Person macht einen Termin und legt das Scheidungsurteil, die Geburtsurkunde und den Ausweis vor",
                "Scheidungsurteil vorlegen",
            ),
            ("Termin machen", "macht einen Termin und legt das Urteil und den Ausweis vor", "Termin machen"),
            ("Zusage schicken", "dann schicken wir die Zusage raus", "Zusage rausschicken"),
            // The particle belongs to another verb of the clause.
            ("Frist prüfen", "Wir prüfen die Frist, das teilen wir dem Beschäftigten mit", "Frist prüfen"),
            ("Papiere prüfen", "Die prüft die Papiere und nimmt die Anmeldung auf", "Papiere prüfen"),
            // The verb has its particle already.
            ("Gewerbe eintragen", "tragen wir das Gewerbe ein", "Gewerbe eintragen"),
            ("Leute an schreiben", "schreiben wir die Leute an", "Leute anschreiben"),
        ] {
            assert_eq!(with_clause_particle(name, clause), expected, "{clause}");
        }
        assert_eq!(
            task_name(&with_clause_particle("Zusage schicken", "schicken wir die Zusage raus")),
            "Zusage versenden"
        );
    }

    #[test]
    fn questions_keep_the_condition_without_conjunction_fillers_or_auxiliary() {
        for (name, expected) in [
            ("Ob noch ein Gerät da ist?", "Gerät da?"),
            ("ob das Gefälle über sechs Prozent liegt", "Gefälle über sechs Prozent?"),
            ("Ist das Kind über zwölf?", "Kind über zwölf?"),
            ("Deckung bei FA gesichert?", "Deckung bei Fachamt gesichert?"),
            ("Unterlagen vollständig?", "Unterlagen vollständig?"),
            ("Ist?", "Ist?"),
            ("Grab nicht geräumt?", "Grab geräumt?"),
            ("Keine Einwände?", "Einwände?"),
            ("Nicht?", "Nicht?"),
            ("Er's selbst reparieren kann?", "Selbst reparieren?"),
            ("Familie 'ne Trauerfeier will?", "Familie Trauerfeier?"),
            ("Gibt es Einwände?", "Einwände?"),
            ("Wir das Buch doch selber?", "Buch selber?"),
        ] {
            assert_eq!(question_name(name), expected);
        }
    }
}
