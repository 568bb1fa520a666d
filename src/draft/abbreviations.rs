//! Abbreviations a dictation defines itself: "Beherbergungsbetrieb (BB)", "StA (Steueramt)",
//! "Kommunaler Schadenausgleich (KSA)". Such a definition outranks the general list in
//! [`super::roles::spell_out`], where "BB" is the Bürgerbüro and "StA" the Standesamt, and
//! it spells out an abbreviation no list knows. The dictation is read with every later use
//! written out and the brackets dropped, so the model, the role rules and the names see the
//! unit by its name.

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

/// A name of one to three words, each opening in upper case ("Steueramt", "Zentrale
/// Vergabestelle").
fn is_name(words: &[&str]) -> bool {
    !words.is_empty()
        && words.len() <= 3
        && words.iter().all(|w| w.starts_with(char::is_uppercase) && w.chars().all(|c| c.is_alphabetic() || c == '-'))
}

/// One definition in the dictation: the byte range of "name (short)" or "short (name)", and
/// the pair.
struct Definition {
    range: std::ops::Range<usize>,
    short: String,
    full: String,
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
            let fitting = (1..=3.min(words.len())).find(|&n| {
                let name = &words[words.len() - n..];
                is_name(name) && abbreviates(inner, &name.join(" "))
            });
            if let Some(n) = fitting {
                let name = &words[words.len() - n..];
                let range = offset(name[0])..bracket.end();
                found.push(Definition { range, short: inner.to_owned(), full: name.join(" ") });
            }
        } else if let Some(short) = words.last().filter(|w| is_abbreviation(w)) {
            let name: Vec<&str> = inner.split_whitespace().collect();
            if is_name(&name) && abbreviates(short, inner) {
                found.push(Definition {
                    range: offset(short)..bracket.end(),
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
    let found = definitions(text);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut reduced = String::with_capacity(text.len());
    let mut at = 0;
    for definition in &found {
        reduced.push_str(&text[at..definition.range.start]);
        reduced.push_str(&definition.full);
        at = definition.range.end;
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
