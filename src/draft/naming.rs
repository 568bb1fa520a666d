//! Step names as a modeller words them: a task as "Objekt + Verb im Infinitiv" ("Leute an
//! schreiben" → "Leute anschreiben", "Firma passt Trasse an" → "Trasse anpassen", "Lebenszeit
//! gilt" → "Lebenszeit gelten"), the colloquial verb in a modeller's word, and a decision as
//! a short yes/no question. Every clause is named by the model on its own; these rules only
//! reword what it wrote.

use std::sync::LazyLock;

use regex::Regex;

use super::clauses::{NOT_VERBS, PARTICLES, infinitive_like, looks_finite, without_ge};
use super::roles;

/// A task name as a modeller writes it: in full words, the work last, as an infinitive.
pub(crate) fn task_name(name: &str) -> String {
    let name = roles::spell_out(name.trim_end_matches(['.', ',', ';']));
    standard_words(&with_infinitive(&verb_last(&joined_particle(&name))))
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
const QUESTION_OPENERS: &[&str] = &["ob", "wenn", "falls", "sofern", "bei", "ist", "sind", "wird", "werden", "gibt's"];

/// Words of spoken German that a question does not need.
const QUESTION_FILLERS: &[&str] =
    &["überhaupt", "noch", "erst", "mal", "denn", "eigentlich", "auch", "schon", "wirklich"];

/// Negations: a modeller asks the positive question and labels the branches by it ("Keine
/// Einwände" → "Einwände?", its work on "nein"), as the gold processes and BPMN's conventions do.
const NEGATIONS: &[&str] = &["nicht", "kein", "keine", "keinen", "keinem", "keiner", "keines"];

/// Auxiliaries that close a subordinate clause ("ob das Gerät da ist").
const CLOSING_AUXILIARIES: &[&str] = &["ist", "sind", "wird", "werden", "wurde", "war", "liegt", "hat", "haben"];

/// A decision as a modeller words it: the condition in full words, positive, without
/// conjunction, fillers, a leading article or the closing auxiliary: "Ob noch ein Gerät da
/// ist?" → "Gerät da?", "ob das Gefälle über sechs Prozent liegt" → "Gefälle über sechs
/// Prozent?", "Grab nicht geräumt?" → "Grab geräumt?". The branches' labels follow the
/// clause's own negation ([`super::assemble`]).
pub(crate) fn question_name(name: &str) -> String {
    let spelled = roles::spell_out(name.trim_end_matches('?').trim());
    let mut words: Vec<&str> = spelled.split_whitespace().collect();
    let lower = |w: &str| w.to_lowercase();
    if words.len() > 1 && QUESTION_OPENERS.contains(&lower(words[0]).as_str()) {
        words.remove(0);
    }
    words.retain(|w| !QUESTION_FILLERS.contains(&w.to_lowercase().as_str()));
    if words.iter().any(|w| !NEGATIONS.contains(&lower(w).as_str())) {
        words.retain(|w| !NEGATIONS.contains(&lower(w).as_str()));
    }
    if words.len() > 1
        && ["der", "die", "das", "den", "dem", "ein", "eine", "einen"].contains(&lower(words[0]).as_str())
    {
        words.remove(0);
    }
    if words.len() > 1 && words.last().is_some_and(|w| CLOSING_AUXILIARIES.contains(w)) {
        words.pop();
    }
    if words.is_empty() {
        return name.to_owned();
    }
    let text = words.join(" ");
    let mut chars = text.chars();
    let first: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
    format!("{first}{}?", chars.as_str())
}

/// A task name worded as a main clause, "<who> <verb> <what> [particle]", as a modeller words a
/// task: "Firma passt Trasse an" → "Trasse anpassen", "Kämmerei korrigiert die Bestände" →
/// "die Bestände korrigieren", "Zählteam zählt nach" → "nachzählen". Who does it is the role.
fn verb_last(name: &str) -> String {
    let words: Vec<&str> = name.split_whitespace().collect();
    // Copied from a clause that opens with its verb: "Informieren wir die Amtsleitung".
    if let [verb, "wir" | "ich", object @ ..] = words.as_slice()
        && !object.is_empty()
        && verb.chars().next().is_some_and(char::is_uppercase)
    {
        let verb = verb.to_lowercase();
        if verb.chars().count() >= 4
            && (verb.ends_with("en") || verb.ends_with('t'))
            && !NOT_VERBS.contains(&verb.as_str())
        {
            return with_verb_after(object, &verb);
        }
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
    with_verb_after(&words[k + 1..], words[k])
}

/// What is worked on, then the verb as an infinitive, with the particle that ended the words
/// joined to it: (["das", "Rad", "an"], "schaut") → "das Rad anschauen".
fn with_verb_after(words: &[&str], verb: &str) -> String {
    let mut rest: Vec<&str> = words.iter().copied().filter(|w| !matches!(*w, "uns" | "sich" | "mir")).collect();
    let particle = rest.last().filter(|p| PARTICLES.contains(p)).map(|p| (*p).to_owned()).unwrap_or_default();
    if !particle.is_empty() {
        rest.pop();
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
            ("Zertifikat", "Zertifikat"),
            ("Firma passt Trasse an", "Trasse anpassen"),
            ("Kämmerei korrigiert die Bestände in SAP", "die Bestände in SAP korrigieren"),
            ("Zählteam zählt nach", "nachzählen"),
            ("SB setzt Feststellungsvermerk", "Feststellungsvermerk setzen"),
            ("Abnahme durch Tiefbau", "Abnahme durch Tiefbau"),
            ("Antrag nicht bearbeiten", "Antrag nicht bearbeiten"),
            ("Angebote wertet", "Angebote werten"),
            ("Geburtenregister fort", "Geburtenregister fort"),
            ("Ablehnung raus", "Ablehnung versenden"),
            ("Ablehnung raus senden", "Ablehnung senden"),
            ("Wir gucken ins Lager", "Wir gucken ins Lager"),
            ("Lager schauen", "Lager prüfen"),
            ("raus", "raus"),
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
            ("Prüfung erneut", "Prüfung erneut"),
            ("Bescheid sofort", "Bescheid sofort"),
            ("Informieren wir die Amtsleitung.", "die Amtsleitung informieren"),
            ("Schauen wir uns das Rad an", "das Rad prüfen"),
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
        ] {
            assert_eq!(question_name(name), expected);
        }
    }
}
