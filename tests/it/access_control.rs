//! Access control against the real server: every route of the policy table × every role, the
//! clerks' own-drafts rule, anonymous reading, per-user rate limits and the audit trail.

use crate::common;

use ablauf::auth::{Access, POLICY, Role};
use common::{ADMIN, Server, agent, fixture_json, get, get_as, post, post_as};
use serde_json::json;

/// `None` stands for a caller without credentials.
fn callers(server: &Server) -> Vec<(Option<Role>, Option<String>)> {
    let mut callers = vec![(None, None)];
    for role in Role::ALL {
        let header = if role == Role::Admin {
            ADMIN.to_owned()
        } else {
            common::add_user(server, &format!("u-{}", role.as_str()), role.as_str())
        };
        callers.push((Some(role), Some(header)));
    }
    callers
}

fn may(access: Access, caller: Option<Role>) -> bool {
    match (access, caller) {
        (Access::Public, _) => true,
        (_, None) => false,
        (Access::Read, Some(_)) => true,
        (Access::AtLeast(needed), Some(role)) => role >= needed,
    }
}

/// Sends `method path` with an empty JSON object: allowed callers then get the route's own answer
/// (often 400 or 422 for the empty body, so nothing changes), refused ones 401 or 403.
fn call(server: &Server, method: &str, path: &str, authorization: Option<&str>) -> (u16, String) {
    let url = server.url(path);
    let agent = agent();
    let mut request = ureq::http::Request::builder().method(method).uri(&url);
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = if method == "GET" || method == "DELETE" {
        agent.run(request.body(()).unwrap())
    } else {
        agent.run(request.header("content-type", "application/json").body("{}").unwrap())
    };
    let mut response = response.unwrap();
    (response.status().as_u16(), response.body_mut().read_to_string().unwrap_or_default())
}

#[test]
fn every_route_admits_exactly_the_roles_the_policy_names() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (status, created) = post(&server.url("/api/processes"), &fixture_json());
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let callers = callers(&server);

    let mut checked = 0;
    for &(method, route, access) in POLICY {
        let path = route.replace("{id}", &id).replace("{name}", "nobody").replace("{*path}", "app.js");
        for (role, header) in &callers {
            let (status, body) = call(&server, method, &path, header.as_deref());
            let who = role.map_or("anonymous", Role::as_str);
            if may(access, *role) {
                assert!(![401, 403].contains(&status), "{who} {method} {route} must pass, got {status}: {body}");
            } else {
                let expected = if role.is_some() { 403 } else { 401 };
                assert_eq!(status, expected, "{who} {method} {route} must be refused: {body}");
                let error: serde_json::Value = serde_json::from_str(&body).unwrap();
                assert!(error["error"].as_str().unwrap().len() > 10, "a refusal says why: {body}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, POLICY.len() * 5);

    let (status, body) = call(&server, "GET", "/api/processes", Some("Bearer abl_unknown"));
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("unknown or revoked"));
    let (status, body) = call(&server, "GET", "/api/processes", Some("Basic YWRtaW46eA=="));
    assert_eq!(status, 401, "{body}");
}

#[test]
fn clerks_change_only_their_own_drafts_and_reviewers_publish() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let anna = common::add_user(&server, "anna", "clerk");
    let ben = common::add_user(&server, "ben", "clerk");
    let rita = common::add_user(&server, "rita", "reviewer");

    let (status, created) = post_as(&anna, &server.url("/api/processes"), &fixture_json());
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap();
    let process_url = server.url(&format!("/api/processes/{id}"));
    let status_url = server.url(&format!("/api/processes/{id}/status"));
    let put_as = |who: &str, version: u32| {
        let body = json!({"expected_version": version, "process": fixture_json(), "reason": "ergänzt"});
        common::json(
            agent()
                .put(&process_url)
                .header("authorization", who)
                .header("content-type", "application/json")
                .send(body.to_string())
                .unwrap(),
        )
    };

    let (status, refused) = put_as(&ben, 1);
    assert_eq!(status, 403, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("drafted by anna"), "{refused}");
    assert_eq!(put_as(&anna, 1).0, 200);
    assert_eq!(post_as(&anna, &status_url, &json!({"status": "in_review"})).0, 200);
    let (status, refused) = post_as(&anna, &status_url, &json!({"status": "published"}));
    assert_eq!(status, 403, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("only a reviewer"), "{refused}");
    assert_eq!(post_as(&rita, &status_url, &json!({"status": "published"})).0, 200);
    let (status, refused) = put_as(&anna, 2);
    assert_eq!(status, 403, "{refused}");
    assert!(refused["error"].as_str().unwrap().contains("published"), "{refused}");
    assert_eq!(put_as(&rita, 2).0, 200, "reviewers edit any process");

    let (status, audit) = get_as(&rita, &server.url("/api/audit"));
    assert_eq!(status, 403, "the audit log is for admins: {audit}");
    let (_, audit) = get(&server.url("/api/audit"));
    let trail: Vec<_> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["process_id"] == id)
        .map(|e| {
            (
                e["actor"].as_str().unwrap(),
                e["action"].as_str().unwrap(),
                e["from_version"].clone(),
                e["to_version"].clone(),
            )
        })
        .collect();
    assert_eq!(
        trail,
        vec![
            ("rita", "update", json!(2), json!(3)),
            ("rita", "status", json!(2), json!(2)),
            ("anna", "status", json!(2), json!(2)),
            ("anna", "update", json!(1), json!(2)),
            ("anna", "create", json!(null), json!(1)),
        ],
        "refused writes leave no trace, allowed ones name user and versions"
    );
    assert!(audit.as_array().unwrap().iter().any(|e| e["action"] == "auth.user_add" && e["actor"] == "admin"));
}

#[test]
fn anonymous_reading_only_when_configured() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--anonymous-read"]);
    assert_eq!(post(&server.url("/api/processes"), &fixture_json()).0, 201);
    let (status, page) = common::json(agent().get(&server.url("/api/processes")).call().unwrap());
    assert_eq!((status, page["total"].as_u64()), (200, Some(1)));
    let (status, session) = common::json(agent().get(&server.url("/api/session")).call().unwrap());
    assert_eq!((status, &session["anonymous_read"], &session["user"]), (200, &json!(true), &json!(null)));
    let (status, _) = common::json(
        agent()
            .post(&server.url("/api/processes"))
            .header("content-type", "application/json")
            .send(fixture_json().to_string())
            .unwrap(),
    );
    assert_eq!(status, 401, "writing always needs credentials");
    let (status, _) = common::json(agent().get(&server.url("/api/audit")).call().unwrap());
    assert_eq!(status, 401);
}

#[test]
fn expensive_endpoints_are_rate_limited_per_user() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--rate-limit", "2"]);
    let clerk = common::add_user(&server, "eilig", "clerk");
    let import = |who: &str| {
        agent()
            .post(&server.url("/api/import/bpmn"))
            .header("authorization", who)
            .header("content-type", "application/xml")
            .send("<nonsense/>")
            .unwrap()
    };
    assert_eq!(import(&clerk).status().as_u16(), 422);
    assert_eq!(import(&clerk).status().as_u16(), 422);
    let limited = import(&clerk);
    assert_eq!(limited.status().as_u16(), 429);
    let retry: u64 = limited.headers().get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    let (_, body) = common::json(limited);
    assert!(body["error"].as_str().unwrap().contains("eilig sent more than 2"), "{body}");
    assert_eq!(import(ADMIN).status().as_u16(), 422, "another user is not affected");
    assert_eq!(get(&server.url("/api/processes")).0, 200, "cheap reads are not metered");
}

#[test]
fn first_start_prints_the_admin_credentials_once() {
    let dir = tempfile::tempdir().unwrap();
    let run = || {
        let mut child = std::process::Command::new(common::BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--model", common::SMALL_LLM, "--data-dir"])
            .arg(dir.path())
            .env("RUST_LOG", "ablauf=info")
            .env_remove("ABLAUF_BOOTSTRAP_TOKEN")
            .env_remove("ABLAUF_BOOTSTRAP_PASSWORD")
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap()));
        let mut seen = Vec::new();
        for line in lines.by_ref() {
            let line = line.unwrap();
            let done = line.contains("listening on");
            seen.push(line);
            if done {
                break;
            }
        }
        child.kill().unwrap();
        child.wait().unwrap();
        seen.join("\n")
    };
    let first = run();
    let token = first.split("API token: ").nth(1).and_then(|s| s.split_whitespace().next()).expect(&first).to_owned();
    assert!(token.starts_with("abl_") && token.len() > 40, "{token}");
    assert!(first.contains("password:"), "{first}");
    let second = run();
    assert!(!second.contains("API token"), "credentials are shown only on the first start: {second}");
    let server = Server::start(dir.path());
    let (status, session) = get_as(&format!("Bearer {token}"), &server.url("/api/session"));
    assert_eq!((status, session["user"]["role"].as_str()), (200, Some("admin")));
}

/// The browser's way in: a login sets an HttpOnly session cookie; reads need only the cookie,
/// writes also the CSRF token from the login answer; logging out ends the session.
#[test]
fn login_sessions_need_the_csrf_token_for_writes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let login = |password: &str| {
        agent()
            .post(&server.url("/api/session"))
            .header("content-type", "application/json")
            .send(json!({"name": "admin", "password": password}).to_string())
            .unwrap()
    };
    let (status, refused) = common::json(login("not-the-password"));
    assert_eq!((status, refused["error"].as_str()), (401, Some("wrong user name or password")));

    let answer = login(common::ADMIN_PASSWORD);
    let set_cookie = answer.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"), "{set_cookie}");
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let (status, logged_in) = common::json(answer);
    assert_eq!((status, logged_in["user"].as_str(), logged_in["role"].as_str()), (200, Some("admin"), Some("admin")));
    let csrf = logged_in["csrf_token"].as_str().unwrap().to_owned();

    let with_cookie = |method: &str, path: &str, csrf: Option<&str>| {
        let mut request = ureq::http::Request::builder().method(method).uri(server.url(path)).header("cookie", &cookie);
        if let Some(token) = csrf {
            request = request.header("x-csrf-token", token);
        }
        let body = if method == "GET" || method == "DELETE" { String::new() } else { fixture_json().to_string() };
        let mut response = agent().run(request.header("content-type", "application/json").body(body).unwrap()).unwrap();
        let text = response.body_mut().read_to_string().unwrap();
        (response.status().as_u16(), serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    };
    // After a page reload the page gets the CSRF token back from the session.
    let (status, session) = with_cookie("GET", "/api/session", None);
    assert_eq!(
        (status, session["user"]["user"].as_str(), session["csrf_token"].as_str()),
        (200, Some("admin"), Some(&*csrf))
    );
    let (status, _) = with_cookie("GET", "/api/processes", None);
    assert_eq!(status, 200);
    let (status, body) = with_cookie("POST", "/api/processes", None);
    assert_eq!((status, body["error"].as_str()), (403, Some("missing or wrong x-csrf-token header")));
    let (status, _) = with_cookie("POST", "/api/processes", Some("wrong"));
    assert_eq!(status, 403);
    let (status, created) = with_cookie("POST", "/api/processes", Some(&csrf));
    assert_eq!(status, 201, "{created}");
    let (_, page) = get(&server.url("/api/processes"));
    assert_eq!(page["total"], 1, "only the write with the token went through");

    let (status, _) = with_cookie("DELETE", "/api/session", None);
    assert_eq!(status, 403, "another site must not log the user out either");
    let (status, _) = with_cookie("DELETE", "/api/session", Some(&csrf));
    assert_eq!(status, 204);
    let (status, body) = with_cookie("GET", "/api/processes", None);
    assert_eq!((status, body["error"].as_str()), (401, Some("the login session has expired; log in again")));
}
