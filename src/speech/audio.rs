//! Audio in: a WAV file (any rate, 8–32-bit integer or float, mono or more channels) becomes
//! 16-kHz mono samples in [-1, 1], what Whisper hears. hound reads the file, rubato resamples.

use std::io::Cursor;

use rubato::{FftFixedIn, Resampler};

use super::SpeechError;
use super::segment::RATE;

/// Reads and decodes the WAV file at `path` into 16-kHz mono samples; errors name the file.
pub fn read_wav(path: &std::path::Path) -> Result<Vec<f32>, SpeechError> {
    let bytes = std::fs::read(path).map_err(|e| SpeechError::Format(format!("cannot read {}: {e}", path.display())))?;
    decode_wav(&bytes).map_err(|e| SpeechError::Format(format!("{}: {e}", path.display())))
}

/// Decodes a WAV file into 16-kHz mono samples.
pub fn decode_wav(bytes: &[u8]) -> Result<Vec<f32>, SpeechError> {
    let mut reader = hound::WavReader::new(Cursor::new(bytes))
        .map_err(|e| SpeechError::Format(format!("not a WAV file the server can read: {e}")))?;
    let spec = reader.spec();
    let bad = |e: hound::Error| SpeechError::Format(format!("the WAV data is damaged: {e}"));
    let interleaved: Vec<f32> = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().collect::<Result<_, _>>().map_err(bad)?,
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1u64 << (spec.bits_per_sample - 1)) as f32;
            reader.samples::<i32>().map(|s| s.map(|s| s as f32 * scale)).collect::<Result<_, _>>().map_err(bad)?
        }
    };
    let channels = spec.channels.max(1) as usize;
    let mono: Vec<f32> =
        interleaved.chunks(channels).map(|frame| frame.iter().sum::<f32>() / channels as f32).collect();
    resample(&mono, spec.sample_rate as usize)
}

/// Mono samples at `rate` as 16-kHz samples.
pub fn resample(samples: &[f32], rate: usize) -> Result<Vec<f32>, SpeechError> {
    if rate == RATE || samples.is_empty() {
        return Ok(samples.to_vec());
    }
    if !(4_000..=384_000).contains(&rate) {
        return Err(SpeechError::Format(format!("a sample rate of {rate} Hz is not supported (4–384 kHz)")));
    }
    let resampling = |e: &dyn std::fmt::Display| SpeechError::Format(format!("cannot resample {rate} Hz audio: {e}"));
    let mut resampler = FftFixedIn::<f32>::new(rate, RATE, 1024, 2, 1).map_err(|e| resampling(&e))?;
    let expected = (samples.len() as u64 * RATE as u64 / rate as u64) as usize;
    let delay = resampler.output_delay();
    let mut out = Vec::with_capacity(expected + delay + 2048);
    let mut rest = samples;
    while rest.len() >= resampler.input_frames_next() {
        let (chunk, after) = rest.split_at(resampler.input_frames_next());
        out.extend_from_slice(&resampler.process(&[chunk], None).map_err(|e| resampling(&e))?[0]);
        rest = after;
    }
    out.extend_from_slice(&resampler.process_partial(Some(&[rest]), None).map_err(|e| resampling(&e))?[0]);
    // The filter's delay still holds the last samples: flush them out.
    while out.len() < expected + delay {
        let tail = resampler.process_partial::<&[f32]>(None, None).map_err(|e| resampling(&e))?;
        out.extend_from_slice(&tail[0]);
    }
    Ok(out[delay..delay + expected].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: usize, seconds: f32, hz: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize)
            .map(|i| 0.5 * (i as f32 * hz * std::f32::consts::TAU / rate as f32).sin())
            .collect()
    }

    fn wav(samples: &[f32], rate: u32, channels: u16, bits: u16) -> Vec<u8> {
        let spec = hound::WavSpec {
            channels,
            sample_rate: rate,
            bits_per_sample: bits,
            sample_format: hound::SampleFormat::Int,
        };
        let mut out = Cursor::new(Vec::new());
        let mut writer = hound::WavWriter::new(&mut out, spec).unwrap();
        for s in samples {
            for _ in 0..channels {
                writer.write_sample((s * ((1 << (bits - 1)) - 1) as f32) as i32).unwrap();
            }
        }
        writer.finalize().unwrap();
        out.into_inner()
    }

    #[test]
    fn any_rate_and_layout_becomes_16_khz_mono_with_the_same_sound() {
        let reference = tone(RATE, 1.0, 440.0);
        for (rate, channels, bits) in [(16_000, 1, 16), (44_100, 2, 16), (48_000, 1, 24), (8_000, 1, 8)] {
            let decoded = decode_wav(&wav(&tone(rate as usize, 1.0, 440.0), rate, channels, bits)).unwrap();
            assert!((decoded.len() as i64 - RATE as i64).abs() <= 1, "{rate} Hz: {} samples", decoded.len());
            // The same tone, in phase (within a fraction of a sample): correlate away from the edges.
            let (a, b) = (&decoded[800..15_000], &reference[800..15_000]);
            let dot = |x: &[f32], y: &[f32]| x.iter().zip(y).map(|(p, q)| p * q).sum::<f32>();
            let correlation = dot(a, b) / (dot(a, a) * dot(b, b)).sqrt();
            let level = (dot(a, a) / dot(b, b)).sqrt();
            assert!(correlation > 0.995, "{rate} Hz, {channels} channels, {bits} bits: correlation {correlation}");
            assert!((level - 1.0).abs() < 0.02, "{rate} Hz: level {level}");
        }
    }

    #[test]
    fn what_is_not_a_wav_file_is_named() {
        for bytes in [&b"OggS\0\0\0\0"[..], b"", b"RIFF\x10\0\0\0WAVEfmt "] {
            let e = decode_wav(bytes).unwrap_err();
            assert!(matches!(e, SpeechError::Format(_)), "{e}");
        }
    }
}
