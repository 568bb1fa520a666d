//! The words a draft's step names may use: the dictation's own words (with the inflections and
//! verb forms a step name needs) plus a closed set of function words, administrative verbs and
//! role nouns.
//!
//! The per-request grammar builds task and decision names from this vocabulary only, so a noun
//! from the prompt's examples ("Sperrmüll", "Rechnung") cannot appear in a draft whose
//! dictation never said it, and "prüft"/"Prüfung"/"geprüft" in the dictation all allow the
//! step name's "prüfen".

use std::collections::BTreeSet;

/// Separable verb particles: "holt … ab" → "abholen", "ausgestellt" → "ausstellen".
const PARTICLES: &[&str] = &[
    "ab", "an", "auf", "aus", "bei", "ein", "fest", "her", "hin", "los", "mit", "nach", "vor", "weg", "weiter", "zu",
    "zurück", "zusammen", "durch", "um", "über", "unter", "wieder", "frei", "bekannt", "gegen", "heraus", "hoch",
];

/// Inflection endings a word may gain or lose ("Antrag"/"Antrags", "fehlende"/"fehlenden").
const ENDINGS: &[&str] = &["en", "er", "es", "em", "e", "n", "s"];

/// Function words of step names and questions.
const FUNCTION_WORDS: &[&str] = &[
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines", "und", "oder", "an",
    "auf", "aus", "bei", "für", "mit", "nach", "von", "vom", "zum", "zur", "zu", "im", "in", "ins", "am", "über",
    "per", "ggf.", "nicht", "kein", "keine", "ist", "sind", "liegt", "liegen", "vor", "alle", "alles", "bis", "ob",
    "wird", "werden", "wurde", "hat", "haben", "gibt", "es", "sich", "noch", "erneut", "wieder", "ja", "nein",
];

/// Infinitives of what administrations do: a step name is "Objekt + Verb", and the dictation's
/// verb is often a noun ("die Prüfung"), a participle or a synonym.
const VERBS: &[&str] = &[
    "abgleichen", "abholen", "ablegen", "ablehnen", "abrechnen", "abschließen", "abstimmen", "anfordern",
    "anhören", "anlegen", "anmelden", "annehmen", "anpassen", "anweisen", "archivieren", "aufnehmen", "ausfüllen",
    "aushändigen", "auszahlen", "ausstellen", "auswählen", "auswerten", "beantragen", "beantworten", "bearbeiten",
    "beauftragen", "beenden", "begutachten", "beheben", "beifügen", "bekanntgeben", "benachrichtigen", "beraten",
    "berechnen", "beschaffen", "bescheiden", "beschließen", "besichtigen", "bestätigen", "bestellen", "beteiligen",
    "beurkunden", "beurteilen", "bewerten", "bewilligen", "bezahlen", "buchen", "digitalisieren", "dokumentieren",
    "drucken", "durchführen", "eingeben", "einholen", "einladen", "einleiten", "einreichen", "eintragen",
    "einziehen", "empfangen", "entgegennehmen", "entscheiden", "erfassen", "erheben", "erinnern", "erlassen",
    "ermitteln", "erstatten", "erstellen", "erteilen", "festlegen", "festsetzen", "feststellen", "freigeben",
    "genehmigen", "helfen", "hochladen", "informieren", "klären", "kontrollieren", "korrigieren", "löschen",
    "mahnen", "melden", "mitteilen", "nachfordern", "nachreichen", "planen", "protokollieren", "prüfen",
    "registrieren", "scannen", "schicken", "schließen", "schreiben", "senden", "sichten", "speichern", "stellen",
    "überprüfen", "übermitteln", "übergeben", "überweisen", "unterschreiben", "unterzeichnen", "veranlassen",
    "verbuchen", "vereinbaren", "vergeben", "verlängern", "veröffentlichen", "versenden", "verschicken",
    "verwalten", "vorbereiten", "vorlegen", "weiterleiten", "widerrufen", "zahlen", "zuordnen", "zurückgeben",
    "zurücksenden", "zurückweisen", "zusenden", "zustellen", "zustimmen",
];

/// Participles of starts and ends ("Antrag eingegangen", "Vorgang abgeschlossen").
const PARTICIPLES: &[&str] = &[
    "eingegangen", "eingereicht", "gestellt", "gemeldet", "abgeschlossen", "erledigt", "erteilt", "abgelehnt",
    "bewilligt", "genehmigt", "ausgestellt", "zugestellt", "versandt", "verschickt", "beendet", "bezahlt",
    "gebucht", "archiviert", "eingetragen", "beschieden", "ausgehändigt", "erfasst", "behoben", "entschieden",
];

/// Generic nouns every procedure has, whether or not the clerk said them. Content words
/// ("fehlend", "vollständig", "Unterlagen") are left out on purpose: allowed everywhere, they
/// carried the examples' checks into dictations that never mention them.
const GENERIC_NOUNS: &[&str] = &["Antrag", "Vorgang", "Akte", "Ergebnis", "Entscheidung", "Eingang"];

/// Role nouns and the abbreviations clerks use for them.
const ROLE_WORDS: &[&str] = &[
    "Sachbearbeitung", "Sachbearbeiter", "Sachbearbeiterin", "Antragsteller", "Antragstellerin", "Bürger",
    "Bürgerin", "Amtsleitung", "Abteilungsleitung", "Fachbereichsleitung", "Leitung", "Vorgesetzte", "Vorgesetzter",
    "Fachbereich", "Fachamt", "Amt", "Abteilung", "Team", "Sekretariat", "Poststelle", "Kasse", "Stadtkasse",
    "Verwaltung", "Bürgermeister", "Bürgermeisterin", "Oberbürgermeister", "Personalrat", "Personalabteilung",
    "Beschäftigte", "Mitarbeiter", "Mitarbeiterin",
];

/// Abbreviations that stand for a role word.
const ROLE_ABBREVIATIONS: &[(&str, &str)] = &[
    ("SB", "Sachbearbeitung"),
    ("AS", "Antragsteller"),
    ("AL", "Amtsleitung"),
    ("FBL", "Fachbereichsleitung"),
    ("FB", "Fachbereich"),
    ("BM", "Bürgermeister"),
    ("OB", "Oberbürgermeister"),
    ("MA", "Mitarbeiter"),
    ("PR", "Personalrat"),
];

/// The words allowed in one draft.
#[derive(Debug, Clone, Default)]
pub struct Vocabulary {
    /// Words allowed as written, with or without an inflection ending (the regex allows either
    /// case of the first letter).
    words: BTreeSet<String>,
    /// Stems that may take any of [`ENDINGS`].
    stems: BTreeSet<String>,
    /// Verb stems that may take a particle and an infinitive ending.
    verb_stems: BTreeSet<String>,
}

/// The dictation's words as written (case kept: "GebO" stays "GebO").
fn dictation_words(text: &str) -> impl Iterator<Item = &str> + '_ {
    text.split_whitespace().map(|w| w.trim_matches(|c: char| !(c.is_alphanumeric() || c == '§'))).filter(|w| !w.is_empty())
}

/// What remains of a word without one inflection ending, if enough remains to be a stem.
fn stem(word: &str) -> &str {
    ENDINGS
        .iter()
        .find_map(|e| word.strip_suffix(e).filter(|s| s.chars().count() >= 3))
        .unwrap_or(word)
}

/// Verb stems a dictation word may come from: "prüft", "geprüft", "prüfen", "Prüfung" → "prüf";
/// "ausgestellt", "auszustellen" → "stell" (the particle is free to come back).
fn verb_stems(word: &str) -> Vec<String> {
    let mut bases = vec![word.to_owned()];
    for particle in PARTICLES {
        if let Some(rest) = word.strip_prefix(particle) {
            bases.push(rest.to_owned());
        }
    }
    let mut out = Vec::new();
    for base in bases {
        let base = base.strip_prefix("zu").filter(|_| base.ends_with("en")).unwrap_or(&base);
        let base = base.strip_prefix("ge").filter(|r| r.chars().count() >= 3).unwrap_or(base);
        for suffix in ["ungen", "ung", "en", "et", "st", "t", "e", "n"] {
            if let Some(stem) = base.strip_suffix(suffix).filter(|s| s.chars().count() >= 2) {
                out.push(stem.to_owned());
                break;
            }
        }
    }
    out
}

impl Vocabulary {
    pub fn of(dictation: &str) -> Vocabulary {
        let mut v = Vocabulary::default();
        for word in dictation_words(dictation) {
            if word.chars().any(char::is_alphabetic) {
                let lower = word.to_lowercase();
                v.stems.insert(stem(&lower).to_owned());
                v.verb_stems.extend(verb_stems(&lower));
            }
            v.words.insert(word.to_owned());
        }
        for (abbreviation, full) in ROLE_ABBREVIATIONS {
            if dictation.split(|c: char| !c.is_alphanumeric()).any(|w| w == *abbreviation) {
                v.words.insert(full.to_lowercase());
            }
        }
        let closed = FUNCTION_WORDS.iter().chain(VERBS).chain(GENERIC_NOUNS).chain(ROLE_WORDS).chain(PARTICIPLES);
        v.words.extend(closed.map(|w| w.to_lowercase()));
        v
    }

    /// Whether `word` (as a step name would write it) is allowed.
    #[cfg(test)]
    fn allows(&self, word: &str) -> bool {
        regex::Regex::new(&format!("^(?:{})$", self.word_regex())).expect("vocabulary regex").is_match(word)
    }

    #[cfg(test)]
    fn allows_last(&self, word: &str) -> bool {
        regex::Regex::new(&format!("^(?:{})$", self.infinitive_regex())).expect("infinitive regex").is_match(word)
    }

    /// The grammar's word regexes.
    pub fn words(&self) -> super::format::Words {
        super::format::Words { any: self.word_regex(), infinitive: self.infinitive_regex() }
    }

    /// A regex (llguidance/derivre and `regex` syntax) of one allowed word.
    pub fn word_regex(&self) -> String {
        let words = self.words.iter().map(|w| either_case(w)).collect::<Vec<_>>().join("|");
        let stems = self.stems.iter().map(|s| either_case(s)).collect::<Vec<_>>().join("|");
        let endings = ENDINGS.join("|");
        format!("(?:{words})(?:{endings})?|(?:{stems})(?:{endings})|{}|[0-9][0-9.,]*", self.infinitive_regex())
    }

    /// A regex of one infinitive: what a task's name ends with ("Objekt + Verb im Infinitiv"),
    /// so that "Meldung erfasst" becomes "Meldung erfassen".
    pub fn infinitive_regex(&self) -> String {
        let verbs = self.verb_stems.iter().map(|s| escape(s)).collect::<Vec<_>>().join("|");
        let particles = PARTICLES.join("|");
        let closed = VERBS.iter().map(|v| either_case(v)).collect::<Vec<_>>().join("|");
        let dictated = self
            .words
            .iter()
            .filter(|w| w.ends_with("en") || w.ends_with("ern") || w.ends_with("eln"))
            .map(|w| either_case(w))
            .collect::<Vec<_>>()
            .join("|");
        format!("{closed}|{dictated}|(?:{particles})?(?:{verbs})(?:en|n|ern|eln)")
    }
}

/// `word` as a regex literal; `/` too is escaped, since the regex sits between slashes in Lark.
fn escape(word: &str) -> String {
    regex::escape(word).replace('/', "\\/")
}

/// The word with its first letter in either case ("[Aa]ntrag").
fn either_case(word: &str) -> String {
    let mut chars = word.chars();
    let Some(first) = chars.next() else { return String::new() };
    let rest = escape(chars.as_str());
    let (lower, upper): (String, String) = (first.to_lowercase().collect(), first.to_uppercase().collect());
    if lower == upper || !first.is_alphabetic() {
        format!("{}{rest}", escape(&first.to_string()))
    } else {
        format!("[{lower}{upper}]{rest}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dictation_words_and_their_step_forms_are_allowed() {
        let v = Vocabulary::of("Die SB prüft die Meldeadresse, dann wird der Ausweis ausgestellt. Abholung im Amt.");
        for word in ["Meldeadresse", "meldeadresse", "Meldeadressen", "prüfen", "ausstellen", "Ausweis", "Ausweises"] {
            assert!(v.allows(word), "{word}");
        }
        // Nominalisations give their verb, participles their infinitive with the particle.
        assert!(v.allows("abholen"), "Abholung → abholen");
        assert!(v.allows("Sachbearbeitung"), "SB");
        assert!(v.allows("versenden"), "closed set of administrative verbs");
        assert!(v.allows_last("prüfen") && v.allows_last("Ausstellen") && !v.allows_last("prüft"));
        assert!(!v.allows_last("Meldeadresse"));
        for word in ["Sperrmüll", "Rechnung", "Voraussetzungen", "Gewerbe"] {
            assert!(!v.allows(word), "{word} was never dictated");
        }
    }

    #[test]
    fn regex_escapes_what_is_not_a_letter() {
        let v = Vocabulary::of("Gebühr nach § 3 (GebO) z.B. 25,- Euro");
        assert!(v.allows("§"));
        assert!(v.allows("GebO"));
        regex::Regex::new(&v.word_regex()).expect("valid regex");
    }
}
