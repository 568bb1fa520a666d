//! The encoder's hot loops, for the sentence embedder's own BERT forward pass: attention within
//! each text of a batch laid end to end, layer norms and GELU, each split over candle's thread
//! pool (the one its matmul uses, so no second pool competes for the cores). Here rather than
//! in the embedder so that test builds optimise them (at opt-level 0 one restart's embedding
//! backlog took minutes).

pub mod int8;
mod math;

use crate::SharedMut;

use math::exp_in_place;
pub use math::{gelu_in_place, layer_norm};

/// Query rows that share each load of a key or value row in the attention.
const QUERY_ROWS: usize = 4;
/// Keys whose scores one register holds.
const KEY_LANES: usize = 16;

/// `softmax(q kᵀ / √d) v` per head within each span of token rows; (tokens × hidden). Units of
/// (span, head) are split over candle's pool.
pub fn attention(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    spans: &[std::ops::Range<usize>],
    h: usize,
    heads: usize,
) -> Vec<f32> {
    let mut context = vec![0f32; q.len()];
    let out = SharedMut(context.as_mut_ptr());
    let d = h / heads;
    candle_core::utils::barrier_pool().execute_chunked(spans.len() * heads, |units| {
        let mut scratch = HeadScratch::default();
        for unit in units {
            let (span, col) = (&spans[unit / heads], (unit % heads) * d);
            // The head size as a constant where it is a common one, so that the compiler keeps
            // a block's sums in registers.
            match d {
                32 => attend_head(32, h, q, k, v, span, col, &out, &mut scratch),
                64 => attend_head(64, h, q, k, v, span, col, &out, &mut scratch),
                d => attend_head(d, h, q, k, v, span, col, &out, &mut scratch),
            }
        }
    });
    context
}

#[derive(Default)]
struct HeadScratch {
    /// Scaled queries, (rows rounded up to QUERY_ROWS) × d, zero-padded.
    queries: Vec<f32>,
    /// Keys transposed, d × (keys rounded up to KEY_LANES), zero-padded.
    keys: Vec<f32>,
    /// QUERY_ROWS rows of scores, then probabilities.
    scores: Vec<f32>,
    context: Vec<f32>,
}

/// One head's attention over one span, written to columns `col..col + d` of its rows of `out`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn attend_head(
    d: usize,
    h: usize,
    q: &[f32],
    k: &[f32],
    v: &[f32],
    span: &std::ops::Range<usize>,
    col: usize,
    out: &SharedMut,
    s: &mut HeadScratch,
) {
    let n = span.len();
    let padded = n.div_ceil(KEY_LANES) * KEY_LANES;
    let scale = 1.0 / (d as f32).sqrt();
    s.queries.clear();
    s.queries.resize(n.div_ceil(QUERY_ROWS) * QUERY_ROWS * d, 0.0);
    s.keys.clear();
    s.keys.resize(d * padded, 0.0);
    for (j, t) in span.clone().enumerate() {
        let (query, key) = (&q[t * h + col..][..d], &k[t * h + col..][..d]);
        s.queries[j * d..(j + 1) * d].iter_mut().zip(query).for_each(|(a, b)| *a = b * scale);
        for (e, &value) in key.iter().enumerate() {
            s.keys[e * padded + j] = value;
        }
    }
    s.scores.resize(QUERY_ROWS * padded, 0.0);
    s.context.resize(QUERY_ROWS * d, 0.0);
    for first in (0..n).step_by(QUERY_ROWS) {
        // Scores of QUERY_ROWS queries against KEY_LANES keys at a time, summed in registers.
        for j0 in (0..padded).step_by(KEY_LANES) {
            let mut sums = [[0f32; KEY_LANES]; QUERY_ROWS];
            for e in 0..d {
                let keys = &s.keys[e * padded + j0..][..KEY_LANES];
                for (r, sum) in sums.iter_mut().enumerate() {
                    let query = s.queries[(first + r) * d + e];
                    sum.iter_mut().zip(keys).for_each(|(a, key)| *a += query * key);
                }
            }
            for (r, sum) in sums.iter().enumerate() {
                s.scores[r * padded + j0..][..KEY_LANES].copy_from_slice(sum);
            }
        }
        let rows = QUERY_ROWS.min(n - first);
        for r in 0..rows {
            let scores = &mut s.scores[r * padded..r * padded + n];
            let max = scores.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            scores.iter_mut().for_each(|x| *x -= max);
            exp_in_place(scores);
            let inverse = 1.0 / scores.iter().sum::<f32>();
            scores.iter_mut().for_each(|x| *x *= inverse);
        }
        // Each value row, loaded once, weighted into the QUERY_ROWS context rows.
        s.context.fill(0.0);
        for (j, t) in span.clone().enumerate() {
            let value = &v[t * h + col..][..d];
            for r in 0..QUERY_ROWS {
                let p = s.scores[r * padded + j];
                s.context[r * d..(r + 1) * d].iter_mut().zip(value).for_each(|(c, x)| *c += p * x);
            }
        }
        for r in 0..rows {
            let t = span.start + first + r;
            // SAFETY: each (span, head) unit is handed out once by `execute_chunked`; it alone
            // writes columns col..col + d of its span's rows, which lie within the output
            // (t < tokens, col + d <= h).
            let target = unsafe { std::slice::from_raw_parts_mut(out.get().add(t * h + col), d) };
            target.copy_from_slice(&s.context[r * d..(r + 1) * d]);
        }
    }
}

/// Runs `f(row index, row)` on each `width`-long row of `data`, the rows split over candle's
/// thread pool.
pub fn for_each_row(data: &mut [f32], width: usize, f: impl Fn(usize, &mut [f32]) + Sync) {
    let rows = data.len() / width;
    let base = SharedMut(data.as_mut_ptr());
    candle_core::utils::barrier_pool().execute_chunked(rows, |range| {
        for r in range {
            // SAFETY: `execute_chunked` hands out each row index once, and row r lies within
            // `data` (r < rows = len / width).
            f(r, unsafe { std::slice::from_raw_parts_mut(base.get().add(r * width), width) });
        }
    });
}
