//! The lexical signal: character trigrams of words, which see through German compounds
//! ("Anwohnerparkausweis" and "Bewohnerparkausweis" share most of theirs) and inflection.

use std::collections::HashMap;

/// A unit-length bag of character trigrams, sorted by gram hash.
#[derive(Debug, Clone, Default)]
pub struct Grams(Vec<(u32, f32)>);

impl Grams {
    /// Trigrams of every lowercased word, padded with a boundary mark so word starts and ends count.
    pub fn of(text: &str) -> Grams {
        let mut counts: HashMap<u32, f32> = HashMap::new();
        for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
            let chars: Vec<char> = std::iter::once('#')
                .chain(word.chars().flat_map(char::to_lowercase))
                .chain(std::iter::once('#'))
                .collect();
            for gram in chars.windows(3) {
                *counts.entry(hash(gram)).or_default() += 1.0;
            }
        }
        let norm = counts.values().map(|c| c * c).sum::<f32>().sqrt();
        let mut grams: Vec<(u32, f32)> = counts.into_iter().map(|(g, c)| (g, c / norm)).collect();
        grams.sort_unstable_by_key(|(g, _)| *g);
        Grams(grams)
    }

    /// Cosine similarity in [0, 1]; 0 when either side has no words.
    pub fn cosine(&self, other: &Grams) -> f32 {
        let (mut i, mut j, mut dot) = (0, 0, 0.0);
        while i < self.0.len() && j < other.0.len() {
            match self.0[i].0.cmp(&other.0[j].0) {
                std::cmp::Ordering::Less => i += 1,
                std::cmp::Ordering::Greater => j += 1,
                std::cmp::Ordering::Equal => {
                    dot += self.0[i].1 * other.0[j].1;
                    i += 1;
                    j += 1;
                }
            }
        }
        dot.min(1.0)
    }
}

/// FNV-1a over the code points of one trigram.
fn hash(gram: &[char]) -> u32 {
    gram.iter().fold(0x811c_9dc5u32, |h, &c| (h ^ c as u32).wrapping_mul(0x0100_0193))
}

#[cfg(test)]
mod tests {
    use super::Grams;

    #[test]
    fn compounds_that_share_a_head_are_close_and_unrelated_words_are_not() {
        let a = Grams::of("Anwohnerparkausweis");
        assert!(a.cosine(&Grams::of("Bewohnerparkausweis")) > 0.7);
        assert!(a.cosine(&Grams::of("Hundesteuer")) < 0.1);
        assert!((a.cosine(&a) - 1.0).abs() < 1e-5);
        assert_eq!(Grams::of("").cosine(&a), 0.0);
    }
}
