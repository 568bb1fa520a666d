//! Parts the server loads in the background so that it answers at once: the language model, the
//! embedder with its index, the service catalogue's embeddings. Each is a [`Loading`]: loading
//! (with a note of what it is doing), then ready or failed for good. Callers never wait unless
//! they ask to; the HTTP layer turns [`NotReady`] into one kind of 503 answer.

use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;

/// A value that is being loaded on another thread. Clones share it.
pub struct Loading<T> {
    inner: Arc<Inner<T>>,
}

struct Inner<T> {
    /// What is loading, for messages ("the language model qwen2.5-coder-1.5b").
    what: String,
    result: OnceLock<Result<T, String>>,
    progress: Mutex<String>,
}

impl<T> Clone for Loading<T> {
    fn clone(&self) -> Self {
        Loading { inner: self.inner.clone() }
    }
}

/// Why a loading part cannot serve yet.
#[derive(Debug, Clone, thiserror::Error)]
pub enum NotReady {
    #[error("{what} is still loading ({progress}); try again shortly")]
    Loading { what: String, progress: String },
    #[error("{what} could not be loaded: {error}")]
    Failed { what: String, error: String },
}

/// A part's state for `/health`.
#[derive(Debug, Clone, Serialize)]
pub struct LoadStatus {
    /// What loads ("the language model qwen2.5-coder-1.5b").
    pub what: String,
    /// `loading`, `ready` or `failed`.
    pub state: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl<T: Send + Sync + 'static> Loading<T> {
    /// A part that has not loaded yet; [`finish`](Self::finish) settles it.
    pub fn pending(what: impl Into<String>, progress: impl Into<String>) -> Loading<T> {
        Loading {
            inner: Arc::new(Inner {
                what: what.into(),
                result: OnceLock::new(),
                progress: Mutex::new(progress.into()),
            }),
        }
    }

    /// Runs `load` on a thread of its own and returns at once. `load` may report progress
    /// through the handle it gets.
    pub fn spawn(
        what: impl Into<String>,
        thread: &str,
        load: impl FnOnce(&Loading<T>) -> Result<T, String> + Send + 'static,
    ) -> Loading<T> {
        let loading = Loading::pending(what, "starting");
        let handle = loading.clone();
        let spawned = std::thread::Builder::new().name(thread.into()).spawn(move || {
            let result = load(&handle);
            handle.finish(result);
        });
        if let Err(e) = spawned {
            loading.finish(Err(format!("cannot start the loading thread: {e}")));
        }
        loading
    }

    /// Says what the loading is doing now (shown while it is not ready).
    pub fn note(&self, progress: impl Into<String>) {
        *self.inner.progress.lock().unwrap_or_else(|p| p.into_inner()) = progress.into();
    }

    /// Settles the part; later calls change nothing.
    pub fn finish(&self, result: Result<T, String>) {
        match &result {
            Ok(_) => tracing::info!(part = %self.inner.what, "ready"),
            Err(e) => tracing::error!(part = %self.inner.what, error = %e, "cannot be loaded"),
        }
        let _ = self.inner.result.set(result);
    }

    /// The value if it has loaded; never waits.
    pub fn get(&self) -> Result<&T, NotReady> {
        match self.inner.result.get() {
            Some(result) => self.settled(result),
            None => Err(NotReady::Loading {
                what: self.inner.what.clone(),
                progress: self.inner.progress.lock().unwrap_or_else(|p| p.into_inner()).clone(),
            }),
        }
    }

    /// The value, waiting while it loads. Call only from a thread that may block.
    pub fn wait(&self) -> Result<&T, NotReady> {
        self.settled(self.inner.result.wait())
    }

    fn settled<'a>(&self, result: &'a Result<T, String>) -> Result<&'a T, NotReady> {
        result.as_ref().map_err(|error| NotReady::Failed { what: self.inner.what.clone(), error: error.clone() })
    }

    pub fn status(&self) -> LoadStatus {
        let what = self.inner.what.clone();
        match self.get() {
            Ok(_) => LoadStatus { what, state: "ready", progress: None, error: None },
            Err(NotReady::Loading { progress, .. }) => {
                LoadStatus { what, state: "loading", progress: Some(progress), error: None }
            }
            Err(NotReady::Failed { error, .. }) => {
                LoadStatus { what, state: "failed", progress: None, error: Some(error) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loading_then_ready() {
        let (go, wait) = std::sync::mpsc::channel::<()>();
        let loading = Loading::spawn("the test part", "test-load", move |handle| {
            handle.note("halfway");
            wait.recv().unwrap();
            Ok(42)
        });
        // Not settled until the loader is let go.
        loop {
            match loading.get() {
                Err(NotReady::Loading { progress, .. }) if progress == "halfway" => break,
                Err(NotReady::Loading { .. }) => std::thread::yield_now(),
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(loading.status().state, "loading");
        go.send(()).unwrap();
        assert_eq!(loading.wait().copied().unwrap(), 42);
        assert_eq!(loading.get().copied().unwrap(), 42);
        assert_eq!(loading.status().state, "ready");
    }

    #[test]
    fn a_failure_stays() {
        let loading: Loading<u32> = Loading::pending("the test part", "waiting");
        loading.finish(Err("no file".into()));
        loading.finish(Ok(1));
        let error = loading.get().unwrap_err();
        assert!(matches!(error, NotReady::Failed { .. }));
        assert_eq!(error.to_string(), "the test part could not be loaded: no file");
        assert_eq!(loading.status().error.as_deref(), Some("no file"));
    }
}
