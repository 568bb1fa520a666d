//! What tells related-but-different services apart: the direction of the service (An-/Ab-/
//! Um-, Erteilung/Entzug/Verlängerung/Befreiung …), the legal basis (law and paragraph) and
//! the LeiKa key. Each comparison says `Agree`, `Differ` (with what differs) or nothing.
//!
//! Directions come from general German administrative vocabulary and word morphology, not
//! from any list of services: a word's stem (or its compound head) ending in a marker
//! (`abmeld`, `verlaeng`, `befrei` …) names what is done to the object, and two titles
//! whose words share a stem after different separable prefixes ("anmelden" / "abmelden",
//! "Zuzug" / "Wegzug") name opposite directions.

use super::text::{Vocabulary, fold, stem, words};

/// What a service does to its object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Start, grant, register, issue (the base service when a title names no action).
    Begin,
    /// Change, re-register.
    Change,
    /// Extend, renew.
    Renew,
    /// Replace a lost or damaged document.
    Replace,
    /// Exchange a valid document for another kind (an old licence for the EU card): LeiKa
    /// keeps "Umtausch" and "Ersatz" apart.
    Exchange,
    /// End, withdraw, deregister, cancel, block.
    End,
    /// Exempt from or reduce a charge.
    Exempt,
    /// Pay back.
    Refund,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Begin => "Anmeldung/Erteilung",
            Action::Change => "Änderung/Ummeldung",
            Action::Renew => "Verlängerung",
            Action::Replace => "Ersatz",
            Action::Exchange => "Umtausch",
            Action::End => "Abmeldung/Entzug",
            Action::Exempt => "Befreiung/Ermäßigung",
            Action::Refund => "Erstattung",
        }
    }
}

/// Stems (folded) whose word names an action; matched at the end of a word's stem, so
/// compounds count ("Gewerbeabmeldung") and objects do not ("Zulassungsbescheinigung").
const MARKERS: &[(&str, Action)] = &[
    ("anmeld", Action::Begin),
    ("zulass", Action::Begin),
    ("erteil", Action::Begin),
    ("ausstell", Action::Begin),
    ("eintrag", Action::Begin),
    ("eroeffn", Action::Begin),
    ("aufnahm", Action::Begin),
    ("aufnehm", Action::Begin),
    ("gruend", Action::Begin),
    ("erstmal", Action::Begin),
    ("erstmalig", Action::Begin),
    ("neuzulass", Action::Begin),
    ("inbetriebnahm", Action::Begin),
    ("ummeld", Action::Change),
    ("aender", Action::Change),
    ("umschreib", Action::Change),
    ("berichtig", Action::Change),
    ("erhoeh", Action::Change),
    ("wechsel", Action::Change),
    ("verleg", Action::Change),
    ("verlaeng", Action::Renew),
    ("erneu", Action::Renew),
    ("erneuer", Action::Renew),
    ("erneut", Action::Renew),
    ("wiedererteil", Action::Renew),
    ("weiterbewillig", Action::Renew),
    ("weiterleist", Action::Renew),
    ("ersatz", Action::Replace),
    ("ersatzausstell", Action::Replace),
    ("umtausch", Action::Exchange),
    ("verlust", Action::Replace),
    ("neuausfertig", Action::Replace),
    ("duplikat", Action::Replace),
    ("zweitschrift", Action::Replace),
    ("abmeld", Action::End),
    ("entzieh", Action::End),
    ("entzug", Action::End),
    ("widerruf", Action::End),
    ("ruecknahm", Action::End),
    ("zuruecknahm", Action::End),
    ("aufheb", Action::End),
    ("loesch", Action::End),
    ("stilleg", Action::End),
    ("stilllegung", Action::End),
    ("ausserbetriebsetz", Action::End),
    ("kuendig", Action::End),
    ("beend", Action::End),
    ("sperr", Action::End),
    ("einzieh", Action::End),
    ("befrei", Action::Exempt),
    // An exception from a prohibition is both a permit and an exemption: it agrees with
    // "Genehmigung" and with "Befreiung" (LeiKa names it as an object: "Ausnahme … Zulassung").
    ("ausnahm", Action::Exempt),
    ("ausnahm", Action::Begin),
    ("ermaessig", Action::Exempt),
    ("erstatt", Action::Refund),
    ("rueckzahl", Action::Refund),
    ("rueckerstatt", Action::Refund),
];

/// Separable prefixes whose swap turns a service into its sibling ("an-/abmelden").
/// (Not "ver", "nach", "auf": "Vergabe"/"Abgabe", "Nachweis"/"Ausweis", "Auftrag"/"Antrag" are
/// different words, not directions.)
const PREFIXES: &[&str] = &["an", "ab", "um", "aus", "ein", "zu", "weg", "wieder"];

/// Words of what a public body pays for: their "Erstattung" is a benefit granted (LeiKa:
/// "Schülerbeförderung Erstattung der Kosten …"), not a charge paid back.
const COSTS: &[&str] = &["kost", "auslag", "aufwend"];

/// Word ends of a damage: its "Ersatz" is compensation granted ("Wildschäden Ersatz"), not a
/// lost document replaced.
const DAMAGES: &[&str] = &["schaden", "schaeden", "schadens"];

/// The actions a title names (in order of appearance, without repeats).
pub fn actions(title: &str, vocab: &Vocabulary) -> Vec<Action> {
    distinct(word_actions(title, vocab))
}

/// The actions of all words, in order, without repeats.
fn distinct(per_word: Vec<Vec<Action>>) -> Vec<Action> {
    let mut out = Vec::new();
    for action in per_word.into_iter().flatten() {
        if !out.contains(&action) {
            out.push(action);
        }
    }
    out
}

/// The actions a catalogue service's name names: LeiKa writes object, what is done, then its
/// detail ("Prostitutionstätigkeit Anmeldung Verlängerung", "Wohngeld Bewilligung einer
/// Erhöhung"), and an action word standing alone in the detail says what is done in the end
/// (the renewal of the registration), so the last such word decides; an action word inside a
/// compound names a thing ("… Eintragung Übermittlungssperre zur Auskunft an Parteien"). A
/// name that lists its actions ("Zulassung, Änderung, Zurücknahme von Wahlvorschlägen",
/// "… Anmeldung und Abmeldung") or has no standalone action word names all of its actions.
pub fn service_actions(name: &str, vocab: &Vocabulary) -> Vec<Action> {
    let name_words = words(name);
    let standalone: Vec<bool> = name_words
        .iter()
        .map(|w| {
            let s = stem(w);
            MARKERS.iter().any(|(m, _)| s == *m || s == stem(m))
        })
        .collect();
    let per_word = word_actions(name, vocab);
    let named: Vec<(usize, &Vec<Action>)> =
        per_word.iter().enumerate().filter(|(i, actions)| standalone[*i] && !actions.is_empty()).collect();
    let folded = fold(name);
    let listed = named.first().and_then(|(i, _)| folded.find(name_words[*i].as_str())).is_some_and(|at| {
        let rest = &folded[at..];
        [",", "/", " und ", " oder "].iter().any(|separator| rest.contains(separator))
    });
    match named.last() {
        Some((_, last)) if !listed => last.to_vec(),
        _ => distinct(per_word),
    }
}

/// Per word of `title`, the actions it names.
fn word_actions(title: &str, vocab: &Vocabulary) -> Vec<Vec<Action>> {
    let title_words = words(title);
    let costs = title_words.iter().any(|w| COSTS.iter().any(|c| w.contains(c)));
    let damages = title_words.iter().any(|w| DAMAGES.iter().any(|d| w.ends_with(d)));
    let mut out = Vec::with_capacity(title_words.len());
    for w in title_words {
        let mut named = Vec::new();
        let s = stem(&w);
        // The word itself or its compound head, and what an application applies for
        // ("Weiterleistungsantrag" continues a benefit).
        let head = vocab.split(&w).pop();
        let applied = s.strip_suffix("antrag").map(|r| stem(r.trim_end_matches('s'))).filter(|r| r.len() >= 3);
        for candidate in std::iter::once(s.as_str()).chain(head.as_deref()).chain(applied.as_deref()) {
            // A marker's stem is short ("aender" → "aend"): it counts only as the whole word or
            // compound head, not as the end of another word ("Gegenstände"). A compound's
            // head part may itself be a compound ("Nach|namensänderung"), so the stem also
            // counts after a known modifier ("namens|aend").
            let short_head = |m: &str| {
                let short = stem(m);
                candidate.strip_suffix(short.as_str()).is_some_and(|left| left.is_empty() || vocab.is_modifier(left))
            };
            // A marker ends the word after a compound's modifier, not inside another word
            // ("über|mäßig" is no "Ermäßigung").
            let whole_end = |m: &str| {
                candidate
                    .strip_suffix(m)
                    .is_some_and(|left| left.is_empty() || left.len() >= 4 || vocab.is_modifier(left))
            };
            let marked: Vec<&(&str, Action)> = MARKERS.iter().filter(|(m, _)| whole_end(m) || short_head(m)).collect();
            let longest = marked.iter().map(|(m, _)| m.len()).max().unwrap_or(0);
            for (_, action) in marked.into_iter().filter(|(m, _)| m.len() == longest) {
                let granted = ((*action == Action::Refund && costs) || (*action == Action::Replace && damages))
                    .then_some(Action::Begin);
                for action in std::iter::once(*action).chain(granted) {
                    if !named.contains(&action) {
                        named.push(action);
                    }
                }
            }
        }
        out.push(named);
    }
    out
}

/// (prefix, rest-stem) readings of the title's words and their compound parts.
fn prefixed(title: &str, vocab: &Vocabulary) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for w in words(title) {
        let parts = vocab.split(&w);
        for part in std::iter::once(stem(&w)).chain(parts) {
            for p in PREFIXES {
                if let Some(rest) = part.strip_prefix(p)
                    && rest.len() >= 3
                {
                    out.push((*p, stem(rest)));
                }
            }
        }
    }
    out
}

/// How two titles' directions compare.
#[derive(Debug, Clone, PartialEq)]
pub enum Direction {
    /// Both name the same action.
    Same(Action),
    /// Both name an action and they differ, or one word appears with two prefixes
    /// ("Anmeldung" / "Abmeldung"): a sibling service.
    Opposite { a: String, b: String },
    /// One names actions, none of them starting, and the other names none (a title without
    /// action means the base service): weaker evidence of a sibling.
    OneSided { a: String, b: String },
    /// Neither names an action.
    Unknown,
}

pub fn direction(a_title: &str, b_title: &str, vocab: &Vocabulary) -> Direction {
    compare(a_title, b_title, actions(a_title, vocab), actions(b_title, vocab), vocab)
}

/// As [`direction`], for a catalogue service's name (what is done: [`service_actions`]) and a
/// process title.
pub fn service_direction(service: &str, title: &str, vocab: &Vocabulary) -> Direction {
    compare(service, title, service_actions(service, vocab), actions(title, vocab), vocab)
}

fn compare(a_title: &str, b_title: &str, aa: Vec<Action>, ab: Vec<Action>, vocab: &Vocabulary) -> Direction {
    let (pa, pb) = (prefixed(a_title, vocab), prefixed(b_title, vocab));
    for (p1, rest) in &pa {
        let swapped = pb.iter().find(|(p2, r)| r == rest && p2 != p1);
        if let Some((p2, _)) = swapped
            && !pb.iter().any(|(p, r)| p == p1 && r == rest)
            && !pa.iter().any(|(p, r)| p == p2 && r == rest)
        {
            return Direction::Opposite { a: format!("{p1}-{rest}"), b: format!("{p2}-{rest}") };
        }
    }
    let name = |v: &[Action]| v.iter().map(|a| a.as_str()).collect::<Vec<_>>().join(", ");
    match (aa.is_empty(), ab.is_empty()) {
        (true, true) => Direction::Unknown,
        (false, false) => {
            if let Some(shared) = aa.iter().find(|x| ab.contains(x)) {
                Direction::Same(*shared)
            } else {
                Direction::Opposite { a: name(&aa), b: name(&ab) }
            }
        }
        (false, true) if !aa.contains(&Action::Begin) => Direction::OneSided { a: name(&aa), b: "—".into() },
        (true, false) if !ab.contains(&Action::Begin) => Direction::OneSided { a: "—".into(), b: name(&ab) },
        _ => Direction::Same(Action::Begin),
    }
}

/// One cited law: its identity (an abbreviation such as `stvo`, `sgb ix`, or the folded
/// name) and the paragraphs cited.
#[derive(Debug, Clone, PartialEq)]
pub struct Law {
    pub name: String,
    pub abbreviation: bool,
    pub paragraphs: Vec<String>,
    /// As written, for reasons.
    pub text: String,
    /// An abbreviation's pieces ([`abbreviation_pieces`]); empty for a law by its name.
    pub pieces: Vec<String>,
    /// The abbreviation a law cited by its name gives beside it ("Landesreisekostengesetz
    /// (LRKG)"), folded.
    pub short: Option<String>,
}

impl Law {
    /// The law's abbreviation, cited as such or given beside its name.
    fn abbreviated_as(&self) -> Option<&str> {
        if self.abbreviation { Some(self.name.as_str()) } else { self.short.as_deref() }
    }

    /// Whether the citation names a statute unmistakably: an abbreviation of three letters
    /// or more (two, such as "GO", "FS", "TA", stand for too many) or a "…gesetz".
    fn identified(&self) -> bool {
        if self.abbreviation {
            self.name.chars().filter(|c| c.is_alphabetic()).count() >= 3
        } else {
            self.name.split(' ').any(|w| w.ends_with("gesetz") || w.ends_with("gesetzbuch"))
        }
    }

    /// Whether two citations that name no common law surely name different ones: both in the
    /// same form, or both with an abbreviation given. An abbreviation is matched to a
    /// written-out name by its letters, which misses many a true pair ("UVG" / "Gesetz zur
    /// Sicherung des Unterhalts … durch Unterhaltsvorschüsse").
    fn surely_compared(&self, other: &Law) -> bool {
        let abbreviated =
            |l: &Law| l.abbreviated_as().is_some_and(|n| n.chars().filter(|c| c.is_alphabetic()).count() >= 3);
        (self.abbreviation == other.abbreviation && self.identified() && other.identified())
            || (abbreviated(self) && abbreviated(other))
    }
}

/// Words of a citation that are neither the law nor a paragraph.
const CITATION_NOISE: &[&str] = &["abs", "nr", "satz", "s", "art", "nrw", "bund", "land", "ff", "i", "v", "m", "iv"];
/// Generic parts of law names that say nothing about which law.
const GENERIC_LAW: &[&str] = &["gesetz", "satzung", "verordnung", "ordnung", "landes", "bundes", "ueber", "zum", "zur"];
const ROMAN: &[&str] = &["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiv"];

/// Parses citations such as "§ 45 Abs. 1b StVO", "SGB IX § 152", "Bundesmeldegesetz".
pub fn laws(legal_basis: &[String]) -> Vec<Law> {
    legal_basis.iter().filter_map(|text| parse_law(text)).collect()
}

fn parse_law(text: &str) -> Option<Law> {
    let tokens: Vec<&str> =
        text.split(|c: char| c.is_whitespace() || c == ',' || c == ';').filter(|t| !t.is_empty()).collect();
    let mut paragraphs = Vec::new();
    let mut sections = Vec::new();
    let mut name: Option<(String, bool)> = None;
    let mut pieces = Vec::new();
    let mut short = None;
    let mut i = 0;
    while i < tokens.len() {
        let t = tokens[i].trim_matches(|c: char| c == '.' || c == '(' || c == ')');
        if t.starts_with('§') || t.eq_ignore_ascii_case("art") || t.eq_ignore_ascii_case("artikel") {
            // "§ 12", "§12", "Art. 18a": the number stands after the sign or in the next token.
            let attached = t.strip_prefix('§').filter(|n| !n.trim_start_matches('§').is_empty());
            let number =
                attached.map_or_else(|| tokens.get(i + 1).copied().unwrap_or(""), |n| n.trim_start_matches('§'));
            let number: String =
                number.chars().take_while(|c| c.is_ascii_alphanumeric()).collect::<String>().to_lowercase();
            if number.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                paragraphs.push(number.clone());
            }
            i += if attached.is_some() { 1 } else { 2 };
            // "§§ 31 bis 34" cites every paragraph of the range.
            let dash = tokens.get(i).is_some_and(|t| matches!(*t, "bis" | "-" | "–"));
            let last =
                tokens.get(i + 1).and_then(|t| t.trim_matches(|c: char| !c.is_ascii_digit()).parse::<u32>().ok());
            if let (true, Ok(first), Some(last)) = (dash, number.parse::<u32>(), last)
                && first < last
                && last - first <= 30
            {
                paragraphs.extend((first + 1..=last).map(|n| n.to_string()));
                i += 2;
            } else if tokens.get(i).is_some_and(|t| matches!(fold(t.trim_end_matches('.')).as_str(), "abs" | "absatz"))
                && paragraphs.last() == Some(&number)
            {
                // "§ 50 Abs. 1 und 5": the paragraph's subsections, each cited as "50:1".
                i += 1;
                let mut subsections = Vec::new();
                let mut range_from = None;
                while let Some(t) = tokens.get(i) {
                    let n: String =
                        t.chars().take_while(char::is_ascii_alphanumeric).collect::<String>().to_lowercase();
                    if n.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                        // "Abs. 10 bis 13" cites every subsection of the range.
                        if let (Some(first), Ok(last)) = (range_from.take(), n.parse::<u32>())
                            && first < last
                            && last - first <= 30
                        {
                            subsections.extend((first + 1..last).map(|k| format!("{number}:{k}")));
                        }
                        subsections.push(format!("{number}:{n}"));
                    } else if matches!(*t, "bis" | "-" | "–") {
                        range_from =
                            subsections.last().and_then(|s: &String| s.rsplit(':').next()?.parse::<u32>().ok());
                    } else if *t != "und" {
                        break;
                    }
                    i += 1;
                }
                if !subsections.is_empty() {
                    paragraphs.pop();
                    paragraphs.extend(subsections);
                }
            }
            // "§§ 63, 71 und 176" cites each paragraph of the list.
            while let Some(t) = tokens.get(i) {
                let next_number = |t: &str| t.chars().next().is_some_and(|c| c.is_ascii_digit());
                if next_number(t) {
                    paragraphs
                        .push(t.chars().take_while(char::is_ascii_alphanumeric).collect::<String>().to_lowercase());
                } else if !(matches!(*t, "und" | "sowie") && tokens.get(i + 1).is_some_and(|t| next_number(t))) {
                    break;
                }
                i += 1;
            }
            continue;
        }
        let folded = fold(t);
        // A rule without paragraphs is cited by its numbered sections ("Förderrichtlinie …,
        // Nr. 5"); after a paragraph, "Nr." is a detail of it ("Art. 49 Abs. 2 Satz 1 Nr. 2").
        if matches!(folded.as_str(), "nr" | "nummer" | "ziffer" | "ziff")
            && let Some(n) =
                tokens.get(i + 1).map(|n| n.chars().take_while(char::is_ascii_alphanumeric).collect::<String>())
            && n.starts_with(|c: char| c.is_ascii_digit())
        {
            sections.push(n.to_lowercase());
        }
        let letters = t.chars().filter(|c| c.is_alphabetic()).count();
        let upper_inside = t.chars().skip(1).any(|c| c.is_uppercase());
        let is_abbrev = (2..=10).contains(&letters) && upper_inside && t.chars().next().is_some_and(char::is_uppercase);
        if let Some((_, false)) = &name
            && short.is_none()
            && is_abbrev
            && tokens[i].starts_with('(')
        {
            short = Some(folded.clone());
        } else if name.is_none() && is_abbrev && !CITATION_NOISE.contains(&folded.as_str()) {
            let mut n = folded.clone();
            if let Some(next) = tokens.get(i + 1).map(|x| x.to_lowercase())
                && ROMAN.contains(&next.as_str())
            {
                n = format!("{n} {next}");
                i += 1;
            }
            name = Some((n, true));
            pieces = abbreviation_pieces(t);
        } else if name.is_none()
            && letters >= 6
            && ["gesetz", "satzung", "ordnung", "verordnung", "richtlinie", "vorschrift"]
                .iter()
                .any(|g| folded.contains(g))
        {
            // A law by its name: the whole citation minus numbers and noise.
            let full: Vec<String> = words(text).into_iter().filter(|w| !CITATION_NOISE.contains(&w.as_str())).collect();
            name = Some((full.join(" "), false));
        }
        i += 1;
    }
    let (name, abbreviation) = name?;
    if paragraphs.is_empty() {
        paragraphs = sections;
    }
    Some(Law { name, abbreviation, paragraphs, text: text.trim().to_owned(), pieces, short })
}

/// An abbreviation cut before its capitals, each piece folded ("NamÄndG": nam, aend, g).
fn abbreviation_pieces(abbreviation: &str) -> Vec<String> {
    let mut pieces: Vec<String> = Vec::new();
    for c in abbreviation.chars().filter(|c| c.is_alphabetic()) {
        match pieces.last_mut() {
            Some(piece) if !c.is_uppercase() => piece.push(c),
            _ => pieces.push(c.to_string()),
        }
    }
    pieces.iter().map(|p| fold(p)).collect()
}

/// Whether two citations name the same law: equal abbreviations; an abbreviation whose
/// letters run through the other's name in order ("BMG" in "Bundesmeldegesetz"); or two
/// names that share a specific part ("Hundesteuersatzung" / "Satzung über die Erhebung der
/// Hundesteuer").
pub fn same_law(a: &Law, b: &Law) -> bool {
    if a.name == b.name {
        return true;
    }
    // Abbreviations given on both sides decide: names share parts across laws
    // ("Landesreisekostengesetz (LRKG)" / "Schülerfahrkostenverordnung (SchfkVO)").
    if let (Some(x), Some(y)) = (a.abbreviated_as(), b.abbreviated_as()) {
        return x == y;
    }
    match (a.abbreviation, b.abbreviation) {
        (true, true) => a.name == b.name,
        (true, false) => abbreviates(a, &b.name),
        (false, true) => abbreviates(b, &a.name),
        (false, false) => {
            let (ca, cb) = (name_core(&a.name), name_core(&b.name));
            ca.iter().any(|x| cb.iter().any(|y| common_substring(x, y) >= 5))
        }
    }
}

/// Words of a law's name that say who issued it, not which law it is: every statute of a town
/// names the town ("Richtlinie der Stadt Steinwalden über …"), every one of a state its state
/// ("Bayerisches Straßen- und Wegegesetz" / "Bayerisches Katastrophenschutzgesetz").
const ISSUERS: &[&str] =
    &["stadt", "gemeinde", "markt", "kreis", "landkreis", "kreisstadt", "samtgemeinde", "freistaat", "land", "bund"];
const STATES: &[&str] = &[
    "bayer",
    "hess",
    "saechs",
    "niedersaechs",
    "thuering",
    "brandenburg",
    "berlin",
    "hamburg",
    "brem",
    "saarl",
    "schleswig",
    "holstein",
    "mecklenburg",
    "vorpommern",
    "rheinland",
    "pfalz",
    "westfal",
    "nordrhein",
    "baden",
    "wuerttemberg",
    "anhalt",
    "nrw",
];
/// Kinds of rules, as generic as "Gesetz": two "Förderrichtlinien" of one town are two rules.
const GENERIC_RULE: &[&str] = &["richtlinie", "foerder", "vorschrift", "dienstanweisung", "anweisung", "bestimmung"];

/// The parts of a law's folded name that say which law it is: the name without who issued it
/// (the issuer's word, the place named after it, a state's name) and without generic words,
/// cut where a generic word stood ("Hundesteuersatzung" → "hundesteuer"); parts shorter than
/// five letters say too little.
fn name_core(name: &str) -> Vec<String> {
    let words: Vec<&str> = name.split(' ').collect();
    let generic = |w: &str| GENERIC_LAW.iter().chain(GENERIC_RULE).any(|g| w.contains(g));
    let issuer = |i: usize| ISSUERS.contains(&words[i]);
    let place = |i: usize| i > 0 && issuer(i - 1) && !generic(words[i]);
    let mut s: String = (0..words.len())
        .filter(|&i| !issuer(i) && !place(i) && !STATES.iter().any(|s| words[i].starts_with(s)))
        .map(|i| words[i])
        .collect();
    for g in GENERIC_LAW.iter().chain(GENERIC_RULE) {
        s = s.replace(g, " ");
    }
    s.split(' ').filter(|p| p.len() >= 5).map(str::to_owned).collect()
}

/// Whether the abbreviation `abbrev` stands for the law named `name` (folded words): its
/// letters run through the name in order ("BMG", "Bundesmeldegesetz"), or each of its pieces
/// is found in the name's words — the long title often starts with "Gesetz über" and names
/// its parts in another order ("NamÄndG", "Gesetz über die Änderung von Familiennamen"). A
/// piece of one letter begins a word; at least one piece has three letters or more.
fn abbreviates(abbrev: &Law, name: &str) -> bool {
    let words: Vec<&str> = name.split(' ').collect();
    let found = |piece: &String| {
        if piece.chars().count() == 1 {
            words.iter().any(|w| w.starts_with(piece.as_str()))
        } else {
            words.iter().any(|w| w.contains(piece.as_str()))
        }
    };
    if abbrev.pieces.iter().any(|p| p.len() >= 3) && abbrev.pieces.iter().all(found) {
        return true;
    }
    let letters: Vec<char> = abbrev.name.chars().filter(|c| c.is_alphanumeric()).collect();
    // Two letters run through too many names: "GO" (Gemeindeordnung) through
    // "Geschäftsordnung des Rates".
    if letters.len() < 3 {
        return false;
    }
    let matches = |name: &str| {
        let mut it = name.chars();
        name.starts_with(letters[0]) && letters.iter().all(|l| it.any(|c| c == *l))
    };
    // The run may begin at one of the first words: a name opens with an ordinal or a
    // state ("Erste Durchführungsverordnung zum Heilpraktikergesetz": DVO-HeilprG).
    (0..words.len().min(3)).any(|skip| {
        let name: String = words[skip..].concat().chars().filter(|c| c.is_alphanumeric()).collect();
        matches(&name)
            || ["landes", "bundes", "lande", "bunde"].iter().any(|p| name.strip_prefix(p).is_some_and(matches))
    })
}

fn common_substring(a: &str, b: &str) -> usize {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut best = 0;
    let mut prev = vec![0usize; b.len() + 1];
    for i in 1..=a.len() {
        let mut cur = vec![0usize; b.len() + 1];
        for j in 1..=b.len() {
            if a[i - 1] == b[j - 1] {
                cur[j] = prev[j - 1] + 1;
                best = best.max(cur[j]);
            }
        }
        prev = cur;
    }
    best
}

/// How two processes' legal bases compare.
#[derive(Debug, Clone, PartialEq)]
pub enum Legal {
    /// A law both cite, with the same paragraph where both name one (`paragraph`: both
    /// name the same paragraph, not just the law).
    Agree { laws: Vec<String>, paragraph: bool },
    /// They cite the same law but different paragraphs, and agree on no other.
    DifferentParagraph { a: String, b: String },
    /// Both cite laws, none in common (`abbreviated`: each side cites a statute by its
    /// abbreviation or as a "…gesetz", so the comparison is sure; local statutes and
    /// ordinances by name are compared less surely).
    DifferentLaw { a: String, b: String, abbreviated: bool },
    /// One side or both cite nothing recognisable.
    Unknown,
}

pub fn legal(a: &[Law], b: &[Law]) -> Legal {
    if a.is_empty() || b.is_empty() {
        return Legal::Unknown;
    }
    let mut agree: Vec<&Law> = Vec::new();
    let mut paragraph = false;
    let mut differ: Option<(&Law, &Law)> = None;
    for x in a {
        for y in b.iter().filter(|y| same_law(x, y)) {
            let shared = x.paragraphs.iter().any(|p| y.paragraphs.iter().any(|q| same_paragraph(p, q)));
            let disjoint = !x.paragraphs.is_empty() && !y.paragraphs.is_empty() && !shared;
            if disjoint {
                differ.get_or_insert((x, y));
            } else {
                paragraph |= shared;
                if !agree.iter().any(|l| l.text == x.text) {
                    agree.push(x);
                }
            }
        }
    }
    // Other paragraphs of one law outweigh another law both cite without paragraphs:
    // siblings share their general regulation ("§ 75 Abs. 2 NBauO; FlBauR" / "§ 75 Abs. 7
    // NBauO; Verwaltungsvorschrift … Fliegende Bauten"). The same law cited as a whole
    // covers every paragraph ("§ 10 StAG" / "Staatsangehörigkeitsgesetz; … Gebühr nach § 38").
    let outweighed = differ.is_some_and(|(x, _)| !paragraph && agree.iter().all(|l| !same_law(l, x)));
    let differ = differ.map(|(x, y)| (x.text.clone(), y.text.clone()));
    match (agree.is_empty(), differ) {
        (false, Some((a, b))) if outweighed => Legal::DifferentParagraph { a, b },
        (false, _) => Legal::Agree { laws: agree.iter().map(|l| l.text.clone()).collect(), paragraph },
        (true, Some((a, b))) => Legal::DifferentParagraph { a, b },
        (true, None) => Legal::DifferentLaw {
            a: a.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("; "),
            b: b.iter().map(|l| l.text.as_str()).collect::<Vec<_>>().join("; "),
            abbreviated: a.iter().any(|x| b.iter().any(|y| x.surely_compared(y))),
        },
    }
}

/// Whether two cited paragraphs are the same: equal, or one cites the whole paragraph that
/// the other cites a subsection of ("17" / "17:1"); "50:2" and "50:1" differ.
fn same_paragraph(p: &str, q: &str) -> bool {
    let whole = |s: &str| s.split(':').next().unwrap_or(s).to_owned();
    p == q || (!p.contains(':') && whole(q) == p) || (!q.contains(':') && whole(p) == q)
}

/// Whether two LeiKa keys may name the same service: equal, or one is the other's object group
/// (eight digits and 000000). Keys that differ in the last three digits are two services of one
/// activity ("…005000" the Heilpraktiker permit, "…005001" the one limited to psychotherapy).
pub fn same_leika(a: &str, b: &str) -> bool {
    let within = |group: &str, key: &str| group[8..].bytes().all(|c| c == b'0') && group[..8] == key[..8];
    a == b || (a.len() == 14 && b.len() == 14 && a.is_ascii() && b.is_ascii() && (within(a, b) || within(b, a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> Vocabulary {
        let mut v = Vocabulary::new();
        v.add("Gewerbe Anmeldung Abmeldung Ummeldung Hund Steuer Führerschein");
        v
    }

    #[test]
    fn a_catalogue_name_is_read_object_action_detail() {
        let v = vocab();
        let renewal = "Prostitutionstätigkeit Anmeldung Verlängerung";
        assert_eq!(service_actions(renewal, &v), [Action::Renew], "the detail renews the registration");
        assert!(matches!(
            service_direction(renewal, "Anmeldebescheinigung für Prostituierte ausstellen", &v),
            Direction::Opposite { .. }
        ));
        assert!(matches!(
            service_direction("Prostitutionstätigkeit Anmeldung erstmalig", "Prostituierte anmelden", &v),
            Direction::Same(Action::Begin)
        ));
        // An action word inside a compound of the detail names a thing.
        let block = "Auskunfts- und Übermittlungssperren im Melderegister Eintragung Übermittlungssperre zur Auskunft";
        assert_eq!(service_actions(block, &v), [Action::Begin]);
        // Process titles keep every action they name.
        assert_eq!(actions(renewal, &v), [Action::Begin, Action::Renew]);
        // A list of actions names them all.
        let listed = "Zulassung, Änderung, Zurücknahme von Wahlvorschlägen";
        assert_eq!(service_actions(listed, &v), actions(listed, &v));
        assert_eq!(service_actions("Gewerbe Anmeldung und Abmeldung", &v), [Action::Begin, Action::End]);
        // The "Ersatz" of a damage is compensation granted, of a document a replacement.
        assert!(matches!(service_direction("Wildschäden Ersatz", "Wildschaden melden", &v), Direction::Same(_)));
        assert!(matches!(
            service_direction("Führerschein Ersatz", "Führerschein beschädigt: neu erteilen", &v),
            Direction::Opposite { .. }
        ));
    }

    #[test]
    fn directions_of_sibling_services_differ() {
        let v = vocab();
        assert!(matches!(direction("Gewerbe anmelden", "Gewerbeabmeldung bearbeiten", &v), Direction::Opposite { .. }));
        assert!(matches!(direction("Gewerbe anmelden", "Gewerbe ummelden", &v), Direction::Opposite { .. }));
        assert!(matches!(direction("Zuzug bearbeiten", "Wegzug bearbeiten", &v), Direction::Opposite { .. }));
        assert!(matches!(direction("Befreiung von der Hundesteuer", "Hund anmelden", &v), Direction::Opposite { .. }));
        assert!(matches!(
            direction("Lkw-Führerschein verlängern", "Fahrerlaubnis erteilen", &v),
            Direction::Opposite { .. }
        ));
        assert!(matches!(
            direction("Fischereischein ausstellen", "Erteilung eines Angelscheins", &v),
            Direction::Same(_)
        ));
        assert!(matches!(direction("Wohngeld bewilligen", "Erhöhung des Wohngeldes", &v), Direction::OneSided { .. }));
        assert_eq!(direction("Wohngeldantrag bearbeiten", "Mietzuschuss bewilligen", &v), Direction::Unknown);
        assert!(actions("Zulassungsbescheinigung prüfen", &v).is_empty());
        assert!(actions("Rücknahme pyrotechnischer Gegenstände", &v) == [Action::End], "'Gegenstände' changes nothing");
        assert!(matches!(
            direction("Wohngeld-Weiterleistungsantrag bearbeiten", "Wohngeld erstmalig bewilligen", &v),
            Direction::Opposite { .. }
        ));
        // An exception from a prohibition is a permit and an exemption at once.
        let exception = "Ausnahme vom Nachtarbeitsverbot zulassen";
        assert!(matches!(direction(exception, "Baumfällgenehmigung", &v), Direction::Same(Action::Begin)));
        assert!(matches!(direction(exception, "Befreiung für Arbeiten in der Nacht", &v), Direction::Same(_)));
        assert!(matches!(direction(exception, "Genehmigung widerrufen", &v), Direction::Opposite { .. }));
        assert!(matches!(
            direction("Ersatzführerschein (Verlust)", "Führerschein umtauschen", &v),
            Direction::Opposite { .. }
        ));
        assert!(matches!(
            direction("Ersatzführerschein (Verlust)", "Neuausfertigung der Fahrerlaubnis nach Abhandenkommen", &v),
            Direction::Same(Action::Replace)
        ));
        // The head of a compound may be a compound itself: "Nach|namensänderung" changes.
        let mut names = vocab();
        let (a, b) = ("Nachnamensänderung", "Änderung des Familiennamens");
        names.add(&format!("{a} {b} Namensänderung"));
        let change = direction(a, b, &names);
        assert_eq!(change, Direction::Same(Action::Change));
        // Paying costs is the benefit itself; a fee paid back is another service.
        let costs = "Übernahme der Beförderungskosten zur Schule";
        assert!(matches!(direction(costs, "Fahrtkostenerstattung Schulbesuch", &v), Direction::Same(Action::Begin)));
        assert!(matches!(
            direction("Hundesteuer festsetzen", "Erstattung der Hundesteuer", &v),
            Direction::OneSided { .. }
        ));
        assert!(actions("Erlaubnis für übermäßige Straßenbenutzung", &v).is_empty(), "'übermäßig' reduces nothing");
        // Entering a block registers it: the block is the object.
        let block = "Auskunftssperre eintragen";
        assert!(matches!(direction(block, "Sperrvermerk im Melderegister", &v), Direction::Same(Action::Begin)));
    }

    #[test]
    fn citations_of_one_law_agree_and_paragraphs_tell_services_apart() {
        let l = |xs: &[&str]| laws(&xs.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert!(matches!(legal(&l(&["§ 45 Abs. 1b StVO"]), &l(&["StVO § 45", "GebOSt"])), Legal::Agree { .. }));
        assert!(matches!(legal(&l(&["§ 17 BMG"]), &l(&["Bundesmeldegesetz"])), Legal::Agree { .. }));
        assert!(matches!(
            legal(&l(&["Hundesteuersatzung"]), &l(&["Satzung über die Erhebung der Hundesteuer"])),
            Legal::Agree { .. }
        ));
        assert!(matches!(legal(&l(&["§ 12 PStG"]), &l(&["§ 39 PStG"])), Legal::DifferentParagraph { .. }));
        assert!(matches!(legal(&l(&["PAuswG"]), &l(&["PassG"])), Legal::DifferentLaw { abbreviated: true, .. }));
        let names = legal(&l(&["Personalausweisgesetz"]), &l(&["Passgesetz"]));
        assert!(matches!(names, Legal::DifferentLaw { abbreviated: true, .. }), "{names:?}");
        assert!(matches!(legal(&l(&["§ 24 SGB VIII"]), &l(&["§ 152 SGB IX"])), Legal::DifferentLaw { .. }));
        let costs =
            legal(&l(&["Landesreisekostengesetz NRW (LRKG)"]), &l(&["Schülerfahrkostenverordnung NRW (SchfkVO)"]));
        assert!(matches!(costs, Legal::DifferentLaw { abbreviated: true, .. }), "{costs:?}");
        assert!(matches!(legal(&l(&["Landesbauordnung (BauO NRW)"]), &l(&["§ 64 BauO NRW"])), Legal::Agree { .. }));
        assert!(matches!(legal(&l(&["§ 62 BauO NRW"]), &l(&["Landesbauordnung"])), Legal::Agree { .. }));
        assert_eq!(legal(&l(&[]), &l(&["PassG"])), Legal::Unknown);
        // A paragraph inside a cited range is the same paragraph.
        let range = legal(&l(&["§ 1594 BGB"]), &l(&["Bürgerliches Gesetzbuch, Abstammung (§§ 1592 bis 1598)"]));
        assert!(matches!(range, Legal::Agree { paragraph: true, .. }), "{range:?}");
        // An abbreviation that its letters do not find in a written-out name is not a sure
        // disagreement.
        let mixed = legal(&l(&["UVG"]), &l(&["Gesetz zur Sicherung des Unterhalts durch Unterhaltsvorschüsse"]));
        assert!(matches!(mixed, Legal::DifferentLaw { abbreviated: false, .. }), "{mixed:?}");
        // A long title that starts with "Gesetz über" and names the abbreviation's parts in
        // another order.
        let long = "Gesetz über die Änderung von Familiennamen und Vornamen";
        assert!(matches!(legal(&l(&["§ 3 NamÄndG"]), &l(&[long])), Legal::Agree { .. }));
        let ids = "Gesetz über Personalausweise und den elektronischen Identitätsnachweis";
        assert!(matches!(legal(&l(&["§ 9 PAuswG"]), &l(&[ids])), Legal::Agree { .. }));
        assert!(matches!(legal(&l(&["§ 6 PassG"]), &l(&[ids])), Legal::DifferentLaw { .. }));
        // Subsections of one paragraph tell services apart; a whole paragraph covers them.
        let sub = legal(&l(&["§ 50 Abs. 2 BMG"]), &l(&["§ 50 Abs. 1 und 5 BMG"]));
        assert!(matches!(sub, Legal::DifferentParagraph { .. }), "{sub:?}");
        assert!(matches!(legal(&l(&["§ 17 BMG"]), &l(&["§ 17 Abs. 1 BMG"])), Legal::Agree { paragraph: true, .. }));
        assert!(matches!(
            legal(&l(&["§ 45 Abs. 1b StVO"]), &l(&["§ 45 Abs. 1b StVO"])),
            Legal::Agree { paragraph: true, .. }
        ));
        // A two-letter abbreviation is no letter run through a written-out name.
        let go = legal(&l(&["§ 24 GO NRW"]), &l(&["§ 41 GO NRW", "Geschäftsordnung des Rates"]));
        assert!(matches!(go, Legal::DifferentParagraph { .. }), "{go:?}");
        let siblings = legal(
            &l(&["§ 75 Abs. 2 NBauO", "FlBauR"]),
            &l(&["Niedersächsische Bauordnung § 75 Abs. 7 und 8", "Verwaltungsvorschrift über Fliegende Bauten"]),
        );
        assert!(matches!(siblings, Legal::DifferentParagraph { .. }), "{siblings:?}");
        let whole = legal(
            &l(&["§ 10 StAG"]),
            &l(&["Staatsangehörigkeitsgesetz (Anspruchseinbürgerung)", "Staatsangehörigkeitsgesetz, Gebühr nach § 38"]),
        );
        assert!(matches!(whole, Legal::Agree { .. }), "{whole:?}");
        // A list of paragraphs cites each; an ordinal before a name does not hide its abbreviation.
        let list = legal(&l(&["Niedersächsisches Schulgesetz §§ 63, 71 und 176"]), &l(&["§ 176 NSchG"]));
        assert!(matches!(list, Legal::Agree { paragraph: true, .. }), "{list:?}");
        let dvo = legal(&l(&["Erste Durchführungsverordnung zum Heilpraktikergesetz"]), &l(&["§ 2 DVO-HeilprG"]));
        assert!(matches!(dvo, Legal::Agree { .. }), "{dvo:?}");
        // A statute by its name beside an abbreviation nobody spells out is no sure difference.
        let local = legal(&l(&["§ 6 FS"]), &l(&["Friedhofssatzung § 6", "Richtlinie für Grabanlagen (TA Grabmal)"]));
        assert!(matches!(local, Legal::DifferentLaw { abbreviated: false, .. }), "{local:?}");
        assert!(same_leika("99050012104000", "99050012000000") && !same_leika("99050012104000", "99050012070000"));
        // "Art." is cited as "§" is, with its subsections; a range of subsections cites each.
        let art = legal(&l(&["Art. 18a Abs. 10 bis 13 GO"]), &l(&["Gemeindeordnung (GO), Art. 18a Abs. 3 bis 9"]));
        assert!(matches!(art, Legal::DifferentParagraph { .. }), "{art:?}");
        let within = legal(&l(&["Art. 18a Abs. 10 bis 13 GO"]), &l(&["Art. 18a Abs. 11 GO"]));
        assert!(matches!(within, Legal::Agree { paragraph: true, .. }), "{within:?}");
        let listed = legal(&l(&["Art. 73 Abs. 2, 3 und 5 BayVwVfG"]), &l(&["Art. 73 Abs. 4 BayVwVfG"]));
        assert!(matches!(listed, Legal::DifferentParagraph { .. }), "{listed:?}");
        // A rule without paragraphs is cited by its numbered sections.
        let rule = "Förderrichtlinie Klimaanpassung der Stadt Musterstadt";
        let sections =
            legal(&l(&[&format!("{rule}, Nr. 5 (Lastenräder)")]), &l(&[&format!("{rule}, Nr. 4 (Zisternen)")]));
        assert!(matches!(sections, Legal::DifferentParagraph { .. }), "{sections:?}");
        assert!(matches!(legal(&l(&[&format!("{rule}, Nr. 5")]), &l(&[rule])), Legal::Agree { .. }));
        // Who issued a rule does not say which rule it is.
        let town = legal(
            &l(&["Richtlinie der Stadt Musterstadt über den Musterstadt-Pass"]),
            &l(&["Richtlinie über Vergünstigungen für Senioren der Stadt Musterstadt"]),
        );
        assert!(matches!(town, Legal::DifferentLaw { .. }), "{town:?}");
        let pass = legal(
            &l(&["Richtlinie Musterstadt-Pass"]),
            &l(&["Richtlinie der Stadt Musterstadt über den Musterstadt-Pass"]),
        );
        assert!(matches!(pass, Legal::Agree { .. }), "{pass:?}");
        let state = legal(&l(&["Bayerisches Straßen- und Wegegesetz"]), &l(&["Bayerisches Katastrophenschutzgesetz"]));
        assert!(matches!(state, Legal::DifferentLaw { .. }), "{state:?}");
        assert!(matches!(
            legal(&l(&["Gemeinde- und Landkreiswahlgesetz (GLKrWG)"]), &l(&["Gemeinde- und Landkreiswahlgesetz"])),
            Legal::Agree { .. }
        ));
        assert!(!same_leika("99018008005000", "99018008005001"), "a detail is a service of its own");
    }
}
