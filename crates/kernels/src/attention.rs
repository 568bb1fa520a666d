//! Attention of the few query rows of a decoding step against the KV cache, on the CPU.
//!
//! Through candle, a decoding step's attention is two f32 matmuls whose key operand is a
//! transposed view of the cache: the gemm packs (copies) every cached key and value for every
//! layer and token, on one thread, while the other threads wait. At a draft's context of 700–900
//! positions that was a sixth of the decoding time. Here each query head reads the cache buffers
//! in place, the heads are split over candle's thread pool, and the causal and sliding-window
//! masks are bounds of the key range instead of an added tensor.
//! Prompt chunks (more rows than [`crate::gemv::MAX_BATCH`]) keep candle's matmuls, where the
//! gemm's packing pays off.

use candle_core::{DType, Result, Storage, Tensor};

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
        let out_ptr = out.as_mut_ptr() as usize;
        candle_core::utils::barrier_pool().execute_chunked(heads * seq, |range| {
            let mut scores = Vec::new();
            for unit in range {
                let (head, row) = (unit / seq, unit % seq);
                let kv = (head / group) * capacity * dim;
                let query = &q_all[(head * seq + row) * dim..][..dim];
                let keys = span.keys(row);
                scores.clear();
                scores.extend(keys.clone().map(|j| scale * dot(query, &k_all[kv + j * dim..][..dim])));
                softmax(&mut scores);
                // SAFETY: each (head, row) unit alone writes its `dim` values of `out`, which
                // outlives the parallel region.
                let target = unsafe {
                    std::slice::from_raw_parts_mut((out_ptr as *mut f32).add((row * heads + head) * dim), dim)
                };
                for (w, j) in scores.iter().zip(keys) {
                    for (t, v) in target.iter_mut().zip(&v_all[kv + j * dim..][..dim]) {
                        *t += w * v;
                    }
                }
            }
        });
    }
    Tensor::from_vec(out, (1, seq, heads * dim), q.device())
}

/// A dot product in 16 independent lanes, so that it compiles to vector instructions.
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut lanes = [0f32; 16];
    let (a16, a_rest) = a.split_at(a.len() - a.len() % 16);
    let (b16, b_rest) = b.split_at(a16.len());
    for (x, y) in a16.chunks_exact(16).zip(b16.chunks_exact(16)) {
        for i in 0..16 {
            lanes[i] += x[i] * y[i];
        }
    }
    lanes.iter().sum::<f32>() + a_rest.iter().zip(b_rest).map(|(x, y)| x * y).sum::<f32>()
}

fn softmax(values: &mut [f32]) {
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
        let (heads, kv_heads, dim, capacity) = (6, 2, 40, 64);
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
            assert!(worst < 1e-5, "seq {seq}, {span:?}: max difference {worst}");
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
