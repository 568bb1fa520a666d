//! Users, API tokens and login sessions.

use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Change, Context, NOW, Result, Store, StoreError, audit};
use crate::auth::{self, Principal, Role, SessionLimits};

/// How long a web login lasts.
/// A live session's last request is written at most this often (seconds), not on every read.
const LAST_SEEN_EVERY_S: u32 = 60;

/// A new user's credentials, shown once and never stored in the clear.
#[derive(Debug, Clone, Serialize)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    pub token: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct UserInfo {
    pub name: String,
    pub role: Role,
    pub created_at: String,
    pub revoked: bool,
    pub has_password: bool,
    /// Signs in at the directory, which gives the role at each sign-in.
    pub directory: bool,
}

/// A web login: the session id goes into an HttpOnly cookie, the CSRF token to the page.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: String,
    pub csrf: String,
    pub principal: Principal,
}

impl Store {
    /// Creates a user with an API token (and a password for web login, if given).
    pub fn add_user(&self, name: &str, role: Role, password: Option<&str>, change: &Change) -> Result<NewUser> {
        auth::check_user_name(name).map_err(StoreError::BadInput)?;
        let password_hash = match password {
            Some(p) => {
                auth::check_password(p).map_err(StoreError::BadInput)?;
                Some(auth::hash_password(p).map_err(|e| StoreError::BadInput(e.to_string()))?)
            }
            None => None,
        };
        let token = auth::new_secret("abl_");
        self.write(|tx| {
            let exists: bool = tx
                .query_row("SELECT count(*) > 0 FROM users WHERE name = ?1", [name], |r| r.get(0))
                .context("look up a user")?;
            if exists {
                return Err(StoreError::UserExists(name.to_owned()));
            }
            tx.execute(
                &format!("INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, {NOW})"),
                params![name, role.as_str(), password_hash],
            )
            .context("add a user")?;
            tx.execute(
                &format!("INSERT INTO api_tokens (token_hash, user_name, created_at) VALUES (?1, ?2, {NOW})"),
                params![auth::secret_hash(&token), name],
            )
            .context("add a token")?;
            audit(tx, change, "auth.user_add", None, None, None, &format!("{name} as {}", role.as_str()))?;
            Ok(NewUser { name: name.to_owned(), role, token: token.clone() })
        })
    }

    pub fn list_users(&self) -> Result<Vec<UserInfo>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT name, role, created_at, revoked_at IS NOT NULL, password_hash IS NOT NULL,
                            directory_dn IS NOT NULL
                     FROM users ORDER BY name",
                )
                .context("list users")?;
            stmt.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
            })
            .context("list users")?
            .map(|row| {
                let (name, role, created_at, revoked, has_password, directory) = row.context("list users")?;
                Ok(UserInfo { name, role: parse_role(&role)?, created_at, revoked, has_password, directory })
            })
            .collect()
        })
    }

    /// Revokes a user: tokens stop working and sessions end at once.
    pub fn revoke_user(&self, name: &str, change: &Change) -> Result<()> {
        self.write(|tx| {
            if !revoke(tx, name, change.author)? {
                return Err(StoreError::UserNotFound(name.to_owned()));
            }
            audit(tx, change, "auth.user_revoke", None, None, None, name)
        })
    }

    /// Changes `name`'s password to `new` (the policy applies), if `current` is their password,
    /// and ends their other sessions (all but `keep`).
    pub fn change_password(
        &self,
        name: &str,
        current: &str,
        new: &str,
        keep: Option<&str>,
        change: &Change,
    ) -> Result<std::result::Result<(), LoginFailure>> {
        if let Err(failure) = self.check_credentials(name, current)? {
            return Ok(Err(failure));
        }
        self.set_password(name, new, keep, change).map(Ok)
    }

    /// Sets `name`'s password (an admin's reset; the policy applies) and ends their sessions but
    /// `keep`.
    pub fn set_password(&self, name: &str, password: &str, keep: Option<&str>, change: &Change) -> Result<()> {
        auth::check_password(password).map_err(StoreError::BadInput)?;
        let hash = auth::hash_password(password).map_err(|e| StoreError::BadInput(e.to_string()))?;
        let keep = keep.map(auth::secret_hash).unwrap_or_default();
        self.write(|tx| {
            let directory: Option<bool> = tx
                .query_row("SELECT directory_dn IS NOT NULL FROM users WHERE name = ?1", [name], |r| r.get(0))
                .optional()
                .context("look up a user")?;
            if directory == Some(true) {
                return Err(StoreError::BadInput(format!(
                    "{name} signs in at the directory; their password is changed there"
                )));
            }
            let changed = tx
                .execute("UPDATE users SET password_hash = ?2 WHERE name = ?1 AND revoked_at IS NULL", [name, &hash])
                .context("set a password")?;
            if changed == 0 {
                return Err(StoreError::UserNotFound(name.to_owned()));
            }
            let ended = tx
                .execute("DELETE FROM sessions WHERE user_name = ?1 AND session_hash != ?2", [name, &keep])
                .context("end sessions")?;
            audit(
                tx,
                change,
                "auth.password_change",
                None,
                None,
                None,
                &format!("{name}; {ended} other sessions ended"),
            )
        })
    }

    /// A further API token for `name`, valid for `days` (or until revoked); shown only now.
    pub fn add_token(&self, name: &str, days: Option<u32>, change: &Change) -> Result<String> {
        let token = auth::new_secret("abl_");
        let expires = days.map(|d| format!("+{d} days"));
        self.write(|tx| {
            let active: bool = tx
                .query_row("SELECT count(*) > 0 FROM users WHERE name = ?1 AND revoked_at IS NULL", [name], |r| r.get(0))
                .context("look up a user")?;
            if !active {
                return Err(StoreError::UserNotFound(name.to_owned()));
            }
            tx.execute(
                &format!(
                    "INSERT INTO api_tokens (token_hash, user_name, created_at, expires_at)
                     VALUES (?1, ?2, {NOW}, CASE WHEN ?3 IS NULL THEN NULL ELSE strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?3) END)"
                ),
                params![auth::secret_hash(&token), name, expires],
            )
            .context("add a token")?;
            let valid = days.map_or("until revoked".to_owned(), |d| format!("for {d} day{}", if d == 1 { "" } else { "s" }));
            audit(tx, change, "auth.token_add", None, None, None, &format!("{name}, valid {valid}"))?;
            Ok(token.clone())
        })
    }

    /// Gives `name` another role; it holds from their next request on.
    pub fn set_role(&self, name: &str, role: Role, change: &Change) -> Result<()> {
        self.write(|tx| {
            let before: Option<String> = tx
                .query_row("SELECT role FROM users WHERE name = ?1 AND revoked_at IS NULL", [name], |r| r.get(0))
                .optional()
                .context("look up a user")?;
            let before = before.ok_or_else(|| StoreError::UserNotFound(name.to_owned()))?;
            tx.execute("UPDATE users SET role = ?2 WHERE name = ?1", [name, role.as_str()]).context("set a role")?;
            audit(tx, change, "auth.role_change", None, None, None, &format!("{name}: {before} -> {}", role.as_str()))
        })
    }

    /// Creates the first admin when there is no user yet; returns its credentials to show once.
    /// `token` and `password`, when given, are used instead of random ones (for scripted
    /// deployments and tests).
    pub fn bootstrap_admin(&self, token: Option<&str>, password: Option<&str>) -> Result<Option<(NewUser, String)>> {
        let users: i64 =
            self.read(|c| c.query_row("SELECT count(*) FROM users", [], |r| r.get(0)).context("count users"))?;
        if users > 0 {
            return Ok(None);
        }
        let password = password.map_or_else(|| auth::new_secret(""), str::to_owned);
        let change = Change { author: "system", reason: "first start", own_drafts_only: false };
        let mut admin = self.add_user("admin", Role::Admin, Some(&password), &change)?;
        if let Some(token) = token {
            self.write(|tx| {
                tx.execute(
                    &format!("INSERT INTO api_tokens (token_hash, user_name, created_at) VALUES (?1, 'admin', {NOW})"),
                    [auth::secret_hash(token)],
                )
                .context("add the bootstrap token")?;
                Ok(())
            })?;
            admin.token = token.to_owned();
        }
        Ok(Some((admin, password)))
    }

    pub fn principal_for_token(&self, token: &str) -> Result<Option<Principal>> {
        self.read(|conn| {
            conn.query_row(
                &format!(
                    "SELECT u.name, u.role FROM api_tokens t JOIN users u ON u.name = t.user_name
                     WHERE t.token_hash = ?1 AND t.revoked_at IS NULL AND u.revoked_at IS NULL
                       AND (t.expires_at IS NULL OR t.expires_at > {NOW})"
                ),
                [auth::secret_hash(token)],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()
            .context("check a token")?
            .map(|(user, role)| Ok(Principal { user, role: parse_role(&role)? }))
            .transpose()
        })
    }

    /// The role of the active user `name` if `password` is theirs. An unknown name costs the
    /// same password check as a known one, so the time taken does not tell them apart.
    fn check_credentials(&self, name: &str, password: &str) -> Result<std::result::Result<Role, LoginFailure>> {
        let row = self.read(|conn| {
            conn.query_row(
                "SELECT role, password_hash FROM users WHERE name = ?1 AND revoked_at IS NULL AND password_hash IS NOT NULL",
                [name],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)),
            )
            .optional()
            .context("look up a user")
        })?;
        let Some((role, hash)) = row else {
            auth::verify_password(password, auth::dummy_password_hash());
            return Ok(Err(LoginFailure::UnknownUser));
        };
        if !auth::verify_password(password, &hash) {
            return Ok(Err(LoginFailure::WrongPassword));
        }
        Ok(Ok(parse_role(&role)?))
    }

    /// Checks name and password and opens a session (always a new id).
    pub fn login(
        &self,
        name: &str,
        password: &str,
        limits: SessionLimits,
    ) -> Result<std::result::Result<Session, LoginFailure>> {
        let role = match self.check_credentials(name, password)? {
            Ok(role) => role,
            Err(failure) => return Ok(Err(failure)),
        };
        let principal = Principal { user: name.to_owned(), role };
        self.write(move |tx| open_session(tx, principal, limits)).map(Ok)
    }

    /// Whether `name` signs in with a password kept here (the first admin, local accounts)
    /// rather than at the directory.
    pub fn signs_in_locally(&self, name: &str) -> Result<bool> {
        self.read(|conn| {
            conn.query_row(
                "SELECT count(*) > 0 FROM users WHERE name = ?1 AND password_hash IS NOT NULL AND directory_dn IS NULL",
                [name],
                |r| r.get(0),
            )
            .context("look up a user")
        })
    }

    /// Opens a session for `name`, whom the directory has just accepted (its entry `dn`, the
    /// role its groups give). The local record is created or brought up to date, the role
    /// change audited; a user an admin revoked stays out, and a local account of the same name
    /// is never taken over.
    pub fn directory_login(
        &self,
        name: &str,
        dn: &str,
        role: Role,
        limits: SessionLimits,
    ) -> Result<std::result::Result<Session, LoginFailure>> {
        auth::check_user_name(name).map_err(StoreError::BadInput)?;
        self.write(|tx| {
            // Role, whether a directory account, whether revoked, whether by the directory.
            let row: Option<(String, bool, bool, bool)> = tx
                .query_row(
                    "SELECT role, directory_dn IS NOT NULL, revoked_at IS NOT NULL, coalesce(revoked_by = ?2, 0)
                     FROM users WHERE name = ?1",
                    [name, DIRECTORY],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()
                .context("look up a user")?;
            match row {
                None => {
                    tx.execute(
                        &format!("INSERT INTO users (name, role, created_at, directory_dn) VALUES (?1, ?2, {NOW}, ?3)"),
                        params![name, role.as_str(), dn],
                    )
                    .context("add a directory user")?;
                    let detail = format!("{name} as {} (directory: {dn})", role.as_str());
                    audit(tx, &BY_DIRECTORY, "auth.user_add", None, None, None, &detail)?;
                }
                Some((_, false, _, _)) => return Ok(Err(LoginFailure::LocalAccount)),
                Some((_, true, true, false)) => return Ok(Err(LoginFailure::Revoked)),
                Some((before, true, revoked, _)) => {
                    tx.execute(
                        "UPDATE users SET directory_dn = ?2, revoked_at = NULL, revoked_by = NULL WHERE name = ?1",
                        params![name, dn],
                    )
                    .context("update a directory user")?;
                    if revoked {
                        audit(
                            tx,
                            &BY_DIRECTORY,
                            "auth.user_restore",
                            None,
                            None,
                            None,
                            &format!("{name}: back in a group"),
                        )?;
                    }
                    set_directory_role(tx, name, &before, role)?;
                }
            }
            open_session(tx, Principal { user: name.to_owned(), role }, limits).map(Ok)
        })
    }

    /// The directory accepted `name`'s password but no configured group holds them any more:
    /// their record here is revoked (sessions end, tokens stop) until a group holds them again.
    pub fn directory_without_group(&self, name: &str) -> Result<()> {
        self.apply_directory_roles(&[(name.to_owned(), None)])
    }

    /// The active directory users, whose groups [`Store::apply_directory_roles`] keeps up with.
    pub fn directory_users(&self) -> Result<Vec<String>> {
        self.read(|conn| {
            let mut stmt = conn
                .prepare("SELECT name FROM users WHERE directory_dn IS NOT NULL AND revoked_at IS NULL ORDER BY name")
                .context("list directory users")?;
            let names = stmt.query_map([], |r| r.get(0)).context("list directory users")?;
            names.map(|n| n.context("list directory users")).collect()
        })
    }

    /// Brings active directory users up to the roles the directory gives them now: a new role is
    /// audited, `None` (in no group, or gone) revokes the user until a group holds them again.
    pub fn apply_directory_roles(&self, roles: &[(String, Option<Role>)]) -> Result<()> {
        self.write(|tx| {
            for (name, role) in roles {
                let before: Option<String> = tx
                    .query_row(
                        "SELECT role FROM users WHERE name = ?1 AND directory_dn IS NOT NULL AND revoked_at IS NULL",
                        [name],
                        |r| r.get(0),
                    )
                    .optional()
                    .context("look up a user")?;
                match (before, role) {
                    (None, _) => {}
                    (Some(before), Some(role)) => set_directory_role(tx, name, &before, *role)?,
                    (Some(_), None) => {
                        revoke(tx, name, DIRECTORY)?;
                        let detail = format!("{name}: in no group that gives a role");
                        audit(tx, &BY_DIRECTORY, "auth.user_revoke", None, None, None, &detail)?;
                    }
                }
            }
            Ok(())
        })
    }

    /// The user and CSRF token of a live session. A session past its lifetime or idle for
    /// longer than `limits.idle` ends here and comes back as [`SessionState::Expired`].
    pub fn session(&self, id: &str, limits: SessionLimits) -> Result<SessionState> {
        let hash = auth::secret_hash(id);
        let row = self.read(|conn| {
            conn.query_row(
                &format!(
                    "SELECT u.name, u.role, s.csrf_token,
                            s.expires_at > {NOW}
                              AND coalesce(s.last_seen, s.created_at) > strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-{} seconds'),
                            coalesce(s.last_seen, s.created_at) < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-{LAST_SEEN_EVERY_S} seconds')
                     FROM sessions s JOIN users u ON u.name = s.user_name
                     WHERE s.session_hash = ?1 AND u.revoked_at IS NULL",
                    limits.idle.as_secs()
                ),
                [&hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .context("check a session")
        })?;
        let Some((user, role, csrf, live, mark)): Option<(String, String, String, bool, bool)> = row else {
            return Ok(SessionState::Unknown);
        };
        if !live {
            self.logout(id)?;
            return Ok(SessionState::Expired(user));
        }
        if mark {
            self.write(|tx| {
                tx.execute(&format!("UPDATE sessions SET last_seen = {NOW} WHERE session_hash = ?1"), [&hash])
                    .context("mark a session")?;
                Ok(())
            })?;
        }
        Ok(SessionState::Live(Principal { user, role: parse_role(&role)? }, csrf))
    }

    pub fn logout(&self, id: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute("DELETE FROM sessions WHERE session_hash = ?1", [auth::secret_hash(id)])
                .context("end a session")?;
            Ok(())
        })
    }
}

/// The author of what the directory changes.
const DIRECTORY: &str = "directory";
const BY_DIRECTORY: Change<'static> = Change { author: DIRECTORY, reason: "", own_drafts_only: false };

/// Gives the directory user `name` the `role` their groups give, audited where it changes.
fn set_directory_role(tx: &rusqlite::Transaction<'_>, name: &str, before: &str, role: Role) -> Result<()> {
    if before == role.as_str() {
        return Ok(());
    }
    tx.execute("UPDATE users SET role = ?2 WHERE name = ?1", [name, role.as_str()]).context("set a role")?;
    let detail = format!("{name}: {before} -> {} (directory groups)", role.as_str());
    audit(tx, &BY_DIRECTORY, "auth.role_change", None, None, None, &detail)
}

/// Revokes `name` (if active): tokens stop working and sessions end at once. `by` is who did it.
fn revoke(tx: &rusqlite::Transaction<'_>, name: &str, by: &str) -> Result<bool> {
    let changed = tx
        .execute(
            &format!("UPDATE users SET revoked_at = {NOW}, revoked_by = ?2 WHERE name = ?1 AND revoked_at IS NULL"),
            [name, by],
        )
        .context("revoke a user")?;
    tx.execute(
        &format!("UPDATE api_tokens SET revoked_at = {NOW} WHERE user_name = ?1 AND revoked_at IS NULL"),
        [name],
    )
    .context("revoke tokens")?;
    tx.execute("DELETE FROM sessions WHERE user_name = ?1", [name]).context("end sessions")?;
    Ok(changed > 0)
}

/// A new session for `principal` (always a fresh id); sessions past their lifetime go.
fn open_session(tx: &rusqlite::Transaction<'_>, principal: Principal, limits: SessionLimits) -> Result<Session> {
    let (id, csrf) = (auth::new_secret("ses_"), auth::new_secret(""));
    tx.execute(&format!("DELETE FROM sessions WHERE expires_at < {NOW}"), []).context("expire sessions")?;
    tx.execute(
        &format!(
            "INSERT INTO sessions (session_hash, user_name, csrf_token, created_at, expires_at, last_seen)
             VALUES (?1, ?2, ?3, {NOW}, strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+{} seconds'), {NOW})",
            limits.lifetime.as_secs()
        ),
        params![auth::secret_hash(&id), principal.user, csrf],
    )
    .context("open a session")?;
    Ok(Session { id, csrf, principal })
}

fn parse_role(s: &str) -> Result<Role> {
    s.parse().map_err(StoreError::Corrupt)
}

/// What a session cookie stands for.
#[derive(Debug, Clone)]
pub enum SessionState {
    /// The user and the session's CSRF token.
    Live(Principal, String),
    /// The session of this user has just ended (idle or too old).
    Expired(String),
    /// No such session (logged out, never existed, or its user was revoked).
    Unknown,
}

/// Why a sign-in failed, for the audit log (the caller is told only that name or password is
/// wrong).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginFailure {
    /// No active user of that name with a password.
    UnknownUser,
    WrongPassword,
    /// The directory refused name or password.
    DirectoryRejected,
    /// The directory knows the user, but no configured group gives them a role.
    NoGroup,
    /// The directory accepted the user, but an admin has revoked them here.
    Revoked,
    /// The name belongs to a local account (a service account without password), which the
    /// directory cannot sign in for.
    LocalAccount,
}

impl LoginFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            LoginFailure::UnknownUser => "unknown_user",
            LoginFailure::WrongPassword => "wrong_password",
            LoginFailure::DirectoryRejected => "directory_rejected",
            LoginFailure::NoGroup => "no_group",
            LoginFailure::Revoked => "revoked",
            LoginFailure::LocalAccount => "local_account",
        }
    }
}

impl Store {
    /// Records a sign-in event (`auth.login`, `auth.login_failed`, `auth.logout`,
    /// `auth.throttled`, `auth.token_unknown`) in the audit log: who (or the name tried), and
    /// `detail` with the reason class, client address and user agent.
    pub fn audit_auth(&self, actor: &str, action: &str, detail: &str) -> Result<()> {
        let change = Change { author: actor, reason: "", own_drafts_only: false };
        self.write(|tx| audit(tx, &change, action, None, None, None, detail))
    }
}
