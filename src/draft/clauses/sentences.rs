//! Where a dictation's sentences end: at ".", "!", "?" and ";", but not after an abbreviation,
//! a number or a word cut short ("ca. 2.000", "z. B. der", "ehrenamtl."), nor inside brackets.

/// Abbreviations whose period does not end a sentence (lower-cased, without the period).
const ABBREVIATIONS: &[&str] = &[
    "abs",
    "abt",
    "bzw",
    "ca",
    "d",
    "dr",
    "etc",
    "evtl",
    "fa",
    "fr",
    "ggf",
    "gem",
    "hr",
    "i",
    "inkl",
    "max",
    "min",
    "mind",
    "mio",
    "nr",
    "o",
    "p",
    "s",
    "sog",
    "str",
    "tel",
    "u",
    "usw",
    "vgl",
    "z",
    "zzgl",
    "zb",
    "zt",
    "bspw",
    "jährl",
    "mtl",
    "wo",
    "mon",
    "std",
    "schriftl",
    "öffentl",
    "unvollst",
    "vollst",
    "tlw",
    "zust",
    "anschl",
    "pers",
    "elektr",
    "sachl",
    "insb",
    "insbes",
    "bzgl",
    "lt",
    "beh",
    "nachw",
    "zzt",
    "erf",
    "vorl",
    "eingeschr",
    "städt",
    "vereinf",
    "verf",
    "allg",
    "einschl",
    "entspr",
    "jew",
    "zus",
    "wg",
    "stellv",
    "priv",
    "kommun",
    "ggü",
];

/// Abbreviations that end compounds ("Fachabt.", "Einkommensnachw.").
const COMPOUND_ABBREVIATIONS: &[&str] = &["abt", "nachw", "beh", "ausw", "bescheinig"];

/// Splits at sentence ends (".", "!", "?", ";") that are not abbreviations or numbers.
pub(super) fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let chars: Vec<char> = text.chars().collect();
    // A sentence does not end inside brackets: "(VL, Route, erw. TN-Zahl, Anz. Ordner)" lists
    // what is checked, abbreviations and all.
    let mut depth = 0usize;
    for (i, &c) in chars.iter().enumerate() {
        current.push(c);
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        let next = chars.get(i + 1).copied();
        let at_break = next.is_none_or(char::is_whitespace) && depth == 0;
        let ends = match c {
            '?' | '!' | ';' => at_break,
            '.' => {
                at_break
                    && (!abbreviation_before(&current) || unit_after_number(&current))
                    && next_starts_sentence(&chars[i + 1..])
            }
            _ => false,
        };
        if ends {
            out.push(std::mem::take(&mut current));
        }
    }
    out.push(current);
    out.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
}

/// The word before a final period is a known abbreviation, a single letter or a number.
fn abbreviation_before(text: &str) -> bool {
    // A period after a closing bracket ends the sentence: an abbreviation inside ("(Markt,
    // Fest o. Ä.).") brought its own.
    if text[..text.len() - 1].ends_with(')') {
        return false;
    }
    let before = text[..text.len() - 1].rsplit(|c: char| c.is_whitespace() || c == '(').next().unwrap_or("");
    let word = before.trim_start_matches(|c: char| !c.is_alphanumeric());
    // A sign ends a sentence ("Gebühr 45 €. Zum Schluss …").
    if word.is_empty() {
        return false;
    }
    // An acronym is a whole word ("Kopie an SL. Hinweis: …"), though "Fa." would abbreviate.
    if word.chars().count() >= 2 && word.chars().all(char::is_uppercase) {
        return false;
    }
    let word = word.to_lowercase();
    let last = word.rsplit('.').next().unwrap_or("");
    word.chars().all(|c| c.is_ascii_digit() || c == '.')
        || ABBREVIATIONS.contains(&last)
        || last.chars().count() == 1
        || COMPOUND_ABBREVIATIONS.iter().any(|a| last.ends_with(a))
        || cut_short(last)
}

/// A word cut short after a consonant cluster no German word ends in: "ehrenamtl", "zusätzl",
/// "persönl", "sachl" (but "Zahl", "Wahl", "Modell").
pub(super) fn cut_short(word: &str) -> bool {
    let chars: Vec<char> = word.chars().collect();
    let [.., before, last] = chars.as_slice() else { return false };
    let consonant = |c: &char| c.is_alphabetic() && !"aeiouäöüy".contains(*c);
    (*last == 'l' && consonant(before) && !matches!(before, 'h' | 'l')) || word.ends_with("chl")
}

/// Abbreviated units that end a sentence after a number when a capital follows ("Frist 4 Wo.
/// Vollst. → …").
const UNITS: &[&str] = &["wo", "std", "mon", "min", "mio", "tg"];

/// The text ends in a number and an abbreviated unit with its period.
fn unit_after_number(text: &str) -> bool {
    let mut words = text[..text.len() - 1].split_whitespace().rev();
    let (Some(unit), Some(number)) = (words.next(), words.next()) else { return false };
    UNITS.contains(&unit.to_lowercase().as_str()) && number.chars().all(|c| c.is_ascii_digit() || c == ',' || c == '.')
}

/// What follows a period starts a new sentence: a capital letter or a bullet, not a digit or
/// a lower-case word ("ca. 2.000", "z. B. der").
fn next_starts_sentence(rest: &[char]) -> bool {
    rest.iter().find(|c| !c.is_whitespace()).is_none_or(|c| c.is_uppercase() || !c.is_alphanumeric())
}
