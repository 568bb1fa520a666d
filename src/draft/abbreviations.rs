//! Abbreviations a dictation defines itself: "Beherbergungsbetrieb (BB)", "StA (Steueramt)",
//! "Kommunaler Schadenausgleich (KSA)". Such a definition outranks the general list in
//! [`super::roles::spell_out`], where "BB" is the Bürgerbüro and "StA" the Standesamt, and
//! it spells out an abbreviation no list knows. The dictation is read with every later use
//! written out and the brackets dropped, so the model, the role rules and the names see the
//! unit by its name. A name written out before an abbreviation's first use defines it too
//! ("Kopie an Fachkraft für Arbeitssicherheit. FaSi macht …").

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;

/// An abbreviation as dictated: two to six letters, the first and at least one more in upper
/// case ("BB", "StA", "KuA", "ZVS").
fn is_abbreviation(word: &str) -> bool {
    let count = word.chars().count();
    (2..=6).contains(&count)
        && word.chars().all(char::is_alphabetic)
        && word.starts_with(char::is_uppercase)
        && word.chars().filter(|c| c.is_uppercase()).count() >= 2
}

/// Whether `short` abbreviates `full`: the same first letter, and its letters found in `full`
/// in order, case aside ("StA" in "Steueramt", "KSA" in "Kommunaler Schadenausgleich"), so an
/// aside such as "Fachkraft (ASD)" or "Yilmaz (Kasse)" defines nothing.
fn abbreviates(short: &str, full: &str) -> bool {
    let full = full.to_lowercase();
    let mut letters = full.chars();
    let short = short.to_lowercase();
    short.chars().next() == full.chars().next() && short.chars().all(|c| letters.any(|l| l == c))
}

/// Whether a word is an abbreviation that no general list of units, people or things knows
/// ("KA", "KMBD", "FaSi"; not "AL", "BV").
pub(super) fn is_unknown(word: &str) -> bool {
    is_abbreviation(word) && !super::roles::is_known_abbreviation(word)
}

/// Lower-case words a name may hold between its capitalised ones ("Fachkraft für
/// Arbeitssicherheit").
const NAME_JOINERS: &[&str] = &["für", "der", "des", "und"];

/// A name of one to four words, the first and the last opening in upper case, those between
/// too or joining them ("Steueramt", "Zentrale Vergabestelle", "Fachkraft für
/// Arbeitssicherheit").
fn is_name(words: &[&str]) -> bool {
    let capitalised = |w: &&str| w.starts_with(char::is_uppercase);
    let joiner = |w: &&str| NAME_JOINERS.contains(w);
    words.first().is_some_and(|w| capitalised(w) && !joiner(&w.to_lowercase().as_str()))
        && words.last().is_some_and(capitalised)
        && words.len() <= 4
        && words.iter().all(|w| (capitalised(w) || joiner(w)) && w.chars().all(|c| c.is_alphabetic() || c == '-'))
}

/// One definition in the dictation: the byte range of "name (short)" or "short (name)" (none
/// where the name stands written out before the abbreviation's first use), and the pair.
struct Definition {
    range: Option<std::ops::Range<usize>>,
    short: String,
    full: String,
}

/// The abbreviations of three letters or more that the dictation uses after writing their name
/// out without brackets ("Kopie an Fachkraft für Arbeitssicherheit. FaSi macht …"), each with
/// the nearest name of one to four words before its first use that it abbreviates. Shorter
/// abbreviations fit too many names by their letters; known ones keep their general meaning.
fn written_before(text: &str, defined: &[Definition]) -> Vec<Definition> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let core = |w: &str| w.trim_matches(|c: char| !c.is_alphanumeric()).to_owned();
    let mut found: Vec<Definition> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        let short = core(word);
        let unknown =
            is_unknown(&short) && short.chars().count() >= 3 && !defined.iter().chain(&found).any(|d| d.short == short);
        if !unknown {
            continue;
        }
        let fits = |s: usize, e: usize| {
            let name: Vec<String> = words[s..=e].iter().map(|w| core(w)).collect();
            let name: Vec<&str> = name.iter().map(String::as_str).collect();
            // A name stays within its sentence: only its last word may end one.
            words[s..e].iter().all(|w| !w.ends_with(['.', ',', ':', ';', '?', '!']))
                && is_name(&name)
                && !name.iter().any(|w| is_abbreviation(w))
                && abbreviates(&short, &name.join(" "))
        };
        let nearest =
            (0..i).rev().find_map(|e| (0..4).filter_map(|n| e.checked_sub(n)).find(|&s| fits(s, e)).map(|s| (s, e)));
        if let Some((s, e)) = nearest {
            let full = words[s..=e].iter().map(|w| core(w)).collect::<Vec<_>>().join(" ");
            found.push(Definition { range: None, short, full });
        }
    }
    found
}

static BRACKETED: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\(([^()]{1,60})\)").expect("valid regex"));

/// The definitions in `text`, in order.
fn definitions(text: &str) -> Vec<Definition> {
    let mut found = Vec::new();
    for caps in BRACKETED.captures_iter(text) {
        let (bracket, inner) = (caps.get(0).expect("whole match"), caps[1].trim());
        let before = text[..bracket.start()].trim_end();
        let words: Vec<&str> = before.split_whitespace().collect();
        // Where a word of `before` begins: the words may stand apart by more than one space.
        let offset = |word: &str| word.as_ptr() as usize - before.as_ptr() as usize;
        if is_abbreviation(inner) {
            // "Kommunaler Schadenausgleich (KSA)": the fewest words before the bracket that
            // the abbreviation fits.
            let fitting = (1..=4.min(words.len())).find(|&n| {
                let name = &words[words.len() - n..];
                is_name(name) && abbreviates(inner, &name.join(" "))
            });
            if let Some(n) = fitting {
                let name = &words[words.len() - n..];
                let range = Some(offset(name[0])..bracket.end());
                found.push(Definition { range, short: inner.to_owned(), full: name.join(" ") });
            }
        } else if let Some(short) = words.last().filter(|w| is_abbreviation(w)) {
            let name: Vec<&str> = inner.split_whitespace().collect();
            if is_name(&name) && abbreviates(short, inner) {
                found.push(Definition {
                    range: Some(offset(short)..bracket.end()),
                    short: (*short).to_owned(),
                    full: inner.to_owned(),
                });
            }
        }
    }
    found
}

/// `text` with the abbreviations it defines written out wherever they stand as a word, each
/// definition reduced to the name: "BB meldet sich beim StA (Steueramt)" → "BB meldet sich
/// beim Steueramt" (and "BB" too, where "Beherbergungsbetrieb (BB)" came before). Text that
/// defines none is returned as it is.
pub fn spelled_out(text: &str) -> Cow<'_, str> {
    let mut found = definitions(text);
    found.extend(written_before(text, &found));
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut reduced = String::with_capacity(text.len());
    let mut at = 0;
    for (definition, range) in found.iter().filter_map(|d| Some((d, d.range.clone()?))) {
        reduced.push_str(&text[at..range.start]);
        reduced.push_str(&definition.full);
        at = range.end;
    }
    reduced.push_str(&text[at..]);
    for definition in &found {
        let used = Regex::new(&format!(r"\b{}\b", regex::escape(&definition.short)))
            .expect("an escaped word is a valid regex");
        reduced = used.replace_all(&reduced, regex::NoExpand(&definition.full)).into_owned();
    }
    Cow::Owned(reduced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_defined_abbreviation_is_written_out_wherever_it_is_used() {
        for (text, expected) in [
            (
                "Beherbergungsbetrieb (BB) meldet sich. BB zahlt bis zum 15.",
                "Beherbergungsbetrieb meldet sich. Beherbergungsbetrieb zahlt bis zum 15.",
            ),
            (
                "BB meldet sich per Formular beim StA (Steueramt), StA prüft",
                "BB meldet sich per Formular beim Steueramt, Steueramt prüft",
            ),
            (
                "Meldung an den Kommunalen Schadenausgleich (KSA). Erkennt der KSA an, zahlt er",
                "Meldung an den Kommunalen Schadenausgleich. Erkennt der Kommunalen Schadenausgleich an, zahlt er",
            ),
            ("Angebote an die Zentrale Vergabestelle (ZVS).", "Angebote an die Zentrale Vergabestelle."),
            (
                "Fachkraft für Arbeitssicherheit (FaSi) begeht. FaSi schreibt",
                "Fachkraft für Arbeitssicherheit begeht. Fachkraft für Arbeitssicherheit schreibt",
            ),
            // Words set apart by more than one space, the first opening with a letter of two bytes.
            (
                "an die Örtliche  Übergabestelle (ÖÜ), ÖÜ prüft",
                "an die Örtliche Übergabestelle, Örtliche Übergabestelle prüft",
            ),
            (
                "Rücklastschrift (RL)\n- RL prüfen, RL-Liste führen",
                "Rücklastschrift\n- Rücklastschrift prüfen, Rücklastschrift-Liste führen",
            ),
        ] {
            assert_eq!(spelled_out(text), expected, "{text}");
        }
    }

    #[test]
    fn an_abbreviation_used_after_its_name_was_written_out_is_that_name() {
        assert_eq!(
            spelled_out("Kopie an Fachkraft für Arbeitssicherheit. FaSi macht Unfalluntersuchung"),
            "Kopie an Fachkraft für Arbeitssicherheit. Fachkraft für Arbeitssicherheit macht Unfalluntersuchung"
        );
        // Two letters fit too many names; a name after the use, or across a sentence, is none.
        for text in [
            "Kulturpreis der Stadt. KA schreibt aus",
            "FaSi macht Unfalluntersuchung. Fachkraft für Arbeitssicherheit berät",
            "Kopie an die Fachkraft. Für Arbeitssicherheit sorgt FaSi",
        ] {
            assert_eq!(spelled_out(text), text);
        }
    }

    #[test]
    fn an_aside_in_brackets_defines_nothing() {
        for text in [
            "Fallführende Fachkraft (ASD) prüft",
            "Frau Yilmaz (Kasse) bucht",
            "FaSi (Hr. Demir) begeht den Arbeitsplatz",
            "Waffenbehörde (Kreis) entscheidet",
            "Gebühr (50 €) zahlen",
            "Liegenschaftskataster (ALKIS) abfragen",
        ] {
            assert_eq!(spelled_out(text), text);
        }
    }
}
