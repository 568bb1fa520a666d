//! A speaker's corrections: a word said again in its right form ("drei, nein, fünf Werktage")
//! replaces the one said, and work said to come first ("…, nein, erst …") is put first.

use std::sync::LazyLock;

use regex::Regex;

use super::verbs::{common_start, infinitive_like, looks_like_verb, without_ge};
use super::{Clause, words};

/// A sentence cut where the speaker corrects the order ("…, nein, erst …", "… – ach nee, vorher
/// noch …", "…, nein, Moment, erst …"): what was said, and the work that comes before it, without
/// the correction's words.
pub(super) fn corrected(sentence: &str) -> (&str, Option<&str>) {
    static CORRECTION: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)[,;:–-]\s*(?:ach\s+)?(?:nein|nee|quatsch)\b[,:]?\s*(?:moment\b[,:]?\s*)?(?:vorher|erst|zuerst|davor)\b(?:\s+noch\b)?[,:]?\s*",
        )
        .expect("valid regex")
    });
    match CORRECTION.find(sentence) {
        Some(m) if m.end() < sentence.len() => (&sentence[..m.start()], Some(&sentence[m.end()..])),
        _ => (sentence, None),
    }
}

/// Words that open a correction of the order, or go on without correcting ("nein, dann …").
const NOT_REPLACING: &[&str] =
    &["vorher", "erst", "zuerst", "davor", "moment", "dann", "sonst", "wenn", "falls", "doch", "ja", "nein"];

/// Words a correction is not said after: "wenn nein, …" and "ja, nein" are answers.
const ANSWERED: &[&str] = &["ja", "wenn", "falls", "oder", "und"];

/// Number words a speaker corrects ("drei, nein, fünf Werktage").
const NUMBER_WORDS: &[&str] = &[
    "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun", "zehn", "elf", "zwölf", "zwanzig", "dreißig",
    "vierzig", "fünfzig", "hundert", "tausend",
];

/// Prepositions a correction may say again to replace the phrase they open.
const PREPOSITIONS: &[&str] =
    &["nach", "vor", "bis", "ab", "an", "mit", "bei", "beim", "für", "um", "zum", "zur", "über", "unter", "pro", "im"];

/// Whether a correction, up to its comma, is a phrase of a few words without a verb.
fn phrase_only(correction: &str) -> bool {
    let part = correction.split([',', ';', '.']).next().unwrap_or_default();
    part.split_whitespace().count() <= 4 && !part.split_whitespace().skip(1).any(looks_like_verb)
}

/// The kind of word a correction replaces with its own of the same kind.
#[derive(PartialEq)]
enum WordKind {
    Number,
    Article,
    Verb,
    Noun,
}

fn word_kind(word: &str) -> Option<WordKind> {
    let word = word.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'');
    let lower = word.to_lowercase();
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        || NUMBER_WORDS.contains(&lower.as_str())
    {
        Some(WordKind::Number)
    } else if matches!(
        lower.as_str(),
        "der" | "die" | "das" | "den" | "dem" | "ein" | "eine" | "einen" | "'ne" | "'nen"
    ) {
        Some(WordKind::Article)
    } else if looks_like_verb(word) || infinitive_like(word) {
        Some(WordKind::Verb)
    } else if word.starts_with(char::is_uppercase) && word.chars().count() >= 3 {
        Some(WordKind::Noun)
    } else {
        None
    }
}

/// A speaker's correction of a word ("drei, nein, fünf Werktagen", "250 Euro, nein, Quatsch,
/// 200 Euro", "die Stadtkasse, nein, der Fachbereich", "informiert, nein, zustimmen"): the
/// correction replaces what was said back to the last word of its own kind (a number, an
/// article, a verb, a noun), within the words since the last comma; "…, nein, das ist falsch"
/// takes all of them back. Left in, both versions became steps ("Informiert, nein, zustimmen").
/// A correction of the order ("nein, erst …") is [`corrected`]'s.
pub(super) fn replaced(sentence: &str) -> String {
    static MARK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i),\s*(?:ach\s+)?(?:nein|nee)\b,?\s*(?:quatsch\b,?\s*)?").expect("valid regex")
    });
    static TAKEN_BACK: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^(?:das\s+(?:ist|war)\s+falsch|das\s+stimmt\s+nicht|falsch)\b,?\s*").expect("valid regex")
    });
    let mut text = sentence.to_owned();
    let mut from = 0;
    while let Some(mark) = MARK.find_at(&text, from) {
        let (said, correction) = (&text[..mark.start()], &text[mark.end()..]);
        let segment = said.rfind(',').map_or(0, |i| i + 1);
        // Each word since the last comma, with its byte offset in `said` (a subslice of it).
        let said_words: Vec<(usize, &str)> =
            said[segment..].split_whitespace().map(|w| (w.as_ptr() as usize - said.as_ptr() as usize, w)).collect();
        let first = correction.split_whitespace().next().unwrap_or("");
        let first_lower = first.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
        let answered = said_words.last().is_none_or(|(_, w)| ANSWERED.contains(&w.to_lowercase().as_str()));
        // "…, nein, die Schule bestätigt zuerst": the order is corrected, not a word.
        let reordered = correction.split(',').next().is_some_and(|part| {
            words(&part.to_lowercase()).any(|w| matches!(w, "vorher" | "erst" | "zuerst" | "davor"))
        });
        let cut = if answered || reordered || NOT_REPLACING.contains(&first_lower.as_str()) {
            None
        } else if let Some(back) = TAKEN_BACK.find(correction) {
            Some((said_words[0].0, mark.end() + back.end()))
        } else if PREPOSITIONS.contains(&first_lower.as_str()) && phrase_only(correction) {
            // "nach zehn Fehltagen, nein, nach fünf": the phrase from its preposition on; not
            // "beim Kreis, nein, beim Kreis heißt das jetzt Umweltamt", which renames.
            said_words
                .iter()
                .rev()
                .take(6)
                .find(|(_, w)| w.to_lowercase() == first_lower)
                .map(|&(at, _)| (at, mark.end()))
        } else {
            let kind = word_kind(first);
            said_words
                .iter()
                .rev()
                .take(4)
                .find(|(_, w)| kind.is_some() && word_kind(w) == kind)
                .map(|&(at, _)| (at, mark.end()))
        };
        match cut {
            Some((start, end)) => {
                // A whole part taken back takes its comma with it.
                let kept =
                    if start == said_words[0].0 { text[..start].trim_end_matches([',', ' ']) } else { &text[..start] };
                let joined = format!("{} {}", kept.trim_end(), &text[end..]);
                from = kept.trim_end().len();
                text = joined.trim().to_owned();
            }
            None => from = mark.end(),
        }
    }
    text
}

/// Puts the clauses of a correction (`first`) before the work said just before it, the clauses
/// from `from` on. Work the correction says again after its own first clause ("…, nein, erst B,
/// dann A") has its place there, so the earlier mention goes; otherwise ("… A – nein, vorher
/// noch B") B goes before the last clause said, and that clause's new index is returned.
pub(super) fn put_first(clauses: &mut Vec<Clause>, from: usize, first: Vec<Clause>) -> Option<usize> {
    let restated = |c: &Clause| first.iter().skip(1).any(|later| shared_words(&later.text, &c.text) >= 1);
    let mut keep = clauses.len();
    while keep > from && restated(&clauses[keep - 1]) {
        keep -= 1;
    }
    if keep < clauses.len() || clauses.len() == from {
        clauses.truncate(keep);
        clauses.extend(first);
        None
    } else {
        let last = clauses.pop().expect("a clause after from");
        clauses.extend(first);
        clauses.push(last);
        Some(clauses.len() - 1)
    }
}

/// How many words of `later` name words of `earlier` again: words of five letters or more that
/// agree up to an ending of four letters and a participle's "ge" ("gedruckt" / "drucken",
/// "unterschrieben" / "unterschreibt"; not "Unterlagen").
pub(super) fn shared_words(later: &str, earlier: &str) -> usize {
    let content = |text: &str| -> Vec<String> {
        words(&text.to_lowercase())
            .filter(|w| w.chars().count() >= 5 && !matches!(*w, "werden" | "wurde" | "haben" | "machen" | "macht"))
            .map(without_ge)
            .collect()
    };
    let earlier = content(earlier);
    content(later)
        .iter()
        .filter(|x| {
            earlier.iter().any(|y| {
                let common = common_start(x, y);
                common >= 5 && common + 4 >= x.chars().count().min(y.chars().count())
            })
        })
        .count()
}
