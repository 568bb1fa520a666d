//! The speech thread: one [`Transcriber`], loaded on first use, owned by one OS thread and fed
//! through a bounded queue — the language model's discipline: never on the async runtime, "busy"
//! at once when the queue is full, a request dropped by its client is skipped or stopped at the
//! next window.

use std::sync::mpsc::{self, SyncSender, TrySendError};

use tokio::sync::mpsc as tokio_mpsc;

use super::{SpeechError, Transcriber};

/// What a submitted recording yields: the text of each window as it is ready, then one `Done`.
#[derive(Debug)]
pub enum SpeechEvent {
    Partial(String),
    Done(Result<String, SpeechError>),
}

struct Job {
    samples: Vec<f32>,
    events: tokio_mpsc::UnboundedSender<SpeechEvent>,
}

/// Loads the transcriber (fetching and converting the model where needed).
pub type Load = Box<dyn FnMut() -> Result<Box<dyn Transcriber>, SpeechError> + Send>;

/// A cloneable handle to the speech thread, which ends when the last handle is dropped.
#[derive(Clone)]
pub struct SpeechWorker {
    jobs: SyncSender<Job>,
}

impl SpeechWorker {
    /// Starts the thread; `load` runs at the first recording (and again after a failed load);
    /// at most `queue_capacity` recordings wait behind the running one.
    pub fn spawn(mut load: Load, queue_capacity: usize) -> SpeechWorker {
        let (jobs, queue) = mpsc::sync_channel::<Job>(queue_capacity);
        let spawned = std::thread::Builder::new().name("speech".into()).spawn(move || {
            let mut transcriber: Option<Box<dyn Transcriber>> = None;
            for job in queue {
                if job.events.is_closed() {
                    continue;
                }
                if transcriber.is_none() {
                    match load() {
                        Ok(loaded) => transcriber = Some(loaded),
                        Err(e) => {
                            tracing::error!(error = %e, "cannot load the speech model");
                            let _ = job.events.send(SpeechEvent::Done(Err(e)));
                            continue;
                        }
                    }
                }
                let Some(model) = transcriber.as_mut() else { continue };
                let events = job.events.clone();
                let mut partial = |text: &str| events.send(SpeechEvent::Partial(text.to_owned())).is_ok();
                let result = model.transcribe(&job.samples, &mut partial);
                // The receiver may be gone (cancelled): nothing left to tell.
                let _ = job.events.send(SpeechEvent::Done(result));
            }
        });
        if let Err(e) = spawned {
            // Without a thread every submit reports Stopped: the queue's receiver is gone.
            tracing::error!("cannot start the speech thread: {e}");
        }
        SpeechWorker { jobs }
    }

    /// Queues 16-kHz samples. Fails at once with [`SpeechError::Busy`] when the queue is full.
    /// Dropping the returned receiver cancels the transcription.
    pub fn submit(&self, samples: Vec<f32>) -> Result<tokio_mpsc::UnboundedReceiver<SpeechEvent>, SpeechError> {
        let (events, receiver) = tokio_mpsc::unbounded_channel();
        match self.jobs.try_send(Job { samples, events }) {
            Ok(()) => Ok(receiver),
            Err(TrySendError::Full(_)) => Err(SpeechError::Busy),
            Err(TrySendError::Disconnected(_)) => Err(SpeechError::Model("the speech thread has stopped".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc::{Receiver, channel};
    use std::sync::{Arc, Mutex};

    use super::*;

    /// A transcriber that says "eins", "zwei", … one window at a time, each when the test lets it.
    struct Stepwise {
        go: Arc<Mutex<Receiver<()>>>,
    }

    impl Transcriber for Stepwise {
        fn transcribe(
            &mut self,
            samples: &[f32],
            partial: &mut dyn FnMut(&str) -> bool,
        ) -> Result<String, SpeechError> {
            let mut said = Vec::new();
            for word in ["eins", "zwei", "drei"].iter().take(samples.len()) {
                self.go.lock().unwrap().recv().map_err(|_| SpeechError::Cancelled)?;
                if !partial(word) {
                    return Err(SpeechError::Cancelled);
                }
                said.push(*word);
            }
            Ok(said.join(" "))
        }
    }

    #[test]
    fn a_full_queue_is_busy_at_once_and_a_gone_client_stops_its_transcription() {
        let (go, steps) = channel();
        let steps = Arc::new(Mutex::new(steps));
        let loads = Arc::new(Mutex::new(0));
        let counted = loads.clone();
        let load: Load = Box::new(move || {
            *counted.lock().unwrap() += 1;
            Ok(Box::new(Stepwise { go: steps.clone() }) as Box<dyn Transcriber>)
        });
        let worker = SpeechWorker::spawn(load, 1);

        let mut running = worker.submit(vec![0.0; 3]).unwrap();
        go.send(()).unwrap();
        assert!(matches!(running.blocking_recv(), Some(SpeechEvent::Partial(w)) if w == "eins"));
        // One waits behind the running one; the next is refused without waiting.
        let waiting = worker.submit(vec![0.0; 2]).unwrap();
        assert!(matches!(worker.submit(vec![0.0; 1]), Err(SpeechError::Busy)));

        // The running client goes away: its transcription stops at the next window.
        drop(running);
        go.send(()).unwrap();
        // The waiting one runs next, to the end.
        let mut waiting = waiting;
        go.send(()).unwrap();
        go.send(()).unwrap();
        let mut events = Vec::new();
        while let Some(event) = waiting.blocking_recv() {
            events.push(format!("{event:?}"));
        }
        assert_eq!(events, ["Partial(\"eins\")", "Partial(\"zwei\")", "Done(Ok(\"eins zwei\"))"]);
        assert_eq!(*loads.lock().unwrap(), 1, "the model loads once, at the first recording");
    }
}
