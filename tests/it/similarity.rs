//! The similarity service over a real SQLite file: duplicates with the real e5 model,
//! reviewer decisions, missing steps, gaps, restart, model change and scale (the latter with
//! a deterministic hashing embedder in addition to the real one).

use std::sync::{Arc, OnceLock};

use ablauf::embed::{self, CandleEmbedder, EmbedError, Embedder};
use ablauf::index::IndexParams;
use ablauf::process::{Flow, Process, Role, Step, StepType};
use ablauf::similarity::{Catalog, DecisionRequest, Reason, SharedCache, Similarity};
use ablauf::store::similarity::Decision;
use ablauf::store::{Change, Status, Store};

fn e5() -> Arc<dyn Embedder> {
    static MODEL: OnceLock<Arc<CandleEmbedder>> = OnceLock::new();
    MODEL.get_or_init(|| Arc::new(embed::load(&ablauf::models::default_dir()).expect("load e5"))).clone()
}

/// Hashes character trigrams into `dim` buckets: deterministic, instant, no model file.
struct HashingEmbedder {
    id: String,
    dim: usize,
}

impl Embedder for HashingEmbedder {
    fn model_id(&self) -> &str {
        &self.id
    }
    fn dim(&self) -> usize {
        self.dim
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        Ok(texts
            .iter()
            .map(|t| {
                let chars: Vec<char> = t.to_lowercase().chars().collect();
                let mut v = vec![0.01f32; self.dim];
                for w in chars.windows(3) {
                    let h = w.iter().fold(2166136261u32, |h, &c| (h ^ c as u32).wrapping_mul(16777619));
                    v[h as usize % self.dim] += 1.0;
                }
                let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                v.iter().map(|x| x / n).collect()
            })
            .collect())
    }
}

fn hashing(id: &str, dim: usize) -> Arc<dyn Embedder> {
    Arc::new(HashingEmbedder { id: id.into(), dim })
}

fn process(title: &str, summary: &str, role: &str, steps: &[&str], law: &str) -> Process {
    let mut all = vec![Step { id: "start".into(), kind: StepType::Start, name: "Eingang".into(), ..Step::default() }];
    for (i, name) in steps.iter().enumerate() {
        all.push(Step { id: format!("s{i}"), name: (*name).into(), role: Some("r".into()), ..Step::default() });
    }
    all.push(Step { id: "end".into(), kind: StepType::End, name: "Ende".into(), ..Step::default() });
    for i in 0..all.len() - 1 {
        let to = all[i + 1].id.clone();
        all[i].next = vec![Flow { to, condition: None }];
    }
    Process {
        title: title.into(),
        summary: summary.into(),
        roles: vec![Role { id: "r".into(), name: role.into(), unit: None }],
        steps: all,
        legal_basis: vec![law.into()],
        ..Process::default()
    }
}

fn anwohner() -> Process {
    process(
        "Anwohnerparkausweis ausstellen",
        "Bewohner einer Parkzone erhalten einen Parkausweis für ihr Fahrzeug.",
        "Bürgerbüro",
        &[
            "Antrag entgegennehmen",
            "Hauptwohnsitz im Melderegister prüfen",
            "Fahrzeugschein prüfen",
            "Gebühr erheben",
            "Parkausweis drucken und aushändigen",
        ],
        "§ 45 Abs. 1b StVO",
    )
}

fn bewohner() -> Process {
    process(
        "Bewohnerparkausweis erteilen",
        "Ausgabe von Bewohnerparkausweisen an Einwohner der Parkzone, für ihr Fahrzeug.",
        "Straßenverkehrsbehörde",
        &[
            "Antrag entgegennehmen",
            "Hauptwohnsitz im Melderegister prüfen",
            "Zulassung des Fahrzeugs prüfen",
            "Gebühr festsetzen",
            "Bewohnerparkausweis aushändigen",
        ],
        "§ 45 StVO",
    )
}

fn hundesteuer() -> Process {
    process(
        "Hund zur Hundesteuer anmelden",
        "Neu gehaltene Hunde werden zur Hundesteuer veranlagt.",
        "Steueramt",
        &["Anmeldung des Hundes entgegennehmen", "Steuerbescheid erstellen", "Hundesteuermarke ausgeben"],
        "Hundesteuersatzung",
    )
}

fn trauung() -> Process {
    process(
        "Eheschließung anmelden",
        "Prüfung der Ehevoraussetzungen und Vergabe des Trautermins.",
        "Standesamt",
        &["Unterlagen der Verlobten prüfen", "Ehefähigkeit feststellen", "Trautermin festlegen"],
        "§ 12 PStG",
    )
}

const CLERK: Change = Change { author: "test", reason: "", own_drafts_only: false };

fn store_in(dir: &std::path::Path) -> Arc<Store> {
    Arc::new(Store::open(&dir.join("ablauf.db")).unwrap())
}

fn open(store: &Arc<Store>, embedder: Arc<dyn Embedder>) -> Similarity {
    Similarity::open(store.clone(), embedder, &|_, _| {}).unwrap().0
}

#[test]
fn duplicates_rank_the_paraphrase_first_with_reasons() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let a = store.create(&anwohner(), &CLERK).unwrap().id;
    let b = store.create(&bewohner(), &CLERK).unwrap().id;
    store.create(&hundesteuer(), &CLERK).unwrap();
    store.create(&trauung(), &CLERK).unwrap();
    let similarity = open(&store, e5());

    let pairs = similarity.duplicates(ablauf::similarity::DUPLICATE_THRESHOLD).unwrap();
    assert_eq!(pairs.len(), 1, "{pairs:#?}");
    let pair = &pairs[0];
    assert_eq!(
        (pair.a.as_str(), pair.b.as_str()),
        if a < b { (a.as_str(), b.as_str()) } else { (b.as_str(), a.as_str()) }
    );
    assert!(pair.reasons.iter().any(|r| matches!(r, Reason::SharedSteps { steps } if steps.len() >= 2)));
    assert!(pair.reasons.iter().any(|r| matches!(r, Reason::EmbeddingSimilarity { score } if *score > 0.85)));

    let report = similarity.similar(&a, 3).unwrap();
    assert_eq!(report.similar[0].id, b);
    assert!(report.similar[0].score > report.similar[1].score);
}

#[test]
fn a_not_duplicate_decision_is_remembered_until_a_substantial_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let a = store.create(&anwohner(), &CLERK).unwrap().id;
    let b = store.create(&bewohner(), &CLERK).unwrap().id;
    let similarity = open(&store, e5());
    assert_eq!(similarity.duplicates(0.5).unwrap().len(), 1);

    let request = DecisionRequest {
        a: b.clone(),
        b: a.clone(),
        decision: Decision::NotDuplicate,
        survivor: None,
        note: "Zonen sind verschieden".into(),
    };
    let record = similarity.decide(&request, "reviewer").unwrap();
    assert_eq!((record.actor.as_str(), record.decision), ("reviewer", Decision::NotDuplicate));
    assert!(similarity.duplicates(0.5).unwrap().is_empty());

    // A small edit (one more step) does not bring the pair back ...
    let mut edited = bewohner();
    edited.steps.insert(
        3,
        Step {
            id: "extra".into(),
            name: "Akte anlegen".into(),
            role: Some("r".into()),
            next: vec![Flow { to: "s3".into(), condition: None }],
            ..Step::default()
        },
    );
    edited.steps[2].next = vec![Flow { to: "extra".into(), condition: None }];
    store.update(&b, 1, &edited, &CLERK).unwrap();
    assert!(similarity.duplicates(0.5).unwrap().is_empty());

    // ... a rewrite (here: b now copies a word for word) does, with the earlier decision as a reason.
    store.update(&b, 2, &anwohner(), &CLERK).unwrap();
    let pairs = similarity.duplicates(0.5).unwrap();
    assert_eq!(pairs.len(), 1);
    assert!(
        matches!(&pairs[0].reasons[0], Reason::ChangedSinceDecision { decision, .. } if decision == "not_duplicate")
    );

    let history = store.audit_log(20, None).unwrap();
    assert!(history.iter().any(|e| e.action == "duplicate_decision" && e.process_id.as_deref() == Some(a.as_str())));
    assert!(history.iter().any(|e| e.action == "duplicate_decision" && e.actor == "reviewer"));
}

#[test]
fn a_duplicate_decision_archives_the_other_process_with_a_link() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let a = store.create(&anwohner(), &CLERK).unwrap().id;
    let b = store.create(&bewohner(), &CLERK).unwrap().id;
    let c = store.create(&hundesteuer(), &CLERK).unwrap().id;
    let similarity = open(&store, e5());

    let bad = DecisionRequest {
        a: a.clone(),
        b: b.clone(),
        decision: Decision::Duplicate,
        survivor: Some(c.clone()),
        note: String::new(),
    };
    assert!(matches!(similarity.decide(&bad, "reviewer"), Err(ablauf::similarity::SimilarityError::Input(_))));
    let same = DecisionRequest { b: a.clone(), survivor: None, ..bad.clone() };
    assert!(matches!(similarity.decide(&same, "reviewer"), Err(ablauf::similarity::SimilarityError::Input(_))));

    let request = DecisionRequest { survivor: Some(a.clone()), ..bad };
    similarity.decide(&request, "reviewer").unwrap();
    assert_eq!(store.get(&b, None).unwrap().status, Status::Archived);
    assert_eq!(store.get(&a, None).unwrap().status, Status::Draft);
    assert_eq!(similarity.similar(&b, 3).unwrap().duplicate_of.as_deref(), Some(a.as_str()));
    assert!(similarity.similar(&a, 3).unwrap().similar.iter().all(|s| s.id != b), "archived never appear");
    assert!(similarity.duplicates(0.0).unwrap().iter().all(|p| p.a != b && p.b != b));
    let audit = store.audit_log(20, None).unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.process_id.as_deref() == Some(b.as_str()) && e.detail.contains(&format!("duplicate of {a}")))
    );
}

#[test]
fn missing_steps_are_those_most_neighbours_have() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut lean = anwohner();
    lean.steps.retain(|s| s.name != "Gebühr erheben");
    lean.steps[3].next = vec![Flow { to: "s4".into(), condition: None }];
    let target = store.create(&lean, &CLERK).unwrap().id;
    for office in ["Bürgerbüro Nord", "Bürgerbüro Süd", "Bürgerbüro Mitte"] {
        let mut p = anwohner();
        p.roles[0].name = office.into();
        store.create(&p, &CLERK).unwrap();
    }
    store.create(&hundesteuer(), &CLERK).unwrap();
    let report = open(&store, e5()).similar(&target, 5).unwrap();
    let missing = report.missing_steps.iter().find(|m| m.step == "Gebühr erheben").expect("Gebühr erheben suggested");
    assert_eq!((missing.found_in, missing.of), (3, 3), "{:#?}", report.missing_steps);
    assert_eq!(report.missing_steps.len(), 1);
}

/// A CSV catalogue of `rows` (key;name;topic;leika_key) written to `dir` and loaded.
fn catalog_in(dir: &std::path::Path, rows: &str) -> Catalog {
    let file = dir.join("services.csv");
    std::fs::write(&file, format!("key;name;topic;leika_key\n{rows}")).unwrap();
    Catalog::load(&file).unwrap()
}

#[test]
fn gaps_count_links_by_leika_key_and_by_similarity() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let mut linked = trauung();
    // A real key of the marriage service (the default catalogue groups it under "Eheschließung").
    linked.meta.leika_key = Some("99059001019000".into());
    let linked_id = store.create(&linked, &CLERK).unwrap().id;
    store.create(&hundesteuer(), &CLERK).unwrap();
    let similarity = open(&store, e5());

    let catalog = catalog_in(
        dir.path(),
        "A;Eheschließung;Familie;99059001019000\nB;Hundesteuer;Steuern;\nC;Fischereischein;Freizeit;\n",
    );
    let report = similarity.gaps(&catalog, &|_, _| {}).unwrap();
    assert_eq!((report.services, report.covered), (3, 2), "{report:#?}");
    let by_key = report.covered_services.iter().find(|c| c.service.key == "A").unwrap();
    assert_eq!(by_key.process, linked_id);
    assert!(matches!(by_key.evidence, ablauf::similarity::Evidence::LeikaKey { .. }));
    let missing: Vec<&str> = report.topics.iter().flat_map(|t| t.missing.iter().map(|s| s.key.as_str())).collect();
    assert_eq!(missing, ["C"]);

    let default = similarity.gaps(&Catalog::default_catalog(), &|_, _| {}).unwrap();
    assert_eq!(default.services, 557);
    assert!(default.covered >= 1 && default.covered <= 4, "{}", default.covered);
    assert!((default.coverage - default.covered as f32 / 557.0).abs() < 1e-6);
}

#[test]
fn a_key_named_twice_goes_to_the_better_match_and_a_group_key_bounds_the_services() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    // The dog-tax process names the marriage's key by mistake; the marriage process names it too.
    let mut marriage = trauung();
    marriage.meta.leika_key = Some("99123001001000".into());
    let marriage_id = store.create(&marriage, &CLERK).unwrap().id;
    let mut dog = hundesteuer();
    dog.meta.leika_key = Some("99123001001000".into());
    store.create(&dog, &CLERK).unwrap();
    // A third process names only its group (eight digits and zeros).
    let mut fishing = process(
        "Fischereischein erteilen",
        "Ausgabe des Fischereischeins nach bestandener Prüfung.",
        "Ordnungsamt",
        &["Prüfungszeugnis prüfen", "Fischereischein ausstellen"],
        "Landesfischereigesetz",
    );
    fishing.meta.leika_key = Some("99456001000000".into());
    let fishing_id = store.create(&fishing, &CLERK).unwrap().id;
    let similarity = open(&store, e5());

    let catalog = catalog_in(
        dir.path(),
        "A;Eheschließung Anmeldung;Familie;99123001001000\nB;Hundesteuer Anmeldung;Steuern;\n\
         C;Fischereischein Erteilung;Freizeit;99777001001000\nD;Fischereischein Ausstellung;Freizeit;99456001001000\n",
    );
    let report = similarity.gaps(&catalog, &|_, _| {}).unwrap();
    let by = |key: &str| report.covered_services.iter().find(|c| c.service.key == key).map(|c| c.process.clone());
    assert_eq!(by("A"), Some(marriage_id), "the service's own process, whatever the order: {report:#?}");
    assert_eq!(by("C"), None, "another group's service: {report:#?}");
    assert_eq!(by("D"), Some(fishing_id), "{report:#?}");
    let near = report.near_misses.iter().find(|n| n.service.key == "C").expect("C is a near miss");
    assert!(near.reason.contains("LeiKa-Schlüssel"), "{near:#?}");
}

#[test]
fn a_process_covers_the_general_service_rather_than_a_sibling_whose_own_words_it_lacks() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let inn = process(
        "Gaststättenerlaubnis erteilen",
        "Erlaubnis für den Betrieb einer Gaststätte mit Alkoholausschank nach dem Gaststättengesetz.",
        "Ordnungsamt",
        &["Antrag auf Gaststättenerlaubnis prüfen", "Zuverlässigkeit des Wirts prüfen", "Erlaubnis erteilen"],
        "§ 2 GastG",
    );
    let inn_id = store.create(&inn, &CLERK).unwrap().id;
    store.create(&hundesteuer(), &CLERK).unwrap();
    store.create(&trauung(), &CLERK).unwrap();
    let similarity = open(&store, e5());
    let catalog = catalog_in(
        dir.path(),
        "A;Gaststättengewerbe Erlaubnis vorläufig;Wirtschaft;\nB;Gaststättengewerbe Erlaubnis;Wirtschaft;\n\
         C;Hundesteuer Anmeldung;Steuern;\nD;Fischereischein Erteilung;Freizeit;\n",
    );
    let report = similarity.gaps(&catalog, &|_, _| {}).unwrap();
    let by = |key: &str| report.covered_services.iter().find(|c| c.service.key == key).map(|c| c.process.clone());
    assert_eq!(by("B"), Some(inn_id), "{report:#?}");
    assert_eq!(by("A"), None, "the process never says \"vorläufig\": {report:#?}");
}

/// The real embedder, counting the texts it embeds.
struct Counting {
    inner: Arc<dyn Embedder>,
    texts: std::sync::atomic::AtomicUsize,
}

impl Embedder for Counting {
    fn model_id(&self) -> &str {
        self.inner.model_id()
    }
    fn dim(&self) -> usize {
        self.inner.dim()
    }
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        self.texts.fetch_add(texts.len(), std::sync::atomic::Ordering::SeqCst);
        self.inner.embed(texts)
    }
}

#[test]
fn a_catalogue_embedded_in_one_data_directory_is_taken_over_by_the_next() {
    let models = tempfile::tempdir().unwrap();
    let catalog = catalog_in(
        models.path(),
        "A;Eheschließung anmelden;Familie;\nB;Hundesteuer;Steuern;\nC;Fischereischein;Freizeit;\n",
    );
    // Each run: a fresh data directory holding the marriage process, the shared cache in `models`.
    let run = || {
        let dir = tempfile::tempdir().unwrap();
        let store = store_in(dir.path());
        store.create(&trauung(), &CLERK).unwrap();
        let counting = Arc::new(Counting { inner: e5(), texts: Default::default() });
        let (mut similarity, _) = Similarity::open(store, counting.clone(), &|_, _| {}).unwrap();
        similarity.share_catalogues(SharedCache::new(models.path()));
        let before = counting.texts.load(std::sync::atomic::Ordering::SeqCst);
        let report = similarity.gaps(&catalog, &|_, _| {}).unwrap();
        let missing: Vec<String> = report.topics.iter().flat_map(|t| t.missing.iter().map(|s| s.key.clone())).collect();
        (counting.texts.load(std::sync::atomic::Ordering::SeqCst) - before, report.covered, missing)
    };
    let first = run();
    assert_eq!(first.0, 3, "the first directory embeds the three services");
    let second = run();
    assert_eq!(second, (0, first.1, first.2.clone()), "the next one takes them over and reports the same");

    // A damaged file is embedded anew and replaced.
    let cache = models.path().join("cache");
    let files: Vec<_> = std::fs::read_dir(&cache).unwrap().map(|e| e.unwrap().path()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    std::fs::write(&files[0], b"ABLVEC1\n").unwrap();
    assert_eq!(run(), (3, first.1, first.2.clone()));
    assert_eq!(run().0, 0);
}

fn gewerbe(title: &str, summary: &str, steps: &[&str], law: &str, key: Option<&str>) -> Process {
    let mut p = process(title, summary, "Gewerbeamt", steps, law);
    p.meta.leika_key = key.map(str::to_owned);
    p
}

#[test]
fn sibling_services_are_not_suggested_and_the_reasons_say_why() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let add = |p: Process| store.create(&p, &CLERK).unwrap().id;
    let an = add(gewerbe(
        "Gewerbe anmelden",
        "Wer ein Gewerbe beginnt, zeigt es an.",
        &["Gewerbeanzeige entgegennehmen", "Angaben prüfen", "Gewerbeschein ausstellen", "Finanzamt unterrichten"],
        "§ 14 GewO",
        None,
    ));
    let twin = add(gewerbe(
        "Aufnahme einer selbstständigen Tätigkeit registrieren",
        "Betriebe, die eröffnen, zeigen den Beginn an; die Behörde bestätigt und informiert Finanzamt und Kammer.",
        &[
            "Anzeige über den Beginn annehmen",
            "Identität kontrollieren",
            "Empfangsbestätigung erstellen",
            "Finanzamt und IHK informieren",
        ],
        "Gewerbeordnung § 14",
        None,
    ));
    let ab = add(gewerbe(
        "Gewerbeabmeldung bearbeiten",
        "Wer den Betrieb aufgibt, meldet das Gewerbe ab.",
        &["Abmeldung entgegennehmen", "Eintragung schließen", "Bestätigung ausstellen", "Finanzamt unterrichten"],
        "§ 14 GewO",
        None,
    ));
    let pass = add(process(
        "Reisepass beantragen",
        "Deutsche erhalten einen Reisepass.",
        "Bürgerbüro",
        &["Identität prüfen", "Foto prüfen", "Pass bestellen", "Pass aushändigen"],
        "PassG",
    ));
    let ausweis = add(process(
        "Personalausweis beantragen",
        "Deutsche erhalten einen Personalausweis.",
        "Bürgerbüro",
        &["Identität prüfen", "Foto prüfen", "Ausweis bestellen", "Ausweis aushändigen"],
        "PAuswG",
    ));
    store.create(&hundesteuer(), &CLERK).unwrap();
    let similarity = open(&store, e5());

    let pairs = similarity.duplicates(ablauf::similarity::DUPLICATE_THRESHOLD).unwrap();
    let ids: Vec<(&str, &str)> = pairs.iter().map(|p| (p.a.as_str(), p.b.as_str())).collect();
    assert_eq!(ids, [(an.as_str().min(&twin), an.as_str().max(&twin))], "{pairs:#?}");
    assert!(pairs[0].reasons.iter().any(|r| matches!(r, Reason::MutualNearest { .. })), "{:#?}", pairs[0].reasons);

    let report = similarity.similar(&an, 5).unwrap();
    let sibling = report.similar.iter().find(|s| s.id == ab).expect("the Abmeldung is a neighbour");
    assert!(sibling.score < ablauf::similarity::DUPLICATE_THRESHOLD);
    assert!(sibling.reasons.iter().any(|r| matches!(r, Reason::DirectionDiffers { .. })), "{:#?}", sibling.reasons);
    let report = similarity.similar(&pass, 5).unwrap();
    let other = report.similar.iter().find(|s| s.id == ausweis).expect("the Personalausweis is a neighbour");
    assert!(other.reasons.iter().any(|r| matches!(r, Reason::LegalBasisDiffers { .. })), "{:#?}", other.reasons);

    // Gaps: the covered Anmeldung does not cover the Abmeldung of the catalogue's sibling.
    let catalog_file = dir.path().join("leika.jsonl");
    std::fs::write(
        &catalog_file,
        [
            r#"{"leika_key": "99050012104000", "name": "Gewerbe Anmeldung", "themenfeld": "Wirtschaft"}"#,
            r#"{"leika_key": "99050012071000", "name": "Gewerbe Ummeldung", "themenfeld": "Wirtschaft"}"#,
            r#"{"leika_key": "99085001012000", "name": "Reisepass Ausstellung", "themenfeld": "Ausweise"}"#,
            r#"{"leika_key": "99067004001000", "name": "Jagdschein Erteilung", "themenfeld": "Freizeit"}"#,
        ]
        .join("\n"),
    )
    .unwrap();
    let report = similarity.gaps(&Catalog::load(&catalog_file).unwrap(), &|_, _| {}).unwrap();
    let missing: Vec<&str> = report.topics.iter().flat_map(|t| t.missing.iter().map(|s| s.name.as_str())).collect();
    assert!(missing.contains(&"Gewerbe Ummeldung") && missing.contains(&"Jagdschein Erteilung"), "{report:#?}");
    assert_eq!(report.covered, 2, "{report:#?}");
    assert!(report.near_misses.iter().any(|n| n.service.name == "Gewerbe Ummeldung" && n.reason.contains("Richtung")));
}

#[test]
fn a_changed_model_reembeds_everything_and_never_mixes_vectors() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    for p in [anwohner(), bewohner(), hundesteuer(), trauung()] {
        store.create(&p, &CLERK).unwrap();
    }
    let (first, report) = Similarity::open(store.clone(), hashing("hash-test", 64), &|_, _| {}).unwrap();
    assert_eq!(report.embedded, 4);
    let old_model = first.model().to_owned();
    drop(first);

    let (second, report) = Similarity::open(store.clone(), e5(), &|_, _| {}).unwrap();
    assert_eq!(report.embedded, 4, "every process is embedded again");
    assert!(!report.restore.unwrap().loaded);
    assert!(store.process_embeddings(&old_model, 64).unwrap().is_empty(), "no vector of the old model is left");
    assert_eq!(store.process_embeddings(second.model(), 384).unwrap().len(), 4);
    let (_, again) = Similarity::open(store.clone(), e5(), &|_, _| {}).unwrap();
    assert_eq!(again.embedded, 0, "nothing is re-embedded when nothing changed");
}

#[test]
fn thousands_of_processes_use_the_graph_and_survive_a_restart_without_the_index_file() {
    let dir = tempfile::tempdir().unwrap();
    let store = store_in(dir.path());
    let topics = ["Parkausweis", "Hundesteuer", "Baugenehmigung", "Wohngeld", "Fischereischein", "Gewerbeanmeldung"];
    let mut planted = Vec::new();
    for i in 0..2000 {
        let topic = topics[i % topics.len()];
        let title = format!("{topic} Verfahren {i} Bezirk {}", i * 7919 % 1009);
        let steps = [
            format!("{topic} Antrag {i} prüfen"),
            format!("Bescheid {} erstellen", i * 31 % 997),
            format!("Akte {i} schließen"),
        ];
        let steps: Vec<&str> = steps.iter().map(String::as_str).collect();
        let id = store.create(&process(&title, "", "Sachbearbeitung", &steps, "Satzung"), &CLERK).unwrap().id;
        if i % 500 == 0 {
            let copy = store.create(&process(&title, "", "Sachbearbeitung", &steps, "Satzung"), &CLERK).unwrap().id;
            planted.push((id, copy));
        }
    }
    let params = IndexParams { exact_below: 500, ..IndexParams::default() };
    let (similarity, report) =
        Similarity::open_with(store.clone(), hashing("hash-scale", 64), params, &|_, _| {}).unwrap();
    assert!(report.uses_graph && report.indexed == 2004, "{report:?}");
    // Well above the default threshold: copies are each other's first with every term shared.
    let found = similarity.duplicates(0.8).unwrap();
    for (a, b) in &planted {
        if !found.iter().any(|p| (&p.a, &p.b) == (a.min(b), a.max(b))) {
            let near = similarity.similar(a, 3).unwrap().similar;
            panic!("planted pair {a} {b} not found; {a} is near {near:#?}");
        }
    }
    let before = similarity.similar(&planted[0].0, 5).unwrap().similar;
    drop(similarity);

    let index_dir = dir.path().join("index");
    let graph_files: Vec<_> = std::fs::read_dir(&index_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().contains("hnsw"))
        .collect();
    assert_eq!(graph_files.len(), 2, "graph and data are saved next to the database");
    let (_, report) = Similarity::open_with(store.clone(), hashing("hash-scale", 64), params, &|_, _| {}).unwrap();
    assert!(report.restore.unwrap().loaded, "an intact index is loaded, not rebuilt");

    for f in &graph_files {
        std::fs::remove_file(f).unwrap();
    }
    let (similarity, report) = Similarity::open_with(store, hashing("hash-scale", 64), params, &|_, _| {}).unwrap();
    let restore = report.restore.unwrap();
    assert!(!restore.loaded && restore.rebuilt_because.is_some());
    assert_eq!(report.embedded, 0, "rebuilt from SQLite, not re-embedded");
    let after = similarity.similar(&planted[0].0, 5).unwrap().similar;
    assert_eq!(before[0].id, after[0].id);
}

#[test]
fn the_default_catalogue_and_leika_exports_load() {
    let default = Catalog::default_catalog();
    assert_eq!(default.services.len(), 557);
    assert!(default.services.iter().any(|s| s.name == "Wohngeld" && !s.leika_keys.is_empty()));
    let dir = tempfile::tempdir().unwrap();
    let leika = dir.path().join("leika.jsonl");
    std::fs::write(
        &leika,
        r#"{"leika_key": "99012001000000", "name": "Abbruchgenehmigung", "themenfeld": "Bauen & Wohnen"}"#,
    )
    .unwrap();
    let catalog = Catalog::load(&leika).unwrap();
    assert_eq!(catalog.services[0].leika_keys, ["99012001000000"]);
    assert_eq!(catalog.services[0].topic, "Bauen & Wohnen");
    std::fs::write(&leika, "{\"key\": \"x\"}\n").unwrap();
    assert!(Catalog::load(&leika).is_err());
}
