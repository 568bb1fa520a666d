//! Q8_0 and Q5_0: blocks of 32 values with one f16 scale each, taken two at a time so that a
//! pair fills a 64-byte register.
//!
//! The weights enter `vpdpbusd` as unsigned bytes (Q8_0 flipped by 128, Q5_0 as stored, 0–31),
//! so each integer dot product carries the offset times the sum of the activation block; the
//! quantized activation holds minus that amount as the accumulator's starting value, which
//! costs nothing in the kernel. The two blocks' scales are applied per 32-bit lane in floats.

#[cfg(target_arch = "x86_64")]
use super::prefetch_ahead;
use super::round_to_steps;
use super::{Kind, UnitValues};

/// Values per block.
pub(super) const QK: usize = 32;
/// Values per pair of blocks: the unit the kernels and the activation layout work in.
pub(super) const PAIR: usize = 2 * QK;

impl Kind {
    /// The weights' offset as the kernel reads them: Q8_0's signed bytes flipped to unsigned add
    /// 128, Q5_0's 5-bit values are stored plus 16.
    fn offset(self) -> i32 {
        match self {
            Kind::Q5_0 => 16,
            _ => 128,
        }
    }

    /// For each 16-byte quarter of a pair's 64-byte register, (block, first value): Q8_0's two
    /// blocks lie in order, a Q5_0 register holds both blocks' low nibbles before their high ones.
    const fn quarters(self) -> [(usize, usize); 4] {
        match self {
            Kind::Q5_0 => [(0, 0), (1, 0), (0, 16), (1, 16)],
            _ => [(0, 0), (0, 16), (1, 0), (1, 16)],
        }
    }
}

/// For each 32-bit lane of a pair's register, the block (0 or 1) it belongs to.
const fn lane_blocks(kind: Kind) -> [i32; 16] {
    let quarters = kind.quarters();
    let mut lanes = [0i32; 16];
    let mut lane = 0;
    while lane < 16 {
        lanes[lane] = quarters[lane / 4].0 as i32;
        lane += 1;
    }
    lanes
}

#[cfg(target_arch = "x86_64")]
static Q8_0_LANES: [i32; 16] = lane_blocks(Kind::Q8_0);
#[cfg(target_arch = "x86_64")]
static Q5_0_LANES: [i32; 16] = lane_blocks(Kind::Q5_0);

/// One activation row in 8 bits, pair by pair, laid out as the weights of one block type are.
pub(super) struct Row {
    qs: Vec<i8>,
    /// Per pair and 32-bit lane, the scale of the lane's block.
    scales: Vec<f32>,
    /// Per pair and 32-bit lane, the accumulator's start: minus the weights' offset times the
    /// block's sum in the block's first lane, zero elsewhere.
    start: Vec<i32>,
}

pub(super) fn quantize(x: &[f32], kind: Kind) -> Row {
    let pairs = x.len() / PAIR;
    let mut row = Row { qs: vec![0; x.len()], scales: vec![0.0; pairs * 16], start: vec![0; pairs * 16] };
    for (p, values) in x.chunks_exact(PAIR).enumerate() {
        let mut blocks = [[0i8; QK]; 2];
        let mut scales = [0f32; 2];
        for (b, (q, block)) in blocks.iter_mut().zip(values.chunks_exact(QK)).enumerate() {
            scales[b] = round_to_steps(block, q);
        }
        for (quarter, &(b, first)) in kind.quarters().iter().enumerate() {
            row.qs[p * PAIR + quarter * 16..][..16].copy_from_slice(&blocks[b][first..first + 16]);
            row.scales[p * 16 + quarter * 4..][..4].fill(scales[b]);
            if first == 0 {
                let sum: i32 = blocks[b].iter().map(|&q| i32::from(q)).sum();
                row.start[p * 16 + quarter * 4] = -kind.offset() * sum;
            }
        }
    }
    row
}

/// The pair's two f16 scales (at its first byte and `stride` bytes on), one per lane of its block.
///
/// # Safety
/// The CPU must have AVX-512F and F16C; `pair` and `pair + stride` point at two readable bytes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn block_scales(pair: *const u8, stride: usize, lanes: std::arch::x86_64::__m512i) -> std::arch::x86_64::__m512 {
    use std::arch::x86_64::*;
    // SAFETY: the caller guarantees the CPU features and that both scales are readable.
    unsafe {
        let bits = u32::from(std::ptr::read_unaligned(pair.cast::<u16>()))
            | u32::from(std::ptr::read_unaligned(pair.add(stride).cast::<u16>())) << 16;
        _mm512_permutexvar_ps(lanes, _mm512_castps128_ps512(_mm_cvtph_ps(_mm_cvtsi32_si128(bits as i32))))
    }
}

/// The frame both kernels share: for each weight row (`n` of them in `weights`) and each
/// pair of `block` bytes, `unpack` turns the pair into unsigned bytes in the activation's layout;
/// the products with every activation row are summed with the pair's block scales per lane.
///
/// # Safety
/// The CPU must have AVX-512F, BW and VNNI; `n` is 1 to `out`'s row count, `weights` holds `n`
/// rows of whole pairs of `block` bytes, and every row of `rows` holds at least as many pairs as
/// one weight row (its values, scales and starts are read without bounds checks).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn run<const M: usize>(
    weights: &[u8],
    block: usize,
    lanes: &[i32; 16],
    rows: &[Row; M],
    n: usize,
    out: &mut UnitValues,
    unpack: impl Fn(*const u8) -> std::arch::x86_64::__m512i,
) {
    use std::arch::x86_64::*;
    debug_assert!(n >= 1 && weights.len().is_multiple_of(n) && (weights.len() / n).is_multiple_of(2 * block));
    debug_assert!(rows.iter().all(|row| row.qs.len() / PAIR >= weights.len() / n / (2 * block)));
    // SAFETY: the caller guarantees the CPU features and the lengths checked above; every load
    // lies within a pair of `weights` or within pair `p` of an activation row.
    unsafe {
        let lanes = _mm512_loadu_si512(lanes.as_ptr().cast());
        for (r, weights) in weights.chunks_exact(weights.len() / n.max(1)).enumerate() {
            let mut acc = [_mm512_setzero_ps(); M];
            for (p, pair) in weights.chunks_exact(2 * block).enumerate() {
                let pair = pair.as_ptr();
                prefetch_ahead(pair);
                let w = unpack(pair);
                let d = block_scales(pair, block, lanes);
                for (acc, row) in acc.iter_mut().zip(rows) {
                    let a = _mm512_loadu_si512(row.qs.as_ptr().add(p * PAIR).cast());
                    let start = _mm512_loadu_si512(row.start.as_ptr().add(p * 16).cast());
                    let scales = _mm512_loadu_ps(row.scales.as_ptr().add(p * 16));
                    let dot = _mm512_dpbusd_epi32(start, w, a);
                    *acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(d, scales), *acc);
                }
            }
            for (out, acc) in out.iter_mut().zip(acc) {
                out[r] = _mm512_reduce_add_ps(acc);
            }
        }
    }
}

/// `out[i][r]`, the dot product of weight row r with activation row `rows[i]`, for the `n` Q8_0
/// weight rows laid end to end in `weights`.
///
/// # Safety
/// As [`run`]'s: the CPU must have AVX-512F, BW and VNNI; `weights` holds `n` rows of whole
/// pairs of blocks and every activation row at least as many pairs.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(super) unsafe fn dot_q8_0<const M: usize>(weights: &[u8], rows: &[Row; M], n: usize, out: &mut UnitValues) {
    use std::arch::x86_64::*;
    const BLOCK: usize = 34;
    let flip = _mm512_set1_epi8(i8::MIN);
    // SAFETY: the caller guarantees the CPU features; `run` hands `unpack` whole pairs.
    unsafe {
        run(weights, BLOCK, &Q8_0_LANES, rows, n, out, |pair| {
            let w = _mm512_inserti64x4::<1>(
                _mm512_castsi256_si512(_mm256_loadu_si256(pair.add(2).cast())),
                _mm256_loadu_si256(pair.add(BLOCK + 2).cast()),
            );
            _mm512_xor_si512(w, flip)
        })
    }
}

/// `out[i][r]`, the dot product of weight row r with activation row `rows[i]`, for the `n` Q5_0
/// weight rows laid end to end in `weights`.
///
/// # Safety
/// As [`run`]'s: the CPU must have AVX-512F, BW and VNNI; `weights` holds `n` rows of whole
/// pairs of blocks and every activation row at least as many pairs.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(super) unsafe fn dot_q5_0<const M: usize>(weights: &[u8], rows: &[Row; M], n: usize, out: &mut UnitValues) {
    use std::arch::x86_64::*;
    const BLOCK: usize = 22;
    let nibble = _mm256_set1_epi8(0x0F);
    let fifth_bit = _mm512_set1_epi8(0x10);
    // SAFETY: the caller guarantees the CPU features; `run` hands `unpack` whole pairs.
    unsafe {
        run(weights, BLOCK, &Q5_0_LANES, rows, n, out, |pair| {
            // Block layout: f16 scale, 32 fifth bits, 16 bytes of nibbles (values j and j + 16).
            let nibbles =
                _mm256_set_m128i(_mm_loadu_si128(pair.add(BLOCK + 6).cast()), _mm_loadu_si128(pair.add(6).cast()));
            let low = _mm256_and_si256(nibbles, nibble);
            let high = _mm256_and_si256(_mm256_srli_epi16::<4>(nibbles), nibble);
            let w = _mm512_inserti64x4::<1>(_mm512_castsi256_si512(low), high);
            let (h0, h1) = (
                u64::from(std::ptr::read_unaligned(pair.add(2).cast::<u32>())),
                u64::from(std::ptr::read_unaligned(pair.add(BLOCK + 2).cast::<u32>())),
            );
            let fifth = (h0 & 0xFFFF) | (h1 & 0xFFFF) << 16 | (h0 >> 16) << 32 | (h1 >> 16) << 48;
            _mm512_mask_add_epi8(w, fifth, w, fifth_bit)
        })
    }
}

/// # Safety
/// Never called: [`super::level`] is `None` off x86_64.
#[cfg(not(target_arch = "x86_64"))]
pub(super) unsafe fn dot_q8_0<const M: usize>(_weights: &[u8], _rows: &[Row; M], _n: usize, _out: &mut UnitValues) {
    unreachable!("no kernel runs off x86_64")
}

/// # Safety
/// Never called: [`super::level`] is `None` off x86_64.
#[cfg(not(target_arch = "x86_64"))]
pub(super) unsafe fn dot_q5_0<const M: usize>(_weights: &[u8], _rows: &[Row; M], _n: usize, _out: &mut UnitValues) {
    unreachable!("no kernel runs off x86_64")
}
