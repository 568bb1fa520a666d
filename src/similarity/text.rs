//! German text analysis for the lexical signals: folding, words, a light stemmer and
//! compound splitting against a vocabulary.
//!
//! Administrative German builds its service names as compounds ("Hundesteuersatzung",
//! "Gewerbeabmeldung") and inflects freely ("Anmeldung", "anmelden", "angemeldet"), so two
//! descriptions of one service often share no whole word. Terms are therefore the stems of
//! the words *and* of their compound parts: "Hundehaltung" yields `hundehalt`, `hund`, `halt`
//! and meets "Hund zur Hundesteuer anmelden" in `hund`.

use std::collections::{HashMap, HashSet};
use std::sync::{LazyLock, RwLock};

use regex::Regex;

/// Lowercase with umlauts and ß spelled out, so "Gebühr" and "Gebuehr" are one word.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'ä' => out.push_str("ae"),
            'ö' => out.push_str("oe"),
            'ü' => out.push_str("ue"),
            'ß' => out.push_str("ss"),
            c => out.push(c),
        }
    }
    out
}

/// Words that carry no meaning of their own (folded).
const STOPWORDS: &[&str] = &[
    "als", "am", "an", "auf", "aus", "bei", "bis", "das", "dass", "dem", "den", "der", "des", "die", "ein", "eine",
    "einem", "einen", "einer", "eines", "er", "es", "fuer", "gem", "gemaess", "ggf", "hat", "im", "in", "ist", "mit",
    "nach", "nicht", "noch", "nur", "oder", "sich", "sie", "sind", "so", "ueber", "um", "und", "uvm", "vom", "von",
    "vor", "wenn", "werden", "wird", "wer", "wie", "zu", "zum", "zur", "abs", "nr", "satz", "bzw", "etc", "sowie",
    "durch", "ihre", "ihr", "ihren", "ihrer", "sein", "seine", "seinen", "seiner", "diese", "dieser", "wo", "was",
    "auch", "kann", "muss", "soll", "zwischen", "jemand", "danach", "dort", "etwa", "ob", "keine", "kein",
];

pub fn is_stopword(word: &str) -> bool {
    STOPWORDS.contains(&word)
}

/// Folded words of at least two letters and numbers, stopwords left out.
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| {
            !w.is_empty() && (w.chars().count() >= 2 || w.chars().all(|c| c.is_ascii_digit())) && !is_stopword(w)
        })
        .map(str::to_owned)
        .collect()
}

/// A light stemmer for folded German words: one derivational suffix (-ung, -heit, -keit,
/// -lich, …), then one inflectional ending (-en, -er, -es, -e, -n, -s), keeping at least
/// four letters. "Anmeldung", "anmelden", "Anmeldungen" all become `anmeld`.
pub fn stem(word: &str) -> String {
    let mut w = word.to_owned();
    for suffix in ["ungen", "ung", "heiten", "heit", "keiten", "keit", "lichen", "liche", "lich", "ischen", "ische"] {
        if w.len() >= suffix.len() + 4 && w.ends_with(suffix) {
            w.truncate(w.len() - suffix.len());
            break;
        }
    }
    for suffix in ["ern", "er", "en", "es", "em", "e", "n", "s"] {
        if w.len() >= suffix.len() + 4 && w.ends_with(suffix) {
            w.truncate(w.len() - suffix.len());
            break;
        }
    }
    w
}

/// Common heads and modifiers of administrative compounds, known even before any process
/// uses them as words of their own (folded).
const BUILT_IN: &[&str] = &[
    "amt",
    "antrag",
    "anzeige",
    "ausweis",
    "auskunft",
    "bescheid",
    "bescheinigung",
    "betrieb",
    "buerger",
    "ehe",
    "erlaubnis",
    "fahrzeug",
    "familie",
    "gebuehr",
    "geld",
    "genehmigung",
    "gesetz",
    "gewerbe",
    "haltung",
    "hund",
    "karte",
    "kind",
    "kfz",
    "lkw",
    "meldung",
    "nummer",
    "ordnung",
    "park",
    "pass",
    "pkw",
    "platz",
    "recht",
    "register",
    "satzung",
    "schein",
    "schutz",
    "steuer",
    "stelle",
    "urkunde",
    "verordnung",
    "wohnung",
    "zeugnis",
    "zulassung",
    "wohnsitz",
    "grund",
    "haus",
    "bau",
    "wahl",
    "name",
    "ausstellung",
    "erteilung",
    "anmeldung",
    "abmeldung",
    "ummeldung",
    "aenderung",
    "verlaengerung",
    "befreiung",
    "pflicht",
    "beitrag",
    "zuschuss",
    "hilfe",
];

/// Linking elements between compound parts ("Hund-e-steuer", "Geburt-s-urkunde").
const LINKERS: &[&str] = &["", "s", "es", "n", "en", "e", "er"];

/// Known words (folded) and their stems; splits compounds into known parts.
#[derive(Default)]
pub struct Vocabulary {
    words: HashSet<String>,
    stems: HashSet<String>,
    splits: RwLock<HashMap<String, Vec<String>>>,
}

impl Vocabulary {
    pub fn new() -> Vocabulary {
        let mut v = Vocabulary::default();
        for w in BUILT_IN {
            v.insert(w);
        }
        v
    }

    /// Adds the words of `text`.
    pub fn add(&mut self, text: &str) {
        for w in words(text) {
            self.insert(&w);
        }
        self.splits.get_mut().unwrap_or_else(|p| p.into_inner()).clear();
    }

    fn insert(&mut self, w: &str) {
        if w.len() >= 3 && !is_stopword(w) {
            self.stems.insert(stem(w));
            self.words.insert(w.to_owned());
        }
    }

    fn known(&self, part: &str) -> bool {
        let min = if BUILT_IN.contains(&part) { 3 } else { 4 };
        part.len() >= min && (self.words.contains(part) || self.stems.contains(part))
    }

    /// Whether `left` is the modifier of a compound: a known word, or the head of a known
    /// compound, perhaps with a linking "s", "n", "es" … ("namens" in "Namensänderung", known
    /// from "Familiennamen").
    pub fn is_modifier(&self, left: &str) -> bool {
        LINKERS
            .iter()
            .filter_map(|linker| left.strip_suffix(linker))
            .any(|l| self.known(l) || (l.len() >= 4 && self.words.iter().any(|w| w.len() > l.len() && w.ends_with(l))))
    }

    /// The stems of the parts of a folded compound, head last; empty when the word does not
    /// split into known parts. Prefers the split with the fewest parts, then the longest head.
    pub fn split(&self, word: &str) -> Vec<String> {
        if word.len() < 7 || !word.is_ascii() {
            return Vec::new();
        }
        if let Some(parts) = self.splits.read().unwrap_or_else(|p| p.into_inner()).get(word) {
            return parts.clone();
        }
        let parts: Vec<String> = self
            .segment(word, 0)
            .or_else(|| self.head_only(word))
            .map(|p| p.into_iter().map(|s| stem(&s)).collect())
            .unwrap_or_default();
        self.splits.write().unwrap_or_else(|p| p.into_inner()).insert(word.to_owned(), parts.clone());
        parts
    }

    /// Segments `word` into at least two known parts (`depth` guards the recursion).
    fn segment(&self, word: &str, depth: usize) -> Option<Vec<String>> {
        if depth > 3 {
            return None;
        }
        let n = word.len();
        let mut best: Option<Vec<String>> = None;
        // Head first: the longest known suffix whose remainder (less a linker) is known or splits.
        for cut in 3..n.saturating_sub(2) {
            let head = &word[cut..];
            if !self.known(head) {
                continue;
            }
            for linker in LINKERS {
                let Some(left) = word[..cut].strip_suffix(linker) else { continue };
                let found = if self.known(left) {
                    Some(vec![left.to_owned()])
                } else if left.len() >= 7 {
                    self.segment(left, depth + 1)
                } else {
                    None
                };
                if let Some(mut parts) = found {
                    parts.push(head.to_owned());
                    if best.as_ref().is_none_or(|b| parts.len() < b.len()) {
                        best = Some(parts);
                    }
                    break;
                }
            }
            if best.as_ref().is_some_and(|b| b.len() == 2) {
                break;
            }
        }
        best
    }

    /// A compound whose head is known and whose modifier is not ("Gaststätten|erlaubnis"):
    /// the modifier as it stands, the head.
    fn head_only(&self, word: &str) -> Option<Vec<String>> {
        (4..word.len().saturating_sub(4))
            .find(|&cut| word.len() - cut >= 5 && self.known(&word[cut..]))
            .map(|cut| vec![word[..cut].to_owned(), word[cut..].to_owned()])
    }

    /// Terms of `text`: every word's stem plus the stems of its compound parts.
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for w in words(text).into_iter().chain(self.elided(text)) {
            out.push(stem(&w));
            for part in self.split(&w) {
                if part.len() >= 3 && !is_stopword(&part) {
                    out.push(part);
                }
            }
        }
        out
    }

    /// The words German elides before "und", "oder", "bzw." or "sowie" ("Sonn- und
    /// Feiertagsfahrverbot", "Auskunfts- und Übermittlungssperren"): the fragment joined with
    /// the longest tail of the full compound that makes a known word ("Sonntagsfahrverbot").
    fn elided(&self, text: &str) -> Vec<String> {
        static ELISION: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(r"(\p{L}{2,})-\s+(?:und|oder|bzw\.?|sowie)\s+(\p{L}{4,})").expect("valid regex")
        });
        ELISION
            .captures_iter(text)
            .filter_map(|c| {
                let (fragment, full) = (fold(&c[1]), fold(&c[2]));
                (2..full.len().saturating_sub(3))
                    .filter(|&at| full.is_char_boundary(at))
                    .map(|at| format!("{fragment}{}", &full[at..]))
                    .find(|word| self.words.contains(word))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_elided_compound_is_read_whole_where_the_word_is_known() {
        let mut v = Vocabulary::new();
        v.add("Ausnahme vom Sonntagsfahrverbot Anmeldung");
        let terms = v.terms("Ausnahme vom Sonn- und Feiertagsfahrverbot für Lkw");
        assert!(terms.contains(&stem("sonntagsfahrverbot")), "{terms:?}");
        assert!(v.terms("Hunde An- und Abmeldung").contains(&stem("anmeldung")));
        // Only a known word is made: "Haltungs- und Betreuungsverbot" names nothing known here.
        assert!(v.elided("Haltungs- und Betreuungsverbot").is_empty());
    }

    #[test]
    fn inflections_share_a_stem() {
        assert_eq!(stem("anmeldung"), stem("anmelden"));
        assert_eq!(stem("verlaengerung"), stem("verlaengern"));
        assert_eq!(stem("erteilung"), stem("erteilen"));
        assert_eq!(fold("Gebühr Straße"), "gebuehr strasse");
        assert_eq!(words("Antrag auf Fällung eines Baumes, § 29"), ["antrag", "faellung", "baumes", "29"]);
    }

    #[test]
    fn compounds_split_into_known_parts() {
        let mut v = Vocabulary::new();
        v.add("Hund anmelden; Steuer festsetzen; Abmeldung; Kindertagesstätte; Platz; Betreuung");
        assert_eq!(v.split("hundesteuersatzung"), ["hund", "steu", "satz"]);
        assert_eq!(v.split("gewerbeabmeldung"), ["gewerb", "abmeld"]);
        assert_eq!(v.split("betreuungsplatz"), ["betreu", "platz"]);
        assert!(v.split("sperrmuell").is_empty());
        let terms = v.terms("Anmeldung einer Hundehaltung");
        assert!(terms.contains(&"hund".to_owned()) && terms.contains(&"anmeld".to_owned()), "{terms:?}");
    }
}
