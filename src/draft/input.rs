//! What is read from a dictation before and besides the model: whether it is usable input at all,
//! the legal references it names, and whether it names any condition.
//!
//! These are deterministic on purpose: a model asked to fill in a legal basis invents a
//! plausible-looking one, and one allowed to write decisions invents generic yes/no checks.

use std::sync::LazyLock;

use regex::Regex;

/// Longest dictation accepted (about 800 words; a process dictation is 40–300).
pub const MAX_CHARS: usize = 6_000;
const MIN_WORDS: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("the dictation is empty")]
    Empty,
    #[error("the dictation has {chars} characters; at most {max} are accepted — split it into several processes")]
    TooLong { chars: usize, max: usize },
    #[error("the input does not look like text ({reason})")]
    NotText { reason: String },
    #[error("the text does not describe a process: {reason}")]
    NotAProcess { reason: String },
}

/// Word stems that show up when someone describes steps of work (German, plus a few English ones
/// so the English PET documents pass the same gate).
const PROCESS_CUES: &[&str] = &[
    "antrag",
    "beantrag",
    "prüf",
    "geprüft",
    "bearbeit",
    "schick",
    "geschickt",
    "send",
    "versend",
    "erstell",
    "genehmig",
    "ablehn",
    "abgelehnt",
    "bescheid",
    "unterschr",
    "unterzeich",
    "weiterleit",
    "leite",
    "eingang",
    "eingeh",
    "geht",
    "melde",
    "gemeldet",
    "zahl",
    "gebühr",
    "ausstell",
    "ausgestellt",
    "ausgeb",
    "aushänd",
    "bestätig",
    "termin",
    "dann",
    "danach",
    "anschließend",
    "zuerst",
    "zunächst",
    "erst",
    "schließlich",
    "sobald",
    "formular",
    "unterlage",
    "akte",
    "erfass",
    "informier",
    "benachrichtig",
    "zustell",
    "archivier",
    "freigeb",
    "kontroll",
    "entscheid",
    "abschließ",
    "einreich",
    "eingereicht",
    "anmeld",
    "abmeld",
    "bezahl",
    "vorleg",
    "anhör",
    "stellungnahme",
    "eintrag",
    "trägt",
    "registr",
    "buch",
    "rechnung",
    "frist",
    "bürger",
    "antragsteller",
    "sachbearbeit",
    "amt",
    "abteilung",
    "then",
    "after",
    "afterwards",
    "first",
    "finally",
    "send",
    "check",
    "receive",
    "approve",
    "request",
    "submit",
    "review",
    "process",
    "order",
    "invoice",
    "customer",
    "department",
];

const CONDITION_CUES: &[&str] = &[
    "wenn",
    "falls",
    "ob",
    "sonst",
    "ansonsten",
    "andernfalls",
    "entweder",
    "ablehn",
    "abgelehnt",
    "unvollständig",
    "fehlt",
    "fehlen",
    "if",
    "otherwise",
    "whether",
    "either",
    "else",
    "reject",
];

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase)
}

/// Checks that a dictation is text about a process; returns it trimmed.
pub fn check(text: &str) -> Result<&str, InputError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(InputError::Empty);
    }
    let chars = text.chars().count();
    if chars > MAX_CHARS {
        return Err(InputError::TooLong { chars, max: MAX_CHARS });
    }
    if let Some(c) = text.chars().find(|c| (c.is_control() && !matches!(c, '\n' | '\r' | '\t')) || *c == '\u{FFFD}') {
        return Err(InputError::NotText { reason: format!("it contains the control character U+{:04X}", c as u32) });
    }
    let visible = text.chars().filter(|c| !c.is_whitespace()).count();
    let letters = text.chars().filter(|c| c.is_alphabetic()).count();
    if letters * 2 < visible {
        return Err(InputError::NotText { reason: format!("only {letters} of {visible} characters are letters") });
    }
    let all: Vec<String> = words(text).collect();
    if all.len() < MIN_WORDS {
        return Err(InputError::NotAProcess {
            reason: format!(
                "{} word(s) are too few to describe steps; dictate who does what in which order",
                all.len()
            ),
        });
    }
    let cues = all.iter().filter(|w| PROCESS_CUES.iter().any(|cue| w.starts_with(cue))).count();
    if cues == 0 {
        return Err(InputError::NotAProcess {
            reason: "it names no activity, document or sequence (such as Antrag, prüfen, dann, Bescheid)".into(),
        });
    }
    Ok(text)
}

/// Whether the dictation names a condition, so that the draft may contain decisions.
pub fn names_condition(text: &str) -> bool {
    words(text).any(|w| CONDITION_CUES.iter().any(|cue| w == *cue || (cue.len() > 5 && w.starts_with(cue))))
}

static LEGAL_REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
    // "§ 45 Abs. 1b StVO", "§§ 17 ff. BMG", "Art. 6 DSGVO", "Artikel 15 DSGVO", "§ 34 SGB XII";
    // and law names used on their own ("nach dem Bundesmeldegesetz", "laut Gebührensatzung").
    Regex::new(concat!(
        r"(?:§§?|Art\.|Artikel)\s*\d+[a-z]?(?:\s*(?:Abs\.|Absatz)\s*\d+[a-z]?)?(?:\s*(?:S\.|Satz|Nr\.)\s*\d+)?",
        r"(?:\s*ff\.)?\s+[A-ZÄÖÜ][A-Za-zÄÖÜäöü]*[A-Z][A-Za-z]*(?:\s+[IVX]+\b)?",
        r"|\b[A-ZÄÖÜ][a-zäöüß]+(?:gesetz(?:buch)?|verordnung|ordnung|satzung)\b",
    ))
    .expect("static regex is valid")
});

/// The legal references a dictation names, in order, without repeats.
pub fn legal_references(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for m in LEGAL_REFERENCE.find_iter(text) {
        let reference = crate::compact::collapse_whitespace(m.as_str());
        if !found.contains(&reference) {
            found.push(reference);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_what_is_no_process_dictation() {
        assert_eq!(check("   \n "), Err(InputError::Empty));
        assert!(matches!(check(&"Antrag prüfen. ".repeat(500)), Err(InputError::TooLong { .. })));
        assert!(matches!(check("Antrag \u{0} prüfen und dann senden"), Err(InputError::NotText { .. })));
        assert!(matches!(check("{\"a\": [1, 2, 3], \"b\": 4.5e10, \"c\": null}"), Err(InputError::NotText { .. })));
        assert!(matches!(check("Antrag prüfen"), Err(InputError::NotAProcess { .. })));
        let weather = "Das Wetter ist heute schön und die Sonne scheint über dem Rathausplatz.";
        assert!(matches!(check(weather), Err(InputError::NotAProcess { .. })));
        assert!(check("  Bürger stellt Antrag, dann prüft das Amt und schickt den Bescheid. ").is_ok());
    }

    #[test]
    fn conditions_are_detected_by_whole_words() {
        assert!(names_condition("Falls Unterlagen fehlen, nachfordern"));
        assert!(names_condition("wird der Antrag abgelehnt"));
        assert!(!names_condition("Antrag prüfen, Bescheid obendrein versenden"));
    }

    #[test]
    fn legal_references_are_taken_from_the_text() {
        let text = "Nach § 45 Abs. 1b StVO und §§ 17 ff. BMG, Art. 6 DSGVO; Gebühr laut Gebührensatzung, \
                    nochmal § 45 Abs. 1b StVO.";
        assert_eq!(
            legal_references(text),
            vec!["§ 45 Abs. 1b StVO", "§§ 17 ff. BMG", "Art. 6 DSGVO", "Gebührensatzung"]
        );
        assert!(legal_references("Antrag prüfen und Bescheid senden").is_empty());
    }
}
