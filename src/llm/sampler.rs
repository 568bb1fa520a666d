//! Choosing the next token from the logits: greedy, or temperature with optional nucleus (top-p)
//! sampling, restricted to the tokens a grammar allows.

use toktrie::SimpleVob;

use super::{LlmError, Sampling};

pub struct Sampler {
    sampling: Sampling,
    rng: SplitMix64,
}

impl Sampler {
    pub fn new(sampling: Sampling) -> Result<Self, LlmError> {
        if !(sampling.temperature >= 0.0 && sampling.temperature.is_finite()) {
            return Err(LlmError::InvalidRequest(format!("temperature must be >= 0, got {}", sampling.temperature)));
        }
        if let Some(p) = sampling.top_p
            && !(p > 0.0 && p <= 1.0)
        {
            return Err(LlmError::InvalidRequest(format!("top_p must be in (0, 1], got {p}")));
        }
        Ok(Sampler { sampling, rng: SplitMix64(sampling.seed) })
    }

    pub fn is_greedy(&self) -> bool {
        self.sampling.temperature == 0.0
    }

    /// Picks a token; `allowed` (a grammar's mask) excludes every other token.
    /// Returns `None` when no token is allowed.
    pub fn sample(&mut self, logits: &mut [f32], allowed: Option<&SimpleVob>) -> Option<u32> {
        if let Some(allowed) = allowed {
            for (token, logit) in logits.iter_mut().enumerate() {
                if !allowed.is_allowed(token as u32) {
                    *logit = f32::NEG_INFINITY;
                }
            }
        }
        if self.is_greedy() {
            return argmax(logits);
        }
        let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        if max == f32::NEG_INFINITY {
            return None;
        }
        let inv_t = (1.0 / self.sampling.temperature) as f32;
        let mut candidates: Vec<(u32, f32)> = logits
            .iter()
            .enumerate()
            .filter(|(_, l)| l.is_finite())
            .map(|(t, l)| (t as u32, ((l - max) * inv_t).exp()))
            .collect();
        let total: f32 = candidates.iter().map(|c| c.1).sum();
        if let Some(top_p) = self.sampling.top_p.filter(|p| *p < 1.0) {
            candidates.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut cumulative = 0.0;
            let keep = candidates
                .iter()
                .position(|c| {
                    cumulative += c.1 / total;
                    cumulative as f64 >= top_p
                })
                .map_or(candidates.len(), |i| i + 1);
            candidates.truncate(keep);
        }
        let kept: f32 = candidates.iter().map(|c| c.1).sum();
        let mut target = self.rng.next_f32() * kept;
        for (token, weight) in &candidates {
            if target < *weight {
                return Some(*token);
            }
            target -= weight;
        }
        candidates.last().map(|c| c.0)
    }
}

/// The first index of the largest finite logit; ties go to the lower id, so greedy is deterministic.
fn argmax(logits: &[f32]) -> Option<u32> {
    let mut best: Option<(u32, f32)> = None;
    for (token, &logit) in logits.iter().enumerate() {
        if logit > f32::NEG_INFINITY && best.is_none_or(|(_, b)| logit > b) {
            best = Some((token as u32, logit));
        }
    }
    best.map(|(t, _)| t)
}

/// A small seeded generator: sampling only needs reproducible uniform numbers.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn next_f32(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greedy_takes_the_largest_allowed_logit() {
        let mut sampler = Sampler::new(Sampling::GREEDY).unwrap();
        assert_eq!(sampler.sample(&mut [0.1, 3.0, 2.0], None), Some(1));
        let mut allowed = SimpleVob::alloc(3);
        allowed.allow_token(2);
        assert_eq!(sampler.sample(&mut [0.1, 3.0, 2.0], Some(&allowed)), Some(2));
        assert_eq!(sampler.sample(&mut [0.1, 3.0, 2.0], Some(&SimpleVob::alloc(3))), None);
    }

    #[test]
    fn sampling_is_reproducible_per_seed_and_respects_top_p() {
        let sampling = Sampling { temperature: 1.0, top_p: Some(0.5), seed: 7 };
        let logits = [0.0f32, 5.0, 4.9, -3.0];
        let draw = |s: Sampling| {
            let mut sampler = Sampler::new(s).unwrap();
            (0..50).map(|_| sampler.sample(&mut logits.clone(), None).unwrap()).collect::<Vec<_>>()
        };
        let first = draw(sampling);
        assert_eq!(first, draw(sampling));
        // Tokens 1 and 2 hold ~99% of the mass; top_p 0.5 keeps only token 1.
        assert!(first.iter().all(|&t| t == 1), "{first:?}");
        let wide = draw(Sampling { top_p: None, ..sampling });
        assert!(wide.contains(&1) && wide.contains(&2), "{wide:?}");
    }

    #[test]
    fn bad_settings_are_rejected() {
        assert!(Sampler::new(Sampling { temperature: -1.0, top_p: None, seed: 0 }).is_err());
        assert!(Sampler::new(Sampling { temperature: 0.5, top_p: Some(0.0), seed: 0 }).is_err());
    }
}
