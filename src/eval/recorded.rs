//! Answers recorded from an earlier evaluation run, reused for the requests it asked before: a
//! change to how drafts are assembled then costs seconds to measure, not the ten minutes of
//! drafting a set again. Only development runs use it; a figure to report comes from a run
//! without it, since latency means nothing where answers were read from a file and an answer
//! run beside others in a batch may differ in its last bits from one run alone.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::EvalError;
use crate::llm::{GenerateRequest, Generation, Generator, LlmError};

/// One recorded answer: the request's key and what the model answered.
#[derive(Serialize, Deserialize)]
struct Recorded {
    key: String,
    generation: Generation,
}

/// A [`Generator`] that answers requests it has a record of from that record, and asks `inner`
/// (and records the answer) otherwise.
pub struct RecordedGenerator<'a> {
    inner: &'a mut dyn Generator,
    answers: HashMap<String, Generation>,
    file: BufWriter<File>,
    path: PathBuf,
    /// How many requests were answered from the record.
    pub reused: usize,
    /// How many requests the model answered.
    pub asked: usize,
}

/// What decides a request's answer: its prompt, its grammar and how it samples. The token budget
/// is left out: a draft's requests share one, and an answer that fits it does not depend on it.
fn key(request: &GenerateRequest) -> String {
    let decides = (&request.messages, &request.grammar, &request.sampling, &request.stop);
    let json = serde_json::to_vec(&decides).expect("requests serialise");
    format!("{:x}", Sha256::digest(&json))
}

impl<'a> RecordedGenerator<'a> {
    /// Reads the answers recorded at `path` (none where it does not exist yet) and appends new
    /// ones to it.
    pub fn open(inner: &'a mut dyn Generator, path: &Path) -> Result<Self, EvalError> {
        let io = |source| EvalError::Io { path: path.to_owned(), source };
        let mut answers = HashMap::new();
        if path.exists() {
            for (n, line) in BufReader::new(File::open(path).map_err(io)?).lines().enumerate() {
                let line = line.map_err(io)?;
                let recorded: Recorded = serde_json::from_str(&line)
                    .map_err(|e| EvalError::Format { path: path.to_owned(), detail: format!("line {}: {e}", n + 1) })?;
                answers.insert(recorded.key, recorded.generation);
            }
        }
        let file = File::options().create(true).append(true).open(path).map_err(io)?;
        Ok(RecordedGenerator { inner, answers, file: BufWriter::new(file), path: path.to_owned(), reused: 0, asked: 0 })
    }

    fn record(&mut self, key: String, generation: &Generation) {
        // Cancelled or cut-off answers are not what the request would answer in full.
        if generation.finish == crate::llm::FinishReason::Cancelled {
            return;
        }
        let line = serde_json::to_string(&Recorded { key: key.clone(), generation: generation.clone() })
            .expect("generations serialise");
        if let Err(e) = writeln!(self.file, "{line}").and_then(|()| self.file.flush()) {
            tracing::warn!("cannot record an answer in {}: {e}", self.path.display());
        }
        self.answers.insert(key, generation.clone());
    }
}

impl Generator for RecordedGenerator<'_> {
    fn model_id(&self) -> &str {
        self.inner.model_id()
    }

    fn generate(
        &mut self,
        request: &GenerateRequest,
        on_token: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, LlmError> {
        let key = key(request);
        if let Some(generation) = self.answers.get(&key) {
            self.reused += 1;
            let mut generation = generation.clone();
            if !generation.text.is_empty() && !on_token(&generation.text) {
                generation.finish = crate::llm::FinishReason::Cancelled;
            }
            return Ok(generation);
        }
        self.asked += 1;
        let generation = self.inner.generate(request, on_token)?;
        self.record(key, &generation);
        Ok(generation)
    }

    fn generate_batch(
        &mut self,
        requests: &[GenerateRequest],
        max_tokens: usize,
        on_done: &mut dyn FnMut(usize, Result<Generation, LlmError>) -> bool,
    ) -> bool {
        let keys: Vec<String> = requests.iter().map(key).collect();
        let (known, unknown): (Vec<usize>, Vec<usize>) =
            (0..requests.len()).partition(|&i| self.answers.contains_key(&keys[i]));
        let mut spent = 0;
        for &i in &known {
            self.reused += 1;
            let generation = self.answers[&keys[i]].clone();
            spent += generation.stats.new_tokens;
            if !on_done(i, Ok(generation)) {
                return true;
            }
        }
        if unknown.is_empty() {
            return true;
        }
        let asked: Vec<GenerateRequest> = unknown.iter().map(|&i| requests[i].clone()).collect();
        let mut answered = Vec::new();
        let batched = self.inner.generate_batch(&asked, max_tokens.saturating_sub(spent), &mut |k, result| {
            if let Ok(generation) = &result {
                answered.push((unknown[k], generation.clone()));
            }
            on_done(unknown[k], result)
        });
        if batched {
            self.asked += unknown.len();
            for (i, generation) in answered {
                self.record(keys[i].clone(), &generation);
            }
        } else {
            // The engine does not batch these (one alone, for one): asked one by one, recorded
            // as `generate` records.
            for &i in &unknown {
                let generation = self.generate(&requests[i], &mut |_| true);
                if !on_done(i, generation) {
                    break;
                }
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::llm::scripted::Scripted;
    use crate::llm::{ChatMessage, generate_sequence};

    fn requests(indices: &[usize]) -> Vec<GenerateRequest> {
        indices.iter().map(|i| GenerateRequest::new(vec![ChatMessage::user(i.to_string())], 50)).collect()
    }

    /// The answers handed on for `requests`, run as a draft runs them.
    fn answers(generator: &mut dyn Generator, requests: &[GenerateRequest]) -> Vec<String> {
        let mut handed = Vec::new();
        generate_sequence(generator, requests, 1000, &mut |_| true, &mut |r| handed.push(r.expect("answered").text));
        handed
    }

    #[test]
    fn a_request_asked_before_is_answered_from_the_record_alone() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("answers.jsonl");
        let script = || Scripted::new(vec!["skip", "task A: x", "task B: y", "task C: z"]);
        let mut first = script();
        let mut recorded = RecordedGenerator::open(&mut first, &path).expect("opens");
        assert_eq!(answers(&mut recorded, &requests(&[0, 1, 2])), ["skip", "task A: x", "task B: y"]);
        assert_eq!((recorded.reused, recorded.asked), (0, 3));
        drop(recorded);
        // A later run, from the file: only the request not asked before reaches the model, and
        // the answers come back in the order asked, the batched ones included.
        let mut second = script();
        let mut recorded = RecordedGenerator::open(&mut second, &path).expect("reopens");
        assert_eq!(answers(&mut recorded, &requests(&[0, 1, 3, 2])), ["skip", "task A: x", "task C: z", "task B: y"]);
        assert_eq!((recorded.reused, recorded.asked), (3, 1));
        drop(recorded);
        assert_eq!((second.alone, second.together), (vec![], vec![3]));
        let lines = std::fs::read_to_string(&path).expect("recorded");
        assert_eq!(lines.lines().count(), 4);
        std::fs::write(&path, "not json\n").expect("written");
        let mut third = script();
        let error = RecordedGenerator::open(&mut third, &path).err().expect("a broken record is an error");
        assert!(error.to_string().contains("line 1"), "{error}");
    }
}
