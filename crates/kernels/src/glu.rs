//! The elementwise step of a SiLU-gated feed-forward block, `silu(gate) ⊙ up`, in one pass with a
//! vectorised `exp`. Through candle it was three passes (libm's scalar `expf` for the SiLU, then
//! the product) with two temporary tensors, on one thread between two parallel matrix products.

use candle_core::{DType, Result, Tensor};

/// True when [`silu_mul`] runs here: f32 tensors of one shape on the CPU, and AVX-512F.
pub fn applies(gate: &Tensor, up: &Tensor) -> bool {
    #[cfg(target_arch = "x86_64")]
    let vectors = is_x86_feature_detected!("avx512f");
    #[cfg(not(target_arch = "x86_64"))]
    let vectors = false;
    vectors
        && gate.device().is_cpu()
        && up.device().is_cpu()
        && gate.dtype() == DType::F32
        && up.dtype() == DType::F32
        && gate.dims() == up.dims()
}

/// `silu(gate) · up` elementwise, `silu(g) = g / (1 + e⁻ᵍ)`. Callers check [`applies`] first.
pub fn silu_mul(gate: &Tensor, up: &Tensor) -> Result<Tensor> {
    if !applies(gate, up) {
        candle_core::bail!("silu_mul: needs f32 tensors of one shape on an AVX-512 CPU");
    }
    let mut out = gate.flatten_all()?.to_vec1::<f32>()?;
    let up_values = up.flatten_all()?.to_vec1::<f32>()?;
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `applies` checked AVX-512F.
    unsafe {
        silu_mul_in_place(&mut out, &up_values)
    };
    Tensor::from_vec(out, gate.dims(), gate.device())
}

/// `gate[i] = silu(gate[i]) · up[i]`.
///
/// # Safety
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn silu_mul_in_place(gate: &mut [f32], up: &[f32]) {
    use std::arch::x86_64::*;
    let n = gate.len().min(up.len());
    let one = _mm512_set1_ps(1.0);
    // SAFETY: every masked load and store stays within the first `n` values of both slices.
    unsafe {
        for at in (0..n).step_by(16) {
            let mask = crate::lanes_within(n, at);
            let g = _mm512_maskz_loadu_ps(mask, gate.as_ptr().add(at));
            let u = _mm512_maskz_loadu_ps(mask, up.as_ptr().add(at));
            let sigmoid_denominator = _mm512_add_ps(one, crate::exp::exp(_mm512_sub_ps(_mm512_setzero_ps(), g)));
            let silu = _mm512_div_ps(g, sigmoid_denominator);
            _mm512_mask_storeu_ps(gate.as_mut_ptr().add(at), mask, _mm512_mul_ps(silu, u));
        }
    }
}

#[cfg(test)]
mod tests {
    use candle_core::Device;

    use super::*;

    #[test]
    fn equals_candles_silu_times_up() {
        // Odd length for the masked tail; wide range for exp's overflow and underflow.
        let gate = (Tensor::randn(0f32, 1.0, (3, 1001), &Device::Cpu).unwrap() * 30.0).unwrap();
        let up = Tensor::randn(0f32, 1.0, (3, 1001), &Device::Cpu).unwrap();
        if !applies(&gate, &up) {
            return;
        }
        let ours: Vec<f32> = silu_mul(&gate, &up).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        let reference = (candle_nn::ops::silu(&gate).unwrap() * &up).unwrap();
        let reference: Vec<f32> = reference.flatten_all().unwrap().to_vec1().unwrap();
        for (i, (a, b)) in ours.iter().zip(&reference).enumerate() {
            assert!((a - b).abs() <= 1e-6 * b.abs().max(1e-3), "value {i}: {a} vs {b}");
        }
        let extremes = Tensor::new(&[[-1e4f32, -100.0, 0.0, 100.0, 1e4]], &Device::Cpu).unwrap();
        let ones = Tensor::ones((1, 5), DType::F32, &Device::Cpu).unwrap();
        let ours: Vec<f32> = silu_mul(&extremes, &ones).unwrap().flatten_all().unwrap().to_vec1().unwrap();
        assert_eq!(ours, [-0.0, -0.0, 0.0, 100.0, 1e4]);
        assert!(!applies(&gate, &extremes));
    }
}
