//! The hot loops of ablauf's CPU inference, on candle tensors: products of GGUF-quantized weights
//! with a few activation rows ([`gemv`]), the attention of a decoding step's rows against the KV
//! cache read in place ([`attention`]), the gated feed-forward's elementwise step ([`glu`]), and
//! the sentence embedder's encoder steps ([`encoder`]).
//! Each entry point has an `applies` check; where it says no (another CPU, device or type), the
//! caller uses candle's own operations.

pub mod attention;
pub mod encoder;
mod exp;
pub mod gemv;
pub mod glu;

/// The threads a parallel region on candle's pool runs on: its workers and the calling thread,
/// which takes work too.
fn pool_threads() -> usize {
    candle_core::utils::barrier_pool().n_workers() + 1
}

/// The mask of the lanes of a 16-float vector starting at value `at` that lie within the first
/// `len` values: all 16 but at the tail.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn lanes_within(len: usize, at: usize) -> u16 {
    let n = len.saturating_sub(at).min(16);
    if n == 16 { u16::MAX } else { (1u16 << n) - 1 }
}

/// A pointer to memory whose disjoint parts several threads write.
pub(crate) struct SharedMut<T = f32>(*mut T);

// SAFETY: only used where each thread writes parts no other thread touches (see the callers).
unsafe impl<T> Sync for SharedMut<T> {}

impl<T> SharedMut<T> {
    /// A method, not a field access, so that closures capture the `Sync` wrapper.
    pub(crate) fn get(&self) -> *mut T {
        self.0
    }
}
