//! Test support: the real `ablauf` binary serving on 127.0.0.1 with its own data directory.

use std::cell::Cell;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Condvar, Mutex, mpsc};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_ablauf");
/// The language model every test uses (never the 1.5B default).
pub const SMALL_LLM: &str = "qwen2.5-coder-0.5b";
/// The first admin's API token and password on every test server (`ABLAUF_BOOTSTRAP_*`).
pub const ADMIN_TOKEN: &str = "abl_test_admin_token";
pub const ADMIN_PASSWORD: &str = "test-admin-password";
/// `Authorization` header value for [`ADMIN_TOKEN`].
pub const ADMIN: &str = "Bearer abl_test_admin_token";

/// The default embedder (multilingual-e5-small, fetched on first use), loaded once per test run.
pub fn e5() -> &'static ablauf::embed::CandleEmbedder {
    static MODEL: std::sync::OnceLock<ablauf::embed::CandleEmbedder> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| ablauf::embed::load(&ablauf::models::default_dir()).expect("load the default embedder"))
}

pub fn fixture_json() -> serde_json::Value {
    serde_json::from_str(include_str!("../fixtures/anwohnerparkausweis.json")).unwrap()
}

/// Who has the machine: how many test servers run, and whether a test keeps it to itself.
struct Machine {
    servers: usize,
    alone: bool,
}

static MACHINE: (Mutex<Machine>, Condvar) = (Mutex::new(Machine { servers: 0, alone: false }), Condvar::new());

thread_local! {
    /// Set on the thread of the test that has the machine to itself, so that its own server starts.
    static HAS_MACHINE: Cell<bool> = const { Cell::new(false) };
    /// The shares this test's thread holds: a test that runs one server may start a second one
    /// while a test waits for the machine (else both would wait for each other).
    static SHARES: Cell<usize> = const { Cell::new(0) };
}

/// Changes the machine's state once `ready` holds (at most ten minutes: a longer wait means a
/// test never gave its share back).
fn when(ready: impl Fn(&Machine) -> bool, change: impl FnOnce(&mut Machine)) {
    let guard = MACHINE.0.lock().unwrap_or_else(|p| p.into_inner());
    let (mut guard, waited) =
        MACHINE.1.wait_timeout_while(guard, Duration::from_secs(600), |m| !ready(m)).unwrap_or_else(|p| p.into_inner());
    assert!(!waited.timed_out(), "waited ten minutes for the machine ({} servers running)", guard.servers);
    change(&mut guard);
    MACHINE.1.notify_all();
}

/// Keeps the machine to the calling test until dropped: waits until every other test server has
/// stopped, and holds new ones back. For checks that run in wall-clock time: Chromium's fake
/// microphone records in real time, and while two cores embedded the service catalogue for other
/// servers, its audio thread dropped samples and Whisper heard a garbled dictation.
pub struct MachineToMyself(());

pub fn machine_to_myself() -> MachineToMyself {
    when(|m| !m.alone, |m| m.alone = true);
    let alone = MachineToMyself(());
    when(|m| m.servers == 0, |_| {});
    HAS_MACHINE.set(true);
    alone
}

impl Drop for MachineToMyself {
    fn drop(&mut self) {
        HAS_MACHINE.set(false);
        when(|_| true, |m| m.alone = false);
    }
}

/// A running server's share of the machine, given back when dropped (also when starting fails).
struct Share(());

impl Share {
    fn take() -> Share {
        let mine = HAS_MACHINE.get() || SHARES.get() > 0;
        when(|m| !m.alone || mine, |m| m.servers += 1);
        SHARES.set(SHARES.get() + 1);
        Share(())
    }
}

impl Drop for Share {
    fn drop(&mut self) {
        SHARES.set(SHARES.get().saturating_sub(1));
        when(|_| true, |m| m.servers -= 1);
    }
}

/// A running server; killed when dropped.
pub struct Server {
    pub child: Child,
    pub base: String,
    _share: Share,
}

impl Server {
    /// Starts `ablauf serve` on a free port and waits until it logs its address.
    pub fn start(data_dir: &Path) -> Server {
        Self::start_with(data_dir, &[])
    }

    /// Like [`Server::start`] with extra arguments. Servers load the small model unless `extra` names
    /// another one: no test may touch the 1.5B default.
    pub fn start_with(data_dir: &Path, extra: &[&str]) -> Server {
        let model: &[&str] = if extra.contains(&"--model") { &[] } else { &["--model", SMALL_LLM] };
        let share = Share::take();
        let mut child = Command::new(BIN)
            .args(["serve", "--addr", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .args(model)
            .args(extra)
            .env("RUST_LOG", "ablauf=info")
            .env("ABLAUF_BOOTSTRAP_TOKEN", ADMIN_TOKEN)
            .env("ABLAUF_BOOTSTRAP_PASSWORD", ADMIN_PASSWORD)
            .env("NO_COLOR", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start ablauf serve");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("[server] {line}");
                if let Some(addr) = line.split("listening on ").nth(1) {
                    let _ = tx.send(addr.split_whitespace().next().unwrap_or_default().to_owned());
                }
            }
        });
        let base = rx.recv_timeout(Duration::from_secs(600)).expect("server did not start");
        Server { child, base, _share: share }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Waits until each of `parts` of `/health` (`llm`, `similarity`, `catalogue`) is ready;
    /// panics when one failed.
    pub fn wait_until_ready(&self, parts: &[&str]) {
        let deadline = std::time::Instant::now() + Duration::from_secs(900);
        loop {
            let (_, health) = get(&self.url("/health"));
            let states: Vec<Option<&str>> = parts.iter().map(|p| health[p]["state"].as_str()).collect();
            if states.iter().all(|s| *s == Some("ready")) {
                return;
            }
            assert!(
                states.iter().all(|s| *s == Some("ready") || *s == Some("loading")),
                "{parts:?} {states:?}: {health}"
            );
            assert!(std::time::Instant::now() < deadline, "{parts:?} did not load: {health}");
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        self.child.wait().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// An HTTP agent that hands back 4xx/5xx answers instead of failing on them.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// Status and JSON body of a response.
pub fn json(mut resp: ureq::http::Response<ureq::Body>) -> (u16, serde_json::Value) {
    let status = resp.status().as_u16();
    let text = resp.body_mut().read_to_string().unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON ({status}): {text}"));
    (status, value)
}

/// `GET` as the admin.
pub fn get(url: &str) -> (u16, serde_json::Value) {
    get_as(ADMIN, url)
}

/// `POST` of JSON as the admin.
pub fn post(url: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    post_as(ADMIN, url, body)
}

/// `PUT` of JSON as the admin.
pub fn put(url: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    json(
        agent()
            .put(url)
            .header("authorization", ADMIN)
            .header("content-type", "application/json")
            .send(body.to_string())
            .unwrap(),
    )
}

/// `GET` with the given `Authorization` header value.
pub fn get_as(authorization: &str, url: &str) -> (u16, serde_json::Value) {
    json(agent().get(url).header("authorization", authorization).call().unwrap())
}

/// `POST` of JSON with the given `Authorization` header value.
pub fn post_as(authorization: &str, url: &str, body: &serde_json::Value) -> (u16, serde_json::Value) {
    json(
        agent()
            .post(url)
            .header("authorization", authorization)
            .header("content-type", "application/json")
            .send(body.to_string())
            .unwrap(),
    )
}

/// What `POST /api/session` answered: status, body, `Retry-After`, and the session cookie
/// (`name=value`) where one was set.
pub struct SignIn {
    pub status: u16,
    pub body: serde_json::Value,
    pub retry_after: Option<u64>,
    pub cookie: Option<String>,
}

/// Signs in with name and password, as the test user agent `ablauf-test/1`.
pub fn sign_in(server: &Server, name: &str, password: &str) -> SignIn {
    let response = agent()
        .post(&server.url("/api/session"))
        .header("content-type", "application/json")
        .header("user-agent", "ablauf-test/1")
        .send(serde_json::json!({"name": name, "password": password}).to_string())
        .unwrap();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_owned);
    let retry_after = header("retry-after").map(|v| v.parse().unwrap());
    let cookie = header("set-cookie").and_then(|v| v.split(';').next().map(str::to_owned));
    let (status, body) = json(response);
    SignIn { status, body, retry_after, cookie }
}

/// Creates a user through the API (as the admin) and returns their `Authorization` header value.
pub fn add_user(server: &Server, name: &str, role: &str) -> String {
    let (status, user) = post(&server.url("/api/users"), &serde_json::json!({"name": name, "role": role}));
    assert_eq!(status, 201, "{user}");
    format!("Bearer {}", user["token"].as_str().unwrap())
}

/// `GET` as the admin, repeated while the server answers 503 because a model or index is still
/// loading (it says so with `Retry-After`).
pub fn get_when_ready(url: &str) -> (u16, serde_json::Value) {
    let deadline = std::time::Instant::now() + Duration::from_secs(600);
    loop {
        let (status, body) = get(url);
        if status != 503 || std::time::Instant::now() > deadline {
            return (status, body);
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}
