//! Where one sentence is cut into clauses: before a next step's connective ("dann", "sonst",
//! ", wenn"), after a condition said verb first, a colon's state, an occasion with "bei", a limit
//! with its figure, and between pieces of work that each have their own verb.

use std::sync::LazyLock;

use regex::Regex;

use super::verbs::{
    INSEPARABLE, MODALS, SHORT_FINITE, ends_in_infinitive, ends_in_state, infinitive_like, looks_finite,
    looks_like_verb, may_be_verb, without_ge,
};
use super::{CONDITION, MISSING, NEGATIONS, first_word, is_fee, is_instruction, opens_condition, words};

/// Words that open a limit with its figure ("bis 5.000 Euro", "mehr als 20 Stunden").
pub(super) const LIMITS: &[&str] = &["bis", "ab", "über", "unter", "mehr", "weniger", "mindestens", "höchstens"];

/// Words that begin a sentence without being its verb.
const NOT_A_VERB: &[&str] = &[
    "der",
    "die",
    "das",
    "dies",
    "diese",
    "dieser",
    "wir",
    "ich",
    "er",
    "sie",
    "es",
    "man",
    "dann",
    "danach",
    "zuerst",
    "zunächst",
    "nun",
    "jetzt",
    "hier",
    "da",
    "dort",
    "am",
    "im",
    "in",
    "bei",
    "nach",
    "vor",
    "für",
    "mit",
    "von",
    "zum",
    "zur",
    "und",
    "oder",
    "aber",
    "auch",
    "so",
    "den",
    "dem",
    "ein",
    "eine",
    "einen",
    "alle",
    "jede",
    "jeder",
    "jedes",
];

/// Words that follow a sentence-initial verb ("Schafft es …", "Können wir …", "Liegen alle …").
const AFTER_VERB: &[&str] = &[
    "es",
    "das",
    "der",
    "die",
    "dies",
    "wir",
    "ich",
    "er",
    "sie",
    "man",
    "alle",
    "keine",
    "kein",
    "ein",
    "eine",
    "nicht",
    "den",
    "dem",
    "noch",
    "was",
    "etwas",
    "alles",
    "nichts",
    "jemand",
    "irgendwas",
];

/// A sentence that opens with its verb and goes on after a comma is a condition in German
/// ("Schafft es das nicht, muss es …", "Kann ein Platz angeboten werden, erhalten …"): cut there.
/// The verb is known by the word after it (a pronoun or an article), or by the main clause after
/// the comma, which puts its verb first as well ("Bestätigt sich der Verdacht, erarbeiten wir …",
/// "Gibt's Einträge, hören wir …").
pub(super) fn verb_first(sentence: &str) -> Vec<String> {
    let mut words = sentence.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphabetic()).to_lowercase());
    let (Some(first), Some(second)) = (words.next(), words.next()) else { return vec![sentence.to_owned()] };
    let capitalised = sentence.chars().next().is_some_and(char::is_uppercase);
    match sentence.find(',') {
        // The verb's subject comes before the comma: "Ehrlich, die Hälfte …" and a heading
        // "Unterhaltsvorschuss, das macht …" are no condition.
        // A colon before the comma ends a condition already ("Fehlt die: Kunde reicht nach, dann
        // …"): the colon's rule cuts there.
        // After a semicolon the sentence opens in lower case ("…; lehnt AG ab, teilt SB … mit"):
        // then the main clause after the comma must say it. An "ob …" after the comma is what
        // the verb asks about, no main clause: "Schau ich nochmal rein, ob …" is work.
        Some(comma)
            if !sentence[..comma].contains(':')
                && !sentence[comma + 1..].trim_start().to_lowercase().starts_with("ob ")
                && sentence[..comma].split_whitespace().count() >= 2
                && !NOT_A_VERB.contains(&first.as_str())
                && !CONDITION.contains(&first.as_str())
                && ((capitalised && (AFTER_VERB.contains(&second.as_str()) || MISSING.contains(&first.as_str())))
                    || (opens_with_verb(sentence) && answers_condition(&sentence[comma + 1..]))) =>
        {
            vec![format!("{}?", sentence[..comma].trim()), sentence[comma + 1..].trim().to_owned()]
        }
        _ => vec![sentence.to_owned()],
    }
}

/// Pronouns and articles that stand right after a main clause's first verb ("hören wir",
/// "muss das Wasserwerk").
const SUBJECTS: &[&str] = &["wir", "ich", "er", "sie", "es", "man", "der", "die", "das", "den"];

/// Whether a sentence's first word reads as its verb, with a word after it that is none: "Bestätigt
/// sich …", "Gibt's …", "Ist eh …", but not the subject of "Unterlagen kommen …" nor a unit.
fn opens_with_verb(sentence: &str) -> bool {
    let mut words = sentence.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphabetic()));
    let (Some(first), Some(second)) = (words.next(), words.next()) else { return false };
    let lower = first.to_lowercase();
    let verb = lower.strip_suffix("'s").or_else(|| lower.strip_suffix("’s")).unwrap_or(&lower);
    (looks_like_verb(verb) || SHORT_FINITE.contains(&verb) || MODALS.contains(&verb))
        && !looks_like_verb(second)
        && crate::draft::roles::candidates(first).is_empty()
}

/// Whether the words after a comma open a main clause with its verb and then its subject ("hören
/// wir den Antragsteller an", "muss das Wasserwerk ran", "gibt's 'ne Ablehnung"), or an
/// instruction ("Fall schließen"): the answer to a verb-first condition before the comma.
fn answers_condition(rest: &str) -> bool {
    let next = up_to_comma(rest);
    let mut words = next.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphabetic()));
    let (Some(verb), Some(subject)) = (words.next(), words.next()) else { return false };
    let with_it = verb.ends_with("'s") || verb.ends_with("’s");
    let finite = verb.chars().all(|c| c.is_lowercase() || c == '\'' || c == '’')
        && (with_it || looks_like_verb(verb) || MODALS.contains(&verb));
    // The subject may be a unit or office by name or abbreviation ("trägt SB sie ein",
    // "beantragt AL Auszahlung").
    let named = !crate::draft::roles::candidates(subject).is_empty()
        || (subject.chars().count() >= 2 && subject.chars().all(char::is_uppercase));
    (finite && (with_it || named || SUBJECTS.contains(&subject.to_lowercase().as_str()))) || is_instruction(next)
}

/// "Bis 5.000 Euro entscheidet die Sachbearbeitung, darüber die Kämmerei": a limit with its
/// figure, said first, is the condition of the work after it, and "darüber"/"darunter" after a
/// comma its other side, whose verb the speaker left out. Said as one clause, it was a remark
/// the model skipped. A lower limit also counts with what is counted and without a verb after
/// it ("bei mehr als 20 Std./Monat vorher Zustimmung einholen", "ab 500 erwarteten Besuchern
/// zusätzlich ins Monatsheft"), and a limit is a condition on its own ("Kosten über 500 €").
pub(super) fn threshold(sentence: &str) -> Vec<String> {
    // The limit opens the sentence or a part of it after a comma ("Eintrag freischalten, ab 500
    // Besuchern zusätzlich ins Monatsheft").
    for start in std::iter::once(0).chain(outer_commas(sentence).into_iter().map(|i| i + 2)) {
        let limited = limit(&sentence[start..]);
        if limited.len() > 1 || limited.first().is_some_and(|c| c.ends_with('?')) {
            let before = sentence[..start].trim_end_matches([',', ' ']);
            return std::iter::once(before.to_owned()).chain(limited).filter(|p| !p.trim().is_empty()).collect();
        }
    }
    vec![sentence.to_owned()]
}

/// The limit that opens `sentence` and the work after it (see [`threshold`]); the sentence
/// alone where none does.
pub(super) fn limit(sentence: &str) -> Vec<String> {
    static LIMIT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^((?:bis|ab|über|unter|mehr\s+als|weniger\s+als)\s+(?:ca\.\s*)?\d[\d.,]*\s*(?:T€|€|Euro|km|m|qm|Tage[n]?|Wochen|Monate[n]?|Jahre[n]?|Prozent|%)?)\s+(\p{Ll}+)\b")
            .expect("valid regex")
    });
    // A lower limit on what is counted: the figure, then a unit or a noun (with an adjective);
    // not a time of day or a date ("ab 8 Uhr", "ab 1.3.").
    static COUNTED: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?i:bei\s+)?((?i:ab|über|mehr\s+als|weniger\s+als|unter|mindestens)\s+(?:ca\.\s*)?\d[\d.,]*\s*(?:€|%|(?:\p{Ll}+\s+)?\p{Lu}[\p{L}./²³]*))(?:\s+(.*\p{L}.*))?$")
            .expect("valid regex")
    });
    // A limit on its own, on what a noun names: "Kosten über 500 €", "Gartenfläche unter 25 m²".
    static ALONE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^\p{Lu}[\p{L}-]*\s+(?i:über|unter|ab|bis|mehr\s+als|weniger\s+als|mindestens|höchstens)\s+(?:ca\.\s*)?\d[\d.,]*\s*(?:T€|€|Euro|%|Prozent|m²|qm|km|m)?$")
            .expect("valid regex")
    });
    static DATE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\d\.\d{1,2}\.|(?i)\buhr\b").expect("valid regex"));
    static OTHER_SIDE: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?i),\s*(darüber|darunter|drüber|drunter)\s+").expect("valid regex"));
    let sentence = sentence.trim();
    // "Gebühr bis 100 €" says what the service costs (see `Clause::fee_note`).
    let fee = is_fee(&first_word(sentence));
    let alone = sentence.trim_end_matches('.');
    if ALONE.is_match(alone) && !fee {
        return vec![format!("{alone}?")];
    }
    let Some(limit) = LIMIT.captures(sentence).filter(|l| looks_finite(&l[2])) else {
        // A question already ("Über 1.400 € netto im Monat?") stays whole.
        return match COUNTED.captures(sentence).filter(|_| !sentence.ends_with('?')) {
            Some(counted) if !DATE.is_match(&counted[1]) => {
                let condition = format!("{}?", counted[1].trim_end_matches([',', '.']));
                let work = counted.get(2).map(|w| w.as_str().trim_start_matches([',', ' ']).to_owned());
                std::iter::once(condition).chain(work.filter(|w| !w.is_empty())).collect()
            }
            _ => vec![sentence.to_owned()],
        };
    };
    let verb = &limit[2];
    let condition = format!("{}?", &limit[1]);
    let work = &sentence[limit.get(2).expect("verb").start()..];
    match OTHER_SIDE.captures(work) {
        Some(other) => {
            let whole = other.get(0).expect("match");
            let rest = &work[whole.end()..];
            let said = rest
                .split_whitespace()
                .next()
                .is_some_and(|w| looks_finite(w) || infinitive_like(w) || MODALS.contains(&w));
            let other_work = if said { rest.to_owned() } else { format!("{verb} {rest}") };
            vec![condition, work[..whole.start()].to_owned(), format!("{}?", &other[1]), other_work]
        }
        None => vec![condition, work.to_owned()],
    }
}

/// Splits a sentence before the connectives that open another step or branch: "…, dann …",
/// "…, wenn …", "…, sonst …", "… und dann …", and before the question a check asks ("prüft,
/// ob …"), which is the condition of what follows.
pub(super) fn connectives(sentence: &str) -> Vec<String> {
    static CUT: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?:,\s*und|,|\bund),?\s+(?:(dann|danach|anschließend|daraufhin|zum schluss|abschließend|zuletzt)\b|(sonst|andernfalls|ansonsten|anderenfalls|wenn|falls|sofern|ob|fehlt|fehlen)\b)",
        )
        .expect("valid regex")
    });
    let mut pieces = Vec::new();
    let mut start = 0;
    for m in CUT.captures_iter(sentence) {
        let whole = m.get(0).expect("match");
        let word = m.get(1).or_else(|| m.get(2)).expect("one group");
        pieces.push(sentence[start..whole.start()].to_owned());
        start = word.start();
    }
    pieces.push(sentence[start..].to_owned());
    // "X, wenn Y": the condition comes before the work it governs; after "ob …" it answers it.
    // ("…, und wenn Y, Z" governs the Z after it.)
    let mut ordered: Vec<String> = Vec::new();
    for piece in pieces {
        let first = first_word(&piece);
        if ["wenn", "falls", "sofern"].contains(&first.as_str())
            && ordered.last().is_some_and(|last| first_word(last) != "ob")
            && !piece.contains(',')
        {
            let work = ordered.pop().expect("not empty");
            ordered.push(piece);
            ordered.push(work);
        } else {
            ordered.push(piece);
        }
    }
    // "Wenn X, (dann) Y": the condition, then the work it governs.
    ordered
        .into_iter()
        .flat_map(|piece| match condition_end(&piece) {
            Some(comma) if opens_condition(&first_word(&piece)) => {
                vec![piece[..comma].to_owned(), piece[comma + 1..].to_owned()]
            }
            _ => vec![piece],
        })
        .collect()
}

/// The comma that ends a condition opening `piece`: its first, unless the words before it hold
/// no verb and no state, and an aside stands between them and their verb ("Wenn da mehr als
/// Kleinbeträge, also über 50 Euro, offen sind, schreib ich …": "also" is gone as a filler by
/// now). Then the condition runs on to the comma after the few words that end in its verb. "Wenn
/// Betrag über 500 €, Vorlage an AL schicken" is a condition in notes, and its work.
fn condition_end(piece: &str) -> Option<usize> {
    let commas: Vec<usize> = piece.match_indices(',').map(|(i, _)| i).collect();
    let first = *commas.first()?;
    let lower = piece[..first].to_lowercase();
    let opening: Vec<&str> = words(&lower).skip(1).collect();
    let complete = opening.len() < 2
        || opening.iter().any(|w| may_be_verb(w) || matches!(*w, "ja" | "nein" | "nicht" | "doch"))
        || opening.last().is_some_and(|w| STATE_WORDS.contains(w));
    if complete {
        return Some(first);
    }
    let verb_last = |segment: &str| {
        let words: Vec<&str> = segment.split_whitespace().collect();
        let verb = |w: &&str| {
            let w = w.to_lowercase();
            looks_finite(&w) || matches!(w.as_str(), "ist" | "sind" | "wird" | "werden")
        };
        words.len() <= 3 && (words.last().is_some_and(verb) || ends_in_state(segment))
    };
    commas
        .windows(2)
        .take(2)
        .find(|pair| verb_last(&piece[pair[0] + 1..pair[1]]))
        .map_or(Some(first), |pair| Some(pair[1]))
}

/// Words of a state a condition may end in ("Deckung ok", "Unterlagen vollständig").
const STATE_WORDS: &[&str] = &[
    "ok",
    "okay",
    "da",
    "frei",
    "vorhanden",
    "vollständig",
    "vollst",
    "unvollständig",
    "unvollst",
    "komplett",
    "fertig",
    "fehlt",
    "erfüllt",
    "gegeben",
];

/// Adverbs a clause opens with that the model copied into a task's name ("Sonst Anhörung …",
/// "Parallel Entwurf …"): they tie the work to its place in the flow, which the diagram shows.
/// Alone before a colon they label what follows ("gleichzeitig: GM schätzt Schaden").
pub(in crate::draft) const FLOW_ADVERBS: &[&str] = &[
    "sonst",
    "ansonsten",
    "andernfalls",
    "parallel",
    "dann",
    "danach",
    "anschl",
    "anschließend",
    "zuerst",
    "zunächst",
    "außerdem",
    "gleichzeitig",
    "zusätzlich",
];

/// Whether the words before a colon state a condition rather than label what follows: "Bei
/// Sicherheitsbedenken", a negation ([`NEGATIONS`]: "Keine Änderungen", "Nichts Passendes"), a
/// question said verb first ("Steht ein Ligaspiel an"), a comparison
/// with a figure ("Mehr als 3 Tage"), or a state at the end ("Deckung ok", "Berechtigt", "Wird
/// gestundet"). "Unterlagen: …", "Frist: …", "Wir: …" label.
fn states_condition(text: &str) -> bool {
    let lower = text.to_lowercase();
    let words: Vec<&str> = words(&lower).collect();
    let Some(last) = words.last().copied() else { return false };
    if words.len() > 6 || (words.len() == 1 && FLOW_ADVERBS.contains(&last)) {
        return false;
    }
    let participle = last.chars().all(char::is_lowercase)
        && last.ends_with('t')
        && (without_ge(last) != last || INSEPARABLE.iter().any(|p| last.starts_with(p)) || last.ends_with("iert"));
    words[0] == "bei"
        || words.iter().any(|w| NEGATIONS.contains(w) || MISSING.contains(w))
        || (words.len() >= 2 && text.trim_start().starts_with(char::is_uppercase) && opens_with_verb(text.trim()))
        || (words.iter().any(|w| LIMITS.contains(w)) && text.chars().any(|c| c.is_ascii_digit()))
        || STATE_WORDS.contains(&last)
        || participle
        || ((last.ends_with("ig") || last.ends_with("lich") || last.ends_with("bar")) && last != "zuständig")
}

/// "Bei Sicherheitsbedenken: Kooperationsgespräch …", "Mehr als 3 Tage: Unfallanzeige …",
/// "Keine Änderungen: PA fertigt …": the state before the colon is the condition of the work
/// after it (issue #19's "Nicht A: … A: …"); asked as one clause, the model wrote only the work.
pub(super) fn colon_condition(piece: &str) -> Vec<String> {
    // "Leinenpflicht, das läuft so: …", "Ablauf wie folgt: …": what opens the colon only
    // announces the work after it.
    if let Some((intro, work)) = piece.split_once(':')
        && work.chars().any(char::is_alphabetic)
        && introduces(intro)
    {
        return colon_condition(work.trim());
    }
    match piece.split_once(':') {
        Some((state, work)) if work.chars().any(char::is_alphabetic) && states_condition(state) => {
            vec![format!("{}?", state.trim().trim_end_matches('.')), work.trim().to_owned()]
        }
        // "Klimaschutzmanager prüft Wohnsitz: nicht in der Stadt": a check, then the finding
        // the work after it depends on.
        Some((check, finding))
            if crate::draft::checks::inspects(check)
                && finding.split_whitespace().count() <= 6
                && states_condition(finding) =>
        {
            vec![check.trim().to_owned(), format!("{}?", finding.trim().trim_end_matches('.'))]
        }
        _ => vec![piece.to_owned()],
    }
}

/// Ends of what announces the work after a colon ("das läuft so:", "wie folgt:").
const INTRODUCTIONS: &[&str] = &[" so", "wie folgt", "folgendermaßen", "ablauf", "und zwar"];

/// Whether the words before a colon announce what follows: an [`INTRODUCTIONS`] end, or "es
/// kommt auf … an" ("dann kommt's auf den Betrag an: bis 5.000 € …").
fn introduces(intro: &str) -> bool {
    let lower = intro.trim_end().to_lowercase();
    let depends = lower.ends_with(" an") && lower.split_whitespace().any(|w| w == "kommt" || w == "kommt's");
    depends || INTRODUCTIONS.iter().any(|end| lower.ends_with(end))
}

/// Words after "bei" that name a place or a person, not an occasion ("bei der Stadtkasse", "bei
/// uns").
const NO_OCCASION: &[&str] = &[
    "der", "die", "das", "dem", "den", "des", "ein", "eine", "einem", "einer", "uns", "mir", "ihm", "ihr", "ihnen",
    "allen", "jedem", "jeder", "diesem", "dieser",
];

/// Prepositions that carry an occasion on ("Interesse an städtischen Grundstücken").
const OCCASION_ON: &[&str] = &["an", "mit", "von", "gegen", "über", "auf"];

/// "Bei akuter Gefahr Hausbesuch noch am selben Tag", "…, bei Nichterfüllung Rückmeldung ans
/// Gericht", "bei Verlängerung entfällt die Prüfung": "bei" and an occasion without an article
/// is the condition of the work after it, as before a colon (see [`colon_condition`]); "bei der
/// Stadtkasse" and "bei uns" name a place. Said as one clause, the model wrote only the work.
pub(super) fn occasion(piece: &str) -> Vec<String> {
    // A condition already ("Bei Konflikt m. Straßenbaum?", before a colon) stays whole.
    if piece.contains(':') || piece.trim_end().ends_with('?') {
        return vec![piece.to_owned()];
    }
    let starts = std::iter::once(0).chain(outer_commas(piece).into_iter().map(|i| i + 2));
    for start in starts {
        let words: Vec<&str> = piece[start..].split_whitespace().collect();
        if words.first().is_none_or(|w| !w.eq_ignore_ascii_case("bei")) {
            continue;
        }
        // Inflected adjectives, then the noun: "bei akuter Gefahr".
        let Some(noun) = words.iter().skip(1).position(|w| w.starts_with(char::is_uppercase)).map(|i| i + 1) else {
            continue;
        };
        let adjectives = &words[1..noun];
        let inflected = |w: &&str| ["e", "er", "em", "en", "es"].iter().any(|end| w.ends_with(end));
        let noun_word = words[noun].trim_matches(|c: char| !c.is_alphanumeric());
        if adjectives.len() > 2
            || !adjectives.iter().all(inflected)
            || adjectives.iter().chain([&words[noun]]).any(|w| NO_OCCASION.contains(&w.to_lowercase().as_str()))
            || !crate::draft::roles::candidates(noun_word).is_empty()
            || words[noun].ends_with(',')
        {
            continue;
        }
        // "Interesse an städtischen Grundstücken": the occasion runs on to the next noun.
        let mut end = noun + 1;
        if words.get(end).is_some_and(|w| OCCASION_ON.contains(w))
            && let Some(next) = words[end + 1..].iter().position(|w| w.starts_with(char::is_uppercase))
        {
            end += next + 2;
        }
        let work = words[end..].join(" ");
        // "bei Klavier sind das …" says what is, not what to do.
        let states = words.get(end).is_some_and(|w| SHORT_FINITE.contains(&w.to_lowercase().as_str()));
        if !work.chars().any(char::is_alphabetic) || states || words[..end].iter().any(|w| w.ends_with(',')) {
            continue;
        }
        let condition = format!("{}?", words[..end].join(" ").trim_end_matches(|c: char| !c.is_alphanumeric()));
        let before = piece[..start].trim_end_matches([',', ' ']);
        return [before.to_owned(), condition, work].into_iter().filter(|p| !p.is_empty()).collect();
    }
    vec![piece.to_owned()]
}

/// Cuts a piece of a sentence where a comma is followed by a next piece of work with its own
/// finite verb: the verb alone ("Firma schleppt ab, verwahrt 1 Monat"), a unit and its verb
/// ("PA fertigt Zeugnis aus, AL unterschreibt", "…, das Umweltamt macht einen Ortstermin") or
/// a pronoun for a unit and its verb ("… an die Stadtkasse, die überweist das Geld"); and
/// between two instructions in notes, each ending in its infinitive ("Ausweis drucken und
/// aushändigen, Benutzungsordnung mitgeben"). Each clause's answer holds two steps at most, so
/// the third piece of such a sentence was lost. A condition's piece is left whole.
pub(super) fn each_work(piece: &str) -> Vec<String> {
    if opens_condition(&first_word(piece)) {
        return vec![piece.to_owned()];
    }
    let finite = |w: &str| looks_finite(w.trim_matches(|c: char| !c.is_alphabetic()));
    let mut out = Vec::new();
    let mut rest = piece;
    while let Some(comma) = outer_commas(rest).into_iter().find(|&i| {
        // "…, und der Ausschuss berät": the "und" joins the next piece of work.
        let mut words = rest[i + 2..].split_whitespace().skip_while(|w| *w == "und");
        let (first, second, third) =
            (words.next().unwrap_or(""), words.next().unwrap_or(""), words.next().unwrap_or(""));
        let unit =
            |w: &str| !crate::draft::roles::candidates(w.trim_matches(|c: char| !c.is_alphanumeric())).is_empty();
        finite(first)
            || (finite(second) && (matches!(first, "die" | "der" | "das") || unit(first)))
            || (matches!(first, "der" | "die" | "das") && second.starts_with(char::is_uppercase) && finite(third))
            || (instruction_ends(&rest[..i]) && instruction_follows(&rest[i + 2..]))
            || names_fee(&rest[i + 2..])
    }) {
        out.push(rest[..comma].to_owned());
        rest = &rest[comma + 2..];
        rest = rest.strip_prefix("und ").unwrap_or(rest);
    }
    out.push(rest.to_owned());
    out
}

/// Whether the words open with a fee and its amount ("Erlaubnis erteilen, Gebühr 150 €",
/// "genehmigen wir die Umbettung, Gebühr 280 Euro"): charging it is work of its own, which the
/// model dropped beside the work before it.
pub(super) fn names_fee(text: &str) -> bool {
    let mut words = text.split_whitespace();
    words.next().is_some_and(|w| matches!(w.trim_end_matches(','), "Gebühr" | "Gebühren" | "Kosten"))
        && words.take(4).any(|w| w.starts_with(|c: char| c.is_ascii_digit()))
}

/// `text` up to its first comma outside brackets.
fn up_to_comma(text: &str) -> &str {
    outer_commas(text).first().map_or(text, |&i| &text[..i])
}

/// Where ", " stands outside brackets in `text`: "(Schallschutzwände, max. 3 Nächte)" is one
/// remark.
fn outer_commas(text: &str) -> Vec<usize> {
    let mut depth = 0usize;
    let mut out = Vec::new();
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 && text[i + 1..].starts_with(' ') => out.push(i),
            _ => {}
        }
    }
    out
}

/// Whether `text`, a remark in brackets aside, ends in an instruction's infinitive.
fn instruction_ends(text: &str) -> bool {
    static BRACKETS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\([^)]*\)?").expect("valid regex"));
    ends_in_infinitive(BRACKETS.replace_all(text, "").trim_end_matches(|c: char| !c.is_alphanumeric()))
}

/// Whether the words after a comma, up to the next one, are an instruction ("Auflagen festlegen
/// (…)"), not a relative or subordinate clause ("die wir bekommen", "bevor sie kaufen").
fn instruction_follows(rest: &str) -> bool {
    let next = up_to_comma(rest);
    let mut words = next.split_whitespace().map(str::to_lowercase);
    let (first, second) = (words.next().unwrap_or_default(), words.next().unwrap_or_default());
    const PRONOUNS: &[&str] = &["wir", "sie", "er", "es", "man", "ich", "ihr"];
    !SUBORDINATORS.contains(&first.as_str())
        && !matches!(first.as_str(), "bevor" | "nachdem" | "sobald" | "bis" | "und" | "oder")
        && !PRONOUNS.contains(&second.as_str())
        && instruction_ends(next)
}

/// Words that open a subordinate clause that says what, why or what for: it belongs to the
/// clause before it ("suchen, wer sie noch bekommen hat", "prüfen, ob Adresse und Daten
/// stimmen"). One that says when ("nachdem wir die Anordnung rausgegeben haben") may be work.
pub(super) const SUBORDINATORS: &[&str] =
    &["dass", "weil", "damit", "um", "ob", "wie", "wo", "was", "wer", "welche", "welcher", "welches"];
