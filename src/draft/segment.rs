//! Clauses of a dictation: the units a draft must account for.
//!
//! Clerks dictate in sentences, bullet lists, arrows and run-on speech. Each clause (one
//! activity, one condition) is shown to the model on its own line, so that it maps lines to
//! steps instead of summarising a paragraph — summarising is where a small model loses half of
//! a procedure. Fillers ("ähm", "also", "na ja") are dropped; everything else is kept verbatim,
//! because step names are built from the dictation's own words (see [`super::lexicon`]).

use std::sync::LazyLock;

use regex::Regex;

/// One clause, and whether it states a condition (so the draft needs a decision for it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub text: String,
    pub condition: bool,
}

/// Abbreviations whose full stop does not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "z. b.", "z.b.", "u. a.", "u.a.", "d. h.", "d.h.", "ggf.", "bzw.", "evtl.", "inkl.", "ca.", "nr.", "abs.", "art.",
    "max.", "min.", "usw.", "etc.", "vgl.", "sog.", "bspw.", "zzgl.", "str.", "tel.", "std.", "abt.", "dr.", "s.",
    "ff.", "i. d. r.", "i.d.r.", "o. ä.", "u. u.", "v. a.", "gem.", "lt.", "allg.", "mind.",
];

/// Words that open a new clause when they follow a comma or stand after "und".
const CLAUSE_OPENERS: &[&str] = &[
    "dann",
    "danach",
    "anschließend",
    "daraufhin",
    "darauf",
    "hinterher",
    "zuletzt",
    "schließlich",
    "abschließend",
    "außerdem",
    "gleichzeitig",
    "parallel",
    "zeitgleich",
    "wenn",
    "falls",
    "sofern",
    "soweit",
    "sonst",
    "ansonsten",
    "andernfalls",
    "ob",
    "bei",
    "nachdem",
    "sobald",
    "zuerst",
    "zunächst",
    "vorher",
    "erst",
    "später",
];

/// Markers of a condition at the start of a clause or anywhere in it.
const CONDITION_MARKERS: &[&str] =
    &["wenn", "falls", "sofern", "soweit", "sonst", "ansonsten", "andernfalls", "ob", "entweder", "außer"];

/// Filler words of spoken German, dropped wherever they stand.
const FILLERS: &[&str] = &["ähm", "ähmm", "äh", "ähh", "öhm", "hm", "hmm", "naja", "sozusagen", "quasi"];

/// Fillers dropped at the start of a clause only (inside one they can carry meaning).
const LEADING_FILLERS: &[&str] =
    &["also", "na ja", "ja", "ok", "okay", "genau", "so", "gut", "und", "halt", "eben", "nun", "jetzt", "ach so"];

static ARROWS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s*(?:->|=>|-->|→|⇒|➔|>>)\s*").expect("static regex is valid"));
static BULLET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?m)^\s*(?:[-*•–·]|\d+[.)])\s+").expect("static regex is valid"));
/// A short label before a colon ("Vollständig: …", "Nicht vollständig: …"): it states a case when
/// it is negated or when the clause next to it has one too (the "A: … B: …" way of dictating two
/// branches); alone ("Gebühr: 25 Euro") it is just a heading.
static CASE_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\S+(?:\s\S+){0,2}):\s").expect("static regex is valid"));
static NEGATED_LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:nicht|kein\w*|ohne|un\w+)\b").expect("static regex is valid"));

/// "z. B.", "d. h." and the like, with or without spaces: written without them, so that their
/// inner full stops cannot look like sentence ends.
static SPACED_ABBREVIATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(z|u|d|v|o|i)\.\s*(b|a|h|u|ä|d)\.(?:\s*(r)\.)?").expect("static regex is valid")
});

/// Splits a dictation into clauses, in order.
pub fn clauses(dictation: &str) -> Vec<Clause> {
    let text = SPACED_ABBREVIATION.replace_all(dictation, |c: &regex::Captures| {
        format!("{}.{}.{}", &c[1], &c[2], c.get(3).map_or(String::new(), |r| format!("{}.", r.as_str())))
    });
    let text = BULLET.replace_all(&text, "\n");
    let text = ARROWS.replace_all(&text, "\n");
    let mut out = Vec::new();
    for line in text.lines() {
        for sentence in sentences(line) {
            for piece in split_openers(&sentence).iter().flat_map(|p| split_actions(p)) {
                let cleaned = strip_fillers(&piece);
                if cleaned.chars().any(char::is_alphanumeric) {
                    let condition = is_condition(&cleaned);
                    out.push(Clause { text: cleaned, condition });
                }
            }
        }
    }
    let labels: Vec<Option<String>> =
        out.iter().map(|c| CASE_LABEL.captures(&c.text).map(|m| m[1].to_owned())).collect();
    for (i, clause) in out.iter_mut().enumerate() {
        let Some(label) = &labels[i] else { continue };
        let neighbour = (i > 0 && labels[i - 1].is_some()) || labels.get(i + 1).is_some_and(Option::is_some);
        clause.condition |= neighbour || NEGATED_LABEL.is_match(label);
    }
    out
}

/// Sentences of one line: ends at `.`, `!`, `?` and `;` (the `?` stays: it marks a question to
/// decide), but not after abbreviations or between digits.
fn sentences(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = line.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        current.push(c);
        let next = chars.get(i + 1).copied();
        let at_break = next.is_none_or(char::is_whitespace);
        let ends = match c {
            '!' | ';' => true,
            '?' => at_break,
            '.' => at_break && !ends_with_abbreviation(&current) && !ends_with_number(&current),
            _ => false,
        };
        if ends {
            out.push(std::mem::take(&mut current));
        }
    }
    out.push(current);
    out.into_iter()
        .map(|s| s.trim().trim_end_matches(['.', ';', '!']).trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn ends_with_abbreviation(text: &str) -> bool {
    let lower = text.to_lowercase();
    ABBREVIATIONS.iter().any(|a| {
        lower.ends_with(a) && lower[..lower.len() - a.len()].chars().next_back().is_none_or(|c| !c.is_alphanumeric())
    })
}

/// "1." in "am 1. des Monats" or a list number: a digit right before the full stop.
fn ends_with_number(text: &str) -> bool {
    let mut rev = text.chars().rev().skip(1);
    rev.next().is_some_and(|c| c.is_ascii_digit()) && rev.next().is_none_or(|c| c.is_whitespace() || c.is_ascii_digit())
}

/// Splits a sentence before connectives that open a new activity or condition: after a comma,
/// or after "und" (", dann …", "und danach …", "…, sonst …").
fn split_openers(sentence: &str) -> Vec<String> {
    let words: Vec<&str> = sentence.split_whitespace().collect();
    let mut out: Vec<Vec<&str>> = vec![Vec::new()];
    for (i, word) in words.iter().enumerate() {
        let bare = bare(word);
        let previous = i.checked_sub(1).map(|j| words[j]);
        let after_comma = previous.is_some_and(|p| p.ends_with(',') || p.ends_with(':'));
        let after_und = previous.is_some_and(|p| matches!(bare_owned(p).as_str(), "und" | "oder"));
        let opens = CLAUSE_OPENERS.contains(&bare.as_str());
        let current = out.last_mut().expect("never empty");
        if opens && (after_comma || after_und) && current.len() >= 2 {
            if after_und {
                current.pop();
            }
            out.push(Vec::new());
        }
        out.last_mut().expect("never empty").push(word);
    }
    out.into_iter()
        .map(|words| words.join(" ").trim().trim_end_matches([',', ':']).trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Lowercase words that carry no action: articles, prepositions, pronouns, particles.
const FUNCTION_WORDS: &[&str] = &[
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines", "und", "oder",
    "mit", "per", "von", "vom", "zum", "zur", "zu", "im", "in", "am", "an", "auf", "aus", "bei", "für", "nach",
    "über", "unter", "vor", "durch", "ob", "wenn", "falls", "dann", "noch", "auch", "nur", "schon", "alle",
    "alles", "ggf", "bzw", "etc", "es", "er", "sie", "wir", "ihr", "man", "sich", "nicht", "kein", "keine", "ja",
    "nein", "so", "mal", "halt", "eben", "also", "immer", "oft", "meist", "meistens", "sowie", "sein", "seine",
    "ihre", "ihren", "seinen", "dort", "hier", "da", "dafür", "davon", "dazu", "wieder", "erst", "sehr", "bis",
];

/// Whether a piece of a clause names an action: German nouns are capitalised, so a lowercase
/// content word is a verb, participle or predicate ("Bescheid erstellt", "Hund erfassen"),
/// where "Foto" or "Mietbescheinigung" alone is one more item of a list.
fn names_action(piece: &str) -> bool {
    piece.split_whitespace().any(|w| {
        let bare = bare(w);
        w.chars().next().is_some_and(char::is_lowercase)
            && bare.chars().count() > 3
            && !FUNCTION_WORDS.contains(&bare.as_str())
    })
}

/// Splits a clause that lists several actions ("Halter erfassen, Ermäßigung prüfen und Bescheid
/// erstellen") at its commas and "und"; a piece without an action stays with the one before
/// ("Ausweis, Foto und Formular prüfen" is one clause).
fn split_actions(clause: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    let mut current = String::new();
    for word in clause.split_whitespace() {
        let conjunction = matches!(word, "und" | "sowie");
        if conjunction && !current.is_empty() {
            pieces.push(std::mem::take(&mut current));
            continue;
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
        if word.ends_with(',') {
            pieces.push(std::mem::take(&mut current).trim_end_matches(',').to_owned());
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    // Re-join pieces that are list items rather than actions.
    let mut out: Vec<(String, bool)> = Vec::new();
    for piece in pieces {
        let action = names_action(&piece);
        match out.last_mut() {
            Some((previous, previous_action)) if !action || !*previous_action => {
                let joiner = if action { " und " } else { ", " };
                previous.push_str(joiner);
                previous.push_str(&piece);
                *previous_action |= action;
            }
            _ => out.push((piece, action)),
        }
    }
    out.into_iter().map(|(piece, _)| piece).collect()
}

fn bare(word: &str) -> String {
    bare_owned(word)
}

fn bare_owned(word: &str) -> String {
    word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase()
}

fn strip_fillers(clause: &str) -> String {
    let kept: Vec<&str> = clause.split_whitespace().filter(|w| !FILLERS.contains(&bare(w).as_str())).collect();
    let mut text = kept.join(" ");
    loop {
        let lower = text.to_lowercase();
        let Some(filler) = LEADING_FILLERS.iter().find(|f| {
            lower.starts_with(*f) && lower[f.len()..].chars().next().is_some_and(|c| c == ' ' || c == ',')
        }) else {
            break;
        };
        text = text[filler.len()..].trim_start_matches([' ', ',']).to_owned();
    }
    text.trim_matches(|c: char| c == ',' || c.is_whitespace()).to_owned()
}

fn is_condition(clause: &str) -> bool {
    if clause.trim_end().ends_with('?') {
        return true;
    }
    clause.split_whitespace().map(bare).any(|w| CONDITION_MARKERS.contains(&w.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(dictation: &str) -> Vec<String> {
        clauses(dictation).into_iter().map(|c| c.text).collect()
    }

    #[test]
    fn sentences_bullets_arrows_and_connectives_split() {
        assert_eq!(
            texts("Antrag kommt per Post, dann prüft die SB z. B. die Meldeadresse. Danach Bescheid."),
            vec!["Antrag kommt per Post", "dann prüft die SB z.B. die Meldeadresse", "Danach Bescheid"]
        );
        assert_eq!(
            texts("- Eingang Mail -> Erfassung im DMS\n- SB prüft => ok? Bescheid"),
            vec!["Eingang Mail", "Erfassung im DMS", "SB prüft", "ok?", "Bescheid"]
        );
        assert_eq!(
            texts("Kasse bucht und dann geht die Akte ins Archiv, sonst zurück"),
            vec!["Kasse bucht", "dann geht die Akte ins Archiv", "sonst zurück"]
        );
        assert_eq!(
            texts("Halter und Hund werden erfasst, Ermäßigung geprüft und dann der Bescheid erstellt"),
            vec!["Halter und Hund werden erfasst", "Ermäßigung geprüft", "dann der Bescheid erstellt"]
        );
        // Lists inside a clause stay together; dates and numbers do not end sentences.
        assert_eq!(texts("Ausweis, Foto und Formular prüfen bis zum 1. März"), vec![
            "Ausweis, Foto und Formular prüfen bis zum 1. März"
        ]);
    }

    #[test]
    fn fillers_go_and_conditions_are_marked() {
        let c = clauses("Also ähm der Antrag kommt rein, wenn Unterlagen fehlen, fordern wir nach. Vollständig? Bescheid.");
        assert_eq!(c[0], Clause { text: "der Antrag kommt rein".into(), condition: false });
        assert!(c[1].condition, "{c:?}");
        assert!(c.iter().any(|c| c.text == "Vollständig?" && c.condition), "{c:?}");
        assert!(clauses("Nicht vollständig: Nachforderung")[0].condition);
        let cases = clauses("Prüfung. Vollständig: Bescheid. Unvollständig: Nachforderung.");
        assert_eq!(cases.iter().map(|c| c.condition).collect::<Vec<_>>(), vec![false, true, true]);
        assert!(!clauses("Gebühr: 25 Euro bezahlen")[0].condition);
        assert!(!clauses("Bescheid obendrein versenden")[0].condition);
    }
}
