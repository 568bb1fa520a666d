//! Protection against password guessing (BSI IT-Grundschutz ORP.4.A8): failed sign-ins slow
//! down per account and per client address, with a delay that doubles with each failure beyond
//! a few free ones and is capped, so no one can lock a real user out for longer than the cap.
//!
//! The account's delay holds only for addresses that have failed on it themselves: a correct
//! sign-in from an address without failures is never blocked by someone guessing elsewhere. A
//! name that does not exist is throttled exactly like one that does, so the answers do not tell
//! them apart. Failures are forgotten once a key has been quiet for [`FORGET_AFTER`].

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures on one account before its delay starts.
pub const FREE_PER_ACCOUNT: u32 = 5;
/// Failures from one address (any account, unknown tokens too) before its delay starts.
pub const FREE_PER_ADDRESS: u32 = 10;
/// The first delay; each further failure doubles it.
const FIRST_DELAY: Duration = Duration::from_secs(1);
/// The longest delay: the most a guessing attacker can hold a real user back.
pub const MAX_DELAY: Duration = Duration::from_secs(15 * 60);
/// Quiet time after which a key's failures are forgotten.
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

impl Failures {
    /// Until when this key must wait, given how many failures are free.
    fn blocked_until(&self, free: u32) -> Option<Instant> {
        let over = self.count.checked_sub(free).filter(|&over| over > 0)?;
        let delay = FIRST_DELAY.saturating_mul(1u32 << (over - 1).min(20)).min(MAX_DELAY);
        Some(self.last + delay)
    }
}

/// In-memory counters; a restart forgets them (a restart is no faster than the cap).
#[derive(Default)]
pub struct Throttle {
    inner: Mutex<Counters>,
}

#[derive(Default)]
struct Counters {
    accounts: HashMap<String, Failures>,
    addresses: HashMap<IpAddr, Failures>,
    /// Accounts each address has failed on, so the account's delay applies to it.
    pairs: HashMap<(String, IpAddr), Failures>,
}

impl Throttle {
    /// `Err(wait)` when a sign-in for `account` (`None` for a bearer token) from `address`
    /// must wait; checked before the credential is, so a throttled guess learns nothing.
    pub fn check(&self, account: Option<&str>, address: IpAddr, now: Instant) -> Result<(), Duration> {
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        c.forget(now);
        let mut until = c.addresses.get(&address).and_then(|f| f.blocked_until(FREE_PER_ADDRESS));
        if let Some(account) = account {
            let tried_here = c.pairs.contains_key(&(account.to_owned(), address));
            if tried_here {
                until = until.max(c.accounts.get(account).and_then(|f| f.blocked_until(FREE_PER_ACCOUNT)));
            }
        }
        match until {
            Some(until) if until > now => Err(until - now),
            _ => Ok(()),
        }
    }

    /// Records a failed sign-in (or an unknown token, with `account` `None`).
    pub fn failed(&self, account: Option<&str>, address: IpAddr, now: Instant) {
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let bump = |f: &mut Failures| {
            f.count = f.count.saturating_add(1);
            f.last = now;
        };
        let fresh = Failures { count: 0, last: now };
        bump(c.addresses.entry(address).or_insert(fresh));
        if let Some(account) = account {
            bump(c.accounts.entry(account.to_owned()).or_insert(fresh));
            bump(c.pairs.entry((account.to_owned(), address)).or_insert(fresh));
        }
    }

    /// A correct sign-in clears the address's record and its record on that account; the
    /// account's own count stays until it is forgotten, so a guesser cannot reset it by
    /// signing in to an account of their own.
    pub fn succeeded(&self, account: &str, address: IpAddr) {
        let mut c = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        c.addresses.remove(&address);
        c.pairs.remove(&(account.to_owned(), address));
    }
}

impl Counters {
    fn forget(&mut self, now: Instant) {
        let live = |f: &Failures| now.saturating_duration_since(f.last) < FORGET_AFTER;
        self.accounts.retain(|_, f| live(f));
        self.addresses.retain(|_, f| live(f));
        self.pairs.retain(|_, f| live(f));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn delays_grow_after_the_free_failures_and_stay_capped() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..FREE_PER_ACCOUNT {
            assert!(throttle.check(Some("admin"), ip(1), t0).is_ok());
            throttle.failed(Some("admin"), ip(1), t0);
        }
        // The sixth try is allowed; after it fails the account waits 1 s, after the next 2 s, …
        assert!(throttle.check(Some("admin"), ip(1), t0).is_ok());
        throttle.failed(Some("admin"), ip(1), t0);
        assert_eq!(throttle.check(Some("admin"), ip(1), t0), Err(Duration::from_secs(1)));
        assert!(throttle.check(Some("admin"), ip(1), t0 + Duration::from_secs(1)).is_ok());
        throttle.failed(Some("admin"), ip(1), t0);
        assert_eq!(throttle.check(Some("admin"), ip(1), t0), Err(Duration::from_secs(2)));
        for _ in 0..40 {
            throttle.failed(Some("admin"), ip(1), t0);
        }
        assert_eq!(throttle.check(Some("admin"), ip(1), t0), Err(MAX_DELAY));
        assert!(throttle.check(Some("admin"), ip(1), t0 + MAX_DELAY).is_ok(), "the lock lifts after the cap");
    }

    #[test]
    fn a_clean_address_is_not_blocked_by_guesses_from_another() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..30 {
            throttle.failed(Some("admin"), ip(66), t0);
        }
        assert!(throttle.check(Some("admin"), ip(66), t0).is_err());
        assert!(throttle.check(Some("admin"), ip(7), t0).is_ok());
        // Once the second address fails on the account too, the account's delay holds for it.
        throttle.failed(Some("admin"), ip(7), t0);
        assert!(throttle.check(Some("admin"), ip(7), t0).is_err());
        // And a correct sign-in there clears it for that address only.
        throttle.succeeded("admin", ip(7));
        assert!(throttle.check(Some("admin"), ip(7), t0).is_ok());
        assert!(throttle.check(Some("admin"), ip(66), t0).is_err());
    }

    #[test]
    fn unknown_names_and_tokens_count_like_any_other() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..=FREE_PER_ADDRESS {
            throttle.failed(None, ip(9), t0);
        }
        assert!(throttle.check(None, ip(9), t0).is_err(), "unknown tokens from one address");
        assert!(throttle.check(Some("nobody"), ip(9), t0).is_err(), "the address waits for any account");
        assert!(throttle.check(None, ip(10), t0).is_ok());
    }

    #[test]
    fn failures_are_forgotten_after_a_quiet_hour() {
        let throttle = Throttle::default();
        let t0 = Instant::now();
        for _ in 0..30 {
            throttle.failed(Some("admin"), ip(1), t0);
        }
        assert!(throttle.check(Some("admin"), ip(1), t0 + FORGET_AFTER).is_ok());
    }
}
