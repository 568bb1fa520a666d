//! Password guessing against the real server: failed sign-ins slow down and end in 429 with
//! `Retry-After`, an unknown name is answered exactly like a known one, unknown tokens are
//! throttled too, and every sign-in event is in the audit log with address and user agent.

use std::time::Duration;

use serde_json::json;

use crate::common::{self, ADMIN_PASSWORD, Server, SignIn, agent, get, sign_in};
use ablauf::auth::throttle::{FREE_PER_ACCOUNT, FREE_PER_ADDRESS};

#[test]
fn guessing_slows_down_and_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());

    for name in ["admin", "niemand"] {
        for _ in 0..=FREE_PER_ACCOUNT {
            let SignIn { status, body, .. } = sign_in(&server, name, "falsch-falsch-falsch");
            assert_eq!((status, body["error"].as_str()), (401, Some("wrong user name or password")), "{name}");
        }
        // Beyond the free failures the account waits, with the right password too, and the
        // answer does not depend on whether the account exists.
        let SignIn { status, body, retry_after: retry, .. } = sign_in(&server, name, ADMIN_PASSWORD);
        assert_eq!(
            (status, body["error_type"].as_str(), retry),
            (429, Some("rate_limited"), Some(1)),
            "{name}: {body}"
        );
        std::thread::sleep(Duration::from_millis(1100));
        // A correct sign-in after the wait (it clears this address's failures).
        let SignIn { status, body, .. } = sign_in(&server, "admin", ADMIN_PASSWORD);
        assert_eq!(status, 200, "the wait is over: {body}");
    }

    // Unknown tokens count per address: after the free ones and one more, the address waits.
    let mut answers = Vec::new();
    for _ in 0..=FREE_PER_ADDRESS + 1 {
        let response =
            agent().get(&server.url("/api/processes")).header("authorization", "Bearer abl_guess").call().unwrap();
        answers.push(response.status().as_u16());
    }
    assert_eq!(answers.iter().filter(|&&s| s == 401).count(), FREE_PER_ADDRESS as usize + 1, "{answers:?}");
    assert_eq!(answers.last(), Some(&429), "{answers:?}");

    // The address's wait holds for valid tokens too (it is checked first).
    std::thread::sleep(Duration::from_millis(1100));
    let (status, audit) = get(&server.url("/api/audit?action=auth.*"));
    assert_eq!(status, 200, "{audit}");
    let entries = audit.as_array().unwrap();
    let count =
        |action: &str, actor: &str| entries.iter().filter(|e| e["action"] == action && e["actor"] == actor).count();
    assert_eq!(count("auth.login_failed", "admin"), FREE_PER_ACCOUNT as usize + 1);
    assert_eq!(count("auth.login_failed", "niemand"), FREE_PER_ACCOUNT as usize + 1);
    assert_eq!((count("auth.throttled", "admin"), count("auth.throttled", "niemand")), (1, 1));
    assert_eq!(count("auth.login", "admin"), 2);
    assert_eq!(count("auth.token_unknown", "-"), FREE_PER_ADDRESS as usize + 1);
    let failed = entries.iter().find(|e| e["action"] == "auth.login_failed" && e["actor"] == "niemand").unwrap();
    assert_eq!(failed["detail"], "unknown_user; from 127.0.0.1; ablauf-test/1", "{failed}");
    assert!(entries.iter().all(|e| e["action"].as_str().unwrap().starts_with("auth.")), "the filter holds");
    let (_, everything) = get(&server.url("/api/audit"));
    assert!(everything.as_array().unwrap().len() >= entries.len());
}

/// Behind a trusted reverse proxy the client is the one it names in `X-Forwarded-For`, and a
/// sign-in that reached it over HTTPS gets a `Secure` cookie; the same headers from anyone else
/// are ignored.
#[test]
fn a_trusted_proxy_names_the_client_and_the_scheme() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &["--trusted-proxy", "127.0.0.1"]);
    let via_proxy = |forwarded_for: &str| {
        agent()
            .post(&server.url("/api/session"))
            .header("content-type", "application/json")
            .header("x-forwarded-for", forwarded_for)
            .header("x-forwarded-proto", "https")
            .send(json!({"name": "admin", "password": ADMIN_PASSWORD}).to_string())
            .unwrap()
    };
    let answer = via_proxy("198.51.100.7, 203.0.113.9");
    assert_eq!(answer.status(), 200);
    let cookie = answer.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("; Secure"), "{cookie}");
    let (_, audit) = get(&server.url("/api/audit?action=auth.login"));
    let detail = audit[0]["detail"].as_str().unwrap();
    assert!(detail.starts_with("password; from 203.0.113.9;"), "the address the proxy saw: {detail}");

    let dir = tempfile::tempdir().unwrap();
    let direct = Server::start(dir.path());
    let answer = agent()
        .post(&direct.url("/api/session"))
        .header("content-type", "application/json")
        .header("x-forwarded-for", "203.0.113.9")
        .header("x-forwarded-proto", "https")
        .send(json!({"name": "admin", "password": ADMIN_PASSWORD}).to_string())
        .unwrap();
    assert!(!answer.headers()["set-cookie"].to_str().unwrap().contains("Secure"));
    let (_, audit) = get(&direct.url("/api/audit?action=auth.login"));
    assert!(audit[0]["detail"].as_str().unwrap().starts_with("password; from 127.0.0.1;"));
}

/// A user changes their password with the current one: a weak new one is refused, the change
/// ends their other sessions but not this one, and the old password stops working. An admin
/// changes a role; both are audited.
#[test]
fn a_password_change_ends_the_other_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (status, _) = common::post(
        &server.url("/api/users"),
        &json!({"name": "anna", "role": "clerk", "password": "lang genug 123"}),
    );
    assert_eq!(status, 201);
    let session = |password: &str| {
        let answer = agent()
            .post(&server.url("/api/session"))
            .header("content-type", "application/json")
            .send(json!({"name": "anna", "password": password}).to_string())
            .unwrap();
        let cookie =
            answer.headers().get("set-cookie").map(|c| c.to_str().unwrap().split(';').next().unwrap().to_owned());
        let (status, body) = common::json(answer);
        (status, cookie, body["csrf_token"].as_str().map(str::to_owned))
    };
    let call = |method: &str, path: &str, cookie: &str, csrf: &str, body: serde_json::Value| {
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(server.url(path))
            .header("cookie", cookie)
            .header("x-csrf-token", csrf)
            .header("content-type", "application/json")
            .body(if method == "GET" { String::new() } else { body.to_string() })
            .unwrap();
        let mut response = agent().run(request).unwrap();
        let text = response.body_mut().read_to_string().unwrap();
        (response.status().as_u16(), serde_json::from_str(&text).unwrap_or(serde_json::Value::Null))
    };
    let (_, Some(here), Some(csrf)) = session("lang genug 123") else { panic!("signed in") };
    let (_, Some(elsewhere), Some(csrf_elsewhere)) = session("lang genug 123") else { panic!("signed in") };
    let change = |current: &str, new: &str| {
        call("PUT", "/api/session/password", &here, &csrf, json!({"current_password": current, "new_password": new}))
    };

    let (status, body) = change("nicht mein passwort", "ein neuer langer satz");
    assert_eq!((status, body["error_type"].as_str()), (403, Some("forbidden")), "{body}");
    let (status, body) = change("lang genug 123", "Password2024!");
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("most common"), "{body}");
    let (status, body) = change("lang genug 123", "ein neuer langer satz");
    assert_eq!(status, 204, "{body}");

    let (status, me) = call("GET", "/api/session", &here, &csrf, json!(null));
    assert_eq!((status, me["user"]["user"].as_str()), (200, Some("anna")), "this session stays");
    let (status, me) = call("GET", "/api/processes", &elsewhere, &csrf_elsewhere, json!(null));
    assert_eq!(status, 401, "the other session has ended: {me}");
    assert_eq!(session("lang genug 123").0, 401);
    assert_eq!(session("ein neuer langer satz").0, 200);

    let response = agent()
        .put(&server.url("/api/users/anna"))
        .header("authorization", common::ADMIN)
        .header("content-type", "application/json")
        .send(json!({"role": "reviewer"}).to_string())
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    let (_, users) = get(&server.url("/api/users"));
    let anna = users.as_array().unwrap().iter().find(|u| u["name"] == "anna").unwrap().clone();
    assert_eq!(anna["role"], "reviewer");
    let (_, audit) = get(&server.url("/api/audit?action=auth.*"));
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"auth.role_change") && actions.contains(&"auth.password_change"), "{actions:?}");
}
