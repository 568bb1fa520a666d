//! Sign-in against the town hall's directory (OpenLDAP, Active Directory) over LDAP: the user's
//! password is checked by a bind as the user, and the directory groups the user is in give the
//! ablauf role (BSI ORP.4: central identity management).
//!
//! The only module that knows LDAP. Nothing is cached: the password and the groups are asked
//! for at every sign-in, so a user removed from the groups has no access from the next one on.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use ldap3::{Ldap, LdapConnAsync, LdapConnSettings, LdapError, Scope, SearchEntry, dn_escape, ldap_escape};
use serde::Deserialize;

use crate::auth::Role;
use crate::store::Store;

/// Where the directory is and how a sign-in name becomes an entry there.
#[derive(Debug, Clone)]
pub struct DirectoryConfig {
    /// `ldap://host:389` or `ldaps://host:636`.
    pub url: String,
    pub lookup: UserLookup,
    /// Where users (in search mode) and groups are looked for.
    pub search_base: String,
    pub groups: GroupRoles,
    /// Longest wait for the connection and for each answer.
    pub timeout: Duration,
    /// How often the service account checks the groups of directory users between sign-ins.
    pub recheck: Duration,
}

/// How the entry of a sign-in name is found.
#[derive(Debug, Clone)]
pub enum UserLookup {
    /// The DN follows from the name: `uid={user},ou=people,dc=example,dc=org`.
    Pattern(String),
    /// A service account searches the search base with `filter` (`(uid={user})`, on Active
    /// Directory `(sAMAccountName={user})`).
    Search { bind_dn: String, bind_password: String, filter: String },
}

/// Which directory groups give which role: the configuration file. Someone in several groups
/// gets the highest of their roles; someone in none has no access.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRoles(BTreeMap<String, Role>);

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupFile {
    groups: BTreeMap<String, Role>,
}

impl GroupRoles {
    /// Reads the TOML file: a `[groups]` table from group DN to role.
    pub fn load(path: &Path) -> Result<GroupRoles, DirectoryError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| DirectoryError::Config(format!("cannot read {}: {e}", path.display())))?;
        GroupRoles::parse(&text).map_err(|e| DirectoryError::Config(format!("{}: {e}", path.display())))
    }

    pub fn parse(text: &str) -> Result<GroupRoles, String> {
        let file: GroupFile = toml::from_str(text).map_err(|e| e.to_string())?;
        if file.groups.is_empty() {
            return Err("[groups] names no group, so no one could sign in".into());
        }
        Ok(GroupRoles(file.groups.into_iter().map(|(dn, role)| (normalize_dn(&dn), role)).collect()))
    }

    /// The highest role the groups give, if any does.
    pub fn role<'a>(&self, groups: impl IntoIterator<Item = &'a str>) -> Option<Role> {
        groups.into_iter().filter_map(|dn| self.0.get(&normalize_dn(dn)).copied()).max()
    }
}

/// DNs compare without case and without the blanks around separators, as directories treat them.
fn normalize_dn(dn: &str) -> String {
    dn.split(',')
        .map(|rdn| rdn.split('=').map(str::trim).collect::<Vec<_>>().join("="))
        .collect::<Vec<_>>()
        .join(",")
        .to_lowercase()
}

impl DirectoryConfig {
    /// Checks what can be checked without the server: the scheme, the pattern's placeholder.
    pub fn validate(&self) -> Result<(), DirectoryError> {
        if !(self.url.starts_with("ldap://") || self.url.starts_with("ldaps://")) {
            return Err(DirectoryError::Config(format!("{:?} is not an ldap:// or ldaps:// URL", self.url)));
        }
        let (what, template) = match &self.lookup {
            UserLookup::Pattern(pattern) => ("the user DN pattern", pattern),
            UserLookup::Search { filter, .. } => ("the user filter", filter),
        };
        if !template.contains("{user}") {
            return Err(DirectoryError::Config(format!("{what} {template:?} must contain {{user}}")));
        }
        Ok(())
    }
}

/// The directory's answer to a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Right password, and a group gives `role`.
    Granted { dn: String, role: Role },
    /// The directory refused the name or the password (a bind cannot tell which).
    Rejected,
    /// The search found no entry of that name.
    UnknownUser,
    /// Right password, but no configured group holds the user.
    NoGroup { dn: String },
}

#[derive(Debug, thiserror::Error)]
pub enum DirectoryError {
    /// No answer in time, or no connection at all: local accounts still sign in.
    #[error("the directory at {url} cannot be reached: {reason}")]
    Unreachable { url: String, reason: String },
    /// The directory answered, but not as configured (service account refused, search failed).
    #[error("the directory at {url} refused a request: {reason}")]
    Refused { url: String, reason: String },
    #[error("directory configuration: {0}")]
    Config(String),
}

/// LDAP's "invalid credentials" result code.
const INVALID_CREDENTIALS: u32 = 49;

/// A configured directory.
#[derive(Debug, Clone)]
pub struct Directory {
    config: DirectoryConfig,
}

impl Directory {
    pub fn new(config: DirectoryConfig) -> Result<Directory, DirectoryError> {
        config.validate()?;
        Ok(Directory { config })
    }

    pub fn url(&self) -> &str {
        &self.config.url
    }

    /// Whether a service account is configured, which can look up users' groups without their
    /// password (for [`Directory::current_roles`]).
    pub fn has_service_account(&self) -> bool {
        matches!(self.config.lookup, UserLookup::Search { .. })
    }

    pub fn recheck_every(&self) -> Duration {
        self.config.recheck
    }

    /// Checks `password` for `name` by binding as the user, then reads the user's groups.
    pub async fn authenticate(&self, name: &str, password: &str) -> Result<Verdict, DirectoryError> {
        // An empty password is an anonymous bind, which most directories accept.
        if password.is_empty() {
            return Ok(Verdict::Rejected);
        }
        let mut connection = Connection::open(&self.config).await?;
        let Some(dn) = connection.find(name).await? else { return Ok(Verdict::UnknownUser) };
        if !connection.bind(&dn, password).await? {
            return Ok(Verdict::Rejected);
        }
        let role = connection.role(&dn, name).await?;
        connection.close().await;
        Ok(match role {
            Some(role) => Verdict::Granted { dn, role },
            None => Verdict::NoGroup { dn },
        })
    }

    /// The role each of `names` has now (`None`: gone from the directory or from every group),
    /// looked up by the service account.
    pub async fn current_roles(&self, names: &[String]) -> Result<Vec<Option<Role>>, DirectoryError> {
        let mut connection = Connection::open(&self.config).await?;
        let mut roles = Vec::with_capacity(names.len());
        for name in names {
            roles.push(match connection.find(name).await? {
                Some(dn) => connection.role(&dn, name).await?,
                None => None,
            });
        }
        connection.close().await;
        Ok(roles)
    }
}

/// Keeps the roles of directory users in step with their groups between sign-ins, every
/// `every`, where a service account can look them up: someone removed from the groups loses
/// their sessions and tokens within that time, not only at their next sign-in. Runs until the
/// runtime ends; an unreachable directory is logged and tried again next time.
pub async fn keep_roles_current(directory: Arc<Directory>, store: Arc<Store>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        if let Err(e) = recheck(&directory, &store).await {
            tracing::warn!(error = %e, "cannot bring the directory users' roles up to date");
        }
    }
}

async fn recheck(directory: &Directory, store: &Arc<Store>) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let reader = store.clone();
    let names = tokio::task::spawn_blocking(move || reader.directory_users()).await??;
    if names.is_empty() {
        return Ok(());
    }
    let roles = directory.current_roles(&names).await?;
    let update: Vec<(String, Option<Role>)> = names.into_iter().zip(roles).collect();
    let writer = store.clone();
    tokio::task::spawn_blocking(move || writer.apply_directory_roles(&update)).await??;
    Ok(())
}

/// One conversation with the directory, bound as the service account where one is configured.
struct Connection<'a> {
    ldap: Ldap,
    config: &'a DirectoryConfig,
}

impl<'a> Connection<'a> {
    async fn open(config: &'a DirectoryConfig) -> Result<Connection<'a>, DirectoryError> {
        let settings = LdapConnSettings::new().set_conn_timeout(config.timeout);
        let unreachable = |e| unreachable(config, e);
        let (connection, ldap) = LdapConnAsync::with_settings(settings, &config.url).await.map_err(unreachable)?;
        ldap3::drive!(connection);
        let mut connection = Connection { ldap, config };
        if let UserLookup::Search { bind_dn, bind_password, .. } = &config.lookup
            && !connection.bind(bind_dn, bind_password).await?
        {
            return Err(DirectoryError::Refused {
                url: config.url.clone(),
                reason: format!("the service account {bind_dn} cannot sign in: wrong password"),
            });
        }
        Ok(connection)
    }

    fn refused(&self, e: LdapError) -> DirectoryError {
        match e {
            LdapError::LdapResult { .. } => {
                DirectoryError::Refused { url: self.config.url.clone(), reason: e.to_string() }
            }
            other => unreachable(self.config, other),
        }
    }

    /// Binds as `dn`; false when the directory says the password is wrong.
    async fn bind(&mut self, dn: &str, password: &str) -> Result<bool, DirectoryError> {
        let answer = self.ldap.with_timeout(self.config.timeout).simple_bind(dn, password).await;
        match answer.map_err(|e| self.refused(e))?.success() {
            Ok(_) => Ok(true),
            Err(LdapError::LdapResult { result }) if result.rc == INVALID_CREDENTIALS => Ok(false),
            Err(e) => Err(self.refused(e)),
        }
    }

    async fn search(
        &mut self,
        base: &str,
        scope: Scope,
        filter: &str,
        attrs: Vec<&str>,
    ) -> Result<Vec<SearchEntry>, DirectoryError> {
        let answer = self.ldap.with_timeout(self.config.timeout).search(base, scope, filter, attrs).await;
        let (entries, _) = answer.and_then(|r| r.success()).map_err(|e| self.refused(e))?;
        Ok(entries.into_iter().map(SearchEntry::construct).collect())
    }

    /// The DN of `name`'s entry: from the pattern, or searched for (`None`: no such user).
    async fn find(&mut self, name: &str) -> Result<Option<String>, DirectoryError> {
        let config = self.config;
        let filter = match &config.lookup {
            UserLookup::Pattern(pattern) => return Ok(Some(pattern.replace("{user}", &dn_escape(name)))),
            UserLookup::Search { filter, .. } => filter.replace("{user}", &ldap_escape(name)),
        };
        let mut entries = self.search(&config.search_base, Scope::Subtree, &filter, vec!["1.1"]).await?;
        match entries.len() {
            0 => Ok(None),
            1 => Ok(entries.pop().map(|e| e.dn)),
            n => Err(DirectoryError::Refused {
                url: config.url.clone(),
                reason: format!("{n} entries match {filter}; the filter must find one"),
            }),
        }
    }

    /// The highest role the groups of the user `dn` (sign-in name `name`) give.
    async fn role(&mut self, dn: &str, name: &str) -> Result<Option<Role>, DirectoryError> {
        // Groups that list the user as a member (groupOfNames, groupOfUniqueNames, posixGroup)…
        let filter = format!("(|(member={0})(uniqueMember={0})(memberUid={1}))", ldap_escape(dn), ldap_escape(name));
        let base = self.config.search_base.clone();
        let mut groups: Vec<String> =
            self.search(&base, Scope::Subtree, &filter, vec!["1.1"]).await?.into_iter().map(|e| e.dn).collect();
        // …and those the user's entry names (Active Directory, OpenLDAP's memberof overlay).
        // A directory that hides the attribute is not an error.
        if let Ok(entries) = self.search(dn, Scope::Base, "(objectClass=*)", vec!["memberOf"]).await {
            for mut entry in entries {
                groups.extend(entry.attrs.remove("memberOf").unwrap_or_default());
            }
        }
        Ok(self.config.groups.role(groups.iter().map(String::as_str)))
    }

    async fn close(mut self) {
        // The answers are in; a failed goodbye changes nothing.
        let _ = self.ldap.unbind().await;
    }
}

fn unreachable(config: &DirectoryConfig, e: LdapError) -> DirectoryError {
    DirectoryError::Unreachable { url: config.url.clone(), reason: e.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_highest_role_of_the_groups_counts_and_dns_compare_as_directories_do() {
        let roles = GroupRoles::parse(
            r#"
            [groups]
            "cn=Pruefung,ou=groups,dc=example" = "reviewer"
            "cn=alle, ou=groups, dc=example" = "reader"
            "#,
        )
        .unwrap();
        assert_eq!(
            roles.role(["CN=pruefung, OU=Groups,dc=example", "cn=alle,ou=groups,dc=example"]),
            Some(Role::Reviewer)
        );
        assert_eq!(roles.role(["cn=alle,ou=groups,dc=example"]), Some(Role::Reader));
        assert_eq!(roles.role(["cn=andere,ou=groups,dc=example"]), None);
    }

    #[test]
    fn a_bad_group_file_says_what_is_wrong() {
        let unknown_role = GroupRoles::parse("[groups]\n\"cn=a,dc=x\" = \"chef\"\n").unwrap_err();
        assert!(unknown_role.contains("chef"), "{unknown_role}");
        assert!(GroupRoles::parse("[groups]\n").unwrap_err().contains("no group"));
        assert!(GroupRoles::parse("[gruppen]\n").is_err());
    }

    #[test]
    fn urls_and_placeholders_are_checked_before_any_connection() {
        let config = |url: &str, pattern: &str| DirectoryConfig {
            url: url.into(),
            lookup: UserLookup::Pattern(pattern.into()),
            search_base: "dc=example".into(),
            groups: GroupRoles::parse("[groups]\n\"cn=a,dc=example\" = \"reader\"\n").unwrap(),
            timeout: Duration::from_secs(1),
            recheck: Duration::from_secs(300),
        };
        assert!(config("ldap://127.0.0.1:389", "uid={user},dc=example").validate().is_ok());
        assert!(config("http://127.0.0.1", "uid={user},dc=example").validate().is_err());
        let missing = config("ldaps://dir", "uid=anna,dc=example").validate().unwrap_err().to_string();
        assert!(missing.contains("{user}"), "{missing}");
    }
}
