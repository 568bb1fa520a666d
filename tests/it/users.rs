//! Users, API tokens and login sessions in the real database, and `ablauf user`.

use crate::common;

use ablauf::auth::SessionLimits;
use ablauf::auth::{Principal, Role};
use ablauf::store::{Change, LoginFailure, SessionState, Store, StoreError};

const LIMITS: SessionLimits =
    SessionLimits { idle: std::time::Duration::from_secs(1800), lifetime: std::time::Duration::from_secs(36000) };

fn admin() -> Change<'static> {
    Change { author: "admin", reason: "", own_drafts_only: false }
}

#[test]
fn tokens_passwords_sessions_and_revocation() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ablauf.db")).unwrap();

    let (first, password) =
        store.bootstrap_admin(Some("abl_bootstrap"), None).unwrap().expect("first start creates an admin");
    assert_eq!((first.name.as_str(), first.role), ("admin", Role::Admin));
    assert!(store.bootstrap_admin(None, None).unwrap().is_none(), "only on the very first start");
    assert_eq!(store.principal_for_token("abl_bootstrap").unwrap().map(|p| p.role), Some(Role::Admin));
    assert!(store.login("admin", &password, LIMITS).unwrap().is_ok());

    let clerk = store.add_user("anna.k", Role::Clerk, Some("lang genug 123"), &admin()).unwrap();
    assert!(clerk.token.starts_with("abl_") && clerk.token.len() > 50);
    let anna = Principal { user: "anna.k".into(), role: Role::Clerk };
    assert_eq!(store.principal_for_token(&clerk.token).unwrap(), Some(anna.clone()));
    assert!(anna.may(Role::Reader) && anna.may(Role::Clerk) && !anna.may(Role::Reviewer));
    assert_eq!(store.principal_for_token("abl_wrong").unwrap(), None);

    assert!(matches!(store.login("anna.k", "falsches passwort", LIMITS).unwrap(), Err(LoginFailure::WrongPassword)));
    assert!(matches!(store.login("niemand", "lang genug 123", LIMITS).unwrap(), Err(LoginFailure::UnknownUser)));
    let session = store.login("anna.k", "lang genug 123", LIMITS).unwrap().unwrap();
    let SessionState::Live(who, csrf) = store.session(&session.id, LIMITS).unwrap() else { panic!("a live session") };
    assert_eq!((who, csrf), (anna.clone(), session.csrf.clone()));
    store.logout(&session.id).unwrap();
    assert!(matches!(store.session(&session.id, LIMITS).unwrap(), SessionState::Unknown));

    // Nothing secret is stored in the clear.
    let conn = rusqlite::Connection::open(dir.path().join("ablauf.db")).unwrap();
    let dump: String = conn
        .query_row(
            "SELECT group_concat(coalesce(password_hash, ''), ' ') || (SELECT group_concat(token_hash, ' ') FROM api_tokens) FROM users",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!dump.contains(&clerk.token) && !dump.contains("lang genug 123"));
    assert!(dump.contains("$argon2id$"));

    let again = store.login("anna.k", "lang genug 123", LIMITS).unwrap().unwrap();
    store.revoke_user("anna.k", &admin()).unwrap();
    assert_eq!(store.principal_for_token(&clerk.token).unwrap(), None, "revoked tokens stop working");
    assert!(matches!(store.session(&again.id, LIMITS).unwrap(), SessionState::Unknown), "revocation ends sessions");
    assert!(store.login("anna.k", "lang genug 123", LIMITS).unwrap().is_err());
    assert!(matches!(store.revoke_user("anna.k", &admin()), Err(StoreError::UserNotFound(_))));

    assert!(matches!(store.add_user("admin", Role::Reader, None, &admin()), Err(StoreError::UserExists(_))));
    assert!(matches!(store.add_user("bad name", Role::Reader, None, &admin()), Err(StoreError::BadInput(_))));
    assert!(matches!(store.add_user("kurz", Role::Reader, Some("short"), &admin()), Err(StoreError::BadInput(_))));

    let actions: Vec<String> = store.audit_log(10, None).unwrap().into_iter().map(|e| e.action).collect();
    assert_eq!(actions, vec!["auth.user_revoke", "auth.user_add", "auth.user_add"]);
}

#[test]
fn user_commands() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(common::BIN).args(args).arg("--data-dir").arg(dir.path()).output().unwrap()
    };
    let out = run(&["user", "add", "ben", "--role", "reviewer"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let user: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(user["role"], "reviewer");
    assert!(user["token"].as_str().unwrap().starts_with("abl_"));

    let list: serde_json::Value = serde_json::from_slice(&run(&["user", "list"]).stdout).unwrap();
    assert_eq!(list[0]["name"], "ben");
    assert_eq!(list[0]["revoked"], false);
    assert!(list[0].get("token").is_none());

    assert_eq!(run(&["user", "add", "ben", "--role", "reader"]).status.code(), Some(1));
    assert_eq!(run(&["user", "add", "x y", "--role", "reader"]).status.code(), Some(2));
    assert_eq!(run(&["user", "add", "carla", "--role", "chef"]).status.code(), Some(2));
    let out = run(&["user", "set", "ben", "--role", "clerk"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let list: serde_json::Value = serde_json::from_slice(&run(&["user", "list"]).stdout).unwrap();
    assert_eq!(list[0]["role"], "clerk");
    assert_eq!(run(&["user", "set", "ben"]).status.code(), Some(2), "nothing to change");
    assert_eq!(run(&["user", "set", "nobody", "--role", "clerk"]).status.code(), Some(2));
    let out = run(&["user", "token", "ben", "--days", "30"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let token: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(token["token"].as_str().unwrap().starts_with("abl_") && token["days"] == 30);
    assert!(run(&["user", "revoke", "ben"]).status.success());
    assert_eq!(run(&["user", "revoke", "ben"]).status.code(), Some(1));
}

/// A token with an expiry works until then and not after; the token's creation is audited.
#[test]
fn tokens_expire() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ablauf.db")).unwrap();
    store.add_user("anna.k", Role::Clerk, None, &admin()).unwrap();
    let lasting = store.add_token("anna.k", None, &admin()).unwrap();
    let short = store.add_token("anna.k", Some(1), &admin()).unwrap();
    assert_eq!(store.principal_for_token(&short).unwrap().map(|p| p.user), Some("anna.k".into()));
    // A day later, as the database sees it.
    let conn = rusqlite::Connection::open(dir.path().join("ablauf.db")).unwrap();
    conn.execute("UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE expires_at IS NOT NULL", [])
        .unwrap();
    assert_eq!(store.principal_for_token(&short).unwrap(), None, "expired");
    assert!(store.principal_for_token(&lasting).unwrap().is_some(), "no expiry, still valid");
    assert!(matches!(store.add_token("nobody", None, &admin()), Err(StoreError::UserNotFound(_))));
    let actions: Vec<String> =
        store.audit_log(10, Some("auth.token_add")).unwrap().into_iter().map(|e| e.detail).collect();
    assert_eq!(actions, ["anna.k, valid for 1 day", "anna.k, valid until revoked"]);
}

/// A session ends after its idle time without a request and after its lifetime in any case;
/// an ended session names its user once (for the audit log), then is gone.
#[test]
fn sessions_end_when_idle_or_too_old() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("ablauf.db")).unwrap();
    store.add_user("anna.k", Role::Clerk, Some("lang genug 123"), &admin()).unwrap();
    let short = |idle: u64, lifetime: u64| SessionLimits {
        idle: std::time::Duration::from_secs(idle),
        lifetime: std::time::Duration::from_secs(lifetime),
    };
    let idle = store.login("anna.k", "lang genug 123", short(1, 3600)).unwrap().unwrap();
    assert!(matches!(store.session(&idle.id, short(1, 3600)).unwrap(), SessionState::Live(..)));
    std::thread::sleep(std::time::Duration::from_millis(1300));
    assert!(
        matches!(store.session(&idle.id, short(1, 3600)).unwrap(), SessionState::Expired(user) if user == "anna.k")
    );
    assert!(matches!(store.session(&idle.id, short(1, 3600)).unwrap(), SessionState::Unknown));

    let old = store.login("anna.k", "lang genug 123", short(3600, 1)).unwrap().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1300));
    assert!(matches!(store.session(&old.id, short(3600, 1)).unwrap(), SessionState::Expired(_)), "past its lifetime");
}
