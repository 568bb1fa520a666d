//! `ablauf eval transcribe`: word error rate and speed of the speech model on recordings with
//! their reference text, per voice and speed, and how drafts from the transcripts compare with
//! drafts from the reference text.

use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use super::{EvalError, read_files};
use crate::speech::Transcriber;

/// A recording and what was said: `NAME.wav` beside `NAME.txt`. The part of `NAME` before the
/// first dot names the dictation, the rest its voice and speed (`03-hundesteuer.de-120`).
#[derive(Debug, Clone)]
pub struct Recording {
    pub name: String,
    pub wav: PathBuf,
    pub reference: String,
}

impl Recording {
    /// The dictation this recording speaks (the name up to the first dot).
    pub fn dictation(&self) -> &str {
        self.name.split('.').next().unwrap_or(&self.name)
    }

    /// The voice and speed (after the first dot), or `-`.
    pub fn group(&self) -> &str {
        self.name.split_once('.').map_or("-", |(_, group)| group)
    }
}

/// Every `*.txt` of `dir` with its `.wav`.
pub fn load_recordings(dir: &Path) -> Result<Vec<Recording>, EvalError> {
    read_files(dir, "txt")?
        .into_iter()
        .map(|(path, reference)| {
            let wav = path.with_extension("wav");
            if !wav.is_file() {
                return Err(EvalError::Format { path, detail: "no .wav beside it".into() });
            }
            let name = path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
            Ok(Recording { name, wav, reference: reference.trim().to_owned() })
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct RecordingResult {
    pub name: String,
    pub group: String,
    pub text: String,
    pub word_error_rate: f32,
    pub audio_seconds: f32,
    pub compute_seconds: f32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GroupWer {
    pub group: String,
    pub recordings: usize,
    pub word_error_rate: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct TranscribeReport {
    pub recordings: usize,
    /// Mean over recordings.
    pub word_error_rate: f32,
    pub by_group: Vec<GroupWer>,
    /// Seconds of computing per second of audio, over all recordings.
    pub compute_per_audio_second: f32,
    pub results: Vec<RecordingResult>,
}

/// Transcribes every recording and scores it.
pub fn evaluate(
    transcriber: &mut dyn Transcriber,
    recordings: &[Recording],
    on_result: &mut dyn FnMut(&RecordingResult),
) -> TranscribeReport {
    let mut results = Vec::new();
    for recording in recordings {
        let started = Instant::now();
        let outcome = crate::speech::audio::read_wav(&recording.wav).and_then(|samples| {
            let started = Instant::now();
            let text = transcriber.transcribe(&samples, &mut |_| true)?;
            Ok((text, samples.len() as f32 / crate::speech::segment::RATE as f32, started.elapsed().as_secs_f32()))
        });
        let (text, audio_seconds, compute_seconds, error) = match outcome {
            Ok((text, audio, compute)) => (text, audio, compute, None),
            Err(e) => (String::new(), 0.0, started.elapsed().as_secs_f32(), Some(e.to_string())),
        };
        let result = RecordingResult {
            name: recording.name.clone(),
            group: recording.group().to_owned(),
            word_error_rate: word_error_rate(&recording.reference, &text),
            text,
            audio_seconds,
            compute_seconds,
            error,
        };
        on_result(&result);
        results.push(result);
    }
    summarize(results)
}

/// A transcript another engine wrote (one line of `eval/transcribe/peer.py`'s JSON Lines).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Hypothesis {
    pub file: String,
    pub text: String,
    pub audio_seconds: f32,
    pub compute_seconds: f32,
}

/// Scores transcripts that another engine wrote for `recordings` (matched by file name), the
/// same way as [`evaluate`] scores ours.
pub fn score(recordings: &[Recording], hypotheses: &[Hypothesis]) -> TranscribeReport {
    let results = recordings
        .iter()
        .map(|recording| {
            let file = recording.wav.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let found = hypotheses.iter().find(|h| h.file == file);
            RecordingResult {
                name: recording.name.clone(),
                group: recording.group().to_owned(),
                word_error_rate: word_error_rate(&recording.reference, found.map_or("", |h| &h.text)),
                text: found.map_or_else(String::new, |h| h.text.clone()),
                audio_seconds: found.map_or(0.0, |h| h.audio_seconds),
                compute_seconds: found.map_or(0.0, |h| h.compute_seconds),
                error: found.is_none().then(|| "no transcript".to_owned()),
            }
        })
        .collect();
    summarize(results)
}

fn summarize(results: Vec<RecordingResult>) -> TranscribeReport {
    let mean = |rs: &[&RecordingResult]| rs.iter().map(|r| r.word_error_rate).sum::<f32>() / rs.len().max(1) as f32;
    let mut groups: Vec<String> = results.iter().map(|r| r.group.clone()).collect();
    groups.sort();
    groups.dedup();
    let by_group = groups
        .into_iter()
        .map(|group| {
            let members: Vec<&RecordingResult> = results.iter().filter(|r| r.group == group).collect();
            GroupWer { recordings: members.len(), word_error_rate: mean(&members), group }
        })
        .collect();
    let audio: f32 = results.iter().map(|r| r.audio_seconds).sum();
    let compute: f32 = results.iter().map(|r| r.compute_seconds).sum();
    TranscribeReport {
        recordings: results.len(),
        word_error_rate: mean(&results.iter().collect::<Vec<_>>()),
        by_group,
        compute_per_audio_second: compute / audio.max(f32::EPSILON),
        results,
    }
}

/// Words as compared: lower case, punctuation gone (a comma the model heard or not is no error).
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '-' | '–' | '/'))
        .map(|w| w.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect::<String>())
        .filter(|w| !w.is_empty())
        .collect()
}

/// (substitutions + deletions + insertions) / words of the reference, by edit distance over words.
pub fn word_error_rate(reference: &str, hypothesis: &str) -> f32 {
    let (r, h) = (words(reference), words(hypothesis));
    if r.is_empty() {
        return if h.is_empty() { 0.0 } else { 1.0 };
    }
    let mut row: Vec<usize> = (0..=h.len()).collect();
    for (i, rw) in r.iter().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, hw) in h.iter().enumerate() {
            let next = (diagonal + usize::from(rw != hw)).min(row[j] + 1).min(row[j + 1] + 1);
            diagonal = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[h.len()] as f32 / r.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_are_counted_per_reference_word() {
        assert_eq!(word_error_rate("Der Antrag geht ein.", "der antrag geht ein"), 0.0);
        assert_eq!(word_error_rate("der antrag geht ein", "der auftrag geht ein"), 0.25);
        assert_eq!(word_error_rate("der antrag geht ein", "der antrag ein"), 0.25);
        assert_eq!(word_error_rate("der antrag geht ein", "der antrag geht heute ein"), 0.25);
        assert_eq!(word_error_rate("a b", "c d e f"), 2.0);
        assert_eq!(word_error_rate("", ""), 0.0);
    }
}
