//! A deterministic [`Generator`] for unit tests of what runs requests: each request's prompt is
//! its index, and it is answered with the scripted answer at that index.

use super::{FinishReason, GenerateRequest, Generation, GenerationStats, Generator, LlmError};

/// Answers request `i` with `answers[i]`, and records which it answered alone and which
/// together.
pub(crate) struct Scripted {
    answers: Vec<&'static str>,
    /// The requests answered alone and together, in the order asked.
    pub(crate) alone: Vec<usize>,
    pub(crate) together: Vec<usize>,
}

impl Scripted {
    pub(crate) fn new(answers: Vec<&'static str>) -> Self {
        Scripted { answers, alone: Vec::new(), together: Vec::new() }
    }

    fn index(&self, request: &GenerateRequest) -> usize {
        request.messages[0].content.parse().expect("the index as the prompt")
    }

    fn answer(&self, index: usize) -> Generation {
        let text = self.answers[index].to_owned();
        Generation { text, finish: FinishReason::Stop, stats: GenerationStats::default() }
    }
}

impl Generator for Scripted {
    fn model_id(&self) -> &str {
        "scripted"
    }

    fn generate(
        &mut self,
        request: &GenerateRequest,
        on_token: &mut dyn FnMut(&str) -> bool,
    ) -> Result<Generation, LlmError> {
        let index = self.index(request);
        self.alone.push(index);
        let generation = self.answer(index);
        on_token(&generation.text);
        Ok(generation)
    }

    fn generate_batch(
        &mut self,
        requests: &[GenerateRequest],
        _max_tokens: usize,
        on_done: &mut dyn FnMut(usize, Result<Generation, LlmError>) -> bool,
    ) -> bool {
        for (position, request) in requests.iter().enumerate() {
            let index = self.index(request);
            self.together.push(index);
            on_done(position, Ok(self.answer(index)));
        }
        true
    }
}
