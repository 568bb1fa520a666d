//! Products of Q4_K and Q6_K weights with the few activation rows of a decoding step, on AVX-512.
//!
//! Decoding streams every weight once per token, so its speed is the rate at which the weights
//! can be read and multiplied. candle repacks Q4_K into tiles whose scales take f32 per row and
//! sub-block (6 instead of 4.5 bits per weight, a third more memory traffic); its kernel for them
//! reached ~12 GB/s on this machine and its plain Q6_K kernel (256-bit) ~30–40 GB/s. These kernels
//! read the GGUF blocks as they are: the activation is quantized once per product, in the order
//! of the blocks' bit planes, so each 64-byte load of weights meets one load of activations, and
//! the sub-block scales are applied with `vpdpwssd` without leaving the integer pipeline.
//! Each block is unpacked once for all rows of the step. Prompt chunks (more rows than
//! [`MAX_BATCH`]) stay with candle's tiled kernels.

use std::borrow::Cow;

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Result, Tensor};

const QK_K: usize = 256;
/// Rows per unit of work handed to a thread.
const ROWS_PER_UNIT: usize = 16;

/// The block types these kernels read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `d`, `dmin` (f16), 12 bytes of 6-bit scales and minimums, 128 bytes of nibbles.
    Q4K,
    /// 128 bytes of low nibbles, 64 of high bit pairs, 16 signed scales, `d` (f16).
    Q6K,
}

impl Kind {
    const ALL: [Kind; 2] = [Kind::Q4K, Kind::Q6K];

    fn of(dtype: GgmlDType) -> Option<Kind> {
        match dtype {
            GgmlDType::Q4K => Some(Kind::Q4K),
            GgmlDType::Q6K => Some(Kind::Q6K),
            _ => None,
        }
    }

    fn block_bytes(self) -> usize {
        match self {
            Kind::Q4K => 144,
            Kind::Q6K => 210,
        }
    }

    /// The order of a block's 32-value sub-blocks in the quantized activation: a Q4_K 64-byte
    /// load holds sub-blocks (4p, 4p + 2) in its low and (4p + 1, 4p + 3) in its high nibbles,
    /// a Q6_K one holds them in order.
    fn sub_order(self) -> [usize; 8] {
        match self {
            Kind::Q4K => [0, 2, 1, 3, 4, 6, 5, 7],
            Kind::Q6K => [0, 1, 2, 3, 4, 5, 6, 7],
        }
    }
}

/// True when this CPU runs the kernels (checked once).
fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        static AVAILABLE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
        *AVAILABLE.get_or_init(|| {
            is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512bw")
                && is_x86_feature_detected!("avx512vnni")
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// Most activation rows one product takes: a decoding step (the chosen token, the tokens a grammar
/// forces and the guessed ones). Each block of weights is unpacked once for all rows, so a step of
/// a few tokens costs little more than one; longer runs (prompt chunks) go to candle's tiles.
pub const MAX_BATCH: usize = 8;

/// True when `weight` can go through [`gemv`] with the input `x` (up to [`MAX_BATCH`] rows, CPU).
pub fn applies(weight: &QTensor, x: &Tensor) -> bool {
    available()
        && Kind::of(weight.dtype()).is_some()
        && weight.device().is_cpu()
        && x.device().is_cpu()
        && x.dtype() == candle_core::DType::F32
        && weight.shape().dims2().is_ok_and(|(_, k)| {
            k.is_multiple_of(QK_K) && x.dims().last() == Some(&k) && (1..=MAX_BATCH).contains(&(x.elem_count() / k))
        })
}

/// One activation row in 8 bits, block by block, its sub-blocks in the order of one block type.
struct QuantizedRow {
    qs: Vec<i8>,
    /// Per block, the scale of `qs`.
    d: Vec<f32>,
    /// Per block, the sums of the 16 sub-blocks of 16 values (they meet Q6_K's offset of 32).
    sums16: Vec<i16>,
    /// Per block, the sums of the 8 sub-blocks of 32 values (they meet Q4_K's minimums).
    sums32: Vec<i16>,
}

fn quantize_row(x: &[f32], kind: Kind) -> QuantizedRow {
    let blocks = x.len() / QK_K;
    let mut row = QuantizedRow {
        qs: vec![0; x.len()],
        d: vec![0.0; blocks],
        sums16: vec![0; blocks * 16],
        sums32: vec![0; blocks * 8],
    };
    // Written as plain slice loops with ties-to-even rounding, so that they compile to vector
    // instructions: this runs on one thread before each parallel product.
    for (b, values) in x.chunks_exact(QK_K).enumerate() {
        let mut lanes = [0f32; 16];
        for chunk in values.chunks_exact(16) {
            for (m, v) in lanes.iter_mut().zip(chunk) {
                *m = m.max(v.abs());
            }
        }
        let amax = lanes.iter().fold(0f32, |m, v| m.max(*v));
        let inverse = if amax > 0.0 { 127.0 / amax } else { 0.0 };
        row.d[b] = amax / 127.0;
        for (slot, &sub) in kind.sub_order().iter().enumerate() {
            let qs = &mut row.qs[b * QK_K + slot * 32..][..32];
            for (q, v) in qs.iter_mut().zip(&values[sub * 32..][..32]) {
                *q = (v * inverse).round_ties_even().clamp(-127.0, 127.0) as i8;
            }
            let [low, high] = [&qs[..16], &qs[16..]].map(|half| half.iter().map(|&q| i16::from(q)).sum::<i16>());
            row.sums16[b * 16 + sub * 2] = low;
            row.sums16[b * 16 + sub * 2 + 1] = high;
            row.sums32[b * 8 + sub] = low + high;
        }
    }
    row
}

/// `x Wᵀ` for several matrices of the same input width (a fused q/k/v or gate/up), in one
/// parallel region on candle's thread pool. Callers check [`applies`] for each weight first.
pub fn gemv(weights: &[&QTensor], x: &Tensor) -> Result<Vec<Tensor>> {
    let x_values = x.flatten_all()?.to_vec1::<f32>()?;
    let k = x.dims().last().copied().unwrap_or(0);
    let batch = x_values.len().checked_div(k).unwrap_or(0);
    if !(1..=MAX_BATCH).contains(&batch) {
        candle_core::bail!("gemv: {batch} rows of {k} values; it takes 1 to {MAX_BATCH} rows");
    }
    let mut parts = Vec::with_capacity(weights.len());
    for w in weights {
        let (n, wk) = w.shape().dims2()?;
        let Some(kind) = Kind::of(w.dtype()).filter(|_| wk == k && k.is_multiple_of(QK_K)) else {
            candle_core::bail!("gemv: a {:?} weight of shape {:?} does not fit an input of {k}", w.dtype(), w.shape());
        };
        parts.push(Part { kind, bytes: w.data()?, rows: n });
    }
    let rows = Kind::ALL.map(|kind| {
        let needed = parts.iter().any(|p| p.kind == kind);
        if needed { x_values.chunks_exact(k).map(|x| quantize_row(x, kind)).collect() } else { Vec::new() }
    });
    let mut outputs: Vec<Vec<f32>> = parts.iter().map(|p| vec![0f32; batch * p.rows]).collect();
    compute(&parts, k, &rows, &mut outputs);
    let mut out_dims = x.dims().to_vec();
    outputs
        .into_iter()
        .zip(&parts)
        .map(|(values, part)| {
            if let Some(last) = out_dims.last_mut() {
                *last = part.rows;
            }
            Tensor::from_vec(values, out_dims.as_slice(), x.device())
        })
        .collect()
}

struct Part<'a> {
    kind: Kind,
    bytes: Cow<'a, [u8]>,
    rows: usize,
}

fn compute(parts: &[Part<'_>], k: usize, rows: &[Vec<QuantizedRow>; 2], outputs: &mut [Vec<f32>]) {
    let blocks = k / QK_K;
    // (first unit, part, output) per matrix; outputs are written through raw pointers because
    // the units of one matrix write disjoint row ranges from several threads.
    let mut starts = Vec::with_capacity(parts.len());
    let mut units = 0;
    for (part, out) in parts.iter().zip(outputs.iter_mut()) {
        starts.push((units, part, out.as_mut_ptr() as usize));
        units += part.rows.div_ceil(ROWS_PER_UNIT);
    }
    candle_core::utils::barrier_pool().execute_chunked(units, |range| {
        let mut values = [0f32; MAX_BATCH];
        for unit in range {
            let Some(&(first, part, out)) = starts.iter().rev().find(|(first, ..)| unit >= *first) else {
                continue;
            };
            let inputs = &rows[Kind::ALL.iter().position(|k| *k == part.kind).unwrap_or(0)];
            let values = &mut values[..inputs.len()];
            let row_bytes = blocks * part.kind.block_bytes();
            let r0 = (unit - first) * ROWS_PER_UNIT;
            for r in r0..(r0 + ROWS_PER_UNIT).min(part.rows) {
                let weights = &part.bytes[r * row_bytes..(r + 1) * row_bytes];
                // SAFETY: `available()` was checked by the caller (via `applies`), `weights` holds
                // whole blocks of this kind, and this unit alone writes column r of the output
                // (r < rows; the output holds one row of `rows` values per input row).
                unsafe {
                    dot(part.kind, weights, inputs, values);
                    for (i, v) in values.iter().enumerate() {
                        *(out as *mut f32).add(i * part.rows + r) = *v;
                    }
                }
            }
        }
    });
}

/// The dot products of one weight row with each input row, by block type and batch size (the
/// kernels keep one accumulator per input row in registers).
///
/// # Safety
/// The CPU must have the kernels' features ([`available`]).
unsafe fn dot(kind: Kind, weights: &[u8], inputs: &[QuantizedRow], out: &mut [f32]) {
    macro_rules! by_batch {
        ($($m:literal)*) => {
            match inputs.len() {
                $($m => {
                    let Ok(inputs) = <&[QuantizedRow; $m]>::try_from(inputs) else { return };
                    // SAFETY: the caller guarantees the CPU features.
                    let values = unsafe {
                        match kind {
                            Kind::Q4K => dot_q4k::<$m>(weights, inputs),
                            Kind::Q6K => dot_q6k::<$m>(weights, inputs),
                        }
                    };
                    out.copy_from_slice(&values);
                })*
                _ => unreachable!("gemv checks the batch size"),
            }
        };
    }
    by_batch!(1 2 3 4 5 6 7 8);
}

/// For each 16-bit lane of a 64-value register, the sub-block whose scale it takes:
/// `table[half][lane] = sub_of(half, lane / lanes_per_sub)`.
const fn lane_table(subs: [[usize; 4]; 4], lanes_per_sub: usize) -> [[i16; 32]; 4] {
    let mut table = [[0i16; 32]; 4];
    let mut half = 0;
    while half < 4 {
        let mut lane = 0;
        while lane < 32 {
            table[half][lane] = subs[half][lane / lanes_per_sub] as i16;
            lane += 1;
        }
        half += 1;
    }
    table
}

/// Q4_K: 32-value sub-blocks, two per register half (see [`Kind::sub_order`]).
static Q4K_LANES: [[i16; 32]; 4] = lane_table([[0, 2, 0, 0], [1, 3, 0, 0], [4, 6, 0, 0], [5, 7, 0, 0]], 16);
/// Q6_K: 16-value sub-blocks, four per register half, in order.
static Q6K_LANES: [[i16; 32]; 4] = lane_table([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10, 11], [12, 13, 14, 15]], 8);

/// The little-endian f16 at `at` in a block, as f32.
#[inline(always)]
fn f16_at(block: &[u8], at: usize) -> f32 {
    half::f16::from_bits(u16::from_le_bytes([block[at], block[at + 1]])).to_f32()
}

/// How far ahead of the block being multiplied the weights are requested. Rows are contiguous,
/// so this runs into the next row; without it the loads of each new block wait for memory
/// (the hardware prefetcher alone left the kernel at half the bandwidth).
const PREFETCH_BYTES: usize = 1536;

/// Asks for the cache lines `PREFETCH_BYTES` after `at` (three lines: a block spans up to 210 bytes
/// and the next call covers the rest). Prefetching past the end of the weights is harmless.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn prefetch_ahead(at: *const u8) {
    use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    let ahead = at.wrapping_add(PREFETCH_BYTES);
    // SAFETY: prefetches never fault, whatever the address.
    unsafe {
        _mm_prefetch::<_MM_HINT_T0>(ahead.cast());
        _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(64).cast());
        _mm_prefetch::<_MM_HINT_T0>(ahead.wrapping_add(128).cast());
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn dot_q4k<const M: usize>(weights: &[u8], rows: &[QuantizedRow; M]) -> [f32; M] {
    use std::arch::x86_64::*;
    const KMASK1: u32 = 0x3f3f3f3f;
    const KMASK2: u32 = 0x0f0f0f0f;
    const KMASK3: u32 = 0x03030303;
    unsafe {
        let lanes = Q4K_LANES.map(|t| _mm512_loadu_si512(t.as_ptr().cast()));
        let nibble = _mm512_set1_epi8(0x0F);
        let mut acc = [_mm512_setzero_ps(); M];
        let mut acc_min = [_mm_setzero_ps(); M];
        for (b, block) in weights.chunks_exact(Kind::Q4K.block_bytes()).enumerate() {
            let (d, dmin) = (f16_at(block, 0), f16_at(block, 2));
            let block = block.as_ptr();
            prefetch_ahead(block);
            // The 12 bytes of 6-bit scales and minimums, spread to 8 scale bytes then 8 minimum bytes.
            let packed = block.add(4).cast::<u32>();
            let (u0, u1, u2) = (
                std::ptr::read_unaligned(packed),
                std::ptr::read_unaligned(packed.add(1)),
                std::ptr::read_unaligned(packed.add(2)),
            );
            let mins_hi = ((u2 >> 4) & KMASK2) | (((u1 >> 6) & KMASK3) << 4);
            let mins_lo = u1 & KMASK1;
            let scales_hi = (u2 & KMASK2) | (((u0 >> 6) & KMASK3) << 4);
            let scales_lo = u0 & KMASK1;
            let words =
                _mm256_cvtepu8_epi16(_mm_set_epi32(mins_hi as i32, mins_lo as i32, scales_hi as i32, scales_lo as i32));
            let scales = _mm512_castsi256_si512(words);
            let mins = _mm256_extracti128_si256::<1>(words);
            // Nibbles and the scale of each 16-bit lane, for the four 64-value groups of the block.
            let mut quants = [_mm512_setzero_si512(); 4];
            let mut lane_scales = [_mm512_setzero_si512(); 4];
            for p in 0..2 {
                let w = _mm512_loadu_si512(block.add(16 + 64 * p).cast());
                quants[2 * p] = _mm512_and_si512(w, nibble);
                quants[2 * p + 1] = _mm512_and_si512(_mm512_srli_epi16::<4>(w), nibble);
                lane_scales[2 * p] = _mm512_permutexvar_epi16(lanes[2 * p], scales);
                lane_scales[2 * p + 1] = _mm512_permutexvar_epi16(lanes[2 * p + 1], scales);
            }
            for (i, row) in rows.iter().enumerate() {
                let ad = *row.d.get_unchecked(b);
                let sums = _mm_loadu_si128(row.sums32.as_ptr().add(b * 8).cast());
                acc_min[i] =
                    _mm_fmadd_ps(_mm_cvtepi32_ps(_mm_madd_epi16(mins, sums)), _mm_set1_ps(dmin * ad), acc_min[i]);
                let act = row.qs.as_ptr().add(b * QK_K);
                let mut sum = _mm512_setzero_si512();
                for g in 0..4 {
                    let a = _mm512_loadu_si512(act.add(64 * g).cast());
                    sum = _mm512_dpwssd_epi32(sum, _mm512_maddubs_epi16(quants[g], a), lane_scales[g]);
                }
                acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(d * ad), acc[i]);
            }
        }
        std::array::from_fn(|i| {
            let min_sum = _mm_hadd_ps(acc_min[i], acc_min[i]);
            _mm512_reduce_add_ps(acc[i]) - _mm_cvtss_f32(_mm_hadd_ps(min_sum, min_sum))
        })
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn dot_q6k<const M: usize>(weights: &[u8], rows: &[QuantizedRow; M]) -> [f32; M] {
    use std::arch::x86_64::*;
    unsafe {
        let lanes = Q6K_LANES.map(|t| _mm512_loadu_si512(t.as_ptr().cast()));
        let nibble = _mm512_set1_epi8(0x0F);
        let low_pair = _mm512_set1_epi8(0x03);
        let third_pair = _mm512_set1_epi8(0x30);
        let mut acc = [_mm512_setzero_ps(); M];
        let mut acc_offset = [_mm256_setzero_ps(); M];
        for (b, block) in weights.chunks_exact(Kind::Q6K.block_bytes()).enumerate() {
            let d = f16_at(block, 208);
            let block = block.as_ptr();
            prefetch_ahead(block);
            prefetch_ahead(block.add(192));
            let (ql, qh, sc) = (block, block.add(128), block.add(192));
            let scales16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(sc.cast()));
            let scales = _mm512_castsi256_si512(scales16);
            // 6-bit values and the scale of each 16-bit lane, for the four 64-value groups.
            let mut quants = [_mm512_setzero_si512(); 4];
            let mut lane_scales = [_mm512_setzero_si512(); 4];
            for n in 0..2 {
                let low = _mm512_loadu_si512(ql.add(64 * n).cast());
                // Bit pairs: bytes 0..32 hold values (0, 2, 4, 6) of the half's four 32-runs in
                // bits (0–1, 2–3, 4–5, 6–7); shifting a copy by 2 lines runs 1 and 3 up with 0 and 2.
                let high = _mm256_loadu_si256(qh.add(32 * n).cast());
                let high = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(high), _mm256_srli_epi16::<2>(high));
                quants[2 * n] = _mm512_or_si512(
                    _mm512_and_si512(low, nibble),
                    _mm512_slli_epi16::<4>(_mm512_and_si512(high, low_pair)),
                );
                quants[2 * n + 1] = _mm512_or_si512(
                    _mm512_and_si512(_mm512_srli_epi16::<4>(low), nibble),
                    _mm512_and_si512(high, third_pair),
                );
                lane_scales[2 * n] = _mm512_permutexvar_epi16(lanes[2 * n], scales);
                lane_scales[2 * n + 1] = _mm512_permutexvar_epi16(lanes[2 * n + 1], scales);
            }
            for (i, row) in rows.iter().enumerate() {
                let dd = d * *row.d.get_unchecked(b);
                // Values are stored plus 32: subtract 32 · scale · (sum of the activation) per sub-block.
                let sums = _mm256_loadu_si256(row.sums16.as_ptr().add(b * 16).cast());
                let offset = _mm256_madd_epi16(scales16, sums);
                acc_offset[i] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(offset), _mm256_set1_ps(32.0 * dd), acc_offset[i]);
                let act = row.qs.as_ptr().add(b * QK_K);
                let mut sum = _mm512_setzero_si512();
                for g in 0..4 {
                    let a = _mm512_loadu_si512(act.add(64 * g).cast());
                    sum = _mm512_dpwssd_epi32(sum, _mm512_maddubs_epi16(quants[g], a), lane_scales[g]);
                }
                acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(dd), acc[i]);
            }
        }
        std::array::from_fn(|i| {
            let offset = _mm_add_ps(_mm256_castps256_ps128(acc_offset[i]), _mm256_extractf128_ps::<1>(acc_offset[i]));
            let offset = _mm_hadd_ps(offset, offset);
            _mm512_reduce_add_ps(acc[i]) - _mm_cvtss_f32(_mm_hadd_ps(offset, offset))
        })
    }
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn dot_q4k<const M: usize>(_weights: &[u8], _rows: &[QuantizedRow; M]) -> [f32; M] {
    unreachable!("available() is false off x86_64")
}

#[cfg(not(target_arch = "x86_64"))]
unsafe fn dot_q6k<const M: usize>(_weights: &[u8], _rows: &[QuantizedRow; M]) -> [f32; M] {
    unreachable!("available() is false off x86_64")
}

#[cfg(test)]
mod tests {
    use candle_core::Device;

    use super::*;

    #[test]
    fn computes_the_exact_product_with_the_rounded_activation() {
        if !available() {
            eprintln!("skipped: this CPU lacks AVX-512 VNNI, and the kernels are never used on it");
            return;
        }
        for (dtype, n, k) in [
            (GgmlDType::Q4K, 48, 256),
            (GgmlDType::Q4K, 37, 1536),
            (GgmlDType::Q6K, 16, 2304),
            (GgmlDType::Q6K, 53, 512),
        ] {
            let w = Tensor::randn(0f32, 1.0, (n, k), &Device::Cpu).unwrap();
            let x = ((Tensor::randn(0f32, 1.0, (1, k), &Device::Cpu).unwrap() * 3.0).unwrap() + 0.5).unwrap();
            let q = QTensor::quantize(&w, dtype).unwrap();
            assert!(applies(&q, &x));
            let ours = gemv(&[&q], &x).unwrap().remove(0);
            assert_eq!(ours.dims(), &[1, n]);
            // The exact product of the quantized weights with the activation rounded as ours rounds
            // it (to the nearest of 127 steps of its block's largest magnitude): the kernels
            // compute that product in integers, so only float summation may differ.
            let xs: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
            let rounded: Vec<f32> = xs
                .chunks(QK_K)
                .flat_map(|b| {
                    let amax = b.iter().fold(0f32, |m, v| m.max(v.abs()));
                    b.iter().map(move |v| (v * (127.0 / amax)).round_ties_even() * (amax / 127.0))
                })
                .collect();
            let rounded = Tensor::from_vec(rounded, (1, k), &Device::Cpu).unwrap();
            let reference = rounded.matmul(&q.dequantize(&Device::Cpu).unwrap().t().unwrap()).unwrap();
            let ours: Vec<f32> = ours.flatten_all().unwrap().to_vec1().unwrap();
            let reference: Vec<f32> = reference.flatten_all().unwrap().to_vec1().unwrap();
            let scale = reference.iter().fold(1f32, |m, v| m.max(v.abs()));
            for (r, (a, b)) in ours.iter().zip(&reference).enumerate() {
                assert!((a - b).abs() <= 1e-4 * scale, "{dtype:?} {n}x{k} row {r}: {a} vs {b} (scale {scale})");
            }
        }
    }

    #[test]
    fn does_not_apply_to_long_batches_or_other_types() {
        let w = Tensor::randn(0f32, 1.0, (32, 256), &Device::Cpu).unwrap();
        let long = Tensor::zeros((1, MAX_BATCH + 1, 256), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(!applies(&QTensor::quantize(&w, GgmlDType::Q4K).unwrap(), &long));
        let one_row = Tensor::zeros((1, 256), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(!applies(&QTensor::quantize(&w, GgmlDType::Q8_0).unwrap(), &one_row));
    }

    #[test]
    fn a_fused_call_may_mix_block_types() {
        if !available() {
            eprintln!("skipped: this CPU lacks AVX-512 VNNI, and the kernels are never used on it");
            return;
        }
        let x = Tensor::randn(0f32, 1.0, (1, 512), &Device::Cpu).unwrap();
        let q4 =
            QTensor::quantize(&Tensor::randn(0f32, 1.0, (32, 512), &Device::Cpu).unwrap(), GgmlDType::Q4K).unwrap();
        let q6 =
            QTensor::quantize(&Tensor::randn(0f32, 1.0, (48, 512), &Device::Cpu).unwrap(), GgmlDType::Q6K).unwrap();
        let fused = gemv(&[&q4, &q6], &x).unwrap();
        let alone = [gemv(&[&q4], &x).unwrap().remove(0), gemv(&[&q6], &x).unwrap().remove(0)];
        for (f, a) in fused.iter().zip(&alone) {
            let f: Vec<f32> = f.flatten_all().unwrap().to_vec1().unwrap();
            assert_eq!(f, a.flatten_all().unwrap().to_vec1::<f32>().unwrap());
        }
    }

    #[test]
    fn each_row_of_a_batch_gets_what_it_would_get_alone() {
        if !available() {
            eprintln!("skipped: this CPU lacks AVX-512 VNNI, and the kernels are never used on it");
            return;
        }
        for dtype in [GgmlDType::Q4K, GgmlDType::Q6K] {
            let q = QTensor::quantize(&Tensor::randn(0f32, 1.0, (40, 768), &Device::Cpu).unwrap(), dtype).unwrap();
            for batch in [2, 5, MAX_BATCH] {
                let x = Tensor::randn(0f32, 1.0, (1, batch, 768), &Device::Cpu).unwrap();
                assert!(applies(&q, &x));
                let together = gemv(&[&q], &x).unwrap().remove(0);
                assert_eq!(together.dims(), &[1, batch, 40]);
                for i in 0..batch {
                    let alone = gemv(&[&q], &x.narrow(1, i, 1).unwrap()).unwrap().remove(0);
                    let row = together.narrow(1, i, 1).unwrap();
                    assert_eq!(
                        row.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                        alone.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                        "{dtype:?}, row {i} of {batch}"
                    );
                }
            }
        }
    }
}
