//! What a pronoun in a condition stands for. Spoken dictations ask about what the clause before
//! named: "Einwilligung des anderen Elternteils erforderlich. Liegt die nicht vor? …", "Fehlt
//! die Zusage vom neuen Friedhof, fordern wir sie an, … Liegt sie vor?". Asked about the condition
//! alone, the model copies the pronoun ("Liegt die vor?"); a modeller asks about the thing.

use super::clauses::Clause;

/// How far back a pronoun's referent may stand, in clauses: the work that requests and returns
/// the thing comes between ("fordern wir sie an", "der reicht sie nach").
const LOOK_BACK: usize = 4;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Gender {
    /// Feminine, or a plural ("die Unterlagen").
    Feminine,
    Masculine,
}

/// The pronoun's gender: personal "er", "sie", "ihn", or a demonstrative "der", "die", "den"
/// with no noun after it. "es" and "das" mostly stand for what happened ("Wenn das erfolglos
/// war"), not for a thing named, and are left alone.
fn pronoun(word: &str, next: Option<&str>) -> Option<Gender> {
    let before_noun = next.is_some_and(|n| n.chars().next().is_some_and(char::is_uppercase));
    match word {
        "er" | "ihn" => Some(Gender::Masculine),
        "sie" => Some(Gender::Feminine),
        "der" | "den" if !before_noun => Some(Gender::Masculine),
        "die" if !before_noun => Some(Gender::Feminine),
        _ => None,
    }
}

/// Endings of feminine nouns, for a noun dictated without its article ("Einwilligung des
/// anderen Elternteils erforderlich").
const FEMININE_ENDS: &[&str] = &["ung", "heit", "keit", "schaft", "ion", "tät", "enz", "anz", "erei"];
/// Endings of masculine nouns said without article (people, mostly: "Antragsteller").
const MASCULINE_ENDS: &[&str] = &["er", "ling", "ismus", "or"];

/// The gender a noun's article (or contraction) shows, `Some(None)` where it shows one that no
/// pronoun here takes up (neuter), `None` where `article` is none.
fn article_gender(article: &str, noun: &str) -> Option<Option<Gender>> {
    match article.to_lowercase().as_str() {
        "die" | "eine" | "'ne" | "keine" | "zur" | "jede" => Some(Some(Gender::Feminine)),
        "den" | "einen" | "'nen" | "keinen" | "jeden" => Some(Some(Gender::Masculine)),
        // Also the feminine dative: "bei der Stadtkasse".
        "der" => Some(gender_by_ending(noun).or(Some(Gender::Masculine))),
        // Masculine or neuter: the ending tells a masculine ("beim Vermieter", not "zum Gespräch").
        "beim" | "vom" | "zum" | "dem" | "im" | "am" => {
            Some(gender_by_ending(noun).filter(|g| *g == Gender::Masculine))
        }
        "das" | "ein" | "kein" | "des" | "eines" => Some(None),
        _ => None,
    }
}

fn gender_by_ending(noun: &str) -> Option<Gender> {
    let lower = noun.to_lowercase();
    if FEMININE_ENDS.iter().any(|e| lower.ends_with(e)) {
        Some(Gender::Feminine)
    } else if MASCULINE_ENDS.iter().any(|e| lower.ends_with(e)) {
        Some(Gender::Masculine)
    } else {
        None
    }
}

fn bare(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')
}

fn is_adjective(word: &str) -> bool {
    word.chars().all(char::is_lowercase) && ["e", "en", "er", "es", "em"].iter().any(|e| word.ends_with(e))
}

fn is_noun(word: &str) -> bool {
    let w = bare(word);
    w.chars().next().is_some_and(char::is_uppercase) && w.chars().skip(1).any(char::is_lowercase)
}

/// The nouns of a clause with the gender their article or ending shows, each with the words that
/// name it: adjectives after the article, the noun, and one attribute after it ("des anderen
/// Elternteils", "vom neuen Friedhof").
fn nouns(text: &str) -> Vec<(Gender, String)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut found = Vec::new();
    for (i, word) in words.iter().enumerate() {
        // The first word of a clause is capitalised whatever it is; a noun there has no article.
        if !is_noun(word) || (i == 0 && super::clauses::looks_like_verb(bare(word))) {
            continue;
        }
        let noun = bare(word);
        // One adjective between article and noun belongs to the name ("die schriftliche Zusage").
        let first = if i >= 2 && article_gender(bare(words[i - 2]), noun).is_some() && is_adjective(bare(words[i - 1]))
        {
            i - 1
        } else {
            i
        };
        let gender = match first.checked_sub(1).and_then(|k| article_gender(bare(words[k]), noun)) {
            Some(g) => g,
            None => gender_by_ending(noun),
        };
        let Some(gender) = gender else { continue };
        let mut last = i;
        if words.get(i + 1).is_some_and(|w| matches!(bare(w), "des" | "der" | "vom" | "von"))
            && let Some(noun) = (i + 2..(i + 5).min(words.len())).find(|&j| is_noun(words[j]))
        {
            last = noun;
        }
        let phrase: Vec<&str> = words[first..=last].iter().map(|w| bare(w)).collect();
        found.push((gender, phrase.join(" ")));
    }
    found
}

/// The condition at `at` with its pronoun replaced by what it stands for, where the condition
/// names no thing itself: "Liegt die nicht vor?" → "Liegt die Einwilligung des anderen
/// Elternteils nicht vor?". The referent is the first noun of the pronoun's gender in the
/// nearest clause before that names one; a clause that takes the thing up with the same
/// pronoun again ("fordern wir sie an") is passed over.
pub(super) fn resolved(clauses: &[Clause], at: usize) -> Option<String> {
    let text = &clauses.get(at)?.text;
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.iter().skip(1).any(|w| is_noun(w)) {
        return None;
    }
    let (k, gender) = words.iter().enumerate().find_map(|(k, w)| {
        let next = words.get(k + 1).map(|n| bare(n));
        pronoun(bare(w), next).map(|g| (k, g))
    })?;
    let referent = (at.saturating_sub(LOOK_BACK)..at)
        .rev()
        .find_map(|c| nouns(&clauses[c].text).into_iter().find(|(g, _)| *g == gender).map(|(_, phrase)| phrase))?;
    let pronoun_word = bare(words[k]);
    let replacement = match pronoun_word {
        "der" | "die" | "den" => format!("{pronoun_word} {referent}"),
        _ => referent,
    };
    let mut out: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
    out[k] = words[k].replace(pronoun_word, &replacement);
    Some(out.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draft::clauses::ClauseKind;

    fn clauses(texts: &[&str]) -> Vec<Clause> {
        texts
            .iter()
            .map(|t| Clause {
                text: (*t).to_owned(),
                kind: if t.ends_with('?') { ClauseKind::Condition } else { ClauseKind::Plain },
                negated: false,
            })
            .collect()
    }

    #[test]
    fn a_pronoun_in_a_condition_stands_for_the_thing_named_before() {
        let said = clauses(&["Einwilligung des anderen Elternteils erforderlich", "Liegt die nicht vor?"]);
        assert_eq!(resolved(&said, 1).as_deref(), Some("Liegt die Einwilligung des anderen Elternteils nicht vor?"));
        let said = clauses(&[
            "Fehlt die Zusage vom neuen Friedhof",
            "fordern wir sie beim Antragsteller an",
            "der reicht sie dann nach",
            "Liegt sie vor?",
        ]);
        assert_eq!(resolved(&said, 3).as_deref(), Some("Liegt Zusage vom neuen Friedhof vor?"));
        let said = clauses(&["fragen wir beim Vermieter nach", "Sagt der nein?"]);
        assert_eq!(resolved(&said, 1).as_deref(), Some("Sagt der Vermieter nein?"));
        let said = clauses(&["Wir laden den Jugendlichen zum Gespräch", "Erscheint er nicht?"]);
        assert_eq!(resolved(&said, 1).as_deref(), Some("Erscheint Jugendlichen nicht?"));
        let said = clauses(&["Antragsteller entscheidet", "Lehnt er ab?"]);
        assert_eq!(resolved(&said, 1).as_deref(), Some("Lehnt Antragsteller ab?"));
    }

    #[test]
    fn a_condition_that_names_its_thing_or_has_no_referent_stays() {
        let said = clauses(&["Wir prüfen den Antrag", "Liegt die Vollmacht vor?"]);
        assert_eq!(resolved(&said, 1), None);
        let said = clauses(&["Wir prüfen das Gutachten", "Liegt die vor?"]);
        assert_eq!(resolved(&said, 1), None);
        let said = clauses(&["Die Vollstreckung läuft", "Wenn das erfolglos war"]);
        assert_eq!(resolved(&said, 1), None);
    }
}
