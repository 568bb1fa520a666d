//! Text metrics shared by the layout and the SVG renderer.
//!
//! Neither ablauf nor the modeling tools know the exact font, so widths are estimated per
//! character class of a sans-serif face (Arial metrics, rounded up). The estimate only has
//! to be a little pessimistic: boxes are sized from it, and the renderers wrap with it.

/// Font size of names inside tasks and of pool and lane names (bpmn-js uses 12 px).
pub const INNER_FONT: f64 = 12.0;
/// Font size of labels outside shapes: events, gateways, data objects, flows (bpmn-js: 11 px).
pub const LABEL_FONT: f64 = 11.0;
/// Line height as a multiple of the font size (bpmn-js: 1.2).
pub const LINE_HEIGHT: f64 = 1.2;
/// bpmn-js wraps external labels at this width whatever the label bounds say.
pub const LABEL_WRAP: f64 = 90.0;

/// Estimated advance of one character in em.
fn char_em(c: char) -> f64 {
    match c {
        ' ' => 0.28,
        'i' | 'j' | 'l' | '.' | ',' | ';' | ':' | '\'' | '|' | '!' | 'ı' | '´' | '`' => 0.25,
        'f' | 't' | 'r' | 'I' | '(' | ')' | '[' | ']' | '/' | '-' | '\\' => 0.36,
        'm' | 'w' | 'M' | 'W' | '@' | '%' | '—' => 0.86,
        c if c.is_ascii_digit() => 0.56,
        c if c.is_uppercase() => 0.7,
        c if c.is_alphabetic() => 0.56,
        _ => 0.6,
    }
}

/// Estimated width of `text` in pixels at `font` px.
pub fn width(text: &str, font: f64) -> f64 {
    text.chars().map(char_em).sum::<f64>() * font
}

pub fn line_height(font: f64) -> f64 {
    font * LINE_HEIGHT
}

/// Wraps `text` into lines no wider than `max` pixels, breaking at spaces and, for words
/// that are longer than a line on their own, inside the word (after a hyphen where possible).
pub fn wrap(text: &str, font: f64, max: f64) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if width(&candidate, font) <= max {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            let mut rest = word;
            while width(rest, font) > max {
                let cut = split_point(rest, font, max);
                lines.push(rest[..cut].to_owned());
                rest = &rest[cut..];
            }
            line = rest.to_owned();
        }
        if !line.is_empty() {
            lines.push(line);
        }
    }
    lines
}

/// Byte index at which an over-long word is cut: after the last hyphen that fits, else
/// after as many characters as fit (at least one, so wrapping always advances).
fn split_point(word: &str, font: f64, max: f64) -> usize {
    let mut used = 0.0;
    let mut fit = 0;
    let mut hyphen = None;
    for (i, c) in word.char_indices() {
        used += char_em(c) * font;
        if used > max && fit > 0 {
            break;
        }
        fit = i + c.len_utf8();
        if c == '-' {
            hyphen = Some(fit);
        }
    }
    hyphen.filter(|&h| h < word.len()).unwrap_or(fit)
}

/// Width of the longest word of `text`.
pub fn longest_word(text: &str, font: f64) -> f64 {
    text.split_whitespace().map(|w| width(w, font)).fold(0.0, f64::max)
}

/// The box of an external label: (width, height). bpmn-js wraps the text at the width of
/// this box and breaks words that do not fit, so the box is made wide enough for the
/// longest word and has some slack for the real font being wider than estimated.
pub fn label_size(text: &str) -> (f64, f64) {
    let wrap_at = LABEL_WRAP.max(longest_word(text, LABEL_FONT));
    let lines = wrap(text, LABEL_FONT, wrap_at);
    let w = lines.iter().map(|l| width(l, LABEL_FONT)).fold(0.0, f64::max);
    ((w * LABEL_SLACK + 4.0).ceil(), (lines.len() as f64 * line_height(LABEL_FONT)).ceil())
}

/// How much wider than estimated a label box is made.
pub const LABEL_SLACK: f64 = 1.08;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_keeps_every_character_and_respects_the_width() {
        let text = "Meldeadresse im Melderegister prüfen und Verwaltungsgebührenbescheid erstellen";
        let lines = wrap(text, INNER_FONT, 100.0);
        assert!(lines.len() > 2);
        assert!(lines.iter().all(|l| width(l, INNER_FONT) <= 100.0));
        assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
    }

    #[test]
    fn a_single_wide_character_still_advances() {
        assert_eq!(wrap("WWW", INNER_FONT, 1.0), vec!["W", "W", "W"]);
    }
}
