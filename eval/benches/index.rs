//! Index build time, query latency (HNSW and exact) and recall@10 against exact search on
//! clustered synthetic 384-d vectors (services of ten variants each, ten services per topic),
//! 5k and 50k entries (500k with ABLAUF_BENCH_500K=1).
//! Build time, recall and memory per entry are measured once per size and printed; query
//! latency is measured by criterion.

use std::time::Instant;

use ablauf::index::synthetic::clustered_vectors;
use ablauf::index::{IndexParams, VectorIndex};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

const DIM: usize = 384;

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    statm.split_whitespace().nth(1).and_then(|p| p.parse::<usize>().ok()).unwrap_or(0) * 4096
}

fn sizes() -> Vec<usize> {
    let mut sizes = vec![5_000, 50_000];
    if std::env::var_os("ABLAUF_BENCH_500K").is_some() {
        sizes.push(500_000);
    }
    sizes
}

fn index(c: &mut Criterion) {
    let mut group = c.benchmark_group("index");
    group.sample_size(20);
    for n in sizes() {
        let vectors = clustered_vectors(n, DIM, n / 10, 1);
        let keys: Vec<String> = (0..n).map(|i| format!("p-{i:08}")).collect();
        let queries = clustered_vectors(200, DIM, n / 10, 2);
        let before = rss_bytes();
        let start = Instant::now();
        // exact_below 0: always build the graph, so both search paths can be measured.
        let params = IndexParams { exact_below: 0, ..IndexParams::default() };
        let mut index = VectorIndex::from_entries(
            DIM,
            params,
            keys.iter().zip(&vectors).map(|(k, v)| (k.as_str(), "", v.as_slice())),
        )
        .expect("valid vectors");
        let build = start.elapsed();
        let memory = rss_bytes().saturating_sub(before);
        let all = |_: &str| true;
        let exact: Vec<Vec<String>> =
            queries.iter().map(|q| index.search_exact(q, 10, &all).into_iter().map(|h| h.key).collect()).collect();
        eprintln!(
            "index n={n}: build {:.2} s ({:.0} inserts/s), memory {:.0} bytes per entry",
            build.as_secs_f64(),
            n as f64 / build.as_secs_f64(),
            memory as f64 / n as f64,
        );
        for ef in [64, 128, 256] {
            index.set_ef_search(ef).expect("valid ef");
            let start = Instant::now();
            let found: usize = queries
                .iter()
                .zip(&exact)
                .map(|(q, truth)| index.search(q, 10, &all).iter().filter(|h| truth.contains(&h.key)).count())
                .sum();
            let per_query = start.elapsed().as_secs_f64() / queries.len() as f64;
            eprintln!(
                "index n={n} ef_search={ef}: recall@10 {:.3}, {:.2} ms per query ({:.0} queries/s, one thread)",
                found as f64 / (10 * queries.len()) as f64,
                per_query * 1e3,
                1.0 / per_query
            );
        }
        index.set_ef_search(IndexParams::default().ef_search).expect("valid ef");
        let mut q = queries.iter().cycle();
        group.bench_with_input(BenchmarkId::new("hnsw_query_k10", n), &n, |b, _| {
            b.iter(|| index.search(q.next().expect("cycle"), 10, &all))
        });
        group.bench_with_input(BenchmarkId::new("exact_query_k10", n), &n, |b, _| {
            b.iter(|| index.search_exact(q.next().expect("cycle"), 10, &all))
        });
    }
    group.finish();
}

criterion_group!(benches, index);
criterion_main!(benches);
