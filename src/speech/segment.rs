//! Where the speech is: an energy-based voice activity detector over 30-ms frames. Silence is
//! cut off both ends (it would cost a whole decoding window), and a long dictation is split
//! into windows the model takes at its pauses, never in the middle of a word.

/// Samples per second everything here works at (Whisper's rate).
pub const RATE: usize = 16_000;
const FRAME: usize = RATE * 30 / 1000;
/// A frame counts as speech this far above the recording's noise floor…
const ABOVE_FLOOR_DB: f32 = 12.0;
/// …or at most this far below the loudest frame…
const BELOW_PEAK_DB: f32 = 25.0;
/// …and never below this level (dBFS), so that a clean digital silence is not "speech".
const MIN_SPEECH_DB: f32 = -45.0;
/// Speech frames closer than this are one stretch of speech (the gaps between words).
const BRIDGE_FRAMES: usize = 10;
/// Kept around each stretch of speech, so that soft word onsets and endings survive.
const PAD_FRAMES: usize = 6;

/// A part of the recording to transcribe, in samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: usize,
    pub end: usize,
}

impl Window {
    pub fn seconds(&self) -> f32 {
        (self.end - self.start) as f32 / RATE as f32
    }
}

/// The level of each 30-ms frame in dBFS.
fn frame_levels(samples: &[f32]) -> Vec<f32> {
    samples
        .chunks(FRAME)
        .map(|frame| {
            let power = frame.iter().map(|s| s * s).sum::<f32>() / frame.len() as f32;
            10.0 * (power + 1e-12).log10()
        })
        .collect()
}

/// Stretches of speech as frame ranges `[start, end)`, with short gaps bridged.
fn speech_frames(levels: &[f32]) -> Vec<(usize, usize)> {
    let mut sorted = levels.to_vec();
    sorted.sort_by(f32::total_cmp);
    // The quietest tenth of the frames is the room's noise; a recording without any pause has
    // no noise to measure, so the threshold never rises above what is well below the loudest.
    let floor = sorted.get(sorted.len() / 10).copied().unwrap_or(-120.0);
    let peak = sorted.last().copied().unwrap_or(-120.0);
    let threshold = (floor + ABOVE_FLOOR_DB).min(peak - BELOW_PEAK_DB).max(MIN_SPEECH_DB);
    let mut stretches: Vec<(usize, usize)> = Vec::new();
    for (i, _) in levels.iter().enumerate().filter(|(_, level)| **level > threshold) {
        match stretches.last_mut() {
            Some((_, end)) if i - *end <= BRIDGE_FRAMES => *end = i + 1,
            _ => stretches.push((i, i + 1)),
        }
    }
    stretches
}

/// The windows of at most `max_seconds` that cover the speech in `samples`; empty when there
/// is none. A stretch of speech longer than a window is cut at its quietest frame in the
/// window's last third.
pub fn windows(samples: &[f32], max_seconds: f32) -> Vec<Window> {
    let levels = frame_levels(samples);
    let max_frames = ((max_seconds * RATE as f32) as usize / FRAME).max(1);
    let frames = levels.len();
    let padded: Vec<(usize, usize)> = speech_frames(&levels)
        .into_iter()
        .map(|(start, end)| (start.saturating_sub(PAD_FRAMES), (end + PAD_FRAMES).min(frames)))
        .collect();
    let mut windows: Vec<(usize, usize)> = Vec::new();
    for (start, end) in padded {
        // Stretches join the current window while it has room (the pause between them stays in).
        if let Some(last) = windows.last_mut()
            && end - last.0 <= max_frames
        {
            last.1 = end;
            continue;
        }
        let mut start = start;
        while end - start > max_frames {
            let from = start + max_frames * 2 / 3;
            let to = start + max_frames;
            let cut = (from..to).min_by(|a, b| levels[*a].total_cmp(&levels[*b])).unwrap_or(to);
            windows.push((start, cut));
            start = cut;
        }
        windows.push((start, end));
    }
    windows
        .into_iter()
        .map(|(start, end)| Window { start: start * FRAME, end: (end * FRAME).min(samples.len()) })
        .filter(|w| w.end > w.start)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `parts` of (seconds, amplitude): a 220-Hz tone for speech, quiet noise for silence.
    fn signal(parts: &[(f32, f32)]) -> Vec<f32> {
        let mut out = Vec::new();
        let mut seed = 1u32;
        for &(seconds, amplitude) in parts {
            for i in 0..(seconds * RATE as f32) as usize {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let noise = (seed >> 8) as f32 / (1u32 << 24) as f32 - 0.5;
                let tone = (i as f32 * 220.0 * std::f32::consts::TAU / RATE as f32).sin();
                out.push(amplitude * tone + 0.002 * noise);
            }
        }
        out
    }

    #[test]
    fn silence_is_trimmed_from_both_ends() {
        let samples = signal(&[(2.0, 0.0), (3.0, 0.3), (2.0, 0.0)]);
        let found = windows(&samples, 30.0);
        assert_eq!(found.len(), 1, "{found:?}");
        let w = found[0];
        let (start, end) = (w.start as f32 / RATE as f32, w.end as f32 / RATE as f32);
        assert!((1.7..2.0).contains(&start) && (5.0..5.3).contains(&end), "{start}–{end}");
    }

    #[test]
    fn nothing_but_silence_has_no_window() {
        assert!(windows(&signal(&[(3.0, 0.0)]), 30.0).is_empty());
        assert!(windows(&vec![0.0; RATE * 2], 30.0).is_empty());
        assert!(windows(&[], 30.0).is_empty());
    }

    #[test]
    fn long_speech_splits_at_pauses_into_windows_that_fit() {
        // Eight 5-s stretches with 0.8-s pauses: 45 s, more than one window.
        let mut parts = Vec::new();
        for _ in 0..8 {
            parts.extend([(5.0, 0.3), (0.8, 0.0)]);
        }
        let samples = signal(&parts);
        let found = windows(&samples, 30.0);
        assert!(found.len() >= 2, "{found:?}");
        assert!(found.iter().all(|w| w.seconds() <= 30.0), "{found:?}");
        // Every cut lies in a pause: the samples around it are quiet.
        for w in &found[..found.len() - 1] {
            let around = &samples[w.end.saturating_sub(800)..(w.end + 800).min(samples.len())];
            assert!(around.iter().all(|s| s.abs() < 0.01), "cut at {} s is not in a pause", w.end as f32 / RATE as f32);
        }
        let covered: f32 = found.iter().map(Window::seconds).sum();
        assert!(covered >= 40.0, "the speech is covered ({covered} s)");
    }

    #[test]
    fn speech_without_pauses_is_still_cut_to_fit() {
        let found = windows(&signal(&[(70.0, 0.3)]), 30.0);
        assert!(found.len() >= 3 && found.iter().all(|w| w.seconds() <= 30.0), "{found:?}");
    }
}
