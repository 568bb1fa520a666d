//! A decoding step's attention against a cache of a draft's length (the 1.5B model's shape:
//! 12 query heads sharing 2 KV heads of 128 values), per layer.

use ablauf_kernels::attention::{self, Span};
use candle_core::{Device, Tensor};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

fn step(c: &mut Criterion) {
    let mut group = c.benchmark_group("attention");
    let (heads, kv_heads, dim, capacity) = (12, 2, 128, 1536);
    let k = Tensor::randn(0f32, 1.0, (1, kv_heads, capacity, dim), &Device::Cpu).expect("keys");
    let v = Tensor::randn(0f32, 1.0, (1, kv_heads, capacity, dim), &Device::Cpu).expect("values");
    for first in [128, 900] {
        let q = Tensor::randn(0f32, 1.0, (1, heads, 1, dim), &Device::Cpu).expect("query");
        group.bench_with_input(BenchmarkId::new("1x12x128", first), &q, |b, q| {
            b.iter(|| attention::attend(q, &k, &v, Span { first, window: None }).expect("attend"))
        });
    }
    group.finish();
}

criterion_group!(benches, step);
criterion_main!(benches);
