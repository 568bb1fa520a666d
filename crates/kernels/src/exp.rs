//! `exp` on sixteen floats at once (libm's is scalar): `exp(x) = 2ⁿ · 2ᶠ` with `n` the nearest
//! integer to `x · log₂e` and `2ᶠ`, `|f| ≤ ½`, from its Taylor polynomial of degree 7 (relative
//! error below 10⁻⁸). Large arguments overflow to infinity and very negative ones reach zero,
//! as `expf` does; infinite arguments are not expected.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

const LN2_POWERS_OVER_FACTORIALS: [f32; 8] =
    [1.0, std::f32::consts::LN_2, 0.240_226_5, 0.055_504_11, 0.009_618_129, 0.001_333_356, 1.540_353e-4, 1.525_273e-5];

/// # Safety
/// The CPU must have AVX-512F.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(crate) unsafe fn exp(x: __m512) -> __m512 {
    // SAFETY: the caller guarantees AVX-512F.
    unsafe {
        let t = _mm512_mul_ps(x, _mm512_set1_ps(std::f32::consts::LOG2_E));
        let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(t);
        let f = _mm512_sub_ps(t, n);
        let mut p = _mm512_set1_ps(LN2_POWERS_OVER_FACTORIALS[7]);
        for c in LN2_POWERS_OVER_FACTORIALS[..7].iter().rev() {
            p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(*c));
        }
        _mm512_scalef_ps(p, n)
    }
}
