//! Q4_K with sixteen weight rows interleaved: the layout llama.cpp's repacked kernels read, in a
//! form for 512-bit registers.
//!
//! In GGUF order each row is multiplied on its own: every 64 values cost a byte multiply, a
//! word multiply with the sub-block scales spread over the lanes by a permutation, and at the
//! end of the row its 16 lanes are summed. Here a register holds the same four bytes of sixteen
//! rows, so `vpdpbusd` against four activation bytes broadcast from memory sums into one 32-bit
//! lane per row; a sub-block's scale is applied once per 32 values and row, and the sixteen
//! results land in one register without a horizontal sum. High nibbles are masked in place
//! (sixteen times their value), so each 64-byte load takes two `and`s and no shift, and the
//! factor is shifted out of the integer sum once per block.
//!
//! A group (sixteen rows, one 256-value block column) is as long as the sixteen GGUF blocks it
//! holds, so the matrix keeps its size:
//! - `d`, `dmin`: 16 f16 each, one per row;
//! - 6-bit scales and minimums in three 64-byte registers: byte `16 j + r` of the first holds the
//!   low four bits of row r's scales j (low nibble) and j + 4 (high nibble), the second the same
//!   for the minimums, the third their top two bits (scale j, scale j + 4, minimum j, minimum j + 4);
//! - the 128 bytes of nibbles of each row, four bytes of all sixteen rows after each other.

use super::superblock::{QK_K, Row};
use super::{ROWS_PER_UNIT, UnitValues};

/// Rows interleaved in one group: one unit of work.
pub(super) const ROWS: usize = ROWS_PER_UNIT;
const GGUF_BLOCK: usize = super::Kind::Q4K.block_bytes();
const GROUP_BYTES: usize = ROWS * GGUF_BLOCK;
const SCALES_AT: usize = 64;
const NIBBLES_AT: usize = 256;
/// How far ahead the weights are requested: farther than the GGUF-layout kernels' distance
/// ([`super::PREFETCH_BYTES`]), since this kernel consumes the bytes about twice as fast.
const PREFETCH: usize = 3072;

/// The 6-bit scales and minimums of a GGUF Q4_K block from its 12 packed bytes.
fn scales_and_mins(packed: &[u8]) -> ([u8; 8], [u8; 8]) {
    let mut scales = [0u8; 8];
    let mut mins = [0u8; 8];
    for j in 0..8 {
        (scales[j], mins[j]) = if j < 4 {
            (packed[j] & 63, packed[j + 4] & 63)
        } else {
            ((packed[j + 4] & 0xF) | ((packed[j - 4] >> 6) << 4), (packed[j + 4] >> 4) | ((packed[j] >> 6) << 4))
        };
    }
    (scales, mins)
}

/// Rearranges a Q4_K matrix of `rows` (a multiple of [`ROWS`]) GGUF rows into groups.
pub(super) fn interleave(gguf: &[u8], rows: usize, cols: usize) -> Vec<u8> {
    let blocks = cols / QK_K;
    let row_bytes = blocks * GGUF_BLOCK;
    let mut out = vec![0u8; gguf.len()];
    for (g, groups) in out.chunks_exact_mut(blocks * GROUP_BYTES).enumerate().take(rows / ROWS) {
        for (b, group) in groups.chunks_exact_mut(GROUP_BYTES).enumerate() {
            for r in 0..ROWS {
                let block = &gguf[(g * ROWS + r) * row_bytes + b * GGUF_BLOCK..][..GGUF_BLOCK];
                group[2 * r..2 * r + 2].copy_from_slice(&block[0..2]);
                group[32 + 2 * r..32 + 2 * r + 2].copy_from_slice(&block[2..4]);
                let (scales, mins) = scales_and_mins(&block[4..16]);
                for j in 0..4 {
                    let at = SCALES_AT + 16 * j + r;
                    group[at] = (scales[j] & 0xF) | (scales[j + 4] & 0xF) << 4;
                    group[at + 64] = (mins[j] & 0xF) | (mins[j + 4] & 0xF) << 4;
                    group[at + 128] =
                        (scales[j] >> 4) | (scales[j + 4] >> 4) << 2 | (mins[j] >> 4) << 4 | (mins[j + 4] >> 4) << 6;
                }
                for c in 0..32 {
                    group[NIBBLES_AT + 64 * c + 4 * r..][..4].copy_from_slice(&block[16 + 4 * c..][..4]);
                }
            }
        }
    }
    out
}

/// `out[i][r]` for the sixteen weight rows of one run of groups (`weights`: `cols / 256` groups)
/// and activation rows `rows`, quantized in natural order; `n` is always [`ROWS`].
///
/// # Safety
/// The CPU must have AVX-512F, BW and VNNI.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(super) unsafe fn dot_q4k<const M: usize>(weights: &[u8], rows: &[Row; M], n: usize, out: &mut UnitValues) {
    use std::arch::x86_64::*;
    debug_assert_eq!(n, ROWS);
    debug_assert!(weights.len().is_multiple_of(GROUP_BYTES));
    // SAFETY: the caller guarantees the CPU features; every load lies within a group of
    // `weights` or within block `b` of an activation row, which holds as many blocks as a row
    // of the matrix.
    unsafe {
        let low = _mm512_set1_epi8(0x0F);
        let high = _mm512_set1_epi8(0xF0u8 as i8);
        let mut acc = [_mm512_setzero_ps(); M];
        for (b, group) in weights.chunks_exact(GROUP_BYTES).enumerate() {
            let g = group.as_ptr();
            for line in 0..NIBBLES_AT / 64 {
                _mm_prefetch::<_MM_HINT_T0>(g.wrapping_add(PREFETCH + 64 * line).cast());
            }
            let d = _mm512_cvtph_ps(_mm256_loadu_si256(g.cast()));
            let dmin = _mm512_cvtph_ps(_mm256_loadu_si256(g.add(32).cast()));
            let (ls, lm, top) = (
                _mm512_loadu_si512(g.add(SCALES_AT).cast()),
                _mm512_loadu_si512(g.add(SCALES_AT + 64).cast()),
                _mm512_loadu_si512(g.add(SCALES_AT + 128).cast()),
            );
            let nib = |v: __m512i| _mm512_and_si512(v, low);
            let upper = |v: __m512i| _mm512_and_si512(_mm512_srli_epi16::<4>(v), low);
            let top_bits = |shift_left: u32, mask: i8| {
                let bits = _mm512_and_si512(top, _mm512_set1_epi8(mask));
                match shift_left {
                    4 => _mm512_slli_epi16::<4>(bits),
                    2 => _mm512_slli_epi16::<2>(bits),
                    _ => _mm512_srli_epi16::<2>(bits),
                }
            };
            // Bytes 16 j + r: scale (minimum) j of row r for j < 4, then j + 4.
            let scale_bytes =
                [_mm512_or_si512(nib(ls), top_bits(4, 0x03)), _mm512_or_si512(upper(ls), top_bits(2, 0x0C))];
            let min_bytes = [
                _mm512_or_si512(nib(lm), _mm512_and_si512(top, _mm512_set1_epi8(0x30))),
                _mm512_or_si512(upper(lm), top_bits(0, 0xC0u8 as i8)),
            ];
            let widen = |v: [__m512i; 2]| -> [__m512i; 8] {
                [
                    _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32::<0>(v[0])),
                    _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32::<1>(v[0])),
                    _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32::<2>(v[0])),
                    _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32::<3>(v[0])),
                    _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32::<0>(v[1])),
                    _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32::<1>(v[1])),
                    _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32::<2>(v[1])),
                    _mm512_cvtepu8_epi32(_mm512_extracti32x4_epi32::<3>(v[1])),
                ]
            };
            let scales = widen(scale_bytes);
            let mins = widen(min_bytes);
            let mut sums_low = [_mm512_setzero_si512(); M];
            let mut sums_high = [_mm512_setzero_si512(); M];
            for p in 0..4 {
                let nibbles = g.add(NIBBLES_AT + 512 * p);
                let w: [__m512i; 8] = std::array::from_fn(|c| {
                    let line = nibbles.add(64 * c);
                    _mm_prefetch::<_MM_HINT_T0>(line.wrapping_add(PREFETCH).cast());
                    _mm512_loadu_si512(line.cast())
                });
                let lo = w.map(|w| _mm512_and_si512(w, low));
                let hi = w.map(|w| _mm512_and_si512(w, high));
                for (i, row) in rows.iter().enumerate() {
                    let a = row.qs.as_ptr().add(b * QK_K + 64 * p).cast::<i32>();
                    let mut dl = [_mm512_setzero_si512(); 2];
                    let mut dh = [_mm512_setzero_si512(); 2];
                    for c in 0..8 {
                        let a_lo = _mm512_set1_epi32(std::ptr::read_unaligned(a.add(c)));
                        let a_hi = _mm512_set1_epi32(std::ptr::read_unaligned(a.add(8 + c)));
                        dl[c % 2] = _mm512_dpbusd_epi32(dl[c % 2], lo[c], a_lo);
                        dh[c % 2] = _mm512_dpbusd_epi32(dh[c % 2], hi[c], a_hi);
                    }
                    sums_low[i] = _mm512_add_epi32(
                        sums_low[i],
                        _mm512_mullo_epi32(_mm512_add_epi32(dl[0], dl[1]), scales[2 * p]),
                    );
                    sums_high[i] = _mm512_add_epi32(
                        sums_high[i],
                        _mm512_mullo_epi32(_mm512_add_epi32(dh[0], dh[1]), scales[2 * p + 1]),
                    );
                }
            }
            for (i, row) in rows.iter().enumerate() {
                let total = _mm512_add_epi32(sums_low[i], _mm512_srai_epi32::<4>(sums_high[i]));
                let mut min_total = _mm512_setzero_si512();
                for (j, min) in mins.iter().enumerate() {
                    let sum = i32::from(*row.sums32.get_unchecked(b * 8 + j));
                    min_total = _mm512_add_epi32(min_total, _mm512_mullo_epi32(*min, _mm512_set1_epi32(sum)));
                }
                let ad = _mm512_set1_ps(*row.d.get_unchecked(b));
                acc[i] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(total), _mm512_mul_ps(d, ad), acc[i]);
                acc[i] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(min_total), _mm512_mul_ps(dmin, ad), acc[i]);
            }
        }
        // Lane r of `acc[i]` is weight row r's product with activation row i.
        for (out, acc) in out.iter_mut().zip(acc) {
            _mm512_storeu_ps(out.as_mut_ptr(), acc);
        }
    }
}

/// [`dot_q4k`] for CPUs with AVX2 but without AVX-512. There is no `vpdpbusd`: `vpmaddubsw`
/// multiplies the bytes into 16-bit pairs, eight of those registers are summed in 16 bits (a pair
/// is at most 2 · 15 · 127, eight of them stay below 2¹⁵), and `vpmaddwd` with the sub-block's
/// scale widens the sum to 32 bits, one widening per eight byte multiplies where candle's AVX2
/// tiles take one per multiply. A register holds four bytes of eight rows, half a line; both
/// halves of four lines are held at once, so that each activation word is broadcast once for
/// sixteen rows. High nibbles are shifted down, since `vpmaddubsw` would saturate on them.
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
pub(super) unsafe fn dot_q4k_avx2<const M: usize>(weights: &[u8], rows: &[Row; M], n: usize, out: &mut UnitValues) {
    use std::arch::x86_64::*;
    debug_assert_eq!(n, ROWS);
    debug_assert!(weights.len().is_multiple_of(GROUP_BYTES));
    // SAFETY: the caller guarantees the CPU features; every load lies within a group of
    // `weights`, within the local byte arrays, or within block `b` of an activation row, which
    // holds as many blocks as a row of the matrix.
    unsafe {
        let low = _mm256_set1_epi8(0x0F);
        let bits = |v: __m256i, mask: u8| _mm256_and_si256(v, _mm256_set1_epi8(mask as i8));
        let mut acc = [[_mm256_setzero_ps(); 2]; M];
        for (b, group) in weights.chunks_exact(GROUP_BYTES).enumerate() {
            let g = group.as_ptr();
            for line in 0..NIBBLES_AT / 64 {
                _mm_prefetch::<_MM_HINT_T0>(g.wrapping_add(PREFETCH + 64 * line).cast());
            }
            let halves = |at: usize| {
                [
                    _mm256_cvtph_ps(_mm_loadu_si128(g.add(at).cast())),
                    _mm256_cvtph_ps(_mm_loadu_si128(g.add(at + 16).cast())),
                ]
            };
            let (d, dmin) = (halves(0), halves(32));
            // Byte 16 s + r: scale (minimum) s of row r.
            let mut scale_bytes = [0u8; 128];
            let mut min_bytes = [0u8; 128];
            for q in 0..2 {
                let field = |at: usize| _mm256_loadu_si256(g.add(SCALES_AT + at + 32 * q).cast());
                let (ls, lm, top) = (field(0), field(64), field(128));
                let upper = |v: __m256i| bits(_mm256_srli_epi16::<4>(v), 0x0F);
                let store = |to: &mut [u8; 128], at: usize, v: __m256i| {
                    _mm256_storeu_si256(to.as_mut_ptr().add(at + 32 * q).cast(), v)
                };
                store(&mut scale_bytes, 0, _mm256_or_si256(bits(ls, 0x0F), _mm256_slli_epi16::<4>(bits(top, 0x03))));
                store(&mut scale_bytes, 64, _mm256_or_si256(upper(ls), _mm256_slli_epi16::<2>(bits(top, 0x0C))));
                store(&mut min_bytes, 0, _mm256_or_si256(bits(lm, 0x0F), bits(top, 0x30)));
                store(&mut min_bytes, 64, _mm256_or_si256(upper(lm), _mm256_srli_epi16::<2>(bits(top, 0xC0))));
            }
            // Eight rows' bytes at `at`, one per 32-bit lane.
            let widen =
                |bytes: &[u8; 128], at: usize| _mm256_cvtepu8_epi32(_mm_loadl_epi64(bytes.as_ptr().add(at).cast()));
            // Scale s of eight rows in both 16-bit halves of their lanes, for `vpmaddwd`.
            let scales: [[__m256i; 2]; 8] = std::array::from_fn(|s| {
                std::array::from_fn(|h| {
                    let v = widen(&scale_bytes, 16 * s + 8 * h);
                    _mm256_or_si256(v, _mm256_slli_epi32::<16>(v))
                })
            });
            // Minimums 2t and 2t + 1 of eight rows in the two halves of their lanes, to meet a
            // pair of sub-block sums.
            let mins: [[__m256i; 2]; 4] = std::array::from_fn(|t| {
                std::array::from_fn(|h| {
                    let (even, odd) = (widen(&min_bytes, 32 * t + 8 * h), widen(&min_bytes, 32 * t + 16 + 8 * h));
                    _mm256_or_si256(even, _mm256_slli_epi32::<16>(odd))
                })
            });
            let mut sums = [[_mm256_setzero_si256(); 2]; M];
            for p in 0..4 {
                let nibbles = g.add(NIBBLES_AT + 512 * p);
                for upper in 0..2 {
                    // A row's 16-bit sums carry over from the first four lines to the next four.
                    let mut pairs = [[_mm256_setzero_si256(); 2]; M];
                    for lines in 0..2 {
                        let w: [[__m256i; 4]; 2] = std::array::from_fn(|h| {
                            std::array::from_fn(|k| {
                                let v = _mm256_loadu_si256(nibbles.add(64 * (4 * lines + k) + 32 * h).cast());
                                if upper == 0 {
                                    _mm256_and_si256(v, low)
                                } else {
                                    _mm256_and_si256(_mm256_srli_epi16::<4>(v), low)
                                }
                            })
                        });
                        for (pairs, row) in pairs.iter_mut().zip(rows) {
                            let a = row.qs.as_ptr().add(b * QK_K + 64 * p + 32 * upper + 16 * lines).cast::<i32>();
                            for (k, (first, second)) in w[0].iter().zip(&w[1]).enumerate() {
                                let a = _mm256_set1_epi32(std::ptr::read_unaligned(a.add(k)));
                                pairs[0] = _mm256_add_epi16(pairs[0], _mm256_maddubs_epi16(*first, a));
                                pairs[1] = _mm256_add_epi16(pairs[1], _mm256_maddubs_epi16(*second, a));
                            }
                        }
                    }
                    for (sum, pairs) in sums.iter_mut().zip(&pairs) {
                        for h in 0..2 {
                            sum[h] = _mm256_add_epi32(sum[h], _mm256_madd_epi16(pairs[h], scales[2 * p + upper][h]));
                        }
                    }
                }
            }
            for ((acc, sum), row) in acc.iter_mut().zip(&sums).zip(rows) {
                let ad = _mm256_set1_ps(*row.d.get_unchecked(b));
                let sub_sums = row.sums32.as_ptr().add(b * 8).cast::<i32>();
                for h in 0..2 {
                    let mut min_total = _mm256_setzero_si256();
                    for (t, min) in mins.iter().enumerate() {
                        let pair = _mm256_set1_epi32(std::ptr::read_unaligned(sub_sums.add(t)));
                        min_total = _mm256_add_epi32(min_total, _mm256_madd_epi16(min[h], pair));
                    }
                    acc[h] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(sum[h]), _mm256_mul_ps(d[h], ad), acc[h]);
                    acc[h] = _mm256_fnmadd_ps(_mm256_cvtepi32_ps(min_total), _mm256_mul_ps(dmin[h], ad), acc[h]);
                }
            }
        }
        // Lane r of `acc[i][h]` is weight row 8 h + r's product with activation row i.
        for (out, acc) in out.iter_mut().zip(acc) {
            _mm256_storeu_ps(out.as_mut_ptr(), acc[0]);
            _mm256_storeu_ps(out.as_mut_ptr().add(8), acc[1]);
        }
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
pub(super) unsafe fn dot_q4k_avx2<const M: usize>(_weights: &[u8], _rows: &[Row; M], _n: usize, _out: &mut UnitValues) {
    unreachable!("no kernel runs off x86_64")
}
