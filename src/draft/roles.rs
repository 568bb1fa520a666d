//! The units a dictation names, found by rules; the model picks each step's role
//! among them, unless the clause's wording says who works ([`super::actors`]).
//!
//! Asked for a role freely, one clause at a time, a small model names what the clause is about
//! ("Antrag", "Kalender", "Fahrzeug"), the clerk ("SB", "Sachbearbeitung") or an abbreviation,
//! where a modeller names the unit that does the work. Organisational units have telling word
//! ends ("-amt", "-stelle", "-büro", "-leitung", …), so the candidates come from the wording,
//! and the grammar of each clause's answer allows only them. People who do a step themselves
//! (the applicant, the owner, the parents) are roles too, but only where a clause names them as
//! its subject; they are never among the model's choices.

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
    "bücherei",
    "sekretariat",
    "kraft",
    "aufsicht",
    "management",
    "vorstand",
    "verband",
    "rat",
    "kolonne",
    "trupp",
    "labor",
    "buchhaltung",
    "verein",
    "initiative",
    "unternehmen",
    "ministerium",
    "regierung",
    "gärtnerei",
];

/// Compounds with such an end that name a place or a thing, not a unit.
const NOT_UNITS: &[&str] = &[
    "baustelle",
    "haltestelle",
    "unfallstelle",
    "schadstelle",
    "fundstelle",
    "einsatzstelle",
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
    "vorkasse",
    "vorrat",
    "apparat",
    "hausrat",
    "heirat",
    "unrat",
    "zierrat",
    "verrat",
];

/// Units and functions named by a single word, lower-cased. People outside the administration
/// ("Bürger", "Antragsteller") are left out: offered them, the model gave the citizen the
/// office's work wherever the dictation mentioned one (see [`PERSON_WORDS`]).
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
    "rat",
    "labor",
    "buchhaltung",
    "wasserwerk",
    "klärwerk",
    "stadtwerke",
    "sekretariat",
    // The departments of a building authority, named without "-amt" ("Tiefbau gibt … ab").
    "tiefbau",
    "hochbau",
    "wirtschaftsförderung",
    "liegenschaften",
    "jury",
    "caritas",
    "diakonie",
    "awo",
    "jobcenter",
    "notariat",
    "kirchengemeinde",
    "zoll",
    "stiftung",
    "druckerei",
];

/// People who may do a step of the case themselves, lower-cased: the applicant, the owner, the
/// parents, a colleague named by function ("Erben", "Bauherr", "Friedhofsgärtner",
/// "Vollstreckungsbeamter"). They are never offered to the model as a choice (see
/// [`UNIT_WORDS`]): a clause names one only where it is the clause's subject
/// ([`super::actors`]), "der Bauherr reicht nach".
const PERSON_WORDS: &[&str] = &[
    "bürger",
    "bürgerin",
    "eltern",
    "mutter",
    "vater",
    "person",
    "erben",
    "chef",
    "chefin",
    "kunde",
    "kundin",
    "klient",
    "klientin",
    "gast",
    "sponsor",
    "tagesmutter",
    "tagesvater",
    "pflegeeltern",
    "großeltern",
    "senior",
    "seniorin",
    // Parties from outside named without a modifier ("zahlt die Firma die Gebühr", "Die Vereine
    // rufen beim Bauhof an"); "Entsorgungsfirma" and "Sportverein" are units ([`UNIT_ENDS`]).
    "firma",
    "verein",
    "unternehmen",
];

/// Word ends of such people, alone or as a compound's last part ("Halter", "Hundehalter").
const PERSON_ENDS: &[&str] = &[
    "pate",
    "patin",
    "steller",
    "stellerin",
    "halter",
    "halterin",
    "eigentümer",
    "eigentümerin",
    "betreiber",
    "betreiberin",
    "bauherr",
    "bauherrin",
    "veranstalter",
    "veranstalterin",
    "beschäftigte",
    "beschäftigter",
    "mitarbeiter",
    "mitarbeiterin",
    "bewerber",
    "bewerberin",
    "berechtigte",
    "berechtigter",
    "pflichtige",
    "pflichtiger",
    "nehmer",
    "nehmerin",
    "inhaber",
    "inhaberin",
    "gärtner",
    "gärtnerin",
    "kontrolleur",
    "kontrolleurin",
    "bestatter",
    "beamter",
    "beamtin",
    "beamte",
    "unternehmer",
    "unternehmerin",
    "schuldner",
    "schuldnerin",
    "mieter",
    "mieterin",
    "pächter",
    "pächterin",
    "angehörige",
    "fahrer",
    "fahrerin",
    "nutzer",
    "nutzerin",
    "leser",
    "leserin",
    "anwohner",
    "anwohnerin",
    "nachbar",
    "nachbarin",
    "verursacher",
    "verursacherin",
    "interessent",
    "interessentin",
    "besucher",
    "besucherin",
    // Offices held by a person ("der Dezernent zeichnet mit", "Platzwart sperrt").
    "dezernent",
    "dezernentin",
    "referent",
    "referentin",
    "wart",
    "wartin",
    "restaurator",
    "restauratorin",
    // Professions and functions a case calls in ("Amtsärztin untersucht", "der Notar beurkundet").
    "arzt",
    "ärztin",
    "richter",
    "richterin",
    "notar",
    "notarin",
    "gutachter",
    "gutachterin",
    "sachverständige",
    "sachverständiger",
    "prüfer",
    "prüferin",
    "architekt",
    "architektin",
    "planer",
    "planerin",
    "ingenieur",
    "ingenieurin",
    "lehrer",
    "lehrerin",
    "erzieher",
    "erzieherin",
    "betreuer",
    "betreuerin",
    "pfleger",
    "pflegerin",
    "vormund",
    "förster",
    "försterin",
    "jäger",
    "jägerin",
    "schornsteinfeger",
    "schornsteinfegerin",
    "vorsteher",
    "vorsteherin",
    "dolmetscher",
    "dolmetscherin",
    "übersetzer",
    "übersetzerin",
    "spediteur",
    "makler",
    "maklerin",
    "händler",
    "händlerin",
    "wirt",
    "wirtin",
    "kassierer",
    "kassiererin",
    "sachbearbeiter",
    "sachbearbeiterin",
    "hebamme",
    "pfarrer",
    "pfarrerin",
    "trainer",
    "trainerin",
    "dozent",
    "dozentin",
    "handwerker",
    "handwerkerin",
    "techniker",
    "technikerin",
    "administrator",
    "administratorin",
    "polizist",
    "polizistin",
    "sanitäter",
    "sanitäterin",
    "fotograf",
    "fotografin",
    "kalligraf",
    "kalligrafin",
    "käufer",
    "käuferin",
    "verkäufer",
    "verkäuferin",
    "spender",
    "spenderin",
    "künstler",
    "künstlerin",
    "preisträger",
    "preisträgerin",
    "schüler",
    "schülerin",
    "jugendliche",
    "jugendlicher",
];

/// Ends of [`PERSON_ENDS`] that name nobody alone ("Steller"), and compounds that end like a
/// person but are a thing ("Schalter").
const PERSON_PARTS: &[&str] =
    &["steller", "stellerin", "nehmer", "nehmerin", "berechtigte", "berechtigter", "pflichtige", "pflichtiger"];
const NOT_PERSONS: &[&str] = &["schalter", "gegenwart"];

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
    ("WiFö", "Wirtschaftsförderung"),
    ("BA", "Bauamt"),
    ("JA", "Jugendamt"),
    ("HA", "Hauptamt"),
    ("RPA", "Rechnungsprüfungsamt"),
    ("ASD", "Allgemeiner Sozialer Dienst"),
    ("FD", "Fachdienst"),
    ("PR", "Personalrat"),
    ("Sekr", "Sekretariat"),
    ("AG", "Amtsgericht"),
    ("FamG", "Familiengericht"),
    ("FW", "Feuerwehr"),
    ("StK", "Stadtkasse"),
    ("ABH", "Ausländerbehörde"),
    ("UDB", "Untere Denkmalbehörde"),
    ("SVB", "Straßenverkehrsbehörde"),
    ("LRA", "Landratsamt"),
    ("GewA", "Gewerbeamt"),
    ("VK", "Vergabekammer"),
];

/// Abbreviations that name a unit only where no verb comes right before them: "PA fordert an",
/// "beim PA", but "SB prüft PA bzw. Reisepass" (the identity card).
const AMBIGUOUS: &[(&str, &str)] = &[("PA", "Personalamt")];

/// Endings that write a person's name for all genders.
const GENDER_MARKS: &[&str] = &["/r", "/e", "/in", "/-in", "(in)", "*in", ":in", "_in"];

/// Abbreviations of people who may do a step ("BH reicht nach").
const PEOPLE_ABBREVIATIONS: &[(&str, &str)] =
    &[("Antragst", "Antragsteller"), ("ASt", "Antragsteller"), ("BH", "Bauherr"), ("EZB", "Erziehungsberechtigte")];

/// Abbreviations of people and things a step name may carry ("Schlussrechnung an AS"); a
/// modeller writes names in full words.
const OTHER_ABBREVIATIONS: &[(&str, &str)] = &[
    // "AS stellt Antrag" is the trigger far more often than the applicant's step.
    ("AS", "Antragsteller"),
    ("MA", "Mitarbeiter"),
    ("TN", "Teilnehmer"),
    ("GS", "Grundschule"),
    ("u.", "und"),
    ("m.", "mit"),
    ("wg.", "wegen"),
    ("f.", "für"),
    ("Std.", "Stunden"),
    ("schriftl.", "schriftlich"),
    ("mündl.", "mündlich"),
    ("monatl.", "monatlich"),
    ("jährl.", "jährlich"),
    ("tel.", "telefonisch"),
    ("zust.", "zuständig"),
    ("erf.", "erforderlich"),
    ("vorl.", "vorläufig"),
    ("Antragst.", "Antragsteller"),
    ("Unterl.", "Unterlagen"),
    ("Urk.", "Urkunde"),
    ("Beschl.", "Beschluss"),
    ("Mitgl.", "Mitglieder"),
    ("Amtsbl.", "Amtsblatt"),
    ("Bearb.", "Bearbeitung"),
    ("Abt.", "Abteilung"),
    ("Verw.", "Verwaltung"),
    ("Nachw.", "Nachweis"),
    ("Beh.", "Behörde"),
    ("BV", "Beschlussvorlage"),
    ("WV", "Wiedervorlage"),
    ("Antr.", "Antrag"),
    ("Geb.", "Gebühr"),
    ("Wo.", "Wochen"),
    ("Mon.", "Monaten"),
    ("mögl.", "möglich"),
    ("vollst.", "vollständig"),
    ("unvollst.", "unvollständig"),
];

/// Abbreviations of more than one word: "Vorgang z. d. A." → "Vorgang zu den Akten".
const PHRASE_ABBREVIATIONS: &[(&str, &str)] = &[("z. d. A.", "zu den Akten"), ("z.d.A.", "zu den Akten")];

/// The full form of an abbreviation of a unit, a person or a thing the lists know.
fn written_out(word: &str) -> Option<&'static str> {
    ABBREVIATIONS
        .iter()
        .chain(PEOPLE_ABBREVIATIONS)
        .chain(OTHER_ABBREVIATIONS)
        .find(|(short, _)| *short == word)
        .map(|(_, full)| *full)
}

/// Whether the lists know `word` as an abbreviation of a unit, a person or a thing.
pub(super) fn is_known_abbreviation(word: &str) -> bool {
    written_out(word).is_some()
}

/// `name` with the abbreviations of units, people and things written out, also as the last
/// part of a compound ("Wunsch-GS" → "Wunsch-Grundschule").
pub fn spell_out(name: &str) -> String {
    // A name may end without the phrase's last dot ("Vorgang z. d. A").
    let mut name = name.to_owned();
    for (short, full) in PHRASE_ABBREVIATIONS {
        let bare = short.trim_end_matches('.');
        if let Some(head) = name.strip_suffix(bare) {
            name = format!("{head}{full}");
        }
        name = name.replace(short, full);
    }
    let words: Vec<String> = name
        .split(' ')
        .map(|token| {
            let core = token.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '?' | '!' | '(' | ')' | '"'));
            let at = token.find(core).unwrap_or(0);
            let (before, after) = (&token[..at], &token[at + core.len()..]);
            let (stem, dot) = core.strip_suffix('.').map_or((core, ""), |s| (s, "."));
            let (head, last) = stem.rsplit_once('-').map_or(("", stem), |(h, l)| (h, l));
            let spelled = match (written_out(core), written_out(last)) {
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

/// Inflection endings a unit may carry in the dictation ("des Jugendamtes", "vom Ordnungsamts",
/// the plural "die Vereine").
const ENDINGS: &[&str] = &["es", "s", "n", "en", "e"];

/// The units the dictation names, in the order of their first mention, each once.
pub fn candidates(dictation: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut before = "";
    for word in words_of(dictation) {
        let after_verb = std::mem::replace(&mut before, word).ends_with('t');
        let ambiguous = AMBIGUOUS.iter().find(|(short, _)| *short == word).filter(|_| !after_verb);
        let Some(unit) = ambiguous.map(|(_, full)| (*full).to_owned()).or_else(|| unit(word)) else { continue };
        if !found.iter().any(|f| format::same_text(f, &unit)) {
            found.push(unit);
        }
    }
    found
}

/// Prepositions before a unit the work goes to or is done with ("an die Stadtkasse", "beim
/// Amtsgericht", "mit dem Fachamt"); "vom", "im" are left out: "der Kollege vom Innendienst",
/// "im Bauamt wird geprüft" name who works.
const ADDRESSED_AFTER: &[&str] = &["an", "ans", "am", "zum", "zur", "zu", "beim", "bei", "für", "mit", "gegenüber"];
const ARTICLES: &[&str] = &["der", "die", "das", "den", "dem", "des", "einen", "einem", "einer"];

/// The units a clause names as the ones its work goes to, not as who does it: after a
/// preposition of direction ("Meldung ans Landesjugendamt", "Antrag beim Amtsgericht") or
/// before the instruction's closing verb ("Ausländerbehörde informieren").
pub fn addressed(clause: &str) -> Vec<String> {
    let words: Vec<&str> = words_of(clause).filter(|w| !w.is_empty()).collect();
    let lower: Vec<String> = words.iter().map(|w| w.to_lowercase()).collect();
    let mut found: Vec<String> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let Some(unit) = unit(word) else { continue };
        let before = |k: usize| i.checked_sub(k).map(|j| lower[j].as_str());
        let after_preposition = before(1).is_some_and(|w| ADDRESSED_AFTER.contains(&w))
            || (before(1).is_some_and(|w| ARTICLES.contains(&w))
                && before(2).is_some_and(|w| ADDRESSED_AFTER.contains(&w)));
        let before_closing_verb = i + 2 == words.len() && super::clauses::infinitive_like(words[i + 1]);
        if (after_preposition || before_closing_verb) && !found.iter().any(|f| format::same_text(f, &unit)) {
            found.push(unit);
        }
    }
    found
}

/// The words of a text as units are looked up in it: cut at spaces and punctuation, trimmed of
/// what is not a letter or digit (empty where two separators meet).
fn words_of(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '"' | '/'))
        .map(|raw| raw.trim_matches(|c: char| !c.is_alphanumeric()))
}

/// The unit a word names, in its base form.
fn unit(word: &str) -> Option<String> {
    if let Some((_, full)) = ABBREVIATIONS.iter().find(|(short, _)| *short == word) {
        return Some((*full).to_owned());
    }
    // "IT-Abt.": a department written short.
    if let Some(unit) = word.strip_suffix("-Abt") {
        return Some(format!("{unit}-Abteilung"));
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
    // "Bauhof-Dispo", "IT-Helpdesk": a part of the unit its first word names.
    if let Some((first, rest)) = word.split_once('-')
        && rest.starts_with(char::is_uppercase)
        && unit(first).is_some()
    {
        return Some(word.to_owned());
    }
    ENDINGS.iter().find_map(|ending| word.strip_suffix(ending).filter(|w| base(w)).map(str::to_owned))
}

/// Whether a word is the bare head of units' names ("Büro", "Amt"), a unit only with the name
/// it belongs to ("Büro des Bürgermeisters").
pub(super) fn is_unit_head(word: &str) -> bool {
    word.starts_with(char::is_uppercase) && UNIT_ENDS.contains(&word.to_lowercase().as_str())
}

/// The unit a word names, an abbreviation written out.
pub(super) fn unit_named(word: &str) -> Option<String> {
    AMBIGUOUS.iter().find(|(short, _)| *short == word).map(|(_, full)| (*full).to_owned()).or_else(|| unit(word))
}

/// The person a word names, in its base form ("Bauherrn" → "Bauherr", "Eigentümers" →
/// "Eigentümer").
pub(super) fn person_named(word: &str) -> Option<String> {
    // "Beschäftigte/r", "Mitarbeiter/in", "Bewerber*in": the person in the first form.
    let word = GENDER_MARKS.iter().find_map(|mark| word.strip_suffix(mark)).unwrap_or(word);
    if let Some((_, full)) = PEOPLE_ABBREVIATIONS.iter().find(|(short, _)| *short == word) {
        return Some((*full).to_owned());
    }
    if !word.chars().next().is_some_and(char::is_uppercase) {
        return None;
    }
    let base = |w: &str| {
        let lower = w.to_lowercase();
        PERSON_WORDS.contains(&lower.as_str())
            || (!NOT_PERSONS.iter().any(|n| lower.ends_with(n))
                && PERSON_ENDS.iter().any(|end| {
                    (lower == *end && !PERSON_PARTS.contains(end))
                        || (lower.ends_with(end) && lower.len() > end.len() + 2)
                }))
    };
    if base(word) {
        return Some(word.to_owned());
    }
    ENDINGS.iter().find_map(|ending| word.strip_suffix(ending).filter(|w| base(w)).map(str::to_owned))
}

/// Whether a role is one of the people of [`person_named`] rather than a unit.
pub(super) fn is_person(role: &str) -> bool {
    role.split_whitespace().next().is_some_and(|w| person_named(w).is_some() && unit_named(w).is_none())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_the_work_goes_to_are_told_from_those_who_do_it() {
        assert_eq!(addressed("Meldung ans Landesjugendamt zur Verteilung"), ["Landesjugendamt"]);
        assert_eq!(addressed("Vormundschaft beim Familiengericht anregen"), ["Familiengericht"]);
        assert_eq!(addressed("Dann Ausländerbehörde informieren"), ["Ausländerbehörde"]);
        assert_eq!(addressed("klären mit dem Fachamt die Felder"), ["Fachamt"]);
        for doer in [
            "Im Büro guckt dann der Kollege vom Innendienst nach",
            "Den Kurs macht dann unser Bademeister",
            "im Bauamt wird geprüft",
            "Stadtkasse überweist",
        ] {
            assert!(addressed(doer).is_empty(), "{doer}");
        }
    }

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
        let text = "Beschluss durch den Rat. Die Baumkolonne fällt, die Räumtrupps fahren, das Labor misst, \
                    der Personalrat stimmt zu. Vorrat an Schildern prüfen.";
        assert_eq!(candidates(text), ["Rat", "Baumkolonne", "Räumtrupp", "Labor", "Personalrat"].map(String::from));
        // A part of a unit named with it; a payment in advance is no cash office.
        let text = "Meldung an die Bauhof-Bereitschaft, Gebühr per Vorkasse, Bauamt-formular.";
        assert_eq!(candidates(text), ["Bauhof-Bereitschaft"].map(String::from));
    }

    #[test]
    fn people_are_named_in_their_base_form_and_are_no_units() {
        let person = |word: &str| person_named(word).unwrap_or_default();
        assert_eq!(person("Bauherrn"), "Bauherr");
        assert_eq!(person("Eigentümers"), "Eigentümer");
        assert_eq!(person("Antragsteller"), "Antragsteller");
        assert_eq!(person("Erben"), "Erben");
        assert_eq!(person("Friedhofsgärtner"), "Friedhofsgärtner");
        for thing in ["Steller", "Schalter", "Bürgerschalter", "antragsteller"] {
            assert_eq!(person_named(thing), None, "{thing}");
        }
        assert!(candidates("Der Antragsteller reicht nach, der Bürger zahlt").is_empty());
        // A firm or club without a modifier is a party from outside, with one a unit.
        assert_eq!((person("Firma"), person("Vereine")), ("Firma".to_owned(), "Verein".to_owned()));
        assert!(candidates("Die Firma zahlt, der Verein holt ab").is_empty());
        assert_eq!(candidates("Die Entsorgungsfirma und das Bauunternehmen"), ["Entsorgungsfirma", "Bauunternehmen"]);
        assert!(is_person("Bauherr") && !is_person("Bauhof") && !is_person("Amtsleiter"));
        // Written for all genders, or abbreviated as offices do.
        assert_eq!(person("Beschäftigte/r"), "Beschäftigte");
        assert_eq!(person("Bewerber*in"), "Bewerber");
        assert_eq!(person("BH"), "Bauherr");
        assert_eq!(person("Kunde"), "Kunde");
        assert_eq!(person_named("Urkunde"), None);
        // Professions a case calls in, and a unit named by a word of its own.
        for (word, base) in
            [("Amtsärztin", "Amtsärztin"), ("Facharzt", "Facharzt"), ("Notars", "Notar"), ("Gast", "Gast")]
        {
            assert_eq!(person(word), base, "{word}");
        }
        assert_eq!(
            candidates("Das Jobcenter zahlt, die Bezirksregierung genehmigt"),
            ["Jobcenter", "Bezirksregierung"]
        );
        assert_eq!(spell_out("Std. monatl. erfassen"), "Stunden monatlich erfassen");
        assert_eq!(spell_out("Vorgang z. d. A"), "Vorgang zu den Akten");
        assert_eq!(spell_out("Antr. z. d. A. nehmen"), "Antrag zu den Akten nehmen");
        assert_eq!(spell_out("FZA binnen 3 Mon. nicht mögl."), "FZA binnen 3 Monaten nicht möglich");
    }
}
