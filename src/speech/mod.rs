//! Speech to text for spoken dictations, on this machine: audio in (`audio`), where the speech
//! is (`segment`), and Whisper through candle (`whisper`, with its mel filters in `mel` and the
//! one-time conversion of the registry's CTranslate2 model in `ct2`).

pub mod audio;
pub mod ct2;
mod decoder;
mod mel;
pub mod model;
pub mod segment;
mod whisper;
mod worker;

pub use whisper::WhisperTranscriber;
pub use worker::{Load, SpeechEvent, SpeechWorker};

/// Turns 16-kHz mono samples into text: the seam between the HTTP/CLI callers and a model.
pub trait Transcriber: Send {
    /// The transcript; `partial` hears the text of each window as soon as it is ready, and
    /// stops the transcription by answering `false` (its listener has gone).
    fn transcribe(&mut self, samples: &[f32], partial: &mut dyn FnMut(&str) -> bool) -> Result<String, SpeechError>;
}

#[derive(Debug, thiserror::Error)]
pub enum SpeechError {
    /// The audio cannot be read (not WAV, damaged, unsupported rate).
    #[error("{0}")]
    Format(String),
    /// Nothing but silence (or noise the model hears no words in).
    #[error("the recording holds no speech")]
    Silence,
    /// The model files are missing, damaged or of another kind.
    #[error("speech model: {0}")]
    Model(String),
    #[error("speech model: {0}")]
    Candle(#[from] candle_core::Error),
    #[error(transparent)]
    Fetch(#[from] crate::models::ModelError),
    /// The queue of recordings is full: retry shortly.
    #[error("the speech model is busy with other recordings; try again shortly")]
    Busy,
    /// The listener went away before the transcript was ready.
    #[error("the transcription was cancelled")]
    Cancelled,
}
