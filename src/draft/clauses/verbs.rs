//! German verb forms as a dictation's words show them: infinitives, finite forms and
//! participles told apart by their letters, separable particles, modal verbs.

/// Modal verbs: with one, an infinitive at the end says what may or must happen ("kann dauern",
/// "muss nicht geprüft werden"), not what to do; after a subject one is its finite verb ("der
/// Bauherr muss zahlen"); one closes a subordinate clause ("ob er's selbst reparieren kann").
pub(in crate::draft) const MODALS: &[&str] = &[
    "kann", "können", "kannst", "muss", "müssen", "musst", "soll", "sollen", "sollte", "darf", "dürfen", "will",
    "wollen", "möchte", "möchten", "braucht", "brauchen",
];

/// The last word of a text, without the punctuation around it.
fn last_word(text: &str) -> &str {
    text.rsplit(' ').next().unwrap_or("").trim_matches(|c: char| !c.is_alphabetic())
}

/// Whether the text ends in what looks like an infinitive ("anhören", "siegeln"), not a
/// participle ("eingegangen", "abgeschlossen" have their "ge").
pub(super) fn ends_in_infinitive(text: &str) -> bool {
    let last = last_word(text);
    last.chars().count() >= 5 && infinitive_like(last) && without_ge(last) == last
}

/// Verbs of state: a plural subject says them as an infinitive would read ("Nachweise fehlen").
const STATE_VERBS: &[&str] =
    &["fehlen", "vorliegen", "liegen", "passen", "reichen", "ausreichen", "stimmen", "kommen", "gehen", "bleiben"];

/// Whether the text ends in a verb of state ([`STATE_VERBS`]).
pub(super) fn ends_in_state(text: &str) -> bool {
    STATE_VERBS.contains(&last_word(text))
}

/// Whether `word` reads as an infinitive: four letters or more, lower case, ending in "en",
/// "ern" or "eln".
pub(in crate::draft) fn infinitive_like(word: &str) -> bool {
    word.chars().count() >= 4
        && word.chars().all(char::is_lowercase)
        && (word.ends_with("en") || word.ends_with("ern") || word.ends_with("eln"))
        && !NOT_VERBS.contains(&word)
}

/// Whether `word` reads as a finite verb or a participle: four letters or more, lower case,
/// ending in "t" ("prüft", "geprüft").
pub(in crate::draft) fn looks_finite(word: &str) -> bool {
    word.chars().count() >= 4
        && word.chars().all(char::is_lowercase)
        && word.ends_with('t')
        && !NOT_VERBS.contains(&word)
}

/// How many leading letters two words share.
pub(in crate::draft) fn common_start(x: &str, y: &str) -> usize {
    x.chars().zip(y.chars()).take_while(|(p, q)| p == q).count()
}

/// Particles of separable verbs, which a main clause puts at its end ("Firma passt die Trasse an").
pub(in crate::draft) const PARTICLES: &[&str] = &[
    "ab", "an", "auf", "aus", "bei", "durch", "ein", "fest", "fort", "frei", "her", "hin", "los", "mit", "nach",
    "raus", "rein", "um", "vor", "weg", "weiter", "zu", "zurück", "zusammen", "bereit",
];

/// A (lower-cased, possibly folded) participle without its "ge", which follows a separable
/// verb's particle ("ab-ge-lehnt", "nach-ge-fordert"): "nachgefordert" → "nachfordert".
pub(in crate::draft) fn without_ge(word: &str) -> String {
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
pub(in crate::draft) const NOT_VERBS: &[&str] = &[
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
    "umsonst",
    "damit",
    "somit",
    "samt",
    "statt",
    "seit",
    "fast",
    "spät",
    "recht",
    "echt",
    "leicht",
    "weit",
    "nächst",
    "höchst",
    // Adverbs and words before a noun that end as infinitives do ("von außen", "bis morgen").
    "außen",
    "innen",
    "draußen",
    "drinnen",
    "morgen",
    "gestern",
    "zwischen",
    "entgegen",
    "diesen",
    "jeden",
    "anderen",
    "unseren",
];

/// A lower-case word of four letters or more ending in "t" or "en" ("prüft", "entfernt",
/// "einholen"), as verb forms do.
pub(in crate::draft) fn looks_like_verb(word: &str) -> bool {
    let word = word.trim_matches(|c: char| !c.is_alphabetic());
    word.chars().count() >= 4
        && word.chars().all(char::is_lowercase)
        && (word.ends_with('t') || word.ends_with("en"))
        && !NOT_VERBS.contains(&word)
}

/// A word that may be a verb: [`looks_like_verb`], or an infinitive in "-ern", "-eln"
/// ("fordern", "siegeln").
pub(in crate::draft) fn may_be_verb(word: &str) -> bool {
    let bare = word.trim_matches(|c: char| !c.is_alphabetic());
    looks_like_verb(word) || (bare.chars().all(char::is_lowercase) && (bare.ends_with("ern") || bare.ends_with("eln")))
}

/// Finite verbs too short to look like one ("Ist alles da, …", "Hat er …").
pub(super) const SHORT_FINITE: &[&str] = &["ist", "sind", "hat", "war", "gibt"];

/// Prefixes of verbs whose participle has no "ge" ("beantragt", "verlängert", "erteilt").
pub(super) const INSEPARABLE: &[&str] = &["be", "ver", "er", "ent", "zer"];
