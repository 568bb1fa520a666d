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

/// The instruction sets a CPU's kernels use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// AVX-512 F, BW and VNNI: every kernel.
    Avx512Vnni,
    /// AVX2, FMA and F16C alone: the interleaved Q4_K products ([`gemv`]) and the encoder's
    /// 8-bit products ([`encoder::int8`]); the other block types stay with candle's kernels.
    Avx2,
}

/// Which instruction sets this CPU's kernels use, if any (checked once).
pub(crate) fn level() -> Option<Level> {
    #[cfg(target_arch = "x86_64")]
    {
        static LEVEL: std::sync::OnceLock<Option<Level>> = std::sync::OnceLock::new();
        *LEVEL.get_or_init(|| {
            if is_x86_feature_detected!("avx512f")
                && is_x86_feature_detected!("avx512bw")
                && is_x86_feature_detected!("avx512vnni")
            {
                Some(Level::Avx512Vnni)
            } else if has_avx2() {
                Some(Level::Avx2)
            } else {
                None
            }
        })
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        None
    }
}

/// Whether the CPU has what the [`Level::Avx2`] kernels need (AVX2, FMA, F16C); AVX-512 CPUs
/// have it too, and their tests run those kernels directly.
pub(crate) fn has_avx2() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") && is_x86_feature_detected!("f16c")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

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
