//! A dictation cut into clauses, deterministically, before the model sees any of it.
//!
//! Each clause is then drafted on its own (see [`super::prepare`]): a small model asked to
//! rewrite a whole dictation at once drops half of it and copies its examples, while one asked
//! about one clause at a time keeps to that clause. The cuts are where dictations change from
//! one piece of work to the next: line starts and bullets, arrows, sentence ends, semicolons,
//! and the connectives that open a next step ("dann", "danach") or a branch ("wenn", "sonst").

use std::sync::LazyLock;

use regex::Regex;

/// What a clause is, as far as its wording shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClauseKind {
    /// Work, or something said about the case.
    Plain,
    /// It states a condition: a question, "wenn …", "falls …", "ob …", or the left side of an
    /// arrow ("Unvollständig → Nachforderung").
    Condition,
    /// The other branch of the condition before it: "sonst …", "andernfalls …".
    Otherwise,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Clause {
    pub text: String,
    pub kind: ClauseKind,
    /// The condition is worded negatively ("Reicht nicht", "Ist dies nicht der Fall"): its
    /// work happens on the "nein" branch.
    pub negated: bool,
}

/// Word beginnings of remarks around the work: how often, how long, what is done already or
/// elsewhere, and the speaker's asides ("Kostet übrigens nix", "Kommt öfter vor, ehrlich").
const REMARK_CUES: &[&str] = &[
    "bereits",
    "schon",
    "selten",
    "meist",
    "manchmal",
    "oft",
    "häufig",
    "jährlich",
    "täglich",
    "monatlich",
    "wöchentlich",
    "jahr",
    "dauert",
    "beträgt",
    "durchschnitt",
    "geht auch",
    "nicht",
    "kein",
    "ca",
    "rund",
    "etwa",
    "circa",
    "übrigens",
    "ehrlich",
    "leider",
    "immer",
    "freiwillig",
];

/// What may follow a remark cue in an inflected form of it ("meistens", "keine", "jährliche",
/// "durchschnittlich"); a compound that starts with a cue ("Jahresgebühr", "Rundschreiben")
/// names a thing.
const INFLECTIONS: &[&str] =
    &["", "e", "em", "en", "er", "es", "ens", "n", "s", "lich", "liche", "lichem", "lichen", "licher", "liches"];

/// Modal verbs: with one, an infinitive at the end says what may or must happen ("kann dauern",
/// "muss nicht geprüft werden"), not what to do; after a subject one is its finite verb ("der
/// Bauherr muss zahlen"); one closes a subordinate clause ("ob er's selbst reparieren kann").
pub(super) const MODALS: &[&str] = &[
    "kann", "können", "kannst", "muss", "müssen", "musst", "soll", "sollen", "sollte", "darf", "dürfen", "will",
    "wollen", "möchte", "möchten", "braucht", "brauchen",
];

/// The words of a text, without punctuation.
pub(super) fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// Whether the clause is worded as an instruction: it ends in an infinitive (a parenthesis after
/// it aside) without a modal verb or a negation before it.
fn is_instruction(text: &str) -> bool {
    let main = text.split('(').next().unwrap_or(text).trim_end_matches([' ', ',', '.', ';', '!']);
    let lower = main.to_lowercase();
    let words: Vec<&str> = words(&lower).collect();
    ends_in_infinitive(main)
        && !words.iter().any(|w| MODALS.contains(w))
        && !words.iter().rev().nth(1).is_some_and(|w| matches!(*w, "nicht" | "kein" | "keine" | "nie"))
}

/// Verbs that say what a worker has or is rather than what it does ("Wir haben 80 Fälle im Jahr").
const BEING: &[&str] =
    &["haben", "habe", "hat", "sind", "ist", "war", "waren", "kriegen", "kriegt", "bekommen", "bekommt"];

/// Whether the clause says who works: it opens with "wir", "ich", "SB" or a unit, then a verb
/// ("PA wertet monatlich die AU-Zeiten aus", "Wir prüfen die Frist"), or names one right after
/// its verb ("Im Gespräch klären wir …", "Fehlende Nachweise fordert SB an").
fn names_worker(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric())).collect();
    let worker = |w: &str| matches!(w, "Wir" | "wir" | "Ich" | "ich" | "SB") || !super::roles::candidates(w).is_empty();
    let works = |w: &str| looks_like_verb(w) && !BEING.contains(&w);
    words
        .windows(2)
        .enumerate()
        .any(|(i, pair)| (i == 0 && worker(pair[0]) && works(pair[1])) || (works(pair[0]) && worker(pair[1])))
}

/// Words of a clause that says only that the process goes on or ends ("gleich weiter",
/// "fertig"; with the "sonst" words: "sonst direkt weiter").
const GOES_ON: &[&str] =
    &["weiter", "fertig", "erledigt", "ende", "gleich", "direkt", "sofort", "dann", "geht", "es", "wird"];

impl Clause {
    /// Whether the clause may be a remark without work, so that the model may skip it: it says
    /// how often or how long, what is done already or elsewhere, or only that the process goes
    /// on. Left free to skip, the model skipped work worded as a noun or in the passive
    /// ("Nachforderung", "wird abgelehnt"), and work next to an amount ("Auflagen festlegen,
    /// z. B. 50 m"; "sonst Gebühr 13 € kassieren"), so amounts and "sonst" alone allow no skip.
    /// Before a colon stands the state the work after it depends on ("Kein Grund: Ablehnung an
    /// Eltern"), so only what follows the colon is judged there, and a negation is the state's.
    pub fn may_be_remark(&self) -> bool {
        let (negated, said) = match self.text.split_once(':') {
            Some((_, after)) if after.trim().chars().any(char::is_alphabetic) => (false, after),
            _ => (self.negated, self.text.as_str()),
        };
        let lower = said.to_lowercase();
        let words: Vec<&str> = words(&lower).collect();
        if words.iter().all(|w| GOES_ON.contains(w) || OTHERWISE.contains(w)) {
            return true;
        }
        // An instruction is work, whatever remark comes with it ("Jahresgebühr 20 € kassieren",
        // "Gebühr festsetzen (ca. 50 € je Wohnung)").
        if is_instruction(said) || (names_worker(said) && !words.iter().any(|w| matches!(*w, "bereits" | "schon"))) {
            return false;
        }
        negated
            || REMARK_CUES.iter().any(|cue| {
                if cue.contains(' ') {
                    lower.contains(cue)
                } else {
                    words.iter().any(|w| w.strip_prefix(cue).is_some_and(|rest| INFLECTIONS.contains(&rest)))
                }
            })
    }

    /// Whether the clause may name two pieces of work: it joins parts with "und", or it has two
    /// verbs ("bestätigt den Schulbesuch, leitet an das Amt weiter"). After a comma without a
    /// second verb the model mostly restates the first part.
    pub fn joins_two(&self) -> bool {
        let words: Vec<&str> = self.text.split_whitespace().collect();
        words.contains(&"und") || words.iter().filter(|w| looks_like_verb(w)).count() >= 2
    }

    /// Whether the condition is the question a check asks ("…, ob die Person berechtigt ist").
    pub fn asks_whether(&self) -> bool {
        self.kind == ClauseKind::Condition && first_word(&self.text) == "ob"
    }

    /// Whether the clause opens with "wenn", "falls", "ob" and the like, or with a limit and its
    /// figure ("bis 5.000 Euro"): a condition of its own, not a short answer in notes ("nicht
    /// eingetragen →").
    pub fn opens_with_conjunction(&self) -> bool {
        let first = first_word(&self.text);
        CONDITION.contains(&first.as_str())
            || (LIMITS.contains(&first.as_str()) && self.text.chars().any(|c| c.is_ascii_digit()))
    }

    /// Whether the condition only points back at the one before it: "Ist dies nicht der Fall?",
    /// "Wenn ja", "Wenn nicht".
    pub fn refers_back(&self) -> bool {
        let lower = self.text.to_lowercase();
        words(&lower).filter(|w| !CONDITION.contains(w)).all(|w| REFERRING.contains(&w))
    }

    /// Whether the clause, dictated first, only names the service ("Beglaubigung von Kopien,
    /// Bürgerbüro", "Schulanmeldung GS"): a few words without a verb. Asked about it, the model
    /// made it a task ("Beglaubigung einreichen"); the closing request names the title.
    pub fn is_heading(&self) -> bool {
        let words: Vec<&str> = self.text.split_whitespace().collect();
        words.len() <= 6 && !words.iter().any(|w| looks_like_verb(w))
    }

    /// Whether the clause only says how often, how long or how much ("Ca. 80 Fälle im Jahr",
    /// "Das dauert zwanzig Minuten"), or what the service costs and how long its result holds
    /// ("Kostet nix", "gilt 28 Tage"; with no other verb): it is not sent to the model, which
    /// turned such remarks into work ("Stelle bewerben" for "Die Bewerbungsfrist beträgt drei
    /// Wochen", "Lebenszeit gelten", "Kosten erhöhen").
    pub fn is_statistic(&self) -> bool {
        let lower = format!(" {} ", self.text.to_lowercase());
        let cost = COST_CUES.iter().any(|cue| lower.contains(cue))
            && words(&self.text).filter(|w| looks_like_verb(w)).all(|w| COST_VERBS.contains(&w));
        self.kind == ClauseKind::Plain
            && (cost || STATISTIC_CUES.iter().any(|cue| lower.contains(cue)))
            && !is_instruction(&self.text)
            && !names_worker(&self.text)
    }

    /// A fee dictated as a note, without a verb ("Gebühr 280 Euro", "Gebühr i. d. R. 45 €"),
    /// as the task a modeller draws: "Gebühr von 280 Euro erheben". Asked about the note, the
    /// model guessed a verb ("… schreiben", "… einreichen") or skipped it.
    pub fn fee_note(&self) -> Option<String> {
        let (noun, mut rest) = self.text.trim().split_once(' ')?;
        let lower = noun.to_lowercase();
        if self.kind != ClauseKind::Plain || !is_fee(&lower) {
            return None;
        }
        while let Some(after) = ROUGHLY.iter().find_map(|r| rest.strip_prefix(r)) {
            rest = after.trim_start();
        }
        let plain = rest.starts_with(|c: char| c.is_ascii_digit())
            && !rest.contains([',', ':', ';'])
            && !words(rest).any(looks_like_verb);
        plain.then(|| format!("{noun} von {rest} erheben"))
    }

    /// The clause as a yes/no question, without its "wenn" or "falls": where the model's
    /// question shares no word with its condition, it asked about another part of the dictation.
    pub fn as_question(&self) -> String {
        let text = self.text.trim_end_matches('?').trim();
        let text = match text.split_once(' ') {
            Some((first, rest)) if CONDITION.contains(&first.to_lowercase().as_str()) => rest,
            _ => text,
        };
        let mut chars = text.chars();
        let first: String = chars.next().map(|c| c.to_uppercase().collect()).unwrap_or_default();
        format!("{first}{}?", chars.as_str())
    }
}

/// Whether a (lower-case) noun is a fee: "Gebühr", "Verwaltungsgebühren".
fn is_fee(noun: &str) -> bool {
    noun.ends_with("gebühr") || noun.ends_with("gebühren")
}

/// Words that open a limit with its figure ("bis 5.000 Euro", "mehr als 20 Stunden").
const LIMITS: &[&str] = &["bis", "ab", "über", "unter", "mehr", "weniger", "mindestens", "höchstens"];

/// Words of a condition that points back at the one before it, or at all cases but the ones
/// before it ("alle anderen").
const REFERRING: &[&str] = &[
    "ist", "sind", "dies", "das", "es", "der", "die", "nicht", "ja", "nein", "doch", "fall", "so", "zutrifft",
    "trifft", "zu", "alle", "andere", "anderen", "übrigen", "rest",
];

/// Phrases of remarks on frequency, duration and amounts.
const STATISTIC_CUES: &[&str] = &[
    " im jahr",
    " pro jahr",
    " jedes jahr",
    " jährlich",
    " p. a",
    " pro monat",
    " im monat",
    " am tag",
    " pro tag",
    " jedes wochenende",
    " im schnitt",
    " im durchschnitt",
    " durchschnittlich",
    " dauert ",
    " beträgt ",
    // How long the office takes: "Bearbeitungszeit i. d. R. 4–6 Wo.", "Bearb. 2–3 Tage".
    " bearbeitungszeit",
    " bearbeitungsdauer",
    " bearb. ",
];

/// Phrases of remarks on what a service costs and how long its result is valid.
const COST_CUES: &[&str] =
    &[" kostet", "kostenlos", "kostenfrei", "kostenpflichtig", "gebührenfrei", "gebührenpflichtig", " gilt "];

/// The verbs such a remark has; a clause with another verb holds work ("gebührenfrei, SB prüft …").
const COST_VERBS: &[&str] = &["kostet", "gilt"];

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

/// Words that open the other branch of a condition.
const OTHERWISE: &[&str] = &["sonst", "andernfalls", "ansonsten", "anderenfalls", "ansonst"];

/// Words that open a condition.
/// Verbs that say something is missing and, first, open a condition: "Fehlen Unterlagen, …",
/// "…, fehlen die, fordern wir sie an".
const MISSING: &[&str] = &["fehlt", "fehlen"];

const CONDITION: &[&str] = &["wenn", "falls", "sofern", "ob", "soweit", "solange"];

/// Words that open the next step; they are dropped from the clause.
const NEXT_STEP: &[&str] = &["dann", "danach", "anschließend", "daraufhin", "zuletzt", "abschließend", "zum schluss"];

/// A bullet or numbering at the start of a line.
static BULLET: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\s*(?:[-*•–·]+|\d{1,2}[.)]|[a-z][.)])\s+").expect("valid regex"));
/// Arrows as dictated in notes.
static ARROW: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\s*(?:->|→|=>|⇒|-->)\s*").expect("valid regex"));
/// Fillers of spoken dictation that carry nothing.
static FILLER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:ähm+|äh+|öhm+|hm+|also|halt|quasi|sozusagen|irgendwie|eigentlich)\b[,.]?\s*")
        .expect("valid regex")
});
/// Fillers at the start of a sentence, before more words: elsewhere, or alone, they carry a
/// branch ("wenn ja", "OK →").
static LEADING_FILLER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)^(?:(?:ja|ok(?:ay)?|genau|na|so)\b[,.]?\s+)+").expect("valid regex"));

/// Examples in parentheses ("Gefahr für Schüler (z. B. kaputte Scheibe)?"): asked about the
/// clause, the model named the example instead of the case ("Kaputte Scheibe?").
static EXAMPLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\s*\((?:z\.\s?B\.?|zB\.?|bspw\.?|beispielsweise|etwa|u\.\s?a\.)\s[^()]*\)").expect("valid regex")
});

fn without_fillers(text: &str) -> String {
    let inner = FILLER.replace_all(text, "");
    LEADING_FILLER.replace(inner.trim(), "").trim().to_owned()
}

/// Cuts `dictation` into clauses, in their order.
pub fn split(dictation: &str) -> Vec<Clause> {
    let mut clauses = Vec::new();
    // Clauses a correction put after its work, which a later sentence may say again.
    let mut moved = Vec::new();
    for line in dictation.lines() {
        let line = BULLET.replace(line, "");
        let parts: Vec<&str> = ARROW.split(&line).collect();
        for (i, part) in parts.iter().enumerate() {
            let arrow_follows = i + 1 < parts.len();
            let before_part = clauses.len();
            for sentence in sentences(part) {
                // Fillers go first: "Also wir prüfen, …" does not open with a verb.
                let sentence = replaced(&without_fillers(&EXAMPLE.replace_all(&sentence, "")));
                let (said, correction) = corrected(&sentence);
                let from = clauses.len();
                push_sentence(&mut clauses, said);
                if let Some(correction) = correction {
                    let mut first = Vec::new();
                    push_sentence(&mut first, correction);
                    moved.extend(put_first(&mut clauses, from, first));
                }
            }
            // "X → Y": X is the condition under which Y happens, unless X already is work;
            // inside a chain ("nein → Antragsteller anhören → Antrag ablehnen") an
            // instruction ending in its infinitive is work.
            if arrow_follows
                && clauses.len() > before_part
                && let Some(last) = clauses.last_mut()
                && last.kind == ClauseKind::Plain
                && is_state(&last.text)
                && !names_fee(&last.text)
                && !(i > 0 && ends_in_infinitive(&last.text))
            {
                last.kind = ClauseKind::Condition;
            }
        }
    }
    // "A – nee, vorher: B. Wenn alles da ist, A.": A has its place where it is said again.
    for &i in moved.iter().rev() {
        if clauses[i + 1..].iter().any(|later| shared_words(&later.text, &clauses[i].text) >= 2) {
            clauses.remove(i);
        }
    }
    mark_other_branches(&mut clauses);
    // A condition of refusal asks the approval, its work on "nein" (a task "wird abgelehnt" is
    // work, not a negation the model may skip).
    for clause in clauses.iter_mut().filter(|c| c.kind == ClauseKind::Condition) {
        let lower = format!(" {}", clause.text.to_lowercase());
        clause.negated |= REFUSALS.iter().any(|(refused, _)| lower.contains(&format!(" {refused}")));
    }
    clauses
}

/// The clauses of one sentence, in order.
fn push_sentence(clauses: &mut Vec<Clause>, sentence: &str) {
    for part in verb_first(sentence) {
        for piece in connectives(&part)
            .iter()
            .flat_map(|p| colon_condition(p))
            .flat_map(|p| occasion(&p))
            .flat_map(|p| threshold(&p))
            .flat_map(|p| each_work(&p))
        {
            push(clauses, &piece);
        }
    }
}

/// A sentence cut where the speaker corrects the order ("…, nein, erst …", "… – ach nee, vorher
/// noch …", "…, nein, Moment, erst …"): what was said, and the work that comes before it, without
/// the correction's words.
fn corrected(sentence: &str) -> (&str, Option<&str>) {
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
fn replaced(sentence: &str) -> String {
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
fn put_first(clauses: &mut Vec<Clause>, from: usize, first: Vec<Clause>) -> Option<usize> {
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
fn shared_words(later: &str, earlier: &str) -> usize {
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

/// "ob die Person berechtigt ist … Wenn nicht, geht das Ticket zurück. Wenn ja, …": a
/// condition that only points back, with work between it and the condition it points at,
/// opens that condition's other branch, as "sonst" does; asked as a question of its own, it
/// became a decision "Ja?". (Right after its condition it restates it; see `assemble`.)
fn mark_other_branches(clauses: &mut [Clause]) {
    for i in 0..clauses.len() {
        if clauses[i].kind != ClauseKind::Condition || !clauses[i].refers_back() {
            continue;
        }
        let condition = (0..i).rev().find(|&j| clauses[j].kind == ClauseKind::Condition);
        if let Some(j) = condition
            && i > j + 1
            && clauses[j + 1..i].iter().any(|c| c.kind == ClauseKind::Plain)
        {
            clauses[i].kind = ClauseKind::Otherwise;
        }
    }
}

/// Adds a clause, classified, unless nothing is left of it.
fn push(clauses: &mut Vec<Clause>, raw: &str) {
    let cleaned = without_fillers(raw);
    let mut text =
        cleaned.trim().trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '.' | '-' | '–')).trim().to_owned();
    let first = first_word(&text);
    let mut kind = ClauseKind::Plain;
    if OTHERWISE.contains(&first.as_str()) {
        kind = ClauseKind::Otherwise;
    } else if opens_condition(&first) || text.ends_with('?') {
        kind = ClauseKind::Condition;
    }
    if let Some(opener) = NEXT_STEP.iter().find(|w| {
        text.get(..w.len()).is_some_and(|head| head.to_lowercase() == **w)
            && text[w.len()..].starts_with(|c: char| c.is_whitespace() || c == ',')
    }) {
        text = text[opener.len()..].trim_start_matches(|c: char| c.is_whitespace() || c == ',').to_owned();
    }
    // "…, fertig", "Schluss": the end of the process or branch, which the flow shows.
    while let Some((before, last)) = text.rsplit_once(", ")
        && END_WORDS.contains(&last.trim().to_lowercase().as_str())
    {
        text = before.trim_end().to_owned();
    }
    if text.chars().filter(|c| c.is_alphabetic()).count() < 2 || END_WORDS.contains(&text.to_lowercase().as_str()) {
        return;
    }
    let lower = format!(" {} ", text.to_lowercase());
    let negated = [" nicht ", " kein ", " keine ", " keinen ", " unvollst", " fehl"].iter().any(|w| lower.contains(w));
    clauses.push(Clause { text, kind, negated });
}

fn opens_condition(first_word: &str) -> bool {
    CONDITION.contains(&first_word) || MISSING.contains(&first_word)
}

fn first_word(text: &str) -> String {
    text.split(|c: char| !c.is_alphanumeric() && c != 'ß').find(|w| !w.is_empty()).unwrap_or("").to_lowercase()
}

/// Whether the left side of an arrow names a state rather than work: a question, a few words
/// ("Unvollst.", "Fahrzeug weg", "nicht entfernt") or words without a verb ("Grundschule über
/// 2 km, weiterführende über 3,5 km"), where work is said with a verb ("Tiefbau sichtet,
/// Bauhof fährt raus").
fn is_state(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.len() <= 5
        || text.ends_with('?')
        || !words.iter().any(|w| looks_like_verb(w))
        || words.iter().any(|w| NEGATIONS.contains(&w.to_lowercase().as_str()))
}

/// Words that negate what a clause says: said before an arrow, it is what is not the case
/// ("Eltern lehnen ab oder melden sich nicht binnen 3 Wochen → Fall schließen").
const NEGATIONS: &[&str] = &["nicht", "nichts", "kein", "keine", "keinen", "ohne"];

/// Whether the text ends in what looks like an infinitive ("anhören", "siegeln"), not a
/// participle ("eingegangen", "abgeschlossen" have their "ge").
fn ends_in_infinitive(text: &str) -> bool {
    let last = text.rsplit(' ').next().unwrap_or("").trim_matches(|c: char| !c.is_alphabetic());
    last.chars().count() >= 5 && infinitive_like(last) && without_ge(last) == last
}

/// Whether `word` reads as an infinitive: four letters or more, lower case, ending in "en",
/// "ern" or "eln".
pub(super) fn infinitive_like(word: &str) -> bool {
    word.chars().count() >= 4
        && word.chars().all(char::is_lowercase)
        && (word.ends_with("en") || word.ends_with("ern") || word.ends_with("eln"))
        && !NOT_VERBS.contains(&word)
}

/// Whether `word` reads as a finite verb or a participle: four letters or more, lower case,
/// ending in "t" ("prüft", "geprüft").
pub(super) fn looks_finite(word: &str) -> bool {
    word.chars().count() >= 4
        && word.chars().all(char::is_lowercase)
        && word.ends_with('t')
        && !NOT_VERBS.contains(&word)
}

/// How many leading letters two words share.
pub(super) fn common_start(x: &str, y: &str) -> usize {
    x.chars().zip(y.chars()).take_while(|(p, q)| p == q).count()
}

/// Particles of separable verbs, which a main clause puts at its end ("Firma passt die Trasse an").
pub(super) const PARTICLES: &[&str] = &[
    "ab", "an", "auf", "aus", "bei", "durch", "ein", "fest", "fort", "frei", "her", "hin", "los", "mit", "nach",
    "raus", "rein", "um", "vor", "weg", "weiter", "zu", "zurück", "zusammen", "bereit",
];

/// A (lower-cased, possibly folded) participle without its "ge", which follows a separable
/// verb's particle ("ab-ge-lehnt", "nach-ge-fordert"): "nachgefordert" → "nachfordert".
pub(super) fn without_ge(word: &str) -> String {
    std::iter::once("")
        .chain(PARTICLES.iter().copied())
        .flat_map(|p| [p.to_owned(), p.replace('ü', "u")])
        .filter_map(|prefix| {
            let rest = word.strip_prefix(prefix.as_str())?.strip_prefix("ge")?;
            // "mitgeben" is no participle ("mitgegeben" is).
            (rest.chars().count() >= 4).then(|| format!("{prefix}{rest}"))
        })
        .next_back()
        .unwrap_or_else(|| word.to_owned())
}

/// Lower-case words ending in "t" or "en" that are no verb.
pub(super) const NOT_VERBS: &[&str] = &[
    "nicht",
    "jetzt",
    "erst",
    "meist",
    "sonst",
    "selbst",
    "bereits",
    "direkt",
    "zuerst",
    "zuletzt",
    "oben",
    "unten",
    "eben",
    "neben",
    "gegen",
    "wegen",
    "einen",
    "keinen",
    "seinen",
    "ihren",
    "allen",
    "vorher",
    "sofort",
    "dort",
    "erneut",
    "separat",
    "komplett",
    "korrekt",
    "gesamt",
    "insgesamt",
    "zunächst",
    "laut",
    "bekannt",
];

/// A lower-case word of four letters or more ending in "t" or "en" ("prüft", "entfernt",
/// "einholen"), as verb forms do.
pub(super) fn looks_like_verb(word: &str) -> bool {
    let word = word.trim_matches(|c: char| !c.is_alphabetic());
    word.chars().count() >= 4
        && word.chars().all(char::is_lowercase)
        && (word.ends_with('t') || word.ends_with("en"))
        && !NOT_VERBS.contains(&word)
}

/// Splits at sentence ends (".", "!", "?", ";") that are not abbreviations or numbers.
fn sentences(text: &str) -> Vec<String> {
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
fn cut_short(word: &str) -> bool {
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
fn verb_first(sentence: &str) -> Vec<String> {
    let mut words = sentence.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphabetic()).to_lowercase());
    let (Some(first), Some(second)) = (words.next(), words.next()) else { return vec![sentence.to_owned()] };
    let capitalised = sentence.chars().next().is_some_and(char::is_uppercase);
    match sentence.find(',') {
        // The verb's subject comes before the comma: "Ehrlich, die Hälfte …" and a heading
        // "Unterhaltsvorschuss, das macht …" are no condition.
        // A colon before the comma ends a condition already ("Fehlt die: Kunde reicht nach, dann
        // …"): the colon's rule cuts there.
        // After a semicolon the sentence opens in lower case ("…; lehnt AG ab, teilt SB … mit"):
        // then the main clause after the comma must say it.
        Some(comma)
            if !sentence[..comma].contains(':')
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

/// Finite verbs too short to look like one ("Ist alles da, …", "Hat er …").
const SHORT_FINITE: &[&str] = &["ist", "sind", "hat", "war", "gibt"];

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
        && super::roles::candidates(first).is_empty()
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
    let named = !super::roles::candidates(subject).is_empty()
        || (subject.chars().count() >= 2 && subject.chars().all(char::is_uppercase));
    (finite && (with_it || named || SUBJECTS.contains(&subject.to_lowercase().as_str()))) || is_instruction(next)
}

/// "Bis 5.000 Euro entscheidet die Sachbearbeitung, darüber die Kämmerei": a limit with its
/// figure, said first, is the condition of the work after it, and "darüber"/"darunter" after a
/// comma its other side, whose verb the speaker left out. Said as one clause, it was a remark
/// the model skipped. A lower limit also counts with what is counted and without a verb after
/// it ("bei mehr als 20 Std./Monat vorher Zustimmung einholen", "ab 500 erwarteten Besuchern
/// zusätzlich ins Monatsheft"), and a limit is a condition on its own ("Kosten über 500 €").
fn threshold(sentence: &str) -> Vec<String> {
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
fn limit(sentence: &str) -> Vec<String> {
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
fn connectives(sentence: &str) -> Vec<String> {
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
        .flat_map(|piece| match piece.find(',') {
            Some(comma) if opens_condition(&first_word(&piece)) => {
                vec![piece[..comma].to_owned(), piece[comma + 1..].to_owned()]
            }
            _ => vec![piece],
        })
        .collect()
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

/// Prefixes of verbs whose participle has no "ge" ("beantragt", "verlängert", "erteilt").
const INSEPARABLE: &[&str] = &["be", "ver", "er", "ent", "zer"];

/// Adverbs a clause opens with that the model copied into a task's name ("Sonst Anhörung …",
/// "Parallel Entwurf …"): they tie the work to its place in the flow, which the diagram shows.
/// Alone before a colon they label what follows ("gleichzeitig: GM schätzt Schaden").
pub(super) const FLOW_ADVERBS: &[&str] = &[
    "sonst",
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
fn colon_condition(piece: &str) -> Vec<String> {
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
            if super::checks::inspects(check)
                && finding.split_whitespace().count() <= 6
                && states_condition(finding) =>
        {
            vec![check.trim().to_owned(), format!("{}?", finding.trim().trim_end_matches('.'))]
        }
        _ => vec![piece.to_owned()],
    }
}

/// A refusal and the approval a modeller asks about instead ("Abgelehnt → …, Genehmigt → …" is
/// one decision "Genehmigt?"), in lower case. States only: the noun "Ablehnung" names the work
/// of refusing.
const REFUSALS: &[(&str, &str)] = &[("abgelehnt", "genehmigt"), ("unzulässig", "zulässig")];

/// `word` (lower case) as its positive: "abgelehnt" → "genehmigt", "unzulässig" → "zulässig".
pub(super) fn positive(word: &str) -> Option<&'static str> {
    REFUSALS.iter().find(|(refused, _)| *refused == word).map(|(_, approved)| *approved)
}

/// Words that only say the process or branch ends here.
const END_WORDS: &[&str] = &["fertig", "ende", "schluss", "aus", "erledigt", "feierabend", "das wars", "das war's"];

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
fn occasion(piece: &str) -> Vec<String> {
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
            || !super::roles::candidates(noun_word).is_empty()
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
fn each_work(piece: &str) -> Vec<String> {
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
        let unit = |w: &str| !super::roles::candidates(w.trim_matches(|c: char| !c.is_alphanumeric())).is_empty();
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

/// Words between a fee and its amount that only say it is usual or rough.
const ROUGHLY: &[&str] = &["i. d. R.", "i.d.R.", "ca.", "so", "etwa", "rund", "pauschal", "jeweils"];

/// Whether the words open with a fee and its amount ("Erlaubnis erteilen, Gebühr 150 €",
/// "genehmigen wir die Umbettung, Gebühr 280 Euro"): charging it is work of its own, which the
/// model dropped beside the work before it.
fn names_fee(text: &str) -> bool {
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
    const SUBORDINATE: &[&str] = &[
        "dass", "weil", "damit", "um", "ob", "wie", "wo", "was", "welche", "welcher", "welches", "bevor", "nachdem",
        "sobald", "bis", "und", "oder",
    ];
    const PRONOUNS: &[&str] = &["wir", "sie", "er", "es", "man", "ich", "ihr"];
    !SUBORDINATE.contains(&first.as_str()) && !PRONOUNS.contains(&second.as_str()) && instruction_ends(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_announcing_colon_a_new_subject_after_und_and_the_words_of_an_end_are_no_clauses() {
        assert_eq!(
            texts("Leinenpflicht, das läuft so: Außendienst nimmt Personalien auf, und der Ausschuss berät, fertig."),
            vec![
                ("Außendienst nimmt Personalien auf".into(), ClauseKind::Plain),
                ("der Ausschuss berät".into(), ClauseKind::Plain),
            ]
        );
        // A colon before the comma ends the condition; the work after it is no condition.
        assert_eq!(
            texts("Fehlt die: Kunde reicht nach, dann nochmal schauen. Schluss."),
            vec![
                ("Fehlt die?".into(), ClauseKind::Condition),
                ("Kunde reicht nach".into(), ClauseKind::Plain),
                ("nochmal schauen".into(), ClauseKind::Plain),
            ]
        );
        let refusal = split("Abgelehnt → Absage. Genehmigt → Eintrag.");
        assert_eq!((refusal[0].kind, refusal[0].negated, refusal[2].negated), (ClauseKind::Condition, true, false));
    }

    fn texts(dictation: &str) -> Vec<(String, ClauseKind)> {
        split(dictation).into_iter().map(|c| (c.text, c.kind)).collect()
    }

    #[test]
    fn a_lower_limit_on_what_is_counted_and_a_limit_alone_are_conditions() {
        let condition = |t: &str| (t.to_owned(), ClauseKind::Condition);
        let work = |t: &str| (t.to_owned(), ClauseKind::Plain);
        assert_eq!(
            texts("Bei mehr als 20 Std./Monat vorher Zustimmung PR einholen."),
            [condition("mehr als 20 Std./Monat?"), work("vorher Zustimmung PR einholen")]
        );
        assert_eq!(
            texts("Eintrag freischalten, ab 500 erwarteten Besuchern zusätzlich ins gedruckte Monatsheft."),
            [
                work("Eintrag freischalten"),
                condition("ab 500 erwarteten Besuchern?"),
                work("zusätzlich ins gedruckte Monatsheft")
            ]
        );
        assert_eq!(texts("Kosten über 500 €. AL gibt frei.")[0], condition("Kosten über 500 €?"));
        assert_eq!(
            texts(
                "Dann kommt's auf den Betrag an: bis 5.000 Euro entscheidet die Kassenleitung selbst, darüber der Kämmerer."
            )[0],
            condition("bis 5.000 Euro?")
        );
        assert_eq!(
            texts("Bis 5.000 Euro entscheidet die Kassenleitung, darüber muss der Kämmerer unterschreiben.")[3],
            work("muss der Kämmerer unterschreiben")
        );
        assert_eq!(texts("Über 1.400 € netto im Monat?").len(), 1);
        // A deadline, a time of day and a fee are no limits.
        assert_eq!(texts("Ab 1.3. Anträge annehmen.")[0].1, ClauseKind::Plain);
        assert_eq!(texts("Ab 8 Uhr Halle aufschließen.")[0].1, ClauseKind::Plain);
        assert_eq!(texts("Gebühr bis 100 €.")[0].1, ClauseKind::Plain);
    }

    #[test]
    fn notes_with_arrows_become_conditions_and_work() {
        let clauses = texts("Unterlagen da? → Bescheid erstellen, sonst nachfordern\n- Akte schließen");
        assert_eq!(
            clauses,
            vec![
                ("Unterlagen da?".into(), ClauseKind::Condition),
                ("Bescheid erstellen".into(), ClauseKind::Plain),
                ("sonst nachfordern".into(), ClauseKind::Otherwise),
                ("Akte schließen".into(), ClauseKind::Plain),
            ]
        );
        let clauses = split("Unvollst. → Nachforderung, Frist 4 Wo. Vollst. → Berechnung");
        assert_eq!(clauses[0].text, "Unvollst");
        assert_eq!((clauses[0].kind, clauses[0].negated), (ClauseKind::Condition, true));
        assert_eq!(clauses[1].text, "Nachforderung, Frist 4 Wo");
        assert_eq!((clauses[2].text.as_str(), clauses[2].negated), ("Vollst", false));
    }

    #[test]
    fn each_piece_of_work_with_its_own_verb_is_a_clause() {
        let cut = |dictation: &str| -> Vec<String> { split(dictation).into_iter().map(|c| c.text).collect() };
        assert_eq!(
            cut("Firma schleppt ab, verwahrt 1 Monat. PA fertigt Zeugnis aus, AL unterschreibt, Versand an MA."),
            ["Firma schleppt ab", "verwahrt 1 Monat", "PA fertigt Zeugnis aus", "AL unterschreibt, Versand an MA"]
        );
        assert_eq!(
            cut("Wir schicken die Anordnung an die Stadtkasse, die überweist das Geld, meist sofort."),
            ["Wir schicken die Anordnung an die Stadtkasse", "die überweist das Geld, meist sofort"]
        );
        assert_eq!(
            cut("Der Eigentümer beantragt die Fällung, das Umweltamt macht einen Ortstermin."),
            ["Der Eigentümer beantragt die Fällung", "das Umweltamt macht einen Ortstermin"]
        );
        assert_eq!(cut("Wir prüfen die Liste, die wir bekommen, und den Antrag.").len(), 1);
        assert_eq!(cut("Erlaubnis erteilen, Gebühr 150 €."), ["Erlaubnis erteilen", "Gebühr 150 €"]);
        assert_eq!(cut("Erlaubnis erteilen, Gebühr nach Satzung.").len(), 1);
        assert_eq!(split("Erlaubnis erteilen, Gebühr 2 € → Kasse bucht")[1].kind, ClauseKind::Plain);
        assert_eq!(
            cut(
                "Ausweis drucken und aushändigen, Benutzungsordnung mitgeben. Prognose anfordern, Auflagen festlegen (Wände, max. 3 Nächte)."
            ),
            [
                "Ausweis drucken und aushändigen",
                "Benutzungsordnung mitgeben",
                "Prognose anfordern",
                "Auflagen festlegen (Wände, max. 3 Nächte)"
            ]
        );
        assert_eq!(cut("Wir müssen die Liste prüfen, die wir bekommen.").len(), 1);
        assert_eq!(
            texts("Bis 5.000 Euro entscheidet die Sachbearbeitung selbst, darüber die Kämmerei."),
            [
                ("Bis 5.000 Euro?".to_owned(), ClauseKind::Condition),
                ("entscheidet die Sachbearbeitung selbst".to_owned(), ClauseKind::Plain),
                ("darüber?".to_owned(), ClauseKind::Condition),
                ("entscheidet die Kämmerei".to_owned(), ClauseKind::Plain),
            ]
        );
        assert_eq!(cut("Deckung ok: bis 10 T€ entscheidet Kämmerer, darüber BM.").len(), 5);
        assert_eq!(cut("Wenn der Antrag fehlt, fordert SB nach").len(), 2);
    }

    #[test]
    fn a_state_before_a_colon_is_the_condition_of_the_work_after_it() {
        let cut = |dictation: &str| -> Vec<(String, ClauseKind, bool)> {
            split(dictation).into_iter().map(|c| (c.text, c.kind, c.negated)).collect()
        };
        let condition = |text: &str, negated: bool| (text.to_owned(), ClauseKind::Condition, negated);
        let work = |text: &str| (text.to_owned(), ClauseKind::Plain, false);
        assert_eq!(
            cut("Bei Sicherheitsbedenken: Kooperationsgespräch führen. Keine Änderungen: Zeugnis ausfertigen."),
            [
                condition("Bei Sicherheitsbedenken?", false),
                work("Kooperationsgespräch führen"),
                condition("Keine Änderungen?", true),
                work("Zeugnis ausfertigen")
            ]
        );
        assert_eq!(cut("Mehr als 3 Tage: Anzeige an Unfallkasse")[0], condition("Mehr als 3 Tage?", false));
        assert_eq!(cut("Wird gestundet: Ratenplan erstellen")[0].1, ClauseKind::Condition);
        assert_eq!(cut("Berechtigt: Vordruck an die Schule")[0].1, ClauseKind::Condition);
        for label in [
            "Unterlagen: Antrag und Ausweis prüfen",
            "Wir: Schulweg berechnen",
            "Arbeitszeugnis: MA beantragt es",
            "Frist: 2 Wochen abwarten",
            "gleichzeitig: Gebäudemanagement schätzt Schaden",
        ] {
            assert_eq!(cut(label).len(), 1, "{label}");
        }
    }

    #[test]
    fn an_example_in_parentheses_is_not_part_of_the_clause() {
        assert_eq!(
            texts("- Gefahr für Schüler (z. B. kaputte Scheibe)? → Bauhof sichert ab"),
            [
                ("Gefahr für Schüler?".to_owned(), ClauseKind::Condition),
                ("Bauhof sichert ab".to_owned(), ClauseKind::Plain)
            ]
        );
        assert_eq!(
            texts("Auflagen festlegen (Wände, max. 3 Nächte)")[0].0,
            "Auflagen festlegen (Wände, max. 3 Nächte)"
        );
    }

    #[test]
    fn a_fee_noted_without_verb_is_charged() {
        let fee = |text: &str| split(text)[0].fee_note();
        assert_eq!(fee("Gebühr i. d. R. 45 €").as_deref(), Some("Gebühr von 45 € erheben"));
        assert_eq!(
            fee("Gebühr 120 Euro pro Container und Jahr").as_deref(),
            Some("Gebühr von 120 Euro pro Container und Jahr erheben")
        );
        assert_eq!(fee("Gebühr 13 € kassieren"), None);
        assert_eq!(fee("Gebühr je nach Laufzeit, 1 Jahr 60 €"), None);
        assert_eq!(fee("Kosten ca. 300 € pro Fahrzeug"), None);
    }

    #[test]
    fn a_heading_names_the_service_without_a_verb() {
        let heading =
            |text: &str| Clause { text: text.to_owned(), kind: ClauseKind::Plain, negated: false }.is_heading();
        assert!(heading("Beglaubigung von Kopien, Bürgerbüro"));
        assert!(!heading("Antrag kommt per Mail ins Ordnungsamt"));
        assert!(!heading("Versammlungsanzeige: Eingang beim Ordnungsamt, spätestens 48 Stunden vor Bekanntgabe"));
    }

    #[test]
    fn a_leading_condition_is_cut_from_its_work() {
        let clauses = texts("Wenn was fehlt, wird nachgefordert, sonst ins Register eintragen.");
        assert_eq!(
            clauses,
            vec![
                ("Wenn was fehlt".into(), ClauseKind::Condition),
                ("wird nachgefordert".into(), ClauseKind::Plain),
                ("sonst ins Register eintragen".into(), ClauseKind::Otherwise),
            ]
        );
    }

    #[test]
    fn a_verb_first_condition_and_a_closing_step_are_clauses_of_their_own() {
        let clauses = texts(
            "Fehlt was, schreiben wir die Leute an. Er holt es ab und unterschreibt, und, zum Schluss tragen wir das Gerät ein.",
        );
        assert_eq!(
            clauses,
            [
                ("Fehlt was?".into(), ClauseKind::Condition),
                ("schreiben wir die Leute an".into(), ClauseKind::Plain),
                ("Er holt es ab und unterschreibt".into(), ClauseKind::Plain),
                ("tragen wir das Gerät ein".into(), ClauseKind::Plain),
            ]
        );
        let kinds = |text| texts(text).into_iter().map(|(_, kind)| kind).collect::<Vec<_>>();
        assert_eq!(kinds("Ehrlich, die Hälfte der Väter meldet sich nie."), [ClauseKind::Plain]);
    }

    #[test]
    fn a_condition_is_known_by_its_verb_first_a_negation_before_an_arrow_or_a_finding_after_a_check() {
        for (dictation, condition) in [
            ("Ordnet AG Berichtigung an, trägt SB sie ein.", "Ordnet AG Berichtigung an?"),
            ("Antrag prüfen; lehnt AG ab, teilt SB die Ablehnung mit.", "lehnt AG ab?"),
            ("Ist FZA binnen 3 Mon. nicht mögl., beantragt AL Auszahlung.", "Ist FZA binnen 3 Mon. nicht mögl.?"),
            ("Steht Ligaspiel am Wochenende an: Verein meldet Sperrung.", "Steht Ligaspiel am Wochenende an?"),
            ("SB prüft Anlass (Markt, Fest o. Ä.). Nichts Passendes: Absage.", "Nichts Passendes?"),
            (
                "Eltern lehnen ab oder melden sich nicht binnen 3 Wochen → Fall schließen",
                "Eltern lehnen ab oder melden sich nicht binnen 3 Wochen",
            ),
            ("- Klimaschutzmanager prüft Wohnsitz: nicht in der Stadt → Ablehnung", "nicht in der Stadt?"),
        ] {
            let clauses = texts(dictation);
            assert!(clauses.contains(&(condition.into(), ClauseKind::Condition)), "{dictation}: {clauses:?}");
        }
        // Work said verb first in a list stays work.
        assert!(texts("Prüft Unterlagen, schickt Bescheid.").iter().all(|(_, kind)| *kind == ClauseKind::Plain));
    }

    #[test]
    fn a_verb_first_condition_is_known_by_the_main_clause_after_it() {
        assert_eq!(
            texts(
                "Bestätigt sich der Verdacht, erarbeiten wir einen Schutzplan. Bestätigt sich nichts, Fall schließen."
            ),
            [
                ("Bestätigt sich der Verdacht?".into(), ClauseKind::Condition),
                ("erarbeiten wir einen Schutzplan".into(), ClauseKind::Plain),
                ("Bestätigt sich nichts?".into(), ClauseKind::Condition),
                ("Fall schließen".into(), ClauseKind::Plain),
            ]
        );
        assert_eq!(
            texts("Gibt's einschlägige Einträge, hören wir den Antragsteller an.")[0],
            ("Gibt's einschlägige Einträge?".into(), ClauseKind::Condition)
        );
        assert_eq!(texts("Ist eh schon alles da, gibt's 'ne Ablehnung.")[0].1, ClauseKind::Condition);
        // A subject first, a verb after it: work, not a condition.
        let kinds = |text| texts(text).into_iter().map(|(_, kind)| kind).collect::<Vec<_>>();
        assert_eq!(kinds("Unterlagen kommen rein, prüfen wir sofort."), [ClauseKind::Plain]);
        assert_eq!(kinds("Bauhof prüft den Schaden, meldet ihn weiter."), [ClauseKind::Plain, ClauseKind::Plain]);
        assert_eq!(
            kinds("Belegt: Abmahnung entwerfen, Personalrat informieren."),
            [ClauseKind::Condition, ClauseKind::Plain, ClauseKind::Plain]
        );
    }

    #[test]
    fn bei_and_an_occasion_is_the_condition_of_the_work_after_it() {
        assert_eq!(
            texts("Bei akuter Gefahr Hausbesuch noch am selben Tag."),
            [
                ("Bei akuter Gefahr?".into(), ClauseKind::Condition),
                ("Hausbesuch noch am selben Tag".into(), ClauseKind::Plain),
            ]
        );
        assert_eq!(
            texts("Kasse überwacht den Eingang, bei Nichtzahlung nach zwei Wochen Mahnung."),
            [
                ("Kasse überwacht den Eingang".into(), ClauseKind::Plain),
                ("bei Nichtzahlung?".into(), ClauseKind::Condition),
                ("nach zwei Wochen Mahnung".into(), ClauseKind::Plain),
            ]
        );
        assert_eq!(
            texts("Bei Interesse an städtischen Flächen prüfen wir den Preis.")[0].0,
            "Bei Interesse an städtischen Flächen?"
        );
        // A place or a person is no occasion.
        let kinds = |text| texts(text).into_iter().map(|(_, kind)| kind).collect::<Vec<_>>();
        assert_eq!(kinds("Bei der Stadtkasse zahlt er ein."), [ClauseKind::Plain]);
        assert_eq!(kinds("Wir fragen bei uns im Amt nach."), [ClauseKind::Plain]);
        assert_eq!(kinds("Bei Bauamt nachfragen."), [ClauseKind::Plain]);
        assert_eq!(kinds("Bei Klavier sind das drei Jahre."), [ClauseKind::Plain]);
        assert_eq!(kinds("Bei Konflikt m. Straßenbaum: Umweltamt fragen."), [ClauseKind::Condition, ClauseKind::Plain]);
    }

    #[test]
    fn a_corrected_word_replaces_the_word_said() {
        let names = |text| texts(text).into_iter().map(|(t, _)| t).collect::<Vec<_>>();
        assert_eq!(
            names("Hausbesuch innerhalb von, äh, drei, nein, fünf Werktagen."),
            ["Hausbesuch innerhalb von fünf Werktagen"]
        );
        assert_eq!(
            names("Wir stellen die Karte aus, Gebühr, 250 Euro, nein, Quatsch, 200 Euro."),
            ["Wir stellen die Karte aus", "Gebühr 200 Euro"]
        );
        assert_eq!(
            names("Sonst muss der Personalrat informiert, nein, zustimmen."),
            ["Sonst muss der Personalrat zustimmen"]
        );
        assert_eq!(
            names("Vorher muss die Stadtkasse, äh, nein, der Fachbereich Finanzen die Summe prüfen."),
            ["Vorher muss der Fachbereich Finanzen die Summe prüfen"]
        );
        assert_eq!(names("Wir prüfen den Antrag, nein, das ist falsch, wir lehnen ab."), ["wir lehnen ab"]);
        assert_eq!(
            names("Dann prüft das Amt die Entfernung, nein, die Schule bestätigt zuerst."),
            ["prüft das Amt die Entfernung, nein", "die Schule bestätigt zuerst"]
        );
        // Answers are no corrections.
        assert_eq!(names("Alles da? Wenn nein, nachfordern."), ["Alles da?", "Wenn nein", "nachfordern"]);
    }

    #[test]
    fn a_corrected_order_puts_the_work_first_and_drops_what_is_said_again() {
        let names = |text| texts(text).into_iter().map(|(t, _)| t).collect::<Vec<_>>();
        assert_eq!(
            names(
                "Dann geht das an den Bürgermeister, ähm, nein, erst an den Fachbereich, und dann an den Bürgermeister."
            ),
            ["an den Fachbereich", "an den Bürgermeister"]
        );
        assert_eq!(
            names("Der Antrag geht ein. Wir prüfen die Berechtigung – nein, vorher noch den Eingang erfassen."),
            ["Der Antrag geht ein", "den Eingang erfassen", "Wir prüfen die Berechtigung"]
        );
        assert_eq!(
            names(
                "Dann bestätigen wir die Elternzeit, nein, Moment, vorher informieren wir die Amtsleitung, die plant die Vertretung."
            ),
            ["informieren wir die Amtsleitung", "die plant die Vertretung", "bestätigen wir die Elternzeit"]
        );
        assert_eq!(
            names(
                "Wenn es da ist, dann drucken wir, nein, erst wird das Foto eingescannt, und dann wird der Ausweis gedruckt."
            ),
            ["Wenn es da ist", "wird das Foto eingescannt", "wird der Ausweis gedruckt"]
        );
        assert_eq!(
            names(
                "Wir prüfen die Verhältnisse – nee, vorher: Nachweise einreichen. Wenn alles da ist, Verhältnisse prüfen."
            ),
            ["Nachweise einreichen", "Wenn alles da ist", "Verhältnisse prüfen"]
        );
        // "nein" as an answer is no correction.
        assert_eq!(names("Wenn nein, dann erst Unterlagen nachfordern.").len(), 2);
    }

    #[test]
    fn a_pointer_back_after_work_opens_the_other_branch() {
        let clauses =
            texts("Wir prüfen, ob die Person berechtigt ist. Wenn nicht, Ticket zurück. Wenn ja, Gerät ausgeben.");
        let kinds: Vec<ClauseKind> = clauses.iter().map(|c| c.1).collect();
        use ClauseKind::*;
        assert_eq!(kinds, [Plain, Condition, Condition, Plain, Otherwise, Plain], "{clauses:?}");
        let clauses = texts("Wir prüfen, ob die Person berechtigt ist. Außendienst zählt. Wenn nicht, Ticket zurück.");
        assert_eq!(clauses[3], ("Wenn nicht".into(), Otherwise), "{clauses:?}");
    }

    #[test]
    fn an_instruction_inside_an_arrow_chain_is_work() {
        let clauses = texts("nein -> Antragsteller anhören -> Antrag ablehnen\nFrist -> abgelaufen -> Akte schließen");
        assert_eq!(clauses[1], ("Antragsteller anhören".into(), ClauseKind::Plain), "{clauses:?}");
        assert_eq!(clauses[4], ("abgelaufen".into(), ClauseKind::Condition), "{clauses:?}");
    }

    #[test]
    fn abbreviations_and_numbers_do_not_end_sentences() {
        let clauses = texts("SB prüft ggf. Nachweise, z. B. den Mietvertrag. Ca. 2.000 Fälle p. a. im Jahr.");
        assert_eq!(clauses.len(), 2, "{clauses:?}");
        assert_eq!(clauses[0].0, "SB prüft ggf. Nachweise, z. B. den Mietvertrag");
        // An acronym's period ends its sentence; an abbreviation's does not.
        assert_eq!(texts("Gebühr 45 €. Zum Schluss Mitteilung an das Amt.").len(), 2);
        let clauses = texts("Mitteilung an FA. Ca. 40 Fälle. Auftrag an Fa. Müller.");
        assert_eq!(
            clauses.iter().map(|c| c.0.as_str()).collect::<Vec<_>>(),
            ["Mitteilung an FA", "Ca. 40 Fälle", "Auftrag an Fa. Müller"]
        );
    }

    #[test]
    fn a_cut_short_word_is_an_abbreviation() {
        let clauses = texts("Ehrenamtl. Tätigkeit → gebührenfrei. Workflow an die zust. Fachabt. zur Prüfung.");
        assert_eq!(clauses[0].0, "Ehrenamtl. Tätigkeit", "{clauses:?}");
        assert_eq!(clauses.last().map(|c| c.0.as_str()), Some("Workflow an die zust. Fachabt. zur Prüfung"));
        assert!(!cut_short("zahl") && !cut_short("modell") && !cut_short("ziel"));
    }

    #[test]
    fn fillers_go_but_a_yes_or_ok_that_carries_a_branch_stays() {
        let clauses = texts("Ja, also wir gucken die Akte durch. Wenn ja, ähm, fordern wir nach. OK → Bescheid raus.");
        assert_eq!(clauses[0].0, "wir gucken die Akte durch");
        assert_eq!(clauses[1], ("Wenn ja".into(), ClauseKind::Condition));
        assert_eq!(clauses[3], ("OK".into(), ClauseKind::Condition));
    }

    #[test]
    fn a_verbless_left_side_of_an_arrow_is_a_condition_of_any_length() {
        let clauses = texts(
            "Grundschule über 2 km, weiterführende über 3,5 km → Erstattung festsetzen. Poststelle scannt den Brief ein und legt ihn ab → Workflow.",
        );
        assert_eq!(clauses[0].1, ClauseKind::Condition);
        assert_eq!(clauses[2].1, ClauseKind::Plain, "{clauses:?}");
    }

    #[test]
    fn work_beside_an_amount_or_after_sonst_is_not_a_remark() {
        let remark = |text: &str| split(text).iter().all(Clause::may_be_remark);
        assert!(!remark("Auflagen festlegen, z. B. 50 m Abstand"));
        assert!(!remark("sonst Gebühr 13 € kassieren"));
        assert!(remark("sonst direkt weiter"));
        assert!(remark("Ca. 40 Anträge im Jahr"));
        assert!(remark("Das dauert zwanzig Minuten"));
        assert!(split("Bearbeitungszeit i. d. R. 4–6 Wo.")[0].is_statistic());
        assert!(split("Bearb. i. d. R. 2–3 Tage, vor den Ferien deutlich mehr Antr.")[0].is_statistic());
        // An instruction is work whatever remark comes with it; a cue is a word, not a compound's part.
        assert!(!remark("Gebühr festsetzen (ca. 50 € je Wohnung)"));
        assert!(!remark("Jahresgebühr 20 € kassieren"));
        assert!(!remark("Die Rundschreiben gehen raus"));
        assert!(remark("Das kann meistens schon mal dauern"));
        assert!(remark("Muss man meistens nicht extra prüfen"));
        assert!(!remark("PA wertet monatlich die AU-Zeiten aus"));
        assert!(remark("Wir haben das meistens schon geprüft"));
        // An instruction beside a figure is asked about too.
        assert!(!split("Gastschulbeitrag, 1.200 € im Jahr, beim Schulträger zusagen")[0].is_statistic());
        // A negated state before a colon is the condition of the work after it.
        let clause = |text: &str| Clause { text: text.to_owned(), kind: ClauseKind::Plain, negated: true };
        assert!(!clause("Kein Grund: Ablehnung an Eltern").may_be_remark());
        assert!(clause("Rückt keiner nach, gibt's nix").may_be_remark());
        assert!(clause("Anm.: Anträge sind nicht gebührenpflichtig").may_be_remark());
    }

    #[test]
    fn two_verbs_or_und_make_two_pieces_of_work() {
        let two = |text: &str| Clause { text: text.to_owned(), kind: ClauseKind::Plain, negated: false }.joins_two();
        assert!(two("Schule bestätigt den Schulbesuch und leitet an das Amt weiter"));
        assert!(two("Kasse bucht den Betrag ein, mahnt säumige Zahler an"));
        assert!(two("Belege prüfen und auszahlen"));
        assert!(!two("SB prüft den Ausweis bzw. Reisepass"));
    }

    #[test]
    fn a_condition_reads_as_a_question() {
        let question = |text: &str| split(text)[0].as_question();
        assert_eq!(question("wenn kein gültiger Schein vorliegt, Ablehnung"), "Kein gültiger Schein vorliegt?");
        assert_eq!(question("Gefährlich → festsetzen"), "Gefährlich?");
    }

    #[test]
    fn a_check_is_cut_from_its_question_and_back_references_are_known() {
        let clauses = split("Das Jugendamt prüft, ob das Kind gemeldet ist. Ist dies nicht der Fall, wird abgelehnt.");
        assert_eq!(clauses[1].text, "ob das Kind gemeldet ist");
        assert_eq!(clauses[1].kind, ClauseKind::Condition);
        assert!(!clauses[1].refers_back() && clauses[2].refers_back(), "{clauses:?}");
    }

    #[test]
    fn statistics_are_told_apart_from_work_with_amounts() {
        let statistic = |text: &str| split(text).iter().all(Clause::is_statistic);
        assert!(statistic("Ca. 80 Fälle im Jahr"));
        assert!(statistic("Das dauert meist zwei Tage"));
        assert!(statistic("Läuft im Sommer fast jedes Wochenende"));
        assert!(!statistic("Gebühr 15 € kassieren"));
        assert!(!statistic("Nachforderung, Frist 4 Wo"));
        assert!(statistic("Samstags kostet's 100 Euro extra"));
        assert!(statistic("Der Schein gilt auf Lebenszeit"));
        assert!(statistic("Reproduktionen sind nach der Entgeltordnung kostenpflichtig"));
        assert!(!statistic("gebührenfrei, SB prüft dann die Bestätigung vom Verein"));
        assert!(!statistic("Die Kasse erstattet die Kosten"));
        // Who works and what: work, however often.
        assert!(!statistic("Friedhofsverwaltung erstellt einmal im Jahr die Liste"));
        assert!(statistic("Wir haben ca. 80 Fälle im Jahr"));
    }

    #[test]
    fn a_worker_after_its_verb_says_the_clause_is_work() {
        let remark = |text: &str| split(text)[0].may_be_remark();
        assert!(!remark("Im Gespräch klären wir den Rückstand, oft so dreitausend Euro"));
        assert!(!remark("Fehlende Nachweise fordert SB an"));
        assert!(!remark("SB setzt Gebühr fest, ca. 0,5 % der Baukosten"));
        assert!(remark("Das kommt oft vor"));
    }

    #[test]
    fn connectives_open_steps_and_conditions_come_first() {
        let clauses =
            texts("Also wir prüfen den Antrag, dann geht der Bescheid raus. Die Kasse bucht, wenn gezahlt ist.");
        assert_eq!(
            clauses,
            vec![
                ("wir prüfen den Antrag".into(), ClauseKind::Plain),
                ("geht der Bescheid raus".into(), ClauseKind::Plain),
                ("wenn gezahlt ist".into(), ClauseKind::Condition),
                ("Die Kasse bucht".into(), ClauseKind::Plain),
            ]
        );
    }
}
