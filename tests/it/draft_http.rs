//! `/api/draft`, `/api/draft/stream` and `/api/review` on the real server with the small model.

use crate::common;

use std::io::{BufRead, BufReader};
use std::time::Duration;

use common::{Server, agent, get, json, post};
use serde_json::{Value, json};

/// Reads a server-sent-event stream into (event, data) pairs until it ends.
fn read_events(resp: ureq::http::Response<ureq::Body>) -> Vec<(String, Value)> {
    let reader = BufReader::new(resp.into_body().into_reader());
    let mut events = Vec::new();
    let mut name = String::new();
    for line in reader.lines().map_while(Result::ok) {
        if let Some(n) = line.strip_prefix("event: ") {
            name = n.to_owned();
        } else if let Some(data) = line.strip_prefix("data: ") {
            events.push((std::mem::take(&mut name), serde_json::from_str(data).unwrap()));
        }
    }
    events
}

const DICTATION: &str = "Antrag kommt rein, die Sachbearbeitung prüft ihn und schickt dann den Bescheid.";

#[test]
fn drafts_are_generated_streamed_stored_and_reviewed() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    let url = server.url("/api/draft");

    // Bad input is refused before the model is asked, even while it loads.
    let (status, err) = post(&url, &json!({"text": "  "}));
    assert_eq!((status, err["error_type"].as_str()), (400, Some("empty_input")));
    let (status, err) = post(&url, &json!({"text": "Das Wetter ist heute schön und die Sonne scheint."}));
    assert_eq!((status, err["error_type"].as_str()), (422, Some("not_a_process")), "{err}");
    let (status, err) = post(&url, &json!({"text": "Antrag prüfen. ".repeat(600)}));
    assert_eq!((status, err["error_type"].as_str()), (422, Some("input_too_long")));
    let (status, _) = post(&url, &json!({"dictation": DICTATION}));
    assert_eq!(status, 400, "unknown fields are rejected");

    server.wait_until_ready(&["llm"]);
    let (status, drafted) = post(&url, &json!({"text": DICTATION, "max_tokens": 90}));
    assert_eq!(status, 201, "{drafted}");
    let id = drafted["id"].as_str().unwrap();
    assert_eq!(drafted["process"]["steps"][0]["type"], "start");
    assert_eq!(drafted["stats"]["template_sha256"].as_str().map(str::len), Some(64));
    assert!(drafted["repairs"].is_array() && drafted["findings"].is_array());
    let (status, stored) = get(&server.url(&format!("/api/processes/{id}")));
    assert_eq!((status, stored["status"].as_str()), (200, Some("draft")));
    assert_eq!(stored["process"], drafted["process"]);

    // Streaming: started, then lines as they are generated, then the whole draft.
    let resp = agent()
        .post(&server.url("/api/draft/stream"))
        .header("authorization", common::ADMIN)
        .header("content-type", "application/json")
        .send(json!({"text": DICTATION, "max_tokens": 90, "save": false}).to_string())
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers().get("content-type").unwrap(), "text/event-stream");
    let events = read_events(resp);
    let names: Vec<&str> = events.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.first(), Some(&"started"));
    assert_eq!(names.get(1), Some(&"step"), "the first step comes right after the start: {names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    let steps: Vec<&Value> = events.iter().filter(|(n, _)| n == "step").map(|(_, d)| d).collect();
    let numbers: Vec<u64> = steps.iter().map(|d| d["number"].as_u64().unwrap()).collect();
    assert!(numbers.len() >= 2 && numbers.windows(2).all(|w| w[0] < w[1]), "{numbers:?}");
    let done = &events.last().unwrap().1;
    assert!(done.get("id").is_none(), "save: false stores nothing");
    // Every step of the model's answers was streamed as the draft words it; where the model named
    // no work of the dictation, the clauses stand in, and the draft says so.
    let repairs = done["repairs"].as_array().unwrap();
    if repairs.iter().any(|r| r["code"] == "clauses_as_steps") {
        assert!(steps.iter().all(|s| s["type"] != "task" && s["type"] != "decision"), "{steps:?}");
    } else {
        for line in ablauf::compact::format::parse(done["compact"].as_str().unwrap()) {
            if let ablauf::draft::Line::Step(step) = line
                && matches!(step.kind, ablauf::process::StepType::Task | ablauf::process::StepType::Decision)
            {
                assert!(steps.iter().any(|s| s["name"] == step.name.as_str()), "{step:?} not streamed: {steps:?}");
            }
        }
    }
    assert_eq!(done["process"]["steps"][0]["type"], "start");

    // Review: deterministic checks alone, then with the model.
    let (status, review) = post(&server.url("/api/review"), &json!({"process": drafted["process"], "llm": false}));
    assert_eq!(status, 200);
    assert!(review["findings"].as_array().unwrap().iter().all(|f| f["source"] == "check"));
    assert!(review.get("llm").is_none());
    // The model words what a rule flags: a task named "Bearbeitung" gets a reason and a proposal.
    let mut vague = drafted["process"].clone();
    let steps = vague["steps"].as_array_mut().unwrap();
    let task = steps.iter().position(|s| s["type"] == "task").expect("a drafted task");
    steps[task]["name"] = json!("Bearbeitung");
    let (status, review) = post(&server.url("/api/review"), &json!({"process": vague}));
    assert_eq!(status, 200, "{review}");
    assert_eq!(review["llm"]["model_id"], drafted["stats"]["model_id"]);
    let worded: Vec<&Value> = review["findings"].as_array().unwrap().iter().filter(|f| f["source"] == "llm").collect();
    assert_eq!(worded.len(), 1, "{review}");
    assert_eq!(worded[0]["code"], "vague_name");
    assert_eq!(worded[0]["path"], format!("steps[{task}].name"));
    let fix = worded[0]["fix"].as_str().unwrap();
    assert!(!fix.trim().is_empty() && fix != "Bearbeitung", "{fix}");
}

#[test]
fn draft_requests_while_the_model_loads_get_503_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    // Reading a FIFO blocks until someone writes to it: the model stays "loading" for this test.
    let fifo = dir.path().join("model.gguf");
    assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    let server = Server::start_with(dir.path(), &["--model", fifo.to_str().unwrap()]);

    let (_, health) = get(&server.url("/health"));
    assert_eq!((health["status"].as_str(), health["llm"]["state"].as_str()), (Some("ok"), Some("loading")));
    let resp = agent()
        .post(&server.url("/api/draft"))
        .header("authorization", common::ADMIN)
        .header("content-type", "application/json")
        .send(json!({"text": DICTATION}).to_string())
        .unwrap();
    assert_eq!(resp.headers().get("retry-after").and_then(|v| v.to_str().ok()), Some("5"));
    let (status, err) = json(resp);
    assert_eq!((status, err["error_type"].as_str()), (503, Some("loading")));
    // Everything that needs no model keeps working.
    let (status, _) = get(&server.url("/api/processes"));
    assert_eq!(status, 200);
}

/// A full queue answers 503 with Retry-After at once, and SIGTERM cancels the running and the
/// queued generations instead of waiting for them: the server exits cleanly and restarts sound.
#[test]
fn full_queue_is_refused_and_sigterm_cancels_generation() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    server.wait_until_ready(&["llm"]);
    let long = json!({"text": DICTATION.repeat(3), "max_tokens": 1000, "save": false}).to_string();

    let stream = agent()
        .post(&server.url("/api/draft/stream"))
        .header("authorization", common::ADMIN)
        .header("content-type", "application/json")
        .send(long.clone())
        .unwrap();
    let mut lines = BufReader::new(stream.into_body().into_reader()).lines().map_while(Result::ok);
    assert!(lines.by_ref().any(|l| l == "event: started"), "the stream has started");

    let (tx, rx) = std::sync::mpsc::channel();
    let waiting: Vec<_> = (0..5)
        .map(|_| {
            let (url, body, tx) = (server.url("/api/draft"), long.clone(), tx.clone());
            std::thread::spawn(move || {
                let resp = agent()
                    .post(&url)
                    .header("authorization", common::ADMIN)
                    .header("content-type", "application/json")
                    .send(body)
                    .unwrap();
                let retry = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
                let (status, body) = json(resp);
                tx.send((status, body["error_type"].as_str().unwrap_or("").to_owned(), retry)).unwrap();
            })
        })
        .collect();
    let first = rx.recv_timeout(Duration::from_secs(120)).unwrap();
    assert_eq!(first, (503, "busy".to_owned(), Some("15".to_owned())), "four wait, the fifth is refused at once");

    let pid = server.child.id().to_string();
    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    let rest: Vec<_> = (0..4).map(|_| rx.recv_timeout(Duration::from_secs(300)).unwrap()).collect();
    for waiter in waiting {
        waiter.join().unwrap();
    }
    // The warm-up generation right after loading may still hold a place in the queue, so one
    // more request can have been refused as busy.
    assert!(
        rest.iter().all(|(status, kind, _)| *status == 503 && ["shutting_down", "busy"].contains(&kind.as_str())),
        "queued drafts are cancelled, not left hanging: {rest:?}"
    );
    assert!(rest.iter().filter(|(_, kind, _)| kind == "shutting_down").count() >= 3, "{rest:?}");
    let ending: Vec<String> = lines.filter(|l| l.starts_with("event: ")).collect();
    assert!(
        matches!(ending.last().map(String::as_str), Some("event: done" | "event: error")),
        "the stream ends with an answer: {ending:?}"
    );
    let status = server.stop();
    assert!(status.success(), "clean exit after SIGTERM: {status:?}");

    let server = Server::start(dir.path());
    let (status, page) = get(&server.url("/api/processes"));
    assert_eq!((status, page["total"].as_u64()), (200, Some(0)));
}
