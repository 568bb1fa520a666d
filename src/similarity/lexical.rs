//! The lexical signals: a BM25 index over stemmed, compound-split German terms (`Bm25`,
//! terms from `text`), and character trigrams of words (`Grams`), which compare short names
//! (steps, judged texts) and see through compounds and inflection.

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

/// BM25 parameters (the usual ones).
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// Weighted terms of one document or query: (term, weight), a term may repeat.
pub type Terms = Vec<(String, f32)>;

/// An in-memory BM25 index. Derived data like the vector index: rebuilt from the documents
/// whenever they change (cheap: thousands of processes take milliseconds).
#[derive(Default)]
pub struct Bm25 {
    ids: Vec<String>,
    postings: HashMap<String, Vec<(u32, f32)>>,
    lens: Vec<f32>,
    avg_len: f32,
}

impl Bm25 {
    pub fn build(mut docs: Vec<(String, Terms)>) -> Bm25 {
        docs.sort_by(|x, y| x.0.cmp(&y.0));
        let mut index = Bm25::default();
        for (i, (id, terms)) in docs.into_iter().enumerate() {
            let mut tf: HashMap<String, f32> = HashMap::new();
            for (t, w) in terms {
                *tf.entry(t).or_default() += w;
            }
            let mut tf: Vec<(String, f32)> = tf.into_iter().collect();
            tf.sort_unstable_by(|x, y| x.0.cmp(&y.0));
            index.lens.push(tf.iter().map(|(_, f)| f).sum());
            for (t, f) in tf {
                index.postings.entry(t).or_default().push((i as u32, f));
            }
            index.ids.push(id);
        }
        index.avg_len = index.lens.iter().sum::<f32>() / index.lens.len().max(1) as f32;
        index
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Inverse document frequency (BM25's, floored at a small positive value so that a term
    /// every document has still counts a little). Unknown terms get the highest.
    pub fn idf(&self, term: &str) -> f32 {
        let n = self.ids.len() as f32;
        let df = self.postings.get(term).map_or(0, Vec::len) as f32;
        ((n - df + 0.5) / (df + 0.5) + 1.0).ln().max(0.05)
    }

    /// Documents by BM25 score for `query` (unique terms with weights), best first, `k` at
    /// most, only those `allow` accepts.
    pub fn search(&self, query: &HashMap<String, f32>, k: usize, allow: &dyn Fn(&str) -> bool) -> Vec<(String, f32)> {
        let mut scores: HashMap<u32, f32> = HashMap::new();
        // In a fixed order, so that float sums (and so ties) come out the same every run.
        let mut terms: Vec<(&String, &f32)> = query.iter().collect();
        terms.sort_unstable_by(|x, y| x.0.cmp(y.0));
        for (term, qw) in terms {
            let Some(list) = self.postings.get(term) else { continue };
            let idf = self.idf(term);
            for &(doc, tf) in list {
                let norm = K1 * (1.0 - B + B * self.lens[doc as usize] / self.avg_len.max(1e-6));
                *scores.entry(doc).or_default() += qw * idf * tf * (K1 + 1.0) / (tf + norm);
            }
        }
        let mut hits: Vec<(String, f32)> = scores
            .into_iter()
            .filter(|(doc, s)| *s > 0.0 && allow(&self.ids[*doc as usize]))
            .map(|(doc, s)| (self.ids[doc as usize].clone(), s))
            .collect();
        hits.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
        hits.truncate(k);
        hits
    }

    /// The share of `query`'s weight (term weight × idf) that `other` contains: 1 when every
    /// term of the query occurs in the other text, 0 when none does.
    pub fn coverage(&self, query: &HashMap<String, f32>, other: &HashMap<String, f32>) -> f32 {
        let (mut found, mut total) = (0.0, 0.0);
        let mut terms: Vec<(&String, &f32)> = query.iter().collect();
        terms.sort_unstable_by(|x, y| x.0.cmp(y.0));
        for (term, w) in terms {
            let mass = w * self.idf(term);
            total += mass;
            if other.contains_key(term) {
                found += mass;
            }
        }
        if total > 0.0 { found / total } else { 0.0 }
    }
}

/// Unique terms, each with its highest weight.
pub fn bag(terms: &Terms) -> HashMap<String, f32> {
    let mut out: HashMap<String, f32> = HashMap::new();
    for (t, w) in terms {
        let e = out.entry(t.clone()).or_default();
        *e = e.max(*w);
    }
    out
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
