//! Prompt lookup: guesses the next tokens by finding the latest earlier occurrence of the last
//! few tokens and copying what followed them.
//!
//! A draft copies much of its wording from the dictation (and its line syntax from the worked
//! examples), so the guesses are often right. The engine runs the guessed tokens through the
//! model together with the token just chosen and keeps those the model would have chosen
//! itself: on this CPU a forward pass over a handful of tokens costs little more than over one,
//! because the weights are read once either way. Every emitted token is still the model's own
//! choice at its position (up to the float rounding of a batched pass); only the number of
//! passes changes.

/// Longest and shortest suffix looked up; a single token recurs too often to predict anything.
const NGRAM_SIZES: [usize; 2] = [3, 2];

/// Up to `max` tokens that followed the latest earlier occurrence of the last tokens of `context`.
pub fn guess(context: &[u32], max: usize) -> &[u32] {
    if max == 0 {
        return &[];
    }
    for n in NGRAM_SIZES {
        let Some(start) = context.len().checked_sub(n) else {
            continue;
        };
        let suffix = &context[start..];
        if let Some(at) = context[..context.len() - 1].windows(n).rposition(|w| w == suffix) {
            let follow = &context[at + n..];
            return &follow[..follow.len().min(max)];
        }
    }
    &[]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_what_followed_the_latest_earlier_occurrence() {
        // "… 7 8 9 1 …" and later "… 7 8" again: guess "9 1".
        let context = [1, 7, 8, 9, 1, 2, 5, 7, 8];
        assert_eq!(guess(&context, 2), &[9, 1]);
        assert_eq!(guess(&context, 10), &[9, 1, 2, 5, 7, 8]);
        // The longest suffix wins over a later match of a shorter one.
        let context = [4, 5, 6, 1, 9, 5, 6, 2, 4, 5, 6];
        assert_eq!(guess(&context, 1), &[1]);
    }

    #[test]
    fn guesses_nothing_without_a_repeated_pair() {
        assert!(guess(&[1, 2, 3, 4], 4).is_empty());
        assert!(guess(&[3], 4).is_empty());
        assert!(guess(&[], 4).is_empty());
        assert!(guess(&[1, 2, 1, 2], 0).is_empty());
    }
}
