//! Q4_K and Q6_K: super-blocks of 256 values with integer sub-block scales.
//!
//! The activation is quantized once per product, in the order of the blocks' bit planes, so each
//! 64-byte load of weights meets one load of activations, and the sub-block scales are applied
//! with `vpdpwssd` without leaving the integer pipeline.

use super::{Kind, UnitValues};
#[cfg(target_arch = "x86_64")]
use super::{ROWS_PER_UNIT, f16_at, prefetch_ahead, store_lane_sums};

pub(super) const QK_K: usize = 256;

/// One activation row in 8 bits, block by block, its sub-blocks in the order of one block type.
pub(super) struct Row {
    pub(super) qs: Vec<i8>,
    /// Per block, the scale of `qs`.
    pub(super) d: Vec<f32>,
    /// Per block, the sums of the 16 sub-blocks of 16 values (they meet Q6_K's offset of 32).
    sums16: Vec<i16>,
    /// Per block, the sums of the 8 sub-blocks of 32 values (they meet Q4_K's minimums).
    pub(super) sums32: Vec<i16>,
}

/// Quantizes an activation row block by block: each block to the nearest of 127 steps of its
/// largest magnitude (ties to even, as [`super::round_to_steps`]), its sub-blocks in `kind`'s order,
/// with their sums. This runs on one thread before each product, while the other threads wait.
#[cfg(target_arch = "x86_64")]
pub(super) fn quantize(x: &[f32], kind: Kind) -> Row {
    let blocks = x.len() / QK_K;
    let mut row =
        Row { qs: vec![0; x.len()], d: vec![0.0; blocks], sums16: vec![0; blocks * 16], sums32: vec![0; blocks * 8] };
    let order = sub_order(kind);
    let wide = crate::level() == Some(crate::Level::Avx512Vnni);
    for (b, values) in x.chunks_exact(QK_K).enumerate() {
        if wide {
            // SAFETY: AVX-512F is there (just checked); every slice handed over holds whole blocks.
            unsafe { quantize_block(values, &order, &mut row, b) };
        } else {
            quantize_block_by_value(values, &order, &mut row, b);
        }
    }
    row
}

/// [`quantize_block`] one value at a time, for CPUs without AVX-512 (where only the interleaved
/// Q4_K kernel runs): the same rounding, so both give the same bytes.
#[cfg(target_arch = "x86_64")]
fn quantize_block_by_value(values: &[f32], order: &[usize; 8], row: &mut Row, b: usize) {
    let amax = values.iter().fold(0f32, |m, v| m.max(v.abs()));
    let inverse = if amax > 0.0 { 127.0 / amax } else { 0.0 };
    row.d[b] = amax / 127.0;
    for (slot, &sub) in order.iter().enumerate() {
        let mut pair = [0i16; 2];
        for (half, sum) in pair.iter_mut().enumerate() {
            let from = &values[32 * sub + 16 * half..][..16];
            let to = &mut row.qs[b * QK_K + slot * 32 + half * 16..][..16];
            for (q, v) in to.iter_mut().zip(from) {
                *q = (v * inverse).round_ties_even().clamp(-127.0, 127.0) as i8;
                *sum += i16::from(*q);
            }
        }
        row.sums16[b * 16 + sub * 2] = pair[0];
        row.sums16[b * 16 + sub * 2 + 1] = pair[1];
        row.sums32[b * 8 + sub] = pair[0] + pair[1];
    }
}

/// One block of [`quantize`], sixteen values (a Q6_K sub-block) per register: the largest
/// magnitude, then per register the rounded values, narrowed into place, and their sum.
///
/// # Safety
/// The CPU must have AVX-512F; `values` holds [`QK_K`] values and `row` room for block `b`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn quantize_block(values: &[f32], order: &[usize; 8], row: &mut Row, b: usize) {
    use std::arch::x86_64::*;
    const NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    debug_assert_eq!(values.len(), QK_K);
    // SAFETY: all loads lie within `values`, all stores within block `b` of `row`.
    unsafe {
        let v: [__m512; 16] = std::array::from_fn(|i| _mm512_loadu_ps(values.as_ptr().add(16 * i)));
        let amax = _mm512_reduce_max_ps(v.iter().fold(_mm512_setzero_ps(), |m, x| _mm512_max_ps(m, _mm512_abs_ps(*x))));
        let inverse = _mm512_set1_ps(if amax > 0.0 { 127.0 / amax } else { 0.0 });
        row.d[b] = amax / 127.0;
        for (slot, &sub) in order.iter().enumerate() {
            let mut pair = [0i16; 2];
            for (half, sum) in pair.iter_mut().enumerate() {
                let q = _mm512_cvt_roundps_epi32::<NEAREST>(_mm512_mul_ps(v[2 * sub + half], inverse));
                let at = row.qs.as_mut_ptr().add(b * QK_K + slot * 32 + half * 16);
                _mm_storeu_si128(at.cast(), _mm512_cvtsepi32_epi8(q));
                *sum = _mm512_reduce_add_epi32(q) as i16;
            }
            row.sums16[b * 16 + sub * 2] = pair[0];
            row.sums16[b * 16 + sub * 2 + 1] = pair[1];
            row.sums32[b * 8 + sub] = pair[0] + pair[1];
        }
    }
}

#[cfg(not(target_arch = "x86_64"))]
pub(super) fn quantize(_x: &[f32], _kind: Kind) -> Row {
    unreachable!("no kernel runs off x86_64")
}

/// The order of a block's 32-value sub-blocks in the quantized activation: a Q4_K 64-byte
/// load holds sub-blocks (4p, 4p + 2) in its low and (4p + 1, 4p + 3) in its high nibbles,
/// a Q6_K one holds them in order.
fn sub_order(kind: Kind) -> [usize; 8] {
    match kind {
        Kind::Q4K => [0, 2, 1, 3, 4, 6, 5, 7],
        _ => [0, 1, 2, 3, 4, 5, 6, 7],
    }
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

/// `out[i][r]`, the dot product of weight row r with activation row `rows[i]`, for the `n` Q4_K
/// weight rows laid end to end in `weights`.
///
/// # Safety
/// The CPU must have AVX-512F, BW and VNNI; `n` is 1 to [`ROWS_PER_UNIT`], `weights` holds `n`
/// rows of whole blocks, and every row of `rows` holds at least as many blocks as one weight row
/// (its values, scales and sums are read without bounds checks).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(super) unsafe fn dot_q4k<const M: usize>(weights: &[u8], rows: &[Row; M], n: usize, out: &mut UnitValues) {
    use std::arch::x86_64::*;
    const BLOCK_BYTES: usize = Kind::Q4K.block_bytes();
    debug_assert!((1..=ROWS_PER_UNIT).contains(&n) && weights.len().is_multiple_of(n));
    debug_assert!(rows.iter().all(|row| row.d.len() * BLOCK_BYTES >= weights.len() / n));
    const KMASK1: u32 = 0x3f3f3f3f;
    const KMASK2: u32 = 0x0f0f0f0f;
    const KMASK3: u32 = 0x03030303;
    // SAFETY: the caller guarantees the CPU features and the lengths checked above; every
    // pointer below is a block of `weights` or lies within block `b` of an activation row.
    unsafe {
        let lanes = Q4K_LANES.map(|t| _mm512_loadu_si512(t.as_ptr().cast()));
        let nibble = _mm512_set1_epi8(0x0F);
        let mut totals = [[_mm512_setzero_ps(); M]; ROWS_PER_UNIT];
        for (weights, totals) in weights.chunks_exact(weights.len() / n.max(1)).zip(&mut totals) {
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
                let words = _mm256_cvtepu8_epi16(_mm_set_epi32(
                    mins_hi as i32,
                    mins_lo as i32,
                    scales_hi as i32,
                    scales_lo as i32,
                ));
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
            *totals = std::array::from_fn(|i| _mm512_sub_ps(acc[i], _mm512_zextps128_ps512(acc_min[i])));
        }
        store_lane_sums(&totals[..n], out);
    }
}

/// `out[i][r]`, the dot product of weight row r with activation row `rows[i]`, for the `n` Q6_K
/// weight rows laid end to end in `weights`.
///
/// # Safety
/// The CPU must have AVX-512F, BW and VNNI; `n` is 1 to [`ROWS_PER_UNIT`], `weights` holds `n`
/// rows of whole blocks, and every row of `rows` holds at least as many blocks as one weight row
/// (its values, scales and sums are read without bounds checks).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(super) unsafe fn dot_q6k<const M: usize>(weights: &[u8], rows: &[Row; M], n: usize, out: &mut UnitValues) {
    use std::arch::x86_64::*;
    const BLOCK_BYTES: usize = Kind::Q6K.block_bytes();
    debug_assert!((1..=ROWS_PER_UNIT).contains(&n) && weights.len().is_multiple_of(n));
    debug_assert!(rows.iter().all(|row| row.d.len() * BLOCK_BYTES >= weights.len() / n));
    // SAFETY: the caller guarantees the CPU features and the lengths checked above; every
    // pointer below is a block of `weights` or lies within block `b` of an activation row.
    unsafe {
        let lanes = Q6K_LANES.map(|t| _mm512_loadu_si512(t.as_ptr().cast()));
        let nibble = _mm512_set1_epi8(0x0F);
        let low_pair = _mm512_set1_epi8(0x03);
        let third_pair = _mm512_set1_epi8(0x30);
        let mut totals = [[_mm512_setzero_ps(); M]; ROWS_PER_UNIT];
        for (weights, totals) in weights.chunks_exact(weights.len() / n.max(1)).zip(&mut totals) {
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
                    acc_offset[i] =
                        _mm256_fmadd_ps(_mm256_cvtepi32_ps(offset), _mm256_set1_ps(32.0 * dd), acc_offset[i]);
                    let act = row.qs.as_ptr().add(b * QK_K);
                    let mut sum = _mm512_setzero_si512();
                    for g in 0..4 {
                        let a = _mm512_loadu_si512(act.add(64 * g).cast());
                        sum = _mm512_dpwssd_epi32(sum, _mm512_maddubs_epi16(quants[g], a), lane_scales[g]);
                    }
                    acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), _mm512_set1_ps(dd), acc[i]);
                }
            }
            *totals = std::array::from_fn(|i| _mm512_sub_ps(acc[i], _mm512_zextps256_ps512(acc_offset[i])));
        }
        store_lane_sums(&totals[..n], out);
    }
}

/// # Safety
/// Never called: [`super::level`] is `None` off x86_64.
#[cfg(not(target_arch = "x86_64"))]
pub(super) unsafe fn dot_q4k<const M: usize>(_weights: &[u8], _rows: &[Row; M], _n: usize, _out: &mut UnitValues) {
    unreachable!("no kernel runs off x86_64")
}

/// # Safety
/// Never called: [`super::level`] is `None` off x86_64.
#[cfg(not(target_arch = "x86_64"))]
pub(super) unsafe fn dot_q6k<const M: usize>(_weights: &[u8], _rows: &[Row; M], _n: usize, _out: &mut UnitValues) {
    unreachable!("no kernel runs off x86_64")
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    /// CPUs without AVX-512 round the activation value by value; CPUs with it test that both
    /// ways give the same bytes and sums.
    #[test]
    fn rounding_value_by_value_gives_the_bytes_of_the_wide_rounding() {
        if crate::level() != Some(crate::Level::Avx512Vnni) {
            eprintln!("skipped: this CPU lacks AVX-512, so only the value-by-value rounding runs on it");
            return;
        }
        let values: Vec<f32> =
            (0..2 * QK_K).map(|i| ((i * 37 % 101) as f32 - 50.0) * 0.173 + (i % 7) as f32 * 0.5).collect();
        for kind in [Kind::Q4K, Kind::Q4KRows16, Kind::Q6K] {
            let order = sub_order(kind);
            let blank = || Row { qs: vec![0; values.len()], d: vec![0.0; 2], sums16: vec![0; 32], sums32: vec![0; 16] };
            let (mut wide, mut by_value) = (blank(), blank());
            for (b, block) in values.chunks_exact(QK_K).enumerate() {
                // SAFETY: AVX-512F is there (checked above); `block` is one whole block.
                unsafe { quantize_block(block, &order, &mut wide, b) };
                quantize_block_by_value(block, &order, &mut by_value, b);
            }
            assert_eq!(wide.qs, by_value.qs, "{kind:?}");
            assert_eq!(wide.d, by_value.d, "{kind:?}");
            assert_eq!(wide.sums16, by_value.sums16, "{kind:?}");
            assert_eq!(wide.sums32, by_value.sums32, "{kind:?}");
        }
    }
}
