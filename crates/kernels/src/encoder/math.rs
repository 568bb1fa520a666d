//! The elementwise steps of the encoder, written so that the compiler vectorises them: no
//! calls into libm per value (its `erff` and `expf` took a sixth of candle's encoder time),
//! and sums kept in 16 partial lanes.

const LANES: usize = 16;

/// `e^x` for each value, within 2 ulp on [−87, 88]; below −87 it gives e^−87 (1.6e-38), which
/// the softmax and the erf here cannot tell from 0.
pub fn exp_in_place(values: &mut [f32]) {
    for v in values {
        *v = exp(*v);
    }
}

#[inline(always)]
fn exp(x: f32) -> f32 {
    const LOG2_E: f32 = std::f32::consts::LOG2_E;
    // ln 2 in two parts, so that n · ln 2 is exact in the first.
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    let x = x.clamp(-87.0, 88.0);
    // Round to nearest by adding and subtracting 1.5 · 2^23 (the sum has no bits below 1):
    // `round_ties_even` became a call to libm's `rintf` per value instead of a vector op.
    const ROUND: f32 = 12_582_912.0;
    let n = (x * LOG2_E + ROUND) - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    // e^r on |r| ≤ ln 2 / 2: Taylor to the 7th power (error below 1.5e-8 relative).
    let p = 1.0
        + r * (1.0
            + r * (0.5
                + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0 + r * (1.0 / 5040.0)))))));
    p * f32::from_bits(((n as i32 + 127) as u32) << 23)
}

/// `erf(x)` within 1.5e-7 (Abramowitz & Stegun 7.1.26).
#[inline(always)]
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly = t * (0.254_829_6 + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152 + t * 1.061_405_4))));
    let y = 1.0 - poly * exp(-a * a);
    y.copysign(x)
}

/// GELU as BERT defines it, `x · Φ(x) = x/2 · (1 + erf(x/√2))`, in place.
pub fn gelu_in_place(values: &mut [f32]) {
    for v in values {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// `row = LayerNorm(row + residual)` with the given weight and bias.
pub fn layer_norm(row: &mut [f32], residual: Option<&[f32]>, weight: &[f32], bias: &[f32], eps: f32) {
    if let Some(residual) = residual {
        row.iter_mut().zip(residual).for_each(|(v, r)| *v += r);
    }
    let n = row.len() as f32;
    let mean = sum_of(row, |v| v) / n;
    let variance = sum_of(row, |v| (v - mean) * (v - mean)) / n;
    let inverse = 1.0 / (variance + eps).sqrt();
    for ((v, w), b) in row.iter_mut().zip(weight).zip(bias) {
        *v = (*v - mean) * inverse * w + b;
    }
}

/// The sum of `f(v)` over `values`, in 16 partial lanes (a single running sum cannot be
/// vectorised).
#[inline(always)]
fn sum_of(values: &[f32], f: impl Fn(f32) -> f32) -> f32 {
    let chunks = values.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().map(|&v| f(v)).sum();
    let mut lanes = [0f32; LANES];
    for chunk in chunks {
        for (lane, &v) in lanes.iter_mut().zip(chunk) {
            *lane += f(v);
        }
    }
    lanes.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_is_within_two_ulp_of_std() {
        let mut x = -87.0f32;
        while x < 88.0 {
            let mut ours = [x];
            exp_in_place(&mut ours);
            let reference = x.exp();
            assert!((ours[0] - reference).abs() <= 2.5e-7 * reference, "exp({x}) = {} vs {reference}", ours[0]);
            x += 0.013;
        }
    }

    #[test]
    fn gelu_matches_the_exact_erf() {
        let mut x = -10.0f32;
        while x < 10.0 {
            let exact = 0.5 * f64::from(x) * (1.0 + candle_core::cpu::erf::erf_f64(f64::from(x) / 2f64.sqrt()));
            let mut ours = [x];
            gelu_in_place(&mut ours);
            assert!(
                (f64::from(ours[0]) - exact).abs() <= 1e-6 * (1.0 + exact.abs()),
                "gelu({x}) = {} vs {exact}",
                ours[0]
            );
            x += 0.0037;
        }
    }

    #[test]
    fn layer_norm_centres_and_scales() {
        let mut row: Vec<f32> = (0..384).map(|i| (i as f32 * 0.37).sin() * 3.0 + 1.0).collect();
        let ones = vec![1.0; 384];
        let zeros = vec![0.0; 384];
        layer_norm(&mut row, Some(&ones), &ones, &zeros, 1e-12);
        let mean = row.iter().sum::<f32>() / 384.0;
        let variance = row.iter().map(|v| (v - mean) * (v - mean)).sum::<f32>() / 384.0;
        assert!(mean.abs() < 1e-5 && (variance - 1.0).abs() < 1e-4, "mean {mean}, variance {variance}");
    }
}
