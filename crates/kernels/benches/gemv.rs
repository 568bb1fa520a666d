//! Weight bytes per second of the quantized products, beside a plain read of the same bytes on
//! the same thread pool (what the memory system gives: on the 2-core development machine the
//! one-row Q4_K product reads as fast as the plain loop, so decoding is bound by memory there). Decoding reads every weight once per
//! token, so these rates bound its speed. The matrices have the shapes of the default models'
//! feed-forward layers; 24 copies of each (more than the last-level cache) are multiplied in
//! turn, so the weights come from memory as they do in a model.

use std::borrow::Cow;
use std::hint::black_box;

use ablauf_kernels::gemv;
use candle_core::quantized::{GgmlDType, QMatMul, QStorage, QTensor};
use candle_core::{Device, Module, Tensor};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

const COPIES: usize = 24;

fn copies(dtype: GgmlDType, rows: usize, cols: usize) -> Vec<QTensor> {
    let w = Tensor::randn(0f32, 1.0, (rows, cols), &Device::Cpu).expect("random weights");
    let bytes = QTensor::quantize(&w, dtype).expect("quantize").data().expect("bytes").into_owned();
    (0..COPIES)
        .map(|_| {
            let storage = QStorage::from_data(Cow::Owned(bytes.clone()), &Device::Cpu, dtype).expect("storage");
            QTensor::new(storage, (rows, cols)).expect("tensor")
        })
        .collect()
}

/// XORs every byte of `bytes` into 64 lanes (one 512-bit register), split over the pool as the
/// kernels split their rows.
fn read_all(bytes: &[u8]) -> u8 {
    const CHUNK: usize = 64 * 1024;
    // As far ahead as the kernels prefetch: without it this plain loop reads at two thirds of the rate.
    const PREFETCH: usize = 1536;
    let total = std::sync::atomic::AtomicU8::new(0);
    candle_core::utils::barrier_pool().execute_chunked(bytes.len() / CHUNK, |range| {
        let mut lanes = [0u8; 64];
        for chunk in range {
            for line in bytes[chunk * CHUNK..(chunk + 1) * CHUNK].chunks_exact(64) {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: prefetches never fault, whatever the address.
                unsafe {
                    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
                    _mm_prefetch::<_MM_HINT_T0>(line.as_ptr().wrapping_add(PREFETCH).cast());
                }
                for (lane, byte) in lanes.iter_mut().zip(line) {
                    *lane ^= byte;
                }
            }
        }
        total.fetch_xor(lanes.iter().fold(0, |a, b| a ^ b), std::sync::atomic::Ordering::Relaxed);
    });
    total.into_inner()
}

/// The matrices rearranged by [`gemv::pack`], where their type has such a layout.
fn packed(weights: &[QTensor]) -> Vec<gemv::Packed> {
    weights.iter().filter_map(|w| gemv::pack(w).expect("pack")).collect()
}

/// The operands to measure: the GGUF layout and the packed one, where this CPU's kernels take them
/// with `x` (on AVX2 alone, only packed Q4_K).
fn layouts<'a>(
    weights: &'a [QTensor],
    packed: &'a [gemv::Packed],
    x: &Tensor,
) -> Vec<(&'static str, Vec<gemv::Weight<'a>>)> {
    let mut layouts = vec![("", weights.iter().map(gemv::Weight::Quantized).collect())];
    if !packed.is_empty() {
        layouts.push(("packed ", packed.iter().map(gemv::Weight::Packed).collect()));
    }
    layouts.retain(|(_, operands): &(_, Vec<gemv::Weight<'_>>)| gemv::applies(operands[0], x));
    layouts
}

fn products(c: &mut Criterion) {
    let mut group = c.benchmark_group("gemv");
    group.sample_size(10);
    for (dtype, rows, cols) in [
        (GgmlDType::Q4K, 8960, 1536),
        (GgmlDType::Q6K, 1536, 8960),
        (GgmlDType::Q8_0, 4864, 896),
        (GgmlDType::Q5_0, 4864, 896),
    ] {
        let weights = copies(dtype, rows, cols);
        let bytes: usize = weights.iter().map(QTensor::storage_size_in_bytes).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        let packed = packed(&weights);
        for batch in [1, gemv::MAX_BATCH] {
            let x = Tensor::randn(0f32, 1.0, (batch, cols), &Device::Cpu).expect("activation");
            for (layout, operands) in layouts(&weights, &packed, &x) {
                let id = BenchmarkId::new(format!("{dtype:?}"), format!("{layout}{batch}x{cols}"));
                group.bench_with_input(id, &x, |b, x| {
                    b.iter(|| operands.iter().map(|w| gemv::gemv(&[*w], x).expect("gemv")).collect::<Vec<_>>())
                });
            }
        }
        let raw: Vec<Vec<u8>> = weights.iter().map(|w| w.data().expect("bytes").into_owned()).collect();
        group.bench_function(BenchmarkId::new(format!("{dtype:?}"), "read"), |b| {
            b.iter(|| raw.iter().map(|r| read_all(black_box(r))).fold(0, |a, v| a ^ v))
        });
    }
    group.finish();
}

/// The same products from the second-level cache (one matrix of each type, as wide as the rows
/// of the model that uses the type, used again and again): the rate of the kernels' arithmetic,
/// which bounds decoding where memory is faster than on this machine.
fn products_from_cache(c: &mut Criterion) {
    let mut group = c.benchmark_group("gemv_from_cache");
    for (dtype, rows, cols) in [
        (GgmlDType::Q4K, 1024, 1536),
        (GgmlDType::Q6K, 768, 1536),
        (GgmlDType::Q8_0, 896, 896),
        (GgmlDType::Q5_0, 896, 896),
    ] {
        let w = Tensor::randn(0f32, 1.0, (rows, cols), &Device::Cpu).expect("random weights");
        let q = [QTensor::quantize(&w, dtype).expect("quantize")];
        group.throughput(Throughput::Bytes(q[0].storage_size_in_bytes() as u64));
        let x = Tensor::randn(0f32, 1.0, (1, cols), &Device::Cpu).expect("activation");
        let packed = packed(&q);
        for (layout, operands) in layouts(&q, &packed, &x) {
            group.bench_with_input(BenchmarkId::new(format!("{dtype:?}"), format!("{layout}1x{cols}")), &x, |b, x| {
                b.iter(|| gemv::gemv(&operands, x).expect("gemv"))
            });
        }
    }
    group.finish();
}

/// Batches of rows through the 1.5B model's gate (Q4_K) and down (Q6_K) projections: candle's
/// repacked tiles (its `QMatMul`) beside ours, which replace them in the model where they apply
/// (rows per second). Eight rows are a decoding pass of a draft's clause answers, 64 a prompt chunk.
fn prompt_chunks(c: &mut Criterion) {
    let mut group = c.benchmark_group("prompt_chunk");
    group.sample_size(10);
    for (dtype, rows, cols) in [(GgmlDType::Q4K, 8960, 1536), (GgmlDType::Q6K, 1536, 8960)] {
        let w = Tensor::randn(0f32, 1.0, (rows, cols), &Device::Cpu).expect("random weights");
        let q = std::sync::Arc::new(QTensor::quantize(&w, dtype).expect("quantize"));
        let matmul = QMatMul::from_arc(q.clone()).expect("matmul");
        let packed = gemv::pack(&q).expect("pack");
        let ours = packed.as_ref().map_or(gemv::Weight::Quantized(&q), gemv::Weight::Packed);
        for chunk in [gemv::MAX_BATCH, 64] {
            let x = Tensor::randn(0f32, 1.0, (1, chunk, cols), &Device::Cpu).expect("activation");
            group.throughput(Throughput::Elements(chunk as u64));
            group.bench_function(format!("{dtype:?}/candle/{chunk}"), |b| {
                b.iter(|| matmul.forward(&x).expect("matmul"))
            });
            if gemv::applies(ours, &x) {
                group.bench_function(format!("{dtype:?}/ours/{chunk}"), |b| {
                    b.iter(|| gemv::gemv(&[ours], &x).expect("gemv"))
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, products, products_from_cache, prompt_chunks);
criterion_main!(benches);
