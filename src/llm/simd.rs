//! Which SIMD paths the quantized kernels can use. They are chosen at compile time
//! (`.cargo/config.toml` sets `target-cpu=native`), so a binary built elsewhere may leave the
//! host's vector units idle; the start-up log says so.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct SimdSummary {
    /// Instruction sets the binary was compiled to use.
    pub compiled: Vec<&'static str>,
    /// Instruction sets the CPU offers that the binary does not use.
    pub unused_by_build: Vec<&'static str>,
    /// Threads candle's CPU kernels use.
    pub threads: usize,
}

pub fn simd_summary() -> SimdSummary {
    let (compiled, unused_by_build) = features();
    SimdSummary { compiled, unused_by_build, threads: candle_core::utils::get_num_threads() }
}

#[cfg(target_arch = "x86_64")]
fn features() -> (Vec<&'static str>, Vec<&'static str>) {
    macro_rules! check {
        ($($feature:tt),*) => {{
            let mut compiled = Vec::new();
            let mut unused = Vec::new();
            $(
                if cfg!(target_feature = $feature) {
                    compiled.push($feature);
                } else if std::arch::is_x86_feature_detected!($feature) {
                    unused.push($feature);
                }
            )*
            (compiled, unused)
        }};
    }
    check!("sse3", "avx", "avx2", "fma", "f16c", "avx512f", "avx512bw", "avx512vl", "avx512vnni")
}

#[cfg(target_arch = "aarch64")]
fn features() -> (Vec<&'static str>, Vec<&'static str>) {
    let compiled = [("neon", cfg!(target_feature = "neon")), ("dotprod", cfg!(target_feature = "dotprod"))];
    (compiled.into_iter().filter(|(_, on)| *on).map(|(name, _)| name).collect(), Vec::new())
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn features() -> (Vec<&'static str>, Vec<&'static str>) {
    (Vec::new(), Vec::new())
}

/// Logs the summary once per process (model loads call it).
pub fn log_once() {
    static LOGGED: std::sync::Once = std::sync::Once::new();
    LOGGED.call_once(|| {
        let s = simd_summary();
        tracing::info!(
            compiled = %s.compiled.join(" "),
            threads = s.threads,
            "SIMD paths active for candle's CPU kernels"
        );
        if !s.unused_by_build.is_empty() {
            tracing::warn!(
                unused = %s.unused_by_build.join(" "),
                "this CPU offers vector instructions the build does not use; build with -C target-cpu=native"
            );
        }
    });
}
