//! A dictation cut into clauses, deterministically, before the model sees any of it.
//!
//! Each clause is then drafted on its own (see [`super::prepare`]): a small model asked to
//! rewrite a whole dictation at once drops half of it and copies its examples, while one asked
//! about one clause at a time keeps to that clause. The cuts are where dictations change from
//! one piece of work to the next: line starts and bullets, arrows, sentence ends, semicolons,
//! and the connectives that open a next step ("dann", "danach") or a branch ("wenn", "sonst").

mod corrections;
mod cuts;
mod sentences;
mod verbs;

use std::sync::LazyLock;

use regex::Regex;

use corrections::{corrected, put_first, replaced, shared_words};
pub(super) use cuts::FLOW_ADVERBS;
use cuts::{
    LIMITS, SUBORDINATORS, colon_condition, connectives, each_work, names_fee, occasion, threshold, verb_first,
};
use sentences::sentences;
pub(super) use verbs::{
    MODALS, NOT_VERBS, PARTICLES, common_start, infinitive_like, looks_finite, looks_like_verb, may_be_verb, without_ge,
};
use verbs::{SHORT_FINITE, ends_in_infinitive, ends_in_state};

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
    /// When the case begins, dictated as a condition right after the heading ("Erstattung von
    /// Eintrittskarten, wenn eine Veranstaltung abgesagt wird"): the start event names it.
    Trigger,
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

/// The words of a text, without punctuation.
pub(super) fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty())
}

/// Whether the clause is worded as an instruction: it ends in an infinitive (asides in
/// parentheses left out) without a modal verb or a negation before it.
fn is_instruction(text: &str) -> bool {
    // "Bankgebühr (ca. 3 €) dem Zahlungspflichtigen belasten": the aside is left out.
    static ASIDE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\([^)]*\)?").expect("valid regex"));
    let text = ASIDE.replace_all(text, "");
    let main = text.trim_end_matches([' ', ',', '.', ';', '!']);
    let lower = main.to_lowercase();
    let words: Vec<&str> = words(&lower).collect();
    ends_in_infinitive(main)
        && !words.iter().any(|w| MODALS.contains(w))
        && !words.iter().rev().nth(1).is_some_and(|w| matches!(*w, "nicht" | "kein" | "keine" | "nie"))
}

/// Verbs that say what a worker has or is rather than what it does ("Wir haben 80 Fälle im Jahr").
const BEING: &[&str] =
    &["haben", "habe", "hat", "sind", "ist", "war", "waren", "kriegen", "kriegt", "bekommen", "bekommt"];

/// Words after which a lower-case word ending like a verb is an adjective before its noun ("die
/// fehlenden Unterlagen", "zum nächsten Termin"). Not "ein": it ends a part as a verb's particle
/// ("bucht den Betrag ein, mahnt …").
const ATTRIBUTING: &[&str] = &[
    "der", "die", "das", "den", "dem", "des", "eine", "einen", "einem", "einer", "eines", "kein", "keine", "keinen",
    "keinem", "keiner", "zum", "zur", "im", "am", "vom", "beim",
];

/// Words before a clause's subject: "Und der Bauhof setzt …", "dann die Kollegin …".
const BEFORE_SUBJECT: &[&str] = &["und", "der", "die", "das", "unser", "unsere", "also"];

/// Whether the clause says who works: it opens with "wir", "ich", "SB", a unit or a person, then
/// a verb ("PA wertet monatlich die AU-Zeiten aus", "Und der Bauhof setzt den Stein"), or names
/// one right after its verb ("Im Gespräch klären wir …", "Fehlende Nachweise fordert SB an"). In
/// speech the verb before "ich" loses its ending ("informier ich den Eigentümer", "schick ich").
fn names_worker(text: &str) -> bool {
    let words: Vec<&str> = text.split_whitespace().map(|w| w.trim_matches(|c: char| !c.is_alphanumeric())).collect();
    let opening = |w: &&str| {
        let lower = w.to_lowercase();
        BEFORE_SUBJECT.contains(&lower.as_str()) || FLOW_ADVERBS.contains(&lower.as_str())
    };
    let words: Vec<&str> = words.iter().copied().skip_while(opening).collect();
    let worker = |w: &str| matches!(w, "Wir" | "wir" | "Ich" | "ich" | "SB") || super::actors::actor_named(w).is_some();
    let works = |w: &str| looks_like_verb(w) && !BEING.contains(&w);
    words.windows(2).enumerate().any(|(i, pair)| {
        (i == 0 && worker(pair[0]) && works(pair[1]))
            || ((works(pair[0]) || verb_before_ich(pair[0], pair[1])) && worker(pair[1]))
    })
}

/// Whether `word` is a spoken verb of the first person before `next`, "ich": its ending is
/// dropped ("informier ich", "schick ich", "guck ich"), so it does not look like a verb.
pub(super) fn verb_before_ich(word: &str, next: &str) -> bool {
    next == "ich"
        && word.chars().count() >= 3
        && word.chars().all(char::is_lowercase)
        && !SUBORDINATORS.contains(&word)
        && !CONDITION.contains(&word)
        && !BEING.contains(&word)
        && !matches!(word, "da" | "bin" | "hab" | "als" | "und" | "oder" | "aber" | "sag" | "sage" | "glaub" | "glaube")
}

/// Words that deny the work a clause's verb names where they close it: "Gebühr nehmen wir
/// keine", "zustimmen muss er nicht", "Vereine aus der Stadt zahlen nix".
const DENIALS: &[&str] = &["nicht", "kein", "keine", "keinen", "nie", "nix", "nichts"];

/// Whether a part of a clause denies its work: it closes with a denial ("…, nehmen wir keine
/// mehr"), after two words at least ("wenn nicht", "zahlt nicht" ask a question).
fn denies(part: &str) -> bool {
    let lower = part.to_lowercase();
    let mut words: Vec<&str> = words(&lower).collect();
    while words.last().is_some_and(|w| matches!(*w, "mehr" | "extra" | "auch" | "ja" | "mal")) {
        words.pop();
    }
    words.len() >= 3 && words.last().is_some_and(|w| DENIALS.contains(w))
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
        // "Gebühr festsetzen (ca. 50 € je Wohnung)"); a worker named is, unless the work is done
        // already or denied ("Gebühr nehmen wir keine"). Each part is judged alone, and the
        // words before a colon too: "Gutachten schreiben, an Personalstelle nur Ergebnis",
        // "Antrag geht ein, SB prüft Unterlagen", "Voraussetzungen prüfen: 25–69 Jahre".
        let done = words.iter().any(|w| matches!(*w, "bereits" | "schon"));
        let before_colon = self.text.split_once(':').map(|(before, _)| before);
        let affirmed: Vec<&str> = said.split([',', ';']).filter(|part| !denies(part)).collect();
        if affirmed.iter().chain(&before_colon).any(|part| is_instruction(part))
            || (affirmed.iter().any(|part| names_worker(part)) && !done)
        {
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

    /// Whether the clause may name two pieces of work: it has two verbs ("bestätigt den
    /// Schulbesuch, leitet an das Amt weiter"), or a verb after "und". After a comma or an "und"
    /// without a verb the model mostly restated the first part or split its objects ("Bürger
    /// bringt Original und Kopie mit" → "Original mitbringen", "Kopie mitbringen"). A
    /// subordinate clause is part of the work before it ("im Postfachsystem suchen, wer sie noch
    /// bekommen hat"): offered two lines, the model made it a step of its own. Nor is work the
    /// clause denies ("…, zustimmen muss er nicht").
    pub fn joins_two(&self) -> bool {
        let main: Vec<&str> = self
            .text
            .split(',')
            .filter(|part| {
                part.split_whitespace().next().is_none_or(|w| !SUBORDINATORS.contains(&w.to_lowercase().as_str()))
                    && !denies(part)
            })
            .flat_map(str::split_whitespace)
            .collect();
        // A word between an article and its noun is an adjective ("der letzten 3 Monate").
        let attributive = |k: usize| k > 0 && ATTRIBUTING.contains(&main[k - 1].to_lowercase().as_str());
        let verb = |k: usize| may_be_verb(main[k]) && !attributive(k);
        // "Pläne nummerieren und siegeln", "Bescheid erstellen und an die Kasse schicken"; an
        // "und" in a list of objects joins no work ("Pass, Nachweise und Mietvertrag prüfen").
        let verb_after_und =
            main.iter().enumerate().filter(|(_, w)| **w == "und").any(|(u, _)| {
                (u + 1 < main.len() && verb(u + 1)) || ((0..u).any(verb) && (u + 1..main.len()).any(verb))
            });
        verb_after_und || (0..main.len()).filter(|&k| looks_like_verb(main[k]) && !attributive(k)).count() >= 2
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
    /// "Wenn ja", "Wenn nicht", "Wenn alles passt". A clause opening with "ob" asks anew ("ob
    /// alles passt").
    pub fn refers_back(&self) -> bool {
        let lower = self.text.to_lowercase();
        first_word(&self.text) != "ob"
            && words(&lower).filter(|w| !CONDITION.contains(w)).all(|w| REFERRING.contains(&w))
    }

    /// Whether the clause says that work belongs to another process ("das ist aber ein eigener
    /// Vorgang", "läuft separat", "macht die IT separat"): a modeller leaves that work out of
    /// this one.
    pub fn names_other_process(&self) -> bool {
        static OTHER: LazyLock<Regex> = LazyLock::new(|| {
            Regex::new(
                r"(?i)\b(eigene[rsn]?|gesonderte[rsn]?|separate[rsn]?|andere[rsn]?) (Vorgang|Prozess|Verfahren)\b|\bseparat\b|\bläuft nicht über uns\b",
            )
            .expect("valid regex")
        });
        OTHER.is_match(&self.text)
    }

    /// Whether the clause is only a short remark on the clause before it ("läuft separat",
    /// "eigener Vorgang", "das ist aber …"): at most six words, opening in lower case or with a
    /// word that points back.
    pub fn remarks_on_previous(&self) -> bool {
        let words: Vec<&str> = self.text.split_whitespace().collect();
        let Some(first) = words.first() else { return false };
        words.len() <= 6
            && (first.starts_with(char::is_lowercase)
                || matches!(
                    first.to_lowercase().as_str(),
                    "das" | "dies" | "eigener" | "eigenes" | "eigene" | "läuft" | "macht"
                ))
    }

    /// Whether the clause, dictated first, only names the service ("Beglaubigung von Kopien,
    /// Bürgerbüro", "Schulanmeldung GS"): a few words without a verb, or a noun and the
    /// infinitive of what the service does ("Handkasse einrichten", "Eheschließung anmelden").
    /// Asked about it, the model made it a task ("Beglaubigung einreichen"); the closing request
    /// names the title.
    pub fn is_heading(&self) -> bool {
        let words: Vec<&str> = self.text.split_whitespace().collect();
        let named_as_work = words.len() <= 4
            && words.first().is_some_and(|w| w.starts_with(char::is_uppercase))
            && is_instruction(&self.text);
        (words.len() <= 6 && !words.iter().any(|w| looks_like_verb(w))) || named_as_work
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
            && (cost || STATISTIC_CUES.iter().any(|cue| lower.contains(cue)) || self.is_figures_note())
            && !is_instruction(&self.text)
            && !names_worker(&self.text)
    }

    /// Whether the clause notes figures without work: no verb, no noun of work and nothing
    /// handed on ("2 Monate Vorlauf", "Steuersatz 5 % v. Übernachtungspreis", "Aktuell 61
    /// Formulare online, Ziel 100 bis Ende 2027"). Asked about it, the model invented the work
    /// ("Vorlauf planen", "Steuersatz berechnen"). A figure beside work is a step's detail
    /// ("Bericht an AL bis Folgetag 10 Uhr", "Nachforderung, Frist 4 Wo").
    fn is_figures_note(&self) -> bool {
        let work = |w: &str| {
            let lower = w.to_lowercase();
            may_be_verb(w)
                || SHORT_FINITE.contains(&w)
                || WORK_NOUN_ENDS.iter().any(|end| lower.ends_with(end))
                || matches!(lower.as_str(), "an" | "ans" | "per" | "durch")
        };
        self.text.contains(|c: char| c.is_ascii_digit()) && !words(&self.text).any(work)
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

/// Ends of nouns that name work or what it hands on ("Prüfung", "Übergabe", "Abnahme",
/// "Hausbesuch", "Gebührenbescheid").
const WORK_NOUN_ENDS: &[&str] =
    &["ung", "gabe", "nahme", "kontrolle", "bescheid", "bericht", "besuch", "antrag", "schreiben", "gebühr"];

/// Whether a (lower-case) noun is a fee: "Gebühr", "Verwaltungsgebühren".
fn is_fee(noun: &str) -> bool {
    noun.ends_with("gebühr") || noun.ends_with("gebühren")
}

/// Words of a condition that points back at the one before it, or at all cases but the ones
/// before it ("alle anderen"), or says of it that all is well without naming what ("wenn's
/// passt", "Stimmt alles?", "in Ordnung", "alles sauber"): asked alone, such a clause became a
/// decision of its own ("Alles passt?").
const REFERRING: &[&str] = &[
    "ist", "sind", "dies", "das", "es", "s", "der", "die", "nicht", "ja", "nein", "doch", "fall", "so", "zutrifft",
    "trifft", "zu", "alle", "andere", "anderen", "übrigen", "rest", "alles", "passt", "stimmt", "ok", "okay", "in",
    "ordnung", "sauber", "klar", "gut",
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
    // How often in notes: "3–4x/J.", "2x/Monat".
    "x/j",
    "x/mon",
    "x/w",
    // How long the office takes: "Bearbeitungszeit i. d. R. 4–6 Wo.", "Bearb. 2–3 Tage".
    " bearbeitungszeit",
    " bearbeitungsdauer",
    " bearb. ",
];

/// Phrases of remarks on what a service costs, who bears it, and how long its result is valid.
const COST_CUES: &[&str] = &[
    " kostet",
    "kostenlos",
    "kostenfrei",
    "kostenpflichtig",
    "gebührenfrei",
    "gebührenpflichtig",
    " gilt ",
    "kosten trägt",
    "kosten tragen",
    "trägt die kosten",
    "tragen die kosten",
    "umsonst",
    "gratis",
];

/// The verbs such a remark has; a clause with another verb holds work ("gebührenfrei, SB prüft …").
const COST_VERBS: &[&str] = &["kostet", "gilt", "trägt", "tragen", "zahlen", "zahlt", "kriegen", "kriegt"];

/// Words that open the other branch of a condition.
const OTHERWISE: &[&str] = &["sonst", "andernfalls", "ansonsten", "anderenfalls", "ansonst"];

/// Verbs that say something is missing and, first, open a condition: "Fehlen Unterlagen, …",
/// "…, fehlen die, fordern wir sie an".
const MISSING: &[&str] = &["fehlt", "fehlen"];

/// Words that open a condition.
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
            // "X → Y": X is the condition under which Y happens, unless X already is work.
            // An instruction is work ("Geldkassette entnehmen → leere Kassette einsetzen"), and
            // inside a chain ("nein → Antragsteller anhören → Antrag ablehnen") so is anything
            // ending in its infinitive.
            if arrow_follows
                && clauses.len() > before_part
                && let Some(last) = clauses.last_mut()
                && last.kind == ClauseKind::Plain
                && is_state(&last.text)
                && !names_fee(&last.text)
                && (!is_instruction(&last.text) || ends_in_state(&last.text))
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
    opening_condition_as_trigger(&mut clauses, dictation);
    // A condition of refusal asks the approval, its work on "nein" (a task "wird abgelehnt" is
    // work, not a negation the model may skip).
    for clause in clauses.iter_mut().filter(|c| c.kind == ClauseKind::Condition) {
        let lower = format!(" {}", clause.text.to_lowercase());
        clause.negated |= REFUSALS.iter().any(|(refused, _)| lower.contains(&format!(" {refused}")));
    }
    clauses
}

/// A condition dictated right after a heading of a few words without a verb says when the case
/// begins, not what is decided in it ("Erstattung von Eintrittskarten, Stadthalle, wenn eine
/// Veranstaltung abgesagt wird", "Rücklastschrift\n- Bank meldet Rücklastschrift → …"): it is
/// read as the trigger. Only a condition opened by "wenn" or "falls" or dictated before an
/// arrow, and not where it was dictated as a question ("Netto > 800 €?") or a later "sonst"
/// answers it.
fn opening_condition_as_trigger(clauses: &mut [Clause], dictation: &str) {
    let heading = |c: &Clause| {
        let words: Vec<&str> = c.text.split_whitespace().collect();
        c.kind == ClauseKind::Plain
            && words.len() <= 6
            && words.first().is_some_and(|w| w.starts_with(char::is_uppercase))
            && !words.iter().any(|w| may_be_verb(w) || SHORT_FINITE.contains(w))
    };
    if clauses.len() < 2 {
        return;
    }
    // "Heading, wenn …." was put condition first, as a condition before its work is.
    let position = |c: &Clause| dictation.find(c.text.trim_end_matches('?'));
    if clauses[0].kind == ClauseKind::Condition && heading(&clauses[1]) && position(&clauses[1]) < position(&clauses[0])
    {
        clauses.swap(0, 1);
    }
    if !heading(&clauses[0]) {
        return;
    }
    let clause = &clauses[1];
    let text = clause.text.trim_end_matches('?');
    let opened = matches!(first_word(text).to_lowercase().as_str(), "wenn" | "falls");
    let before_arrow = dictation
        .find(text)
        .is_some_and(|k| ARROW.find(&dictation[k + text.len()..]).is_some_and(|arrow| arrow.start() == 0));
    let asked = clause.text.ends_with('?') && dictation.contains(clause.text.as_str());
    let answered = clauses[2..].iter().take(4).any(|c| c.kind == ClauseKind::Otherwise);
    if clause.kind == ClauseKind::Condition && (opened || before_arrow) && !asked && !answered {
        clauses[1] = Clause { text: text.to_owned(), kind: ClauseKind::Trigger, negated: false };
    }
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

/// Words between a fee and its amount that only say it is usual or rough.
const ROUGHLY: &[&str] = &["i. d. R.", "i.d.R.", "ca.", "so", "etwa", "rund", "pauschal", "jeweils"];

#[cfg(test)]
mod tests {
    use super::sentences::cut_short;
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
    fn a_heading_names_the_service_without_a_verb_or_as_its_work() {
        let heading =
            |text: &str| Clause { text: text.to_owned(), kind: ClauseKind::Plain, negated: false }.is_heading();
        assert!(heading("Beglaubigung von Kopien, Bürgerbüro"));
        assert!(!heading("Antrag kommt per Mail ins Ordnungsamt"));
        assert!(!heading("Versammlungsanzeige: Eingang beim Ordnungsamt, spätestens 48 Stunden vor Bekanntgabe"));
        // Or by a noun and the infinitive of what it does.
        assert!(heading("Handkasse einrichten"));
        assert!(heading("Eheschließung anmelden"));
        assert!(!heading("Dann den Antrag auf Vollständigkeit prüfen"));
        assert!(!heading("SB muss Antrag prüfen"));
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
            names("Die Schule meldet das Kind nach zehn Fehltagen, äh, nein, nach fünf, mit Fehlzeitenliste."),
            ["Die Schule meldet das Kind nach fünf, mit Fehlzeitenliste"]
        );
        assert_eq!(
            names("Wir schicken es an die Kasse, nein, an den Fachbereich."),
            ["Wir schicken es an den Fachbereich"]
        );
        assert_eq!(
            names(
                "Die Behörde beim Kreis gibt 'ne Stellungnahme ab, nein, beim Kreis heißt das jetzt Umweltamt, egal."
            ),
            ["Die Behörde beim Kreis gibt 'ne Stellungnahme ab, nein, beim Kreis heißt das jetzt Umweltamt, egal"]
        );
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
        // All is well, said of the condition before: its other branch; asked with "ob", a new one.
        let clauses = texts(
            "Wenn Alkohol rausgegeben wird, nimmt das Ordnungsamt die Personalien auf. Wenn's passt, kriegt der Stand einen Aufkleber.",
        );
        assert_eq!(clauses[2], ("Wenn's passt".into(), Otherwise), "{clauses:?}");
        let clauses = texts("Wenn Rückstände offen sind, schreib ich an. Wenn alles sauber ist, stell ich aus.");
        assert_eq!(clauses[2], ("Wenn alles sauber ist".into(), Otherwise), "{clauses:?}");
        let clauses = texts(
            "Wenn Alkohol rausgegeben wird, nimmt das Ordnungsamt die Personalien auf. Wir prüfen, ob alles passt.",
        );
        assert!(clauses.iter().all(|c| c.1 != Otherwise), "{clauses:?}");
    }

    #[test]
    fn an_instruction_before_an_arrow_is_work() {
        let clauses = texts("nein -> Antragsteller anhören -> Antrag ablehnen\nFrist -> abgelaufen -> Akte schließen");
        assert_eq!(clauses[1], ("Antragsteller anhören".into(), ClauseKind::Plain), "{clauses:?}");
        assert_eq!(clauses[4], ("abgelaufen".into(), ClauseKind::Condition), "{clauses:?}");
        let clauses = texts("- Geldkassette entnehmen → leere Kassette einsetzen\n- Kassette voll → Zählung");
        assert_eq!(clauses[0], ("Geldkassette entnehmen".into(), ClauseKind::Plain), "{clauses:?}");
        assert_eq!(clauses[2], ("Kassette voll".into(), ClauseKind::Condition), "{clauses:?}");
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
        // After the "ja" branch's work, "OK" opens the other one.
        assert_eq!(clauses[3], ("OK".into(), ClauseKind::Otherwise));
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
        assert!(!remark("Und der Bauhof setzt den Stein in den Gehweg, meistens zweimal im Jahr"));
        assert!(!remark("Der Bauherr reicht die Pläne meistens per Post nach"));
        assert!(remark("Wir haben das meistens schon geprüft"));
        // Work the clause denies is none.
        assert!(remark("Gebühr nehmen wir keine"));
        assert!(remark("Bearbeitungsgebühr nehmen wir keine mehr, das war früher mal so"));
        assert!(!remark("Gebühr nehmen wir, keine Ausnahmen"));
        let plain = |text: &str| Clause { text: text.to_owned(), kind: ClauseKind::Plain, negated: false };
        assert!(!plain("informier ich den Hauseigentümer, zustimmen muss er nicht").may_be_remark());
        assert!(plain("Kaution nehmen wir keine, aber bei Verlust zahlen die Eltern 'nen Eigenanteil").may_be_remark());
        // Who bears the cost, how often in notes.
        assert!(split("Kosten trägt i. d. R. das Land")[0].is_statistic());
        assert!(split("Firmen zahlen 60 Euro die Stunde, Studis kriegen's umsonst")[0].is_statistic());
        assert!(split("Kommt hier wg. Bahnknoten 3–4x/J. vor")[0].is_statistic());
        assert!(!split("Kasse zahlt Zuschuss aus")[0].is_statistic());
        // Figures without work; beside work, handed on or named as a noun, they are its detail.
        assert!(split("2 Monate Vorlauf")[0].is_statistic());
        assert!(split("Steuersatz 5 % v. Übernachtungspreis")[0].is_statistic());
        assert!(split("Aktuell 61 Formulare online, Ziel 100 bis Ende 2027")[0].is_statistic());
        assert!(!split("Bericht an AL bis Folgetag 10 Uhr")[0].is_statistic());
        assert!(!split("Nachforderung, Frist 4 Wo.")[0].is_statistic());
        assert!(!split("Hausbesuch mit Begrüßungspaket (Wert ca. 30 €)")[0].is_statistic());
        // An instruction beside a figure is asked about too.
        assert!(!split("Gastschulbeitrag, 1.200 € im Jahr, beim Schulträger zusagen")[0].is_statistic());
        // A negated state before a colon is the condition of the work after it.
        let clause = |text: &str| Clause { text: text.to_owned(), kind: ClauseKind::Plain, negated: true };
        assert!(!clause("Kein Grund: Ablehnung an Eltern").may_be_remark());
        assert!(clause("Rückt keiner nach, gibt's nix").may_be_remark());
        assert!(clause("Anm.: Anträge sind nicht gebührenpflichtig").may_be_remark());
    }

    #[test]
    fn two_verbs_make_two_pieces_of_work() {
        let two = |text: &str| Clause { text: text.to_owned(), kind: ClauseKind::Plain, negated: false }.joins_two();
        assert!(two("Schule bestätigt den Schulbesuch und leitet an das Amt weiter"));
        assert!(!two("informier ich den Hauseigentümer, zustimmen muss er nicht"));
        assert!(two("Kasse bucht den Betrag ein, mahnt säumige Zahler an"));
        assert!(two("Belege prüfen und auszahlen"));
        assert!(!two("SB prüft den Ausweis bzw. Reisepass"));
        assert!(!two("Bürger bringt Original und Kopie mit"));
        assert!(two("Pläne nummerieren und siegeln"));
        assert!(two("Bescheid erstellen und an die Kasse schicken"));
        assert!(!two("Pass, Einkommensnachweise der letzten 3 Monate und Mietvertrag prüfen"));
        assert!(!two("die fehlenden Unterlagen und den Nachweis anfordern"));
        assert!(!two("im Postfachsystem suchen, wer sie noch bekommen hat"));
        assert!(!two("Der Prüfer schätzt ab, wie riskant das ist und was es kostet"));
        assert!(two("Kasse bucht ein, mahnt an, wenn nichts kommt"));
        assert!(two("Die Stadtkasse überweist, nachdem wir die Anordnung rausgegeben haben"));
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
        // Each part is judged alone: work beside a remark, or before a colon, is work.
        assert!(!remark("Gutachten schreiben, an Personalstelle nur Ergebnis, keine Diagnosen"));
        assert!(!remark("Bankgebühr (ca. 3 €) dem Zahlungspflichtigen belasten"));
        assert!(!remark("Voraussetzungen prüfen: 25–69 Jahre, Wohnsitz in der Stadt"));
        assert!(!remark("Antrag geht meist per Mail ein, SB prüft Unterlagen"));
        assert!(remark("Dauert meist fünf Minuten, ohne Termin möglich"));
        assert!(remark("Meistens kommt die Anfrage von außen, dass da wer kommt"));
    }

    #[test]
    fn work_said_to_be_another_process_is_marked_with_the_clause_a_short_remark_is_about() {
        let clauses = split(
            "Die Firma prüft die Löscher. Ersatzbeschaffung für Altgeräte läuft separat über uns. Abstimmung macht \
             Fr. Yilmaz, läuft separat. Abgerechnet wird später, das ist aber ein eigener Vorgang.",
        );
        let other: Vec<(&str, bool, bool)> =
            clauses.iter().map(|c| (c.text.as_str(), c.names_other_process(), c.remarks_on_previous())).collect();
        assert_eq!(other[0], ("Die Firma prüft die Löscher", false, false));
        assert_eq!(other[1], ("Ersatzbeschaffung für Altgeräte läuft separat über uns", true, false));
        assert!(other[2..].iter().any(|(t, o, r)| *t == "läuft separat" && *o && *r), "{other:?}");
        assert!(other.last().is_some_and(|(_, o, _)| *o), "{other:?}");
        assert!(!split("Der Bauhof sperrt die Straße").iter().any(Clause::names_other_process));
    }

    #[test]
    fn a_condition_dictated_first_is_when_the_case_begins() {
        let kinds = |t: &str| split(t).into_iter().map(|c| c.kind).collect::<Vec<_>>();
        assert_eq!(
            kinds("Rücklastschrift\nBank meldet Rücklastschrift → Stadtkasse bucht offen")[1],
            ClauseKind::Trigger
        );
        assert_eq!(
            texts("Erstattung von Eintrittskarten, Stadthalle, wenn eine Veranstaltung abgesagt wird. Wir prüfen.")[1],
            ("wenn eine Veranstaltung abgesagt wird".into(), ClauseKind::Trigger)
        );
        // Asked as a question, or answered by "sonst", it is decided.
        assert_eq!(kinds("Anlagen. Netto > 800 €? → Anlage anlegen")[1], ClauseKind::Condition);
        assert_eq!(
            kinds("Anlagen. Wenn alles da ist, bearbeiten wir, sonst fordern wir nach.")[1],
            ClauseKind::Condition
        );
        // Dictated first, with no heading before it, it is decided.
        assert_eq!(kinds("Unterlagen fehlen → nachfordern")[0], ClauseKind::Condition);
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

    #[test]
    fn an_aside_inside_a_condition_stays_in_it() {
        let clauses = texts("Wenn da mehr als Kleinbeträge, also über 50 Euro, offen sind, schreib ich die Firma an.");
        assert_eq!(
            clauses,
            vec![
                ("Wenn da mehr als Kleinbeträge, über 50 Euro, offen sind".into(), ClauseKind::Condition),
                ("schreib ich die Firma an".into(), ClauseKind::Plain),
            ]
        );
        // In notes a condition holds no verb, and the work after it is no part of it.
        let clauses = texts("Wenn Betrag über 500 €, Vorlage an AL schicken, sonst direkt zahlen.");
        assert_eq!(clauses[0], ("Wenn Betrag über 500 €".into(), ClauseKind::Condition));
        assert_eq!(clauses[1], ("Vorlage an AL schicken".into(), ClauseKind::Plain));
        let clauses = texts("Wenn alles okay, Bescheid erstellen.");
        assert_eq!(clauses[0], ("Wenn alles okay".into(), ClauseKind::Condition));
    }
}
