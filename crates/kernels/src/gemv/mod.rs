//! Products of quantized weights (Q4_K, Q6_K, Q8_0, Q5_0) with activation rows, on AVX-512 VNNI;
//! on CPUs with AVX2 alone, the interleaved Q4_K layout only ([`crate::Level`]).
//!
//! Decoding streams every weight once per token, so its speed is the rate at which the weights
//! can be read and multiplied. candle repacks Q4_K into tiles whose scales take f32 per row and
//! sub-block (6 instead of 4.5 bits per weight, a third more memory traffic); its kernel for them
//! reached ~12 GB/s on this machine and its plain Q6_K kernel (256-bit) ~30–40 GB/s; its Q5_0
//! kernel is scalar code, and neither its tiles nor its 512-bit paths take the 896-wide matrices
//! of the 0.5B model. These kernels read the GGUF blocks as they are, against an activation
//! quantized once per product in the blocks' own layout ([`superblock`], [`pairs`]).
//! Each block is unpacked once for up to [`MAX_BATCH`] activation rows. Q4_K matrices are
//! rearranged at load ([`pack`], [`interleaved`]): that layout multiplies twice as fast, and its
//! prompt chunks run here too, as fast as candle's tiles, so a Q4_K matrix is held once. Q6_K
//! prompt chunks stay with candle's tiles, which are faster there; Q8_0 and Q5_0 prompt chunks
//! run here, [`MAX_BATCH`] rows at a time. Without AVX-512 candle's AVX2 tiles take every Q4_K
//! product, four activation rows per pass and one widening multiply per byte multiply; the
//! interleaved layout's AVX2 kernel sums eight byte multiplies before widening.

mod interleaved;
mod pairs;
mod superblock;

use std::borrow::Cow;

use candle_core::quantized::{GgmlDType, QTensor};
use candle_core::{Result, Tensor};

use crate::{Level, level};

/// Weight rows per unit of work handed to a thread.
const ROWS_PER_UNIT: usize = 16;

/// A unit's results: per activation row, the dot products with the unit's weight rows, so that
/// each activation row's results go to the output in one piece.
type UnitValues = [[f32; ROWS_PER_UNIT]; MAX_BATCH];

/// The block types these kernels read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `d`, `dmin` (f16), 12 bytes of 6-bit scales and minimums, 128 bytes of nibbles.
    Q4K,
    /// Q4_K rows interleaved sixteen at a time ([`interleaved`]), as [`pack`] makes them.
    Q4KRows16,
    /// 128 bytes of low nibbles, 64 of high bit pairs, 16 signed scales, `d` (f16).
    Q6K,
    /// `d` (f16), 32 signed bytes.
    Q8_0,
    /// `d` (f16), 32 fifth bits, 16 bytes of nibbles.
    Q5_0,
}

impl Kind {
    fn of(dtype: GgmlDType) -> Option<Kind> {
        match dtype {
            GgmlDType::Q4K => Some(Kind::Q4K),
            GgmlDType::Q6K => Some(Kind::Q6K),
            GgmlDType::Q8_0 => Some(Kind::Q8_0),
            GgmlDType::Q5_0 => Some(Kind::Q5_0),
            _ => None,
        }
    }

    const fn block_bytes(self) -> usize {
        match self {
            Kind::Q4K | Kind::Q4KRows16 => 144,
            Kind::Q6K => 210,
            Kind::Q8_0 => 34,
            Kind::Q5_0 => 22,
        }
    }

    fn block_values(self) -> usize {
        match self {
            Kind::Q4K | Kind::Q4KRows16 | Kind::Q6K => superblock::QK_K,
            Kind::Q8_0 | Kind::Q5_0 => pairs::QK,
        }
    }

    /// The input widths the kernels take: whole units of their activation layout.
    fn takes_width(self, k: usize) -> bool {
        match self {
            Kind::Q4K | Kind::Q4KRows16 | Kind::Q6K => k.is_multiple_of(superblock::QK_K),
            Kind::Q8_0 | Kind::Q5_0 => k.is_multiple_of(pairs::PAIR),
        }
    }

    /// Whether prompt chunks of more than [`MAX_BATCH`] rows run here too.
    fn takes_long_batches(self) -> bool {
        matches!(self, Kind::Q4KRows16 | Kind::Q8_0 | Kind::Q5_0)
    }

    /// Whether this CPU's kernels multiply blocks of this type.
    fn runs(self) -> bool {
        match level() {
            Some(Level::Avx512Vnni) => true,
            Some(Level::Avx2) => self == Kind::Q4KRows16,
            None => false,
        }
    }
}

/// Most activation rows one pass over the weights takes: a decoding step (the chosen token, the
/// tokens a grammar forces and the guessed ones). Each block of weights is unpacked once for all
/// rows, so a step of a few tokens costs little more than one.
pub const MAX_BATCH: usize = 8;

/// True when this CPU's kernels multiply weights of `dtype` with rows of `width` values (for
/// decoding steps at least; prompt chunks as [`applies`] says).
pub fn takes(dtype: GgmlDType, width: usize) -> bool {
    Kind::of(dtype).is_some_and(|kind| kind.runs() && kind.takes_width(width))
}

/// True when `weight` can go through [`gemv`] with the input `x` (CPU, a width the block type
/// takes, up to [`MAX_BATCH`] rows for Q4_K and Q6_K in the GGUF layout).
pub fn applies(weight: Weight<'_>, x: &Tensor) -> bool {
    let Some((kind, (_, k))) = weight.layout() else { return false };
    let batch = x.elem_count() / k.max(1);
    kind.runs()
        && x.device().is_cpu()
        && x.dtype() == candle_core::DType::F32
        && kind.takes_width(k)
        && x.dims().last() == Some(&k)
        && batch >= 1
        && (batch <= MAX_BATCH || kind.takes_long_batches())
}

/// A weight matrix rearranged for these kernels at load ([`pack`]); only they multiply it.
pub struct Packed {
    kind: Kind,
    bytes: Vec<u8>,
    /// (rows, columns) of the matrix it was made from.
    shape: (usize, usize),
}

impl Packed {
    /// The bytes it holds (as many as the GGUF matrix).
    pub fn size_in_bytes(&self) -> usize {
        self.bytes.len()
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Packed").field("kind", &self.kind).field("shape", &self.shape).finish_non_exhaustive()
    }
}

/// The layout these kernels read fastest, for a weight that has one: Q4_K matrices whose rows
/// come in whole groups of sixteen, interleaved ([`interleaved`]): twice the GGUF layout's rate
/// from the cache, and prompt chunks as fast as candle's tiles. `None` for other types and
/// shapes, other devices, and CPUs without the kernels.
pub fn pack(weight: &QTensor) -> Result<Option<Packed>> {
    let Ok((rows, cols)) = weight.shape().dims2() else { return Ok(None) };
    let fits = weight.dtype() == GgmlDType::Q4K
        && rows.is_multiple_of(interleaved::ROWS)
        && Kind::Q4KRows16.takes_width(cols)
        && weight.device().is_cpu();
    if !Kind::Q4KRows16.runs() || !fits {
        return Ok(None);
    }
    let bytes = interleaved::interleave(&weight.data()?, rows, cols);
    Ok(Some(Packed { kind: Kind::Q4KRows16, bytes, shape: (rows, cols) }))
}

/// One weight of a product: as candle holds it, or rearranged by [`pack`].
#[derive(Debug, Clone, Copy)]
pub enum Weight<'a> {
    Quantized(&'a QTensor),
    Packed(&'a Packed),
}

impl<'a> Weight<'a> {
    /// The block type and (rows, columns), where the kernels read this weight's type on the CPU.
    fn layout(self) -> Option<(Kind, (usize, usize))> {
        match self {
            Weight::Quantized(w) if w.device().is_cpu() => Some((Kind::of(w.dtype())?, w.shape().dims2().ok()?)),
            Weight::Quantized(_) => None,
            Weight::Packed(p) => Some((p.kind, p.shape)),
        }
    }

    fn bytes(self) -> Result<Cow<'a, [u8]>> {
        match self {
            Weight::Quantized(w) => w.data(),
            Weight::Packed(p) => Ok(Cow::Borrowed(&p.bytes)),
        }
    }
}

/// Quantizes `values` to the nearest of 127 steps of their largest magnitude (ties to even),
/// writing `out`; returns the step. This runs on one thread before each parallel product.
fn round_to_steps(values: &[f32], out: &mut [i8]) -> f32 {
    let mut lanes = [0f32; 16];
    for chunk in values.chunks(16) {
        for (m, v) in lanes.iter_mut().zip(chunk) {
            *m = m.max(v.abs());
        }
    }
    let amax = lanes.iter().fold(0f32, |m, v| m.max(*v));
    let inverse = if amax > 0.0 { 127.0 / amax } else { 0.0 };
    #[cfg(target_arch = "x86_64")]
    // SAFETY: only Q8_0 and Q5_0 activations are rounded here, and their kernels run only with
    // AVX-512 ([`Kind::runs`]; [`gemv`] refuses them otherwise).
    unsafe {
        round_scaled(values, inverse, out)
    };
    #[cfg(not(target_arch = "x86_64"))]
    for (q, v) in out.iter_mut().zip(values) {
        *q = (v * inverse).round_ties_even().clamp(-127.0, 127.0) as i8;
    }
    amax / 127.0
}

/// `out[i] = round_ties_even(values[i] * inverse)`, 16 at a time: the compiler's version of the
/// loop converted one value after the other (Rust's saturating `as i8` does not vectorise).
/// Every product lies within ±127 (`inverse` is 127 over the largest magnitude), so the
/// saturating narrowing never clips.
///
/// # Safety
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn round_scaled(values: &[f32], inverse: f32, out: &mut [i8]) {
    use std::arch::x86_64::*;
    const NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    let n = values.len().min(out.len());
    let scale = _mm512_set1_ps(inverse);
    // SAFETY: every load and store stays within the first `n` values of both slices.
    unsafe {
        for start in (0..n).step_by(16) {
            let mask = crate::lanes_within(n, start);
            let v = _mm512_maskz_loadu_ps(mask, values.as_ptr().add(start));
            let q = _mm512_cvt_roundps_epi32::<NEAREST>(_mm512_mul_ps(v, scale));
            _mm512_mask_cvtsepi32_storeu_epi8(out.as_mut_ptr().add(start).cast(), mask, q);
        }
    }
}

/// The activation rows quantized for one block type.
enum Activation {
    SuperBlocks(Kind, Vec<superblock::Row>),
    Pairs(Kind, Vec<pairs::Row>),
}

impl Activation {
    fn quantize(x: &[f32], k: usize, kind: Kind) -> Activation {
        let rows = x.chunks_exact(k);
        match kind {
            Kind::Q4K | Kind::Q4KRows16 | Kind::Q6K => {
                Activation::SuperBlocks(kind, rows.map(|r| superblock::quantize(r, kind)).collect())
            }
            Kind::Q8_0 | Kind::Q5_0 => Activation::Pairs(kind, rows.map(|r| pairs::quantize(r, kind)).collect()),
        }
    }

    fn kind(&self) -> Kind {
        match self {
            Activation::SuperBlocks(kind, _) | Activation::Pairs(kind, _) => *kind,
        }
    }
}

/// `x Wᵀ` for several matrices of the same input width (a fused q/k/v or gate/up), in one
/// parallel region on candle's thread pool. Callers check [`applies`] for each weight first.
pub fn gemv(weights: &[Weight<'_>], x: &Tensor) -> Result<Vec<Tensor>> {
    let x_values = x.flatten_all()?.to_vec1::<f32>()?;
    let k = x.dims().last().copied().unwrap_or(0);
    let batch = x_values.len().checked_div(k).unwrap_or(0);
    let mut parts = Vec::with_capacity(weights.len());
    for &w in weights {
        let Some((kind, (n, _))) = w.layout().filter(|(kind, (_, wk))| *wk == k && kind.takes_width(k)) else {
            candle_core::bail!("gemv: the weight {w:?} does not fit an input of {k}");
        };
        if !kind.runs() {
            candle_core::bail!("gemv: this CPU has no kernel for {kind:?} weights");
        }
        if batch == 0 || (batch > MAX_BATCH && !kind.takes_long_batches()) {
            candle_core::bail!("gemv: {batch} rows of {k} values for a {kind:?} weight");
        }
        parts.push(Part { kind, bytes: w.bytes()?, rows: n });
    }
    let mut activations: Vec<Activation> = Vec::new();
    for part in &parts {
        if !activations.iter().any(|a| a.kind() == part.kind) {
            activations.push(Activation::quantize(&x_values, k, part.kind));
        }
    }
    // Not zeroed first (the logits alone are 600 kB per token): `compute` writes every value.
    let mut outputs: Vec<Vec<f32>> = parts.iter().map(|p| Vec::with_capacity(batch * p.rows)).collect();
    compute(&parts, k, batch, &activations, &mut outputs);
    for (output, part) in outputs.iter_mut().zip(&parts) {
        // SAFETY: `compute` wrote all `batch * rows` values of each output: its units cover every
        // weight row of every part, each for every activation row.
        unsafe { output.set_len(batch * part.rows) };
    }
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

fn compute(parts: &[Part<'_>], k: usize, batch: usize, activations: &[Activation], outputs: &mut [Vec<f32>]) {
    // (first unit, part, its activation, output) per matrix; outputs are written through raw
    // pointers because the units of one matrix write disjoint row ranges from several threads.
    let mut starts = Vec::with_capacity(parts.len());
    let mut units = 0;
    for (part, out) in parts.iter().zip(outputs.iter_mut()) {
        let activation = activations
            .iter()
            .find(|a| a.kind() == part.kind)
            .expect("gemv quantizes the activation for each block type it multiplies");
        starts.push((units, part, activation, out.as_mut_ptr() as usize));
        units += part.rows.div_ceil(ROWS_PER_UNIT);
    }
    split_guided(units, |range| {
        let mut values: UnitValues = [[0f32; ROWS_PER_UNIT]; MAX_BATCH];
        for unit in range {
            let Some(&(first, part, activation, out)) = starts.iter().rev().find(|(first, ..)| unit >= *first) else {
                continue;
            };
            let row_bytes = k / part.kind.block_values() * part.kind.block_bytes();
            let r0 = (unit - first) * ROWS_PER_UNIT;
            let r1 = (r0 + ROWS_PER_UNIT).min(part.rows);
            let weights = &part.bytes[r0 * row_bytes..r1 * row_bytes];
            // Activation rows outside, weight rows inside: the unit's weights stay in the cache
            // while each batch of activation rows meets all of them.
            for batch_start in (0..batch).step_by(MAX_BATCH) {
                let inputs = batch_start..(batch_start + MAX_BATCH).min(batch);
                // SAFETY: `gemv` checked that this CPU runs the part's kernel (`Kind::runs`), `weights`
                // holds whole rows of blocks of this kind, and this unit alone writes columns
                // r0..r1 of the output (r1 <= rows; the output holds `rows` values per input row).
                unsafe {
                    dot(activation, inputs.clone(), weights, r1 - r0, &mut values);
                    for (i, input_values) in inputs.zip(&values) {
                        let at = (out as *mut f32).add(i * part.rows + r0);
                        std::ptr::copy_nonoverlapping(input_values.as_ptr(), at, r1 - r0);
                    }
                }
            }
        }
    });
}

/// Runs `work` over `0..items` on candle's thread pool, each thread taking the next range from a
/// shared cursor; ranges shrink with the work left (a sixteenth of it at most, one item at the
/// end), so that the threads finish together: a region ends when its slowest thread does.
fn split_guided(items: usize, work: impl Fn(std::ops::Range<usize>) + Sync) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let pool = candle_core::utils::barrier_pool();
    let threads = crate::pool_threads();
    let largest = items.div_ceil(threads * 8).max(1);
    let cursor = AtomicUsize::new(0);
    pool.execute(|_| {
        loop {
            let left = items.saturating_sub(cursor.load(Ordering::Relaxed));
            if left == 0 {
                break;
            }
            let size = (left / (threads * 2)).clamp(1, largest);
            let start = cursor.fetch_add(size, Ordering::Relaxed);
            if start >= items {
                break;
            }
            work(start..items.min(start + size));
        }
    });
}

/// The dot products of `n` weight rows (at most [`ROWS_PER_UNIT`], whole rows of blocks in
/// `weights`) with activation rows `inputs` (at most [`MAX_BATCH`]): `out[i][r]` for input i and
/// weight row r.
/// By block type and batch size, the kernels keep one accumulator per input row in registers and
/// set up their constants once per call.
///
/// # Safety
/// The CPU must run the kernel of `activation`'s block type ([`Kind::runs`]).
unsafe fn dot(activation: &Activation, inputs: std::ops::Range<usize>, weights: &[u8], n: usize, out: &mut UnitValues) {
    macro_rules! by_batch {
        ($module:ident::$kernel:ident, $rows:expr, $($m:literal)*) => {{
            let rows = $rows;
            match rows.len() {
                $($m => {
                    if let Ok(rows) = <&[_; $m]>::try_from(rows) {
                        // SAFETY: the caller guarantees the CPU features.
                        unsafe { $module::$kernel::<$m>(weights, rows, n, out) };
                    }
                })*
                _ => unreachable!("gemv hands out at most MAX_BATCH rows at a time"),
            }
        }};
    }
    match activation {
        Activation::SuperBlocks(Kind::Q4K, rows) => by_batch!(superblock::dot_q4k, &rows[inputs], 1 2 3 4 5 6 7 8),
        Activation::SuperBlocks(Kind::Q4KRows16, rows) if level() == Some(Level::Avx2) => {
            by_batch!(interleaved::dot_q4k_avx2, &rows[inputs], 1 2 3 4 5 6 7 8)
        }
        Activation::SuperBlocks(Kind::Q4KRows16, rows) => {
            by_batch!(interleaved::dot_q4k, &rows[inputs], 1 2 3 4 5 6 7 8)
        }
        Activation::SuperBlocks(_, rows) => by_batch!(superblock::dot_q6k, &rows[inputs], 1 2 3 4 5 6 7 8),
        Activation::Pairs(Kind::Q8_0, rows) => by_batch!(pairs::dot_q8_0, &rows[inputs], 1 2 3 4 5 6 7 8),
        Activation::Pairs(_, rows) => by_batch!(pairs::dot_q5_0, &rows[inputs], 1 2 3 4 5 6 7 8),
    }
}

/// Writes `out[i][r]`, the sum of the 16 lanes of `acc[r][i]`, for the weight rows of a unit
/// (at most [`ROWS_PER_UNIT`]) and `M` activation rows. The rows are summed together, sixteen
/// at a time, in a transposing tree of 45 instructions: summing each register on its own took
/// about 20 per row, a tenth of the work where a row is only six blocks long (every matrix
/// of the 1.5B model but the feed-forward's down projection).
///
/// # Safety
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn store_lane_sums<const M: usize>(acc: &[[std::arch::x86_64::__m512; M]], out: &mut UnitValues) {
    use std::arch::x86_64::*;
    debug_assert!(acc.len() <= ROWS_PER_UNIT && M <= MAX_BATCH);
    for (i, out) in out.iter_mut().enumerate().take(M) {
        let v: [__m512; 16] = std::array::from_fn(|r| acc.get(r).map_or(_mm512_setzero_ps(), |a| a[i]));
        // Pairs: per 128-bit lane, the sums of lanes (0, 2) and (1, 3) of vectors 2k and 2k + 1.
        let t: [__m512; 8] = std::array::from_fn(|k| {
            _mm512_add_ps(_mm512_unpacklo_ps(v[2 * k], v[2 * k + 1]), _mm512_unpackhi_ps(v[2 * k], v[2 * k + 1]))
        });
        // Quads: per 128-bit lane, the lane's sum of vectors 4k .. 4k + 4.
        let u: [__m512; 4] = std::array::from_fn(|k| {
            let (x, y) = (t[2 * k], t[2 * k + 1]);
            _mm512_add_ps(_mm512_shuffle_ps::<0b01_00_01_00>(x, y), _mm512_shuffle_ps::<0b11_10_11_10>(x, y))
        });
        // Across the 128-bit lanes: lane 4m + j of the result sums vector 4m + j.
        let halves = |x: __m512, y: __m512| {
            _mm512_add_ps(_mm512_shuffle_f32x4::<0b10_00_10_00>(x, y), _mm512_shuffle_f32x4::<0b11_01_11_01>(x, y))
        };
        let sums = halves(halves(u[0], u[1]), halves(u[2], u[3]));
        // SAFETY: `out` holds ROWS_PER_UNIT = 16 floats.
        unsafe { _mm512_storeu_ps(out.as_mut_ptr(), sums) };
    }
}

/// The little-endian f16 at `at` in a block, as f32.
#[cfg(target_arch = "x86_64")]
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

#[cfg(test)]
mod tests {
    use candle_core::Device;

    use super::*;

    /// The exact product of the quantized weights with the activation rounded as ours rounds it
    /// (to the nearest of 127 steps of the largest magnitude of each activation block): the
    /// kernels compute that product in integers, so only float summation may differ.
    fn assert_exact(q: &QTensor, x: &Tensor, ours: &Tensor) {
        let block = Kind::of(q.dtype()).map_or(0, Kind::block_values);
        let xs: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
        let rounded: Vec<f32> = xs
            .chunks(block)
            .flat_map(|b| {
                let amax = b.iter().fold(0f32, |m, v| m.max(v.abs()));
                b.iter().map(move |v| (v * (127.0 / amax)).round_ties_even() * (amax / 127.0))
            })
            .collect();
        let rounded = Tensor::from_vec(rounded, x.dims(), &Device::Cpu).unwrap();
        let reference = rounded.broadcast_matmul(&q.dequantize(&Device::Cpu).unwrap().t().unwrap()).unwrap();
        assert_eq!(ours.dims(), reference.dims());
        let ours: Vec<f32> = ours.flatten_all().unwrap().to_vec1().unwrap();
        let reference: Vec<f32> = reference.flatten_all().unwrap().to_vec1().unwrap();
        let scale = reference.iter().fold(1f32, |m, v| m.max(v.abs()));
        for (r, (a, b)) in ours.iter().zip(&reference).enumerate() {
            assert!(
                (a - b).abs() <= 1e-4 * scale,
                "{:?} {:?}: value {r}: {a} vs {b} (scale {scale})",
                q.dtype(),
                q.shape()
            );
        }
    }

    #[test]
    fn computes_the_exact_product_with_the_rounded_activation() {
        if level() != Some(Level::Avx512Vnni) {
            eprintln!("skipped: this CPU lacks AVX-512 VNNI, and the kernels are never used on it");
            return;
        }
        for (dtype, n, k) in [
            (GgmlDType::Q4K, 48, 256),
            (GgmlDType::Q4K, 37, 1536),
            (GgmlDType::Q6K, 16, 2304),
            (GgmlDType::Q6K, 53, 512),
            (GgmlDType::Q8_0, 45, 896),
            (GgmlDType::Q8_0, 16, 64),
            (GgmlDType::Q5_0, 33, 896),
            (GgmlDType::Q5_0, 20, 4864),
        ] {
            let w = Tensor::randn(0f32, 1.0, (n, k), &Device::Cpu).unwrap();
            let x = ((Tensor::randn(0f32, 1.0, (1, k), &Device::Cpu).unwrap() * 3.0).unwrap() + 0.5).unwrap();
            let q = QTensor::quantize(&w, dtype).unwrap();
            assert!(applies(Weight::Quantized(&q), &x));
            assert_exact(&q, &x, &gemv(&[Weight::Quantized(&q)], &x).unwrap().remove(0));
        }
    }

    #[test]
    fn packed_q4_k_gives_the_exact_products_for_steps_and_prompt_chunks() {
        if !Kind::Q4KRows16.runs() {
            eprintln!("skipped: this CPU lacks AVX2, and the kernels are never used on it");
            return;
        }
        for (rows, cols) in [(16, 256), (48, 1536), (32, 768)] {
            // Scaled and shifted so that scales and minimums use all six bits.
            let w = ((Tensor::randn(0f32, 1.0, (rows, cols), &Device::Cpu).unwrap() * 4.0).unwrap() + 1.5).unwrap();
            let q = QTensor::quantize(&w, GgmlDType::Q4K).unwrap();
            let packed = pack(&q).unwrap().expect("a Q4_K matrix of 16-row groups packs");
            assert_eq!(packed.size_in_bytes(), q.storage_size_in_bytes());
            for batch in [1, 3, MAX_BATCH, 2 * MAX_BATCH + 3] {
                let x = Tensor::randn(0f32, 1.0, (1, batch, cols), &Device::Cpu).unwrap();
                assert!(applies(Weight::Packed(&packed), &x));
                assert_exact(&q, &x, &gemv(&[Weight::Packed(&packed)], &x).unwrap().remove(0));
            }
        }
    }

    /// The AVX2 kernel is called directly wherever the CPU has AVX2, so that CPUs with AVX-512,
    /// which never choose it, test it too.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn the_avx2_q4_k_kernel_gives_the_exact_product_on_any_avx2_cpu() {
        if !crate::has_avx2() {
            eprintln!("skipped: this CPU lacks AVX2");
            return;
        }
        const BATCH: usize = 3;
        let (rows, cols) = (32, 768);
        let w = ((Tensor::randn(0f32, 1.0, (rows, cols), &Device::Cpu).unwrap() * 4.0).unwrap() + 1.5).unwrap();
        let q = QTensor::quantize(&w, GgmlDType::Q4K).unwrap();
        let packed = interleaved::interleave(&q.data().unwrap(), rows, cols);
        let x = Tensor::randn(0f32, 1.0, (1, BATCH, cols), &Device::Cpu).unwrap();
        let xs: Vec<f32> = x.flatten_all().unwrap().to_vec1().unwrap();
        let activation: Vec<superblock::Row> =
            xs.chunks_exact(cols).map(|r| superblock::quantize(r, Kind::Q4KRows16)).collect();
        let activation: &[superblock::Row; BATCH] = activation.as_slice().try_into().unwrap();
        let unit_bytes = packed.len() / (rows / ROWS_PER_UNIT);
        let mut out = vec![0f32; BATCH * rows];
        for (unit, weights) in packed.chunks_exact(unit_bytes).enumerate() {
            let mut values: UnitValues = [[0f32; ROWS_PER_UNIT]; MAX_BATCH];
            // SAFETY: the CPU has AVX2, FMA and F16C (checked above); `weights` holds whole groups
            // and every activation row as many blocks as a row of the matrix.
            unsafe { interleaved::dot_q4k_avx2(weights, activation, ROWS_PER_UNIT, &mut values) };
            for (i, values) in values.iter().take(BATCH).enumerate() {
                out[i * rows + unit * ROWS_PER_UNIT..][..ROWS_PER_UNIT].copy_from_slice(values);
            }
        }
        assert_exact(&q, &x, &Tensor::from_vec(out, (1, BATCH, rows), &Device::Cpu).unwrap());
    }

    #[test]
    fn only_q4_k_matrices_of_whole_row_groups_pack() {
        let zeros = |rows: usize, dtype| {
            QTensor::quantize(&Tensor::zeros((rows, 256), candle_core::DType::F32, &Device::Cpu).unwrap(), dtype)
                .unwrap()
        };
        assert!(pack(&zeros(24, GgmlDType::Q4K)).unwrap().is_none());
        assert!(pack(&zeros(16, GgmlDType::Q6K)).unwrap().is_none());
        assert_eq!(pack(&zeros(32, GgmlDType::Q4K)).unwrap().is_some(), Kind::Q4KRows16.runs());
    }

    #[test]
    fn prompt_chunks_of_q8_0_and_q5_0_run_here_in_batches() {
        if level() != Some(Level::Avx512Vnni) {
            eprintln!("skipped: this CPU lacks AVX-512 VNNI, and the kernels are never used on it");
            return;
        }
        for dtype in [GgmlDType::Q8_0, GgmlDType::Q5_0] {
            let q = QTensor::quantize(&Tensor::randn(0f32, 1.0, (40, 896), &Device::Cpu).unwrap(), dtype).unwrap();
            let x = Tensor::randn(0f32, 1.0, (1, 2 * MAX_BATCH + 3, 896), &Device::Cpu).unwrap();
            assert!(applies(Weight::Quantized(&q), &x));
            assert_exact(&q, &x, &gemv(&[Weight::Quantized(&q)], &x).unwrap().remove(0));
        }
    }

    #[test]
    fn does_not_apply_to_long_k_quant_batches_or_other_types_or_widths() {
        let w = Tensor::randn(0f32, 1.0, (32, 256), &Device::Cpu).unwrap();
        let long = Tensor::zeros((1, MAX_BATCH + 1, 256), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(!applies(Weight::Quantized(&QTensor::quantize(&w, GgmlDType::Q4K).unwrap()), &long));
        let one_row = Tensor::zeros((1, 256), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(!applies(Weight::Quantized(&QTensor::quantize(&w, GgmlDType::Q4_0).unwrap()), &one_row));
        let odd_width = Tensor::randn(0f32, 1.0, (32, 96), &Device::Cpu).unwrap();
        let one_row = Tensor::zeros((1, 96), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert!(!applies(Weight::Quantized(&QTensor::quantize(&odd_width, GgmlDType::Q8_0).unwrap()), &one_row));
    }

    #[test]
    fn a_fused_call_may_mix_block_types() {
        if level() != Some(Level::Avx512Vnni) {
            eprintln!("skipped: this CPU lacks AVX-512 VNNI, and the kernels are never used on it");
            return;
        }
        let x = Tensor::randn(0f32, 1.0, (1, 512), &Device::Cpu).unwrap();
        let weights: Vec<QTensor> =
            [(GgmlDType::Q4K, 32), (GgmlDType::Q6K, 48), (GgmlDType::Q8_0, 24), (GgmlDType::Q5_0, 40)]
                .into_iter()
                .map(|(dtype, n)| {
                    QTensor::quantize(&Tensor::randn(0f32, 1.0, (n, 512), &Device::Cpu).unwrap(), dtype).unwrap()
                })
                .collect();
        let packed = pack(&weights[0]).unwrap().expect("32 rows of Q4_K pack");
        let operands: Vec<Weight<'_>> =
            weights.iter().map(Weight::Quantized).chain([Weight::Packed(&packed)]).collect();
        let fused = gemv(&operands, &x).unwrap();
        for (f, &w) in fused.iter().zip(&operands) {
            let alone = gemv(&[w], &x).unwrap().remove(0);
            let f: Vec<f32> = f.flatten_all().unwrap().to_vec1().unwrap();
            assert_eq!(f, alone.flatten_all().unwrap().to_vec1::<f32>().unwrap(), "{w:?}");
        }
    }

    #[test]
    fn each_row_of_a_batch_gets_what_it_would_get_alone() {
        if level() != Some(Level::Avx512Vnni) {
            eprintln!("skipped: this CPU lacks AVX-512 VNNI, and the kernels are never used on it");
            return;
        }
        for dtype in [GgmlDType::Q4K, GgmlDType::Q6K, GgmlDType::Q8_0, GgmlDType::Q5_0] {
            let q = QTensor::quantize(&Tensor::randn(0f32, 1.0, (40, 768), &Device::Cpu).unwrap(), dtype).unwrap();
            for batch in [2, 5, MAX_BATCH] {
                let x = Tensor::randn(0f32, 1.0, (1, batch, 768), &Device::Cpu).unwrap();
                assert!(applies(Weight::Quantized(&q), &x));
                let together = gemv(&[Weight::Quantized(&q)], &x).unwrap().remove(0);
                assert_eq!(together.dims(), &[1, batch, 40]);
                for i in 0..batch {
                    let alone = gemv(&[Weight::Quantized(&q)], &x.narrow(1, i, 1).unwrap()).unwrap().remove(0);
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
