//! Who may do what: roles, credentials and the access policy of the JSON API.
//!
//! Secrets are never stored: passwords as argon2id hashes, API tokens and session ids as
//! sha256 (they are 240-bit random values, so a fast hash is enough and allows lookup).

mod password;
mod policy;
pub mod throttle;

use std::str::FromStr;

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

pub use password::check as check_password;
pub use policy::{Access, POLICY, required_access};

/// Roles, each including the rights of the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads processes, exports, reports.
    Reader,
    /// Drafts processes and edits their own drafts.
    Clerk,
    /// Edits any process, publishes, decides duplicate suggestions.
    Reviewer,
    /// Manages users, the catalogue and settings; reads the audit log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Reader, Role::Clerk, Role::Reviewer, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Reader => "reader",
            Role::Clerk => "clerk",
            Role::Reviewer => "reviewer",
            Role::Admin => "admin",
        }
    }
}

impl FromStr for Role {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("unknown role {s:?}; expected one of reader, clerk, reviewer, admin"))
    }
}

/// An authenticated user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Principal {
    pub user: String,
    pub role: Role,
}

impl Principal {
    pub fn may(&self, role: Role) -> bool {
        self.role >= role
    }
}

/// How long a web session lasts: it ends after `idle` without a request, and `lifetime` after
/// sign-in in any case (BSI ORP.4: sessions end on their own).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle: std::time::Duration,
    pub lifetime: std::time::Duration,
}

impl Default for SessionLimits {
    fn default() -> Self {
        SessionLimits {
            idle: std::time::Duration::from_secs(30 * 60),
            lifetime: std::time::Duration::from_secs(10 * 3600),
        }
    }
}

/// A fresh random secret (API token or session id): 60 hex digits of OS randomness.
pub fn new_secret(prefix: &str) -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    // v4 uuids carry 122 random bits; the fixed version/variant digits are dropped.
    let random: String = a.chars().chain(b.chars()).enumerate().filter(|(i, _)| i % 32 != 12).map(|(_, c)| c).collect();
    format!("{prefix}{random}")
}

/// The lookup key of a high-entropy secret.
pub fn secret_hash(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(String);

pub fn hash_password(password: &str) -> Result<String, HashError> {
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// The hash of a password no one has, checked when a name is unknown so that a failed sign-in
/// takes as long either way.
pub fn dummy_password_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password(&new_secret("")).unwrap_or_default())
}

pub fn verify_password(password: &str, stored: &str) -> bool {
    argon2::password_hash::phc::PasswordHash::new(stored)
        .is_ok_and(|hash| argon2::Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

/// User names end up in audit entries and URLs: a conservative alphabet.
pub fn check_user_name(name: &str) -> Result<(), String> {
    let ok = (1..=64).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'));
    if ok {
        Ok(())
    } else {
        Err(format!("user name {name:?} must be 1–64 characters of letters, digits, '.', '_', '-', '@'"))
    }
}
