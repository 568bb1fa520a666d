//! Attention of the few query rows of a decoding step against the KV cache, on the CPU.
//!
//! Through candle, a decoding step's attention is two f32 matmuls whose key operand is a
//! transposed view of the cache: the gemm packs (copies) every cached key and value for every
//! layer and token, on one thread, while the other threads wait. At a draft's context of 700–900
//! positions that was a sixth of the decoding time. Here the query heads that share a KV head
//! read the cache buffers in place, each cached key and value once for all of them, the KV heads
//! (and, where the threads need more units, shares of their query heads) are split over candle's
//! thread pool, and the causal and sliding-window masks are bounds of the key range instead of an
//! added tensor. On AVX-512 CPUs the dot products, the softmax's `exp` and the weighted sums of
//! values are written out in vector instructions ([`HeadMath`]).
//! Prompt chunks (more rows than [`crate::gemv::MAX_BATCH`]) keep candle's matmuls, where the
//! gemm's packing pays off.

use candle_core::{DType, Result, Storage, Tensor};

use crate::SharedMut;
use crate::gemv::MAX_BATCH;

/// True when [`attend`] takes queries `q` (1, heads, seq, head_dim) and a cache buffer like `k`.
pub fn applies(q: &Tensor, k: &Tensor) -> bool {
    q.device().is_cpu()
        && q.dtype() == DType::F32
        && k.dtype() == DType::F32
        && q.is_contiguous()
        && k.is_contiguous()
        && q.dims().len() == 4
        && (1..=MAX_BATCH).contains(&q.dims()[2])
}

/// Which cached positions the queries see.
#[derive(Debug, Clone, Copy)]
pub struct Span {
    /// Position of the first query row; row `i` sees keys up to `first + i`.
    pub first: usize,
    /// Sliding window: a query at position `p` sees only keys after `p - window`.
    pub window: Option<usize>,
}

impl Span {
    fn keys(self, row: usize) -> std::ops::Range<usize> {
        let query = self.first + row;
        let from = self.window.map_or(0, |w| (query + 1).saturating_sub(w));
        from..query + 1
    }
}

/// `softmax(q kᵀ / √d) v` per head, grouped-query style (query head `h` reads KV head
/// `h / (heads / kv_heads)`). `k_buf` and `v_buf` are cache buffers (1, kv_heads, capacity,
/// head_dim) of which the first `span.first + seq` positions are filled. Returns (1, seq,
/// heads · head_dim), the layout the output projection takes.
pub fn attend(q: &Tensor, k_buf: &Tensor, v_buf: &Tensor, span: Span) -> Result<Tensor> {
    let (_, heads, seq, dim) = q.dims4()?;
    let (_, kv_heads, capacity, kv_dim) = k_buf.dims4()?;
    if kv_dim != dim || v_buf.dims() != k_buf.dims() || kv_heads == 0 || heads % kv_heads != 0 {
        candle_core::bail!("attend: queries {:?} do not fit a cache of {:?}", q.dims(), k_buf.dims());
    }
    if ![q, k_buf, v_buf].iter().all(|t| t.is_contiguous()) {
        candle_core::bail!("attend reads queries and cache buffers as contiguous memory");
    }
    if span.first + seq > capacity {
        candle_core::bail!("attend: {} positions in a cache of {capacity}", span.first + seq);
    }
    let group = heads / kv_heads;
    let scale = 1.0 / (dim as f32).sqrt();
    // Units of (KV head, query row, share of the group's query heads): the heads of one share
    // read each cached key and value once between them, and the group is split only as far as
    // the threads need units to share.
    let threads = crate::pool_threads();
    let shares = (2 * threads).div_ceil(kv_heads * seq).clamp(1, group);
    let per_share = group.div_ceil(shares);
    let mut out = vec![0f32; seq * heads * dim];
    {
        let (q_store, q_layout) = q.storage_and_layout();
        let (k_store, k_layout) = k_buf.storage_and_layout();
        let (v_store, v_layout) = v_buf.storage_and_layout();
        let (Storage::Cpu(qs), Storage::Cpu(ks), Storage::Cpu(vs)) = (&*q_store, &*k_store, &*v_store) else {
            candle_core::bail!("attend runs on the CPU");
        };
        let q_all = &qs.as_slice::<f32>()?[q_layout.start_offset()..];
        let k_all = &ks.as_slice::<f32>()?[k_layout.start_offset()..];
        let v_all = &vs.as_slice::<f32>()?[v_layout.start_offset()..];
        let out_ptr = SharedMut(out.as_mut_ptr());
        let vectors = Vectors::for_width(dim);
        candle_core::utils::barrier_pool().execute_chunked(kv_heads * seq * shares, |range| {
            let mut scores = Vec::new();
            for unit in range {
                let (kv_head, row, share) = (unit / (seq * shares), unit / shares % seq, unit % shares);
                let first_head = kv_head * group + share * per_share;
                let heads_here = first_head..(first_head + per_share).min((kv_head + 1) * group);
                if heads_here.is_empty() {
                    continue;
                }
                let keys = span.keys(row);
                let cached = (kv_head * capacity + keys.start) * dim..(kv_head * capacity + keys.end) * dim;
                // SAFETY: each unit alone writes the `dim` values of its heads in its row of
                // `out`, which are contiguous and outlive the parallel region.
                let out = unsafe {
                    std::slice::from_raw_parts_mut(
                        out_ptr.get().add((row * heads + first_head) * dim),
                        heads_here.len() * dim,
                    )
                };
                let unit = Unit {
                    queries: &q_all[..heads * seq * dim],
                    heads: heads_here,
                    row,
                    seq,
                    keys: &k_all[cached.clone()],
                    values: &v_all[cached],
                    scale,
                    out,
                };
                vectors.run(unit, &mut scores);
            }
        });
    }
    Tensor::from_vec(out, (1, seq, heads * dim), q.device())
}

/// One unit of work: the query heads `heads` of one row against the keys and values they see
/// (one KV head's, in order), writing the heads' outputs (`heads.len() * dim` values).
struct Unit<'a> {
    /// All query rows (heads, seq, dim).
    queries: &'a [f32],
    heads: std::ops::Range<usize>,
    row: usize,
    seq: usize,
    keys: &'a [f32],
    values: &'a [f32],
    scale: f32,
    out: &'a mut [f32],
}

impl Unit<'_> {
    /// Scores of every head against every key, softmax per head, then the weighted values; each
    /// cached key and value is read once for all the unit's heads. `scores` is scratch space.
    ///
    /// # Safety
    /// The CPU must have what `M` needs.
    #[inline(always)]
    unsafe fn run<M: HeadMath>(self, scores: &mut Vec<f32>) {
        let dim = self.out.len() / self.heads.len().max(1);
        let n_keys = self.keys.len() / dim.max(1);
        scores.clear();
        scores.resize(self.heads.len() * n_keys, 0.0);
        // Blocks of keys that stay in the first-level cache while every head meets them.
        for (block, keys) in self.keys.chunks(KEYS_PER_BLOCK * dim).enumerate() {
            for (i, h) in self.heads.clone().enumerate() {
                let query = &self.queries[(h * self.seq + self.row) * dim..][..dim];
                let first = i * n_keys + block * KEYS_PER_BLOCK;
                // SAFETY: the caller guarantees what `M` needs.
                unsafe { M::scores(query, keys, self.scale, &mut scores[first..first + keys.len() / dim]) };
            }
        }
        for head_scores in scores.chunks_exact_mut(n_keys) {
            // SAFETY: as above.
            unsafe { M::softmax(head_scores) };
        }
        for (head_scores, head_out) in scores.chunks_exact(n_keys).zip(self.out.chunks_exact_mut(dim)) {
            // SAFETY: as above.
            unsafe { M::weighted_sum(head_scores, self.values, head_out) };
        }
    }
}

/// Keys per block of [`Unit::run`]'s scores (16 KiB at 128 values).
const KEYS_PER_BLOCK: usize = 32;

/// The vector operations of attention, over one head.
///
/// # Safety
/// Implementations may need CPU features ([`Avx512`]: AVX-512F and widths of whole vectors);
/// callers make sure of them.
trait HeadMath {
    /// `out[j] = scale · query · keys[j]`, the keys being rows of the query's length.
    ///
    /// # Safety
    /// The CPU must have what the implementation needs, and the query's length be a width it
    /// takes; `keys` holds at least `out.len()` rows.
    unsafe fn scores(query: &[f32], keys: &[f32], scale: f32, out: &mut [f32]);
    /// `values[j] = exp(values[j] - max) / Σ exp(values[i] - max)`
    ///
    /// # Safety
    /// The CPU must have what the implementation needs.
    unsafe fn softmax(values: &mut [f32]);
    /// `out = Σ_j weights[j] · values[j]`, the values being rows of `out.len()`.
    ///
    /// # Safety
    /// The CPU must have what the implementation needs.
    unsafe fn weighted_sum(weights: &[f32], values: &[f32], out: &mut [f32]);
}

/// Which [`HeadMath`] runs the units: the compiler's vectorisation of the plain loops left the
/// per-key dot products at two lanes and `exp` scalar, so on AVX-512 CPUs they are written out
/// (attention at 900 positions 145 → 78 µs per layer of the 1.5B model, `benches/attention.rs`).
#[derive(Clone, Copy)]
enum Vectors {
    Portable,
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Vectors {
    fn for_width(dim: usize) -> Vectors {
        #[cfg(target_arch = "x86_64")]
        if dim.is_multiple_of(16) && is_x86_feature_detected!("avx512f") {
            return Vectors::Avx512;
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = dim;
        Vectors::Portable
    }

    fn run(self, unit: Unit<'_>, scores: &mut Vec<f32>) {
        match self {
            // SAFETY: the portable loops need nothing of the CPU.
            Vectors::Portable => unsafe { unit.run::<Portable>(scores) },
            // SAFETY: chosen by `for_width` only where the CPU has AVX-512F and the width is whole
            // vectors.
            #[cfg(target_arch = "x86_64")]
            Vectors::Avx512 => unsafe { run_avx512(unit, scores) },
        }
    }
}

/// The unit compiled with AVX-512 enabled, so that [`Avx512`]'s intrinsics inline.
///
/// # Safety
/// The CPU must have AVX-512F and the unit's head width be a multiple of 16.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn run_avx512(unit: Unit<'_>, scores: &mut Vec<f32>) {
    // SAFETY: the caller guarantees AVX-512F and whole vectors.
    unsafe { unit.run::<Avx512>(scores) }
}

struct Portable;

impl HeadMath for Portable {
    unsafe fn scores(query: &[f32], keys: &[f32], scale: f32, out: &mut [f32]) {
        for (score, key) in out.iter_mut().zip(keys.chunks_exact(query.len())) {
            *score = scale * dot(query, key);
        }
    }

    unsafe fn softmax(values: &mut [f32]) {
        let max = values.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut sum = 0.0;
        for v in values.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        for v in values.iter_mut() {
            *v /= sum;
        }
    }

    unsafe fn weighted_sum(weights: &[f32], values: &[f32], out: &mut [f32]) {
        out.fill(0.0);
        for (w, row) in weights.iter().zip(values.chunks_exact(out.len())) {
            for (t, v) in out.iter_mut().zip(row) {
                *t += w * v;
            }
        }
    }
}

/// Needs AVX-512F and widths that are whole 16-lane vectors (checked by [`Vectors::for_width`]).
#[cfg(target_arch = "x86_64")]
struct Avx512;

#[cfg(target_arch = "x86_64")]
impl HeadMath for Avx512 {
    #[inline(always)]
    unsafe fn scores(query: &[f32], keys: &[f32], scale: f32, out: &mut [f32]) {
        use std::arch::x86_64::*;
        let dim = query.len();
        debug_assert!(dim.is_multiple_of(16) && keys.len() >= out.len() * dim);
        let mut keys = keys.chunks_exact(dim);
        // SAFETY: the caller guarantees AVX-512F; the query and every key hold `dim` values, a
        // multiple of 16.
        unsafe {
            let dot = |key: &[f32]| {
                let mut acc = _mm512_setzero_ps();
                for c in (0..dim).step_by(16) {
                    acc = _mm512_fmadd_ps(
                        _mm512_loadu_ps(query.as_ptr().add(c)),
                        _mm512_loadu_ps(key.as_ptr().add(c)),
                        acc,
                    );
                }
                acc
            };
            // Four keys at a time: four independent chains, and one combined horizontal sum.
            for scores in out.chunks_mut(4) {
                let mut acc = [_mm512_setzero_ps(); 4];
                for (acc, key) in acc.iter_mut().zip(keys.by_ref().take(scores.len())) {
                    *acc = dot(key);
                }
                let mut sums = [0f32; 4];
                _mm_storeu_ps(sums.as_mut_ptr(), _mm_mul_ps(sum_each(acc), _mm_set1_ps(scale)));
                scores.copy_from_slice(&sums[..scores.len()]);
            }
        }
    }

    /// With a vectorised `exp` ([`crate::exp`]; libm's scalar one was a third of the attention
    /// at a draft's context).
    #[inline(always)]
    unsafe fn softmax(values: &mut [f32]) {
        use std::arch::x86_64::*;
        // SAFETY: the caller guarantees AVX-512F; the masked loads and stores touch only the
        // lanes within `values`.
        unsafe {
            let len = values.len();
            let lanes = |at: usize| crate::lanes_within(len, at);
            let mut max = _mm512_set1_ps(f32::NEG_INFINITY);
            for at in (0..values.len()).step_by(16) {
                max =
                    _mm512_mask_max_ps(max, lanes(at), max, _mm512_maskz_loadu_ps(lanes(at), values.as_ptr().add(at)));
            }
            let max = _mm512_set1_ps(_mm512_reduce_max_ps(max));
            let mut sum = _mm512_setzero_ps();
            for at in (0..values.len()).step_by(16) {
                let x = _mm512_sub_ps(_mm512_maskz_loadu_ps(lanes(at), values.as_ptr().add(at)), max);
                let e = _mm512_maskz_mov_ps(lanes(at), crate::exp::exp(x));
                sum = _mm512_add_ps(sum, e);
                _mm512_mask_storeu_ps(values.as_mut_ptr().add(at), lanes(at), e);
            }
            let inverse = _mm512_set1_ps(1.0 / _mm512_reduce_add_ps(sum));
            for at in (0..values.len()).step_by(16) {
                let v = _mm512_maskz_loadu_ps(lanes(at), values.as_ptr().add(at));
                _mm512_mask_storeu_ps(values.as_mut_ptr().add(at), lanes(at), _mm512_mul_ps(v, inverse));
            }
        }
    }

    #[inline(always)]
    unsafe fn weighted_sum(weights: &[f32], values: &[f32], out: &mut [f32]) {
        // SAFETY: the caller guarantees AVX-512F; the portable loops need nothing.
        unsafe {
            match out.len() / 16 {
                4 => weighted_sum_in_registers::<4>(weights, values, out),
                8 => weighted_sum_in_registers::<8>(weights, values, out),
                16 => weighted_sum_in_registers::<16>(weights, values, out),
                _ => Portable::weighted_sum(weights, values, out),
            }
        }
    }
}

/// The sums of four vectors' lanes, as one vector: pairs of vectors are interleaved and added
/// until each 128-bit lane holds a partial sum of each, then the four lanes are added.
///
/// # Safety
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn sum_each([a, b, c, d]: [std::arch::x86_64::__m512; 4]) -> std::arch::x86_64::__m128 {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees AVX-512F.
    unsafe {
        let ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
        let cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
        let abcd = _mm512_add_ps(_mm512_shuffle_ps::<0x44>(ab, cd), _mm512_shuffle_ps::<0xEE>(ab, cd));
        let halves = _mm256_add_ps(
            _mm512_castps512_ps256(abcd),
            _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(abcd))),
        );
        _mm_add_ps(_mm256_castps256_ps128(halves), _mm256_extractf128_ps::<1>(halves))
    }
}

/// [`HeadMath::weighted_sum`] for rows of `16 * VECTORS` values with the output held in registers
/// across all rows (adding into memory row by row waited on its own stores).
///
/// # Safety
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn weighted_sum_in_registers<const VECTORS: usize>(weights: &[f32], values: &[f32], out: &mut [f32]) {
    use std::arch::x86_64::*;
    let out = &mut out[..16 * VECTORS];
    // SAFETY: the caller guarantees AVX-512F; each row and `out` hold `16 * VECTORS` values.
    unsafe {
        let mut acc = [_mm512_setzero_ps(); VECTORS];
        for (&w, row) in weights.iter().zip(values.chunks_exact(16 * VECTORS)) {
            let w = _mm512_set1_ps(w);
            for (c, acc) in acc.iter_mut().enumerate() {
                *acc = _mm512_fmadd_ps(w, _mm512_loadu_ps(row.as_ptr().add(16 * c)), *acc);
            }
        }
        for (c, acc) in acc.iter().enumerate() {
            _mm512_storeu_ps(out.as_mut_ptr().add(16 * c), *acc);
        }
    }
}

/// A dot product in 16 independent lanes summed pairwise, so that the compiler may vectorise it.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 16];
    let (a16, a_rest) = a.split_at(a.len() - a.len() % 16);
    let (b16, b_rest) = b.split_at(a16.len());
    for (x, y) in a16.chunks_exact(16).zip(b16.chunks_exact(16)) {
        for i in 0..16 {
            lanes[i] += x[i] * y[i];
        }
    }
    let l8: [f32; 8] = std::array::from_fn(|i| lanes[i] + lanes[i + 8]);
    let l4: [f32; 4] = std::array::from_fn(|i| l8[i] + l8[i + 4]);
    (l4[0] + l4[2]) + (l4[1] + l4[3]) + a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum::<f32>()
}

#[cfg(test)]
mod tests {
    use candle_core::{Device, Tensor};

    use super::*;

    /// The plain formula with candle ops and an explicit mask.
    fn reference(q: &Tensor, k: &Tensor, v: &Tensor, span: Span) -> Tensor {
        let (_, heads, seq, dim) = q.dims4().unwrap();
        let kv_heads = k.dim(1).unwrap();
        let total = span.first + seq;
        let (k, v) = (k.narrow(2, 0, total).unwrap(), v.narrow(2, 0, total).unwrap());
        let group = heads / kv_heads;
        let expand = |t: &Tensor| {
            let parts: Vec<Tensor> = (0..heads).map(|h| t.narrow(1, h / group, 1).unwrap()).collect();
            Tensor::cat(&parts, 1).unwrap()
        };
        let (k, v) = (expand(&k), expand(&v));
        let scores = (q.matmul(&k.t().unwrap()).unwrap() / (dim as f64).sqrt()).unwrap();
        let mask: Vec<f32> = (0..seq)
            .flat_map(|i| (0..total).map(move |j| if span.keys(i).contains(&j) { 0.0 } else { f32::NEG_INFINITY }))
            .collect();
        let mask = Tensor::from_vec(mask, (seq, total), &Device::Cpu).unwrap();
        let weights = candle_nn::ops::softmax_last_dim(&scores.broadcast_add(&mask).unwrap()).unwrap();
        let out = weights.matmul(&v.contiguous().unwrap()).unwrap();
        out.transpose(1, 2).unwrap().reshape((1, seq, heads * dim)).unwrap()
    }

    #[test]
    fn equals_masked_softmax_attention_for_each_query_row() {
        // Width 40 runs the portable loops, multiples of 16 the AVX-512 ones where the CPU has them:
        // 64 and 128 keep the weighted sums in registers, 48 adds them in memory.
        for (heads, kv_heads, dim) in [(6, 2, 40), (12, 2, 64), (4, 4, 128), (6, 3, 48)] {
            check_against_reference(heads, kv_heads, dim);
        }
    }

    fn check_against_reference(heads: usize, kv_heads: usize, dim: usize) {
        let capacity = 64;
        let k = Tensor::randn(0f32, 1.0, (1, kv_heads, capacity, dim), &Device::Cpu).unwrap();
        let v = Tensor::randn(0f32, 1.0, (1, kv_heads, capacity, dim), &Device::Cpu).unwrap();
        for (seq, span) in [
            (1, Span { first: 0, window: None }),
            (1, Span { first: 30, window: None }),
            (5, Span { first: 17, window: None }),
            (MAX_BATCH, Span { first: 40, window: Some(9) }),
            (3, Span { first: 2, window: Some(4) }),
        ] {
            let q = Tensor::randn(0f32, 1.0, (1, heads, seq, dim), &Device::Cpu).unwrap();
            let ours: Vec<f32> = attend(&q, &k, &v, span).unwrap().flatten_all().unwrap().to_vec1().unwrap();
            let expected: Vec<f32> = reference(&q, &k, &v, span).flatten_all().unwrap().to_vec1().unwrap();
            let worst = ours.iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
            assert!(
                worst < 1e-5,
                "{heads} heads on {kv_heads} of width {dim}, seq {seq}, {span:?}: max difference {worst}"
            );
        }
    }

    #[test]
    fn refuses_queries_beyond_the_cache_and_long_chunks() {
        let k = Tensor::zeros((1, 2, 8, 16), DType::F32, &Device::Cpu).unwrap();
        let q = Tensor::zeros((1, 4, 2, 16), DType::F32, &Device::Cpu).unwrap();
        assert!(attend(&q, &k, &k, Span { first: 7, window: None }).is_err());
        assert!(attend(&q.transpose(1, 2).unwrap(), &k, &k, Span { first: 0, window: None }).is_err());
        let long = Tensor::zeros((1, 4, MAX_BATCH + 1, 16), DType::F32, &Device::Cpu).unwrap();
        assert!(!applies(&long, &k) && applies(&q, &k));
    }
}
