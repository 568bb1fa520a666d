//! The web interface against the real server: the assets it serves from the binary, the
//! dashboard figures behind `GET /api/stats`, and end-to-end flows in headless Chromium
//! (`tests/e2e/*.mjs`, driven by playwright-core). Screenshots go to target/e2e-screenshots/.

use crate::common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use common::{ADMIN_PASSWORD, Server, agent, fixture_json, get, post, put};
use serde_json::{Value, json};

const MANIFEST_DIR: &str = env!("CARGO_MANIFEST_DIR");

fn create(server: &Server, process: &Value) -> String {
    let (status, created) = post(&server.url("/api/processes?reason=erfasst"), process);
    assert_eq!(status, 201, "{created}");
    created["id"].as_str().unwrap().to_owned()
}

/// A variant of the fixture in another unit, with its own criticality and protection need.
fn variant(title: &str, unit: Option<&str>, criticality: &str, protection: &str, tags: &[&str]) -> Value {
    let mut p = fixture_json();
    p["title"] = json!(title);
    p["summary"] = json!(format!("{title} für Bürgerinnen und Bürger."));
    p["meta"]["owner_unit"] = json!(unit);
    p["meta"]["criticality"] = json!(criticality);
    p["meta"]["protection_need"] =
        json!({"confidentiality": protection, "integrity": "normal", "availability": "normal"});
    p["meta"]["tags"] = json!(tags);
    if unit.is_none() {
        p["meta"].as_object_mut().unwrap().remove("owner_unit");
    }
    p
}

/// The catalogue most tests start from; returns the id of the fixture process, which has
/// two versions (the second with a new summary and a renamed step).
fn seed(server: &Server) -> String {
    let id = create(server, &fixture_json());
    let mut changed = fixture_json();
    changed["summary"] = json!("Überarbeitet: Anträge kommen nur noch digital.");
    changed["steps"][1]["name"] = json!("Meldeadresse automatisch prüfen");
    let (status, _) = put(
        &server.url(&format!("/api/processes/{id}")),
        &json!({"expected_version": 1, "process": changed, "reason": "digital"}),
    );
    assert_eq!(status, 200);
    let gewerbe = create(server, &variant("Gewerbe anmelden", Some("33 Bürgeramt"), "hoch", "sehr_hoch", &["Gewerbe"]));
    let (status, _) = post(&server.url(&format!("/api/processes/{gewerbe}/status")), &json!({"status": "published"}));
    assert_eq!(status, 200);
    let mut hund = variant("Hundesteuer festsetzen", Some("20 Kämmerei"), "niedrig", "normal", &["Steuern"]);
    // Every task done by the same clerk: a single point of failure.
    for step in hund["steps"].as_array_mut().unwrap() {
        if step["role"] == "kasse" {
            step["role"] = json!("sb");
        }
    }
    hund["roles"].as_array_mut().unwrap().retain(|r| r["id"] != "kasse");
    create(server, &hund);
    create(server, &variant("Baugenehmigung erteilen", Some("63 Bauaufsicht"), "hoch", "hoch", &["Bauen"]));
    create(server, &variant("Sondernutzung genehmigen", None, "mittel", "normal", &["Verkehr"]));
    id
}

/// Moves a process's last change two years into the past, as if nobody had looked at it since.
fn age(data_dir: &Path, id: &str) {
    let db = rusqlite::Connection::open(data_dir.join("ablauf.db")).unwrap();
    db.busy_timeout(std::time::Duration::from_secs(10)).unwrap();
    let changed = db
        .execute(
            "UPDATE processes SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 years') WHERE id = ?1",
            [id],
        )
        .unwrap();
    assert_eq!(changed, 1);
}

#[test]
fn serves_the_interface_from_the_binary_without_foreign_urls() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());

    let mut resp = agent().get(&server.url("/")).call().unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/html; charset=utf-8");
    let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_owned();
    assert!(csp.starts_with("default-src 'self'"), "{csp}");
    let index = resp.body_mut().read_to_string().unwrap();
    assert!(index.contains(r#"<html lang="de">"#));

    // Follow every reference from the page through the module imports: all are served.
    let mut pending: Vec<String> = references(&index, "/assets/");
    let mut seen = BTreeSet::new();
    while let Some(path) = pending.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let mut resp = agent().get(&server.url(&path)).call().unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let body = resp.body_mut().read_to_string().unwrap();
        let mime = resp.headers()["content-type"].to_str().unwrap().to_owned();
        if path.ends_with(".js") {
            assert_eq!(mime, "text/javascript; charset=utf-8", "{path}");
            let folder = &path[..path.rfind('/').unwrap() + 1];
            pending.extend(imports(&body).into_iter().map(|rel| resolve(folder, &rel)));
        }
        // Offline means no URL to anywhere else; the SVG namespace is a name, not a request.
        let foreign: Vec<_> = body
            .match_indices("http")
            .map(|(i, _)| &body[i..(i + 40).min(body.len())])
            .filter(|s| (s.starts_with("http://") || s.starts_with("https://")) && !s.starts_with("http://www.w3.org/"))
            .collect();
        assert!(foreign.is_empty(), "{path} refers to {foreign:?}");
        // The browser's own speech recognition sends the audio to the browser vendor.
        assert!(!body.contains("SpeechRecognition"), "{path} uses the browser's speech recognition");
    }
    for view in ["processes", "process", "draft", "duplicates", "gaps", "dashboard", "login", "users"] {
        assert!(seen.contains(&format!("/assets/views/{view}.js")), "{view} is not reachable from the page: {seen:?}");
    }

    let (status, missing) = get(&server.url("/assets/views/nope.js"));
    assert_eq!((status, missing["error_type"].as_str()), (404, Some("not_found")));
    let (status, _) = get(&server.url("/assets/../Cargo.toml"));
    assert_eq!(status, 404);
}

fn references(html: &str, prefix: &str) -> Vec<String> {
    html.match_indices(&format!("\"{prefix}"))
        .map(|(i, _)| html[i + 1..].split('"').next().unwrap().to_owned())
        .collect()
}

fn imports(js: &str) -> Vec<String> {
    js.match_indices(" from '")
        .map(|(i, m)| js[i + m.len()..].split('\'').next().unwrap().to_owned())
        .filter(|p| p.starts_with('.'))
        .collect()
}

fn resolve(folder: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = folder.trim_end_matches('/').split('/').collect();
    for part in relative.split('/') {
        match part {
            "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

#[test]
fn stats_count_status_units_risks_single_roles_and_stale_processes() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let (_, empty) = get(&server.url("/api/stats"));
    assert_eq!(empty["total"], 0);
    assert_eq!(empty["by_unit"], json!([]));

    let parking = seed(&server);
    let archived = create(&server, &variant("Altes Verfahren", Some("20 Kämmerei"), "niedrig", "normal", &[]));
    post(&server.url(&format!("/api/processes/{archived}/status")), &json!({"status": "archived"}));
    age(dir.path(), &parking);
    age(dir.path(), &archived);

    let (status, stats) = get(&server.url("/api/stats"));
    assert_eq!(status, 200);
    assert_eq!(stats["total"], 6);
    assert_eq!(stats["by_status"], json!({"draft": 4, "in_review": 0, "published": 1, "archived": 1}));
    let units: Vec<(Value, u64)> = stats["by_unit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| (u["unit"].clone(), u["total"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        units,
        vec![
            (json!("20 Kämmerei"), 2),
            (json!("32 Ordnungsamt"), 1),
            (json!("33 Bürgeramt"), 1),
            (json!("63 Bauaufsicht"), 1),
            (Value::Null, 1)
        ]
    );
    assert_eq!(stats["by_unit"][0]["by_status"], json!({"draft": 1, "in_review": 0, "published": 0, "archived": 1}));

    // Archived processes are not overdue for review; the parking permit is.
    assert_eq!(stats["stale_months"], 12);
    let flagged = |flag: &str| -> Vec<&str> {
        let mut titles: Vec<&str> = stats["processes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p[flag] == true)
            .map(|p| p["title"].as_str().unwrap())
            .collect();
        titles.sort();
        titles
    };
    assert_eq!(stats["stale"], 1);
    assert_eq!(flagged("stale"), vec!["Anwohnerparkausweis ausstellen"]);
    // hoch × hoch and hoch × sehr hoch are critical; mittel × hoch is not.
    assert_eq!(stats["critical"], 2);
    assert_eq!(flagged("critical"), vec!["Baugenehmigung erteilen", "Gewerbe anmelden"]);
    assert_eq!(stats["single_role"], 1);
    let hund = stats["processes"].as_array().unwrap().iter().find(|p| p["title"] == "Hundesteuer festsetzen").unwrap();
    assert_eq!(hund["single_role"], "Sachbearbeitung Straßenverkehr");
    assert_eq!(hund["tags"], json!(["Steuern"]));
    assert_eq!(hund["protection_need"], "normal");

    let cell = |c: &str, p: &str| {
        stats["risk_matrix"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["criticality"] == c && m["protection_need"] == p)
            .map_or(0, |m| m["count"].as_u64().unwrap())
    };
    assert_eq!(
        (cell("hoch", "sehr_hoch"), cell("hoch", "hoch"), cell("niedrig", "normal"), cell("mittel", "hoch")),
        (1, 1, 2, 1)
    );
}

/// Where scripts/test-deps.sh installed playwright-core; the tests install nothing themselves.
fn node_home() -> &'static Path {
    static HOME: OnceLock<PathBuf> = OnceLock::new();
    HOME.get_or_init(|| {
        let home = Path::new(MANIFEST_DIR).join("target/e2e-node");
        let lock = |dir: &Path| std::fs::read(dir.join("package-lock.json")).ok();
        let ready = Path::new("/usr/bin/chromium").exists()
            && home.join("node_modules/playwright-core").is_dir()
            && lock(&home) == lock(&Path::new(MANIFEST_DIR).join("tests/e2e"));
        assert!(
            ready,
            "Chromium or playwright-core is missing or outdated in {}: run scripts/test-deps.sh (installs them \
             with apt and npm, so as root)",
            home.display()
        );
        home
    })
}

/// Runs one browser flow against `server`; panics with the flow's output when it fails.
/// Flows run one at a time: each starts a browser, and CI has two cores.
fn browser(flow: &str, server: &Server, env: &[(&str, &str)]) -> String {
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let home = node_home();
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let out = Command::new("node")
        .arg(Path::new(MANIFEST_DIR).join("tests/e2e").join(flow))
        .env("E2E_NODE_HOME", home)
        .env("ABLAUF_URL", &server.base)
        .env("E2E_SCREENSHOTS", Path::new(MANIFEST_DIR).join("target/e2e-screenshots"))
        .env("E2E_USER", "admin")
        .env("E2E_PASSWORD", ADMIN_PASSWORD)
        .envs(env.iter().copied())
        .output()
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{flow} failed ({})\n--- stdout\n{stdout}\n--- stderr\n{stderr}", out.status);
    assert!(stdout.contains("screenshot "), "{flow} saved no screenshot");
    stdout
}

#[test]
fn browser_catalogue_search_history_and_edit() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let id = seed(&server);

    browser("catalogue.mjs", &server, &[]);

    let (_, stored) = get(&server.url(&format!("/api/processes/{id}")));
    assert_eq!(stored["version"], 3);
    assert_eq!(stored["reason"], "Verlängerung ergänzt");
    assert_eq!(stored["process"]["title"], "Anwohnerparkausweis ausstellen und verlängern");
    let names: Vec<&str> =
        stored["process"]["steps"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Verlängerung vormerken"), "{names:?}");
    // Everything else survived the round trip through the form.
    let mut expected = fixture_json();
    expected["summary"] = stored["process"]["summary"].clone();
    assert_eq!(stored["process"]["meta"], expected["meta"]);
    assert_eq!(stored["process"]["roles"], expected["roles"]);
    assert_eq!(stored["process"]["legal_basis"], expected["legal_basis"]);
}

#[test]
fn browser_tablet_layout_has_no_horizontal_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let id = seed(&server);
    browser("tablet.mjs", &server, &[("E2E_PROCESS", &id)]);
}

#[test]
fn browser_dashboard_and_coverage_lead_to_lists_and_drafting() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let id = seed(&server);
    age(dir.path(), &id);
    browser("dashboard.mjs", &server, &[]);
}

#[test]
fn browser_dictate_draft_edit_save_list_export() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    seed(&server);
    browser("draft.mjs", &server, &[]);

    let (_, page) = get(&server.url("/api/processes?q=hundemarke"));
    assert_eq!(page["total"], 1, "{page}");
    let id = page["items"][0]["id"].as_str().unwrap();
    let (_, stored) = get(&server.url(&format!("/api/processes/{id}")));
    assert_eq!(stored["process"]["title"], "Hundemarke ausgeben (Browsertest)");
    assert_eq!(stored["process"]["meta"]["owner_unit"], "32 Ordnungsamt");
    assert_eq!(stored["reason"], "aus Diktat erfasst");
    assert!(stored["process"]["steps"].as_array().unwrap().len() >= 2);
}

#[test]
fn browser_duplicate_pair_reviewed_with_the_keyboard() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    seed(&server);
    browser("duplicates.mjs", &server, &[]);

    let (status, decisions) = get(&server.url("/api/duplicates/decisions"));
    assert_eq!(status, 200);
    let decisions = decisions.as_array().unwrap();
    assert_eq!(decisions.len(), 1, "{decisions:?}");
    assert_eq!(decisions[0]["decision"], "related");
    assert_eq!(decisions[0]["note"], "Gleiches Verfahren, anderer Titel");
}

#[test]
fn browser_login_roles_and_user_administration() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let id = seed(&server);
    let (status, user) =
        post(&server.url("/api/users"), &json!({"name": "lena", "role": "reader", "password": "lesen-lesen-1"}));
    assert_eq!(status, 201, "{user}");

    browser("login.mjs", &server, &[("E2E_PROCESS", &id)]);

    let (_, users) = get(&server.url("/api/users"));
    let find = |name: &str| users.as_array().unwrap().iter().find(|u| u["name"] == name).unwrap().clone();
    assert_eq!((find("ute")["role"].as_str(), find("ute")["has_password"].as_bool()), (Some("clerk"), Some(true)));
    assert_eq!(find("lena")["revoked"], true);
    // The audit log names the admin who did it, logged in through the browser.
    let (_, audit) = get(&server.url("/api/audit"));
    let actions: Vec<(String, String)> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap_or("").to_owned(), e["actor"].as_str().unwrap_or("").to_owned()))
        .collect();
    assert!(actions.contains(&("auth.user_add".to_owned(), "admin".to_owned())), "{actions:?}");
    assert!(actions.contains(&("auth.user_revoke".to_owned(), "admin".to_owned())), "{actions:?}");
}

#[test]
fn browser_directory_sign_in() {
    let url = crate::directory::directory_url();
    // A port nothing listens on once the listener is gone.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    for (case, url) in [("reachable", url), ("unreachable", format!("ldap://{closed}"))] {
        let dir = tempfile::tempdir().unwrap();
        let server = crate::directory::start_with_pattern(dir.path(), &url, &["--ldap-timeout-seconds", "2"]);
        browser("directory.mjs", &server, &[("E2E_DIRECTORY", case)]);
        let (_, audit) = get(&server.url("/api/audit?action=auth.login"));
        let mut actors: Vec<&str> = audit.as_array().unwrap().iter().filter_map(|e| e["actor"].as_str()).collect();
        actors.sort();
        let expected: &[&str] = if case == "reachable" { &["admin", "anna"] } else { &["admin"] };
        assert_eq!(actors, expected, "{case}");
    }
}

#[test]
fn browser_speak_transcribe_and_draft() {
    // The fake microphone records in wall-clock time: nothing else may load the cores meanwhile,
    // not even this server's own start.
    let _alone = common::machine_to_myself();
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.wait_until_ready(&["llm", "similarity", "catalogue"]);
    let audio = Path::new(MANIFEST_DIR).join("tests/fixtures/speech/antrag-pruefen.wav");
    browser("speech.mjs", &server, &[("E2E_AUDIO", audio.to_str().unwrap())]);
}
