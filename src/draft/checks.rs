//! Checks, the clauses that say someone looks into something and the question they ask.
//!
//! "Wir prüfen dann erst mal, ob die Person berechtigt ist": asked alone, the clause before the
//! question came back without an object ("Prüfen", "Wir gucken", "Prüft sie") or with one from
//! elsewhere ("Belege prüfen", "Checken required"). Such a clause is named here by what its
//! question is about: "Person prüfen".
//!
//! The completeness check is the loop most administrative processes have: the documents are
//! checked, what is missing is requested, and the check is made again once it arrives.
//! Dictated in many forms ("Fehlt was, schreiben wir die Leute an, und wenn's nachgereicht ist,
//! gucken wir nochmal drüber", "Unvollst. → Nachforderung, danach erneute Prüfung", "fehlen die,
//! fordern wir sie an"), each clause asked alone came back as the model pleased ("Was fehlt?",
//! "Nachgefordert", "Frist 2 Woche setzen", "Prüfung erneut durchführen"), with one decision
//! per wording of the condition and no way back to the check. The clauses of such a check are
//! answered here, by rule and in a modeller's words: one decision "Unterlagen vollständig?", a
//! task "Fehlende Unterlagen nachfordern" that leads back to the check, and no step for the
//! check made again.

use std::sync::LazyLock;

use regex::Regex;

use super::clauses::{Clause, ClauseKind};

/// What a clause does in a check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Check {
    /// It only says that someone checks ("Die Wohngeldstelle prüft zuerst"), before its
    /// question ("ob die Unterlagen vollständig sind"): a task of this name.
    Inspect(String),
    /// The check's condition, asked once: a decision of this name.
    Question(String),
    /// The condition said once more, or its answer ("ob alles dabei ist … Fehlt was"; "Wenn
    /// alles da ist" after the request): the branch it opens is the question's.
    Restated,
    /// What is missing is requested: a task of this name, which leads back to the check.
    Request(String),
    /// The check made again once the documents arrive ("danach erneute Prüfung"): the way back.
    Recheck,
}

impl Check {
    /// The clause's answer, as the model's would read: step lines, or `skip`.
    pub fn answer(&self, role: &str) -> String {
        match self {
            Check::Inspect(name) | Check::Request(name) => format!("task {role}: {name}"),
            Check::Question(name) => format!("decision {role}: {name}"),
            Check::Restated | Check::Recheck => "skip".to_owned(),
        }
    }
}

/// What is checked: a noun of the dictation, and whether it is plural.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Documents {
    noun: String,
    plural: bool,
    /// Required as a whole ("brauchen wir ein Sicherheitskonzept. Wenn das fehlt, …"): it is
    /// there or not, rather than complete.
    whole: bool,
}

impl Default for Documents {
    fn default() -> Self {
        Documents { noun: "Unterlagen".to_owned(), plural: true, whole: false }
    }
}

/// A check being read: the clause that asks its question, and what it checks.
struct Open {
    question: usize,
    documents: Documents,
    /// Whether the question asks about what is missing (its work is the "nein" branch).
    missing: bool,
    requested: bool,
}

/// Finds the checks among `clauses` and marks each clause's part in them (see [`Check`]); a
/// question about what is missing becomes a negated condition, and a recheck worded as a
/// condition ("wenn's nachgereicht ist") plain, as it opens no branch.
pub fn mark(clauses: &mut [Clause]) -> Vec<Option<Check>> {
    let mut checks: Vec<Option<Check>> = vec![None; clauses.len()];
    let mut open: Option<Open> = None;
    for i in 0..clauses.len() {
        let text = clauses[i].text.clone();
        match (polarity(clauses, i, open.as_ref()), open.as_mut()) {
            (Some(is_missing), Some(o))
                if o.requested || is_missing == o.missing || clauses[o.question].asks_whether() =>
            {
                // "ob alles dabei ist … Fehlt was, …": asked where its "nein" work follows.
                if !o.requested && is_missing && !o.missing {
                    checks[o.question] = Some(Check::Restated);
                    if let Some(documents) = documents(&text, true) {
                        o.documents = documents;
                    }
                    checks[i] = Some(Check::Question(question(&o.documents)));
                    o.question = i;
                    o.missing = true;
                    clauses[i].negated = true;
                } else {
                    // Said again, or the other branch after the request: the question's.
                    checks[i] = Some(Check::Restated);
                }
            }
            (Some(is_missing), _) => open = Some(ask(clauses, &mut checks, i, is_missing)),
            (None, Some(o)) if !o.requested && o.missing && requests(&text) => {
                checks[i] = Some(Check::Request(request(&o.documents, &text)));
                o.requested = true;
            }
            (None, Some(o)) if o.requested && rechecks(&text) => {
                checks[i] = Some(Check::Recheck);
                clauses[i].kind = ClauseKind::Plain;
            }
            // Another condition is another decision; the check is over.
            (None, Some(_)) if clauses[i].kind != ClauseKind::Plain => open = None,
            (None, _) => {}
        }
        if checks[i].is_none()
            && clauses[i].asks_whether()
            && let Some(p) = i.checked_sub(1)
            && checks[p].is_none()
            && inspects_only(&clauses[p])
            && let Some(noun) = text.split_whitespace().map(trimmed).find(|w| is_noun(w))
        {
            checks[p] = Some(Check::Inspect(format!("{noun} prüfen")));
        }
    }
    checks
}

/// Whether clause `i` is a completeness condition, and if so whether it says something is
/// missing: "Fehlt was" (true), "Sind die Unterlagen vollständig" (false), and the "wenn nicht"
/// right after a check's question "ob die Unterlagen vollständig sind" (true).
fn polarity(clauses: &[Clause], i: usize, open: Option<&Open>) -> Option<bool> {
    let clause = &clauses[i];
    if clause.kind != ClauseKind::Condition {
        return None;
    }
    if missing(&clause.text) {
        return Some(true);
    }
    if complete(&clause.text) {
        return Some(false);
    }
    let answers = open.is_some_and(|o| !o.requested && !o.missing && o.question + 1 == i);
    (clause.refers_back() && clause.negated && answers).then_some(true)
}

/// Opens a check at its first condition, clause `i`: the question, named by what it checks,
/// and the clause before it as the check itself or, after "X muss … dabei sein, fehlt die",
/// the requirement the question restates.
fn ask(clauses: &mut [Clause], checks: &mut [Option<Check>], i: usize, is_missing: bool) -> Open {
    let before = i.checked_sub(1).filter(|&p| clauses[p].kind == ClauseKind::Plain);
    let own = documents(&clauses[i].text, is_missing);
    let required =
        before.filter(|_| own.is_none() && points_back(&clauses[i].text)).and_then(|p| required(&clauses[p].text));
    let documents = own
        .or_else(|| required.clone())
        .or_else(|| before.and_then(|p| checked_documents(&clauses[p].text)))
        .unwrap_or_default();
    if let Some(p) = before {
        if required.is_some() {
            checks[p] = Some(Check::Restated);
        } else if (clauses[i].asks_whether() && inspects_only(&clauses[p])) || names_the_check(&clauses[p].text) {
            checks[p] = Some(Check::Inspect(inspection(&documents)));
        }
    }
    checks[i] = Some(Check::Question(question(&documents)));
    clauses[i].negated = is_missing;
    Open { question: i, documents, missing: is_missing, requested: false }
}

static MISSING: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\bfehl(?:t|en)\b|\bunvollst|\bnicht\s+(?:alles\s+)?(?:da|dabei|vollständig|vollst|komplett|vollzählig)\b",
    )
    .expect("valid regex")
});

static COMPLETE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\bvollst(?:ändig)?\b|\bkomplett\b|\bvollzählig\b|\balles\s+(?:da|dabei|vorhanden|beisammen|zusammen)\b",
    )
    .expect("valid regex")
});

/// "anfordern", also split ("fordern wir sie an").
static ASKS_FOR: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)anford|angefordert|\bforder[nt]?\b.*\ban\b").expect("valid regex"));

static REQUEST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)nachford|nachgefordert|\bforder[nt]?\b.*\bnach\b|\bschreib\w*\b.*\ban\b|angeschrieben|anschreiben")
        .expect("valid regex")
});

static RECHECK: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(?:erneut\w*|nochmal|noch\s+(?:ein)?mal|wieder|neue)\b.*\b(?:prüf\w*|drüber|guck\w*|schau\w*|kontroll\w*|check\w*)|(?:prüf\w*|guck\w*|schau\w*)\b.*\b(?:erneut|nochmal|wieder)\b|nachgereicht|\bnach\s+eingang\b|\bda\s+(?:ist|sind)\b")
        .expect("valid regex")
});

/// Whether a condition says something is missing ("Fehlt was", "Nachweise fehlen", "Unvollst.").
fn missing(text: &str) -> bool {
    MISSING.is_match(text)
}

/// Whether a condition says all is there ("Sind die Unterlagen vollständig", "Wenn alles da ist").
fn complete(text: &str) -> bool {
    COMPLETE.is_match(text)
}

/// Whether work requests what is missing ("Nachforderung", "fordern wir sie an", "schreiben wir
/// die Leute an").
fn requests(text: &str) -> bool {
    REQUEST.is_match(text) || ASKS_FOR.is_match(text)
}

/// Whether work checks again ("danach erneute Prüfung", "gucken wir nochmal drüber", "wenn's
/// nachgereicht ist").
fn rechecks(text: &str) -> bool {
    RECHECK.is_match(text)
}

/// Words that open a check and say nothing of what is checked, also as the speaker says them
/// ("ich guck", "schau ich").
const INSPECTING: &[&str] = &[
    "prüft",
    "prüfen",
    "geprüft",
    "prüf",
    "prüfe",
    "guckt",
    "gucken",
    "guck",
    "gucke",
    "schaut",
    "schauen",
    "schau",
    "schaue",
    "checkt",
    "checken",
    "check",
    "checke",
    "kontrolliert",
    "kontrollieren",
    "kontrollier",
    "kontrolliere",
    "sieht",
    "sehen",
    "nach",
];

/// Words around a check verb that add nothing to it.
const ASIDES: &[&str] = &[
    "wir",
    "ich",
    "sie",
    "er",
    "drüber",
    "rein",
    "kurz",
    "nochmal",
    "dann",
    "erst",
    "mal",
    "erstmal",
    "einmal",
    "zuerst",
    "zunächst",
    "als",
    "erstes",
    "nun",
    "jetzt",
    "noch",
    "sofort",
    "gleich",
    "direkt",
    "wird",
    "werden",
    "müssen",
    "muss",
];

/// Whether a clause says only that someone checks: nothing follows its check verb but asides
/// ("Wir gucken erst mal", "Das Gewerbeamt schaut dann erstmal", "wird geprüft").
fn inspects_only(clause: &Clause) -> bool {
    if clause.kind != ClauseKind::Plain {
        return false;
    }
    let lower = clause.text.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    let Some(verb) = words.iter().position(|w| INSPECTING.contains(w)) else { return false };
    words[verb + 1..].iter().all(|w| INSPECTING.contains(w) || ASIDES.contains(w))
}

/// Capitalised words that name no document.
const NOT_DOCUMENTS: &[&str] = &[
    "wenn",
    "falls",
    "sofern",
    "ob",
    "ist",
    "sind",
    "fehlt",
    "fehlen",
    "alles",
    "was",
    "vollständigkeit",
    "vollst",
    "vollständig",
    "unvollst",
    "unvollständig",
    "komplett",
    "wir",
    "die",
    "der",
    "das",
    "den",
    "dem",
    "des",
    "bei",
    "beim",
    "nicht",
    "kein",
    "keine",
    "nach",
    "dann",
    "noch",
    "erst",
    "sonst",
    "liegen",
    "liegt",
    "einer",
    "eines",
];

/// What a condition says is there or missing: the noun before its state word ("Nachweise
/// fehlen", "ob das Formular vollständig ausgefüllt ist") or right after "fehlt"/"fehlen"
/// ("Fehlen Unterlagen"); plural where its verb is ("sind", "fehlen").
fn documents(text: &str, is_missing: bool) -> Option<Documents> {
    let state = if is_missing { MISSING.find(text) } else { COMPLETE.find(text) }?;
    let before = text[..state.start()].split_whitespace().rev();
    let after = text[state.end()..].split_whitespace().take(2);
    let noun = before.chain(after).map(trimmed).find(|w| is_noun(w))?;
    Some(Documents { noun: noun.to_owned(), plural: plural(text, noun), whole: false })
}

/// What a check clause before the condition checks: "prüft die Unterlagen auf Vollständigkeit".
fn checked_documents(text: &str) -> Option<Documents> {
    static COMPLETENESS: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(?i)vollständig").expect("valid regex"));
    let end = COMPLETENESS.find(text)?.start();
    if !inspects(text) {
        return None;
    }
    let noun = text[..end].split_whitespace().rev().map(trimmed).find(|w| is_noun(w))?;
    Some(Documents { noun: noun.to_owned(), plural: plural(text, noun), whole: false })
}

/// Whether a clause checks completeness, whether or not it says of what ("SB prüft
/// Vollständigkeit (VL, Route, …)", "Vollständigkeit prüfen").
fn names_the_check(text: &str) -> bool {
    text.to_lowercase().contains("vollständigkeit") && inspects(text)
}

/// Whether the text says that something is checked ("prüft", "guckt", …).
pub(super) fn inspects(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.split(|c: char| !c.is_alphanumeric()).any(|w| INSPECTING.contains(&w) && w != "nach")
}

/// The documents a requirement names: the nouns after its modal or word of need ("der
/// Antragsteller muss Einkommensnachweis und Kontoauszüge einreichen", "brauchen wir ein
/// Sicherheitskonzept"), else those before it ("Einverständniserklärung der Eltern muss
/// unterschrieben dabei sein", "Arbeitgeberbescheinigung nötig").
fn required(text: &str) -> Option<Documents> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let need = words.iter().position(|w| {
        matches!(
            trimmed(w).to_lowercase().as_str(),
            "muss"
                | "müssen"
                | "soll"
                | "sollen"
                | "brauchen"
                | "braucht"
                | "benötigen"
                | "benötigt"
                | "nötig"
                | "notwendig"
                | "erforderlich"
        )
    })?;
    noun_phrase(&words[need + 1..]).or_else(|| noun_phrase(&words[..need]))
}

/// Whether a condition names what is missing by a pronoun ("fehlt die", "Wenn das fehlt").
fn points_back(text: &str) -> bool {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .any(|w| matches!(w, "das" | "die" | "der" | "es" | "sie" | "diese" | "dieser" | "dieses"))
}

/// The first nouns in a row, joined by "und", "oder" or a genitive's article.
fn noun_phrase(words: &[&str]) -> Option<Documents> {
    let start = words.iter().position(|w| is_noun(trimmed(w)))?;
    let mut end = start + 1;
    while end + 1 < words.len()
        && matches!(words[end], "und" | "oder" | "der" | "des" | "sowie")
        && is_noun(trimmed(words[end + 1]))
    {
        end += 2;
    }
    let phrase: Vec<&str> = words[start..end].iter().map(|w| trimmed(w)).collect();
    let plural = phrase.len() > 1 || plural("", phrase[0]);
    Some(Documents { noun: phrase.join(" "), plural, whole: true })
}

fn trimmed(word: &str) -> &str {
    word.trim_matches(|c: char| !c.is_alphanumeric())
}

fn is_noun(word: &str) -> bool {
    word.chars().count() >= 4
        && word.chars().next().is_some_and(char::is_uppercase)
        && word.chars().skip(1).any(char::is_lowercase)
        && !NOT_DOCUMENTS.contains(&word.to_lowercase().as_str())
        && super::roles::candidates(word).is_empty()
}

/// Whether `noun` is plural in `text`: by its verb where one agrees ("sind", "fehlen"), else by
/// its ending.
fn plural(text: &str, noun: &str) -> bool {
    let lower = format!(" {} ", text.to_lowercase());
    if [" sind ", " fehlen ", " liegen ", " sind?"].iter().any(|w| lower.contains(w)) {
        return true;
    }
    if [" ist ", " fehlt ", " liegt ", " ist?"].iter().any(|w| lower.contains(w)) {
        return false;
    }
    noun.ends_with("en") || noun.ends_with("se") || noun.ends_with("ge") || noun.ends_with('s')
}

/// "Unterlagen vollständig?"; a single document required as a whole is "vorhanden".
fn question(documents: &Documents) -> String {
    let state = if documents.whole && !documents.plural { "vorhanden" } else { "vollständig" };
    format!("{} {state}?", documents.noun)
}

fn inspection(documents: &Documents) -> String {
    format!("{} auf Vollständigkeit prüfen", documents.noun)
}

/// "Fehlende Unterlagen nachfordern", in the clause's verb ("anfordern" where it says so) and
/// with whom it is requested from ("beim Veranstalter"). A single document lacks details, or is
/// requested as a whole.
fn request(documents: &Documents, text: &str) -> String {
    static FROM: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"\b(beim|bei\s+(?:der|dem))\s+(\p{Lu}[\p{L}-]+)").expect("valid regex"));
    let verb = if ASKS_FOR.is_match(text) { "anfordern" } else { "nachfordern" };
    let what = match (documents.plural, documents.noun.contains(' '), documents.whole) {
        (false, _, true) => documents.noun.clone(),
        (true, false, _) => format!("Fehlende {}", documents.noun),
        (true, true, _) => "Fehlende Unterlagen".to_owned(),
        (false, _, false) => "Fehlende Angaben".to_owned(),
    };
    match FROM.captures(text) {
        Some(from) => format!("{what} {} {} {verb}", &from[1], &from[2]),
        None => format!("{what} {verb}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::draft::clauses::split;

    fn checks(dictation: &str) -> Vec<(String, Option<Check>)> {
        let mut clauses = split(dictation);
        let checks = mark(&mut clauses);
        clauses.into_iter().map(|c| c.text).zip(checks).collect()
    }

    /// The parts alone, clause by clause.
    fn parts(marked: &[(String, Option<Check>)]) -> Vec<Option<Check>> {
        marked.iter().map(|(_, c)| c.clone()).collect()
    }

    #[test]
    fn a_missing_condition_asks_about_completeness_and_its_request_loops() {
        let marked = checks(
            "Fehlen Unterlagen, werden diese schriftlich nachgefordert; nach Eingang erfolgt eine erneute Prüfung. Sind die Unterlagen vollständig, wird die Namensänderung verfügt.",
        );
        assert_eq!(
            parts(&marked),
            [
                Some(Check::Question("Unterlagen vollständig?".to_owned())),
                Some(Check::Request("Fehlende Unterlagen nachfordern".to_owned())),
                Some(Check::Recheck),
                Some(Check::Restated),
                None,
            ],
            "{marked:?}"
        );
    }

    #[test]
    fn the_speaker_inspecting_in_the_first_person_is_named_by_what_is_checked() {
        for dictation in [
            "Ich schau dann erst mal, ob der Lageplan dabei ist.",
            "Ich guck drüber, ob der Lageplan zur DIN 14095 passt.",
            "Schau ich nochmal rein, ob der Lageplan stimmt.",
        ] {
            let marked = checks(dictation);
            assert!(
                matches!(&marked[0].1, Some(Check::Inspect(name)) if name.starts_with("Lageplan")),
                "{dictation}: {marked:?}"
            );
        }
    }

    #[test]
    fn an_inspection_before_its_question_is_named_by_what_it_checks() {
        let marked = checks(
            "Das Gewerbeamt schaut dann erstmal, ob das Formular vollständig ausgefüllt ist. Wenn was fehlt, schreiben wir den Antragsteller an. Wenn alles da ist, tragen wir das Gewerbe ein.",
        );
        let named: Vec<String> = marked.iter().filter_map(|(_, c)| c.as_ref().map(|c| c.answer("GA"))).collect();
        assert_eq!(
            named,
            [
                "task GA: Formular auf Vollständigkeit prüfen",
                "skip",
                "decision GA: Formular vollständig?",
                "task GA: Fehlende Angaben nachfordern",
                "skip",
            ],
            "{marked:?}"
        );
    }

    #[test]
    fn arrows_and_colons_name_the_requester_and_the_verb() {
        let marked = checks(
            "SB prüft Vollständigkeit. Unvollst.: Nachforderung beim Veranstalter, danach erneute Prüfung. Vollst.: Weiterleitung an Pol.",
        );
        assert!(
            marked.iter().any(
                |(_, c)| *c == Some(Check::Request("Fehlende Unterlagen beim Veranstalter nachfordern".to_owned()))
            ),
            "{marked:?}"
        );
        let marked = checks(
            "Nachweise fehlen → Anforderung, Frist 2 Wo., danach neue Prüfung. Kein Leistungsbezug → Ablehnung.",
        );
        assert_eq!(marked[0].1, Some(Check::Question("Nachweise vollständig?".to_owned())), "{marked:?}");
        assert_eq!(marked[1].1, Some(Check::Request("Fehlende Nachweise anfordern".to_owned())), "{marked:?}");
        assert!(marked.iter().all(|(text, c)| !text.starts_with("Kein") || c.is_none()), "{marked:?}");
    }

    #[test]
    fn a_requirement_a_pronoun_points_back_at_is_the_question() {
        let marked = checks(
            "Der Antragsteller muss Einkommensnachweis und Kontoauszüge einreichen, fehlen die, fordern wir sie an. Wenn alles da ist, Verhältnisse prüfen.",
        );
        assert_eq!(
            parts(&marked),
            [
                Some(Check::Restated),
                Some(Check::Question("Einkommensnachweis und Kontoauszüge vollständig?".to_owned())),
                Some(Check::Request("Fehlende Unterlagen anfordern".to_owned())),
                Some(Check::Restated),
                None,
            ],
            "{marked:?}"
        );
        let marked =
            checks("Leitung prüft Kapazität. Bei Erhöhung: Arbeitgeberbescheinigung nötig, fehlt sie → nachfordern.");
        assert!(
            marked
                .iter()
                .any(|(_, c)| matches!(c, Some(Check::Question(q)) if q.starts_with("Arbeitgeberbescheinigung"))),
            "{marked:?}"
        );
        let marked = checks(
            "SB prüft die Unterlagen auf Vollständigkeit, insbesondere die Geburtsurkunde. Fehlen Unterlagen, werden diese nachgefordert.",
        );
        assert_eq!(marked[0].1, Some(Check::Inspect("Unterlagen auf Vollständigkeit prüfen".to_owned())), "{marked:?}");
    }

    #[test]
    fn a_document_required_as_a_whole_is_there_or_not() {
        let marked = checks(
            "Dann brauchen wir nämlich ein Sicherheitskonzept. Wenn das fehlt, fordern wir das nach, und wenn es da ist, schauen wir wieder. Dann holen wir Stellungnahmen ein.",
        );
        assert_eq!(
            parts(&marked),
            [
                Some(Check::Restated),
                Some(Check::Question("Sicherheitskonzept vorhanden?".to_owned())),
                Some(Check::Request("Sicherheitskonzept nachfordern".to_owned())),
                Some(Check::Recheck),
                Some(Check::Recheck),
                None,
            ],
            "{marked:?}"
        );
    }

    #[test]
    fn a_check_is_named_by_what_its_question_is_about() {
        let marked = checks("Wir prüfen, ob der Termin frei ist. Wenn nicht, schlagen wir einen anderen vor.");
        assert_eq!(marked[0].1, Some(Check::Inspect("Termin prüfen".to_owned())), "{marked:?}");
        assert!(marked[1..].iter().all(|(_, c)| c.is_none()), "{marked:?}");
        // A check that says what it looks at is the model's to name.
        let marked = checks("Wir schauen im Kalender, ob der Termin frei ist.");
        assert!(marked.iter().all(|(_, c)| c.is_none()), "{marked:?}");
    }
}
