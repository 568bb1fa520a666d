//! Turns generated token bytes into text pieces: only complete UTF-8 characters are released,
//! and text that could be the start of a stop sequence is held back until it is clear.

pub struct TextStream {
    pending: Vec<u8>,
    text: String,
    released: usize,
    stop: Vec<String>,
}

/// What one call to [`TextStream::push`] produced.
pub struct Pushed {
    /// Text that can be shown now (may be empty).
    pub piece: String,
    /// A stop sequence matched; the text ends before it.
    pub stopped: bool,
}

impl TextStream {
    pub fn new(stop: &[String]) -> Self {
        let stop = stop.iter().filter(|s| !s.is_empty()).cloned().collect();
        TextStream { pending: Vec::new(), text: String::new(), released: 0, stop }
    }

    pub fn push(&mut self, bytes: &[u8]) -> Pushed {
        self.pending.extend_from_slice(bytes);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(s) => s.len(),
            Err(e) if e.error_len().is_some() => {
                // Invalid bytes (not just an unfinished character) will never complete: replace them.
                let lossy = String::from_utf8_lossy(&self.pending).into_owned();
                self.pending.clear();
                self.pending.extend_from_slice(lossy.as_bytes());
                lossy.len()
            }
            Err(e) => e.valid_up_to(),
        };
        let complete: Vec<u8> = self.pending.drain(..valid).collect();
        self.text.push_str(std::str::from_utf8(&complete).unwrap_or_default());
        // A stop sequence may have begun in released text; step back to a character boundary
        // (the stop's length in bytes can end inside an umlaut).
        let mut search_from = self.released.saturating_sub(self.longest_stop());
        while !self.text.is_char_boundary(search_from) {
            search_from -= 1;
        }
        let hit =
            self.stop.iter().filter_map(|s| self.text[search_from..].find(s.as_str()).map(|i| search_from + i)).min();
        if let Some(at) = hit {
            self.text.truncate(at);
            self.pending.clear();
            return Pushed { piece: self.release(at), stopped: true };
        }
        let safe = self.text.len() - self.held_back();
        Pushed { piece: self.release(safe), stopped: false }
    }

    /// Releases whatever is held back (generation ended without a stop sequence).
    pub fn finish(&mut self) -> String {
        let rest = String::from_utf8_lossy(&self.pending).into_owned();
        self.pending.clear();
        self.text.push_str(&rest);
        self.release(self.text.len())
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    fn release(&mut self, up_to: usize) -> String {
        let up_to = up_to.max(self.released);
        let piece = self.text[self.released..up_to].to_owned();
        self.released = up_to;
        piece
    }

    fn longest_stop(&self) -> usize {
        self.stop.iter().map(String::len).max().unwrap_or(0)
    }

    /// Length of the longest tail of the text that is a proper prefix of a stop sequence.
    fn held_back(&self) -> usize {
        let tail_start = self.released;
        self.stop
            .iter()
            .flat_map(|s| (1..s.len()).filter(|&n| s.is_char_boundary(n)).map(move |n| &s[..n]))
            .filter(|prefix| self.text.len() - tail_start >= prefix.len() && self.text.ends_with(prefix))
            .map(str::len)
            .max()
            .unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multibyte_characters_are_released_whole() {
        let mut s = TextStream::new(&[]);
        let bytes = "Prüfung".as_bytes();
        let mut out = String::new();
        for b in bytes {
            let pushed = s.push(std::slice::from_ref(b));
            assert!(std::str::from_utf8(pushed.piece.as_bytes()).is_ok());
            out.push_str(&pushed.piece);
        }
        out.push_str(&s.finish());
        assert_eq!(out, "Prüfung");
    }

    #[test]
    fn a_stop_sequence_after_an_umlaut_is_found() {
        let mut s = TextStream::new(&["\n".to_owned()]);
        assert_eq!(s.push("prüfen".as_bytes()).piece, "prüfen");
        assert_eq!(s.push("ü".as_bytes()).piece, "ü");
        let pushed = s.push(" ok\nmehr".as_bytes());
        assert!(pushed.stopped);
        assert_eq!(s.text(), "prüfenü ok");
    }

    #[test]
    fn stop_sequences_cut_the_text_and_are_never_streamed() {
        let mut s = TextStream::new(&["\nEND".to_string()]);
        let mut out = String::new();
        let mut stopped = false;
        for piece in ["Schritt 1", "\n", "EN", "D und mehr"] {
            let pushed = s.push(piece.as_bytes());
            out.push_str(&pushed.piece);
            if pushed.stopped {
                stopped = true;
                break;
            }
        }
        assert!(stopped);
        assert_eq!(out, "Schritt 1");
        assert_eq!(s.text(), "Schritt 1");
    }

    #[test]
    fn a_false_start_of_a_stop_sequence_is_released_later() {
        let mut s = TextStream::new(&["###".to_string()]);
        assert_eq!(s.push(b"a#").piece, "a");
        assert_eq!(s.push(b"#b").piece, "##b");
        assert_eq!(s.finish(), "");
        assert_eq!(s.text(), "a##b");
    }
}
