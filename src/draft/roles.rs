//! The units a dictation names, found by rules; the model picks each step's role
//! among them, unless the clause's wording says who works ([`super::actors`]).
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
    "aufsicht",
    "management",
    "vorstand",
    "verband",
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
    "weiterleitung",
    "einleitung",
    "umleitung",
    "anleitung",
    "ableitung",
    "überleitung",
    "zuleitung",
    "rechtskraft",
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
    "kämmerer",
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
    ("FA", "Fachamt"),
    ("Kä", "Kämmerei"),
    ("VG", "Vorgesetzte"),
    ("SVA", "Schulverwaltungsamt"),
    ("StA", "Standesamt"),
    ("DSB", "Datenschutzbeauftragte"),
    ("IT", "IT-Abteilung"),
    ("Pol", "Polizei"),
];

/// Abbreviations that name a unit only where no verb comes right before them: "PA fordert an",
/// "beim PA", but "SB prüft PA bzw. Reisepass" (the identity card).
const AMBIGUOUS: &[(&str, &str)] = &[("PA", "Personalamt")];

/// Abbreviations of people and things a step name may carry ("Schlussrechnung an AS"); a
/// modeller writes names in full words.
const OTHER_ABBREVIATIONS: &[(&str, &str)] = &[
    ("AS", "Antragsteller"),
    ("MA", "Mitarbeiter"),
    ("TN", "Teilnehmer"),
    ("GS", "Grundschule"),
    ("u.", "und"),
    ("m.", "mit"),
    ("wg.", "wegen"),
];

/// `name` with the abbreviations of units, people and things written out, also as the last
/// part of a compound ("Wunsch-GS" → "Wunsch-Grundschule").
pub fn spell_out(name: &str) -> String {
    let full = |word: &str| {
        ABBREVIATIONS.iter().chain(OTHER_ABBREVIATIONS).find(|(short, _)| *short == word).map(|(_, full)| *full)
    };
    let words: Vec<String> = name
        .split(' ')
        .map(|token| {
            let core = token.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '?' | '!' | '(' | ')' | '"'));
            let at = token.find(core).unwrap_or(0);
            let (before, after) = (&token[..at], &token[at + core.len()..]);
            let (stem, dot) = core.strip_suffix('.').map_or((core, ""), |s| (s, "."));
            let (head, last) = stem.rsplit_once('-').map_or(("", stem), |(h, l)| (h, l));
            let spelled = match (full(core), full(last)) {
                (Some(f), _) => f.to_owned(),
                (None, Some(f)) if head.is_empty() => format!("{f}{dot}"),
                (None, Some(f)) => format!("{head}-{f}{dot}"),
                (None, None) => core.to_owned(),
            };
            format!("{before}{spelled}{after}")
        })
        .collect();
    words.join(" ")
}

/// Inflection endings a unit may carry in the dictation ("des Jugendamtes", "vom Ordnungsamts").
const ENDINGS: &[&str] = &["es", "s", "n", "en"];

/// The units the dictation names, in the order of their first mention, each once.
pub fn candidates(dictation: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut before = "";
    for raw in dictation.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '"' | '/')) {
        let word = raw.trim_matches(|c: char| !c.is_alphanumeric());
        let after_verb = std::mem::replace(&mut before, word).ends_with('t');
        let ambiguous = AMBIGUOUS.iter().find(|(short, _)| *short == word).filter(|_| !after_verb);
        let Some(unit) = ambiguous.map(|(_, full)| (*full).to_owned()).or_else(|| unit(word)) else { continue };
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
    // "die Kasse" of a town hall is its Stadtkasse, as a modeller names it.
    if word == "Kasse" {
        return Some("Stadtkasse".to_owned());
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

/// The unit a word names, an abbreviation written out.
pub(super) fn unit_named(word: &str) -> Option<String> {
    AMBIGUOUS.iter().find(|(short, _)| *short == word).map(|(_, full)| (*full).to_owned()).or_else(|| unit(word))
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

    #[test]
    fn abbreviations_in_names_are_written_out() {
        assert_eq!(spell_out("Schlussrechnung an AS"), "Schlussrechnung an Antragsteller");
        assert_eq!(spell_out("FA fordert Beitrag bei VG an"), "Fachamt fordert Beitrag bei Vorgesetzte an");
        assert_eq!(
            spell_out("Zuweisung an Wunsch-GS, Kopie an SL."),
            "Zuweisung an Wunsch-Grundschule, Kopie an Schulleitung."
        );
        assert_eq!(spell_out("Gespräch m. Veranstalter (TN-Zahl)"), "Gespräch mit Veranstalter (TN-Zahl)");
        assert_eq!(spell_out("SB prüft den ASB-Antrag"), "SB prüft den ASB-Antrag");
    }

    #[test]
    fn more_units_and_what_only_looks_like_one() {
        let text = "Die Bauaufsicht prüft, PA und Kä zeichnen mit, Weiterleitung an das Klimaschutzmanagement. Rechtskraft abwarten.";
        assert_eq!(
            candidates(text),
            ["Bauaufsicht", "Personalamt", "Kämmerei", "Klimaschutzmanagement"].map(String::from)
        );
    }
}
