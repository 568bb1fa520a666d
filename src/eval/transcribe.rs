//! Word error rate of transcripts: the measure of `ablauf eval transcribe` and of the speech tests.

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
