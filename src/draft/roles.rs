//! The units a dictation names, found by rules; the model picks each step's role
//! among them.
//!
//! Asked for a role freely, one clause at a time, a small model names what the clause is about
//! ("Antrag", "Kalender", "Fahrzeug"), the clerk ("SB", "Sachbearbeitung") or an abbreviation,
//! where a modeller names the unit that does the work. Organisational units have telling word
//! ends ("-amt", "-stelle", "-büro", "-leitung", …), so the candidates come from the wording,
//! and the grammar of each clause's answer allows only them.

use crate::compact::format;

/// Word ends of organisational units and functions, lower-cased ("Ordnungsamt", "Reisestelle",
/// "Kita-Leitung", "Außendienst", "Entsorgungsfirma"); a bare "Amt" or "Stelle" is no unit, it
/// needs a part that says which.
const UNIT_ENDS: &[&str] = &[
    "amt",
    "stelle",
    "büro",
    "kasse",
    "behörde",
    "leitung",
    "abteilung",
    "verwaltung",
    "dienst",
    "firma",
    "team",
    "archiv",
    "zentrale",
    "betrieb",
    "referat",
    "fachbereich",
    "sachgebiet",
    "meister",
    "meisterin",
    "leiter",
    "leiterin",
    "beauftragte",
    "beauftragter",
    "service",
    "gericht",
    "kommission",
    "ausschuss",
    "bibliothek",
    "sekretariat",
    "kraft",
];

/// Compounds with such an end that name a place or a thing, not a unit.
const NOT_UNITS: &[&str] = &[
    "baustelle",
    "haltestelle",
    "unfallstelle",
    "schadstelle",
    "fundstelle",
    "feuerstelle",
    "planstelle",
    "ehrenamt",
    "wasserleitung",
    "gasleitung",
    "stromleitung",
    "rohrleitung",
    "hauptleitung",
];

/// Units and functions named by a single word, lower-cased. People outside the administration
/// ("Bürger", "Antragsteller") are left out: offered them, the model gave the citizen the
/// office's work wherever the dictation mentioned one.
const UNIT_WORDS: &[&str] = &[
    "bauhof",
    "polizei",
    "feuerwehr",
    "kita",
    "schule",
    "kasse",
    "kämmerei",
    "personalrat",
    "stadtrat",
    "gemeinderat",
    "ortsrat",
    "vorgesetzte",
    "vorgesetzter",
];

/// The role of work where the dictation names no unit.
pub const UNNAMED: &str = "Sachbearbeitung";

/// Abbreviations of units common in German administrations, with their full names.
const ABBREVIATIONS: &[(&str, &str)] = &[
    ("BB", "Bürgerbüro"),
    ("FB", "Fachbereich"),
    ("AL", "Amtsleitung"),
    ("FBL", "Fachbereichsleitung"),
    ("SGL", "Sachgebietsleitung"),
    ("OB", "Oberbürgermeister"),
    ("BM", "Bürgermeister"),
    ("OA", "Ordnungsamt"),
    ("GA", "Gesundheitsamt"),
    ("TBA", "Tiefbauamt"),
    ("SL", "Schulleitung"),
];

/// Inflection endings a unit may carry in the dictation ("des Jugendamtes", "vom Ordnungsamts").
const ENDINGS: &[&str] = &["es", "s", "n", "en"];

/// The units the dictation names, in the order of their first mention, each once.
pub fn candidates(dictation: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    for raw in dictation.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '"' | '/')) {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let Some(unit) = unit(word) else { continue };
        if !found.iter().any(|f| format::same_text(f, &unit)) {
            found.push(unit);
        }
    }
    found
}

/// The unit a word names, in its base form.
fn unit(word: &str) -> Option<String> {
    if let Some((_, full)) = ABBREVIATIONS.iter().find(|(short, _)| *short == word) {
        return Some((*full).to_owned());
    }
    if !word.chars().next().is_some_and(char::is_uppercase) {
        return None;
    }
    let base = |w: &str| {
        let lower = w.to_lowercase();
        UNIT_WORDS.contains(&lower.as_str())
            || (!NOT_UNITS.contains(&lower.as_str())
                && UNIT_ENDS.iter().any(|end| lower.ends_with(end) && lower.len() > end.len()))
    };
    if base(word) {
        return Some(word.to_owned());
    }
    ENDINGS.iter().find_map(|ending| word.strip_suffix(ending).filter(|w| base(w)).map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_abbreviations_are_found_once_in_order() {
        let text = "Antrag kommt pers. ins BB. Die Kollegin vom Bauhof prüft, das Ordnungsamt und die \
                    Kita-Leitung auch; Stellungnahme des Jugendamtes. Der Bürger unterschreibt. \
                    Das Amt und die Stelle prüfen, dann wieder das Ordnungsamt. Baustelle sichern. \
                    Der Sachgebietsleiter unterschreibt.";
        assert_eq!(
            candidates(text),
            ["Bürgerbüro", "Bauhof", "Ordnungsamt", "Kita-Leitung", "Jugendamt", "Sachgebietsleiter"].map(String::from)
        );
    }

    #[test]
    fn lower_case_words_and_things_are_no_units() {
        assert!(candidates("wir prüfen den Antrag im Fachverfahren und stellen den Bescheid aus").is_empty());
        assert!(candidates("SB prüft Unterlagen, Antrag, Kalender").is_empty());
    }
}
