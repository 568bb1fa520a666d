//! Duplicate, similarity, decision and gap endpoints on the real server with the real model.

use crate::common;

use common::{Server, agent, get, json, post};
use serde_json::{Value, json};

fn process(title: &str, steps: &[&str]) -> Value {
    let mut all = vec![json!({"id": "start", "type": "start", "name": "Antrag eingegangen", "next": [{"to": "s0"}]})];
    for (i, name) in steps.iter().enumerate() {
        all.push(json!({"id": format!("s{i}"), "type": "task", "name": name, "role": "sb", "next": [{"to": format!("s{}", i + 1)}]}));
    }
    if let Some(last) = all.last_mut() {
        last["next"] = json!([{"to": "end"}]);
    }
    all.push(json!({"id": "end", "type": "end", "name": "Erledigt"}));
    json!({"title": title, "roles": [{"id": "sb", "name": "Sachbearbeitung"}], "steps": all, "legal_basis": ["§ 45 StVO"]})
}

#[test]
fn saving_suggests_similar_processes_and_a_reviewer_resolves_the_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start(dir.path());
    // Waits for the embedding model, so the saves below get their suggestions.
    let (status, body) = common::get_when_ready(&server.url("/api/duplicates"));
    assert_eq!((status, body), (200, json!([])));

    let steps =
        ["Antrag entgegennehmen", "Hauptwohnsitz im Melderegister prüfen", "Gebühr erheben", "Parkausweis aushändigen"];
    let (status, first) = post(&server.url("/api/processes"), &process("Anwohnerparkausweis ausstellen", &steps));
    assert_eq!(status, 201, "{first}");
    // A save does not wait for its embedding: it is made in the background.
    assert_eq!(first["similar"], "pending", "{first}");
    let steps_b = [
        "Antrag entgegennehmen",
        "Wohnsitz im Melderegister prüfen",
        "Gebühr festsetzen",
        "Bewohnerparkausweis aushändigen",
    ];
    let (_, second) = post(&server.url("/api/processes"), &process("Bewohnerparkausweis erteilen", &steps_b));
    assert_eq!(second["similar"], "pending", "{second}");
    let (_, third) = post(
        &server.url("/api/processes"),
        &process("Hundesteuer festsetzen", &["Hund erfassen", "Steuerbescheid erstellen"]),
    );
    let (a, b) = (first["id"].as_str().unwrap(), second["id"].as_str().unwrap());
    let similar_to = |id: &str| {
        let started = std::time::Instant::now();
        loop {
            let (status, report) = get(&server.url(&format!("/api/processes/{id}/similar?k=2")));
            assert_eq!(status, 200, "{report}");
            if report["pending"] == false {
                break report;
            }
            assert!(started.elapsed().as_secs() < 30, "still pending after 30 s: {report}");
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    };
    similar_to(third["id"].as_str().unwrap());
    let report = similar_to(b);
    assert_eq!(report["similar"][0]["id"], a, "{report}");
    assert!(report["similar"][0]["reasons"].as_array().unwrap().iter().any(|r| r["kind"] == "shared_steps"));

    let (status, pairs) = get(&server.url("/api/duplicates"));
    assert_eq!(status, 200);
    let pairs = pairs.as_array().unwrap();
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    let ids = [pairs[0]["a"].as_str().unwrap(), pairs[0]["b"].as_str().unwrap()];
    assert!(ids.contains(&a) && ids.contains(&b));

    let report = similar_to(a);
    assert_eq!(report["similar"][0]["id"], b);
    assert_eq!(get(&server.url("/api/processes/p-nope/similar")).0, 404);
    assert_eq!(get(&server.url(&format!("/api/processes/{a}/similar?k=0"))).0, 400);

    let bad = json!({"a": a, "b": a, "decision": "duplicate"});
    assert_eq!(post(&server.url("/api/duplicates/decisions"), &bad).0, 400);
    let (status, _) = post(&server.url("/api/duplicates/decisions"), &json!({"a": a, "b": b, "decision": "maybe"}));
    assert_eq!(status, 400);
    let decision = json!({"a": a, "b": b, "decision": "duplicate", "survivor": a, "note": "gleicher Dienst"});
    let resp = agent()
        .post(&server.url("/api/duplicates/decisions"))
        .header("content-type", "application/json")
        .header("authorization", &common::add_user(&server, "pruefer", "reviewer"))
        .send(decision.to_string())
        .unwrap();
    let (status, record) = json(resp);
    assert_eq!(status, 201, "{record}");
    assert_eq!((record["actor"].as_str(), record["survivor"].as_str()), (Some("pruefer"), Some(a)));

    assert_eq!(get(&server.url(&format!("/api/processes/{b}"))).1["status"], "archived");
    assert_eq!(get(&server.url("/api/duplicates")).1, json!([]));
    let (_, report) = get(&server.url(&format!("/api/processes/{b}/similar")));
    assert_eq!(report["duplicate_of"], a);
    let (_, decisions) = get(&server.url(&format!("/api/duplicates/decisions?process={b}")));
    assert_eq!(decisions.as_array().unwrap().len(), 1);

    let gaps = loop {
        match get(&server.url("/api/gaps")) {
            (503, body) => {
                assert_eq!(body["error_type"], "loading");
                std::thread::sleep(std::time::Duration::from_secs(2));
            }
            (status, body) => {
                assert_eq!(status, 200, "{body}");
                break body;
            }
        }
    };
    assert_eq!(gaps["services"], 557);
    assert!(gaps["topics"].as_array().unwrap().len() >= 10);
    assert_eq!(server.stop().code(), Some(0));
}
