//! The password policy (BSI IT-Grundschutz ORP.4.A8, NIST SP 800-63B): at least 12 characters,
//! not one of the 30,000 most common passwords (also not one of them with digits or symbols
//! around it, as in "Passwort2024!"), not a run of few distinct characters — and no composition
//! rules, which make passwords harder to remember, not to guess.

use std::collections::HashSet;
use std::sync::OnceLock;

pub const MIN_CHARS: usize = 12;
const MAX_BYTES: usize = 1024;
/// Fewer distinct characters than this ("aaaaaaaaaaaa", "121212121212") is refused.
const MIN_DISTINCT: usize = 5;

fn common() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("common-passwords.txt").lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect()
    })
}

/// Why a password is refused, in a sentence for the user; `Ok` when it may be used.
pub fn check(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_CHARS {
        return Err(format!("passwords need at least {MIN_CHARS} characters"));
    }
    if password.len() > MAX_BYTES {
        return Err(format!("passwords are limited to {MAX_BYTES} bytes"));
    }
    let lower = password.to_lowercase();
    let core = lower.trim_matches(|c: char| !c.is_alphabetic());
    if common().contains(lower.as_str()) || (!core.is_empty() && common().contains(core)) {
        return Err("this password is one of the most common ones; choose another".into());
    }
    let distinct: HashSet<char> = lower.chars().collect();
    if distinct.len() < MIN_DISTINCT {
        return Err("this password repeats too few characters; choose another".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_uncommon_passwords_pass_without_composition_rules() {
        assert!(check("lang genug 123").is_ok());
        assert!(check("ein ganz normaler satz").is_ok(), "no digits or capitals required");
    }

    #[test]
    fn short_common_and_repetitive_passwords_are_refused() {
        assert!(check("kurz-123").unwrap_err().contains("12 characters"));
        assert!(check("1qaz2wsx3edc").unwrap_err().contains("most common"), "in the list as it is");
        assert!(check("Password2024!!").unwrap_err().contains("most common"), "a common word with digits around it");
        assert!(check("!!Sunshine!!2024").unwrap_err().contains("most common"));
        assert!(check("121212121212").unwrap_err().contains("too few"));
        assert!(check(&"x".repeat(2000)).is_err());
    }

    #[test]
    fn the_list_is_loaded() {
        assert_eq!(common().len(), 30_000 - duplicates());
    }

    fn duplicates() -> usize {
        let lines: Vec<&str> =
            include_str!("common-passwords.txt").lines().filter(|l| !l.starts_with('#') && !l.is_empty()).collect();
        lines.len() - lines.iter().collect::<HashSet<_>>().len()
    }
}
