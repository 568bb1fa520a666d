//! Which SIMD paths the quantized kernels can use. candle's are chosen at compile time
//! (`.cargo/config.toml` sets the portable `x86-64-v3`: AVX2 and FMA), ablauf-kernels' AVX-512
//! paths at run time; the start-up log names both, and warns where the build leaves candle's
//! vector paths off on a CPU that has them.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct SimdSummary {
    /// Instruction sets the binary was compiled to use.
    pub compiled: Vec<&'static str>,
    /// Instruction sets the CPU offers that candle's kernels would use but the build does not.
    pub unused_by_build: Vec<&'static str>,
    /// AVX-512 instruction sets ablauf-kernels found on this CPU at run time.
    pub run_time: Vec<&'static str>,
    /// Threads candle's CPU kernels use.
    pub threads: usize,
}

pub fn simd_summary() -> SimdSummary {
    let (compiled, unused_by_build, run_time) = features();
    SimdSummary { compiled, unused_by_build, run_time, threads: candle_core::utils::get_num_threads() }
}

type Features = (Vec<&'static str>, Vec<&'static str>, Vec<&'static str>);

#[cfg(target_arch = "x86_64")]
fn features() -> Features {
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
    let (compiled, unused) = check!("sse3", "avx", "avx2", "fma", "f16c");
    let mut run_time = Vec::new();
    macro_rules! detect {
        ($($feature:tt),*) => {$(
            if std::arch::is_x86_feature_detected!($feature) {
                run_time.push($feature);
            }
        )*};
    }
    detect!("avx512f", "avx512bw", "avx512vnni");
    (compiled, unused, run_time)
}

#[cfg(target_arch = "aarch64")]
fn features() -> Features {
    let compiled = [("neon", cfg!(target_feature = "neon")), ("dotprod", cfg!(target_feature = "dotprod"))];
    (compiled.into_iter().filter(|(_, on)| *on).map(|(name, _)| name).collect(), Vec::new(), Vec::new())
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
fn features() -> Features {
    (Vec::new(), Vec::new(), Vec::new())
}

/// Logs the summary once per process (model loads call it).
pub fn log_once() {
    static LOGGED: std::sync::Once = std::sync::Once::new();
    LOGGED.call_once(|| {
        let s = simd_summary();
        tracing::info!(
            compiled = %s.compiled.join(" "),
            run_time = %s.run_time.join(" "),
            threads = s.threads,
            "SIMD paths: compiled for candle's CPU kernels, chosen at run time for ablauf's"
        );
        if !s.unused_by_build.is_empty() {
            tracing::warn!(
                unused = %s.unused_by_build.join(" "),
                "this CPU offers vector instructions the build does not use; build with -C target-cpu=native"
            );
        }
    });
}
