//! Sign-in at a real OpenLDAP server (Debian's slapd, started by scripts/test.sh with
//! tests/ldap/directory.ldif): the directory checks the password, its groups give the role at
//! every sign-in, someone removed from the groups has no access, and an unreachable directory is
//! named while local accounts keep signing in.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::common::{self, ADMIN_PASSWORD, Server, SignIn, agent, get, put, sign_in};

const GROUPS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ldap/groups.toml");
const PEOPLE: &str = "ou=people,dc=rathaus,dc=example";
const DIRECTORY_ADMIN: &str = "cn=admin,dc=rathaus,dc=example";
const DIRECTORY_ADMIN_PASSWORD: &str = "verzeichnis-admin";

/// The test directory's URL, from the server scripts/test.sh starts.
pub fn directory_url() -> String {
    std::env::var("ABLAUF_TEST_LDAP_URL").expect(
        "ABLAUF_TEST_LDAP_URL is not set: run the tests with scripts/test.sh, which starts the test directory \
         (tests/ldap/start.sh)",
    )
}

/// A server whose users sign in at `url`, finding entries by the user DN pattern.
pub fn start_with_pattern(dir: &std::path::Path, url: &str, extra: &[&str]) -> Server {
    let pattern = format!("uid={{user}},{PEOPLE}");
    let mut args = vec![
        "--ldap-url",
        url,
        "--ldap-user-dn",
        &pattern,
        "--ldap-search-base",
        "dc=rathaus,dc=example",
        "--ldap-groups",
        GROUPS,
    ];
    args.extend_from_slice(extra);
    Server::start_with(dir, &args)
}

/// Who the session cookie belongs to, as `GET /api/session` says.
fn whoami(server: &Server, cookie: &str) -> serde_json::Value {
    common::json(agent().get(&server.url("/api/session")).header("cookie", cookie).call().unwrap()).1["user"].clone()
}

fn audit_entries(server: &Server) -> Vec<serde_json::Value> {
    let (status, audit) = get(&server.url("/api/audit?action=auth.*"));
    assert_eq!(status, 200, "{audit}");
    audit.as_array().unwrap().clone()
}

#[test]
fn directory_users_sign_in_with_the_role_their_groups_give() {
    let url = directory_url();
    let dir = tempfile::tempdir().unwrap();
    let server = start_with_pattern(dir.path(), &url, &[]);

    // groupOfNames → clerk, groupOfUniqueNames → reviewer; in both, the higher role.
    for (name, role) in [("anna", "clerk"), ("bernd", "reviewer"), ("carla", "reviewer")] {
        let SignIn { status, body, cookie, .. } = sign_in(&server, name, &format!("{name}-verzeichnis-1"));
        assert_eq!((status, body["role"].as_str()), (200, Some(role)), "{name}: {body}");
        assert_eq!(whoami(&server, &cookie.unwrap()), json!({"user": name, "role": role}));
    }

    // Wrong, empty and unknown: the same answer, and the directory is never bound anonymously.
    for (name, password) in [("anna", "falsch-falsch-falsch"), ("anna", ""), ("zora", "zora-verzeichnis-1")] {
        let SignIn { status, body, cookie, .. } = sign_in(&server, name, password);
        assert_eq!((status, body["error"].as_str()), (401, Some("wrong user name or password")), "{name}: {body}");
        assert!(cookie.is_none());
    }

    // Removed from the group: without a service account the next sign-in notices, refuses, and
    // ends the sessions still open.
    assert!([0, 20].contains(&regroup(&url, "frida", "ablauf-sachbearbeitung", "member", true)));
    let SignIn { status, cookie, .. } = sign_in(&server, "frida", "frida-verzeichnis-1");
    assert_eq!(status, 200);
    assert_eq!(regroup(&url, "frida", "ablauf-sachbearbeitung", "member", false), 0);
    let SignIn { status, body, .. } = sign_in(&server, "frida", "frida-verzeichnis-1");
    assert_eq!((status, body["error_type"].as_str()), (403, Some("no_access")), "{body}");
    assert_eq!(whoami(&server, &cookie.unwrap()), serde_json::Value::Null, "the earlier session has ended");

    // The right password, but only in a group that gives no role.
    let SignIn { status, body, .. } = sign_in(&server, "dieter", "dieter-verzeichnis-1");
    assert_eq!((status, body["error_type"].as_str()), (403, Some("no_access")), "{body}");

    // The local admin signs in here, never at the directory, even where the directory has the name.
    let SignIn { status, .. } = sign_in(&server, "admin", ADMIN_PASSWORD);
    assert_eq!(status, 200);
    let SignIn { status, .. } = sign_in(&server, "admin", "admin-verzeichnis-1");
    assert_eq!(status, 401, "the directory's admin does not take over the local one");

    // Directory users are listed as such, without a local password, and none can be set for them.
    let (_, users) = get(&server.url("/api/users"));
    let anna = users.as_array().unwrap().iter().find(|u| u["name"] == "anna").unwrap().clone();
    assert_eq!((anna["directory"].as_bool(), anna["has_password"].as_bool()), (Some(true), Some(false)), "{anna}");
    let (status, body) = put(&server.url("/api/users/anna"), &json!({"password": "ein-lokales-passwort-1"}));
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("directory"), "{body}");

    let entries = audit_entries(&server);
    let find = |action: &str, actor: &str| {
        entries.iter().filter(|e| e["action"] == action && e["actor"] == actor).cloned().collect::<Vec<_>>()
    };
    assert_eq!(find("auth.user_add", "directory").len(), 4, "anna, bernd, carla and frida were created");
    let login = &find("auth.login", "anna")[0];
    assert_eq!(login["detail"], "directory; from 127.0.0.1; ablauf-test/1", "{login}");
    let reasons: Vec<_> = find("auth.login_failed", "anna").iter().map(|e| e["detail"].clone()).collect();
    assert!(reasons.iter().all(|r| r.as_str().unwrap().starts_with("directory_rejected;")), "{reasons:?}");
    assert!(find("auth.login_failed", "dieter")[0]["detail"].as_str().unwrap().starts_with("no_group;"));
}

/// Changes `user`'s groups in the directory, as its administrator would; the LDAP result code.
fn regroup(url: &str, user: &str, group: &str, attribute: &str, add: bool) -> u32 {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let (connection, mut ldap) = ldap3::LdapConnAsync::new(url).await.unwrap();
        ldap3::drive!(connection);
        ldap.simple_bind(DIRECTORY_ADMIN, DIRECTORY_ADMIN_PASSWORD).await.unwrap().success().unwrap();
        let member = std::collections::HashSet::from([format!("uid={user},{PEOPLE}")]);
        let change = if add {
            ldap3::Mod::Add(attribute.to_owned(), member)
        } else {
            ldap3::Mod::Delete(attribute.to_owned(), member)
        };
        let result = ldap.modify(&format!("cn={group},ou=groups,dc=rathaus,dc=example"), vec![change]).await.unwrap();
        ldap.unbind().await.unwrap();
        result.rc
    })
}

#[test]
fn leaving_the_groups_ends_access_and_a_new_group_gives_a_new_role() {
    let url = directory_url();
    // emil as directory.ldif has him (when the test runs again against the same directory):
    // success, or "value exists" / "no such value".
    assert!([0, 20].contains(&regroup(&url, "emil", "ablauf-sachbearbeitung", "member", true)));
    assert!([0, 16].contains(&regroup(&url, "emil", "ablauf-pruefung", "uniqueMember", false)));
    let dir = tempfile::tempdir().unwrap();
    // This server finds entries through a service account and a filter instead of a DN pattern.
    let server = Server::start_with(
        dir.path(),
        &[
            "--ldap-url",
            &url,
            "--ldap-bind-dn",
            DIRECTORY_ADMIN,
            "--ldap-bind-password",
            DIRECTORY_ADMIN_PASSWORD,
            "--ldap-search-base",
            "dc=rathaus,dc=example",
            "--ldap-groups",
            GROUPS,
            "--ldap-recheck-seconds",
            "1",
        ],
    );
    let SignIn { status, body, cookie, .. } = sign_in(&server, "emil", "emil-verzeichnis-1");
    assert_eq!((status, body["role"].as_str()), (200, Some("clerk")), "{body}");
    let cookie = cookie.unwrap();
    assert_eq!(whoami(&server, &cookie)["user"], "emil");

    // The service account notices the removal between sign-ins and ends the session.
    assert_eq!(regroup(&url, "emil", "ablauf-sachbearbeitung", "member", false), 0);
    let deadline = Instant::now() + Duration::from_secs(15);
    while whoami(&server, &cookie) != serde_json::Value::Null {
        assert!(Instant::now() < deadline, "the session outlived the recheck");
        std::thread::sleep(Duration::from_millis(200));
    }
    let SignIn { status, body, .. } = sign_in(&server, "emil", "emil-verzeichnis-1");
    assert_eq!((status, body["error_type"].as_str()), (403, Some("no_access")), "{body}");

    assert_eq!(regroup(&url, "emil", "ablauf-pruefung", "uniqueMember", true), 0);
    let SignIn { status, body, .. } = sign_in(&server, "emil", "emil-verzeichnis-1");
    assert_eq!((status, body["role"].as_str()), (200, Some("reviewer")), "{body}");

    let entries = audit_entries(&server);
    let details = |action: &str| -> Vec<String> {
        entries
            .iter()
            .filter(|e| e["action"] == action && e["actor"] == "directory")
            .map(|e| e["detail"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(details("auth.user_revoke"), ["emil: in no group that gives a role"]);
    assert_eq!(details("auth.user_restore"), ["emil: back in a group"]);
    assert_eq!(details("auth.role_change"), ["emil: clerk -> reviewer (directory groups)"]);

    // An admin's revocation is not lifted by the directory.
    let revoked = agent().delete(&server.url("/api/users/emil")).header("authorization", common::ADMIN).call().unwrap();
    assert_eq!(revoked.status(), 204);
    let SignIn { status, body, .. } = sign_in(&server, "emil", "emil-verzeichnis-1");
    assert_eq!((status, body["error_type"].as_str()), (403, Some("no_access")), "{body}");
}

#[test]
fn an_unreachable_directory_is_named_and_local_accounts_still_sign_in() {
    // A closed port, and a port that takes the connection but never answers.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    for (url, what) in
        [(format!("ldap://{closed}"), "closed"), (format!("ldap://{}", silent.local_addr().unwrap()), "silent")]
    {
        let dir = tempfile::tempdir().unwrap();
        let server = start_with_pattern(dir.path(), &url, &["--ldap-timeout-seconds", "1"]);
        let started = Instant::now();
        let SignIn { status, body, .. } = sign_in(&server, "anna", "anna-verzeichnis-1");
        assert_eq!((status, body["error_type"].as_str()), (503, Some("directory_unavailable")), "{what}: {body}");
        assert!(body["error"].as_str().unwrap().contains(&url), "{what}: the message names the directory: {body}");
        assert!(started.elapsed() < Duration::from_secs(10), "{what}: the timeout holds");

        let SignIn { status, body, .. } = sign_in(&server, "admin", ADMIN_PASSWORD);
        assert_eq!(status, 200, "{what}: the local admin signs in: {body}");
        let entries = audit_entries(&server);
        assert!(entries.iter().any(|e| e["action"] == "auth.directory_error" && e["actor"] == "anna"), "{what}");
    }

    // A directory that answers but refuses the service account is named the same way, with why.
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(
        dir.path(),
        &[
            "--ldap-url",
            &directory_url(),
            "--ldap-bind-dn",
            DIRECTORY_ADMIN,
            "--ldap-bind-password",
            "kein-passwort",
            "--ldap-search-base",
            "dc=rathaus,dc=example",
            "--ldap-groups",
            GROUPS,
        ],
    );
    let SignIn { status, body, .. } = sign_in(&server, "anna", "anna-verzeichnis-1");
    assert_eq!((status, body["error_type"].as_str()), (503, Some("directory_unavailable")), "{body}");
    assert!(body["error"].as_str().unwrap().contains("service account"), "{body}");
}

#[test]
fn a_bad_directory_configuration_stops_the_start_with_its_reason() {
    let dir = tempfile::tempdir().unwrap();
    let bad_groups = dir.path().join("groups.toml");
    std::fs::write(&bad_groups, "[groups]\n\"cn=a,dc=example\" = \"chef\"\n").unwrap();
    let cases: [(&[&str], &str); 4] = [
        (&["--ldap-url", "http://dir", "--ldap-user-dn", "uid={user}", "--ldap-groups", GROUPS], "ldap://"),
        (&["--ldap-url", "ldap://dir", "--ldap-user-dn", "uid=anna", "--ldap-groups", GROUPS], "{user}"),
        (&["--ldap-url", "ldap://dir", "--ldap-groups", GROUPS], "--ldap-bind-dn"),
        (
            &[
                "--ldap-url",
                "ldap://dir",
                "--ldap-user-dn",
                "uid={user}",
                "--ldap-groups",
                bad_groups.to_str().unwrap(),
            ],
            "chef",
        ),
    ];
    for (args, expected) in cases {
        let output = std::process::Command::new(common::BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .args(args)
            .args(["--ldap-search-base", "dc=example"])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?} should name {expected:?}: {stderr}");
    }
}
